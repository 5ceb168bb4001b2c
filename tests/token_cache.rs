//! The verified-token cache: what it may answer, and what it must not.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::{
    Algorithm, CacheAdmission, TokenUse, Verifier, VerifierBuilder, decode_unverified,
};
use common::{builder, kind_of, now};

/// A verifier whose cache takes a token in at its first verification, so
/// that these tests see hits after one call (the default waits for the
/// second: see the last test).
fn eager(pool: &MockPool, token_use: TokenUse) -> VerifierBuilder {
    builder(pool, token_use).verified_token_cache_admission(CacheAdmission::FirstSighting)
}

fn kid_of(token: &str) -> String {
    decode_unverified(token).unwrap().header["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_verified_token_is_remembered_and_an_invalid_one_is_not() {
    let pool = MockPool::start().await.unwrap();
    let verifier = eager(&pool, TokenUse::Access).build().unwrap();
    let token = pool.access_token().sign().unwrap();
    let first = verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.cached_tokens(), 1);
    let second = verifier.verify(&token).await.unwrap();
    assert_eq!(first.claims(), second.claims());

    for bad in [
        pool.access_token().client_id("other").sign().unwrap(),
        pool.id_token().sign().unwrap(),
        pool.access_token().expires_at(now() - 10).sign().unwrap(),
        "x.y.z".to_owned(),
    ] {
        verifier.verify(&bad).await.unwrap_err();
        verifier.verify(&bad).await.unwrap_err();
    }
    assert_eq!(verifier.cached_tokens(), 1, "failures are never cached");
}

#[tokio::test]
async fn a_token_sharing_the_signature_of_a_cached_one_is_not_it() {
    let pool = MockPool::start().await.unwrap();
    let verifier = eager(&pool, TokenUse::Access).build().unwrap();
    let token = pool.access_token().groups(["user"]).sign().unwrap();
    verifier.verify(&token).await.unwrap();
    // Same signature (the hashed tail), another payload: the whole token
    // is the key, so this is a miss and fails verification.
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["cognito:groups"] = serde_json::json!(["admin"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_eq!(kind_of(&verifier, &forged).await, "invalid_signature");
    // The cached token still verifies as itself.
    let again = verifier.verify(&token).await.unwrap();
    assert_eq!(again.groups().as_slice(), ["user"]);
}

#[tokio::test]
async fn an_entry_never_outlives_the_token() {
    let pool = MockPool::start().await.unwrap();
    let start = now();
    let clock = Arc::new(AtomicI64::new(start));
    let verifier = {
        let clock = clock.clone();
        eager(&pool, TokenUse::Access)
            .clock(move || clock.load(Ordering::SeqCst))
            .build()
            .unwrap()
    };
    // `exp` from the test's clock, not the signer's: a second may tick
    // between the two readings.
    let token = pool.access_token().expires_at(start + 60).sign().unwrap();
    verifier.verify(&token).await.unwrap();
    clock.fetch_add(59, Ordering::SeqCst);
    verifier.verify(&token).await.unwrap();
    clock.fetch_add(2, Ordering::SeqCst);
    assert_eq!(kind_of(&verifier, &token).await, "expired");

    // Real time: a token with two seconds to live leaves the cache.
    let real = eager(&pool, TokenUse::Access).build().unwrap();
    let short = pool
        .access_token()
        .lifetime(Duration::from_secs(2))
        .sign()
        .unwrap();
    real.verify(&short).await.unwrap();
    assert_eq!(real.cached_tokens(), 1);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(kind_of(&real, &short).await, "expired");
    assert_eq!(real.cached_tokens(), 0);
}

#[tokio::test]
async fn a_key_leaving_the_jwks_takes_its_tokens_with_it() {
    let pool = MockPool::start().await.unwrap();
    let verifier = eager(&pool, TokenUse::Access)
        .jwks_ttl(Duration::from_millis(200))
        .kid_miss_cooldown(Duration::from_secs(30))
        .build()
        .unwrap();
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
    pool.remove_key(&kid_of(&token));
    tokio::time::sleep(Duration::from_millis(250)).await;
    // This hit notices the stale set and starts the refresh; it is still
    // answered from the old keys.
    verifier.verify(&token).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while verifier
        .cached_kids(pool.issuer())
        .contains(&kid_of(&token))
    {
        assert!(Instant::now() < deadline, "the refresh did not land");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(kind_of(&verifier, &token).await, "unknown_kid");
}

#[tokio::test]
async fn a_key_replaced_under_the_same_kid_invalidates_its_tokens() {
    let pool = MockPool::start().await.unwrap();
    let verifier = eager(&pool, TokenUse::Access)
        .jwks_ttl(Duration::from_millis(200))
        .build()
        .unwrap();
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
    let kid = kid_of(&token);
    pool.remove_key(&kid);
    pool.add_key(
        SigningKey::generate(Algorithm::RS256)
            .unwrap()
            .with_kid(&kid),
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    verifier.verify(&token).await.unwrap(); // starts the refresh
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match verifier.verify(&token).await {
            Err(err) => {
                assert_eq!(err.kind(), "invalid_signature");
                break;
            }
            Ok(_) => {
                assert!(Instant::now() < deadline, "the new key never took over");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

#[tokio::test]
async fn the_custom_check_runs_on_every_hit() {
    let pool = MockPool::start().await.unwrap();
    let suspended = Arc::new(AtomicBool::new(false));
    let verifier = {
        let suspended = suspended.clone();
        eager(&pool, TokenUse::Access)
            .custom_check(move |_| {
                if suspended.load(Ordering::SeqCst) {
                    Err("tenant suspended")
                } else {
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
    suspended.store(true, Ordering::SeqCst);
    assert_eq!(kind_of(&verifier, &token).await, "custom");
}

#[tokio::test]
async fn the_cache_is_bounded_and_can_be_turned_off() {
    let pool = MockPool::start().await.unwrap();
    let small = eager(&pool, TokenUse::Access)
        .verified_token_cache(5, 1024 * 1024)
        .build()
        .unwrap();
    let off = eager(&pool, TokenUse::Access)
        .no_verified_token_cache()
        .build()
        .unwrap();
    for n in 0..40 {
        let token = pool
            .access_token()
            .username(format!("user{n}"))
            .sign()
            .unwrap();
        small.verify(&token).await.unwrap();
        off.verify(&token).await.unwrap();
    }
    let held = small.cached_tokens();
    assert!((1..=5).contains(&held), "{held} tokens held");
    assert_eq!(off.cached_tokens(), 0);
    // Bounded by bytes too: 4 KiB holds at most a couple of tokens.
    let tiny = eager(&pool, TokenUse::Access)
        .verified_token_cache(10_000, 4096)
        .build()
        .unwrap();
    for n in 0..20 {
        let token = pool
            .access_token()
            .username(format!("user{n}"))
            .sign()
            .unwrap();
        tiny.verify(&token).await.unwrap();
    }
    assert!(tiny.cached_tokens() <= 3, "{}", tiny.cached_tokens());
}

#[tokio::test]
async fn clones_share_one_cache() {
    let pool = MockPool::start().await.unwrap();
    let verifier: Verifier = eager(&pool, TokenUse::Access).build().unwrap();
    let clone = verifier.clone();
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(clone.cached_tokens(), 1);
}

#[tokio::test]
async fn by_default_a_token_is_taken_in_on_its_second_verification() {
    let pool = MockPool::start().await.unwrap();
    let verifier = builder(&pool, TokenUse::Access).build().unwrap();
    // A stream of tokens each seen once costs no insert.
    for n in 0..100 {
        let token = pool
            .access_token()
            .username(format!("user{n}"))
            .sign()
            .unwrap();
        verifier.verify(&token).await.unwrap();
    }
    assert_eq!(verifier.cached_tokens(), 0);
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.cached_tokens(), 0);
    verifier.verify(&token).await.unwrap();
    assert_eq!(verifier.cached_tokens(), 1, "the second sighting is cached");
    // A refused token never counts as a first sighting.
    let bad = pool.access_token().client_id("other").sign().unwrap();
    for _ in 0..3 {
        verifier.verify(&bad).await.unwrap_err();
    }
    assert_eq!(verifier.cached_tokens(), 1);
}
