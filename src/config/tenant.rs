//! Issuers not known when the verifier is built: a resolver maps a
//! token's (unverified) `iss` to that issuer's configuration, or refuses
//! it. Many tenants, one pool each.

use std::future::Future;
use std::pin::Pin;

use super::{CognitoPool, OidcIssuer};

/// The configuration a resolver gives for an issuer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Tenant {
    /// A Cognito user pool (its issuer must be the one asked about).
    Cognito(CognitoPool),
    /// A generic OIDC issuer (likewise).
    Oidc(OidcIssuer),
}

impl From<CognitoPool> for Tenant {
    fn from(pool: CognitoPool) -> Self {
        Tenant::Cognito(pool)
    }
}

impl From<OidcIssuer> for Tenant {
    fn from(issuer: OidcIssuer) -> Self {
        Tenant::Oidc(issuer)
    }
}

/// What a resolver answers: the tenant, `None` to refuse the issuer, or
/// an error when it cannot say now (its database is down).
pub type Resolution = Result<Option<Tenant>, Box<dyn std::error::Error + Send + Sync>>;

/// The future of an [`IssuerResolver`].
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = Resolution> + Send + 'a>>;

/// Finds the configuration of an issuer the verifier was not built with
/// (see [`VerifierBuilder::resolve_issuers`](crate::VerifierBuilder::resolve_issuers)).
/// Closures `Fn(String) -> impl Future<Output = Resolution>` are resolvers.
///
/// The `iss` it is given comes from a token that has **not** been verified
/// yet: look it up, never fetch it. The verifier asks once per issuer and
/// remembers answers, refusals included.
pub trait IssuerResolver: Send + Sync + 'static {
    /// The configuration for `issuer`, or `None`.
    fn resolve<'a>(&'a self, issuer: &'a str) -> ResolveFuture<'a>;
}

impl<F, Fut> IssuerResolver for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Resolution> + Send + 'static,
{
    fn resolve<'a>(&'a self, issuer: &'a str) -> ResolveFuture<'a> {
        Box::pin(self(issuer.to_owned()))
    }
}
