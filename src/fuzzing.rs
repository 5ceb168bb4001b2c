//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`).
//!
//! Not a stable API: it exists so the fuzzers reach the parsers that the
//! public API only reaches through the network. Every function must return
//! (not panic) for any input; the invariants the fuzzers check are asserted
//! here, so a violation is a crash the fuzzer reports.

use std::sync::OnceLock;

use jsonwebtoken::Algorithm;

use crate::claims::TokenUse;
use crate::config::CognitoPool;
use crate::config::OidcIssuer;
use crate::testing::{SigningKey, jwks_json};
use crate::verifier::Verifier;
use crate::web::{BearerChallenge, TokenSource};

/// The issuer of the fixed generic (EdDSA) keys.
pub const OIDC_ISSUER: &str = "https://issuer.example.com";
/// The audience the fixed generic issuer accepts.
pub const OIDC_AUDIENCE: &str = "api://fuzz";
/// The Cognito pool of the fixed RSA keys.
pub const COGNITO_POOL: &str = "us-east-1_FuzzPool1";
/// The app client the Cognito pool accepts.
pub const COGNITO_CLIENT: &str = "fuzz-client";
/// The `kid` of the fixed Ed25519 key.
pub const ED25519_KID: &str = "fuzz-ed25519";
/// A fixed time for the verifiers (2030-01-01T00:00:00Z).
pub const NOW: i64 = 1_893_456_000;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier,
    ed25519: SigningKey,
}

fn abort_on(what: &str) -> ! {
    eprintln!("the fuzzing fixture cannot be built: {what}");
    std::process::abort()
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let ed25519 = SigningKey::generate(Algorithm::EdDSA)
            .unwrap_or_else(|_| abort_on("Ed25519 key"))
            .with_kid(ED25519_KID);
        let rsa = SigningKey::generate(Algorithm::RS256)
            .unwrap_or_else(|_| abort_on("RSA key"))
            .with_kid("fuzz-rsa");
        let verifier = Verifier::builder()
            .cognito(
                CognitoPool::new(COGNITO_POOL)
                    .jwks_static(jwks_json([&rsa]))
                    .any_token_use()
                    .client_id(COGNITO_CLIENT),
            )
            .oidc(
                OidcIssuer::new(OIDC_ISSUER)
                    .jwks_static(jwks_json([&ed25519]))
                    .audience(OIDC_AUDIENCE)
                    .algorithms([Algorithm::EdDSA, Algorithm::RS256]),
            )
            .clock(|| NOW)
            .build()
            .unwrap_or_else(|_| abort_on("verifier"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|_| abort_on("runtime"));
        Fixture {
            runtime,
            verifier,
            ed25519,
        }
    })
}

/// Splits and decodes a token; checks the claims' types.
pub fn parse_token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = crate::token::parse(text) {
        let _ = crate::token::claims(&parsed.payload);
    }
    let _ = crate::token::decode_unverified(text);
}

/// Runs the whole pipeline on a token against the fixed keys. A token is
/// only valid if it carries a signature made with a fixed key over exactly
/// its bytes; the fuzzer cannot make one, so `Ok` from arbitrary bytes
/// would be a forgery, and this panics. Returns whether it verified.
pub fn verify_token(data: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(data) else {
        return false;
    };
    let fixture = fixture();
    let outcome = fixture.runtime.block_on(fixture.verifier.verify(token));
    if let Ok(verified) = outcome {
        // Only tokens this module signed can get here (see `sign`).
        assert!(
            SIGNED.with(|signed| signed.borrow().contains(token)),
            "an unsigned token verified: {verified:?}"
        );
        return true;
    }
    false
}

thread_local! {
    static SIGNED: std::cell::RefCell<std::collections::HashSet<String>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// Builds a token from header and payload JSON texts and a signature
/// choice, verifies it, and checks the outcome against the claims:
/// whatever verifies must have a real signature, an `exp` in the future,
/// the fixed issuer and audience. Returns whether it verified.
pub fn verify_parts(header: &[u8], payload: &[u8], signature: SignatureChoice<'_>) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let fixture = fixture();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let (signature, genuine) = match signature {
        SignatureChoice::Genuine => match fixture.ed25519.sign(signing_input.as_bytes()) {
            Ok(signature) => (signature, true),
            Err(_) => return false,
        },
        SignatureChoice::Bytes(bytes) => (bytes.to_vec(), false),
    };
    let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&signature));
    if genuine {
        SIGNED.with(|signed| {
            let mut signed = signed.borrow_mut();
            if signed.len() > 10_000 {
                signed.clear();
            }
            signed.insert(token.clone());
        });
    }
    let outcome = fixture.runtime.block_on(fixture.verifier.verify(&token));
    if let Ok(verified) = outcome {
        assert!(genuine, "a token with a made-up signature verified");
        let claims = verified.claims();
        let exp = claims.get("exp").and_then(serde_json::Value::as_f64);
        assert!(
            exp.is_some_and(|exp| exp >= NOW as f64),
            "expired or no exp: {claims:?}"
        );
        let iss = claims.get("iss").and_then(serde_json::Value::as_str);
        assert!(matches!(iss, Some(OIDC_ISSUER)), "wrong iss: {claims:?}");
        let aud = claims.get("aud");
        let audience_ok = match aud {
            Some(serde_json::Value::String(aud)) => aud == OIDC_AUDIENCE,
            Some(serde_json::Value::Array(list)) => list.iter().any(|aud| aud == OIDC_AUDIENCE),
            _ => false,
        };
        assert!(audience_ok, "wrong aud: {claims:?}");
        assert_eq!(verified.token_use(), None::<TokenUse>);
        return true;
    }
    false
}

/// How [`verify_parts`] signs.
#[derive(Debug, Clone, Copy)]
pub enum SignatureChoice<'a> {
    /// A real Ed25519 signature by the fixed key.
    Genuine,
    /// These bytes as the signature.
    Bytes(&'a [u8]),
}

/// Parses a JWKS document.
pub fn parse_jwks(data: &[u8]) {
    let _ = crate::keys::KeySet::parse(data);
}

/// Finds a token in an `Authorization` header and a `Cookie` header.
pub fn extract_token(authorization: &[u8], cookie: &[u8]) {
    let mut request = http::Request::builder();
    if let Ok(value) = http::HeaderValue::from_bytes(authorization) {
        request = request.header(http::header::AUTHORIZATION, value);
    }
    if let Ok(value) = http::HeaderValue::from_bytes(cookie) {
        request = request.header(http::header::COOKIE, value);
    }
    let Ok(request) = request.body(()) else {
        return;
    };
    for source in [
        TokenSource::bearer(),
        TokenSource::cookie("access_token"),
        TokenSource::bearer_or_cookie("id_token"),
    ] {
        let _ = source.lookup(&request);
    }
    if let Ok(text) = std::str::from_utf8(authorization) {
        let _ = crate::web::is_b64token(text);
    }
}

/// Reads a Cognito error answer.
pub fn parse_cognito_error(status: u16, body: &[u8]) {
    let mut headers = http::HeaderMap::new();
    if let Ok(value) =
        http::HeaderValue::from_bytes(body.get(..body.len().min(64)).unwrap_or_default())
    {
        headers.insert("x-amzn-errortype", value);
    }
    let error = crate::client::parse_error(status, &headers, body);
    assert!(!error.name().is_empty());
}

/// Reads a token endpoint answer.
pub fn parse_token_answer(status: u16, body: &[u8]) {
    let text = String::from_utf8_lossy(body);
    let _ = crate::client::parse_token_answer(status, &text, None);
}

/// Renders a `WWW-Authenticate` challenge from arbitrary text; the result
/// must always be a valid header value.
pub fn render_challenge(realm: &str, description: &str, scope: &str) {
    let challenge = BearerChallenge::new(realm)
        .error("invalid_token")
        .description(description)
        .scope(scope.split(' '));
    let rendered = challenge.to_string();
    assert!(
        http::HeaderValue::from_str(&rendered).is_ok(),
        "not a header value: {rendered:?}"
    );
    assert!(rendered.is_ascii());
}
