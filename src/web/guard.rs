//! Route guards: groups or scopes a verified token must hold.

use crate::claims::Requirement;
use crate::claims::VerifiedToken;
use crate::error::Error;

use super::authentication::Authentication;
use super::error::AuthError;
use super::rejection::AuthRejection;
use super::reply::Reply;
use super::token_source::RequestHead;

/// What a guard checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// `cognito:groups`; a miss is `missing_group`.
    Groups,
    /// `scope`; a miss is `insufficient_scope`.
    Scopes,
}

/// A requirement fixed at compile time, for the typed guard extractors.
///
/// ```
/// use cognito_auth::Requirement;
/// use cognito_auth::web::{Claim, StaticRequirement};
///
/// /// Members of the admin group.
/// struct Admins;
///
/// impl StaticRequirement for Admins {
///     const CLAIM: Claim = Claim::Groups;
///     fn requirement() -> Requirement {
///         Requirement::any_of(["admin"])
///     }
/// }
/// ```
pub trait StaticRequirement: Send + Sync + 'static {
    /// Whether groups or scopes are checked.
    const CLAIM: Claim;
    /// The requirement.
    fn requirement() -> Requirement;
}

/// A requirement on groups or scopes, checked against verified tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    claim: Claim,
    requirement: Requirement,
}

impl Guard {
    /// Requires groups.
    pub fn groups(requirement: Requirement) -> Self {
        Guard {
            claim: Claim::Groups,
            requirement,
        }
    }

    /// Requires scopes.
    pub fn scopes(requirement: Requirement) -> Self {
        Guard {
            claim: Claim::Scopes,
            requirement,
        }
    }

    /// The guard of a [`StaticRequirement`].
    pub fn of<R: StaticRequirement>() -> Self {
        Guard {
            claim: R::CLAIM,
            requirement: R::requirement(),
        }
    }

    /// Checks a verified token: `403` material when the requirement is not met.
    pub fn check(&self, token: &VerifiedToken) -> Result<(), AuthRejection> {
        let held = match self.claim {
            Claim::Groups => token.groups(),
            Claim::Scopes => token.scopes(),
        };
        if self.requirement.is_met_by(held) {
            return Ok(());
        }
        let requirement = self.requirement.to_string();
        let required = self.requirement.names().to_vec();
        Err(AuthRejection::InsufficientScope(match self.claim {
            Claim::Groups => Error::MissingGroup {
                requirement,
                required,
            },
            Claim::Scopes => Error::InsufficientScope {
                requirement,
                required,
            },
        }))
    }

    /// The answer refusing a request, if any: `who` is the middleware
    /// named in the `500` when no authentication ran first; an anonymous
    /// request is refused as its authentication says (a `401`, or a
    /// redirect to sign in for a browser behind a session layer).
    #[cfg_attr(not(any(feature = "tower", feature = "actix")), allow(dead_code))]
    pub(crate) fn refusal(
        &self,
        authentication: Option<&Authentication>,
        request: &dyn RequestHead,
        who: &str,
    ) -> Option<Reply> {
        let Some(authentication) = authentication else {
            return Some(AuthError::layer_missing(who).into_reply());
        };
        let Some(token) = authentication.token() else {
            return Some(authentication.refuse_anonymous(request).into_reply());
        };
        self.check(token)
            .err()
            .map(|rejection| authentication.authenticator().render(&rejection))
    }
}
