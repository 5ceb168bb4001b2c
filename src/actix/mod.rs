//! actix-web integration (feature `actix`): extractors, an authentication
//! middleware for whole scopes, and a group / scope requirement
//! middleware, answering exactly as the tower side does.
//!
//! | piece | what |
//! |---|---|
//! | [`CognitoAuth`] | middleware (`wrap`): verifies, stores the outcome in request extensions, refuses as the [`Authenticator`](crate::web::Authenticator) says (required or optional) |
//! | [`Authorize`] | middleware: requires groups or scopes of the verified token (403) |
//! | [`VerifiedToken`], [`AccessToken`], [`IdToken`], [`Claims<T>`], [`Require<R>`] | extractors |
//! | [`Optional<T>`] | optional extractor that never downgrades an invalid token |
//!
//! The extractors read what [`CognitoAuth`] stored; without the middleware
//! they verify on their own with a `web::Data<Authenticator>` (or a
//! `web::Data<Verifier>`) from the app data.
//!
//! **Use [`Optional<T>`], not `Option<T>`:** actix-web turns *any*
//! extractor error into `None` for `Option<T>`. Behind [`CognitoAuth`] that
//! happens to be safe (the middleware has already refused invalid tokens,
//! so `None` means anonymous); anywhere else an invalid or expired token,
//! a 503 or a missing configuration would silently become "anonymous".
//! [`Optional<T>`] refuses an invalid token instead, and answers `500`
//! when nothing is configured.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use cognito_auth::actix::{AccessToken, Authorize, CognitoAuth, IdToken};
//! use cognito_auth::web::{Authenticator, Guard};
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
//!                     .wrap(Authorize::new(Guard::groups(Requirement::any_of(["admin"]))))
//!                     .route(web::get().to(admin)),
//!             ),
//!     )
//! })
//! .bind(("127.0.0.1", 3001))?
//! .run()
//! .await
//! # }
//! ```

mod extract;
mod middleware;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::web::{Reply, RequestHead, SingleHeader};

pub use crate::claims::VerifiedToken;
pub use crate::web::{AccessToken, AuthError, Claims, FromVerified, IdToken, Require};
pub use extract::Optional;
#[cfg(feature = "sessions")]
pub use middleware::BrowserSession;
pub use middleware::{Authorize, CognitoAuth};

/// The three routes of browser sign-in (feature `sessions`): `GET` the
/// login path (`/login`), `GET` the callback (`/auth/callback`) and `POST`
/// the sign-out (`/logout`). Wrap the pages that need the signed-in user in
/// [`BrowserSession`].
///
/// ```no_run
/// use actix_web::App;
/// use cognito_auth::session::SignIn;
///
/// # fn app(sign_in: SignIn) {
/// let app = App::new().configure(cognito_auth::actix::sign_in_routes(sign_in));
/// # }
/// ```
#[cfg(feature = "sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "sessions")))]
pub fn sign_in_routes(
    sign_in: crate::session::SignIn,
) -> impl FnOnce(&mut actix_web::web::ServiceConfig) {
    use actix_web::web;
    move |config| {
        let (login, callback, logout) = (sign_in.clone(), sign_in.clone(), sign_in.clone());
        config
            .route(
                sign_in.login_path(),
                web::get().to(move |request: HttpRequest| login.login(&request)),
            )
            .route(
                sign_in.callback_path(),
                web::get().to(move |request: HttpRequest| callback.callback(&request)),
            )
            .route(
                sign_in.logout_path(),
                web::post().to(move |request: HttpRequest| logout.logout(&request)),
            );
    }
}

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

/// A [`Reply`] (a refusal, a sign-in redirect, a page) as a handler's
/// answer.
impl actix_web::Responder for Reply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        to_actix(&self)
    }
}

/// The framework-neutral answer as an actix-web response.
fn to_actix(response: &Reply) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in &response.headers {
        builder.append_header((name.as_str(), value.as_str()));
    }
    builder.body(response.body.clone())
}
