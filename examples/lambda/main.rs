//! The crate's tower layers on AWS Lambda (`lambda_http`), and an API
//! Gateway authorizer.
//!
//! On Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves API Gateway (REST or
//! HTTP API) and function URL events, verifying tokens of
//! `COGNITO_USER_POOL_ID` / `COGNITO_CLIENT_ID`. Anywhere else —
//! `cargo run --example lambda --features lambda,testing,tower` — it runs
//! on the built-in testing pool and invokes the function with the API
//! Gateway and function URL events of `tests/fixtures/lambda/`, then the
//! authorizer with a TOKEN event, and prints what came back.

mod app;

use cognito_auth::lambda::Authorizer;
use cognito_auth::testing::MockPool;
use cognito_auth::{CognitoPool, TokenUse, Verifier};
use tower::ServiceExt;

const EVENTS: [(&str, &str); 3] = [
    (
        "API Gateway REST",
        include_str!("../../tests/fixtures/lambda/apigw_rest.json"),
    ),
    (
        "API Gateway HTTP API",
        include_str!("../../tests/fixtures/lambda/apigw_http.json"),
    ),
    (
        "function URL",
        include_str!("../../tests/fixtures/lambda/function_url.json"),
    ),
];

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    if std::env::var("AWS_LAMBDA_RUNTIME_API").is_ok() {
        let variable = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
        let verifier = Verifier::builder()
            .cognito(
                CognitoPool::new(variable("COGNITO_USER_POOL_ID")?)
                    .token_use(TokenUse::Access)
                    .client_id(variable("COGNITO_CLIENT_ID")?),
            )
            .build()?;
        return lambda_http::run(app::service(verifier)).await;
    }

    let pool = MockPool::start().await?;
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Access)
                .client_id(pool.client_id()),
        )
        .build()?;
    let member = pool
        .access_token()
        .username("alice")
        .groups([app::GROUP])
        .sign()?;
    let outsider = pool.access_token().username("bob").sign()?;
    for (source, event) in EVENTS {
        for (who, token) in [("alice (pets)", &member), ("bob (no group)", &outsider)] {
            let event = event.replace("{{AUTHORIZATION}}", &format!("Bearer {token}"));
            let request = lambda_http::request::from_str(&event)?;
            let response = app::service(verifier.clone()).oneshot(request).await?;
            let status = response.status();
            let body = match response.body() {
                lambda_http::Body::Text(text) => text.clone(),
                lambda_http::Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                _ => String::new(),
            };
            println!("{source:<22} {who:<15} {status} {body}");
        }
    }

    let authorizer = Authorizer::new(verifier);
    let event = include_str!("../../tests/fixtures/lambda/authorizer_token.json")
        .replace("{{AUTHORIZATION}}", &format!("Bearer {member}"));
    let answer = authorizer.token(serde_json::from_str(&event)?).await?;
    println!(
        "TOKEN authorizer: {}",
        serde_json::to_string_pretty(&answer)?
    );
    Ok(())
}
