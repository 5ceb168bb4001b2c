//! The verified-token cache: a token already verified is answered without
//! the RSA operation.
//!
//! * Keyed by the exact token: entries are found by a keyed hash of the
//!   token's tail (its signature, which the IdP made random) and its
//!   length, and a hit compares the whole token, so no token can find
//!   another's claims (two tokens with one hash just take turns in the
//!   slot). Tokens of one pool share long prefixes; comparing hashes, not
//!   tokens, keeps lookups short.
//! * An entry never outlives the token's `exp`, and is re-checked on every
//!   hit against the verifier's clock and the current key set: a key that
//!   left the JWKS (or changed under its `kid`) takes its tokens with it.
//! * Only successes are stored. Bounded by count and by bytes.
//! * By default a token is taken in on its second verification, not its
//!   first ([`CacheAdmission`]): tokens that are never presented again (a
//!   stream of fresh tokens, a crawler) cost no insert and no eviction.
//!   First sightings are remembered in a Bloom filter (`Sightings`) fed
//!   only with verified tokens: a false positive merely admits a token at
//!   its first sighting, and no two tokens can keep each other out (as
//!   they would in a table of one hash per slot).
//! * In front of moka, each thread remembers the entries it served last
//!   (4 096 slots, chosen by the keyed hash): a token seen again skips
//!   moka's lookup and bookkeeping. A slot holds a weak reference, not the
//!   entry: what moka evicts or removes is gone from every thread's slots
//!   too, and the slots never hold token data beyond the cache's budget
//!   (a stale slot keeps only its small allocation until reused). The
//!   slots hold entries, not verdicts: every hit is checked as above.
//! * The presented token is compared with the cached one in constant time.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use moka::Expiry;

use crate::claims::VerifiedToken;
use crate::clock::later;
use crate::keys::{KeyStore, SourceId};

/// Default bound on cached tokens.
pub(crate) const DEFAULT_MAX_TOKENS: u64 = 20_000;
/// Default bound on the bytes the cache holds (estimated).
pub(crate) const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Which verified tokens the verified-token cache takes in
/// ([`VerifierBuilder::verified_token_cache_admission`](crate::VerifierBuilder::verified_token_cache_admission)).
///
/// ```
/// use cognito_auth::{CacheAdmission, CognitoPool, TokenUse, Verifier};
///
/// // One client per token, calling many times: cache at once.
/// let verifier = Verifier::builder()
///     .cognito(
///         CognitoPool::new("us-east-1_AbCdEf123")
///             .token_use(TokenUse::Access)
///             .client_id("abc"),
///     )
///     .verified_token_cache_admission(CacheAdmission::FirstSighting)
///     .build()?;
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheAdmission {
    /// A token is cached when it is verified for the second time while
    /// its first sighting is remembered (the default): a token presented
    /// once never costs an insert, one presented again and again is
    /// verified in full twice, then answered from memory.
    #[default]
    SecondSighting,
    /// Every verified token is cached at once: best when nearly every
    /// token comes back (one client per token, many calls each).
    FirstSighting,
}

/// First sightings of verified tokens: a Bloom filter of two bits per
/// token (from its keyed hash), 16 bits per token the cache can hold
/// (at least 2^14, at most 2^26 bits), cleared once it has recorded as
/// many tokens as an eighth of its bits, which keeps false positives
/// near 5 %.
struct Sightings {
    words: Box<[AtomicU64]>,
    /// Bits in the filter, less one (a power of two, less one).
    mask: u64,
    recorded: AtomicU64,
    clear_after: u64,
}

impl Sightings {
    fn new(held: u64) -> Self {
        let bits = held
            .saturating_mul(16)
            .clamp(1 << 14, 1 << 26)
            .next_power_of_two();
        Sightings {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
            recorded: AtomicU64::new(0),
            clear_after: bits / 8,
        }
    }

    /// The word and the bit of one of a hash's two positions.
    fn place(&self, position: u64) -> Option<(&AtomicU64, u64)> {
        let position = position & self.mask;
        let word = self.words.get(usize::try_from(position / 64).ok()?)?;
        Some((word, 1u64 << (position % 64)))
    }

    /// Whether the token of this hash was seen before; records it if not.
    fn seen_before(&self, hash: u64) -> bool {
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
        if self.recorded.fetch_add(1, Ordering::Relaxed) + 1 >= self.clear_after {
            self.recorded.store(0, Ordering::Relaxed);
            for word in &self.words {
                word.store(0, Ordering::Relaxed);
            }
        }
        false
    }
}

/// How many bytes of a token's tail the hash covers.
const HASHED_TAIL: usize = 64;

/// A verification remembered.
pub(crate) struct CachedVerification {
    /// The token itself (the key), for the per-thread slots.
    token: Arc<str>,
    pub(crate) verified: VerifiedToken,
    /// Where its key came from (the store and its source), and which key
    /// it was.
    pub(crate) store: Arc<KeyStore>,
    pub(crate) source: SourceId,
    pub(crate) kid: Arc<str>,
    pub(crate) key_fingerprint: u64,
    /// The key set generation in which the key was last seen in place.
    pub(crate) key_generation: AtomicU64,
    /// The revocation list's version when the token was last found not
    /// revoked.
    pub(crate) revocation_seen: AtomicU64,
    /// When moka drops the entry (the token's `exp`).
    expires_at: Instant,
    weight: u32,
}

impl CachedVerification {
    /// The token this verification is of.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    pub(crate) fn new(
        token: &str,
        verified: VerifiedToken,
        (store, source): (Arc<KeyStore>, SourceId),
        (key_fingerprint, key_generation): (u64, u64),
        revocation_seen: u64,
        seconds_left: u64,
        floor: u32,
    ) -> Self {
        // The token, its claims as a map and as typed claims: about three
        // copies of the payload.
        let estimate = u32::try_from(token.len().saturating_mul(3)).unwrap_or(u32::MAX);
        CachedVerification {
            token: Arc::from(token),
            kid: Arc::from(verified.kid()),
            verified,
            store,
            source,
            key_fingerprint,
            key_generation: AtomicU64::new(key_generation),
            revocation_seen: AtomicU64::new(revocation_seen),
            expires_at: later(Instant::now(), Duration::from_secs(seconds_left)),
            weight: estimate.max(floor),
        }
    }
}

/// Tokens already verified, by exact token.
pub(crate) struct TokenCache {
    entries: moka::sync::Cache<u64, Arc<CachedVerification>>,
    /// Keys the token hashes; random per cache.
    hasher: TailHash,
    /// Every entry weighs at least this much, so `max_bytes / floor` bounds
    /// the count.
    pub(crate) weight_floor: u32,
    /// Tells this cache's per-thread slots from another verifier's.
    id: usize,
    /// First sightings of verified tokens, when admission waits for a
    /// second one.
    sightings: Option<Sightings>,
}

/// Per-thread slots in front of moka (a power of two).
const RECENT_SLOTS: usize = 4096;

/// One slot, as it was filled.
struct RecentSlot {
    /// The owning cache.
    cache: usize,
    /// The token's keyed hash: a slot of another token is passed over
    /// without touching the entry.
    hash: u64,
    /// The entry, while moka holds it.
    entry: Weak<CachedVerification>,
}

thread_local! {
    static RECENT: std::cell::RefCell<Vec<Option<RecentSlot>>> =
        std::cell::RefCell::new(std::iter::repeat_with(|| None).take(RECENT_SLOTS).collect());
}

/// The per-thread slot of a token's keyed hash: an outsider cannot aim
/// tokens at one slot without the cache's random key.
fn slot_of(hash: u64) -> usize {
    usize::try_from(hash >> (64 - RECENT_SLOTS.trailing_zeros())).unwrap_or(0) % RECENT_SLOTS
}

/// Whether a presented token is the cached one, in time that depends on
/// the length only, not on where the first difference is.
fn same_token(cached: &str, presented: &str) -> bool {
    let (cached, presented) = (cached.as_bytes(), presented.as_bytes());
    if cached.len() != presented.len() {
        return false;
    }
    let difference = cached
        .iter()
        .zip(presented)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

impl TokenCache {
    pub(crate) fn new(max_tokens: u64, max_bytes: u64, admission: CacheAdmission) -> Self {
        let max_tokens = max_tokens.max(1);
        let weight_floor = u32::try_from(max_bytes / max_tokens)
            .unwrap_or(u32::MAX)
            .max(1);
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_, entry: &Arc<CachedVerification>| entry.weight)
            .expire_after(UntilExp)
            .build();
        static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
        let held = max_tokens.min(max_bytes / u64::from(weight_floor)).max(1);
        let sightings = match admission {
            CacheAdmission::FirstSighting => None,
            CacheAdmission::SecondSighting => Some(Sightings::new(held)),
        };
        TokenCache {
            entries,
            hasher: TailHash(RandomState::new()),
            weight_floor,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            sightings,
        }
    }

    /// Whether a token just verified is taken in: always at first
    /// sighting, or when its first sighting is remembered (which is then
    /// recorded). Call only for tokens that verified.
    pub(crate) fn admits(&self, token: &str) -> bool {
        let Some(sightings) = &self.sightings else {
            return true;
        };
        sightings.seen_before(self.hasher.hash_one(token))
    }

    pub(crate) fn get(&self, token: &str) -> Option<Arc<CachedVerification>> {
        let hash = self.hasher.hash_one(token);
        let slot = slot_of(hash);
        let recent = RECENT.with(|recent| match recent.borrow().get(slot) {
            Some(Some(held)) if held.cache == self.id && held.hash == hash => held
                .entry
                .upgrade()
                .filter(|entry| same_token(&entry.token, token)),
            _ => None,
        });
        if recent.is_some() {
            return recent;
        }
        let entry = self
            .entries
            .get(&hash)
            .filter(|entry| same_token(&entry.token, token))?;
        self.remember(hash, &entry);
        Some(entry)
    }

    pub(crate) fn insert(&self, entry: CachedVerification) {
        let hash = self.hasher.hash_one(&*entry.token);
        let entry = Arc::new(entry);
        self.remember(hash, &entry);
        self.entries.insert(hash, entry);
    }

    /// Puts an entry in this thread's slot for its hash.
    fn remember(&self, hash: u64, entry: &Arc<CachedVerification>) {
        RECENT.with(|recent| {
            if let Some(place) = recent.borrow_mut().get_mut(slot_of(hash)) {
                *place = Some(RecentSlot {
                    cache: self.id,
                    hash,
                    entry: Arc::downgrade(entry),
                });
            }
        });
    }

    pub(crate) fn remove(&self, token: &str) {
        let key = self.hasher.hash_one(token);
        RECENT.with(|recent| {
            if let Some(place) = recent.borrow_mut().get_mut(slot_of(key))
                && matches!(place, Some(held) if held.cache == self.id && held.hash == key)
            {
                *place = None;
            }
        });
        if self
            .entries
            .get(&key)
            .is_some_and(|entry| same_token(&entry.token, token))
        {
            self.entries.invalidate(&key);
        }
    }

    /// Entries held now (after pending maintenance), for tests.
    pub(crate) fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

struct UntilExp;

impl Expiry<u64, Arc<CachedVerification>> for UntilExp {
    fn expire_after_create(
        &self,
        _key: &u64,
        entry: &Arc<CachedVerification>,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(created_at))
    }
}

/// Hashes the last bytes of each string written (a token's signature)
/// with a random key; equality still compares the whole token.
#[derive(Clone)]
struct TailHash(RandomState);

impl BuildHasher for TailHash {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

struct TailHasher(std::hash::DefaultHasher);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        let tail = bytes.len().saturating_sub(HASHED_TAIL);
        self.0.write_usize(bytes.len());
        self.0.write(bytes.get(tail..).unwrap_or(bytes));
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hardening round 2, item 10.
    #[test]
    fn tokens_compare_in_full_and_slots_are_keyed() {
        assert!(same_token("abc.def", "abc.def"));
        assert!(!same_token("abc.def", "abc.deF"));
        assert!(!same_token("abc.def", "Abc.def"));
        assert!(!same_token("abc.def", "abc.de"));
        // Two caches (two random keys) put the same tokens in different
        // slots: the slot is not a function of the token alone.
        let tokens: Vec<String> = (0..64)
            .map(|n| format!("header.payload.sig{n:04}"))
            .collect();
        let slots = |cache: &TokenCache| -> Vec<usize> {
            tokens
                .iter()
                .map(|token| slot_of(cache.hasher.hash_one(token.as_str())))
                .collect()
        };
        let (a, b) = (
            TokenCache::new(10, 1 << 20, CacheAdmission::FirstSighting),
            TokenCache::new(10, 1 << 20, CacheAdmission::FirstSighting),
        );
        assert_ne!(slots(&a), slots(&b));
    }

    #[test]
    fn a_second_sighting_is_admitted_by_default() {
        let cache = TokenCache::new(10, 1 << 20, CacheAdmission::default());
        assert!(!cache.admits("header.payload.first"));
        assert!(cache.admits("header.payload.first"));
        assert!(!cache.admits("header.payload.other"));
        let eager = TokenCache::new(10, 1 << 20, CacheAdmission::FirstSighting);
        assert!(eager.admits("header.payload.first"));
    }

    #[test]
    fn tokens_in_a_cycle_do_not_keep_each_other_out() {
        let cache = TokenCache::new(10_000, 64 << 20, CacheAdmission::SecondSighting);
        let tokens: Vec<String> = (0..10_000).map(|n| format!("h.p.sig{n:05}")).collect();
        let first = tokens.iter().filter(|token| cache.admits(token)).count();
        assert!(first < 100, "{first} admitted at their first sighting");
        assert!(tokens.iter().all(|token| cache.admits(token)));
    }

    #[test]
    fn the_tail_hash_sees_length_and_tail_only() {
        let hash = TailHash(RandomState::new());
        let a = format!("{}{}", "a".repeat(100), "z".repeat(64));
        let b = format!("{}{}", "b".repeat(100), "z".repeat(64));
        let c = format!("{}{}", "a".repeat(100), "y".repeat(64));
        assert_eq!(hash.hash_one(a.as_str()), hash.hash_one(b.as_str()));
        assert_ne!(hash.hash_one(a.as_str()), hash.hash_one(c.as_str()));
        assert_ne!(hash.hash_one("short"), hash.hash_one("shorter"));
    }
}
