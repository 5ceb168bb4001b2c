//! axum extractors (feature `axum`).
//!
//! Behind an [`AuthLayer`](crate::tower::AuthLayer):
//!
//! | extractor | gives | refuses |
//! |---|---|---|
//! | [`VerifiedToken`] | any verified token | anonymous → 401 |
//! | [`AccessToken`] | [`AccessClaims`](crate::AccessClaims) | an ID token → 401 `invalid_token` |
//! | [`IdToken`] | [`IdClaims`](crate::IdClaims) | an access token → 401 `invalid_token` |
//! | [`Claims<T>`] | your own claims type | claims that do not fit → 401 |
//! | [`Require<R>`] | the token, if it meets a [`StaticRequirement`] | → 403 |
//!
//! Each also works as `Option<…>`: `None` for an anonymous request (the
//! layer in optional mode), while a token that is present but invalid has
//! already been refused by the layer. Without the layer they answer `500`
//! ("authentication layer missing").
//!
//! [`Verified<T>`] verifies on its own with an [`Authenticator`] taken from
//! the router state (`FromRef`), for apps that do not want a layer.
//!
//! ```no_run
//! use axum::{Json, Router, routing::get};
//! use cognito_auth::axum::{AccessToken, IdToken};
//! use cognito_auth::tower::AuthLayer;
//! use cognito_auth::web::Authenticator;
//! use cognito_auth::{CognitoPool, Verifier};
//!
//! async fn me(AccessToken(claims): AccessToken) -> String {
//!     format!("hello {}", claims.sub)
//! }
//!
//! async fn whoami(token: Option<AccessToken>) -> String {
//!     token.map_or("anonymous".into(), |AccessToken(claims)| claims.sub.clone())
//! }
//!
//! async fn profile(IdToken(claims): IdToken) -> String {
//!     claims.email.clone().unwrap_or_default()
//! }
//!
//! # fn app() -> Result<Router, cognito_auth::Error> {
//! let verifier = Verifier::builder()
//!     .cognito(CognitoPool::new("us-east-1_AbCdEf123").any_token_use().client_id("abc"))
//!     .build()?;
//! let auth = Authenticator::new(verifier);
//! let app = Router::new()
//!     .route("/me", get(me))
//!     .route("/profile", get(profile))
//!     .route_layer(AuthLayer::new(auth.clone()))
//!     .merge(Router::new().route("/whoami", get(whoami)).route_layer(AuthLayer::new(auth.optional())));
//! # Ok(app) }
//! ```

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use serde::de::DeserializeOwned;

pub use crate::claims::VerifiedToken;
use crate::web::{AuthRejection, Authentication, Authenticator, StaticRequirement};

pub use crate::web::{AccessToken, AuthError, Claims, FromVerified, IdToken, Require};

/// A [`Reply`](crate::web::Reply) (a refusal, a sign-in redirect, a page)
/// as a handler's answer.
impl IntoResponse for crate::web::Reply {
    fn into_response(self) -> Response {
        self.into_http()
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        self.into_reply().into_http()
    }
}

/// What the layer left for this request.
fn authentication(parts: &Parts) -> Result<&Authentication, AuthError> {
    parts
        .extensions
        .get::<Authentication>()
        .ok_or_else(|| AuthError::layer_missing("this extractor"))
}

macro_rules! from_layer_extractor {
    ($($ty:ty => [$($generics:tt)*] $(where $bound:path)?),* $(,)?) => {$(
        impl<S: Send + Sync, $($generics)*> FromRequestParts<S> for $ty
        $(where $bound)?
        {
            type Rejection = AuthError;

            async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthError> {
                authentication(parts)?.extract_required(parts)
            }
        }

        impl<S: Send + Sync, $($generics)*> OptionalFromRequestParts<S> for $ty
        $(where $bound)?
        {
            type Rejection = AuthError;

            async fn from_request_parts(
                parts: &mut Parts,
                _state: &S,
            ) -> Result<Option<Self>, AuthError> {
                authentication(parts)?.extract()
            }
        }
    )*};
}

from_layer_extractor! {
    VerifiedToken => [],
    AccessToken => [],
    IdToken => [],
    Claims<T> => [T: DeserializeOwned + Send],
    Require<R> => [R: StaticRequirement],
}

/// Verifies on its own, with the [`Authenticator`] of the router state;
/// no layer needed. `T` is any extractor of this module
/// ([`VerifiedToken`], [`AccessToken`], [`IdToken`], [`Claims`],
/// [`Require`]).
///
/// ```no_run
/// use axum::{Router, extract::FromRef, routing::get};
/// use cognito_auth::axum::{AccessToken, Verified};
/// use cognito_auth::web::Authenticator;
///
/// #[derive(Clone)]
/// struct AppState {
///     auth: Authenticator,
/// }
///
/// impl FromRef<AppState> for Authenticator {
///     fn from_ref(state: &AppState) -> Self {
///         state.auth.clone()
///     }
/// }
///
/// async fn me(Verified(AccessToken(claims)): Verified<AccessToken>) -> String {
///     claims.sub.clone()
/// }
///
/// # fn app(auth: Authenticator) -> Router {
/// Router::new().route("/me", get(me)).with_state(AppState { auth })
/// # }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Verified<T>(pub T);

impl<S, T> FromRequestParts<S> for Verified<T>
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
    T: FromVerified + Send + 'static,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AuthError> {
        let authenticator = Authenticator::from_ref(state);
        match authenticator.authenticate_as(parts).await? {
            Some(value) => Ok(Verified(value)),
            None => Err(AuthError::new(AuthRejection::MissingToken, &authenticator)),
        }
    }
}

impl<S, T> OptionalFromRequestParts<S> for Verified<T>
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
    T: FromVerified + Send + 'static,
{
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, AuthError> {
        let authenticator = Authenticator::from_ref(state).optional();
        Ok(authenticator.authenticate_as(parts).await?.map(Verified))
    }
}

/// The three routes of browser sign-in, on a router to merge into yours
/// (feature `sessions`): `GET` [`login_path`](crate::session::SignIn::login_path)
/// (`/login`), `GET` the callback (`/auth/callback`) and `POST` the sign-out
/// (`/logout`). Put a [`SessionLayer`](crate::tower::SessionLayer) around the
/// pages that need the signed-in user.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use cognito_auth::session::SignIn;
/// use cognito_auth::tower::SessionLayer;
///
/// # fn app(sign_in: SignIn) -> Router {
/// Router::new()
///     .route("/", get(|| async { "home" }))
///     .merge(cognito_auth::axum::sign_in_routes(sign_in.clone()))
///     .layer(SessionLayer::new(sign_in))
/// # }
/// ```
#[cfg(feature = "sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "sessions")))]
pub fn sign_in_routes<S>(sign_in: crate::session::SignIn) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use axum::routing::{get, post};

    let (login, callback, logout) = (sign_in.clone(), sign_in.clone(), sign_in.clone());
    axum::Router::new()
        .route(
            sign_in.login_path(),
            get(move |parts: Parts| login.login(&parts)),
        )
        .route(
            sign_in.callback_path(),
            get(move |parts: Parts| callback.callback(&parts)),
        )
        .route(
            sign_in.logout_path(),
            post(move |parts: Parts| logout.logout(&parts)),
        )
}

/// Behind an [`AlbLayer`](crate::tower::AlbLayer): what the ALB forwarded,
/// verified (`500` without the layer).
#[cfg(feature = "alb")]
#[cfg_attr(docsrs, doc(cfg(feature = "alb")))]
impl<S: Send + Sync> FromRequestParts<S> for crate::alb::AlbIdentity {
    type Rejection = crate::web::AuthError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<crate::alb::AlbIdentity>()
            .cloned()
            .ok_or_else(|| crate::web::AuthError::layer_missing("AlbIdentity"))
    }
}
