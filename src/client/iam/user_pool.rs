//! The IAM-authorized operations on one user pool that web servers use
//! most: users, groups, passwords, global sign-out.

use std::fmt;

use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{Group, NewUser, UserQuery};
use super::pages::{self, Listing};
use crate::client::secret::Secret;
use crate::client::user::WireUser;
use crate::client::{CognitoClient, User};
use crate::config::aws;
use crate::error::{Error, Result};

/// One user pool's IAM-authorized operations, signed with the client's
/// [credentials](crate::client::CognitoClientBuilder::credentials). Made
/// by [`CognitoClient::user_pool`]; cheap to clone.
///
/// With a [revocation list](crate::client::CognitoClientBuilder::revocation_list),
/// [`global_sign_out`](Self::global_sign_out),
/// [`disable_user`](Self::disable_user) and
/// [`delete_user`](Self::delete_user) also refuse every token the user
/// holds, on every verifier sharing the list.
///
/// ```no_run
/// use cognito_auth::client::{CognitoClient, EnvironmentCredentials, NewUser, Secret};
/// use futures_util::TryStreamExt;
///
/// # async fn demo() -> Result<(), cognito_auth::Error> {
/// let cognito = CognitoClient::builder()
///     .region("eu-west-1")
///     .credentials(EnvironmentCredentials::new())
///     .build()?;
/// let pool = cognito.user_pool("eu-west-1_AbCdEf123");
/// pool.create_user(NewUser::new("alice").attribute("email", "alice@example.com")).await?;
/// pool.add_user_to_group("alice", "admin").await?;
/// let users: Vec<_> = pool.list_users(Default::default()).try_collect().await?;
/// pool.disable_user("alice").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct UserPool {
    cognito: CognitoClient,
    id: String,
    issuer: Option<String>,
}

impl CognitoClient {
    /// The IAM-authorized operations of one user pool.
    pub fn user_pool(&self, user_pool_id: impl Into<String>) -> UserPool {
        UserPool {
            cognito: self.clone(),
            id: user_pool_id.into(),
            issuer: None,
        }
    }
}

impl UserPool {
    /// The pool id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The issuer its tokens carry, for the revocation list (default
    /// `https://cognito-idp.{region}.amazonaws.com/{pool id}`, the region
    /// taken from the pool id; set it for emulators).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    fn issuer_url(&self) -> Result<String> {
        if let Some(issuer) = &self.issuer {
            return Ok(issuer.clone());
        }
        match self.id.split_once('_') {
            Some((region, _)) if aws::is_region(region) => {
                Ok(aws::issuer("cognito-idp", region, &self.id))
            }
            _ => Err(Error::config(format!(
                "{:?} is not a user pool id (region_name): set the issuer",
                self.id
            ))),
        }
    }

    async fn call(&self, operation: &str, request: Value) -> Result<Value> {
        self.cognito.call_signed(operation, &request).await
    }

    /// `AdminGetUser`.
    pub async fn get_user(&self, username: &str) -> Result<User> {
        let answer: WireUser = self
            .cognito
            .call_signed(
                "AdminGetUser",
                &json!({"UserPoolId": self.id, "Username": username}),
            )
            .await?;
        Ok(answer.into())
    }

    /// `AdminCreateUser`: the user as created.
    pub async fn create_user(&self, user: NewUser) -> Result<User> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            user: WireUser,
        }
        let answer: Answer = self
            .cognito
            .call_signed("AdminCreateUser", &user.request(&self.id))
            .await?;
        Ok(answer.user.into())
    }

    /// `AdminSetUserPassword`: `permanent` sets it for good; otherwise the
    /// user must change it at the next sign-in.
    pub async fn set_password(
        &self,
        username: &str,
        password: &Secret,
        permanent: bool,
    ) -> Result<()> {
        self.call(
            "AdminSetUserPassword",
            json!({
                "UserPoolId": self.id,
                "Username": username,
                "Password": password.expose(),
                "Permanent": permanent,
            }),
        )
        .await
        .map(drop)
    }

    /// `AdminEnableUser`.
    pub async fn enable_user(&self, username: &str) -> Result<()> {
        self.call(
            "AdminEnableUser",
            json!({"UserPoolId": self.id, "Username": username}),
        )
        .await
        .map(drop)
    }

    /// `AdminDisableUser`; with a revocation list, the user's tokens
    /// issued up to now are refused everywhere too.
    pub async fn disable_user(&self, username: &str) -> Result<()> {
        self.and_revoke(username, "AdminDisableUser").await
    }

    /// `AdminDeleteUser`; with a revocation list, the user's tokens are
    /// refused everywhere too.
    pub async fn delete_user(&self, username: &str) -> Result<()> {
        self.and_revoke(username, "AdminDeleteUser").await
    }

    /// `AdminUserGlobalSignOut`: revokes the user's refresh tokens; with a
    /// revocation list, the user's access and ID tokens issued up to now
    /// are refused everywhere too (without one they verify locally until
    /// they expire).
    pub async fn global_sign_out(&self, username: &str) -> Result<()> {
        self.and_revoke(username, "AdminUserGlobalSignOut").await
    }

    /// `operation` on a user, then (with a revocation list) the user's
    /// tokens up to now on the list. The `sub` is read first: a deleted
    /// user has none to read afterwards.
    async fn and_revoke(&self, username: &str, operation: &str) -> Result<()> {
        let list = self.cognito.revocations();
        let subject = match list {
            Some(_) => {
                let user = self.get_user(username).await?;
                let sub = user.sub().map(str::to_owned).ok_or_else(|| {
                    Error::config(format!("{username} has no sub attribute to revoke by"))
                })?;
                Some((self.issuer_url()?, sub))
            }
            None => None,
        };
        self.call(
            operation,
            json!({"UserPoolId": self.id, "Username": username}),
        )
        .await?;
        if let (Some(list), Some((issuer, sub))) = (list, subject) {
            list.revoke_user_now(issuer, sub).await?;
        }
        Ok(())
    }

    /// `AdminAddUserToGroup`.
    pub async fn add_user_to_group(&self, username: &str, group: &str) -> Result<()> {
        self.call(
            "AdminAddUserToGroup",
            json!({"UserPoolId": self.id, "Username": username, "GroupName": group}),
        )
        .await
        .map(drop)
    }

    /// `AdminRemoveUserFromGroup`.
    pub async fn remove_user_from_group(&self, username: &str, group: &str) -> Result<()> {
        self.call(
            "AdminRemoveUserFromGroup",
            json!({"UserPoolId": self.id, "Username": username, "GroupName": group}),
        )
        .await
        .map(drop)
    }

    /// `ListUsers`, every page: a stream that follows `PaginationToken`.
    pub fn list_users(
        &self,
        query: UserQuery,
    ) -> impl Stream<Item = Result<User>> + Send + 'static {
        let listing = Listing {
            operation: "ListUsers",
            request: query.request(&self.id),
            items: "Users",
            token: "PaginationToken",
        };
        users(pages::stream(self.cognito.clone(), listing))
    }

    /// `ListUsersInGroup`, every page.
    pub fn list_users_in_group(
        &self,
        group: &str,
    ) -> impl Stream<Item = Result<User>> + Send + 'static {
        let listing = Listing {
            operation: "ListUsersInGroup",
            request: json!({"UserPoolId": self.id, "GroupName": group}),
            items: "Users",
            token: "NextToken",
        };
        users(pages::stream(self.cognito.clone(), listing))
    }

    /// `AdminListGroupsForUser`, every page.
    pub fn list_groups_for_user(
        &self,
        username: &str,
    ) -> impl Stream<Item = Result<Group>> + Send + 'static {
        let listing = Listing {
            operation: "AdminListGroupsForUser",
            request: json!({"UserPoolId": self.id, "Username": username}),
            items: "Groups",
            token: "NextToken",
        };
        groups(pages::stream(self.cognito.clone(), listing))
    }

    /// `ListGroups`, every page.
    pub fn list_groups(&self) -> impl Stream<Item = Result<Group>> + Send + 'static {
        let listing = Listing {
            operation: "ListGroups",
            request: json!({"UserPoolId": self.id}),
            items: "Groups",
            token: "NextToken",
        };
        groups(pages::stream(self.cognito.clone(), listing))
    }
}

fn users(
    wire: impl Stream<Item = Result<WireUser>> + Send + 'static,
) -> impl Stream<Item = Result<User>> + Send + 'static {
    futures_util::StreamExt::map(wire, |user| user.map(User::from))
}

fn groups(
    wire: impl Stream<Item = Result<super::model::WireGroup>> + Send + 'static,
) -> impl Stream<Item = Result<Group>> + Send + 'static {
    futures_util::StreamExt::map(wire, |group| group.map(Group::from))
}

impl fmt::Debug for UserPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserPool")
            .field("id", &self.id)
            .field("issuer", &self.issuer)
            .field("cognito", &self.cognito)
            .finish()
    }
}
