//! The result of a successful verification.
//!
//! The payload is kept as the JSON that was signed; the claim map, the
//! typed claims and the scope and group sets are built from it the first
//! time they are asked for, once per token (and a token served from the
//! verified-token cache shares them).

use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::layout::{AccessLayout, ClaimText, Span};
use crate::claims::{AccessClaims, IdClaims, NameSet, TokenUse};
use crate::error::{Error, Result, echo};
use crate::revocation::TokenIds;

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
    /// Shared with the issuer table's entry.
    issuer: Arc<str>,
    kid: Box<str>,
    token_use: Option<TokenUse>,
    expires_at: i64,
    ids: Ids,
    payload: String,
    access_layout: Option<AccessLayout>,
    claims: OnceLock<Map<String, Value>>,
    typed: OnceLock<Result<Typed>>,
    scopes: OnceLock<NameSet>,
    groups: OnceLock<NameSet>,
}

enum Typed {
    Access(Arc<AccessClaims>),
    Id(Arc<IdClaims>),
}

/// The ids a revocation can name, kept so that a cached token is checked
/// against the revocation list without parsing its payload again.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    pub(crate) sub: Option<ClaimText>,
    pub(crate) jti: Option<ClaimText>,
    pub(crate) origin_jti: Option<ClaimText>,
    pub(crate) iat: Option<i64>,
}

pub(crate) struct Parts {
    pub(crate) issuer: Arc<str>,
    pub(crate) kid: Box<str>,
    pub(crate) token_use: Option<TokenUse>,
    pub(crate) expires_at: i64,
    /// Places in `payload`.
    pub(crate) ids: Ids,
    /// The payload JSON, already checked to be an object.
    pub(crate) payload: String,
    /// For a Cognito access token whose payload holds only what
    /// [`AccessClaims`] has fields for: where they are.
    pub(crate) access_layout: Option<AccessLayout>,
}

impl VerifiedToken {
    pub(crate) fn new(parts: Parts) -> Self {
        VerifiedToken(Arc::new(Inner {
            issuer: parts.issuer,
            kid: parts.kid,
            token_use: parts.token_use,
            expires_at: parts.expires_at,
            ids: parts.ids,
            payload: parts.payload,
            access_layout: parts.access_layout,
            claims: OnceLock::new(),
            typed: OnceLock::new(),
            scopes: OnceLock::new(),
            groups: OnceLock::new(),
        }))
    }

    /// Every claim of the payload, as signed.
    pub fn claims(&self) -> &Map<String, Value> {
        self.0.claims.get_or_init(|| {
            // Checked to be a JSON object during verification.
            serde_json::from_str(&self.0.payload).unwrap_or_default()
        })
    }

    /// The token use of a Cognito token; `None` for generic OIDC tokens.
    pub fn token_use(&self) -> Option<TokenUse> {
        self.0.token_use
    }

    /// The typed claims, when this is a Cognito access token whose claims
    /// have the shape of [`AccessClaims`].
    pub fn access(&self) -> Option<&AccessClaims> {
        self.try_access().ok()
    }

    /// The typed claims of a Cognito access token, or why there are none:
    /// `invalid_token_use` for another token use, `malformed` for claims
    /// that do not have the Cognito shape.
    pub fn try_access(&self) -> Result<&AccessClaims> {
        self.shared_access().map(|claims| &**claims)
    }

    /// The typed access claims, shared (no copy).
    pub(crate) fn shared_access(&self) -> Result<&Arc<AccessClaims>> {
        match self.typed()? {
            Typed::Access(claims) => Ok(claims),
            Typed::Id(_) => Err(self.wrong_use(TokenUse::Access)),
        }
    }

    /// The typed claims, when this is a Cognito ID token whose claims have
    /// the shape of [`IdClaims`].
    pub fn id(&self) -> Option<&IdClaims> {
        self.try_id().ok()
    }

    /// The typed claims of a Cognito ID token, or why there are none.
    pub fn try_id(&self) -> Result<&IdClaims> {
        self.shared_id().map(|claims| &**claims)
    }

    /// The typed ID claims, shared (no copy).
    pub(crate) fn shared_id(&self) -> Result<&Arc<IdClaims>> {
        match self.typed()? {
            Typed::Id(claims) => Ok(claims),
            Typed::Access(_) => Err(self.wrong_use(TokenUse::Id)),
        }
    }

    /// The `sub` claim.
    pub fn sub(&self) -> Option<&str> {
        self.id_text(&self.0.ids.sub)
    }

    /// The `jti` claim: this token's id.
    pub fn jti(&self) -> Option<&str> {
        self.id_text(&self.0.ids.jti)
    }

    /// The `origin_jti` claim: the id every token of one sign-in (and its
    /// refreshes) shares; what a session revocation names.
    pub fn origin_jti(&self) -> Option<&str> {
        self.id_text(&self.0.ids.origin_jti)
    }

    /// `iat`, seconds since the epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.0.ids.iat
    }

    /// The ids the revocation list matches on.
    pub(crate) fn ids(&self) -> TokenIds<'_> {
        TokenIds {
            iss: &self.0.issuer,
            sub: self.sub(),
            jti: self.jti(),
            origin_jti: self.origin_jti(),
            iat: self.0.ids.iat,
        }
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
        self.0.scopes.get_or_init(|| {
            if let Some(layout) = &self.0.access_layout {
                return layout.scopes(&self.0.payload);
            }
            self.claims()
                .get("scope")
                .and_then(Value::as_str)
                .map(NameSet::from_scope_string)
                .unwrap_or_default()
        })
    }

    /// The groups (`cognito:groups` claim); empty when absent.
    pub fn groups(&self) -> &NameSet {
        self.0.groups.get_or_init(|| {
            if let Some(layout) = &self.0.access_layout {
                return layout.groups(&self.0.payload);
            }
            let groups = self
                .claims()
                .get("cognito:groups")
                .and_then(Value::as_array);
            NameSet::new(groups.into_iter().flatten().filter_map(Value::as_str))
        })
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
        serde_json::from_str(&self.0.payload).map_err(|err| {
            Error::malformed(format!(
                "verified claims do not fit {}: {err}",
                std::any::type_name::<T>()
            ))
        })
    }

    fn typed(&self) -> Result<&Typed> {
        let typed = self.0.typed.get_or_init(|| match self.0.token_use {
            Some(TokenUse::Access) => match self.laid_out_access() {
                Some(claims) => Ok(claims),
                None => self.typed_claims("access"),
            }
            .map(|claims| Typed::Access(Arc::new(claims))),
            Some(TokenUse::Id) => self
                .typed_claims("ID")
                .map(|claims| Typed::Id(Arc::new(claims))),
            None => Err(Error::InvalidTokenUse {
                expected: "access or id".to_owned(),
                found: "none (not a Cognito token)".to_owned(),
            }),
        });
        typed.as_ref().map_err(Clone::clone)
    }

    /// The typed access claims from where the verification found them,
    /// when the payload holds nothing else: the same claims a parse of the
    /// payload gives (test `laid_out_access_claims_are_the_parsed_ones`).
    fn laid_out_access(&self) -> Option<AccessClaims> {
        let layout = self.0.access_layout.as_ref()?;
        let text = &*self.0.payload;
        let owned = |span: Option<Span>| span.map(|span| span.get(text).to_owned());
        Some(AccessClaims {
            sub: self.sub()?.to_owned(),
            username: owned(layout.username),
            client_id: layout.client_id.get(text).to_owned(),
            token_use: TokenUse::Access,
            scopes: layout.scopes(text),
            groups: layout.groups(text),
            // The checks made sure `iss` is exactly the issuer.
            iss: self.0.issuer.to_string(),
            exp: self.0.expires_at,
            iat: self.0.ids.iat,
            auth_time: layout.auth_time,
            jti: self.jti().map(str::to_owned),
            origin_jti: self.origin_jti().map(str::to_owned),
            event_id: owned(layout.event_id),
            device_key: owned(layout.device_key),
            version: layout.version,
            extra: Map::new(),
        })
    }

    fn id_text<'a>(&'a self, text: &'a Option<ClaimText>) -> Option<&'a str> {
        text.as_ref().map(|text| text.get(&self.0.payload))
    }

    fn typed_claims<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_str(&self.0.payload).map_err(|err| {
            Error::malformed(format!("the payload is not a Cognito {what} token: {err}"))
        })
    }

    fn wrong_use(&self, expected: TokenUse) -> Error {
        Error::InvalidTokenUse {
            expected: expected.as_str().to_owned(),
            found: self
                .token_use()
                .map_or_else(|| "none".to_owned(), |found| echo(found.as_str())),
        }
    }
}

/// `sub`, `token_use`, the issuer, `exp` and the claim *names*: claim
/// values (e-mail addresses, phone numbers, custom attributes) are personal
/// data that does not belong in logs.
impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("sub", &self.sub())
            .field("token_use", &self.0.token_use)
            .field("issuer", &self.0.issuer)
            .field("expires_at", &self.0.expires_at)
            .field("claims", &self.claims().keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
