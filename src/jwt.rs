//! Untrusted parsing of a JWS compact token.
//!
//! Nothing in this module is trusted: it splits the token, decodes the
//! segments with strict unpadded base64url, parses the header and payload as
//! JSON objects and checks that the registered claims have the right JSON
//! types. Whether any of it is true is decided later, in the verifier.

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Error, Result, echo};
use crate::jwk::alg_name;
use jsonwebtoken::Algorithm;

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
    pub(crate) alg: HeaderAlg,
    /// `None` when absent or empty.
    pub(crate) kid: Option<String>,
}

/// The header `alg`: a known JOSE algorithm, or the text of another.
pub(crate) enum HeaderAlg {
    Known(Algorithm),
    Other(String),
}

impl HeaderAlg {
    fn parse(text: &str) -> Self {
        match text.parse() {
            Ok(alg) => HeaderAlg::Known(alg),
            Err(_) => HeaderAlg::Other(text.to_owned()),
        }
    }

    /// The algorithm's name, as sent.
    pub(crate) fn name(&self) -> &str {
        match self {
            HeaderAlg::Known(alg) => alg_name(*alg),
            HeaderAlg::Other(text) => text,
        }
    }
}

/// Decoded bytes, kept on the stack when they are few (a header, an
/// RSA-2048 or EC signature).
pub(crate) enum Decoded<const N: usize> {
    Inline([u8; N], usize),
    Heap(Vec<u8>),
}

impl<const N: usize> Decoded<N> {
    fn decode(segment: &str, name: &str) -> Result<Self> {
        let mut buffer = [0u8; N];
        if base64::decoded_len_estimate(segment.len()) <= N {
            let written = URL_SAFE_NO_PAD
                .decode_slice(segment, &mut buffer)
                .map_err(|err| {
                    Error::malformed(format!("{name} is not unpadded base64url: {err}"))
                })?;
            return Ok(Decoded::Inline(buffer, written));
        }
        decode_segment(segment, name).map(Decoded::Heap)
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Decoded::Inline(buffer, len) => buffer.get(..*len).unwrap_or_default(),
            Decoded::Heap(bytes) => bytes,
        }
    }
}

/// A token after the structural checks on its header and signature; the
/// payload is kept as JSON bytes and read by [`claims`].
pub(crate) struct ParsedToken<'a> {
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Decoded<256>,
}

/// The registered and Cognito claims the checks read, borrowed from the
/// payload, with their JSON types checked. Absent claims are `None`;
/// `null` is a type error, not an absence.
#[derive(Debug, Default)]
pub(crate) struct RegisteredClaims<'a> {
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) token_use: Option<Cow<'a, str>>,
    pub(crate) client_id: Option<Cow<'a, str>>,
    pub(crate) aud: Option<Audience<'a>>,
    pub(crate) scope: Option<Cow<'a, str>>,
    pub(crate) groups: Option<Vec<Cow<'a, str>>>,
}

/// The `aud` claim: one string or an array of strings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Audience<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl Audience<'_> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Audience::One(value) => (Some(value.as_ref()), &[][..]),
            Audience::Many(values) => (None, values.as_slice()),
        };
        one.into_iter().chain(many.iter().map(AsRef::as_ref))
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

/// Step 2, first half: segments, base64url, the header.
pub(crate) fn parse(token: &str) -> Result<ParsedToken<'_>> {
    let segments = split(token)?;
    let header_bytes = Decoded::<192>::decode(segments.header, "header")?;
    let payload = decode_segment(segments.payload, "payload")?;
    if segments.signature.is_empty() {
        return Err(Error::malformed("signature segment is empty"));
    }
    let signature = Decoded::decode(segments.signature, "signature")?;
    let header = serde_json::from_slice::<Header>(header_bytes.as_slice())
        .map_err(|err| Error::malformed(format!("header: {err}")))?;
    Ok(ParsedToken {
        signing_input: segments.signing_input,
        header,
        payload,
        signature,
    })
}

/// Step 2, second half: the payload is a JSON object whose registered
/// claims have the right types.
pub(crate) fn claims(payload: &[u8]) -> Result<RegisteredClaims<'_>> {
    // One UTF-8 check of the whole payload is faster than one per string.
    let text = std::str::from_utf8(payload)
        .map_err(|err| Error::malformed(format!("payload is not UTF-8: {err}")))?;
    serde_json::from_str::<RegisteredClaims<'_>>(text)
        .map_err(|err| Error::malformed(format!("payload: {err}")))
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

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct HeaderVisitor;

        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = Header;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Header, A::Error> {
                let mut alg = None;
                let mut kid = None;
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    match name.as_ref() {
                        "alg" => once(&mut alg, "alg", map.next_value_seed(Str("alg"))?)?,
                        "kid" => once(&mut kid, "kid", map.next_value_seed(Str("kid"))?)?,
                        // RFC 7515 §4.1.11: a recipient that does not
                        // understand a listed critical extension must
                        // reject the token. We understand none.
                        "crit" => {
                            return Err(de::Error::custom(
                                "it lists critical extensions (crit), none of which are supported",
                            ));
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let alg = alg.ok_or_else(|| de::Error::custom("it has no alg"))?;
                Ok(Header {
                    alg: HeaderAlg::parse(&alg),
                    kid: kid
                        .filter(|kid: &Cow<'_, str>| !kid.is_empty())
                        .map(Cow::into_owned),
                })
            }
        }

        deserializer.deserialize_map(HeaderVisitor)
    }
}

impl<'de> Deserialize<'de> for RegisteredClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct ClaimsVisitor;

        impl<'de> Visitor<'de> for ClaimsVisitor {
            type Value = RegisteredClaims<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RegisteredClaims<'de>, A::Error> {
                let mut claims = RegisteredClaims::default();
                // Checked for type, not kept.
                let (mut iat, mut auth_time) = (None, None);
                let (mut sub, mut jti, mut username, mut cognito_username) =
                    (None, None, None, None);
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    let name = name.as_ref();
                    match name {
                        "exp" => once(
                            &mut claims.exp,
                            "exp",
                            map.next_value_seed(Date::down("exp"))?,
                        )?,
                        "nbf" => once(
                            &mut claims.nbf,
                            "nbf",
                            map.next_value_seed(Date::up("nbf"))?,
                        )?,
                        "iat" => once(&mut iat, "iat", map.next_value_seed(Date::down("iat"))?)?,
                        "auth_time" => once(
                            &mut auth_time,
                            "auth_time",
                            map.next_value_seed(Date::down("auth_time"))?,
                        )?,
                        "iss" => once(&mut claims.iss, "iss", map.next_value_seed(Str("iss"))?)?,
                        "token_use" => once(
                            &mut claims.token_use,
                            "token_use",
                            map.next_value_seed(Str("token_use"))?,
                        )?,
                        "client_id" => once(
                            &mut claims.client_id,
                            "client_id",
                            map.next_value_seed(Str("client_id"))?,
                        )?,
                        "scope" => once(
                            &mut claims.scope,
                            "scope",
                            map.next_value_seed(Str("scope"))?,
                        )?,
                        "sub" => once(&mut sub, "sub", map.next_value_seed(Str("sub"))?)?,
                        "jti" => once(&mut jti, "jti", map.next_value_seed(Str("jti"))?)?,
                        "username" => once(
                            &mut username,
                            "username",
                            map.next_value_seed(Str("username"))?,
                        )?,
                        "cognito:username" => once(
                            &mut cognito_username,
                            "cognito:username",
                            map.next_value_seed(Str("cognito:username"))?,
                        )?,
                        "aud" => once(&mut claims.aud, "aud", map.next_value_seed(Aud)?)?,
                        "cognito:groups" => once(
                            &mut claims.groups,
                            "cognito:groups",
                            map.next_value_seed(StrList("cognito:groups"))?,
                        )?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(claims)
            }
        }

        deserializer.deserialize_map(ClaimsVisitor)
    }
}

/// Sets a claim, refusing a second occurrence of the same name.
fn once<T, E: de::Error>(slot: &mut Option<T>, name: &str, value: T) -> std::result::Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(format!("duplicate claim {name}")));
    }
    *slot = Some(value);
    Ok(())
}

/// An object key, borrowed when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_str(Str("a key")).map(Key)
    }
}

/// A string value; the name goes into the error message.
#[derive(Clone, Copy)]
struct Str(&'static str);

impl<'de> DeserializeSeed<'de> for Str {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Str {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be a string", self.0)
    }

    fn visit_borrowed_str<E: de::Error>(
        self,
        value: &'de str,
    ) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

/// An array of strings.
struct StrList(&'static str);

impl<'de> DeserializeSeed<'de> for StrList {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for StrList {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be an array of strings", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(item) = seq.next_element_seed(Str(self.0))? {
            items.push(item);
        }
        Ok(items)
    }
}

/// `aud`: a string or an array of strings.
struct Aud;

impl<'de> DeserializeSeed<'de> for Aud {
    type Value = Audience<'de>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Aud {
    type Value = Audience<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("aud to be a string or an array of strings")
    }

    fn visit_borrowed_str<E: de::Error>(
        self,
        value: &'de str,
    ) -> std::result::Result<Self::Value, E> {
        Ok(Audience::One(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> std::result::Result<Self::Value, E> {
        Ok(Audience::One(Cow::Owned(value.to_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        StrList("aud").visit_seq(seq).map(Audience::Many)
    }
}

/// A NumericDate (RFC 7519): any JSON number, rounded towards the strict
/// side (down for `exp`, up for `nbf`); huge values saturate.
struct Date {
    name: &'static str,
    round_up: bool,
}

impl Date {
    fn down(name: &'static str) -> Self {
        Date {
            name,
            round_up: false,
        }
    }

    fn up(name: &'static str) -> Self {
        Date {
            name,
            round_up: true,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Date {
    type Value = i64;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<i64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Date {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be a number", self.name)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> std::result::Result<i64, E> {
        Ok(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<i64, E> {
        Ok(i64::try_from(value).unwrap_or(i64::MAX))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> std::result::Result<i64, E> {
        let rounded = if self.round_up {
            value.ceil()
        } else {
            value.floor()
        };
        // `as` saturates; JSON has no NaN.
        Ok(rounded as i64)
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
        assert_eq!(parsed.header.alg.name(), "RS256");
        assert_eq!(parsed.header.kid.as_deref(), Some("k"));
        let claims = claims(&parsed.payload).unwrap();
        assert_eq!(claims.exp, Some(10));
        assert_eq!(claims.nbf, Some(2));
        assert_eq!(
            claims.aud,
            Some(Audience::Many(vec!["a".into(), "b".into()]))
        );
        assert!(matches!(claims.iss, Some(Cow::Borrowed("i"))), "no copy");
        assert_eq!(parsed.signature.as_slice(), b"signature");
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
            let err = parse(&case)
                .and_then(|parsed| claims(&parsed.payload).map(drop))
                .err()
                .unwrap();
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
            r#"{"exp":1,"exp":2}"#,
            r#"{"iss":"a","iss":"a"}"#,
        ] {
            let token = token(r#"{"alg":"RS256"}"#, payload);
            let parsed = parse(&token).unwrap();
            let err = claims(&parsed.payload).err().unwrap();
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
