//! The axum example's routes (also served in-process by the tests).

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cognito_auth::axum::{AccessToken, IdToken, Require};
use cognito_auth::revocation::RevocationList;
use cognito_auth::session::SignIn;
use cognito_auth::tower::{AuthLayer, RequireLayer, SessionLayer};
use cognito_auth::web::{Authenticator, Guard};
use cognito_auth::{Requirement, VerifiedToken};
use serde_json::{Value, json};

use super::{ADMIN_GROUP, ReportReaders};

async fn health() -> &'static str {
    "ok"
}

async fn me(AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({
        "sub": claims.sub,
        "username": claims.username,
        "groups": claims.groups,
        "scopes": claims.scopes,
    }))
}

async fn admin(AccessToken(claims): AccessToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "admin": true }))
}

async fn reports(AccessToken(claims): AccessToken, _: Require<ReportReaders>) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "reports": ["q1", "q2"] }))
}

async fn profile(IdToken(claims): IdToken) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "email": claims.email }))
}

async fn whoami(token: Option<VerifiedToken>) -> Json<Value> {
    Json(json!({ "sub": token.as_ref().and_then(VerifiedToken::sub) }))
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
async fn logout(State(logout): State<Logout>, parts: Parts) -> Response {
    let sign_in = logout
        .sign_in
        .filter(|_| !parts.headers.contains_key(header::AUTHORIZATION));
    if let Some(sign_in) = sign_in {
        return sign_in.logout(&parts).await.into_response();
    }
    let token = match logout
        .authenticator
        .authenticate_as::<VerifiedToken>(&parts)
        .await
    {
        Ok(Some(token)) => token,
        // A required authenticator refuses anonymous requests itself.
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(refusal) => return refusal.into_response(),
    };
    match super::logout(&logout.revocations, &token).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "temporarily_unavailable", "error_description": message })),
        )
            .into_response(),
    }
}

async fn home(user: Option<IdToken>) -> Html<String> {
    Html(super::home_page(
        user.as_ref().map(|IdToken(claims)| &**claims),
    ))
}

async fn admin_page(IdToken(claims): IdToken) -> Response {
    let (status, page) = super::admin_page(&claims);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Html(page),
    )
        .into_response()
}

/// The example's routes: the bearer API, and the browser pages when
/// sign-in is configured.
pub fn app(
    authenticator: Authenticator,
    revocations: RevocationList,
    sign_in: Option<SignIn>,
) -> Router {
    let required = Router::new()
        .route("/me", get(me))
        .route(
            "/admin",
            get(admin).route_layer(RequireLayer::new(Guard::groups(Requirement::any_of([
                ADMIN_GROUP,
            ])))),
        )
        .route("/reports", get(reports))
        .route("/profile", get(profile))
        .route_layer(AuthLayer::new(authenticator.clone()));
    let optional = Router::new()
        .route("/whoami", get(whoami))
        .route_layer(AuthLayer::new(authenticator.clone().optional()));
    let logout = Router::new()
        .route("/logout", post(logout))
        .with_state(Logout {
            authenticator,
            revocations,
            sign_in: sign_in.clone(),
        });
    let mut app = Router::new()
        .route("/health", get(health))
        .merge(required)
        .merge(optional)
        .merge(logout);
    if let Some(sign_in) = sign_in {
        let pages = Router::new()
            .route("/", get(home))
            .route("/app/admin", get(admin_page))
            .route(
                sign_in.login_path(),
                get({
                    let sign_in = sign_in.clone();
                    move |parts: Parts| sign_in.login(&parts)
                }),
            )
            .route(
                sign_in.callback_path(),
                get({
                    let sign_in = sign_in.clone();
                    move |parts: Parts| sign_in.callback(&parts)
                }),
            )
            .route_layer(SessionLayer::new(sign_in));
        app = app.merge(pages);
    }
    app
}
