//! No secret in any log line or `Debug` output: every event at TRACE (the
//! crate's and its dependencies') is captured while signing in, answering a
//! challenge, refreshing, revoking, fetching machine tokens, verifying good
//! and bad tokens and refusing web requests; then every secret is searched.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::{get, post};
use cognito_auth::TokenUse;
use cognito_auth::axum::AccessToken;
use cognito_auth::client::{
    AuthOutcome, ClientCredentials, CognitoClient, Pkce, Secret, TokenEndpoint,
};
use cognito_auth::testing::MockPool;
use cognito_auth::tower::AuthLayer;
use cognito_auth::web::Authenticator;
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "pa55-WORD-never-logged";
const NEW_PASSWORD: &str = "new-PA55word-never-logged";
const CLIENT_SECRET: &str = "client-SECRET-never-logged";
const SESSION: &str = "session-SECRET-never-logged";
const REFRESH_TOKEN: &str = "refresh-TOKEN-never-logged";
const MACHINE_TOKEN: &str = "machine-TOKEN-never-logged";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// A Cognito stand-in: a challenge for the first sign-in, tokens after.
fn fake_cognito(access: String, id: String) -> Router {
    let handler = move |headers: axum::http::HeaderMap, body: Bytes| {
        let (access, id) = (access.clone(), id.clone());
        async move {
            let target = headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let tokens = json!({"AuthenticationResult": {
                "AccessToken": access, "IdToken": id, "RefreshToken": REFRESH_TOKEN,
                "ExpiresIn": 3600, "TokenType": "Bearer"}});
            let answer = match target.rsplit('.').next().unwrap_or_default() {
                "InitiateAuth" if request["AuthFlow"] == "USER_PASSWORD_AUTH" => json!({
                    "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": SESSION,
                    "ChallengeParameters": {"USER_ID_FOR_SRP": "alice"}}),
                "InitiateAuth" | "RespondToAuthChallenge" => tokens,
                "RevokeToken" => json!({}),
                _ => {
                    json!({"__type": "NotAuthorizedException", "message": "Access Token has been revoked"})
                }
            };
            let status = if answer.get("__type").is_some() {
                400
            } else {
                200
            };
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                answer.to_string(),
            )
        }
    };
    Router::new().route("/", post(handler))
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_or_a_debug_string() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let pool = MockPool::start().await.unwrap();
    let access = pool.access_token().username("alice").sign().unwrap();
    let id = pool.id_token().username("alice").sign().unwrap();
    let mut debug = Vec::new();

    // Sign-in with a challenge, refresh, revoke, GetUser.
    let base = serve(fake_cognito(access.clone(), id.clone())).await;
    let cognito = CognitoClient::builder().endpoint(&base).build().unwrap();
    let app = cognito
        .app_client(pool.client_id())
        .with_secret(CLIENT_SECRET);
    let AuthOutcome::Challenge(challenge) =
        app.sign_in("alice", &Secret::new(PASSWORD)).await.unwrap()
    else {
        panic!("expected a challenge");
    };
    debug.push(format!("{challenge:?} {app:?} {cognito:?}"));
    let tokens = app
        .respond_new_password(&challenge, &Secret::new(NEW_PASSWORD))
        .await
        .unwrap()
        .into_tokens()
        .unwrap();
    debug.push(format!("{tokens:?}"));
    let refreshed = app
        .refresh(&Secret::new(REFRESH_TOKEN), Some("alice"))
        .await
        .unwrap();
    debug.push(format!("{refreshed:?}"));
    app.revoke(&Secret::new(REFRESH_TOKEN)).await.unwrap();
    let refused = cognito
        .get_user(&Secret::new(access.clone()))
        .await
        .unwrap_err();
    debug.push(format!("{refused:?} {refused}"));

    // The token endpoint with Basic auth, and a machine token source.
    let token_endpoint = serve(Router::new().route(
        "/oauth2/token",
        post(|| async {
            json!({"access_token": MACHINE_TOKEN, "expires_in": 3600, "token_type": "Bearer"})
                .to_string()
        }),
    ))
    .await;
    let endpoint = TokenEndpoint::new(&format!("{token_endpoint}/oauth2/token"), "machine")
        .unwrap()
        .client_secret(CLIENT_SECRET);
    let machine = ClientCredentials::new(endpoint.clone(), ["scope/read"]);
    let machine_token = machine.access_token().await.unwrap();
    assert_eq!(machine_token.expose(), MACHINE_TOKEN);
    let pkce = Pkce::generate().unwrap();
    debug.push(format!(
        "{endpoint:?} {machine:?} {machine_token:?} {pkce:?}"
    ));

    // Verification, good and bad, and web refusals.
    let verifier = common::builder(&pool, TokenUse::Access).build().unwrap();
    let verified = verifier.verify(&access).await.unwrap();
    debug.push(format!("{verified:?} {verifier:?}"));
    let forged = format!("{}x", &access[..access.len() - 1]);
    for bad in [&id, &forged] {
        let err = verifier.verify(bad).await.unwrap_err();
        debug.push(format!("{err:?} {err}"));
    }
    let router = Router::new()
        .route(
            "/me",
            get(|AccessToken(claims): AccessToken| async move { claims.sub.clone() }),
        )
        .route_layer(AuthLayer::new(Authenticator::new(verifier.clone())));
    for authorization in [
        format!("Bearer {access}"),
        format!("Bearer {forged}"),
        format!("Bearer {id}"),
        "Bearer a b".into(),
    ] {
        let request = axum::http::Request::builder()
            .uri("/me")
            .header("authorization", authorization)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let headers = format!("{:?}", response.headers());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        debug.push(format!("{headers} {}", String::from_utf8_lossy(&body)));
    }

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.lines().count() > 10,
        "the subscriber captured nothing:\n{logs}"
    );
    let secrets = [
        PASSWORD,
        NEW_PASSWORD,
        CLIENT_SECRET,
        SESSION,
        REFRESH_TOKEN,
        MACHINE_TOKEN,
        pkce.verifier().expose(),
        &access,
        &id,
        &forged,
        // The signature alone, too: a log line could cut a token.
        access.rsplit('.').next().unwrap(),
        id.rsplit('.').next().unwrap(),
    ];
    for secret in secrets {
        for (line_number, line) in logs.lines().enumerate() {
            assert!(
                !line.contains(secret),
                "log line {line_number} leaks a secret: {line}"
            );
        }
        for text in &debug {
            assert!(
                !text.contains(secret),
                "Debug output leaks a secret: {text}"
            );
        }
    }
}
