//! An open-loop load client: requests are sent on a fixed schedule
//! (`RATE` a second) whether or not earlier ones were answered, and each
//! latency is measured from the request's *scheduled* send time, so a
//! server that stalls is charged for every request it delayed (no
//! coordinated omission).
//!
//! A thread of its own keeps the schedule with the operating system's
//! fine-grained sleep (tokio's timer ticks in milliseconds, several
//! periods at 5 000 req/s) and hands each due request to the client
//! runtime, which sends it on a pool of keep-alive connections (opened
//! before the clock starts) and reads the whole answer.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderValue};
use tokio::task::JoinSet;

use crate::{Result, tokens};

/// Connections opened before the clock starts (as `wrk -c32`); more open
/// by themselves if the server falls behind.
const CONNECTIONS: usize = 32;
/// A request unanswered after this long counts as an error.
const TIMEOUT: Duration = Duration::from_secs(5);

/// One run's figures.
pub struct Report {
    rate: u32,
    seconds: u32,
    sent: usize,
    answered: usize,
    non_200: usize,
    errors: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// How late the client itself started requests (p99): the floor of
    /// what it can measure.
    lag_p99: Duration,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
        write!(
            f,
            "latency rate={} seconds={} sent={} answered={} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} non200={} errors={} client_lag_p99_ms={:.3}",
            self.rate,
            self.seconds,
            self.sent,
            self.answered,
            ms(self.p50),
            ms(self.p99),
            ms(self.max),
            self.non_200,
            self.errors,
            ms(self.lag_p99),
        )
    }
}

/// What one request came to.
struct Outcome {
    /// From the scheduled send time to the end of the body.
    latency: Duration,
    /// From the scheduled send time to when the client started it.
    lag: Duration,
    /// The status, or `None` for a connection error or a timeout.
    status: Option<u16>,
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (fraction * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Sends `rate` requests a second for `seconds` to `url`, the tokens of
/// `tokens_file` in turn from the one at `start`.
pub async fn run(
    url: &str,
    tokens_file: &str,
    rate: u32,
    seconds: u32,
    start: usize,
) -> Result<Report> {
    if rate == 0 || seconds == 0 {
        return Err("RATE and SECONDS must be positive".into());
    }
    // Every header value built before the clock starts.
    let headers = tokens::read(tokens_file)?
        .iter()
        .map(|token| HeaderValue::from_str(&format!("Bearer {token}")))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .pool_max_idle_per_host(usize::MAX)
        .build()?;

    // Open the connections: CONNECTIONS requests at once, twice, with the
    // first token (one token: nothing the measured run uses is cached by
    // this).
    for _ in 0..2 {
        let mut warm = JoinSet::new();
        for _ in 0..CONNECTIONS {
            let request = client.get(url).header(AUTHORIZATION, headers[0].clone());
            warm.spawn(async move { request.send().await?.bytes().await });
        }
        while let Some(done) = warm.join_next().await {
            done??;
        }
    }

    let total = rate as usize * seconds as usize;
    let period = Duration::from_secs(1) / rate;
    let (due, mut due_requests) = tokio::sync::mpsc::unbounded_channel::<(Instant, usize)>();
    let scheduler = std::thread::spawn(move || {
        let start = Instant::now() + Duration::from_millis(10);
        for n in 0..total {
            let at = start + period * u32::try_from(n).unwrap_or(u32::MAX);
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            if due.send((at, n)).is_err() {
                return;
            }
        }
    });

    let mut in_flight = JoinSet::new();
    let mut outcomes = Vec::with_capacity(total);
    while let Some((at, n)) = due_requests.recv().await {
        let request = client
            .get(url)
            .header(AUTHORIZATION, headers[(start + n) % headers.len()].clone());
        in_flight.spawn(async move {
            let lag = at.elapsed();
            let status = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    response.bytes().await.ok().map(|_| status)
                }
                Err(_) => None,
            };
            Outcome {
                latency: at.elapsed(),
                lag,
                status,
            }
        });
        // Collect what is done as we go, so finished tasks do not pile up.
        while let Some(done) = in_flight.try_join_next() {
            outcomes.push(done?);
        }
    }
    while let Some(done) = in_flight.join_next().await {
        outcomes.push(done?);
    }
    scheduler
        .join()
        .map_err(|_| "the scheduler thread panicked")?;

    let mut latencies: Vec<Duration> = outcomes
        .iter()
        .filter(|outcome| outcome.status.is_some())
        .map(|outcome| outcome.latency)
        .collect();
    latencies.sort_unstable();
    let mut lags: Vec<Duration> = outcomes.iter().map(|outcome| outcome.lag).collect();
    lags.sort_unstable();
    Ok(Report {
        rate,
        seconds,
        sent: outcomes.len(),
        answered: latencies.len(),
        non_200: outcomes
            .iter()
            .filter(|outcome| matches!(outcome.status, Some(status) if status != 200))
            .count(),
        errors: outcomes
            .iter()
            .filter(|outcome| outcome.status.is_none())
            .count(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
        lag_p99: percentile(&lags, 0.99),
    })
}
