//! Verifies tokens from the built-in testing pool: no AWS account needed.
//!
//! ```text
//! cargo run --example verify --features testing
//! ```
//!
//! Starts a mock user pool on loopback, builds a verifier for its access
//! tokens, then shows the verdict on a good token and on a few bad ones.

use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::{Algorithm, Requirement, TokenUse, Verifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = MockPool::start().await?;
    println!("testing pool issuer: {}", pool.issuer());
    println!("JWKS:                {}\n", pool.jwks_uri());

    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Access)
                .client_id(pool.client_id())
                .require_scopes(Requirement::any_of(["api/reports.read"])),
        )
        .build()?;
    verifier.hydrate().await?;

    let good = pool
        .access_token()
        .username("alice")
        .groups(["admin"])
        .scopes(["api/reports.read"])
        .sign()?;
    let claims = verifier.verify_access(&good).await?;
    println!(
        "valid: user {} ({}), groups {:?}, scopes {:?}\n",
        claims.username.as_deref().unwrap_or("-"),
        claims.sub,
        claims.groups.as_slice(),
        claims.scopes.as_slice()
    );

    let stranger = SigningKey::generate(Algorithm::RS256)?;
    let cases = [
        ("an ID token", pool.id_token().sign()?),
        (
            "an expired token",
            pool.access_token()
                .scopes(["api/reports.read"])
                .issued_at(1_600_000_000)
                .expires_at(1_600_000_300)
                .sign()?,
        ),
        (
            "a token without the scope",
            pool.access_token().scopes(["openid"]).sign()?,
        ),
        (
            "another app client",
            pool.access_token()
                .client_id("someone-else")
                .scopes(["api/reports.read"])
                .sign()?,
        ),
        (
            "a key not in the JWKS",
            pool.access_token().signed_by(&stranger).sign()?,
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (what, token) in cases {
        match verifier.verify(&token).await {
            Ok(_) => println!("{what:28} -> valid (unexpected!)"),
            Err(err) => println!("{what:28} -> {:20} {err}", err.kind()),
        }
    }
    println!("\nJWKS fetched {} time(s)", pool.jwks_requests());
    Ok(())
}
