//! Where a request carries its token: the `Authorization: Bearer` header
//! (RFC 6750 §2.1), a named cookie, or a function of your own.
//!
//! Past 450 lines only with its unit tests: the header and cookie grammars
//! have many edge cases (repeats, spacing, case), each tested here.

use std::fmt;
use std::sync::Arc;

/// A read-only view of a request's head, the same for every framework.
///
/// Custom [`TokenSource`]s receive one.
pub trait RequestHead {
    /// Every value of a header, in order; values that are not valid
    /// visible ASCII are given as `None`.
    fn header_values(&self, name: &str) -> Vec<Option<&str>>;

    /// The request path.
    fn path(&self) -> &str;

    /// The query string, without `?`.
    fn query(&self) -> Option<&str>;

    /// The first value of a header, when it is visible ASCII.
    fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).into_iter().next().flatten()
    }

    /// Whether a header is absent, present once (`None` inside when not
    /// visible ASCII) or repeated. Implementations may answer without
    /// allocating.
    fn single_header(&self, name: &str) -> SingleHeader<'_> {
        let values = self.header_values(name);
        match values.as_slice() {
            [] => SingleHeader::Absent,
            [value] => SingleHeader::One(*value),
            _ => SingleHeader::Repeated,
        }
    }
}

/// A header that should appear at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SingleHeader<'a> {
    /// Not sent.
    Absent,
    /// Sent once; `None` when the value is not visible ASCII.
    One(Option<&'a str>),
    /// Sent more than once.
    Repeated,
}

/// What a [`TokenSource`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenLookup {
    /// No token (no header, another scheme such as `Basic`, no cookie).
    Missing,
    /// Something that tries to be a token but is malformed: a
    /// `400 invalid_request` with this description.
    Malformed(String),
    /// A token to verify.
    Found(String),
}

type CustomSource = Arc<dyn Fn(&dyn RequestHead) -> TokenLookup + Send + Sync>;

/// Where to look for the token.
///
/// ```
/// use cognito_auth::web::{TokenLookup, TokenSource};
///
/// let header = TokenSource::bearer();                 // the default
/// let cookie = TokenSource::cookie("access_token");
/// let custom = TokenSource::custom(|request| match request.header("x-api-token") {
///     Some(token) => TokenLookup::Found(token.to_owned()),
///     None => TokenLookup::Missing,
/// });
/// ```
#[derive(Clone)]
pub struct TokenSource(Source);

#[derive(Clone)]
enum Source {
    Bearer,
    Cookie(Arc<str>),
    BearerThenCookie(Arc<str>),
    Custom(CustomSource),
}

impl TokenSource {
    /// `Authorization: Bearer <token>`; the scheme is matched without
    /// regard to case.
    pub fn bearer() -> Self {
        TokenSource(Source::Bearer)
    }

    /// The value of the cookie `name`.
    ///
    /// A cookie sent twice under that name is a `400 invalid_request`:
    /// browsers send every cookie that matches, longest `Path` first, so a
    /// sibling subdomain (or a plain-HTTP page on the same host) could
    /// plant a second one that would win (login CSRF, session fixation).
    /// Set the cookie yourself with the `__Host-` prefix (`Secure`,
    /// `Path=/`, no `Domain`: no other host can set or shadow it), and with
    /// `HttpOnly` and `SameSite=Lax` or `Strict`. A cookie is sent with
    /// requests other sites start: routes that change state must also
    /// check the `Origin` header or a CSRF token — `SameSite=Lax` alone does
    /// not cover `GET`s that change state or same-site sibling hosts.
    pub fn cookie(name: impl Into<String>) -> Self {
        TokenSource(Source::Cookie(Arc::from(name.into())))
    }

    /// The bearer header when present, otherwise the cookie `name`.
    pub fn bearer_or_cookie(name: impl Into<String>) -> Self {
        TokenSource(Source::BearerThenCookie(Arc::from(name.into())))
    }

    /// Your own lookup.
    pub fn custom(
        lookup: impl Fn(&dyn RequestHead) -> TokenLookup + Send + Sync + 'static,
    ) -> Self {
        TokenSource(Source::Custom(Arc::new(lookup)))
    }

    #[cfg(feature = "tower")]
    pub(crate) fn is_bearer(&self) -> bool {
        matches!(self.0, Source::Bearer)
    }

    /// Finds the token in a request.
    pub fn lookup(&self, request: &dyn RequestHead) -> TokenLookup {
        match &self.0 {
            Source::Bearer => bearer(request),
            Source::Cookie(name) => cookie(request, name),
            Source::BearerThenCookie(name) => match bearer(request) {
                TokenLookup::Missing => cookie(request, name),
                found => found,
            },
            Source::Custom(lookup) => lookup(request),
        }
    }
}

impl Default for TokenSource {
    fn default() -> Self {
        TokenSource::bearer()
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Bearer => f.write_str("TokenSource::Bearer"),
            Source::Cookie(name) => write!(f, "TokenSource::Cookie({name:?})"),
            Source::BearerThenCookie(name) => write!(f, "TokenSource::BearerThenCookie({name:?})"),
            Source::Custom(_) => f.write_str("TokenSource::Custom(..)"),
        }
    }
}

/// RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`.
fn bearer(request: &dyn RequestHead) -> TokenLookup {
    match request.single_header("authorization") {
        SingleHeader::Absent => TokenLookup::Missing,
        SingleHeader::One(Some(value)) => match bearer_token(value) {
            BearerToken::At(range) => value.get(range).map_or(TokenLookup::Missing, |token| {
                TokenLookup::Found(token.to_owned())
            }),
            BearerToken::OtherScheme => TokenLookup::Missing,
            BearerToken::Empty => {
                TokenLookup::Malformed("the Bearer credentials are empty".to_owned())
            }
        },
        SingleHeader::One(None) => {
            TokenLookup::Malformed("the Authorization header is not visible ASCII".to_owned())
        }
        SingleHeader::Repeated => {
            TokenLookup::Malformed("more than one Authorization header".to_owned())
        }
    }
}

/// Where the token sits in an `Authorization` value.
#[cfg_attr(not(feature = "tower"), allow(unreachable_pub))]
pub(crate) enum BearerToken {
    /// The token's byte range in the value. Whether it is a b64token is
    /// checked only if it fails verification.
    At(std::ops::Range<usize>),
    /// Another scheme (Basic, Digest, ...): not a bearer token at all.
    OtherScheme,
    /// `Bearer` with nothing after it.
    Empty,
}

pub(crate) fn bearer_token(value: &str) -> BearerToken {
    bearer_token_bytes(value.as_bytes())
}

/// [`bearer_token`] over raw header bytes, so a long value is not scanned
/// for visible ASCII first.
pub(crate) fn bearer_token_bytes(value: &[u8]) -> BearerToken {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = value.iter().position(|b| !blank(b)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |last| last + 1);
    let trimmed = value.get(start..end).unwrap_or_default();
    let scheme_end = trimmed
        .iter()
        .position(|&b| b == b' ')
        .unwrap_or(trimmed.len());
    let scheme = trimmed.get(..scheme_end).unwrap_or_default();
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return BearerToken::OtherScheme;
    }
    let rest = trimmed.get(scheme_end..).unwrap_or_default();
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    let token_start = start + scheme_end + spaces;
    if token_start >= end {
        return BearerToken::Empty;
    }
    BearerToken::At(token_start..end)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
pub(crate) fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// The cookie `name`, which must be sent once: a second cookie of the same
/// name (planted by a sibling subdomain with a longer `Path`, which
/// browsers send first) makes the request malformed rather than letting
/// the first one win.
pub(crate) fn cookie(request: &dyn RequestHead, name: &str) -> TokenLookup {
    let mut found = None;
    // One `Cookie` header is the rule over HTTP/1.1 and is read without
    // collecting; HTTP/2 may split cookies over several.
    let repeated;
    let headers: &[Option<&str>] = match request.single_header("cookie") {
        SingleHeader::Absent => return TokenLookup::Missing,
        SingleHeader::One(value) => &[value],
        _ => {
            repeated = request.header_values("cookie");
            &repeated
        }
    };
    for header in headers.iter().flatten() {
        for pair in header.split(';') {
            let Some((key, value)) = pair.trim().split_once('=') else {
                continue;
            };
            if key.trim() != name {
                continue;
            }
            if found.is_some() {
                return TokenLookup::Malformed(format!("more than one {name} cookie"));
            }
            found = Some(value.trim().trim_matches('"'));
        }
    }
    match found {
        None => TokenLookup::Missing,
        Some("") => TokenLookup::Malformed(format!("the {name} cookie is empty")),
        Some(value) => TokenLookup::Found(value.to_owned()),
    }
}

/// The head of an `http` 1 request: its headers and URI.
/// The values of a header; the names asked for on every request are
/// looked up without parsing them first.
fn values_of<'a>(
    headers: &'a http::HeaderMap,
    name: &str,
) -> http::header::GetAll<'a, http::HeaderValue> {
    use http::header::{ACCEPT, AUTHORIZATION, COOKIE};
    match name {
        "authorization" => headers.get_all(AUTHORIZATION),
        "cookie" => headers.get_all(COOKIE),
        "accept" => headers.get_all(ACCEPT),
        _ => headers.get_all(name),
    }
}

trait HttpHead {
    fn headers(&self) -> &http::HeaderMap;
    fn uri(&self) -> &http::Uri;
}

impl HttpHead for http::request::Parts {
    fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    fn uri(&self) -> &http::Uri {
        &self.uri
    }
}

impl<B> HttpHead for http::Request<B> {
    fn headers(&self) -> &http::HeaderMap {
        http::Request::headers(self)
    }

    fn uri(&self) -> &http::Uri {
        http::Request::uri(self)
    }
}

/// A [`RequestHead`] over `http` 1 requests (any body) and request parts.
impl<T: HttpHead> RequestHead for T {
    fn header_values(&self, name: &str) -> Vec<Option<&str>> {
        values_of(self.headers(), name)
            .iter()
            .map(|value| value.to_str().ok())
            .collect()
    }

    /// Without allocating.
    fn single_header(&self, name: &str) -> SingleHeader<'_> {
        let mut values = values_of(self.headers(), name).iter();
        match (values.next(), values.next()) {
            (None, _) => SingleHeader::Absent,
            (Some(value), None) => SingleHeader::One(value.to_str().ok()),
            (Some(_), Some(_)) => SingleHeader::Repeated,
        }
    }

    fn path(&self) -> &str {
        self.uri().path()
    }

    fn query(&self) -> Option<&str> {
        self.uri().query()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &[u8])]) -> http::Request<()> {
        let mut builder = http::Request::builder().uri("/x?y=1");
        for (name, value) in headers {
            builder = builder.header(*name, http::HeaderValue::from_bytes(value).unwrap());
        }
        builder.body(()).unwrap()
    }

    fn bearer_of(headers: &[(&str, &[u8])]) -> TokenLookup {
        TokenSource::bearer().lookup(&request(headers))
    }

    #[test]
    fn bearer_header_forms() {
        let found = |t: &str| TokenLookup::Found(t.to_owned());
        assert_eq!(bearer_of(&[]), TokenLookup::Missing);
        assert_eq!(
            bearer_of(&[("authorization", b"Bearer abc.def-_")]),
            found("abc.def-_")
        );
        assert_eq!(bearer_of(&[("authorization", b"bearer abc")]), found("abc"));
        assert_eq!(
            bearer_of(&[("authorization", b"BEARER   abc")]),
            found("abc")
        );
        assert_eq!(
            bearer_of(&[("authorization", b"Bearer abc==")]),
            found("abc==")
        );
        assert_eq!(
            bearer_of(&[("authorization", b"Basic dXNlcjpwYXNz")]),
            TokenLookup::Missing
        );
        assert_eq!(
            bearer_of(&[("authorization", b"Bearerabc")]),
            TokenLookup::Missing
        );
        // Values that are found but are no b64token are refused as
        // malformed requests once they fail verification.
        for spaced in [
            &b"Bearer a b"[..],
            b"Bearer a,b",
            b"Bearer ==",
            b"Bearer \"abc\"",
        ] {
            let TokenLookup::Found(token) = bearer_of(&[("authorization", spaced)]) else {
                panic!("{:?}", String::from_utf8_lossy(spaced))
            };
            assert!(!is_b64token(&token), "{token}");
        }
        assert!(is_b64token("abc.DEF-_~+/=="));
        for malformed in [&b"Bearer"[..], b"Bearer ", b"Bearer \xffabc"] {
            assert!(
                matches!(
                    bearer_of(&[("authorization", malformed)]),
                    TokenLookup::Malformed(_)
                ),
                "{:?}",
                String::from_utf8_lossy(malformed)
            );
        }
        assert!(matches!(
            bearer_of(&[
                ("authorization", b"Bearer a"),
                ("authorization", b"Bearer b")
            ]),
            TokenLookup::Malformed(_)
        ));
    }

    #[test]
    fn bearer_token_ranges() {
        for value in ["Bearer abc", "  bearer   abc  ", "\tBEARER abc"] {
            let BearerToken::At(range) = bearer_token(value) else {
                panic!("{value:?}")
            };
            assert_eq!(&value[range], "abc", "{value:?}");
        }
        assert!(matches!(
            bearer_token("Basic abc"),
            BearerToken::OtherScheme
        ));
        assert!(matches!(bearer_token("Bearer   "), BearerToken::Empty));
    }

    #[test]
    fn cookies() {
        let source = TokenSource::cookie("at");
        let lookup = |value: &[u8]| source.lookup(&request(&[("cookie", value)]));
        assert_eq!(
            lookup(b"a=1; at=tok.en; b=2"),
            TokenLookup::Found("tok.en".into())
        );
        assert_eq!(lookup(b"a=1"), TokenLookup::Missing);
        assert_eq!(lookup(b"xat=1"), TokenLookup::Missing);
        assert!(matches!(lookup(b"at="), TokenLookup::Malformed(_)));
        // Hardening round 2, item 3: a second cookie of the name is refused,
        // in one header or across two.
        assert!(matches!(
            lookup(b"at=planted; at=tok.en"),
            TokenLookup::Malformed(_)
        ));
        let two_headers = request(&[("cookie", b"at=planted"), ("cookie", b"a=1; at=tok.en")]);
        assert!(matches!(
            source.lookup(&two_headers),
            TokenLookup::Malformed(_)
        ));
        let both = TokenSource::bearer_or_cookie("at");
        let from = |headers: &[(&str, &[u8])]| both.lookup(&request(headers));
        assert_eq!(
            from(&[("authorization", b"Bearer h"), ("cookie", b"at=c")]),
            TokenLookup::Found("h".into())
        );
        assert_eq!(from(&[("cookie", b"at=c")]), TokenLookup::Found("c".into()));
    }

    #[test]
    fn custom_sources_see_the_request() {
        let source = TokenSource::custom(|request| match request.query() {
            Some(query) if request.path() == "/x" => TokenLookup::Found(query.to_owned()),
            _ => TokenLookup::Missing,
        });
        assert_eq!(
            source.lookup(&request(&[])),
            TokenLookup::Found("y=1".into())
        );
    }
}
