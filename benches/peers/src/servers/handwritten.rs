//! The verifier most teams write by hand: the JWKS fetched once at start
//! with reqwest, a `kid -> DecodingKey` map, `jsonwebtoken::decode` with a
//! `Validation` for RS256 and the issuer, then `token_use` and `client_id`
//! checked by hand, in an axum extractor.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

use super::{Checks, CognitoAccessClaims, Sub};
use crate::Result;
use crate::config::PoolConfig;

/// The keys and the rules, shared by every request.
pub struct Handwritten {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
    client_id: String,
}

impl Handwritten {
    /// Fetches the JWKS and builds the validation.
    pub async fn fetch(config: &PoolConfig) -> Result<Self> {
        let body = reqwest::get(&config.jwks_uri)
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let jwks: JwkSet = serde_json::from_slice(&body)?;
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            if let Some(kid) = &jwk.common.key_id {
                keys.insert(kid.clone(), DecodingKey::from_jwk(jwk)?);
            }
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&config.issuer]);
        // Without this, jsonwebtoken judges `iss` only when it is present.
        validation.set_required_spec_claims(&["exp", "iss"]);
        Ok(Handwritten {
            keys,
            validation,
            client_id: config.client_id.clone(),
        })
    }

    /// The claims of a valid access token of our client, or `None`.
    pub fn verify(&self, token: &str) -> Option<CognitoAccessClaims> {
        let header = decode_header(token).ok()?;
        let key = self.keys.get(header.kid.as_deref()?)?;
        let claims = decode::<CognitoAccessClaims>(token, key, &self.validation)
            .ok()?
            .claims;
        (claims.token_use == "access" && claims.client_id == self.client_id).then_some(claims)
    }
}

pub async fn router(config: &PoolConfig) -> Result<Router> {
    let state = Arc::new(Handwritten::fetch(config).await?);
    Ok(Router::new().route("/r", get(handler)).with_state(state))
}

/// A verified access token's claims.
struct Authenticated(CognitoAccessClaims);

/// `401` with `WWW-Authenticate: Bearer`, whatever was wrong.
struct Unauthorized;

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")]).into_response()
    }
}

impl FromRequestParts<Arc<Handwritten>> for Authenticated {
    type Rejection = Unauthorized;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Handwritten>,
    ) -> std::result::Result<Self, Unauthorized> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(Unauthorized)?;
        state.verify(token).map(Authenticated).ok_or(Unauthorized)
    }
}

async fn handler(Authenticated(claims): Authenticated) -> Json<Sub> {
    Json(Sub { sub: claims.sub })
}

/// As configured above; jsonwebtoken 11.1.0 src/validation.rs
/// (`Validation::new`: leeway 60 s, `validate_nbf` off).
pub const CHECKS: Checks = Checks {
    server: "handwritten (jsonwebtoken 11.1 + reqwest)",
    iss: "required, exact",
    exp: "required",
    nbf: "no (`validate_nbf` is off by default)",
    client: "`client_id` by hand",
    token_use: "by hand",
    algorithms: "RS256",
    leeway: "60 s",
    keys: "fetched once at start; unknown `kid`: 401 (no refetch, so no key rotation)",
    other_issuer: 401,
    other_client: 401,
};
