//! The client against in-process HTTP servers: the OAuth2 token endpoint
//! (which no emulator offers), retries and timeouts of the Cognito API,
//! and redaction.

mod cli_run;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_auth::client::{
    AuthOutcome, ClientCredentials, CognitoClient, Pkce, RetryPolicy, Secret, TokenEndpoint,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Starts `router` on 127.0.0.1 and returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

// ---- the OAuth2 token endpoint -------------------------------------------------

const CLIENT_ID: &str = "machine-client";
const CLIENT_SECRET: &str = "s3cr3t-value";
const PKCE_CHALLENGE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

#[derive(Default)]
struct TokenServer {
    requests: AtomicUsize,
    lifetime: Mutex<u64>,
    delay: Mutex<Duration>,
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

/// A token endpoint that checks what Cognito's checks: the content type,
/// HTTP Basic client authentication (or a public client id), the form.
async fn token_endpoint(
    State(server): State<Arc<TokenServer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let count = server.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let delay = *server.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let form = form(&body);
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .map(|v| String::from_utf8(v).unwrap());
    let authenticated = match (&basic, field(&form, "client_id")) {
        (Some(pair), None) => pair == &format!("{CLIENT_ID}:{CLIENT_SECRET}"),
        (None, Some("public-client")) => true,
        _ => false,
    };
    if !authenticated {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let lifetime = *server.lifetime.lock().unwrap();
    let tokens = |extra: Value| {
        let mut answer = json!({
            "access_token": format!("access-{count}"),
            "expires_in": lifetime,
            "token_type": "Bearer",
        });
        for (key, value) in extra.as_object().unwrap() {
            answer[key] = value.clone();
        }
        axum::Json(answer).into_response()
    };
    match field(&form, "grant_type") {
        Some("client_credentials") => {
            let scope = field(&form, "scope").unwrap_or("");
            if scope.split(' ').any(|s| s == "forbidden") {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
            }
            tokens(json!({ "scope": scope }))
        }
        Some("refresh_token") if field(&form, "refresh_token") == Some("good-refresh") => {
            tokens(json!({ "id_token": "id-from-refresh" }))
        }
        Some("authorization_code") => {
            let verifier = field(&form, "code_verifier").unwrap_or_default();
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            let expected =
                URL_SAFE_NO_PAD.encode(Sha256::digest(PKCE_CHALLENGE_VERIFIER.as_bytes()));
            if field(&form, "code") != Some("the-code")
                || field(&form, "redirect_uri") != Some("https://app.example.com/callback")
                || challenge != expected
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            tokens(json!({ "id_token": "id-from-code", "refresh_token": "refresh-from-code" }))
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
    }
}

async fn token_server(lifetime: u64) -> (Arc<TokenServer>, String) {
    let server = Arc::new(TokenServer::default());
    *server.lifetime.lock().unwrap() = lifetime;
    let base = serve(
        Router::new()
            .route("/oauth2/token", post(token_endpoint))
            .route(
                "/broken/oauth2/token",
                post(|| async { (StatusCode::BAD_GATEWAY, "<html>bad gateway</html>") }),
            )
            .with_state(server.clone()),
    )
    .await;
    (server, format!("{base}/oauth2/token"))
}

fn endpoint(url: &str) -> TokenEndpoint {
    TokenEndpoint::new(url, CLIENT_ID)
        .unwrap()
        .client_secret(CLIENT_SECRET)
        .retry(RetryPolicy::none())
}

#[tokio::test]
async fn client_credentials_refresh_and_authorization_code_grants() {
    let (_, url) = token_server(3600).await;
    let tokens = endpoint(&url)
        .client_credentials(&[
            "https://api.example.com/read",
            "https://api.example.com/write",
        ])
        .await
        .unwrap();
    assert_eq!(tokens.access_token.expose(), "access-1");
    assert_eq!(tokens.expires_in, Some(3600));
    assert_eq!(
        tokens.scope.as_deref(),
        Some("https://api.example.com/read https://api.example.com/write")
    );

    let refreshed = endpoint(&url)
        .refresh_token(&Secret::new("good-refresh"))
        .await
        .unwrap();
    assert_eq!(refreshed.id_token.unwrap().expose(), "id-from-refresh");
    let bad_refresh = endpoint(&url)
        .refresh_token(&Secret::new("revoked"))
        .await
        .unwrap_err();
    assert_eq!(bad_refresh.service_error().unwrap().name(), "invalid_grant");

    let pkce = Pkce::from_verifier(PKCE_CHALLENGE_VERIFIER);
    let code = endpoint(&url)
        .authorization_code(
            &Secret::new("the-code"),
            "https://app.example.com/callback",
            Some(&pkce),
        )
        .await
        .unwrap();
    assert_eq!(code.refresh_token.unwrap().expose(), "refresh-from-code");
    let wrong_verifier = endpoint(&url)
        .authorization_code(
            &Secret::new("the-code"),
            "https://app.example.com/callback",
            Some(&Pkce::generate().unwrap()),
        )
        .await
        .unwrap_err();
    assert_eq!(
        wrong_verifier.service_error().unwrap().name(),
        "invalid_grant"
    );

    // A public client sends its id in the form instead of Basic auth.
    let public = TokenEndpoint::new(&url, "public-client")
        .unwrap()
        .refresh_token(&Secret::new("good-refresh"))
        .await
        .unwrap();
    assert!(public.access_token.expose().starts_with("access-"));
}

#[tokio::test]
async fn token_endpoint_errors() {
    let (_, url) = token_server(3600).await;
    let wrong_secret = TokenEndpoint::new(&url, CLIENT_ID)
        .unwrap()
        .client_secret("nope")
        .client_credentials(&[])
        .await
        .unwrap_err();
    let service = wrong_secret.service_error().unwrap();
    assert_eq!((service.name(), service.status()), ("invalid_client", 401));
    assert!(!format!("{wrong_secret:?}").contains("nope"));

    let scope = endpoint(&url)
        .client_credentials(&["forbidden"])
        .await
        .unwrap_err();
    assert_eq!(scope.service_error().unwrap().name(), "invalid_scope");

    let broken = endpoint(&url.replace("/oauth2/", "/broken/oauth2/"))
        .client_credentials(&[])
        .await
        .unwrap_err();
    let service = broken.service_error().unwrap();
    assert_eq!(
        (service.name(), service.status()),
        ("UnexpectedResponse", 502)
    );
}

#[tokio::test]
async fn machine_tokens_are_cached_and_shared() {
    let (server, url) = token_server(3600).await;
    *server.delay.lock().unwrap() = Duration::from_millis(100);
    let source = ClientCredentials::new(endpoint(&url), ["https://api.example.com/read"]);
    let callers: Vec<_> = (0..20)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.access_token().await.unwrap() })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().expose(), "access-1");
    }
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        1,
        "one fetch for all"
    );
    assert_eq!(source.access_token().await.unwrap().expose(), "access-1");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "then from cache");
}

#[tokio::test]
async fn machine_tokens_are_refreshed_ahead_of_expiry() {
    let (server, url) = token_server(4).await;
    let source = ClientCredentials::new(endpoint(&url), Vec::<String>::new())
        .refresh_before(Duration::from_secs(2));
    assert_eq!(source.access_token().await.unwrap().expose(), "access-1");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    // Two seconds before expiry the token is renewed, though it still works.
    assert_eq!(source.access_token().await.unwrap().expose(), "access-2");
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
    assert_eq!(source.access_token().await.unwrap().expose(), "access-2");
}

/// Hardening round 2, item 5: a lifetime from the network that no
/// `Instant` can hold is clamped, not a panic.
#[tokio::test]
async fn an_absurd_token_lifetime_is_clamped() {
    let (server, url) = token_server(u64::MAX).await;
    let source = ClientCredentials::new(endpoint(&url), Vec::<String>::new());
    assert_eq!(source.access_token().await.unwrap().expose(), "access-1");
    assert_eq!(source.access_token().await.unwrap().expose(), "access-1");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn cli_token_command() {
    let (_, url) = token_server(3600).await;
    let run = |args: Vec<String>| async move {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = cli_run::run(&args, None).await;
        (run.code, run.json_or_null())
    };
    let args = |secret: &str, endpoint: &str| {
        vec![
            "token".to_owned(),
            "--token-endpoint".into(),
            endpoint.to_owned(),
            "--client-id".into(),
            CLIENT_ID.into(),
            "--client-secret".into(),
            secret.to_owned(),
            "--scope".into(),
            "a/read".into(),
            "--scope".into(),
            "a/write".into(),
        ]
    };
    let (code, out) = run(args(CLIENT_SECRET, &url)).await;
    assert_eq!(code, 0);
    assert_eq!(
        out,
        json!({"access_token": "access-1", "id_token": null, "refresh_token": null, "expires_in": 3600, "token_type": "Bearer"})
    );
    let (code, out) = run(args("wrong", &url)).await;
    assert_eq!(code, 1);
    assert_eq!(out["error"]["kind"], "invalid_client");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (code, _) = run(args(
        CLIENT_SECRET,
        &format!("http://{closed}/oauth2/token"),
    ))
    .await;
    assert_eq!(code, 2, "a connection failure is an I/O error");
}

/// Hardening round 2, item 11: secrets need not be arguments (visible in
/// `ps`): the client secret from a named variable or COGNITO_CLIENT_SECRET,
/// the refresh token from stdin.
#[tokio::test]
async fn cli_secrets_from_the_environment_and_stdin() {
    let (_, url) = token_server(3600).await;
    let base = [
        "token",
        "--token-endpoint",
        url.as_str(),
        "--client-id",
        CLIENT_ID,
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    let named = cli_run::run_with_env(
        &with(&["--client-secret-env", "MY_SECRET"]),
        None,
        &[("MY_SECRET", CLIENT_SECRET)],
    )
    .await;
    assert_eq!(named.code, 0, "{}", named.stderr);
    assert_eq!(named.json()["access_token"], "access-1");
    let standard = cli_run::run_with_env(
        &with(&[]),
        None,
        &[("COGNITO_CLIENT_SECRET", CLIENT_SECRET)],
    )
    .await;
    assert_eq!(standard.code, 0, "{}", standard.stderr);
    let unset = cli_run::run(&with(&["--client-secret-env", "NOT_SET_ANYWHERE"]), None).await;
    assert_eq!(unset.code, 2);
    assert!(
        unset.stderr.contains("NOT_SET_ANYWHERE"),
        "{}",
        unset.stderr
    );
    let none = cli_run::run(&with(&[]), None).await;
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("COGNITO_CLIENT_SECRET"),
        "{}",
        none.stderr
    );

    let (fake, client) = fake_cognito(vec![(200, JSON, SIGNED_IN)]).await;
    let refreshed = cli_run::run(
        &[
            "refresh",
            "--client-id",
            "c",
            "--refresh-token-stdin",
            "--endpoint",
            client.endpoint(),
        ],
        Some("refresh-from-stdin\n"),
    )
    .await;
    assert_eq!(refreshed.code, 0, "{}", refreshed.stderr);
    let sent = fake.seen.lock().unwrap()[0].2.clone();
    assert_eq!(
        sent["AuthParameters"]["REFRESH_TOKEN"],
        "refresh-from-stdin"
    );

    for command in ["refresh", "revoke", "token", "login"] {
        let help = cli_run::run(&[command, "--help"], None).await;
        assert_eq!(help.code, 0);
        assert!(help.stdout.contains("--client-secret-env"), "{command}");
        assert!(help.stdout.contains("COGNITO_CLIENT_SECRET"), "{command}");
        if command == "refresh" || command == "revoke" {
            assert!(help.stdout.contains("--refresh-token-stdin"), "{command}");
        }
    }
}

// ---- the Cognito JSON API: protocol, retries, timeouts ------------------------------

/// One scripted answer: status, content type, body.
type Scripted = (u16, &'static str, &'static str);

/// A fake Cognito endpoint answering from a script, one answer per request.
#[derive(Default)]
struct FakeCognito {
    script: Mutex<Vec<Scripted>>,
    requests: AtomicUsize,
    seen: Mutex<Vec<(String, String, Value)>>,
    stall: Mutex<Option<Duration>>,
}

async fn fake_cognito_handler(
    State(fake): State<Arc<FakeCognito>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.requests.fetch_add(1, Ordering::SeqCst);
    let stall = *fake.stall.lock().unwrap();
    if let Some(stall) = stall {
        tokio::time::sleep(stall).await;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    fake.seen.lock().unwrap().push((
        header("content-type"),
        header("x-amz-target"),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ));
    let (status, content_type, body) = {
        let mut script = fake.script.lock().unwrap();
        if script.is_empty() {
            (200, "application/x-amz-json-1.1", "{}")
        } else {
            script.remove(0)
        }
    };
    let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
    response
        .headers_mut()
        .insert("content-type", content_type.parse().unwrap());
    response
        .headers_mut()
        .insert("x-amzn-requestid", "fake-request".parse().unwrap());
    response
}

async fn fake_cognito(
    script: Vec<(u16, &'static str, &'static str)>,
) -> (Arc<FakeCognito>, CognitoClient) {
    let fake = Arc::new(FakeCognito::default());
    *fake.script.lock().unwrap() = script;
    let base = serve(
        Router::new()
            .route("/", post(fake_cognito_handler))
            .with_state(fake.clone()),
    )
    .await;
    let client = CognitoClient::builder()
        .endpoint(base)
        .timeout(Duration::from_millis(500))
        .retry(
            RetryPolicy::new(3)
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    (fake, client)
}

const JSON: &str = "application/x-amz-json-1.1";
const SIGNED_IN: &str = r#"{"AuthenticationResult":{"AccessToken":"at","IdToken":"it","RefreshToken":"rt","ExpiresIn":3600,"TokenType":"Bearer"}}"#;

#[tokio::test]
async fn the_wire_format_of_initiate_auth() {
    let (fake, client) = fake_cognito(vec![(200, JSON, SIGNED_IN)]).await;
    let app = client.app_client("client-1").with_secret("client-secret-1");
    let AuthOutcome::Tokens(tokens) = app.sign_in("alice", &Secret::new("pw")).await.unwrap()
    else {
        panic!("tokens expected")
    };
    assert_eq!(tokens.refresh_token.unwrap().expose(), "rt");
    let seen = fake.seen.lock().unwrap();
    let (content_type, target, body) = &seen[0];
    assert_eq!(content_type, "application/x-amz-json-1.1");
    assert_eq!(target, "AWSCognitoIdentityProviderService.InitiateAuth");
    assert_eq!(body["AuthFlow"], "USER_PASSWORD_AUTH");
    assert_eq!(body["ClientId"], "client-1");
    assert_eq!(body["AuthParameters"]["USERNAME"], "alice");
    assert_eq!(body["AuthParameters"]["PASSWORD"], "pw");
    assert_eq!(
        body["AuthParameters"]["SECRET_HASH"],
        cognito_auth::client::secret_hash("alice", "client-1", "client-secret-1")
    );
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_then_succeeds() {
    let throttled = r#"{"__type":"TooManyRequestsException","message":"Rate exceeded"}"#;
    let (fake, client) = fake_cognito(vec![
        (400, JSON, throttled),
        (400, JSON, throttled),
        (200, JSON, SIGNED_IN),
    ])
    .await;
    let outcome = client
        .app_client("c")
        .sign_in("alice", &Secret::new("pw"))
        .await
        .unwrap();
    assert!(matches!(outcome, AuthOutcome::Tokens(_)));
    assert_eq!(fake.requests.load(Ordering::SeqCst), 3);
}

/// Hardening round 2, item 8: each operation says whether it may be
/// repeated. A sign-in (`InitiateAuth`) is not repeated after a 5xx, and
/// `LimitExceededException` (attempt limits) is never repeated; a read
/// (`GetUser`) is.
#[tokio::test]
async fn what_is_and_is_not_retried() {
    let cases: Vec<(Vec<Scripted>, usize, &str)> = vec![
        (
            vec![(
                400,
                JSON,
                r#"{"__type":"NotAuthorizedException","message":"Incorrect username or password."}"#,
            )],
            1,
            "NotAuthorizedException",
        ),
        (
            vec![
                (
                    400,
                    JSON,
                    r#"{"__type":"com.amazonaws#LimitExceededException","message":"slow down"}"#
                );
                3
            ],
            1,
            "LimitExceededException",
        ),
        (
            vec![
                (
                    500,
                    "text/html",
                    "<!doctype html><title>500 Internal Server Error</title>"
                );
                3
            ],
            1,
            "UnexpectedResponse",
        ),
        (
            vec![
                (
                    500,
                    JSON,
                    r#"{"__type":"InternalErrorException","message":"oops"}"#,
                ),
                (200, JSON, SIGNED_IN),
            ],
            1,
            "InternalErrorException",
        ),
    ];
    for (script, requests, error) in cases {
        let (fake, client) = fake_cognito(script).await;
        let result = client
            .app_client("c")
            .sign_in("alice", &Secret::new("pw"))
            .await;
        assert_eq!(fake.requests.load(Ordering::SeqCst), requests, "{error}");
        match result {
            Ok(_) => assert!(error.is_empty()),
            Err(err) => {
                let service = err.service_error().unwrap();
                assert_eq!(service.name(), error);
                assert_eq!(service.request_id(), Some("fake-request"));
            }
        }
    }
    // A read is repeated after a 5xx, and succeeds.
    let (fake, client) = fake_cognito(vec![
        (
            500,
            JSON,
            r#"{"__type":"InternalErrorException","message":"oops"}"#,
        ),
        (200, JSON, r#"{"Username":"alice","UserAttributes":[]}"#),
    ])
    .await;
    let user = client.get_user(&Secret::new("token")).await.unwrap();
    assert_eq!(user.username, "alice");
    assert_eq!(fake.requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_stalled_endpoint_times_out_and_a_closed_one_is_a_transport_error() {
    let (fake, client) = fake_cognito(vec![]).await;
    *fake.stall.lock().unwrap() = Some(Duration::from_secs(5));
    let started = Instant::now();
    let err = client.get_user(&Secret::new("token")).await.unwrap_err();
    assert_eq!(err.kind(), "transport");
    assert!(err.to_string().contains("no answer within 500 ms"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        fake.requests.load(Ordering::SeqCst),
        1,
        "a timeout is not retried"
    );

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let client = CognitoClient::builder()
        .endpoint(format!("http://{closed}"))
        .retry(RetryPolicy::new(2).base_delay(Duration::from_millis(5)))
        .build()
        .unwrap();
    let err = client.get_user(&Secret::new("token")).await.unwrap_err();
    assert_eq!(err.kind(), "transport");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let (_, client) = fake_cognito(vec![(200, JSON, SIGNED_IN)]).await;
    let app = client
        .app_client("client-1")
        .with_secret("client-secret-XYZ");
    let outcome = app
        .sign_in("alice", &Secret::new("password-XYZ"))
        .await
        .unwrap();
    let endpoint = TokenEndpoint::new("https://auth.example.com/oauth2/token", "id")
        .unwrap()
        .client_secret("token-endpoint-secret-XYZ");
    let source = ClientCredentials::new(endpoint.clone(), ["s"]);
    let pkce = Pkce::generate().unwrap();
    let debug = format!("{app:?} {outcome:?} {endpoint:?} {source:?} {pkce:?} {client:?}");
    for secret in [
        "client-secret-XYZ",
        "password-XYZ",
        "token-endpoint-secret-XYZ",
        pkce.verifier().expose(),
        "\"at\"",
        "\"rt\"",
        "\"it\"",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
    assert!(debug.contains("[redacted]"));
}

// ---- answer size caps ----------------------------------------------------------------

/// A raw HTTP server answering every request with `total` bytes of body in
/// 1 KiB chunks, chunked encoding, no `Content-Length`.
async fn chunked_server(total: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
                for _ in 0..total / 1024 {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn answers_past_the_size_cap_are_refused_not_read() {
    // Cognito API, declared length above the cap.
    let big: &'static str =
        Box::leak(format!("{{\"pad\":\"{}\"}}", "x".repeat(4096)).into_boxed_str());
    let fake = Arc::new(FakeCognito::default());
    *fake.script.lock().unwrap() = vec![(200, JSON, big)];
    let base = serve(
        Router::new()
            .route("/", post(fake_cognito_handler))
            .with_state(fake),
    )
    .await;
    let client = CognitoClient::builder()
        .endpoint(base)
        .max_response_bytes(1024)
        .build()
        .unwrap();
    let err = client.get_user(&Secret::new("token")).await.unwrap_err();
    assert_eq!(err.kind(), "transport");
    assert!(err.to_string().contains("larger than 1024 bytes"), "{err}");

    // Token endpoint, streamed without a length: 1 MiB against a 4 KiB cap
    // fails; a 1 KiB answer under a 4 KiB cap is read (and, not being a
    // token answer, reported as such rather than as too large).
    let url = chunked_server(1024 * 1024).await;
    let endpoint = TokenEndpoint::new(&format!("{url}/oauth2/token"), CLIENT_ID)
        .unwrap()
        .max_response_bytes(4096);
    let err = endpoint.client_credentials(&[]).await.unwrap_err();
    assert_eq!(err.kind(), "transport");
    assert!(err.to_string().contains("larger than 4096 bytes"), "{err}");

    let url = chunked_server(1024).await;
    let endpoint = TokenEndpoint::new(&format!("{url}/oauth2/token"), CLIENT_ID)
        .unwrap()
        .max_response_bytes(4096);
    let err = endpoint.client_credentials(&[]).await.unwrap_err();
    assert!(!err.to_string().contains("larger than"), "{err}");
}
