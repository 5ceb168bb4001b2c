//! tower-oauth2-resource-server 0.12, configured for a Cognito issuer as
//! its docs allow: a tenant for the issuer URL with the JWKS URL override
//! (so no discovery at start-up), RS256 only, and its layer on the route;
//! the handler takes the claims from the request extension, as its axum
//! example does. The jsonwebtoken backend is aws-lc-rs
//! (`jwt-aws-lc-rs`).
//!
//! The claims to check are set explicitly: with `jwks_url` set and no
//! discovery, its default `ClaimsValidationSpec` checks `exp` alone (and
//! `aud` when audiences are given), not `iss` (tenant.rs,
//! `recommended_claims_spec`). Cognito access tokens carry no `aud` and it
//! has no hook for other claims, so `client_id` and `token_use` are not
//! checked; `nbf(true)` would make `nbf` required, which Cognito tokens
//! lack, so it stays off.

use axum::routing::get;
use axum::{Extension, Json, Router};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use tower_oauth2_resource_server::server::OAuth2ResourceServer;
use tower_oauth2_resource_server::tenant::TenantConfiguration;
use tower_oauth2_resource_server::validation::ClaimsValidationSpec;

use super::{Checks, Sub};
use crate::Result;
use crate::config::PoolConfig;

/// The claims the handler reads (a custom claims type, as its docs show).
#[derive(Debug, Clone, Deserialize)]
struct SubClaims {
    sub: String,
}

pub async fn router(config: &PoolConfig) -> Result<Router> {
    let tenant = TenantConfiguration::builder(config.issuer.as_str())
        .jwks_url(config.jwks_uri.as_str())
        .claims_validation(ClaimsValidationSpec::new().iss(&config.issuer).exp(true))
        .allowed_algorithms(&[Algorithm::RS256])
        .build()
        .await?;
    let server = OAuth2ResourceServer::<SubClaims>::builder()
        .add_tenant(tenant)
        .build()
        .await?;
    Ok(Router::new()
        .route("/r", get(handler))
        .route_layer(server.into_layer()))
}

async fn handler(Extension(claims): Extension<SubClaims>) -> Json<Sub> {
    Json(Sub { sub: claims.sub })
}

/// Read in tower-oauth2-resource-server 0.12.5: src/tenant.rs
/// (`recommended_claims_spec`, `default_allowed_algorithms`, the 60 s
/// refresh), src/authorizer/jwt_validate.rs (`create_validation`: only the
/// spec's claims, jsonwebtoken's `Validation::new` otherwise, whose leeway
/// is 60 s) and src/authorizer/jwks.rs.
pub const CHECKS: Checks = Checks {
    server: "tower-oauth2-resource-server 0.12.5",
    iss: "required, exact (set here: not checked by default with a JWKS URL)",
    exp: "required",
    nbf: "no (`nbf(true)` requires `nbf`, which Cognito tokens lack)",
    client: "no (`aud` only; Cognito access tokens have none)",
    token_use: "no",
    algorithms: "RS256 (set here; default: 9 asymmetric algorithms)",
    leeway: "60 s (no setting)",
    keys: "fetched in the background every 60 s; unknown `kid`: 401",
    other_issuer: 401,
    other_client: 200,
};
