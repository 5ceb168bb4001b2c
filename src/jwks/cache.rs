//! The JWKS cache: one moka entry per JWKS source, keys parsed once.
//!
//! * The hit path reads moka and a hash map; it takes no lock a fetch holds.
//! * Concurrent misses on one source share one fetch (a per-source async
//!   lock, taken only on the miss path).
//! * An unknown `kid` refetches at most once per cooldown; during the
//!   cooldown it fails at once.
//! * Failed fetches back off exponentially up to a cap.
//! * After the TTL a background task refreshes the set; if that fails the
//!   cached keys keep serving.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::Url;
use tokio::sync::OnceCell;

use super::fetch::Fetcher;
use crate::error::{Error, echo};
use crate::jwk::{KeySet, KeySlot, PublicJwk};

/// Timing knobs of the cache.
#[derive(Debug, Clone)]
pub(crate) struct CacheOptions {
    /// Age after which a set is refreshed in the background.
    pub(crate) ttl: Duration,
    /// Minimum time between refetches caused by unknown `kid`s.
    pub(crate) kid_miss_cooldown: Duration,
    /// First delay after a failed fetch; doubles per failure.
    pub(crate) backoff_base: Duration,
    /// Longest delay after failed fetches.
    pub(crate) backoff_cap: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            ttl: Duration::from_secs(3600),
            kid_miss_cooldown: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

/// Where a source's keys come from.
pub(crate) enum Location {
    /// A JWKS URL.
    Url(Url),
    /// OIDC discovery: the JWKS URL is read from the issuer's
    /// `/.well-known/openid-configuration`.
    Discovery {
        issuer: String,
        config_url: Url,
        jwks_url: OnceCell<Url>,
    },
    /// Keys given in the configuration; never fetched.
    Static(Arc<KeySet>),
}

/// Index of a source in the store.
pub(crate) type SourceId = usize;

struct Source {
    /// The cache key and the name in messages (the URL).
    name: Arc<str>,
    location: Location,
    /// Fetched only when a token names it (not by `hydrate`).
    on_demand: bool,
    /// Serialises fetches of this source; held only on the miss path.
    fetch_lock: tokio::sync::Mutex<()>,
    meta: Mutex<FetchMeta>,
    /// Milliseconds since the store's epoch before which no background
    /// refresh may start; `u64::MAX` while one runs.
    next_refresh_ms: AtomicU64,
}

#[derive(Default)]
struct FetchMeta {
    last_attempt: Option<Instant>,
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
}

/// A set as cached, with the time it arrived.
pub(crate) struct CachedSet {
    keys: Arc<KeySet>,
    fetched_at: Instant,
}

/// Why a fetch was asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    Cold,
    UnknownKid,
    Refresh,
}

/// The JWKS cache and fetcher shared by one verifier.
pub(crate) struct JwksStore {
    sets: moka::sync::Cache<Arc<str>, Arc<CachedSet>>,
    sources: Vec<Source>,
    fetcher: Fetcher,
    options: CacheOptions,
    epoch: Instant,
}

impl JwksStore {
    pub(crate) fn new(fetcher: Fetcher, options: CacheOptions) -> Self {
        JwksStore {
            sets: moka::sync::Cache::builder().build(),
            sources: Vec::new(),
            fetcher,
            options,
            epoch: Instant::now(),
        }
    }

    /// Adds a source, or returns the existing one with the same name.
    pub(crate) fn add_source(
        &mut self,
        name: String,
        location: Location,
        on_demand: bool,
    ) -> SourceId {
        if let Some(index) = self
            .sources
            .iter()
            .position(|source| &*source.name == name.as_str())
        {
            if let Some(source) = self.sources.get_mut(index) {
                source.on_demand &= on_demand;
            }
            return index;
        }
        let name: Arc<str> = Arc::from(name);
        if let Location::Static(keys) = &location {
            self.sets.insert(
                name.clone(),
                Arc::new(CachedSet {
                    keys: keys.clone(),
                    fetched_at: Instant::now(),
                }),
            );
        }
        self.sources.push(Source {
            name,
            location,
            on_demand,
            fetch_lock: tokio::sync::Mutex::new(()),
            meta: Mutex::new(FetchMeta::default()),
            next_refresh_ms: AtomicU64::new(0),
        });
        self.sources.len() - 1
    }

    pub(crate) fn source_name(&self, id: SourceId) -> &str {
        self.sources
            .get(id)
            .map_or("unknown source", |source| &source.name)
    }

    /// The key for `kid` from source `id`, fetching as the rules allow.
    pub(crate) async fn key(
        self: &Arc<Self>,
        id: SourceId,
        kid: &str,
    ) -> Result<Arc<PublicJwk>, Error> {
        let source = self.source(id)?;
        let cached = self.sets.get(&source.name);
        let set = match cached {
            Some(set) => {
                self.refresh_in_background_if_stale(id, source, &set);
                if let Some(slot) = set.keys.get(kid) {
                    return slot_to_key(slot, kid);
                }
                if !self.may_refetch_for_unknown_kid(source) {
                    return Err(unknown_kid(kid));
                }
                match self.fetch(id, Some(&set), Reason::UnknownKid).await {
                    Ok(fresh) => fresh,
                    // The keys we have do not hold the kid and no fresh set
                    // could be had: the kid is unknown.
                    Err(_) => return Err(unknown_kid(kid)),
                }
            }
            None => self.fetch(id, None, Reason::Cold).await?,
        };
        match set.keys.get(kid) {
            Some(slot) => slot_to_key(slot, kid),
            None => Err(unknown_kid(kid)),
        }
    }

    /// Fetches every source that is not on demand and not cached yet.
    pub(crate) async fn hydrate(self: &Arc<Self>) -> Vec<(String, Error)> {
        let mut failures = Vec::new();
        for (id, source) in self.sources.iter().enumerate() {
            if source.on_demand || self.sets.contains_key(&source.name) {
                continue;
            }
            if let Err(err) = self.fetch(id, None, Reason::Cold).await {
                failures.push((source.name.to_string(), err));
            }
        }
        failures
    }

    /// The `kid`s currently cached for a source (for diagnostics and tests).
    pub(crate) fn cached_kids(&self, id: SourceId) -> Vec<String> {
        let Some(source) = self.sources.get(id) else {
            return Vec::new();
        };
        self.sets
            .get(&source.name)
            .map(|set| set.keys.kids().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    fn source(&self, id: SourceId) -> Result<&Source, Error> {
        self.sources
            .get(id)
            .ok_or_else(|| Error::config(format!("JWKS source {id} does not exist")))
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn refresh_in_background_if_stale(
        self: &Arc<Self>,
        id: SourceId,
        source: &Source,
        set: &CachedSet,
    ) {
        if matches!(source.location, Location::Static(_))
            || set.fetched_at.elapsed() < self.options.ttl
        {
            return;
        }
        let now = self.now_ms();
        let gate = source.next_refresh_ms.load(Ordering::Acquire);
        if now < gate
            || source
                .next_refresh_ms
                .compare_exchange(gate, u64::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            source.next_refresh_ms.store(0, Ordering::Release);
            return;
        };
        let store = Arc::clone(self);
        runtime.spawn(async move {
            let outcome = match store.sets.get(store.source_name(id)) {
                Some(seen) => store
                    .fetch(id, Some(&seen), Reason::Refresh)
                    .await
                    .map(drop),
                None => Ok(()),
            };
            if let Ok(source) = store.source(id) {
                let next = match outcome {
                    Ok(()) => 0,
                    Err(_) => store.retry_delay_ms(source),
                };
                source.next_refresh_ms.store(next, Ordering::Release);
            }
        });
    }

    fn retry_delay_ms(&self, source: &Source) -> u64 {
        let meta = source.meta.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = meta
            .retry_at
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(self.options.backoff_base);
        self.now_ms()
            .saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX / 2))
    }

    fn may_refetch_for_unknown_kid(&self, source: &Source) -> bool {
        if matches!(source.location, Location::Static(_)) {
            return false;
        }
        let meta = source.meta.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let cooled = meta
            .last_attempt
            .is_none_or(|at| now.saturating_duration_since(at) >= self.options.kid_miss_cooldown);
        let backing_off = meta.retry_at.is_some_and(|at| now < at);
        cooled && !backing_off
    }

    /// One fetch at a time per source; a caller that waited for another's
    /// fetch takes its result instead of fetching again.
    async fn fetch(
        &self,
        id: SourceId,
        seen: Option<&Arc<CachedSet>>,
        reason: Reason,
    ) -> Result<Arc<CachedSet>, Error> {
        let source = self.source(id)?;
        let _turn = source.fetch_lock.lock().await;
        if let Some(current) = self.sets.get(&source.name) {
            let newer = seen.is_none_or(|seen| !Arc::ptr_eq(seen, &current));
            if newer {
                return Ok(current);
            }
        }
        if let Location::Static(_) = source.location {
            return Err(self.unavailable(source, "static JWKS is not cached".to_owned()));
        }
        {
            let mut meta = source.meta.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            if let Some(retry_at) = meta.retry_at.filter(|at| now < *at) {
                let last = meta.last_error.clone().unwrap_or_default();
                let wait = retry_at.saturating_duration_since(now).as_millis();
                drop(meta);
                return Err(self.unavailable(source, format!("{last} (next attempt in {wait} ms)")));
            }
            if reason == Reason::UnknownKid
                && meta.last_attempt.is_some_and(|at| {
                    now.saturating_duration_since(at) < self.options.kid_miss_cooldown
                })
            {
                drop(meta);
                return Err(self.unavailable(source, "refetch cooldown".to_owned()));
            }
            meta.last_attempt = Some(now);
        }
        let result = self.download(source).await;
        let mut meta = source.meta.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(keys) => {
                meta.failures = 0;
                meta.retry_at = None;
                meta.last_error = None;
                drop(meta);
                tracing::debug!(source = %source.name, keys = keys.len(), "JWKS fetched");
                let set = Arc::new(CachedSet {
                    keys: Arc::new(keys),
                    fetched_at: Instant::now(),
                });
                self.sets.insert(source.name.clone(), set.clone());
                Ok(set)
            }
            Err(reason) => {
                meta.failures = meta.failures.saturating_add(1);
                let delay = backoff(&self.options, meta.failures);
                meta.retry_at = Some(Instant::now() + delay);
                meta.last_error = Some(reason.clone());
                let failures = meta.failures;
                drop(meta);
                tracing::warn!(
                    source = %source.name,
                    %reason,
                    failures,
                    retry_in_ms = delay.as_millis() as u64,
                    "JWKS fetch failed"
                );
                Err(self.unavailable(source, reason))
            }
        }
    }

    async fn download(&self, source: &Source) -> Result<KeySet, String> {
        let url = match &source.location {
            Location::Url(url) => url.clone(),
            Location::Discovery {
                issuer,
                config_url,
                jwks_url,
            } => jwks_url
                .get_or_try_init(|| self.discover(issuer, config_url))
                .await?
                .clone(),
            Location::Static(_) => return Err("a static JWKS is never fetched".to_owned()),
        };
        let body = self.fetcher.get(&url).await?;
        KeySet::parse(&body)
    }

    async fn discover(&self, issuer: &str, config_url: &Url) -> Result<Url, String> {
        let body = self
            .fetcher
            .get(config_url)
            .await
            .map_err(|err| format!("OIDC discovery at {config_url} failed: {err}"))?;
        let document: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|err| format!("OIDC discovery document is not JSON: {err}"))?;
        let found_issuer = document.get("issuer").and_then(|value| value.as_str());
        if found_issuer != Some(issuer) {
            return Err(format!(
                "OIDC discovery document names issuer {}, expected {}",
                found_issuer.map_or_else(|| "none".to_owned(), echo),
                echo(issuer)
            ));
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(|value| value.as_str())
            .ok_or_else(|| "OIDC discovery document has no jwks_uri".to_owned())?;
        let url = Url::parse(jwks_uri).map_err(|err| format!("jwks_uri is not a URL: {err}"))?;
        self.fetcher.check_url(&url)?;
        Ok(url)
    }

    fn unavailable(&self, source: &Source, reason: String) -> Error {
        Error::JwksUnavailable {
            source_name: source.name.to_string(),
            reason,
        }
    }
}

fn slot_to_key(slot: &KeySlot, kid: &str) -> Result<Arc<PublicJwk>, Error> {
    match slot {
        KeySlot::Key(key) => Ok(key.clone()),
        KeySlot::Ambiguous(count) => Err(Error::InvalidKey {
            kid: echo(kid),
            reason: format!("the JWKS holds {count} keys with this kid; refusing to guess"),
        }),
    }
}

fn unknown_kid(kid: &str) -> Error {
    Error::UnknownKid { kid: echo(kid) }
}

/// The delay after the `failures`-th consecutive failure.
fn backoff(options: &CacheOptions, failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    options
        .backoff_base
        .saturating_mul(1u32 << exponent)
        .min(options.backoff_cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let options = CacheOptions {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(1000),
            ..CacheOptions::default()
        };
        let delays: Vec<_> = (1..=6).map(|n| backoff(&options, n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(&options, u32::MAX).as_millis(), 1000);
    }
}
