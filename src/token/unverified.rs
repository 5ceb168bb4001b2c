//! Decoding a token without verifying it, for looking at it.

use serde_json::{Map, Value};

use super::segments::{decode_segment, split};
use crate::error::{Error, Result};

/// A token split and decoded, but **not verified**.
///
/// Use it to look at a token (for routing, logging or debugging) before or
/// without verifying it. Never base an access decision on it.
///
/// ```
/// # use base64::Engine;
/// # let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
/// # let token = format!("{}.{}.{}", b64(r#"{"alg":"RS256","kid":"k1"}"#), b64(r#"{"sub":"abc"}"#), b64("sig"));
/// let unverified = cognito_auth::decode_unverified(&token)?;
/// assert_eq!(unverified.header["kid"], "k1");
/// assert_eq!(unverified.payload["sub"], "abc");
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnverifiedToken {
    /// The JOSE header, as sent.
    pub header: Map<String, Value>,
    /// The payload claims, as sent.
    pub payload: Map<String, Value>,
}

/// Splits and decodes a token without verifying anything.
///
/// The same strict parsing as the verifier: three segments, unpadded
/// base64url, JSON objects. Fails with `malformed` otherwise.
pub fn decode_unverified(token: &str) -> Result<UnverifiedToken> {
    let parts = split(token)?;
    Ok(UnverifiedToken {
        header: decode_object(parts.header, "header")?,
        payload: decode_object(parts.payload, "payload")?,
    })
}

fn decode_object(segment: &str, name: &str) -> Result<Map<String, Value>> {
    let bytes = decode_segment(segment, name)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::malformed(format!(
            "{name} must be a JSON object, found {}",
            json_type(&other)
        ))),
        Err(err) => Err(Error::malformed(format!("{name} is not JSON: {err}"))),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
