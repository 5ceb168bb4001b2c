//! A Cognito user pool as a token issuer: its region, issuer URLs and JWKS
//! URL, with overrides for emulators and offline use.

use std::path::PathBuf;

use super::aws;
use super::choices::{ClientRule, JwksChoice, TokenUseRule};
use crate::claims::{Requirement, TokenUse};
use crate::error::{Error, Result, echo};

/// One Cognito user pool a [`Verifier`](crate::Verifier) accepts tokens from,
/// and what it requires of them.
///
/// Two choices are required, so that nothing is accepted by accident: the
/// token use ([`token_use`](Self::token_use) or
/// [`any_token_use`](Self::any_token_use)) and the app clients
/// ([`client_id`](Self::client_id) / [`client_ids`](Self::client_ids) or
/// [`any_client`](Self::any_client)). Problems are reported by
/// [`VerifierBuilder::build`](crate::VerifierBuilder::build).
///
/// ```
/// use cognito_auth::{CognitoPool, Requirement, TokenUse};
///
/// // A real pool: issuer and JWKS URL derived from the pool id.
/// let pool = CognitoPool::new("us-east-1_AbCdEf123")
///     .token_use(TokenUse::Access)
///     .client_id("1example23456789")
///     .require_groups(Requirement::any_of(["admin"]));
/// assert_eq!(pool.issuer_url().unwrap(), "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123");
///
/// // moto: the AWS issuer, keys served on loopback.
/// let moto = CognitoPool::new("us-east-1_0123456789abcdef0123456789abcdef")
///     .jwks_uri("http://127.0.0.1:5000/us-east-1_0123456789abcdef0123456789abcdef/.well-known/jwks.json")
///     .token_use(TokenUse::Id)
///     .any_client();
///
/// // cognito-local: the issuer is a loopback URL.
/// let local = CognitoPool::from_issuer("http://127.0.0.1:9229/local_7SOvroip")
///     .any_token_use()
///     .client_ids(["a", "b"]);
/// ```
#[derive(Debug, Clone)]
pub struct CognitoPool {
    origin: Origin,
    issuer_override: Option<String>,
    pub(crate) jwks: JwksChoice,
    pub(crate) token_use: Option<TokenUseRule>,
    pub(crate) clients: Option<ClientRule>,
    pub(crate) groups: Option<Requirement>,
    pub(crate) scopes: Option<Requirement>,
}

#[derive(Debug, Clone)]
enum Origin {
    PoolId(String),
    Issuer(String),
}

/// The parts of a user pool id: `us-east-1_AbCdEf123` is region
/// `us-east-1`, id `AbCdEf123`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PoolId<'a> {
    pub(crate) region: &'a str,
}

impl CognitoPool {
    /// A pool given by its id, such as `us-east-1_AbCdEf123`. The issuer is
    /// `https://cognito-idp.{region}.amazonaws.com/{id}` (`amazonaws.com.cn`
    /// in `cn-*` regions) and the keys are at `{issuer}/.well-known/jwks.json`.
    /// Tokens naming the multi-Region issuer
    /// `https://issuer-cognito-idp.{region}.amazonaws.com/{id}` are accepted
    /// too; that issuer's keys are fetched only when a token names it.
    pub fn new(user_pool_id: impl Into<String>) -> Self {
        Self::with_origin(Origin::PoolId(user_pool_id.into()))
    }

    /// A pool known by its issuer URL (cognito-local, or a custom domain):
    /// tokens must carry exactly this `iss`; keys default to
    /// `{issuer}/.well-known/jwks.json`.
    pub fn from_issuer(issuer: impl Into<String>) -> Self {
        Self::with_origin(Origin::Issuer(issuer.into()))
    }

    fn with_origin(origin: Origin) -> Self {
        CognitoPool {
            origin,
            issuer_override: None,
            jwks: JwksChoice::Derived,
            token_use: None,
            clients: None,
            groups: None,
            scopes: None,
        }
    }

    /// Expects this exact `iss` instead of the derived one (and turns off the
    /// multi-Region issuer form).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer_override = Some(issuer.into());
        self
    }

    /// Fetches keys from this URL instead of the derived one (emulators such
    /// as moto keep the AWS issuer but serve keys on loopback).
    pub fn jwks_uri(mut self, url: impl Into<String>) -> Self {
        self.jwks = JwksChoice::Url(url.into());
        self
    }

    /// Uses this JWKS document and never fetches (offline use).
    pub fn jwks_static(mut self, jwks_json: impl Into<String>) -> Self {
        self.jwks = JwksChoice::Static(jwks_json.into());
        self
    }

    /// Reads the JWKS from a file when the verifier is built; never fetches.
    pub fn jwks_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.jwks = JwksChoice::File(path.into());
        self
    }

    /// Finds the JWKS URL through OIDC discovery
    /// (`{issuer}/.well-known/openid-configuration`).
    pub fn discover(mut self) -> Self {
        self.jwks = JwksChoice::Discovery;
        self
    }

    /// Accepts only tokens of this use.
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.token_use = Some(TokenUseRule::Only(token_use));
        self
    }

    /// Accepts both access and ID tokens (an explicit choice).
    pub fn any_token_use(mut self) -> Self {
        self.token_use = Some(TokenUseRule::Any);
        self
    }

    /// Adds an app client id to the allow-list.
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        self.client_ids([client_id])
    }

    /// Adds app client ids to the allow-list (`aud` of ID tokens,
    /// `client_id` of access tokens).
    pub fn client_ids<I, S>(mut self, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.clients = Some(ClientRule::extended(self.clients, client_ids));
        self
    }

    /// Skips the client id check (an explicit choice).
    pub fn any_client(mut self) -> Self {
        self.clients = Some(ClientRule::Any);
        self
    }

    /// Requires `cognito:groups` to meet `requirement`; otherwise
    /// `missing_group`.
    pub fn require_groups(mut self, requirement: Requirement) -> Self {
        self.groups = Some(requirement);
        self
    }

    /// Requires the `scope` claim to meet `requirement`; otherwise
    /// `insufficient_scope`.
    pub fn require_scopes(mut self, requirement: Requirement) -> Self {
        self.scopes = Some(requirement);
        self
    }

    /// The issuer tokens must name.
    ///
    /// ```
    /// # use cognito_auth::CognitoPool;
    /// let pool = CognitoPool::new("cn-north-1_AbCdEf123");
    /// assert_eq!(pool.issuer_url()?, "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbCdEf123");
    /// # Ok::<(), cognito_auth::Error>(())
    /// ```
    pub fn issuer_url(&self) -> Result<String> {
        if let Some(issuer) = &self.issuer_override {
            return Ok(issuer.clone());
        }
        match &self.origin {
            Origin::PoolId(id) => {
                let parsed = parse_pool_id(id)?;
                Ok(aws::issuer("cognito-idp", parsed.region, id))
            }
            Origin::Issuer(issuer) => Ok(issuer.clone()),
        }
    }

    /// The multi-Region issuer form, when the issuer is derived from a pool id.
    pub(crate) fn alternate_issuer_url(&self) -> Result<Option<String>> {
        match (&self.origin, &self.issuer_override) {
            (Origin::PoolId(id), None) => {
                let parsed = parse_pool_id(id)?;
                Ok(Some(aws::issuer("issuer-cognito-idp", parsed.region, id)))
            }
            _ => Ok(None),
        }
    }

    /// A short name for messages.
    pub(crate) fn label(&self) -> String {
        match &self.origin {
            Origin::PoolId(id) => format!("user pool {id}"),
            Origin::Issuer(issuer) => format!("user pool at {issuer}"),
        }
    }
}

/// Splits `{region}_{id}`. Regions look like `us-east-1`, `us-gov-west-1`,
/// `eusc-de-east-1`; ids are alphanumeric (emulators use other lengths).
pub(crate) fn parse_pool_id(pool_id: &str) -> Result<PoolId<'_>> {
    let invalid = |why: &str| {
        Error::config(format!(
            "user pool id {} is not of the form <region>_<id>, e.g. us-east-1_AbCdEf123: {why}; \
             use CognitoPool::from_issuer for emulators with other shapes",
            echo(pool_id)
        ))
    };
    let Some((region, id)) = pool_id.split_once('_') else {
        return Err(invalid("no underscore"));
    };
    if !aws::is_region(region) {
        return Err(invalid("the region is not a region name"));
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid("the id part must be alphanumeric"));
    }
    Ok(PoolId { region })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_ids() {
        for (id, region) in [
            ("us-east-1_AbCdEf123", "us-east-1"),
            ("us-gov-west-1_AbCdEf123", "us-gov-west-1"),
            ("eusc-de-east-1_AbCdEf123", "eusc-de-east-1"),
            ("us-east-1_0123456789abcdef0123456789abcdef", "us-east-1"),
        ] {
            assert_eq!(parse_pool_id(id).unwrap().region, region);
        }
        for bad in [
            "",
            "us-east-1",
            "local_7SOvroip",
            "US-EAST-1_abc",
            "us-east-1_",
            "us-east-1_ab/c",
            "us-east-1_a_b",
        ] {
            assert_eq!(parse_pool_id(bad).unwrap_err().kind(), "config", "{bad}");
        }
    }

    #[test]
    fn issuers() {
        let pool = CognitoPool::new("eu-west-1_AbCdEf123");
        assert_eq!(
            pool.issuer_url().unwrap(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
        );
        assert_eq!(
            pool.alternate_issuer_url().unwrap().unwrap(),
            "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
        );
        let overridden = pool.issuer("https://example.com/p");
        assert_eq!(overridden.issuer_url().unwrap(), "https://example.com/p");
        assert_eq!(overridden.alternate_issuer_url().unwrap(), None);
        let cn = CognitoPool::new("cn-northwest-1_AbCdEf123");
        assert!(
            cn.alternate_issuer_url()
                .unwrap()
                .unwrap()
                .ends_with(".amazonaws.com.cn/cn-northwest-1_AbCdEf123")
        );
    }
}
