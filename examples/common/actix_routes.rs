//! The actix-web example's routes (also served in-process by the tests).

use actix_web::{HttpResponse, web};
use cognito_auth::actix::{AccessToken, Authorize, CognitoAuth, IdToken, Require};
use cognito_auth::revocation::RevocationList;
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

async fn logout(revocations: web::Data<RevocationList>, token: VerifiedToken) -> HttpResponse {
    match super::logout(&revocations, &token).await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(message) => HttpResponse::ServiceUnavailable().json(json!({
            "error": "temporarily_unavailable",
            "error_description": message,
        })),
    }
}

/// The example's routes.
pub fn routes(
    authenticator: Authenticator,
    revocations: RevocationList,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        let required = CognitoAuth::new(authenticator.clone());
        let optional = CognitoAuth::new(authenticator.optional());
        config
            .app_data(web::Data::new(revocations))
            .route("/health", web::get().to(health))
            .service(
                web::resource("/logout")
                    .wrap(required.clone())
                    .route(web::post().to(logout)),
            )
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
