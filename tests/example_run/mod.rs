//! Runs the web examples as processes (for the test binaries that need
//! them): built by `cargo test --all-features`, started on a free port,
//! their printed `export`s and address read back. Not every binary uses
//! every piece.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running example.
pub struct Example {
    _child: Child,
    pub base: String,
    pub exports: HashMap<String, String>,
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

pub fn command(name: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary(name));
    for var in [
        "COGNITO_USER_POOL_ID",
        "COGNITO_ISSUER",
        "COGNITO_CLIENT_ID",
        "COGNITO_JWKS_URI",
        "COGNITO_REDIS_URL",
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

pub async fn start(name: &str, env: &[(&str, &str)]) -> Example {
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
