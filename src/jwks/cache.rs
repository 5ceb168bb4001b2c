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
    /// Milliseconds since the store's epoch when the cached set reaches
    /// its TTL (`u64::MAX` for a static set): one atomic load tells a hit
    /// whether a refresh is due.
    stale_at_ms: AtomicU64,
    /// Bumped whenever a new set is cached: a verification remembered with
    /// the current generation used a key that is still in place.
    generation: AtomicU64,
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
    generation: u64,
}

/// Why a fetch was asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    Cold,
    UnknownKid,
    Refresh,
}

/// Sets recently used by this thread: (store id, source, set). Reading
/// them touches no shared cache line, so verifications on several cores do
/// not slow each other down; the source's generation tells whether a
/// remembered set is still the current one.
type RecentSet = (usize, SourceId, Arc<CachedSet>);

/// How many sets a thread remembers.
const RECENT_SETS: usize = 8;

thread_local! {
    static RECENT_SETS_OF_THREAD: std::cell::RefCell<Vec<RecentSet>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The outcome of a key lookup that may not wait.
pub(crate) enum CachedKey<R> {
    /// The key was there; here is what the caller made of it.
    Found(R),
    /// The `kid` is in the set more than once.
    Ambiguous(Error),
    /// Nothing cached, or the `kid` is not in the cached set: take the
    /// waiting path.
    Miss,
}

/// The JWKS cache and fetcher shared by one verifier.
pub(crate) struct JwksStore {
    /// One entry per source (a JWKS URL, a discovery document or a static
    /// set), keyed by its index.
    sets: moka::sync::Cache<SourceId, Arc<CachedSet>>,
    sources: Vec<Source>,
    fetcher: Fetcher,
    options: CacheOptions,
    epoch: Instant,
    /// Tells this store's sets from another's in the per-thread memory.
    id: usize,
}

impl JwksStore {
    pub(crate) fn new(fetcher: Fetcher, options: CacheOptions) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        JwksStore {
            sets: moka::sync::Cache::builder().build(),
            sources: Vec::new(),
            fetcher,
            options,
            epoch: Instant::now(),
            id: usize::try_from(NEXT_ID.fetch_add(1, Ordering::Relaxed)).unwrap_or(0),
        }
    }

    /// The key for `kid` if the current set of source `id` is cached and
    /// holds it, handed to `use_key` together with the set's generation;
    /// nothing shared is written on the way. A due refresh is started.
    pub(crate) fn with_cached_key<R>(
        self: &Arc<Self>,
        id: SourceId,
        kid: &str,
        use_key: impl FnOnce(&PublicJwk, u64) -> R,
    ) -> CachedKey<R> {
        let Some(source) = self.sources.get(id) else {
            return CachedKey::Miss;
        };
        let generation = source.generation.load(Ordering::Acquire);
        if generation == 0 {
            return CachedKey::Miss;
        }
        if self.now_ms() >= source.stale_at_ms.load(Ordering::Relaxed)
            && let Some(set) = self.sets.get(&id)
        {
            self.refresh_in_background_if_stale(id, source, &set);
        }
        RECENT_SETS_OF_THREAD.with(|recent| {
            let mut recent = recent.borrow_mut();
            let position = recent.iter().position(|(store, source, set)| {
                *store == self.id && *source == id && set.generation == generation
            });
            let position = match position {
                Some(position) => position,
                None => {
                    let Some(set) = self.sets.get(&id) else {
                        return CachedKey::Miss;
                    };
                    recent.retain(|(store, source, _)| !(*store == self.id && *source == id));
                    if recent.len() >= RECENT_SETS {
                        recent.remove(0);
                    }
                    recent.push((self.id, id, set));
                    recent.len() - 1
                }
            };
            let Some((_, _, set)) = recent.get(position) else {
                return CachedKey::Miss;
            };
            match set.keys.get(kid) {
                Some(KeySlot::Key(key)) => CachedKey::Found(use_key(key, set.generation)),
                Some(slot @ KeySlot::Ambiguous(_)) => match slot_to_key(slot, kid) {
                    Err(err) => CachedKey::Ambiguous(err),
                    Ok(_) => CachedKey::Miss,
                },
                None => CachedKey::Miss,
            }
        })
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
        let generation = if let Location::Static(keys) = &location {
            self.sets.insert(
                self.sources.len(),
                Arc::new(CachedSet {
                    keys: keys.clone(),
                    fetched_at: Instant::now(),
                    generation: 1,
                }),
            );
            1
        } else {
            0
        };
        self.sources.push(Source {
            name,
            location,
            on_demand,
            fetch_lock: tokio::sync::Mutex::new(()),
            meta: Mutex::new(FetchMeta::default()),
            next_refresh_ms: AtomicU64::new(0),
            stale_at_ms: AtomicU64::new(u64::MAX),
            generation: AtomicU64::new(generation),
        });
        self.sources.len() - 1
    }

    /// The key for `kid` from source `id`, fetching as the rules allow.
    pub(crate) async fn key(
        self: &Arc<Self>,
        id: SourceId,
        kid: &str,
    ) -> Result<(Arc<PublicJwk>, u64), Error> {
        let source = self.source(id)?;
        let cached = self.sets.get(&id);
        let set = match cached {
            Some(set) => {
                self.refresh_if_due(id, source, &set);
                if let Some(slot) = set.keys.get(kid) {
                    return slot_to_key(slot, kid).map(|key| (key, set.generation));
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
            Some(slot) => slot_to_key(slot, kid).map(|key| (key, set.generation)),
            None => Err(unknown_kid(kid)),
        }
    }

    /// Whether a key that verified a token (`kid` with `fingerprint`, seen
    /// in generation `seen`) is still the key under that `kid`. One atomic
    /// load while the set is unchanged; after a refresh, a look at the new
    /// set (and `seen` moves on when the key survived). Also starts a
    /// background refresh when one is due, as any key lookup does.
    pub(crate) fn key_unchanged(
        self: &Arc<Self>,
        id: SourceId,
        kid: &str,
        fingerprint: u64,
        seen: &AtomicU64,
    ) -> bool {
        let Some(source) = self.sources.get(id) else {
            return false;
        };
        if self.now_ms() >= source.stale_at_ms.load(Ordering::Relaxed)
            && let Some(set) = self.sets.get(&id)
        {
            self.refresh_in_background_if_stale(id, source, &set);
        }
        let current = source.generation.load(Ordering::Acquire);
        if seen.load(Ordering::Relaxed) == current {
            return true;
        }
        if self.cached_fingerprint(id, kid) == Some(fingerprint) {
            seen.store(current, Ordering::Relaxed);
            return true;
        }
        false
    }

    fn refresh_if_due(self: &Arc<Self>, id: SourceId, source: &Source, set: &CachedSet) {
        if self.now_ms() >= source.stale_at_ms.load(Ordering::Relaxed) {
            self.refresh_in_background_if_stale(id, source, set);
        }
    }

    /// Fetches every source that is not on demand and not cached yet.
    pub(crate) async fn hydrate(self: &Arc<Self>) -> Vec<(String, Error)> {
        let mut failures = Vec::new();
        for (id, source) in self.sources.iter().enumerate() {
            if source.on_demand || self.sets.contains_key(&id) {
                continue;
            }
            if let Err(err) = self.fetch(id, None, Reason::Cold).await {
                failures.push((source.name.to_string(), err));
            }
        }
        failures
    }

    /// The fingerprint of the key now cached under `kid`, without fetching.
    fn cached_fingerprint(&self, id: SourceId, kid: &str) -> Option<u64> {
        match self.sets.get(&id)?.keys.get(kid)? {
            KeySlot::Key(key) => Some(key.fingerprint),
            KeySlot::Ambiguous(_) => None,
        }
    }

    /// The `kid`s currently cached for a source (for diagnostics and tests).
    pub(crate) fn cached_kids(&self, id: SourceId) -> Vec<String> {
        self.sets
            .get(&id)
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
            let outcome = match store.sets.get(&id) {
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
        if let Some(current) = self.sets.get(&id) {
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
        // A set with no usable keys cannot be right where keys were before:
        // treated as a failed fetch, so the cached keys keep serving.
        let had_keys = seen.is_some_and(|set| set.keys.len() > 0);
        let result = self.download(source).await.and_then(|keys| {
            if had_keys && keys.len() == 0 {
                Err("the JWKS holds no usable keys; keeping the cached ones".to_owned())
            } else {
                Ok(keys)
            }
        });
        let mut meta = source.meta.lock().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok(keys) => {
                meta.failures = 0;
                meta.retry_at = None;
                meta.last_error = None;
                drop(meta);
                tracing::debug!(source = %source.name, keys = keys.len(), "JWKS fetched");
                let generation = source.generation.load(Ordering::Relaxed) + 1;
                let set = Arc::new(CachedSet {
                    keys: Arc::new(keys),
                    fetched_at: Instant::now(),
                    generation,
                });
                self.sets.insert(id, set.clone());
                let ttl_ms = u64::try_from(self.options.ttl.as_millis()).unwrap_or(u64::MAX / 2);
                source
                    .stale_at_ms
                    .store(self.now_ms().saturating_add(ttl_ms), Ordering::Relaxed);
                source.generation.store(generation, Ordering::Release);
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
