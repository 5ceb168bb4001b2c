//! The cost of the revocation check, against the same verification
//! without it, measured in the same run: a full verification, and a
//! verified-token cache hit, with a list of 100 000 revoked sessions.
//!
//! ```text
//! cargo bench --bench revocation --features testing
//! ```

mod common;

use std::hint::black_box;
use std::time::Duration;

use cognito_auth::Verifier;
use cognito_auth::revocation::RevocationList;
use cognito_auth::testing::MockPool;
use common::{mean_ns, paired};
use criterion::{Criterion, Throughput};

const REVOKED: usize = 100_000;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    _pool: MockPool,
    token: String,
    plain: Verifier,
    checked: Verifier,
    plain_cached: Verifier,
    checked_cached: Verifier,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = runtime.block_on(MockPool::start()).unwrap();
    let token = common::access_token(&pool);
    let list = runtime.block_on(async {
        let list = RevocationList::builder(cognito_auth::revocation::MemoryStore)
            .max_entries(REVOKED + 10)
            .start()
            .unwrap();
        for n in 0..REVOKED {
            list.revoke_session(pool.issuer(), format!("revoked-session-{n}"))
                .await
                .unwrap();
        }
        list
    });
    let build = |revocations: Option<&RevocationList>, cache: bool| {
        let mut builder = Verifier::builder().cognito(
            pool.cognito_pool()
                .any_token_use()
                .client_id(pool.client_id()),
        );
        if let Some(list) = revocations {
            builder = builder.revocation_list(list.clone());
        }
        if !cache {
            builder = builder.no_verified_token_cache();
        }
        let verifier = builder.build().unwrap();
        runtime.block_on(verifier.hydrate()).unwrap();
        runtime.block_on(verifier.verify(&token)).unwrap();
        verifier
    };
    Fixture {
        plain: build(None, false),
        checked: build(Some(&list), false),
        plain_cached: build(None, true),
        checked_cached: build(Some(&list), true),
        runtime,
        _pool: pool,
        token,
    }
}

impl Fixture {
    fn run(&self, verifier: &Verifier, iters: u64) -> Duration {
        self.runtime.block_on(async {
            let started = std::time::Instant::now();
            for _ in 0..iters {
                black_box(verifier.verify(black_box(&self.token)).await.unwrap());
            }
            started.elapsed()
        })
    }
}

fn main() {
    let fixture = fixture();
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = criterion.benchmark_group("revocation");
    group.throughput(Throughput::Elements(1));
    for (name, verifier) in [
        ("full_without_list", &fixture.plain),
        ("full_with_list", &fixture.checked),
        ("cache_hit_without_list", &fixture.plain_cached),
        ("cache_hit_with_list", &fixture.checked_cached),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| fixture.run(verifier, iters))
        });
    }
    group.finish();
    criterion.final_summary();

    println!("\n== ratios (same run; {REVOKED} revoked sessions in the list) ==");
    let get = |name| mean_ns("revocation", name);
    if let (Some(full), Some(full_checked), Some(hit), Some(hit_checked)) = (
        get("full_without_list"),
        get("full_with_list"),
        get("cache_hit_without_list"),
        get("cache_hit_with_list"),
    ) {
        println!(
            "criterion: full verification with / without the check = {:.3}  (>= 0.97)",
            full / full_checked
        );
        println!(
            "criterion: cache hit with / without the check        = {:.3}  (>= 0.9)",
            hit / hit_checked
        );
    }
    let full = paired(
        300,
        50,
        |batch| {
            fixture.run(&fixture.plain, u64::from(batch));
        },
        |batch| {
            fixture.run(&fixture.checked, u64::from(batch));
        },
    );
    println!(
        "paired full verification: without {} ns, with {} ns; median rate with / without = {:.3}  (>= 0.97)",
        full.base.as_nanos(),
        full.subject.as_nanos(),
        full.median_ratio
    );
    let hit = paired(
        300,
        2000,
        |batch| {
            fixture.run(&fixture.plain_cached, u64::from(batch));
        },
        |batch| {
            fixture.run(&fixture.checked_cached, u64::from(batch));
        },
    );
    println!(
        "paired cache hit: without {} ns, with {} ns; median rate with / without = {:.3}  (>= 0.9)",
        hit.base.as_nanos(),
        hit.subject.as_nanos(),
        hit.median_ratio
    );
}
