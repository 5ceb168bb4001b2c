//! The mock pool's HTTP server: a real hyper server on 127.0.0.1 serving
//! the JWKS and the OIDC discovery document, misbehaving on demand.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{JwksBehavior, PoolState};

/// Serves on `listener` until the handle is aborted.
pub(super) fn start(state: Arc<PoolState>, listener: TcpListener) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                if state.behavior().is_raw() {
                    raw::answer(&state, stream).await;
                    return;
                }
                let service = service_fn(move |request| respond(state.clone(), request));
                // A client that goes away mid-answer is not our problem.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn respond(
    state: Arc<PoolState>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    if path == "/__stats" {
        let counters = &state.login.counters;
        let body = serde_json::json!({
            "jwks_requests": state.jwks_requests.load(Ordering::SeqCst),
            "discovery_requests": state.discovery_requests.load(Ordering::SeqCst),
            "sign_ins": counters.sign_ins.load(Ordering::SeqCst),
            "code_grants": counters.code_grants.load(Ordering::SeqCst),
            "refresh_grants": counters.refresh_grants.load(Ordering::SeqCst),
        });
        return Ok(json(StatusCode::OK, body.to_string().into_bytes()));
    }
    if let Some(answer) = managed_login(&state, &path, request).await {
        return Ok(answer);
    }
    let prefix = format!("/{}/.well-known/", state.pool_id);
    let Some(document) = path.strip_prefix(&prefix) else {
        return Ok(plain(StatusCode::NOT_FOUND, "not found"));
    };
    match document {
        "jwks.json" => {
            state.jwks_requests.fetch_add(1, Ordering::SeqCst);
            Ok(jwks(&state).await)
        }
        "openid-configuration" => {
            state.discovery_requests.fetch_add(1, Ordering::SeqCst);
            let domain = &state.base_url;
            let body = serde_json::json!({
                "issuer": state.issuer,
                "jwks_uri": state.jwks_uri,
                "authorization_endpoint": format!("{domain}/oauth2/authorize"),
                "token_endpoint": format!("{domain}/oauth2/token"),
                "revocation_endpoint": format!("{domain}/oauth2/revoke"),
                "userinfo_endpoint": format!("{domain}/oauth2/userInfo"),
                "end_session_endpoint": format!("{domain}/logout"),
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "token"],
                "subject_types_supported": ["public"],
                "code_challenge_methods_supported": ["S256"],
            });
            Ok(json(StatusCode::OK, body.to_string().into_bytes()))
        }
        _ => Ok(plain(StatusCode::NOT_FOUND, "not found")),
    }
}

async fn jwks(state: &PoolState) -> Response<Full<Bytes>> {
    match state.behavior() {
        // Answered on the raw connection before hyper sees it.
        JwksBehavior::RefuseConnections
        | JwksBehavior::ResetMidBody
        | JwksBehavior::StallAfterHeaders(_)
        | JwksBehavior::Huge { .. } => plain(StatusCode::INTERNAL_SERVER_ERROR, "unreachable"),
        JwksBehavior::Serve => json(StatusCode::OK, state.jwks_json().into_bytes()),
        JwksBehavior::Stall(delay) => {
            tokio::time::sleep(delay).await;
            json(StatusCode::OK, state.jwks_json().into_bytes())
        }
        JwksBehavior::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            plain(status, "the mock pool was told to fail")
        }
        JwksBehavior::Body {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = status;
            if let Ok(value) = header::HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        JwksBehavior::Redirect(location) => {
            let mut response = plain(StatusCode::FOUND, "moved");
            if let Ok(value) = header::HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
    }
}

/// The managed login's routes; `None` for any other path.
async fn managed_login(
    state: &PoolState,
    path: &str,
    request: Request<Incoming>,
) -> Option<Response<Full<Bytes>>> {
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let header = |name: header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header(header::AUTHORIZATION);
    let login = &state.login;
    let answer = match (method.as_str(), path) {
        ("GET", "/oauth2/authorize") => login.authorize(state, &query),
        ("GET", "/login") => login.login_page(state, &query),
        ("GET", "/logout") => login.logout(state, &query),
        ("GET", "/oauth2/userInfo") => login.user_info(
            authorization
                .as_deref()
                .and_then(|v| v.strip_prefix("Bearer ")),
        ),
        ("POST", "/login" | "/oauth2/token" | "/oauth2/revoke") => {
            let body = request.into_body().collect().await.ok()?.to_bytes();
            let body = String::from_utf8_lossy(&body).into_owned();
            match path {
                "/login" => login.sign_in(state, &query, &body),
                "/oauth2/token" => login.token(state, authorization.as_deref(), &body),
                _ => login.revoke(state, authorization.as_deref(), &body),
            }
        }
        _ => return None,
    };
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(answer.content_type),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if let Some(location) = answer
        .location
        .and_then(|location| header::HeaderValue::from_str(&location).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Some(response)
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    response
}

/// Misbehaviour below HTTP: answers written by hand on the socket.
mod raw {
    use std::sync::atomic::Ordering;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::super::{JwksBehavior, PoolState};

    /// Reads the request head (counting JWKS requests), then misbehaves.
    pub(super) async fn answer(state: &PoolState, mut stream: TcpStream) {
        let behavior = state.behavior();
        if behavior == JwksBehavior::RefuseConnections {
            state.jwks_requests.fetch_add(1, Ordering::SeqCst);
            // Closed without a word.
            return;
        }
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|window| window == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => head.extend_from_slice(buffer.get(..read).unwrap_or_default()),
            }
        }
        if String::from_utf8_lossy(&head).contains("/.well-known/jwks.json") {
            state.jwks_requests.fetch_add(1, Ordering::SeqCst);
        }
        let json_head = |length: Option<usize>| {
            match length {
            Some(length) => format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
            ),
            None => "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_owned(),
        }
        };
        match behavior {
            JwksBehavior::ResetMidBody => {
                let body = state.jwks_json();
                let half = body.len() / 2;
                let _ = stream
                    .write_all(json_head(Some(body.len())).as_bytes())
                    .await;
                let _ = stream
                    .write_all(body.as_bytes().get(..half).unwrap_or_default())
                    .await;
                let _ = stream.set_zero_linger();
            }
            JwksBehavior::StallAfterHeaders(delay) => {
                let body = state.jwks_json();
                let _ = stream
                    .write_all(json_head(Some(body.len())).as_bytes())
                    .await;
                tokio::time::sleep(delay).await;
            }
            JwksBehavior::Huge {
                bytes,
                declare_length,
            } => {
                let head = json_head(declare_length.then_some(bytes));
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let filler = vec![b' '; 64 * 1024];
                let mut left = bytes;
                while left > 0 {
                    let size = left.min(filler.len());
                    let chunk = filler.get(..size).unwrap_or_default();
                    let written = if declare_length {
                        stream.write_all(chunk).await
                    } else {
                        let framed = [format!("{size:x}\r\n").as_bytes(), chunk, b"\r\n"].concat();
                        stream.write_all(&framed).await
                    };
                    if written.is_err() {
                        return;
                    }
                    state.bytes_sent.fetch_add(size as u64, Ordering::SeqCst);
                    left -= size;
                }
                if !declare_length {
                    let _ = stream.write_all(b"0\r\n\r\n").await;
                }
            }
            _ => {}
        }
    }
}
