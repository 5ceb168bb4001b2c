//! The RustCrypto backend (pure Rust). Verification only uses public keys,
//! so the RSA timing advisory for private-key operations does not apply.

use jsonwebtoken::Algorithm;
use rsa::{BigUint, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::Verifier;

use super::{KeyFamily, KeyMaterial, MAX_RSA_BITS, trim_leading_zeros, uncompressed_point};

use rsa::signature;

pub(super) enum PublicKey {
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    pub(super) fn parse(material: &KeyMaterial<'_>) -> Result<Self, String> {
        match material {
            KeyMaterial::Rsa { n, e } => {
                let n = BigUint::from_bytes_be(trim_leading_zeros(n));
                let e = BigUint::from_bytes_be(trim_leading_zeros(e));
                RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS)
                    .map(PublicKey::Rsa)
                    .map_err(|err| format!("RSA key rejected: {err}"))
            }
            KeyMaterial::Ec { family, x, y } => {
                let point = uncompressed_point(*family, x, y)?;
                let rejected = |err: p256::ecdsa::Error| format!("EC key rejected: {err}");
                if *family == KeyFamily::P384 {
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map(PublicKey::P384)
                        .map_err(rejected)
                } else {
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                        .map(PublicKey::P256)
                        .map_err(rejected)
                }
            }
            KeyMaterial::Ed25519 { x } => {
                let bytes: [u8; 32] = (*x)
                    .try_into()
                    .map_err(|_| "Ed25519 x must be 32 bytes".to_owned())?;
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map(PublicKey::Ed25519)
                    .map_err(|err| format!("Ed25519 key rejected: {err}"))
            }
        }
    }

    pub(super) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Rsa(key) => {
                let result = match alg {
                    Algorithm::RS256 => key.verify(
                        Pkcs1v15Sign::new::<Sha256>(),
                        &Sha256::digest(message),
                        signature,
                    ),
                    Algorithm::RS384 => key.verify(
                        Pkcs1v15Sign::new::<Sha384>(),
                        &Sha384::digest(message),
                        signature,
                    ),
                    Algorithm::RS512 => key.verify(
                        Pkcs1v15Sign::new::<Sha512>(),
                        &Sha512::digest(message),
                        signature,
                    ),
                    Algorithm::PS256 => {
                        key.verify(Pss::new::<Sha256>(), &Sha256::digest(message), signature)
                    }
                    Algorithm::PS384 => {
                        key.verify(Pss::new::<Sha384>(), &Sha384::digest(message), signature)
                    }
                    Algorithm::PS512 => {
                        key.verify(Pss::new::<Sha512>(), &Sha512::digest(message), signature)
                    }
                    _ => return false,
                };
                result.is_ok()
            }
            PublicKey::P256(key) => p256::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            PublicKey::P384(key) => p384::ecdsa::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify(message, &signature).is_ok()),
            PublicKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|signature| key.verify_strict(message, &signature).is_ok()),
        }
    }
}

#[cfg(any(feature = "client", feature = "redis", feature = "testing"))]
pub(super) fn sha256(message: &[u8]) -> [u8; 32] {
    Sha256::digest(message).into()
}

#[cfg(feature = "client")]
pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    // HMAC accepts keys of any length; the error cannot happen.
    match hmac::Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

pub(super) fn fill_random(bytes: &mut [u8]) -> Result<(), String> {
    use rand::RngCore;
    rand::rngs::OsRng
        .try_fill_bytes(bytes)
        .map_err(|err| format!("the system random source failed: {err}"))
}

#[cfg(feature = "testing")]
pub(super) use signing::PrivateKey;

#[cfg(feature = "testing")]
mod signing {
    use jsonwebtoken::Algorithm;
    use rand::rngs::OsRng;
    use rsa::signature::Signer;
    use rsa::traits::PublicKeyParts;
    use rsa::{Pkcs1v15Sign, Pss, RsaPrivateKey};
    use sha2::{Digest, Sha256, Sha384, Sha512};

    use super::KeyFamily;

    pub(crate) enum PrivateKey {
        Rsa(RsaPrivateKey),
        P256(p256::ecdsa::SigningKey),
        P384(p384::ecdsa::SigningKey),
        Ed25519(ed25519_dalek::SigningKey),
    }

    impl PrivateKey {
        pub(crate) fn generate(family: KeyFamily) -> Result<Self, String> {
            Ok(match family {
                KeyFamily::Rsa => PrivateKey::Rsa(
                    RsaPrivateKey::new(&mut OsRng, 2048)
                        .map_err(|err| format!("key generation failed: {err}"))?,
                ),
                KeyFamily::P256 => PrivateKey::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
                KeyFamily::P384 => PrivateKey::P384(p384::ecdsa::SigningKey::random(&mut OsRng)),
                KeyFamily::Ed25519 => {
                    PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&rand::random()))
                }
            })
        }

        pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, String> {
            let failed = |err: rsa::Error| format!("signing failed: {err}");
            match self {
                PrivateKey::Rsa(key) => match alg {
                    Algorithm::RS256 => key
                        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
                        .map_err(failed),
                    Algorithm::RS384 => key
                        .sign(Pkcs1v15Sign::new::<Sha384>(), &Sha384::digest(message))
                        .map_err(failed),
                    Algorithm::RS512 => key
                        .sign(Pkcs1v15Sign::new::<Sha512>(), &Sha512::digest(message))
                        .map_err(failed),
                    Algorithm::PS256 => key
                        .sign_with_rng(&mut OsRng, Pss::new::<Sha256>(), &Sha256::digest(message))
                        .map_err(failed),
                    Algorithm::PS384 => key
                        .sign_with_rng(&mut OsRng, Pss::new::<Sha384>(), &Sha384::digest(message))
                        .map_err(failed),
                    _ => key
                        .sign_with_rng(&mut OsRng, Pss::new::<Sha512>(), &Sha512::digest(message))
                        .map_err(failed),
                },
                PrivateKey::P256(key) => {
                    let signature: p256::ecdsa::Signature = key.sign(message);
                    Ok(signature.to_bytes().to_vec())
                }
                PrivateKey::P384(key) => {
                    let signature: p384::ecdsa::Signature = key.sign(message);
                    Ok(signature.to_bytes().to_vec())
                }
                PrivateKey::Ed25519(key) => Ok(key.sign(message).to_vec()),
            }
        }

        pub(crate) fn public_components(&self) -> (Vec<u8>, Vec<u8>) {
            match self {
                PrivateKey::Rsa(key) => (key.n().to_bytes_be(), key.e().to_bytes_be()),
                PrivateKey::P256(key) => {
                    let point = key.verifying_key().to_encoded_point(false);
                    let x = point.x().map(|x| x.to_vec()).unwrap_or_default();
                    let y = point.y().map(|y| y.to_vec()).unwrap_or_default();
                    (x, y)
                }
                PrivateKey::P384(key) => {
                    let point = key.verifying_key().to_encoded_point(false);
                    let x = point.x().map(|x| x.to_vec()).unwrap_or_default();
                    let y = point.y().map(|y| y.to_vec()).unwrap_or_default();
                    (x, y)
                }
                PrivateKey::Ed25519(key) => (key.verifying_key().to_bytes().to_vec(), Vec::new()),
            }
        }
    }
}
