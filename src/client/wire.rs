//! The AWS JSON 1.1 protocol of the Cognito IdP API: one POST per
//! operation (SigV4-signed for IAM-authorized operations), errors from
//! `__type`, `X-Amzn-ErrorType` or the XML of AWS's authentication front
//! end, retries.
//!
//! Past 450 lines only with its unit tests of the error shapes and of
//! which operations may be repeated.

#[cfg(feature = "iam")]
use std::sync::Arc;
#[cfg(feature = "iam")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result, ServiceError, error_chain};
use crate::transport::body::{BodyFailure, read_capped};
use crate::transport::retry::{Failure, RetryPolicy, retrying};

#[cfg(feature = "iam")]
use super::iam::signer::Signer;

/// How an attempt is signed: by this signer, noting in the flag when a
/// clock-skew answer corrected its clock.
#[cfg(feature = "iam")]
type Signing<'a> = Option<(&'a Signer, &'a AtomicBool)>;
#[cfg(not(feature = "iam"))]
type Signing<'a> = Option<&'a std::convert::Infallible>;

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// The longest answer body read by default (`max_response_bytes`).
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Sends operations to one Cognito endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Wire {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: Url,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// Signs IAM-authorized calls, when credentials are configured.
    #[cfg(feature = "iam")]
    pub(crate) signer: Option<Arc<Signer>>,
}

impl Wire {
    /// Calls `operation` with `request` (unsigned) and decodes the answer,
    /// retrying as the [`RetryPolicy`] says for this operation
    /// ([`is_idempotent`]).
    pub(crate) async fn call<Req, Resp>(&self, operation: &str, request: &Req) -> Result<Resp>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let body = encode(operation, request)?;
        retrying(&self.retry, is_idempotent(operation), operation, || {
            self.attempt(operation, &body, None)
        })
        .await
    }

    /// [`call`](Self::call), signed with SigV4. A clock-skew answer
    /// corrects the signing clock and the call is made once more.
    #[cfg(feature = "iam")]
    pub(crate) async fn call_signed<Req, Resp>(
        &self,
        operation: &str,
        request: &Req,
    ) -> Result<Resp>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let signer = self.signer.as_deref().ok_or_else(|| {
            Error::Credentials(format!(
                "{operation} is IAM-authorized: give the client credentials \
                 (CognitoClientBuilder::credentials)"
            ))
        })?;
        let body = encode(operation, request)?;
        let corrected = AtomicBool::new(false);
        let run = || {
            retrying(&self.retry, is_idempotent(operation), operation, || {
                self.attempt(operation, &body, Some((signer, &corrected)))
            })
        };
        match run().await {
            Err(_) if corrected.load(Ordering::Relaxed) => run().await,
            answer => answer,
        }
    }

    async fn attempt<Resp: DeserializeOwned>(
        &self,
        operation: &str,
        body: &[u8],
        signing: Signing<'_>,
    ) -> std::result::Result<Resp, (Error, Failure)> {
        let target = format!("{TARGET_PREFIX}{operation}");
        #[cfg_attr(not(feature = "iam"), allow(unused_mut))]
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-amz-target", &target)
            .body(body.to_vec());
        #[cfg(feature = "iam")]
        if let Some((signer, _)) = signing {
            let signed = signer
                .sign(
                    self.endpoint.as_str(),
                    &[("content-type", CONTENT_TYPE), ("x-amz-target", &target)],
                    body,
                )
                .await
                .map_err(|err| (err, Failure::Final))?;
            for (name, value) in signed {
                request = request.header(name, value);
            }
        }
        let exchange = async {
            let response = request
                .send()
                .await
                .map_err(|err| self.transport_failure(operation, &err))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = read_capped(response, self.max_response_bytes)
                .await
                .map_err(|failure| match failure {
                    BodyFailure::Read(err) => self.transport_failure(operation, &err),
                    too_large @ BodyFailure::TooLarge(_) => (
                        Error::Transport(format!("{operation} failed: {too_large}")),
                        Failure::Final,
                    ),
                })?;
            Ok((status, headers, body))
        };
        let (status, headers, body) = match tokio::time::timeout(self.timeout, exchange).await {
            Ok(answer) => answer?,
            Err(_) => return Err(self.timeout_failure(operation)),
        };
        if status == 200 {
            return decode_success(operation, &headers, &body).map_err(|err| (err, Failure::Final));
        }
        let error = parse_error(status, &headers, &body);
        #[cfg(feature = "iam")]
        if let Some((signer, corrected)) = signing
            && !corrected.load(Ordering::Relaxed)
        {
            let date = headers
                .get(http::header::DATE)
                .and_then(|value| value.to_str().ok());
            if signer.learn_skew(&error, date) {
                corrected.store(true, Ordering::Relaxed);
            }
        }
        #[cfg(not(feature = "iam"))]
        let _ = signing;
        tracing::debug!(
            operation,
            status,
            error = error.name(),
            request_id = error.request_id().unwrap_or("-"),
            "Cognito answered with an error"
        );
        let failure = Failure::of_answer(status, Some(error.name()));
        Err((Error::Service(Box::new(error)), failure))
    }

    fn transport_failure(&self, operation: &str, err: &reqwest::Error) -> (Error, Failure) {
        if err.is_timeout() {
            self.timeout_failure(operation)
        } else if err.is_connect() {
            (
                Error::Transport(format!(
                    "cannot connect to {}: {}",
                    self.endpoint,
                    error_chain(err)
                )),
                Failure::NotSent,
            )
        } else {
            (
                Error::Transport(format!("{operation} failed: {}", error_chain(err))),
                Failure::Final,
            )
        }
    }

    fn timeout_failure(&self, operation: &str) -> (Error, Failure) {
        (
            Error::Transport(format!(
                "{operation} got no answer within {} ms",
                self.timeout.as_millis()
            )),
            // The request may have been carried out, and another attempt
            // could take as long again.
            Failure::Final,
        )
    }
}

/// The JSON body of an operation; its name must be a plain identifier (it
/// goes into a header).
fn encode<Req: Serialize + ?Sized>(operation: &str, request: &Req) -> Result<Vec<u8>> {
    if operation.is_empty() || !operation.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::config(format!(
            "{operation:?} is not an operation name (letters and digits, e.g. ListUsers)"
        )));
    }
    serde_json::to_vec(request)
        .map_err(|err| Error::config(format!("cannot encode the {operation} request: {err}")))
}

/// Whether an operation may be sent twice with the same effect as once,
/// so that a 5xx answer or a timeout may be retried. Reads are; so are
/// sign-outs, revocations, enabling, disabling and group membership.
/// Sign-up, sign-in, challenges, codes and anything not known are not.
pub(crate) fn is_idempotent(operation: &str) -> bool {
    const IDEMPOTENT: &[&str] = &[
        "GlobalSignOut",
        "AdminUserGlobalSignOut",
        "RevokeToken",
        "AdminDisableUser",
        "AdminEnableUser",
        "AdminAddUserToGroup",
        "AdminRemoveUserFromGroup",
        "AdminDeleteUser",
        "DeleteUser",
        "AdminSetUserPassword",
        "AdminUpdateUserAttributes",
        "UpdateUserAttributes",
    ];
    ["Get", "List", "Describe", "AdminGet", "AdminList"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
        || IDEMPOTENT.contains(&operation)
}

fn decode_success<Resp: DeserializeOwned>(
    operation: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Resp> {
    // Some operations answer with an empty body; treat it as `{}`.
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        &b"{}"[..]
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|err| {
        Error::Service(Box::new(
            ServiceError::new(
                "UnexpectedResponse",
                format!("the {operation} answer does not have the expected shape: {err}"),
                200,
            )
            .with_request_id(request_id(headers)),
        ))
    })
}

/// Reads a Cognito error answer: `__type` (any `prefix#` stripped) or
/// `X-Amzn-ErrorType` (any `:suffix` stripped), and `message`; or the XML
/// AWS's authentication front end answers with (`<Code>`, `<Message>`:
/// `SignatureDoesNotMatch`, `InvalidClientTokenId`). A body that is
/// neither still gives an error, named `UnexpectedResponse`.
pub(crate) fn parse_error(status: u16, headers: &http::HeaderMap, body: &[u8]) -> ServiceError {
    if let Some(error) = parse_xml_error(status, headers, body) {
        return error;
    }
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let from_body = json
        .as_ref()
        .and_then(|value| value.get("__type").or_else(|| value.get("code")))
        .and_then(Value::as_str)
        .and_then(clean_error_name);
    let from_header = headers
        .get("x-amzn-errortype")
        .and_then(|value| value.to_str().ok())
        .and_then(clean_error_name);
    let message = json
        .as_ref()
        .and_then(|value| value.get("message").or_else(|| value.get("Message")))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (name, message) = match (from_body.or(from_header), message) {
        (Some(name), Some(message)) => (name, message),
        (Some(name), None) => (name, format!("HTTP {status}")),
        (None, message) => (
            "UnexpectedResponse".to_owned(),
            message.unwrap_or_else(|| describe_body(status, headers, body)),
        ),
    };
    ServiceError::new(name, message, status).with_request_id(request_id(headers))
}

/// `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error>
/// <RequestId>…</RequestId></ErrorResponse>`, as far as it names an error.
fn parse_xml_error(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Option<ServiceError> {
    let text = std::str::from_utf8(body).ok()?;
    if !text.trim_start().starts_with('<') {
        return None;
    }
    let name = xml_text(text, "Code").and_then(|code| clean_error_name(&code))?;
    let message = xml_text(text, "Message").unwrap_or_else(|| format!("HTTP {status}"));
    let request_id = request_id(headers).or_else(|| xml_text(text, "RequestId"));
    Some(ServiceError::new(name, message, status).with_request_id(request_id))
}

/// The text of the first `<element>` (no attributes, no nesting), its
/// five predefined entities decoded.
fn xml_text(text: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let start = text.find(&open)? + open.len();
    let length = text.get(start..)?.find(&close)?;
    let raw = text.get(start..start + length)?;
    let decoded = raw
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    Some(decoded.trim().to_owned())
}

/// The error name without any `prefix#` or `:suffix`; `None` when nothing
/// is left (an empty name would say nothing).
fn clean_error_name(raw: &str) -> Option<String> {
    let after_hash = raw.rsplit('#').next().unwrap_or(raw);
    let before_colon = after_hash.split(':').next().unwrap_or(after_hash);
    let name = before_colon.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn describe_body(status: u16, headers: &http::HeaderMap, body: &[u8]) -> String {
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("no content type");
    let text = String::from_utf8_lossy(body);
    let preview: String = text.chars().filter(|c| !c.is_control()).take(120).collect();
    format!("HTTP {status} with a body that is not a Cognito error ({content_type}): {preview}")
}

pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn error_shapes() {
        let plain = parse_error(
            400,
            &headers(&[("x-amzn-requestid", "req-1")]),
            br#"{"__type":"NotAuthorizedException","message":"Incorrect username or password."}"#,
        );
        assert_eq!(plain.name(), "NotAuthorizedException");
        assert_eq!(plain.message(), "Incorrect username or password.");
        assert_eq!(plain.status(), 400);
        assert_eq!(plain.request_id(), Some("req-1"));

        let prefixed = parse_error(
            400,
            &http::HeaderMap::new(),
            br#"{"__type":"com.amazonaws.cognito.identity.idp.model#UserNotFoundException","Message":"User does not exist."}"#,
        );
        assert_eq!(prefixed.name(), "UserNotFoundException");
        assert_eq!(prefixed.message(), "User does not exist.");

        let header_only = parse_error(
            400,
            &headers(&[(
                "x-amzn-errortype",
                "TooManyRequestsException:http://internal.amazon.com/coral/",
            )]),
            b"",
        );
        assert_eq!(header_only.name(), "TooManyRequestsException");

        let html = parse_error(
            500,
            &headers(&[("content-type", "text/html; charset=utf-8")]),
            b"<!doctype html>\n<title>500 Internal Server Error</title>",
        );
        assert_eq!(html.name(), "UnexpectedResponse");
        assert_eq!(html.status(), 500);
        assert!(html.message().contains("text/html"), "{}", html.message());
        assert!(!html.message().contains('\n'));

        let invalid_utf8 = parse_error(502, &http::HeaderMap::new(), &[0xff, 0xfe, 0x00]);
        assert_eq!(invalid_utf8.name(), "UnexpectedResponse");
    }

    /// Found by the `error_parse` fuzz target: names that clean up to
    /// nothing gave an error with an empty name.
    #[test]
    fn empty_error_names_are_not_names() {
        for body in [
            &br#"{"__type":""}"#[..],
            br#"{"__type":"prefix#"}"#,
            br#"{"__type":":http://x"}"#,
            br#"{"code":"  "}"#,
        ] {
            let error = parse_error(400, &http::HeaderMap::new(), body);
            assert_eq!(
                error.name(),
                "UnexpectedResponse",
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let header = parse_error(400, &headers(&[("x-amzn-errortype", ":x")]), b"{}");
        assert_eq!(header.name(), "UnexpectedResponse");
        let fallback = parse_error(
            400,
            &headers(&[("x-amzn-errortype", "LimitExceededException")]),
            br##"{"__type":"#"}"##,
        );
        assert_eq!(fallback.name(), "LimitExceededException");
    }

    /// AWS's authentication front end (and moto with its IAM checks on)
    /// answers in XML.
    #[test]
    fn xml_error_answers() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse>
  <Errors><Error>
    <Code>SignatureDoesNotMatch</Code>
    <Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key &amp; signing method.</Message>
  </Error></Errors>
  <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
</ErrorResponse>"#;
        let error = parse_error(403, &http::HeaderMap::new(), body);
        assert_eq!(error.name(), "SignatureDoesNotMatch");
        assert!(
            error
                .message()
                .ends_with("Secret Access Key & signing method.")
        );
        assert_eq!(error.status(), 403);
        assert_eq!(
            error.request_id(),
            Some("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
        );
        assert_eq!(
            Failure::of_answer(403, Some(error.name())),
            Failure::Final,
            "a wrong key is not retried"
        );

        let unknown_key = parse_error(
            403,
            &http::HeaderMap::new(),
            b"<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>",
        );
        assert_eq!(unknown_key.name(), "InvalidClientTokenId");
        assert_eq!(unknown_key.message(), "HTTP 403");

        for not_an_error in [
            &b"<html><body>bad gateway</body></html>"[..],
            b"<Code></Code>",
            b"<Code>x",
        ] {
            let error = parse_error(502, &http::HeaderMap::new(), not_an_error);
            assert_eq!(error.name(), "UnexpectedResponse");
        }
    }

    #[test]
    fn operation_names_are_identifiers() {
        for bad in ["", "List Users", "ListUsers\r\nX-Evil: 1", "Admin/GetUser"] {
            assert_eq!(
                encode(bad, &serde_json::json!({})).unwrap_err().kind(),
                "config",
                "{bad:?}"
            );
        }
        assert!(encode("AdminGetUser", &serde_json::json!({})).is_ok());
    }

    #[test]
    fn operations_say_whether_they_may_be_repeated() {
        for safe in [
            "GetUser",
            "ListUsers",
            "AdminGetUser",
            "AdminListGroupsForUser",
            "DescribeUserPool",
            "GlobalSignOut",
            "RevokeToken",
        ] {
            assert!(is_idempotent(safe), "{safe}");
        }
        for unsafe_to_repeat in [
            "SignUp",
            "ForgotPassword",
            "ConfirmForgotPassword",
            "RespondToAuthChallenge",
            "InitiateAuth",
            "AdminInitiateAuth",
            "AdminCreateUser",
            "SomethingNew",
        ] {
            assert!(!is_idempotent(unsafe_to_repeat), "{unsafe_to_repeat}");
        }
    }

    #[test]
    fn success_bodies() {
        let empty: Value = decode_success("RevokeToken", &http::HeaderMap::new(), b"").unwrap();
        assert_eq!(empty, serde_json::json!({}));
        let err =
            decode_success::<Vec<u8>>("GetUser", &http::HeaderMap::new(), b"<html>").unwrap_err();
        assert_eq!(err.service_error().unwrap().name(), "UnexpectedResponse");
    }
}
