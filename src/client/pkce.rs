//! PKCE (RFC 7636): a verifier and its S256 challenge.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::secret::Secret;
use crate::error::{Error, Result};
use crate::keys::crypto::{random_bytes, sha256};

/// A PKCE verifier and its S256 challenge (RFC 7636).
///
/// ```
/// use cognito_auth::client::Pkce;
/// // RFC 7636, appendix B.
/// let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(pkce.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(pkce.method(), "S256");
/// ```
#[derive(Clone, Debug)]
pub struct Pkce {
    verifier: Secret,
    challenge: String,
}

impl Pkce {
    /// A fresh random verifier (32 random bytes, 43 characters).
    pub fn generate() -> Result<Self> {
        let bytes: [u8; 32] = random_bytes().map_err(Error::config)?;
        Ok(Self::from_verifier(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A verifier you already have.
    pub fn from_verifier(verifier: impl Into<String>) -> Self {
        let verifier = verifier.into();
        let challenge = URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()));
        Pkce {
            verifier: Secret::new(verifier),
            challenge,
        }
    }

    /// The verifier (sent with the code).
    pub fn verifier(&self) -> &Secret {
        &self.verifier
    }

    /// The challenge (sent with the authorization request).
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// `S256`.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_verifiers_are_random_and_valid() {
        let a = Pkce::generate().unwrap();
        let b = Pkce::generate().unwrap();
        assert_ne!(a.verifier(), b.verifier());
        assert_eq!(a.verifier().expose().len(), 43);
        assert_eq!(
            Pkce::from_verifier(a.verifier().expose()).challenge(),
            a.challenge()
        );
        assert!(!format!("{a:?}").contains(a.verifier().expose()));
    }
}
