//! The middlewares: [`CognitoAuth`] authenticates, [`Authorize`] requires
//! groups or scopes. Both are a [`Gate`] in front of the wrapped service.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderValue};

use super::extract::LocalFuture;
use super::to_actix;
use crate::web::{Authentication, Authenticator, Guard, Reply};

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

/// Middleware that requires groups or scopes (a [`Guard`]) of the token
/// [`CognitoAuth`] verified: 403 when missing, 401 for an anonymous
/// request, 500 when no `CognitoAuth` ran first. Wrap it *inside*
/// `CognitoAuth` (actix-web runs the last `wrap` first).
///
/// ```
/// use actix_web::{App, web};
/// use cognito_auth::Requirement;
/// use cognito_auth::actix::{Authorize, CognitoAuth};
/// use cognito_auth::web::{Authenticator, Guard};
/// # use cognito_auth::{CognitoPool, TokenUse, Verifier};
/// # let verifier = Verifier::builder()
/// #     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
/// #     .build()?;
///
/// let app = App::new().service(
///     web::resource("/admin")
///         .wrap(Authorize::new(Guard::groups(Requirement::any_of(["admin"]))))
///         .wrap(CognitoAuth::new(Authenticator::new(verifier)))
///         .route(web::get().to(|| async { "welcome" })),
/// );
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Authorize {
    guard: Arc<Guard>,
}

impl Authorize {
    /// Requires what `guard` requires.
    pub fn new(guard: Guard) -> Self {
        Authorize {
            guard: Arc::new(guard),
        }
    }
}

impl From<Guard> for Authorize {
    fn from(guard: Guard) -> Self {
        Authorize::new(guard)
    }
}

/// What a middleware decides before the wrapped service runs: let the
/// request through (perhaps with extensions added) or answer it. Public in
/// a private module: the middlewares' services name it, users do not.
pub trait Gate: Clone + 'static {
    /// Lets the request through (with a `Set-Cookie` to add to the answer,
    /// if any), or gives the refusal.
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<Option<String>, Reply>>;
}

impl Gate for CognitoAuth {
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<Option<String>, Reply>> {
        let verification = self.authenticator.authenticate_or_render(request.request());
        let extensions = request.request().clone();
        Box::pin(async move {
            let authentication = verification.await?;
            extensions.extensions_mut().insert(authentication);
            Ok(None)
        })
    }
}

impl Gate for Authorize {
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<Option<String>, Reply>> {
        let authentication = request.extensions().get::<Authentication>().cloned();
        let refusal = self
            .guard
            .refusal(authentication.as_ref(), request.request(), "Authorize");
        Box::pin(ready(refusal.map_or(Ok(None), Err)))
    }
}

/// Middleware that puts the signed-in user's verified tokens into the
/// request (feature `sessions`), as [`CognitoAuth`] does for a bearer
/// token, so the same extractors and [`Authorize`] work on sessions. A
/// request without a session passes as anonymous: what needs a signed-in
/// user sends a browser to sign in (`302` to `/login?return_to=…`) and
/// answers other clients `401`. A request [`CognitoAuth`] already
/// authenticated (a bearer token, `CognitoAuth` wrapped *outside*) is left
/// as it is. The session is refreshed when its access token is about to
/// expire; a cookie whose session is over is cleared.
///
/// ```no_run
/// use actix_web::{App, web};
/// use cognito_auth::actix::{BrowserSession, IdToken, Optional};
/// use cognito_auth::session::SignIn;
///
/// async fn home(Optional(user): Optional<IdToken>) -> String {
///     user.map_or("signed out".into(), |IdToken(claims)| claims.sub.clone())
/// }
///
/// # fn app(sign_in: SignIn) {
/// let app = App::new()
///     .configure(cognito_auth::actix::sign_in_routes(sign_in.clone()))
///     .service(web::scope("").wrap(BrowserSession::new(sign_in)).route("/", web::get().to(home)));
/// # }
/// ```
#[cfg(feature = "sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "sessions")))]
#[derive(Clone, Debug)]
pub struct BrowserSession {
    sign_in: crate::session::SignIn,
}

#[cfg(feature = "sessions")]
impl BrowserSession {
    /// Sessions of this sign-in.
    pub fn new(sign_in: crate::session::SignIn) -> Self {
        BrowserSession { sign_in }
    }
}

#[cfg(feature = "sessions")]
impl Gate for BrowserSession {
    fn admit(&self, request: &ServiceRequest) -> LocalFuture<Result<Option<String>, Reply>> {
        use crate::session::Admission;
        let authenticated = request
            .extensions()
            .get::<Authentication>()
            .is_some_and(|authentication| !authentication.is_anonymous());
        if authenticated {
            return Box::pin(ready(Ok(None)));
        }
        let admission = self.sign_in.admit(request.request());
        let extensions = request.request().clone();
        Box::pin(async move {
            match admission.await {
                Admission::Pass(authentication, set_cookie) => {
                    extensions.extensions_mut().insert(authentication);
                    Ok(set_cookie)
                }
                Admission::Refuse(reply) => Err(reply),
            }
        })
    }
}

/// The service a [`Gate`] middleware ([`CognitoAuth`], [`Authorize`])
/// wraps around a scope or resource.
pub struct GateService<S, G> {
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
            type Transform = GateService<S, $gate>;
            type InitError = ();
            type Future = Ready<Result<Self::Transform, Self::InitError>>;

            fn new_transform(&self, service: S) -> Self::Future {
                ready(Ok(GateService {
                    service: Rc::new(service),
                    gate: self.clone(),
                }))
            }
        }
    )*};
}

gate_transform!(CognitoAuth, Authorize);
#[cfg(feature = "sessions")]
gate_transform!(BrowserSession);

impl<S, B, G> Service<ServiceRequest> for GateService<S, G>
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
                Ok(set_cookie) => {
                    let mut response = service.call(request).await?;
                    if let Some(value) =
                        set_cookie.and_then(|value| HeaderValue::from_str(&value).ok())
                    {
                        response.headers_mut().append(header::SET_COOKIE, value);
                    }
                    Ok(response.map_into_left_body())
                }
                Err(refusal) => Ok(request
                    .into_response(to_actix(&refusal))
                    .map_into_right_body()),
            }
        })
    }
}
