//! [`AlbVerifierBuilder`]: the knobs of an ALB verifier, and the checks a
//! configuration must pass (an ARN allow-list, the issuer and client
//! choices, a region for the key URL).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::{AlbVerifier, Inner, keys};
use crate::clock::{self, Clock};
use crate::config::aws;
use crate::error::{Error, Result};
use crate::keys::{CacheOptions, Fetcher, fetch};
use crate::transport::retry::RetryPolicy;
use crate::verifier::{DEFAULT_MAX_TOKEN_BYTES, Verifier};

/// The regions of ALB ARNs: `arn:{partition}:elasticloadbalancing:{region}:…`.
pub(super) fn region_of_arn(arn: &str) -> Option<&str> {
    let mut fields = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("elasticloadbalancing"),
        Some(region),
        Some(account),
        Some(resource),
    ) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    )
    else {
        return None;
    };
    let known_partition = matches!(partition, "aws" | "aws-cn" | "aws-us-gov");
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (known_partition
        && account_ok
        && aws::is_region(region)
        && resource.starts_with("loadbalancer/"))
    .then_some(region)
}

/// Configuration of an [`AlbVerifier`].
///
/// | knob | default |
/// |---|---|
/// | [`alb_arn`](Self::alb_arn) | required (one or more) |
/// | [`issuer`](Self::issuer) / [`any_issuer`](Self::any_issuer) | required choice |
/// | [`client_id`](Self::client_id) / [`any_client`](Self::any_client) | required choice |
/// | [`region`](Self::region) | the ARNs' region |
/// | [`keys_url`](Self::keys_url) | `https://public-keys.auth.elb.{region}.amazonaws.com` |
/// | [`leeway`](Self::leeway) | 0 s |
/// | [`max_token_bytes`](Self::max_token_bytes) | 32 KiB |
/// | [`max_keys`](Self::max_keys) | 64 keys cached |
/// | [`kid_miss_cooldown`](Self::kid_miss_cooldown), [`new_kids_per_cooldown`](Self::new_kids_per_cooldown) | 10 s, 4 new `kid`s fetched per 10 s |
/// | [`key_ttl`](Self::key_ttl) | 1 h (then refreshed in the background) |
/// | [`fetch_timeout`](Self::fetch_timeout) | 5 s |
/// | [`access_tokens`](Self::access_tokens) | not checked |
pub struct AlbVerifierBuilder {
    arns: Vec<String>,
    issuer: Option<Option<String>>,
    clients: Option<Option<Vec<String>>>,
    region: Option<String>,
    keys_url: Option<String>,
    leeway: Duration,
    max_token_bytes: usize,
    max_keys: u64,
    new_kids_per_cooldown: u32,
    cache: CacheOptions,
    fetch_timeout: Duration,
    allow_insecure_http: bool,
    clock: Option<Clock>,
    access: Option<Verifier>,
}

impl Default for AlbVerifierBuilder {
    fn default() -> Self {
        AlbVerifierBuilder {
            arns: Vec::new(),
            issuer: None,
            clients: None,
            region: None,
            keys_url: None,
            leeway: Duration::ZERO,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            max_keys: 64,
            new_kids_per_cooldown: 4,
            cache: CacheOptions::default(),
            fetch_timeout: fetch::DEFAULT_TIMEOUT,
            allow_insecure_http: false,
            clock: None,
            access: None,
        }
    }
}

impl AlbVerifierBuilder {
    /// Accepts tokens signed by this load balancer (its ARN, exactly as in
    /// the `signer` header). Call once per ALB.
    pub fn alb_arn(mut self, arn: impl Into<String>) -> Self {
        self.arns.push(arn.into());
        self
    }

    /// The issuer the payload's `iss` must be (the user pool's, for
    /// Cognito).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(Some(issuer.into()));
        self
    }

    /// Accepts any payload `iss` (the signer and the signature still
    /// decide).
    pub fn any_issuer(mut self) -> Self {
        self.issuer = Some(None);
        self
    }

    /// An accepted app client (the header's `client`); call once per
    /// client.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        match &mut self.clients {
            Some(Some(list)) => list.push(client_id.into()),
            _ => self.clients = Some(Some(vec![client_id.into()])),
        }
        self
    }

    /// Accepts any app client.
    pub fn any_client(mut self) -> Self {
        self.clients = Some(None);
        self
    }

    /// The region of the key endpoint (default: the ARNs' region; the
    /// ARNs must then share one).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Replaces the base of the key endpoint (emulators, tests); keys are
    /// fetched from `{url}/{kid}`.
    pub fn keys_url(mut self, url: impl Into<String>) -> Self {
        self.keys_url = Some(url.into());
        self
    }

    /// Clock skew allowed on `exp` and `nbf` (whole seconds; default 0).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Longest token accepted, in bytes (default 32 KiB).
    pub fn max_token_bytes(mut self, max: usize) -> Self {
        self.max_token_bytes = max;
        self
    }

    /// How many keys are cached (default 64; ALB rotates few).
    pub fn max_keys(mut self, max: u64) -> Self {
        self.max_keys = max;
        self
    }

    /// How long a `kid` the endpoint does not know stays unknown, and the
    /// window of the new-`kid` budget (default 10 s).
    pub fn kid_miss_cooldown(mut self, cooldown: Duration) -> Self {
        self.cache.kid_miss_cooldown = cooldown;
        self
    }

    /// How many `kid`s never seen before are fetched per cooldown window
    /// (default 4): a flood of made-up `kid`s costs that many fetches.
    pub fn new_kids_per_cooldown(mut self, count: u32) -> Self {
        self.new_kids_per_cooldown = count;
        self
    }

    /// Age after which a cached key is fetched again in the background
    /// (default 1 h).
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.cache.ttl = ttl;
        self
    }

    /// Time allowed for one key fetch (default 5 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Allows a plain-HTTP key URL to hosts other than loopback.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Verifies `x-amzn-oidc-accesstoken` with this verifier too (the
    /// user pool's access tokens), in
    /// [`verify_request`](AlbVerifier::verify_request).
    pub fn access_tokens(mut self, verifier: Verifier) -> Self {
        self.access = Some(verifier);
        self
    }

    /// Replaces the clock (seconds since the Unix epoch), for tests.
    pub fn clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Checks the configuration: at least one well-formed ARN, the issuer
    /// and client choices, a region for the key URL.
    pub fn build(self) -> Result<AlbVerifier> {
        crate::keys::crypto::install_jsonwebtoken_provider();
        if self.arns.is_empty() {
            return Err(Error::config(
                "add the ARN of every ALB whose tokens are accepted (alb_arn): never any ALB",
            ));
        }
        let mut regions = Vec::new();
        for arn in &self.arns {
            let region = region_of_arn(arn)
                .ok_or_else(|| Error::config(format!("{arn:?} is not a load balancer ARN")))?;
            if !regions.contains(&region) {
                regions.push(region);
            }
        }
        let issuer = self.issuer.ok_or_else(|| {
            Error::config("choose the issuer: .issuer(..) (the user pool's) or .any_issuer()")
        })?;
        let clients = self.clients.ok_or_else(|| {
            Error::config("choose the app clients: .client_id(..) or .any_client()")
        })?;
        if let Some(list) = &clients
            && list.iter().any(String::is_empty)
        {
            return Err(Error::config("an empty client id"));
        }
        let keys_url = match (&self.keys_url, &self.region, regions.as_slice()) {
            (Some(url), _, _) => url.clone(),
            (None, Some(region), _) => {
                if !aws::is_region(region) {
                    return Err(Error::config(format!("{region:?} is not a region name")));
                }
                aws::endpoint("public-keys.auth.elb", region)
            }
            (None, None, [region]) => aws::endpoint("public-keys.auth.elb", region),
            (None, None, _) => {
                return Err(Error::config(
                    "the ALBs are in several regions: set the region (or the keys URL)",
                ));
            }
        };
        let keys_url = Url::parse(&format!("{}/", keys_url.trim_end_matches('/')))
            .map_err(|err| Error::config(format!("the keys URL is not a URL: {err}")))?;
        if self.max_token_bytes == 0 || self.fetch_timeout.is_zero() {
            return Err(Error::config(
                "size limits and the fetch timeout must be above zero",
            ));
        }
        let fetcher = Fetcher::new(
            self.fetch_timeout,
            16 * 1024,
            self.allow_insecure_http,
            RetryPolicy::new(2),
        )
        .map_err(Error::config)?;
        fetcher
            .check_url(&keys_url)
            .map_err(|why| Error::config(format!("the keys URL is refused: {why}")))?;
        Ok(AlbVerifier(Arc::new(Inner {
            arns: self.arns,
            issuer,
            clients,
            leeway: self.leeway.as_secs(),
            max_token_bytes: self.max_token_bytes,
            clock: self.clock.unwrap_or_else(clock::system),
            keys: keys::AlbKeys::new(
                keys_url.clone(),
                fetcher,
                self.cache,
                self.max_keys,
                self.new_kids_per_cooldown,
            ),
            keys_url,
            access: self.access,
        })))
    }
}

impl fmt::Debug for AlbVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbVerifierBuilder")
            .field("alb_arns", &self.arns)
            .field("issuer", &self.issuer)
            .field("clients", &self.clients)
            .field("region", &self.region)
            .field("keys_url", &self.keys_url)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alb::AlbVerifier;

    #[test]
    fn arns_name_their_region() {
        assert_eq!(
            region_of_arn(
                "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
            ),
            Some("eu-west-1")
        );
        assert_eq!(
            region_of_arn(
                "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/x/1"
            ),
            Some("us-gov-west-1")
        );
        for bad in [
            "",
            "arn:aws:s3:::bucket",
            "arn:aws:elasticloadbalancing:eu-west-1:123:loadbalancer/app/x/1",
            "arn:aws:elasticloadbalancing:eu-west-1/../x:123456789012:loadbalancer/app/x/1",
            "arn:evil:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
            "arn:aws:elasticloadbalancing:EU-WEST-1:123456789012:loadbalancer/app/x/1",
        ] {
            assert_eq!(region_of_arn(bad), None, "{bad}");
        }
    }

    #[test]
    fn configurations_that_would_accept_too_much_are_refused() {
        let arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1";
        let other = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/2";
        let kind = |builder: AlbVerifierBuilder| builder.build().map(drop).map_err(|e| e.kind());
        assert_eq!(
            kind(AlbVerifier::builder().any_issuer().any_client()),
            Err("config")
        );
        assert_eq!(
            kind(AlbVerifier::builder().alb_arn(arn).any_client()),
            Err("config")
        );
        assert_eq!(
            kind(AlbVerifier::builder().alb_arn(arn).any_issuer()),
            Err("config")
        );
        assert_eq!(
            kind(
                AlbVerifier::builder()
                    .alb_arn(arn)
                    .alb_arn(other)
                    .any_issuer()
                    .any_client()
            ),
            Err("config"),
            "two regions need an explicit one"
        );
        assert_eq!(
            kind(
                AlbVerifier::builder()
                    .alb_arn("nonsense")
                    .any_issuer()
                    .any_client()
            ),
            Err("config")
        );
        let built = AlbVerifier::builder()
            .alb_arn(arn)
            .any_issuer()
            .any_client()
            .build()
            .unwrap();
        assert_eq!(
            built.keys_url(),
            "https://public-keys.auth.elb.eu-west-1.amazonaws.com/"
        );
        let china = AlbVerifier::builder()
            .alb_arn("arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/w/1")
            .any_issuer()
            .any_client()
            .build()
            .unwrap();
        assert_eq!(
            china.keys_url(),
            "https://public-keys.auth.elb.cn-north-1.amazonaws.com.cn/"
        );
    }
}
