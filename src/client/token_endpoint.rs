//! The OAuth2 endpoints of a user pool's domain: `/oauth2/token` (client
//! credentials, refresh tokens, authorization codes with PKCE) and
//! `/oauth2/revoke`.

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::outcome::Tokens;
use super::pkce::Pkce;
use super::secret::Secret;
use super::wire;
use crate::error::{Error, Result, ServiceError, error_chain};
use crate::transport::body::read_capped;
use crate::transport::retry::{Failure, RetryPolicy, retrying};

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
    /// `/oauth2/revoke` beside `/oauth2/token`, when the URL has that form.
    revoke_url: Option<Url>,
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
        let revoke_url = url
            .path()
            .strip_suffix("/oauth2/token")
            .map(|base| format!("{base}/oauth2/revoke"))
            .map(|path| {
                let mut revoke = url.clone();
                revoke.set_path(&path);
                revoke
            });
        Ok(TokenEndpoint {
            url,
            revoke_url,
            client_id: client_id.into(),
            client_secret: None,
            http: reqwest::Client::new(),
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_response_bytes: wire::DEFAULT_MAX_RESPONSE_BYTES,
        })
    }

    /// The endpoints of a managed-login domain
    /// (`https://{prefix}.auth.{region}.amazoncognito.com`, a custom
    /// domain, or the testing pool's): `{domain}/oauth2/token` and
    /// `{domain}/oauth2/revoke`.
    pub fn for_domain(domain: &str, client_id: impl Into<String>) -> Result<Self> {
        TokenEndpoint::new(
            &format!("{}/oauth2/token", domain.trim_end_matches('/')),
            client_id,
        )
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

    /// Retries: connection failures and 429 answers always; 5xx answers
    /// and timeouts only for client credentials (a code is single-use, and
    /// a refresh may have rotated the refresh token).
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
        self.request(form, true).await
    }

    /// `grant_type=refresh_token`.
    pub async fn refresh_token(&self, refresh_token: &Secret) -> Result<Tokens> {
        self.request(
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh_token.expose().to_owned()),
            ],
            // With refresh-token rotation, a refresh that went through
            // invalidated the token a second attempt would send.
            false,
        )
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
            form.push(("code_verifier", pkce.verifier().expose().to_owned()));
        }
        // The code is single-use: a second exchange after a 5xx fails.
        self.request(form, false).await
    }

    /// `POST /oauth2/revoke`: revokes a refresh token and every access
    /// and ID token minted from it, at Cognito. Repeating it is harmless.
    pub async fn revoke(&self, refresh_token: &Secret) -> Result<()> {
        let Some(url) = &self.revoke_url else {
            return Err(Error::config(format!(
                "{} does not end in /oauth2/token: the revocation endpoint is unknown",
                self.url
            )));
        };
        let form = vec![("token", refresh_token.expose().to_owned())];
        self.post(url, form, true, parse_revoke_answer).await
    }

    async fn request(&self, form: Vec<(&'static str, String)>, idempotent: bool) -> Result<Tokens> {
        self.post(&self.url, form, idempotent, parse_token_answer)
            .await
    }

    /// Posts a form (with the client's authentication), retrying as the
    /// policy says, and reads the answer with `parse`.
    async fn post<T>(
        &self,
        url: &Url,
        mut form: Vec<(&'static str, String)>,
        idempotent: bool,
        parse: fn(u16, &str, Option<String>) -> Result<T>,
    ) -> Result<T> {
        if self.client_secret.is_none() {
            form.push(("client_id", self.client_id.clone()));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(key, value)| (*key, value.as_str())))
            .finish();
        retrying(&self.retry, idempotent, "OAuth2 endpoint", || async {
            let (status, request_id, text) = self.attempt(url, body.clone()).await?;
            parse(status, &text, request_id).map_err(|err| {
                let failure = match err.service_error() {
                    Some(service) => Failure::of_answer(service.status(), None),
                    None => Failure::Final,
                };
                (err, failure)
            })
        })
        .await
    }

    async fn attempt(
        &self,
        url: &Url,
        body: String,
    ) -> std::result::Result<(u16, Option<String>, String), (Error, Failure)> {
        let mut request = self
            .http
            .post(url.clone())
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
                    (
                        Error::Transport(format!(
                            "cannot connect to {}: {}",
                            self.url,
                            error_chain(&err)
                        )),
                        Failure::NotSent,
                    )
                } else {
                    (
                        Error::Transport(format!("token request failed: {}", error_chain(&err))),
                        Failure::Final,
                    )
                }
            })?;
            let status = response.status().as_u16();
            let request_id = wire::request_id(response.headers());
            let body = read_capped(response, self.max_response_bytes)
                .await
                .map_err(|failure| (Error::Transport(failure.to_string()), Failure::Final))?;
            let text = String::from_utf8_lossy(&body).into_owned();
            Ok::<_, (Error, Failure)>((status, request_id, text))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| {
                (
                    Error::Transport(format!(
                        "the OAuth2 endpoint gave no answer within {} ms",
                        self.timeout.as_millis()
                    )),
                    Failure::Final,
                )
            })?
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

/// Reads a revocation answer: nothing on 200, `{"error": …}` otherwise.
pub(crate) fn parse_revoke_answer(
    status: u16,
    body: &str,
    request_id: Option<String>,
) -> Result<()> {
    if status == 200 {
        return Ok(());
    }
    Err(oauth_error(status, body, request_id))
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
    if status != 200 {
        return Err(oauth_error(status, body, request_id));
    }
    match serde_json::from_str::<Success>(body) {
        Ok(success) => Ok(Tokens {
            access_token: Secret::new(success.access_token),
            id_token: success.id_token.map(Secret::new),
            refresh_token: success.refresh_token.map(Secret::new),
            expires_in: success.expires_in,
            token_type: success.token_type,
            scope: success.scope,
        }),
        Err(err) => Err(service_error(
            "UnexpectedResponse",
            format!("the token answer does not have the expected shape: {err}"),
            status,
            request_id,
        )),
    }
}

/// An OAuth2 error answer (`{"error": …, "error_description": …}`), or
/// `UnexpectedResponse` for a body that is not one.
fn oauth_error(status: u16, body: &str, request_id: Option<String>) -> Error {
    #[derive(Deserialize)]
    struct Failure {
        error: String,
        error_description: Option<String>,
    }
    match serde_json::from_str::<Failure>(body) {
        Ok(failure) => {
            let message = failure
                .error_description
                .unwrap_or_else(|| failure.error.clone());
            service_error(&failure.error, message, status, request_id)
        }
        Err(_) => {
            let preview: String = body.chars().filter(|c| !c.is_control()).take(120).collect();
            service_error(
                "UnexpectedResponse",
                format!("HTTP {status} with a body that is not an OAuth2 error: {preview}"),
                status,
                request_id,
            )
        }
    }
}

fn service_error(name: &str, message: String, status: u16, request_id: Option<String>) -> Error {
    Error::Service(Box::new(
        ServiceError::new(name, message, status).with_request_id(request_id),
    ))
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
}
