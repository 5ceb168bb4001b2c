//! A generic OpenID Connect issuer (not Cognito): `aud` any-of and an
//! algorithm allow-list.

use std::path::PathBuf;

use jsonwebtoken::Algorithm;

use super::choices::{ClientRule, JwksChoice};
use crate::claims::Requirement;

/// An OpenID Connect issuer that is not a Cognito pool.
///
/// Keys come from OIDC discovery unless a JWKS URL, document or file is
/// given. The audience is a required choice ([`audience`](Self::audience) /
/// [`audiences`](Self::audiences) or [`any_audience`](Self::any_audience)).
/// The accepted algorithms default to RS256 alone.
///
/// ```
/// use cognito_auth::{Algorithm, OidcIssuer};
///
/// let issuer = OidcIssuer::new("https://login.example.com")
///     .audiences(["api://orders", "api://billing"])
///     .algorithms([Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]);
/// ```
#[derive(Debug, Clone)]
pub struct OidcIssuer {
    pub(crate) issuer: String,
    pub(crate) jwks: JwksChoice,
    pub(crate) audiences: Option<ClientRule>,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) scopes: Option<Requirement>,
}

impl OidcIssuer {
    /// Tokens must carry exactly this `iss`.
    pub fn new(issuer: impl Into<String>) -> Self {
        OidcIssuer {
            issuer: issuer.into(),
            jwks: JwksChoice::Discovery,
            audiences: None,
            algorithms: vec![Algorithm::RS256],
            scopes: None,
        }
    }

    /// Fetches keys from this URL instead of using discovery.
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks = JwksChoice::Url(url.into());
        self
    }

    /// Uses this JWKS document and never fetches.
    pub fn jwks_static(mut self, jwks_json: impl Into<String>) -> Self {
        self.jwks = JwksChoice::Static(jwks_json.into());
        self
    }

    /// Reads the JWKS from a file when the verifier is built.
    pub fn jwks_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.jwks = JwksChoice::File(path.into());
        self
    }

    /// Adds an accepted audience.
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.audiences([audience])
    }

    /// Adds accepted audiences; a token passes when its `aud` names any.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = Some(ClientRule::extended(self.audiences, audiences));
        self
    }

    /// Skips the audience check (an explicit choice).
    pub fn any_audience(mut self) -> Self {
        self.audiences = Some(ClientRule::Any);
        self
    }

    /// The accepted algorithms: any of RS256/384/512, PS256/384/512,
    /// ES256/384 and EdDSA. HMAC algorithms are refused at build time.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Requires the `scope` claim to meet `requirement`.
    pub fn require_scopes(mut self, requirement: Requirement) -> Self {
        self.scopes = Some(requirement);
        self
    }
}
