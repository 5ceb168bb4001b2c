//! What a sign-in step answers: tokens, or the challenge Cognito asks
//! for next. Shared by every flow (password, SRP, refresh, challenges).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde_json::Value;

use super::secret::Secret;
use crate::error::{Error, Result, ServiceError};

/// Tokens from a sign-in, a refresh or the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token.
    pub access_token: Secret,
    /// The ID token (absent for client-credentials tokens).
    pub id_token: Option<Secret>,
    /// A refresh token (absent on most refreshes: keep using yours).
    pub refresh_token: Option<Secret>,
    /// Lifetime of the access token in seconds, when given.
    pub expires_in: Option<u64>,
    /// Normally `Bearer`.
    pub token_type: Option<String>,
    /// Granted scopes (token endpoint answers only).
    pub scope: Option<String>,
}

/// What Cognito asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeName {
    /// A user created by an administrator must choose a password.
    NewPasswordRequired,
    /// A code from an authenticator app.
    SoftwareTokenMfa,
    /// A code sent by SMS.
    SmsMfa,
    /// The SRP proof (answered by [`AppClient::sign_in_srp`](super::AppClient::sign_in_srp) itself).
    PasswordVerifier,
    /// Any other challenge, by name.
    Other(String),
}

impl ChallengeName {
    /// The wire name, e.g. `NEW_PASSWORD_REQUIRED`.
    pub fn as_str(&self) -> &str {
        match self {
            ChallengeName::NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
            ChallengeName::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            ChallengeName::SmsMfa => "SMS_MFA",
            ChallengeName::PasswordVerifier => "PASSWORD_VERIFIER",
            ChallengeName::Other(name) => name,
        }
    }
}

impl FromStr for ChallengeName {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match name {
            "NEW_PASSWORD_REQUIRED" => ChallengeName::NewPasswordRequired,
            "SOFTWARE_TOKEN_MFA" => ChallengeName::SoftwareTokenMfa,
            "SMS_MFA" => ChallengeName::SmsMfa,
            "PASSWORD_VERIFIER" => ChallengeName::PasswordVerifier,
            other => ChallengeName::Other(other.to_owned()),
        })
    }
}

impl fmt::Display for ChallengeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A challenge to answer with [`AppClient::respond`](super::AppClient::respond) (or one of its
/// shorthands) before tokens are issued.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// Which challenge.
    pub name: ChallengeName,
    /// The session to send back with the answer.
    pub session: Option<Secret>,
    /// `ChallengeParameters`, as sent.
    pub parameters: BTreeMap<String, String>,
    /// The user name the answer must carry.
    pub username: String,
    /// The user pool of a server-side sign-in
    /// ([`AppClient::admin_sign_in`](super::AppClient::admin_sign_in)):
    /// its answer goes to `AdminRespondToAuthChallenge`, signed. `None`
    /// for the public flows.
    pub user_pool_id: Option<String>,
}

/// The result of a sign-in step: tokens, or a challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// Signed in.
    Tokens(Tokens),
    /// Cognito asks for more.
    Challenge(Challenge),
}

impl AuthOutcome {
    /// The tokens, or a `config` error naming the unexpected challenge.
    pub fn into_tokens(self) -> Result<Tokens> {
        match self {
            AuthOutcome::Tokens(tokens) => Ok(tokens),
            AuthOutcome::Challenge(challenge) => Err(Error::config(format!(
                "Cognito asks for the {} challenge",
                challenge.name
            ))),
        }
    }
}

/// The answer of `InitiateAuth`, `RespondToAuthChallenge` and their
/// `Admin*` twins.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AuthAnswer {
    authentication_result: Option<AuthenticationResult>,
    challenge_name: Option<String>,
    session: Option<String>,
    #[serde(default)]
    challenge_parameters: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthenticationResult {
    access_token: String,
    id_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    token_type: Option<String>,
}

/// Tokens or a challenge from an auth answer; `username` is the user the
/// answer to a challenge must name when Cognito does not say.
pub(super) fn outcome(answer: AuthAnswer, username: &str) -> Result<AuthOutcome> {
    if let Some(result) = answer.authentication_result {
        return Ok(AuthOutcome::Tokens(Tokens {
            access_token: Secret::new(result.access_token),
            id_token: result.id_token.map(Secret::new),
            refresh_token: result.refresh_token.map(Secret::new),
            expires_in: result.expires_in,
            token_type: result.token_type,
            scope: None,
        }));
    }
    let Some(name) = answer.challenge_name else {
        return Err(unexpected(
            "the answer has neither tokens nor a challenge".to_owned(),
        ));
    };
    let parameters: BTreeMap<String, String> = answer
        .challenge_parameters
        .into_iter()
        .map(|(key, value)| match value {
            Value::String(text) => (key, text),
            other => (key, other.to_string()),
        })
        .collect();
    let username = parameters
        .get("USERNAME")
        .or_else(|| parameters.get("USER_ID_FOR_SRP"))
        .cloned()
        .unwrap_or_else(|| username.to_owned());
    Ok(AuthOutcome::Challenge(Challenge {
        name: name.parse().unwrap_or(ChallengeName::Other(name)),
        session: answer.session.map(Secret::new),
        parameters,
        username,
        user_pool_id: None,
    }))
}

pub(super) fn unexpected(message: String) -> Error {
    Error::Service(Box::new(ServiceError::new(
        "UnexpectedResponse",
        message,
        200,
    )))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn outcomes() {
        let tokens: AuthAnswer = serde_json::from_value(json!({
            "AuthenticationResult": {"AccessToken": "a", "IdToken": "i", "RefreshToken": "r", "ExpiresIn": 3600, "TokenType": "Bearer"},
            "ChallengeParameters": {}
        }))
        .unwrap();
        let AuthOutcome::Tokens(tokens) = outcome(tokens, "u").unwrap() else {
            panic!("tokens expected")
        };
        assert_eq!(tokens.access_token.expose(), "a");
        assert_eq!(tokens.expires_in, Some(3600));
        let debug = format!("{tokens:?}");
        assert!(
            !debug.contains("\"a\"") && !debug.contains("\"r\""),
            "{debug}"
        );

        let challenge: AuthAnswer = serde_json::from_value(json!({
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": "session-secret",
            "ChallengeParameters": {"USER_ID_FOR_SRP": "alice-id", "requiredAttributes": "[]"}
        }))
        .unwrap();
        let AuthOutcome::Challenge(challenge) = outcome(challenge, "alice").unwrap() else {
            panic!("challenge expected")
        };
        assert_eq!(challenge.name, ChallengeName::NewPasswordRequired);
        assert_eq!(
            challenge.username, "alice-id",
            "USER_ID_FOR_SRP without USERNAME"
        );
        assert!(!format!("{challenge:?}").contains("session-secret"));

        let neither: AuthAnswer = serde_json::from_value(json!({})).unwrap();
        assert_eq!(outcome(neither, "u").unwrap_err().kind(), "service");
    }
}
