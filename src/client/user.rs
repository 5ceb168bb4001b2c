//! The user behind an access token: `GetUser` and `GlobalSignOut`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::CognitoClient;
use super::secret::Secret;
use crate::error::{Error, Result};

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
