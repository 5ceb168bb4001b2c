//! Load checks against a running API (the axum example), for
//! `scripts/loadtest.sh`:
//!
//! ```text
//! loadcheck serve PORT
//! loadcheck sessions PORT
//! loadcheck cold  BASE_URL TOKENS_FILE STATS_URL [CONCURRENCY]
//! loadcheck flood BASE_URL TOKENS_FILE UNKNOWN_FILE STATS_URL [SECONDS]
//! ```
//!
//! * `serve`: one handler on two routes, `/open` without auth and
//!   `/protected` behind the `AuthLayer` (an `AccessToken` extractor, the
//!   same body): the ratio of their throughput is the cost of protection.
//!   Configured from `COGNITO_ISSUER`, `COGNITO_CLIENT_ID`,
//!   `COGNITO_JWKS_URI`.
//! * `sessions`: the same page on `/page` and on `/session-page` behind the
//!   `SessionLayer`, with a session signed in on a testing pool; the ratio
//!   of their throughput (one repeated session) is the cost of sessions.
//! * `cold`: CONCURRENCY (default 1000) simultaneous requests to `/me` on a
//!   server that has not fetched keys yet; prints how many were answered
//!   and how many JWKS fetches the key server saw (the target is 1).
//! * `flood`: valid tokens at a steady 200 requests/s, first alone, then
//!   alongside 1 000 requests/s with unknown `kid`s; prints the p99 latency
//!   of the valid requests in both phases and the JWKS fetches the flood
//!   caused (at most one per 10 s cooldown).

use std::time::{Duration, Instant};

use reqwest::Client;

async fn jwks_fetches(client: &Client, stats_url: &str) -> Result<u64, Box<dyn std::error::Error>> {
    let text = client.get(stats_url).send().await?.text().await?;
    let stats: serde_json::Value = serde_json::from_str(&text)?;
    Ok(stats["jwks_requests"].as_u64().unwrap_or(0))
}

fn tokens(path: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect())
}

async fn cold(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [base, tokens_file, stats_url, ..] = args else {
        return Err("usage: loadcheck cold BASE_URL TOKENS_FILE STATS_URL [CONCURRENCY]".into());
    };
    let concurrency: usize = args.get(3).map_or(Ok(1000), |n| n.parse())?;
    let token = tokens(tokens_file)?.into_iter().next().ok_or("no tokens")?;
    let client = Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let before = jwks_fetches(&client, stats_url).await?;
    let started = Instant::now();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(concurrency));
    let requests: Vec<_> = (0..concurrency)
        .map(|_| {
            let request = client.get(format!("{base}/me")).bearer_auth(&token);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                request
                    .send()
                    .await
                    .map(|response| response.status().as_u16())
            })
        })
        .collect();
    let mut ok = 0;
    for request in requests {
        if matches!(request.await?, Ok(200)) {
            ok += 1;
        }
    }
    let fetches = jwks_fetches(&client, stats_url).await? - before;
    println!(
        "cold start: {concurrency} concurrent requests, {ok} answered 200 in {} ms, JWKS fetches: {fetches}",
        started.elapsed().as_millis()
    );
    if ok != concurrency || fetches != 1 {
        return Err(format!("expected {concurrency} answers and 1 fetch").into());
    }
    Ok(())
}

/// Sends `rate` requests per second for `seconds`, one token each from
/// `tokens` in turn; returns the latencies of the answered ones.
async fn steady(
    client: Client,
    url: String,
    tokens: Vec<String>,
    rate: u32,
    seconds: u64,
    expect: u16,
) -> Vec<Duration> {
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    let mut n = 0;
    while Instant::now() < deadline {
        ticker.tick().await;
        let request = client.get(&url).bearer_auth(&tokens[n % tokens.len()]);
        n += 1;
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            match request.send().await {
                Ok(response) if response.status().as_u16() == expect => Some(started.elapsed()),
                _ => None,
            }
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for task in tasks {
        if let Ok(Some(latency)) = task.await {
            latencies.push(latency);
        }
    }
    latencies
}

/// The flood's own client on its own thread and runtime: its requests must
/// load the server, not queue in front of the measured requests inside
/// this process.
fn flood_thread(
    url: String,
    unknown: Vec<String>,
    seconds: u64,
) -> std::thread::JoinHandle<Result<usize, String>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| error.to_string())?;
        let client = Client::builder()
            .build()
            .map_err(|error| error.to_string())?;
        Ok(runtime
            .block_on(steady(client, url, unknown, 1000, seconds, 401))
            .len())
    })
}

fn p99(mut latencies: Vec<Duration>) -> Duration {
    latencies.sort();
    let index = (latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1));
    latencies.get(index).copied().unwrap_or_default()
}

async fn flood(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [base, tokens_file, unknown_file, stats_url, ..] = args else {
        return Err(
            "usage: loadcheck flood BASE_URL TOKENS_FILE UNKNOWN_FILE STATS_URL [SECONDS]".into(),
        );
    };
    let seconds: u64 = args.get(4).map_or(Ok(10), |n| n.parse())?;
    let valid = tokens(tokens_file)?;
    let valid: Vec<String> = valid.into_iter().take(200).collect();
    let unknown = tokens(unknown_file)?;
    let client = Client::builder().build()?;
    let url = format!("{base}/me");
    // Warm up: every valid token verified once, keys fetched.
    for token in &valid {
        client.get(&url).bearer_auth(token).send().await?;
    }

    // Quiet and flooded phases alternate; the medians of their p99s are
    // compared, so a noisy neighbour does not decide the outcome.
    let phases = 3;
    let phase = seconds.div_ceil(phases).max(2);
    let (mut quiet_p99s, mut busy_p99s) = (Vec::new(), Vec::new());
    let (mut refused, mut fetches, mut valid_count) = (0, 0, 0);
    for _ in 0..phases {
        let quiet = steady(client.clone(), url.clone(), valid.clone(), 200, phase, 200).await;
        valid_count += quiet.len();
        quiet_p99s.push(p99(quiet));
        let before = jwks_fetches(&client, stats_url).await?;
        let flood = flood_thread(url.clone(), unknown.clone(), phase);
        let busy = steady(client.clone(), url.clone(), valid.clone(), 200, phase, 200).await;
        refused += flood.join().map_err(|_| "the flood thread panicked")??;
        fetches += jwks_fetches(&client, stats_url).await? - before;
        valid_count += busy.len();
        busy_p99s.push(p99(busy));
    }
    quiet_p99s.sort();
    busy_p99s.sort();
    let quiet_p99 = quiet_p99s[quiet_p99s.len() / 2];
    let busy_p99 = busy_p99s[busy_p99s.len() / 2];
    let flooded_seconds = phase * phases;
    // At most one refetch per cooldown window, per flooded phase.
    let allowed = phases * (phase.div_ceil(10) + 1);
    println!(
        "flood: valid-token p99 {:.2} ms without a flood, {:.2} ms under {refused} unknown-kid requests at 1000/s (medians of {phases} phases, {valid_count} valid requests); ratio {:.3} (target <= 1.10)",
        quiet_p99.as_secs_f64() * 1e3,
        busy_p99.as_secs_f64() * 1e3,
        busy_p99.as_secs_f64() / quiet_p99.as_secs_f64().max(1e-9),
    );
    println!(
        "flood: JWKS fetches during {flooded_seconds} s of flood: {fetches} (at most {allowed}: one per 10 s cooldown window)"
    );
    if fetches > allowed {
        return Err("the flood caused more fetches than the cooldown allows".into());
    }
    Ok(())
}

async fn serve(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    use axum::Router;
    use axum::routing::get;
    use cognito_auth::axum::AccessToken;
    use cognito_auth::tower::AuthLayer;
    use cognito_auth::web::Authenticator;
    use cognito_auth::{CognitoPool, Verifier};

    let port: u16 = args.first().ok_or("usage: loadcheck serve PORT")?.parse()?;
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let verifier = Verifier::builder()
        .cognito(
            CognitoPool::from_issuer(var("COGNITO_ISSUER")?)
                .jwks_uri(var("COGNITO_JWKS_URI")?)
                .token_use(cognito_auth::TokenUse::Access)
                .client_id(var("COGNITO_CLIENT_ID")?),
        )
        .build()?;
    async fn open() -> &'static str {
        "ok"
    }
    async fn protected(_: AccessToken) -> &'static str {
        "ok"
    }
    let app = Router::new().route("/open", get(open)).merge(
        Router::new()
            .route("/protected", get(protected))
            .route_layer(AuthLayer::new(Authenticator::new(verifier))),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Signs a user in through the testing pool's managed login, as a browser
/// would (redirects by hand); the session cookie's `name=value`.
async fn browser_sign_in(
    base: &str,
    username: &str,
    password: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let location = |response: &reqwest::Response| -> Result<String, Box<dyn std::error::Error>> {
        Ok(response
            .headers()
            .get("location")
            .ok_or("no redirect")?
            .to_str()?
            .to_owned())
    };
    let cookie_pair = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with(&format!("{name}=")))
            .and_then(|value| value.split(';').next())
            .map(str::to_owned)
    };
    let start = client.get(format!("{base}/login")).send().await?;
    let binding = cookie_pair(&start, "cognito_session_sign_in").ok_or("no sign-in cookie")?;
    let authorize = location(&start)?;
    let form_url =
        reqwest::Url::parse(&authorize)?.join(&location(&client.get(&authorize).send().await?)?)?;
    let submitted = client
        .post(form_url.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={username}&password={password}"))
        .send()
        .await?;
    let callback = location(&submitted)?;
    let done = client
        .get(&callback)
        .header("cookie", binding)
        .send()
        .await?;
    Ok(cookie_pair(&done, "cognito_session").ok_or("no session cookie")?)
}

/// `loadcheck sessions PORT`: the same page on two routes, `/page` plain
/// and `/session-page` behind the `SessionLayer`, on a testing pool with a
/// managed login; prints `export SESSION_COOKIE=…` for a signed-in session.
async fn sessions(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    use axum::Router;
    use axum::response::Html;
    use axum::routing::get;
    use cognito_auth::Verifier;
    use cognito_auth::session::SignIn;
    use cognito_auth::testing::{MockPool, MockUser};
    use cognito_auth::tower::SessionLayer;

    let port: u16 = args
        .first()
        .ok_or("usage: loadcheck sessions PORT")?
        .parse()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let pool = MockPool::start().await?;
    pool.add_user(MockUser::new("alice", "Alice-Passw0rd"));
    pool.allow_callback(format!("{base}/auth/callback"));
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        )
        .build()?;
    let sign_in = SignIn::builder(verifier)
        .domain(pool.domain())
        .client_id(pool.client_id())
        .app_url(&base)
        .build()?;
    async fn page() -> Html<&'static str> {
        Html("<!doctype html><p>a page</p>")
    }
    /// The user behind the session, to check that `/session-page` is
    /// measured signed in.
    async fn whoami(authentication: axum::Extension<cognito_auth::web::Authentication>) -> String {
        authentication
            .id_token()
            .and_then(|token| token.claims().get("cognito:username"))
            .and_then(|name| name.as_str())
            .unwrap_or("anonymous")
            .to_owned()
    }
    let app = Router::new()
        .route("/page", get(page))
        .merge(
            Router::new()
                .route("/session-page", get(page))
                .route("/whoami", get(whoami))
                .route_layer(SessionLayer::new(sign_in.clone())),
        )
        .merge(cognito_auth::axum::sign_in_routes(sign_in));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let cookie = browser_sign_in(&base, "alice", "Alice-Passw0rd").await?;
    let who = reqwest::Client::new()
        .get(format!("{base}/whoami"))
        .header("cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    if who != "alice" {
        return Err(format!("the session is not signed in (whoami: {who})").into());
    }
    println!("export SESSION_COOKIE='{cookie}'");
    println!("listening on {base}");
    server.await??;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]).await,
        Some("sessions") => sessions(&args[1..]).await,
        Some("cold") => cold(&args[1..]).await,
        Some("flood") => flood(&args[1..]).await,
        _ => Err("usage: loadcheck serve|sessions|cold|flood ...".into()),
    }
}
