//! The JOSE header: `alg` and `kid`, typed; `crit` refused.

use std::borrow::Cow;
use std::fmt;

use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::json::{Key, Str, Valid, once};
use crate::keys::alg_name;

/// A parsed header: the fields the verifier needs, typed.
pub(crate) struct Header {
    pub(crate) alg: HeaderAlg,
    /// `None` when absent or empty.
    pub(crate) kid: Option<String>,
}

/// The header `alg`: a known JOSE algorithm, or the text of another.
pub(crate) enum HeaderAlg {
    Known(Algorithm),
    Other(String),
}

impl HeaderAlg {
    fn parse(text: &str) -> Self {
        match text.parse() {
            Ok(alg) => HeaderAlg::Known(alg),
            Err(_) => HeaderAlg::Other(text.to_owned()),
        }
    }

    /// The algorithm's name, as sent.
    pub(crate) fn name(&self) -> &str {
        match self {
            HeaderAlg::Known(alg) => alg_name(*alg),
            HeaderAlg::Other(text) => text,
        }
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct HeaderVisitor;

        impl<'de> Visitor<'de> for HeaderVisitor {
            type Value = Header;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Header, A::Error> {
                let mut alg = None;
                let mut kid = None;
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    match name.as_ref() {
                        "alg" => once(&mut alg, "alg", map.next_value_seed(Str("alg"))?)?,
                        "kid" => once(&mut kid, "kid", map.next_value_seed(Str("kid"))?)?,
                        // RFC 7515 §4.1.11: a recipient that does not
                        // understand a listed critical extension must
                        // reject the token. We understand none.
                        "crit" => {
                            return Err(de::Error::custom(
                                "it lists critical extensions (crit), none of which are supported",
                            ));
                        }
                        _ => {
                            map.next_value_seed(Valid)?;
                        }
                    }
                }
                let alg = alg.ok_or_else(|| de::Error::custom("it has no alg"))?;
                Ok(Header {
                    alg: HeaderAlg::parse(&alg),
                    kid: kid
                        .filter(|kid: &Cow<'_, str>| !kid.is_empty())
                        .map(Cow::into_owned),
                })
            }
        }

        deserializer.deserialize_map(HeaderVisitor)
    }
}
