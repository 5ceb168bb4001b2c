//! serde building blocks for reading untrusted JSON in place: borrowed
//! strings, string lists, `aud`, NumericDates, duplicate detection, and a
//! value that is checked but not kept.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::registered::Audience;

/// Sets a claim, refusing a second occurrence of the same name.
pub(super) fn once<T, E: de::Error>(
    slot: &mut Option<T>,
    name: &str,
    value: T,
) -> std::result::Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(format!("duplicate claim {name}")));
    }
    *slot = Some(value);
    Ok(())
}

/// An object key, borrowed when it has no escapes.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_str(Str("a key")).map(Key)
    }
}

/// A string value; the name goes into the error message.
#[derive(Clone, Copy)]
pub(super) struct Str(pub(super) &'static str);

impl<'de> DeserializeSeed<'de> for Str {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Str {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be a string", self.0)
    }

    fn visit_borrowed_str<E: de::Error>(
        self,
        value: &'de str,
    ) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> std::result::Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

/// An array of strings.
pub(super) struct StrList(pub(super) &'static str);

impl<'de> DeserializeSeed<'de> for StrList {
    type Value = Vec<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for StrList {
    type Value = Vec<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be an array of strings", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        while let Some(item) = seq.next_element_seed(Str(self.0))? {
            items.push(item);
        }
        Ok(items)
    }
}

/// `aud`: a string or an array of strings.
pub(super) struct Aud;

impl<'de> DeserializeSeed<'de> for Aud {
    type Value = Audience<'de>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Aud {
    type Value = Audience<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("aud to be a string or an array of strings")
    }

    fn visit_borrowed_str<E: de::Error>(
        self,
        value: &'de str,
    ) -> std::result::Result<Self::Value, E> {
        Ok(Audience::One(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> std::result::Result<Self::Value, E> {
        Ok(Audience::One(Cow::Owned(value.to_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        StrList("aud").visit_seq(seq).map(Audience::Many)
    }
}

/// A NumericDate (RFC 7519): any JSON number, rounded towards the strict
/// side (down for `exp`, up for `nbf`); huge values saturate.
pub(super) struct Date {
    name: &'static str,
    round_up: bool,
}

impl Date {
    pub(super) fn down(name: &'static str) -> Self {
        Date {
            name,
            round_up: false,
        }
    }

    pub(super) fn up(name: &'static str) -> Self {
        Date {
            name,
            round_up: true,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Date {
    type Value = i64;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<i64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Date {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to be a number", self.name)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> std::result::Result<i64, E> {
        Ok(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> std::result::Result<i64, E> {
        Ok(i64::try_from(value).unwrap_or(i64::MAX))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> std::result::Result<i64, E> {
        let rounded = if self.round_up {
            value.ceil()
        } else {
            value.floor()
        };
        // `as` saturates; JSON has no NaN.
        Ok(rounded as i64)
    }
}

/// A claim read without judging its type: a string or an integer is kept,
/// anything else is checked as [`Valid`] is and reported as `Other`.
#[derive(Debug)]
pub(super) enum Loose<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    Other,
}

impl<'de> Loose<'de> {
    /// The string, if it was one.
    pub(super) fn into_str(self) -> Option<Cow<'de, str>> {
        match self {
            Loose::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The integer, if it was one that fits an `i64`.
    pub(super) fn into_int(self) -> Option<i64> {
        match self {
            Loose::Int(value) => Some(value),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(value.to_owned())))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Int(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Loose<'de>, E> {
        Ok(i64::try_from(value).map_or(Loose::Other, Loose::Int))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Loose<'de>, E> {
        Valid.visit_bool(value).map(|()| Loose::Other)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Loose<'de>, E> {
        Valid.visit_f64(value).map(|()| Loose::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
        Valid.visit_seq(seq).map(|()| Loose::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
        Valid.visit_map(map).map(|()| Loose::Other)
    }
}

/// Any JSON value, checked to the last byte but not kept: numbers must be
/// representable (`1e400` is not), strings must be valid (no lone
/// surrogate escape), nested values likewise. The claims the verifier does
/// not read go through this, so a token that verifies always has a full
/// claim map (see `VerifiedToken::claims`).
#[derive(Clone, Copy)]
pub(super) struct Valid;

impl<'de> DeserializeSeed<'de> for Valid {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Valid {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<(), E> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(E::custom("a number is out of range"))
        }
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Valid)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Str("a key"))?.is_some() {
            map.next_value_seed(Valid)?;
        }
        Ok(())
    }
}
