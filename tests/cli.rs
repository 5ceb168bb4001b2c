//! The `cognito-auth` binary, run as a process against the testing pool.

mod cli_run;

use cli_run::{Run, run};
use cognito_auth::testing::MockPool;

#[tokio::test]
async fn verify_a_valid_access_token() {
    let pool = MockPool::start().await.unwrap();
    let token = pool
        .access_token()
        .username("alice")
        .groups(["admin"])
        .scopes(["api/reports.read"])
        .sign()
        .unwrap();
    let run = run(
        &[
            "verify",
            &token,
            "--issuer",
            pool.issuer(),
            "--token-use",
            "access",
            "--client-id",
            "someone-else",
            "--client-id",
            pool.client_id(),
            "--group",
            "admin",
            "--scope",
            "api/reports.read",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["valid"], true);
    assert_eq!(out["token_use"], "access");
    assert_eq!(out["claims"]["username"], "alice");
    assert_eq!(out["claims"]["cognito:groups"][0], "admin");
    assert_eq!(out["claims"]["client_id"], pool.client_id());
    assert_eq!(
        out.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["claims", "token_use", "valid"]
    );
}

#[tokio::test]
async fn verify_reads_stdin_and_reports_invalid_tokens() {
    let pool = MockPool::start().await.unwrap();
    let id_token = pool.id_token().sign().unwrap();
    for token_arg in [None, Some("-")] {
        let mut args = vec!["verify"];
        args.extend(token_arg);
        args.extend([
            "--issuer",
            pool.issuer(),
            "--jwks-uri",
            pool.jwks_uri(),
            "--token-use",
            "access",
            "--any-client",
        ]);
        let run = run(&args, Some(&format!("{id_token}\n"))).await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        let out = run.json();
        assert_eq!(out["valid"], false);
        assert_eq!(out["error"]["kind"], "invalid_token_use");
        assert!(
            out["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expected access")
        );
    }
    // Group requirements, any-of and all-of.
    let token = pool.access_token().groups(["a"]).sign().unwrap();
    let base = [
        "verify",
        token.as_str(),
        "--issuer",
        pool.issuer(),
        "--token-use",
        "any",
        "--any-client",
        "--group",
        "a",
        "--group",
        "b",
    ];
    assert_eq!(run(&base, None).await.code, 0);
    let mut all = base.to_vec();
    all.push("--all-groups");
    let run_all = run(&all, None).await;
    assert_eq!(run_all.code, 1);
    assert_eq!(run_all.json()["error"]["kind"], "missing_group");
}

#[tokio::test]
async fn verify_with_a_jwks_file_and_leeway() {
    let pool = MockPool::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jwks.json");
    std::fs::write(&path, pool.jwks_json()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let token = pool.access_token().expires_at(now - 30).sign().unwrap();
    let args = |leeway: &'static str| {
        vec![
            "verify".to_owned(),
            token.clone(),
            "--issuer".into(),
            pool.issuer().into(),
            "--jwks-file".into(),
            path.display().to_string(),
            "--token-use".into(),
            "access".into(),
            "--any-client".into(),
            "--leeway".into(),
            leeway.into(),
        ]
    };
    let expired = args("0");
    let run_expired = run(
        &expired.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    )
    .await;
    assert_eq!(run_expired.code, 1);
    assert_eq!(run_expired.json()["error"]["kind"], "expired");
    let lenient = args("120");
    let run_lenient = run(
        &lenient.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    )
    .await;
    assert_eq!(run_lenient.code, 0, "{}", run_lenient.stderr);
    drop(pool);
}

#[tokio::test]
async fn usage_configuration_and_io_errors_exit_2() {
    let pool = MockPool::start().await.unwrap();
    let token = pool.access_token().sign().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        // no pool
        vec!["verify", &token, "--token-use", "access", "--any-client"],
        // no client choice
        vec![
            "verify",
            &token,
            "--issuer",
            pool.issuer(),
            "--token-use",
            "access",
        ],
        // no token use
        vec!["verify", &token, "--issuer", pool.issuer(), "--any-client"],
        // bad token use
        vec![
            "verify",
            &token,
            "--issuer",
            pool.issuer(),
            "--token-use",
            "refresh",
            "--any-client",
        ],
        // both key sources
        vec![
            "verify",
            &token,
            "--issuer",
            pool.issuer(),
            "--jwks-uri",
            pool.jwks_uri(),
            "--jwks-file",
            "x.json",
            "--token-use",
            "access",
            "--any-client",
        ],
        // bad pool id (configuration)
        vec![
            "verify",
            &token,
            "--user-pool-id",
            "nonsense",
            "--token-use",
            "access",
            "--any-client",
        ],
        // unreadable JWKS file (I/O)
        vec![
            "verify",
            &token,
            "--issuer",
            pool.issuer(),
            "--jwks-file",
            "/no/such/jwks.json",
            "--token-use",
            "access",
            "--any-client",
        ],
        // no such subcommand
        vec!["frobnicate"],
    ];
    for args in cases {
        let run = run(&args, None).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.is_empty(), "{args:?}");
        assert!(!run.stderr.contains(&token), "the token is echoed");
    }
    // Keys that cannot be had are not a verdict on the token: exit 2.
    pool.set_jwks_behavior(cognito_auth::testing::JwksBehavior::Status(500));
    let run = run(
        &[
            "verify",
            &token,
            "--issuer",
            pool.issuer(),
            "--token-use",
            "access",
            "--any-client",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("JWKS unavailable"), "{}", run.stderr);
    // An empty stdin.
    let run_empty = run_empty_stdin(&pool).await;
    assert_eq!(run_empty.code, 2);
}

async fn run_empty_stdin(pool: &MockPool) -> Run {
    run(
        &[
            "verify",
            "--issuer",
            pool.issuer(),
            "--token-use",
            "access",
            "--any-client",
        ],
        Some("  \n"),
    )
    .await
}

#[tokio::test]
async fn decode_prints_header_and_payload_unverified() {
    let pool = MockPool::start().await.unwrap();
    let token = pool.id_token().username("carol").sign().unwrap();
    let run = run(&["decode", &token], None).await;
    assert_eq!(run.code, 0);
    let out = run.json();
    assert_eq!(out["verified"], false);
    assert_eq!(out["header"]["alg"], "RS256");
    assert_eq!(out["payload"]["cognito:username"], "carol");
    let bad = self::run(&["decode", "abc.def"], None).await;
    assert_eq!(bad.code, 1);
    assert_eq!(bad.json()["error"]["kind"], "malformed");
}
