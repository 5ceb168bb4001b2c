//! Where the claims the checks read are in a verified payload's text.
//!
//! A verified token keeps the payload as text and, for the claims the
//! checks already found, their place in it rather than copies: `sub`,
//! `jti` and `origin_jti` are read from there, and a Cognito access token
//! whose payload holds nothing else gets its typed claims from there,
//! without parsing the payload a second time.

use std::borrow::Cow;
use std::ops::Range;

use super::names::NameSet;

/// A run of the payload's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

impl Span {
    /// Where `part` lies in `text`, when it is a slice of it (a string the
    /// JSON parser lent as written, without escapes to undo).
    pub(crate) fn of(part: &str, text: &str) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let span = Span {
            start: u32::try_from(start).ok()?,
            len: u32::try_from(part.len()).ok()?,
        };
        let found = text.get(span.range())?;
        std::ptr::eq(found, part).then_some(span)
    }

    /// The run's text.
    pub(crate) fn get(self, text: &str) -> &str {
        text.get(self.range()).unwrap_or_default()
    }

    fn range(self) -> Range<usize> {
        let start = self.start as usize;
        start..start + self.len as usize
    }
}

/// A string claim of a verified token: in the payload's text, or a copy of
/// its own when it was written with escapes.
#[derive(Debug)]
pub(crate) enum ClaimText {
    InPayload(Span),
    Copied(Box<str>),
}

impl ClaimText {
    /// `value`, found by the parse of `text`.
    pub(crate) fn new(value: &str, text: &str) -> ClaimText {
        match Span::of(value, text) {
            Some(span) => ClaimText::InPayload(span),
            None => ClaimText::Copied(Box::from(value)),
        }
    }

    /// The claim's value.
    pub(crate) fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            ClaimText::InPayload(span) => span.get(text),
            ClaimText::Copied(value) => value,
        }
    }
}

/// The most groups an [`AccessLayout`] holds; a token in more groups gets
/// its typed claims from a parse of their own.
pub(crate) const LAID_OUT_GROUPS: usize = 4;

/// The claims of a Cognito access token besides `sub`, `iss`, `exp`,
/// `iat`, `jti` and `origin_jti` (which the verified token keeps anyway),
/// for a payload that holds no claim [`AccessClaims`](crate::AccessClaims)
/// would keep in `extra` and whose strings have no escapes.
#[derive(Debug)]
pub(crate) struct AccessLayout {
    pub(crate) client_id: Span,
    pub(crate) username: Option<Span>,
    pub(crate) scope: Option<Span>,
    pub(crate) groups: Option<GroupSpans>,
    pub(crate) event_id: Option<Span>,
    pub(crate) device_key: Option<Span>,
    pub(crate) auth_time: Option<i64>,
    pub(crate) version: Option<i64>,
}

impl AccessLayout {
    /// The scopes, from `scope` in `text`.
    pub(crate) fn scopes(&self, text: &str) -> NameSet {
        self.scope
            .map(|scope| NameSet::from_scope_string(scope.get(text)))
            .unwrap_or_default()
    }

    /// The groups, from `cognito:groups` in `text`.
    pub(crate) fn groups(&self, text: &str) -> NameSet {
        self.groups
            .as_ref()
            .map(|groups| NameSet::new(groups.names(text)))
            .unwrap_or_default()
    }
}

/// `cognito:groups`, up to [`LAID_OUT_GROUPS`] names.
#[derive(Debug)]
pub(crate) struct GroupSpans {
    spans: [Span; LAID_OUT_GROUPS],
    len: u8,
}

impl GroupSpans {
    /// The groups' places, when there are few enough and each is a slice
    /// of `text`.
    pub(crate) fn of(groups: &[Cow<'_, str>], text: &str) -> Option<GroupSpans> {
        if groups.len() > LAID_OUT_GROUPS {
            return None;
        }
        let mut laid_out = GroupSpans {
            spans: [Span { start: 0, len: 0 }; LAID_OUT_GROUPS],
            len: u8::try_from(groups.len()).ok()?,
        };
        for (group, slot) in groups.iter().zip(&mut laid_out.spans) {
            *slot = Span::of(group, text)?;
        }
        Some(laid_out)
    }

    /// The group names.
    pub(crate) fn names<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a str> {
        self.spans
            .iter()
            .take(usize::from(self.len))
            .map(move |span| span.get(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_found_only_for_slices_of_the_text() {
        let text = String::from(r#"{"sub":"abc"}"#);
        let sub = &text[8..11];
        let span = Span::of(sub, &text).unwrap();
        assert_eq!(span.get(&text), "abc");
        // Equal text elsewhere is not a slice of it.
        let copy = String::from("abc");
        assert_eq!(Span::of(&copy, &text), None);
        assert!(matches!(
            ClaimText::new(&copy, &text),
            ClaimText::Copied(ref value) if &**value == "abc"
        ));
        assert!(matches!(
            ClaimText::new(sub, &text),
            ClaimText::InPayload(found) if found == span
        ));
        let groups: Vec<Cow<'_, str>> = vec![Cow::Borrowed(sub); LAID_OUT_GROUPS + 1];
        assert!(GroupSpans::of(&groups, &text).is_none());
        let laid_out = GroupSpans::of(&groups[..2], &text).unwrap();
        assert_eq!(laid_out.names(&text).collect::<Vec<_>>(), ["abc", "abc"]);
    }
}
