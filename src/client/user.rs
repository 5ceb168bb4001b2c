//! The user behind an access token: `GetUser` and `GlobalSignOut`; and the
//! one [`User`] type every user-returning operation answers with.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Value, json};

use super::CognitoClient;
use super::secret::Secret;
use crate::error::{Error, Result};

/// A user as Cognito describes it: `GetUser`, and the IAM-authorized
/// `AdminGetUser`, `AdminCreateUser`, `ListUsers` and `ListUsersInGroup`
/// (fields an operation does not return are empty or `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The user name.
    pub username: String,
    /// The user's attributes (`sub`, `email`, `custom:*`, …).
    pub attributes: BTreeMap<String, String>,
    /// The MFA methods the user has set up.
    pub mfa_methods: Vec<String>,
    /// The preferred MFA method.
    pub preferred_mfa: Option<String>,
    /// Whether the user may sign in (admin operations only).
    pub enabled: Option<bool>,
    /// The account's status (admin operations only).
    pub status: Option<UserStatus>,
    /// When the user was created (admin operations only).
    pub created_at: Option<SystemTime>,
    /// When the user was last modified (admin operations only).
    pub modified_at: Option<SystemTime>,
}

impl User {
    /// The user's `sub` attribute, when the answer carried it.
    pub fn sub(&self) -> Option<&str> {
        self.attributes.get("sub").map(String::as_str)
    }
}

/// The status of a user account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserStatus {
    /// Signed up, not yet confirmed.
    Unconfirmed,
    /// Confirmed.
    Confirmed,
    /// Archived.
    Archived,
    /// Compromised.
    Compromised,
    /// Unknown.
    Unknown,
    /// Must reset the password before signing in.
    ResetRequired,
    /// Created by an administrator: must choose a password at first
    /// sign-in.
    ForceChangePassword,
    /// Signed up through a federated identity provider.
    ExternalProvider,
    /// Any other status, by name.
    Other(String),
}

impl UserStatus {
    /// The wire name, e.g. `FORCE_CHANGE_PASSWORD`.
    pub fn as_str(&self) -> &str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::Archived => "ARCHIVED",
            UserStatus::Compromised => "COMPROMISED",
            UserStatus::Unknown => "UNKNOWN",
            UserStatus::ResetRequired => "RESET_REQUIRED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ExternalProvider => "EXTERNAL_PROVIDER",
            UserStatus::Other(name) => name,
        }
    }
}

impl FromStr for UserStatus {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match name {
            "UNCONFIRMED" => UserStatus::Unconfirmed,
            "CONFIRMED" => UserStatus::Confirmed,
            "ARCHIVED" => UserStatus::Archived,
            "COMPROMISED" => UserStatus::Compromised,
            "UNKNOWN" => UserStatus::Unknown,
            "RESET_REQUIRED" => UserStatus::ResetRequired,
            "FORCE_CHANGE_PASSWORD" => UserStatus::ForceChangePassword,
            "EXTERNAL_PROVIDER" => UserStatus::ExternalProvider,
            other => UserStatus::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user on the wire: `UserAttributes` (`GetUser`, `AdminGetUser`) or
/// `Attributes` (`ListUsers`, `AdminCreateUser`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireUser {
    username: String,
    #[serde(default, alias = "Attributes")]
    user_attributes: Vec<WireAttribute>,
    #[serde(default, rename = "UserMFASettingList")]
    mfa_methods: Vec<String>,
    #[serde(default, rename = "PreferredMfaSetting")]
    preferred_mfa: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    user_status: Option<String>,
    #[serde(default)]
    user_create_date: Option<f64>,
    #[serde(default)]
    user_last_modified_date: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireAttribute {
    name: String,
    value: Option<String>,
}

impl From<WireUser> for User {
    fn from(wire: WireUser) -> Self {
        User {
            username: wire.username,
            attributes: wire
                .user_attributes
                .into_iter()
                .map(|attribute| (attribute.name, attribute.value.unwrap_or_default()))
                .collect(),
            mfa_methods: wire.mfa_methods,
            preferred_mfa: wire.preferred_mfa,
            enabled: wire.enabled,
            status: wire
                .user_status
                .map(|status| status.parse().unwrap_or(UserStatus::Other(status))),
            created_at: wire.user_create_date.and_then(epoch_time),
            modified_at: wire.user_last_modified_date.and_then(epoch_time),
        }
    }
}

/// AWS's dates: seconds since the epoch, with a fraction.
pub(super) fn epoch_time(seconds: f64) -> Option<SystemTime> {
    let elapsed = Duration::try_from_secs_f64(seconds).ok()?;
    UNIX_EPOCH.checked_add(elapsed)
}

impl CognitoClient {
    /// `GlobalSignOut`: revokes every refresh token of the user the access
    /// token belongs to. With a [revocation
    /// list](super::CognitoClientBuilder::revocation_list), every token of
    /// the user issued up to now is refused by every verifier sharing it;
    /// without one, access tokens already issued keep verifying locally
    /// until they expire (Cognito's own APIs refuse them).
    pub async fn global_sign_out(&self, access_token: &Secret) -> Result<()> {
        let _: Value = self
            .call(
                "GlobalSignOut",
                &json!({ "AccessToken": access_token.expose() }),
            )
            .await?;
        if let Some(list) = self.revocations() {
            // Cognito has just accepted the token: its iss and sub are its
            // own.
            let (issuer, sub) = claim_pair(access_token, "sub")?;
            list.revoke_user_now(issuer, sub).await?;
        }
        Ok(())
    }

    /// `GetUser`: the user an access token belongs to, as Cognito sees it
    /// now (a signed-out user's token is refused here).
    pub async fn get_user(&self, access_token: &Secret) -> Result<User> {
        let answer: WireUser = self
            .call("GetUser", &json!({ "AccessToken": access_token.expose() }))
            .await?;
        Ok(answer.into())
    }
}

/// The issuer and another claim of a token Cognito has just accepted.
pub(super) fn claim_pair(token: &Secret, name: &str) -> Result<(String, String)> {
    let decoded = crate::token::decode_unverified(token.expose())?;
    let text = |claim: &str| {
        decoded
            .payload
            .get(claim)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::config(format!("the token has no {claim} to revoke it by")))
    };
    Ok((text("iss")?, text(name)?))
}
