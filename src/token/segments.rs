//! Splitting a compact JWS into its segments and decoding them with strict
//! unpadded base64url.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::header::Header;
use super::registered::payload_text;
use crate::error::{Error, Result};

/// The three segments of a compact JWS.
pub(crate) struct Segments<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
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
/// payload is kept as JSON text and read by [`claims`].
pub(crate) struct ParsedToken<'a> {
    pub(crate) signing_input: &'a str,
    pub(crate) header: Header,
    pub(crate) payload: String,
    pub(crate) signature: Decoded<256>,
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
    let payload = payload_text(decode_segment(segments.payload, "payload")?)?;
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

pub(super) fn decode_segment(segment: &str, name: &str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|err| Error::malformed(format!("{name} is not unpadded base64url: {err}")))
}
