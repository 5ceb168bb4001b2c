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
use cognito_auth::session::{SignIn, SignInBuilder};
use cognito_auth::testing::{MockPool, MockUser};
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
    /// Browser sign-in, when a managed-login domain is known (always with
    /// the testing pool; `COGNITO_DOMAIN` otherwise).
    pub sign_in: Option<SignIn>,
    /// The testing pool, when no configuration was given (kept alive).
    pub pool: Option<MockPool>,
}

/// The demo users of the testing pool: (user name, password, groups).
pub const DEMO_USERS: [(&str, &str, &[&str]); 2] = [
    ("alice", "Alice#Passw0rd", &[ADMIN_GROUP]),
    ("bob", "Bob#Passw0rd", &[]),
];

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

/// Where the example keeps what it shares with other instances: on the
/// Redis of `COGNITO_REDIS_URL` (the revocation list and the sessions),
/// else in memory.
struct Stores {
    revocations: RevocationList,
    sessions: Box<dyn FnOnce(SignInBuilder) -> SignInBuilder>,
}

fn stores() -> Stores {
    match var("COGNITO_REDIS_URL") {
        Some(url) => redis_stores(&url),
        None => Stores {
            revocations: RevocationList::in_memory().unwrap_or_else(|err| fail(&err.to_string())),
            sessions: Box::new(|builder| builder),
        },
    }
}

#[cfg(feature = "redis")]
fn redis_stores(url: &str) -> Stores {
    use cognito_auth::redis::Redis;
    use cognito_auth::revocation::RedisStore;
    use cognito_auth::session::RedisSessionStore;
    let redis = Redis::open(url).unwrap_or_else(|err| fail(&err.to_string()));
    println!(
        "revocation list and sessions on Redis (prefix {})",
        redis.prefix()
    );
    let revocations = RevocationList::builder(RedisStore::new(redis.clone()))
        .start()
        .unwrap_or_else(|err| fail(&err.to_string()));
    Stores {
        revocations,
        sessions: Box::new(move |builder| builder.store(RedisSessionStore::new(redis))),
    }
}

#[cfg(not(feature = "redis"))]
fn redis_stores(_url: &str) -> Stores {
    fail("COGNITO_REDIS_URL is set, but this example was built without the `redis` feature")
}

/// The verifier with the revocation list.
fn build(builder: VerifierBuilder, revocations: &RevocationList) -> Verifier {
    builder
        .revocation_list(revocations.clone())
        .build()
        .unwrap_or_else(|err| fail(&err.to_string()))
}

/// The example's start: sets it up for the address it listens on and, on
/// the testing pool, prints sample tokens and the browser sign-in hint.
pub async fn start(address: std::io::Result<std::net::SocketAddr>) -> (String, Setup) {
    let address = address.unwrap_or_else(|err| fail(&err.to_string()));
    let base = format!("http://{address}");
    let setup = setup(&base).await;
    if let Some(pool) = &setup.pool {
        print_samples(pool, &base);
        print_browser_hint(&base);
    }
    (base, setup)
}

/// Reads `COGNITO_USER_POOL_ID` / `COGNITO_ISSUER`, `COGNITO_CLIENT_ID`
/// (comma separated), `COGNITO_JWKS_URI`, `COGNITO_DOMAIN`,
/// `COGNITO_CLIENT_SECRET`, `APP_URL` and `COGNITO_REDIS_URL`; with none of
/// the first four set, starts the testing pool. `base` is where the example
/// listens (the app URL of the testing pool's sign-in).
pub async fn setup(base: &str) -> Setup {
    let stores = stores();
    let pool_id = var("COGNITO_USER_POOL_ID");
    let issuer = var("COGNITO_ISSUER");
    let client_ids = var("COGNITO_CLIENT_ID");
    let jwks_uri = var("COGNITO_JWKS_URI");
    if pool_id.is_none() && issuer.is_none() && client_ids.is_none() && jwks_uri.is_none() {
        return testing_setup(stores, base).await;
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
        Verifier::builder().cognito(pool.any_token_use().client_ids(ids.clone())),
        &stores.revocations,
    );
    for issuer in verifier.issuers() {
        println!("accepting tokens from {issuer}");
    }
    let sign_in = var("COGNITO_DOMAIN").map(|domain| {
        let app_url = var("APP_URL").unwrap_or_else(|| base.to_owned());
        let mut builder = SignIn::builder(verifier.clone())
            .domain(domain)
            .client_id(ids.first().cloned().unwrap_or_default())
            .app_url(&app_url)
            .revocation_list(stores.revocations.clone());
        if let Some(secret) = var("COGNITO_CLIENT_SECRET") {
            builder = builder.client_secret(secret);
        }
        println!("browser sign-in: callback {app_url}/auth/callback");
        (stores.sessions)(builder)
            .build()
            .unwrap_or_else(|err| fail(&err.to_string()))
    });
    Setup {
        verifier,
        revocations: stores.revocations,
        sign_in,
        pool: None,
    }
}

async fn testing_setup(stores: Stores, base: &str) -> Setup {
    let pool = MockPool::start()
        .await
        .unwrap_or_else(|err| fail(&err.to_string()));
    if let Some(seconds) = var("COGNITO_TESTING_TOKEN_LIFETIME") {
        let seconds: u64 = seconds
            .parse()
            .unwrap_or_else(|_| fail("COGNITO_TESTING_TOKEN_LIFETIME must be whole seconds"));
        pool.set_token_lifetime(std::time::Duration::from_secs(seconds));
    }
    for (username, password, groups) in DEMO_USERS {
        pool.add_user(MockUser::new(username, password).groups(groups.iter().copied()));
    }
    pool.allow_callback(format!("{base}/auth/callback"));
    pool.allow_logout_url(format!("{base}/"));
    let verifier = build(
        Verifier::builder().cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        ),
        &stores.revocations,
    );
    let sign_in = (stores.sessions)(
        SignIn::builder(verifier.clone())
            .domain(pool.domain())
            .client_id(pool.client_id())
            .app_url(base)
            .revocation_list(stores.revocations.clone()),
    )
    .build()
    .unwrap_or_else(|err| fail(&err.to_string()));
    println!("No COGNITO_* configuration: using the built-in testing pool.");
    println!("testing pool issuer: {}", pool.issuer());
    Setup {
        verifier,
        revocations: stores.revocations,
        sign_in: Some(sign_in),
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

/// Prints how to sign in with a browser on the testing pool.
pub fn print_browser_hint(base: &str) {
    println!("# browser sign-in: open {base}/ and sign in as alice / Alice#Passw0rd (group admin)");
    println!("# or bob / Bob#Passw0rd (no groups); {base}/app/admin is for the admin group");
}

/// The start page: who is signed in, with a sign-out button, or a link to
/// sign in.
pub fn home_page(user: Option<&cognito_auth::IdClaims>) -> String {
    let body = match user {
        Some(claims) => format!(
            "<p id=\"user\">Signed in as {}</p>\
             <form method=\"post\" action=\"/logout\"><button type=\"submit\" id=\"sign-out\">Sign out</button></form>\
             <p><a href=\"/app/admin\">Admin page</a></p>",
            escape(claims.username.as_deref().unwrap_or(&claims.sub))
        ),
        None => "<p id=\"user\">Signed out</p><p><a id=\"sign-in\" href=\"/login\">Sign in</a></p>"
            .to_owned(),
    };
    page("cognito-auth example", &body)
}

/// The admin page (group `admin`), or the page refusing others.
pub fn admin_page(claims: &cognito_auth::IdClaims) -> (u16, String) {
    let name = escape(claims.username.as_deref().unwrap_or(&claims.sub));
    if claims.in_group(ADMIN_GROUP) {
        (
            200,
            page(
                "Admin",
                &format!(
                    "<h1>Admin</h1><p id=\"admin\">Welcome, {name}: you are in the admin group.</p>"
                ),
            ),
        )
    } else {
        (
            403,
            page(
                "Forbidden",
                &format!(
                    "<h1>Forbidden</h1><p id=\"forbidden\">{name} is not in the admin group.</p>"
                ),
            ),
        )
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>{body}</body></html>"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Prints the message and exits with status 2.
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}
