//! Hardening round 2, item 7: an actix-web app whose extractors find
//! neither the `CognitoAuth` middleware nor an authenticator in the app
//! data. Alone in its test binary, so the one-time log line it checks is
//! this test's own.

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{App, test, web};
use cognito_auth::actix::{AccessToken, Optional};

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

#[actix_web::test]
async fn nothing_configured_is_loud_not_anonymous() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::ERROR)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();
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
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let errors: Vec<&str> = logs.lines().filter(|line| line.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "logged once: {logs}");
    assert!(errors[0].contains("Optional<T>"), "{logs}");
}
