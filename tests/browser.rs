//! Browser sign-in in a real browser: headless Chromium (Debian's
//! `chromium`), driven through WebDriver (`chromedriver`, with fantoccini),
//! against the axum and the actix example running as processes on their
//! built-in testing pool, whose managed login the browser fills in.
//!
//! `scripts/test.sh` installs Chromium and ChromeDriver and sets
//! `COGNITO_AUTH_CHROMEDRIVER`; without them the test skips, except under
//! `CI=true`, where it fails. A screenshot of the signed-in page is kept
//! under `target/browser/` for a human to look at.

mod example_run;

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: tokio::process::Child,
    url: String,
}

fn chromedriver() -> Option<String> {
    if let Ok(path) = std::env::var("COGNITO_AUTH_CHROMEDRIVER") {
        return Some(path);
    }
    let found = ["/usr/bin/chromedriver", "/usr/local/bin/chromedriver"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(str::to_owned);
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromedriver is not installed: run the tests with scripts/test.sh"
        );
        eprintln!("skipping: chromedriver is not installed (scripts/browser.sh install)");
    }
    found
}

async fn driver(path: &str) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = tokio::process::Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver { child, url }
}

/// A fresh headless Chromium (its own empty profile).
async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1024,768",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    ClientBuilder::rustls()
        .unwrap()
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .unwrap()
}

/// Waits until the element with this id shows text that `wanted`
/// accepts (the page may still be loading, or its elements going stale);
/// the text.
async fn shows(client: &Client, id: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::from("(not found)");
    loop {
        if let Ok(element) = client.find(Locator::Id(id)).await
            && let Ok(text) = element.text().await
        {
            if wanted(&text) {
                return text;
            }
            last = text;
        }
        assert!(
            Instant::now() < deadline,
            "#{id} shows {last:?} on {:?}",
            client.current_url().await.ok()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the browser is on `expected` (path and query).
async fn arrives_at(client: &Client, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let path = path_of(client).await;
        if path == expected {
            return;
        }
        assert!(Instant::now() < deadline, "on {path}, not {expected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Fills in and submits the managed login's form (the page the browser is on).
async fn submit_credentials(client: &Client, username: &str, password: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("input[name=username]"))
        .await
        .unwrap()
        .send_keys(username)
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    client
        .find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn path_of(client: &Client) -> String {
    let url = client.current_url().await.unwrap();
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn run_against(example: &str, driver: &Driver) {
    let app = example_run::start(example, &[("COGNITO_TESTING_TOKEN_LIFETIME", "5")]).await;
    let base = app.base.clone();
    let profiles = tempfile::tempdir().unwrap();
    let new_browser = |name: &str| profiles.path().join(name);

    // alice: sign in from the start page, the admin page, refresh, sign out.
    let alice = browser(driver, &new_browser("alice")).await;
    alice.goto(&format!("{base}/")).await.unwrap();
    shows(&alice, "user", |text| text == "Signed out").await;
    alice
        .find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    submit_credentials(&alice, "alice", "Alice#Passw0rd").await;
    arrives_at(&alice, "/").await;
    shows(&alice, "user", |text| text == "Signed in as alice").await;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    let png = alice.screenshot().await.unwrap();
    std::fs::write(shots.join(format!("signed-in-{example}.png")), png).unwrap();
    let cookies = alice.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|cookie| cookie.name() == "cognito_session")
        .expect("a session cookie");
    assert_eq!(session.http_only(), Some(true));
    assert_eq!(session.path(), Some("/"));
    for cookie in &cookies {
        assert!(
            !cookie.value().contains("eyJ"),
            "a token in cookie {}",
            cookie.name()
        );
    }
    alice.goto(&format!("{base}/app/admin")).await.unwrap();
    shows(&alice, "admin", |text| text.contains("Welcome, alice")).await;
    // Tokens live 5 s; after 8 s the page still works: the session refreshed.
    tokio::time::sleep(Duration::from_secs(8)).await;
    alice.goto(&format!("{base}/")).await.unwrap();
    shows(&alice, "user", |text| text == "Signed in as alice").await;
    alice
        .find(Locator::Id("sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(path_of(&alice).await, "/", "back from Cognito's /logout");
    shows(&alice, "user", |text| text == "Signed out").await;
    alice.close().await.unwrap();

    // bob: signed in, but not an admin.
    let bob = browser(driver, &new_browser("bob")).await;
    bob.goto(&format!("{base}/app/admin")).await.unwrap();
    submit_credentials(&bob, "bob", "Bob#Passw0rd").await;
    arrives_at(&bob, "/app/admin").await;
    shows(&bob, "forbidden", |text| {
        text.contains("bob is not in the admin group")
    })
    .await;
    bob.close().await.unwrap();

    // A wrong password stays on the form, with no session cookie.
    let wrong = browser(driver, &new_browser("wrong")).await;
    wrong.goto(&format!("{base}/login")).await.unwrap();
    submit_credentials(&wrong, "alice", "not-her-password").await;
    shows(&wrong, "error", |text| {
        text == "Incorrect username or password."
    })
    .await;
    assert!(
        wrong
            .find(Locator::Css("input[name=password]"))
            .await
            .is_ok()
    );
    let cookies = wrong.get_all_cookies().await.unwrap();
    assert!(
        cookies
            .iter()
            .all(|cookie| cookie.name() != "cognito_session")
    );
    // A forged state: 400, no session.
    wrong
        .goto(&format!("{base}/auth/callback?code=forged&state=forged"))
        .await
        .unwrap();
    wrong
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("h1"))
        .await
        .unwrap();
    let source = wrong.source().await.unwrap();
    assert!(source.contains("Sign-in failed"), "{source}");
    let cookies = wrong.get_all_cookies().await.unwrap();
    assert!(
        cookies
            .iter()
            .all(|cookie| cookie.name() != "cognito_session")
    );
    wrong.close().await.unwrap();

    // return_to to another site lands on the start page.
    let redirected = browser(driver, &new_browser("redirected")).await;
    redirected
        .goto(&format!(
            "{base}/login?return_to=https%3A%2F%2Fevil.example"
        ))
        .await
        .unwrap();
    submit_credentials(&redirected, "alice", "Alice#Passw0rd").await;
    shows(&redirected, "user", |text| text == "Signed in as alice").await;
    let landed = redirected.current_url().await.unwrap();
    assert_eq!(landed.host_str(), Some("127.0.0.1"), "{landed}");
    assert_eq!(landed.path(), "/");
    redirected.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_in_a_real_browser_on_both_examples() {
    let Some(path) = chromedriver() else { return };
    let driver = driver(&path).await;
    for example in ["axum", "actix"] {
        run_against(example, &driver).await;
    }
    drop(driver.child);
}
