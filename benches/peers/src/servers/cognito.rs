//! This crate, as its README shows for axum: a `Verifier` for one
//! `CognitoPool` (the issuer URL, the JWKS URL override, access tokens of
//! one app client), `AuthLayer` on the route and the `AccessToken`
//! extractor in the handler. Every other setting is the default,
//! the verified-token cache (20 000 tokens, 64 MiB) included, unless `cache` is
//! false.

use axum::routing::get;
use axum::{Json, Router};
use cognito_auth::axum::AccessToken;
use cognito_auth::tower::AuthLayer;
use cognito_auth::web::Authenticator;
use cognito_auth::{CognitoPool, TokenUse, Verifier};

use super::{Checks, Sub};
use crate::Result;
use crate::config::PoolConfig;

pub fn router(config: &PoolConfig, cache: bool) -> Result<Router> {
    let pool = CognitoPool::from_issuer(&config.issuer)
        .jwks_uri(&config.jwks_uri)
        .token_use(TokenUse::Access)
        .client_id(&config.client_id);
    let mut builder = Verifier::builder().cognito(pool);
    if !cache {
        builder = builder.no_verified_token_cache();
    }
    let verifier = builder.build()?;
    Ok(Router::new()
        .route("/r", get(handler))
        .route_layer(AuthLayer::new(Authenticator::new(verifier))))
}

async fn handler(AccessToken(claims): AccessToken) -> Json<Sub> {
    Json(Sub {
        sub: claims.sub.clone(),
    })
}

/// Read in src/verifier/checks.rs (`check_time`, `check_issuer`,
/// `check_rules`), src/verifier/issuers.rs (a pool's algorithms),
/// src/verifier/builder.rs (defaults) and src/keys.
pub const CHECKS: Checks = Checks {
    server: "cognito-auth",
    iss: "required, exact",
    exp: "required",
    nbf: "when present",
    client: "`client_id` in the allow-list (`aud` for ID tokens)",
    token_use: "must be `access`",
    algorithms: "RS256 (Cognito pools)",
    leeway: "0 s",
    keys: "fetched on first use, refreshed hourly; unknown `kid`: refetch, 10 s cooldown",
    other_issuer: 401,
    other_client: 401,
};
