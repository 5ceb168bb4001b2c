//! First sightings of verified tokens, for the second-sighting admission
//! ([`CacheAdmission::SecondSighting`](super::CacheAdmission)).

use std::sync::atomic::{AtomicU64, Ordering};

/// One first sighting in this many moves the count of recordings.
const COUNT_EVERY: u64 = 16;

/// First sightings of verified tokens: a Bloom filter of two bits per
/// token (from its keyed hash), 16 bits per token the cache can hold
/// (at least 2^14, at most 2^26 bits), cleared once it has recorded as
/// many tokens as a sixteenth of its bits, which keeps false positives
/// under 1.4 % (each one costs a cache insert of a token that may never
/// come back). A token the cache could hold comes back within that window:
/// the filter remembers as many first sightings as the cache holds tokens,
/// or more.
pub(super) struct Sightings {
    words: Box<[AtomicU64]>,
    /// Bits in the filter, less one (a power of two, less one).
    mask: u64,
    recorded: AtomicU64,
    clear_after: u64,
}

impl Sightings {
    pub(super) fn new(held: u64) -> Self {
        let bits = held
            .saturating_mul(16)
            .clamp(1 << 14, 1 << 26)
            .next_power_of_two();
        Sightings {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
            recorded: AtomicU64::new(0),
            clear_after: bits / 16,
        }
    }

    /// The word and the bit of one of a hash's two positions.
    fn place(&self, position: u64) -> Option<(&AtomicU64, u64)> {
        let position = position & self.mask;
        let word = self.words.get(usize::try_from(position / 64).ok()?)?;
        Some((word, 1u64 << (position % 64)))
    }

    /// Whether the token of this hash was seen before; records it if not.
    pub(super) fn seen_before(&self, hash: u64) -> bool {
        let places = [self.place(hash), self.place(hash.rotate_right(32))];
        let seen = places
            .iter()
            .all(|place| place.is_some_and(|(word, bit)| word.load(Ordering::Relaxed) & bit != 0));
        if seen {
            return true;
        }
        for (word, bit) in places.into_iter().flatten() {
            word.fetch_or(bit, Ordering::Relaxed);
        }
        // Counted for one hash in COUNT_EVERY, by that many: threads
        // recording first sightings at once rarely write the one shared
        // counter, and the count stays right on average.
        if !hash.is_multiple_of(COUNT_EVERY) {
            return false;
        }
        if self.recorded.fetch_add(COUNT_EVERY, Ordering::Relaxed) + COUNT_EVERY >= self.clear_after
        {
            self.recorded.store(0, Ordering::Relaxed);
            for word in &self.words {
                word.store(0, Ordering::Relaxed);
            }
        }
        false
    }
}
