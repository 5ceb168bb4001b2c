//! jwt-authorizer 0.15 (axum 0.7, jsonwebtoken 9 on ring), configured as
//! its README shows: an authorizer from the JWKS URL, a `Validation` with
//! the issuer, `nbf` and RS256, and a claims `check` for what Cognito puts
//! in place of `aud` (`client_id`, and `token_use`); its layer on the
//! route and the `JwtClaims` extractor in the handler.

use axum07::Router;
use axum07::routing::get;
use jsonwebtoken9::Algorithm;
use jwt_authorizer::{Authorizer, IntoLayer, JwtAuthorizer, JwtClaims, Validation};

use super::{Checks, CognitoAccessClaims, Sub};
use crate::Result;
use crate::config::PoolConfig;

pub async fn router(config: &PoolConfig) -> Result<Router> {
    let client_id = config.client_id.clone();
    let authorizer: Authorizer<CognitoAccessClaims> =
        JwtAuthorizer::from_jwks_url(&config.jwks_uri)
            .validation(
                Validation::new()
                    .iss(&[&config.issuer])
                    .nbf(true)
                    .algs(vec![Algorithm::RS256]),
            )
            .check(move |claims: &CognitoAccessClaims| {
                claims.token_use == "access" && claims.client_id == client_id
            })
            .build()
            .await?;
    Ok(Router::new()
        .route("/r", get(handler))
        .route_layer(authorizer.into_layer()))
}

async fn handler(JwtClaims(claims): JwtClaims<CognitoAccessClaims>) -> axum07::Json<Sub> {
    axum07::Json(Sub { sub: claims.sub })
}

/// Read in jwt-authorizer 0.15.0: src/validation.rs (defaults, and
/// `to_jwt_validation`, whose required claims are `exp` alone),
/// src/authorizer.rs (`check_auth`: a failed `check` is `InvalidClaims`),
/// src/error.rs (`InvalidClaims` answers 403) and
/// src/jwks/key_store_manager.rs (`Refresh::default`); and jsonwebtoken
/// 9.3.1 src/validation.rs (`iss` and `nbf` are judged only when present).
pub const CHECKS: Checks = Checks {
    server: "jwt-authorizer 0.15.0",
    iss: "exact, only when present (required claims: `exp` alone)",
    exp: "required",
    nbf: "when present (`nbf(true)`; default off)",
    client: "`client_id` in a `check` closure: 403, not 401",
    token_use: "in the `check` closure: 403",
    algorithms: "RS256 (set here; default: the JWK's `alg`, or RS*/PS* for an RSA key without one)",
    leeway: "60 s",
    keys: "fetched on first use; unknown `kid`: refetch only if the last fetch is over 10 min old",
    other_issuer: 401,
    other_client: 403,
};
