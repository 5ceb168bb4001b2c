//! An axum API protected by Cognito tokens.
//!
//! ```text
//! cargo run --example axum --features axum,testing
//! ```
//!
//! With no `COGNITO_*` variables set it starts the built-in testing pool and
//! prints sample tokens and curl commands; otherwise it reads
//! `COGNITO_USER_POOL_ID` or `COGNITO_ISSUER`, `COGNITO_CLIENT_ID`
//! (comma-separated) and, optionally, `COGNITO_JWKS_URI`. With
//! `COGNITO_REDIS_URL` the revocation list (`POST /logout`) lives in that
//! Redis, shared by every instance; otherwise in memory. Port: `PORT`
//! (default 3000).

mod common;

use cognito_auth::web::Authenticator;
use common::axum_routes::app;

#[tokio::main]
async fn main() {
    let setup = common::setup().await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", common::port(3000)))
        .await
        .unwrap_or_else(|err| common::fail(&format!("cannot listen: {err}")));
    let address = listener
        .local_addr()
        .unwrap_or_else(|err| common::fail(&err.to_string()));
    let base = format!("http://{address}");
    if let Some(pool) = &setup.pool {
        common::print_samples(pool, &base);
    }
    println!("listening on {base}");
    let app = app(Authenticator::new(setup.verifier), setup.revocations);
    if let Err(err) = axum::serve(listener, app).await {
        common::fail(&format!("server failed: {err}"));
    }
}
