//! The aws-lc-rs backend.
//!
//! RSA keys are parsed once per padding/digest combination (aws-lc-rs binds
//! the algorithm into a parsed key); EC and Ed25519 keys once.

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaPublicKeyComponents};
use jsonwebtoken::Algorithm;

use super::{KeyFamily, KeyMaterial, trim_leading_zeros, uncompressed_point};

/// The RSA algorithms, in the order of [`RsaKeys::by_alg`].
const RSA_ALGS: [(Algorithm, &sig::RsaParameters); 6] = [
    (Algorithm::RS256, &sig::RSA_PKCS1_2048_8192_SHA256),
    (Algorithm::RS384, &sig::RSA_PKCS1_2048_8192_SHA384),
    (Algorithm::RS512, &sig::RSA_PKCS1_2048_8192_SHA512),
    (Algorithm::PS256, &sig::RSA_PSS_2048_8192_SHA256),
    (Algorithm::PS384, &sig::RSA_PSS_2048_8192_SHA384),
    (Algorithm::PS512, &sig::RSA_PSS_2048_8192_SHA512),
];

pub(super) enum PublicKey {
    Rsa(Box<[ParsedPublicKey; 6]>),
    Single(ParsedPublicKey),
}

impl PublicKey {
    pub(super) fn parse(material: &KeyMaterial<'_>) -> Result<Self, String> {
        match material {
            KeyMaterial::Rsa { n, e } => {
                let components = RsaPublicKeyComponents {
                    n: trim_leading_zeros(n),
                    e: trim_leading_zeros(e),
                };
                let parse = |params: &'static sig::RsaParameters| {
                    components
                        .to_parsed_public_key(params)
                        .map_err(|err| format!("RSA key rejected: {err}"))
                };
                let [a, b, c, d, e, f] = RSA_ALGS.map(|(_, params)| params);
                Ok(PublicKey::Rsa(Box::new([
                    parse(a)?,
                    parse(b)?,
                    parse(c)?,
                    parse(d)?,
                    parse(e)?,
                    parse(f)?,
                ])))
            }
            KeyMaterial::Ec { family, x, y } => {
                let alg = match family {
                    KeyFamily::P384 => &sig::ECDSA_P384_SHA384_FIXED,
                    _ => &sig::ECDSA_P256_SHA256_FIXED,
                };
                ParsedPublicKey::new(alg, uncompressed_point(*family, x, y)?)
                    .map(PublicKey::Single)
                    .map_err(|err| format!("EC key rejected: {err}"))
            }
            KeyMaterial::Ed25519 { x } => ParsedPublicKey::new(&sig::ED25519, x)
                .map(PublicKey::Single)
                .map_err(|err| format!("Ed25519 key rejected: {err}")),
        }
    }

    pub(super) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let key = match self {
            PublicKey::Rsa(keys) => {
                let Some(index) = RSA_ALGS.iter().position(|(a, _)| *a == alg) else {
                    return false;
                };
                match keys.get(index) {
                    Some(key) => key,
                    None => return false,
                }
            }
            PublicKey::Single(key) => key,
        };
        key.verify_sig(message, signature).is_ok()
    }
}

#[cfg(any(feature = "client", feature = "redis", feature = "testing"))]
pub(super) fn sha256(message: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(feature = "client")]
pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&key, message);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

pub(super) fn fill_random(bytes: &mut [u8]) -> Result<(), String> {
    aws_lc_rs::rand::fill(bytes).map_err(|_| "the system random source failed".to_owned())
}

#[cfg(feature = "testing")]
pub(super) use signing::PrivateKey;

#[cfg(feature = "testing")]
mod signing {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
    use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
    use jsonwebtoken::Algorithm;

    use super::KeyFamily;

    pub(crate) enum PrivateKey {
        Rsa(RsaKeyPair),
        Ec(EcdsaKeyPair),
        Ed(Ed25519KeyPair),
    }

    impl PrivateKey {
        pub(crate) fn generate(family: KeyFamily) -> Result<Self, String> {
            let failed = |err| format!("key generation failed: {err}");
            Ok(match family {
                KeyFamily::Rsa => {
                    PrivateKey::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?)
                }
                KeyFamily::P256 => PrivateKey::Ec(
                    EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING)
                        .map_err(failed)?,
                ),
                KeyFamily::P384 => PrivateKey::Ec(
                    EcdsaKeyPair::generate(&sig::ECDSA_P384_SHA384_FIXED_SIGNING)
                        .map_err(failed)?,
                ),
                KeyFamily::Ed25519 => PrivateKey::Ed(Ed25519KeyPair::generate().map_err(failed)?),
            })
        }

        pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, String> {
            let rng = SystemRandom::new();
            match self {
                PrivateKey::Rsa(pair) => {
                    let padding: &'static dyn sig::RsaEncoding = match alg {
                        Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
                        Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
                        Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
                        Algorithm::PS256 => &sig::RSA_PSS_SHA256,
                        Algorithm::PS384 => &sig::RSA_PSS_SHA384,
                        _ => &sig::RSA_PSS_SHA512,
                    };
                    let mut out = vec![0; pair.public_modulus_len()];
                    pair.sign(padding, &rng, message, &mut out)
                        .map_err(|err| format!("signing failed: {err}"))?;
                    Ok(out)
                }
                PrivateKey::Ec(pair) => pair
                    .sign(&rng, message)
                    .map(|signature| signature.as_ref().to_vec())
                    .map_err(|err| format!("signing failed: {err}")),
                PrivateKey::Ed(pair) => Ok(pair.sign(message).as_ref().to_vec()),
            }
        }

        pub(crate) fn public_components(&self) -> (Vec<u8>, Vec<u8>) {
            match self {
                PrivateKey::Rsa(pair) => {
                    let public = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                    (public.n, public.e)
                }
                PrivateKey::Ec(pair) => {
                    let point = pair.public_key().as_ref();
                    let coordinates = point.get(1..).unwrap_or_default();
                    let (x, y) = coordinates.split_at(coordinates.len() / 2);
                    (x.to_vec(), y.to_vec())
                }
                PrivateKey::Ed(pair) => (pair.public_key().as_ref().to_vec(), Vec::new()),
            }
        }
    }
}
