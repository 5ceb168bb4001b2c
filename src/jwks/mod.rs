//! JWKS: where keys come from (fetch) and how they are kept (cache).

pub(crate) mod cache;
pub(crate) mod fetch;

pub(crate) use cache::{CacheOptions, CachedKey, JwksStore, Location, SourceId};
pub(crate) use fetch::Fetcher;
