//! The registered and Cognito claims the checks read, borrowed from the
//! payload with their JSON types checked.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use super::json::{Aud, Date, Key, Loose, Str, StrList, Valid, once};
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
    /// The other claims [`AccessClaims`](crate::AccessClaims) has fields
    /// for. `username` and `auth_time` are type-checked like the above;
    /// the last three are read loosely: a value of another type is not an
    /// error here (nothing checks it), it sets `beyond_access`.
    pub(crate) username: Option<Cow<'a, str>>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) event_id: Option<Cow<'a, str>>,
    pub(crate) device_key: Option<Cow<'a, str>>,
    pub(crate) version: Option<i64>,
    /// Whether the payload holds anything `AccessClaims` would keep in
    /// `extra` (a claim it has no field for), a loose claim of another type
    /// than its field's, or one twice: then the typed access claims come
    /// from a parse of their own, not from what this parse found.
    pub(crate) beyond_access: bool,
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

/// The decoded payload as text. One UTF-8 check of the whole payload is
/// faster than one per string, and the verified token keeps the text.
pub(crate) fn payload_text(payload: Vec<u8>) -> Result<String> {
    String::from_utf8(payload)
        .map_err(|err| Error::malformed(format!("payload is not UTF-8: {}", err.utf8_error())))
}

/// Step 2, second half: the payload is a JSON object whose registered
/// claims have the right types.
pub(crate) fn claims(payload: &str) -> Result<RegisteredClaims<'_>> {
    serde_json::from_str::<RegisteredClaims<'_>>(payload)
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
                let mut cognito_username = None;
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    let name = name.as_ref();
                    match name {
                        "exp" => once(
                            &mut claims.exp,
                            "exp",
                            map.next_value_seed(Date::down("exp"))?,
                        )?,
                        "nbf" => {
                            claims.beyond_access = true;
                            once(
                                &mut claims.nbf,
                                "nbf",
                                map.next_value_seed(Date::up("nbf"))?,
                            )?;
                        }
                        "iat" => once(
                            &mut claims.iat,
                            "iat",
                            map.next_value_seed(Date::down("iat"))?,
                        )?,
                        "auth_time" => once(
                            &mut claims.auth_time,
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
                            &mut claims.username,
                            "username",
                            map.next_value_seed(Str("username"))?,
                        )?,
                        "cognito:username" => {
                            claims.beyond_access = true;
                            once(
                                &mut cognito_username,
                                "cognito:username",
                                map.next_value_seed(Str("cognito:username"))?,
                            )?;
                        }
                        "aud" => {
                            claims.beyond_access = true;
                            once(&mut claims.aud, "aud", map.next_value_seed(Aud)?)?;
                        }
                        "event_id" => keep_loose(
                            &mut claims.event_id,
                            &mut claims.beyond_access,
                            map.next_value::<Loose<'de>>()?.into_str(),
                        ),
                        "device_key" => keep_loose(
                            &mut claims.device_key,
                            &mut claims.beyond_access,
                            map.next_value::<Loose<'de>>()?.into_str(),
                        ),
                        "version" => keep_loose(
                            &mut claims.version,
                            &mut claims.beyond_access,
                            map.next_value::<Loose<'de>>()?.into_int(),
                        ),
                        "cognito:groups" => once(
                            &mut claims.groups,
                            "cognito:groups",
                            map.next_value_seed(StrList("cognito:groups"))?,
                        )?,
                        _ => {
                            claims.beyond_access = true;
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

/// Keeps a loosely read claim of the type its field wants (`Some`);
/// anything else (another type, a second occurrence) only marks the
/// payload as beyond the typed access claims.
fn keep_loose<T>(slot: &mut Option<T>, beyond_access: &mut bool, value: Option<T>) {
    match value {
        Some(value) if slot.is_none() => *slot = Some(value),
        _ => *beyond_access = true,
    }
}
