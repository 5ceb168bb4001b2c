//! The gate before any timing: a server must accept a valid token (200,
//! with that token's `sub` in the body) and refuse bad ones with 401.
//! `open` must answer 200 with and without a token.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;

use crate::servers::Which;
use crate::{Result, tokens};

/// How long a server may take to have its keys (tower-oauth2 fetches them
/// in the background after start-up).
const READY_WITHIN: Duration = Duration::from_secs(15);

pub async fn run(
    which: Which,
    url: &str,
    tokens_file: &str,
    unknown_kids_file: Option<&str>,
) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let get = |authorization: Option<String>| {
        let client = client.clone();
        async move {
            let mut request = client.get(url);
            if let Some(value) = authorization {
                request = request.header(AUTHORIZATION, value);
            }
            let response = request.send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.text().await?))
        }
    };
    let valid = tokens::read(tokens_file)?.swap_remove(0);
    let bearer = |token: &str| Some(format!("Bearer {token}"));

    // 1. the valid token, until the server has its keys.
    let deadline = tokio::time::Instant::now() + READY_WITHIN;
    let (status, body) = loop {
        let (status, body) = get(bearer(&valid)).await?;
        if status == StatusCode::OK || tokio::time::Instant::now() >= deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if status != StatusCode::OK {
        return Err(format!(
            "{}: a valid token was answered {status}: {body}",
            which.name()
        )
        .into());
    }
    let answered: serde_json::Value = serde_json::from_str(&body)
        .map_err(|error| format!("{}: the body is not JSON ({error}): {body}", which.name()))?;
    if which != Which::Open {
        let expected = tokens::subject(&valid)?;
        if answered["sub"] != expected.as_str() {
            return Err(format!(
                "{}: a valid token was answered {body}, not its sub {expected}",
                which.name()
            )
            .into());
        }
    }

    // 2. the bad ones.
    let mut bad = vec![
        (
            "a changed signature",
            bearer(&tokens::with_bad_signature(&valid)?),
        ),
        ("alg none", bearer(&tokens::with_alg_none(&valid)?)),
        ("no token", None),
        ("not a JWT", bearer("not-a-jwt")),
    ];
    if let Some(file) = unknown_kids_file {
        bad.push((
            "an unknown kid",
            bearer(&tokens::read(file)?.swap_remove(0)),
        ));
    }
    let expected = if which == Which::Open {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    let mut wrong = Vec::new();
    for (label, authorization) in &bad {
        let (status, body) = get(authorization.clone()).await?;
        if status != expected {
            wrong.push(format!("{label}: {status} {body}"));
        }
    }
    if !wrong.is_empty() {
        return Err(format!(
            "{}: expected {expected} for every bad token, got {}",
            which.name(),
            wrong.join("; ")
        )
        .into());
    }
    let labels: Vec<_> = bad.iter().map(|(label, _)| *label).collect();
    println!(
        "check {}: a valid token answered 200 {body}; {} answered {expected}",
        which.name(),
        labels.join(", ")
    );
    Ok(())
}

/// How a server was started wrong on purpose, for [`status`].
#[derive(Debug, Clone, Copy)]
pub enum Misconfigured {
    /// `COGNITO_ISSUER` names another issuer.
    OtherIssuer,
    /// `COGNITO_CLIENT_ID` names another app client.
    OtherClient,
}

impl std::str::FromStr for Misconfigured {
    type Err = String;

    fn from_str(name: &str) -> std::result::Result<Self, String> {
        match name {
            "other-issuer" => Ok(Misconfigured::OtherIssuer),
            "other-client" => Ok(Misconfigured::OtherClient),
            _ => Err(format!("{name:?}: other-issuer or other-client")),
        }
    }
}

/// Sends a valid token to a server started for another issuer or client
/// and fails unless the answer is the status its [`Checks`] row says: the
/// table's claims about `iss` and `client_id`, observed.
///
/// [`Checks`]: crate::servers::Checks
pub async fn status(
    which: Which,
    misconfigured: Misconfigured,
    url: &str,
    tokens_file: &str,
) -> Result<()> {
    let checks = which.checks().ok_or("open checks nothing")?;
    let (what, expected) = match misconfigured {
        Misconfigured::OtherIssuer => ("another issuer", checks.other_issuer),
        Misconfigured::OtherClient => ("another app client", checks.other_client),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let valid = tokens::read(tokens_file)?.swap_remove(0);
    // A 401 may only mean that the keys are not there yet: ask again for
    // a second before taking it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    let status = loop {
        let status = client
            .get(url)
            .bearer_auth(&valid)
            .send()
            .await?
            .status()
            .as_u16();
        if status != 401 || tokio::time::Instant::now() >= deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    if status != expected {
        return Err(format!(
            "{} configured for {what}: a valid token answered {status}, the checks table says {expected}",
            which.name()
        )
        .into());
    }
    println!(
        "{} configured for {what}: a valid token answered {status}",
        which.name()
    );
    Ok(())
}
