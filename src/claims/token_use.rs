//! The `token_use` claim.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a Cognito token is for: the `token_use` claim.
///
/// ```
/// use cognito_auth::TokenUse;
/// assert_eq!(TokenUse::Access.as_str(), "access");
/// assert_eq!("id".parse::<TokenUse>().unwrap(), TokenUse::Id);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenUse {
    /// An access token (`token_use: "access"`): scopes, groups, `client_id`.
    Access,
    /// An ID token (`token_use: "id"`): user attributes, `aud`.
    Id,
}

impl TokenUse {
    /// The claim value: `"access"` or `"id"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Id => "id",
        }
    }
}

impl fmt::Display for TokenUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TokenUse {
    type Err = crate::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "access" => Ok(TokenUse::Access),
            "id" => Ok(TokenUse::Id),
            other => Err(crate::Error::config(format!(
                "token use must be \"access\" or \"id\", not {}",
                crate::error::echo(other)
            ))),
        }
    }
}
