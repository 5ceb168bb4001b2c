//! JWK and JWKS: parsing a key set once, and checking that a key fits a
//! token header.
//!
//! jsonwebtoken supplies the JWK model; each usable key is parsed into a
//! [`VerifyingKey`] when the set arrives, never per request.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use serde_json::Value;

use super::crypto::{KeyFamily, KeyMaterial, VerifyingKey};
use crate::error::{Error, echo};

/// The SubjectPublicKeyInfo DER of a P-256 key up to its point:
/// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING of 66
/// bytes (no unused bits, then 0x04 ‖ X ‖ Y) }.
const P256_SPKI_PREFIX: [u8; 27] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
];

/// The PEM `PUBLIC KEY` of a P-256 point (`x`, `y`: 32 bytes each), as an
/// ALB key endpoint serves it.
#[cfg(feature = "testing")]
pub(crate) fn p256_pem(x: &[u8], y: &[u8]) -> String {
    let der = [&P256_SPKI_PREFIX[..], x, y].concat();
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// One usable public key from a JWKS.
pub(crate) struct PublicJwk {
    pub(crate) kid: Arc<str>,
    /// Identifies the key material and its parameters: the same JWK in a
    /// later fetch has the same fingerprint.
    pub(crate) fingerprint: u64,
    key: VerifyingKey,
    /// The JWK `use`, when present.
    key_use: Option<String>,
    /// The JWK `alg`, when present.
    alg: Option<String>,
    /// The JWK `key_ops`, when present.
    key_ops: Option<Vec<String>>,
}

/// What the set holds under one `kid`.
#[derive(Clone)]
pub(crate) enum KeySlot {
    Key(Arc<PublicJwk>),
    /// The `kid` appears more than once; the set refuses to guess.
    Ambiguous(usize),
}

/// A parsed JWKS: usable keys by `kid`.
#[derive(Default, Clone)]
pub(crate) struct KeySet {
    slots: HashMap<String, KeySlot>,
}

impl KeySet {
    /// Parses a JWKS document. A body that is not a JWKS is an error; a
    /// single key that cannot be used is skipped with a warning.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, String> {
        let document: Value =
            serde_json::from_slice(body).map_err(|err| format!("body is not JSON: {err}"))?;
        let Some(keys) = document.get("keys") else {
            return Err("body is not a JWKS: no \"keys\" member".to_owned());
        };
        let Value::Array(keys) = keys else {
            return Err("body is not a JWKS: \"keys\" is not an array".to_owned());
        };
        let mut set = KeySet::default();
        for (index, value) in keys.iter().enumerate() {
            match PublicJwk::from_value(value) {
                Ok(jwk) => set.add(jwk),
                Err(reason) => {
                    tracing::warn!(index, %reason, "skipping a JWKS key that cannot be used");
                }
            }
        }
        Ok(set)
    }

    fn add(&mut self, jwk: PublicJwk) {
        match self.slots.entry(jwk.kid.to_string()) {
            Entry::Vacant(slot) => {
                slot.insert(KeySlot::Key(Arc::new(jwk)));
            }
            Entry::Occupied(mut slot) => {
                let count = match slot.get() {
                    KeySlot::Key(_) => 2,
                    KeySlot::Ambiguous(count) => count + 1,
                };
                tracing::warn!(kid = %echo(&jwk.kid), count, "kid appears more than once in the JWKS; tokens naming it will be refused");
                slot.insert(KeySlot::Ambiguous(count));
            }
        }
    }

    /// The one key of an ALB key endpoint: a PEM `PUBLIC KEY` holding a
    /// P-256 key (SubjectPublicKeyInfo, uncompressed point), under `kid`.
    /// Anything else is refused: ALB signs with ES256 only.
    pub(crate) fn from_p256_pem(body: &[u8], kid: &str) -> Result<Self, String> {
        let text = std::str::from_utf8(body).map_err(|_| "the key is not text (PEM)".to_owned())?;
        let inner = text
            .trim()
            .strip_prefix("-----BEGIN PUBLIC KEY-----")
            .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
            .ok_or_else(|| "the key is not a PEM PUBLIC KEY".to_owned())?;
        let base64: String = inner.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|err| format!("the PEM body is not base64: {err}"))?;
        let point = der
            .strip_prefix(&P256_SPKI_PREFIX[..])
            .filter(|point| point.len() == 64)
            .ok_or_else(|| "the key is not an uncompressed P-256 public key".to_owned())?;
        let (x, y) = point.split_at(32);
        let jwk = serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
            "kid": kid,
            "alg": "ES256",
            "use": "sig",
        });
        let mut set = KeySet::default();
        set.add(PublicJwk::from_value(&jwk)?);
        Ok(set)
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&KeySlot> {
        self.slots.get(kid)
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn kids(&self) -> impl Iterator<Item = &str> {
        self.slots.keys().map(String::as_str)
    }
}

impl PublicJwk {
    fn from_value(value: &Value) -> Result<Self, String> {
        let Value::Object(object) = value else {
            return Err("key is not a JSON object".to_owned());
        };
        let kid = match object.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
            Some(Value::String(_)) | None => return Err("key has no kid".to_owned()),
            Some(_) => return Err("key kid is not a string".to_owned()),
        };
        let optional_string = |name: &str| match object.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(format!("key {} has a non-string {name}", echo(&kid))),
        };
        let key_use = optional_string("use")?;
        let alg = optional_string("alg")?;
        let key_ops = match object.get("key_ops") {
            None => None,
            Some(Value::Array(ops)) => Some(
                ops.iter()
                    .map(|op| op.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("key {} has a non-string key_ops entry", echo(&kid)))?,
            ),
            Some(_) => return Err(format!("key {} key_ops is not an array", echo(&kid))),
        };
        let jwk: Jwk = serde_json::from_value(value.clone())
            .map_err(|err| format!("key {} is not a JWK: {err}", echo(&kid)))?;
        let key = verifying_key(&jwk.algorithm)
            .map_err(|reason| format!("key {}: {reason}", echo(&kid)))?;
        Ok(PublicJwk {
            fingerprint: fingerprint(value),
            kid: Arc::from(kid),
            key,
            key_use,
            alg,
            key_ops,
        })
    }

    /// Step 5: the key must fit the header algorithm.
    pub(crate) fn check_fits(&self, alg: Algorithm) -> Result<(), Error> {
        let refuse = |reason: String| Error::InvalidKey {
            kid: echo(&self.kid),
            reason,
        };
        if !self.key.family().fits(alg) {
            return Err(refuse(format!(
                "token alg is {alg:?} but the key is {}",
                self.key.family().describe()
            )));
        }
        if let Some(key_use) = &self.key_use
            && key_use != "sig"
        {
            return Err(refuse(format!("key use is {}, not \"sig\"", echo(key_use))));
        }
        if let Some(key_alg) = &self.alg
            && key_alg != alg_name(alg)
        {
            return Err(refuse(format!(
                "key alg is {} but the token alg is {alg:?}",
                echo(key_alg)
            )));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|op| op == "verify")
        {
            return Err(refuse("key_ops does not include \"verify\"".to_owned()));
        }
        Ok(())
    }

    /// Step 6: the signature.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify(alg, message, signature)
    }
}

/// A stable hash of a JWK (serde_json orders object keys, so equal JWKs
/// print alike).
fn fingerprint(value: &Value) -> u64 {
    use std::hash::{DefaultHasher, Hasher};
    let mut hasher = DefaultHasher::new();
    hasher.write(value.to_string().as_bytes());
    hasher.finish()
}

fn verifying_key(params: &AlgorithmParameters) -> Result<VerifyingKey, String> {
    match params {
        AlgorithmParameters::RSA(rsa) => {
            let n = decode(&rsa.n, "n")?;
            let e = decode(&rsa.e, "e")?;
            VerifyingKey::parse(KeyMaterial::Rsa { n: &n, e: &e })
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            let family = match ec.curve {
                EllipticCurve::P256 => KeyFamily::P256,
                EllipticCurve::P384 => KeyFamily::P384,
                ref other => return Err(format!("EC curve {other:?} is not supported")),
            };
            let x = decode(&ec.x, "x")?;
            let y = decode(&ec.y, "y")?;
            VerifyingKey::parse(KeyMaterial::Ec {
                family,
                x: &x,
                y: &y,
            })
        }
        AlgorithmParameters::OctetKeyPair(okp) => match okp.curve {
            EllipticCurve::Ed25519 => {
                let x = decode(&okp.x, "x")?;
                VerifyingKey::parse(KeyMaterial::Ed25519 { x: &x })
            }
            ref other => Err(format!("OKP curve {other:?} is not supported")),
        },
        AlgorithmParameters::OctetKey(_) => {
            Err("symmetric (oct) keys are never used for verification".to_owned())
        }
        _ => Err("unsupported key type".to_owned()),
    }
}

fn decode(field: &str, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(field)
        .map_err(|err| format!("{name} is not unpadded base64url: {err}"))
}

/// The JOSE name of an algorithm (`"RS256"`, `"EdDSA"`, …).
pub(crate) fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::EdDSA => "EdDSA",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_jwks_bodies_are_errors() {
        assert!(KeySet::parse(b"<html>").is_err());
        assert!(KeySet::parse(b"{}").is_err());
        assert!(KeySet::parse(br#"{"keys":{}}"#).is_err());
        assert_eq!(KeySet::parse(br#"{"keys":[]}"#).unwrap().len(), 0);
    }

    #[test]
    fn unusable_keys_are_skipped() {
        let body = br#"{"keys":[
            1,
            {"kty":"RSA","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","kid":"short","n":"AQAB","e":"AQAB"},
            {"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
            {"kty":"EC","kid":"p521","crv":"P-521","x":"AA","y":"AA"},
            {"kty":"RSA","kid":7,"n":"AQAB","e":"AQAB"}
        ]}"#;
        let set = KeySet::parse(body).unwrap();
        assert_eq!(set.len(), 0);
    }

    #[test]
    fn alg_names_round_trip() {
        for alg in [
            Algorithm::RS256,
            Algorithm::PS512,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ] {
            let parsed: Algorithm = alg_name(alg).parse().unwrap();
            assert_eq!(parsed, alg);
        }
    }
}
