//! The JWKS cache against a real loopback JWKS server: request counts are
//! what the server saw.

mod common;

use std::time::{Duration, Instant};

use cognito_auth::testing::{JwksBehavior, MockPool, SigningKey};
use cognito_auth::{Algorithm, CognitoPool, TokenUse, Verifier, decode_unverified};
use common::{builder, kind_of};

fn quick(pool: &MockPool) -> cognito_auth::VerifierBuilder {
    builder(pool, TokenUse::Access)
        .kid_miss_cooldown(Duration::from_millis(300))
        .fetch_backoff(Duration::from_millis(100), Duration::from_millis(400))
        .fetch_timeout(Duration::from_millis(500))
}

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fetch_for_100_concurrent_cold_verifications() {
    let pool = MockPool::start().await.unwrap();
    // A slow JWKS makes every verification arrive while the fetch is in flight.
    pool.set_jwks_behavior(JwksBehavior::Stall(Duration::from_millis(200)));
    let verifier = common::access_verifier(&pool);
    let token = pool.access_token().sign().unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let verifier = verifier.clone();
            let token = token.clone();
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(pool.jwks_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    let pool = MockPool::start().await.unwrap();
    let verifier = quick(&pool).build().unwrap();
    let known = pool.access_token().sign().unwrap();
    verifier.verify(&known).await.unwrap();
    assert_eq!(pool.jwks_requests(), 1);

    // Within the cooldown of the first fetch, unknown kids fail at once.
    let started = Instant::now();
    for n in 0..50 {
        let token = pool
            .access_token()
            .header("kid", format!("bogus-{n}"))
            .sign()
            .unwrap();
        assert_eq!(kind_of(&verifier, &token).await, "unknown_kid");
        verifier.verify(&known).await.unwrap();
    }
    // At most one refetch per started cooldown window.
    let windows = 1 + started.elapsed().as_millis() as u64 / 300;
    let refetches = pool.jwks_requests() - 1;
    assert!(
        refetches <= windows,
        "{refetches} refetches in {windows} windows"
    );

    // After the cooldown, one unknown kid triggers one refetch; a flood of
    // them at the same moment still makes only one.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let before = pool.jwks_requests();
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let verifier = verifier.clone();
            let token = pool
                .access_token()
                .header("kid", format!("flood-{n}"))
                .sign()
                .unwrap();
            tokio::spawn(async move { verifier.verify(&token).await.unwrap_err().kind() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), "unknown_kid");
    }
    assert_eq!(pool.jwks_requests(), before + 1);
}

#[tokio::test]
async fn a_new_kid_is_found_by_refetching_after_the_cooldown() {
    let pool = MockPool::start().await.unwrap();
    let verifier = quick(&pool)
        .kid_miss_cooldown(Duration::from_secs(2))
        .build()
        .unwrap();
    verifier
        .verify(&pool.access_token().sign().unwrap())
        .await
        .unwrap();
    let (_, new_access_kid) = pool.rotate_keys().unwrap();
    let fresh = pool.access_token().sign().unwrap();
    // Still inside the cooldown of the first fetch: unknown, no fetch.
    assert_eq!(kind_of(&verifier, &fresh).await, "unknown_kid");
    assert_eq!(pool.jwks_requests(), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let verified = verifier.verify(&fresh).await.unwrap();
    assert_eq!(verified.kid(), new_access_kid);
    assert_eq!(pool.jwks_requests(), 2);
}

#[tokio::test]
async fn an_outage_backs_off_instead_of_fetching_per_request() {
    let pool = MockPool::start().await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(500));
    let verifier = quick(&pool).build().unwrap();
    let token = pool.access_token().sign().unwrap();
    let started = Instant::now();
    let mut verifications = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err.kind(), "jwks_unavailable");
        verifications += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let fetches = pool.jwks_requests();
    // Backoff 100, 200, 400, 400, ... ms: about 5 attempts in 1.5 s.
    assert!(verifications > 100, "{verifications}");
    assert!(
        (3..=8).contains(&fetches),
        "{fetches} fetches for {verifications} verifications"
    );

    // The IdP recovers: after the current delay, verification works again.
    pool.set_jwks_behavior(JwksBehavior::Serve);
    tokio::time::sleep(Duration::from_millis(450)).await;
    verifier.verify(&token).await.unwrap();
}

#[tokio::test]
async fn cached_keys_keep_serving_when_a_refresh_fails() {
    let pool = MockPool::start().await.unwrap();
    let verifier = quick(&pool)
        .jwks_ttl(Duration::from_millis(200))
        .build()
        .unwrap();
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(503));
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Stale: this verification starts a background refresh and is not held up.
    verifier.verify(&token).await.unwrap();
    wait_for("the refresh attempt", || pool.jwks_requests() == 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..20 {
        verifier.verify(&token).await.unwrap();
    }
    // The failed refresh backs off: no refresh per request.
    assert!(pool.jwks_requests() <= 3, "{}", pool.jwks_requests());
}

#[tokio::test]
async fn a_successful_refresh_drops_removed_keys() {
    let pool = MockPool::start().await.unwrap();
    let verifier = quick(&pool)
        .jwks_ttl(Duration::from_millis(200))
        .build()
        .unwrap();
    let old = pool.access_token().sign().unwrap();
    verifier.verify(&old).await.unwrap();
    pool.rotate_keys().unwrap();
    let new = pool.access_token().sign().unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    // The refresh runs in the background; this call is answered from cache.
    verifier.verify(&old).await.unwrap();
    wait_for("the refresh", || pool.jwks_requests() == 2).await;
    let old_kid = decode_unverified(&old).unwrap().header["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for("the new keys", || {
        let cached = verifier.cached_kids(pool.issuer());
        cached.len() == 2 && !cached.contains(&old_kid)
    })
    .await;
    assert_eq!(kind_of(&verifier, &old).await, "unknown_kid");
    verifier.verify(&new).await.unwrap();
}

#[tokio::test]
async fn fetch_failures_are_jwks_unavailable_with_a_reason() {
    let cases: Vec<(JwksBehavior, usize, &str)> = vec![
        (JwksBehavior::Status(500), 256 * 1024, "HTTP status 500"),
        (
            JwksBehavior::Body {
                status: 200,
                content_type: "text/html".into(),
                body: b"<html><body>Oops</body></html>".to_vec(),
            },
            256 * 1024,
            "not JSON",
        ),
        (
            JwksBehavior::Body {
                status: 200,
                content_type: "application/json".into(),
                body: br#"{"issuer":"x"}"#.to_vec(),
            },
            256 * 1024,
            "not a JWKS",
        ),
        (
            JwksBehavior::Body {
                status: 200,
                content_type: "application/json".into(),
                body: format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(300 * 1024)).into_bytes(),
            },
            256 * 1024,
            "more than the 262144 allowed",
        ),
        (
            JwksBehavior::Body {
                status: 200,
                content_type: "application/json".into(),
                body: format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(2000)).into_bytes(),
            },
            1000,
            "more than the 1000 allowed",
        ),
        (
            JwksBehavior::Stall(Duration::from_secs(3)),
            256 * 1024,
            "no complete answer within 500 ms",
        ),
    ];
    for (behavior, cap, reason) in cases {
        let pool = MockPool::start().await.unwrap();
        pool.set_jwks_behavior(behavior.clone());
        let verifier = quick(&pool).max_jwks_bytes(cap).build().unwrap();
        let token = pool.access_token().sign().unwrap();
        let started = Instant::now();
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err.kind(), "jwks_unavailable", "{behavior:?}: {err}");
        assert!(err.to_string().contains(reason), "{behavior:?}: {err}");
        assert!(err.to_string().contains(pool.jwks_uri()), "{err}");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{behavior:?}"
        );
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let pool = MockPool::start().await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Redirect(format!(
        "{}?followed=1",
        pool.jwks_uri()
    )));
    let verifier = quick(&pool).build().unwrap();
    let token = pool.access_token().sign().unwrap();
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "jwks_unavailable");
    assert!(err.to_string().contains("302"), "{err}");
    assert!(err.to_string().contains("not followed"), "{err}");
    assert_eq!(pool.jwks_requests(), 1, "the redirect target was requested");
}

#[tokio::test]
async fn a_refused_connection_is_jwks_unavailable() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let pool = MockPool::start().await.unwrap();
    let verifier = Verifier::builder()
        .cognito(
            CognitoPool::from_issuer(pool.issuer())
                .jwks_uri(format!("http://{closed}/jwks.json"))
                .token_use(TokenUse::Access)
                .any_client(),
        )
        .build()
        .unwrap();
    let err = verifier
        .verify(&pool.access_token().sign().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "jwks_unavailable");
    assert!(err.to_string().contains("connection failed"), "{err}");
}

#[tokio::test]
async fn hydrate_fetches_up_front_and_reports_failures() {
    let pool = MockPool::start().await.unwrap();
    let verifier = quick(&pool).build().unwrap();
    verifier.hydrate().await.unwrap();
    assert_eq!(pool.jwks_requests(), 1);
    verifier
        .verify(&pool.access_token().sign().unwrap())
        .await
        .unwrap();
    verifier
        .verify(&pool.id_token().sign().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        pool.jwks_requests(),
        1,
        "verification used the hydrated keys"
    );

    let down = MockPool::start().await.unwrap();
    down.set_jwks_behavior(JwksBehavior::Status(500));
    let verifier = quick(&down).build().unwrap();
    let err = verifier.hydrate().await.unwrap_err();
    assert_eq!(err.kind(), "jwks_unavailable");
    assert!(err.to_string().contains(down.jwks_uri()), "{err}");
}

#[tokio::test]
async fn keys_from_other_algorithms_coexist_in_one_set() {
    let pool = MockPool::start().await.unwrap();
    pool.add_key(SigningKey::generate(Algorithm::ES256).unwrap());
    let verifier = quick(&pool).build().unwrap();
    verifier.hydrate().await.unwrap();
    assert_eq!(verifier.cached_kids(pool.issuer()).len(), 3);
    verifier
        .verify(&pool.access_token().sign().unwrap())
        .await
        .unwrap();
}

/// Hardening round 2, item 4: a token whose (unverified) `iss` names no
/// configured issuer can only fail, so it fetches nothing — cold or warm,
/// whatever its `kid`, even with no kid-miss cooldown at all.
#[tokio::test]
async fn tokens_of_unconfigured_issuers_cause_no_fetch() {
    let pool = MockPool::start().await.unwrap();
    let verifier = builder(&pool, TokenUse::Access)
        .kid_miss_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    let stranger = SigningKey::generate(Algorithm::RS256).unwrap();
    let flood = |round: &str| -> Vec<String> {
        (0..200)
            .map(|n| {
                pool.access_token()
                    .claim("iss", format!("https://evil.example/{round}/{n}"))
                    .signed_by(&stranger.clone().with_kid(format!("{round}-{n}")))
                    .sign()
                    .unwrap()
            })
            .collect()
    };
    for token in flood("cold") {
        assert_eq!(kind_of(&verifier, &token).await, "invalid_issuer");
    }
    assert_eq!(pool.jwks_requests(), 0, "cold: nothing fetched");

    verifier.hydrate().await.unwrap();
    for token in flood("warm") {
        assert_eq!(kind_of(&verifier, &token).await, "invalid_issuer");
    }
    // A cached key is still tried: a token of the pool's own key but
    // another issuer is judged after its signature.
    let foreign_iss = pool
        .access_token()
        .claim("iss", "https://evil.example/pool-key")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &foreign_iss).await, "invalid_issuer");
    assert_eq!(pool.jwks_requests(), 1, "warm: only the hydrate fetch");

    // The configured issuer's unknown kids still refetch (no cooldown).
    let unknown = pool
        .access_token()
        .signed_by(&stranger.clone().with_kid("unknown-to-the-pool"))
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &unknown).await, "unknown_kid");
    assert_eq!(pool.jwks_requests(), 2);
}

/// Hardening round 2, item 5: knobs at their largest do not overflow an
/// `Instant` (the backoff after a failure, the TTL, the cooldown).
#[tokio::test]
async fn the_largest_durations_do_not_panic() {
    let pool = MockPool::start().await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(500));
    let verifier = builder(&pool, TokenUse::Access)
        .fetch_backoff(Duration::MAX, Duration::MAX)
        .jwks_ttl(Duration::MAX)
        .kid_miss_cooldown(Duration::MAX)
        .leeway(Duration::MAX)
        .fetch_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let token = pool.access_token().sign().unwrap();
    assert_eq!(kind_of(&verifier, &token).await, "jwks_unavailable");
    assert_eq!(kind_of(&verifier, &token).await, "jwks_unavailable");
    assert_eq!(pool.jwks_requests(), 1, "the second waits for the backoff");
    pool.set_jwks_behavior(JwksBehavior::Serve);
    let fresh = builder(&pool, TokenUse::Access)
        .jwks_ttl(Duration::MAX)
        .leeway(Duration::MAX)
        .build()
        .unwrap();
    let far_future = pool.access_token().expires_at(i64::MAX).sign().unwrap();
    assert!(fresh.verify(&far_future).await.is_ok());
    assert!(
        fresh.verify(&far_future).await.is_ok(),
        "and from the cache"
    );
}

/// Hardening round 2, item 9: a caller's own client may follow redirects;
/// the URL the answer finally came from must pass the same policy as a
/// configured one (here plain HTTP to a host that is not loopback by name).
#[tokio::test]
async fn a_redirect_followed_by_your_client_is_held_to_the_url_policy() {
    let pool = MockPool::start().await.unwrap();
    let elsewhere = MockPool::start().await.unwrap();
    let address: std::net::SocketAddr = elsewhere
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let target = elsewhere.jwks_uri().replace("127.0.0.1", "keys.example");
    pool.set_jwks_behavior(JwksBehavior::Redirect(target));
    let following = reqwest::Client::builder()
        .resolve("keys.example", address)
        .build()
        .unwrap();
    let verifier = quick(&pool).http_client(following).build().unwrap();
    let token = pool.access_token().sign().unwrap();
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "jwks_unavailable", "{err}");
    assert!(
        err.to_string()
            .contains("redirected to a URL that is refused"),
        "{err}"
    );
    assert_eq!(elsewhere.jwks_requests(), 1, "the redirect was followed");
}

/// Hardening round 2, item 9: a discovered `jwks_uri` is discovered again
/// when the key set's TTL passes, not kept for the life of the process;
/// a kid-miss refetch within the TTL reuses it.
#[tokio::test]
async fn the_jwks_uri_is_discovered_again_on_the_ttl() {
    let pool = MockPool::start().await.unwrap();
    // Everything slow (an RSA key, two tokens) is made before the TTL
    // starts to run, so that a slow machine cannot let it pass early.
    let stranger = SigningKey::generate(Algorithm::RS256).unwrap();
    let unknown = pool.id_token().signed_by(&stranger).sign().unwrap();
    let token = pool.id_token().sign().unwrap();
    let ttl = Duration::from_secs(2);
    let verifier = Verifier::builder()
        .oidc(
            cognito_auth::OidcIssuer::new(pool.issuer())
                .audience(pool.client_id())
                .algorithms([Algorithm::RS256]),
        )
        .jwks_ttl(ttl)
        .kid_miss_cooldown(Duration::ZERO)
        .build()
        .unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!((pool.discovery_requests(), pool.jwks_requests()), (1, 1));
    assert_eq!(kind_of(&verifier, &unknown).await, "unknown_kid");
    assert_eq!((pool.discovery_requests(), pool.jwks_requests()), (1, 2));
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    verifier.verify(&token).await.unwrap();
    wait_for("the refresh after the TTL", || pool.jwks_requests() == 3).await;
    assert_eq!(pool.discovery_requests(), 2);
}
