//! The issuer configuration: pools, issuer forms, several issuers, generic
//! OIDC, static keys, and the choices a configuration must make.
//!
//! Real tokens signed with real keys, keys served over loopback HTTP by
//! the testing pool.

mod common;

use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::{Algorithm, CognitoPool, Error, OidcIssuer, Requirement, TokenUse, Verifier};
use common::{kind_of, pool_config};
use serde_json::json;

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
    // A pool that is not configured: its kid is in no cached JWKS, and a
    // token of an issuer that is not configured fetches nothing.
    let from_c = c.access_token().sign().unwrap();
    assert_eq!(kind_of(&verifier, &from_c).await, "invalid_issuer");
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
