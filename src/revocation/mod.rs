//! Revocation every instance sees: a deny list of sessions, tokens and
//! users on a shared store, mirrored in memory by each instance and checked
//! on every verification without waiting on the network.
//!
//! A signed-out user's tokens keep verifying locally until they expire —
//! a JWT carries no revocation. This module closes that gap: revoke a
//! **session** (its `origin_jti`: every token minted from one sign-in and
//! its refreshes), one **token** (its `jti`), or a **user** (every token of
//! a `sub` issued at or before a cut-off), and every verifier configured
//! with the list refuses them (`revoked`), within a second on every
//! instance that shares the store.
//!
//! | file | job |
//! |---|---|
//! | `entry.rs` | what is revoked ([`Revocation`]), until when ([`Entry`]) |
//! | `mirror.rs` | the in-memory copy every verification reads: sharded, keyed 128-bit hashes |
//! | `list.rs` | [`RevocationList`]: writes, checks, the subscription and resync tasks |
//! | `store.rs` | the [`Store`] trait and the in-memory [`MemoryStore`] |
//! | `redis.rs` | [`RedisStore`] (feature `redis`) |
//!
//! **When the store is down** the mirror keeps enforcing what it knows and
//! the verifier keeps serving everyone else (the default), and the list logs
//! the outage at ERROR; [`MirrorStatus`] tells how stale the mirror is, and
//! [`RevocationListBuilder::fail_closed_after`] refuses every token
//! (`revocation_unavailable`, a 503) once it is older than a bound. Writing a
//! revocation while the store is down fails with `revocation_unavailable`:
//! nothing is silently dropped. When the store is back the mirror
//! resubscribes and reads it whole again (within about two seconds).
//!
//! **Memory**: an entry takes a keyed 128-bit hash and two timestamps in the
//! mirror — 70 bytes with the hash map's overhead, 66.5 MiB for a million
//! entries (measured by `scripts/revocation-latency.sh`; see
//! BENCHMARKING.md) — entries expire on their own
//! once no token they could match is valid (the maximum token lifetime,
//! 24 h by default), and [`RevocationListBuilder::max_entries`] bounds the
//! count (one million by default): past it, new revocations fail loudly
//! rather than push older ones out.

mod entry;
mod list;
mod mirror;
#[cfg(feature = "redis")]
mod redis;
mod store;

pub use entry::{Entry, Revocation};
pub use list::{
    DEFAULT_MAX_ENTRIES, DEFAULT_MAX_TOKEN_LIFETIME, DEFAULT_RESYNC_INTERVAL, RevocationList,
    RevocationListBuilder,
};
pub use mirror::MirrorStatus;
pub(crate) use mirror::TokenIds;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisStore;
pub use store::{Feed, MemoryStore, Store, StoreFuture};
