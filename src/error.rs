//! The crate's one error type. (Long by nature: every variant, its stable
//! `kind()`, its public phrase and its tests stay together.)
//!
//! Every failure, from a malformed token to an unreachable JWKS endpoint, is an
//! [`Error`]. Its [`kind()`](Error::kind) is a stable snake_case string that is
//! safe to log, match on and return to clients; its `Display` text says what
//! was expected and what was found, and never contains the token itself.

use std::fmt;
use std::sync::Arc;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The longest piece of token-controlled text an error message repeats.
const MAX_ECHO_CHARS: usize = 64;

/// Why a token was rejected, or why the verifier could not be built.
///
/// The variants follow the order of the checks: the first failing check
/// decides the error. [`Error::kind`] gives the stable name of each variant.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token is longer than the configured maximum.
    #[error("token is {size} bytes, more than the {max} allowed")]
    TokenTooLarge {
        /// Length of the token in bytes.
        size: usize,
        /// The configured limit.
        max: usize,
    },

    /// The token is not a well-formed JWS compact serialisation, or a claim
    /// has the wrong JSON type.
    #[error("malformed token: {0}")]
    Malformed(String),

    /// The header names an algorithm this verifier does not accept.
    #[error("algorithm {found} is not accepted (accepted: {accepted})")]
    UnsupportedAlgorithm {
        /// The `alg` found in the header (shortened).
        found: String,
        /// The accepted algorithms, comma separated.
        accepted: String,
    },

    /// The header has no `kid`.
    #[error("token header has no kid")]
    MissingKid,

    /// No key with the token's `kid` is in the JWKS, even after a refetch.
    #[error("no key with kid {kid} in the JWKS")]
    UnknownKid {
        /// The `kid` from the header (shortened).
        kid: String,
    },

    /// The keys could not be had: the JWKS endpoint failed and nothing usable
    /// is cached.
    #[error("JWKS unavailable from {source_name}: {reason}")]
    JwksUnavailable {
        /// The JWKS URL (or `static JWKS`) that failed.
        source_name: String,
        /// What went wrong.
        reason: String,
    },

    /// The JWK found for the `kid` does not fit the token header.
    #[error("key {kid} cannot verify this token: {reason}")]
    InvalidKey {
        /// The `kid` (shortened).
        kid: String,
        /// Why the key does not fit.
        reason: String,
    },

    /// The signature does not verify with the key.
    #[error("signature does not verify")]
    InvalidSignature,

    /// A required claim is absent.
    #[error("required claim {0} is missing")]
    MissingClaim(&'static str),

    /// The token expired.
    #[error("token expired at {exp} (now {now}, leeway {leeway}s)")]
    Expired {
        /// The `exp` claim, seconds since the epoch.
        exp: i64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
        /// The configured leeway in seconds.
        leeway: u64,
    },

    /// The token is not valid yet (`nbf` in the future).
    #[error("token not valid before {nbf} (now {now}, leeway {leeway}s)")]
    NotYetValid {
        /// The `nbf` claim, seconds since the epoch.
        nbf: i64,
        /// The verifier's current time, seconds since the epoch.
        now: i64,
        /// The configured leeway in seconds.
        leeway: u64,
    },

    /// The `iss` claim is not the expected issuer.
    #[error("issuer {found} is not accepted (expected {expected})")]
    InvalidIssuer {
        /// The issuer(s) expected.
        expected: String,
        /// The `iss` found (shortened), or `none`.
        found: String,
    },

    /// The `token_use` claim is not the configured one.
    #[error("token_use {found} is not accepted (expected {expected})")]
    InvalidTokenUse {
        /// The token use(s) expected.
        expected: String,
        /// The `token_use` found (shortened), or `none`.
        found: String,
    },

    /// The client id (`aud` of an ID token, `client_id` of an access token)
    /// is not in the allow-list, or is not a single string.
    #[error("client {found} is not accepted (expected one of {expected})")]
    InvalidClient {
        /// The allow-list.
        expected: String,
        /// What was found (shortened).
        found: String,
    },

    /// The `aud` of a generic OIDC token names none of the accepted audiences.
    #[error("audience {found} is not accepted (expected one of {expected})")]
    InvalidAudience {
        /// The accepted audiences.
        expected: String,
        /// The `aud` found (shortened).
        found: String,
    },

    /// The token lacks a required scope.
    #[error("token lacks scope: requires {requirement}")]
    InsufficientScope {
        /// The requirement that failed, such as `any of a, b`.
        requirement: String,
        /// The scopes that were required.
        required: Vec<String>,
    },

    /// The user is not in a required group.
    #[error("user lacks group: requires {requirement}")]
    MissingGroup {
        /// The requirement that failed, such as `all of admin, ops`.
        requirement: String,
        /// The groups that were required.
        required: Vec<String>,
    },

    /// An ALB token's `signer` is not one of the accepted load balancers.
    #[error("signer {found} is not accepted (expected one of {expected})")]
    InvalidSigner {
        /// The accepted ALB ARNs.
        expected: String,
        /// The `signer` found (shortened), or `none`.
        found: String,
    },

    /// The header that carries the token is absent (an ALB's
    /// `x-amzn-oidc-data`, for instance).
    #[error("no token: the {0} header is missing")]
    MissingToken(&'static str),

    /// The token is on the revocation list: its session, the token itself,
    /// or its user's tokens up to a cut-off were revoked.
    #[error("token revoked: {0}")]
    Revoked(String),

    /// The revocation list could not be written, or (when it fails
    /// closed) is too stale to be trusted: its store is unreachable.
    #[error("revocation list unavailable: {0}")]
    RevocationUnavailable(String),

    /// The issuer resolver could not say whether the token's issuer is a
    /// tenant (its error is the message); nothing was remembered, the
    /// next token asks again.
    #[error("issuer resolver unavailable: {0}")]
    IssuerUnavailable(String),

    /// The session store could not be read or written: a browser sign-in,
    /// sign-out or refresh could not be completed.
    #[error("session store unavailable: {0}")]
    SessionUnavailable(String),

    /// The user-supplied check rejected the claims.
    #[error("rejected by custom check: {0}")]
    Custom(Arc<dyn std::error::Error + Send + Sync>),

    /// The verifier configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Cognito (or the OAuth2 token endpoint) answered with an error.
    #[error("{0}")]
    Service(Box<ServiceError>),

    /// A request to Cognito could not be completed: connection refused,
    /// timeout, a body that could not be read.
    #[error("request failed: {0}")]
    Transport(String),

    /// No AWS credentials to sign an IAM-authorized call with: none
    /// configured or found, or the provider failed and the last ones have
    /// expired. Nothing was sent.
    #[error("no AWS credentials: {0}")]
    Credentials(String),
}

/// An error answer from Cognito's API or the OAuth2 token endpoint.
///
/// ```
/// use cognito_auth::{Error, ServiceError};
/// let err = Error::Service(Box::new(ServiceError::new("NotAuthorizedException", "Incorrect username or password.", 400)));
/// assert_eq!(err.kind(), "service");
/// assert_eq!(err.service_error().unwrap().name(), "NotAuthorizedException");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    name: String,
    message: String,
    status: u16,
    request_id: Option<String>,
}

impl ServiceError {
    /// An error with a name (`NotAuthorizedException`, `invalid_grant`, …),
    /// a message and the HTTP status.
    pub fn new(name: impl Into<String>, message: impl Into<String>, status: u16) -> Self {
        ServiceError {
            name: name.into(),
            message: message.into(),
            status,
            request_id: None,
        }
    }

    /// With the request id AWS returned.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// The error name: the Cognito exception (`__type` without any
    /// `prefix#`) or the OAuth2 `error` code.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The AWS request id, when the answer had one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (HTTP {}", self.name, self.message, self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ServiceError {}

impl Error {
    /// The stable snake_case name of this error, e.g. `"expired"`.
    ///
    /// These names never change between releases; match on them, log them,
    /// or send them to clients.
    ///
    /// ```
    /// use cognito_auth::Error;
    /// assert_eq!(Error::InvalidSignature.kind(), "invalid_signature");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::TokenTooLarge { .. } => "token_too_large",
            Error::Malformed(_) => "malformed",
            Error::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Error::MissingKid => "missing_kid",
            Error::UnknownKid { .. } => "unknown_kid",
            Error::JwksUnavailable { .. } => "jwks_unavailable",
            Error::InvalidKey { .. } => "invalid_key",
            Error::InvalidSignature => "invalid_signature",
            Error::MissingClaim(_) => "missing_claim",
            Error::Expired { .. } => "expired",
            Error::NotYetValid { .. } => "not_yet_valid",
            Error::InvalidIssuer { .. } => "invalid_issuer",
            Error::InvalidTokenUse { .. } => "invalid_token_use",
            Error::InvalidClient { .. } => "invalid_client",
            Error::InvalidAudience { .. } => "invalid_audience",
            Error::InsufficientScope { .. } => "insufficient_scope",
            Error::MissingGroup { .. } => "missing_group",
            Error::InvalidSigner { .. } => "invalid_signer",
            Error::MissingToken(_) => "missing_token",
            Error::Revoked(_) => "revoked",
            Error::RevocationUnavailable(_) => "revocation_unavailable",
            Error::SessionUnavailable(_) => "session_unavailable",
            Error::IssuerUnavailable(_) => "issuer_unavailable",
            Error::Custom(_) => "custom",
            Error::Config(_) => "config",
            Error::Service(_) => "service",
            Error::Transport(_) => "transport",
            Error::Credentials(_) => "credentials",
        }
    }

    /// One fixed phrase per kind, for answers to unauthenticated callers:
    /// it names what is wrong without the details [`Display`](fmt::Display)
    /// gives (configured client ids, audiences and issuers, key URLs,
    /// network errors), which belong in logs.
    ///
    /// ```
    /// use cognito_auth::Error;
    /// let err = Error::InvalidClient { expected: "abc".into(), found: "\"xyz\"".into() };
    /// assert_eq!(err.public_message(), "the token was issued for another client");
    /// assert!(err.to_string().contains("abc"));
    /// ```
    pub fn public_message(&self) -> &'static str {
        match self {
            Error::TokenTooLarge { .. } => "the token is too large",
            Error::Malformed(_) => "the token is malformed",
            Error::UnsupportedAlgorithm { .. } => "the token's algorithm is not accepted",
            Error::MissingKid => "the token does not name its signing key",
            Error::UnknownKid { .. } => "the token's signing key is not known",
            Error::JwksUnavailable { .. } => {
                "the signing keys cannot be had right now; try again later"
            }
            Error::InvalidKey { .. } => "the token's signing key cannot verify it",
            Error::InvalidSignature => "the token's signature is invalid",
            Error::MissingClaim(_) => "the token lacks a required claim",
            Error::Expired { .. } => "the token has expired",
            Error::NotYetValid { .. } => "the token is not valid yet",
            Error::InvalidIssuer { .. } => "the token was issued by an issuer that is not accepted",
            Error::InvalidTokenUse { .. } => {
                "the token is not of the accepted kind (access or ID token)"
            }
            Error::InvalidClient { .. } => "the token was issued for another client",
            Error::InvalidAudience { .. } => "the token was issued for another audience",
            Error::InsufficientScope { .. } => "the token lacks a required scope",
            Error::MissingGroup { .. } => "the user is not in a required group",
            Error::InvalidSigner { .. } => {
                "the token was signed by a load balancer that is not accepted"
            }
            Error::MissingToken(_) => "a token is required",
            Error::Revoked(_) => "the token has been revoked",
            Error::RevocationUnavailable(_) => {
                "the revocation list cannot be checked right now; try again later"
            }
            Error::SessionUnavailable(_) => "sessions cannot be read right now; try again later",
            Error::IssuerUnavailable(_) => {
                "the token's issuer cannot be looked up right now; try again later"
            }
            Error::Custom(_) => "the token was refused",
            Error::Config(_) | Error::Service(_) | Error::Transport(_) | Error::Credentials(_) => {
                "the server could not check the token"
            }
        }
    }

    /// The service error, when Cognito answered with one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(err) => Some(err),
            _ => None,
        }
    }

    /// Whether the token itself was judged invalid (as opposed to a
    /// configuration problem or keys that could not be fetched).
    ///
    /// ```
    /// use cognito_auth::Error;
    /// assert!(Error::InvalidSignature.is_token_error());
    /// assert!(!Error::Config("x".into()).is_token_error());
    /// ```
    pub fn is_token_error(&self) -> bool {
        !matches!(
            self,
            Error::JwksUnavailable { .. }
                | Error::RevocationUnavailable(_)
                | Error::SessionUnavailable(_)
                | Error::IssuerUnavailable(_)
                | Error::Config(_)
                | Error::Service(_)
                | Error::Transport(_)
                | Error::Credentials(_)
        )
    }

    /// Wraps the error of a user-supplied check.
    ///
    /// ```
    /// use cognito_auth::Error;
    /// let err = Error::custom("tenant is suspended");
    /// assert_eq!(err.kind(), "custom");
    /// assert_eq!(err.to_string(), "rejected by custom check: tenant is suspended");
    /// ```
    pub fn custom(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Custom(Arc::from(err.into()))
    }

    pub(crate) fn malformed(what: impl fmt::Display) -> Self {
        Error::Malformed(what.to_string())
    }

    pub(crate) fn config(what: impl fmt::Display) -> Self {
        Error::Config(what.to_string())
    }
}

/// An error and its sources on one line, without repeating a source whose
/// text its parent already includes.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Shortens token-controlled text before it goes into an error message, and
/// escapes control characters so a message is always one printable line.
pub(crate) fn echo(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ECHO_CHARS + 8) + 2);
    out.push('"');
    for (count, ch) in text.chars().enumerate() {
        if count == MAX_ECHO_CHARS {
            out.push_str("\"…");
            return out;
        }
        out.extend(ch.escape_debug());
    }
    out.push('"');
    out
}

/// [`echo`] of an optional value; `none` when absent.
pub(crate) fn echo_opt(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), echo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_quotes_escapes_and_shortens() {
        assert_eq!(echo("abc"), "\"abc\"");
        assert_eq!(echo("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(500);
        let shown = echo(&long);
        assert!(shown.len() < 80, "{shown}");
        assert!(shown.ends_with('…'));
    }

    #[test]
    fn kinds_are_snake_case_and_distinct() {
        let all = [
            Error::TokenTooLarge { size: 1, max: 0 },
            Error::malformed("x"),
            Error::UnsupportedAlgorithm {
                found: "none".into(),
                accepted: "RS256".into(),
            },
            Error::MissingKid,
            Error::UnknownKid { kid: "k".into() },
            Error::JwksUnavailable {
                source_name: "u".into(),
                reason: "r".into(),
            },
            Error::InvalidKey {
                kid: "k".into(),
                reason: "r".into(),
            },
            Error::InvalidSignature,
            Error::MissingClaim("exp"),
            Error::Expired {
                exp: 0,
                now: 1,
                leeway: 0,
            },
            Error::NotYetValid {
                nbf: 2,
                now: 1,
                leeway: 0,
            },
            Error::InvalidIssuer {
                expected: "a".into(),
                found: "b".into(),
            },
            Error::InvalidTokenUse {
                expected: "access".into(),
                found: "id".into(),
            },
            Error::InvalidClient {
                expected: "a".into(),
                found: "b".into(),
            },
            Error::InvalidAudience {
                expected: "a".into(),
                found: "b".into(),
            },
            Error::InsufficientScope {
                requirement: "any of a".into(),
                required: vec!["a".into()],
            },
            Error::MissingGroup {
                requirement: "any of a".into(),
                required: vec!["a".into()],
            },
            Error::InvalidSigner {
                expected: "a".into(),
                found: "b".into(),
            },
            Error::MissingToken("x-amzn-oidc-data"),
            Error::Revoked("x".into()),
            Error::RevocationUnavailable("x".into()),
            Error::SessionUnavailable("x".into()),
            Error::IssuerUnavailable("x".into()),
            Error::custom("x"),
            Error::config("x"),
            Error::Service(Box::new(ServiceError::new("X", "y", 400))),
            Error::Transport("x".into()),
            Error::Credentials("x".into()),
        ];
        let mut kinds: Vec<_> = all.iter().map(Error::kind).collect();
        for kind in &kinds {
            assert!(kind.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), all.len());
    }
}
