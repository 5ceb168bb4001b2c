//! Where sessions (and sign-ins in progress) are kept: the
//! [`SessionStore`] trait, in memory for one process, on Redis for several.
//!
//! A store holds opaque JSON under keys the sign-in flow makes (a hash of
//! the session id, never the id itself), each with a time to live. Values
//! come back as `Arc<str>`: an in-process store hands out the value it
//! holds without copying it, and the flow recognises a value it has
//! already decoded by pointer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::revocation::StoreFuture;

/// The default bound of [`MemorySessionStore`].
pub const DEFAULT_MAX_SESSIONS: usize = 100_000;

/// A place sessions live. Errors should be
/// [`Error::SessionUnavailable`]: a store that cannot answer never signs a
/// user in or out by accident.
pub trait SessionStore: Send + Sync + 'static {
    /// The value under `key`, if it has not expired.
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Arc<str>>>;
    /// Stores `value` under `key` for `ttl`.
    fn save<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()>;
    /// Reads and removes the value under `key` at once (a sign-in's state
    /// is used once, even by two instances at the same moment).
    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Arc<str>>>;
    /// Removes the value under `key`.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;

    /// Whether values change only through the [`SignIn`](super::SignIn)
    /// that owns this store (an in-process store). Then a session it has
    /// decoded is served without reading the store on every request.
    /// Keep the default, `false`, for any store another process (or
    /// anything else) writes: its values are read on every request.
    fn is_local(&self) -> bool {
        false
    }
}

/// Sessions in this process (the default): nothing to run, lost on
/// restart, not shared between instances. Bounded: past
/// [`max_sessions`](Self::max_sessions) a new sign-in fails with
/// `session_unavailable` rather than pushing other users out.
#[derive(Debug)]
pub struct MemorySessionStore {
    entries: Mutex<HashMap<String, (Arc<str>, Instant)>>,
    max: usize,
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        MemorySessionStore {
            entries: Mutex::new(HashMap::new()),
            max: DEFAULT_MAX_SESSIONS,
        }
    }
}

impl MemorySessionStore {
    /// An empty store holding at most 100 000 entries.
    pub fn new() -> Self {
        MemorySessionStore::default()
    }

    /// The most entries held (sessions and sign-ins in progress).
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Arc<str>, Instant)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionStore for MemorySessionStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Arc<str>>> {
        let value = self
            .entries()
            .get(key)
            .filter(|(_, expires)| Instant::now() < *expires)
            .map(|(value, _)| Arc::clone(value));
        Box::pin(async move { Ok(value) })
    }

    fn save<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        let now = Instant::now();
        let mut entries = self.entries();
        if entries.len() >= self.max && !entries.contains_key(key) {
            entries.retain(|_, (_, expires)| now < *expires);
        }
        let outcome = if entries.len() >= self.max && !entries.contains_key(key) {
            Err(Error::SessionUnavailable(format!(
                "the in-memory session store is full ({} entries)",
                self.max
            )))
        } else {
            entries.insert(
                key.to_owned(),
                (Arc::from(value), crate::clock::later(now, ttl)),
            );
            Ok(())
        };
        Box::pin(async move { outcome })
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Arc<str>>> {
        let value = self
            .entries()
            .remove(key)
            .filter(|(_, expires)| Instant::now() < *expires)
            .map(|(value, _)| value);
        Box::pin(async move { Ok(value) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.entries().remove(key);
        Box::pin(async { Ok(()) })
    }

    /// Only its own [`SignIn`](super::SignIn) holds it.
    fn is_local(&self) -> bool {
        true
    }
}

/// Sessions on Redis or Valkey (feature `redis`), on the connection the
/// revocation list uses, so every instance pointed at it shares them.
/// Keys: `{prefix}:session:{hash}` and `{prefix}:sign-in:{hash}`, each with
/// its own expiry.
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    redis: crate::redis::Redis,
}

#[cfg(feature = "redis")]
impl RedisSessionStore {
    /// A store on this connection.
    pub fn new(redis: crate::redis::Redis) -> Self {
        RedisSessionStore { redis }
    }

    fn unavailable(err: Error) -> Error {
        match err {
            Error::RevocationUnavailable(why) => Error::SessionUnavailable(why),
            other => other,
        }
    }
}

#[cfg(feature = "redis")]
impl SessionStore for RedisSessionStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Arc<str>>> {
        Box::pin(async move {
            let mut manager = self.redis.manager();
            let value: Option<String> = self
                .redis
                .timed(
                    ::redis::cmd("GET")
                        .arg(self.redis.key(key))
                        .query_async(&mut manager),
                )
                .await
                .map_err(Self::unavailable)?;
            Ok(value.map(Arc::from))
        })
    }

    fn save<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut manager = self.redis.manager();
            let seconds = ttl.as_secs().clamp(1, 10 * 365 * 24 * 3600);
            self.redis
                .timed(
                    ::redis::cmd("SET")
                        .arg(self.redis.key(key))
                        .arg(value)
                        .arg("EX")
                        .arg(seconds)
                        .query_async::<()>(&mut manager),
                )
                .await
                .map_err(Self::unavailable)
        })
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Arc<str>>> {
        Box::pin(async move {
            let mut manager = self.redis.manager();
            let value: Option<String> = self
                .redis
                .timed(
                    ::redis::cmd("GETDEL")
                        .arg(self.redis.key(key))
                        .query_async(&mut manager),
                )
                .await
                .map_err(Self::unavailable)?;
            Ok(value.map(Arc::from))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut manager = self.redis.manager();
            self.redis
                .timed(
                    ::redis::cmd("DEL")
                        .arg(self.redis.key(key))
                        .query_async::<()>(&mut manager),
                )
                .await
                .map_err(Self::unavailable)
        })
    }
}
