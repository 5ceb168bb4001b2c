//! Signature verification with public keys parsed once.
//!
//! jsonwebtoken rebuilds the public key from `n`/`e` on every call; this
//! module keeps a parsed key per JWK instead and verifies with the chosen
//! backend directly. jsonwebtoken still supplies the JWK model and the
//! algorithm names.
//!
//! The backend is chosen by feature: `aws-lc-rs` (default) or `rust-crypto`.
//! With both on, aws-lc-rs is used.

use jsonwebtoken::Algorithm;

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
use aws_lc as backend;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
use rust_crypto as backend;

/// The smallest RSA modulus accepted, in bits.
pub(crate) const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits.
pub(crate) const MAX_RSA_BITS: usize = 8192;

/// What kind of key a JWK holds; it decides which algorithms the key can
/// verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyFamily {
    /// The algorithms a key of this family can verify.
    pub(crate) fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyFamily::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyFamily::P256 => alg == ES256,
            KeyFamily::P384 => alg == ES384,
            KeyFamily::Ed25519 => alg == EdDSA,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            KeyFamily::Rsa => "an RSA key",
            KeyFamily::P256 => "an EC P-256 key",
            KeyFamily::P384 => "an EC P-384 key",
            KeyFamily::Ed25519 => "an Ed25519 key",
        }
    }
}

/// The raw public key material of a JWK, base64url already decoded.
pub(crate) enum KeyMaterial<'a> {
    Rsa {
        n: &'a [u8],
        e: &'a [u8],
    },
    Ec {
        family: KeyFamily,
        x: &'a [u8],
        y: &'a [u8],
    },
    Ed25519 {
        x: &'a [u8],
    },
}

/// A public key parsed once, ready to verify signatures.
pub(crate) struct VerifyingKey {
    family: KeyFamily,
    key: backend::PublicKey,
}

impl VerifyingKey {
    /// Parses key material; the error says why the key is unusable.
    pub(crate) fn parse(material: KeyMaterial<'_>) -> Result<Self, String> {
        let family = match &material {
            KeyMaterial::Rsa { n, .. } => {
                let bits = modulus_bits(n);
                if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                    return Err(format!(
                        "RSA modulus is {bits} bits; {MIN_RSA_BITS} to {MAX_RSA_BITS} are accepted"
                    ));
                }
                KeyFamily::Rsa
            }
            KeyMaterial::Ec { family, .. } => *family,
            KeyMaterial::Ed25519 { .. } => KeyFamily::Ed25519,
        };
        let key = backend::PublicKey::parse(&material)?;
        Ok(VerifyingKey { family, key })
    }

    pub(crate) fn family(&self) -> KeyFamily {
        self.family
    }

    /// Verifies `signature` over `message`. The caller has checked that the
    /// algorithm fits the key family.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.family.fits(alg) && self.key.verify(alg, message, signature)
    }
}

/// The SEC1 uncompressed point `04 || x || y` of an EC JWK, after checking
/// that each coordinate has the curve's size.
pub(crate) fn uncompressed_point(family: KeyFamily, x: &[u8], y: &[u8]) -> Result<Vec<u8>, String> {
    let size = if family == KeyFamily::P384 { 48 } else { 32 };
    if x.len() != size || y.len() != size {
        return Err(format!("EC coordinates must be {size} bytes each"));
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(4);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    Ok(point)
}

/// Strips the leading zero bytes that some JWKS publishers leave in `n`/`e`.
pub(crate) fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

fn modulus_bits(n: &[u8]) -> usize {
    let n = trim_leading_zeros(n);
    match n.first() {
        Some(&top) => n.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

/// SHA-256 of `message`.
#[cfg(any(feature = "client", feature = "redis", feature = "testing"))]
pub(crate) fn sha256(message: &[u8]) -> [u8; 32] {
    backend::sha256(message)
}

/// HMAC-SHA-256 of `message` under `key`.
#[cfg(feature = "client")]
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    backend::hmac_sha256(key, message)
}

/// Bytes from the operating system's secure random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    backend::fill_random(&mut bytes)?;
    Ok(bytes)
}

/// jsonwebtoken panics at run time when both of its backends are compiled
/// in and no provider was installed. When our two features are both on we
/// pick aws-lc-rs for jsonwebtoken too, so nothing reachable can panic.
pub(crate) fn install_jsonwebtoken_provider() {
    #[cfg(all(feature = "aws-lc-rs", feature = "rust-crypto"))]
    {
        // An error only means a provider is installed already.
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        );
    }
}

/// A private key for minting test tokens.
#[cfg(feature = "testing")]
pub(crate) struct SigningKeyPair {
    family: KeyFamily,
    key: backend::PrivateKey,
}

#[cfg(feature = "testing")]
impl SigningKeyPair {
    pub(crate) fn generate(family: KeyFamily) -> Result<Self, String> {
        Ok(SigningKeyPair {
            family,
            key: backend::PrivateKey::generate(family)?,
        })
    }

    pub(crate) fn family(&self) -> KeyFamily {
        self.family
    }

    pub(crate) fn sign(&self, alg: Algorithm, message: &[u8]) -> Result<Vec<u8>, String> {
        if !self.family.fits(alg) {
            return Err(format!(
                "{alg:?} cannot be made with {}",
                self.family.describe()
            ));
        }
        self.key.sign(alg, message)
    }

    /// The public half as `(n, e)`, `(x, y)` or `(x, [])`, big-endian bytes.
    pub(crate) fn public_components(&self) -> (Vec<u8>, Vec<u8>) {
        self.key.public_components()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "client")]
    #[test]
    fn digests_match_known_vectors() {
        // FIPS 180-2 "abc" and RFC 4231 test case 2.
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let a: [u8; 32] = random_bytes().unwrap();
        let b: [u8; 32] = random_bytes().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn modulus_bits_ignores_leading_zeros() {
        assert_eq!(modulus_bits(&[0, 0, 0x80, 0]), 16);
        assert_eq!(modulus_bits(&[0x01]), 1);
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(trim_leading_zeros(&[0, 0]), &[] as &[u8]);
    }

    #[test]
    fn families_bind_algorithms() {
        assert!(KeyFamily::Rsa.fits(Algorithm::PS384));
        assert!(!KeyFamily::Rsa.fits(Algorithm::ES256));
        assert!(!KeyFamily::Rsa.fits(Algorithm::HS256));
        assert!(KeyFamily::P256.fits(Algorithm::ES256));
        assert!(!KeyFamily::P256.fits(Algorithm::ES384));
        assert!(KeyFamily::Ed25519.fits(Algorithm::EdDSA));
    }

    #[test]
    fn short_rsa_keys_are_refused() {
        let n = [0xC5u8; 128]; // 1024 bits
        let err = VerifyingKey::parse(KeyMaterial::Rsa {
            n: &n,
            e: &[1, 0, 1],
        })
        .err()
        .unwrap();
        assert!(err.contains("1024 bits"), "{err}");
    }

    #[cfg(feature = "testing")]
    #[test]
    fn sign_then_verify_every_family() {
        let cases = [
            (KeyFamily::Rsa, Algorithm::RS256),
            (KeyFamily::Rsa, Algorithm::PS512),
            (KeyFamily::P256, Algorithm::ES256),
            (KeyFamily::P384, Algorithm::ES384),
            (KeyFamily::Ed25519, Algorithm::EdDSA),
        ];
        for (family, alg) in cases {
            let pair = SigningKeyPair::generate(family).unwrap();
            let signature = pair.sign(alg, b"message").unwrap();
            let (a, b) = pair.public_components();
            let material = match family {
                KeyFamily::Rsa => KeyMaterial::Rsa { n: &a, e: &b },
                KeyFamily::Ed25519 => KeyMaterial::Ed25519 { x: &a },
                _ => KeyMaterial::Ec {
                    family,
                    x: &a,
                    y: &b,
                },
            };
            let key = VerifyingKey::parse(material).unwrap();
            assert!(key.verify(alg, b"message", &signature), "{alg:?}");
            assert!(!key.verify(alg, b"messagE", &signature), "{alg:?}");
            let mut bad = signature.clone();
            bad[0] ^= 1;
            assert!(!key.verify(alg, b"message", &bad), "{alg:?}");
        }
    }
}
