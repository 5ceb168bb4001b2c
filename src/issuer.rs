//! The configured issuers, lowered from [`CognitoPool`] and [`OidcIssuer`]
//! into what the verifier checks: an expected `iss`, a key source and rules.

use std::path::PathBuf;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use reqwest::Url;
use tokio::sync::OnceCell;

use crate::claims::{Requirement, TokenUse};
use crate::error::{Error, Result};
use crate::jwk::{KeySet, alg_name};
use crate::jwks::{JwksStore, Location, SourceId, fetch};
use crate::oidc::OidcIssuer;
use crate::pool::CognitoPool;

/// Which token uses a pool accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenUseRule {
    Only(TokenUse),
    Any,
}

/// An allow-list of client ids (or audiences), or an explicit skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientRule {
    Allow(Vec<String>),
    Any,
}

impl ClientRule {
    /// `rule` with `ids` added to its allow-list; an explicit skip (or no
    /// choice yet) becomes an allow-list of `ids`.
    pub(crate) fn extended<I, S>(rule: Option<ClientRule>, ids: I) -> ClientRule
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut list = match rule {
            Some(ClientRule::Allow(list)) => list,
            _ => Vec::new(),
        };
        list.extend(ids.into_iter().map(Into::into));
        ClientRule::Allow(list)
    }
}

/// Where a configured issuer's keys come from.
#[derive(Debug, Clone)]
pub(crate) enum JwksChoice {
    /// `{issuer}/.well-known/jwks.json`.
    Derived,
    Url(String),
    Static(String),
    File(PathBuf),
    Discovery,
}

/// What an issuer requires of its tokens beyond signature, time and `iss`.
#[derive(Debug)]
pub(crate) struct Rules {
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) kind: RuleKind,
    pub(crate) groups: Option<Requirement>,
    pub(crate) scopes: Option<Requirement>,
}

#[derive(Debug)]
pub(crate) enum RuleKind {
    Cognito {
        token_use: TokenUseRule,
        clients: ClientRule,
    },
    Oidc {
        audiences: ClientRule,
    },
}

/// One accepted `iss` value with its key source and rules.
#[derive(Debug)]
pub(crate) struct IssuerEntry {
    pub(crate) iss: Arc<str>,
    pub(crate) source: SourceId,
    /// Only used when a token names this issuer.
    pub(crate) on_demand: bool,
    pub(crate) rules: Arc<Rules>,
}

impl Rules {
    pub(crate) fn accepts_alg(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }
}

pub(crate) fn lower_cognito(
    pool: &CognitoPool,
    store: &mut JwksStore,
    allow_insecure_http: bool,
) -> Result<Vec<IssuerEntry>> {
    let label = pool.label();
    let token_use = pool.token_use.ok_or_else(|| {
        Error::config(format!(
            "{label}: choose the token use: .token_use(TokenUse::Access), .token_use(TokenUse::Id) or .any_token_use()"
        ))
    })?;
    let clients = pool.clients.clone().ok_or_else(|| {
        Error::config(format!(
            "{label}: choose the app clients: .client_id(..), .client_ids(..) or .any_client()"
        ))
    })?;
    check_allow_list(&clients, &label, "client id")?;
    check_requirement(pool.groups.as_ref(), &label, "groups")?;
    check_requirement(pool.scopes.as_ref(), &label, "scopes")?;

    let issuer = pool.issuer_url()?;
    check_issuer(&issuer, &label)?;
    let rules = Arc::new(Rules {
        algorithms: vec![Algorithm::RS256],
        kind: RuleKind::Cognito { token_use, clients },
        groups: pool.groups.clone(),
        scopes: pool.scopes.clone(),
    });
    let source = add_source(&pool.jwks, &issuer, &label, store, allow_insecure_http)?;
    let mut entries = vec![IssuerEntry {
        iss: Arc::from(issuer),
        source,
        on_demand: false,
        rules: rules.clone(),
    }];
    if let Some(alternate) = pool.alternate_issuer_url()? {
        let source = match pool.jwks {
            JwksChoice::Derived => {
                let url = derived_jwks_url(&alternate, &label)?;
                store.add_source(url.to_string(), Location::Url(url), true)
            }
            _ => source,
        };
        entries.push(IssuerEntry {
            iss: Arc::from(alternate),
            source,
            on_demand: true,
            rules,
        });
    }
    Ok(entries)
}

pub(crate) fn lower_oidc(
    issuer: &OidcIssuer,
    store: &mut JwksStore,
    allow_insecure_http: bool,
) -> Result<IssuerEntry> {
    let label = format!("issuer {}", issuer.issuer);
    let audiences = issuer.audiences.clone().ok_or_else(|| {
        Error::config(format!(
            "{label}: choose the audiences: .audience(..), .audiences(..) or .any_audience()"
        ))
    })?;
    check_allow_list(&audiences, &label, "audience")?;
    check_requirement(issuer.scopes.as_ref(), &label, "scopes")?;
    check_issuer(&issuer.issuer, &label)?;
    if issuer.algorithms.is_empty() {
        return Err(Error::config(format!(
            "{label}: the algorithm list is empty"
        )));
    }
    if let Some(alg) = issuer
        .algorithms
        .iter()
        .find(|alg| matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
    {
        return Err(Error::config(format!(
            "{label}: {} is a shared-secret algorithm; only public-key algorithms are accepted",
            alg_name(*alg)
        )));
    }
    let source = add_source(
        &issuer.jwks,
        &issuer.issuer,
        &label,
        store,
        allow_insecure_http,
    )?;
    Ok(IssuerEntry {
        iss: Arc::from(issuer.issuer.as_str()),
        source,
        on_demand: false,
        rules: Arc::new(Rules {
            algorithms: issuer.algorithms.clone(),
            kind: RuleKind::Oidc { audiences },
            groups: None,
            scopes: issuer.scopes.clone(),
        }),
    })
}

fn add_source(
    choice: &JwksChoice,
    issuer: &str,
    label: &str,
    store: &mut JwksStore,
    allow_insecure_http: bool,
) -> Result<SourceId> {
    let checked = |url: Url| -> Result<Url> {
        fetch::check_url(&url, allow_insecure_http)
            .map_err(|why| Error::config(format!("{label}: {why}")))?;
        Ok(url)
    };
    Ok(match choice {
        JwksChoice::Derived => {
            let url = checked(derived_jwks_url(issuer, label)?)?;
            store.add_source(url.to_string(), Location::Url(url), false)
        }
        JwksChoice::Url(text) => {
            let url = checked(parse_url(text, label, "JWKS URL")?)?;
            store.add_source(url.to_string(), Location::Url(url), false)
        }
        JwksChoice::Discovery => {
            let config_url = checked(parse_url(
                &format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                ),
                label,
                "discovery URL",
            )?)?;
            store.add_source(
                config_url.to_string(),
                Location::Discovery {
                    issuer: issuer.to_owned(),
                    config_url,
                    jwks_url: OnceCell::new(),
                },
                false,
            )
        }
        JwksChoice::Static(json) => {
            let keys = KeySet::parse(json.as_bytes())
                .map_err(|why| Error::config(format!("{label}: static JWKS: {why}")))?;
            store.add_source(
                format!("static JWKS of {label}"),
                Location::Static(Arc::new(keys)),
                false,
            )
        }
        JwksChoice::File(path) => {
            let json = std::fs::read(path).map_err(|err| {
                Error::config(format!(
                    "{label}: cannot read JWKS file {}: {err}",
                    path.display()
                ))
            })?;
            let keys = KeySet::parse(&json).map_err(|why| {
                Error::config(format!("{label}: JWKS file {}: {why}", path.display()))
            })?;
            store.add_source(
                format!("JWKS file {}", path.display()),
                Location::Static(Arc::new(keys)),
                false,
            )
        }
    })
}

fn derived_jwks_url(issuer: &str, label: &str) -> Result<Url> {
    parse_url(
        &format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
        label,
        "JWKS URL derived from the issuer",
    )
}

fn parse_url(text: &str, label: &str, what: &str) -> Result<Url> {
    Url::parse(text)
        .map_err(|err| Error::config(format!("{label}: {what} {text:?} is not a URL: {err}")))
}

fn check_issuer(issuer: &str, label: &str) -> Result<()> {
    if issuer.is_empty() {
        return Err(Error::config(format!("{label}: the issuer is empty")));
    }
    Ok(())
}

fn check_allow_list(rule: &ClientRule, label: &str, what: &str) -> Result<()> {
    match rule {
        ClientRule::Allow(list) if list.is_empty() || list.iter().any(String::is_empty) => {
            Err(Error::config(format!(
                "{label}: the {what} allow-list is empty or holds an empty string"
            )))
        }
        _ => Ok(()),
    }
}

fn check_requirement(requirement: Option<&Requirement>, label: &str, what: &str) -> Result<()> {
    match requirement {
        Some(requirement) if requirement.names().is_empty() => Err(Error::config(format!(
            "{label}: the required {what} list is empty"
        ))),
        _ => Ok(()),
    }
}
