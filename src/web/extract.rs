//! The values handlers ask for, made from a verified token; the axum and
//! actix-web modules implement their frameworks' extractor traits for them.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::guard::{Guard, StaticRequirement};
use super::rejection::AuthRejection;
use crate::claims::VerifiedToken;
use crate::claims::{AccessClaims, IdClaims};

/// What a handler can ask for, made from a verified token.
pub trait FromVerified: Sized {
    /// Converts, or refuses (an access token where an ID token is needed,
    /// claims that do not fit, a guard that is not met).
    fn from_verified(token: &VerifiedToken) -> Result<Self, AuthRejection>;
}

impl FromVerified for VerifiedToken {
    fn from_verified(token: &VerifiedToken) -> Result<Self, AuthRejection> {
        Ok(token.clone())
    }
}

/// The claims of a verified Cognito **access** token (shared, not
/// copied); an ID token is refused with `401 invalid_token`.
///
/// ```
/// use cognito_auth::web::AccessToken;
///
/// // axum or actix-web handler alike:
/// async fn me(AccessToken(claims): AccessToken) -> String {
///     format!("{} in {:?}", claims.sub, claims.groups.as_slice())
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AccessToken(pub Arc<AccessClaims>);

impl FromVerified for AccessToken {
    fn from_verified(token: &VerifiedToken) -> Result<Self, AuthRejection> {
        token
            .shared_access()
            .map(|claims| AccessToken(claims.clone()))
            .map_err(AuthRejection::InvalidToken)
    }
}

/// The claims of a verified Cognito **ID** token (shared, not copied); an
/// access token is refused with `401 invalid_token`.
///
/// ```
/// use cognito_auth::web::IdToken;
///
/// async fn profile(IdToken(claims): IdToken) -> String {
///     claims.email.clone().unwrap_or_default()
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IdToken(pub Arc<IdClaims>);

impl FromVerified for IdToken {
    fn from_verified(token: &VerifiedToken) -> Result<Self, AuthRejection> {
        token
            .shared_id()
            .map(|claims| IdToken(claims.clone()))
            .map_err(AuthRejection::InvalidToken)
    }
}

/// A verified token's claims in your own type.
///
/// ```
/// # use cognito_auth::web::Claims;
/// #[derive(serde::Deserialize)]
/// struct Tenant {
///     sub: String,
///     #[serde(rename = "custom:tenant")]
///     tenant: String,
/// }
///
/// async fn handler(Claims(me): Claims<Tenant>) -> String {
///     format!("{} of {}", me.sub, me.tenant)
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Claims<T>(pub T);

impl<T: DeserializeOwned> FromVerified for Claims<T> {
    fn from_verified(token: &VerifiedToken) -> Result<Self, AuthRejection> {
        token
            .deserialize()
            .map(Claims)
            .map_err(AuthRejection::InvalidToken)
    }
}

/// A verified token that meets the [`StaticRequirement`] `R`.
///
/// ```
/// use cognito_auth::Requirement;
/// use cognito_auth::web::Require;
/// use cognito_auth::web::{Claim, StaticRequirement};
///
/// struct ReportReaders;
/// impl StaticRequirement for ReportReaders {
///     const CLAIM: Claim = Claim::Scopes;
///     fn requirement() -> Requirement {
///         Requirement::any_of(["api/reports.read"])
///     }
/// }
///
/// async fn reports(token: Require<ReportReaders>) -> String {
///     format!("reports for {}", token.sub().unwrap_or("?"))
/// }
/// ```
pub struct Require<R> {
    token: VerifiedToken,
    requirement: PhantomData<fn() -> R>,
}

impl<R> Require<R> {
    /// The verified token.
    pub fn into_inner(self) -> VerifiedToken {
        self.token
    }
}

impl<R> Deref for Require<R> {
    type Target = VerifiedToken;

    fn deref(&self) -> &VerifiedToken {
        &self.token
    }
}

impl<R> fmt::Debug for Require<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Require").field(&self.token).finish()
    }
}

impl<R: StaticRequirement> FromVerified for Require<R> {
    fn from_verified(token: &VerifiedToken) -> Result<Self, AuthRejection> {
        Guard::of::<R>().check(token)?;
        Ok(Require {
            token: token.clone(),
            requirement: PhantomData,
        })
    }
}
