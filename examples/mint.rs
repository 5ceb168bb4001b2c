//! Starts a testing pool and writes tokens for load tests: N distinct
//! valid access tokens and M tokens whose `kid` is in no JWKS.
//!
//! ```text
//! cargo run --release --example mint --features testing -- 10000 1000 target/loadtest
//! ```
//!
//! Prints `export COGNITO_ISSUER=… COGNITO_CLIENT_ID=… COGNITO_JWKS_URI=…`
//! and `export JWKS_STATS_URL=…` lines, then `ready`, and keeps serving the
//! JWKS until killed. Used by `scripts/loadtest.sh`.

use std::io::Write;
use std::path::PathBuf;

use cognito_auth::Algorithm;
use cognito_auth::testing::{MockPool, SigningKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let valid: usize = args.next().as_deref().unwrap_or("10000").parse()?;
    let unknown: usize = args.next().as_deref().unwrap_or("1000").parse()?;
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "target/loadtest".into()));
    std::fs::create_dir_all(&dir)?;

    let pool = MockPool::start().await?;
    let stranger = SigningKey::generate(Algorithm::RS256)?;
    let write = |name: &str, tokens: Vec<String>| -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        for token in tokens {
            writeln!(file, "{token}")?;
        }
        file.flush()
    };
    let valid_tokens = pool.access_tokens(valid, |n, token| {
        token
            .username(format!("user{n}"))
            .groups(["admin"])
            .scopes(["openid", "api/reports.read"])
    })?;
    write("tokens.txt", valid_tokens)?;
    let unknown_tokens = (0..unknown)
        .map(|n| {
            pool.access_token()
                .signed_by(&stranger.clone().with_kid(format!("flood-{n}")))
                .sign()
        })
        .collect::<Result<Vec<_>, _>>()?;
    write("unknown.txt", unknown_tokens)?;

    println!("export COGNITO_ISSUER={}", pool.issuer());
    println!("export COGNITO_CLIENT_ID={}", pool.client_id());
    println!("export COGNITO_JWKS_URI={}", pool.jwks_uri());
    println!("export JWKS_STATS_URL={}", pool.stats_url());
    println!("ready");
    std::future::pending::<()>().await;
    Ok(())
}
