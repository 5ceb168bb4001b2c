//! The OAuth2 token endpoint of a user pool's domain
//! (`https://{domain}/oauth2/token`): client credentials, refresh tokens,
//! authorization codes with PKCE, and a cached machine-to-machine token.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use serde::Deserialize;

use super::auth::Tokens;
use super::retry::{Failure, RetryPolicy, is_retryable};
use super::secret::Secret;
use crate::crypto::{random_bytes, sha256};
use crate::error::{Error, Result, ServiceError, error_chain};

/// The token endpoint, for one app client.
///
/// ```no_run
/// use cognito_auth::client::TokenEndpoint;
///
/// # async fn demo() -> Result<(), cognito_auth::Error> {
/// let endpoint = TokenEndpoint::new("https://auth.example.com/oauth2/token", "machine-client")?
///     .client_secret("machine-secret");
/// let tokens = endpoint.client_credentials(&["https://api.example.com/read"]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenEndpoint {
    url: Url,
    client_id: String,
    client_secret: Option<Secret>,
    http: reqwest::Client,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
}

impl TokenEndpoint {
    /// An endpoint URL and the app client id; `config` error for a bad URL.
    pub fn new(url: &str, client_id: impl Into<String>) -> Result<Self> {
        let url = Url::parse(url)
            .map_err(|err| Error::config(format!("token endpoint {url:?} is not a URL: {err}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "token endpoint {url} must be http or https"
            )));
        }
        Ok(TokenEndpoint {
            url,
            client_id: client_id.into(),
            client_secret: None,
            http: reqwest::Client::new(),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_response_bytes: super::wire::DEFAULT_MAX_RESPONSE_BYTES,
        })
    }

    /// The client secret, sent with HTTP Basic authentication.
    pub fn client_secret(mut self, secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// Sends requests with your own client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// Total time for one attempt (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries of connection failures, 5xx and 429 answers.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The largest answer body read (default 1 MiB); a larger answer is a
    /// `transport` error and is not read further.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// `grant_type=client_credentials`, with the scopes asked for (none:
    /// every scope the client is allowed).
    pub async fn client_credentials(&self, scopes: &[&str]) -> Result<Tokens> {
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if !scopes.is_empty() {
            form.push(("scope", scopes.join(" ")));
        }
        self.request(form).await
    }

    /// `grant_type=refresh_token`.
    pub async fn refresh_token(&self, refresh_token: &Secret) -> Result<Tokens> {
        self.request(vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.expose().to_owned()),
        ])
        .await
    }

    /// `grant_type=authorization_code`, with the PKCE verifier when the
    /// authorization request carried a challenge.
    pub async fn authorization_code(
        &self,
        code: &Secret,
        redirect_uri: &str,
        pkce: Option<&Pkce>,
    ) -> Result<Tokens> {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.expose().to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
        ];
        if let Some(pkce) = pkce {
            form.push(("code_verifier", pkce.verifier.expose().to_owned()));
        }
        self.request(form).await
    }

    async fn request(&self, mut form: Vec<(&'static str, String)>) -> Result<Tokens> {
        if self.client_secret.is_none() {
            form.push(("client_id", self.client_id.clone()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(key, value)| (*key, value.as_str())))
            .finish();
        let mut attempt = 1;
        loop {
            let result = self.attempt(body.clone()).await;
            let failure = match &result {
                Ok(_) => return result,
                Err(Error::Service(error)) => Failure::Answer {
                    status: error.status(),
                    name: (error.status() == 429).then_some("TooManyRequestsException"),
                },
                Err(Error::Transport(message)) if message.starts_with("cannot connect") => {
                    Failure::Connect
                }
                Err(_) => Failure::Timeout,
            };
            if attempt >= self.retry.max_attempts() || !is_retryable(failure) {
                return result;
            }
            tokio::time::sleep(self.retry.delay(attempt, 0.5)).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, body: String) -> Result<Tokens> {
        let mut request = self
            .http
            .post(self.url.clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(body);
        if let Some(secret) = &self.client_secret {
            request = request.basic_auth(&self.client_id, Some(secret.expose()));
        }
        let exchange = async {
            let response = request.send().await.map_err(|err| {
                if err.is_connect() {
                    Error::Transport(format!(
                        "cannot connect to {}: {}",
                        self.url,
                        error_chain(&err)
                    ))
                } else {
                    Error::Transport(format!("token request failed: {}", error_chain(&err)))
                }
            })?;
            let status = response.status().as_u16();
            let request_id = super::wire::request_id(response.headers());
            let body = super::wire::read_capped(response, self.max_response_bytes)
                .await
                .map_err(|failure| Error::Transport(failure.to_string()))?;
            let text = String::from_utf8_lossy(&body).into_owned();
            Ok::<_, Error>((status, request_id, text))
        };
        let (status, request_id, text) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                Error::Transport(format!(
                    "the token endpoint gave no answer within {} ms",
                    self.timeout.as_millis()
                ))
            })??;
        parse_token_answer(status, &text, request_id)
    }
}

impl fmt::Debug for TokenEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEndpoint")
            .field("url", &self.url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish_non_exhaustive()
    }
}

/// Reads a token endpoint answer: tokens on 200, `{"error": …}` otherwise.
pub(crate) fn parse_token_answer(
    status: u16,
    body: &str,
    request_id: Option<String>,
) -> Result<Tokens> {
    #[derive(Deserialize)]
    struct Success {
        access_token: String,
        id_token: Option<String>,
        refresh_token: Option<String>,
        expires_in: Option<u64>,
        token_type: Option<String>,
        scope: Option<String>,
    }
    #[derive(Deserialize)]
    struct Failure {
        error: String,
        error_description: Option<String>,
    }
    let service = |name: &str, message: String| {
        Error::Service(Box::new(
            ServiceError::new(name, message, status).with_request_id(request_id.clone()),
        ))
    };
    if status == 200 {
        return match serde_json::from_str::<Success>(body) {
            Ok(success) => Ok(Tokens {
                access_token: Secret::new(success.access_token),
                id_token: success.id_token.map(Secret::new),
                refresh_token: success.refresh_token.map(Secret::new),
                expires_in: success.expires_in,
                token_type: success.token_type,
                scope: success.scope,
            }),
            Err(err) => Err(service(
                "UnexpectedResponse",
                format!("the token answer does not have the expected shape: {err}"),
            )),
        };
    }
    match serde_json::from_str::<Failure>(body) {
        Ok(failure) => {
            let message = failure
                .error_description
                .unwrap_or_else(|| failure.error.clone());
            Err(service(&failure.error, message))
        }
        Err(_) => {
            let preview: String = body.chars().filter(|c| !c.is_control()).take(120).collect();
            Err(service(
                "UnexpectedResponse",
                format!("HTTP {status} with a body that is not an OAuth2 error: {preview}"),
            ))
        }
    }
}

/// A PKCE verifier and its S256 challenge (RFC 7636).
///
/// ```
/// use cognito_auth::client::Pkce;
/// // RFC 7636, appendix B.
/// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(pkce.method(), "S256");
/// ```
#[derive(Clone, Debug)]
pub struct Pkce {
    verifier: Secret,
    challenge: String,
}

impl Pkce {
    /// A fresh random verifier (32 random bytes, 43 characters).
    pub fn generate() -> Result<Self> {
        let bytes: [u8; 32] = random_bytes().map_err(Error::config)?;
        Ok(Self::from_verifier(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A verifier you already have.
    pub fn from_verifier(verifier: impl Into<String>) -> Self {
        let verifier = verifier.into();
        let challenge = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
        Pkce {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    /// The verifier (sent with the code).
    pub fn verifier(&self) -> &Secret {
        &self.verifier
    }

    /// The challenge (sent with the authorization request).
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// `S256`.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

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
        let lifetime = Duration::from_secs(tokens.expires_in.unwrap_or(3600));
        let margin = self.refresh_before.min(lifetime / 2);
        let now = Instant::now();
        let entry = Cached {
            token: tokens.access_token.clone(),
            refresh_at: now + lifetime - margin,
            expires_at: now + lifetime,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_answers() {
        let tokens = parse_token_answer(
            200,
            r#"{"access_token":"at","expires_in":3600,"token_type":"Bearer","scope":"a b"}"#,
            None,
        )
        .unwrap();
        assert_eq!(tokens.access_token.expose(), "at");
        assert_eq!(tokens.scope.as_deref(), Some("a b"));
        assert_eq!(tokens.id_token, None);

        let error = parse_token_answer(400, r#"{"error":"invalid_client"}"#, Some("r1".into()))
            .unwrap_err();
        let service = error.service_error().unwrap();
        assert_eq!((service.name(), service.status()), ("invalid_client", 400));
        assert_eq!(service.request_id(), Some("r1"));

        let described = parse_token_answer(
            400,
            r#"{"error":"invalid_grant","error_description":"code expired"}"#,
            None,
        )
        .unwrap_err();
        assert_eq!(described.service_error().unwrap().message(), "code expired");

        let html = parse_token_answer(502, "<html>bad gateway</html>", None).unwrap_err();
        assert_eq!(html.service_error().unwrap().name(), "UnexpectedResponse");
        let wrong_shape = parse_token_answer(200, r#"{"token":"x"}"#, None).unwrap_err();
        assert_eq!(
            wrong_shape.service_error().unwrap().name(),
            "UnexpectedResponse"
        );
    }

    #[test]
    fn pkce_verifiers_are_random_and_valid() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_ne!(a.verifier(), b.verifier());
        assert_eq!(a.verifier().expose().len(), 43);
        assert_eq!(
            Pkce::from_verifier(a.verifier().expose()).challenge(),
            a.challenge()
        );
        assert!(!format!("{a:?}").contains(a.verifier().expose()));
    }
}
