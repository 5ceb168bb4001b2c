//! Sets of names (scopes, groups) and requirements on them.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

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
/// What a `NameSet` is read from.
const NAME_SET_FORMS: &str = "an array of strings or a space-separated string";

impl<'de> Deserialize<'de> for NameSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor for either form, not an untagged enum: that would
        // buffer the value, fail on the array form first and format the
        // error for every space-separated `scope`.
        struct Names;

        impl<'de> de::Visitor<'de> for Names {
            type Value = NameSet;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(NAME_SET_FORMS)
            }

            fn visit_str<E: de::Error>(self, scope: &str) -> Result<NameSet, E> {
                Ok(NameSet::from_scope_string(scope))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<NameSet, A::Error> {
                let mut names = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
                while let Some(name) = seq
                    .next_element::<String>()
                    .map_err(|_| de::Error::custom(format!("expected {NAME_SET_FORMS}")))?
                {
                    names.push(name);
                }
                Ok(NameSet::new(names))
            }
        }

        deserializer.deserialize_any(Names)
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

    /// Met when every one of `names` is held. An empty list is never met
    /// either: a requirement built from an empty list (an unset variable,
    /// say) refuses everyone rather than letting everyone in.
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

    /// Whether the held names meet the requirement. A requirement with no
    /// names is never met.
    pub fn is_met_by(&self, held: &NameSet) -> bool {
        if self.names.is_empty() {
            return false;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_sets_are_read_from_either_form_and_nothing_else() {
        let read = |json: &str| serde_json::from_str::<NameSet>(json);
        assert_eq!(read(r#""a b  c""#).unwrap(), NameSet::new(["a", "b", "c"]));
        assert_eq!(read(r#"["a", "b"]"#).unwrap(), NameSet::new(["a", "b"]));
        assert!(read("[]").unwrap().is_empty());
        for bad in ["1", "[1]", r#"["a", null]"#, "null", "{}", "true"] {
            let err = read(bad).expect_err(bad).to_string();
            assert!(err.contains(NAME_SET_FORMS), "{bad}: {err}");
        }
    }

    #[test]
    fn requirements() {
        let held = NameSet::new(["a", "b"]);
        assert!(Requirement::any_of(["x", "a"]).is_met_by(&held));
        assert!(!Requirement::any_of(Vec::<String>::new()).is_met_by(&held));
        assert!(Requirement::all_of(["a", "b"]).is_met_by(&held));
        assert!(!Requirement::all_of(["a", "c"]).is_met_by(&held));
        // Hardening round 2, item 1: an empty all-of is not "allow all".
        assert!(!Requirement::all_of(Vec::<String>::new()).is_met_by(&held));
        assert!(!Requirement::all_of(Vec::<String>::new()).is_met_by(&NameSet::default()));
        assert_eq!(Requirement::all_of(["a", "c"]).to_string(), "all of a, c");
    }
}
