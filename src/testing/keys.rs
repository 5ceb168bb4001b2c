//! Signing keys for test tokens.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::Algorithm;
use crate::error::{Error, Result};
use crate::keys::alg_name;
use crate::keys::crypto::{KeyFamily, SigningKeyPair};

use super::unique_suffix;

/// A private key that signs test tokens, with its `kid` and algorithm.
///
/// Cheap to clone. The private half never leaves the process and never
/// appears in `Debug` output.
///
/// ```
/// use cognito_auth::Algorithm;
/// use cognito_auth::testing::SigningKey;
///
/// let key = SigningKey::generate(Algorithm::ES256)?.with_kid("my-ec-key");
/// assert_eq!(key.jwk()["crv"], "P-256");
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: Arc<SigningKeyPair>,
}

impl SigningKey {
    /// Generates a key for `alg`: RSA-2048 for RS*/PS*, P-256 for ES256,
    /// P-384 for ES384, Ed25519 for EdDSA. The `kid` is random.
    pub fn generate(alg: Algorithm) -> Result<Self> {
        let family = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::ES256 => KeyFamily::P256,
            Algorithm::ES384 => KeyFamily::P384,
            Algorithm::EdDSA => KeyFamily::Ed25519,
            other => {
                return Err(Error::config(format!(
                    "test keys are public-key keys; {} is not one",
                    alg_name(other)
                )));
            }
        };
        let pair = SigningKeyPair::generate(family).map_err(Error::config)?;
        Ok(SigningKey {
            kid: format!("test-{}", unique_suffix()),
            alg,
            pair: Arc::new(pair),
        })
    }

    /// The same key under another `kid`.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK (`kid`, `alg`, `use: "sig"` and the key parameters).
    pub fn jwk(&self) -> Value {
        let (a, b) = self.pair.public_components();
        let mut jwk = match self.pair.family() {
            KeyFamily::Rsa => json!({"kty": "RSA", "n": b64(&a), "e": b64(&b)}),
            KeyFamily::P256 => json!({"kty": "EC", "crv": "P-256", "x": b64(&a), "y": b64(&b)}),
            KeyFamily::P384 => json!({"kty": "EC", "crv": "P-384", "x": b64(&a), "y": b64(&b)}),
            KeyFamily::Ed25519 => json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&a)}),
        };
        if let Value::Object(map) = &mut jwk {
            map.insert("kid".into(), Value::String(self.kid.clone()));
            map.insert("alg".into(), Value::String(alg_name(self.alg).into()));
            map.insert("use".into(), Value::String("sig".into()));
        }
        jwk
    }

    /// The public key as an ALB key endpoint serves it (a PEM `PUBLIC
    /// KEY`); `None` unless this is a P-256 (ES256) key.
    pub fn public_pem(&self) -> Option<String> {
        match self.pair.family() {
            KeyFamily::P256 => {
                let (x, y) = self.pair.public_components();
                Some(crate::keys::p256_pem(&x, &y))
            }
            _ => None,
        }
    }

    /// Signs bytes (a JWS signing input) with the key's algorithm.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.pair.sign(self.alg, message).map_err(Error::config)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A JWKS document holding the public halves of `keys`.
///
/// ```
/// use cognito_auth::Algorithm;
/// use cognito_auth::testing::{SigningKey, jwks_json};
/// let key = SigningKey::generate(Algorithm::RS256)?;
/// assert!(jwks_json([&key]).contains(key.kid()));
/// # Ok::<(), cognito_auth::Error>(())
/// ```
pub fn jwks_json<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> String {
    let keys: Vec<Value> = keys.into_iter().map(SigningKey::jwk).collect();
    json!({ "keys": keys }).to_string()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
