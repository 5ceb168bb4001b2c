//! The tower layer, guards and axum extractors through a real router
//! (`oneshot`), with real tokens and the testing pool's loopback JWKS.

mod common;
#[path = "../examples/common/mod.rs"]
#[allow(dead_code)]
mod example;

use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::routing::get;
use cognito_auth::axum::{AccessToken, Claims, Require, Verified};
use cognito_auth::testing::{JwksBehavior, MockPool};
use cognito_auth::tower::{AuthLayer, RequireLayer};
use cognito_auth::web::{
    AuthRejection, Authenticator, Guard, RejectionContext, Reply, TokenLookup, TokenSource,
};
use cognito_auth::{Requirement, TokenUse, VerifiedToken, Verifier};
use common::web::{Answer, Tokens, all_cases, authenticator, check, in_memory, unavailable_case};
use example::ReportReaders;
use example::axum_routes::app;
use http::{Request, header};
use tower::ServiceExt;

async fn send(app: &Router, path: &str, authorization: Option<&str>) -> Answer {
    let mut request = Request::builder().uri(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    read_answer(
        app.clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap(),
    )
    .await
}

async fn read_answer(response: http::Response<Body>) -> Answer {
    let text = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let (status, www_authenticate, retry_after, content_type) = (
        response.status().as_u16(),
        text(header::WWW_AUTHENTICATE),
        text(header::RETRY_AFTER),
        text(header::CONTENT_TYPE),
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        www_authenticate,
        retry_after,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn every_row_of_the_table() {
    let pool = MockPool::start().await.unwrap();
    let app = app(authenticator(&pool), in_memory(), None);
    let tokens = Tokens::mint(&pool);
    for case in all_cases(&pool, &tokens) {
        let answer = send(&app, case.path, case.authorization.as_deref()).await;
        check(&case, &answer);
    }
}

#[tokio::test]
async fn keys_that_cannot_be_had_are_503() {
    let pool = MockPool::start().await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(500));
    let app = app(authenticator(&pool), in_memory(), None);
    let token = pool.access_token().sign().unwrap();
    let case = unavailable_case(&token);
    check(
        &case,
        &send(&app, case.path, case.authorization.as_deref()).await,
    );
}

#[tokio::test]
async fn extractors_without_the_layer_answer_500() {
    let app = Router::new()
        .route(
            "/me",
            get(|AccessToken(claims): AccessToken| async move { claims.sub.clone() }),
        )
        .route(
            "/optional",
            get(|token: Option<VerifiedToken>| async move { format!("{token:?}") }),
        );
    for path in ["/me", "/optional"] {
        let answer = send(&app, path, Some("Bearer abc")).await;
        assert_eq!(answer.status, 500, "{path}");
        assert!(answer.body.contains("layer is missing"), "{}", answer.body);
    }
    let guarded = Router::new().route(
        "/admin",
        get(|| async { "x" })
            .route_layer(RequireLayer::new(Guard::groups(Requirement::any_of(["a"])))),
    );
    assert_eq!(send(&guarded, "/admin", None).await.status, 500);
}

#[tokio::test]
async fn guards_on_an_optional_layer_refuse_anonymous_requests() {
    let pool = MockPool::start().await.unwrap();
    let app = Router::new()
        .route(
            "/scoped",
            get(|| async { "in" }).route_layer(RequireLayer::new(Guard::scopes(
                Requirement::all_of(["a", "b"]),
            ))),
        )
        .route(
            "/typed",
            get(|token: Option<Require<ReportReaders>>| async move {
                token.map_or("anonymous".to_owned(), |token| {
                    token.sub().unwrap().to_owned()
                })
            }),
        )
        .route_layer(AuthLayer::new(authenticator(&pool).optional()));
    assert_eq!(send(&app, "/scoped", None).await.status, 401);
    let one = pool.access_token().scopes(["a"]).sign().unwrap();
    let answer = send(&app, "/scoped", Some(&format!("Bearer {one}"))).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.www_authenticate.as_deref(),
        Some(r#"Bearer realm="api", error="insufficient_scope", scope="a b""#)
    );
    let both = pool.access_token().scopes(["b", "a"]).sign().unwrap();
    assert_eq!(
        send(&app, "/scoped", Some(&format!("Bearer {both}")))
            .await
            .body,
        "in"
    );
    assert_eq!(send(&app, "/typed", None).await.body, "anonymous");
    assert_eq!(
        send(&app, "/typed", Some(&format!("Bearer {one}")))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn cookie_and_custom_token_sources() {
    let pool = MockPool::start().await.unwrap();
    let token = pool.access_token().username("carol").sign().unwrap();
    let cookie_app = app(
        authenticator(&pool).token_source(TokenSource::cookie("access_token")),
        in_memory(),
        None,
    );
    let request = Request::builder()
        .uri("/me")
        .header(header::COOKIE, format!("theme=dark; access_token={token}"))
        .body(Body::empty())
        .unwrap();
    let answer = read_answer(cookie_app.clone().oneshot(request).await.unwrap()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("carol"));
    // The cookie source ignores the Authorization header.
    assert_eq!(
        send(&cookie_app, "/me", Some(&format!("Bearer {token}")))
            .await
            .status,
        401
    );

    let custom = app(
        authenticator(&pool).token_source(TokenSource::custom(|request| {
            match request.header("x-api-token") {
                Some(token) => TokenLookup::Found(token.to_owned()),
                None => TokenLookup::Missing,
            }
        })),
        in_memory(),
        None,
    );
    let request = Request::builder()
        .uri("/me")
        .header("x-api-token", &token)
        .body(Body::empty())
        .unwrap();
    let answer = read_answer(custom.oneshot(request).await.unwrap()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[tokio::test]
async fn rejections_can_be_rendered_your_way() {
    let pool = MockPool::start().await.unwrap();
    let plain = |rejection: &AuthRejection, context: &RejectionContext| {
        let standard = Reply::standard(rejection, context);
        let mut response = Reply::new(
            standard.status,
            format!("denied: {}", rejection.error_code()),
        )
        .header("content-type", "text/plain");
        if let Some(challenge) = standard.header_value("www-authenticate") {
            response = response.header("www-authenticate", challenge.to_owned());
        }
        response
    };
    let app = app(
        authenticator(&pool).realm("orders").render_with(plain),
        in_memory(),
        None,
    );
    let answer = send(&app, "/me", None).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body, "denied: missing_token");
    assert_eq!(
        answer.www_authenticate.as_deref(),
        Some(r#"Bearer realm="orders""#)
    );
    // Guards and extractors render with the same renderer.
    let user = pool.access_token().sign().unwrap();
    let answer = send(&app, "/admin", Some(&format!("Bearer {user}"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (403, "denied: insufficient_scope")
    );
    let id = pool.id_token().sign().unwrap();
    let answer = send(&app, "/me", Some(&format!("Bearer {id}"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, "denied: invalid_token")
    );
}

#[derive(Clone)]
struct AppState {
    authenticator: Authenticator,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.authenticator.clone()
    }
}

#[tokio::test]
async fn verifying_from_state_without_a_layer() {
    let pool = MockPool::start().await.unwrap();
    #[derive(serde::Deserialize)]
    struct Tenant {
        #[serde(rename = "custom:tenant")]
        tenant: String,
    }
    let app =
        Router::new()
            .route(
                "/me",
                get(
                    |Verified(AccessToken(claims)): Verified<AccessToken>| async move {
                        claims.sub.clone()
                    },
                ),
            )
            .route(
                "/tenant",
                get(|Verified(Claims(mine)): Verified<Claims<Tenant>>| async move { mine.tenant }),
            )
            .route(
                "/maybe",
                get(|token: Option<Verified<VerifiedToken>>| async move {
                    token.map_or("anonymous".to_owned(), |Verified(token)| {
                        token.kid().to_owned()
                    })
                }),
            )
            .with_state(AppState {
                authenticator: authenticator(&pool),
            });
    let token = pool
        .access_token()
        .claim("custom:tenant", "acme")
        .sign()
        .unwrap();
    let bearer = format!("Bearer {token}");
    assert_eq!(send(&app, "/tenant", Some(&bearer)).await.body, "acme");
    assert_eq!(send(&app, "/me", None).await.status, 401);
    assert_eq!(send(&app, "/maybe", None).await.body, "anonymous");
    assert_eq!(send(&app, "/maybe", Some("Bearer x.y.z")).await.status, 401);
    assert!(
        send(&app, "/maybe", Some(&bearer))
            .await
            .body
            .starts_with("test-")
    );
    let without_tenant = pool.access_token().sign().unwrap();
    let answer = send(&app, "/tenant", Some(&format!("Bearer {without_tenant}"))).await;
    assert_eq!(answer.status, 401);
    // The details (the missing custom:tenant) are logged, not answered.
    assert!(
        answer.body.contains("the token is malformed"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn a_verifier_for_one_token_use_rejects_the_other_at_the_layer() {
    let pool = MockPool::start().await.unwrap();
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Id)
                .client_id(pool.client_id()),
        )
        .build()
        .unwrap();
    let app = app(Authenticator::new(verifier), in_memory(), None);
    let access = pool.access_token().sign().unwrap();
    let answer = send(&app, "/profile", Some(&format!("Bearer {access}"))).await;
    assert_eq!(answer.status, 401);
    assert!(
        answer.body.contains("not of the accepted kind"),
        "{}",
        answer.body
    );
}

/// Groups that no user can be in: a requirement built from an empty list.
struct NobodysGroups;

impl cognito_auth::web::StaticRequirement for NobodysGroups {
    const CLAIM: cognito_auth::web::Claim = cognito_auth::web::Claim::Groups;
    fn requirement() -> Requirement {
        Requirement::all_of(Vec::<String>::new())
    }
}

/// Hardening round 2, item 1: an empty requirement refuses everyone, in
/// the layer and in the typed extractor.
#[tokio::test]
async fn an_empty_requirement_refuses_everyone() {
    let pool = MockPool::start().await.unwrap();
    let empty = Vec::<String>::new;
    let app = Router::new()
        .route(
            "/groups",
            get(|| async { "in" }).route_layer(RequireLayer::new(Guard::groups(
                Requirement::all_of(empty()),
            ))),
        )
        .route(
            "/scopes",
            get(|| async { "in" }).route_layer(RequireLayer::new(Guard::scopes(
                Requirement::all_of(empty()),
            ))),
        )
        .route("/typed", get(|_: Require<NobodysGroups>| async { "in" }))
        .route_layer(AuthLayer::new(authenticator(&pool)));
    let token = pool
        .access_token()
        .groups(["admin"])
        .scopes(["a"])
        .sign()
        .unwrap();
    for path in ["/groups", "/scopes", "/typed"] {
        let answer = send(&app, path, Some(&format!("Bearer {token}"))).await;
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
    }
}

/// Hardening round 2, item 3: a token cookie sent twice is a 400, not the
/// first one winning.
#[tokio::test]
async fn a_repeated_token_cookie_is_refused() {
    let pool = MockPool::start().await.unwrap();
    let app = Router::new()
        .route(
            "/me",
            get(|AccessToken(claims): AccessToken| async move { claims.sub.clone() }),
        )
        .route_layer(AuthLayer::new(
            authenticator(&pool).token_source(TokenSource::cookie("access_token")),
        ));
    let planted = pool.access_token().username("mallory").sign().unwrap();
    let mine = pool.access_token().username("alice").sign().unwrap();
    let request = |cookie: String| {
        Request::builder()
            .uri("/me")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    let answer = read_answer(
        app.clone()
            .oneshot(request(format!(
                "access_token={planted}; access_token={mine}"
            )))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("more than one access_token cookie"),
        "{}",
        answer.body
    );
    let answer = read_answer(
        app.oneshot(request(format!("access_token={mine}")))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200);
}
