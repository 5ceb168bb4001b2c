//! Keys and signatures (stages 3-6): algorithms, `kid`s, key fit, tampering.
//!
//! Real tokens signed with real keys, keys served over loopback HTTP by
//! the testing pool.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::{Algorithm, OidcIssuer, TokenUse, Verifier, decode_unverified};
use common::{access_verifier, any_use_verifier, kind_of, now, pool_config};
use serde_json::json;

#[tokio::test]
async fn alg_none_and_hmac_are_refused() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);

    let none = pool
        .access_token()
        .header("alg", "none")
        .signed_with(|_| Vec::new())
        .sign()
        .unwrap();
    // An empty signature segment is malformed; a "none" token with any
    // signature bytes is an unsupported algorithm.
    assert_eq!(kind_of(&verifier, &none).await, "malformed");
    let none = pool
        .access_token()
        .header("alg", "none")
        .signed_with(|_| b"x".to_vec())
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &none).await, "unsupported_algorithm");
    for spelling in ["None", "NONE", "nOnE"] {
        let token = pool
            .access_token()
            .header("alg", spelling)
            .signed_with(|_| b"x".to_vec())
            .sign()
            .unwrap();
        assert_eq!(kind_of(&verifier, &token).await, "unsupported_algorithm");
    }

    // The classic key-confusion attack: HS256 with the public key as the
    // HMAC secret.
    let public_jwk = pool.served_keys()[1].jwk().to_string();
    let forged = pool
        .access_token()
        .header("alg", "HS256")
        .signed_with(move |input| {
            let key = jsonwebtoken::EncodingKey::from_secret(public_jwk.as_bytes());
            let signature = jsonwebtoken::crypto::sign(input, &key, Algorithm::HS256).unwrap();
            URL_SAFE_NO_PAD.decode(signature).unwrap()
        })
        .sign()
        .unwrap();
    let err = verifier.verify(&forged).await.unwrap_err();
    assert_eq!(err.kind(), "unsupported_algorithm");
    assert_eq!(
        err.to_string(),
        "algorithm \"HS256\" is not accepted (accepted: RS256)"
    );
    assert_eq!(pool.jwks_requests(), 0, "refused before any key lookup");
}

#[tokio::test]
async fn an_rs256_signature_under_an_es256_header_is_refused() {
    let pool = MockPool::start().await.unwrap();
    // Cognito accepts RS256 only.
    let verifier = access_verifier(&pool);
    let token = pool.access_token().header("alg", "ES256").sign().unwrap();
    assert_eq!(kind_of(&verifier, &token).await, "unsupported_algorithm");

    // A generic issuer that accepts ES256 still ties the alg to the key type:
    // the RSA key (whose JWK says RS256) cannot verify an ES256 token.
    let oidc = Verifier::builder()
        .oidc(
            OidcIssuer::new(pool.issuer())
                .jwks_uri(pool.jwks_uri())
                .any_audience()
                .algorithms([Algorithm::RS256, Algorithm::ES256]),
        )
        .build()
        .unwrap();
    let err = oidc.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_key", "{err}");
    assert!(err.to_string().contains("an RSA key"), "{err}");
}

#[tokio::test]
async fn kid_problems() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let missing = pool.access_token().without_header("kid").sign().unwrap();
    assert_eq!(kind_of(&verifier, &missing).await, "missing_kid");
    let empty = pool.access_token().header("kid", "").sign().unwrap();
    assert_eq!(kind_of(&verifier, &empty).await, "missing_kid");
    for not_a_string in [json!(1), json!(null), json!(["k"]), json!({"k": 1})] {
        let token = pool
            .access_token()
            .header("kid", not_a_string)
            .sign()
            .unwrap();
        assert_eq!(kind_of(&verifier, &token).await, "malformed");
    }
    let unknown = pool
        .access_token()
        .header("kid", "no-such-key")
        .sign()
        .unwrap();
    let err = verifier.verify(&unknown).await.unwrap_err();
    assert_eq!(err.kind(), "unknown_kid");
    assert_eq!(
        err.to_string(),
        "no key with kid \"no-such-key\" in the JWKS"
    );
}

// ---- step 4/5: keys --------------------------------------------------------

#[tokio::test]
async fn a_token_signed_by_a_key_not_in_the_set_is_refused() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let stranger = SigningKey::generate(Algorithm::RS256).unwrap();
    let token = pool.access_token().signed_by(&stranger).sign().unwrap();
    assert_eq!(kind_of(&verifier, &token).await, "unknown_kid");

    // The same stranger claiming a kid of the pool: the signature fails.
    let access_kid = pool.served_keys()[1].kid().to_owned();
    let impostor = pool
        .access_token()
        .signed_by(&stranger.with_kid(access_kid))
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &impostor).await, "invalid_signature");
}

#[tokio::test]
async fn id_and_access_keys_are_distinct() {
    let pool = MockPool::start().await.unwrap();
    let verifier = any_use_verifier(&pool);
    let access = pool.access_token().sign().unwrap();
    let id = pool.id_token().sign().unwrap();
    let access_kid = decode_unverified(&access).unwrap().header["kid"].clone();
    let id_kid = decode_unverified(&id).unwrap().header["kid"].clone();
    assert_ne!(access_kid, id_kid);
    assert_eq!(pool.served_keys().len(), 2);
    let a = verifier.verify(&access).await.unwrap();
    let i = verifier.verify(&id).await.unwrap();
    assert_ne!(a.kid(), i.kid());
}

#[tokio::test]
async fn duplicate_kids_are_refused() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let access_kid = pool.served_keys()[1].kid().to_owned();
    let twin = SigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid(access_kid.clone());
    pool.add_key(twin);
    let token = pool.access_token().sign().unwrap();
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_key");
    assert!(err.to_string().contains("2 keys with this kid"), "{err}");
}

#[tokio::test]
async fn jwk_use_and_alg_must_fit() {
    let pool = MockPool::start().await.unwrap();
    let key = SigningKey::generate(Algorithm::RS256).unwrap();
    let mut enc = key.jwk();
    enc["use"] = json!("enc");
    let mut wrong_alg = key.jwk();
    wrong_alg["alg"] = json!("RS512");
    wrong_alg["kid"] = json!("wrong-alg");
    enc["kid"] = json!("enc");
    let mut no_verify = key.jwk();
    no_verify["kid"] = json!("no-verify");
    no_verify["key_ops"] = json!(["encrypt"]);
    let mut bare = key.jwk();
    bare["kid"] = json!("bare");
    bare.as_object_mut().unwrap().remove("alg");
    bare.as_object_mut().unwrap().remove("use");
    let jwks = json!({"keys": [enc, wrong_alg, no_verify, bare]}).to_string();
    let verifier = Verifier::builder()
        .cognito(
            pool_config(&pool)
                .jwks_static(jwks)
                .token_use(TokenUse::Access),
        )
        .build()
        .unwrap();
    for (kid, expected) in [
        ("enc", "invalid_key"),
        ("wrong-alg", "invalid_key"),
        ("no-verify", "invalid_key"),
    ] {
        let token = pool
            .access_token()
            .signed_by(&key.clone().with_kid(kid))
            .sign()
            .unwrap();
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err.kind(), expected, "{kid}: {err}");
    }
    // A JWK without alg or use is fine for an RSA token.
    let token = pool
        .access_token()
        .signed_by(&key.with_kid("bare"))
        .sign()
        .unwrap();
    verifier.verify(&token).await.unwrap();
}

// ---- step 6: signature ------------------------------------------------------

#[tokio::test]
async fn tampering_breaks_the_signature() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let token = pool.access_token().groups(["user"]).sign().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["cognito:groups"] = json!(["admin"]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    assert_eq!(kind_of(&verifier, &forged).await, "invalid_signature");
    // A signature from the other key of the pool (the ID key).
    let id_token = pool.id_token().sign().unwrap();
    let id_signature = id_token.rsplit('.').next().unwrap();
    let swapped = format!("{}.{}.{id_signature}", parts[0], parts[1]);
    assert_eq!(kind_of(&verifier, &swapped).await, "invalid_signature");
    // A truncated signature.
    let short = format!("{}.{}.{}", parts[0], parts[1], &parts[2][..100]);
    assert_eq!(kind_of(&verifier, &short).await, "invalid_signature");
}

// ---- step 7: time -------------------------------------------------------------

#[tokio::test]
async fn an_expired_token_with_a_bad_signature_is_a_bad_signature() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let stranger = SigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid(pool.served_keys()[1].kid());
    let token = pool
        .access_token()
        .expires_at(now() - 3600)
        .signed_by(&stranger)
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &token).await, "invalid_signature");
}

// ---- step 8: issuer -------------------------------------------------------------

#[tokio::test]
async fn jku_and_x5u_are_ignored() {
    let pool = MockPool::start().await.unwrap();
    let attacker = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let token = attacker
        .access_token()
        .claim("iss", pool.issuer())
        .header("jku", attacker.jwks_uri())
        .header("x5u", attacker.jwks_uri())
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &token).await, "unknown_kid");
    assert_eq!(attacker.jwks_requests(), 0);
}
