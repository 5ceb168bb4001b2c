//! Why a request was refused, and how that becomes an HTTP answer
//! (RFC 6750 §3), the same in every framework.
//!
//! Past 450 lines only with its unit tests, which check every kind's
//! status, challenge and fixed phrase against this one table.

use std::fmt;

use serde_json::json;

use super::reply::Reply;
use crate::error::Error;

/// Why a request was refused.
///
/// | variant | status | `WWW-Authenticate` |
/// |---|---|---|
/// | [`MissingToken`](Self::MissingToken) | 401 | `Bearer realm="…"` |
/// | [`InvalidRequest`](Self::InvalidRequest) | 400 | `Bearer realm="…", error="invalid_request", error_description="…"` |
/// | [`InvalidToken`](Self::InvalidToken) | 401 | `Bearer realm="…", error="invalid_token", error_description="…"` |
/// | [`InsufficientScope`](Self::InsufficientScope) | 403 | `Bearer realm="…", error="insufficient_scope", scope="…"` |
/// | [`Unavailable`](Self::Unavailable) | 503 | none; `Retry-After` |
/// | [`Misconfigured`](Self::Misconfigured) | 500 | none |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No token (or another scheme, such as `Basic`).
    MissingToken,
    /// A token was attempted but is not well-formed as a request parameter
    /// (an empty or spaced `Bearer` value).
    InvalidRequest(String),
    /// The token is invalid, expired, or for another pool, client or use.
    InvalidToken(Error),
    /// The token is valid but lacks a required scope or group.
    InsufficientScope(Error),
    /// The keys cannot be had (the IdP is down and nothing is cached), or the
    /// revocation list cannot be trusted (its store is down and it fails
    /// closed).
    Unavailable(Error),
    /// The server is set up wrongly (an extractor without its layer, no
    /// verifier in the app data).
    Misconfigured(String),
}

impl AuthRejection {
    /// The rejection for a verification error.
    pub fn from_error(err: Error) -> Self {
        match err {
            Error::InsufficientScope { .. } | Error::MissingGroup { .. } => {
                AuthRejection::InsufficientScope(err)
            }
            Error::JwksUnavailable { .. }
            | Error::RevocationUnavailable(_)
            | Error::SessionUnavailable(_)
            | Error::IssuerUnavailable(_) => AuthRejection::Unavailable(err),
            Error::Config(message) => AuthRejection::Misconfigured(message),
            Error::MissingToken(_) => AuthRejection::MissingToken,
            other => AuthRejection::InvalidToken(other),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            AuthRejection::MissingToken | AuthRejection::InvalidToken(_) => 401,
            AuthRejection::InvalidRequest(_) => 400,
            AuthRejection::InsufficientScope(_) => 403,
            AuthRejection::Unavailable(_) => 503,
            AuthRejection::Misconfigured(_) => 500,
        }
    }

    /// The `error` code of the JSON body (RFC 6750 / RFC 6749 names).
    pub fn error_code(&self) -> &'static str {
        match self {
            AuthRejection::MissingToken => "missing_token",
            AuthRejection::InvalidRequest(_) => "invalid_request",
            AuthRejection::InvalidToken(_) => "invalid_token",
            AuthRejection::InsufficientScope(_) => "insufficient_scope",
            AuthRejection::Unavailable(_) => "temporarily_unavailable",
            AuthRejection::Misconfigured(_) => "server_error",
        }
    }

    /// The description an unauthenticated caller gets by default: one
    /// fixed phrase per error kind ([`Error::public_message`]); what the
    /// request itself got wrong (an empty `Bearer`, two `Authorization`
    /// headers) for `400`s.
    pub fn public_description(&self) -> String {
        match self {
            AuthRejection::InvalidToken(err)
            | AuthRejection::InsufficientScope(err)
            | AuthRejection::Unavailable(err) => err.public_message().to_owned(),
            other => other.description(),
        }
    }

    /// The detailed description (what was expected and what was found);
    /// never contains the token, but may name configured client ids,
    /// issuers and key URLs: for logs, or answers with
    /// [`RejectionContext::verbose_errors`].
    pub fn description(&self) -> String {
        match self {
            AuthRejection::MissingToken => "a bearer token is required".to_owned(),
            AuthRejection::InvalidRequest(why) | AuthRejection::Misconfigured(why) => why.clone(),
            AuthRejection::InvalidToken(err)
            | AuthRejection::InsufficientScope(err)
            | AuthRejection::Unavailable(err) => err.to_string(),
        }
    }

    /// The verification error behind the rejection, if any.
    pub fn error(&self) -> Option<&Error> {
        match self {
            AuthRejection::InvalidToken(err)
            | AuthRejection::InsufficientScope(err)
            | AuthRejection::Unavailable(err) => Some(err),
            _ => None,
        }
    }

    /// The scopes whose absence caused a 403, for the `scope` attribute.
    pub fn required_scopes(&self) -> Option<&[String]> {
        match self {
            AuthRejection::InsufficientScope(Error::InsufficientScope { required, .. }) => {
                Some(required)
            }
            _ => None,
        }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.error_code(),
            self.status(),
            self.description()
        )
    }
}

impl std::error::Error for AuthRejection {}

/// A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3), built from typed
/// values; attribute values are reduced to the characters RFC 6750 allows.
///
/// ```
/// use cognito_auth::web::BearerChallenge;
/// let challenge = BearerChallenge::new("api")
///     .error("insufficient_scope")
///     .scope(["api/reports.read", "api/reports.write"]);
/// assert_eq!(
///     challenge.to_string(),
///     r#"Bearer realm="api", error="insufficient_scope", scope="api/reports.read api/reports.write""#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    realm: String,
    error: Option<String>,
    description: Option<String>,
    scope: Option<String>,
}

impl BearerChallenge {
    /// A challenge with only a realm.
    pub fn new(realm: impl Into<String>) -> Self {
        BearerChallenge {
            realm: realm.into(),
            error: None,
            description: None,
            scope: None,
        }
    }

    /// The `error` attribute.
    pub fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    /// The `error_description` attribute.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The `scope` attribute: scopes joined by spaces.
    pub fn scope<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined: Vec<String> = scopes.into_iter().map(|s| s.as_ref().to_owned()).collect();
        self.scope = Some(joined.join(" "));
        self
    }
}

impl fmt::Display for BearerChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bearer realm=\"{}\"", attribute_value(&self.realm))?;
        for (name, value) in [
            ("error", &self.error),
            ("error_description", &self.description),
            ("scope", &self.scope),
        ] {
            if let Some(value) = value {
                write!(f, ", {name}=\"{}\"", attribute_value(value))?;
            }
        }
        Ok(())
    }
}

/// RFC 6750 §3: attribute values use `%x20-21 / %x23-5B / %x5D-7E` only;
/// quotes become apostrophes, backslashes slashes, the rest is dropped.
fn attribute_value(value: &str) -> String {
    value
        .chars()
        .filter_map(|c| match c {
            '"' => Some('\''),
            '\\' => Some('/'),
            ' '..='~' => Some(c),
            _ => None,
        })
        .take(400)
        .collect()
}

/// What the renderer knows besides the rejection.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RejectionContext {
    /// The `realm` of the challenge.
    pub realm: String,
    /// Seconds for `Retry-After` on a 503.
    pub retry_after_seconds: u64,
    /// Answers carry the detailed description instead of the fixed phrase
    /// of each error kind (for development; off by default).
    pub verbose_errors: bool,
}

impl RejectionContext {
    /// The description to send: the fixed public phrase, or the details
    /// when [`verbose_errors`](Self::verbose_errors) is on.
    pub fn description_of(&self, rejection: &AuthRejection) -> String {
        if self.verbose_errors {
            rejection.description()
        } else {
            rejection.public_description()
        }
    }
}

impl Default for RejectionContext {
    /// Realm `api`, `Retry-After: 5`, fixed descriptions.
    fn default() -> Self {
        RejectionContext {
            realm: "api".to_owned(),
            retry_after_seconds: 5,
            verbose_errors: false,
        }
    }
}

impl Reply {
    /// The crate's standard answer: the status, challenge and headers of
    /// the table on [`AuthRejection`], and a JSON body
    /// `{"error": "…", "error_description": "…"}`, where the description is
    /// the fixed phrase of the error kind unless the context asks for
    /// verbose errors.
    pub fn standard(rejection: &AuthRejection, context: &RejectionContext) -> Self {
        let description = context.description_of(rejection);
        let body = json!({
            "error": rejection.error_code(),
            "error_description": description,
        })
        .to_string();
        let mut response =
            Reply::new(rejection.status(), body).header("content-type", "application/json");
        let realm = context.realm.as_str();
        let challenge = match rejection {
            AuthRejection::MissingToken => Some(BearerChallenge::new(realm)),
            AuthRejection::InvalidRequest(_) | AuthRejection::InvalidToken(_) => Some(
                BearerChallenge::new(realm)
                    .error(rejection.error_code())
                    .description(description.as_str()),
            ),
            AuthRejection::InsufficientScope(_) => {
                let challenge = BearerChallenge::new(realm).error("insufficient_scope");
                Some(match rejection.required_scopes() {
                    Some(scopes) => challenge.scope(scopes),
                    // A group requirement has no scope a client could ask for.
                    None => challenge.description(description.as_str()),
                })
            }
            AuthRejection::Unavailable(_) => {
                response = response.header("retry-after", context.retry_after_seconds.to_string());
                None
            }
            AuthRejection::Misconfigured(_) => None,
        };
        if let Some(challenge) = challenge {
            response = response.header("www-authenticate", challenge.to_string());
        }
        response
    }
}

/// Renders a rejection as an HTTP answer. Implement it (or pass a closure)
/// to change bodies or headers; [`Reply::standard`] is the
/// default and a good starting point.
///
/// ```
/// use cognito_auth::web::{AuthRejection, RejectionContext, Reply};
///
/// let plain_text = |rejection: &AuthRejection, context: &RejectionContext| {
///     let standard = Reply::standard(rejection, context);
///     let mut custom = Reply::new(standard.status, context.description_of(rejection))
///         .header("content-type", "text/plain");
///     for (name, value) in standard.headers.iter().filter(|(name, _)| name != "content-type") {
///         custom = custom.header(name.clone(), value.clone());
///     }
///     custom
/// };
/// # let _ = cognito_auth::web::Authenticator::new; // used with .render_with(plain_text)
/// # let _: &dyn cognito_auth::web::RenderRejection = &plain_text;
/// ```
pub trait RenderRejection: Send + Sync + 'static {
    /// Builds the answer.
    fn render(&self, rejection: &AuthRejection, context: &RejectionContext) -> Reply;
}

impl<F> RenderRejection for F
where
    F: Fn(&AuthRejection, &RejectionContext) -> Reply + Send + Sync + 'static,
{
    fn render(&self, rejection: &AuthRejection, context: &RejectionContext) -> Reply {
        self(rejection, context)
    }
}

/// The default renderer: [`Reply::standard`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardRejection;

impl RenderRejection for StandardRejection {
    fn render(&self, rejection: &AuthRejection, context: &RejectionContext) -> Reply {
        Reply::standard(rejection, context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(rejection: AuthRejection) -> Reply {
        Reply::standard(
            &rejection,
            &RejectionContext {
                realm: "api".into(),
                retry_after_seconds: 7,
                verbose_errors: true,
            },
        )
    }

    /// Hardening round 2, item 6: by default an answer carries one fixed
    /// phrase per error kind, never the configuration or the key URL.
    #[test]
    fn default_answers_carry_fixed_phrases() {
        let context = RejectionContext::default();
        let client = AuthRejection::from_error(Error::InvalidClient {
            expected: "configured-client-1, configured-client-2".into(),
            found: "\"other\"".into(),
        });
        let answer = Reply::standard(&client, &context);
        assert!(
            !answer.body.contains("configured-client"),
            "{}",
            answer.body
        );
        assert!(
            answer
                .body
                .contains("the token was issued for another client")
        );
        let challenge = answer.header_value("www-authenticate").unwrap_or_default();
        assert!(!challenge.contains("configured-client"), "{challenge}");
        let down = AuthRejection::from_error(Error::JwksUnavailable {
            source_name: "https://keys.internal:8443/jwks.json".into(),
            reason: "connection refused".into(),
        });
        let answer = Reply::standard(&down, &context);
        assert!(!answer.body.contains("keys.internal"), "{}", answer.body);
        assert!(!answer.body.contains("8443"), "{}", answer.body);
        assert!(!answer.body.contains("refused"), "{}", answer.body);
    }

    #[test]
    fn the_table() {
        let missing = render(AuthRejection::MissingToken);
        assert_eq!(missing.status, 401);
        assert_eq!(
            missing.header_value("www-authenticate"),
            Some(r#"Bearer realm="api""#)
        );

        let bad = render(AuthRejection::InvalidRequest("empty".into()));
        assert_eq!(bad.status, 400);
        assert_eq!(
            bad.header_value("www-authenticate"),
            Some(r#"Bearer realm="api", error="invalid_request", error_description="empty""#)
        );

        let invalid = render(AuthRejection::from_error(Error::UnknownKid {
            kid: "\"k\"".into(),
        }));
        assert_eq!(invalid.status, 401);
        assert_eq!(
            invalid.header_value("www-authenticate"),
            Some(
                r#"Bearer realm="api", error="invalid_token", error_description="no key with kid 'k' in the JWKS""#
            )
        );
        let body: serde_json::Value = serde_json::from_str(&invalid.body).unwrap();
        assert_eq!(body["error"], "invalid_token");
        assert_eq!(
            body["error_description"],
            "no key with kid \"k\" in the JWKS"
        );

        let scope = render(AuthRejection::from_error(Error::InsufficientScope {
            requirement: "all of a, b".into(),
            required: vec!["a".into(), "b".into()],
        }));
        assert_eq!(scope.status, 403);
        assert_eq!(
            scope.header_value("www-authenticate"),
            Some(r#"Bearer realm="api", error="insufficient_scope", scope="a b""#)
        );

        let down = render(AuthRejection::from_error(Error::JwksUnavailable {
            source_name: "u".into(),
            reason: "r".into(),
        }));
        assert_eq!(down.status, 503);
        assert_eq!(down.header_value("www-authenticate"), None);
        assert_eq!(down.header_value("retry-after"), Some("7"));
    }

    #[test]
    fn attribute_values_are_safe() {
        let challenge = BearerChallenge::new("a\"b\\c\u{7f}\né").description("x\"y");
        assert_eq!(
            challenge.to_string(),
            r#"Bearer realm="a'b/c", error_description="x'y""#
        );
        assert!(http::HeaderValue::from_str(&challenge.to_string()).is_ok());
    }
}
