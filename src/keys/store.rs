//! The key store: for each source (a JWKS URL, a discovery document or a
//! static set) the current key set, swapped atomically when a fetch
//! brings a new one.
//!
//! * A hit loads the current set through `arc-swap` and looks the `kid` up
//!   in its map: no lock, no reference count, nothing shared written, so
//!   verifications on several cores do not slow each other down.
//! * Concurrent misses on one source share one fetch (a per-source async
//!   lock, taken only on the miss path); when to fetch at all is the
//!   [`Schedule`]'s call (kid-miss cooldown, backoff after failures).
//! * After the TTL a background task refreshes the set; if that fails the
//!   cached keys keep serving.
//! * Every new set gets the next generation number, so a verification
//!   remembered with a generation knows whether its key may have changed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use arc_swap::ArcSwapOption;
use reqwest::Url;

use super::fetch::Fetcher;
use super::jwk::{KeySet, KeySlot, PublicJwk};
pub(crate) use super::schedule::CacheOptions;
use super::schedule::{Reason, Schedule};
use crate::clock::later;
use crate::error::{Error, echo};

/// Where a source's keys come from.
pub(crate) enum Location {
    /// A JWKS URL.
    Url(Url),
    /// OIDC discovery: the JWKS URL is read from the issuer's
    /// `/.well-known/openid-configuration`, again whenever the set is
    /// refreshed.
    Discovery { issuer: String, config_url: Url },
    /// Keys given in the configuration; never fetched.
    Static(Arc<KeySet>),
    /// One key as a PEM, under `kid` (the ALB's key endpoint).
    #[cfg_attr(not(feature = "alb"), allow(dead_code))]
    Pem { url: Url, kid: String },
}

/// Index of a source in the store.
pub(crate) type SourceId = usize;

/// A key set as cached.
struct Version {
    keys: KeySet,
    fetched_at: Instant,
    /// When a background refresh is due (`None`: never, a static set).
    stale_at: Option<Instant>,
    generation: u64,
    /// The JWKS URL a discovery document named for this set.
    discovered: Option<Url>,
}

struct Source {
    /// The name in messages (the URL).
    name: Arc<str>,
    location: Location,
    /// Fetched only when a token names it (not by `hydrate`).
    on_demand: bool,
    current: ArcSwapOption<Version>,
    /// Serialises fetches of this source; held only on the miss path.
    fetch_lock: tokio::sync::Mutex<()>,
    schedule: Mutex<Schedule>,
    /// Milliseconds since the store's epoch before which no background
    /// refresh may start; `u64::MAX` while one runs.
    refresh_gate: AtomicU64,
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

/// The key sets of one verifier.
pub(crate) struct KeyStore {
    sources: Vec<Source>,
    fetcher: Fetcher,
    options: CacheOptions,
    epoch: Instant,
}

impl KeyStore {
    pub(crate) fn new(fetcher: Fetcher, options: CacheOptions) -> Self {
        KeyStore {
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
        let current = match &location {
            Location::Static(keys) => Some(Arc::new(Version {
                keys: keys.as_ref().clone(),
                fetched_at: Instant::now(),
                stale_at: None,
                generation: 1,
                discovered: None,
            })),
            _ => None,
        };
        self.sources.push(Source {
            name: Arc::from(name),
            location,
            on_demand,
            current: ArcSwapOption::new(current),
            fetch_lock: tokio::sync::Mutex::new(()),
            schedule: Mutex::new(Schedule::default()),
            refresh_gate: AtomicU64::new(0),
        });
        self.sources.len() - 1
    }

    /// The key for `kid` if the current set of source `id` holds it, handed
    /// to `use_key` together with the set's generation; never waits. A due
    /// refresh is started in the background.
    pub(crate) fn with_cached_key<R>(
        self: &Arc<Self>,
        id: SourceId,
        kid: &str,
        use_key: impl FnOnce(&PublicJwk, u64) -> R,
    ) -> CachedKey<R> {
        let Some(source) = self.sources.get(id) else {
            return CachedKey::Miss;
        };
        let current = source.current.load();
        let Some(set) = current.as_deref() else {
            return CachedKey::Miss;
        };
        self.refresh_if_due(id, source, set);
        match set.keys.get(kid) {
            Some(KeySlot::Key(key)) => CachedKey::Found(use_key(key, set.generation)),
            Some(slot @ KeySlot::Ambiguous(_)) => match slot_to_key(slot, kid) {
                Err(err) => CachedKey::Ambiguous(err),
                Ok(_) => CachedKey::Miss,
            },
            None => CachedKey::Miss,
        }
    }

    /// The key for `kid` from source `id`, fetching as the rules allow.
    pub(crate) async fn key(
        self: &Arc<Self>,
        id: SourceId,
        kid: &str,
    ) -> Result<(Arc<PublicJwk>, u64), Error> {
        let source = self.source(id)?;
        let cached = source.current.load_full();
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
    /// in generation `seen`) is still the key under that `kid`. One load
    /// while the set is unchanged; after a new set arrived, a look at it
    /// (and `seen` moves on when the key survived). Starts a background
    /// refresh when one is due, as any key lookup does.
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
        let current = source.current.load();
        let Some(set) = current.as_deref() else {
            return false;
        };
        self.refresh_if_due(id, source, set);
        if seen.load(Ordering::Relaxed) == set.generation {
            return true;
        }
        match set.keys.get(kid) {
            Some(KeySlot::Key(key)) if key.fingerprint == fingerprint => {
                seen.store(set.generation, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Fetches every source that is not on demand and not cached yet.
    pub(crate) async fn hydrate(self: &Arc<Self>) -> Vec<(String, Error)> {
        let mut failures = Vec::new();
        for (id, source) in self.sources.iter().enumerate() {
            if source.on_demand || source.current.load().is_some() {
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
        self.sources
            .get(id)
            .and_then(|source| source.current.load_full())
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

    fn schedule<'a>(&self, source: &'a Source) -> MutexGuard<'a, Schedule> {
        source
            .schedule
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a background refresh of `set` when its TTL has passed, no
    /// refresh runs, and no backoff holds refreshes back.
    fn refresh_if_due(self: &Arc<Self>, id: SourceId, source: &Source, set: &Version) {
        let Some(stale_at) = set.stale_at else {
            return;
        };
        if Instant::now() < stale_at {
            return;
        }
        let now = self.now_ms();
        let gate = source.refresh_gate.load(Ordering::Acquire);
        if now < gate
            || source
                .refresh_gate
                .compare_exchange(gate, u64::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            source.refresh_gate.store(0, Ordering::Release);
            return;
        };
        let store = Arc::clone(self);
        runtime.spawn(async move {
            let Ok(source) = store.source(id) else {
                return;
            };
            let outcome = match source.current.load_full() {
                Some(seen) => store
                    .fetch(id, Some(&seen), Reason::Refresh)
                    .await
                    .map(drop),
                None => Ok(()),
            };
            let next = match outcome {
                Ok(()) => 0,
                Err(_) => {
                    let wait = store.schedule(source).wait(Instant::now(), &store.options);
                    store
                        .now_ms()
                        .saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX / 2))
                }
            };
            source.refresh_gate.store(next, Ordering::Release);
        });
    }

    fn may_refetch_for_unknown_kid(&self, source: &Source) -> bool {
        !matches!(source.location, Location::Static(_))
            && self
                .schedule(source)
                .may_refetch_for_unknown_kid(Instant::now(), &self.options)
    }

    /// One fetch at a time per source; a caller that waited for another's
    /// fetch takes its result instead of fetching again.
    async fn fetch(
        &self,
        id: SourceId,
        seen: Option<&Arc<Version>>,
        reason: Reason,
    ) -> Result<Arc<Version>, Error> {
        let source = self.source(id)?;
        let _turn = source.fetch_lock.lock().await;
        let current = source.current.load_full();
        if let Some(current) = &current {
            let newer = seen.is_none_or(|seen| !Arc::ptr_eq(seen, current));
            if newer {
                return Ok(current.clone());
            }
        }
        if let Location::Static(_) = source.location {
            return Err(unavailable(source, "static JWKS is not cached".to_owned()));
        }
        self.schedule(source)
            .begin(Instant::now(), reason, &self.options)
            .map_err(|why| unavailable(source, why))?;
        // A set with no usable keys cannot be right where keys were before:
        // treated as a failed fetch, so the cached keys keep serving.
        let had_keys = seen.is_some_and(|set| set.keys.len() > 0);
        let result =
            self.download(source, current.as_deref())
                .await
                .and_then(|(keys, discovered)| {
                    if had_keys && keys.len() == 0 {
                        Err("the JWKS holds no usable keys; keeping the cached ones".to_owned())
                    } else {
                        Ok((keys, discovered))
                    }
                });
        match result {
            Ok((keys, discovered)) => {
                self.schedule(source).succeeded();
                tracing::debug!(source = %source.name, keys = keys.len(), "JWKS fetched");
                let now = Instant::now();
                let set = Arc::new(Version {
                    keys,
                    fetched_at: now,
                    stale_at: Some(later(now, self.options.ttl)),
                    generation: current.as_ref().map_or(0, |set| set.generation) + 1,
                    discovered,
                });
                source.current.store(Some(set.clone()));
                Ok(set)
            }
            Err(reason) => {
                let (delay, failures) =
                    self.schedule(source)
                        .failed(Instant::now(), reason.clone(), &self.options);
                tracing::warn!(
                    source = %source.name,
                    %reason,
                    failures,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "JWKS fetch failed"
                );
                Err(unavailable(source, reason))
            }
        }
    }

    /// Downloads and parses a source's set; with discovery, the JWKS URL
    /// the current set was fetched from is reused until that set's TTL.
    async fn download(
        &self,
        source: &Source,
        current: Option<&Version>,
    ) -> Result<(KeySet, Option<Url>), String> {
        let (url, discovered) = match &source.location {
            Location::Url(url) => (url.clone(), None),
            Location::Discovery { issuer, config_url } => {
                let fresh = current.and_then(|set| {
                    set.discovered
                        .clone()
                        .filter(|_| set.fetched_at.elapsed() < self.options.ttl)
                });
                let url = match fresh {
                    Some(url) => url,
                    None => self.fetcher.discover(issuer, config_url).await?,
                };
                (url.clone(), Some(url))
            }
            Location::Static(_) => return Err("a static JWKS is never fetched".to_owned()),
            Location::Pem { url, kid } => {
                let body = self.fetcher.get(url).await?;
                return Ok((KeySet::from_p256_pem(&body, kid)?, None));
            }
        };
        let body = self.fetcher.get(&url).await?;
        Ok((KeySet::parse(&body)?, discovered))
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

fn unavailable(source: &Source, reason: String) -> Error {
    Error::JwksUnavailable {
        source_name: source.name.to_string(),
        reason,
    }
}
