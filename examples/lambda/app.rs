//! The function: one handler behind the crate's tower layers, as
//! `lambda_http` runs it. Any caller with a valid access token in group
//! `pets` gets its claims back; without a token `401`, outside the group
//! `403` (RFC 6750 answers, as from any server).
#![allow(dead_code)]

use cognito_auth::Requirement;
use cognito_auth::Verifier;
use cognito_auth::tower::{AuthLayer, RequireLayer};
use cognito_auth::web::{AccessToken, Authentication, Authenticator, Guard};
use lambda_http::{Body, Request, Response};
use tower::ServiceBuilder;

/// The group the function requires.
pub const GROUP: &str = "pets";

/// The layered service `lambda_http::run` takes.
pub fn service(
    verifier: Verifier,
) -> impl tower::Service<
    Request,
    Response = Response<Body>,
    Error = lambda_http::Error,
    Future = impl Future<Output = Result<Response<Body>, lambda_http::Error>> + Send,
> + Clone {
    ServiceBuilder::new()
        .layer(AuthLayer::new(Authenticator::new(verifier)))
        .layer(RequireLayer::new(Guard::groups(Requirement::any_of([
            GROUP,
        ]))))
        .service(tower::service_fn(handler))
}

async fn handler(request: Request) -> Result<Response<Body>, lambda_http::Error> {
    let authentication = request
        .extensions()
        .get::<Authentication>()
        .ok_or("the AuthLayer did not run")?;
    let AccessToken(claims) = authentication
        .extract::<AccessToken>()?
        .ok_or("the RequireLayer lets only signed-in callers through")?;
    let body = serde_json::json!({
        "sub": claims.sub,
        "username": claims.username,
        "groups": claims.groups.as_slice(),
        "path": request.uri().path(),
    });
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
