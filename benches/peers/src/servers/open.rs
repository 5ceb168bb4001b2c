//! The baseline: the handler with nothing in front of it. It reads no
//! header and answers a fixed `sub` of the same length as a Cognito one,
//! so the response is the same size as the others'.

use axum::routing::get;
use axum::{Json, Router};

use super::Sub;

/// A `sub` shaped like Cognito's (a UUID).
const OPEN_SUB: &str = "00000000-0000-4000-8000-000000000000";

pub fn router() -> Router {
    Router::new().route("/r", get(handler))
}

async fn handler() -> Json<Sub> {
    Json(Sub {
        sub: OPEN_SUB.to_owned(),
    })
}
