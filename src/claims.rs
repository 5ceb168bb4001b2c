//! Verified claims: typed views of Cognito access and ID tokens, scope and
//! group sets, and group / scope requirements.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

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

/// A set of names (scopes or groups) that keeps the order it was given in
/// and holds each name once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameSet(Vec<String>);

impl NameSet {
    /// Builds a set; duplicates are dropped, the first occurrence kept.
    ///
    /// ```
    /// use cognito_auth::NameSet;
    /// let set = NameSet::new(["b", "a", "b"]);
    /// assert_eq!(set.iter().collect::<Vec<_>>(), ["b", "a"]);
    /// assert!(set.contains("a"));
    /// ```
    pub fn new<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut set = NameSet(Vec::new());
        for name in names {
            let name = name.into();
            if !set.contains(&name) {
                set.0.push(name);
            }
        }
        set
    }

    /// Builds a set from an OAuth `scope` string (space separated).
    ///
    /// ```
    /// use cognito_auth::NameSet;
    /// let scopes = NameSet::from_scope_string("openid  email openid");
    /// assert_eq!(scopes.len(), 2);
    /// ```
    pub fn from_scope_string(scope: &str) -> Self {
        NameSet::new(scope.split(' ').filter(|part| !part.is_empty()))
    }

    /// Whether `name` is in the set.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|held| held == name)
    }

    /// The names, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// How many names the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names as a slice.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The names joined by single spaces, as in an OAuth `scope` string.
    pub fn to_scope_string(&self) -> String {
        self.0.join(" ")
    }
}

impl<'a> IntoIterator for &'a NameSet {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Serialises as a JSON array of strings (the `cognito:groups` form).
impl Serialize for NameSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// Accepts a JSON array of strings or a space-separated string.
impl<'de> Deserialize<'de> for NameSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            List(Vec<String>),
            Scope(String),
        }
        match Form::deserialize(deserializer) {
            Ok(Form::List(list)) => Ok(NameSet::new(list)),
            Ok(Form::Scope(scope)) => Ok(NameSet::from_scope_string(&scope)),
            Err(_) => Err(de::Error::custom(
                "expected an array of strings or a space-separated string",
            )),
        }
    }
}

/// How a [`Requirement`] combines its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Match {
    /// At least one of the names must be held.
    AnyOf,
    /// Every name must be held.
    AllOf,
}

/// A requirement on groups or scopes: any-of or all-of a list of names.
///
/// ```
/// use cognito_auth::{NameSet, Requirement};
/// let held = NameSet::new(["admin", "ops"]);
/// assert!(Requirement::any_of(["admin", "billing"]).is_met_by(&held));
/// assert!(!Requirement::all_of(["admin", "billing"]).is_met_by(&held));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    mode: Match,
    names: Vec<String>,
}

impl Requirement {
    /// Met when at least one of `names` is held. An empty list is never met.
    pub fn any_of<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Requirement {
            mode: Match::AnyOf,
            names: NameSet::new(names).0,
        }
    }

    /// Met when every one of `names` is held.
    pub fn all_of<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Requirement {
            mode: Match::AllOf,
            names: NameSet::new(names).0,
        }
    }

    /// Whether the held names meet the requirement.
    pub fn is_met_by(&self, held: &NameSet) -> bool {
        match self.mode {
            Match::AnyOf => self.names.iter().any(|name| held.contains(name)),
            Match::AllOf => self.names.iter().all(|name| held.contains(name)),
        }
    }

    /// Any-of or all-of.
    pub fn mode(&self) -> Match {
        self.mode
    }

    /// The names required.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Match::AnyOf => "any of",
            Match::AllOf => "all of",
        };
        write!(f, "{mode} {}", self.names.join(", "))
    }
}

/// The claims of a verified Cognito **access** token.
///
/// Machine-to-machine tokens (client credentials) have no `username` and no
/// groups; their `sub` is the client id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessClaims {
    /// The user's (or, for client credentials, the client's) id.
    pub sub: String,
    /// The user name; absent on machine-to-machine tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The app client the token was issued to.
    pub client_id: String,
    /// Always [`TokenUse::Access`].
    pub token_use: TokenUse,
    /// The OAuth scopes (`scope`, space separated in the token).
    #[serde(
        rename = "scope",
        default,
        serialize_with = "serialize_scope",
        skip_serializing_if = "NameSet::is_empty"
    )]
    pub scopes: NameSet,
    /// `cognito:groups`.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "NameSet::is_empty"
    )]
    pub groups: NameSet,
    /// The issuer.
    pub iss: String,
    /// Expiry, seconds since the epoch.
    #[serde(deserialize_with = "numeric_date")]
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<i64>,
    /// When the user authenticated, seconds since the epoch.
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_time: Option<i64>,
    /// The token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The id of the sign-in that started this token family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The sign-in event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The remembered device, when device tracking is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
    /// The token format version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Every other claim, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccessClaims {
    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.contains(group)
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }
}

/// The claims of a verified Cognito **ID** token.
///
/// Attributes the user pool does not send are `None`; `custom:*` attributes
/// and anything else land in [`extra`](IdClaims::extra).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// The user's id.
    pub sub: String,
    /// The app client the token was issued to.
    pub aud: String,
    /// Always [`TokenUse::Id`].
    pub token_use: TokenUse,
    /// `cognito:username`.
    #[serde(
        rename = "cognito:username",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
    /// `cognito:groups`.
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "NameSet::is_empty"
    )]
    pub groups: NameSet,
    /// `cognito:roles`: IAM role ARNs of the user's groups.
    #[serde(
        rename = "cognito:roles",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub roles: Option<Vec<String>>,
    /// `cognito:preferred_role`.
    #[serde(
        rename = "cognito:preferred_role",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub preferred_role: Option<String>,
    /// The e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the e-mail address is verified (sent as a boolean or as
    /// `"true"` / `"false"`).
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number is verified.
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_verified: Option<bool>,
    /// The full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The issuer.
    pub iss: String,
    /// Expiry, seconds since the epoch.
    #[serde(deserialize_with = "numeric_date")]
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<i64>,
    /// When the user authenticated, seconds since the epoch.
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub auth_time: Option<i64>,
    /// The token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The id of the sign-in that started this token family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_jti: Option<String>,
    /// The sign-in event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Every other claim (`custom:*` attributes among them), as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdClaims {
    /// Whether the user is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.contains(group)
    }

    /// A `custom:` attribute, without the prefix: `custom("tenant")` reads
    /// `custom:tenant`.
    pub fn custom(&self, name: &str) -> Option<&Value> {
        self.extra.get(&format!("custom:{name}"))
    }
}

fn serialize_scope<S: Serializer>(scopes: &NameSet, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&scopes.to_scope_string())
}

fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    Ok(number
        .as_i64()
        .unwrap_or_else(|| number.as_f64().map_or(i64::MAX, |f| f.floor() as i64)))
}

fn optional_numeric_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    numeric_date(deserializer).map(Some)
}

fn lenient_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Bool(flag) => Ok(Some(flag)),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Value::Null => Ok(None),
        _ => Err(de::Error::custom(
            "expected a boolean or \"true\"/\"false\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn access_claims_from_a_cognito_payload() {
        let claims: AccessClaims = serde_json::from_value(json!({
            "sub": "s", "cognito:groups": ["admin", "admin", "ops"], "token_use": "access",
            "scope": "openid api/reports.read", "auth_time": 1, "iss": "i", "exp": 2, "iat": 1,
            "jti": "j", "client_id": "c", "username": "alice", "origin_jti": "o",
            "event_id": "e", "version": 2, "custom": true
        }))
        .unwrap();
        assert!(claims.in_group("ops"));
        assert_eq!(claims.groups.len(), 2);
        assert!(claims.has_scope("api/reports.read"));
        assert!(!claims.has_scope("api"));
        assert_eq!(claims.extra.get("custom"), Some(&json!(true)));
        let back = serde_json::to_value(&claims).unwrap();
        assert_eq!(back["scope"], "openid api/reports.read");
        assert_eq!(back["cognito:groups"], json!(["admin", "ops"]));
    }

    #[test]
    fn id_claims_accept_string_booleans() {
        for verified in [json!(true), json!("true"), json!("TRUE")] {
            let claims: IdClaims = serde_json::from_value(json!({
                "sub": "s", "aud": "c", "token_use": "id", "iss": "i", "exp": 2,
                "email_verified": verified, "custom:tenant": "acme"
            }))
            .unwrap();
            assert_eq!(claims.email_verified, Some(true));
            assert_eq!(claims.custom("tenant"), Some(&json!("acme")));
        }
    }

    #[test]
    fn requirements() {
        let held = NameSet::new(["a", "b"]);
        assert!(Requirement::any_of(["x", "a"]).is_met_by(&held));
        assert!(!Requirement::any_of(Vec::<String>::new()).is_met_by(&held));
        assert!(Requirement::all_of(["a", "b"]).is_met_by(&held));
        assert!(!Requirement::all_of(["a", "c"]).is_met_by(&held));
        assert_eq!(Requirement::all_of(["a", "c"]).to_string(), "all of a, c");
    }
}
