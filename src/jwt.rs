//! Untrusted parsing of a JWS compact token.
//!
//! Nothing in this module is trusted: it splits the token, decodes the
//! segments with strict unpadded base64url, parses the header and payload as
//! JSON objects and checks that the registered claims have the right JSON
//! types. Whether any of it is true is decided later, in the verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::{Error, Result, echo};

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

/// The three segments of a compact JWS.
pub(crate) struct Segments<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
}

/// A parsed header: the fields the verifier needs, typed.
pub(crate) struct Header {
    pub(crate) alg: String,
    /// `None` when absent or empty.
    pub(crate) kid: Option<String>,
}

/// A token after the structural checks (step 2): typed header, the payload
/// as a JSON object, the decoded signature.
pub(crate) struct ParsedToken<'a> {
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    pub(crate) payload: Map<String, Value>,
    pub(crate) claims: RegisteredClaims,
    pub(crate) signature: Vec<u8>,
}

/// The registered and Cognito claims the checks read, with their JSON types
/// already checked. Absent claims are `None`.
#[derive(Debug, Default, Clone)]
pub(crate) struct RegisteredClaims {
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iss: Option<String>,
    pub(crate) token_use: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) aud: Option<Audience>,
    pub(crate) scope: Option<String>,
    pub(crate) groups: Option<Vec<String>>,
}

/// The `aud` claim: one string or an array of strings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Audience::One(value) => (Some(value.as_str()), &[][..]),
            Audience::Many(values) => (None, values.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
}

pub(crate) fn split(token: &str) -> Result<Segments<'_>> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        let count = token.split('.').count();
        return Err(Error::malformed(format!(
            "expected 3 dot-separated segments, found {count}"
        )));
    };
    let signing_input = token
        .get(..header.len() + 1 + payload.len())
        .ok_or_else(|| Error::malformed("token segments are inconsistent"))?;
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Step 2 of the pipeline: structure and claim types.
pub(crate) fn parse(token: &str) -> Result<ParsedToken<'_>> {
    let segments = split(token)?;
    let header_map = decode_object(segments.header, "header")?;
    let payload = decode_object(segments.payload, "payload")?;
    if segments.signature.is_empty() {
        return Err(Error::malformed("signature segment is empty"));
    }
    let signature = decode_segment(segments.signature, "signature")?;
    let header = Header::from_map(&header_map)?;
    let claims = RegisteredClaims::from_map(&payload)?;
    Ok(ParsedToken {
        signing_input: segments.signing_input,
        header,
        payload,
        claims,
        signature,
    })
}

fn decode_segment(segment: &str, name: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|err| Error::malformed(format!("{name} is not unpadded base64url: {err}")))
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

impl Header {
    fn from_map(map: &Map<String, Value>) -> Result<Self> {
        let alg = match map.get("alg") {
            Some(Value::String(alg)) => alg.clone(),
            Some(other) => return Err(wrong_type("header alg", "a string", other)),
            None => return Err(Error::malformed("header has no alg")),
        };
        let kid = match map.get("kid") {
            Some(Value::String(kid)) if kid.is_empty() => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(other) => return Err(wrong_type("header kid", "a string", other)),
            None => None,
        };
        // RFC 7515 §4.1.11: a recipient that does not understand a listed
        // critical extension must reject the token. We understand none.
        if map.contains_key("crit") {
            return Err(Error::malformed(
                "header lists critical extensions (crit), none of which are supported",
            ));
        }
        Ok(Header { alg, kid })
    }
}

impl RegisteredClaims {
    pub(crate) fn from_map(map: &Map<String, Value>) -> Result<Self> {
        for name in ["iat", "auth_time"] {
            numeric_date(map, name, Rounding::Down)?;
        }
        for name in ["sub", "jti", "username", "cognito:username"] {
            string(map, name)?;
        }
        Ok(RegisteredClaims {
            exp: numeric_date(map, "exp", Rounding::Down)?,
            nbf: numeric_date(map, "nbf", Rounding::Up)?,
            iss: string(map, "iss")?,
            token_use: string(map, "token_use")?,
            client_id: string(map, "client_id")?,
            aud: audience(map)?,
            scope: string(map, "scope")?,
            groups: string_array(map, "cognito:groups")?,
        })
    }
}

#[derive(Clone, Copy)]
enum Rounding {
    Down,
    Up,
}

fn numeric_date(map: &Map<String, Value>, name: &str, rounding: Rounding) -> Result<Option<i64>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::Number(number)) => {
            if let Some(int) = number.as_i64() {
                return Ok(Some(int));
            }
            // Saturating float-to-int conversion: huge values stay huge.
            let float = number.as_f64().unwrap_or(f64::MAX);
            let rounded = match rounding {
                Rounding::Down => float.floor(),
                Rounding::Up => float.ceil(),
            };
            Ok(Some(rounded as i64))
        }
        Some(other) => Err(wrong_type(name, "a number", other)),
    }
}

fn string(map: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(other) => Err(wrong_type(name, "a string", other)),
    }
}

fn string_array(map: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(value) => Ok(value.clone()),
                other => Err(wrong_type(name, "an array of strings", other)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(other) => Err(wrong_type(name, "an array of strings", other)),
    }
}

fn audience(map: &Map<String, Value>) -> Result<Option<Audience>> {
    match map.get("aud") {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(Audience::One(value.clone()))),
        Some(Value::Array(_)) => Ok(string_array(map, "aud")?.map(Audience::Many)),
        Some(other) => Err(wrong_type("aud", "a string or an array of strings", other)),
    }
}

fn wrong_type(name: &str, expected: &str, found: &Value) -> Error {
    Error::malformed(format!(
        "{name} must be {expected}, found {}",
        json_type(found)
    ))
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

/// Shortened, quoted rendering of an optional token-controlled string.
pub(crate) fn echo_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), echo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    fn token(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("signature"))
    }

    #[test]
    fn parses_a_well_formed_token() {
        let token = token(
            r#"{"alg":"RS256","kid":"k"}"#,
            r#"{"exp":10,"nbf":1.5,"aud":["a","b"],"cognito:groups":["g"],"iss":"i"}"#,
        );
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.header.alg, "RS256");
        assert_eq!(parsed.header.kid.as_deref(), Some("k"));
        assert_eq!(parsed.claims.exp, Some(10));
        assert_eq!(parsed.claims.nbf, Some(2));
        assert_eq!(
            parsed.claims.aud,
            Some(Audience::Many(vec!["a".into(), "b".into()]))
        );
        assert_eq!(parsed.signature, b"signature");
        assert!(token.starts_with(parsed.signing_input));
    }

    #[test]
    fn rejects_structural_problems() {
        let good_header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let good_payload = b64(r#"{"exp":1}"#);
        let cases = [
            String::new(),
            "a.b".to_owned(),
            "a.b.c.d".to_owned(),
            format!("{good_header}.{good_payload}."),
            format!("{good_header}=.{good_payload}.c2ln"),
            format!("{good_header}.{good_payload}.c2ln+"),
            format!("{}.{good_payload}.c2ln", b64("[1,2]")),
            format!("{}.{good_payload}.c2ln", b64("not json")),
            format!("{good_header}.{}.c2ln", b64("\"str\"")),
        ];
        for case in cases {
            let err = parse(&case).err().unwrap();
            assert_eq!(err.kind(), "malformed", "{case}: {err}");
        }
    }

    #[test]
    fn rejects_wrong_claim_types() {
        for payload in [
            r#"{"exp":"10"}"#,
            r#"{"nbf":true}"#,
            r#"{"iss":1}"#,
            r#"{"aud":1}"#,
            r#"{"aud":["a",1]}"#,
            r#"{"cognito:groups":"admin"}"#,
            r#"{"token_use":null}"#,
            r#"{"client_id":[]}"#,
            r#"{"scope":["a"]}"#,
            r#"{"sub":1}"#,
        ] {
            let err = parse(&token(r#"{"alg":"RS256"}"#, payload)).err().unwrap();
            assert_eq!(err.kind(), "malformed", "{payload}");
        }
    }

    #[test]
    fn header_checks() {
        assert!(parse(&token(r#"{"kid":"k"}"#, "{}")).is_err());
        assert!(parse(&token(r#"{"alg":5}"#, "{}")).is_err());
        assert!(parse(&token(r#"{"alg":"RS256","kid":7}"#, "{}")).is_err());
        assert!(parse(&token(r#"{"alg":"RS256","crit":["b64"]}"#, "{}")).is_err());
        let token = token(r#"{"alg":"RS256","kid":""}"#, "{}");
        let empty_kid = parse(&token).unwrap();
        assert_eq!(empty_kid.header.kid, None);
    }

    #[test]
    fn non_canonical_base64_is_rejected() {
        // "QQ" decodes to "A"; "QR" has non-zero trailing bits.
        assert!(URL_SAFE_NO_PAD.decode("QR").is_err());
        let header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let err = parse(&format!("{header}.e30.QR")).err().unwrap();
        assert_eq!(err.kind(), "malformed");
    }
}
