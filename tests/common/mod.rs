//! Helpers shared by the integration tests.
#![allow(dead_code)]

use cognito_auth::testing::MockPool;
use cognito_auth::{CognitoPool, TokenUse, Verifier, VerifierBuilder};

/// A verifier for the pool's access tokens and default client.
pub fn access_verifier(pool: &MockPool) -> Verifier {
    builder(pool, TokenUse::Access).build().unwrap()
}

/// A verifier for either token use of the pool, its default client.
pub fn any_use_verifier(pool: &MockPool) -> Verifier {
    Verifier::builder()
        .cognito(pool_config(pool).any_token_use())
        .build()
        .unwrap()
}

/// A builder for the pool with a token use and the pool's client.
pub fn builder(pool: &MockPool, token_use: TokenUse) -> VerifierBuilder {
    Verifier::builder().cognito(pool_config(pool).token_use(token_use))
}

/// The pool's config with its default client id allowed.
pub fn pool_config(pool: &MockPool) -> CognitoPool {
    pool.cognito_pool().client_id(pool.client_id())
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The error kind of a failed verification (panics on success).
pub async fn kind_of(verifier: &Verifier, token: &str) -> &'static str {
    match verifier.verify(token).await {
        Ok(verified) => panic!("expected a failure, got {verified:?}"),
        Err(err) => err.kind(),
    }
}

pub mod web;
