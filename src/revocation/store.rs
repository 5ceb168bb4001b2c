//! Where revocations live so that every instance sees them: the [`Store`]
//! trait, the [`Feed`] a store fills the mirror through, and the in-memory
//! store (one process, nothing to run).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::entry::Entry;
use super::list::Shared;
use crate::error::Error;

/// The future a [`Store`] method returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A place revocations are written to and read from by every instance.
///
/// Two come with the crate: [`MemoryStore`] (one process) and
/// [`RedisStore`](super::RedisStore) (feature `redis`). Another store
/// (a database table with notifications, say) implements these three
/// methods; errors should be [`Error::RevocationUnavailable`].
pub trait Store: Send + Sync + 'static {
    /// Records an entry durably, so that every instance will see it; an
    /// entry that is already there with a later expiry (or a later user
    /// cut-off) keeps the later values. Fails when the store cannot be
    /// reached: nothing may be silently dropped.
    fn record<'a>(&'a self, entry: &'a Entry) -> StoreFuture<'a, ()>;

    /// Every entry that has not expired, for a full resync.
    fn snapshot(&self) -> StoreFuture<'_, Vec<Entry>>;

    /// Follows the store: subscribes to new entries, then hands a full
    /// snapshot to [`Feed::resynced`] (so nothing written in between is
    /// missed), then every entry other instances write to
    /// [`Feed::entry`]. Returns (with the reason) when the subscription is
    /// lost; the revocation list then reconnects with backoff.
    fn watch<'a>(&'a self, feed: &'a Feed) -> StoreFuture<'a, ()>;

    /// A short description for logs and errors, without secrets (no
    /// password in a URL).
    fn describe(&self) -> String;
}

/// How a [`Store`] feeds the in-memory mirror of its revocation list.
pub struct Feed {
    pub(crate) shared: Arc<Shared>,
}

impl Feed {
    /// An entry another instance (or the CLI) wrote.
    pub fn entry(&self, entry: Entry) {
        self.shared.ingest(std::iter::once(entry));
    }

    /// A full snapshot, taken after subscribing: from now on the mirror is
    /// live.
    pub fn resynced(&self, entries: Vec<Entry>) {
        self.shared.ingest(entries);
        self.shared.went_live();
    }
}

impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

/// Revocations kept in this process only: the mirror is the whole list.
/// The default, for a single instance; nothing to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryStore;

impl Store for MemoryStore {
    fn record<'a>(&'a self, _entry: &'a Entry) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn snapshot(&self) -> StoreFuture<'_, Vec<Entry>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn watch<'a>(&'a self, feed: &'a Feed) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            feed.resynced(Vec::new());
            std::future::pending::<()>().await;
            Ok(())
        })
    }

    fn describe(&self) -> String {
        "in memory".to_owned()
    }
}
