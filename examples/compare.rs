//! The crate's side of `scripts/compare-aws-jwt-verify.sh`.
//!
//! ```text
//! compare export DIR            # writes jwks.json, tokens.txt, pool.json
//! compare measure DIR SECONDS   # verification rate of the crate on them
//! ```
//!
//! Tokens come from a testing pool that uses the real AWS issuer form, so
//! aws-jwt-verify's `CognitoJwtVerifier` accepts them; both verifiers get
//! the same JWKS document (no network).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cognito_auth::testing::MockPool;
use cognito_auth::{CognitoPool, TokenUse, Verifier};

const TOKENS: usize = 1000;

async fn export(dir: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&dir)?;
    let pool = MockPool::builder().aws_issuer(true).start().await?;
    let tokens = (0..TOKENS)
        .map(|n| {
            pool.access_token()
                .username(format!("user{n}"))
                .groups(["admin"])
                .scopes(["openid", "api/reports.read"])
                .sign()
        })
        .collect::<Result<Vec<_>, _>>()?;
    std::fs::write(dir.join("tokens.txt"), tokens.join("\n"))?;
    std::fs::write(dir.join("jwks.json"), pool.jwks_json())?;
    let config = serde_json::json!({
        "userPoolId": pool.pool_id(),
        "clientId": pool.client_id(),
        "issuer": pool.issuer(),
    });
    std::fs::write(dir.join("pool.json"), config.to_string())?;
    Ok(())
}

async fn measure(dir: PathBuf, seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("pool.json"))?)?;
    let text = |key: &str| config[key].as_str().unwrap_or_default().to_owned();
    let jwks = std::fs::read_to_string(dir.join("jwks.json"))?;
    let tokens: Vec<String> = std::fs::read_to_string(dir.join("tokens.txt"))?
        .lines()
        .map(str::to_owned)
        .collect();
    let build = |cache: bool| {
        let builder = Verifier::builder().cognito(
            CognitoPool::new(text("userPoolId"))
                .jwks_static(jwks.clone())
                .token_use(TokenUse::Access)
                .client_id(text("clientId")),
        );
        let builder = if cache {
            builder
        } else {
            builder.no_verified_token_cache()
        };
        builder.build()
    };
    for (label, verifier) in [
        ("cognito-auth, full verification", build(false)?),
        ("cognito-auth, verified-token cache", build(true)?),
    ] {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut count: u64 = 0;
        while Instant::now() < deadline {
            for token in &tokens {
                verifier.verify(token).await?;
            }
            count += tokens.len() as u64;
        }
        let rate = count as f64 / started.elapsed().as_secs_f64();
        println!("{label}: {rate:.0} verifications/s");
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, dir] if command == "export" => export(dir.into()).await,
        [command, dir, seconds] if command == "measure" => {
            measure(dir.into(), seconds.parse()?).await
        }
        _ => Err("usage: compare export DIR | compare measure DIR SECONDS".into()),
    }
}
