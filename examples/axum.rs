//! An axum API protected by Cognito tokens.
//!
//! ```text
//! cargo run --example axum --features axum,testing,sessions
//! ```
//!
//! With no `COGNITO_*` variables set it starts the built-in testing pool and
//! prints sample tokens and curl commands; otherwise it reads
//! `COGNITO_USER_POOL_ID` or `COGNITO_ISSUER`, `COGNITO_CLIENT_ID`
//! (comma-separated) and, optionally, `COGNITO_JWKS_URI`. With
//! `COGNITO_REDIS_URL` the revocation list (`POST /logout`) and the browser
//! sessions live in that Redis, shared by every instance; otherwise in
//! memory. Browser sign-in (`/`, `/login`, `/auth/callback`, `/app/admin`)
//! runs on the testing pool's managed login (users alice and bob), or with
//! `COGNITO_DOMAIN`, `COGNITO_CLIENT_SECRET` (optional) and `APP_URL`.
//! `COGNITO_TESTING_TOKEN_LIFETIME` (seconds) shortens the testing pool's
//! tokens, to watch refreshes. Port: `PORT` (default 3000).

mod common;

use cognito_auth::web::Authenticator;
use common::axum_routes::app;

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", common::port(3000)))
        .await
        .unwrap_or_else(|err| common::fail(&format!("cannot listen: {err}")));
    let (base, setup) = common::start(listener.local_addr()).await;
    println!("listening on {base}");
    let app = app(
        Authenticator::new(setup.verifier),
        setup.revocations,
        setup.sign_in,
    );
    if let Err(err) = axum::serve(listener, app).await {
        common::fail(&format!("server failed: {err}"));
    }
}
