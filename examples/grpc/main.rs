//! A gRPC service behind the crate's `GrpcAuthLayer`, on the built-in
//! testing pool: `cargo run --example grpc --features tonic,testing`.
//!
//! `demo.Greeter/SayHello` takes any signed-in caller, `Stats` needs the
//! group `admin` (a guard on the layer), `Report` the scope
//! `api/reports.read` (checked in the method). The example starts the
//! server, prints sample tokens, then calls each method as alice (admin)
//! and bob (no groups) and without a token, and prints what came back.

mod greeter;

use cognito_auth::testing::MockPool;
use cognito_auth::tonic::GrpcAuthLayer;
use cognito_auth::web::{Authenticator, Guard};
use cognito_auth::{Requirement, TokenUse, Verifier};
use greeter::{ADMIN_GROUP, GreeterServer, REPORT, REPORTS_SCOPE, SAY_HELLO, STATS};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = MockPool::start().await?;
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Access)
                .client_id(pool.client_id()),
        )
        .build()?;
    let layer = GrpcAuthLayer::new(Authenticator::new(verifier))
        .require(STATS, Guard::groups(Requirement::any_of([ADMIN_GROUP])));

    let port = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(50051);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    let server = tonic::transport::Server::builder()
        .layer(layer)
        .add_service(GreeterServer)
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);

    let alice = pool
        .access_token()
        .username("alice")
        .groups([ADMIN_GROUP])
        .scopes([REPORTS_SCOPE])
        .sign()?;
    let bob = pool.access_token().username("bob").sign()?;
    println!(
        "gRPC on {address}; demo.Greeter/SayHello, /Stats (group admin), /Report (scope {REPORTS_SCOPE})"
    );
    println!("export ALICE_TOKEN='{alice}'");
    println!("export BOB_TOKEN='{bob}'");
    println!();

    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))?
        .connect()
        .await?;
    for (who, token) in [
        ("alice", Some(alice.as_str())),
        ("bob", Some(bob.as_str())),
        ("nobody", None),
    ] {
        for path in [SAY_HELLO, STATS, REPORT] {
            let outcome = match greeter::call(channel.clone(), path, who, token).await {
                Ok(message) => format!("OK: {message}"),
                Err(status) => format!(
                    "{:?} ({}): {}",
                    status.code(),
                    i32::from(status.code()),
                    status.message()
                ),
            };
            println!("{who:>6} {path:<24} {outcome}");
        }
    }
    if std::env::var("GRPC_SERVE").is_ok() {
        println!("serving until interrupted (GRPC_SERVE is set)");
        tokio::signal::ctrl_c().await?;
    }
    Ok(())
}
