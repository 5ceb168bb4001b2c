//! Sign-in, challenges, refresh and revocation for one app client.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::{Value, json};

use super::CognitoClient;
use super::outcome::{
    AuthAnswer, AuthOutcome, Challenge, ChallengeName, Tokens, outcome, unexpected,
};
use super::secret::Secret;
use super::srp::{ServerChallenge, SrpSession, timestamp};
use super::user::claim_pair;
use crate::clock::unix_now;
use crate::error::{Error, Result};
use crate::keys::crypto::hmac_sha256;

/// `SECRET_HASH = Base64(HMAC_SHA256(client_secret, username + client_id))`.
///
/// ```
/// use cognito_auth::client::secret_hash;
/// assert_eq!(
///     secret_hash("alice", "3n4b5urk1ft4fl3mg5e62d9ado", "1example2secret3abcdefghijklmnopqrstuvwxyz0123456789"),
///     "RdDedgt3ikn5dR5/QJDUxFfBRUQXPOG7KauGferu9sc="
/// );
/// ```
pub fn secret_hash(username: &str, client_id: &str, client_secret: &str) -> String {
    let message = [username.as_bytes(), client_id.as_bytes()].concat();
    STANDARD.encode(hmac_sha256(client_secret.as_bytes(), &message))
}

/// One app client of a user pool: sign-in, challenges, refresh,
/// revocation. Adds `SECRET_HASH` (or the client secret) wherever the
/// operation needs it when a secret is set.
#[derive(Clone)]
pub struct AppClient {
    cognito: CognitoClient,
    client_id: String,
    client_secret: Option<Secret>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateAuth<'a> {
    auth_flow: &'a str,
    client_id: &'a str,
    auth_parameters: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RespondToAuthChallenge<'a> {
    /// Only in `AdminRespondToAuthChallenge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_pool_id: Option<&'a str>,
    challenge_name: &'a str,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<&'a str>,
    challenge_responses: BTreeMap<String, String>,
}

impl AppClient {
    pub(super) fn new(cognito: CognitoClient, client_id: String) -> Self {
        AppClient {
            cognito,
            client_id,
            client_secret: None,
        }
    }

    /// Sets the app client's secret.
    pub fn with_secret(mut self, client_secret: impl Into<Secret>) -> Self {
        self.client_secret = Some(client_secret.into());
        self
    }

    /// The app client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Signs in with `USER_PASSWORD_AUTH`.
    pub async fn sign_in(&self, username: &str, password: &Secret) -> Result<AuthOutcome> {
        let mut parameters = BTreeMap::from([
            ("USERNAME", username.to_owned()),
            ("PASSWORD", password.expose().to_owned()),
        ]);
        self.add_secret_hash(&mut parameters, username);
        self.initiate("USER_PASSWORD_AUTH", parameters, username)
            .await
    }

    /// Signs in with `USER_SRP_AUTH`: the password never leaves the
    /// process. Answers the `PASSWORD_VERIFIER` challenge itself; returns
    /// tokens or the next challenge (MFA, new password).
    pub async fn sign_in_srp(
        &self,
        user_pool_id: &str,
        username: &str,
        password: &Secret,
    ) -> Result<AuthOutcome> {
        let Some((_, pool_name)) = user_pool_id.split_once('_') else {
            return Err(Error::config(format!(
                "{user_pool_id:?} is not a user pool id (region_name)"
            )));
        };
        let session = SrpSession::new().map_err(Error::config)?;
        let mut parameters = BTreeMap::from([
            ("USERNAME", username.to_owned()),
            ("SRP_A", session.public_hex()),
        ]);
        self.add_secret_hash(&mut parameters, username);
        let challenge = match self.initiate("USER_SRP_AUTH", parameters, username).await? {
            AuthOutcome::Challenge(challenge)
                if challenge.name == ChallengeName::PasswordVerifier =>
            {
                challenge
            }
            other => return Ok(other),
        };
        let parameter = |name: &str| {
            challenge
                .parameters
                .get(name)
                .map(String::as_str)
                .ok_or_else(|| unexpected(format!("the PASSWORD_VERIFIER challenge has no {name}")))
        };
        let user_id = parameter("USER_ID_FOR_SRP")?;
        let server = ServerChallenge {
            salt_hex: parameter("SALT")?,
            b_hex: parameter("SRP_B")?,
            secret_block: parameter("SECRET_BLOCK")?,
        };
        let time = timestamp(unix_now());
        let signature = session
            .password_claim(pool_name, user_id, password.expose(), &server, &time)
            .map_err(unexpected)?;
        // USERNAME (from the challenge) is added by `respond`; the claim
        // itself is computed over USER_ID_FOR_SRP.
        let responses = [
            (
                "PASSWORD_CLAIM_SECRET_BLOCK".to_owned(),
                server.secret_block.to_owned(),
            ),
            ("TIMESTAMP".to_owned(), time),
            ("PASSWORD_CLAIM_SIGNATURE".to_owned(), signature),
        ];
        self.respond(&challenge, responses).await
    }

    /// Refreshes with `REFRESH_TOKEN_AUTH`. With a client secret, the
    /// secret hash needs the user's name (or `sub`).
    pub async fn refresh(
        &self,
        refresh_token: &Secret,
        username: Option<&str>,
    ) -> Result<AuthOutcome> {
        let mut parameters = BTreeMap::from([("REFRESH_TOKEN", refresh_token.expose().to_owned())]);
        if let Some(secret) = &self.client_secret {
            let Some(username) = username else {
                return Err(Error::config(
                    "refreshing with a client secret needs the user name (or sub) for SECRET_HASH",
                ));
            };
            parameters.insert(
                "SECRET_HASH",
                secret_hash(username, &self.client_id, secret.expose()),
            );
        }
        self.initiate(
            "REFRESH_TOKEN_AUTH",
            parameters,
            username.unwrap_or_default(),
        )
        .await
    }

    /// Answers a challenge. `USERNAME` and `SECRET_HASH` are added when
    /// missing. A challenge of a server-side sign-in (its `user_pool_id`
    /// set) is answered with `AdminRespondToAuthChallenge`, signed.
    pub async fn respond<I, K, V>(&self, challenge: &Challenge, responses: I) -> Result<AuthOutcome>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut responses: BTreeMap<String, String> = responses
            .into_iter()
            .map(|(key, value)| (key.into(), value.into()))
            .collect();
        let username = responses
            .entry("USERNAME".to_owned())
            .or_insert_with(|| challenge.username.clone())
            .clone();
        if let Some(secret) = &self.client_secret {
            responses
                .entry("SECRET_HASH".to_owned())
                .or_insert_with(|| secret_hash(&username, &self.client_id, secret.expose()));
        }
        let request = RespondToAuthChallenge {
            user_pool_id: challenge.user_pool_id.as_deref(),
            challenge_name: challenge.name.as_str(),
            client_id: &self.client_id,
            session: challenge.session.as_ref().map(Secret::expose),
            challenge_responses: responses,
        };
        let answer: AuthAnswer = match &challenge.user_pool_id {
            None => {
                self.cognito
                    .call("RespondToAuthChallenge", &request)
                    .await?
            }
            #[cfg(feature = "iam")]
            Some(_) => {
                self.cognito
                    .call_signed("AdminRespondToAuthChallenge", &request)
                    .await?
            }
            #[cfg(not(feature = "iam"))]
            Some(_) => {
                return Err(Error::config(
                    "answering a server-side sign-in's challenge needs the iam feature",
                ));
            }
        };
        admin_outcome(
            outcome(answer, &username),
            challenge.user_pool_id.as_deref(),
        )
    }

    /// Signs in on the server (`AdminInitiateAuth` with
    /// `ADMIN_USER_PASSWORD_AUTH`, signed; feature `iam`): the same
    /// outcomes as [`sign_in`](Self::sign_in), and its challenges are
    /// answered with [`respond`](Self::respond) and its shorthands alike.
    /// The app client must allow `ALLOW_ADMIN_USER_PASSWORD_AUTH`.
    ///
    /// ```no_run
    /// use cognito_auth::client::{AuthOutcome, CognitoClient, EnvironmentCredentials, Secret};
    ///
    /// # async fn demo() -> Result<(), cognito_auth::Error> {
    /// let cognito = CognitoClient::builder()
    ///     .region("eu-west-1")
    ///     .credentials(EnvironmentCredentials::new())
    ///     .build()?;
    /// let app = cognito.app_client("1example23456789");
    /// match app.admin_sign_in("eu-west-1_AbCdEf123", "alice", &Secret::new("correct horse")).await? {
    ///     AuthOutcome::Tokens(tokens) => println!("signed in"),
    ///     AuthOutcome::Challenge(challenge) => println!("answer {}", challenge.name),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "iam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "iam")))]
    pub async fn admin_sign_in(
        &self,
        user_pool_id: &str,
        username: &str,
        password: &Secret,
    ) -> Result<AuthOutcome> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct AdminInitiateAuth<'a> {
            user_pool_id: &'a str,
            #[serde(flatten)]
            auth: InitiateAuth<'a>,
        }
        let mut parameters = BTreeMap::from([
            ("USERNAME", username.to_owned()),
            ("PASSWORD", password.expose().to_owned()),
        ]);
        self.add_secret_hash(&mut parameters, username);
        let request = AdminInitiateAuth {
            user_pool_id,
            auth: InitiateAuth {
                auth_flow: "ADMIN_USER_PASSWORD_AUTH",
                client_id: &self.client_id,
                auth_parameters: parameters,
            },
        };
        let answer: AuthAnswer = self
            .cognito
            .call_signed("AdminInitiateAuth", &request)
            .await?;
        admin_outcome(outcome(answer, username), Some(user_pool_id))
    }

    /// Answers `NEW_PASSWORD_REQUIRED`.
    pub async fn respond_new_password(
        &self,
        challenge: &Challenge,
        new_password: &Secret,
    ) -> Result<AuthOutcome> {
        self.respond(challenge, [("NEW_PASSWORD", new_password.expose())])
            .await
    }

    /// Answers `SOFTWARE_TOKEN_MFA` or `SMS_MFA` with a code.
    pub async fn respond_mfa(&self, challenge: &Challenge, code: &str) -> Result<AuthOutcome> {
        let field = match challenge.name {
            ChallengeName::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA_CODE",
            ChallengeName::SmsMfa => "SMS_MFA_CODE",
            ref other => {
                return Err(Error::config(format!("{other} is not an MFA challenge")));
            }
        };
        self.respond(challenge, [(field, code)]).await
    }

    /// `GetTokensFromRefreshToken`: new tokens, and a new refresh token
    /// when refresh-token rotation is on.
    pub async fn get_tokens_from_refresh_token(&self, refresh_token: &Secret) -> Result<Tokens> {
        let mut request = json!({
            "RefreshToken": refresh_token.expose(),
            "ClientId": self.client_id,
        });
        if let (Some(secret), Some(object)) = (&self.client_secret, request.as_object_mut()) {
            object.insert(
                "ClientSecret".into(),
                Value::String(secret.expose().to_owned()),
            );
        }
        let answer: AuthAnswer = self
            .cognito
            .call("GetTokensFromRefreshToken", &request)
            .await?;
        outcome(answer, "")?.into_tokens()
    }

    /// `RevokeToken` for a session, and the session on the client's
    /// [revocation list](super::CognitoClientBuilder::revocation_list):
    /// `session_token` is an access or ID token of the session (its
    /// `origin_jti` names every token minted from the same sign-in; a
    /// token without one is revoked alone, by `jti`). Without a list this
    /// is [`revoke`](Self::revoke).
    pub async fn revoke_session(
        &self,
        refresh_token: &Secret,
        session_token: &Secret,
    ) -> Result<()> {
        self.revoke(refresh_token).await?;
        let Some(list) = self.cognito.revocations() else {
            return Ok(());
        };
        match claim_pair(session_token, "origin_jti") {
            Ok((issuer, origin_jti)) => list.revoke_session(issuer, origin_jti).await,
            Err(_) => {
                let (issuer, jti) = claim_pair(session_token, "jti")?;
                list.revoke_token(issuer, jti).await
            }
        }
        .map(drop)
    }

    /// `RevokeToken`: revokes a refresh token and the tokens issued from
    /// it at Cognito (locally they still verify until they expire, unless
    /// [`revoke_session`](Self::revoke_session) puts them on a revocation
    /// list).
    pub async fn revoke(&self, refresh_token: &Secret) -> Result<()> {
        let mut request = json!({
            "Token": refresh_token.expose(),
            "ClientId": self.client_id,
        });
        if let (Some(secret), Some(object)) = (&self.client_secret, request.as_object_mut()) {
            object.insert(
                "ClientSecret".into(),
                Value::String(secret.expose().to_owned()),
            );
        }
        let _: Value = self.cognito.call("RevokeToken", &request).await?;
        Ok(())
    }

    fn add_secret_hash(&self, parameters: &mut BTreeMap<&'static str, String>, username: &str) {
        if let Some(secret) = &self.client_secret {
            parameters.insert(
                "SECRET_HASH",
                secret_hash(username, &self.client_id, secret.expose()),
            );
        }
    }

    async fn initiate(
        &self,
        flow: &str,
        parameters: BTreeMap<&'static str, String>,
        username: &str,
    ) -> Result<AuthOutcome> {
        let request = InitiateAuth {
            auth_flow: flow,
            client_id: &self.client_id,
            auth_parameters: parameters,
        };
        let answer: AuthAnswer = self.cognito.call("InitiateAuth", &request).await?;
        outcome(answer, username)
    }
}

/// A challenge of a server-side sign-in remembers its pool, so that its
/// answer is the signed `Admin*` one.
fn admin_outcome(outcome: Result<AuthOutcome>, user_pool_id: Option<&str>) -> Result<AuthOutcome> {
    Ok(match outcome? {
        AuthOutcome::Challenge(mut challenge) => {
            challenge.user_pool_id = user_pool_id.map(str::to_owned);
            AuthOutcome::Challenge(challenge)
        }
        tokens => tokens,
    })
}

impl fmt::Debug for AppClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppClient")
            .field("cognito", &self.cognito)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_known_vector() {
        // Computed with Python's hmac module.
        assert_eq!(
            secret_hash(
                "alice",
                "3n4b5urk1ft4fl3mg5e62d9ado",
                "1example2secret3abcdefghijklmnopqrstuvwxyz0123456789"
            ),
            "RdDedgt3ikn5dR5/QJDUxFfBRUQXPOG7KauGferu9sc="
        );
    }
}
