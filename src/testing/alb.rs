//! A stand-in for an Application Load Balancer's side of Cognito
//! authentication: its key endpoint (one PEM per `kid`, on loopback) and
//! the `x-amzn-oidc-data` tokens it signs.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use super::SigningKey;
use crate::Algorithm;
use crate::clock::unix_now;
use crate::error::{Error, Result};

struct Endpoint {
    pems: Mutex<HashMap<String, String>>,
    requests: AtomicU64,
    /// Answers every request with this status when not 0.
    failing: AtomicU16,
}

/// An ALB's key endpoint on 127.0.0.1 and the tokens it would sign.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cognito_auth::Error> {
/// use cognito_auth::alb::AlbVerifier;
/// use cognito_auth::testing::MockAlb;
///
/// let alb = MockAlb::start().await?;
/// let verifier = AlbVerifier::builder()
///     .alb_arn(alb.arn())
///     .keys_url(alb.keys_url())
///     .issuer(alb.issuer())
///     .client_id(alb.client_id())
///     .build()?;
/// let token = alb.token().claim("email", "alice@example.com").sign()?;
/// assert_eq!(verifier.verify(&token).await?.claims().claims()["email"], "alice@example.com");
/// # Ok(()) }
/// ```
pub struct MockAlb {
    base_url: String,
    arn: String,
    issuer: String,
    client_id: String,
    key: SigningKey,
    endpoint: Arc<Endpoint>,
    server: JoinHandle<()>,
}

impl MockAlb {
    /// Starts the key endpoint with one P-256 key, for an ALB in
    /// `us-east-1`.
    pub async fn start() -> Result<Self> {
        crate::keys::crypto::install_jsonwebtoken_provider();
        let key = SigningKey::generate(Algorithm::ES256)?.with_kid(random_uuid()?);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|err| Error::config(format!("mock ALB cannot listen: {err}")))?;
        let address = listener
            .local_addr()
            .map_err(|err| Error::config(format!("mock ALB has no address: {err}")))?;
        let endpoint = Arc::new(Endpoint {
            pems: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            failing: AtomicU16::new(0),
        });
        let alb = MockAlb {
            base_url: format!("http://{address}"),
            arn: format!(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/mock/{}",
                &key.kid()[..8]
            ),
            issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_MockAlb01".to_owned(),
            client_id: "mockalbclient".to_owned(),
            server: serve(Arc::clone(&endpoint), listener),
            endpoint,
            key,
        };
        alb.add_key(&alb.key);
        Ok(alb)
    }

    /// The key endpoint's base (`{keys_url}/{kid}`).
    pub fn keys_url(&self) -> &str {
        &self.base_url
    }

    /// The ALB's ARN, the `signer` of its tokens.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The issuer in its tokens (a user pool's).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The app client in its tokens.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The key it signs with.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Serves `key` (a P-256 key) under its `kid`.
    pub fn add_key(&self, key: &SigningKey) {
        if let Some(pem) = key.public_pem() {
            lock(&self.endpoint.pems).insert(key.kid().to_owned(), pem);
        }
    }

    /// Serves `body` under `kid`, whatever it is (to test what a verifier
    /// makes of bad keys).
    pub fn serve_raw(&self, kid: &str, body: impl Into<String>) {
        lock(&self.endpoint.pems).insert(kid.to_owned(), body.into());
    }

    /// Answers every key request with `status` (0: serve again).
    pub fn fail_with(&self, status: u16) {
        self.endpoint.failing.store(status, Ordering::SeqCst);
    }

    /// How many key requests the endpoint has seen.
    pub fn key_requests(&self) -> u64 {
        self.endpoint.requests.load(Ordering::SeqCst)
    }

    /// A token as this ALB signs it: valid for a minute, its segments
    /// padded, `signer`, `client`, `iss` and `exp` in the header.
    pub fn token(&self) -> AlbTokenBuilder {
        let exp = unix_now() + 60;
        let mut header = Map::new();
        for (name, value) in [
            ("typ", json!("JWT")),
            ("kid", json!(self.key.kid())),
            ("alg", json!("ES256")),
            ("iss", json!(self.issuer)),
            ("client", json!(self.client_id)),
            ("signer", json!(self.arn)),
            ("exp", json!(exp)),
        ] {
            header.insert(name.to_owned(), value);
        }
        let mut payload = Map::new();
        for (name, value) in [
            ("sub", json!("2f5c1e7a-9b3d-4c8e-a1f0-6d2b7e9c4a51")),
            ("email_verified", json!("true")),
            ("email", json!("user@example.com")),
            ("username", json!("2f5c1e7a-9b3d-4c8e-a1f0-6d2b7e9c4a51")),
            ("exp", json!(exp)),
            ("iss", json!(self.issuer)),
        ] {
            payload.insert(name.to_owned(), value);
        }
        AlbTokenBuilder {
            header,
            payload,
            key: self.key.clone(),
            padded: true,
        }
    }
}

impl Drop for MockAlb {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for MockAlb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockAlb")
            .field("keys_url", &self.base_url)
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

/// A token of a [`MockAlb`], with knobs.
#[derive(Debug, Clone)]
#[must_use = "call .sign()"]
pub struct AlbTokenBuilder {
    header: Map<String, Value>,
    payload: Map<String, Value>,
    key: SigningKey,
    padded: bool,
}

impl AlbTokenBuilder {
    /// Sets (or with `null`, keeps as null) a payload claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.payload.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a payload claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.payload.remove(name);
        self
    }

    /// Sets a header field (`signer`, `client`, `kid`, `alg`, …).
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header.insert(name.to_owned(), value.into());
        self
    }

    /// Removes a header field.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Expires `lifetime` from now (payload and header `exp`); a negative
    /// lifetime is in the past.
    pub fn expires_in(self, seconds: i64) -> Self {
        let exp = unix_now() + seconds;
        self.claim("exp", exp).header("exp", exp)
    }

    /// Signs with another key (its `kid` goes into the header).
    pub fn signed_by(mut self, key: &SigningKey) -> Self {
        self.header.insert("kid".to_owned(), json!(key.kid()));
        self.key = key.clone();
        self
    }

    /// Segments without `=` padding (ALB pads them).
    pub fn unpadded(mut self) -> Self {
        self.padded = false;
        self
    }

    /// The token: `header.payload.signature`, each segment base64url
    /// (padded by default), the ES256 signature as raw `r ‖ s`.
    pub fn sign(&self) -> Result<String> {
        let encode = |bytes: &[u8]| {
            if self.padded {
                URL_SAFE.encode(bytes)
            } else {
                URL_SAFE_NO_PAD.encode(bytes)
            }
        };
        let header = serde_json::to_vec(&self.header).map_err(Error::config)?;
        let payload = serde_json::to_vec(&self.payload).map_err(Error::config)?;
        let input = format!("{}.{}", encode(&header), encode(&payload));
        let signature = self.key.sign(input.as_bytes())?;
        Ok(format!("{input}.{}", encode(&signature)))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A random UUID (version 4 layout), as ALB key ids are.
fn random_uuid() -> Result<String> {
    let bytes: [u8; 16] = crate::keys::crypto::random_bytes().map_err(Error::config)?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    ))
}

fn serve(endpoint: Arc<Endpoint>, listener: tokio::net::TcpListener) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let endpoint = Arc::clone(&endpoint);
            tokio::spawn(async move {
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let endpoint = Arc::clone(&endpoint);
                    async move { Ok::<_, Infallible>(answer(&endpoint, request.uri().path())) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn answer(endpoint: &Endpoint, path: &str) -> Response<Full<Bytes>> {
    endpoint.requests.fetch_add(1, Ordering::SeqCst);
    let failing = endpoint.failing.load(Ordering::SeqCst);
    let (status, body) = if failing != 0 {
        (
            StatusCode::from_u16(failing).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            String::new(),
        )
    } else {
        match lock(&endpoint.pems).get(path.trim_start_matches('/')) {
            Some(pem) => (StatusCode::OK, pem.clone()),
            None => (StatusCode::NOT_FOUND, String::new()),
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}
