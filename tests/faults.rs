//! Fault injection: a JWKS server that misbehaves in every way the fetcher
//! can meet. For each fault: tokens whose key is cached keep verifying;
//! verification that needs a fetch fails with the right kind within the
//! timeout; the server sees no more requests than the cooldown and backoff
//! allow; no body is read past the cap.

mod common;

use std::time::{Duration, Instant};

use cognito_auth::testing::{JwksBehavior, MockPool};
use cognito_auth::{TokenUse, Verifier, VerifierBuilder};
use common::builder;

const TIMEOUT: Duration = Duration::from_millis(500);
const MIB: usize = 1024 * 1024;

fn faults() -> Vec<(&'static str, JwksBehavior, &'static str)> {
    vec![
        (
            "refused connections",
            JwksBehavior::RefuseConnections,
            "jwks_unavailable",
        ),
        (
            "reset mid-body",
            JwksBehavior::ResetMidBody,
            "jwks_unavailable",
        ),
        (
            "stall after headers",
            JwksBehavior::StallAfterHeaders(Duration::from_secs(5)),
            "jwks_unavailable",
        ),
        (
            "10 MiB body, declared",
            JwksBehavior::Huge {
                bytes: 10 * MIB,
                declare_length: true,
            },
            "jwks_unavailable",
        ),
        (
            "10 MiB body, chunked",
            JwksBehavior::Huge {
                bytes: 10 * MIB,
                declare_length: false,
            },
            "jwks_unavailable",
        ),
        (
            "invalid UTF-8",
            JwksBehavior::Body {
                status: 200,
                content_type: "application/json".into(),
                body: vec![0xff, 0xfe, b'{', 0x80],
            },
            "jwks_unavailable",
        ),
        (
            "HTML",
            JwksBehavior::Body {
                status: 200,
                content_type: "text/html".into(),
                body: b"<html><body>Service Unavailable</body></html>".to_vec(),
            },
            "jwks_unavailable",
        ),
        (
            "an empty key list",
            JwksBehavior::Body {
                status: 200,
                content_type: "application/json".into(),
                body: br#"{"keys":[]}"#.to_vec(),
            },
            // A cold cache learns that the kid is in no key.
            "unknown_kid",
        ),
        ("500", JwksBehavior::Status(500), "jwks_unavailable"),
        ("429", JwksBehavior::Status(429), "jwks_unavailable"),
        (
            "302",
            JwksBehavior::Redirect("https://elsewhere.example.com/jwks.json".into()),
            "jwks_unavailable",
        ),
    ]
}

fn tuned(pool: &MockPool) -> VerifierBuilder {
    builder(pool, TokenUse::Access)
        .fetch_timeout(TIMEOUT)
        .jwks_ttl(Duration::from_millis(200))
        .kid_miss_cooldown(Duration::from_millis(300))
        .fetch_backoff(Duration::from_millis(100), Duration::from_millis(400))
}

#[tokio::test]
async fn cached_keys_keep_verifying_through_every_fault() {
    for (name, fault, _) in faults() {
        let pool = MockPool::start().await.unwrap();
        let verifier = tuned(&pool).no_verified_token_cache().build().unwrap();
        let token = pool.access_token().sign().unwrap();
        verifier.verify(&token).await.unwrap();
        pool.set_jwks_behavior(fault);
        // For 1.2 s the set goes stale again and again; every background
        // refresh fails; every verification is still answered from cache.
        let started = Instant::now();
        let mut verified = 0;
        while started.elapsed() < Duration::from_millis(1200) {
            let call = Instant::now();
            verifier
                .verify(&token)
                .await
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            assert!(
                call.elapsed() < Duration::from_millis(100),
                "{name}: a verification waited"
            );
            verified += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(verified > 20, "{name}");
        // TTL 200 ms, then 100/200/400 ms backoff: a handful of refreshes.
        let requests = pool.jwks_requests();
        assert!((2..=9).contains(&requests), "{name}: {requests} requests");
    }
}

#[tokio::test]
async fn fetches_fail_with_the_right_kind_within_the_timeout() {
    for (name, fault, kind) in faults() {
        let pool = MockPool::start().await.unwrap();
        pool.set_jwks_behavior(fault);
        let verifier = tuned(&pool).build().unwrap();
        let token = pool.access_token().sign().unwrap();
        let started = Instant::now();
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{name}: {err}");
        assert!(
            started.elapsed() < TIMEOUT + Duration::from_millis(500),
            "{name}: took {:?}",
            started.elapsed()
        );
        let message = err.to_string();
        assert!(
            !message.contains(&token),
            "{name}: the error echoes the token"
        );
    }
}

#[tokio::test]
async fn an_outage_stays_within_the_backoff_budget() {
    for (name, fault, _) in faults() {
        let pool = MockPool::start().await.unwrap();
        pool.set_jwks_behavior(fault);
        let verifier = tuned(&pool)
            .fetch_timeout(Duration::from_millis(150))
            .build()
            .unwrap();
        let token = pool.access_token().sign().unwrap();
        let started = Instant::now();
        let mut attempts = 0;
        while started.elapsed() < Duration::from_millis(1500) {
            let _ = verifier.verify(&token).await;
            attempts += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // 1.5 s of verifications: 100, 200, 400, 400 ms apart (plus the time
        // each failing attempt takes) is at most 6 fetches, and one retry
        // per connection failure.
        let requests = pool.jwks_requests();
        assert!(attempts > 20, "{name}");
        assert!(
            requests <= 12,
            "{name}: {requests} requests for {attempts} verifications"
        );
    }
}

#[tokio::test]
async fn no_body_is_read_past_the_cap() {
    for declare_length in [true, false] {
        let pool = MockPool::start().await.unwrap();
        pool.set_jwks_behavior(JwksBehavior::Huge {
            bytes: 10 * MIB,
            declare_length,
        });
        let verifier = tuned(&pool).max_jwks_bytes(64 * 1024).build().unwrap();
        let err = verifier
            .verify(&pool.access_token().sign().unwrap())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("65536"), "{err}");
        // Give the server a moment to notice the closed connection.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = pool.bytes_sent() as usize;
        // What the kernel buffers may get out; never the whole body.
        assert!(
            sent < 10 * MIB / 2,
            "{sent} bytes sent (declared length: {declare_length})"
        );
    }
}

#[tokio::test]
async fn rotation_and_removal_on_a_live_server() {
    let pool = MockPool::start().await.unwrap();
    let verifier: Verifier = tuned(&pool).build().unwrap();
    let before = pool.access_token().sign().unwrap();
    verifier.verify(&before).await.unwrap();
    // Rotation: the old keys leave, new ones arrive.
    pool.rotate_keys().unwrap();
    let after = pool.access_token().sign().unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await; // past the cooldown
    verifier.verify(&after).await.unwrap();
    assert_eq!(
        verifier.verify(&before).await.unwrap_err().kind(),
        "unknown_kid"
    );
    // Removal: a key that leaves takes its tokens with it at the next refresh.
    let kid = cognito_auth::decode_unverified(&after).unwrap().header["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    pool.remove_key(&kid);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match verifier.verify(&after).await {
            Err(err) => {
                assert_eq!(err.kind(), "unknown_kid");
                break;
            }
            Ok(_) => {
                assert!(Instant::now() < deadline, "the removed key kept verifying");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}
