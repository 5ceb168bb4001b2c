//! Reading an answer body under a size cap.

use std::fmt;

use crate::error::error_chain;

/// Why an answer body was not read.
pub(crate) enum BodyFailure {
    /// The connection failed while reading.
    Read(reqwest::Error),
    /// The body is (or announces itself as) larger than the cap.
    TooLarge(usize),
}

impl fmt::Display for BodyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyFailure::Read(err) => write!(f, "reading the answer failed: {}", error_chain(err)),
            BodyFailure::TooLarge(max) => write!(f, "the answer is larger than {max} bytes"),
        }
    }
}

/// Reads an answer body, stopping as soon as it passes `max` bytes (a
/// declared `Content-Length` above `max` is refused before reading).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, BodyFailure> {
    let declared = response.content_length().unwrap_or(0);
    if usize::try_from(declared).map_or(true, |declared| declared > max) {
        return Err(BodyFailure::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyFailure::Read)? {
        if body.len().saturating_add(chunk.len()) > max {
            return Err(BodyFailure::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
