//! A small gRPC service, `demo.Greeter`, written out by hand the way
//! `tonic-build` would generate it (so that nothing needs `protoc`):
//!
//! ```proto
//! package demo;
//! service Greeter {
//!   rpc SayHello (HelloRequest) returns (HelloReply); // any signed-in caller
//!   rpc Stats (HelloRequest) returns (HelloReply);    // group admin (a layer guard)
//!   rpc Report (HelloRequest) returns (HelloReply);   // scope checked in the method
//! }
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; }
//! ```
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use cognito_auth::Requirement;
use cognito_auth::tonic::GrpcRequestExt;
use cognito_auth::web::{AccessToken, Guard};
use tonic::codegen::http;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

pub const SAY_HELLO: &str = "/demo.Greeter/SayHello";
pub const STATS: &str = "/demo.Greeter/Stats";
pub const REPORT: &str = "/demo.Greeter/Report";
/// The group `Stats` requires (a guard on the layer).
pub const ADMIN_GROUP: &str = "admin";
/// The scope `Report` requires (checked inside the method).
pub const REPORTS_SCOPE: &str = "api/reports.read";

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

/// The methods.
fn answer(path: &str, request: &Request<HelloRequest>) -> Result<HelloReply, Status> {
    let AccessToken(claims) = request.extract::<AccessToken>()?;
    let who = claims
        .username
        .clone()
        .unwrap_or_else(|| claims.sub.clone());
    let message = match path {
        SAY_HELLO => format!("Hello {}, you are {who}", request.get_ref().name),
        STATS => format!("{who} may see the stats"),
        REPORT => {
            request.require(&Guard::scopes(Requirement::any_of([REPORTS_SCOPE])))?;
            format!("a report for {who}")
        }
        _ => return Err(Status::unimplemented(path.to_owned())),
    };
    Ok(HelloReply { message })
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

struct Method(&'static str);

impl UnaryService<HelloRequest> for Method {
    type Response = HelloReply;
    type Future = BoxFuture<Response<HelloReply>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let reply = answer(self.0, &request).map(Response::new);
        Box::pin(async move { reply })
    }
}

/// The server side, for `Server::builder().add_service(GreeterServer)`.
#[derive(Clone, Debug, Default)]
pub struct GreeterServer;

impl NamedService for GreeterServer {
    const NAME: &'static str = "demo.Greeter";
}

impl<B> tower::Service<http::Request<B>> for GreeterServer
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = match request.uri().path() {
            SAY_HELLO => SAY_HELLO,
            STATS => STATS,
            REPORT => REPORT,
            _ => {
                return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) });
            }
        };
        Box::pin(async move {
            let mut grpc = Grpc::new(ProstCodec::<HelloReply, HelloRequest>::default());
            Ok(grpc.unary(Method(path), request).await)
        })
    }
}

/// Calls a method with `token` (if any) in the `authorization` metadata.
pub async fn call(
    channel: tonic::transport::Channel,
    path: &'static str,
    name: &str,
    token: Option<&str>,
) -> Result<String, Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|err| Status::unavailable(err.to_string()))?;
    let mut request = Request::new(HelloRequest {
        name: name.to_owned(),
    });
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::invalid_argument("not a header value"))?;
        request.metadata_mut().insert("authorization", value);
    }
    let reply: Response<HelloReply> = client
        .unary(
            request,
            http::uri::PathAndQuery::from_static(path),
            ProstCodec::default(),
        )
        .await?;
    Ok(reply.into_inner().message)
}
