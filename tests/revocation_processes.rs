//! Revocation across processes: the axum and the actix example sharing one
//! real redis-server, the `cognito-auth` CLI writing to it. A sign-out on
//! one instance is enforced by both within a second; `deny --sub` refuses
//! a user's older tokens everywhere and lets newer ones through.

mod cli_run;
mod common;
mod example_run;
mod redis_server;

use std::time::{Duration, Instant};

use cognito_auth::testing::MockPool;
use example_run::{Example, start};
use redis_server::RedisServer;

async fn status(client: &reqwest::Client, example: &Example, token: &str) -> u16 {
    client
        .get(format!("{}/me", example.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits until every example answers `expected` for the token; the time
/// it took.
async fn everywhere(
    client: &reqwest::Client,
    examples: &[&Example],
    token: &str,
    expected: u16,
) -> Duration {
    let started = Instant::now();
    for example in examples {
        while status(client, example, token).await != expected {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{} does not answer {expected} within 1 s",
                example.base
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_outs_and_denials_reach_every_instance() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let pool = MockPool::start().await.unwrap();
    let url = redis.url();
    let env = [
        ("COGNITO_ISSUER", pool.issuer()),
        ("COGNITO_JWKS_URI", pool.jwks_uri()),
        ("COGNITO_CLIENT_ID", pool.client_id()),
        ("COGNITO_REDIS_URL", url.as_str()),
    ];
    let axum = start("axum", &env).await;
    let actix = start("actix", &env).await;
    let both = [&axum, &actix];
    let client = reqwest::Client::new();
    let now = common::now();
    let alice = |origin: &str, iat: i64| {
        pool.access_token()
            .username("alice")
            .claim("origin_jti", origin)
            .issued_at(iat)
            .expires_at(now + 3600)
            .sign()
            .unwrap()
    };
    let (session_a, session_b) = (alice("session-a", now - 60), alice("session-b", now - 60));
    for token in [&session_a, &session_b] {
        everywhere(&client, &both, token, 200).await;
    }

    // POST /logout on one instance: 401 on both within a second.
    let logout = client
        .post(format!("{}/logout", axum.base))
        .bearer_auth(&session_a)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status().as_u16(), 204);
    let took = everywhere(&client, &both, &session_a, 401).await;
    eprintln!("POST /logout enforced by both instances in {took:?}");
    let answer = client
        .get(format!("{}/me", actix.base))
        .bearer_auth(&session_a)
        .send()
        .await
        .unwrap();
    let challenge = answer.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("the token has been revoked")
    );
    // Another session of the same user still works.
    everywhere(&client, &both, &session_b, 200).await;

    // `deny --sub`: every older token of the user, everywhere.
    let sub = pool.access_token().username("alice").claims()["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let denied = cli_run::run(
        &[
            "deny",
            "--issuer",
            pool.issuer(),
            "--redis",
            &url,
            "--sub",
            &sub,
        ],
        None,
    )
    .await;
    assert_eq!(denied.code, 0, "{}", denied.stderr);
    let recorded = &denied.json()["denied"];
    assert_eq!(recorded["kind"], "user");
    assert_eq!(recorded["sub"], sub.as_str());
    assert_eq!(recorded["issuer"], pool.issuer());
    let cutoff = recorded["issued_before"].as_i64().unwrap();
    assert!(recorded["expires_at"].as_i64().unwrap() >= cutoff + 24 * 3600);
    everywhere(&client, &both, &session_b, 401).await;
    let newer = alice("session-c", cutoff + 1);
    everywhere(&client, &both, &newer, 200).await;

    // `verify --redis` checks the list too.
    let verify = |token: String| {
        let (issuer, jwks, client_id, url) = (
            pool.issuer().to_owned(),
            pool.jwks_uri().to_owned(),
            pool.client_id().to_owned(),
            url.clone(),
        );
        async move {
            cli_run::run(
                &[
                    "verify",
                    "--issuer",
                    &issuer,
                    "--jwks-uri",
                    &jwks,
                    "--token-use",
                    "access",
                    "--client-id",
                    &client_id,
                    "--redis",
                    &url,
                    &token,
                ],
                None,
            )
            .await
        }
    };
    let refused = verify(session_b.clone()).await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert_eq!(refused.json()["error"]["kind"], "revoked");
    assert_eq!(verify(newer.clone()).await.code, 0);

    // Redis down: a sign-out is a 503 (never a success that did not
    // happen), the known revocations hold, everyone else is served.
    redis.kill();
    let logout = client
        .post(format!("{}/logout", actix.base))
        .bearer_auth(&newer)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status().as_u16(), 503);
    for example in both {
        assert_eq!(status(&client, example, &session_a).await, 401);
        assert_eq!(status(&client, example, &newer).await, 200);
    }
    let unavailable = cli_run::run(
        &[
            "deny",
            "--issuer",
            pool.issuer(),
            "--redis",
            &url,
            "--jti",
            "j",
        ],
        None,
    )
    .await;
    assert_eq!(unavailable.code, 1);
    assert_eq!(
        unavailable.json()["error"]["kind"],
        "revocation_unavailable"
    );
    let usage = cli_run::run(&["deny", "--issuer", pool.issuer(), "--jti", "j"], None).await;
    assert_eq!(usage.code, 2, "--redis is required");
}
