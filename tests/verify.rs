//! The check pipeline, end to end: real tokens signed with real keys, keys
//! served over loopback HTTP by the testing pool.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::{
    Algorithm, CognitoPool, Error, OidcIssuer, Requirement, TokenUse, Verifier, decode_unverified,
};
use common::{access_verifier, any_use_verifier, builder, kind_of, now, pool_config};
use serde_json::json;

#[tokio::test]
async fn a_valid_access_token_verifies_with_typed_claims() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    let token = pool
        .access_token()
        .username("alice")
        .groups(["admin", "ops"])
        .scopes(["openid", "api/reports.read"])
        .claim("custom:tenant", "acme")
        .sign()
        .unwrap();
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified.token_use(), Some(TokenUse::Access));
    assert_eq!(verified.issuer(), pool.issuer());
    assert!(verified.groups().contains("ops"));
    assert!(verified.scopes().contains("api/reports.read"));
    assert_eq!(verified.claims()["custom:tenant"], "acme");
    let access = verified.access().unwrap();
    assert_eq!(access.username.as_deref(), Some("alice"));
    assert_eq!(access.client_id, pool.client_id());
    assert!(access.in_group("admin"));
    assert!(verified.id().is_none());

    let claims = verifier.verify_access(&token).await.unwrap();
    assert_eq!(&claims, access);
    assert_eq!(
        verifier.verify_id(&token).await.unwrap_err().kind(),
        "invalid_token_use"
    );

    #[derive(serde::Deserialize)]
    struct Mine {
        sub: String,
        #[serde(rename = "custom:tenant")]
        tenant: String,
    }
    let mine: Mine = verifier.verify_as(&token).await.unwrap();
    assert_eq!(mine.tenant, "acme");
    assert_eq!(mine.sub, access.sub);
}

#[tokio::test]
async fn a_valid_id_token_verifies_with_typed_claims() {
    let pool = MockPool::start().await.unwrap();
    let verifier = builder(&pool, TokenUse::Id).build().unwrap();
    let token = pool
        .id_token()
        .username("bob")
        .email("bob@example.org")
        .claim("email_verified", "true")
        .claim("custom:plan", "pro")
        .sign()
        .unwrap();
    let claims = verifier.verify_id(&token).await.unwrap();
    assert_eq!(claims.username.as_deref(), Some("bob"));
    assert_eq!(claims.email.as_deref(), Some("bob@example.org"));
    assert_eq!(claims.email_verified, Some(true));
    assert_eq!(claims.aud, pool.client_id());
    assert_eq!(claims.custom("plan"), Some(&json!("pro")));
}

#[tokio::test]
async fn id_and_access_tokens_are_not_interchangeable() {
    let pool = MockPool::start().await.unwrap();
    let access_only = builder(&pool, TokenUse::Access).build().unwrap();
    let id_only = builder(&pool, TokenUse::Id).build().unwrap();
    let either = any_use_verifier(&pool);
    let access = pool.access_token().sign().unwrap();
    let id = pool.id_token().sign().unwrap();

    assert_eq!(kind_of(&access_only, &id).await, "invalid_token_use");
    assert_eq!(kind_of(&id_only, &access).await, "invalid_token_use");
    let err = access_only.verify(&id).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "token_use \"id\" is not accepted (expected access)"
    );
    assert_eq!(
        either.verify(&access).await.unwrap().token_use(),
        Some(TokenUse::Access)
    );
    assert_eq!(
        either.verify(&id).await.unwrap().token_use(),
        Some(TokenUse::Id)
    );
    for bad_use in [json!("refresh"), json!("ID"), json!("")] {
        let token = pool
            .access_token()
            .claim("token_use", bad_use)
            .sign()
            .unwrap();
        assert_eq!(kind_of(&either, &token).await, "invalid_token_use");
    }
    let no_use = pool
        .access_token()
        .without_claim("token_use")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&either, &no_use).await, "invalid_token_use");
}

#[tokio::test]
async fn machine_to_machine_tokens_verify() {
    let pool = MockPool::start().await.unwrap();
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Access)
                .client_id("m2m-client")
                .require_scopes(Requirement::any_of(["https://api.example.com/read"])),
        )
        .build()
        .unwrap();
    let token = pool
        .client_credentials_token()
        .client_id("m2m-client")
        .sign()
        .unwrap();
    let claims = verifier.verify_access(&token).await.unwrap();
    assert_eq!(claims.sub, "m2m-client");
    assert_eq!(claims.username, None);
    assert!(claims.groups.is_empty());
}

// ---- step 1: size ---------------------------------------------------------

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
async fn expiry_and_not_before_boundaries() {
    let pool = MockPool::start().await.unwrap();
    let now = 1_900_000_000;
    let at = |leeway: u64| {
        builder(&pool, TokenUse::Access)
            .clock(move || now)
            .leeway(Duration::from_secs(leeway))
            .build()
            .unwrap()
    };
    let exact = at(0);
    let one_second = at(1);
    let exp = |exp: i64| {
        pool.access_token()
            .issued_at(now - 100)
            .expires_at(exp)
            .sign()
            .unwrap()
    };
    let nbf = |nbf: i64| {
        pool.access_token()
            .issued_at(now - 100)
            .expires_at(now + 100)
            .not_before(nbf)
            .sign()
            .unwrap()
    };

    exact.verify(&exp(now)).await.unwrap(); // exp == now is still valid
    assert_eq!(kind_of(&exact, &exp(now - 1)).await, "expired");
    one_second.verify(&exp(now - 1)).await.unwrap(); // leeway +1 s
    assert_eq!(kind_of(&one_second, &exp(now - 2)).await, "expired");

    exact.verify(&nbf(now)).await.unwrap();
    assert_eq!(kind_of(&exact, &nbf(now + 1)).await, "not_yet_valid");
    one_second.verify(&nbf(now + 1)).await.unwrap();
    assert_eq!(kind_of(&one_second, &nbf(now + 2)).await, "not_yet_valid");

    let err = exact.verify(&exp(now - 1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("token expired at {} (now {now}, leeway 0s)", now - 1)
    );

    let no_exp = pool.access_token().without_claim("exp").sign().unwrap();
    let err = exact.verify(&no_exp).await.unwrap_err();
    assert_eq!(err.kind(), "missing_claim");
    assert_eq!(err.to_string(), "required claim exp is missing");

    // The real clock: a token that expired a minute ago.
    let real = access_verifier(&pool);
    let stale = pool
        .access_token()
        .expires_at(common::now() - 60)
        .sign()
        .unwrap();
    assert_eq!(kind_of(&real, &stale).await, "expired");
}

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
async fn the_issuer_must_match_exactly() {
    let pool = MockPool::start().await.unwrap();
    let verifier = access_verifier(&pool);
    for iss in [
        format!("{}/", pool.issuer()),
        pool.issuer().to_uppercase(),
        "https://evil.example.com/us-east-1_AbCdEf123".to_owned(),
    ] {
        let token = pool
            .access_token()
            .claim("iss", iss.clone())
            .sign()
            .unwrap();
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err.kind(), "invalid_issuer", "{iss}");
    }
    let none = pool.access_token().without_claim("iss").sign().unwrap();
    assert_eq!(kind_of(&verifier, &none).await, "invalid_issuer");
}

#[tokio::test]
async fn both_issuer_forms_of_a_pool_are_accepted() {
    let pool = MockPool::builder().aws_issuer(true).start().await.unwrap();
    let pool_id = pool.pool_id().to_owned();
    assert_eq!(
        pool.issuer(),
        format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}")
    );
    // Emulator style: the AWS issuer, keys on loopback.
    let verifier = Verifier::builder()
        .cognito(
            CognitoPool::new(&pool_id)
                .jwks_uri(pool.jwks_uri())
                .token_use(TokenUse::Access)
                .client_id(pool.client_id()),
        )
        .build()
        .unwrap();
    let issuers: Vec<_> = verifier.issuers().collect();
    assert_eq!(
        issuers,
        [
            format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"),
            format!("https://issuer-cognito-idp.us-east-1.amazonaws.com/{pool_id}"),
        ]
    );
    let standard = pool.access_token().sign().unwrap();
    assert_eq!(
        verifier.verify(&standard).await.unwrap().issuer(),
        issuers[0]
    );
    let multi_region = pool.access_token().claim("iss", issuers[1]).sign().unwrap();
    assert_eq!(
        verifier.verify(&multi_region).await.unwrap().issuer(),
        issuers[1]
    );
    // Another pool's issuer, signed by our key, is refused after the
    // signature check.
    let other_pool = pool
        .access_token()
        .claim(
            "iss",
            "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other0000",
        )
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &other_pool).await, "invalid_issuer");
}

#[tokio::test]
async fn an_explicit_issuer_override_is_exact() {
    let pool = MockPool::builder().aws_issuer(true).start().await.unwrap();
    let verifier = Verifier::builder()
        .cognito(
            CognitoPool::new(pool.pool_id())
                .issuer(pool.issuer())
                .jwks_uri(pool.jwks_uri())
                .token_use(TokenUse::Access)
                .any_client(),
        )
        .build()
        .unwrap();
    assert_eq!(verifier.issuers().count(), 1, "no multi-Region form");
    let token = pool.access_token().sign().unwrap();
    verifier.verify(&token).await.unwrap();
}

// ---- step 10: client ---------------------------------------------------------------

#[tokio::test]
async fn client_ids_are_checked_per_token_use() {
    let pool = MockPool::start().await.unwrap();
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_ids(["web", "mobile"]),
        )
        .build()
        .unwrap();
    for client in ["web", "mobile"] {
        let access = pool.access_token().client_id(client).sign().unwrap();
        verifier.verify(&access).await.unwrap();
        let id = pool.id_token().client_id(client).sign().unwrap();
        verifier.verify(&id).await.unwrap();
    }
    let stranger = pool.access_token().client_id("desktop").sign().unwrap();
    let err = verifier.verify(&stranger).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_client");
    assert_eq!(
        err.to_string(),
        "client \"desktop\" is not accepted (expected one of web, mobile)"
    );
    // An access token is judged by client_id, never by aud.
    let aud_only = pool
        .access_token()
        .without_claim("client_id")
        .claim("aud", "web")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &aud_only).await, "invalid_client");
    // An ID token is judged by aud, never by client_id.
    let client_id_only = pool
        .id_token()
        .without_claim("aud")
        .claim("client_id", "web")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &client_id_only).await, "invalid_client");
    // An aud array on a Cognito ID token is refused even if it names us.
    let array = pool
        .id_token()
        .claim("aud", json!(["web", "evil"]))
        .sign()
        .unwrap();
    let err = verifier.verify(&array).await.unwrap_err();
    assert_eq!(err.kind(), "invalid_client");
    assert!(err.to_string().contains("aud array"), "{err}");

    // any_client skips the check.
    let open = Verifier::builder()
        .cognito(pool.cognito_pool().any_token_use().any_client())
        .build()
        .unwrap();
    open.verify(&stranger).await.unwrap();
}

// ---- step 11: scopes and groups ------------------------------------------------------

#[tokio::test]
async fn scope_and_group_requirements() {
    let pool = MockPool::start().await.unwrap();
    let verifier = |groups: Option<Requirement>, scopes: Option<Requirement>| {
        let mut config = pool_config(&pool).token_use(TokenUse::Access);
        if let Some(groups) = groups {
            config = config.require_groups(groups);
        }
        if let Some(scopes) = scopes {
            config = config.require_scopes(scopes);
        }
        Verifier::builder().cognito(config).build().unwrap()
    };
    let token = pool
        .access_token()
        .groups(["admin", "ops"])
        .scopes(["read", "write"])
        .sign()
        .unwrap();
    let cases = [
        (
            Some(Requirement::any_of(["admin", "billing"])),
            None,
            Ok(()),
        ),
        (Some(Requirement::all_of(["admin", "ops"])), None, Ok(())),
        (
            Some(Requirement::all_of(["admin", "billing"])),
            None,
            Err("missing_group"),
        ),
        (
            Some(Requirement::any_of(["billing"])),
            None,
            Err("missing_group"),
        ),
        (None, Some(Requirement::any_of(["read", "delete"])), Ok(())),
        (None, Some(Requirement::all_of(["read", "write"])), Ok(())),
        (
            None,
            Some(Requirement::all_of(["read", "delete"])),
            Err("insufficient_scope"),
        ),
        (
            None,
            Some(Requirement::any_of(["delete"])),
            Err("insufficient_scope"),
        ),
        // Scopes are checked before groups.
        (
            Some(Requirement::any_of(["billing"])),
            Some(Requirement::any_of(["delete"])),
            Err("insufficient_scope"),
        ),
    ];
    for (groups, scopes, expected) in cases {
        let label = format!("{groups:?} {scopes:?}");
        let result = verifier(groups, scopes).verify(&token).await;
        match expected {
            Ok(()) => {
                result.unwrap();
            }
            Err(kind) => assert_eq!(result.unwrap_err().kind(), kind, "{label}"),
        }
    }
    // A token without groups or scopes at all.
    let bare = pool.access_token().without_claim("scope").sign().unwrap();
    let v = verifier(Some(Requirement::any_of(["admin"])), None);
    assert_eq!(kind_of(&v, &bare).await, "missing_group");
    let v = verifier(None, Some(Requirement::any_of(["read"])));
    assert_eq!(kind_of(&v, &bare).await, "insufficient_scope");
    // A scope is a whole word, not a substring.
    let near = pool.access_token().scopes(["reader"]).sign().unwrap();
    assert_eq!(kind_of(&v, &near).await, "insufficient_scope");
}

// ---- step 12: custom --------------------------------------------------------------------

#[tokio::test]
async fn the_custom_check_runs_last() {
    let pool = MockPool::start().await.unwrap();
    let verifier = builder(&pool, TokenUse::Access)
        .custom_check(|token| match token.claims().get("custom:tenant") {
            Some(tenant) if tenant == "acme" => Ok(()),
            _ => Err("tenant is not acme"),
        })
        .build()
        .unwrap();
    let good = pool
        .access_token()
        .claim("custom:tenant", "acme")
        .sign()
        .unwrap();
    verifier.verify(&good).await.unwrap();
    let other = pool
        .access_token()
        .claim("custom:tenant", "umbrella")
        .sign()
        .unwrap();
    let err = verifier.verify(&other).await.unwrap_err();
    assert_eq!(err.kind(), "custom");
    assert_eq!(
        err.to_string(),
        "rejected by custom check: tenant is not acme"
    );
    // An earlier failure wins over the custom check.
    let expired = pool
        .access_token()
        .claim("custom:tenant", "umbrella")
        .expires_at(now() - 10)
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &expired).await, "expired");
}

// ---- several issuers ----------------------------------------------------------------------

#[tokio::test]
async fn several_pools_in_one_verifier() {
    let a = MockPool::start().await.unwrap();
    let b = MockPool::start().await.unwrap();
    let c = MockPool::start().await.unwrap();
    let verifier = Verifier::builder()
        .cognito(pool_config(&a).token_use(TokenUse::Access))
        .cognito(pool_config(&b).token_use(TokenUse::Id))
        .build()
        .unwrap();
    let from_a = a.access_token().sign().unwrap();
    let from_b = b.id_token().sign().unwrap();
    assert_eq!(verifier.verify(&from_a).await.unwrap().issuer(), a.issuer());
    assert_eq!(verifier.verify(&from_b).await.unwrap().issuer(), b.issuer());
    // Each pool keeps its own rules.
    assert_eq!(
        kind_of(&verifier, &a.id_token().sign().unwrap()).await,
        "invalid_token_use"
    );
    // A token from pool A claiming pool B's issuer: B's keys do not hold A's kid.
    let crossed = a.access_token().claim("iss", b.issuer()).sign().unwrap();
    assert_eq!(kind_of(&verifier, &crossed).await, "unknown_kid");
    // A pool that is not configured: its kid is in no configured JWKS.
    let from_c = c.access_token().sign().unwrap();
    assert_eq!(kind_of(&verifier, &from_c).await, "unknown_kid");
    // An unconfigured issuer never decides before the signature: signed by
    // A's key with a made-up issuer, the signature verifies, then the issuer fails.
    let made_up = a
        .access_token()
        .claim("iss", "https://made.up/pool")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &made_up).await, "invalid_issuer");
    // ...and forged with a stranger key under A's kid, the signature fails first.
    let kid = a.served_keys()[1].kid().to_owned();
    let stranger = SigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid(kid);
    let forged = a
        .access_token()
        .claim("iss", "https://made.up/pool")
        .signed_by(&stranger)
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &forged).await, "invalid_signature");
    assert_eq!(c.jwks_requests(), 0, "never fetch a URL named by a token");
}

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

#[tokio::test]
async fn a_generic_oidc_issuer_with_discovery_and_several_algorithms() {
    let pool = MockPool::start().await.unwrap();
    let es256 = SigningKey::generate(Algorithm::ES256).unwrap();
    let es384 = SigningKey::generate(Algorithm::ES384).unwrap();
    let eddsa = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let ps256 = SigningKey::generate(Algorithm::PS256).unwrap();
    for key in [&es256, &es384, &eddsa, &ps256] {
        pool.add_key(key.clone());
    }
    let verifier = Verifier::builder()
        .oidc(
            OidcIssuer::new(pool.issuer())
                .audiences(["api://orders", "api://billing"])
                .algorithms([
                    Algorithm::ES256,
                    Algorithm::ES384,
                    Algorithm::EdDSA,
                    Algorithm::PS256,
                ]),
        )
        .build()
        .unwrap();
    for key in [&es256, &es384, &eddsa, &ps256] {
        let token = pool
            .access_token()
            .claim("aud", json!(["api://other", "api://billing"]))
            .signed_by(key)
            .sign()
            .unwrap();
        let verified = verifier.verify(&token).await.unwrap();
        assert_eq!(verified.token_use(), None, "generic tokens are untyped");
        assert_eq!(verified.kid(), key.kid());
    }
    assert_eq!(pool.discovery_requests(), 1);
    // RS256 is not on this issuer's list.
    let rs = pool
        .access_token()
        .claim("aud", "api://orders")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &rs).await, "unsupported_algorithm");
    // The audience must match.
    let wrong = pool
        .access_token()
        .claim("aud", "api://other")
        .signed_by(&es256)
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &wrong).await, "invalid_audience");
    let none = pool.access_token().signed_by(&es256).sign().unwrap();
    assert_eq!(kind_of(&verifier, &none).await, "invalid_audience");
    // An EC token under a P-384 key's kid but signed by P-256: key family mismatch.
    let confused = pool
        .access_token()
        .claim("aud", "api://orders")
        .signed_by(&es256)
        .header("kid", es384.kid())
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &confused).await, "invalid_key");
}

#[tokio::test]
async fn offline_static_jwks_and_file() {
    let pool = MockPool::start().await.unwrap();
    let token = pool.access_token().sign().unwrap();
    let from_string = Verifier::builder()
        .cognito(
            pool_config(&pool)
                .jwks_static(pool.jwks_json())
                .token_use(TokenUse::Access),
        )
        .build()
        .unwrap();
    from_string.verify(&token).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, pool.jwks_json()).unwrap();
    let from_file = Verifier::builder()
        .cognito(
            pool_config(&pool)
                .jwks_file(&path)
                .token_use(TokenUse::Access),
        )
        .build()
        .unwrap();
    from_file.verify(&token).await.unwrap();
    assert_eq!(pool.jwks_requests(), 0, "static keys are never fetched");

    // A kid not in a static set is unknown at once.
    let stranger = SigningKey::generate(Algorithm::RS256).unwrap();
    let other = pool.access_token().signed_by(&stranger).sign().unwrap();
    assert_eq!(kind_of(&from_file, &other).await, "unknown_kid");
}

// ---- configuration ------------------------------------------------------------------------

#[tokio::test]
async fn configuration_must_make_the_required_choices() {
    let cases: Vec<(Result<Verifier, Error>, &str)> = vec![
        (Verifier::builder().build(), "no issuer"),
        (
            Verifier::builder()
                .cognito(CognitoPool::new("us-east-1_AbCdEf123").client_id("c"))
                .build(),
            "token use",
        ),
        (
            Verifier::builder()
                .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Id))
                .build(),
            "app clients",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("local_7SOvroip")
                        .token_use(TokenUse::Id)
                        .any_client(),
                )
                .build(),
            "from_issuer",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .jwks_uri("http://keys.example.com/jwks.json")
                        .token_use(TokenUse::Id)
                        .any_client(),
                )
                .build(),
            "plain HTTP",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .jwks_static("{\"not\":\"jwks\"}")
                        .token_use(TokenUse::Id)
                        .any_client(),
                )
                .build(),
            "static JWKS",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .jwks_file("/no/such/file.json")
                        .token_use(TokenUse::Id)
                        .any_client(),
                )
                .build(),
            "cannot read",
        ),
        (
            Verifier::builder()
                .oidc(OidcIssuer::new("https://login.example.com"))
                .build(),
            "audiences",
        ),
        (
            Verifier::builder()
                .oidc(
                    OidcIssuer::new("https://login.example.com")
                        .any_audience()
                        .algorithms([Algorithm::HS256]),
                )
                .build(),
            "shared-secret",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .token_use(TokenUse::Id)
                        .any_client(),
                )
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .token_use(TokenUse::Access)
                        .any_client(),
                )
                .build(),
            "configured twice",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .token_use(TokenUse::Id)
                        .client_ids(Vec::<String>::new()),
                )
                .build(),
            "allow-list is empty",
        ),
        (
            Verifier::builder()
                .cognito(
                    CognitoPool::new("us-east-1_AbCdEf123")
                        .token_use(TokenUse::Id)
                        .any_client()
                        .require_groups(Requirement::any_of(Vec::<String>::new())),
                )
                .build(),
            "groups list is empty",
        ),
    ];
    for (result, fragment) in cases {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), "config", "{err}");
        assert!(
            err.to_string().contains(fragment),
            "{fragment:?} not in {err}"
        );
    }
    // Insecure HTTP can be allowed explicitly.
    Verifier::builder()
        .cognito(
            CognitoPool::new("us-east-1_AbCdEf123")
                .jwks_uri("http://keys.example.com/jwks.json")
                .token_use(TokenUse::Id)
                .any_client(),
        )
        .allow_insecure_http(true)
        .build()
        .unwrap();
}

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
