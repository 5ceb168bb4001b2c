//! An ALB token as the load balancer writes it: three base64url segments,
//! each with its `=` padding kept (and signed that way), an ES256
//! signature as raw `r ‖ s`, and the ALB's fields in the header.

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// base64url with or without padding, as ALB and its readers accept it
/// (a non-canonical last character is read as the bits it carries).
const ALB_BASE64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The header fields an ALB token must carry, read.
pub(crate) struct AlbHeader {
    pub(crate) alg: Option<String>,
    pub(crate) kid: Option<String>,
    pub(crate) signer: Option<String>,
    pub(crate) client: Option<String>,
}

/// A parsed ALB token.
pub(crate) struct AlbParts<'a> {
    /// `header.payload` exactly as sent: the signed bytes.
    pub(crate) signing_input: &'a str,
    pub(crate) header: AlbHeader,
    pub(crate) payload: Vec<u8>,
    pub(crate) signature: Vec<u8>,
}

/// Three non-empty segments of the base64url alphabet, each ending in at
/// most two `=`.
pub(crate) fn parse(token: &str) -> Result<AlbParts<'_>> {
    let segments: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = segments.as_slice() else {
        return Err(Error::malformed(format!(
            "expected 3 dot-separated segments, found {}",
            segments.len()
        )));
    };
    for (name, segment) in [
        ("header", header),
        ("payload", payload),
        ("signature", signature),
    ] {
        let body = segment.trim_end_matches('=');
        let padding = segment.len() - body.len();
        if body.is_empty()
            || padding > 2
            || !body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::malformed(format!(
                "the {name} is not a base64url segment"
            )));
        }
    }
    let decode = |segment: &str, name: &str| {
        ALB_BASE64
            .decode(segment.trim_end_matches('='))
            .map_err(|err| Error::malformed(format!("the {name} is not base64url: {err}")))
    };
    let header_json = decode(header, "header")?;
    let header = read_header(&header_json)?;
    let payload = decode(payload, "payload")?;
    let signature = decode(signature, "signature")?;
    let signing_input = token
        .get(..header_json_len(token))
        .ok_or_else(|| Error::malformed("token segments are inconsistent"))?;
    Ok(AlbParts {
        signing_input,
        header,
        payload,
        signature,
    })
}

/// The length of `header.payload` in the token.
fn header_json_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(0)
}

fn read_header(json: &[u8]) -> Result<AlbHeader> {
    let header: Map<String, Value> = serde_json::from_slice(json)
        .map_err(|err| Error::malformed(format!("the header is not a JSON object: {err}")))?;
    let text = |name: &str| -> Result<Option<String>> {
        match header.get(name) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value.clone())),
            Some(_) => Err(Error::malformed(format!(
                "the header's {name} is not a string"
            ))),
        }
    };
    // signer and client are checked against the configuration later; a
    // value that is not a string simply matches nothing.
    let loose = |name: &str| header.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(AlbHeader {
        alg: text("alg")?,
        kid: text("kid")?,
        signer: loose("signer"),
        client: loose("client"),
    })
}

/// Whether `kid` is an ALB key id: a UUID (either case). Checked before
/// it goes into a URL.
pub(crate) fn is_key_id(kid: &str) -> bool {
    let bytes = kid.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, b)| match index {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_are_uuids() {
        assert!(is_key_id("c2f80c8b-ab1e-4d2c-9a6e-0123456789ab"));
        assert!(is_key_id("C2F80C8B-AB1E-4D2C-9A6E-0123456789AB"));
        for bad in [
            "",
            "abc",
            "c2f80c8b-ab1e-4d2c-9a6e-0123456789a",
            "c2f80c8b-ab1e-4d2c-9a6e-0123456789abc",
            "c2f80c8bxab1e-4d2c-9a6e-0123456789ab",
            "../../etc/passwd-0000-0000-000000000",
            "c2f80c8b-ab1e-4d2c-9a6e-0123456789a/",
            "c2f80c8b-ab1e-4d2c-9a6e-0123456789a%",
        ] {
            assert!(!is_key_id(bad), "{bad}");
        }
    }

    #[test]
    fn segments_may_carry_padding_but_nothing_else() {
        let header = ALB_BASE64.encode(br#"{"alg":"ES256","kid":"k"}"#);
        let padded = base64::engine::general_purpose::URL_SAFE.encode(br#"{"sub":"a"}"#);
        let token = format!("{header}.{padded}.c2ln");
        let parts = parse(&token).unwrap();
        assert_eq!(parts.payload, br#"{"sub":"a"}"#);
        assert_eq!(parts.signing_input, &token[..token.rfind('.').unwrap()]);
        for bad in [
            format!("{header}.{padded}"),
            format!("{header}.{padded}.c2ln.c2ln"),
            format!("{header}.{padded}.c2ln==="),
            format!("{header}.{padded}.c2l+"),
            format!("{header}..c2ln"),
            format!("{header}.{padded}.="),
        ] {
            assert_eq!(
                parse(&bad).err().map(|e| e.kind()),
                Some("malformed"),
                "{bad}"
            );
        }
    }
}
