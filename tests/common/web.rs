//! The HTTP contract of the web integration, as a table both frameworks
//! (and the example processes) are run against.
#![allow(dead_code)]

use cognito_auth::Algorithm;
use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::web::Authenticator;
use serde_json::Value;

/// The realm every app in the tests uses (the default).
pub const REALM: &str = "api";

/// The authenticator of the test apps: both token uses, the pool's client.
pub fn authenticator(pool: &MockPool) -> Authenticator {
    Authenticator::new(super::any_use_verifier(pool))
}

/// One request and what must come back.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub path: &'static str,
    pub authorization: Option<String>,
    pub status: u16,
    /// The exact `WWW-Authenticate`, or `None` when there must be none.
    pub www_authenticate: Expect,
    /// The `error` of the JSON body, for refusals.
    pub error: Option<&'static str>,
    /// Text the `error_description` must contain.
    pub description: Option<&'static str>,
    /// JSON fields the body must have (for successes).
    pub json: Vec<(&'static str, Value)>,
}

/// What a header must be.
#[derive(Debug, Clone)]
pub enum Expect {
    Absent,
    Exactly(String),
    StartsWith(String),
    Any,
}

/// An answer, whatever the transport.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

/// The tokens the table uses.
pub struct Tokens {
    pub admin: String,
    pub user: String,
    pub id: String,
}

impl Tokens {
    /// Minted by the test's own pool.
    pub fn mint(pool: &MockPool) -> Self {
        Tokens {
            admin: pool
                .access_token()
                .username("alice")
                .groups(["admin"])
                .scopes(["api/reports.read"])
                .sign()
                .unwrap(),
            user: pool.access_token().username("bob").sign().unwrap(),
            id: pool
                .id_token()
                .username("alice")
                .email("alice@example.com")
                .sign()
                .unwrap(),
        }
    }
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

fn refusal(
    name: &str,
    path: &'static str,
    authorization: Option<String>,
    status: u16,
    www: Expect,
    error: &'static str,
) -> Case {
    Case {
        name: name.to_owned(),
        path,
        authorization,
        status,
        www_authenticate: www,
        error: Some(error),
        description: None,
        json: Vec::new(),
    }
}

fn success(
    name: &str,
    path: &'static str,
    authorization: Option<String>,
    json: Vec<(&'static str, Value)>,
) -> Case {
    Case {
        name: name.to_owned(),
        path,
        authorization,
        status: 200,
        www_authenticate: Expect::Absent,
        error: None,
        description: None,
        json,
    }
}

fn invalid_token() -> Expect {
    Expect::StartsWith(format!(
        "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\""
    ))
}

/// The rows that need only the three sample tokens (they also run against
/// an example started on its own testing pool).
pub fn sample_cases(tokens: &Tokens) -> Vec<Case> {
    let challenge = Expect::Exactly(format!("Bearer realm=\"{REALM}\""));
    vec![
        Case {
            name: "health needs no token".into(),
            path: "/health",
            authorization: None,
            status: 200,
            www_authenticate: Expect::Absent,
            error: None,
            description: None,
            json: Vec::new(),
        },
        refusal(
            "no token",
            "/me",
            None,
            401,
            challenge.clone(),
            "missing_token",
        ),
        refusal(
            "another scheme",
            "/me",
            Some("Basic dXNlcjpwYXNz".into()),
            401,
            challenge,
            "missing_token",
        ),
        refusal(
            "empty bearer",
            "/me",
            Some("Bearer".into()),
            400,
            Expect::StartsWith(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_request\", error_description=\""
            )),
            "invalid_request",
        ),
        refusal(
            "spaces inside the bearer value",
            "/me",
            Some(format!("Bearer {} extra", tokens.user)),
            400,
            Expect::StartsWith(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_request\", error_description=\""
            )),
            "invalid_request",
        ),
        refusal(
            "garbage token",
            "/me",
            bearer("not.a.token"),
            401,
            invalid_token(),
            "invalid_token",
        ),
        success(
            "me with an access token",
            "/me",
            bearer(&tokens.admin),
            vec![
                ("username", "alice".into()),
                ("groups", serde_json::json!(["admin"])),
                ("scopes", serde_json::json!(["api/reports.read"])),
            ],
        ),
        success(
            "scheme is case-insensitive",
            "/me",
            Some(format!("bEaReR {}", tokens.user)),
            vec![("username", "bob".into())],
        ),
        Case {
            description: Some("not of the accepted kind (access or ID token)"),
            ..refusal(
                "ID token at /me",
                "/me",
                bearer(&tokens.id),
                401,
                invalid_token(),
                "invalid_token",
            )
        },
        success(
            "admin at /admin",
            "/admin",
            bearer(&tokens.admin),
            vec![("admin", true.into())],
        ),
        refusal(
            "user at /admin (missing group)",
            "/admin",
            bearer(&tokens.user),
            403,
            Expect::StartsWith(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\""
            )),
            "insufficient_scope",
        ),
        success(
            "admin at /reports",
            "/reports",
            bearer(&tokens.admin),
            vec![],
        ),
        refusal(
            "user at /reports (missing scope)",
            "/reports",
            bearer(&tokens.user),
            403,
            Expect::Exactly(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"api/reports.read\""
            )),
            "insufficient_scope",
        ),
        success(
            "ID token at /profile",
            "/profile",
            bearer(&tokens.id),
            vec![("email", "alice@example.com".into())],
        ),
        refusal(
            "access token at /profile",
            "/profile",
            bearer(&tokens.admin),
            401,
            invalid_token(),
            "invalid_token",
        ),
        success(
            "whoami anonymous",
            "/whoami",
            None,
            vec![("sub", Value::Null)],
        ),
        refusal(
            "whoami with an invalid token",
            "/whoami",
            bearer("x.y.z"),
            401,
            invalid_token(),
            "invalid_token",
        ),
        Case {
            name: "unknown path without a token".into(),
            path: "/nope",
            authorization: None,
            status: 404,
            www_authenticate: Expect::Absent,
            error: None,
            description: None,
            json: Vec::new(),
        },
        Case {
            name: "unknown path with a token".into(),
            path: "/nope",
            authorization: bearer(&tokens.admin),
            status: 404,
            www_authenticate: Expect::Absent,
            error: None,
            description: None,
            json: Vec::new(),
        },
    ]
}

/// Every row, with tokens the test mints itself.
pub fn all_cases(pool: &MockPool, tokens: &Tokens) -> Vec<Case> {
    let mut cases = sample_cases(tokens);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let other_pool_key = SigningKey::generate(Algorithm::RS256).unwrap();
    let user_sub = pool.access_token().username("bob").claims()["sub"].clone();
    for (name, token, fragment) in [
        (
            "expired token",
            pool.access_token().expires_at(now - 60).sign().unwrap(),
            "expired",
        ),
        (
            "token of another pool",
            pool.access_token()
                .signed_by(&other_pool_key)
                .sign()
                .unwrap(),
            "signing key is not known",
        ),
        (
            "token of another client",
            pool.access_token()
                .client_id("someone-else")
                .sign()
                .unwrap(),
            "client",
        ),
        (
            "tampered token",
            {
                let token = pool.access_token().sign().unwrap();
                let (rest, _) = token.rsplit_once('.').unwrap();
                let other = pool.access_token().username("mallory").sign().unwrap();
                format!("{rest}.{}", other.rsplit('.').next().unwrap())
            },
            "signature",
        ),
    ] {
        let mut case = refusal(
            name,
            "/me",
            bearer(&token),
            401,
            invalid_token(),
            "invalid_token",
        );
        case.www_authenticate = Expect::StartsWith(format!(
            "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\""
        ));
        case.description = Some(fragment);
        cases.push(case);
    }
    cases.push(success(
        "whoami with a token",
        "/whoami",
        bearer(&tokens.user),
        vec![("sub", user_sub)],
    ));
    cases
}

/// The row for an IdP that is down (run against an app on a failing pool).
pub fn unavailable_case(token: &str) -> Case {
    Case {
        name: "keys cannot be had".into(),
        path: "/me",
        authorization: bearer(token),
        status: 503,
        www_authenticate: Expect::Absent,
        error: Some("temporarily_unavailable"),
        description: Some("signing keys cannot be had"),
        json: Vec::new(),
    }
}

/// Compares an answer with the row; the panic names the row.
pub fn check(case: &Case, answer: &Answer) {
    let name = &case.name;
    assert_eq!(answer.status, case.status, "{name}: {answer:?}");
    match &case.www_authenticate {
        Expect::Absent => assert_eq!(answer.www_authenticate, None, "{name}"),
        Expect::Exactly(value) => {
            assert_eq!(
                answer.www_authenticate.as_deref(),
                Some(value.as_str()),
                "{name}"
            )
        }
        Expect::StartsWith(prefix) => {
            let value = answer.www_authenticate.as_deref().unwrap_or_default();
            assert!(value.starts_with(prefix.as_str()), "{name}: {value:?}");
            assert!(value.ends_with('"'), "{name}: {value:?}");
        }
        Expect::Any => {}
    }
    if case.status == 503 {
        assert_eq!(answer.retry_after.as_deref(), Some("5"), "{name}");
    }
    if let Some(error) = case.error {
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/json"),
            "{name}"
        );
        let body: Value = serde_json::from_str(&answer.body)
            .unwrap_or_else(|err| panic!("{name}: body is not JSON ({err}): {}", answer.body));
        assert_eq!(body["error"], error, "{name}: {body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{name}: {body}");
        if let Some(fragment) = case.description {
            assert!(description.contains(fragment), "{name}: {description:?}");
        }
        if let Some(authorization) = &case.authorization {
            let token = authorization.split(' ').nth(1).unwrap_or_default();
            if token.len() > 20 {
                assert!(
                    !answer.body.contains(token),
                    "{name}: body echoes the token"
                );
                let header = answer.www_authenticate.as_deref().unwrap_or_default();
                assert!(!header.contains(token), "{name}: header echoes the token");
            }
        }
    }
    if case.path == "/health" {
        assert_eq!(answer.body, "ok", "{name}");
    }
    if !case.json.is_empty() {
        let body: Value = serde_json::from_str(&answer.body)
            .unwrap_or_else(|err| panic!("{name}: body is not JSON ({err}): {}", answer.body));
        for (field, value) in &case.json {
            assert_eq!(&body[field], value, "{name}: {field} in {body}");
        }
    }
}

/// A revocation list of the test's own (in memory), for the example apps.
pub fn in_memory() -> cognito_auth::revocation::RevocationList {
    cognito_auth::revocation::RevocationList::in_memory().unwrap()
}
