//! Set-up shared by the axum and actix-web examples: configuration from the
//! environment, or the built-in testing pool when none is given, and the
//! routes of each example.

// Each example uses one of these; the other is compiled but unused.
#[cfg(feature = "actix")]
#[allow(dead_code)]
pub mod actix_routes;
#[cfg(feature = "axum")]
#[allow(dead_code)]
pub mod axum_routes;

use std::env;

use cognito_auth::revocation::RevocationList;
use cognito_auth::testing::MockPool;
use cognito_auth::web::{Claim, StaticRequirement};
use cognito_auth::{CognitoPool, Requirement, Verifier, VerifierBuilder};

/// The scope `/reports` requires.
pub const REPORTS_SCOPE: &str = "api/reports.read";
/// The group `/admin` requires.
pub const ADMIN_GROUP: &str = "admin";

/// Tokens carrying the reports scope (a typed guard).
pub struct ReportReaders;

impl StaticRequirement for ReportReaders {
    const CLAIM: Claim = Claim::Scopes;
    fn requirement() -> Requirement {
        Requirement::any_of([REPORTS_SCOPE])
    }
}

/// What the example runs with.
pub struct Setup {
    /// Verifies access and ID tokens of the configured app clients.
    pub verifier: Verifier,
    /// The revocation list the verifier checks and `POST /logout` writes:
    /// on the Redis of `COGNITO_REDIS_URL`, or in memory.
    pub revocations: RevocationList,
    /// The testing pool, when no configuration was given (kept alive).
    pub pool: Option<MockPool>,
}

/// The port from `PORT`, or the example's default.
pub fn port(default: u16) -> u16 {
    match env::var("PORT") {
        Ok(text) => text.parse().unwrap_or_else(|_| {
            eprintln!("PORT must be a number, not {text:?}");
            std::process::exit(2)
        }),
        Err(_) => default,
    }
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.trim().is_empty())
}

/// The revocation list: on the Redis of `COGNITO_REDIS_URL` when it is set
/// (every instance pointed at it sees every sign-out), else in memory.
fn revocations() -> RevocationList {
    let list = match var("COGNITO_REDIS_URL") {
        Some(url) => redis_list(&url),
        None => RevocationList::in_memory(),
    };
    list.unwrap_or_else(|err| fail(&err.to_string()))
}

#[cfg(feature = "redis")]
fn redis_list(url: &str) -> Result<RevocationList, cognito_auth::Error> {
    use cognito_auth::redis::Redis;
    use cognito_auth::revocation::RedisStore;
    let redis = Redis::open(url)?;
    println!("revocation list on {}", redis.prefix());
    RevocationList::builder(RedisStore::new(redis)).start()
}

#[cfg(not(feature = "redis"))]
fn redis_list(_url: &str) -> Result<RevocationList, cognito_auth::Error> {
    fail("COGNITO_REDIS_URL is set, but this example was built without the `redis` feature")
}

/// The verifier with the revocation list.
fn build(builder: VerifierBuilder, revocations: &RevocationList) -> Verifier {
    builder
        .revocation_list(revocations.clone())
        .build()
        .unwrap_or_else(|err| fail(&err.to_string()))
}

/// Reads `COGNITO_USER_POOL_ID` / `COGNITO_ISSUER`, `COGNITO_CLIENT_ID`
/// (comma separated), `COGNITO_JWKS_URI` and `COGNITO_REDIS_URL`; with
/// none of the first four set, starts the testing pool.
pub async fn setup() -> Setup {
    let revocations = revocations();
    let pool_id = var("COGNITO_USER_POOL_ID");
    let issuer = var("COGNITO_ISSUER");
    let client_ids = var("COGNITO_CLIENT_ID");
    let jwks_uri = var("COGNITO_JWKS_URI");
    if pool_id.is_none() && issuer.is_none() && client_ids.is_none() && jwks_uri.is_none() {
        return testing_setup(revocations).await;
    }
    let mut pool = match (pool_id, issuer) {
        (Some(pool_id), Some(issuer)) => CognitoPool::new(pool_id).issuer(issuer),
        (Some(pool_id), None) => CognitoPool::new(pool_id),
        (None, Some(issuer)) => CognitoPool::from_issuer(issuer),
        (None, None) => fail("set COGNITO_USER_POOL_ID or COGNITO_ISSUER"),
    };
    if let Some(url) = jwks_uri {
        pool = pool.jwks_uri(url);
    }
    let Some(client_ids) = client_ids else {
        fail("set COGNITO_CLIENT_ID (comma-separated app client ids)")
    };
    let ids: Vec<String> = client_ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    let verifier = build(
        Verifier::builder().cognito(pool.any_token_use().client_ids(ids)),
        &revocations,
    );
    for issuer in verifier.issuers() {
        println!("accepting tokens from {issuer}");
    }
    Setup {
        verifier,
        revocations,
        pool: None,
    }
}

async fn testing_setup(revocations: RevocationList) -> Setup {
    let pool = MockPool::start()
        .await
        .unwrap_or_else(|err| fail(&err.to_string()));
    let verifier = build(
        Verifier::builder().cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        ),
        &revocations,
    );
    println!("No COGNITO_* configuration: using the built-in testing pool.");
    println!("testing pool issuer: {}", pool.issuer());
    Setup {
        verifier,
        revocations,
        pool: Some(pool),
    }
}

/// Prints sample tokens and curl commands for the testing pool.
pub fn print_samples(pool: &MockPool, base: &str) {
    let sign = |builder: cognito_auth::testing::TokenBuilder| {
        builder.sign().unwrap_or_else(|err| fail(&err.to_string()))
    };
    let admin = sign(
        pool.access_token()
            .username("alice")
            .groups([ADMIN_GROUP])
            .scopes([REPORTS_SCOPE]),
    );
    let user = sign(pool.access_token().username("bob"));
    let id = sign(pool.id_token().username("alice").email("alice@example.com"));
    println!();
    println!("# access token: user alice, group {ADMIN_GROUP}, scope {REPORTS_SCOPE}");
    println!("export ADMIN_TOKEN='{admin}'");
    println!("# access token: user bob, no groups");
    println!("export USER_TOKEN='{user}'");
    println!("# ID token: user alice");
    println!("export ID_TOKEN='{id}'");
    println!();
    println!("curl -i {base}/health");
    println!("curl -i -H \"Authorization: Bearer $ADMIN_TOKEN\" {base}/me");
    println!("curl -i -H \"Authorization: Bearer $ADMIN_TOKEN\" {base}/admin");
    println!("curl -i -H \"Authorization: Bearer $USER_TOKEN\" {base}/admin    # 403");
    println!("curl -i -H \"Authorization: Bearer $ADMIN_TOKEN\" {base}/reports");
    println!("curl -i -H \"Authorization: Bearer $ID_TOKEN\" {base}/profile");
    println!("curl -i -H \"Authorization: Bearer $ADMIN_TOKEN\" {base}/profile  # 401");
    println!("curl -i {base}/whoami");
    println!("curl -i -H \"Authorization: Bearer $USER_TOKEN\" {base}/whoami");
    println!("curl -i -X POST -H \"Authorization: Bearer $USER_TOKEN\" {base}/logout  # 204");
    println!("curl -i -H \"Authorization: Bearer $USER_TOKEN\" {base}/me      # 401 revoked");
    println!();
}

/// The answer of `POST /logout`: the caller's session is revoked on every
/// instance (204), or the list could not record it (503: never a success
/// that did not happen).
pub async fn logout(
    revocations: &RevocationList,
    token: &cognito_auth::VerifiedToken,
) -> Result<(), String> {
    revocations
        .revoke_session_of(token)
        .await
        .map(drop)
        .map_err(|err| {
            eprintln!("logout failed: {err}");
            err.public_message().to_owned()
        })
}

/// Prints the message and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}
