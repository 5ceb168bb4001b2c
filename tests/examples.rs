//! The two web examples, run as processes and spoken to over HTTP: the
//! contract of the README's "run" command.

mod common;
mod example_run;

use cognito_auth::testing::{JwksBehavior, MockPool};
use common::web::{Answer, Case, Tokens, all_cases, check, sample_cases, unavailable_case};
use example_run::{Example, command, start};

const EXAMPLES: [&str; 2] = ["axum", "actix"];

async fn send(client: &reqwest::Client, example: &Example, case: &Case) -> Answer {
    let mut request = client.get(format!("{}{}", example.base, case.path));
    if let Some(value) = &case.authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let text = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (status, www_authenticate, retry_after, content_type) = (
        response.status().as_u16(),
        text("www-authenticate"),
        text("retry-after"),
        text("content-type"),
    );
    Answer {
        status,
        www_authenticate,
        retry_after,
        content_type,
        body: response.text().await.unwrap(),
    }
}

#[tokio::test]
async fn on_the_built_in_testing_pool() {
    let client = reqwest::Client::new();
    for name in EXAMPLES {
        let example = start(name, &[]).await;
        let token = |key: &str| {
            example
                .exports
                .get(key)
                .unwrap_or_else(|| panic!("{name} printed no {key}"))
                .clone()
        };
        let tokens = Tokens {
            admin: token("ADMIN_TOKEN"),
            user: token("USER_TOKEN"),
            id: token("ID_TOKEN"),
        };
        for mut case in sample_cases(&tokens) {
            case.name = format!("{name}: {}", case.name);
            check(&case, &send(&client, &example, &case).await);
        }
    }
}

#[tokio::test]
async fn configured_from_the_environment() {
    let client = reqwest::Client::new();
    let pool = MockPool::start().await.unwrap();
    let tokens = Tokens::mint(&pool);
    let cases = all_cases(&pool, &tokens);
    for name in EXAMPLES {
        let example = start(
            name,
            &[
                ("COGNITO_ISSUER", pool.issuer()),
                (
                    "COGNITO_CLIENT_ID",
                    &format!("another-client, {}", pool.client_id()),
                ),
                ("COGNITO_JWKS_URI", pool.jwks_uri()),
            ],
        )
        .await;
        assert!(example.exports.is_empty(), "{name} printed test tokens");
        for case in &cases {
            let mut case = case.clone();
            case.name = format!("{name}: {}", case.name);
            check(&case, &send(&client, &example, &case).await);
        }
    }
}

#[tokio::test]
async fn configured_by_pool_id_with_an_emulator_jwks() {
    let client = reqwest::Client::new();
    let pool = MockPool::builder().aws_issuer(true).start().await.unwrap();
    let token = pool.access_token().username("erin").sign().unwrap();
    for name in EXAMPLES {
        let example = start(
            name,
            &[
                ("COGNITO_USER_POOL_ID", pool.pool_id()),
                ("COGNITO_CLIENT_ID", pool.client_id()),
                ("COGNITO_JWKS_URI", pool.jwks_uri()),
            ],
        )
        .await;
        let response = client
            .get(format!("{}/me", example.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let body: serde_json::Value =
            serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(body["username"], "erin", "{name}");
    }
}

#[tokio::test]
async fn an_unreachable_idp_is_503() {
    let client = reqwest::Client::new();
    let pool = MockPool::start().await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(500));
    let token = pool.access_token().sign().unwrap();
    for name in EXAMPLES {
        let example = start(
            name,
            &[
                ("COGNITO_ISSUER", pool.issuer()),
                ("COGNITO_CLIENT_ID", pool.client_id()),
            ],
        )
        .await;
        let mut case = unavailable_case(&token);
        case.name = format!("{name}: {}", case.name);
        check(&case, &send(&client, &example, &case).await);
    }
}

#[tokio::test]
async fn incomplete_configuration_exits_2() {
    for name in EXAMPLES {
        let output = command(name, &[("COGNITO_USER_POOL_ID", "us-east-1_AbCdEf123")])
            .output()
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("COGNITO_CLIENT_ID"), "{name}: {stderr}");
    }
}
