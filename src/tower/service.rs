//! The services.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::Service;

use super::future::{GuardFuture, ResponseFuture};
use crate::web::{Authentication, Authenticator, Guard, HttpVerification};

/// The service of [`AuthLayer`](super::AuthLayer).
#[derive(Clone, Debug)]
pub struct AuthService<S> {
    inner: S,
    authenticator: Authenticator,
}

impl<S> AuthService<S> {
    pub(crate) fn new(inner: S, authenticator: Authenticator) -> Self {
        AuthService {
            inner,
            authenticator,
        }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        match self.authenticator.authenticate_or_render_http(&request) {
            // Decided now: the inner service, made ready by `poll_ready`,
            // is called at once (no clone of it, no boxed future).
            HttpVerification::Decided(Ok(authentication)) => {
                request.extensions_mut().insert(authentication);
                ResponseFuture::calling(self.inner.call(request))
            }
            HttpVerification::Decided(Err(refusal)) => ResponseFuture::refused(refusal),
            HttpVerification::Pending(verification) => {
                let ready = super::take_ready(&mut self.inner);
                ResponseFuture::new(verification, ready, request)
            }
        }
    }
}

/// The service of [`RequireLayer`](super::RequireLayer).
#[derive(Clone, Debug)]
pub struct RequireService<S> {
    inner: S,
    guard: Arc<Guard>,
}

impl<S> RequireService<S> {
    pub(crate) fn new(inner: S, guard: Arc<Guard>) -> Self {
        RequireService { inner, guard }
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let authentication = request.extensions().get::<Authentication>();
        match self.guard.refusal(authentication, &request, "RequireLayer") {
            Some(response) => GuardFuture::rejected(response.into_http()),
            None => GuardFuture::inner(self.inner.call(request)),
        }
    }
}
