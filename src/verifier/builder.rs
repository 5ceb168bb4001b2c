//! [`VerifierBuilder`]: every knob of a verifier, its default, and the
//! checks a configuration must pass before a verifier is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::issuers::IssuerTable;
use super::tenants::Tenants;
use super::token_cache::{self, CacheAdmission, TokenCache};
use super::{CustomCheck, Inner, Verifier};
use crate::claims::VerifiedToken;
use crate::clock::{self, Clock};
use crate::config::{CognitoPool, IssuerResolver, OidcIssuer};
use crate::error::{Error, Result};
use crate::keys::{CacheOptions, Fetcher, KeyStore, crypto, fetch};
use crate::revocation::RevocationList;
use crate::transport::retry::RetryPolicy;

/// The default maximum token size: 32 KiB.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 32 * 1024;

/// Configuration of a [`Verifier`]. Every limit has a default; every
/// default has a knob.
///
/// | knob | default |
/// |---|---|
/// | [`leeway`](Self::leeway) | 0 s |
/// | [`max_token_bytes`](Self::max_token_bytes) | 32 KiB |
/// | [`jwks_ttl`](Self::jwks_ttl) | 1 h (then refreshed in the background) |
/// | [`kid_miss_cooldown`](Self::kid_miss_cooldown) | 10 s |
/// | [`fetch_backoff`](Self::fetch_backoff) | 1 s doubling, capped at 60 s |
/// | [`fetch_timeout`](Self::fetch_timeout) | 5 s |
/// | [`fetch_retry`](Self::fetch_retry) | a second attempt when the connection could not be made |
/// | [`max_jwks_bytes`](Self::max_jwks_bytes) | 256 KiB |
/// | [`allow_insecure_http`](Self::allow_insecure_http) | off (HTTPS, or HTTP to loopback) |
/// | [`verified_token_cache`](Self::verified_token_cache) | 20 000 tokens, 64 MiB ([off](Self::no_verified_token_cache)) |
/// | [`verified_token_cache_admission`](Self::verified_token_cache_admission) | on a token's second verification |
/// | [`tenant_cache`](Self::tenant_cache) | 10 000 issuers, 1 h (with a [resolver](Self::resolve_issuers)) |
///
/// ```
/// use std::time::Duration;
/// use cognito_auth::{CognitoPool, TokenUse, Verifier};
///
/// let verifier = Verifier::builder()
///     .cognito(CognitoPool::new("eu-west-1_AbCdEf123").token_use(TokenUse::Id).client_id("abc"))
///     .leeway(Duration::from_secs(5))
///     .fetch_timeout(Duration::from_secs(2))
///     .build()?;
/// # Ok::<(), cognito_auth::Error>(())
/// ```
pub struct VerifierBuilder {
    pools: Vec<CognitoPool>,
    oidc: Vec<OidcIssuer>,
    leeway: Duration,
    max_token_bytes: usize,
    cache: CacheOptions,
    fetch_timeout: Duration,
    fetch_retry: RetryPolicy,
    max_jwks_bytes: usize,
    allow_insecure_http: bool,
    http_client: Option<reqwest::Client>,
    custom: Option<CustomCheck>,
    clock: Option<Clock>,
    token_cache: Option<(u64, u64)>,
    admission: CacheAdmission,
    revocation: Option<RevocationList>,
    resolver: Option<Arc<dyn IssuerResolver>>,
    tenant_cache: (u64, Duration),
}

/// The default bound of the tenants a resolver found: 10 000 issuers, each
/// answer (refusals too) remembered for an hour.
pub const DEFAULT_TENANT_CACHE: (u64, Duration) = (10_000, Duration::from_secs(3600));

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            pools: Vec::new(),
            oidc: Vec::new(),
            leeway: Duration::ZERO,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            cache: CacheOptions::default(),
            fetch_timeout: fetch::DEFAULT_TIMEOUT,
            fetch_retry: Fetcher::default_retry(),
            max_jwks_bytes: fetch::DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
            http_client: None,
            custom: None,
            clock: None,
            token_cache: Some((
                token_cache::DEFAULT_MAX_TOKENS,
                token_cache::DEFAULT_MAX_BYTES,
            )),
            admission: CacheAdmission::default(),
            revocation: None,
            resolver: None,
            tenant_cache: DEFAULT_TENANT_CACHE,
        }
    }
}

impl VerifierBuilder {
    /// Accepts tokens from a Cognito user pool. Call once per pool.
    pub fn cognito(mut self, pool: CognitoPool) -> Self {
        self.pools.push(pool);
        self
    }

    /// Accepts tokens from a generic OIDC issuer. Call once per issuer.
    pub fn oidc(mut self, issuer: OidcIssuer) -> Self {
        self.oidc.push(issuer);
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

    /// Age after which a cached JWKS is refreshed in the background
    /// (default 1 hour). Verification never waits for the refresh.
    pub fn jwks_ttl(mut self, ttl: Duration) -> Self {
        self.cache.ttl = ttl;
        self
    }

    /// Least time between refetches caused by unknown `kid`s, per JWKS
    /// (default 10 s). Within it, unknown `kid`s fail at once.
    pub fn kid_miss_cooldown(mut self, cooldown: Duration) -> Self {
        self.cache.kid_miss_cooldown = cooldown;
        self
    }

    /// Delay after a failed fetch: `base`, doubling per failure, at most
    /// `cap` (default 1 s and 60 s). No fetch is made inside the delay.
    pub fn fetch_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.cache.backoff_base = base;
        self.cache.backoff_cap = cap.max(base);
        self
    }

    /// Total time allowed for one JWKS or discovery fetch (default 5 s).
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Retries within one fetch (default: one more attempt when the
    /// connection could not be made; the timeout covers all attempts).
    /// Answers such as a 500 are not retried here: failed fetches back off
    /// ([`fetch_backoff`](Self::fetch_backoff)).
    pub fn fetch_retry(mut self, retry: RetryPolicy) -> Self {
        self.fetch_retry = retry;
        self
    }

    /// Largest JWKS or discovery body read, in bytes (default 256 KiB).
    pub fn max_jwks_bytes(mut self, max: usize) -> Self {
        self.max_jwks_bytes = max;
        self
    }

    /// Allows plain-HTTP key URLs to hosts other than loopback. Off by
    /// default: keys fetched over plain HTTP can be replaced in transit.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Fetches keys with your own reqwest client (proxies, connection
    /// pools). The timeout and body cap still apply. Configure the client
    /// not to follow redirects, as the built-in one does.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// A last check over the verified claims; its error becomes `custom`.
    ///
    /// ```
    /// use cognito_auth::{CognitoPool, TokenUse, Verifier};
    /// let verifier = Verifier::builder()
    ///     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Id).any_client())
    ///     .custom_check(|token| match token.claims().get("custom:tenant") {
    ///         Some(tenant) if tenant == "acme" => Ok(()),
    ///         _ => Err("wrong tenant"),
    ///     })
    ///     .build()?;
    /// # Ok::<(), cognito_auth::Error>(())
    /// ```
    pub fn custom_check<F, E>(mut self, check: F) -> Self
    where
        F: Fn(&VerifiedToken) -> std::result::Result<(), E> + Send + Sync + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.custom = Some(Arc::new(move |token| check(token).map_err(Error::custom)));
        self
    }

    /// Bounds of the verified-token cache (default 20 000 tokens, 64 MiB):
    /// a token taken in (see
    /// [`verified_token_cache_admission`](Self::verified_token_cache_admission))
    /// is answered from memory, without the RSA operation, until its
    /// `exp`, as long as its key stays in the JWKS.
    pub fn verified_token_cache(mut self, max_tokens: u64, max_bytes: u64) -> Self {
        self.token_cache = Some((max_tokens, max_bytes));
        self
    }

    /// Which verified tokens the cache takes in (default
    /// [`CacheAdmission::SecondSighting`]: a token verified once is not
    /// stored, so a stream of never-repeated tokens costs no inserts).
    pub fn verified_token_cache_admission(mut self, admission: CacheAdmission) -> Self {
        self.admission = admission;
        self
    }

    /// Turns the verified-token cache off: every call verifies in full.
    pub fn no_verified_token_cache(mut self) -> Self {
        self.token_cache = None;
        self
    }

    /// Refuses tokens on this revocation list (`revoked`): sessions,
    /// tokens and users revoked by any instance sharing its store. Checked
    /// after the claim checks on every verification, including those the
    /// verified-token cache answers, without waiting on the network.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), cognito_auth::Error> {
    /// use cognito_auth::revocation::RevocationList;
    /// use cognito_auth::{CognitoPool, TokenUse, Verifier};
    /// let verifier = Verifier::builder()
    ///     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
    ///     .revocation_list(RevocationList::in_memory()?)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn revocation_list(mut self, list: RevocationList) -> Self {
        self.revocation = Some(list);
        self
    }

    /// Accepts issuers the verifier is not built with: for a token whose
    /// (unverified) `iss` is not configured, `resolver` is asked for its
    /// configuration — a [`CognitoPool`] or [`OidcIssuer`] for exactly
    /// that issuer — or refuses it (`None`: `invalid_issuer`, and no key
    /// is fetched for it). Asked once per issuer, concurrent tokens of a
    /// new one sharing the call; answers and refusals are remembered
    /// ([`tenant_cache`](Self::tenant_cache)). A resolver error is
    /// `issuer_unavailable` (503), not remembered. Each tenant's keys are
    /// cached like any pool's.
    ///
    /// ```
    /// use cognito_auth::{Resolution, Tenant};
    /// use cognito_auth::{CognitoPool, TokenUse, Verifier};
    ///
    /// async fn tenant_of(iss: String) -> Resolution {
    ///     // Look the issuer up in your tenant table; never fetch it.
    ///     let known = iss.starts_with("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_");
    ///     Ok(known.then(|| {
    ///         Tenant::from(CognitoPool::from_issuer(iss).token_use(TokenUse::Access).any_client())
    ///     }))
    /// }
    /// let verifier = Verifier::builder().resolve_issuers(tenant_of).build()?;
    /// # Ok::<(), cognito_auth::Error>(())
    /// ```
    pub fn resolve_issuers(mut self, resolver: impl IssuerResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// Bounds of what the [resolver](Self::resolve_issuers) said: at most
    /// `max_issuers` answers, each for `ttl` (default 10 000 and 1 h).
    pub fn tenant_cache(mut self, max_issuers: u64, ttl: Duration) -> Self {
        self.tenant_cache = (max_issuers, ttl);
        self
    }

    /// Replaces the clock (seconds since the Unix epoch), for tests.
    pub fn clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Checks the configuration and builds the verifier. Errors are
    /// `config`: a missing required choice, a bad pool id or URL, an
    /// unreadable static JWKS, an issuer configured twice.
    pub fn build(self) -> Result<Verifier> {
        crypto::install_jsonwebtoken_provider();
        if self.max_token_bytes == 0 || self.max_jwks_bytes == 0 {
            return Err(Error::config("size limits must be above zero"));
        }
        if self.fetch_timeout.is_zero() {
            return Err(Error::config("the fetch timeout must be above zero"));
        }
        let fetcher = match self.http_client {
            Some(client) => Fetcher::with_client(
                client,
                self.fetch_timeout,
                self.max_jwks_bytes,
                self.allow_insecure_http,
                self.fetch_retry,
            ),
            None => Fetcher::new(
                self.fetch_timeout,
                self.max_jwks_bytes,
                self.allow_insecure_http,
                self.fetch_retry,
            )
            .map_err(Error::config)?,
        };
        if self.pools.is_empty() && self.oidc.is_empty() && self.resolver.is_none() {
            return Err(Error::config(
                "no issuer configured: add a CognitoPool, an OidcIssuer or a resolver",
            ));
        }
        let tenants = self.resolver.map(|resolver| {
            Tenants::new(
                resolver,
                self.tenant_cache,
                fetcher.clone(),
                self.cache.clone(),
                self.allow_insecure_http,
            )
        });
        let mut store = KeyStore::new(fetcher, self.cache);
        let issuers = IssuerTable::build(
            &self.pools,
            &self.oidc,
            &mut store,
            self.allow_insecure_http,
        )?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                issuers,
                store: Arc::new(store),
                tenants,
                leeway: self.leeway.as_secs(),
                max_token_bytes: self.max_token_bytes,
                custom: self.custom,
                clock: self.clock.unwrap_or_else(clock::system),
                token_cache: self
                    .token_cache
                    .map(|(tokens, bytes)| TokenCache::new(tokens, bytes, self.admission)),
                revocation: self.revocation,
            }),
        })
    }
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("pools", &self.pools)
            .field("oidc", &self.oidc)
            .field("leeway", &self.leeway)
            .field("max_token_bytes", &self.max_token_bytes)
            .field("cache", &self.cache)
            .field("fetch_timeout", &self.fetch_timeout)
            .field("fetch_retry", &self.fetch_retry)
            .field("max_jwks_bytes", &self.max_jwks_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("custom_check", &self.custom.is_some())
            .field("token_cache", &self.token_cache)
            .field("revocation", &self.revocation)
            .field("resolver", &self.resolver.is_some())
            .field("tenant_cache", &self.tenant_cache)
            .finish_non_exhaustive()
    }
}
