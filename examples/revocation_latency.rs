//! Measures what a revocation costs to spread and to hold, for
//! `scripts/revocation-latency.sh`.
//!
//! ```text
//! revocation_latency propagate REDIS_URL COUNT   # p50/p99 between two processes
//! revocation_latency memory COUNT                # resident memory of COUNT entries
//! ```
//!
//! `propagate` starts a second process of itself (the listener) with its
//! own connection and revocation list; this process writes COUNT session
//! revocations, one every 10 ms, and the listener reports when its
//! verifier first refuses each session's token. Both read the same
//! system clock, so the differences are the propagation latency.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cognito_auth::Verifier;
use cognito_auth::redis::Redis;
use cognito_auth::revocation::{MemoryStore, RedisStore, RevocationList};
use cognito_auth::testing::MockPool;

type Failure = Box<dyn std::error::Error>;

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0)
}

fn redis_list(url: &str) -> Result<RevocationList, Failure> {
    Ok(RevocationList::builder(RedisStore::new(Redis::open(url)?)).start()?)
}

/// The listener: a verifier on its own list; prints when each session's
/// token is first refused.
async fn listen(url: &str, count: usize) -> Result<(), Failure> {
    let pool = MockPool::start().await?;
    let list = redis_list(url)?;
    list.ready(Duration::from_secs(5)).await?;
    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        )
        .revocation_list(list)
        .build()?;
    let tokens = (0..count)
        .map(|n| {
            pool.access_token()
                .claim("origin_jti", format!("latency-{n}"))
                .sign()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for token in &tokens {
        verifier.verify(token).await?;
    }
    println!("ready {}", pool.issuer());
    for (n, token) in tokens.iter().enumerate() {
        loop {
            match verifier.verify(token).await {
                Err(err) if err.kind() == "revoked" => break,
                Err(err) => return Err(err.into()),
                Ok(_) => tokio::time::sleep(Duration::from_micros(200)).await,
            }
        }
        println!("seen {n} {}", nanos());
    }
    Ok(())
}

async fn propagate(url: &str, count: usize) -> Result<(), Failure> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["listen", url, &count.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let issuer = loop {
        let line = lines.next().ok_or("the listener stopped")??;
        if let Some(issuer) = line.strip_prefix("ready ") {
            break issuer.to_owned();
        }
    };
    let list = redis_list(url)?;
    list.ready(Duration::from_secs(5)).await?;
    let mut sent = Vec::with_capacity(count);
    for n in 0..count {
        sent.push(nanos());
        list.revoke_session(issuer.as_str(), format!("latency-{n}"))
            .await?;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut latencies = Vec::with_capacity(count);
    for line in lines {
        let line = line?;
        let mut parts = line.split(' ');
        if let (Some("seen"), Some(n), Some(at)) = (parts.next(), parts.next(), parts.next()) {
            let n: usize = n.parse()?;
            let at: u128 = at.parse()?;
            let since = at.saturating_sub(*sent.get(n).ok_or("unknown session")?);
            latencies.push(since as f64 / 1e6);
        }
    }
    child.wait()?;
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "propagation over {} revocations between two processes: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
    std::io::stdout().flush()?;
    Ok(())
}

fn resident_bytes() -> Result<u64, Failure> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm.split(' ').nth(1).ok_or("statm")?.parse()?;
    Ok(pages * 4096)
}

async fn memory(count: usize) -> Result<(), Failure> {
    let list = RevocationList::builder(MemoryStore)
        .max_entries(count + 1)
        .start()?;
    let before = resident_bytes()?;
    let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";
    for n in 0..count {
        // Cognito's origin_jti values are UUIDs.
        list.revoke_session(issuer, format!("{n:08x}-1f2e-4d3c-9b8a-0123456789ab"))
            .await?;
    }
    let after = resident_bytes()?;
    let grown = after.saturating_sub(before);
    println!(
        "revocation mirror: {count} entries, resident memory grew by {:.1} MiB ({:.0} bytes per entry); entries held: {}",
        grown as f64 / (1024.0 * 1024.0),
        grown as f64 / count.max(1) as f64,
        list.status().entries
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["propagate", url, count] => propagate(url, count.parse()?).await,
        ["listen", url, count] => listen(url, count.parse()?).await,
        ["memory", count] => memory(count.parse()?).await,
        _ => Err("usage: revocation_latency propagate REDIS_URL COUNT | memory COUNT".into()),
    }
}
