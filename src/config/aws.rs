//! AWS host names derived from a region: the one place that knows that
//! `cn-*` regions live under `amazonaws.com.cn`.

/// The DNS suffix of a region's endpoints.
pub(crate) fn domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// `https://{service}.{region}.{domain}`, without a trailing slash.
pub(crate) fn endpoint(service: &str, region: &str) -> String {
    format!("https://{service}.{region}.{}", domain(region))
}

/// The issuer of a pool under one of Cognito's issuer hosts
/// (`cognito-idp` or the multi-Region `issuer-cognito-idp`).
pub(crate) fn issuer(host: &str, region: &str, pool_id: &str) -> String {
    format!("{}/{pool_id}", endpoint(host, region))
}

/// Whether `region` looks like an AWS region name (`us-east-1`,
/// `us-gov-west-1`, `eusc-de-east-1`), so that it can go into a host name.
pub(crate) fn is_region(region: &str) -> bool {
    region.contains('-')
        && region.ends_with(|c: char| c.is_ascii_digit())
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !region.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_and_regions() {
        assert_eq!(
            endpoint("cognito-idp", "eu-west-1"),
            "https://cognito-idp.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            issuer("cognito-idp", "cn-north-1", "cn-north-1_A"),
            "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_A"
        );
        for good in ["us-east-1", "us-gov-west-1", "eusc-de-east-1"] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "-1",
            "us_east-1",
            "us-east-1/x",
            "a.b-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
