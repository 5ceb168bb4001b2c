//! gRPC end to end: a tonic server on loopback with the `GrpcAuthLayer`
//! in front of the example's `demo.Greeter`, and a real tonic client.

mod common;
#[path = "../examples/grpc/greeter.rs"]
mod greeter;

use std::time::Duration;

use cognito_auth::Requirement;
use cognito_auth::testing::{JwksBehavior, MockPool};
use cognito_auth::tonic::GrpcAuthLayer;
use cognito_auth::web::{Authenticator, Guard};
use greeter::{ADMIN_GROUP, GreeterServer, REPORT, REPORTS_SCOPE, SAY_HELLO, STATS};
use tonic::Code;
use tonic::transport::Channel;

/// A server with `authenticator`, the `Stats` guard, and a client channel.
async fn serve(authenticator: Authenticator) -> Channel {
    let layer = GrpcAuthLayer::new(authenticator)
        .require(STATS, Guard::groups(Requirement::any_of([ADMIN_GROUP])));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(layer)
            .add_service(GreeterServer)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn authenticator(pool: &MockPool) -> Authenticator {
    Authenticator::new(common::access_verifier(pool))
}

fn code(outcome: Result<String, tonic::Status>) -> Code {
    match outcome {
        Ok(message) => panic!("expected a refusal, got {message:?}"),
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn calls_are_verified_and_refused_with_grpc_statuses() {
    let pool = MockPool::start().await.unwrap();
    let channel = serve(authenticator(&pool)).await;
    let call = |path, token: Option<String>| {
        let channel = channel.clone();
        async move { greeter::call(channel, path, "you", token.as_deref()).await }
    };
    let alice = pool
        .access_token()
        .username("alice")
        .groups([ADMIN_GROUP])
        .scopes([REPORTS_SCOPE])
        .sign()
        .unwrap();
    let bob = pool.access_token().username("bob").sign().unwrap();

    // The claims reach the service.
    assert_eq!(
        call(SAY_HELLO, Some(alice.clone())).await.unwrap(),
        "Hello you, you are alice"
    );
    assert_eq!(
        call(STATS, Some(alice.clone())).await.unwrap(),
        "alice may see the stats"
    );
    assert_eq!(
        call(REPORT, Some(alice.clone())).await.unwrap(),
        "a report for alice"
    );
    assert_eq!(
        call(SAY_HELLO, Some(bob.clone())).await.unwrap(),
        "Hello you, you are bob"
    );

    // Guards: on the layer (Stats) and in the method (Report).
    for path in [STATS, REPORT] {
        let refused = call(path, Some(bob.clone())).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{path}");
        assert_eq!(i32::from(refused.code()), 7);
        assert!(!refused.message().contains(&bob), "no token in the message");
    }

    // No token, a garbled one, an expired one, another pool's.
    let missing = call(SAY_HELLO, None).await.unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
    assert_eq!(i32::from(missing.code()), 16);
    assert_eq!(code(call(STATS, None).await), Code::Unauthenticated);
    assert_eq!(
        code(call(SAY_HELLO, Some("not-a-jwt".into())).await),
        Code::Unauthenticated
    );
    let expired = pool
        .access_token()
        .username("alice")
        .lifetime(Duration::ZERO)
        .sign()
        .unwrap();
    let refused = call(SAY_HELLO, Some(expired.clone())).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert_eq!(refused.message(), "the token has expired");
    let other = MockPool::start().await.unwrap();
    let foreign = other.access_token().username("mallory").sign().unwrap();
    assert_eq!(
        code(call(SAY_HELLO, Some(foreign)).await),
        Code::Unauthenticated
    );
}

#[tokio::test]
async fn keys_that_cannot_be_had_are_unavailable() {
    let pool = MockPool::start().await.unwrap();
    let token = pool.access_token().username("alice").sign().unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(500));
    let channel = serve(authenticator(&pool)).await;
    let refused = greeter::call(channel, SAY_HELLO, "you", Some(&token))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable);
    assert_eq!(i32::from(refused.code()), 14);
    assert!(!refused.message().contains(&token));
}

#[tokio::test]
async fn an_optional_layer_lets_anonymous_calls_reach_unguarded_methods_only() {
    let pool = MockPool::start().await.unwrap();
    let channel = serve(authenticator(&pool).optional()).await;
    // SayHello reads the token itself: anonymous is UNAUTHENTICATED there.
    let anonymous = greeter::call(channel.clone(), SAY_HELLO, "you", None)
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    // The guarded method is refused by the layer before the service.
    assert_eq!(
        code(greeter::call(channel, STATS, "you", None).await),
        Code::Unauthenticated
    );
}
