//! The ALB's keys: one PEM per `kid` at `{keys_url}/{kid}`, each cached in
//! its own key store (so the JWKS fetch rules hold per key: one fetch at
//! a time, backoff after failures, a refresh after the TTL). A `kid` never
//! seen before is fetched only within a budget (so many new `kid`s per
//! cooldown), and a `kid` the endpoint does not know is remembered as
//! unknown for the cooldown: a flood of made-up `kid`s costs a few
//! fetches, not one each.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::Url;

use crate::error::{Error, Result, echo};
use crate::keys::{CacheOptions, Fetcher, KeyStore, Location, PublicJwk, fetch};

/// The keys of one ALB verifier.
pub(crate) struct AlbKeys {
    base: Url,
    fetcher: Fetcher,
    options: CacheOptions,
    stores: moka::sync::Cache<String, Arc<KeyStore>>,
    unknown: moka::sync::Cache<String, ()>,
    budget: Mutex<Budget>,
}

/// New `kid`s fetched in the current cooldown window.
struct Budget {
    window_start: Instant,
    used: u32,
    max: u32,
}

impl Budget {
    fn take(&mut self, now: Instant, window: Duration) -> bool {
        if now.duration_since(self.window_start) >= window {
            self.window_start = now;
            self.used = 0;
        }
        if self.used >= self.max {
            return false;
        }
        self.used += 1;
        true
    }
}

impl AlbKeys {
    pub(crate) fn new(
        base: Url,
        fetcher: Fetcher,
        options: CacheOptions,
        max_keys: u64,
        new_kids_per_cooldown: u32,
    ) -> Self {
        AlbKeys {
            base,
            stores: moka::sync::Cache::new(max_keys),
            unknown: moka::sync::Cache::builder()
                .max_capacity(max_keys.saturating_mul(16))
                .time_to_live(options.kid_miss_cooldown.max(Duration::from_millis(1)))
                .build(),
            budget: Mutex::new(Budget {
                window_start: Instant::now(),
                used: 0,
                max: new_kids_per_cooldown,
            }),
            fetcher,
            options,
        }
    }

    /// The key under `kid` (already checked to be an ALB key id) and its
    /// generation.
    pub(crate) async fn key(&self, kid: &str) -> Result<(Arc<PublicJwk>, u64, Arc<KeyStore>)> {
        if self.unknown.contains_key(kid) {
            return Err(unknown_kid(kid));
        }
        let store = match self.stores.get(kid) {
            Some(store) => store,
            None => self.admit(kid)?,
        };
        match store.key(0, kid).await {
            Ok((key, generation)) => Ok((key, generation, store)),
            Err(Error::JwksUnavailable { reason, .. }) if fetch::names_nothing(&reason) => {
                self.stores.invalidate(kid);
                self.unknown.insert(kid.to_owned(), ());
                Err(unknown_kid(kid))
            }
            Err(err) => Err(err),
        }
    }

    /// A store for a `kid` not seen before, within the budget.
    fn admit(&self, kid: &str) -> Result<Arc<KeyStore>> {
        let mut budget = self.budget.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = self.stores.get(kid) {
            return Ok(store);
        }
        if !budget.take(Instant::now(), self.options.kid_miss_cooldown) {
            tracing::debug!(kid = %echo(kid), "ALB key not fetched: too many new kids in this cooldown");
            return Err(unknown_kid(kid));
        }
        let url = self
            .base
            .join(kid)
            .map_err(|err| Error::config(format!("cannot build the ALB key URL: {err}")))?;
        let mut store = KeyStore::new(self.fetcher.clone(), self.options.clone());
        store.add_source(
            url.to_string(),
            Location::Pem {
                url,
                kid: kid.to_owned(),
            },
            false,
        );
        let store = Arc::new(store);
        self.stores.insert(kid.to_owned(), Arc::clone(&store));
        Ok(store)
    }
}

fn unknown_kid(kid: &str) -> Error {
    Error::UnknownKid { kid: echo(kid) }
}
