//! One connection to Redis (or Valkey) for everything the crate keeps
//! there — the revocation list and browser sessions (feature `redis`).
//!
//! [`Redis`] wraps the `redis` crate's client and a `ConnectionManager`
//! (multiplexed, reconnects on its own) with short timeouts, so a request
//! that touches Redis fails fast rather than hanging when it is down, and a
//! key prefix so several applications can share one server. Clone it into
//! every store: clones share the connection.
//!
//! `redis://`, `rediss://` (TLS, with the crate's `rustls` or `native-tls`
//! feature), `valkey://`, `valkeys://` and `unix://` URLs are accepted.
//!
//! ```no_run
//! use cognito_auth::redis::Redis;
//! use cognito_auth::revocation::{RedisStore, RevocationList};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cognito_auth::Error> {
//! let redis = Redis::builder("redis://127.0.0.1:6379").prefix("my-app").build()?;
//! let revocations = RevocationList::builder(RedisStore::new(redis.clone())).start()?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};

use crate::error::{Error, Result};

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "cognito-auth";
/// The default time a command may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// A shared connection to Redis or Valkey. Cheap to clone.
#[derive(Clone)]
pub struct Redis {
    client: ::redis::Client,
    manager: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
    shown: Arc<str>,
}

/// Configuration of a [`Redis`] connection.
#[derive(Clone)]
pub struct RedisBuilder {
    url: String,
    prefix: String,
    timeout: Duration,
}

impl Redis {
    /// A connection with the default prefix and timeout; see
    /// [`builder`](Self::builder).
    pub fn open(url: &str) -> Result<Self> {
        Redis::builder(url).build()
    }

    /// Starts a configuration for the server at `url`.
    pub fn builder(url: impl Into<String>) -> RedisBuilder {
        RedisBuilder {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Checks that the server answers (`PING`).
    pub async fn ping(&self) -> Result<()> {
        let mut manager = self.manager();
        let answer: std::result::Result<String, _> = self
            .timed(::redis::cmd("PING").query_async(&mut manager))
            .await;
        answer.map(drop)
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `{prefix}:{rest}`.
    pub(crate) fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    /// The shared multiplexed connection.
    pub(crate) fn manager(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// A dedicated connection for a subscription.
    pub(crate) async fn pubsub(&self) -> Result<PubSub> {
        self.timed(self.client.get_async_pubsub()).await
    }

    /// Runs a Redis future within the timeout; errors become
    /// `revocation_unavailable` naming the server (without its password).
    pub(crate) async fn timed<T>(
        &self,
        future: impl Future<Output = ::redis::RedisResult<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(self.timeout, future).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(self.unavailable(&err.to_string())),
            Err(_) => {
                Err(self.unavailable(&format!("no answer within {} ms", self.timeout.as_millis())))
            }
        }
    }

    /// A `revocation_unavailable` error about this server.
    pub(crate) fn unavailable(&self, why: &str) -> Error {
        Error::RevocationUnavailable(format!("Redis at {} is unavailable: {why}", self.shown))
    }

    /// The server, for messages: the URL without user or password.
    pub(crate) fn describe(&self) -> &str {
        &self.shown
    }
}

impl RedisBuilder {
    /// The prefix of every key (default `cognito-auth`), so that several
    /// applications can share a server.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a command (or connecting) may take (default 1 s): past
    /// it, the operation fails rather than waiting on a server that is
    /// down.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Checks the URL and prepares the connection; nothing is sent until it
    /// is used, so a server that is down at start-up is not an error here.
    pub fn build(self) -> Result<Redis> {
        let shown = redact(&self.url);
        if self.timeout.is_zero() {
            return Err(Error::config("the Redis timeout must be above zero"));
        }
        if self.prefix.is_empty() || self.prefix.contains(['*', '?', '[']) {
            return Err(Error::config(
                "the Redis key prefix must be non-empty and free of glob characters",
            ));
        }
        let client = ::redis::Client::open(self.url.as_str())
            .map_err(|err| Error::config(format!("Redis URL {shown}: {err}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let manager = client
            .get_connection_manager_lazy(config)
            .map_err(|err| Error::config(format!("Redis at {shown}: {err}")))?;
        Ok(Redis {
            client,
            manager,
            prefix: Arc::from(self.prefix),
            timeout: self.timeout,
            shown: Arc::from(shown),
        })
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("server", &self.shown)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RedisBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBuilder")
            .field("server", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The URL without its user name and password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if !parsed.username().is_empty() || parsed.password().is_some() {
                let _ = parsed.set_username("");
                let _ = parsed.set_password(None);
            }
            parsed.to_string()
        }
        Err(_) => "(an unparsable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            redact("redis://user:s3cret@cache.internal:6380/2"),
            "redis://cache.internal:6380/2"
        );
        assert_eq!(redact("rediss://:s3cret@cache:6379"), "rediss://cache:6379");
        assert!(!redact("not a url s3cret").contains("s3cret"));
    }
}
