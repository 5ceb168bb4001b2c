//! The user behind an access token: `GetUser` and `GlobalSignOut`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::CognitoClient;
use super::secret::Secret;
use crate::error::Result;

/// A user as `GetUser` describes it.
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
}

impl CognitoClient {
    /// `GlobalSignOut`: revokes every refresh token of the user the access
    /// token belongs to. Access tokens already issued keep verifying
    /// locally until they expire; Cognito's own APIs refuse them.
    pub async fn global_sign_out(&self, access_token: &Secret) -> Result<()> {
        let _: Value = self
            .call(
                "GlobalSignOut",
                &json!({ "AccessToken": access_token.expose() }),
            )
            .await?;
        Ok(())
    }

    /// `GetUser`: the user an access token belongs to, as Cognito sees it
    /// now (a signed-out user's token is refused here).
    pub async fn get_user(&self, access_token: &Secret) -> Result<User> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Attribute {
            name: String,
            value: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            username: String,
            #[serde(default)]
            user_attributes: Vec<Attribute>,
            #[serde(default, rename = "UserMFASettingList")]
            mfa_methods: Vec<String>,
            #[serde(default, rename = "PreferredMfaSetting")]
            preferred_mfa: Option<String>,
        }
        let answer: Answer = self
            .call("GetUser", &json!({ "AccessToken": access_token.expose() }))
            .await?;
        Ok(User {
            username: answer.username,
            attributes: answer
                .user_attributes
                .into_iter()
                .map(|attribute| (attribute.name, attribute.value.unwrap_or_default()))
                .collect(),
            mfa_methods: answer.mfa_methods,
            preferred_mfa: answer.preferred_mfa,
        })
    }
}
