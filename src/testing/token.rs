//! Minting test tokens: Cognito-shaped claims with knobs for every field.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::clock::unix_now;
use crate::error::{Error, Result};
use crate::keys::alg_name;

use super::keys::SigningKey;
use super::{PoolState, read, unique_suffix};

/// What kind of token a [`TokenBuilder`] mints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TokenKind {
    Access,
    Id,
    ClientCredentials,
}

/// A caller-made signature over the signing input.
type RawSigner = Box<dyn FnOnce(&[u8]) -> Vec<u8> + Send>;

enum Signer {
    Key(SigningKey),
    Raw(RawSigner),
}

/// Builds a token for a [`MockPool`](super::MockPool): start from
/// [`MockPool::access_token`](super::MockPool::access_token),
/// [`MockPool::id_token`](super::MockPool::id_token) or
/// [`MockPool::client_credentials_token`](super::MockPool::client_credentials_token),
/// adjust, then
/// [`sign`](Self::sign).
///
/// Defaults follow real Cognito tokens: header `{"kid", "alg": "RS256"}`
/// (no `typ`), a one-hour lifetime, the pool's issuer and app client.
///
/// ```no_run
/// # async fn demo() -> Result<(), cognito_auth::Error> {
/// use std::time::Duration;
/// use cognito_auth::testing::MockPool;
///
/// let pool = MockPool::start().await?;
/// let token = pool
///     .access_token()
///     .username("alice")
///     .groups(["admin"])
///     .scopes(["api/reports.read"])
///     .lifetime(Duration::from_secs(300))
///     .claim("custom:tenant", "acme")
///     .sign()?;
/// # Ok(()) }
/// ```
#[must_use = "a token builder does nothing until .sign()"]
pub struct TokenBuilder {
    kind: TokenKind,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signer: Signer,
    username: String,
    sub_set: bool,
    now: i64,
}

impl TokenBuilder {
    pub(super) fn new(pool: &PoolState, kind: TokenKind) -> Self {
        let key = match kind {
            TokenKind::Id => read(&pool.id_key).clone(),
            TokenKind::Access | TokenKind::ClientCredentials => read(&pool.access_key).clone(),
        };
        let now = unix_now();
        let username = "test-user".to_owned();
        let client_id = pool.client_id.clone();
        let mut claims = Map::new();
        let mut put = |name: &str, value: Value| {
            claims.insert(name.to_owned(), value);
        };
        put("sub", json!(sub_for(&username)));
        put("iss", json!(pool.issuer));
        match kind {
            TokenKind::Access => {
                put("client_id", json!(client_id));
                put("origin_jti", json!(format!("o-{}", unique_suffix())));
                put("event_id", json!(format!("e-{}", unique_suffix())));
                put("token_use", json!("access"));
                put("scope", json!("aws.cognito.signin.user.admin"));
                put("auth_time", json!(now));
                put("username", json!(username));
                put("version", json!(2));
            }
            TokenKind::Id => {
                put("aud", json!(client_id));
                put("cognito:username", json!(username));
                put("origin_jti", json!(format!("o-{}", unique_suffix())));
                put("event_id", json!(format!("e-{}", unique_suffix())));
                put("token_use", json!("id"));
                put("auth_time", json!(now));
                put("email", json!(format!("{username}@example.com")));
                put("email_verified", json!(true));
            }
            TokenKind::ClientCredentials => {
                put("sub", json!(client_id));
                put("client_id", json!(client_id));
                put("token_use", json!("access"));
                put("scope", json!("https://api.example.com/read"));
                put("auth_time", json!(now));
                put("version", json!(2));
            }
        }
        put("iat", json!(now));
        put("exp", json!(now + 3600));
        put("jti", json!(format!("j-{}", unique_suffix())));
        let mut header = Map::new();
        header.insert("kid".into(), json!(key.kid()));
        header.insert("alg".into(), json!(alg_name(key.alg())));
        TokenBuilder {
            kind,
            header,
            claims,
            signer: Signer::Key(key),
            username,
            sub_set: false,
            now,
        }
    }

    /// The user name (`username` in access tokens, `cognito:username` in ID
    /// tokens); also derives a stable `sub` and the default e-mail.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = username.into();
        let name = self.username.clone();
        match self.kind {
            TokenKind::Access => self.put("username", json!(name)),
            TokenKind::Id => {
                self.put("cognito:username", json!(name));
                self.put("email", json!(format!("{name}@example.com")));
            }
            TokenKind::ClientCredentials => {}
        }
        if !self.sub_set && self.kind != TokenKind::ClientCredentials {
            self.claims.insert("sub".into(), json!(sub_for(&name)));
        }
        self
    }

    /// The `sub` claim.
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.sub_set = true;
        self.set("sub", json!(sub.into()))
    }

    /// The app client: `client_id` (access) or `aud` (ID).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        let client_id = client_id.into();
        match self.kind {
            TokenKind::Id => self.set("aud", json!(client_id)),
            TokenKind::ClientCredentials => {
                if !self.sub_set {
                    self.claims.insert("sub".into(), json!(client_id));
                }
                self.set("client_id", json!(client_id))
            }
            TokenKind::Access => self.set("client_id", json!(client_id)),
        }
    }

    /// `cognito:groups`.
    pub fn groups<I, S>(self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let groups: Vec<String> = groups.into_iter().map(Into::into).collect();
        self.set("cognito:groups", json!(groups))
    }

    /// `scope`, joined with spaces.
    pub fn scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.set("scope", json!(scopes.join(" ")))
    }

    /// `email` (ID tokens carry it by default).
    pub fn email(self, email: impl Into<String>) -> Self {
        self.set("email", json!(email.into()))
    }

    /// Valid for `lifetime` from now (`exp = iat + lifetime`).
    pub fn lifetime(self, lifetime: Duration) -> Self {
        let seconds = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        let exp = self.now.saturating_add(seconds);
        self.set("exp", json!(exp))
    }

    /// `exp`, seconds since the epoch.
    pub fn expires_at(self, exp: i64) -> Self {
        self.set("exp", json!(exp))
    }

    /// `nbf`, seconds since the epoch.
    pub fn not_before(self, nbf: i64) -> Self {
        self.set("nbf", json!(nbf))
    }

    /// `iat` (and `auth_time`), seconds since the epoch.
    pub fn issued_at(mut self, iat: i64) -> Self {
        if self.claims.contains_key("auth_time") {
            self.claims.insert("auth_time".into(), json!(iat));
        }
        self.set("iat", json!(iat))
    }

    /// Any claim, with any JSON value.
    pub fn claim(self, name: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        let name = name.into();
        self.set(&name, value)
    }

    /// Removes a claim (e.g. `exp`, to test that it is required).
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Any header parameter, with any JSON value; `.header("alg", "ES256")`
    /// changes what the header says, not how the token is signed.
    pub fn header(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.header.insert(name.into(), value);
        self
    }

    /// Removes a header parameter (e.g. `kid`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with `key` (for instance one not in the pool's JWKS); the
    /// header's `kid` and `alg` follow the key.
    pub fn signed_by(mut self, key: &SigningKey) -> Self {
        self.header.insert("kid".into(), json!(key.kid()));
        self.header.insert("alg".into(), json!(alg_name(key.alg())));
        self.signer = Signer::Key(key.clone());
        self
    }

    /// Makes the signature with your own function over the signing input
    /// (`base64url(header).base64url(payload)`), for forged tokens.
    pub fn signed_with(mut self, sign: impl FnOnce(&[u8]) -> Vec<u8> + Send + 'static) -> Self {
        self.signer = Signer::Raw(Box::new(sign));
        self
    }

    /// The claims as they stand (before signing).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Encodes and signs the token.
    pub fn sign(self) -> Result<String> {
        let header =
            serde_json::to_vec(&self.header).map_err(|err| Error::config(err.to_string()))?;
        let claims =
            serde_json::to_vec(&self.claims).map_err(|err| Error::config(err.to_string()))?;
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let signature = match self.signer {
            Signer::Key(key) => key.sign(signing_input.as_bytes())?,
            Signer::Raw(sign) => sign(signing_input.as_bytes()),
        };
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    fn set(mut self, name: &str, value: Value) -> Self {
        self.put(name, value);
        self
    }

    fn put(&mut self, name: &str, value: Value) {
        self.claims.insert(name.to_owned(), value);
    }
}

impl std::fmt::Debug for TokenBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("kind", &self.kind)
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// A stable, UUID-shaped `sub` for a user name.
fn sub_for(username: &str) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut halves = [0u64; 2];
    for (salt, half) in halves.iter_mut().enumerate() {
        let mut hasher = DefaultHasher::new();
        (salt, username).hash(&mut hasher);
        *half = hasher.finish();
    }
    let [a, b] = halves;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subs_are_stable_and_uuid_shaped() {
        let sub = sub_for("alice");
        assert_eq!(sub, sub_for("alice"));
        assert_ne!(sub, sub_for("bob"));
        assert_eq!(sub.len(), 36);
        assert_eq!(sub.matches('-').count(), 4);
    }
}
