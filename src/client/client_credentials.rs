//! A machine-to-machine access token from the client-credentials grant,
//! cached and refreshed ahead of expiry.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::secret::Secret;
use super::token_endpoint::TokenEndpoint;
use crate::clock::{MAX_OFFSET, later};
use crate::error::Result;

/// A machine-to-machine access token, fetched with client credentials,
/// cached, and refreshed ahead of expiry. Concurrent callers share one
/// refresh; while a refresh runs ahead of expiry, the others keep getting
/// the still-valid token.
///
/// ```no_run
/// use std::time::Duration;
/// use cognito_auth::client::{ClientCredentials, TokenEndpoint};
///
/// # async fn demo() -> Result<(), cognito_auth::Error> {
/// let endpoint = TokenEndpoint::new("https://auth.example.com/oauth2/token", "machine-client")?
///     .client_secret("machine-secret");
/// let source = ClientCredentials::new(endpoint, ["https://api.example.com/read"])
///     .refresh_before(Duration::from_secs(120));
/// let token = source.access_token().await?; // cached until two minutes before expiry
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    endpoint: TokenEndpoint,
    scopes: Vec<String>,
    refresh_before: Duration,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    cached: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
    expires_at: Instant,
}

enum Freshness {
    Fresh(Secret),
    /// Still valid, but due for a refresh.
    Due(Secret),
    Stale,
}

impl ClientCredentials {
    /// A source for `scopes` (none: every scope of the client). Tokens are
    /// refreshed 60 s before expiry by default.
    pub fn new<I, S>(endpoint: TokenEndpoint, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClientCredentials {
            endpoint,
            scopes: scopes.into_iter().map(Into::into).collect(),
            refresh_before: Duration::from_secs(60),
            shared: Arc::new(Shared::default()),
        }
    }

    /// How long before expiry a new token is fetched (at most half the
    /// token's lifetime).
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// A valid access token, from the cache when possible.
    pub async fn access_token(&self) -> Result<Secret> {
        match self.freshness() {
            Freshness::Fresh(token) => return Ok(token),
            Freshness::Due(token) => {
                // Someone else is refreshing: the current token still works.
                let Ok(_turn) = self.shared.refresh.try_lock() else {
                    return Ok(token);
                };
                return match self.fetch().await {
                    Ok(token) => Ok(token),
                    Err(err) => {
                        tracing::warn!(error = %err, "refreshing the client-credentials token failed; using the current one");
                        Ok(token)
                    }
                };
            }
            Freshness::Stale => {}
        }
        let _turn = self.shared.refresh.lock().await;
        if let Freshness::Fresh(token) | Freshness::Due(token) = self.freshness() {
            return Ok(token);
        }
        self.fetch().await
    }

    fn freshness(&self) -> Freshness {
        let cached = self
            .shared
            .cached
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        match cached.as_ref() {
            Some(entry) if now < entry.refresh_at => Freshness::Fresh(entry.token.clone()),
            Some(entry) if now < entry.expires_at => Freshness::Due(entry.token.clone()),
            _ => Freshness::Stale,
        }
    }

    async fn fetch(&self) -> Result<Secret> {
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let tokens = self.endpoint.client_credentials(&scopes).await?;
        // A lifetime from the network: clamped to a day (the longest
        // Cognito grants) before it offsets an `Instant`.
        let lifetime = Duration::from_secs(tokens.expires_in.unwrap_or(3600)).min(MAX_OFFSET);
        let margin = self.refresh_before.min(lifetime / 2);
        let now = Instant::now();
        let entry = Cached {
            token: tokens.access_token.clone(),
            refresh_at: later(now, lifetime.saturating_sub(margin)),
            expires_at: later(now, lifetime),
        };
        *self
            .shared
            .cached
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(entry);
        Ok(tokens.access_token)
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("endpoint", &self.endpoint)
            .field("scopes", &self.scopes)
            .field("refresh_before", &self.refresh_before)
            .finish_non_exhaustive()
    }
}
