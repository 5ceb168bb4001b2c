//! The verifier: configuration, and the check pipeline in its fixed order.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::Algorithm;
use serde::de::DeserializeOwned;

use crate::checks;
use crate::claims::{AccessClaims, IdClaims};
use crate::crypto;
use crate::error::{Error, Result, echo};
use crate::issuer::{self, IssuerEntry};
use crate::jwk::{PublicJwk, alg_name};
use crate::jwks::{CacheOptions, CachedKey, Fetcher, JwksStore, fetch};
use crate::jwt::{self, HeaderAlg};
use crate::oidc::OidcIssuer;
use crate::pool::CognitoPool;
use crate::token_cache::{self, CachedVerification, TokenCache};
use crate::verified::{Parts, VerifiedToken};

/// The default maximum token size: 32 KiB.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 32 * 1024;

type CustomCheck = Arc<dyn Fn(&VerifiedToken) -> Result<()> + Send + Sync>;
type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Verifies Cognito (and generic OIDC) tokens against cached JWKS.
///
/// Cheap to clone and safe to share across tasks and threads: clones share
/// one key cache.
///
/// Checks run in a fixed order and the first failure decides the error:
/// size, structure, algorithm and `kid`, key lookup, key fit, signature,
/// `exp`/`nbf`, `iss`, `token_use`, client id (or `aud`), scopes, groups,
/// the custom check. The verifier never fetches a URL taken from a token:
/// `iss` only selects among configured issuers, `jku`/`x5u` are ignored.
///
/// ```no_run
/// use cognito_auth::{CognitoPool, TokenUse, Verifier};
///
/// # async fn demo(token: &str) -> Result<(), cognito_auth::Error> {
/// let verifier = Verifier::builder()
///     .cognito(
///         CognitoPool::new("us-east-1_AbCdEf123")
///             .token_use(TokenUse::Access)
///             .client_id("1example23456789"),
///     )
///     .build()?;
/// verifier.hydrate().await?; // optional: fetch keys at start-up
/// let claims = verifier.verify_access(token).await?;
/// println!("hello {}", claims.username.as_deref().unwrap_or(&claims.sub));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    entries: Vec<IssuerEntry>,
    by_iss: HashMap<String, usize>,
    store: Arc<JwksStore>,
    leeway: u64,
    max_token_bytes: usize,
    custom: Option<CustomCheck>,
    clock: Clock,
    token_cache: Option<TokenCache>,
}

impl Verifier {
    /// Starts a configuration.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies a token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken> {
        let inner = &*self.inner;
        // 1. size
        if token.len() > inner.max_token_bytes {
            return Err(Error::TokenTooLarge {
                size: token.len(),
                max: inner.max_token_bytes,
            });
        }
        if let Some(verified) = self.cached(token)? {
            return Ok(verified);
        }
        // 2. structure and claim types
        let parsed = jwt::parse(token)?;
        let claims = jwt::claims(&parsed.payload)?;
        // 3. algorithm and kid. `iss` is unverified here: it only narrows
        // the configured issuers whose keys are tried.
        let candidates = self.candidates(claims.iss.as_deref());
        let alg = match parsed.header.alg {
            HeaderAlg::Known(alg)
                if candidates.iter().any(|entry| entry.rules.accepts_alg(alg)) =>
            {
                alg
            }
            ref other => {
                return Err(Error::UnsupportedAlgorithm {
                    found: echo(other.name()),
                    accepted: accepted_algs(candidates),
                });
            }
        };
        let Some(kid_owned) = parsed.header.kid else {
            return Err(Error::MissingKid);
        };
        let kid = kid_owned.as_str();
        // 4 - 6. the key, its fit, the signature. A cached key is used
        // without waiting and without writing shared memory; otherwise the
        // key is looked up (and fetched) as the cache rules allow.
        let message = parsed.signing_input.as_bytes();
        let signature = parsed.signature.as_slice();
        let check = |key: &PublicJwk| -> Result<()> {
            key.check_fits(alg)?;
            if key.verify(alg, message, signature) {
                Ok(())
            } else {
                Err(Error::InvalidSignature)
            }
        };
        let mut cached = None;
        for candidate in candidates
            .iter()
            .filter(|entry| entry.rules.accepts_alg(alg))
        {
            let lookup = inner
                .store
                .with_cached_key(candidate.source, kid, |key, generation| {
                    check(key).map(|()| (key.fingerprint, generation))
                });
            match lookup {
                CachedKey::Found(outcome) => {
                    cached = Some((candidate, outcome?));
                    break;
                }
                CachedKey::Ambiguous(err) => return Err(err),
                CachedKey::Miss => {}
            }
        }
        let (entry, (key_fingerprint, key_generation)) = match cached {
            Some(found) => found,
            None => {
                let (entry, key, generation) = self.find_key(candidates, alg, kid).await?;
                check(&key)?;
                (entry, (key.fingerprint, generation))
            }
        };
        // 7. exp / nbf
        let now = (inner.clock)();
        checks::check_time(&claims, now, inner.leeway)?;
        // 8. iss
        checks::check_issuer(&claims, entry)?;
        // 9 - 11. token use, client, scopes, groups
        let token_use = checks::check_rules(&claims, entry)?;
        let expires_at = claims.exp.unwrap_or_default();
        drop(claims);
        let verified = VerifiedToken::new(Parts {
            issuer: Box::from(&*entry.iss),
            kid: kid_owned.into_boxed_str(),
            token_use,
            expires_at,
            payload: parsed.payload,
        });
        // 12. the custom check
        if let Some(check) = &inner.custom {
            check(&verified)?;
        }
        if let Some(cache) = &inner.token_cache {
            let seconds_left =
                u64::try_from(verified.expires_at().saturating_sub(now)).unwrap_or(0);
            if seconds_left > 0 {
                cache.insert(CachedVerification::new(
                    token,
                    verified.clone(),
                    entry.source,
                    key_fingerprint,
                    key_generation,
                    seconds_left,
                    cache.weight_floor,
                ));
            }
        }
        Ok(verified)
    }

    /// A verification remembered for exactly this token, if it still holds:
    /// not expired by the verifier's clock, its key still in the JWKS.
    fn cached(&self, token: &str) -> Result<Option<VerifiedToken>> {
        let inner = &*self.inner;
        let Some(cache) = &inner.token_cache else {
            return Ok(None);
        };
        let Some(entry) = cache.get(token) else {
            return Ok(None);
        };
        let slack = i64::try_from(inner.leeway).unwrap_or(i64::MAX);
        let fresh = (inner.clock)() <= entry.verified.expires_at().saturating_add(slack);
        let key_unchanged = inner.store.key_unchanged(
            entry.source,
            &entry.kid,
            entry.key_fingerprint,
            &entry.key_generation,
        );
        if !(fresh && key_unchanged) {
            cache.remove(token);
            return Ok(None);
        }
        if let Some(check) = &inner.custom {
            check(&entry.verified)?;
        }
        Ok(Some(entry.verified.clone()))
    }

    /// How many verified tokens are cached (diagnostics).
    pub fn cached_tokens(&self) -> u64 {
        self.inner.token_cache.as_ref().map_or(0, TokenCache::len)
    }

    /// Verifies a token that must be a Cognito **access** token.
    pub async fn verify_access(&self, token: &str) -> Result<AccessClaims> {
        self.verify(token).await?.try_access().cloned()
    }

    /// Verifies a token that must be a Cognito **ID** token.
    pub async fn verify_id(&self, token: &str) -> Result<IdClaims> {
        self.verify(token).await?.try_id().cloned()
    }

    /// Verifies a token and deserialises its claims into your own type.
    pub async fn verify_as<T: DeserializeOwned>(&self, token: &str) -> Result<T> {
        self.verify(token).await?.deserialize()
    }

    /// Fetches the keys of every configured issuer now, so the first
    /// requests do not wait; reports the sources that failed. Sets that are
    /// fetched only on demand (the multi-Region issuer form) are skipped.
    pub async fn hydrate(&self) -> Result<()> {
        let failures = self.inner.store.hydrate().await;
        if failures.is_empty() {
            return Ok(());
        }
        let (names, reasons): (Vec<_>, Vec<_>) = failures
            .into_iter()
            .map(|(name, err)| (name, err.to_string()))
            .unzip();
        Err(Error::JwksUnavailable {
            source_name: names.join(", "),
            reason: reasons.join("; "),
        })
    }

    /// The issuers this verifier accepts.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.inner.entries.iter().map(|entry| &*entry.iss)
    }

    /// The `kid`s currently cached for an accepted issuer (diagnostics).
    pub fn cached_kids(&self, issuer: &str) -> Vec<String> {
        self.inner
            .by_iss
            .get(issuer)
            .and_then(|&index| self.inner.entries.get(index))
            .map(|entry| self.inner.store.cached_kids(entry.source))
            .unwrap_or_default()
    }

    fn candidates(&self, iss: Option<&str>) -> Candidates<'_> {
        let inner = &*self.inner;
        match iss
            .and_then(|iss| inner.by_iss.get(iss))
            .and_then(|&index| inner.entries.get(index))
        {
            Some(entry) => Candidates::One(entry),
            None => Candidates::Primary(&inner.entries),
        }
    }

    /// Step 4: the key for `kid` among the candidates' sources.
    async fn find_key<'a>(
        &self,
        candidates: Candidates<'a>,
        alg: Algorithm,
        kid: &str,
    ) -> Result<(&'a IssuerEntry, Arc<PublicJwk>, u64)> {
        let mut unavailable = None;
        let mut lacking_kid = 0;
        let usable = |entry: &&IssuerEntry| entry.rules.accepts_alg(alg);
        for (position, entry) in candidates.iter().filter(usable).enumerate() {
            // Issuers may share a key source; ask each source once.
            let asked = candidates
                .iter()
                .filter(usable)
                .take(position)
                .any(|earlier| earlier.source == entry.source);
            if asked {
                continue;
            }
            match self.inner.store.key(entry.source, kid).await {
                Ok((key, generation)) => return Ok((entry, key, generation)),
                Err(err @ Error::JwksUnavailable { .. }) => unavailable = Some(err),
                Err(Error::UnknownKid { .. }) => lacking_kid += 1,
                Err(other) => return Err(other),
            }
        }
        // Keys that could be had but lack the kid make it unknown; only
        // when no keys at all could be had is the JWKS unavailable.
        match unavailable {
            Some(err) if lacking_kid == 0 => Err(err),
            _ => Err(Error::UnknownKid { kid: echo(kid) }),
        }
    }
}

/// The issuers whose keys may verify a token: the one its `iss` names, or
/// every issuer that is not on demand.
#[derive(Clone, Copy)]
enum Candidates<'a> {
    One(&'a IssuerEntry),
    Primary(&'a [IssuerEntry]),
}

impl<'a> Candidates<'a> {
    fn iter(self) -> impl Iterator<Item = &'a IssuerEntry> {
        let (one, all) = match self {
            Candidates::One(entry) => (Some(entry), &[][..]),
            Candidates::Primary(entries) => (None, entries),
        };
        one.into_iter()
            .chain(all.iter().filter(|entry| !entry.on_demand))
    }
}

fn accepted_algs(candidates: Candidates<'_>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for entry in candidates.iter() {
        for alg in &entry.rules.algorithms {
            let name = alg_name(*alg);
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names.join(", ")
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &self.issuers().collect::<Vec<_>>())
            .field("leeway_seconds", &self.inner.leeway)
            .field("max_token_bytes", &self.inner.max_token_bytes)
            .field("custom_check", &self.inner.custom.is_some())
            .finish_non_exhaustive()
    }
}

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
/// | [`max_jwks_bytes`](Self::max_jwks_bytes) | 256 KiB |
/// | [`allow_insecure_http`](Self::allow_insecure_http) | off (HTTPS, or HTTP to loopback) |
/// | [`verified_token_cache`](Self::verified_token_cache) | 10 000 tokens, 64 MiB ([off](Self::no_verified_token_cache)) |
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
    max_jwks_bytes: usize,
    allow_insecure_http: bool,
    http_client: Option<reqwest::Client>,
    custom: Option<CustomCheck>,
    clock: Option<Clock>,
    token_cache: Option<(u64, u64)>,
}

impl Default for VerifierBuilder {
    fn default() -> Self {
        VerifierBuilder {
            pools: Vec::new(),
            oidc: Vec::new(),
            leeway: Duration::ZERO,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            cache: CacheOptions::default(),
            fetch_timeout: fetch::DEFAULT_TIMEOUT,
            max_jwks_bytes: fetch::DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
            http_client: None,
            custom: None,
            clock: None,
            token_cache: Some((
                token_cache::DEFAULT_MAX_TOKENS,
                token_cache::DEFAULT_MAX_BYTES,
            )),
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

    /// Bounds of the verified-token cache (default 10 000 tokens, 64 MiB):
    /// a token verified once is answered from memory, without the RSA
    /// operation, until its `exp`, as long as its key stays in the JWKS.
    pub fn verified_token_cache(mut self, max_tokens: u64, max_bytes: u64) -> Self {
        self.token_cache = Some((max_tokens, max_bytes));
        self
    }

    /// Turns the verified-token cache off: every call verifies in full.
    pub fn no_verified_token_cache(mut self) -> Self {
        self.token_cache = None;
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
        if self.pools.is_empty() && self.oidc.is_empty() {
            return Err(Error::config(
                "no issuer configured: add a CognitoPool or an OidcIssuer",
            ));
        }
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
            ),
            None => Fetcher::new(
                self.fetch_timeout,
                self.max_jwks_bytes,
                self.allow_insecure_http,
            )
            .map_err(Error::config)?,
        };
        let mut store = JwksStore::new(fetcher, self.cache);
        let mut entries = Vec::new();
        for pool in &self.pools {
            entries.extend(issuer::lower_cognito(
                pool,
                &mut store,
                self.allow_insecure_http,
            )?);
        }
        for oidc in &self.oidc {
            entries.push(issuer::lower_oidc(
                oidc,
                &mut store,
                self.allow_insecure_http,
            )?);
        }
        let mut by_iss = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if by_iss.insert(entry.iss.to_string(), index).is_some() {
                return Err(Error::config(format!(
                    "issuer {} is configured twice",
                    entry.iss
                )));
            }
        }
        let clock = self.clock.unwrap_or_else(|| Arc::new(system_now));
        Ok(Verifier {
            inner: Arc::new(Inner {
                entries,
                by_iss,
                store: Arc::new(store),
                leeway: self.leeway.as_secs(),
                max_token_bytes: self.max_token_bytes,
                custom: self.custom,
                clock,
                token_cache: self
                    .token_cache
                    .map(|(tokens, bytes)| TokenCache::new(tokens, bytes)),
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
            .field("max_jwks_bytes", &self.max_jwks_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("custom_check", &self.custom.is_some())
            .field("token_cache", &self.token_cache)
            .finish_non_exhaustive()
    }
}

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
