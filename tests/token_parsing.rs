//! Untrusted parsing (stage 1-2): size, structure, base64url, claim types;
//! and what error messages may repeat of a token.
//!
//! Real tokens signed with real keys, keys served over loopback HTTP by
//! the testing pool.

mod common;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use cognito_auth::TokenUse;
use cognito_auth::testing::MockPool;
use common::{access_verifier, builder, kind_of};
use serde_json::json;

#[tokio::test]
async fn oversized_tokens_are_refused_before_parsing() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let huge = "a".repeat(1024 * 1024);
    let err = verifier.verify(&huge).await.unwrap_err();
    assert_eq!(err.kind(), "token_too_large");
    assert_eq!(
        err.to_string(),
        "token is 1048576 bytes, more than the 32768 allowed"
    );
    // A 1 MiB token that is otherwise valid is refused as well.
    let padded = pool
        .access_token()
        .claim("padding", "x".repeat(1024 * 1024))
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &padded).await, "token_too_large");
    assert_eq!(pool.jwks_requests(), 0, "no fetch for an oversized token");

    // The limit is a knob.
    let roomy = builder(&pool, TokenUse::Access)
        .max_token_bytes(2 * 1024 * 1024)
        .build()
        .unwrap();
    roomy.verify(&padded).await.unwrap();
    let tight = builder(&pool, TokenUse::Access)
        .max_token_bytes(100)
        .build()
        .unwrap();
    let normal = pool.access_token().sign().unwrap();
    assert_eq!(kind_of(&tight, &normal).await, "token_too_large");
}

// ---- step 2: structure ----------------------------------------------------

#[tokio::test]
async fn malformed_tokens() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let good = pool.access_token().sign().unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let reencode_padded = |segment: &str| URL_SAFE.encode(URL_SAFE_NO_PAD.decode(segment).unwrap());
    let mut cases = vec![
        String::new(),
        "not a token".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{good}.extra"),
        format!("{}.{}.", parts[0], parts[1]),
        // padded base64url
        format!("{}.{}.{}", parts[0], parts[1], reencode_padded(parts[2])),
        format!("{}.{}.{}", reencode_padded(parts[0]), parts[1], parts[2]),
        // standard alphabet instead of url-safe
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            parts[2].replace('-', "+").replace('_', "/") + "+"
        ),
        // whitespace
        format!(" {good}"),
        format!("{}.{} .{}", parts[0], parts[1], parts[2]),
        // header or payload not a JSON object
        format!("{}.{}.{}", URL_SAFE_NO_PAD.encode("[]"), parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode("\"x\""),
            parts[2]
        ),
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode("{"), parts[2]),
    ];
    // Non-canonical base64: the last character of the signature carries
    // unused bits; setting one gives the same bytes under a lax decoder.
    let signature = parts[2];
    let last = signature.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let lax = alphabet.chars().nth(index | 1).unwrap();
    assert_ne!(lax, last, "a 2048-bit signature leaves unused bits");
    cases.push(format!(
        "{}.{}.{}{lax}",
        parts[0],
        parts[1],
        &signature[..signature.len() - 1]
    ));
    for case in cases {
        let err = verifier.verify(&case).await.unwrap_err();
        assert_eq!(err.kind(), "malformed", "{case:.40}: {err}");
        assert!(
            !err.to_string().contains(parts[2]),
            "message echoes the token"
        );
    }
}

#[tokio::test]
async fn claims_of_the_wrong_type_are_malformed() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    for (name, value) in [
        ("exp", json!("9999999999")),
        ("nbf", json!([1])),
        ("iss", json!(42)),
        ("aud", json!({"a": 1})),
        ("aud", json!(["ok", 2])),
        ("token_use", json!(true)),
        ("client_id", json!(null)),
        ("scope", json!(["a", "b"])),
        ("cognito:groups", json!("admin")),
        ("cognito:groups", json!([1])),
    ] {
        let token = pool
            .access_token()
            .claim(name, value.clone())
            .sign()
            .unwrap();
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err.kind(), "malformed", "{name} = {value}: {err}");
        assert!(err.to_string().contains(name), "{err}");
    }
}

// ---- step 3: algorithm and kid --------------------------------------------

#[tokio::test]
async fn errors_never_echo_the_token() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let long_kid = "k".repeat(5000);
    let token = pool.access_token().header("kid", long_kid).sign().unwrap();
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "unknown_kid");
    assert!(err.to_string().len() < 200, "{}", err.to_string().len());
    let signature = token.rsplit('.').next().unwrap();
    for kind_of_failure in [
        pool.access_token().expires_at(1).sign().unwrap(),
        pool.access_token().client_id("x").sign().unwrap(),
    ] {
        let err = verifier.verify(&kind_of_failure).await.unwrap_err();
        let text = format!("{err} {err:?}");
        let payload = kind_of_failure.split('.').nth(1).unwrap();
        assert!(
            !text.contains(payload) && !text.contains(signature),
            "{text}"
        );
    }
}

/// A token of the pool's access key over a payload written by hand: the
/// claims of a normal access token with `extra` spliced in as raw JSON.
fn signed_with_raw_claim(pool: &MockPool, extra: &str) -> String {
    let key = pool
        .served_keys()
        .into_iter()
        .nth(1)
        .expect("the mock pool serves its access key second");
    let claims = serde_json::to_string(pool.access_token().claims()).unwrap();
    let payload = format!("{},{extra}}}", claims.strip_suffix('}').unwrap());
    let header = format!(r#"{{"alg":"RS256","kid":"{}"}}"#, key.kid());
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Hardening round 2, item 2: a claim the verifier does not read must
/// still be valid JSON — a number no `f64` holds, a lone surrogate — or
/// the token is `malformed`; a token that verifies always has its whole
/// claim map.
#[tokio::test]
async fn claims_the_verifier_skips_are_still_validated() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    for bad in [
        r#""custom:banned":1e400"#,
        r#""custom:name":"\ud800""#,
        r#""custom:nested":{"deep":[1,-1e999]}"#,
        r#""custom:list":["ok","\udfff"]"#,
    ] {
        let token = signed_with_raw_claim(&pool, bad);
        assert_eq!(kind_of(&verifier, &token).await, "malformed", "{bad}");
    }
    // Odd but valid JSON verifies, with every claim in the map.
    let token = signed_with_raw_claim(
        &pool,
        r#""custom:banned":true,"custom:pair":"\ud83d\ude00","custom:big":1e300,"custom:n":null"#,
    );
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified.claims()["custom:banned"], true);
    assert_eq!(verified.claims()["custom:pair"], "😀");
    assert!(verified.sub().is_some());
    assert!(verified.claims().len() > 10);
}
