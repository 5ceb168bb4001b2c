//! actix-web integration (feature `actix`): extractors, a middleware for
//! whole scopes, and group / scope guards, answering exactly as the tower
//! side does.
//!
//! | piece | what |
//! |---|---|
//! | [`CognitoAuth`] | middleware (`wrap`): verifies, stores the outcome in request extensions, refuses per the [`Authenticator`]'s mode |
//! | [`RequireGuard`] | middleware: requires groups or scopes of the verified token (403) |
//! | [`VerifiedToken`], [`AccessToken`], [`IdToken`], [`Claims<T>`], [`Require<R>`] | extractors |
//! | [`Optional<T>`] | optional extractor that never downgrades an invalid token |
//!
//! The extractors read what [`CognitoAuth`] stored; without the middleware
//! they verify on their own with a `web::Data<Authenticator>` (or a
//! `web::Data<Verifier>`) from the app data.
//!
//! **About `Option<T>`:** actix-web turns *any* extractor error into `None`
//! for `Option<T>`. Behind [`CognitoAuth`] that is safe (the middleware has
//! already refused invalid tokens, so `None` means anonymous); without the
//! middleware use [`Optional<T>`], which refuses an invalid token instead of
//! treating it as absent.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use cognito_auth::actix::{AccessToken, CognitoAuth, IdToken, RequireGuard};
//! use cognito_auth::web::Authenticator;
//! use cognito_auth::{CognitoPool, Requirement, Verifier};
//!
//! async fn me(AccessToken(claims): AccessToken) -> String {
//!     claims.sub.clone()
//! }
//!
//! async fn admin(AccessToken(claims): AccessToken) -> String {
//!     format!("admin {}", claims.sub)
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let verifier = Verifier::builder()
//!     .cognito(CognitoPool::new("us-east-1_AbCdEf123").any_token_use().client_id("abc"))
//!     .build()
//!     .expect("configuration");
//! let auth = Authenticator::new(verifier);
//! HttpServer::new(move || {
//!     App::new().service(
//!         web::scope("/api")
//!             .wrap(CognitoAuth::new(auth.clone()))
//!             .route("/me", web::get().to(me))
//!             .service(
//!                 web::resource("/admin")
//!                     .wrap(RequireGuard::groups(Requirement::any_of(["admin"])))
//!                     .route(web::get().to(admin)),
//!             ),
//!     )
//! })
//! .bind(("127.0.0.1", 3001))?
//! .run()
//! .await
//! # }
//! ```

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use serde::de::DeserializeOwned;

use crate::claims::Requirement;
use crate::verify::Verifier;
use crate::web::{
    AuthRejection, Authentication, Authenticator, Guard, RejectionResponse, RequestHead,
    SingleHeader, StaticRequirement,
};

pub use crate::verified::VerifiedToken;
pub use crate::web::{AccessToken, AuthError, Claims, FromVerified, IdToken, Require};

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl RequestHead for HttpRequest {
    fn header_values(&self, name: &str) -> Vec<Option<&str>> {
        self.headers()
            .get_all(name)
            .map(|value| value.to_str().ok())
            .collect()
    }

    fn single_header(&self, name: &str) -> SingleHeader<'_> {
        let mut values = self.headers().get_all(name);
        match (values.next(), values.next()) {
            (None, _) => SingleHeader::Absent,
            (Some(value), None) => SingleHeader::One(value.to_str().ok()),
            (Some(_), Some(_)) => SingleHeader::Repeated,
        }
    }

    fn path(&self) -> &str {
        HttpRequest::path(self)
    }

    fn query(&self) -> Option<&str> {
        Some(self.query_string()).filter(|query| !query.is_empty())
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        to_actix(self.response())
    }
}

fn to_actix(response: &RejectionResponse) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &response.headers {
        builder.append_header((name.as_str(), value.as_str()));
    }
    builder.body(response.body.clone())
}

/// Neither the middleware nor an authenticator in the app data.
fn not_configured() -> AuthError {
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
/// our own. `Ok(None)` is anonymous.
fn authenticate<T: FromVerified + 'static>(
    request: &HttpRequest,
    optional: bool,
) -> LocalFuture<Result<Option<T>, AuthError>> {
    let stored = request.extensions().get::<Authentication>().cloned();
    let convert = |authentication: Authentication| -> Result<Option<T>, AuthError> {
        let Some(token) = authentication.token() else {
            return Ok(None);
        };
        T::from_verified(token)
            .map(Some)
            .map_err(|rejection| AuthError::new(rejection, authentication.authenticator()))
    };
    if let Some(authentication) = stored {
        return Box::pin(ready(convert(authentication)));
    }
    let Some(mut authenticator) = authenticator_from_app_data(request) else {
        return Box::pin(ready(Err(not_configured())));
    };
    if optional {
        authenticator = authenticator.optional();
    }
    let verification = authenticator.authenticate(request);
    Box::pin(async move {
        match verification.await {
            Ok(authentication) => convert(authentication),
            Err(rejection) => Err(AuthError::new(rejection, &authenticator)),
        }
    })
}

fn required<T: FromVerified + 'static>(request: &HttpRequest) -> LocalFuture<Result<T, AuthError>> {
    let outcome = authenticate::<T>(request, false);
    let authenticator = request
        .extensions()
        .get::<Authentication>()
        .map(|authentication| authentication.authenticator().clone())
        .or_else(|| authenticator_from_app_data(request));
    Box::pin(async move {
        match outcome.await? {
            Some(value) => Ok(value),
            None => Err(match authenticator {
                Some(authenticator) => AuthError::new(AuthRejection::MissingToken, &authenticator),
                None => not_configured(),
            }),
        }
    })
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
    VerifiedToken => [],
    AccessToken => [],
    IdToken => [],
    Claims<T> => [T: DeserializeOwned + 'static],
    Require<R> => [R: StaticRequirement],
}

/// An optional extractor: `None` when the request carries no token, a
/// refusal when it carries an invalid one. Use it instead of `Option<T>`
/// where no [`CognitoAuth`] middleware runs first.
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
        let outcome = authenticate::<T>(request, true);
        Box::pin(async move { outcome.await.map(Optional) })
    }
}

/// Middleware that authenticates every request of a scope or resource.
///
/// ```
/// use actix_web::{App, web};
/// use cognito_auth::actix::{CognitoAuth, VerifiedToken};
/// use cognito_auth::web::Authenticator;
/// # use cognito_auth::{CognitoPool, TokenUse, Verifier};
/// # let verifier = Verifier::builder()
/// #     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
/// #     .build()?;
///
/// async fn whoami(token: Option<VerifiedToken>) -> String {
///     token.and_then(|t| t.sub().map(str::to_owned)).unwrap_or_default()
/// }
///
/// let auth = Authenticator::new(verifier);
/// let app = App::new().service(
///     web::scope("/api")
///         .wrap(CognitoAuth::new(auth.optional()))
///         .route("/whoami", web::get().to(whoami)),
/// );
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CognitoAuth {
    authenticator: Authenticator,
}

impl CognitoAuth {
    /// Decides with `authenticator` (its mode, source and rendering).
    pub fn new(authenticator: Authenticator) -> Self {
        CognitoAuth { authenticator }
    }
}

/// Middleware that requires groups or scopes of the token [`CognitoAuth`]
/// verified: 403 when missing, 401 for an anonymous request, 500 when no
/// `CognitoAuth` ran first. Wrap it *inside* `CognitoAuth` (actix-web runs
/// the last `wrap` first).
///
/// ```
/// use actix_web::{App, web};
/// use cognito_auth::Requirement;
/// use cognito_auth::actix::{CognitoAuth, RequireGuard};
/// use cognito_auth::web::Authenticator;
/// # use cognito_auth::{CognitoPool, TokenUse, Verifier};
/// # let verifier = Verifier::builder()
/// #     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
/// #     .build()?;
///
/// let app = App::new().service(
///     web::resource("/admin")
///         .wrap(RequireGuard::groups(Requirement::any_of(["admin"])))
///         .wrap(CognitoAuth::new(Authenticator::new(verifier)))
///         .route(web::get().to(|| async { "welcome" })),
/// );
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RequireGuard {
    guard: Arc<Guard>,
}

impl RequireGuard {
    /// Requires groups (`cognito:groups`).
    pub fn groups(requirement: Requirement) -> Self {
        Self::guard(Guard::groups(requirement))
    }

    /// Requires scopes (`scope`).
    pub fn scopes(requirement: Requirement) -> Self {
        Self::guard(Guard::scopes(requirement))
    }

    /// Requires a [`StaticRequirement`].
    pub fn of<R: StaticRequirement>() -> Self {
        Self::guard(Guard::of::<R>())
    }

    /// Requires what `guard` requires.
    pub fn guard(guard: Guard) -> Self {
        RequireGuard {
            guard: Arc::new(guard),
        }
    }
}

/// What a middleware decides before the wrapped service runs: let the
/// request through (perhaps with extensions added) or answer it.
pub trait Gate: Clone + 'static {
    /// Lets the request through, or gives the refusal.
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<(), RejectionResponse>>;
}

impl Gate for CognitoAuth {
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<(), RejectionResponse>> {
        let verification = self.authenticator.authenticate_or_render(request.request());
        let extensions = request.request().clone();
        Box::pin(async move {
            let authentication = verification.await?;
            extensions.extensions_mut().insert(authentication);
            Ok(())
        })
    }
}

impl Gate for RequireGuard {
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<(), RejectionResponse>> {
        let authentication = request.extensions().get::<Authentication>().cloned();
        let refusal = self.guard.refusal(authentication.as_ref(), "RequireGuard");
        Box::pin(ready(refusal.map_or(Ok(()), Err)))
    }
}

/// The service a [`Gate`] middleware ([`CognitoAuth`], [`RequireGuard`])
/// wraps around a scope or resource.
pub struct GateMiddleware<S, G> {
    service: Rc<S>,
    gate: G,
}

macro_rules! gate_transform {
    ($($gate:ty),*) => {$(
        impl<S, B> Transform<S, ServiceRequest> for $gate
        where
            S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>
                + 'static,
            B: 'static,
        {
            type Response = ServiceResponse<EitherBody<B>>;
            type Error = actix_web::Error;
            type Transform = GateMiddleware<S, $gate>;
            type InitError = ();
            type Future = Ready<Result<Self::Transform, Self::InitError>>;

            fn new_transform(&self, service: S) -> Self::Future {
                ready(Ok(GateMiddleware {
                    service: Rc::new(service),
                    gate: self.clone(),
                }))
            }
        }
    )*};
}

gate_transform!(CognitoAuth, RequireGuard);

impl<S, B, G> Service<ServiceRequest> for GateMiddleware<S, G>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    G: Gate,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let admission = self.gate.admit(&request);
        Box::pin(async move {
            match admission.await {
                Ok(()) => Ok(service.call(request).await?.map_into_left_body()),
                Err(refusal) => Ok(request
                    .into_response(to_actix(&refusal))
                    .map_into_right_body()),
            }
        })
    }
}
