//! Which URLs the crate fetches: HTTPS always; plain HTTP only to loopback
//! hosts, unless insecure HTTP was allowed explicitly.

use std::net::IpAddr;

use reqwest::Url;

/// HTTPS always; plain HTTP only to loopback hosts unless allowed.
pub(crate) fn check_url(url: &Url, allow_insecure_http: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{url} uses plain HTTP to a host that is not loopback; use HTTPS or allow insecure HTTP explicitly"
        )),
        other => Err(format!("{url} has unsupported scheme {other}")),
    }
}

/// Whether the URL's host is a loopback address or a `localhost` name.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        let ok = |text: &str, allow| check_url(&Url::parse(text).unwrap(), allow).is_ok();
        assert!(ok("https://cognito-idp.us-east-1.amazonaws.com/x", false));
        assert!(ok("http://127.0.0.1:9229/x", false));
        assert!(ok("http://127.8.0.1/x", false));
        assert!(ok("http://[::1]:80/x", false));
        assert!(ok("http://localhost:5000/x", false));
        assert!(ok("http://api.localhost/x", false));
        assert!(!ok("http://example.com/x", false));
        assert!(!ok("http://10.0.0.1/x", false));
        assert!(ok("http://example.com/x", true));
        assert!(!ok("file:///etc/passwd", true));
        assert!(!ok("ftp://example.com/x", true));
    }
}
