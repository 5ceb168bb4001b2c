//! The in-memory mirror of the revocation list that every verification
//! reads: sharded hash maps keyed by a keyed 128-bit hash of (kind,
//! issuer, id), so a million entries take tens of megabytes and a lookup
//! never waits on the network.
//!
//! * A lookup takes one shard's read lock; writers (a revocation arriving)
//!   take one shard's write lock. With 64 shards, readers on different
//!   cores rarely meet.
//! * `version` grows with every entry that is added or extended: a
//!   verification remembered with the version it was checked at needs no
//!   new lookup while the version stands (the verified-token cache's
//!   one-load check).
//! * Staleness: whether the mirror follows its store live, and since when
//!   it does not.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

use super::entry::{Entry, Kind};

const SHARDS: usize = 64;

/// The ids of a token that a revocation can name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenIds<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: Option<&'a str>,
    pub(crate) jti: Option<&'a str>,
    pub(crate) origin_jti: Option<&'a str>,
    pub(crate) iat: Option<i64>,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Matched {
    Session,
    Token,
    User { cutoff: i64 },
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    expires_at: i64,
    /// The user cut-off; `i64::MIN` for the other kinds.
    cutoff: i64,
}

/// The keys are keyed hashes already: no need to hash them again.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u128(&mut self, value: u128) {
        // The low half; the high half tells shards apart.
        self.0 = value as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Shard = HashMap<u128, Slot, BuildHasherDefault<Identity>>;

/// How the mirror stands, for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MirrorStatus {
    /// Entries held (unexpired, or not swept yet).
    pub entries: usize,
    /// Whether the mirror follows its store live (subscribed, and synced
    /// since it subscribed).
    pub live: bool,
    /// Seconds since the epoch when it stopped following (when not live).
    pub stale_since: Option<i64>,
    /// Seconds since the epoch of the last full resync, if any.
    pub last_resync: Option<i64>,
    /// Whether the store held more entries than the cap allows: some are
    /// missing here (see `max_entries`).
    pub overflowed: bool,
}

pub(crate) struct Mirror {
    shards: Box<[RwLock<Shard>]>,
    keys: (RandomState, RandomState),
    entries: AtomicUsize,
    max_entries: usize,
    version: AtomicU64,
    live: AtomicBool,
    stale_since: AtomicI64,
    last_resync: AtomicI64,
    overflowed: AtomicBool,
}

/// The mirror holds `max_entries` already.
#[derive(Debug)]
pub(crate) struct Full;

impl Mirror {
    pub(crate) fn new(max_entries: usize, now: i64) -> Self {
        Mirror {
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
            keys: (RandomState::new(), RandomState::new()),
            entries: AtomicUsize::new(0),
            max_entries,
            version: AtomicU64::new(0),
            live: AtomicBool::new(false),
            stale_since: AtomicI64::new(now),
            last_resync: AtomicI64::new(i64::MIN),
            overflowed: AtomicBool::new(false),
        }
    }

    fn key(&self, kind: Kind, issuer: &str, id: &str) -> u128 {
        let half = |state: &RandomState| {
            let mut hasher = state.build_hasher();
            hasher.write_u8(kind as u8);
            hasher.write(issuer.as_bytes());
            hasher.write_u8(0xff);
            hasher.write(id.as_bytes());
            hasher.finish()
        };
        (u128::from(half(&self.keys.0)) << 64) | u128::from(half(&self.keys.1))
    }

    /// The shard of a key (there are `SHARDS`, so there always is one).
    fn shard(&self, key: u128) -> Option<&RwLock<Shard>> {
        let index = usize::try_from(key >> 122).unwrap_or(0) % SHARDS;
        self.shards.get(index)
    }

    fn lookup(&self, kind: Kind, issuer: &str, id: &str, now: i64) -> Option<Slot> {
        let key = self.key(kind, issuer, id);
        let shard = self
            .shard(key)?
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        shard
            .get(&key)
            .copied()
            .filter(|slot| slot.expires_at > now)
    }

    /// The revocation a token falls under, if any.
    pub(crate) fn find(&self, ids: &TokenIds<'_>, now: i64) -> Option<Matched> {
        if self.entries.load(Ordering::Acquire) == 0 {
            return None;
        }
        if let Some(origin_jti) = ids.origin_jti
            && self
                .lookup(Kind::Session, ids.iss, origin_jti, now)
                .is_some()
        {
            return Some(Matched::Session);
        }
        if let Some(jti) = ids.jti
            && self.lookup(Kind::Token, ids.iss, jti, now).is_some()
        {
            return Some(Matched::Token);
        }
        if let Some(sub) = ids.sub
            && let Some(slot) = self.lookup(Kind::User, ids.iss, sub, now)
            && ids.iat.is_none_or(|iat| iat <= slot.cutoff)
        {
            return Some(Matched::User {
                cutoff: slot.cutoff,
            });
        }
        None
    }

    /// Whether an entry for the same revocation is held (expired or not).
    pub(crate) fn holds(&self, entry: &Entry) -> bool {
        let (kind, id) = entry.revocation.key();
        let key = self.key(kind, entry.revocation.issuer(), id);
        self.shard(key).is_some_and(|shard| {
            shard
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(&key)
        })
    }

    /// Adds an entry, or extends the one there (the later expiry, the
    /// later cut-off). Returns whether anything changed; an entry that has
    /// expired already changes nothing.
    pub(crate) fn insert(&self, entry: &Entry, now: i64) -> Result<bool, Full> {
        if entry.expires_at <= now {
            return Ok(false);
        }
        let (kind, id) = entry.revocation.key();
        let key = self.key(kind, entry.revocation.issuer(), id);
        let new = Slot {
            expires_at: entry.expires_at,
            cutoff: entry.revocation.cutoff().unwrap_or(i64::MIN),
        };
        let Some(shard) = self.shard(key) else {
            return Err(Full);
        };
        let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
        let changed = match shard.get_mut(&key) {
            Some(slot) => {
                let grew = new.expires_at > slot.expires_at || new.cutoff > slot.cutoff;
                slot.expires_at = slot.expires_at.max(new.expires_at);
                slot.cutoff = slot.cutoff.max(new.cutoff);
                grew
            }
            None => {
                if self.entries.load(Ordering::Acquire) >= self.max_entries {
                    return Err(Full);
                }
                shard.insert(key, new);
                self.entries.fetch_add(1, Ordering::AcqRel);
                true
            }
        };
        drop(shard);
        if changed {
            self.version.fetch_add(1, Ordering::AcqRel);
        }
        Ok(changed)
    }

    /// Forgets the entries that have expired.
    pub(crate) fn sweep(&self, now: i64) {
        for shard in self.shards.iter() {
            let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
            let before = shard.len();
            shard.retain(|_, slot| slot.expires_at > now);
            let removed = before - shard.len();
            if removed > 0 {
                self.entries.fetch_sub(removed, Ordering::AcqRel);
            }
        }
    }

    /// Grows with every entry added or extended.
    pub(crate) fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub(crate) fn capacity(&self) -> usize {
        self.max_entries
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.load(Ordering::Acquire)
    }

    /// Follows the store live from now on.
    pub(crate) fn set_live(&self, now: i64) {
        self.last_resync.store(now, Ordering::Release);
        self.live.store(true, Ordering::Release);
    }

    /// A full resync went through (the mirror may or may not be live).
    pub(crate) fn resynced(&self, now: i64) {
        self.last_resync.store(now, Ordering::Release);
    }

    /// Stopped following the store; returns whether it was live until now.
    pub(crate) fn set_stale(&self, now: i64) -> bool {
        let was_live = self.live.swap(false, Ordering::AcqRel);
        if was_live {
            self.stale_since.store(now, Ordering::Release);
        }
        was_live
    }

    pub(crate) fn set_overflowed(&self, overflowed: bool) {
        self.overflowed.store(overflowed, Ordering::Release);
    }

    /// How many seconds the mirror has not followed its store (0 when live).
    pub(crate) fn stale_for(&self, now: i64) -> i64 {
        if self.live.load(Ordering::Acquire) && !self.overflowed.load(Ordering::Acquire) {
            return 0;
        }
        now.saturating_sub(self.stale_since.load(Ordering::Acquire))
            .max(0)
    }

    pub(crate) fn status(&self) -> MirrorStatus {
        let live = self.live.load(Ordering::Acquire);
        let last_resync = self.last_resync.load(Ordering::Acquire);
        MirrorStatus {
            entries: self.len(),
            live,
            stale_since: (!live).then(|| self.stale_since.load(Ordering::Acquire)),
            last_resync: (last_resync != i64::MIN).then_some(last_resync),
            overflowed: self.overflowed.load(Ordering::Acquire),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revocation::Revocation;

    fn ids<'a>(sub: &'a str, jti: &'a str, origin: &'a str, iat: Option<i64>) -> TokenIds<'a> {
        TokenIds {
            iss: "iss-a",
            sub: Some(sub),
            jti: Some(jti),
            origin_jti: Some(origin),
            iat,
        }
    }

    #[test]
    fn each_kind_matches_its_own_id_and_issuer() {
        let mirror = Mirror::new(100, 0);
        let session = Entry::new(
            Revocation::Session {
                issuer: "iss-a".into(),
                origin_jti: "o1".into(),
            },
            100,
        );
        assert!(mirror.insert(&session, 0).unwrap());
        assert!(
            !mirror.insert(&session, 0).unwrap(),
            "no change, no new version"
        );
        assert_eq!(mirror.version(), 1);
        assert_eq!(
            mirror.find(&ids("s", "j", "o1", Some(5)), 1),
            Some(Matched::Session)
        );
        assert_eq!(
            mirror.find(&ids("s", "o1", "o2", Some(5)), 1),
            None,
            "a jti is not an origin_jti"
        );
        let other_issuer = TokenIds {
            iss: "iss-b",
            ..ids("s", "j", "o1", Some(5))
        };
        assert_eq!(mirror.find(&other_issuer, 1), None);
        assert_eq!(
            mirror.find(&ids("s", "j", "o1", Some(5)), 100),
            None,
            "expired"
        );
    }

    #[test]
    fn a_user_cutoff_includes_its_second_and_only_grows() {
        let mirror = Mirror::new(100, 0);
        let user = |cutoff| {
            Entry::new(
                Revocation::User {
                    issuer: "iss-a".into(),
                    sub: "s".into(),
                    issued_before: cutoff,
                },
                1_000,
            )
        };
        mirror.insert(&user(50), 0).unwrap();
        assert!(mirror.find(&ids("s", "j", "o", Some(49)), 1).is_some());
        assert!(
            mirror.find(&ids("s", "j", "o", Some(50)), 1).is_some(),
            "the boundary second"
        );
        assert!(mirror.find(&ids("s", "j", "o", Some(51)), 1).is_none());
        assert!(
            mirror.find(&ids("s", "j", "o", None), 1).is_some(),
            "no iat: refused"
        );
        assert!(
            !mirror.insert(&user(40), 0).unwrap(),
            "an earlier cut-off changes nothing"
        );
        assert!(mirror.find(&ids("s", "j", "o", Some(50)), 1).is_some());
        assert!(mirror.insert(&user(60), 0).unwrap());
        assert!(mirror.find(&ids("s", "j", "o", Some(55)), 1).is_some());
    }

    #[test]
    fn the_cap_refuses_new_entries_and_sweeping_frees_room() {
        let mirror = Mirror::new(2, 0);
        let token = |jti: &str, expires_at| {
            Entry::new(
                Revocation::Token {
                    issuer: "iss-a".into(),
                    jti: jti.into(),
                },
                expires_at,
            )
        };
        mirror.insert(&token("a", 10), 0).unwrap();
        mirror.insert(&token("b", 100), 0).unwrap();
        assert!(mirror.insert(&token("c", 100), 0).is_err());
        assert!(
            mirror.insert(&token("a", 20), 0).unwrap(),
            "extending is not adding"
        );
        mirror.sweep(50);
        assert_eq!(mirror.len(), 1);
        assert!(mirror.insert(&token("c", 100), 50).is_ok());
        assert!(
            !mirror.insert(&token("d", 40), 50).unwrap(),
            "already expired"
        );
    }
}
