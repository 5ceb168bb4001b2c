//! The revocation list on a real redis-server: several instances (each
//! with its own connection and mirror) see each other's revocations within
//! a second; Redis killed and restarted mid-run; failing closed.

mod common;
mod redis_server;

use std::time::{Duration, Instant};

use cognito_auth::redis::Redis;
use cognito_auth::revocation::{RedisStore, RevocationList};
use cognito_auth::testing::MockPool;
use cognito_auth::{TokenUse, Verifier};
use common::pool_config;
use redis_server::RedisServer;

/// One instance: its own connection, list and verifier.
struct Instance {
    list: RevocationList,
    verifier: Verifier,
}

fn instance(server: &RedisServer, pool: &MockPool, prefix: &str) -> Instance {
    instance_with(server, pool, prefix, |builder| builder)
}

fn instance_with(
    server: &RedisServer,
    pool: &MockPool,
    prefix: &str,
    configure: impl FnOnce(
        cognito_auth::revocation::RevocationListBuilder,
    ) -> cognito_auth::revocation::RevocationListBuilder,
) -> Instance {
    let redis = Redis::builder(server.url())
        .prefix(prefix)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let list = configure(RevocationList::builder(RedisStore::new(redis)))
        .resync_every(Duration::from_secs(1))
        .start()
        .unwrap();
    let verifier = Verifier::builder()
        .cognito(pool_config(pool).token_use(TokenUse::Access))
        .revocation_list(list.clone())
        .build()
        .unwrap();
    Instance { list, verifier }
}

async fn eventually(
    what: &str,
    within: Duration,
    mut condition: impl AsyncFnMut() -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        if condition().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn is_revoked(instance: &Instance, token: &str) -> bool {
    matches!(instance.verifier.verify(token).await, Err(err) if err.kind() == "revoked")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_reaches_every_instance_within_a_second() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let pool = MockPool::start().await.unwrap();
    let (a, b) = (
        instance(&server, &pool, "t1"),
        instance(&server, &pool, "t1"),
    );
    for one in [&a, &b] {
        one.list.ready(Duration::from_secs(5)).await.unwrap();
    }
    let token = pool
        .access_token()
        .claim("origin_jti", "s-1")
        .sign()
        .unwrap();
    let other = pool
        .access_token()
        .claim("origin_jti", "s-2")
        .sign()
        .unwrap();
    a.verifier.verify(&token).await.unwrap();
    b.verifier.verify(&token).await.unwrap(); // cached on b
    let verified = a.verifier.verify(&token).await.unwrap();
    a.list.revoke_session_of(&verified).await.unwrap();
    assert!(is_revoked(&a, &token).await, "at once where it was written");
    let took = eventually(
        "b refuses the revoked session",
        Duration::from_secs(1),
        async || is_revoked(&b, &token).await,
    )
    .await;
    eprintln!("propagated in {took:?}");
    b.verifier.verify(&other).await.unwrap();
    // A third instance started later reads it from Redis.
    let c = instance(&server, &pool, "t1");
    c.list.ready(Duration::from_secs(5)).await.unwrap();
    assert!(is_revoked(&c, &token).await);
    // Another prefix is another list.
    let d = instance(&server, &pool, "other-app");
    d.list.ready(Duration::from_secs(5)).await.unwrap();
    d.verifier.verify(&token).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_cutoffs_only_grow_whoever_writes_them() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let pool = MockPool::start().await.unwrap();
    let (a, b) = (
        instance(&server, &pool, "t2"),
        instance(&server, &pool, "t2"),
    );
    a.list.ready(Duration::from_secs(5)).await.unwrap();
    b.list.ready(Duration::from_secs(5)).await.unwrap();
    let now = a.list.now();
    a.list
        .revoke_user(pool.issuer(), "u", now - 10)
        .await
        .unwrap();
    b.list
        .revoke_user(pool.issuer(), "u", now - 100)
        .await
        .unwrap();
    let fresh = instance(&server, &pool, "t2");
    fresh.list.ready(Duration::from_secs(5)).await.unwrap();
    let token = |iat: i64| {
        pool.access_token()
            .subject("u")
            .issued_at(iat)
            .expires_at(now + 600)
            .sign()
            .unwrap()
    };
    for one in [&a, &b, &fresh] {
        assert!(
            is_revoked(one, &token(now - 50)).await,
            "the later cut-off holds"
        );
        one.verifier.verify(&token(now - 9)).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_mid_run() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let pool = MockPool::start().await.unwrap();
    let (a, b) = (
        instance(&server, &pool, "t3"),
        instance(&server, &pool, "t3"),
    );
    a.list.ready(Duration::from_secs(5)).await.unwrap();
    b.list.ready(Duration::from_secs(5)).await.unwrap();
    let before = pool
        .access_token()
        .claim("origin_jti", "before")
        .sign()
        .unwrap();
    let bystander = pool
        .access_token()
        .claim("origin_jti", "bystander")
        .sign()
        .unwrap();
    a.list
        .revoke_session(pool.issuer(), "before")
        .await
        .unwrap();
    eventually(
        "b sees the first revocation",
        Duration::from_secs(1),
        async || is_revoked(&b, &before).await,
    )
    .await;

    server.kill();
    eventually("b notices the outage", Duration::from_secs(5), async || {
        !b.list.status().live
    })
    .await;
    // Known revocations still enforced, everyone else still served.
    for one in [&a, &b] {
        assert!(is_revoked(one, &before).await);
        one.verifier.verify(&bystander).await.unwrap();
    }
    // Writing while Redis is down fails loudly and records nothing.
    let started = Instant::now();
    let err = a
        .list
        .revoke_session(pool.issuer(), "during")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "revocation_unavailable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let during = pool
        .access_token()
        .claim("origin_jti", "during")
        .sign()
        .unwrap();
    a.verifier.verify(&during).await.unwrap();

    server.restart();
    for one in [&a, &b] {
        eventually(
            "back in step within 5 s",
            Duration::from_secs(5),
            async || one.list.status().live,
        )
        .await;
    }
    // Nothing was lost across the restart (append-only file).
    let fresh = instance(&server, &pool, "t3");
    fresh.list.ready(Duration::from_secs(5)).await.unwrap();
    assert!(is_revoked(&fresh, &before).await);
    // New revocations propagate again.
    let after = pool
        .access_token()
        .claim("origin_jti", "after")
        .sign()
        .unwrap();
    b.list.revoke_session(pool.issuer(), "after").await.unwrap();
    eventually(
        "a sees a revocation made after the restart",
        Duration::from_secs(1),
        async || is_revoked(&a, &after).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_fails_closed_refuses_once_stale() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let pool = MockPool::start().await.unwrap();
    let strict = instance_with(&server, &pool, "t4", |builder| {
        builder.fail_closed_after(Duration::from_secs(1))
    });
    strict.list.ready(Duration::from_secs(5)).await.unwrap();
    let token = pool.access_token().sign().unwrap();
    strict.verifier.verify(&token).await.unwrap();
    server.kill();
    eventually("stale beyond the bound", Duration::from_secs(5), async || {
        matches!(strict.verifier.verify(&token).await, Err(err) if err.kind() == "revocation_unavailable")
    })
    .await;
    server.restart();
    eventually("serving again", Duration::from_secs(5), async || {
        strict.verifier.verify(&token).await.is_ok()
    })
    .await;
}
