//! The claim checks after the signature (stages 7-12): typed claims, time,
//! issuer, token use, client, scopes, groups, the custom check.
//!
//! Real tokens signed with real keys, keys served over loopback HTTP by
//! the testing pool.

mod common;

use std::time::Duration;

use cognito_auth::testing::MockPool;
use cognito_auth::{Requirement, TokenUse, Verifier};
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

    // Hardening round 2, item 13: RFC 7519 §4.1.4, a token is used
    // *before* its exp: at exp it has expired (aws-jwt-verify still takes
    // it in that one second).
    exact.verify(&exp(now + 1)).await.unwrap();
    assert_eq!(kind_of(&exact, &exp(now)).await, "expired");
    assert_eq!(kind_of(&exact, &exp(now - 1)).await, "expired");
    one_second.verify(&exp(now)).await.unwrap(); // leeway +1 s
    assert_eq!(kind_of(&one_second, &exp(now - 1)).await, "expired");

    exact.verify(&nbf(now)).await.unwrap();
    assert_eq!(kind_of(&exact, &nbf(now + 1)).await, "not_yet_valid");
    one_second.verify(&nbf(now + 1)).await.unwrap();
    assert_eq!(kind_of(&one_second, &nbf(now + 2)).await, "not_yet_valid");

    let err = exact.verify(&exp(now - 1)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("token expired at {} (now {now}, leeway 0s)", now - 1)
    );

    // iat is not a validity bound (RFC 7519 §4.1.6): a token issued "in the
    // future" by a clock ahead of ours still verifies, so a server whose
    // clock lags AWS's does not refuse every fresh token. Its type is
    // still checked.
    let ahead = pool
        .access_token()
        .issued_at(now + 3600)
        .expires_at(now + 7200)
        .sign()
        .unwrap();
    exact.verify(&ahead).await.unwrap();
    let bad_iat = pool.access_token().claim("iat", "soon").sign().unwrap();
    assert_eq!(kind_of(&exact, &bad_iat).await, "malformed");

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
