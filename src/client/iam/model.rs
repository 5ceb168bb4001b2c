//! What the typed admin operations take and give besides [`User`]: a new
//! user, a user query, a group.
//!
//! [`User`]: crate::client::User

use std::time::SystemTime;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::client::secret::Secret;
use crate::client::user::epoch_time;

/// A user for [`UserPool::create_user`](super::UserPool::create_user)
/// (`AdminCreateUser`).
///
/// ```
/// use cognito_auth::client::{NewUser, Secret};
///
/// let user = NewUser::new("alice")
///     .attribute("email", "alice@example.com")
///     .attribute("email_verified", "true")
///     .temporary_password(Secret::new("Temp#Passw0rd"))
///     .suppress_invitation();
/// assert!(!format!("{user:?}").contains("Temp#Passw0rd"));
/// ```
#[derive(Debug, Clone)]
pub struct NewUser {
    username: String,
    attributes: Vec<(String, String)>,
    temporary_password: Option<Secret>,
    suppress: bool,
    delivery: Vec<&'static str>,
}

impl NewUser {
    /// A user with this name, no attributes, a password Cognito makes and
    /// sends (by the pool's settings).
    pub fn new(username: impl Into<String>) -> Self {
        NewUser {
            username: username.into(),
            attributes: Vec::new(),
            temporary_password: None,
            suppress: false,
            delivery: Vec::new(),
        }
    }

    /// An attribute (`email`, `phone_number`, `custom:tenant`, …).
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// The temporary password (the user chooses a new one at first
    /// sign-in: `NEW_PASSWORD_REQUIRED`).
    pub fn temporary_password(mut self, password: impl Into<Secret>) -> Self {
        self.temporary_password = Some(password.into());
        self
    }

    /// Sends no invitation message (`MessageAction: SUPPRESS`).
    pub fn suppress_invitation(mut self) -> Self {
        self.suppress = true;
        self
    }

    /// Sends the invitation by email (`DesiredDeliveryMediums`).
    pub fn invite_by_email(mut self) -> Self {
        self.delivery.push("EMAIL");
        self
    }

    /// Sends the invitation by SMS (`DesiredDeliveryMediums`).
    pub fn invite_by_sms(mut self) -> Self {
        self.delivery.push("SMS");
        self
    }

    pub(super) fn request(&self, pool_id: &str) -> Value {
        let mut request = Map::new();
        request.insert("UserPoolId".into(), pool_id.into());
        request.insert("Username".into(), self.username.clone().into());
        if !self.attributes.is_empty() {
            let attributes = self
                .attributes
                .iter()
                .map(|(name, value)| json!({"Name": name, "Value": value}))
                .collect();
            request.insert("UserAttributes".into(), Value::Array(attributes));
        }
        if let Some(password) = &self.temporary_password {
            request.insert("TemporaryPassword".into(), password.expose().into());
        }
        if self.suppress {
            request.insert("MessageAction".into(), "SUPPRESS".into());
        }
        if !self.delivery.is_empty() {
            request.insert("DesiredDeliveryMediums".into(), json!(self.delivery));
        }
        Value::Object(request)
    }
}

/// What [`UserPool::list_users`](super::UserPool::list_users) lists
/// (`ListUsers`): every user by default.
///
/// ```
/// use cognito_auth::client::UserQuery;
///
/// let query = UserQuery::new()
///     .filter(r#"email ^= "alice""#)
///     .attributes(["email", "sub"])
///     .page_size(20);
/// ```
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    filter: Option<String>,
    attributes: Option<Vec<String>>,
    page_size: Option<u32>,
}

/// The most users `ListUsers` returns per page.
pub const MAX_USERS_PAGE: u32 = 60;

impl UserQuery {
    /// Every user.
    pub fn new() -> Self {
        UserQuery::default()
    }

    /// Cognito's filter expression, e.g. `email ^= "alice"` or
    /// `status = "Enabled"`.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Only these attributes of each user (`AttributesToGet`).
    pub fn attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.attributes = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Users per page (`Limit`, 1 to 60; Cognito's default is 60): the
    /// stream still yields them all.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size.clamp(1, MAX_USERS_PAGE));
        self
    }

    pub(super) fn request(&self, pool_id: &str) -> Value {
        let mut request = Map::new();
        request.insert("UserPoolId".into(), pool_id.into());
        if let Some(filter) = &self.filter {
            request.insert("Filter".into(), filter.clone().into());
        }
        if let Some(attributes) = &self.attributes {
            request.insert("AttributesToGet".into(), json!(attributes));
        }
        if let Some(size) = self.page_size {
            request.insert("Limit".into(), size.into());
        }
        Value::Object(request)
    }
}

/// A group of a user pool.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Group {
    /// The group name (what `cognito:groups` carries).
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its precedence (lower wins for the role).
    pub precedence: Option<i64>,
    /// The IAM role of its members.
    pub role_arn: Option<String>,
    /// When it was created.
    pub created_at: Option<SystemTime>,
    /// When it was last modified.
    pub modified_at: Option<SystemTime>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireGroup {
    group_name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    precedence: Option<i64>,
    #[serde(default)]
    role_arn: Option<String>,
    #[serde(default)]
    creation_date: Option<f64>,
    #[serde(default)]
    last_modified_date: Option<f64>,
}

impl From<WireGroup> for Group {
    fn from(wire: WireGroup) -> Self {
        Group {
            name: wire.group_name,
            description: wire.description,
            precedence: wire.precedence,
            role_arn: wire.role_arn,
            created_at: wire.creation_date.and_then(epoch_time),
            modified_at: wire.last_modified_date.and_then(epoch_time),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_only_what_was_set() {
        assert_eq!(
            NewUser::new("bob").request("eu-west-1_A"),
            json!({"UserPoolId": "eu-west-1_A", "Username": "bob"})
        );
        let full = NewUser::new("alice")
            .attribute("email", "a@example.com")
            .temporary_password("Temp#1")
            .suppress_invitation()
            .invite_by_email()
            .request("p");
        assert_eq!(
            full["UserAttributes"],
            json!([{"Name": "email", "Value": "a@example.com"}])
        );
        assert_eq!(full["TemporaryPassword"], "Temp#1");
        assert_eq!(full["MessageAction"], "SUPPRESS");
        assert_eq!(full["DesiredDeliveryMediums"], json!(["EMAIL"]));
        assert_eq!(
            UserQuery::new()
                .page_size(500)
                .filter("a = \"b\"")
                .request("p"),
            json!({"UserPoolId": "p", "Filter": "a = \"b\"", "Limit": 60})
        );
        assert_eq!(UserQuery::new().page_size(0).request("p")["Limit"], 1);
    }
}
