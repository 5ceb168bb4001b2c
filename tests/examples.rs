//! The two web examples, run as processes and spoken to over HTTP: the
//! contract of the README's "run" command.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use cognito_auth::testing::{JwksBehavior, MockPool};
use common::web::{Answer, Case, Tokens, all_cases, check, sample_cases, unavailable_case};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const EXAMPLES: [&str; 2] = ["axum", "actix"];

/// A running example.
struct Example {
    _child: Child,
    base: String,
    exports: HashMap<String, String>,
}

fn binary(name: &str) -> PathBuf {
    // target/debug/deps/examples-… → target/debug/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} is not built; run the tests with `cargo test --all-features`",
        path.display()
    );
    path
}

fn command(name: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary(name));
    for var in [
        "COGNITO_USER_POOL_ID",
        "COGNITO_ISSUER",
        "COGNITO_CLIENT_ID",
        "COGNITO_JWKS_URI",
    ] {
        command.env_remove(var);
    }
    command
        .env("PORT", "0")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

async fn start(name: &str, env: &[(&str, &str)]) -> Example {
    let mut child = command(name, env).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut exports = HashMap::new();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(address) = line.strip_prefix("listening on ") {
                return address.to_owned();
            }
            if let Some(export) = line.strip_prefix("export ") {
                let (key, value) = export.split_once('=').unwrap();
                exports.insert(key.to_owned(), value.trim_matches('\'').to_owned());
            }
        }
        panic!("{name} exited before listening");
    })
    .await
    .unwrap_or_else(|_| panic!("{name} did not start listening within 30 s"));
    Example {
        _child: child,
        base,
        exports,
    }
}

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
