//! The extractors: what [`CognitoAuth`](super::CognitoAuth) stored, or a
//! verification of their own with an authenticator from the app data.

use std::future::{Future, ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::verifier::Verifier;
use crate::web::{
    AccessToken, AuthError, AuthRejection, Authentication, Authenticator, Claims, FromVerified,
    IdToken, Require, StaticRequirement,
};

pub(super) type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Neither the middleware nor an authenticator in the app data: a `500`,
/// and an error in the log the first time (under `Option<T>`, which
/// actix-web makes `None` of any error, this is the only trace).
fn not_configured() -> AuthError {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        tracing::error!(
            "a cognito-auth extractor ran without the CognitoAuth middleware and without an \
             Authenticator or Verifier in the app data: every such request is refused with 500 \
             (and is anonymous under Option<T>; use Optional<T>)"
        );
    }
    AuthError::layer_missing(
        "this extractor (without an Authenticator or Verifier in the app data)",
    )
}

/// The authenticator to verify with when no middleware ran.
fn authenticator_from_app_data(request: &HttpRequest) -> Option<Authenticator> {
    if let Some(authenticator) = request.app_data::<web::Data<Authenticator>>() {
        return Some(authenticator.get_ref().clone());
    }
    if let Some(authenticator) = request.app_data::<Authenticator>() {
        return Some(authenticator.clone());
    }
    request
        .app_data::<web::Data<Verifier>>()
        .map(|verifier| Authenticator::new(verifier.get_ref().clone()))
}

/// The outcome for this request: the middleware's, or a verification of
/// our own. `Ok(None)` is anonymous, allowed only when `optional`.
fn extract<T: FromVerified + 'static>(
    request: &HttpRequest,
    optional: bool,
) -> LocalFuture<Result<Option<T>, AuthError>> {
    if let Some(authentication) = request.extensions().get::<Authentication>() {
        let outcome = if optional {
            authentication.extract()
        } else {
            authentication.extract_required(request).map(Some)
        };
        return Box::pin(ready(outcome));
    }
    let Some(authenticator) = authenticator_from_app_data(request) else {
        return Box::pin(ready(Err(not_configured())));
    };
    if optional {
        return Box::pin(authenticator.optional().authenticate_as(request));
    }
    let outcome = authenticator.authenticate_as::<T>(request);
    Box::pin(async move {
        match outcome.await? {
            Some(value) => Ok(Some(value)),
            // An authenticator in the app data that is itself optional
            // lets the anonymous request through; a required extractor
            // still refuses it.
            None => Err(AuthError::new(AuthRejection::MissingToken, &authenticator)),
        }
    })
}

fn required<T: FromVerified + 'static>(request: &HttpRequest) -> LocalFuture<Result<T, AuthError>> {
    let outcome = extract::<T>(request, false);
    Box::pin(async move { outcome.await?.ok_or_else(not_configured) })
}

macro_rules! actix_extractor {
    ($($ty:ty => [$($generics:tt)*]),* $(,)?) => {$(
        impl<$($generics)*> FromRequest for $ty {
            type Error = AuthError;
            type Future = LocalFuture<Result<Self, AuthError>>;

            fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
                required(request)
            }
        }
    )*};
}

actix_extractor! {
    crate::claims::VerifiedToken => [],
    AccessToken => [],
    IdToken => [],
    Claims<T> => [T: DeserializeOwned + 'static],
    Require<R> => [R: StaticRequirement],
}

/// An optional extractor: `None` when the request carries no token, a
/// refusal when it carries an invalid one. Use it instead of `Option<T>`.
///
/// ```
/// use cognito_auth::actix::{AccessToken, Optional};
///
/// async fn whoami(Optional(token): Optional<AccessToken>) -> String {
///     token.map_or("anonymous".into(), |AccessToken(claims)| claims.sub.clone())
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Optional<T>(pub Option<T>);

impl<T: FromVerified + 'static> FromRequest for Optional<T> {
    type Error = AuthError;
    type Future = LocalFuture<Result<Self, AuthError>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let outcome = extract::<T>(request, true);
        Box::pin(async move { outcome.await.map(Optional) })
    }
}
