//! The mock pool's managed login (hosted UI) and OAuth2 endpoints, for
//! testing browser sign-in without AWS: `/oauth2/authorize` (redirecting to
//! a `/login` form, as Cognito does), `/oauth2/token` (authorization code
//! with PKCE, refresh token, client credentials), `/oauth2/revoke`,
//! `/logout` and `/oauth2/userInfo`.
//!
//! Longer than most modules because it is one whole fake authorization
//! server: each endpoint's checks are what Cognito checks (exact callback
//! URLs, single-use codes, PKCE, client authentication), kept side by side
//! so that they can be read against the real service's rules.
//!
//! It checks what Cognito checks: the app client, the exact registered
//! callback and sign-out URLs, PKCE S256, single-use codes that expire after
//! five minutes, the client secret when the client has one, and refresh
//! tokens that stop working once revoked.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::token::TokenKind;
use super::{PoolState, TokenBuilder, unique_suffix};
use crate::keys::crypto::{random_bytes, sha256};

/// How long an authorization code may be exchanged (Cognito: 5 minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// A user of the mock pool's managed login.
///
/// ```
/// use cognito_auth::testing::MockUser;
/// let alice = MockUser::new("alice", "Alice#Passw0rd").groups(["admin"]);
/// assert_eq!(alice.username(), "alice");
/// ```
#[derive(Clone)]
pub struct MockUser {
    username: String,
    password: String,
    groups: Vec<String>,
    email: Option<String>,
}

impl MockUser {
    /// A user who signs in with this password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        MockUser {
            username: username.into(),
            password: password.into(),
            groups: Vec::new(),
            email: None,
        }
    }

    /// The user's groups (`cognito:groups`).
    pub fn groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// The user's e-mail address (default `{username}@example.com`).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl fmt::Debug for MockUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockUser")
            .field("username", &self.username)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

/// What a code stands for until it is exchanged.
struct Code {
    username: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    scope: String,
    issued: Instant,
}

/// What a refresh token stands for.
struct Grant {
    username: String,
    origin_jti: String,
    scope: String,
    revoked: bool,
}

/// Request counts, for tests (`MockPool::oauth_requests` and `/__stats`).
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) sign_ins: AtomicU64,
    pub(crate) code_grants: AtomicU64,
    pub(crate) refresh_grants: AtomicU64,
    pub(crate) revocations: AtomicU64,
    pub(crate) logouts: AtomicU64,
}

/// The managed login's state.
pub(crate) struct ManagedLogin {
    users: Mutex<HashMap<String, MockUser>>,
    pub(crate) client_secret: Option<String>,
    callbacks: Mutex<Vec<String>>,
    logout_urls: Mutex<Vec<String>>,
    token_lifetime: Mutex<Duration>,
    /// The ID token's lifetime when it differs from the access token's.
    id_token_lifetime: Mutex<Option<Duration>>,
    codes: Mutex<HashMap<String, Code>>,
    grants: Mutex<HashMap<String, Grant>>,
    pub(crate) counters: Counters,
}

/// An answer of the managed login: status, content type, body, and a
/// `Location` for redirects.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: String,
    pub(crate) location: Option<String>,
}

impl Answer {
    fn html(status: u16, body: String) -> Self {
        Answer {
            status,
            content_type: "text/html; charset=utf-8",
            body,
            location: None,
        }
    }

    fn json(status: u16, body: &Value) -> Self {
        Answer {
            status,
            content_type: "application/json",
            body: body.to_string(),
            location: None,
        }
    }

    fn redirect(location: String) -> Self {
        Answer {
            status: 302,
            content_type: "text/plain",
            body: String::new(),
            location: Some(location),
        }
    }

    fn oauth_error(status: u16, error: &str) -> Self {
        Answer::json(status, &json!({ "error": error }))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A random code or refresh token; `None` when the system's random
/// source fails (the answer is then a server error, never a guessable
/// value).
fn random_token() -> Option<String> {
    random_bytes::<24>()
        .ok()
        .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

/// The query or form pairs of `text`.
pub(crate) fn pairs(text: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

impl ManagedLogin {
    pub(crate) fn new(client_secret: Option<String>) -> Self {
        ManagedLogin {
            users: Mutex::new(HashMap::new()),
            client_secret,
            callbacks: Mutex::new(Vec::new()),
            logout_urls: Mutex::new(Vec::new()),
            token_lifetime: Mutex::new(Duration::from_secs(3600)),
            id_token_lifetime: Mutex::new(None),
            codes: Mutex::new(HashMap::new()),
            grants: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    pub(crate) fn add_user(&self, user: MockUser) {
        lock(&self.users).insert(user.username.clone(), user);
    }

    pub(crate) fn allow_callback(&self, url: String) {
        lock(&self.callbacks).push(url);
    }

    pub(crate) fn allow_logout_url(&self, url: String) {
        lock(&self.logout_urls).push(url);
    }

    pub(crate) fn set_token_lifetime(&self, lifetime: Duration) {
        *lock(&self.token_lifetime) = lifetime;
    }

    pub(crate) fn set_id_token_lifetime(&self, lifetime: Duration) {
        *lock(&self.id_token_lifetime) = Some(lifetime);
    }

    /// `GET /oauth2/authorize`: checks the request, then sends the browser
    /// to the sign-in form with the same parameters (as Cognito does).
    pub(crate) fn authorize(&self, pool: &PoolState, query: &str) -> Answer {
        match self.check_authorize(pool, &pairs(query)) {
            Ok(()) => Answer::redirect(format!("/login?{query}")),
            Err(answer) => answer,
        }
    }

    fn check_authorize(
        &self,
        pool: &PoolState,
        params: &HashMap<String, String>,
    ) -> Result<(), Answer> {
        let param = |name: &str| params.get(name).map(String::as_str);
        if param("client_id") != Some(pool.client_id.as_str()) {
            return Err(Answer::html(400, page("Error", "<p>invalid client_id</p>")));
        }
        let registered = param("redirect_uri")
            .is_some_and(|uri| lock(&self.callbacks).iter().any(|allowed| allowed == uri));
        if !registered {
            return Err(Answer::html(400, page("Error", "<p>redirect_mismatch</p>")));
        }
        if param("response_type") != Some("code") {
            return Err(Answer::html(
                400,
                page("Error", "<p>unsupported_response_type</p>"),
            ));
        }
        if param("code_challenge_method").is_some_and(|method| method != "S256")
            || param("code_challenge").is_some_and(str::is_empty)
        {
            return Err(Answer::html(
                400,
                page("Error", "<p>invalid_request: PKCE is S256</p>"),
            ));
        }
        Ok(())
    }

    /// `GET /login`: the sign-in form.
    pub(crate) fn login_page(&self, pool: &PoolState, query: &str) -> Answer {
        match self.check_authorize(pool, &pairs(query)) {
            Ok(()) => Answer::html(200, form(query, None)),
            Err(answer) => answer,
        }
    }

    /// `POST /login`: the form's answer: back to the form with an error, or
    /// to the callback with a code.
    pub(crate) fn sign_in(&self, pool: &PoolState, query: &str, body: &str) -> Answer {
        let params = pairs(query);
        if let Err(answer) = self.check_authorize(pool, &params) {
            return answer;
        }
        let form_fields = pairs(body);
        let field = |name: &str| form_fields.get(name).map(String::as_str).unwrap_or("");
        let user = lock(&self.users).get(field("username")).cloned();
        let Some(user) = user.filter(|user| user.password == field("password")) else {
            return Answer::html(200, form(query, Some("Incorrect username or password.")));
        };
        self.counters.sign_ins.fetch_add(1, Ordering::SeqCst);
        let param = |name: &str| params.get(name).cloned();
        let Some(code) = random_token() else {
            return Answer::html(500, page("Error", "<p>no randomness</p>"));
        };
        let redirect_uri = param("redirect_uri").unwrap_or_default();
        lock(&self.codes).insert(
            code.clone(),
            Code {
                username: user.username,
                redirect_uri: redirect_uri.clone(),
                challenge: param("code_challenge").unwrap_or_default(),
                nonce: param("nonce"),
                scope: param("scope").unwrap_or_else(|| "openid".to_owned()),
                issued: Instant::now(),
            },
        );
        let mut location = url::Url::parse(&redirect_uri)
            .map(|url| url.to_string())
            .unwrap_or(redirect_uri);
        location.push(if location.contains('?') { '&' } else { '?' });
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("code", &code);
        if let Some(state) = param("state") {
            query.append_pair("state", &state);
        }
        location.push_str(&query.finish());
        Answer::redirect(location)
    }

    /// Whether the request authenticates the pool's app client: HTTP Basic
    /// with the secret when it has one, its id in the form otherwise.
    fn client_authenticated(
        &self,
        pool: &PoolState,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
    ) -> bool {
        match &self.client_secret {
            Some(secret) => {
                let expected = STANDARD.encode(format!("{}:{secret}", pool.client_id));
                authorization
                    .and_then(|value| value.strip_prefix("Basic "))
                    .is_some_and(|given| given == expected)
            }
            None => form.get("client_id") == Some(&pool.client_id),
        }
    }

    /// `POST /oauth2/token`.
    pub(crate) fn token(
        &self,
        pool: &PoolState,
        authorization: Option<&str>,
        body: &str,
    ) -> Answer {
        let form = pairs(body);
        if !self.client_authenticated(pool, authorization, &form) {
            return Answer::oauth_error(400, "invalid_client");
        }
        let field = |name: &str| form.get(name).map(String::as_str);
        match field("grant_type") {
            Some("authorization_code") => {
                self.counters.code_grants.fetch_add(1, Ordering::SeqCst);
                let code = field("code").and_then(|code| lock(&self.codes).remove(code));
                let Some(code) = code else {
                    return Answer::oauth_error(400, "invalid_grant");
                };
                let verifier = field("code_verifier").unwrap_or_default();
                let challenge = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
                if code.issued.elapsed() > CODE_LIFETIME
                    || field("redirect_uri") != Some(code.redirect_uri.as_str())
                    || challenge != code.challenge
                {
                    return Answer::oauth_error(400, "invalid_grant");
                }
                let origin_jti = format!("origin-{}", unique_suffix());
                let Some(refresh_token) = random_token() else {
                    return Answer::oauth_error(500, "server_error");
                };
                lock(&self.grants).insert(
                    refresh_token.clone(),
                    Grant {
                        username: code.username.clone(),
                        origin_jti: origin_jti.clone(),
                        scope: code.scope.clone(),
                        revoked: false,
                    },
                );
                self.tokens(
                    pool,
                    &code.username,
                    &origin_jti,
                    &code.scope,
                    code.nonce.as_deref(),
                    Some(&refresh_token),
                )
            }
            Some("refresh_token") => {
                self.counters.refresh_grants.fetch_add(1, Ordering::SeqCst);
                let grants = lock(&self.grants);
                let grant = field("refresh_token")
                    .and_then(|token| grants.get(token))
                    .filter(|grant| !grant.revoked)
                    .map(|grant| {
                        (
                            grant.username.clone(),
                            grant.origin_jti.clone(),
                            grant.scope.clone(),
                        )
                    });
                drop(grants);
                match grant {
                    Some((username, origin_jti, scope)) => {
                        self.tokens(pool, &username, &origin_jti, &scope, None, None)
                    }
                    None => Answer::oauth_error(400, "invalid_grant"),
                }
            }
            Some("client_credentials") => {
                let mut builder = TokenBuilder::new(pool, TokenKind::ClientCredentials);
                if let Some(scope) = field("scope") {
                    builder = builder.claim("scope", scope);
                }
                let lifetime = *lock(&self.token_lifetime);
                match builder.lifetime(lifetime).sign() {
                    Ok(access) => Answer::json(
                        200,
                        &json!({
                            "access_token": access,
                            "expires_in": lifetime.as_secs(),
                            "token_type": "Bearer",
                        }),
                    ),
                    Err(_) => Answer::oauth_error(500, "server_error"),
                }
            }
            _ => Answer::oauth_error(400, "unsupported_grant_type"),
        }
    }

    fn tokens(
        &self,
        pool: &PoolState,
        username: &str,
        origin_jti: &str,
        scope: &str,
        nonce: Option<&str>,
        refresh_token: Option<&str>,
    ) -> Answer {
        let Some(user) = lock(&self.users).get(username).cloned() else {
            return Answer::oauth_error(400, "invalid_grant");
        };
        let lifetime = *lock(&self.token_lifetime);
        let email = user
            .email
            .clone()
            .unwrap_or_else(|| format!("{username}@example.com"));
        let mut access = TokenBuilder::new(pool, TokenKind::Access)
            .username(username)
            .claim("origin_jti", origin_jti)
            .claim("scope", scope)
            .lifetime(lifetime);
        let id_lifetime = lock(&self.id_token_lifetime).unwrap_or(lifetime);
        let mut id = TokenBuilder::new(pool, TokenKind::Id)
            .username(username)
            .email(email)
            .claim("origin_jti", origin_jti)
            .lifetime(id_lifetime);
        if !user.groups.is_empty() {
            access = access.groups(user.groups.clone());
            id = id.groups(user.groups.clone());
        }
        if let Some(nonce) = nonce {
            id = id.claim("nonce", nonce);
        }
        let (Ok(access), Ok(id)) = (access.sign(), id.sign()) else {
            return Answer::oauth_error(500, "server_error");
        };
        let mut answer = json!({
            "access_token": access,
            "id_token": id,
            "expires_in": lifetime.as_secs(),
            "token_type": "Bearer",
        });
        if let (Some(refresh_token), Some(object)) = (refresh_token, answer.as_object_mut()) {
            object.insert("refresh_token".into(), json!(refresh_token));
        }
        Answer::json(200, &answer)
    }

    /// `POST /oauth2/revoke`: the refresh token (and the tokens of its
    /// session) stop working.
    pub(crate) fn revoke(
        &self,
        pool: &PoolState,
        authorization: Option<&str>,
        body: &str,
    ) -> Answer {
        let form = pairs(body);
        if !self.client_authenticated(pool, authorization, &form) {
            return Answer::oauth_error(400, "invalid_client");
        }
        self.counters.revocations.fetch_add(1, Ordering::SeqCst);
        if let Some(token) = form.get("token")
            && let Some(grant) = lock(&self.grants).get_mut(token)
        {
            grant.revoked = true;
        }
        // Cognito answers 200 for a token it does not know, too.
        Answer::json(200, &json!({}))
    }

    /// Revokes every refresh token of a user (a global sign-out).
    pub(crate) fn sign_out_everywhere(&self, username: &str) {
        for grant in lock(&self.grants).values_mut() {
            if grant.username == username {
                grant.revoked = true;
            }
        }
    }

    /// Whether a refresh token has been revoked (for tests).
    pub(crate) fn is_revoked(&self, refresh_token: &str) -> Option<bool> {
        lock(&self.grants)
            .get(refresh_token)
            .map(|grant| grant.revoked)
    }

    /// `GET /logout`: Cognito's own parameters, a registered sign-out URL.
    pub(crate) fn logout(&self, pool: &PoolState, query: &str) -> Answer {
        let params = pairs(query);
        if params.get("client_id") != Some(&pool.client_id) {
            return Answer::html(400, page("Error", "<p>invalid client_id</p>"));
        }
        let Some(logout_uri) = params.get("logout_uri") else {
            return Answer::html(400, page("Error", "<p>logout_uri is required</p>"));
        };
        if !lock(&self.logout_urls)
            .iter()
            .any(|allowed| allowed == logout_uri)
        {
            return Answer::html(400, page("Error", "<p>logout_uri is not registered</p>"));
        }
        self.counters.logouts.fetch_add(1, Ordering::SeqCst);
        Answer::redirect(logout_uri.clone())
    }

    /// `GET /oauth2/userInfo`: the attributes of the access token's user.
    pub(crate) fn user_info(&self, access_token: Option<&str>) -> Answer {
        let username = access_token
            .and_then(|token| crate::token::decode_unverified(token).ok())
            .and_then(|token| {
                token
                    .payload
                    .get("username")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        let user = username.and_then(|name| lock(&self.users).get(&name).cloned());
        match user {
            Some(user) => Answer::json(
                200,
                &json!({
                    "username": user.username,
                    "email": user.email.unwrap_or_else(|| format!("{}@example.com", user.username)),
                }),
            ),
            None => Answer::json(401, &json!({ "error": "invalid_token" })),
        }
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>{body}</body></html>"
    )
}

/// The sign-in form: inputs `username` and `password`, one submit button,
/// posting back to `/login` with the authorize parameters.
fn form(query: &str, error: Option<&str>) -> String {
    let error = error
        .map(|message| format!("<p id=\"error\" role=\"alert\">{}</p>", escape(message)))
        .unwrap_or_default();
    page(
        "Sign in",
        &format!(
            "<h1>Sign in</h1>{error}<form method=\"post\" action=\"/login?{}\">\
             <label>Username <input name=\"username\" autocomplete=\"username\"></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <button type=\"submit\">Sign in</button></form>",
            escape(query)
        ),
    )
}
