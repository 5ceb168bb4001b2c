//! Keys: the JWK model, the per-source key store with its fetch rules,
//! fetching over HTTP(S), and the crypto backends that verify signatures.
//!
//! | file | job |
//! |---|---|
//! | `jwk.rs` | a JWKS parsed once into usable public keys; does a key fit a header |
//! | `store.rs` | one current key set per source, swapped atomically; lookups by `kid` |
//! | `schedule.rs` | when a source may be fetched: single flight, kid-miss cooldown, backoff |
//! | `fetch.rs` | the HTTP side: timeouts, body cap, HTTPS-or-loopback, discovery |
//! | `crypto/` | aws-lc-rs or RustCrypto signature checks on keys parsed once |

pub(crate) mod crypto;
pub(crate) mod fetch;
mod jwk;
mod schedule;
mod store;

pub(crate) use fetch::Fetcher;
#[cfg(feature = "testing")]
pub(crate) use jwk::p256_pem;
pub(crate) use jwk::{KeySet, PublicJwk, alg_name};
pub(crate) use store::{CacheOptions, CachedKey, KeyStore, Location, SourceId};
