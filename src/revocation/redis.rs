//! The revocation list on Redis or Valkey (feature `redis`).
//!
//! Layout, under the connection's prefix (`cognito-auth` by default):
//!
//! | key | holds |
//! |---|---|
//! | `{prefix}:revoked:{kind}:{hash}` | one entry as JSON (`{"kind":…,"issuer":…,…,"expires_at":…}`), expiring on its own (`EX`) when no token it could match is valid any more; `{hash}` is 128 bits of SHA-256 over the issuer and the id |
//! | `{prefix}:revocations` (channel) | every entry written, as the same JSON |
//!
//! A write is one script (`SET … EX` keeping the later expiry and cut-off,
//! then `PUBLISH`), so concurrent writers never shorten an entry. Every
//! instance subscribes to the channel, reads the whole set with `SCAN` +
//! `MGET` right after subscribing (nothing published meanwhile is lost),
//! and again periodically. Entries persist with Redis' own persistence
//! (AOF or RDB): a restart loses nothing that was on disk.

use ::redis::{AsyncCommands, Script};
use futures_util::StreamExt;

use super::entry::Entry;
use super::store::{Feed, Store, StoreFuture};
use crate::clock::unix_now;
use crate::error::Error;
use crate::keys::crypto::sha256;
use crate::redis::Redis;

/// How many keys one `SCAN` step asks for (and one `MGET` reads).
const SCAN_BATCH: usize = 500;

/// Writes an entry unless one with a later expiry and cut-off is there,
/// then publishes it. KEYS[1] the entry; ARGV: JSON, expiry, cut-off,
/// seconds to live, channel.
const RECORD: &str = r#"
local old = redis.call('GET', KEYS[1])
local entry = cjson.decode(ARGV[1])
local expires_at = tonumber(ARGV[2])
local cutoff = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
if old then
  local ok, prev = pcall(cjson.decode, old)
  if ok and type(prev) == 'table' then
    local prev_expires = tonumber(prev['expires_at']) or 0
    local prev_cutoff = tonumber(prev['issued_before']) or cutoff
    if prev_expires >= expires_at and prev_cutoff >= cutoff then
      return 0
    end
    if prev_expires > expires_at then
      ttl = ttl + (prev_expires - expires_at)
      expires_at = prev_expires
    end
    if prev_cutoff > cutoff then cutoff = prev_cutoff end
  end
end
entry['expires_at'] = expires_at
if entry['issued_before'] then entry['issued_before'] = cutoff end
local json = cjson.encode(entry)
redis.call('SET', KEYS[1], json, 'EX', ttl)
redis.call('PUBLISH', ARGV[5], json)
return 1
"#;

/// A revocation [`Store`] on Redis or Valkey; see the module docs for the
/// layout.
///
/// ```no_run
/// use cognito_auth::redis::Redis;
/// use cognito_auth::revocation::{RedisStore, RevocationList};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cognito_auth::Error> {
/// let store = RedisStore::new(Redis::open("redis://127.0.0.1:6379")?);
/// let revocations = RevocationList::builder(store).start()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisStore {
    redis: Redis,
    channel: String,
    pattern: String,
}

impl RedisStore {
    /// A store on this connection.
    pub fn new(redis: Redis) -> Self {
        RedisStore {
            channel: redis.key("revocations"),
            pattern: redis.key("revoked:*"),
            redis,
        }
    }

    fn entry_key(&self, entry: &Entry) -> String {
        let (kind, id) = entry.revocation.key();
        let digest = sha256(
            [entry.revocation.issuer().as_bytes(), b"\0", id.as_bytes()]
                .concat()
                .as_slice(),
        );
        let hex: String = digest
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.redis.key(&format!("revoked:{}:{hex}", kind.as_str()))
    }

    async fn record_entry(&self, entry: &Entry) -> Result<(), Error> {
        let json = serde_json::to_string(entry)
            .map_err(|err| Error::config(format!("cannot encode the revocation: {err}")))?;
        let ttl = entry.expires_at.saturating_sub(unix_now()).max(1);
        let cutoff = entry.revocation.cutoff().unwrap_or(0);
        let script = Script::new(RECORD);
        let mut invocation = script.key(self.entry_key(entry));
        invocation
            .arg(json)
            .arg(entry.expires_at)
            .arg(cutoff)
            .arg(ttl)
            .arg(&self.channel);
        let mut manager = self.redis.manager();
        let _: i64 = self
            .redis
            .timed(invocation.invoke_async(&mut manager))
            .await?;
        Ok(())
    }

    async fn read_all(&self) -> Result<Vec<Entry>, Error> {
        let mut manager = self.redis.manager();
        let mut entries = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = self
                .redis
                .timed(
                    ::redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&self.pattern)
                        .arg("COUNT")
                        .arg(SCAN_BATCH)
                        .query_async(&mut manager),
                )
                .await?;
            if !keys.is_empty() {
                let values: Vec<Option<String>> = self.redis.timed(manager.mget(&keys)).await?;
                entries.extend(values.into_iter().flatten().filter_map(|json| parse(&json)));
            }
            if next == 0 {
                return Ok(entries);
            }
            cursor = next;
        }
    }

    async fn follow(&self, feed: &Feed) -> Result<(), Error> {
        let mut pubsub = self.redis.pubsub().await?;
        self.redis.timed(pubsub.subscribe(&self.channel)).await?;
        feed.resynced(self.read_all().await?);
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            match std::str::from_utf8(message.get_payload_bytes())
                .ok()
                .and_then(parse)
            {
                Some(entry) => feed.entry(entry),
                None => tracing::warn!(
                    channel = %self.channel,
                    "ignoring a message on the revocation channel that is not an entry"
                ),
            }
        }
        Err(self.redis.unavailable("the subscription was closed"))
    }
}

fn parse(json: &str) -> Option<Entry> {
    serde_json::from_str(json).ok()
}

impl Store for RedisStore {
    fn record<'a>(&'a self, entry: &'a Entry) -> StoreFuture<'a, ()> {
        Box::pin(self.record_entry(entry))
    }

    fn snapshot(&self) -> StoreFuture<'_, Vec<Entry>> {
        Box::pin(self.read_all())
    }

    fn watch<'a>(&'a self, feed: &'a Feed) -> StoreFuture<'a, ()> {
        Box::pin(self.follow(feed))
    }

    fn describe(&self) -> String {
        format!("Redis at {}", self.redis.describe())
    }
}
