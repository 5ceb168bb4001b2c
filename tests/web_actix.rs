//! The actix-web middleware, guards and extractors through a real app
//! (`actix_web::test`), with real tokens and the testing pool's loopback
//! JWKS. The same table as the axum tests: both frameworks answer alike.

mod common;
#[path = "../examples/common/mod.rs"]
#[allow(dead_code)]
mod example;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, test, web};
use cognito_auth::Requirement;
use cognito_auth::actix::{AccessToken, Authorize, Claims, CognitoAuth, Optional};
use cognito_auth::testing::{JwksBehavior, MockPool};
use cognito_auth::web::{Guard, TokenSource};
use common::web::{Answer, Tokens, all_cases, authenticator, check, in_memory, unavailable_case};
use example::actix_routes::routes;

async fn me_sub(AccessToken(claims): AccessToken) -> String {
    claims.sub.clone()
}

async fn read_answer<B: actix_web::body::MessageBody>(response: ServiceResponse<B>) -> Answer {
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
    let body = test::read_body(response).await;
    Answer {
        status,
        www_authenticate,
        retry_after,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn send<S, B>(app: &S, path: &str, authorization: Option<&str>) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let mut request = test::TestRequest::get().uri(path);
    if let Some(value) = authorization {
        request = request.insert_header((header::AUTHORIZATION, value));
    }
    read_answer(test::call_service(app, request.to_request()).await).await
}

#[actix_web::test]
async fn every_row_of_the_table() {
    let pool = MockPool::start().await.unwrap();
    let app =
        test::init_service(App::new().configure(routes(authenticator(&pool), in_memory(), None)))
            .await;
    let tokens = Tokens::mint(&pool);
    for case in all_cases(&pool, &tokens) {
        let answer = send(&app, case.path, case.authorization.as_deref()).await;
        check(&case, &answer);
    }
}

#[actix_web::test]
async fn keys_that_cannot_be_had_are_503() {
    let pool = MockPool::start().await.unwrap();
    pool.set_jwks_behavior(JwksBehavior::Status(500));
    let app =
        test::init_service(App::new().configure(routes(authenticator(&pool), in_memory(), None)))
            .await;
    let token = pool.access_token().sign().unwrap();
    let case = unavailable_case(&token);
    check(
        &case,
        &send(&app, case.path, case.authorization.as_deref()).await,
    );
}

#[actix_web::test]
async fn extractors_verify_from_app_data_without_the_middleware() {
    let pool = MockPool::start().await.unwrap();
    let verifier = common::any_use_verifier(&pool);
    #[derive(serde::Deserialize)]
    struct Tenant {
        #[serde(rename = "custom:tenant")]
        tenant: String,
    }
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/me", web::get().to(me_sub))
            .route(
                "/tenant",
                web::get().to(|Claims(mine): Claims<Tenant>| async move { mine.tenant }),
            )
            .route(
                "/maybe",
                web::get().to(|Optional(token): Optional<AccessToken>| async move {
                    token.map_or("anonymous".to_owned(), |AccessToken(claims)| {
                        claims.sub.clone()
                    })
                }),
            ),
    )
    .await;
    let token = pool
        .access_token()
        .claim("custom:tenant", "acme")
        .sign()
        .unwrap();
    let bearer = format!("Bearer {token}");
    assert_eq!(send(&app, "/me", Some(&bearer)).await.status, 200);
    assert_eq!(send(&app, "/tenant", Some(&bearer)).await.body, "acme");
    assert_eq!(send(&app, "/me", None).await.status, 401);
    // Optional<T> never downgrades an invalid token to anonymous.
    assert_eq!(send(&app, "/maybe", None).await.body, "anonymous");
    let invalid = send(&app, "/maybe", Some("Bearer x.y.z")).await;
    assert_eq!(invalid.status, 401);
    let id = pool.id_token().sign().unwrap();
    assert_eq!(
        send(&app, "/maybe", Some(&format!("Bearer {id}")))
            .await
            .status,
        401
    );
    assert_eq!(send(&app, "/maybe", Some(&bearer)).await.status, 200);
}

#[actix_web::test]
async fn no_middleware_and_no_app_data_is_500() {
    let app = test::init_service(
        App::new().route("/me", web::get().to(me_sub)).service(
            web::resource("/admin")
                .wrap(Authorize::new(Guard::groups(Requirement::any_of([
                    "admin",
                ]))))
                .route(web::get().to(|| async { "x" })),
        ),
    )
    .await;
    for path in ["/me", "/admin"] {
        let answer = send(&app, path, Some("Bearer abc")).await;
        assert_eq!(answer.status, 500, "{path}");
        assert!(answer.body.contains("layer is missing"), "{}", answer.body);
    }
}

#[actix_web::test]
async fn cookie_source_and_scope_guards() {
    let pool = MockPool::start().await.unwrap();
    let auth = authenticator(&pool).token_source(TokenSource::cookie("access_token"));
    let app = test::init_service(
        App::new().service(
            web::scope("/api")
                .wrap(Authorize::new(Guard::scopes(Requirement::all_of([
                    "a", "b",
                ]))))
                .wrap(CognitoAuth::new(auth))
                .route("/scoped", web::get().to(|| async { "in" })),
        ),
    )
    .await;
    let call = |token: Option<String>| {
        let mut request = test::TestRequest::get().uri("/api/scoped");
        if let Some(token) = token {
            request = request.insert_header((header::COOKIE, format!("x=1; access_token={token}")));
        }
        request.to_request()
    };
    let answer = read_answer(test::call_service(&app, call(None)).await).await;
    assert_eq!(answer.status, 401);
    let one = pool.access_token().scopes(["a"]).sign().unwrap();
    let answer = read_answer(test::call_service(&app, call(Some(one))).await).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.www_authenticate.as_deref(),
        Some(r#"Bearer realm="api", error="insufficient_scope", scope="a b""#)
    );
    let both = pool.access_token().scopes(["a", "b"]).sign().unwrap();
    let answer = read_answer(test::call_service(&app, call(Some(both))).await).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, "in"));
}

#[actix_web::test]
async fn one_verifier_serves_every_worker_of_a_real_server() {
    let pool = MockPool::start().await.unwrap();
    let auth = authenticator(&pool);
    let server = actix_web::HttpServer::new(move || {
        App::new().configure(routes(auth.clone(), in_memory(), None))
    })
    .workers(2)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::new();
    let token = pool.access_token().username("dave").sign().unwrap();
    let requests: Vec<_> = (0..50)
        .map(|_| {
            let request = client
                .get(format!("http://{address}/me"))
                .bearer_auth(&token)
                .send();
            tokio::spawn(async move { request.await.unwrap().status().as_u16() })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), 200);
    }
    // Both workers share one key cache: one fetch in all.
    assert_eq!(pool.jwks_requests(), 1);
    handle.stop(true).await;
}

/// Groups that no user can be in: a requirement built from an empty list.
struct NobodysGroups;

impl cognito_auth::web::StaticRequirement for NobodysGroups {
    const CLAIM: cognito_auth::web::Claim = cognito_auth::web::Claim::Groups;
    fn requirement() -> Requirement {
        Requirement::all_of(Vec::<String>::new())
    }
}

/// Hardening round 2, item 1: an empty requirement (an unset variable
/// turned into `all_of([])`) refuses everyone instead of letting everyone
/// in, in the middleware and in the typed extractor.
#[actix_web::test]
async fn an_empty_requirement_refuses_everyone() {
    let pool = MockPool::start().await.unwrap();
    let empty = Vec::<String>::new;
    let app = test::init_service(
        App::new().service(
            web::scope("/api")
                .service(
                    web::resource("/groups")
                        .wrap(Authorize::new(Guard::groups(Requirement::all_of(empty()))))
                        .route(web::get().to(|| async { "in" })),
                )
                .service(
                    web::resource("/scopes")
                        .wrap(Authorize::new(Guard::scopes(Requirement::all_of(empty()))))
                        .route(web::get().to(|| async { "in" })),
                )
                .route(
                    "/typed",
                    web::get().to(|_: cognito_auth::actix::Require<NobodysGroups>| async { "in" }),
                )
                .wrap(CognitoAuth::new(authenticator(&pool))),
        ),
    )
    .await;
    let token = pool
        .access_token()
        .groups(["admin"])
        .scopes(["a"])
        .sign()
        .unwrap();
    for path in ["/api/groups", "/api/scopes", "/api/typed"] {
        let answer = send(&app, path, Some(&format!("Bearer {token}"))).await;
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
    }
}
