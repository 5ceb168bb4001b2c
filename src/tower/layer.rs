//! The layers.

use std::sync::Arc;

use tower::Layer;

use super::service::{AuthService, RequireService};
use crate::web::{Authenticator, Guard};

/// Verifies the request's token and puts an
/// [`Authentication`](crate::web::Authentication) into its extensions
/// (its [`token()`](crate::web::Authentication::token) is the
/// [`VerifiedToken`](crate::VerifiedToken)); refuses the request otherwise.
///
/// ```
/// use cognito_auth::tower::AuthLayer;
/// use cognito_auth::web::Authenticator;
/// # use cognito_auth::{CognitoPool, TokenUse, Verifier};
/// # let verifier = Verifier::builder()
/// #     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
/// #     .build()?;
/// let service = tower::ServiceBuilder::new()
///     .layer(AuthLayer::new(Authenticator::new(verifier)))
///     .service_fn(|request: http::Request<String>| async move {
///         let authentication = request.extensions().get::<cognito_auth::web::Authentication>();
///         let sub = authentication.and_then(|a| a.token()).and_then(|t| t.sub().map(str::to_owned));
///         Ok::<_, std::convert::Infallible>(http::Response::new(format!("{sub:?}")))
///     });
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct AuthLayer {
    authenticator: Authenticator,
}

impl AuthLayer {
    /// A layer deciding with `authenticator` (its mode, source and
    /// rendering).
    pub fn new(authenticator: Authenticator) -> Self {
        AuthLayer { authenticator }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService::new(inner, self.authenticator.clone())
    }
}

/// Requires groups or scopes (a [`Guard`]) of the token an [`AuthLayer`]
/// verified:
/// `403 insufficient_scope` when missing, `401` for an anonymous request,
/// `500` when no `AuthLayer` ran first.
///
/// ```
/// use axum::{Router, routing::get};
/// use cognito_auth::Requirement;
/// use cognito_auth::tower::RequireLayer;
/// use cognito_auth::web::Guard;
///
/// let admin_only: Router = Router::new().route(
///     "/admin",
///     get(|| async { "welcome" })
///         .route_layer(RequireLayer::new(Guard::groups(Requirement::any_of(["admin"])))),
/// );
/// let readers: Router = Router::new().route(
///     "/reports",
///     get(|| async { "q1" })
///         .route_layer(RequireLayer::new(Guard::scopes(Requirement::all_of(["api/reports.read"])))),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct RequireLayer {
    guard: Arc<Guard>,
}

impl RequireLayer {
    /// Requires what `guard` requires.
    pub fn new(guard: Guard) -> Self {
        RequireLayer {
            guard: Arc::new(guard),
        }
    }
}

impl From<Guard> for RequireLayer {
    fn from(guard: Guard) -> Self {
        RequireLayer::new(guard)
    }
}

impl<S> Layer<S> for RequireLayer {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService::new(inner, self.guard.clone())
    }
}
