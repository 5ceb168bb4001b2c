//! The verifier: the check pipeline in its fixed order.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Verifier::verify`]: size, parse, algorithm and `kid`, key, signature, then the claim checks, the custom check, the verified-token cache |
//! | `builder.rs` | [`VerifierBuilder`]: every knob and its default, validation of the configuration |
//! | `issuers.rs` | the issuer table: pools and OIDC issuers lowered into an expected `iss`, a key source and rules |
//! | `tenants.rs` | issuers found after start-up by a resolver, remembered (refusals too) |
//! | `checks.rs` | the claim checks after the signature: time, `iss`, token use, client, scopes, groups |
//! | `token_cache/` | tokens already verified, answered without the RSA operation (moka, a shared front table, the admission filter) |

mod builder;
mod checks;
mod issuers;
mod tenants;
mod token_cache;

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use serde::de::DeserializeOwned;

pub use builder::{DEFAULT_MAX_TOKEN_BYTES, DEFAULT_TENANT_CACHE, VerifierBuilder};

use crate::claims::{AccessClaims, IdClaims, Parts, TokenUse, VerifiedToken};
use crate::clock::Clock;
use crate::error::{Error, Result, echo, echo_opt};
use crate::keys::{CachedKey, KeyStore, PublicJwk};
use crate::revocation::RevocationList;
use crate::token::{self, HeaderAlg};
#[cfg(feature = "alb")]
pub(crate) use checks::{check_time, kept_ids};
use issuers::{Candidate, Candidates, IssuerTable};
use tenants::{TenantIssuer, Tenants};
pub use token_cache::CacheAdmission;
pub(crate) use token_cache::CachedVerification;
use token_cache::{TokenCache, TokenKey};

type CustomCheck = Arc<dyn Fn(&VerifiedToken) -> Result<()> + Send + Sync>;

/// What the verified-token cache said of a token ([`Verifier::probe`]).
pub(crate) enum Probe {
    /// Cached, and still valid.
    Hit(VerifiedToken),
    /// Not cached: verify it in full.
    Miss(Missed),
}

/// A token the cache does not hold, with its key for the insert.
pub(crate) struct Missed(Option<TokenKey>);

/// Verifies Cognito (and generic OIDC) tokens against cached JWKS.
///
/// Cheap to clone and safe to share across tasks and threads: clones share
/// one key cache.
///
/// Checks run in a fixed order and the first failure decides the error:
/// size, structure, algorithm and `kid`, key lookup, key fit, signature,
/// `exp`/`nbf`, `iss`, `token_use`, client id (or `aud`), scopes, groups,
/// the revocation list (when one is configured), the custom check. The verifier never fetches a URL taken from a token:
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
    issuers: IssuerTable,
    store: Arc<KeyStore>,
    tenants: Option<Tenants>,
    leeway: u64,
    max_token_bytes: usize,
    custom: Option<CustomCheck>,
    clock: Clock,
    token_cache: Option<TokenCache>,
    revocation: Option<RevocationList>,
}

impl Verifier {
    /// Starts a configuration.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies a token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken> {
        match self.probe(token)? {
            Probe::Hit(verified) => Ok(verified),
            Probe::Miss(missed) => self.verify_in_full(token, missed).await,
        }
    }

    /// Steps 1 and the verified-token cache, without waiting: a hit is
    /// answered here; a miss goes on to [`verify_in_full`](Self::verify_in_full)
    /// (which then does not look the token up again).
    pub(crate) fn probe(&self, token: &str) -> Result<Probe> {
        let inner = &*self.inner;
        // 1. size
        if token.len() > inner.max_token_bytes {
            return Err(Error::TokenTooLarge {
                size: token.len(),
                max: inner.max_token_bytes,
            });
        }
        let key = self.cache_key(token);
        Ok(match self.cached_by_key(key, token)? {
            Some(verified) => Probe::Hit(verified),
            None => Probe::Miss(Missed(key)),
        })
    }

    /// Steps 2 to 13, for a token the cache does not hold.
    pub(crate) async fn verify_in_full(
        &self,
        token: &str,
        Missed(cache_key): Missed,
    ) -> Result<VerifiedToken> {
        let inner = &*self.inner;
        // 2. structure and claim types
        let parsed = token::parse(token)?;
        let claims = token::claims(&parsed.payload)?;
        // 3. algorithm and kid. `iss` is unverified here: it only narrows
        // the configured issuers whose keys are tried (and, with a
        // resolver, names the tenant asked about).
        let mut candidates = inner
            .issuers
            .candidates(claims.iss.as_deref(), &inner.store);
        let tenant: Option<Arc<TenantIssuer>>;
        if let (false, Some(tenants), Some(iss)) = (
            candidates.names_configured_issuer(),
            &inner.tenants,
            claims.iss.as_deref(),
        ) {
            // Boxed, as the key fetch below: the rare slow steps do not
            // make every verification's future (moved on each call) large.
            tenant = Box::pin(tenants.find(iss)).await?;
            match &tenant {
                Some(found) => candidates = Candidates::One(found.candidate()),
                // Refused, and no configured issuer's keys to try.
                None if candidates.iter().next().is_none() => {
                    return Err(Error::InvalidIssuer {
                        expected: "an issuer the resolver accepts".to_owned(),
                        found: echo(iss),
                    });
                }
                None => {}
            }
        }
        let alg = match parsed.header.alg {
            HeaderAlg::Known(alg)
                if candidates
                    .iter()
                    .any(|candidate| candidate.entry.rules.accepts_alg(alg)) =>
            {
                alg
            }
            ref other => {
                return Err(Error::UnsupportedAlgorithm {
                    found: echo(other.name()),
                    accepted: candidates.accepted_algs(),
                });
            }
        };
        let Some(kid_owned) = parsed.header.kid else {
            return Err(Error::MissingKid);
        };
        let kid = kid_owned.as_str();
        // 4 - 6. the key, its fit, the signature. A cached key is used
        // without waiting and without writing shared memory; otherwise the
        // key of a configured issuer is looked up (and fetched) as the
        // cache rules allow.
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
            .filter(|candidate| candidate.entry.rules.accepts_alg(alg))
        {
            let lookup =
                candidate
                    .store
                    .with_cached_key(candidate.entry.source, kid, |key, generation| {
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
        let (Candidate { entry, store }, (key_fingerprint, key_generation)) = match cached {
            Some(found) => found,
            // A token naming an issuer that is not configured can only
            // fail: its keys may be tried when they are cached (so the
            // issuer is still judged after the signature), but nothing is
            // fetched for it.
            None if !candidates.names_configured_issuer() => {
                return Err(Error::InvalidIssuer {
                    expected: match inner.tenants {
                        Some(_) => format!(
                            "{} or an issuer the resolver accepts",
                            inner.issuers.names()
                        ),
                        None => inner.issuers.names(),
                    },
                    found: echo_opt(claims.iss.as_deref()),
                });
            }
            None => {
                let (candidate, key, generation) =
                    Box::pin(self.find_key(candidates, alg, kid)).await?;
                check(&key)?;
                (candidate, (key.fingerprint, generation))
            }
        };
        // 7. exp / nbf
        let now = (inner.clock)();
        checks::check_time(&claims, now, inner.leeway)?;
        // 8. iss
        checks::check_issuer(&claims, entry)?;
        // 9 - 11. token use, client, scopes, groups
        let token_use = checks::check_rules(&claims, entry)?;
        // 12. the revocation list; the version is read first, so a
        // revocation that arrives during the check is seen by the cache.
        let revocation_seen = match &inner.revocation {
            Some(list) => {
                let seen = list.version();
                list.check_ids(&checks::revocation_ids(&claims, &entry.iss), now)?;
                seen
            }
            None => 0,
        };
        let expires_at = claims.exp.unwrap_or_default();
        let ids = checks::kept_ids(&claims, &parsed.payload);
        let access_layout = match token_use {
            Some(TokenUse::Access) => checks::access_layout(&claims, &parsed.payload),
            _ => None,
        };
        drop(claims);
        let verified = VerifiedToken::new(Parts {
            issuer: Arc::clone(&entry.iss),
            kid: kid_owned.into_boxed_str(),
            token_use,
            expires_at,
            ids,
            payload: parsed.payload,
            access_layout,
        });
        // 13. the custom check
        if let Some(check) = &inner.custom {
            check(&verified)?;
        }
        if let (Some(cache), Some(key)) = (&inner.token_cache, cache_key) {
            let seconds_left =
                u64::try_from(verified.expires_at().saturating_sub(now)).unwrap_or(0);
            if seconds_left > 0 && cache.admits(key) {
                cache.insert(
                    key,
                    CachedVerification::new(
                        token,
                        verified.clone(),
                        (Arc::clone(store), entry.source),
                        (key_fingerprint, key_generation),
                        revocation_seen,
                        seconds_left,
                        cache.weight_floor,
                    ),
                );
            }
        }
        Ok(verified)
    }

    /// A verification remembered for exactly this token, if it still holds:
    /// not expired by the verifier's clock, its key still in the JWKS.
    /// Synchronous, for callers that want the hit without an `async` step
    /// (the session layer); a miss is then [`verify`](Self::verify)'s.
    #[cfg_attr(not(feature = "sessions"), allow(dead_code))]
    pub(crate) fn cached(&self, token: &str) -> Result<Option<VerifiedToken>> {
        self.cached_by_key(self.cache_key(token), token)
    }

    /// The token's key in the verified-token cache, when there is one.
    fn cache_key(&self, token: &str) -> Option<TokenKey> {
        self.inner
            .token_cache
            .as_ref()
            .map(|cache| cache.key(token))
    }

    /// [`cached`](Self::cached), with the token's key already computed.
    fn cached_by_key(&self, key: Option<TokenKey>, token: &str) -> Result<Option<VerifiedToken>> {
        let (Some(cache), Some(key)) = (&self.inner.token_cache, key) else {
            return Ok(None);
        };
        cache
            .with_entry(key, token, |entry| self.still_valid(entry))
            .transpose()
            .map(Option::flatten)
    }

    /// The verified-token cache's entry for exactly this token.
    #[cfg_attr(not(feature = "sessions"), allow(dead_code))]
    pub(crate) fn cache_entry(&self, token: &str) -> Option<Arc<CachedVerification>> {
        self.inner.token_cache.as_ref()?.get(token)
    }

    /// The verification an entry remembers, if it still holds (see
    /// [`cached`](Self::cached)); for a caller that keeps the entry of a
    /// token it sees again and again (a session). An entry that no longer
    /// holds leaves the cache.
    pub(crate) fn still_valid(&self, entry: &CachedVerification) -> Result<Option<VerifiedToken>> {
        let inner = &*self.inner;
        let Some(cache) = &inner.token_cache else {
            return Ok(None);
        };
        let token = entry.token();
        let slack = i64::try_from(inner.leeway).unwrap_or(i64::MAX);
        let now = (inner.clock)();
        let fresh = now < entry.verified.expires_at().saturating_add(slack);
        let key_unchanged = entry.store.key_unchanged(
            entry.source,
            &entry.kid,
            entry.key_fingerprint,
            &entry.key_generation,
        );
        if !(fresh && key_unchanged) {
            cache.remove(token);
            return Ok(None);
        }
        if let Some(list) = &inner.revocation {
            match list.check_since(|| entry.verified.ids(), &entry.revocation_seen, now) {
                Ok(()) => {}
                Err(err @ Error::Revoked(_)) => {
                    cache.remove(token);
                    return Err(err);
                }
                Err(err) => return Err(err),
            }
        }
        if let Some(check) = &inner.custom {
            check(&entry.verified)?;
        }
        Ok(Some(entry.verified.clone()))
    }

    /// How many times the issuer resolver was asked (diagnostics; 0
    /// without one).
    pub fn resolver_calls(&self) -> u64 {
        self.inner.tenants.as_ref().map_or(0, Tenants::calls)
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
        self.inner.issuers.entries().iter().map(|entry| &*entry.iss)
    }

    /// The `kid`s currently cached for an accepted issuer (diagnostics).
    pub fn cached_kids(&self, issuer: &str) -> Vec<String> {
        self.inner
            .issuers
            .get(issuer)
            .map(|entry| self.inner.store.cached_kids(entry.source))
            .unwrap_or_default()
    }

    /// Step 4: the key for `kid` among the candidates' sources.
    async fn find_key<'a>(
        &self,
        candidates: Candidates<'a>,
        alg: Algorithm,
        kid: &str,
    ) -> Result<(Candidate<'a>, Arc<PublicJwk>, u64)> {
        let mut unavailable = None;
        let mut lacking_kid = 0;
        let usable = |candidate: &Candidate<'_>| candidate.entry.rules.accepts_alg(alg);
        for (position, candidate) in candidates.iter().filter(usable).enumerate() {
            // Issuers may share a key source; ask each source once.
            let asked = candidates
                .iter()
                .filter(usable)
                .take(position)
                .any(|earlier| earlier.same_source(&candidate));
            if asked {
                continue;
            }
            match candidate.store.key(candidate.entry.source, kid).await {
                Ok((key, generation)) => return Ok((candidate, key, generation)),
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
