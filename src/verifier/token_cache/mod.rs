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
//! * In front of moka, one shared table (`front.rs`) points at the entries
//!   served last, four slots per bucket chosen by the keyed hash: a token
//!   seen again skips moka's map walk and its read bookkeeping. It holds
//!   only what moka holds (moka's eviction listener clears its slot), so
//!   it adds no token data to the budget, only its slots (16 bytes each,
//!   twice the entries the cache can hold). The table holds entries, not
//!   verdicts: every hit is checked as above. A token missing from a
//!   bucket with a free slot is taken as not cached, without asking moka
//!   (a token pushed out of a full bucket earlier is then verified once
//!   more, and put back). Since lookups rarely reach moka, its eviction
//!   order is close to insertion order.
//! * The presented token is compared with the cached one in constant time.

mod front;
mod sightings;

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use moka::Expiry;

use crate::claims::VerifiedToken;
use crate::clock::later;
use crate::keys::{KeyStore, SourceId};
use front::{FrontTable, Lookup};
use sightings::Sightings;

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

/// How many bytes of a token's tail the hash covers.
const HASHED_TAIL: usize = 64;

/// A verification remembered.
pub(crate) struct CachedVerification {
    /// The token itself (the key), compared in full on every hit.
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

/// The weight of an entry for a small real token (a 340-byte token, three
/// copies): Cognito's tokens are 800 bytes and more.
const SMALLEST_REAL_WEIGHT: u64 = 1024;

/// Tokens already verified, by exact token.
pub(crate) struct TokenCache {
    entries: moka::sync::Cache<u64, Arc<CachedVerification>>,
    /// The entries served last, looked up before moka; holds only what
    /// moka holds.
    front: Arc<FrontTable>,
    /// Keys the token hashes; random per cache.
    hasher: TailHash,
    /// Every entry weighs at least this much, so `max_bytes / floor` bounds
    /// the count.
    pub(crate) weight_floor: u32,
    /// First sightings of verified tokens, when admission waits for a
    /// second one.
    sightings: Option<Sightings>,
}

/// A token's keyed hash, computed once per verification and passed to
/// each step of the cache.
#[derive(Clone, Copy)]
pub(crate) struct TokenKey(u64);

/// Whether a presented token is the cached one, in time that depends on
/// the length only, not on where the first difference is.
fn same_token(cached: &str, presented: &str) -> bool {
    let (cached, presented) = (cached.as_bytes(), presented.as_bytes());
    if cached.len() != presented.len() {
        return false;
    }
    // Eight bytes at a time (the tail byte by byte): the same work
    // wherever the tokens differ.
    let (cached_words, cached_tail) = cached.as_chunks::<8>();
    let (presented_words, presented_tail) = presented.as_chunks::<8>();
    let words = cached_words
        .iter()
        .zip(presented_words)
        .fold(0u64, |acc, (a, b)| {
            acc | (u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b))
        });
    let tail = cached_tail
        .iter()
        .zip(presented_tail)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(words | u64::from(tail)) == 0
}

impl TokenCache {
    pub(crate) fn new(max_tokens: u64, max_bytes: u64, admission: CacheAdmission) -> Self {
        let max_tokens = max_tokens.max(1);
        let weight_floor = u32::try_from(max_bytes / max_tokens)
            .unwrap_or(u32::MAX)
            .max(1);
        // What the front table and the sightings filter are sized for:
        // the count bound, or as many entries as fit the byte budget at
        // the smallest weight a real token has (so a lifted count bound
        // does not size them for millions of 1-byte entries).
        let smallest = u64::from(weight_floor).max(SMALLEST_REAL_WEIGHT);
        let held = max_tokens.min(max_bytes / smallest).max(1);
        let front = Arc::new(FrontTable::new(held));
        let listener_front = Arc::clone(&front);
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_, entry: &Arc<CachedVerification>| entry.weight)
            .expire_after(UntilExp)
            .eviction_listener(move |hash: Arc<u64>, entry, _cause| {
                listener_front.forget(*hash, &entry);
            })
            .build();
        let sightings = match admission {
            CacheAdmission::FirstSighting => None,
            CacheAdmission::SecondSighting => Some(Sightings::new(held)),
        };
        TokenCache {
            entries,
            front,
            hasher: TailHash(RandomState::new()),
            weight_floor,
            sightings,
        }
    }

    /// The keyed hash of a token.
    pub(crate) fn key(&self, token: &str) -> TokenKey {
        TokenKey(self.hasher.hash_one(token))
    }

    /// Whether a token just verified is taken in: always at first
    /// sighting, or when its first sighting is remembered (which is then
    /// recorded). Call only for tokens that verified.
    pub(crate) fn admits(&self, key: TokenKey) -> bool {
        match &self.sightings {
            Some(sightings) => sightings.seen_before(key.0),
            None => true,
        }
    }

    /// Calls `found` with the entry of exactly this token, if cached.
    pub(crate) fn with_entry<R>(
        &self,
        key: TokenKey,
        token: &str,
        found: impl FnOnce(&Arc<CachedVerification>) -> R,
    ) -> Option<R> {
        let mut found = Some(found);
        match self
            .front
            .find(key.0, token, |entry| found.take().map(|found| found(entry)))
        {
            Lookup::Found(outcome) => return outcome,
            Lookup::Absent => return None,
            Lookup::AskMoka => {}
        }
        let entry = self
            .entries
            .get(&key.0)
            .filter(|entry| same_token(&entry.token, token))?;
        self.front.put(key.0, &entry);
        found.map(|found| found(&entry))
    }

    /// The entry of exactly this token, if cached.
    #[cfg_attr(not(any(feature = "sessions", test)), allow(dead_code))]
    pub(crate) fn get(&self, token: &str) -> Option<Arc<CachedVerification>> {
        self.with_entry(self.key(token), token, Arc::clone)
    }

    pub(crate) fn insert(&self, key: TokenKey, entry: CachedVerification) {
        let entry = Arc::new(entry);
        self.entries.insert(key.0, Arc::clone(&entry));
        self.front.put(key.0, &entry);
    }

    pub(crate) fn remove(&self, token: &str) {
        let key = self.key(token);
        self.front.forget_token(key.0, token);
        if self
            .entries
            .get(&key.0)
            .is_some_and(|entry| same_token(&entry.token, token))
        {
            self.entries.invalidate(&key.0);
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
        assert!(same_token(&"x".repeat(1000), &"x".repeat(1000)));
        assert!(!same_token(
            &"x".repeat(1000),
            &format!("{}y", "x".repeat(999))
        ));
        // Two caches (two random keys) put the same tokens in different
        // buckets: the bucket is not a function of the token alone.
        let tokens: Vec<String> = (0..64)
            .map(|n| format!("header.payload.sig{n:04}"))
            .collect();
        let buckets = |cache: &TokenCache| -> Vec<u64> {
            tokens
                .iter()
                .map(|token| cache.key(token).0 >> 32)
                .collect()
        };
        let (a, b) = (
            TokenCache::new(10, 1 << 20, CacheAdmission::FirstSighting),
            TokenCache::new(10, 1 << 20, CacheAdmission::FirstSighting),
        );
        assert_ne!(buckets(&a), buckets(&b));
    }

    #[test]
    fn a_second_sighting_is_admitted_by_default() {
        let cache = TokenCache::new(10, 1 << 20, CacheAdmission::default());
        let (first, other) = (
            cache.key("header.payload.first"),
            cache.key("header.payload.other"),
        );
        assert!(!cache.admits(first));
        assert!(cache.admits(first));
        assert!(!cache.admits(other));
        let eager = TokenCache::new(10, 1 << 20, CacheAdmission::FirstSighting);
        assert!(eager.admits(eager.key("header.payload.first")));
    }

    #[test]
    fn tokens_in_a_cycle_do_not_keep_each_other_out() {
        let cache = TokenCache::new(10_000, 64 << 20, CacheAdmission::SecondSighting);
        let tokens: Vec<String> = (0..10_000).map(|n| format!("h.p.sig{n:05}")).collect();
        let admitted = |token: &String| cache.admits(cache.key(token));
        let first = tokens.iter().filter(|token| admitted(token)).count();
        assert!(first < 100, "{first} admitted at their first sighting");
        assert!(tokens.iter().all(admitted));
    }

    /// A stream of tokens that never come back is taken in (a false
    /// positive of the filter) under 1 % of the time, over whole windows
    /// of the filter (0.5 % measured; 1.7 % when it cleared at an eighth).
    #[test]
    fn never_repeated_tokens_are_rarely_taken_in() {
        let cache = TokenCache::new(20_000, 64 << 20, CacheAdmission::SecondSighting);
        let admitted = (0..200_000)
            .filter(|n| cache.admits(cache.key(&format!("h.p.never-seen-{n:07}"))))
            .count();
        assert!(admitted < 200_000 / 100, "{admitted} of 200 000 taken in");
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

    fn entry(token: &str, floor: u32) -> CachedVerification {
        let fetcher = crate::keys::Fetcher::new(
            Duration::from_secs(1),
            1 << 16,
            true,
            crate::RetryPolicy::default(),
        )
        .expect("a fetcher");
        let store = Arc::new(KeyStore::new(fetcher, crate::keys::CacheOptions::default()));
        let verified = VerifiedToken::new(crate::claims::Parts {
            issuer: "https://issuer".into(),
            kid: "k".into(),
            token_use: None,
            expires_at: i64::MAX,
            ids: crate::claims::Ids::default(),
            payload: "{}".to_owned(),
            access_layout: None,
        });
        CachedVerification::new(token, verified, (store, 0), (0, 0), 0, 3600, floor)
    }

    /// What moka drops leaves the front table: the table never holds more
    /// entries than the cache.
    #[test]
    fn the_front_table_holds_only_what_moka_holds() {
        let cache = TokenCache::new(8, 1 << 20, CacheAdmission::FirstSighting);
        let tokens: Vec<String> = (0..200).map(|n| format!("h.p.sig{n:05}")).collect();
        for token in &tokens {
            cache.insert(cache.key(token), entry(token, cache.weight_floor));
        }
        let held = cache.len();
        assert!(held <= 8, "{held} entries in moka");
        assert!(
            cache.front.held() as u64 <= held,
            "{} in the front table, {held} in moka",
            cache.front.held()
        );
        let found = tokens
            .iter()
            .filter(|token| cache.get(token).is_some())
            .count() as u64;
        // Found only what moka holds (a token pushed out of a full bucket
        // may be missed: it is then verified again).
        assert!(found > 0 && found <= held, "{found} found, {held} held");
        // A removed token is gone from both.
        let kept = tokens
            .iter()
            .find(|token| cache.get(token).is_some())
            .expect("one kept");
        cache.remove(kept);
        assert!(cache.get(kept).is_none());
        assert!(cache.front.held() as u64 <= cache.len());
    }
}
