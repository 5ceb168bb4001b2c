//! [`SessionLayer`]: browser sessions for tower services (feature
//! `sessions`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response, header};
use tower::{Layer, Service};

use crate::session::{Admission, SignIn};
use crate::web::Authentication;

/// Puts the signed-in user's verified tokens into the request, as
/// [`AuthLayer`](super::AuthLayer) does for a bearer token, so the same
/// extractors (`AccessToken`, `IdToken`, `Option<…>`) and guards
/// ([`RequireLayer`](super::RequireLayer)) work on sessions. A request
/// without a session passes as anonymous: what needs a signed-in user sends
/// a browser to sign in (`302` to `/login?return_to=…`) and answers other
/// clients `401`. A request an earlier `AuthLayer` already authenticated
/// (a bearer token) is left as it is, so a route can take either.
///
/// The session is refreshed when its access token is about to expire;
/// when it is over (expired, signed out, revoked), the cookie is cleared.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use cognito_auth::axum::IdToken;
/// use cognito_auth::session::SignIn;
/// use cognito_auth::tower::SessionLayer;
///
/// async fn home(user: Option<IdToken>) -> String {
///     user.map_or("signed out".into(), |IdToken(claims)| claims.sub.clone())
/// }
///
/// # fn app(sign_in: SignIn) -> Router {
/// Router::new()
///     .route("/", get(home))
///     .merge(cognito_auth::axum::sign_in_routes(sign_in.clone()))
///     .layer(SessionLayer::new(sign_in))
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct SessionLayer {
    sign_in: SignIn,
}

impl SessionLayer {
    /// Sessions of this sign-in.
    pub fn new(sign_in: SignIn) -> Self {
        SessionLayer { sign_in }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            sign_in: self.sign_in.clone(),
        }
    }
}

/// The service of [`SessionLayer`].
#[derive(Clone, Debug)]
pub struct SessionService<S> {
    inner: S,
    sign_in: SignIn,
}

/// The future of [`SessionService`].
pub type SessionFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = SessionFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let mut inner = super::take_ready(&mut self.inner);
        let bearer = request
            .extensions()
            .get::<Authentication>()
            .is_some_and(|authentication| !authentication.is_anonymous());
        if bearer {
            return Box::pin(inner.call(request));
        }
        let admission = self.sign_in.admit(&request);
        Box::pin(async move {
            match admission.await {
                Admission::Refuse(reply) => Ok(reply.into_http()),
                Admission::Pass(authentication, set_cookie) => {
                    request.extensions_mut().insert(authentication);
                    let mut response = inner.call(request).await?;
                    if let Some(value) = set_cookie.and_then(|v| HeaderValue::from_str(&v).ok()) {
                        response.headers_mut().append(header::SET_COOKIE, value);
                    }
                    Ok(response)
                }
            }
        })
    }
}
