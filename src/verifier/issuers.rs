//! The issuer table: the configured issuers, lowered from [`CognitoPool`]
//! and [`OidcIssuer`] into what the verifier checks (an expected `iss`, a
//! key source and rules), and which of them may verify a given token.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use reqwest::Url;

use crate::claims::Requirement;
use crate::config::{ClientRule, CognitoPool, JwksChoice, OidcIssuer, Tenant, TokenUseRule};
use crate::error::{Error, Result};
use crate::keys::{KeySet, KeyStore, Location, SourceId, alg_name};
use crate::transport::url_policy::check_url;

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

/// Every accepted issuer, found by its `iss`.
#[derive(Debug)]
pub(crate) struct IssuerTable {
    entries: Vec<IssuerEntry>,
    by_iss: HashMap<String, usize>,
}

impl IssuerTable {
    /// Lowers the configuration, adding each issuer's key source to
    /// `store`; `config` errors for missing choices and bad values.
    pub(crate) fn build(
        pools: &[CognitoPool],
        oidc: &[OidcIssuer],
        store: &mut KeyStore,
        allow_insecure_http: bool,
    ) -> Result<Self> {
        let mut entries = Vec::new();
        for pool in pools {
            entries.extend(lower_cognito(pool, store, allow_insecure_http)?);
        }
        for issuer in oidc {
            entries.push(lower_oidc(issuer, store, allow_insecure_http)?);
        }
        let mut by_iss = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if by_iss.insert(entry.iss.to_string(), index).is_some() {
                return Err(Error::config(format!(
                    "issuer {} is configured twice",
                    entry.iss
                )));
            }
        }
        Ok(IssuerTable { entries, by_iss })
    }

    /// Every accepted issuer.
    pub(crate) fn entries(&self) -> &[IssuerEntry] {
        &self.entries
    }

    /// Every accepted issuer, comma separated (for messages).
    pub(crate) fn names(&self) -> String {
        let names: Vec<&str> = self.entries.iter().map(|entry| &*entry.iss).collect();
        names.join(", ")
    }

    /// The issuer with exactly this `iss`.
    pub(crate) fn get(&self, iss: &str) -> Option<&IssuerEntry> {
        self.by_iss
            .get(iss)
            .and_then(|&index| self.entries.get(index))
    }

    /// The issuers whose keys may verify a token naming `iss` (unverified):
    /// that issuer when it is configured, else every issuer that is not
    /// fetched on demand. `store` holds the table's key sources.
    pub(crate) fn candidates<'a>(
        &'a self,
        iss: Option<&str>,
        store: &'a Arc<KeyStore>,
    ) -> Candidates<'a> {
        match iss.and_then(|iss| self.get(iss)) {
            Some(entry) => Candidates::One(Candidate { entry, store }),
            None => Candidates::Primary(&self.entries, store),
        }
    }

    /// Lowers a resolver's answer for `iss` into its issuer entry, its key
    /// source added to `store`. `None` when the configuration is for
    /// another issuer (a resolver must answer for the issuer it was asked
    /// about, or the answer could let one tenant's tokens pass as
    /// another's).
    pub(crate) fn lower_tenant(
        tenant: &Tenant,
        iss: &str,
        store: &mut KeyStore,
        allow_insecure_http: bool,
    ) -> Result<Option<IssuerEntry>> {
        let entries = match tenant {
            Tenant::Cognito(pool) => lower_cognito(pool, store, allow_insecure_http)?,
            Tenant::Oidc(issuer) => vec![lower_oidc(issuer, store, allow_insecure_http)?],
        };
        Ok(entries
            .into_iter()
            .find(|entry| &*entry.iss == iss)
            .map(|mut entry| {
                entry.on_demand = false;
                entry
            }))
    }
}

/// One issuer that may verify a token, and the store holding its keys.
#[derive(Clone, Copy)]
pub(crate) struct Candidate<'a> {
    pub(crate) entry: &'a IssuerEntry,
    pub(crate) store: &'a Arc<KeyStore>,
}

impl Candidate<'_> {
    /// Whether two candidates read the same key source.
    pub(crate) fn same_source(&self, other: &Candidate<'_>) -> bool {
        Arc::ptr_eq(self.store, other.store) && self.entry.source == other.entry.source
    }
}

/// The issuers whose keys may verify a token: the one its `iss` names (a
/// configured issuer or a resolved tenant), or every configured issuer
/// that is not on demand.
#[derive(Clone, Copy)]
pub(crate) enum Candidates<'a> {
    One(Candidate<'a>),
    Primary(&'a [IssuerEntry], &'a Arc<KeyStore>),
}

impl<'a> Candidates<'a> {
    /// Whether the token's `iss` is an accepted issuer: only then may its
    /// keys be fetched.
    pub(crate) fn names_configured_issuer(self) -> bool {
        matches!(self, Candidates::One(_))
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Candidate<'a>> {
        let (one, all, store) = match self {
            Candidates::One(candidate) => (Some(candidate), &[][..], candidate.store),
            Candidates::Primary(entries, store) => (None, entries, store),
        };
        one.into_iter().chain(
            all.iter()
                .filter(|entry| !entry.on_demand)
                .map(move |entry| Candidate { entry, store }),
        )
    }

    /// The algorithms any candidate accepts, for the error message.
    pub(crate) fn accepted_algs(self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for Candidate { entry, .. } in self.iter() {
            for alg in &entry.rules.algorithms {
                let name = alg_name(*alg);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names.join(", ")
    }
}

fn lower_cognito(
    pool: &CognitoPool,
    store: &mut KeyStore,
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

fn lower_oidc(
    issuer: &OidcIssuer,
    store: &mut KeyStore,
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
    store: &mut KeyStore,
    allow_insecure_http: bool,
) -> Result<SourceId> {
    let checked = |url: Url| -> Result<Url> {
        check_url(&url, allow_insecure_http)
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
