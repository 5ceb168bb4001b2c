//! The error of the web extractors: a refusal and the answer it renders to.

use std::fmt;

use super::authenticator::Authenticator;
use super::rejection::{AuthRejection, RejectionContext};
use super::reply::Reply;

/// A refused request: why, and the answer that will be sent (rendered the
/// way the deciding [`Authenticator`] renders refusals).
///
/// The axum extractors use it as their rejection (`IntoResponse`), the
/// actix-web extractors as their error (`ResponseError`).
#[derive(Debug, Clone)]
pub struct AuthError {
    rejection: AuthRejection,
    response: Reply,
}

impl AuthError {
    /// A refusal rendered by `authenticator`.
    pub fn new(rejection: AuthRejection, authenticator: &Authenticator) -> Self {
        let response = authenticator.render(&rejection);
        AuthError {
            rejection,
            response,
        }
    }

    /// A refusal with an answer of its own (a redirect to sign in).
    pub(crate) fn with_reply(rejection: AuthRejection, response: Reply) -> Self {
        AuthError {
            rejection,
            response,
        }
    }

    /// `500`: `who` found no authentication middleware in front of it.
    #[cfg_attr(not(any(feature = "tower", feature = "actix")), allow(dead_code))]
    pub(crate) fn layer_missing(who: &str) -> Self {
        let rejection = AuthRejection::Misconfigured(format!(
            "{who} needs the authentication middleware in front of it; the authentication layer is missing"
        ));
        let response = Reply::standard(&rejection, &RejectionContext::default());
        AuthError {
            rejection,
            response,
        }
    }

    /// Why the request was refused.
    pub fn rejection(&self) -> &AuthRejection {
        &self.rejection
    }

    /// The answer that will be sent.
    pub fn response(&self) -> &Reply {
        &self.response
    }

    /// The answer, taken out.
    pub fn into_reply(self) -> Reply {
        self.response
    }

    /// The status of the answer.
    pub fn status(&self) -> u16 {
        self.response.status
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.rejection.fmt(f)
    }
}

impl std::error::Error for AuthError {}
