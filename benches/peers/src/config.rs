//! The user pool every server is configured for, from the environment that
//! the main crate's `mint` example prints (`export COGNITO_ISSUER=…`).

use crate::Result;

/// A Cognito user pool as the servers see it.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The exact `iss` of its tokens (the mock pool's: an `http://127.0.0.1`
    /// URL, as with cognito-local).
    pub issuer: String,
    /// The app client whose access tokens are accepted (`client_id`).
    pub client_id: String,
    /// Where its JWKS is served.
    pub jwks_uri: String,
}

impl PoolConfig {
    /// Reads `COGNITO_ISSUER`, `COGNITO_CLIENT_ID` and `COGNITO_JWKS_URI`.
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        Ok(PoolConfig {
            issuer: var("COGNITO_ISSUER")?,
            client_id: var("COGNITO_CLIENT_ID")?,
            jwks_uri: var("COGNITO_JWKS_URI")?,
        })
    }
}
