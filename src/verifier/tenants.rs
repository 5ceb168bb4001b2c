//! Tenants: issuers a resolver finds after start-up. The resolver is asked
//! once per issuer (concurrent tokens of a new issuer share one call) and
//! its answers are remembered, refusals too, in a bounded cache with a
//! time to live. A refused issuer costs no key fetch: its tokens only meet
//! the configured issuers' cached keys, then `invalid_issuer`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::issuers::{Candidate, IssuerEntry, IssuerTable};
use crate::config::IssuerResolver;
use crate::error::{Error, Result, echo};
use crate::keys::{CacheOptions, Fetcher, KeyStore};

/// Issuers longer than this are refused without asking the resolver.
pub(crate) const MAX_ISSUER_BYTES: usize = 1024;

/// A resolved tenant: its issuer entry and the store of its keys.
pub(crate) struct TenantIssuer {
    entry: IssuerEntry,
    store: Arc<KeyStore>,
}

impl TenantIssuer {
    pub(crate) fn candidate(&self) -> Candidate<'_> {
        Candidate {
            entry: &self.entry,
            store: &self.store,
        }
    }
}

/// The resolver and what it said.
pub(crate) struct Tenants {
    resolver: Arc<dyn IssuerResolver>,
    known: moka::future::Cache<String, Option<Arc<TenantIssuer>>>,
    fetcher: Fetcher,
    options: CacheOptions,
    allow_insecure_http: bool,
    calls: AtomicU64,
}

impl Tenants {
    pub(crate) fn new(
        resolver: Arc<dyn IssuerResolver>,
        (max_issuers, ttl): (u64, Duration),
        fetcher: Fetcher,
        options: CacheOptions,
        allow_insecure_http: bool,
    ) -> Self {
        Tenants {
            resolver,
            known: moka::future::Cache::builder()
                .max_capacity(max_issuers)
                .time_to_live(ttl)
                .build(),
            fetcher,
            options,
            allow_insecure_http,
            calls: AtomicU64::new(0),
        }
    }

    /// The tenant of `iss`, or `None` when the resolver refuses it.
    pub(crate) async fn find(&self, iss: &str) -> Result<Option<Arc<TenantIssuer>>> {
        if iss.is_empty() || iss.len() > MAX_ISSUER_BYTES {
            return Ok(None);
        }
        self.known
            .try_get_with_by_ref(iss, self.resolve(iss))
            .await
            .map_err(|err: Arc<Error>| (*err).clone())
    }

    /// How many times the resolver was asked (diagnostics).
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    async fn resolve(&self, iss: &str) -> Result<Option<Arc<TenantIssuer>>> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let tenant = match self.resolver.resolve(iss).await {
            Ok(Some(tenant)) => tenant,
            Ok(None) => {
                tracing::debug!(issuer = %echo(iss), "the resolver refused an issuer");
                return Ok(None);
            }
            Err(err) => {
                let message = crate::error::error_chain(err.as_ref());
                tracing::warn!(issuer = %echo(iss), error = %message, "the issuer resolver failed");
                return Err(Error::IssuerUnavailable(message));
            }
        };
        let mut store = KeyStore::new(self.fetcher.clone(), self.options.clone());
        match IssuerTable::lower_tenant(&tenant, iss, &mut store, self.allow_insecure_http) {
            Ok(Some(entry)) => Ok(Some(Arc::new(TenantIssuer {
                entry,
                store: Arc::new(store),
            }))),
            Ok(None) => {
                tracing::error!(
                    issuer = %echo(iss),
                    "the resolver answered with the configuration of another issuer: refused"
                );
                Ok(None)
            }
            Err(err) => {
                tracing::error!(issuer = %echo(iss), error = %err, "the resolver's configuration is invalid: refused");
                Ok(None)
            }
        }
    }
}
