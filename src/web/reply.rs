//! A framework-neutral HTTP answer: what the refusals, the sign-in flow's
//! redirects and its pages render to, before an adapter turns it into
//! axum's or actix-web's response.

/// An HTTP answer, independent of the framework that sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers to set, `Content-Type` among them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Reply {
    /// An answer with a status and a body and no headers.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `302 Found` to `location`.
    pub fn redirect(location: impl Into<String>) -> Self {
        Reply::new(302, "").header("location", location)
    }

    /// An HTML page (`text/html; charset=utf-8`), not to be cached.
    pub fn html(status: u16, body: impl Into<String>) -> Self {
        Reply::new(status, body)
            .header("content-type", "text/html; charset=utf-8")
            .header("cache-control", "no-store")
    }

    /// The value of a header set on the answer.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// As an `http` 1 response with a body built from the text.
    pub fn into_http<B: From<String>>(self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.body));
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}
