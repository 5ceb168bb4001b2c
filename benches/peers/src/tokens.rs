//! Token files written by `mint` (one token a line), and the bad tokens
//! the refusal check derives from a valid one without any key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Result;

/// The non-empty lines of a token file.
pub fn read(path: &str) -> Result<Vec<String>> {
    let tokens: Vec<String> = std::fs::read_to_string(path)
        .map_err(|error| format!("{path}: {error}"))?
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        return Err(format!("{path}: no tokens").into());
    }
    Ok(tokens)
}

/// The three base64url parts of a compact JWS.
fn parts(token: &str) -> Result<[&str; 3]> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok([header, payload, signature]),
        _ => Err("a token is not three dot-separated parts".into()),
    }
}

/// The `sub` claim of a token, read without verifying it.
pub fn subject(token: &str) -> Result<String> {
    let [_, payload, _] = parts(token)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    claims["sub"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "a token has no sub".into())
}

/// The same token with one signature character changed. A character in
/// the middle is changed: the last one may only carry padding bits.
pub fn with_bad_signature(token: &str) -> Result<String> {
    let [header, payload, signature] = parts(token)?;
    let mut signature = signature.as_bytes().to_vec();
    let middle = signature.len() / 2;
    signature[middle] = if signature[middle] == b'A' {
        b'B'
    } else {
        b'A'
    };
    Ok(format!(
        "{header}.{payload}.{}",
        String::from_utf8(signature)?
    ))
}

/// The same claims, unsigned (`alg: none`).
pub fn with_alg_none(token: &str) -> Result<String> {
    let [_, payload, _] = parts(token)?;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    Ok(format!("{header}.{payload}."))
}
