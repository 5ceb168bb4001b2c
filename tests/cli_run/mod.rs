//! Runs the `cognito-auth` binary as a process (for the test binaries that
//! need the `cli` feature). Not every binary uses every piece.
#![allow(dead_code)]

use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// What one run of the binary left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|err| panic!("stdout is not JSON ({err}): {:?}", self.stdout))
    }

    /// Stdout as JSON, or `null` when it is not.
    pub fn json_or_null(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or(Value::Null)
    }
}

/// Runs the binary with `args`, writing `stdin` (if any) and closing it.
pub async fn run(args: &[&str], stdin: Option<&str>) -> Run {
    run_with_env(args, stdin, &[]).await
}

/// [`run`] with variables added to the environment.
pub async fn run_with_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cognito-auth"))
        .args(args)
        .env_remove("COGNITO_CLIENT_SECRET")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}
