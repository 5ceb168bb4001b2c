//! AWS Lambda without AWS: the crate's tower layers on `lambda_http`,
//! invoked with API Gateway (REST and HTTP API) and function URL events;
//! and the API Gateway authorizer with TOKEN, REQUEST and HTTP API events.
//! The events are JSON fixtures in `tests/fixtures/lambda/` in the shape
//! API Gateway and Lambda send.

#[path = "../examples/lambda/app.rs"]
mod app;
mod common;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use cognito_auth::lambda::{Authorizer, AuthorizerError};
use cognito_auth::testing::{JwksBehavior, MockPool};
use cognito_auth::web::Guard;
use cognito_auth::{Requirement, Verifier};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A fixture with `Bearer <token>` where the token goes, or without the
/// header (and identity source) at all.
fn event(name: &str, token: Option<&str>) -> String {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/lambda/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    match token {
        Some(token) => text.replace("{{AUTHORIZATION}}", &format!("Bearer {token}")),
        None => {
            let mut value: Value = serde_json::from_str(&text).unwrap();
            strip(&mut value);
            value.to_string()
        }
    }
}

/// Removes every field or list entry holding the placeholder.
fn strip(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, field| !mentions_placeholder(field));
            map.values_mut().for_each(strip);
        }
        Value::Array(items) => items.retain(|item| !mentions_placeholder(item)),
        _ => {}
    }
}

fn mentions_placeholder(value: &Value) -> bool {
    match value {
        Value::String(text) => text == "{{AUTHORIZATION}}",
        Value::Array(items) => items.iter().any(mentions_placeholder),
        _ => false,
    }
}

fn verifier(pool: &MockPool) -> Verifier {
    common::access_verifier(pool)
}

fn body_text(response: &lambda_http::Response<lambda_http::Body>) -> String {
    match response.body() {
        lambda_http::Body::Text(text) => text.clone(),
        lambda_http::Body::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn the_layers_run_on_lambda_http_for_every_event_source() {
    let pool = MockPool::start().await.unwrap();
    let verifier = verifier(&pool);
    let member = pool
        .access_token()
        .username("alice")
        .groups([app::GROUP])
        .sign()
        .unwrap();
    let outsider = pool.access_token().username("bob").sign().unwrap();
    for source in ["apigw_rest", "apigw_http", "function_url"] {
        let call = |token: Option<&str>| {
            let request = lambda_http::request::from_str(&event(source, token)).unwrap();
            app::service(verifier.clone()).oneshot(request)
        };
        let allowed = call(Some(&member)).await.unwrap();
        assert_eq!(allowed.status(), 200, "{source}: {}", body_text(&allowed));
        let claims: Value = serde_json::from_str(&body_text(&allowed)).unwrap();
        assert_eq!(claims["username"], "alice", "{source}");
        assert_eq!(claims["groups"], json!([app::GROUP]));
        // (REST events carry the stage in the path lambda_http builds.)
        let path = claims["path"].as_str().unwrap();
        assert!(
            path.ends_with("/pets/7"),
            "{source}: the event's path, {path}"
        );

        let missing = call(None).await.unwrap();
        assert_eq!(missing.status(), 401, "{source}");
        assert!(
            missing.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let forbidden = call(Some(&outsider)).await.unwrap();
        assert_eq!(forbidden.status(), 403, "{source}");
        let garbled = call(Some("not.a.token")).await.unwrap();
        assert_eq!(garbled.status(), 401, "{source}");
    }
}

#[tokio::test]
async fn token_and_request_authorizers_answer_with_iam_policies() {
    let pool = MockPool::start().await.unwrap();
    let authorizer =
        Authorizer::new(verifier(&pool)).require(Guard::groups(Requirement::any_of([app::GROUP])));
    let member = pool
        .access_token()
        .username("alice")
        .groups([app::GROUP, "staff"])
        .scopes(["pets/read"])
        .sign()
        .unwrap();
    let outsider = pool.access_token().username("bob").sign().unwrap();
    let token_event = |token: Option<&str>| -> ApiGatewayCustomAuthorizerRequest {
        serde_json::from_str(&event("authorizer_token", token)).unwrap()
    };
    let request_event = |token: Option<&str>| -> ApiGatewayCustomAuthorizerRequestTypeRequest {
        serde_json::from_str(&event("authorizer_request", token)).unwrap()
    };
    let method_arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets/7";

    for answer in [
        authorizer.token(token_event(Some(&member))).await.unwrap(),
        authorizer
            .request(request_event(Some(&member)))
            .await
            .unwrap(),
    ] {
        // API Gateway's own wire format.
        let wire = serde_json::to_value(&answer).unwrap();
        let statement = &wire["policyDocument"]["Statement"][0];
        assert_eq!(wire["policyDocument"]["Version"], "2012-10-17");
        assert_eq!(statement["Effect"], "Allow", "{wire}");
        assert_eq!(statement["Action"], json!(["execute-api:Invoke"]));
        assert_eq!(statement["Resource"], json!([method_arn]));
        let context = &wire["context"];
        assert_eq!(context["username"], "alice");
        assert_eq!(context["groups"], "pets,staff");
        assert_eq!(context["scope"], "pets/read");
        assert_eq!(context["token_use"], "access");
        assert_eq!(wire["principalId"], context["sub"]);
    }

    // Valid but outside the group: Deny (403), still naming the caller.
    for answer in [
        authorizer
            .token(token_event(Some(&outsider)))
            .await
            .unwrap(),
        authorizer
            .request(request_event(Some(&outsider)))
            .await
            .unwrap(),
    ] {
        let wire = serde_json::to_value(&answer).unwrap();
        assert_eq!(wire["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(wire["context"]["username"], "bob");
    }

    // No token or a bad one: the "Unauthorized" error API Gateway turns
    // into a 401.
    let expired = pool
        .access_token()
        .username("alice")
        .groups([app::GROUP])
        .lifetime(std::time::Duration::ZERO)
        .sign()
        .unwrap();
    for refused in [
        authorizer.token(token_event(None)).await.unwrap_err(),
        authorizer
            .token(token_event(Some(&expired)))
            .await
            .unwrap_err(),
        authorizer
            .token(token_event(Some("garbage")))
            .await
            .unwrap_err(),
        authorizer.request(request_event(None)).await.unwrap_err(),
        authorizer
            .request(request_event(Some(&expired)))
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(refused, AuthorizerError::Unauthorized(_)),
            "{refused:?}"
        );
        assert_eq!(refused.to_string(), "Unauthorized");
    }

    // Cached answers for the whole stage.
    let whole = Authorizer::new(verifier(&pool)).whole_api();
    let wire =
        serde_json::to_value(whole.token(token_event(Some(&member))).await.unwrap()).unwrap();
    assert_eq!(
        wire["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*"])
    );
}

#[tokio::test]
async fn http_api_authorizers_answer_simply() {
    let pool = MockPool::start().await.unwrap();
    let authorizer =
        Authorizer::new(verifier(&pool)).require(Guard::groups(Requirement::any_of([app::GROUP])));
    let member = pool
        .access_token()
        .username("alice")
        .groups([app::GROUP])
        .sign()
        .unwrap();
    let outsider = pool.access_token().username("bob").sign().unwrap();
    let http_event = |token: Option<&str>| -> ApiGatewayV2CustomAuthorizerV2Request {
        serde_json::from_str(&event("authorizer_http", token)).unwrap()
    };
    let allowed =
        serde_json::to_value(authorizer.simple(http_event(Some(&member))).await.unwrap()).unwrap();
    assert_eq!(allowed["isAuthorized"], true);
    assert_eq!(allowed["context"]["username"], "alice");
    for token in [Some(outsider.as_str()), None, Some("garbage")] {
        let refused = authorizer.simple(http_event(token)).await.unwrap();
        let wire = serde_json::to_value(refused).unwrap();
        assert_eq!(wire["isAuthorized"], false, "{token:?}");
    }
}

#[tokio::test]
async fn keys_that_cannot_be_had_allow_nothing() {
    let pool = MockPool::start().await.unwrap();
    let token = pool.access_token().username("alice").sign().unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(503));
    let authorizer = Authorizer::new(verifier(&pool));
    let event: ApiGatewayCustomAuthorizerRequest =
        serde_json::from_str(&event("authorizer_token", Some(&token))).unwrap();
    let refused = authorizer.token(event).await.unwrap_err();
    assert!(
        matches!(refused, AuthorizerError::Unavailable(_)),
        "{refused:?}"
    );
    assert_eq!(refused.kind(), "unavailable");
    assert!(!refused.to_string().contains(&token));
}
