//! Where a request carries its token: the `Authorization: Bearer` header
//! (RFC 6750 §2.1), a named cookie, or a function of your own.

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
    let values = request.header_values("authorization");
    let value = match values.as_slice() {
        [] => return TokenLookup::Missing,
        [Some(value)] => *value,
        [None] => {
            return TokenLookup::Malformed(
                "the Authorization header is not visible ASCII".to_owned(),
            );
        }
        _ => {
            return TokenLookup::Malformed("more than one Authorization header".to_owned());
        }
    };
    let value = value.trim_matches(|c| c == ' ' || c == '\t');
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme (Basic, Digest, ...) is not a bearer token at all.
        return TokenLookup::Missing;
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return TokenLookup::Malformed("the Bearer credentials are empty".to_owned());
    }
    if !is_b64token(token) {
        return TokenLookup::Malformed(
            "the Bearer credentials are not a single b64token (RFC 6750 §2.1)".to_owned(),
        );
    }
    TokenLookup::Found(token.to_owned())
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

fn cookie(request: &dyn RequestHead, name: &str) -> TokenLookup {
    for header in request.header_values("cookie").into_iter().flatten() {
        for pair in header.split(';') {
            let Some((key, value)) = pair.trim().split_once('=') else {
                continue;
            };
            if key.trim() == name {
                let value = value.trim().trim_matches('"');
                if value.is_empty() {
                    return TokenLookup::Malformed(format!("the {name} cookie is empty"));
                }
                if !is_b64token(value) {
                    return TokenLookup::Malformed(format!(
                        "the {name} cookie does not hold a token"
                    ));
                }
                return TokenLookup::Found(value.to_owned());
            }
        }
    }
    TokenLookup::Missing
}

/// A [`RequestHead`] over `http` 1 request parts.
impl RequestHead for http::request::Parts {
    fn header_values(&self, name: &str) -> Vec<Option<&str>> {
        self.headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().ok())
            .collect()
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

/// A [`RequestHead`] over an `http` 1 request (any body).
impl<B> RequestHead for http::Request<B> {
    fn header_values(&self, name: &str) -> Vec<Option<&str>> {
        self.headers()
            .get_all(name)
            .iter()
            .map(|value| value.to_str().ok())
            .collect()
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
        for malformed in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer a b",
            b"Bearer a,b",
            b"Bearer ==",
            b"Bearer \"abc\"",
            b"Bearer \xffabc",
        ] {
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
        assert!(matches!(lookup(b"at=a b"), TokenLookup::Malformed(_)));
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
