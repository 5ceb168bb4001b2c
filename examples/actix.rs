//! An actix-web API protected by Cognito tokens.
//!
//! ```text
//! cargo run --example actix --features actix,testing
//! ```
//!
//! With no `COGNITO_*` variables set it starts the built-in testing pool and
//! prints sample tokens and curl commands; otherwise it reads
//! `COGNITO_USER_POOL_ID` or `COGNITO_ISSUER`, `COGNITO_CLIENT_ID`
//! (comma-separated) and, optionally, `COGNITO_JWKS_URI`. With
//! `COGNITO_REDIS_URL` the revocation list (`POST /logout`) lives in that
//! Redis, shared by every instance; otherwise in memory. Port: `PORT`
//! (default 3001).

mod common;

use actix_web::{App, HttpServer};
use cognito_auth::web::Authenticator;
use common::actix_routes::routes;

#[actix_web::main]
async fn main() {
    let setup = common::setup().await;
    let authenticator = Authenticator::new(setup.verifier);
    let revocations = setup.revocations;
    let server = HttpServer::new(move || {
        App::new().configure(routes(authenticator.clone(), revocations.clone()))
    })
    .workers(2)
    .bind(("127.0.0.1", common::port(3001)))
    .unwrap_or_else(|err| common::fail(&format!("cannot listen: {err}")));
    let Some(address) = server.addrs().first().copied() else {
        common::fail("no listening address")
    };
    let base = format!("http://{address}");
    if let Some(pool) = &setup.pool {
        common::print_samples(pool, &base);
    }
    println!("listening on {base}");
    if let Err(err) = server.run().await {
        common::fail(&format!("server failed: {err}"));
    }
}
