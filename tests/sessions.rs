//! Browser sign-in over HTTP, against the axum example's routes served on
//! loopback and the testing pool's managed login: the redirect and its
//! parameters, the callback's checks, cookie attributes, session ids,
//! refresh (one for concurrent requests), sign-out, open redirects, CSRF,
//! and sessions shared by two instances through Redis.

mod browser_sim;
mod common;
#[path = "../examples/common/mod.rs"]
#[allow(dead_code)]
mod example;
mod redis_server;

use std::collections::HashMap;
use std::time::Duration;

use browser_sim::{Browser, absolute};
use cognito_auth::revocation::RevocationList;
use cognito_auth::session::{SessionStore, SignIn};
use cognito_auth::testing::{MockPool, MockUser};
use cognito_auth::web::Authenticator;
use cognito_auth::{TokenUse, Verifier};

/// An app instance: the example's routes on a loopback port.
struct App {
    base: String,
    revocations: RevocationList,
}

async fn pool() -> MockPool {
    let pool = MockPool::start().await.unwrap();
    for (username, password, groups) in example::DEMO_USERS {
        pool.add_user(MockUser::new(username, password).groups(groups.iter().copied()));
    }
    pool
}

async fn serve(
    pool: &MockPool,
    configure: impl FnOnce(cognito_auth::session::SignInBuilder) -> cognito_auth::session::SignInBuilder,
) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    pool.allow_callback(format!("{base}/auth/callback"));
    pool.allow_logout_url(format!("{base}/"));
    let revocations = RevocationList::in_memory().unwrap();
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        )
        .revocation_list(revocations.clone())
        .build()
        .unwrap();
    let sign_in = configure(
        SignIn::builder(verifier.clone())
            .domain(pool.domain())
            .client_id(pool.client_id())
            .app_url(&base)
            .revocation_list(revocations.clone()),
    )
    .build()
    .unwrap();
    let app = example::axum_routes::app(
        Authenticator::new(verifier.clone()),
        revocations.clone(),
        Some(sign_in),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    App { base, revocations }
}

fn query(url: &str) -> HashMap<String, String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The one `Set-Cookie` of a page that sets `name`.
fn set_cookie<'a>(page: &'a browser_sim::Page, name: &str) -> &'a str {
    page.set_cookies
        .iter()
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {:?}", page.set_cookies))
}

#[tokio::test]
async fn a_full_sign_in_with_every_rule_checked() {
    let pool = pool().await;
    let app = serve(&pool, |builder| builder).await;
    let mut browser = Browser::default();

    // /login: to the managed login, with everything Cognito needs.
    let start = browser
        .get(&format!("{}/login?return_to=/app/admin", app.base))
        .await;
    assert_eq!(start.status, 302);
    let authorize = start.location.clone().unwrap();
    assert!(
        authorize.starts_with(&format!("{}/oauth2/authorize?", pool.domain())),
        "{authorize}"
    );
    let params = query(&authorize);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], pool.client_id());
    assert_eq!(
        params["redirect_uri"],
        format!("{}/auth/callback", app.base)
    );
    assert!(params["scope"].split(' ').any(|scope| scope == "openid"));
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(params["state"].len() >= 32 && params["nonce"].len() >= 32);
    assert!(!params.contains_key("return_to"), "kept server-side");
    let binding = set_cookie(&start, "cognito_session_sign_in");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(binding.contains(attribute), "{binding}");
    }

    // The form, the credentials, the callback, the page asked for.
    let pages = browser.sign_in(&authorize, "alice", "Alice#Passw0rd").await;
    let (callback_url, callback) = pages
        .iter()
        .find(|(url, _)| url.contains("/auth/callback"))
        .cloned()
        .unwrap();
    assert_eq!(callback.status, 302, "{}", callback.body);
    assert_eq!(callback.location.as_deref(), Some("/app/admin"));
    let session = set_cookie(&callback, "cognito_session");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP app URL: {session}");
    let (_, admin) = pages.last().unwrap();
    assert_eq!(admin.status, 200);
    assert!(admin.body.contains("Welcome, alice"), "{}", admin.body);
    // No token in any cookie: only an opaque id.
    for ((_, name), value) in &browser.cookies {
        assert!(
            !value.contains("eyJ") && value.matches('.').count() < 2,
            "{name}={value}"
        );
    }
    assert!(
        browser
            .cookie(&app.base, "cognito_session_sign_in")
            .is_none(),
        "cleared"
    );
    let home = browser.get(&format!("{}/", app.base)).await;
    assert!(home.body.contains("Signed in as alice"), "{}", home.body);

    // The callback cannot be replayed.
    let replay = browser.get(&callback_url).await;
    assert_eq!(replay.status, 400);
    assert!(
        replay
            .set_cookies
            .iter()
            .all(|c| !c.starts_with("cognito_session="))
    );
}

#[tokio::test]
async fn forged_foreign_and_failed_callbacks_are_400_without_a_session() {
    let pool = pool().await;
    let app = serve(&pool, |builder| builder).await;
    let callback = format!("{}/auth/callback", app.base);

    let mut stranger = Browser::default();
    let forged = stranger
        .get(&format!("{callback}?code=x&state=forged"))
        .await;
    assert_eq!(forged.status, 400);
    let denied = stranger
        .get(&format!("{callback}?error=access_denied&state=x"))
        .await;
    assert_eq!(denied.status, 400);

    // A state started by one browser, brought back by another.
    let mut victim = Browser::default();
    let start = victim.get(&format!("{}/login", app.base)).await;
    let pages = victim
        .sign_in(&start.location.unwrap(), "bob", "Bob#Passw0rd")
        .await;
    let code_url = pages
        .iter()
        .find_map(|(_, page)| {
            page.location
                .clone()
                .filter(|l| l.contains("/auth/callback"))
        })
        .unwrap();
    let mut attacker = Browser::default();
    let foreign = attacker.get(&code_url).await;
    assert_eq!(foreign.status, 400, "state bound to another browser");
    for browser in [&stranger, &attacker] {
        assert!(browser.cookie(&app.base, "cognito_session").is_none());
    }

    // A wrong password stays on the form, with no code and no session.
    let mut wrong = Browser::default();
    let pages = wrong
        .sign_in(&format!("{}/app/admin", app.base), "alice", "not-it")
        .await;
    let (_, form) = pages.first().unwrap();
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Incorrect username or password."));
    assert!(form.body.contains("name=\"password\""));
    assert!(wrong.cookie(&app.base, "cognito_session").is_none());
}

#[tokio::test]
async fn return_to_is_a_local_path_or_the_start_page() {
    let pool = pool().await;
    let app = serve(&pool, |builder| builder).await;
    for (asked, landed) in [
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/app/admin?tab=1", "/app/admin?tab=1"),
    ] {
        let mut browser = Browser::default();
        let target = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", asked)
            .finish();
        let start = browser.get(&format!("{}/login?{target}", app.base)).await;
        let pages = browser
            .sign_in(&start.location.unwrap(), "alice", "Alice#Passw0rd")
            .await;
        let callback = pages
            .iter()
            .find(|(url, _)| url.contains("/auth/callback"))
            .map(|(_, page)| page.clone())
            .unwrap();
        assert_eq!(callback.location.as_deref(), Some(landed), "{asked}");
    }
}

#[tokio::test]
async fn signed_out_browsers_are_sent_to_sign_in_and_apis_get_401() {
    let pool = pool().await;
    let app = serve(&pool, |builder| builder).await;
    let mut browser = Browser::default();
    let page = browser.get(&format!("{}/app/admin?x=1", app.base)).await;
    assert_eq!(page.status, 302);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?return_to=%2Fapp%2Fadmin%3Fx%3D1")
    );
    let home = browser.get(&format!("{}/", app.base)).await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Signed out") && home.body.contains("href=\"/login\""));
    let mut api = Browser::default();
    api.accept = "application/json";
    let refused = api.get(&format!("{}/app/admin", app.base)).await;
    assert_eq!(refused.status, 401);

    // bob is signed in but not an admin: the 403 page.
    let mut bob = Browser::default();
    let pages = bob
        .sign_in(&format!("{}/app/admin", app.base), "bob", "Bob#Passw0rd")
        .await;
    let (_, last) = pages.last().unwrap();
    assert_eq!(last.status, 403);
    assert!(last.body.contains("bob is not in the admin group"));
}

#[tokio::test]
async fn a_new_sign_in_gets_a_new_session_id() {
    let pool = pool().await;
    let app = serve(&pool, |builder| builder).await;
    let mut browser = Browser::default();
    browser
        .sign_in(
            &format!("{}/app/admin", app.base),
            "alice",
            "Alice#Passw0rd",
        )
        .await;
    let first = browser.cookie(&app.base, "cognito_session").unwrap();
    browser
        .sign_in(&format!("{}/login", app.base), "bob", "Bob#Passw0rd")
        .await;
    let second = browser.cookie(&app.base, "cognito_session").unwrap();
    assert_ne!(first, second);
    // The earlier session ended with the new sign-in.
    let mut replay = Browser::default();
    replay.cookies.insert(
        (
            app.base.trim_start_matches("http://").to_owned(),
            "cognito_session".into(),
        ),
        first,
    );
    let page = replay.get(&format!("{}/", app.base)).await;
    assert!(page.body.contains("Signed out"), "{}", page.body);
    assert!(
        page.set_cookies
            .iter()
            .any(|c| c.starts_with("cognito_session=;")),
        "the dead cookie is cleared: {:?}",
        page.set_cookies
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_share_one_refresh_and_a_refused_refresh_ends_the_session() {
    let pool = pool().await;
    pool.set_token_lifetime(Duration::from_secs(3));
    let app = serve(&pool, |builder| {
        builder.refresh_margin(Duration::from_secs(2))
    })
    .await;
    let mut browser = Browser::default();
    browser
        .sign_in(&format!("{}/login", app.base), "alice", "Alice#Passw0rd")
        .await;
    let cookie = browser.cookie_header(&app.base);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let before = pool.oauth_requests().refresh_grants;
    let client = reqwest::Client::new();
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let (client, url, cookie) = (client.clone(), format!("{}/", app.base), cookie.clone());
            tokio::spawn(async move {
                client
                    .get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            })
        })
        .collect();
    for request in requests {
        assert!(request.await.unwrap().contains("Signed in as alice"));
    }
    assert_eq!(
        pool.oauth_requests().refresh_grants - before,
        1,
        "one refresh for all"
    );

    // Past the tokens' lifetime, the page still works: refreshed.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let page = browser.get(&format!("{}/", app.base)).await;
    assert!(page.body.contains("Signed in as alice"), "{}", page.body);

    // Once the user's refresh tokens are revoked at Cognito (a global
    // sign-out elsewhere), the session ends at its next refresh.
    pool.sign_out_everywhere("alice");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let ended = browser.get(&format!("{}/", app.base)).await;
    assert!(ended.body.contains("Signed out"), "{}", ended.body);
    assert!(
        ended
            .set_cookies
            .iter()
            .any(|c| c.starts_with("cognito_session=;"))
    );
    let sent_away = browser.get(&format!("{}/app/admin", app.base)).await;
    assert_eq!(sent_away.status, 302);
}

/// Cognito configures ID and access token lifetimes apart: a session
/// refreshes before whichever ends first, so a short-lived ID token does
/// not end the session.
#[tokio::test]
async fn an_id_token_that_ends_first_is_refreshed_too() {
    let pool = pool().await;
    pool.set_id_token_lifetime(Duration::from_secs(3));
    let app = serve(&pool, |builder| {
        builder.refresh_margin(Duration::from_secs(2))
    })
    .await;
    let mut browser = Browser::default();
    browser
        .sign_in(&format!("{}/login", app.base), "alice", "Alice#Passw0rd")
        .await;
    let before = pool.oauth_requests().refresh_grants;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let page = browser.get(&format!("{}/", app.base)).await;
    assert!(page.body.contains("Signed in as alice"), "{}", page.body);
    assert_eq!(pool.oauth_requests().refresh_grants - before, 1);
}

#[tokio::test]
async fn sign_out_revokes_everything_and_the_old_cookie_is_dead() {
    let pool = pool().await;
    let app = serve(&pool, |builder| builder).await;
    let mut browser = Browser::default();
    browser
        .sign_in(&format!("{}/login", app.base), "alice", "Alice#Passw0rd")
        .await;
    let old_cookie = browser.cookie_header(&app.base);
    let logout = format!("{}/logout", app.base);

    // Cross-site: refused, session kept.
    for headers in [vec![("origin", "https://evil.example")], vec![]] {
        let refused = browser.post(&logout, &[], &headers).await;
        assert_eq!(refused.status, 403, "{headers:?}");
    }
    let still = browser.get(&format!("{}/", app.base)).await;
    assert!(still.body.contains("Signed in as alice"));

    let before = pool.oauth_requests();
    let out = browser
        .post(&logout, &[], &[("origin", app.base.as_str())])
        .await;
    assert_eq!(out.status, 302, "{}", out.body);
    let cognito = out.location.clone().unwrap();
    assert!(
        cognito.starts_with(&format!("{}/logout?", pool.domain())),
        "{cognito}"
    );
    let params = query(&cognito);
    assert_eq!(params["client_id"], pool.client_id());
    assert_eq!(params["logout_uri"], format!("{}/", app.base));
    assert!(!params.contains_key("post_logout_redirect_uri"));
    assert!(
        out.set_cookies
            .iter()
            .any(|c| c.starts_with("cognito_session=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(pool.oauth_requests().revocations - before.revocations, 1);
    // Cognito's /logout sends the browser back to the app.
    let pages = browser.follow(&cognito).await;
    let (_, home) = pages.last().unwrap();
    assert!(home.body.contains("Signed out"));
    assert_eq!(pool.oauth_requests().logouts - before.logouts, 1);

    // The old cookie, replayed, is signed out.
    let replayed = reqwest::Client::new()
        .get(format!("{}/", app.base))
        .header("cookie", old_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(replayed.contains("Signed out"));
    // And the session's tokens are on the revocation list.
    assert_eq!(app.revocations.status().entries, 1);
}

#[tokio::test]
async fn over_https_the_cookies_are_host_prefixed_and_secure() {
    let pool = pool().await;
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Id)
                .client_id(pool.client_id()),
        )
        .build()
        .unwrap();
    let sign_in = SignIn::builder(verifier)
        .domain(pool.domain())
        .client_id(pool.client_id())
        .app_url("https://app.example.com")
        .build()
        .unwrap();
    assert_eq!(sign_in.cookie_name(), "__Host-cognito_session");
    let request = http::Request::builder().uri("/login").body(()).unwrap();
    let reply = sign_in.login(&request).await;
    let cookie = reply.header_value("set-cookie").unwrap();
    assert!(
        cookie.starts_with("__Host-cognito_session_sign_in="),
        "{cookie}"
    );
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let location = reply.header_value("location").unwrap();
    assert_eq!(
        query(location)["redirect_uri"],
        "https://app.example.com/auth/callback"
    );
    let _ = absolute(location, "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_through_redis() {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let pool = pool().await;
    let redis = cognito_auth::redis::Redis::open(&server.url()).unwrap();
    let store = |redis: &cognito_auth::redis::Redis| {
        cognito_auth::session::RedisSessionStore::new(redis.clone())
    };
    let a = serve(&pool, |builder| builder.store(store(&redis))).await;
    let b = serve(&pool, |builder| builder.store(store(&redis))).await;
    let mut browser = Browser::default();
    browser
        .sign_in(&format!("{}/login", a.base), "alice", "Alice#Passw0rd")
        .await;
    let cookie = browser.cookie(&a.base, "cognito_session").unwrap();
    let on_b = reqwest::Client::new()
        .get(format!("{}/", b.base))
        .header("cookie", format!("cognito_session={cookie}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(on_b.contains("Signed in as alice"), "{on_b}");
    // The store holds the tokens under a hash of the id, never the id.
    let raw = store(&redis)
        .load(&format!("session:{cookie}"))
        .await
        .unwrap();
    assert!(raw.is_none());
    // Signed out on b: signed out on a.
    let mut on_b = Browser::default();
    on_b.cookies.insert(
        (
            b.base.trim_start_matches("http://").to_owned(),
            "cognito_session".into(),
        ),
        cookie,
    );
    let out = on_b
        .post(
            &format!("{}/logout", b.base),
            &[],
            &[("origin", b.base.as_str())],
        )
        .await;
    assert_eq!(out.status, 302);
    let page = browser.get(&format!("{}/", a.base)).await;
    assert!(page.body.contains("Signed out"), "{}", page.body);
}

/// An instance keeps sessions decoded in memory, but the shared store
/// stays the truth: a session removed from it (by another instance, an
/// operator, its expiry) is over here at the next request.
#[tokio::test]
async fn a_session_gone_from_the_shared_store_is_over_on_every_instance() {
    use sha2::Digest;
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let pool = pool().await;
    let redis = cognito_auth::redis::Redis::open(&server.url()).unwrap();
    let store = cognito_auth::session::RedisSessionStore::new(redis.clone());
    let app = serve(&pool, |builder| builder.store(store.clone())).await;
    let mut browser = Browser::default();
    browser
        .sign_in(&format!("{}/login", app.base), "alice", "Alice#Passw0rd")
        .await;
    for _ in 0..3 {
        let page = browser.get(&format!("{}/", app.base)).await;
        assert!(page.body.contains("Signed in as alice"), "{}", page.body);
    }
    let cookie = browser.cookie(&app.base, "cognito_session").unwrap();
    let hash: String = sha2::Sha256::digest(cookie.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let key = format!("session:{hash}");
    assert!(store.load(&key).await.unwrap().is_some());
    store.delete(&key).await.unwrap();
    let page = browser.get(&format!("{}/", app.base)).await;
    assert!(page.body.contains("Signed out"), "{}", page.body);
}

/// A route can take a bearer token or a session: the bearer layer runs
/// first, the session layer fills in when there was no token.
#[tokio::test]
async fn one_route_takes_a_bearer_token_or_a_session() {
    use axum::routing::get;
    use cognito_auth::axum::AccessToken;
    use cognito_auth::tower::{AuthLayer, SessionLayer};

    let pool = pool().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    pool.allow_callback(format!("{base}/auth/callback"));
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        )
        .build()
        .unwrap();
    let sign_in = SignIn::builder(verifier.clone())
        .domain(pool.domain())
        .client_id(pool.client_id())
        .app_url(&base)
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route(
            "/either",
            get(|AccessToken(claims): AccessToken| async move {
                claims.username.clone().unwrap_or_default()
            }),
        )
        .layer(SessionLayer::new(sign_in.clone()))
        .layer(AuthLayer::new(Authenticator::new(verifier).optional()))
        .merge(cognito_auth::axum::sign_in_routes(sign_in));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let bearer = pool.access_token().username("carol").sign().unwrap();
    let by_token = reqwest::Client::new()
        .get(format!("{base}/either"))
        .bearer_auth(&bearer)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(by_token, "carol");
    let mut browser = Browser::default();
    let pages = browser
        .sign_in(&format!("{base}/either"), "alice", "Alice#Passw0rd")
        .await;
    let (_, last) = pages.last().unwrap();
    assert_eq!((last.status, last.body.as_str()), (200, "alice"));
}
