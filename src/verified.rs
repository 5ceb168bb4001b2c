//! The result of a successful verification.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::claims::{AccessClaims, IdClaims, NameSet, TokenUse};
use crate::error::{Error, Result};

/// A token that passed every check: its claims, typed and raw.
///
/// Cheap to clone (one reference count). The raw claims are every claim of
/// the payload as signed.
///
/// ```no_run
/// # async fn demo(verifier: cognito_auth::Verifier, token: &str) -> Result<(), cognito_auth::Error> {
/// let verified = verifier.verify(token).await?;
/// if let Some(access) = verified.access() {
///     println!("{} may read: {}", access.sub, access.has_scope("api/reports.read"));
/// }
/// println!("tenant: {:?}", verified.claims().get("custom:tenant"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct VerifiedToken(Arc<Inner>);

struct Inner {
    issuer: String,
    kid: String,
    token_use: Option<TokenUse>,
    expires_at: i64,
    scopes: NameSet,
    groups: NameSet,
    claims: Map<String, Value>,
    typed: Option<Typed>,
}

enum Typed {
    Access(AccessClaims),
    Id(IdClaims),
}

pub(crate) struct Parts {
    pub(crate) issuer: String,
    pub(crate) kid: String,
    pub(crate) token_use: Option<TokenUse>,
    pub(crate) expires_at: i64,
    pub(crate) scopes: NameSet,
    pub(crate) groups: NameSet,
    pub(crate) claims: Map<String, Value>,
}

impl VerifiedToken {
    /// Builds the result; Cognito tokens get their typed claims here, so a
    /// payload that lacks a field the type needs fails as `malformed`.
    pub(crate) fn new(parts: Parts) -> Result<Self> {
        let typed = match parts.token_use {
            Some(TokenUse::Access) => Some(Typed::Access(typed_claims(&parts.claims, "access")?)),
            Some(TokenUse::Id) => Some(Typed::Id(typed_claims(&parts.claims, "ID")?)),
            None => None,
        };
        Ok(VerifiedToken(Arc::new(Inner {
            issuer: parts.issuer,
            kid: parts.kid,
            token_use: parts.token_use,
            expires_at: parts.expires_at,
            scopes: parts.scopes,
            groups: parts.groups,
            claims: parts.claims,
            typed,
        })))
    }

    /// Every claim of the payload, as signed.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.0.claims
    }

    /// The token use of a Cognito token; `None` for generic OIDC tokens.
    pub fn token_use(&self) -> Option<TokenUse> {
        self.0.token_use
    }

    /// The typed claims, when this is a Cognito access token.
    pub fn access(&self) -> Option<&AccessClaims> {
        match &self.0.typed {
            Some(Typed::Access(claims)) => Some(claims),
            _ => None,
        }
    }

    /// The typed claims, when this is a Cognito ID token.
    pub fn id(&self) -> Option<&IdClaims> {
        match &self.0.typed {
            Some(Typed::Id(claims)) => Some(claims),
            _ => None,
        }
    }

    /// The `sub` claim.
    pub fn sub(&self) -> Option<&str> {
        self.0.claims.get("sub").and_then(Value::as_str)
    }

    /// The issuer that signed the token.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The `kid` of the key that verified the signature.
    pub fn kid(&self) -> &str {
        &self.0.kid
    }

    /// `exp`, seconds since the epoch.
    pub fn expires_at(&self) -> i64 {
        self.0.expires_at
    }

    /// The scopes (`scope` claim); empty when absent.
    pub fn scopes(&self) -> &NameSet {
        &self.0.scopes
    }

    /// The groups (`cognito:groups` claim); empty when absent.
    pub fn groups(&self) -> &NameSet {
        &self.0.groups
    }

    /// The claims in a type of your own.
    ///
    /// ```no_run
    /// # async fn demo(verifier: cognito_auth::Verifier, token: &str) -> Result<(), cognito_auth::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Mine {
    ///     sub: String,
    ///     #[serde(rename = "custom:tenant")]
    ///     tenant: String,
    /// }
    /// let mine: Mine = verifier.verify(token).await?.deserialize()?;
    /// # Ok(()) }
    /// ```
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(&self.0.claims).map_err(|err| {
            Error::malformed(format!(
                "verified claims do not fit {}: {err}",
                std::any::type_name::<T>()
            ))
        })
    }
}

impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("issuer", &self.0.issuer)
            .field("kid", &self.0.kid)
            .field("token_use", &self.0.token_use)
            .field("sub", &self.sub())
            .field("expires_at", &self.0.expires_at)
            .field("claims", &self.0.claims)
            .finish()
    }
}

fn typed_claims<T: DeserializeOwned>(claims: &Map<String, Value>, what: &str) -> Result<T> {
    T::deserialize(claims).map_err(|err| {
        Error::malformed(format!("the payload is not a Cognito {what} token: {err}"))
    })
}
