//! The actix-web example's routes (also served in-process by the tests).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, Responder, ResponseError, web};
use cognito_auth::actix::{
    AccessToken, Authorize, BrowserSession, CognitoAuth, IdToken, Optional, Require,
};
use cognito_auth::revocation::RevocationList;
use cognito_auth::session::SignIn;
use cognito_auth::web::{Authenticator, Guard};
use cognito_auth::{Requirement, VerifiedToken};
use serde_json::json;

use super::{ADMIN_GROUP, ReportReaders};

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn me(AccessToken(claims): AccessToken) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "sub": claims.sub,
        "username": claims.username,
        "groups": claims.groups,
        "scopes": claims.scopes,
    }))
}

async fn admin(AccessToken(claims): AccessToken) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": claims.sub, "admin": true }))
}

async fn reports(AccessToken(claims): AccessToken, _: Require<ReportReaders>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": claims.sub, "reports": ["q1", "q2"] }))
}

async fn profile(IdToken(claims): IdToken) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": claims.sub, "email": claims.email }))
}

// Safe as `Option<_>` because the optional middleware has already refused
// invalid tokens: `None` means "no token".
async fn whoami(token: Option<VerifiedToken>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "sub": token.as_ref().and_then(VerifiedToken::sub) }))
}

/// What `POST /logout` needs: the bearer side and the browser side.
#[derive(Clone)]
struct Logout {
    authenticator: Authenticator,
    revocations: RevocationList,
    sign_in: Option<SignIn>,
}

/// `POST /logout`: with a bearer token, revokes its session (204, or 503
/// when it could not be recorded); from a browser, signs its session out.
async fn logout(logout: web::Data<Logout>, request: HttpRequest) -> HttpResponse {
    let browser = logout
        .sign_in
        .as_ref()
        .filter(|_| !request.headers().contains_key(header::AUTHORIZATION));
    if let Some(sign_in) = browser {
        return sign_in.logout(&request).await.respond_to(&request);
    }
    let token = match logout
        .authenticator
        .authenticate_as::<VerifiedToken>(&request)
        .await
    {
        Ok(Some(token)) => token,
        // A required authenticator refuses anonymous requests itself.
        Ok(None) => return HttpResponse::Unauthorized().finish(),
        Err(refusal) => return refusal.error_response(),
    };
    match super::logout(&logout.revocations, &token).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(message) => HttpResponse::ServiceUnavailable().json(json!({
            "error": "temporarily_unavailable",
            "error_description": message,
        })),
    }
}

async fn home(Optional(user): Optional<IdToken>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(super::home_page(
            user.as_ref().map(|IdToken(claims)| &**claims),
        ))
}

async fn admin_page(IdToken(claims): IdToken) -> HttpResponse {
    let (status, page) = super::admin_page(&claims);
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("text/html; charset=utf-8")
        .body(page)
}

/// The example's routes: the bearer API, and the browser pages when
/// sign-in is configured.
pub fn routes(
    authenticator: Authenticator,
    revocations: RevocationList,
    sign_in: Option<SignIn>,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        let required = CognitoAuth::new(authenticator.clone());
        let optional = CognitoAuth::new(authenticator.clone().optional());
        config
            .app_data(web::Data::new(Logout {
                authenticator,
                revocations,
                sign_in: sign_in.clone(),
            }))
            .route("/health", web::get().to(health))
            .route("/logout", web::post().to(logout));
        if let Some(sign_in) = sign_in {
            let (login, callback) = (sign_in.clone(), sign_in.clone());
            config
                .route(
                    sign_in.login_path(),
                    web::get().to(move |request: HttpRequest| login.login(&request)),
                )
                .route(
                    sign_in.callback_path(),
                    web::get().to(move |request: HttpRequest| callback.callback(&request)),
                )
                .service(
                    web::resource("/")
                        .wrap(BrowserSession::new(sign_in.clone()))
                        .route(web::get().to(home)),
                )
                .service(
                    web::resource("/app/admin")
                        .wrap(BrowserSession::new(sign_in))
                        .route(web::get().to(admin_page)),
                );
        }
        config
            .service(
                web::resource("/me")
                    .wrap(required.clone())
                    .route(web::get().to(me)),
            )
            .service(
                web::resource("/admin")
                    .wrap(Authorize::new(Guard::groups(Requirement::any_of([
                        ADMIN_GROUP,
                    ]))))
                    .wrap(required.clone())
                    .route(web::get().to(admin)),
            )
            .service(
                web::resource("/reports")
                    .wrap(required.clone())
                    .route(web::get().to(reports)),
            )
            .service(
                web::resource("/profile")
                    .wrap(required)
                    .route(web::get().to(profile)),
            )
            .service(
                web::resource("/whoami")
                    .wrap(optional)
                    .route(web::get().to(whoami)),
            );
    }
}
