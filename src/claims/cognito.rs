//! Typed views of Cognito access and ID token claims.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::names::NameSet;
use super::token_use::TokenUse;

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
}
