//! What the benchmarks share: reading criterion's means back, and timing
//! two pieces of work in alternation.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use cognito_auth::testing::MockPool;

/// A realistic Cognito access token: groups, scopes, the usual claims.
pub fn access_token(pool: &MockPool) -> String {
    pool.access_token()
        .username("alice@example.com")
        .groups(["admin", "reports"])
        .scopes(["openid", "email", "api/reports.read", "api/reports.write"])
        .sign()
        .unwrap()
}

/// The mean of a benchmark from criterion's output, in nanoseconds.
pub fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()?
        .join("criterion")
        .join(group)
        .join(name)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

/// Two pieces of work timed in alternation.
pub struct Paired {
    /// The mean time of one call of the baseline.
    pub base: Duration,
    /// The mean time of one call of the subject.
    pub subject: Duration,
    /// The median over the rounds of (subject rate / baseline rate).
    pub median_ratio: f64,
}

/// Runs a batch of `base` (the closure is given the batch size), then a
/// batch of `subject`, `rounds` times: both see the same machine load
/// within milliseconds, so the median of the per-round ratios is the
/// figure to trust on a noisy machine.
pub fn paired(
    rounds: u32,
    batch: u32,
    mut base: impl FnMut(u32),
    mut subject: impl FnMut(u32),
) -> Paired {
    let mut ratios = Vec::with_capacity(rounds as usize);
    let (mut base_total, mut subject_total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let started = Instant::now();
        base(batch);
        let base_time = started.elapsed();
        let started = Instant::now();
        subject(batch);
        let subject_time = started.elapsed();
        base_total += base_time;
        subject_total += subject_time;
        ratios.push(base_time.as_secs_f64() / subject_time.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let calls = (rounds * batch).max(1);
    Paired {
        base: base_total / calls,
        subject: subject_total / calls,
        median_ratio: ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
    }
}
