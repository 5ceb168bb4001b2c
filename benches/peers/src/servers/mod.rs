//! The servers compared: one route, `/r`, the same handler body, and a
//! different verifier in front of it.
//!
//! Every server is configured from the same [`PoolConfig`], runs on the
//! same multi-threaded tokio runtime and the same axum defaults (axum 0.8,
//! or axum 0.7 for jwt-authorizer, which is built on it), and answers a
//! verified request with `{"sub":"…"}` serialised by `Json`.

mod cognito;
pub mod handwritten;
mod jwt_authorizer;
mod open;
mod tower_oauth2;

use std::fmt::Write;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::config::PoolConfig;

/// What the handler answers: the verified token's `sub`.
#[derive(Debug, Serialize)]
pub struct Sub {
    pub sub: String,
}

/// The claims the peers that take a claims type deserialise: what the
/// handler reads and the two Cognito claims an access token is checked by.
#[derive(Debug, Clone, Deserialize)]
pub struct CognitoAccessClaims {
    pub sub: String,
    pub client_id: String,
    pub token_use: String,
}

/// The servers, by the name the script gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// No authentication: the handler alone (the baseline).
    Open,
    /// This crate: `AuthLayer` and the `AccessToken` extractor, default
    /// settings (the verified-token cache on).
    CognitoAuth,
    /// The same with the verified-token cache off: every request pays the
    /// RSA check (a reference row for the "never seen" workload).
    CognitoAuthNoCache,
    /// tower-oauth2-resource-server 0.12.
    TowerOauth2,
    /// jwt-authorizer 0.15 (axum 0.7).
    JwtAuthorizer,
    /// jsonwebtoken + a JWKS fetched once with reqwest, in an extractor.
    Handwritten,
}

impl Which {
    /// Every server, in the order the tables list them.
    pub const ALL: [Which; 6] = [
        Which::Open,
        Which::CognitoAuth,
        Which::CognitoAuthNoCache,
        Which::TowerOauth2,
        Which::JwtAuthorizer,
        Which::Handwritten,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Which::Open => "open",
            Which::CognitoAuth => "cognito-auth",
            Which::CognitoAuthNoCache => "cognito-auth-nocache",
            Which::TowerOauth2 => "tower-oauth2",
            Which::JwtAuthorizer => "jwt-authorizer",
            Which::Handwritten => "handwritten",
        }
    }
}

impl FromStr for Which {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<Self, String> {
        Which::ALL
            .into_iter()
            .find(|which| which.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Which::ALL.iter().map(|which| which.name()).collect();
                format!("unknown server {name:?}: one of {}", names.join(", "))
            })
    }
}

/// Serves WHICH on `127.0.0.1:PORT` until killed; prints `listening on …`
/// once the verifier is built and the socket is bound.
pub async fn serve(which: Which, port: u16) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let listening = format!(
        "listening on http://{} ({})",
        listener.local_addr()?,
        which.name()
    );
    let app = match which {
        Which::JwtAuthorizer => {
            // axum 0.7's router, served by axum 0.7 on the same runtime.
            let app = jwt_authorizer::router(&PoolConfig::from_env()?).await?;
            println!("{listening}");
            axum07::serve(listener, app).await?;
            return Ok(());
        }
        Which::Open => open::router(),
        Which::CognitoAuth => cognito::router(&PoolConfig::from_env()?, true)?,
        Which::CognitoAuthNoCache => cognito::router(&PoolConfig::from_env()?, false)?,
        Which::TowerOauth2 => tower_oauth2::router(&PoolConfig::from_env()?).await?,
        Which::Handwritten => handwritten::router(&PoolConfig::from_env()?).await?,
    };
    println!("{listening}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// What one server verifies, as configured here; each module's `CHECKS`
/// says where in the peer's source each entry was read.
pub struct Checks {
    pub server: &'static str,
    pub iss: &'static str,
    pub exp: &'static str,
    pub nbf: &'static str,
    pub client: &'static str,
    pub token_use: &'static str,
    pub algorithms: &'static str,
    pub leeway: &'static str,
    pub keys: &'static str,
    /// The status a valid token gets from this server configured for
    /// another issuer, and for another app client (`peers status`
    /// checks both).
    pub other_issuer: u16,
    pub other_client: u16,
}

impl Which {
    /// What [`Which`] verifies; `None` for `open`.
    pub fn checks(self) -> Option<Checks> {
        match self {
            Which::Open => None,
            Which::CognitoAuth | Which::CognitoAuthNoCache => Some(cognito::CHECKS),
            Which::TowerOauth2 => Some(tower_oauth2::CHECKS),
            Which::JwtAuthorizer => Some(jwt_authorizer::CHECKS),
            Which::Handwritten => Some(handwritten::CHECKS),
        }
    }
}

/// The footnote table of the script's output.
pub fn checks_table() -> String {
    let rows = [
        Which::CognitoAuth,
        Which::TowerOauth2,
        Which::JwtAuthorizer,
        Which::Handwritten,
    ]
    .map(|which| which.checks().expect("a verifier"));
    let mut table = String::from(
        "| server | iss | exp | nbf | aud / client_id | token_use | alg allow-list | leeway | keys (JWKS) |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.server,
            row.iss,
            row.exp,
            row.nbf,
            row.client,
            row.token_use,
            row.algorithms,
            row.leeway,
            row.keys
        );
    }
    table
}
