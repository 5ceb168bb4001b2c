//! tower middleware (feature `tower`): [`AuthLayer`] verifies the token and
//! puts the outcome into request extensions; [`RequireLayer`] guards routes
//! by group or scope. Both follow tower-http's `Layer` / `Service` /
//! `ResponseFuture` shape and need only `tower` and `http`.
//!
//! Put them on `route_layer` in axum so unknown paths stay `404`.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use cognito_auth::tower::{AuthLayer, RequireLayer};
//! use cognito_auth::web::{Authenticator, Guard};
//! use cognito_auth::{CognitoPool, Requirement, TokenUse, Verifier};
//!
//! # fn app() -> Result<Router, cognito_auth::Error> {
//! let verifier = Verifier::builder()
//!     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).client_id("abc"))
//!     .build()?;
//! let app = Router::new()
//!     .route(
//!         "/admin",
//!         get(|| async { "hello admin" })
//!             .route_layer(RequireLayer::new(Guard::groups(Requirement::any_of(["admin"])))),
//!     )
//!     .route("/me", get(|| async { "hello" }))
//!     .route_layer(AuthLayer::new(Authenticator::new(verifier)));
//! # Ok(app) }
//! ```

#[cfg(feature = "alb")]
mod alb;
mod future;
mod layer;
mod service;
#[cfg(feature = "sessions")]
mod session;

/// The service that was polled ready, to handle this request; a clone
/// takes its place for the next one (tower's rule for services that move
/// into a future).
pub(crate) fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

#[cfg(feature = "alb")]
#[cfg_attr(docsrs, doc(cfg(feature = "alb")))]
pub use alb::{AlbFuture, AlbLayer, AlbService};
pub use future::{GuardFuture, ResponseFuture};
pub use layer::{AuthLayer, RequireLayer};
pub use service::{AuthService, RequireService};
#[cfg(feature = "sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "sessions")))]
pub use session::{SessionFuture, SessionLayer, SessionService};
