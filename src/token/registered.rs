//! The registered and Cognito claims the checks read, borrowed from the
//! payload with their JSON types checked.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::json::{Aud, Date, Key, Str, StrList, Valid, once};
use crate::error::{Error, Result};

/// The registered and Cognito claims the checks read, borrowed from the
/// payload, with their JSON types checked. Absent claims are `None`;
/// `null` is a type error, not an absence.
#[derive(Debug, Default)]
pub(crate) struct RegisteredClaims<'a> {
    pub(crate) exp: Option<i64>,
    pub(crate) nbf: Option<i64>,
    pub(crate) iss: Option<Cow<'a, str>>,
    pub(crate) token_use: Option<Cow<'a, str>>,
    pub(crate) client_id: Option<Cow<'a, str>>,
    pub(crate) aud: Option<Audience<'a>>,
    pub(crate) scope: Option<Cow<'a, str>>,
    pub(crate) groups: Option<Vec<Cow<'a, str>>>,
    /// The ids a revocation can name, and when the token was issued.
    pub(crate) sub: Option<Cow<'a, str>>,
    pub(crate) jti: Option<Cow<'a, str>>,
    pub(crate) origin_jti: Option<Cow<'a, str>>,
    pub(crate) iat: Option<i64>,
}

/// The `aud` claim: one string or an array of strings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Audience<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl Audience<'_> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Audience::One(value) => (Some(value.as_ref()), &[][..]),
            Audience::Many(values) => (None, values.as_slice()),
        };
        one.into_iter().chain(many.iter().map(AsRef::as_ref))
    }
}

/// Step 2, second half: the payload is a JSON object whose registered
/// claims have the right types.
pub(crate) fn claims(payload: &[u8]) -> Result<RegisteredClaims<'_>> {
    // One UTF-8 check of the whole payload is faster than one per string.
    let text = std::str::from_utf8(payload)
        .map_err(|err| Error::malformed(format!("payload is not UTF-8: {err}")))?;
    serde_json::from_str::<RegisteredClaims<'_>>(text)
        .map_err(|err| Error::malformed(format!("payload: {err}")))
}

impl<'de> Deserialize<'de> for RegisteredClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct ClaimsVisitor;

        impl<'de> Visitor<'de> for ClaimsVisitor {
            type Value = RegisteredClaims<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RegisteredClaims<'de>, A::Error> {
                let mut claims = RegisteredClaims::default();
                // Checked for type, not kept.
                let mut auth_time = None;
                let (mut username, mut cognito_username) = (None, None);
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    let name = name.as_ref();
                    match name {
                        "exp" => once(
                            &mut claims.exp,
                            "exp",
                            map.next_value_seed(Date::down("exp"))?,
                        )?,
                        "nbf" => once(
                            &mut claims.nbf,
                            "nbf",
                            map.next_value_seed(Date::up("nbf"))?,
                        )?,
                        "iat" => once(
                            &mut claims.iat,
                            "iat",
                            map.next_value_seed(Date::down("iat"))?,
                        )?,
                        "auth_time" => once(
                            &mut auth_time,
                            "auth_time",
                            map.next_value_seed(Date::down("auth_time"))?,
                        )?,
                        "iss" => once(&mut claims.iss, "iss", map.next_value_seed(Str("iss"))?)?,
                        "token_use" => once(
                            &mut claims.token_use,
                            "token_use",
                            map.next_value_seed(Str("token_use"))?,
                        )?,
                        "client_id" => once(
                            &mut claims.client_id,
                            "client_id",
                            map.next_value_seed(Str("client_id"))?,
                        )?,
                        "scope" => once(
                            &mut claims.scope,
                            "scope",
                            map.next_value_seed(Str("scope"))?,
                        )?,
                        "sub" => once(&mut claims.sub, "sub", map.next_value_seed(Str("sub"))?)?,
                        "jti" => once(&mut claims.jti, "jti", map.next_value_seed(Str("jti"))?)?,
                        "origin_jti" => once(
                            &mut claims.origin_jti,
                            "origin_jti",
                            map.next_value_seed(Str("origin_jti"))?,
                        )?,
                        "username" => once(
                            &mut username,
                            "username",
                            map.next_value_seed(Str("username"))?,
                        )?,
                        "cognito:username" => once(
                            &mut cognito_username,
                            "cognito:username",
                            map.next_value_seed(Str("cognito:username"))?,
                        )?,
                        "aud" => once(&mut claims.aud, "aud", map.next_value_seed(Aud)?)?,
                        "cognito:groups" => once(
                            &mut claims.groups,
                            "cognito:groups",
                            map.next_value_seed(StrList("cognito:groups"))?,
                        )?,
                        _ => {
                            map.next_value_seed(Valid)?;
                        }
                    }
                }
                Ok(claims)
            }
        }

        deserializer.deserialize_map(ClaimsVisitor)
    }
}
