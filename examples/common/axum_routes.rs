//! The axum example's routes (also served in-process by the tests).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cognito_auth::axum::{AccessToken, IdToken, Require};
use cognito_auth::revocation::RevocationList;
use cognito_auth::tower::{AuthLayer, RequireLayer};
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

async fn logout(State(revocations): State<RevocationList>, token: VerifiedToken) -> Response {
    match super::logout(&revocations, &token).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "error": "temporarily_unavailable", "error_description": message })),
        )
            .into_response(),
    }
}

/// The example's routes.
pub fn app(authenticator: Authenticator, revocations: RevocationList) -> Router {
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
        .route("/logout", post(logout))
        .route_layer(AuthLayer::new(authenticator.clone()))
        .with_state(revocations);
    let optional = Router::new()
        .route("/whoami", get(whoami))
        .route_layer(AuthLayer::new(authenticator.optional()));
    Router::new()
        .route("/health", get(health))
        .merge(required)
        .merge(optional)
}
