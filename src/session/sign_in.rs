//! [`SignIn`]: the configuration of browser sign-in with Cognito's managed
//! login, checked once when it is built.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use reqwest::Url;

use super::store::{MemorySessionStore, SessionStore};
use crate::client::{Secret, TokenEndpoint};
use crate::error::{Error, Result};
use crate::revocation::RevocationList;
use crate::transport::url_policy::check_url;
use crate::verifier::Verifier;
use crate::web::Authenticator;

/// The default name of the session cookie (`__Host-` is put in front of it
/// when the app is served over HTTPS).
pub const DEFAULT_COOKIE_NAME: &str = "cognito_session";
/// The default longest a session lasts, refreshes included.
pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// The default margin before the access token's `exp` at which it is
/// refreshed.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The default time a browser has to come back from the managed login.
pub const DEFAULT_SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);
/// The default number of sessions each process keeps decoded (see
/// [`SignInBuilder::decoded_sessions`]).
pub const DEFAULT_DECODED_SESSIONS: u64 = 10_000;

/// Browser sign-in with Cognito's managed login (hosted UI): the login
/// redirect with PKCE, the callback, sessions kept server-side behind an
/// opaque cookie, silent refresh, and sign-out. One value serves the axum
/// and the actix-web adapters alike; cheap to clone.
///
/// ```no_run
/// use cognito_auth::session::SignIn;
/// use cognito_auth::{CognitoPool, Verifier};
///
/// # fn demo() -> Result<(), cognito_auth::Error> {
/// let verifier = Verifier::builder()
///     .cognito(CognitoPool::new("eu-west-1_AbCdEf123").any_token_use().client_id("1example23456789"))
///     .build()?;
/// let sign_in = SignIn::builder(verifier)
///     .domain("https://my-app.auth.eu-west-1.amazoncognito.com")
///     .client_id("1example23456789")
///     .app_url("https://app.example.com") // the callback is https://app.example.com/auth/callback
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SignIn(pub(crate) Arc<Settings>);

pub(crate) struct Settings {
    pub(crate) verifier: Verifier,
    pub(crate) authenticator: Authenticator,
    pub(crate) endpoint: TokenEndpoint,
    pub(crate) store: Box<dyn SessionStore>,
    pub(crate) revocations: Option<RevocationList>,
    pub(crate) domain: Url,
    pub(crate) client_id: String,
    /// `scheme://host[:port]` of the app, for the sign-out CSRF check.
    pub(crate) app_origin: String,
    pub(crate) callback_url: String,
    pub(crate) logout_uri: String,
    pub(crate) login_path: String,
    pub(crate) callback_path: String,
    pub(crate) logout_path: String,
    pub(crate) scopes: String,
    pub(crate) secure: bool,
    pub(crate) cookie_name: String,
    pub(crate) sign_in_cookie_name: String,
    pub(crate) session_lifetime: Duration,
    pub(crate) refresh_margin: Duration,
    pub(crate) sign_in_timeout: Duration,
    /// Sessions decoded by this process (see [`DecodedSessions`]).
    pub(crate) decoded: super::resume::DecodedSessions,
    /// One refresh at a time per session, in this process.
    pub(crate) refreshing: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

/// Configuration of a [`SignIn`].
///
/// | knob | default |
/// |---|---|
/// | [`domain`](Self::domain), [`client_id`](Self::client_id), [`app_url`](Self::app_url) | required |
/// | [`client_secret`](Self::client_secret) | none (a public client) |
/// | [`login_path`](Self::login_path) / [`callback_path`](Self::callback_path) / [`logout_path`](Self::logout_path) | `/login`, `/auth/callback`, `/logout` |
/// | [`after_sign_out`](Self::after_sign_out) | `/` (Cognito's `logout_uri` is `{app_url}/`) |
/// | [`scopes`](Self::scopes) | `openid email profile` |
/// | [`cookie_name`](Self::cookie_name) | `cognito_session` (`__Host-cognito_session` over HTTPS) |
/// | [`session_lifetime`](Self::session_lifetime) | 8 h |
/// | [`refresh_margin`](Self::refresh_margin) | 60 s |
/// | [`sign_in_timeout`](Self::sign_in_timeout) | 10 min |
/// | [`decoded_sessions`](Self::decoded_sessions) | 10 000 per process |
/// | [`store`](Self::store) | in memory |
/// | [`revocation_list`](Self::revocation_list) | none |
pub struct SignInBuilder {
    verifier: Verifier,
    domain: Option<String>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    app_url: Option<String>,
    login_path: String,
    callback_path: String,
    logout_path: String,
    after_sign_out: String,
    scopes: Vec<String>,
    cookie_name: String,
    session_lifetime: Duration,
    refresh_margin: Duration,
    sign_in_timeout: Duration,
    store: Option<Box<dyn SessionStore>>,
    revocations: Option<RevocationList>,
    http: Option<reqwest::Client>,
    decoded_sessions: u64,
}

impl SignIn {
    /// Starts a configuration; `verifier` must accept the app client's ID
    /// and access tokens (`.any_token_use().client_id(…)`).
    pub fn builder(verifier: Verifier) -> SignInBuilder {
        SignInBuilder {
            verifier,
            domain: None,
            client_id: None,
            client_secret: None,
            app_url: None,
            login_path: "/login".to_owned(),
            callback_path: "/auth/callback".to_owned(),
            logout_path: "/logout".to_owned(),
            after_sign_out: "/".to_owned(),
            scopes: ["openid", "email", "profile"].map(str::to_owned).to_vec(),
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            session_lifetime: DEFAULT_SESSION_LIFETIME,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            sign_in_timeout: DEFAULT_SIGN_IN_TIMEOUT,
            store: None,
            revocations: None,
            http: None,
            decoded_sessions: DEFAULT_DECODED_SESSIONS,
        }
    }

    /// The path that starts a sign-in (`/login`).
    pub fn login_path(&self) -> &str {
        &self.0.login_path
    }

    /// The callback path (`/auth/callback`).
    pub fn callback_path(&self) -> &str {
        &self.0.callback_path
    }

    /// The sign-out path (`/logout`).
    pub fn logout_path(&self) -> &str {
        &self.0.logout_path
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &str {
        &self.0.cookie_name
    }

    /// The authenticator refusals are rendered with (its verifier is the
    /// sign-in's).
    pub fn authenticator(&self) -> &Authenticator {
        &self.0.authenticator
    }
}

impl SignInBuilder {
    /// The managed-login domain: `https://{prefix}.auth.{region}.amazoncognito.com`,
    /// a custom domain, or the testing pool's [`domain`](crate::testing::MockPool::domain).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The app client id.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The app client secret, for a confidential client.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The app's public base URL (`https://app.example.com`): the callback
    /// is `{app_url}{callback_path}`, and cookies are `Secure` with the
    /// `__Host-` prefix when it is HTTPS.
    pub fn app_url(mut self, url: impl Into<String>) -> Self {
        self.app_url = Some(url.into());
        self
    }

    /// The path that starts a sign-in (default `/login`).
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.login_path = path.into();
        self
    }

    /// The callback path (default `/auth/callback`); register
    /// `{app_url}{callback_path}` as the app client's callback URL.
    pub fn callback_path(mut self, path: impl Into<String>) -> Self {
        self.callback_path = path.into();
        self
    }

    /// The sign-out path (default `/logout`, a `POST`).
    pub fn logout_path(mut self, path: impl Into<String>) -> Self {
        self.logout_path = path.into();
        self
    }

    /// Where Cognito sends the browser after signing out (default `/`);
    /// register `{app_url}{path}` as the app client's sign-out URL.
    pub fn after_sign_out(mut self, path: impl Into<String>) -> Self {
        self.after_sign_out = path.into();
        self
    }

    /// The scopes asked for (default `openid email profile`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The session cookie's name (default `cognito_session`; `__Host-` is
    /// put in front of it over HTTPS).
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// The longest a session lasts, refreshes included (default 8 h).
    pub fn session_lifetime(mut self, lifetime: Duration) -> Self {
        self.session_lifetime = lifetime;
        self
    }

    /// How long before the access token's (or the ID token's, when it
    /// ends first) `exp` the session is refreshed (default 60 s).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// How long a browser has to come back from the managed login (default
    /// 10 min); the sign-in's state is forgotten after it.
    pub fn sign_in_timeout(mut self, timeout: Duration) -> Self {
        self.sign_in_timeout = timeout;
        self
    }

    /// Where sessions live (default in memory; a
    /// [`RedisSessionStore`](super::RedisSessionStore) for several
    /// instances).
    pub fn store(mut self, store: impl SessionStore) -> Self {
        self.store = Some(Box::new(store));
        self
    }

    /// How many sessions each process keeps decoded (default 10 000): a
    /// request of such a session skips decoding what the store holds, as
    /// long as the store still holds the same value (the store is read on
    /// every request all the same, so a session ended elsewhere ends here
    /// too). `0` decodes on every request.
    pub fn decoded_sessions(mut self, max: u64) -> Self {
        self.decoded_sessions = max;
        self
    }

    /// Writes each signed-out session's `origin_jti` to this list, so its
    /// tokens stop verifying everywhere at once.
    pub fn revocation_list(mut self, list: RevocationList) -> Self {
        self.revocations = Some(list);
        self
    }

    /// Calls the token endpoint with your own reqwest client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Checks the configuration; `config` errors say what is missing.
    pub fn build(self) -> Result<SignIn> {
        let required = |value: Option<String>, what: &str| {
            value
                .filter(|value| !value.is_empty())
                .ok_or_else(|| Error::config(format!("sign-in needs {what}")))
        };
        let domain_text = required(self.domain, "the managed-login domain (.domain(..))")?;
        let client_id = required(self.client_id, "the app client id (.client_id(..))")?;
        let app_text = required(self.app_url, "the app's public URL (.app_url(..))")?;
        let domain = Url::parse(domain_text.trim_end_matches('/')).map_err(|err| {
            Error::config(format!("the domain {domain_text:?} is not a URL: {err}"))
        })?;
        check_url(&domain, false).map_err(Error::config)?;
        let app = Url::parse(app_text.trim_end_matches('/')).map_err(|err| {
            Error::config(format!("the app URL {app_text:?} is not a URL: {err}"))
        })?;
        let secure = match app.scheme() {
            "https" => true,
            "http" => false,
            other => {
                return Err(Error::config(format!(
                    "the app URL must be http or https, not {other}"
                )));
            }
        };
        for (what, path) in [
            ("login", &self.login_path),
            ("callback", &self.callback_path),
            ("logout", &self.logout_path),
            ("after-sign-out", &self.after_sign_out),
        ] {
            if !path.starts_with('/') {
                return Err(Error::config(format!(
                    "the {what} path must start with /: {path:?}"
                )));
            }
        }
        if self.cookie_name.is_empty()
            || !self
                .cookie_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(Error::config(
                "the cookie name must be letters, digits, '_' and '-'",
            ));
        }
        if self.scopes.iter().all(|scope| scope != "openid") {
            return Err(Error::config(
                "sign-in needs the openid scope (the ID token comes with it)",
            ));
        }
        for (what, value) in [
            ("session lifetime", self.session_lifetime),
            ("sign-in timeout", self.sign_in_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::config(format!("the {what} must be above zero")));
            }
        }
        let origin = app.origin().ascii_serialization();
        let base = app.as_str().trim_end_matches('/').to_owned();
        let cookie_name = match (secure, self.cookie_name.starts_with("__Host-")) {
            (true, false) => format!("__Host-{}", self.cookie_name),
            _ => self.cookie_name,
        };
        let mut endpoint = TokenEndpoint::for_domain(domain.as_str(), &client_id)?;
        if let Some(secret) = self.client_secret {
            endpoint = endpoint.client_secret(secret);
        }
        if let Some(http) = self.http {
            endpoint = endpoint.http_client(http);
        }
        Ok(SignIn(Arc::new(Settings {
            authenticator: Authenticator::new(self.verifier.clone()),
            verifier: self.verifier,
            endpoint,
            store: self
                .store
                .unwrap_or_else(|| Box::new(MemorySessionStore::new())),
            revocations: self.revocations,
            domain,
            client_id,
            app_origin: origin,
            callback_url: format!("{base}{}", self.callback_path),
            logout_uri: format!("{base}{}", self.after_sign_out),
            login_path: self.login_path,
            callback_path: self.callback_path,
            logout_path: self.logout_path,
            scopes: self.scopes.join(" "),
            secure,
            sign_in_cookie_name: format!("{cookie_name}_sign_in"),
            cookie_name,
            session_lifetime: self.session_lifetime.min(crate::clock::MAX_OFFSET * 365),
            refresh_margin: self.refresh_margin,
            sign_in_timeout: self.sign_in_timeout.min(crate::clock::MAX_OFFSET),
            decoded: moka::sync::Cache::builder()
                .max_capacity(self.decoded_sessions)
                .build(),
            refreshing: Mutex::new(HashMap::new()),
        })))
    }
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = &self.0;
        f.debug_struct("SignIn")
            .field("domain", &settings.domain.as_str())
            .field("client_id", &settings.client_id)
            .field("callback_url", &settings.callback_url)
            .field("cookie_name", &settings.cookie_name)
            .field("secure", &settings.secure)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SignInBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInBuilder")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("app_url", &self.app_url)
            .finish_non_exhaustive()
    }
}
