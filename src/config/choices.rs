//! The choices a pool or issuer configuration is made of.

use std::path::PathBuf;

use crate::claims::TokenUse;

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
