//! The tower layer for a service behind an Application Load Balancer:
//! verifies `x-amzn-oidc-data` (and `x-amzn-oidc-accesstoken` when the
//! verifier checks it) and leaves the [`AlbIdentity`] in the request
//! extensions; a request the ALB did not sign is refused with the RFC 6750
//! answers of the bearer layer (no token `401`, an invalid one `401
//! invalid_token`, keys that cannot be had `503`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

use crate::alb::{AlbIdentity, AlbVerifier};
use crate::web::{AuthRejection, RejectionContext, Reply};

/// Verifies the ALB's headers in front of a service.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use cognito_auth::alb::{AlbIdentity, AlbVerifier};
/// use cognito_auth::tower::AlbLayer;
///
/// async fn me(identity: AlbIdentity) -> String {
///     identity.user.claims().sub().unwrap_or_default().to_owned()
/// }
///
/// # fn app(verifier: AlbVerifier) -> Router {
/// Router::new().route("/me", get(me)).route_layer(AlbLayer::new(verifier))
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct AlbLayer {
    verifier: AlbVerifier,
}

impl AlbLayer {
    /// A layer over `verifier`.
    pub fn new(verifier: AlbVerifier) -> Self {
        AlbLayer { verifier }
    }
}

impl<S> Layer<S> for AlbLayer {
    type Service = AlbService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AlbService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service of [`AlbLayer`].
#[derive(Clone, Debug)]
pub struct AlbService<S> {
    inner: S,
    verifier: AlbVerifier,
}

/// The future of [`AlbService`].
pub type AlbFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AlbService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = AlbFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let mut inner = super::take_ready(&mut self.inner);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            match verifier.verify_request(&request).await {
                Ok(identity) => {
                    request.extensions_mut().insert::<AlbIdentity>(identity);
                    inner.call(request).await
                }
                Err(err) => {
                    let rejection = AuthRejection::from_error(err);
                    tracing::debug!(reason = %rejection.description(), "ALB request refused");
                    Ok(Reply::standard(&rejection, &RejectionContext::default()).into_http())
                }
            }
        })
    }
}
