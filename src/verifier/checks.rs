//! The claim checks that run after the signature (steps 7 to 11), in order.

use super::issuers::{IssuerEntry, RuleKind};
use std::borrow::Cow;

use crate::claims::{AccessLayout, ClaimText, GroupSpans, Ids, NameSet, Span, TokenUse};
use crate::config::{ClientRule, TokenUseRule};
use crate::error::{Error, Result, echo, echo_opt};
use crate::revocation::TokenIds;
use crate::token::{Audience, RegisteredClaims};

/// Step 7: `exp` required and not reached; `nbf`, when present, reached.
/// As RFC 7519 says, a token is used *before* `exp` (it has expired at
/// `exp + leeway`) and *at or after* `nbf` (valid from `nbf - leeway`).
/// `iat` is not a bound: it is informational (§4.1.6), and refusing a
/// future `iat` would refuse every fresh token on a server whose clock
/// lags the issuer's.
pub(crate) fn check_time(claims: &RegisteredClaims<'_>, now: i64, leeway: u64) -> Result<()> {
    let slack = i64::try_from(leeway).unwrap_or(i64::MAX);
    let exp = claims.exp.ok_or(Error::MissingClaim("exp"))?;
    if now >= exp.saturating_add(slack) {
        return Err(Error::Expired { exp, now, leeway });
    }
    if let Some(nbf) = claims.nbf
        && now < nbf.saturating_sub(slack)
    {
        return Err(Error::NotYetValid { nbf, now, leeway });
    }
    Ok(())
}

/// Step 8: `iss` exactly the issuer whose key verified the token.
pub(crate) fn check_issuer(claims: &RegisteredClaims<'_>, entry: &IssuerEntry) -> Result<()> {
    if claims.iss.as_deref() == Some(&*entry.iss) {
        return Ok(());
    }
    Err(Error::InvalidIssuer {
        expected: entry.iss.to_string(),
        found: echo_opt(claims.iss.as_deref()),
    })
}

/// Steps 9 to 11: token use, client id or audience, scopes and groups.
/// Returns the token use of a Cognito token.
pub(crate) fn check_rules(
    claims: &RegisteredClaims,
    entry: &IssuerEntry,
) -> Result<Option<TokenUse>> {
    let rules = &entry.rules;
    let token_use = match &rules.kind {
        RuleKind::Cognito { token_use, clients } => {
            let found = check_token_use(claims, *token_use)?;
            check_client(claims, found, clients)?;
            Some(found)
        }
        RuleKind::Oidc { audiences } => {
            check_audience(claims, audiences)?;
            None
        }
    };
    if let Some(requirement) = &rules.scopes {
        let held = scopes_of(claims);
        if !requirement.is_met_by(&held) {
            return Err(Error::InsufficientScope {
                requirement: requirement.to_string(),
                required: requirement.names().to_vec(),
            });
        }
    }
    if let Some(requirement) = &rules.groups {
        let held = groups_of(claims);
        if !requirement.is_met_by(&held) {
            return Err(Error::MissingGroup {
                requirement: requirement.to_string(),
                required: requirement.names().to_vec(),
            });
        }
    }
    Ok(token_use)
}

/// The ids of a token the revocation list matches on.
pub(crate) fn revocation_ids<'a>(claims: &'a RegisteredClaims<'_>, iss: &'a str) -> TokenIds<'a> {
    TokenIds {
        iss,
        sub: claims.sub.as_deref(),
        jti: claims.jti.as_deref(),
        origin_jti: claims.origin_jti.as_deref(),
        iat: claims.iat,
    }
}

/// The same ids, kept with the verified token: places in `payload`, the
/// text `claims` were read from.
pub(crate) fn kept_ids(claims: &RegisteredClaims<'_>, payload: &str) -> Ids {
    let text =
        |value: &Option<Cow<'_, str>>| value.as_ref().map(|value| ClaimText::new(value, payload));
    Ids {
        sub: text(&claims.sub),
        jti: text(&claims.jti),
        origin_jti: text(&claims.origin_jti),
        iat: claims.iat,
    }
}

/// Where the typed claims of an access token are in `payload`, when it
/// holds nothing [`AccessClaims`](crate::AccessClaims) would keep in
/// `extra` and the strings have no escapes; `None` sends the typed claims
/// to a parse of their own.
pub(crate) fn access_layout(claims: &RegisteredClaims<'_>, payload: &str) -> Option<AccessLayout> {
    if claims.beyond_access {
        return None;
    }
    // `Some(None)` for an absent claim, `None` for one that is not a slice.
    let span = |value: &Option<Cow<'_, str>>| match value {
        Some(value) => Span::of(value, payload).map(Some),
        None => Some(None),
    };
    Some(AccessLayout {
        client_id: Span::of(claims.client_id.as_deref()?, payload)?,
        username: span(&claims.username)?,
        scope: span(&claims.scope)?,
        groups: match &claims.groups {
            Some(groups) => Some(GroupSpans::of(groups, payload)?),
            None => None,
        },
        event_id: span(&claims.event_id)?,
        device_key: span(&claims.device_key)?,
        auth_time: claims.auth_time,
        version: claims.version,
    })
}

/// The scopes a token carries (`scope`, space separated).
pub(crate) fn scopes_of(claims: &RegisteredClaims<'_>) -> NameSet {
    claims
        .scope
        .as_deref()
        .map(NameSet::from_scope_string)
        .unwrap_or_default()
}

/// The groups a token carries (`cognito:groups`).
pub(crate) fn groups_of(claims: &RegisteredClaims<'_>) -> NameSet {
    claims
        .groups
        .as_ref()
        .map(|groups| NameSet::new(groups.iter().map(|group| group.as_ref())))
        .unwrap_or_default()
}

fn check_token_use(claims: &RegisteredClaims<'_>, rule: TokenUseRule) -> Result<TokenUse> {
    let found = match claims.token_use.as_deref() {
        Some("access") => Some(TokenUse::Access),
        Some("id") => Some(TokenUse::Id),
        _ => None,
    };
    let expected = match rule {
        TokenUseRule::Only(use_) => use_.as_str(),
        TokenUseRule::Any => "access or id",
    };
    match (found, rule) {
        (Some(found), TokenUseRule::Any) => Ok(found),
        (Some(found), TokenUseRule::Only(wanted)) if found == wanted => Ok(found),
        _ => Err(Error::InvalidTokenUse {
            expected: expected.to_owned(),
            found: echo_opt(claims.token_use.as_deref()),
        }),
    }
}

fn check_client(
    claims: &RegisteredClaims<'_>,
    token_use: TokenUse,
    rule: &ClientRule,
) -> Result<()> {
    let ClientRule::Allow(allowed) = rule else {
        return Ok(());
    };
    let expected = || allowed.join(", ");
    let client = match token_use {
        TokenUse::Access => claims.client_id.as_deref(),
        TokenUse::Id => match &claims.aud {
            Some(Audience::One(aud)) => Some(aud.as_ref()),
            Some(Audience::Many(list)) => {
                return Err(Error::InvalidClient {
                    expected: expected(),
                    found: format!(
                        "an aud array of {} values (a Cognito ID token names exactly one client)",
                        list.len()
                    ),
                });
            }
            None => None,
        },
    };
    match client {
        Some(client) if allowed.iter().any(|id| id == client) => Ok(()),
        Some(client) => Err(Error::InvalidClient {
            expected: expected(),
            found: echo(client),
        }),
        None => Err(Error::InvalidClient {
            expected: expected(),
            found: match token_use {
                TokenUse::Access => "no client_id claim".to_owned(),
                TokenUse::Id => "no aud claim".to_owned(),
            },
        }),
    }
}

fn check_audience(claims: &RegisteredClaims<'_>, rule: &ClientRule) -> Result<()> {
    let ClientRule::Allow(allowed) = rule else {
        return Ok(());
    };
    let Some(aud) = &claims.aud else {
        return Err(Error::InvalidAudience {
            expected: allowed.join(", "),
            found: "none".to_owned(),
        });
    };
    if aud.iter().any(|value| allowed.iter().any(|id| id == value)) {
        return Ok(());
    }
    let found = match aud {
        Audience::One(value) => echo(value),
        Audience::Many(values) => {
            let first: Vec<_> = values.iter().take(3).map(|value| echo(value)).collect();
            format!(
                "[{}{}]",
                first.join(", "),
                if values.len() > 3 { ", …" } else { "" }
            )
        }
    };
    Err(Error::InvalidAudience {
        expected: allowed.join(", "),
        found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: Option<i64>, nbf: Option<i64>) -> RegisteredClaims<'static> {
        RegisteredClaims {
            exp,
            nbf,
            ..RegisteredClaims::default()
        }
    }

    #[test]
    fn time_boundaries_follow_rfc_7519() {
        assert!(check_time(&claims(Some(101), None), 100, 0).is_ok());
        assert_eq!(
            check_time(&claims(Some(100), None), 100, 0)
                .unwrap_err()
                .kind(),
            "expired",
            "at exp the token has expired"
        );
        assert!(check_time(&claims(Some(100), None), 100, 1).is_ok());
        assert!(check_time(&claims(Some(100), None), 101, 1).is_err());
        assert_eq!(
            check_time(&claims(None, None), 0, 0).unwrap_err().kind(),
            "missing_claim"
        );
        assert!(check_time(&claims(Some(200), Some(100)), 100, 0).is_ok());
        assert_eq!(
            check_time(&claims(Some(200), Some(100)), 99, 0)
                .unwrap_err()
                .kind(),
            "not_yet_valid"
        );
        assert!(check_time(&claims(Some(200), Some(100)), 99, 1).is_ok());
        assert!(check_time(&claims(Some(i64::MAX), Some(i64::MIN)), 0, u64::MAX).is_ok());
    }

    /// The typed access claims built from where the checks found them are
    /// exactly what a parse of the payload gives, and are used only where
    /// they can be.
    #[test]
    fn laid_out_access_claims_are_the_parsed_ones() {
        use crate::claims::{Parts, VerifiedToken};
        let base = r#""sub":"5e1f-aa","iss":"https://issuer","client_id":"app","token_use":"access","exp":2000000000"#;
        // (extra claims, whether the payload's own layout is used)
        let cases = [
            (
                r#","iat":1,"auth_time":1,"jti":"j","origin_jti":"o","event_id":"e","version":2,"scope":"openid  a/b openid","cognito:groups":["admin","ops","admin"],"username":"alice""#,
                true,
            ),
            ("", true),
            (r#","device_key":"us-east-1_d","exp2":null"#, false),
            (
                r#","device_key":"us-east-1_d","iat":1.5,"auth_time":7.9"#,
                true,
            ),
            (r#","username":"al\u0069ce""#, false),
            (r#","jti":"j\u0031","s\u0063ope":"a""#, true),
            (r#","custom:tenant":"acme""#, false),
            (r#","nbf":1"#, false),
            (r#","aud":"app""#, false),
            (r#","cognito:username":"alice""#, false),
            (r#","version":"2""#, false),
            (r#","version":2.5"#, false),
            (r#","version":18446744073709551615"#, false),
            (r#","event_id":5"#, false),
            (r#","event_id":null"#, false),
            (r#","event_id":"a","event_id":"b""#, false),
            (r#","device_key":{"a":1}"#, false),
            (r#","cognito:groups":["a","b","c","d"]"#, true),
            (r#","cognito:groups":["a","b","c","d","e"]"#, false),
            (r#","cognito:groups":[]"#, true),
            // Escapes where the fast way needs a slice of the payload.
            (r#","event_id":"\u0065""#, false),
            (r#","device_key":"a\/b""#, false),
            (r#","cognito:groups":["a","\u00e9"]"#, false),
            (r#","scope":"a\tb""#, false),
            // Escapes where the verified token keeps its own copy.
            (r#","origin_jti":"\u006f""#, true),
            // Numbers as JSON writes them.
            (r#","version":-5"#, true),
            (r#","version":-0"#, false),
            (r#","version":1e3"#, false),
            (r#","version":null"#, false),
            (r#","version":2,"version":2"#, false),
            (r#","iat":1e3,"auth_time":-1.5"#, true),
            (r#","iat":-0,"auth_time":1e300"#, true),
            (r#","auth_time":18446744073709551615"#, true),
            // Empty and multibyte strings.
            (r#","username":"","scope":"","event_id":"""#, true),
            (
                r#","username":"ünïcødé ✓","cognito:groups":["группа","グループ"]"#,
                true,
            ),
        ];
        for (extra, laid_out) in cases {
            let payload = format!("{{{base}{extra}}}");
            let verified = |use_layout: bool| {
                let claims = crate::token::claims(&payload).unwrap();
                let layout = access_layout(&claims, &payload);
                assert_eq!(layout.is_some(), laid_out, "{payload}");
                VerifiedToken::new(Parts {
                    issuer: claims.iss.as_deref().unwrap().into(),
                    kid: "k".into(),
                    token_use: Some(TokenUse::Access),
                    expires_at: claims.exp.unwrap(),
                    ids: kept_ids(&claims, &payload),
                    payload: payload.clone(),
                    access_layout: layout.filter(|_| use_layout),
                })
            };
            let (fast, parsed) = (verified(true), verified(false));
            match (fast.try_access(), parsed.try_access()) {
                (Ok(fast_claims), Ok(parsed_claims)) => {
                    assert_eq!(fast_claims, parsed_claims, "{payload}");
                }
                (Err(fast_err), Err(parsed_err)) => {
                    assert_eq!(fast_err.to_string(), parsed_err.to_string(), "{payload}");
                }
                (fast_claims, parsed_claims) => {
                    panic!("{payload}: {fast_claims:?} vs {parsed_claims:?}")
                }
            }
            assert_eq!(fast.scopes(), parsed.scopes(), "{payload}");
            assert_eq!(fast.groups(), parsed.groups(), "{payload}");
            assert_eq!(fast.sub(), Some("5e1f-aa"));
            assert_eq!(fast.jti(), parsed.jti());
        }
        // Without `sub` the layout gives nothing and the parse says why.
        let payload = r#"{"iss":"i","client_id":"app","token_use":"access","exp":2}"#;
        let claims = crate::token::claims(payload).unwrap();
        let verified = VerifiedToken::new(Parts {
            issuer: "i".into(),
            kid: "k".into(),
            token_use: Some(TokenUse::Access),
            expires_at: 2,
            ids: kept_ids(&claims, payload),
            payload: payload.to_owned(),
            access_layout: access_layout(&claims, payload),
        });
        let err = verified.try_access().unwrap_err();
        assert!(err.to_string().contains("sub"), "{err}");
    }
}
