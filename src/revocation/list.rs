//! [`RevocationList`]: writing revocations to the store, the mirror every
//! verification checks, and the background tasks that keep the mirror in
//! step (the store's subscription, with reconnects, and a periodic full
//! resync).
//!
//! Longer than most modules: the writes, the check on the hot path and the
//! two tasks share the list's state and its failure rules (fail open or
//! closed, staleness), which read best in one place.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::entry::{Entry, Revocation};
use super::mirror::{Matched, Mirror, MirrorStatus, TokenIds};
use super::store::{Feed, MemoryStore, Store};
use crate::claims::VerifiedToken;
use crate::clock::{self, Clock};
use crate::error::{Error, Result};

/// The default maximum token lifetime: 24 h, Cognito's longest for ID and
/// access tokens. An entry is forgotten this long after the last token it
/// could match was issued.
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// The default bound on entries held.
pub const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// The default interval of the full resync (a safety net under the
/// subscription).
pub const DEFAULT_RESYNC_INTERVAL: Duration = Duration::from_secs(60);

/// The latest user cut-off accepted (the year 9999): far enough for any
/// use, small enough for every store to hold exactly.
const MAX_CUTOFF: i64 = 253_402_300_799;

/// A revocation list every instance sees: revocations written to a shared
/// [`Store`] (Redis, or memory for one process), mirrored in memory by each
/// instance, checked by the verifier on every verification — cached ones
/// included — without waiting on the network.
///
/// Cheap to clone; the background tasks stop when the last clone is
/// dropped. Build one at start-up, inside a tokio runtime.
///
/// ```
/// use cognito_auth::revocation::RevocationList;
/// use cognito_auth::{CognitoPool, TokenUse, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cognito_auth::Error> {
/// let revocations = RevocationList::in_memory()?;
/// let verifier = Verifier::builder()
///     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
///     .revocation_list(revocations.clone())
///     .build()?;
/// // At sign-out: every token of this session stops verifying.
/// revocations
///     .revoke_session("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123", "origin-jti-of-the-session")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RevocationList {
    shared: Arc<Shared>,
    _tasks: Arc<Tasks>,
}

/// What the list, its tasks and the store's feed share.
pub(crate) struct Shared {
    pub(crate) mirror: Mirror,
    /// Whether the store's subscription is up (the mirror may still be
    /// stale when a resync failed).
    subscribed: AtomicBool,
    store: Box<dyn Store>,
    max_lifetime: i64,
    fail_closed_after: Option<i64>,
    clock: Clock,
}

/// Aborts the background tasks when the last list handle goes.
struct Tasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Configuration of a [`RevocationList`].
///
/// | knob | default |
/// |---|---|
/// | [`max_token_lifetime`](Self::max_token_lifetime) | 24 h |
/// | [`max_entries`](Self::max_entries) | 1 000 000 |
/// | [`resync_every`](Self::resync_every) | 60 s |
/// | [`fail_closed_after`](Self::fail_closed_after) | off: a stale mirror keeps serving |
pub struct RevocationListBuilder {
    store: Box<dyn Store>,
    max_lifetime: Duration,
    max_entries: usize,
    resync_every: Duration,
    fail_closed_after: Option<Duration>,
    clock: Option<Clock>,
}

impl RevocationList {
    /// A list kept in this process only (nothing to run).
    pub fn in_memory() -> Result<Self> {
        RevocationList::builder(MemoryStore).start()
    }

    /// A list on `store`, to configure.
    pub fn builder(store: impl Store) -> RevocationListBuilder {
        RevocationListBuilder {
            store: Box::new(store),
            max_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
            max_entries: DEFAULT_MAX_ENTRIES,
            resync_every: DEFAULT_RESYNC_INTERVAL,
            fail_closed_after: None,
            clock: None,
        }
    }

    /// Records a revocation in the store (so every instance sees it) and in
    /// this instance's mirror. Returns the entry as recorded; fails with
    /// `revocation_unavailable` when the store cannot be reached or the
    /// list is full (nothing is recorded then), `config` for an empty id.
    pub async fn revoke(&self, revocation: Revocation) -> Result<Entry> {
        let now = (self.shared.clock)();
        let expires_at = revocation.expires_at(now, self.shared.max_lifetime);
        self.record(Entry::new(revocation, expires_at)).await
    }

    /// Like [`revoke`](Self::revoke), remembered until `expires_at`
    /// (seconds since the epoch) instead of for the maximum token lifetime.
    pub async fn revoke_until(&self, revocation: Revocation, expires_at: i64) -> Result<Entry> {
        self.record(Entry::new(revocation, expires_at)).await
    }

    /// Like [`revoke`](Self::revoke), remembered for `ttl` from now instead
    /// of for the maximum token lifetime.
    pub async fn revoke_for(&self, revocation: Revocation, ttl: Duration) -> Result<Entry> {
        let ttl = i64::try_from(ttl.min(clock::MAX_OFFSET.saturating_mul(3650)).as_secs())
            .unwrap_or(i64::MAX);
        let expires_at = self.now().saturating_add(ttl);
        self.record(Entry::new(revocation, expires_at)).await
    }

    /// The list's clock: seconds since the epoch (for cut-offs).
    pub fn now(&self) -> i64 {
        (self.shared.clock)()
    }

    /// Revokes a sign-in session: every token with this `origin_jti`.
    pub async fn revoke_session(
        &self,
        issuer: impl Into<String>,
        origin_jti: impl Into<String>,
    ) -> Result<Entry> {
        self.revoke(Revocation::Session {
            issuer: issuer.into(),
            origin_jti: origin_jti.into(),
        })
        .await
    }

    /// Revokes one token by its `jti`.
    pub async fn revoke_token(
        &self,
        issuer: impl Into<String>,
        jti: impl Into<String>,
    ) -> Result<Entry> {
        self.revoke(Revocation::Token {
            issuer: issuer.into(),
            jti: jti.into(),
        })
        .await
    }

    /// Revokes every token of a user issued at or before `issued_before`
    /// (seconds since the epoch; the second itself included).
    pub async fn revoke_user(
        &self,
        issuer: impl Into<String>,
        sub: impl Into<String>,
        issued_before: i64,
    ) -> Result<Entry> {
        self.revoke(Revocation::User {
            issuer: issuer.into(),
            sub: sub.into(),
            issued_before,
        })
        .await
    }

    /// Revokes every token of a user issued up to now (a global sign-out).
    pub async fn revoke_user_now(
        &self,
        issuer: impl Into<String>,
        sub: impl Into<String>,
    ) -> Result<Entry> {
        let now = (self.shared.clock)();
        self.revoke_user(issuer, sub, now).await
    }

    /// Revokes the session a verified token belongs to (its `origin_jti`;
    /// the token alone, by `jti`, when it has none).
    pub async fn revoke_session_of(&self, token: &VerifiedToken) -> Result<Entry> {
        let issuer = token.issuer().to_owned();
        match (token.origin_jti(), token.jti()) {
            (Some(origin_jti), _) => self.revoke_session(issuer, origin_jti).await,
            (None, Some(jti)) => self.revoke_token(issuer, jti).await,
            (None, None) => Err(Error::config(
                "the token has neither origin_jti nor jti: there is nothing to revoke it by",
            )),
        }
    }

    /// Whether a verified token has been revoked since (the verifier does
    /// this itself when the list is configured on it).
    pub fn check(&self, token: &VerifiedToken) -> Result<()> {
        self.check_ids(&token.ids(), (self.shared.clock)())
    }

    /// How the mirror stands: entries, live or stale since when.
    pub fn status(&self) -> MirrorStatus {
        self.shared.mirror.status()
    }

    /// Reads the whole store into the mirror now (besides the periodic
    /// resync); fails with `revocation_unavailable`.
    pub async fn resync(&self) -> Result<()> {
        self.shared.resync().await
    }

    /// Waits until the mirror follows its store live (subscribed and
    /// synced), at most `timeout`; `revocation_unavailable` otherwise.
    pub async fn ready(&self, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout.min(clock::MAX_OFFSET);
        while !self.shared.mirror.status().live {
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::RevocationUnavailable(format!(
                    "the revocation list on {} is not in step after {} ms",
                    self.shared.store.describe(),
                    timeout.as_millis()
                )));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// The mirror's version: it grows with every revocation added.
    pub(crate) fn version(&self) -> u64 {
        self.shared.mirror.version()
    }

    /// The hot path: whether a token with these ids is revoked, or the
    /// mirror too stale to say (when failing closed).
    pub(crate) fn check_ids(&self, ids: &TokenIds<'_>, now: i64) -> Result<()> {
        self.shared.fail_closed_check(now)?;
        match self.shared.mirror.find(ids, now) {
            None => Ok(()),
            Some(matched) => Err(revoked(matched)),
        }
    }

    /// The check of a cached verification: one load while no revocation
    /// arrived since `seen`, a full check otherwise (and `seen` moves on
    /// when the token is still fine).
    pub(crate) fn check_since<'a>(
        &self,
        ids: impl FnOnce() -> TokenIds<'a>,
        seen: &AtomicU64,
        now: i64,
    ) -> Result<()> {
        self.shared.fail_closed_check(now)?;
        let version = self.shared.mirror.version();
        if seen.load(Ordering::Acquire) == version {
            return Ok(());
        }
        if let Some(matched) = self.shared.mirror.find(&ids(), now) {
            return Err(revoked(matched));
        }
        seen.store(version, Ordering::Release);
        Ok(())
    }

    async fn record(&self, entry: Entry) -> Result<Entry> {
        entry.revocation.validate().map_err(Error::config)?;
        if entry
            .revocation
            .cutoff()
            .is_some_and(|cutoff| cutoff > MAX_CUTOFF)
        {
            return Err(Error::config(
                "a user cut-off after the year 9999 is not a time",
            ));
        }
        let now = (self.shared.clock)();
        let entry = Entry::new(entry.revocation, entry.expires_at.min(MAX_CUTOFF));
        if entry.expires_at <= now {
            // No token it could match is still valid: nothing to record.
            return Ok(entry);
        }
        let mirror = &self.shared.mirror;
        let full = || mirror.len() >= self.shared.mirror_capacity() && !mirror.holds(&entry);
        if full() {
            mirror.sweep(now);
        }
        if full() {
            return Err(Error::RevocationUnavailable(format!(
                "the revocation list is full ({} entries): raise max_entries, or shorten \
                 max_token_lifetime; nothing was recorded",
                mirror.len()
            )));
        }
        self.shared.store.record(&entry).await?;
        if mirror.insert(&entry, now).is_err() {
            tracing::error!(
                "revocation recorded in {} but the local mirror is full: this instance \
                 will not enforce it",
                self.shared.store.describe()
            );
        }
        tracing::info!(
            kind = entry.revocation.key().0.as_str(),
            issuer = entry.revocation.issuer(),
            expires_at = entry.expires_at,
            "revocation recorded"
        );
        Ok(entry)
    }
}

fn revoked(matched: Matched) -> Error {
    Error::Revoked(match matched {
        Matched::Session => "its session was revoked".to_owned(),
        Matched::Token => "the token was revoked".to_owned(),
        Matched::User { cutoff } => {
            format!("its user's tokens issued at or before {cutoff} were revoked")
        }
    })
}

impl Shared {
    fn mirror_capacity(&self) -> usize {
        self.mirror.capacity()
    }

    fn fail_closed_check(&self, now: i64) -> Result<()> {
        let Some(bound) = self.fail_closed_after else {
            return Ok(());
        };
        let stale = self.mirror.stale_for(now);
        if stale > bound {
            return Err(Error::RevocationUnavailable(format!(
                "the revocation list has not followed {} for {stale} s (at most {bound} s allowed)",
                self.store.describe()
            )));
        }
        Ok(())
    }

    /// Takes entries into the mirror, as far as the cap allows.
    pub(crate) fn ingest(&self, entries: impl IntoIterator<Item = Entry>) {
        let now = (self.clock)();
        let mut refused = 0usize;
        for entry in entries {
            if self.mirror.insert(&entry, now).is_err() {
                refused += 1;
            }
        }
        if refused > 0 {
            self.mirror.sweep(now);
            tracing::error!(
                refused,
                held = self.mirror.len(),
                "the revocation mirror is full: {refused} revocations from {} are not enforced \
                 here (raise max_entries)",
                self.store.describe()
            );
        }
        self.mirror.set_overflowed(refused > 0);
    }

    pub(crate) fn went_live(&self) {
        let now = (self.clock)();
        self.subscribed.store(true, Ordering::Release);
        self.mirror.set_live(now);
        tracing::info!(
            entries = self.mirror.len(),
            store = %self.store.describe(),
            "revocation list in step with its store"
        );
    }

    async fn resync(&self) -> Result<()> {
        let entries = self.store.snapshot().await?;
        self.ingest(entries);
        let now = (self.clock)();
        self.mirror.sweep(now);
        if self.subscribed.load(Ordering::Acquire) {
            self.mirror.set_live(now);
        } else {
            self.mirror.resynced(now);
        }
        Ok(())
    }
}

impl RevocationListBuilder {
    /// The longest an ID or access token of the pools lives (default 24 h,
    /// Cognito's maximum): entries are remembered this long after the last
    /// token they could match was issued. A shorter value keeps fewer
    /// entries; too short a value lets a revoked token verify again.
    pub fn max_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// The most entries held (default 1 000 000). A revocation written
    /// while the list is full fails with `revocation_unavailable` (nothing
    /// is recorded); entries from the store beyond the cap are reported as
    /// an error and mark the mirror stale.
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max;
        self
    }

    /// How often the whole store is read again, besides the live
    /// subscription (default 60 s).
    pub fn resync_every(mut self, interval: Duration) -> Self {
        self.resync_every = interval;
        self
    }

    /// Refuses every token (`revocation_unavailable`, a 503) once the
    /// mirror has not followed its store for longer than `bound`. Off by
    /// default: a stale mirror keeps enforcing what it knows and serving
    /// everyone else.
    pub fn fail_closed_after(mut self, bound: Duration) -> Self {
        self.fail_closed_after = Some(bound);
        self
    }

    /// Replaces the clock (seconds since the epoch), for tests.
    pub fn clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Starts the list: its background tasks follow the store from now on.
    /// Needs a tokio runtime; `config` errors for bad knobs.
    pub fn start(self) -> Result<RevocationList> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::config("a revocation list must be started inside a tokio runtime")
        })?;
        if self.max_entries == 0 {
            return Err(Error::config("max_entries must be above zero"));
        }
        if self.resync_every.is_zero() {
            return Err(Error::config("the resync interval must be above zero"));
        }
        let max_lifetime = i64::try_from(self.max_lifetime.as_secs()).unwrap_or(i64::MAX);
        if max_lifetime == 0 {
            return Err(Error::config(
                "the maximum token lifetime must be above zero",
            ));
        }
        let clock = self.clock.unwrap_or_else(clock::system);
        let shared = Arc::new(Shared {
            mirror: Mirror::new(self.max_entries, clock()),
            subscribed: AtomicBool::new(false),
            store: self.store,
            max_lifetime,
            fail_closed_after: self
                .fail_closed_after
                .map(|bound| i64::try_from(bound.as_secs()).unwrap_or(i64::MAX)),
            clock,
        });
        let watch = runtime.spawn(follow(shared.clone()));
        let resync = runtime.spawn(resync_periodically(
            shared.clone(),
            self.resync_every.min(clock::MAX_OFFSET),
        ));
        Ok(RevocationList {
            shared,
            _tasks: Arc::new(Tasks(vec![watch, resync])),
        })
    }
}

/// Follows the store's subscription; reconnects with backoff (100 ms,
/// doubling, at most 2 s) when it is lost.
async fn follow(shared: Arc<Shared>) {
    let feed = Feed {
        shared: shared.clone(),
    };
    let mut delay = Duration::from_millis(100);
    loop {
        let started = tokio::time::Instant::now();
        let outcome = shared.store.watch(&feed).await;
        shared.subscribed.store(false, Ordering::Release);
        let now = (shared.clock)();
        let was_live = shared.mirror.set_stale(now);
        let reason = match outcome {
            Ok(()) => "the subscription ended".to_owned(),
            Err(err) => err.to_string(),
        };
        if was_live {
            tracing::error!(
                store = %shared.store.describe(),
                %reason,
                entries = shared.mirror.len(),
                "revocation list lost its store: the revocations known are still enforced, \
                 new ones from other instances are not seen until it is back"
            );
        } else {
            tracing::warn!(store = %shared.store.describe(), %reason, "revocation store still unreachable");
        }
        if started.elapsed() > Duration::from_secs(10) {
            delay = Duration::from_millis(100);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

/// The safety net: a full resync at every interval, and a sweep of what
/// expired.
async fn resync_periodically(shared: Arc<Shared>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        if let Err(err) = shared.resync().await {
            let now = (shared.clock)();
            if shared.mirror.set_stale(now) {
                tracing::error!(error = %err, "revocation resync failed: the mirror is stale");
            }
        }
    }
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("store", &self.shared.store.describe())
            .field("status", &self.shared.mirror.status())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RevocationListBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationListBuilder")
            .field("store", &self.store.describe())
            .field("max_token_lifetime", &self.max_lifetime)
            .field("max_entries", &self.max_entries)
            .field("resync_every", &self.resync_every)
            .field("fail_closed_after", &self.fail_closed_after)
            .finish_non_exhaustive()
    }
}
