//! A mock Cognito user pool for tests, yours and ours (feature `testing`).
//! (Longer than most modules: `MockPool` is the kit's public face, and its
//! many small knobs are documented here, each with what Cognito does.)
//!
//! [`MockPool::start`] generates two RSA-2048 keys (one for ID tokens, one
//! for access tokens, as Cognito does), serves their JWKS over real HTTP on
//! 127.0.0.1 at `/{pool}/.well-known/jwks.json`, and mints tokens. It can
//! rotate keys and make its JWKS endpoint fail or stall on demand.
//!
//! ```
//! use cognito_auth::testing::MockPool;
//! use cognito_auth::{TokenUse, Verifier};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cognito_auth::Error> {
//! let pool = MockPool::start().await?;
//! let verifier = Verifier::builder()
//!     .cognito(pool.cognito_pool().token_use(TokenUse::Access).client_id(pool.client_id()))
//!     .build()?;
//!
//! let token = pool.access_token().username("alice").groups(["admin"]).sign()?;
//! let claims = verifier.verify_access(&token).await?;
//! assert_eq!(claims.username.as_deref(), Some("alice"));
//! assert!(claims.in_group("admin"));
//! # Ok(()) }
//! ```

#[cfg(feature = "alb")]
mod alb;
mod bulk;
mod keys;
mod managed_login;
mod server;
mod token;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::task::JoinHandle;

#[cfg(feature = "alb")]
#[cfg_attr(docsrs, doc(cfg(feature = "alb")))]
pub use alb::{AlbTokenBuilder, MockAlb};
pub use keys::{SigningKey, jwks_json};
pub use managed_login::MockUser;
pub use token::TokenBuilder;

use crate::Algorithm;
use crate::config::{CognitoPool, aws};
use crate::error::{Error, Result};
use token::TokenKind;

/// How the mock pool's JWKS endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwksBehavior {
    /// 200 with the current keys (the default).
    Serve,
    /// Waits, then serves the current keys.
    Stall(Duration),
    /// Answers with this status and a short text body.
    Status(u16),
    /// Answers with exactly this status, content type and body.
    Body {
        /// HTTP status.
        status: u16,
        /// `Content-Type` header.
        content_type: String,
        /// The body bytes.
        body: Vec<u8>,
    },
    /// 302 to this location.
    Redirect(String),
    /// Accepts connections and closes them without answering.
    RefuseConnections,
    /// Sends the headers and half the body, then resets the connection.
    ResetMidBody,
    /// Sends the headers, then waits this long before closing.
    StallAfterHeaders(Duration),
    /// A 200 JSON answer of this many bytes (spaces), with or without a
    /// `Content-Length`; [`MockPool::bytes_sent`] counts what got out.
    Huge {
        /// Body size in bytes.
        bytes: usize,
        /// Whether `Content-Length` announces it (otherwise chunked).
        declare_length: bool,
    },
}

impl JwksBehavior {
    /// Answered below HTTP, on the raw connection.
    pub(crate) fn is_raw(&self) -> bool {
        matches!(
            self,
            JwksBehavior::RefuseConnections
                | JwksBehavior::ResetMidBody
                | JwksBehavior::StallAfterHeaders(_)
                | JwksBehavior::Huge { .. }
        )
    }
}

/// A user pool on loopback that serves a JWKS and mints tokens.
///
/// The server stops when the pool is dropped. See the [module
/// docs](crate::testing) for an example.
pub struct MockPool {
    state: Arc<PoolState>,
    server: JoinHandle<()>,
}

pub(crate) struct PoolState {
    pool_id: String,
    region: String,
    issuer: String,
    jwks_uri: String,
    base_url: String,
    client_id: String,
    id_key: RwLock<SigningKey>,
    access_key: RwLock<SigningKey>,
    served: RwLock<Vec<SigningKey>>,
    behavior: RwLock<JwksBehavior>,
    jwks_requests: AtomicU64,
    discovery_requests: AtomicU64,
    bytes_sent: AtomicU64,
    login: managed_login::ManagedLogin,
}

/// What the managed login of a [`MockPool`] has been asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct OauthRequests {
    /// Sign-ins through the form that succeeded.
    pub sign_ins: u64,
    /// `authorization_code` grants asked for.
    pub code_grants: u64,
    /// `refresh_token` grants asked for.
    pub refresh_grants: u64,
    /// `/oauth2/revoke` requests.
    pub revocations: u64,
    /// `/logout` redirects given.
    pub logouts: u64,
}

/// Options for a [`MockPool`]: region, pool id, client id, issuer form,
/// signing keys.
#[derive(Debug, Clone)]
#[must_use = "call .start().await"]
pub struct MockPoolBuilder {
    region: String,
    pool_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    aws_issuer: bool,
    keys: Option<(SigningKey, SigningKey)>,
}

impl MockPool {
    /// Starts a pool in `us-east-1` with a random pool id and client id,
    /// whose issuer is its own loopback URL (as with cognito-local).
    pub async fn start() -> Result<Self> {
        MockPool::builder().start().await
    }

    /// Options for a pool.
    pub fn builder() -> MockPoolBuilder {
        MockPoolBuilder {
            region: "us-east-1".to_owned(),
            pool_id: None,
            client_id: None,
            client_secret: None,
            aws_issuer: false,
            keys: None,
        }
    }

    /// The user pool id, `{region}_{9 alphanumerics}` unless chosen.
    pub fn pool_id(&self) -> &str {
        &self.state.pool_id
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.state.region
    }

    /// The issuer its tokens carry.
    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    /// Where its JWKS is served.
    pub fn jwks_uri(&self) -> &str {
        &self.state.jwks_uri
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The default app client id of its tokens.
    pub fn client_id(&self) -> &str {
        &self.state.client_id
    }

    /// A [`CognitoPool`] pointing at this pool (issuer and JWKS URL set);
    /// add the token use and clients.
    pub fn cognito_pool(&self) -> CognitoPool {
        CognitoPool::from_issuer(self.issuer()).jwks_uri(self.jwks_uri())
    }

    /// A Cognito access token for a user.
    pub fn access_token(&self) -> TokenBuilder {
        TokenBuilder::new(&self.state, TokenKind::Access)
    }

    /// A Cognito ID token for a user.
    pub fn id_token(&self) -> TokenBuilder {
        TokenBuilder::new(&self.state, TokenKind::Id)
    }

    /// A machine-to-machine access token (`sub == client_id`, no user).
    pub fn client_credentials_token(&self) -> TokenBuilder {
        TokenBuilder::new(&self.state, TokenKind::ClientCredentials)
    }

    /// Replaces both signing keys with new ones; the old keys leave the
    /// JWKS. Returns the new `(id, access)` kids.
    pub fn rotate_keys(&self) -> Result<(String, String)> {
        let id_key = SigningKey::generate(Algorithm::RS256)?;
        let access_key = SigningKey::generate(Algorithm::RS256)?;
        let kids = (id_key.kid().to_owned(), access_key.kid().to_owned());
        *write(&self.state.served) = vec![id_key.clone(), access_key.clone()];
        *write(&self.state.id_key) = id_key;
        *write(&self.state.access_key) = access_key;
        Ok(kids)
    }

    /// Adds a key to the JWKS (it does not become a default signer).
    pub fn add_key(&self, key: SigningKey) {
        write(&self.state.served).push(key);
    }

    /// Removes every key with this `kid` from the JWKS.
    pub fn remove_key(&self, kid: &str) {
        write(&self.state.served).retain(|key| key.kid() != kid);
    }

    /// The keys the JWKS currently holds.
    pub fn served_keys(&self) -> Vec<SigningKey> {
        read(&self.state.served).clone()
    }

    /// The JWKS document currently served (for a static-JWKS verifier).
    pub fn jwks_json(&self) -> String {
        self.state.jwks_json()
    }

    /// Changes how the JWKS endpoint answers from the next request on.
    pub fn set_jwks_behavior(&self, behavior: JwksBehavior) {
        *write(&self.state.behavior) = behavior;
    }

    /// How many JWKS requests the server has seen.
    pub fn jwks_requests(&self) -> u64 {
        self.state.jwks_requests.load(Ordering::SeqCst)
    }

    /// `{base_url}/__stats`: the request counts as JSON
    /// (`{"jwks_requests": n, "discovery_requests": m}`), for checks made
    /// from another process.
    pub fn stats_url(&self) -> String {
        format!("{}/__stats", self.state.base_url)
    }

    /// Body bytes written by [`JwksBehavior::Huge`] answers before the
    /// client stopped reading.
    pub fn bytes_sent(&self) -> u64 {
        self.state.bytes_sent.load(Ordering::SeqCst)
    }

    /// The managed-login domain: `http://127.0.0.1:{port}`, serving
    /// `/oauth2/authorize`, the `/login` form, `/oauth2/token`,
    /// `/oauth2/revoke`, `/logout` and `/oauth2/userInfo`.
    pub fn domain(&self) -> &str {
        &self.state.base_url
    }

    /// The app client's secret, when it has one.
    pub fn client_secret(&self) -> Option<&str> {
        self.state.login.client_secret.as_deref()
    }

    /// Adds a user who can sign in through the managed login.
    pub fn add_user(&self, user: MockUser) {
        self.state.login.add_user(user);
    }

    /// Registers a callback URL of the app client (`redirect_uri` must
    /// equal one exactly).
    pub fn allow_callback(&self, url: impl Into<String>) {
        self.state.login.allow_callback(url.into());
    }

    /// Registers a sign-out URL of the app client (`logout_uri` of
    /// `/logout` must equal one exactly).
    pub fn allow_logout_url(&self, url: impl Into<String>) {
        self.state.login.allow_logout_url(url.into());
    }

    /// The lifetime of the tokens the managed login issues (default 1 h).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.state.login.set_token_lifetime(lifetime);
    }

    /// A lifetime for the managed login's ID tokens apart from the access
    /// tokens' (Cognito configures the two separately); by default they
    /// share [`set_token_lifetime`](Self::set_token_lifetime)'s.
    pub fn set_id_token_lifetime(&self, lifetime: Duration) {
        self.state.login.set_id_token_lifetime(lifetime);
    }

    /// Counts of the managed login's requests: successful sign-ins,
    /// authorization-code and refresh grants, revocations, sign-outs.
    pub fn oauth_requests(&self) -> OauthRequests {
        let counters = &self.state.login.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        OauthRequests {
            sign_ins: load(&counters.sign_ins),
            code_grants: load(&counters.code_grants),
            refresh_grants: load(&counters.refresh_grants),
            revocations: load(&counters.revocations),
            logouts: load(&counters.logouts),
        }
    }

    /// Revokes every refresh token the managed login issued to a user, as
    /// `AdminUserGlobalSignOut` does: the user's sessions cannot be
    /// refreshed any more.
    pub fn sign_out_everywhere(&self, username: &str) {
        self.state.login.sign_out_everywhere(username);
    }

    /// Whether a refresh token the managed login issued has been revoked
    /// (`None`: it never issued it).
    pub fn refresh_token_revoked(&self, refresh_token: &str) -> Option<bool> {
        self.state.login.is_revoked(refresh_token)
    }

    /// How many discovery requests the server has seen.
    pub fn discovery_requests(&self) -> u64 {
        self.state.discovery_requests.load(Ordering::SeqCst)
    }
}

impl MockPoolBuilder {
    /// The region (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The pool id (default `{region}_` and 9 random alphanumerics).
    pub fn pool_id(mut self, pool_id: impl Into<String>) -> Self {
        self.pool_id = Some(pool_id.into());
        self
    }

    /// The default app client id of minted tokens.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Gives the app client a secret: the managed login's token and revoke
    /// endpoints then require HTTP Basic authentication with it.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Issues tokens with the real AWS issuer
    /// (`https://cognito-idp.{region}.amazonaws.com/{pool}`) while serving
    /// keys on loopback, as moto does.
    pub fn aws_issuer(mut self, aws_issuer: bool) -> Self {
        self.aws_issuer = aws_issuer;
        self
    }

    /// Signs with these keys (the ID token's, the access token's) instead
    /// of generating two: many pools start fast, sharing key material.
    pub fn signing_keys(mut self, id_key: SigningKey, access_key: SigningKey) -> Self {
        self.keys = Some((id_key, access_key));
        self
    }

    /// Generates the keys (unless given) and starts the server on
    /// 127.0.0.1.
    pub async fn start(self) -> Result<MockPool> {
        crate::keys::crypto::install_jsonwebtoken_provider();
        let pool_id = self
            .pool_id
            .unwrap_or_else(|| format!("{}_{}", self.region, alphanumerics(9)));
        let client_id = self
            .client_id
            .unwrap_or_else(|| alphanumerics(26).to_lowercase());
        let (id_key, access_key) = match self.keys {
            Some(keys) => keys,
            None => (
                SigningKey::generate(Algorithm::RS256)?,
                SigningKey::generate(Algorithm::RS256)?,
            ),
        };
        // The listener is bound first so the issuer can name the port.
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|err| Error::config(format!("mock pool cannot listen: {err}")))?;
        let address = listener
            .local_addr()
            .map_err(|err| Error::config(format!("mock pool has no address: {err}")))?;
        let base_url = format!("http://{address}");
        let issuer = if self.aws_issuer {
            aws::issuer("cognito-idp", &self.region, &pool_id)
        } else {
            format!("{base_url}/{pool_id}")
        };
        let state = Arc::new(PoolState {
            jwks_uri: format!("{base_url}/{pool_id}/.well-known/jwks.json"),
            pool_id,
            region: self.region,
            issuer,
            base_url,
            client_id,
            served: RwLock::new(vec![id_key.clone(), access_key.clone()]),
            id_key: RwLock::new(id_key),
            access_key: RwLock::new(access_key),
            behavior: RwLock::new(JwksBehavior::Serve),
            jwks_requests: AtomicU64::new(0),
            discovery_requests: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            login: managed_login::ManagedLogin::new(self.client_secret),
        });
        let server = server::start(state.clone(), listener);
        Ok(MockPool { state, server })
    }
}

impl PoolState {
    fn jwks_json(&self) -> String {
        jwks_json(read(&self.served).iter())
    }

    fn behavior(&self) -> JwksBehavior {
        read(&self.behavior).clone()
    }
}

impl Drop for MockPool {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl fmt::Debug for MockPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockPool")
            .field("pool_id", &self.state.pool_id)
            .field("issuer", &self.state.issuer)
            .field("jwks_uri", &self.state.jwks_uri)
            .field("client_id", &self.state.client_id)
            .finish_non_exhaustive()
    }
}

pub(super) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// A short string unique within the process and unlikely to repeat across
/// processes (time, process id and a counter, hashed).
pub(crate) fn unique_suffix() -> String {
    alphanumerics(12).to_lowercase()
}

fn alphanumerics(count: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(count);
    while out.len() < count {
        // RandomState is seeded randomly per process (and per instance).
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.write_u32(std::process::id());
        let mut bits = hasher.finish();
        for _ in 0..10 {
            if out.len() == count {
                break;
            }
            let index = usize::try_from(bits % 62).unwrap_or(0);
            if let Some(&byte) = ALPHABET.get(index) {
                out.push(char::from(byte));
            }
            bits /= 62;
        }
    }
    out
}
