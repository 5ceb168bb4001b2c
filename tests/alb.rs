//! The ALB verifier against a mock ALB's key endpoint on loopback: every
//! check, the key fetch rules, the web layer, the CLI.

mod cli_run;
mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use cognito_auth::Algorithm;
use cognito_auth::alb::{AlbIdentity, AlbVerifier, AlbVerifierBuilder};
use cognito_auth::testing::{MockAlb, MockPool, SigningKey};
use cognito_auth::tower::AlbLayer;
use serde_json::Value;
use tower::ServiceExt;

fn builder(alb: &MockAlb) -> AlbVerifierBuilder {
    AlbVerifier::builder()
        .alb_arn(alb.arn())
        .keys_url(alb.keys_url())
        .issuer(alb.issuer())
        .client_id(alb.client_id())
}

fn verifier(alb: &MockAlb) -> AlbVerifier {
    builder(alb).build().unwrap()
}

async fn kind(verifier: &AlbVerifier, token: &str) -> &'static str {
    match verifier.verify(token).await {
        Ok(_) => "valid",
        Err(err) => err.kind(),
    }
}

fn uuid(n: u32) -> String {
    format!("{n:08x}-1111-4222-a333-444455556666")
}

#[tokio::test]
async fn every_check_of_an_alb_token() {
    let alb = MockAlb::start().await.unwrap();
    let verifier = verifier(&alb);
    let token = alb
        .token()
        .claim("email", "alice@example.com")
        .sign()
        .unwrap();
    assert!(token.contains('='), "ALB pads its segments: {token}");
    let user = verifier.verify(&token).await.unwrap();
    assert_eq!(user.claims().claims()["email"], "alice@example.com");
    assert_eq!(user.signer(), alb.arn());
    assert_eq!(user.client(), Some(alb.client_id()));
    assert_eq!(user.claims().token_use(), None);
    assert_eq!(
        kind(&verifier, &alb.token().unpadded().sign().unwrap()).await,
        "valid"
    );

    let cases = [
        (
            "another ALB",
            alb.token().header(
                "signer",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/evil/1",
            ),
            "invalid_signer",
        ),
        (
            "no signer",
            alb.token().without_header("signer"),
            "invalid_signer",
        ),
        (
            "another client",
            alb.token().header("client", "someone-else"),
            "invalid_client",
        ),
        (
            "another issuer",
            alb.token().claim("iss", "https://evil.example"),
            "invalid_issuer",
        ),
        ("expired", alb.token().expires_in(-10), "expired"),
        (
            "not yet valid",
            alb.token().claim("nbf", 4_000_000_000i64),
            "not_yet_valid",
        ),
        (
            "ES384",
            alb.token().header("alg", "ES384"),
            "unsupported_algorithm",
        ),
        (
            "alg none",
            alb.token().header("alg", "none"),
            "unsupported_algorithm",
        ),
        ("no kid", alb.token().without_header("kid"), "missing_kid"),
        (
            "a kid that is a path",
            alb.token().header("kid", "../../admin"),
            "malformed",
        ),
        (
            "exp a string",
            alb.token().claim("exp", "tomorrow"),
            "malformed",
        ),
    ];
    for (what, token, expected) in cases {
        assert_eq!(
            kind(&verifier, &token.sign().unwrap()).await,
            expected,
            "{what}"
        );
    }
    // The header's iss and exp are not what counts: the payload's are.
    assert_eq!(
        kind(
            &verifier,
            &alb.token()
                .header("iss", "https://evil.example")
                .sign()
                .unwrap()
        )
        .await,
        "valid"
    );
    assert_eq!(
        kind(&verifier, &alb.token().header("exp", 1).sign().unwrap()).await,
        "valid"
    );

    // Tampering and foreign keys.
    let (head, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.rsplit_once('.').unwrap();
    let forged_payload = alb
        .token()
        .claim("email", "mallory@example.com")
        .sign()
        .unwrap();
    let forged_payload = forged_payload.split('.').nth(1).unwrap();
    assert_eq!(
        kind(&verifier, &format!("{head}.{forged_payload}.{signature}")).await,
        "invalid_signature"
    );
    let stranger = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(alb.key().kid());
    assert_eq!(
        kind(&verifier, &alb.token().signed_by(&stranger).sign().unwrap()).await,
        "invalid_signature"
    );
    for garbage in ["", "a.b", "a.b.c.d", "x.y.z", "e30.e30.c2ln==="] {
        assert_eq!(kind(&verifier, garbage).await, "malformed", "{garbage:?}");
    }

    // Loose choices accept what the strict ones refused.
    let loose = AlbVerifier::builder()
        .alb_arn(alb.arn())
        .keys_url(alb.keys_url())
        .any_issuer()
        .any_client()
        .build()
        .unwrap();
    let other = alb
        .token()
        .claim("iss", "https://elsewhere.example")
        .header("client", "other")
        .sign()
        .unwrap();
    assert_eq!(kind(&loose, &other).await, "valid");
    assert_eq!(kind(&verifier, &other).await, "invalid_issuer");
    // Leeway.
    let just_expired = alb.token().expires_in(-5).sign().unwrap();
    let lenient = builder(&alb)
        .leeway(Duration::from_secs(30))
        .build()
        .unwrap();
    assert_eq!(kind(&lenient, &just_expired).await, "valid");
}

#[tokio::test]
async fn keys_are_fetched_once_per_kid_and_floods_are_bounded() {
    let alb = MockAlb::start().await.unwrap();
    let verifier = builder(&alb).new_kids_per_cooldown(3).build().unwrap();
    for _ in 0..20 {
        verifier.verify(&alb.token().sign().unwrap()).await.unwrap();
    }
    assert_eq!(alb.key_requests(), 1, "one fetch for the kid");

    // A second key (rotation): one more fetch.
    let next = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(uuid(7));
    alb.add_key(&next);
    verifier
        .verify(&alb.token().signed_by(&next).sign().unwrap())
        .await
        .unwrap();
    assert_eq!(alb.key_requests(), 2);

    // 100 made-up kids, each sent three times: the budget of 3 new kids
    // per cooldown is spent by the first kid, the rotation and one
    // made-up kid; unknown kids are remembered.
    let stranger = SigningKey::generate(Algorithm::ES256).unwrap();
    for round in 0..3 {
        for n in 100..200 {
            let token = alb
                .token()
                .signed_by(&stranger.clone().with_kid(uuid(n)))
                .sign()
                .unwrap();
            assert_eq!(
                kind(&verifier, &token).await,
                "unknown_kid",
                "round {round}"
            );
        }
    }
    assert_eq!(alb.key_requests(), 3, "the 3 new kids the budget allowed");
    // Known kids still verify without fetching.
    verifier.verify(&alb.token().sign().unwrap()).await.unwrap();
    assert_eq!(alb.key_requests(), 3);
}

#[tokio::test]
async fn an_endpoint_that_cannot_answer_is_unavailable_and_bad_keys_are_refused() {
    let alb = MockAlb::start().await.unwrap();
    alb.fail_with(503);
    let down = verifier(&alb);
    let token = alb.token().sign().unwrap();
    assert_eq!(kind(&down, &token).await, "jwks_unavailable");

    let alb = MockAlb::start().await.unwrap();
    let checker = verifier(&alb);
    let rsa = SigningKey::generate(Algorithm::RS256).unwrap();
    for (n, body) in [
        (1, "not a key".to_owned()),
        (
            2,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_owned(),
        ),
        (
            3,
            SigningKey::generate(Algorithm::ES384)
                .unwrap()
                .jwk()
                .to_string(),
        ),
        (4, format!("{}", rsa.jwk())),
    ] {
        alb.serve_raw(&uuid(n), body);
        let token = alb.token().header("kid", uuid(n)).sign().unwrap();
        let outcome = kind(&checker, &token).await;
        assert_ne!(outcome, "valid", "key {n}");
    }
}

#[tokio::test]
async fn the_layer_verifies_the_alb_headers_and_the_access_token() {
    let alb = MockAlb::start().await.unwrap();
    let pool = MockPool::start().await.unwrap();
    let sub = "2f5c1e7a-9b3d-4c8e-a1f0-6d2b7e9c4a51";
    let app = |verifier: AlbVerifier| {
        Router::new()
            .route(
                "/me",
                get(|identity: AlbIdentity| async move {
                    let access = identity
                        .access
                        .map(|token| token.scopes().iter().collect::<Vec<_>>().join(" "));
                    format!(
                        "{} {access:?}",
                        identity.user.claims().sub().unwrap_or_default()
                    )
                }),
            )
            .route_layer(AlbLayer::new(verifier))
    };
    let call = |router: Router, headers: Vec<(&'static str, String)>| async move {
        let mut request = http::Request::builder().uri("/me");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = router
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let data = alb.token().sign().unwrap();

    let plain = app(verifier(&alb));
    let (status, body) = call(plain.clone(), vec![("x-amzn-oidc-data", data.clone())]).await;
    assert_eq!(
        (status, body.as_str()),
        (200, format!("{sub} None").as_str())
    );
    assert_eq!(call(plain.clone(), vec![]).await.0, 401);
    let forged = alb
        .token()
        .header(
            "signer",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/9",
        )
        .sign()
        .unwrap();
    let (status, body) = call(plain.clone(), vec![("x-amzn-oidc-data", forged)]).await;
    assert_eq!(status, 401);
    assert!(
        !body.contains("arn:"),
        "the answer does not tell the configuration: {body}"
    );
    let (status, _) = call(
        plain,
        vec![
            ("x-amzn-oidc-data", data.clone()),
            ("x-amzn-oidc-data", data.clone()),
        ],
    )
    .await;
    assert_eq!(status, 401, "sent twice: refused");

    // With the pool's access tokens checked too.
    let checked = app(builder(&alb)
        .access_tokens(common::access_verifier(&pool))
        .build()
        .unwrap());
    let access = pool
        .access_token()
        .claim("sub", sub)
        .scopes(["openid"])
        .sign()
        .unwrap();
    let (status, body) = call(
        checked.clone(),
        vec![
            ("x-amzn-oidc-data", data.clone()),
            ("x-amzn-oidc-accesstoken", access),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("openid"), "{body}");
    assert_eq!(
        call(checked.clone(), vec![("x-amzn-oidc-data", data.clone())])
            .await
            .0,
        401
    );
    let someone_else = pool
        .access_token()
        .claim("sub", "another-user")
        .sign()
        .unwrap();
    let (status, _) = call(
        checked,
        vec![
            ("x-amzn-oidc-data", data),
            ("x-amzn-oidc-accesstoken", someone_else),
        ],
    )
    .await;
    assert_eq!(status, 401, "another user's access token");
}

#[tokio::test]
async fn the_cli_verifies_alb_tokens() {
    let alb = MockAlb::start().await.unwrap();
    let token = alb
        .token()
        .claim("email", "alice@example.com")
        .sign()
        .unwrap();
    let args = |token: &str| {
        vec![
            "verify".to_owned(),
            "--alb".to_owned(),
            "--alb-arn".to_owned(),
            alb.arn().to_owned(),
            "--region".to_owned(),
            "us-east-1".to_owned(),
            "--alb-keys-url".to_owned(),
            alb.keys_url().to_owned(),
            "--client-id".to_owned(),
            alb.client_id().to_owned(),
            "--issuer".to_owned(),
            alb.issuer().to_owned(),
            token.to_owned(),
        ]
    };
    let run = |args: Vec<String>| async move {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        cli_run::run(&refs, None).await
    };
    let valid = run(args(&token)).await;
    assert_eq!(valid.code, 0, "{}", valid.stderr);
    let output: Value = valid.json();
    assert_eq!(output["valid"], true);
    assert_eq!(output["claims"]["email"], "alice@example.com");
    assert_eq!(output["token_use"], Value::Null);

    let forged = alb.token().header("client", "other").sign().unwrap();
    let invalid = run(args(&forged)).await;
    assert_eq!(invalid.code, 1);
    assert_eq!(invalid.json()["error"]["kind"], "invalid_client");

    let mut no_region = args(&token);
    no_region.drain(4..6);
    assert_eq!(run(no_region).await.code, 2);
    let mut no_arn = args(&token);
    no_arn.drain(2..4);
    assert_eq!(run(no_arn).await.code, 2);
    let mut bad_arn = args(&token);
    bad_arn[3] = "arn:aws:s3:::bucket".to_owned();
    assert_eq!(run(bad_arn).await.code, 2);
}
