//! gRPC with tonic (feature `tonic`): [`GrpcAuthLayer`] verifies the token
//! in the `authorization` metadata (`Bearer …`), answers refusals with
//! gRPC statuses, applies group and scope guards per method, and puts the
//! [`Authentication`] into the request extensions, where
//! [`GrpcRequestExt`] reads it in the service.
//!
//! | refusal | status |
//! |---|---|
//! | no token, a malformed `authorization`, an invalid, expired or revoked token | `UNAUTHENTICATED` (16) |
//! | a group or scope guard not met | `PERMISSION_DENIED` (7) |
//! | the keys (or the revocation list) cannot be had | `UNAVAILABLE` (14) |
//! | the server is set up wrongly | `INTERNAL` (13) |
//!
//! The message is the fixed phrase of the error kind (never the token,
//! nor the configuration: see [`Authenticator::verbose_errors`]).
//!
//! ```no_run
//! use cognito_auth::tonic::GrpcAuthLayer;
//! use cognito_auth::web::{Authenticator, Guard};
//! use cognito_auth::{CognitoPool, Requirement, TokenUse, Verifier};
//!
//! # fn layer() -> Result<GrpcAuthLayer, cognito_auth::Error> {
//! let verifier = Verifier::builder()
//!     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).client_id("abc"))
//!     .build()?;
//! let layer = GrpcAuthLayer::new(Authenticator::new(verifier))
//!     .require("/shop.Orders/Refund", Guard::groups(Requirement::any_of(["support"])))
//!     .require("/shop.Admin/", Guard::scopes(Requirement::all_of(["shop/admin"])));
//! // tonic::transport::Server::builder().layer(layer).add_service(…)
//! # Ok(layer) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tonic::{Code, Status};
use tower::{Layer, Service};

use crate::claims::VerifiedToken;
use crate::web::{AuthRejection, Authentication, Authenticator, FromVerified, Guard};

/// The gRPC status for a refusal, with `message` as its message.
pub fn status_for(rejection: &AuthRejection, message: impl Into<String>) -> Status {
    let code = match rejection {
        AuthRejection::InsufficientScope(_) => Code::PermissionDenied,
        AuthRejection::Unavailable(_) => Code::Unavailable,
        AuthRejection::Misconfigured(_) => Code::Internal,
        _ => Code::Unauthenticated,
    };
    Status::new(code, message)
}

/// The tower layer for a tonic server (`Server::builder().layer(…)`):
/// verification, statuses and per-method guards.
#[derive(Clone)]
pub struct GrpcAuthLayer {
    authenticator: Authenticator,
    guards: Arc<HashMap<String, Vec<Guard>>>,
}

impl GrpcAuthLayer {
    /// Verifies every call with `authenticator` (an
    /// [optional](Authenticator::optional) one lets calls without a token
    /// through, anonymous, except to guarded methods).
    pub fn new(authenticator: Authenticator) -> Self {
        GrpcAuthLayer {
            authenticator,
            guards: Arc::new(HashMap::new()),
        }
    }

    /// Requires `guard` on a method, by its gRPC path:
    /// `/package.Service/Method`, or `/package.Service/` for every method
    /// of a service. Several guards on one path must all be met.
    pub fn require(mut self, path: impl Into<String>, guard: impl Into<Guard>) -> Self {
        Arc::make_mut(&mut self.guards)
            .entry(path.into())
            .or_default()
            .push(guard.into());
        self
    }

    /// The guards on the method at `path`: its own and its service's.
    fn guards_of(&self, path: &str) -> Vec<Guard> {
        let service = path.rfind('/').and_then(|end| path.get(..=end));
        let mut guards = Vec::new();
        for key in [Some(path), service].into_iter().flatten() {
            if let Some(found) = self.guards.get(key) {
                guards.extend(found.iter().cloned());
            }
            if service == Some(path) {
                break;
            }
        }
        guards
    }
}

impl fmt::Debug for GrpcAuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcAuthLayer")
            .field("authenticator", &self.authenticator)
            .field("guarded_paths", &self.guards.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<S> Layer<S> for GrpcAuthLayer {
    type Service = GrpcAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcAuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service of [`GrpcAuthLayer`].
#[derive(Clone, Debug)]
pub struct GrpcAuthService<S> {
    inner: S,
    layer: GrpcAuthLayer,
}

/// The future of [`GrpcAuthService`].
pub type GrpcAuthFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GrpcAuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = GrpcAuthFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let mut inner = crate::tower::take_ready(&mut self.inner);
        let authenticator = self.layer.authenticator.clone();
        let guards = self.layer.guards_of(request.uri().path());
        let verification = authenticator.authenticate(&request);
        Box::pin(async move {
            let authentication = match verification.await {
                Ok(authentication) => authentication,
                Err(rejection) => return Ok(refuse(&authenticator, &rejection)),
            };
            if !guards.is_empty() {
                let Some(token) = authentication.token() else {
                    return Ok(refuse(&authenticator, &AuthRejection::MissingToken));
                };
                for guard in &guards {
                    if let Err(rejection) = guard.check(token) {
                        return Ok(refuse(&authenticator, &rejection));
                    }
                }
            }
            request.extensions_mut().insert(authentication);
            inner.call(request).await
        })
    }
}

/// A refusal as a gRPC answer (HTTP 200 with `grpc-status`), logged.
fn refuse<B: Default>(authenticator: &Authenticator, rejection: &AuthRejection) -> Response<B> {
    authenticator.log_rejection(rejection);
    status_for(rejection, authenticator.describe(rejection)).into_http()
}

/// What a service reads of a call the [`GrpcAuthLayer`] let through.
///
/// ```
/// use cognito_auth::tonic::GrpcRequestExt;
/// use cognito_auth::web::AccessToken;
///
/// fn whoami(request: &tonic::Request<()>) -> Result<String, tonic::Status> {
///     let AccessToken(claims) = request.extract::<AccessToken>()?;
///     Ok(claims.sub.clone())
/// }
/// ```
pub trait GrpcRequestExt {
    /// What the layer decided; `INTERNAL` when no layer ran.
    fn authentication(&self) -> Result<&Authentication, Status>;

    /// The verified token; `UNAUTHENTICATED` for an anonymous call.
    fn verified_token(&self) -> Result<&VerifiedToken, Status> {
        let authentication = self.authentication()?;
        authentication
            .token()
            .ok_or_else(|| refusal(authentication, &AuthRejection::MissingToken))
    }

    /// The token as `T` ([`AccessToken`](crate::web::AccessToken),
    /// [`IdToken`](crate::web::IdToken), [`Claims<T>`](crate::web::Claims),
    /// [`Require<R>`](crate::web::Require), …).
    fn extract<T: FromVerified>(&self) -> Result<T, Status> {
        let authentication = self.authentication()?;
        let token = self.verified_token()?;
        T::from_verified(token).map_err(|rejection| refusal(authentication, &rejection))
    }

    /// Checks a guard inside the method (`PERMISSION_DENIED` when it is
    /// not met).
    fn require(&self, guard: &Guard) -> Result<&VerifiedToken, Status> {
        let authentication = self.authentication()?;
        let token = self.verified_token()?;
        guard
            .check(token)
            .map(|()| token)
            .map_err(|rejection| refusal(authentication, &rejection))
    }
}

fn refusal(authentication: &Authentication, rejection: &AuthRejection) -> Status {
    let authenticator = authentication.authenticator();
    authenticator.log_rejection(rejection);
    status_for(rejection, authenticator.describe(rejection))
}

impl<T> GrpcRequestExt for tonic::Request<T> {
    fn authentication(&self) -> Result<&Authentication, Status> {
        self.extensions().get::<Authentication>().ok_or_else(|| {
            tracing::error!("a gRPC method reads the authentication, but no GrpcAuthLayer ran");
            Status::internal("the server could not check the token")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn refusals_map_to_grpc_codes() {
        let cases = [
            (AuthRejection::MissingToken, Code::Unauthenticated),
            (
                AuthRejection::InvalidRequest("x".into()),
                Code::Unauthenticated,
            ),
            (
                AuthRejection::InvalidToken(Error::InvalidSignature),
                Code::Unauthenticated,
            ),
            (
                AuthRejection::from_error(Error::MissingGroup {
                    requirement: "any of admin".into(),
                    required: vec!["admin".into()],
                }),
                Code::PermissionDenied,
            ),
            (
                AuthRejection::from_error(Error::RevocationUnavailable("down".into())),
                Code::Unavailable,
            ),
            (AuthRejection::Misconfigured("x".into()), Code::Internal),
        ];
        for (rejection, code) in cases {
            assert_eq!(status_for(&rejection, "m").code(), code, "{rejection}");
        }
        assert_eq!(i32::from(Code::Unauthenticated), 16);
        assert_eq!(i32::from(Code::PermissionDenied), 7);
        assert_eq!(i32::from(Code::Unavailable), 14);
    }

    #[test]
    fn guards_apply_to_their_method_and_service() {
        let layer = GrpcAuthLayer {
            authenticator: Authenticator::new(
                crate::Verifier::builder()
                    .cognito(
                        crate::CognitoPool::new("us-east-1_A")
                            .any_token_use()
                            .any_client()
                            .jwks_static(r#"{"keys":[]}"#),
                    )
                    .build()
                    .unwrap(),
            ),
            guards: Arc::new(HashMap::new()),
        }
        .require("/a.S/M", Guard::groups(crate::Requirement::any_of(["x"])))
        .require("/a.S/", Guard::scopes(crate::Requirement::any_of(["y"])));
        assert_eq!(layer.guards_of("/a.S/M").len(), 2);
        assert_eq!(layer.guards_of("/a.S/N").len(), 1);
        assert_eq!(layer.guards_of("/a.T/M").len(), 0);
        assert_eq!(layer.guards_of("/a.S/").len(), 1);
    }
}
