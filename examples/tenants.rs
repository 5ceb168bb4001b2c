//! Many tenants, one pool each, behind one verifier: a resolver looks the
//! token's issuer up in a tenant table (here a map over three testing
//! pools) and is asked once per issuer; an unknown issuer is refused
//! without any key fetch. `cargo run --example tenants --features testing`.

use std::collections::HashMap;
use std::sync::Arc;

use cognito_auth::testing::MockPool;
use cognito_auth::{CognitoPool, Resolution, Tenant, TokenUse, Verifier};

#[tokio::main]
async fn main() -> Result<(), cognito_auth::Error> {
    let mut table = HashMap::new();
    let mut pools = Vec::new();
    for name in ["acme", "globex", "initech"] {
        let pool = MockPool::start().await?;
        table.insert(
            pool.issuer().to_owned(),
            (name, pool.client_id().to_owned()),
        );
        pools.push((name, pool));
    }
    let table = Arc::new(table);
    let lookup = Arc::clone(&table);
    let verifier = Verifier::builder()
        .resolve_issuers(move |iss: String| {
            let answer: Resolution = Ok(lookup.get(&iss).map(|(_, client_id)| {
                Tenant::from(
                    CognitoPool::from_issuer(&iss)
                        .token_use(TokenUse::Access)
                        .client_id(client_id),
                )
            }));
            std::future::ready(answer)
        })
        .build()?;

    for (name, pool) in &pools {
        let token = pool
            .access_token()
            .username(format!("{name}-user"))
            .sign()?;
        let claims = verifier.verify_access(&token).await?;
        println!(
            "{name:<8} {} verified (issuer {})",
            claims.username.unwrap_or_default(),
            pool.issuer()
        );
    }
    let stranger = MockPool::start().await?;
    let token = stranger.access_token().username("mallory").sign()?;
    let refused = verifier.verify(&token).await.unwrap_err();
    println!(
        "stranger refused: {} ({}), keys fetched from it: {}",
        refused.kind(),
        refused,
        stranger.jwks_requests()
    );
    println!(
        "the resolver was asked {} times for {} tenants and one stranger",
        verifier.resolver_calls(),
        table.len()
    );
    Ok(())
}
