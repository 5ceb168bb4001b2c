//! Fetching JWKS and discovery documents over HTTP(S) with reqwest.
//!
//! Every limit has a default and a knob: a total timeout (5 s), a body cap
//! (256 KiB), HTTPS required except for loopback hosts, no redirects, one
//! retry on a connection error.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::error::error_chain;

/// Default total time for one fetch, connection to last byte.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on a JWKS or discovery body.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// The HTTP side of JWKS fetching.
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    pub(crate) timeout: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) allow_insecure_http: bool,
}

impl Fetcher {
    /// A fetcher with its own client, built to never follow redirects.
    pub(crate) fn new(
        timeout: Duration,
        max_body_bytes: usize,
        allow_insecure_http: bool,
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
        ))
    }

    /// A fetcher over a caller's client (for proxies and connection pools).
    /// The timeout and body cap still apply; redirects follow the client's
    /// own policy.
    pub(crate) fn with_client(
        client: reqwest::Client,
        timeout: Duration,
        max_body_bytes: usize,
        allow_insecure_http: bool,
    ) -> Self {
        Fetcher {
            client,
            timeout,
            max_body_bytes,
            allow_insecure_http,
        }
    }

    /// Checks that a URL may be fetched under this fetcher's policy.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), String> {
        check_url(url, self.allow_insecure_http)
    }

    /// GETs `url` and returns the body of a 200 answer, within the timeout
    /// and the body cap. One retry when the connection could not be made.
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, String> {
        self.check_url(url)?;
        match tokio::time::timeout(self.timeout, self.get_with_retry(url)).await {
            Ok(result) => result,
            Err(_) => Err(self.timeout_message()),
        }
    }

    fn timeout_message(&self) -> String {
        format!("no complete answer within {} ms", self.timeout.as_millis())
    }

    fn failure(&self, err: &reqwest::Error) -> Failure {
        if err.is_timeout() {
            Failure::Other(self.timeout_message())
        } else if err.is_connect() {
            Failure::Connect(error_chain(err))
        } else {
            Failure::Other(error_chain(err))
        }
    }

    async fn get_with_retry(&self, url: &Url) -> Result<Vec<u8>, String> {
        match self.get_once(url).await {
            Err(Failure::Connect(first)) => {
                tracing::debug!(%url, error = %first, "connection failed; retrying once");
                self.get_once(url).await.map_err(Failure::into_message)
            }
            other => other.map_err(Failure::into_message),
        }
    }

    async fn get_once(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        let mut response = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| self.failure(&err))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(|value| format!(" (redirect to {value} not followed)"))
                .unwrap_or_default();
            return Err(Failure::Other(format!("HTTP status {status}{location}")));
        }
        let cap = self.max_body_bytes;
        if let Some(length) = response.content_length()
            && length > cap as u64
        {
            return Err(Failure::Other(format!(
                "body is {length} bytes, more than the {cap} allowed"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| match self.failure(&err) {
                Failure::Other(message) if !err.is_timeout() => {
                    Failure::Other(format!("reading the body failed: {message}"))
                }
                other => other,
            })?
        {
            if body.len() + chunk.len() > cap {
                return Err(Failure::Other(format!(
                    "body exceeds the {cap} bytes allowed"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

enum Failure {
    Connect(String),
    Other(String),
}

impl Failure {
    fn into_message(self) -> String {
        match self {
            Failure::Connect(message) => format!("connection failed: {message}"),
            Failure::Other(message) => message,
        }
    }
}

/// HTTPS always; plain HTTP only to loopback hosts unless allowed.
pub(crate) fn check_url(url: &Url, allow_insecure_http: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{url} uses plain HTTP to a host that is not loopback; use HTTPS or allow insecure HTTP explicitly"
        )),
        other => Err(format!("{url} has unsupported scheme {other}")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        let ok = |text: &str, allow| check_url(&Url::parse(text).unwrap(), allow).is_ok();
        assert!(ok("https://cognito-idp.us-east-1.amazonaws.com/x", false));
        assert!(ok("http://127.0.0.1:9229/x", false));
        assert!(ok("http://127.8.0.1/x", false));
        assert!(ok("http://[::1]:80/x", false));
        assert!(ok("http://localhost:5000/x", false));
        assert!(ok("http://api.localhost/x", false));
        assert!(!ok("http://example.com/x", false));
        assert!(!ok("http://10.0.0.1/x", false));
        assert!(ok("http://example.com/x", true));
        assert!(!ok("file:///etc/passwd", true));
        assert!(!ok("ftp://example.com/x", true));
    }
}
