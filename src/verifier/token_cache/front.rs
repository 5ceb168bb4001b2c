//! The front table: one shared, fixed-size table of the entries served
//! last, looked up before moka.
//!
//! A hit in moka's concurrent map walks a bucket array, a bucket and the
//! key before it reaches the value, and records the read for moka's
//! bookkeeping; with thousands of tokens in rotation those are cache
//! misses on every request. Here a token's keyed hash picks one bucket of
//! four slots whose hashes share a cache line, and the matching slot
//! points at the entry: one line of hashes, then the entry. Reads take no
//! lock and write no shared memory (`arc-swap` guards).
//!
//! The table holds what moka holds: moka's eviction listener takes an
//! entry out of its slot when moka drops it (evicted, expired, replaced or
//! removed), so the table keeps no token beyond the cache's budget. A slot
//! taken by another token sends the next lookup to moka, which puts the
//! entry back. The presented token is always compared in full.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwapOption;

use super::{CachedVerification, same_token};

/// Slots per bucket (one cache line of hashes).
const WAYS: usize = 4;
/// Buckets: twice the slots of the entries the cache holds, at least 16
/// and at most 2^20 buckets (64 MiB of entries at 2 KiB each is 32 768).
const MIN_BUCKETS: usize = 16;
const MAX_BUCKETS: usize = 1 << 20;

/// What the table says of a token.
pub(super) enum Lookup<R> {
    /// Its entry, as `found` made it.
    Found(R),
    /// Not cached.
    Absent,
    /// Its bucket is full: moka may hold it.
    AskMoka,
}

struct Slot {
    /// The keyed hash of the slot's token, read before the entry.
    hash: AtomicU64,
    entry: ArcSwapOption<CachedVerification>,
}

pub(super) struct FrontTable {
    slots: Box<[Slot]>,
    /// Buckets, less one (a power of two, less one).
    mask: usize,
}

impl FrontTable {
    /// A table for a cache of at most `held` entries.
    pub(super) fn new(held: u64) -> Self {
        let buckets = usize::try_from(held.saturating_mul(2) / WAYS as u64)
            .unwrap_or(MAX_BUCKETS)
            .clamp(MIN_BUCKETS, MAX_BUCKETS)
            .next_power_of_two();
        FrontTable {
            slots: (0..buckets * WAYS)
                .map(|_| Slot {
                    hash: AtomicU64::new(0),
                    entry: ArcSwapOption::empty(),
                })
                .collect(),
            mask: buckets - 1,
        }
    }

    /// The slots of a hash's bucket (chosen by its high bits; the low bits
    /// choose the slot a new entry takes).
    fn bucket(&self, hash: u64) -> &[Slot] {
        let bucket = usize::try_from(hash >> 32).unwrap_or(0) & self.mask;
        self.slots
            .get(bucket * WAYS..(bucket + 1) * WAYS)
            .unwrap_or_default()
    }

    /// Calls `found` with the entry of exactly this token, if a slot holds
    /// it; else says whether moka may still hold it.
    pub(super) fn find<R>(
        &self,
        hash: u64,
        token: &str,
        found: impl FnOnce(&Arc<CachedVerification>) -> R,
    ) -> Lookup<R> {
        let bucket = self.bucket(hash);
        if let Some(slot) = bucket
            .iter()
            .find(|slot| slot.hash.load(Ordering::Acquire) == hash)
        {
            let guard = slot.entry.load();
            if let Some(entry) = &*guard
                && same_token(entry.token(), token)
            {
                return Lookup::Found(found(entry));
            }
        }
        // Every entry moka takes in is put here, and leaves only when moka
        // drops it or a full bucket gives its slot to another: with a slot
        // free, the token is not cached (or was pushed out of a full
        // bucket earlier, and is then verified once more).
        if bucket.iter().any(|slot| slot.entry.load().is_none()) {
            Lookup::Absent
        } else {
            Lookup::AskMoka
        }
    }

    /// Puts an entry into its bucket: into the slot of the same hash, an
    /// empty one, or else the one its hash's low bits choose.
    pub(super) fn put(&self, hash: u64, entry: &Arc<CachedVerification>) {
        let bucket = self.bucket(hash);
        let chosen = bucket
            .iter()
            .find(|slot| slot.hash.load(Ordering::Relaxed) == hash)
            .or_else(|| bucket.iter().find(|slot| slot.entry.load().is_none()))
            .or_else(|| bucket.get(usize::try_from(hash).unwrap_or(0) % WAYS));
        if let Some(slot) = chosen {
            // The entry first: a reader that sees the new hash with the
            // old entry (or the reverse) compares tokens and misses.
            slot.entry.store(Some(Arc::clone(entry)));
            slot.hash.store(hash, Ordering::Release);
        }
    }

    /// Takes this entry (this very allocation) out of its slot, if a slot
    /// holds it.
    pub(super) fn forget(&self, hash: u64, entry: &Arc<CachedVerification>) {
        self.forget_where(hash, |held| Arc::ptr_eq(held, entry));
    }

    /// Takes the entry of this token out of its slot, whichever allocation
    /// it is.
    pub(super) fn forget_token(&self, hash: u64, token: &str) {
        self.forget_where(hash, |held| same_token(held.token(), token));
    }

    /// Empties the slots of this hash whose entry `matches`.
    fn forget_where(&self, hash: u64, matches: impl Fn(&Arc<CachedVerification>) -> bool) {
        for slot in self.bucket(hash) {
            if slot.hash.load(Ordering::Relaxed) == hash {
                let current = slot.entry.load();
                if current.as_ref().is_some_and(&matches) {
                    slot.entry.compare_and_swap(&*current, None);
                }
            }
        }
    }

    /// Entries the table points at (diagnostics and tests).
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| slot.entry.load().is_some())
            .count()
    }
}
