//! Hardening round 2, item 7: an actix-web app whose extractors find
//! neither the `CognitoAuth` middleware nor an authenticator in the app
//! data. Alone in its test binary, so the one-time log line it checks is
//! this test's own.

mod log_capture;

use actix_web::http::header;
use actix_web::{App, test, web};
use cognito_auth::actix::{AccessToken, Optional};

#[actix_web::test]
async fn nothing_configured_is_loud_not_anonymous() {
    let (capture, subscriber) = log_capture::Capture::subscriber();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let app = test::init_service(
        App::new()
            .route(
                "/required",
                web::get().to(|AccessToken(claims): AccessToken| async move { claims.sub.clone() }),
            )
            .route(
                "/optional",
                web::get().to(|Optional(token): Optional<AccessToken>| async move {
                    format!("{}", token.is_some())
                }),
            )
            .route(
                "/option",
                web::get()
                    .to(|token: Option<AccessToken>| async move { format!("{}", token.is_some()) }),
            ),
    )
    .await;
    let status = |path: &'static str| {
        let app = &app;
        async move {
            let request = test::TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, "Bearer not.a.token"))
                .to_request();
            test::call_service(app, request).await.status().as_u16()
        }
    };
    assert_eq!(status("/required").await, 500);
    assert_eq!(
        status("/optional").await,
        500,
        "Optional<T> is the safe choice"
    );
    // actix-web makes `None` of any extractor error for `Option<T>`; the
    // log is the only trace, and it is there.
    assert_eq!(status("/option").await, 200);
    assert_eq!(status("/required").await, 500);
    let logs = capture.text();
    let errors: Vec<&str> = logs.lines().filter(|line| line.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "logged once: {logs}");
    assert!(errors[0].contains("Optional<T>"), "{logs}");
}
