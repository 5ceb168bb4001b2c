//! No secret in any log line or `Debug` output: every event at TRACE (the
//! crate's and its dependencies') is captured while signing in, answering a
//! challenge, refreshing, revoking, fetching machine tokens, verifying good
//! and bad tokens and refusing web requests; then every secret is searched.

mod common;
mod log_capture;

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
    let (capture, subscriber) = log_capture::Capture::subscriber();
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

    let logs = capture.text();
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

/// An answer of the `/me` route behind an authentication layer: status,
/// headers and body as one text.
async fn answer_text(authenticator: Authenticator, token: &str) -> (u16, String) {
    let router = Router::new()
        .route(
            "/me",
            get(|AccessToken(claims): AccessToken| async move { claims.sub.clone() }),
        )
        .route_layer(AuthLayer::new(authenticator));
    let request = axum::http::Request::builder()
        .uri("/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = format!("{:?}", response.headers());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        format!("{headers} {}", String::from_utf8_lossy(&body)),
    )
}

/// Hardening round 2, item 6: by default an unauthenticated caller learns
/// one fixed phrase per error kind — not the configured client ids, not
/// the key server's host or port; `verbose_errors(true)` gives the details.
#[tokio::test]
async fn answers_do_not_tell_the_configuration() {
    let pool = MockPool::start().await.unwrap();
    let verifier = cognito_auth::Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Access)
                .client_ids(["configured-client-one", "configured-client-two"]),
        )
        .build()
        .unwrap();
    let other_client = pool
        .access_token()
        .client_id("someone-else")
        .sign()
        .unwrap();
    let (status, text) = answer_text(Authenticator::new(verifier.clone()), &other_client).await;
    assert_eq!(status, 401);
    assert!(!text.contains("configured-client"), "{text}");
    assert!(
        text.contains("the token was issued for another client"),
        "{text}"
    );
    let (_, verbose) = answer_text(
        Authenticator::new(verifier).verbose_errors(true),
        &other_client,
    )
    .await;
    assert!(verbose.contains("configured-client-one"), "{verbose}");

    let down = MockPool::start().await.unwrap();
    down.set_jwks_behavior(cognito_auth::testing::JwksBehavior::RefuseConnections);
    let verifier = common::builder(&down, TokenUse::Access).build().unwrap();
    let token = down.access_token().sign().unwrap();
    let (status, text) = answer_text(Authenticator::new(verifier), &token).await;
    assert_eq!(status, 503);
    let port = down.base_url().rsplit(':').next().unwrap().to_owned();
    assert!(!text.contains("127.0.0.1"), "{text}");
    assert!(!text.contains(&port), "{text}");
    assert!(!text.contains("jwks.json"), "{text}");
}

/// Hardening round 2, item 12: a verified token's `Debug` output names its
/// claims but shows no personal data.
#[tokio::test]
async fn verified_tokens_do_not_print_personal_data() {
    let pool = MockPool::start().await.unwrap();
    let verifier = common::builder(&pool, TokenUse::Id).build().unwrap();
    let token = pool
        .id_token()
        .username("alice")
        .email("alice.private@example.com")
        .claim("phone_number", "+15550100")
        .claim("custom:tenant", "acme-secret-tenant")
        .sign()
        .unwrap();
    let verified = verifier.verify(&token).await.unwrap();
    let debug = format!("{verified:?}");
    for private in [
        "alice.private@example.com",
        "+15550100",
        "acme-secret-tenant",
    ] {
        assert!(!debug.contains(private), "{debug}");
    }
    for shown in [
        "email",
        "custom:tenant",
        verified.sub().unwrap(),
        pool.issuer(),
    ] {
        assert!(debug.contains(shown), "{shown} missing: {debug}");
    }
}
