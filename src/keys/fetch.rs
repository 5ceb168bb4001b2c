//! Fetching JWKS and discovery documents over HTTP(S) with reqwest.
//!
//! Every limit has a default and a knob: a total timeout (5 s), a body cap
//! (256 KiB), HTTPS required except for loopback hosts — checked again on
//! the URL an answer finally came from, so a caller's client that follows
//! redirects cannot leave the policy — no redirects with the built-in
//! client, one retry when the connection could not be made.

use std::time::Duration;

use reqwest::Url;

use crate::error::{echo, error_chain};
use crate::transport::body::{BodyFailure, read_capped};
use crate::transport::retry::{Failure, RetryPolicy, retrying};
use crate::transport::url_policy::check_url;

/// Default total time for one fetch, connection to last byte.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on a JWKS or discovery body.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// How a failure reason names the status of a non-200 answer.
const STATUS_PREFIX: &str = "HTTP status ";

/// Whether a fetch failure reason is a `404 Not Found` or `403 Forbidden`
/// answer: the URL names no key (an unknown `kid` at the ALB's endpoint),
/// as opposed to an endpoint that cannot answer now.
#[cfg_attr(not(feature = "alb"), allow(dead_code))]
pub(crate) fn names_nothing(reason: &str) -> bool {
    [404, 403]
        .iter()
        .any(|status| reason.starts_with(&format!("{STATUS_PREFIX}{status}")))
}

/// The HTTP side of key fetching.
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body_bytes: usize,
    allow_insecure_http: bool,
    retry: RetryPolicy,
}

impl Fetcher {
    /// A fetcher with its own client, built to never follow redirects.
    pub(crate) fn new(
        timeout: Duration,
        max_body_bytes: usize,
        allow_insecure_http: bool,
        retry: RetryPolicy,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("cognito-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Self::with_client(
            client,
            timeout,
            max_body_bytes,
            allow_insecure_http,
            retry,
        ))
    }

    /// A fetcher over a caller's client (for proxies and connection pools).
    /// The timeout, the body cap and the URL policy still apply.
    pub(crate) fn with_client(
        client: reqwest::Client,
        timeout: Duration,
        max_body_bytes: usize,
        allow_insecure_http: bool,
        retry: RetryPolicy,
    ) -> Self {
        Fetcher {
            client,
            timeout,
            max_body_bytes,
            allow_insecure_http,
            retry,
        }
    }

    /// The default retries of one fetch: a second attempt when the
    /// connection could not be made. Failed fetches beyond that are the
    /// backoff schedule's business.
    pub(crate) fn default_retry() -> RetryPolicy {
        RetryPolicy::new(2).base_delay(Duration::from_millis(20))
    }

    /// Checks that a URL may be fetched under this fetcher's policy.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), String> {
        check_url(url, self.allow_insecure_http)
    }

    /// GETs `url` and returns the body of a 200 answer, within the timeout
    /// and the body cap.
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, String> {
        self.check_url(url)?;
        let attempts = retrying(&self.retry, true, "JWKS fetch", || self.get_once(url));
        match tokio::time::timeout(self.timeout, attempts).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_message()),
        }
    }

    /// Reads `{issuer}/.well-known/openid-configuration` and returns its
    /// `jwks_uri`, held to the same URL policy as a configured one.
    pub(crate) async fn discover(&self, issuer: &str, config_url: &Url) -> Result<Url, String> {
        let body = self
            .get(config_url)
            .await
            .map_err(|err| format!("OIDC discovery at {config_url} failed: {err}"))?;
        let document: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|err| format!("OIDC discovery document is not JSON: {err}"))?;
        let found_issuer = document.get("issuer").and_then(|value| value.as_str());
        if found_issuer != Some(issuer) {
            return Err(format!(
                "OIDC discovery document names issuer {}, expected {}",
                found_issuer.map_or_else(|| "none".to_owned(), echo),
                echo(issuer)
            ));
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(|value| value.as_str())
            .ok_or_else(|| "OIDC discovery document has no jwks_uri".to_owned())?;
        let url = Url::parse(jwks_uri).map_err(|err| format!("jwks_uri is not a URL: {err}"))?;
        self.check_url(&url)
            .map_err(|why| format!("the discovered jwks_uri is refused: {why}"))?;
        Ok(url)
    }

    fn timeout_message(&self) -> String {
        format!("no complete answer within {} ms", self.timeout.as_millis())
    }

    fn failure(&self, err: &reqwest::Error) -> (String, Failure) {
        if err.is_timeout() {
            (self.timeout_message(), Failure::Final)
        } else if err.is_connect() {
            (
                format!("connection failed: {}", error_chain(err)),
                Failure::NotSent,
            )
        } else {
            (error_chain(err), Failure::Final)
        }
    }

    async fn get_once(&self, url: &Url) -> Result<Vec<u8>, (String, Failure)> {
        let response = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| self.failure(&err))?;
        let final_failure = |message: String| (message, Failure::Final);
        // A caller's client may follow redirects: where the answer came
        // from must pass the same policy as the URL asked for.
        if response.url() != url {
            self.check_url(response.url()).map_err(|why| {
                final_failure(format!("redirected to a URL that is refused: {why}"))
            })?;
        }
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .map(|_| " (a redirect, not followed)")
                .unwrap_or_default();
            return Err(final_failure(format!("{STATUS_PREFIX}{status}{location}")));
        }
        read_capped(response, self.max_body_bytes)
            .await
            .map_err(|failure| match failure {
                BodyFailure::TooLarge(max) => {
                    final_failure(format!("the body has more than the {max} allowed bytes"))
                }
                BodyFailure::Read(err) => {
                    let (message, failure) = self.failure(&err);
                    (format!("reading the body failed: {message}"), failure)
                }
            })
    }
}
