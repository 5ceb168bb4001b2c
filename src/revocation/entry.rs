//! What can be revoked, and how long a revocation must be remembered.

use serde::{Deserialize, Serialize};

/// Something revoked: a sign-in session, one token, or every token a user
/// was issued up to a moment. Each belongs to one issuer (a `sub` or an
/// `origin_jti` means something only within its pool).
///
/// | revocation | refuses | Cognito counterpart |
/// |---|---|---|
/// | [`Session`](Self::Session) | every ID and access token with this `origin_jti` (all tokens minted from one sign-in and its refreshes) | `RevokeToken`, a browser sign-out |
/// | [`Token`](Self::Token) | the one token with this `jti` | — |
/// | [`User`](Self::User) | every token of this `sub` whose `iat` is **at or before** `issued_before` | `GlobalSignOut`, `AdminUserGlobalSignOut`, a disabled or deleted user, changed groups |
///
/// The user cut-off includes its own second: a token issued in the very
/// second of the cut-off is refused too (`iat` has whole seconds, so
/// "before or during" is the only safe reading); a sign-in one second
/// later verifies again. A token without `iat` is refused by any cut-off.
///
/// ```
/// use cognito_auth::revocation::Revocation;
/// let session = Revocation::Session {
///     issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123".into(),
///     origin_jti: "7f3c…".into(),
/// };
/// assert_eq!(session.issuer(), "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Revocation {
    /// One sign-in session: every token with this `origin_jti`.
    Session {
        /// The issuer (`iss`) of the session's tokens.
        issuer: String,
        /// The `origin_jti` all tokens of the session share.
        origin_jti: String,
    },
    /// One token: the token with this `jti`.
    Token {
        /// The issuer (`iss`) of the token.
        issuer: String,
        /// The token's `jti`.
        jti: String,
    },
    /// A user: every token of this `sub` issued at or before a moment.
    User {
        /// The issuer (`iss`) of the user's tokens.
        issuer: String,
        /// The user's `sub`.
        sub: String,
        /// Seconds since the epoch; tokens with `iat <= issued_before` are
        /// refused.
        issued_before: i64,
    },
}

/// The kinds of revocation, as a byte in the mirror's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Session,
    Token,
    User,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::Token => "token",
            Kind::User => "user",
        }
    }
}

impl Revocation {
    /// The issuer this revocation belongs to.
    pub fn issuer(&self) -> &str {
        match self {
            Revocation::Session { issuer, .. }
            | Revocation::Token { issuer, .. }
            | Revocation::User { issuer, .. } => issuer,
        }
    }

    /// The kind and the id (`origin_jti`, `jti` or `sub`).
    pub(crate) fn key(&self) -> (Kind, &str) {
        match self {
            Revocation::Session { origin_jti, .. } => (Kind::Session, origin_jti),
            Revocation::Token { jti, .. } => (Kind::Token, jti),
            Revocation::User { sub, .. } => (Kind::User, sub),
        }
    }

    /// The user cut-off, for user revocations.
    pub(crate) fn cutoff(&self) -> Option<i64> {
        match self {
            Revocation::User { issued_before, .. } => Some(*issued_before),
            _ => None,
        }
    }

    /// Checks what a revocation must hold: an issuer and an id that are
    /// not empty.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let (kind, id) = self.key();
        if self.issuer().is_empty() {
            return Err(format!("a {} revocation needs an issuer", kind.as_str()));
        }
        if id.is_empty() {
            return Err(format!("a {} revocation needs an id", kind.as_str()));
        }
        Ok(())
    }

    /// When no token the revocation could match can still be valid: the
    /// latest moment such a token can expire. A session or a token may have
    /// been issued just now, so it is `now + max_lifetime`; a user's tokens
    /// were issued at the latest at the cut-off.
    pub(crate) fn expires_at(&self, now: i64, max_lifetime: i64) -> i64 {
        match self {
            Revocation::User { issued_before, .. } => issued_before.saturating_add(max_lifetime),
            _ => now.saturating_add(max_lifetime),
        }
    }
}

/// A revocation as recorded: what, and until when it is remembered.
///
/// Serialised (in Redis and in the CLI's output) as one flat JSON object:
/// `{"kind":"session","issuer":"…","origin_jti":"…","expires_at":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Entry {
    /// What is revoked.
    #[serde(flatten)]
    pub revocation: Revocation,
    /// Seconds since the epoch after which no token it could match is
    /// still valid, and the entry is forgotten.
    pub expires_at: i64,
}

impl Entry {
    /// A revocation remembered until `expires_at`.
    pub fn new(revocation: Revocation, expires_at: i64) -> Self {
        Entry {
            revocation,
            expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_serialise_flat() {
        let entry = Entry::new(
            Revocation::User {
                issuer: "https://issuer".into(),
                sub: "s".into(),
                issued_before: 100,
            },
            200,
        );
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind":"user","issuer":"https://issuer","sub":"s","issued_before":100,"expires_at":200})
        );
        let back: Entry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
        let session: Entry = serde_json::from_str(
            r#"{"kind":"session","issuer":"i","origin_jti":"o","expires_at":5}"#,
        )
        .unwrap();
        assert_eq!(session.revocation.key(), (Kind::Session, "o"));
    }

    #[test]
    fn expiry_follows_the_latest_token_that_could_match() {
        let session = Revocation::Session {
            issuer: "i".into(),
            origin_jti: "o".into(),
        };
        assert_eq!(session.expires_at(1_000, 86_400), 87_400);
        let user = |issued_before| Revocation::User {
            issuer: "i".into(),
            sub: "s".into(),
            issued_before,
        };
        assert_eq!(user(900).expires_at(1_000, 100), 1_000);
        // A cut-off in the future holds until its own tokens expire.
        assert_eq!(user(5_000).expires_at(1_000, 100), 5_100);
        assert_eq!(user(i64::MAX).expires_at(i64::MAX, i64::MAX), i64::MAX);
    }
}
