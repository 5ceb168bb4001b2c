//! An actix-web API protected by Cognito tokens.
//!
//! ```text
//! cargo run --example actix --features actix,testing,sessions
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
//! tokens, to watch refreshes. Port: `PORT` (default 3001).

mod common;

use actix_web::{App, HttpServer};
use cognito_auth::web::Authenticator;
use common::actix_routes::routes;

#[actix_web::main]
async fn main() {
    let listener = std::net::TcpListener::bind(("127.0.0.1", common::port(3001)))
        .unwrap_or_else(|err| common::fail(&format!("cannot listen: {err}")));
    let (base, setup) = common::start(listener.local_addr()).await;
    let authenticator = Authenticator::new(setup.verifier);
    let (revocations, sign_in) = (setup.revocations, setup.sign_in);
    let server = HttpServer::new(move || {
        App::new().configure(routes(
            authenticator.clone(),
            revocations.clone(),
            sign_in.clone(),
        ))
    })
    .workers(2)
    .listen(listener)
    .unwrap_or_else(|err| common::fail(&format!("cannot listen: {err}")));
    println!("listening on {base}");
    if let Err(err) = server.run().await {
        common::fail(&format!("server failed: {err}"));
    }
}
