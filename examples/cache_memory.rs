//! What the verified-token cache holds in memory, for
//! `scripts/memory.sh` and BENCHMARKING.md.
//!
//! ```text
//! cache_memory COUNT [MAX_MIB]   # defaults 200000 64
//! ```
//!
//! Mints COUNT distinct access tokens on a testing pool (RS256, the shape
//! of Cognito's), then verifies each once with a verifier whose cache is
//! bounded by MAX_MIB mebibytes only (no count bound below COUNT), and
//! reports how much the process's resident memory grew while the cache
//! filled, against the byte budget, and per entry held.

use std::time::Instant;

use cognito_auth::testing::MockPool;
use cognito_auth::{CacheAdmission, TokenUse, Verifier};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn resident_bytes() -> Result<u64, Failure> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm.split(' ').nth(1).ok_or("statm")?.parse()?;
    Ok(pages * 4096)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().as_deref().unwrap_or("200000").parse()?;
    let budget_mib: u64 = args.next().as_deref().unwrap_or("64").parse()?;
    let budget = budget_mib * 1024 * 1024;

    let pool = MockPool::start().await?;
    let started = Instant::now();
    let tokens = pool.access_tokens(count, |n, token| {
        token
            .username(format!("user{n}"))
            .groups(["admin"])
            .scopes(["openid", "api/reports.read"])
    })?;
    eprintln!("minted {count} tokens in {:.1?}", started.elapsed());
    let token_bytes: usize = tokens.iter().map(String::len).sum();

    let verifier = Verifier::builder()
        .cognito(
            pool.cognito_pool()
                .token_use(TokenUse::Access)
                .client_id(pool.client_id()),
        )
        .verified_token_cache(u64::try_from(count)?.saturating_mul(2), budget)
        // Filled in one pass: every token taken in at its first sighting.
        .verified_token_cache_admission(CacheAdmission::FirstSighting)
        .build()?;
    // Keys fetched and every lazily built part in place before measuring.
    let warm = pool.access_token().username("warm-up").sign()?;
    verifier.verify(&warm).await?;
    let before = resident_bytes()?;
    for token in &tokens {
        verifier.verify(token).await?;
    }
    let after = resident_bytes()?;
    let held = verifier.cached_tokens();
    let grown = after.saturating_sub(before);
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "verified-token cache: {count} tokens of {:.0} bytes on average verified, {held} held under a {budget_mib} MiB budget",
        token_bytes as f64 / count.max(1) as f64
    );
    println!(
        "resident memory grew by {:.1} MiB = {:.2} x the budget ({:.0} bytes per entry held)",
        mib(grown),
        grown as f64 / budget as f64,
        grown as f64 / held.max(1) as f64
    );
    Ok(())
}
