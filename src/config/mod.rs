//! What a verifier is told to accept: [`CognitoPool`] and [`OidcIssuer`],
//! the [`Tenant`]s an [`IssuerResolver`] finds later, and the small
//! vocabulary both are written in (token-use and client
//! rules, where the keys come from, the AWS domain of a region).
//!
//! A leaf of the crate: nothing here verifies, fetches or depends on the
//! verifier. The verifier lowers these descriptions into its issuer table
//! when it is built ([`crate::verifier`]).

pub(crate) mod aws;
mod choices;
mod cognito;
mod oidc;
mod tenant;

pub(crate) use choices::{ClientRule, JwksChoice, TokenUseRule};
pub use cognito::CognitoPool;
pub use oidc::OidcIssuer;
pub use tenant::{IssuerResolver, Resolution, ResolveFuture, Tenant};
