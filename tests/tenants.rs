//! Many tenants behind one verifier: a resolver maps a token's issuer to
//! its pool, asked once per issuer; refusals are remembered and cost no
//! key fetch. 1 000 mock pools on loopback, and floods of issuers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cognito_auth::testing::{MockPool, SigningKey};
use cognito_auth::{Algorithm, CognitoPool, Resolution, Tenant, TokenUse, Verifier};

/// Pools by issuer, and what the resolver has been asked.
#[derive(Clone, Default)]
struct Directory {
    pools: Arc<HashMap<String, String>>,
    asked: Arc<AtomicU32>,
}

impl Directory {
    /// The resolver: the tenant's pool, with its own client id.
    fn resolver(
        &self,
    ) -> impl Fn(String) -> std::future::Ready<Resolution> + Send + Sync + 'static {
        let directory = self.clone();
        move |iss: String| {
            directory.asked.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok(directory.pools.get(&iss).map(|client_id| {
                Tenant::from(
                    CognitoPool::from_issuer(&iss)
                        .token_use(TokenUse::Access)
                        .client_id(client_id),
                )
            })))
        }
    }
}

async fn pools(count: usize) -> Vec<MockPool> {
    let id_key = SigningKey::generate(Algorithm::RS256).unwrap();
    let access_key = SigningKey::generate(Algorithm::RS256).unwrap();
    let mut pools = Vec::with_capacity(count);
    for _ in 0..count {
        pools.push(
            MockPool::builder()
                .signing_keys(id_key.clone(), access_key.clone())
                .start()
                .await
                .unwrap(),
        );
    }
    pools
}

fn directory(pools: &[MockPool]) -> Directory {
    Directory {
        pools: Arc::new(
            pools
                .iter()
                .map(|pool| (pool.issuer().to_owned(), pool.client_id().to_owned()))
                .collect(),
        ),
        asked: Arc::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tenants_one_resolver_call_each_and_no_fetch_for_refused_issuers() {
    let tenants = pools(1000).await;
    let outsider = MockPool::start().await.unwrap();
    let directory = directory(&tenants);
    let verifier = Verifier::builder()
        .resolve_issuers(directory.resolver())
        .build()
        .unwrap();

    // Every tenant's token verifies: one resolver call, one JWKS fetch each.
    let tokens: Vec<String> = tenants
        .iter()
        .map(|pool| pool.access_token().username("user").sign().unwrap())
        .collect();
    for round in 0..2 {
        for (pool, token) in tenants.iter().zip(&tokens) {
            let claims = verifier
                .verify_access(token)
                .await
                .unwrap_or_else(|err| panic!("{}: {err}", pool.issuer()));
            assert_eq!(claims.client_id, pool.client_id());
        }
        assert_eq!(
            directory.asked.load(Ordering::SeqCst),
            1000,
            "round {round}"
        );
    }
    assert!(tenants.iter().all(|pool| pool.jwks_requests() == 1));
    assert_eq!(verifier.resolver_calls(), 1000);

    // A tenant's token with another tenant's client id is refused.
    let wrong_client = tenants[0]
        .access_token()
        .client_id(tenants[1].client_id())
        .sign()
        .unwrap();
    assert_eq!(
        verifier.verify(&wrong_client).await.unwrap_err().kind(),
        "invalid_client"
    );

    // A flood of issuers the resolver refuses: one call per issuer (each
    // sent ten times), no key fetch anywhere, even where the keys are
    // real (the outsider pool serves them).
    let fetches_before: u64 = tenants.iter().map(MockPool::jwks_requests).sum();
    let floods: Vec<String> = (0..200)
        .map(|n| {
            outsider
                .access_token()
                .claim("iss", format!("{}/tenant-{n}", outsider.base_url()))
                .sign()
                .unwrap()
        })
        .chain(std::iter::once(outsider.access_token().sign().unwrap()))
        .collect();
    for _ in 0..10 {
        for token in &floods {
            assert_eq!(
                verifier.verify(token).await.unwrap_err().kind(),
                "invalid_issuer"
            );
        }
    }
    assert_eq!(directory.asked.load(Ordering::SeqCst), 1000 + 201);
    assert_eq!(
        outsider.jwks_requests(),
        0,
        "a refused issuer fetches nothing"
    );
    let fetches_after: u64 = tenants.iter().map(MockPool::jwks_requests).sum();
    assert_eq!(fetches_before, fetches_after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tokens_of_a_new_tenant_share_one_call() {
    let tenants = pools(1).await;
    let directory = directory(&tenants);
    let verifier = Verifier::builder()
        .resolve_issuers(directory.resolver())
        .build()
        .unwrap();
    let token = tenants[0].access_token().sign().unwrap();
    let checks: Vec<_> = (0..50)
        .map(|_| {
            let (verifier, token) = (verifier.clone(), token.clone());
            tokio::spawn(async move { verifier.verify(&token).await.map(drop) })
        })
        .collect();
    for check in checks {
        check.await.unwrap().unwrap();
    }
    assert_eq!(directory.asked.load(Ordering::SeqCst), 1);
    assert_eq!(tenants[0].jwks_requests(), 1);
}

#[tokio::test]
async fn configured_issuers_come_first_and_answers_expire() {
    let tenants = pools(2).await;
    let directory = directory(&tenants[1..]);
    let verifier = Verifier::builder()
        .cognito(
            tenants[0]
                .cognito_pool()
                .token_use(TokenUse::Access)
                .client_id(tenants[0].client_id()),
        )
        .resolve_issuers(directory.resolver())
        .tenant_cache(100, Duration::from_millis(500))
        .build()
        .unwrap();
    // The configured pool never reaches the resolver.
    verifier
        .verify(&tenants[0].access_token().sign().unwrap())
        .await
        .unwrap();
    assert_eq!(directory.asked.load(Ordering::SeqCst), 0);
    let tenant_token = tenants[1].access_token().sign().unwrap();
    verifier.verify(&tenant_token).await.unwrap();
    let other_token = tenants[1].access_token().username("other").sign().unwrap();
    verifier.verify(&other_token).await.unwrap();
    assert_eq!(directory.asked.load(Ordering::SeqCst), 1);
    // After the TTL the resolver is asked again (a tenant removed from
    // the directory would now be refused).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let later = tenants[1].access_token().username("later").sign().unwrap();
    verifier.verify(&later).await.unwrap();
    assert_eq!(directory.asked.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failing_resolver_is_unavailable_and_not_remembered() {
    let tenants = pools(1).await;
    let pool = tenants[0]
        .cognito_pool()
        .token_use(TokenUse::Access)
        .any_client();
    let attempts = Arc::new(AtomicU32::new(0));
    let counted = Arc::clone(&attempts);
    let verifier = Verifier::builder()
        .resolve_issuers(move |_iss: String| {
            let attempt = counted.fetch_add(1, Ordering::SeqCst);
            let pool = pool.clone();
            async move {
                if attempt == 0 {
                    Err("the tenant table is down".into())
                } else {
                    Ok(Some(Tenant::from(pool)))
                }
            }
        })
        .build()
        .unwrap();
    let token = tenants[0].access_token().sign().unwrap();
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "issuer_unavailable");
    assert!(!err.is_token_error());
    verifier.verify(&token).await.unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_resolver_answering_for_another_issuer_is_refused() {
    let tenants = pools(2).await;
    // Whatever it is asked, it answers with tenant 1's configuration.
    let wrong = tenants[1]
        .cognito_pool()
        .token_use(TokenUse::Access)
        .any_client();
    let verifier = Verifier::builder()
        .resolve_issuers(move |_iss: String| {
            std::future::ready(Ok(Some(Tenant::from(wrong.clone()))))
        })
        .build()
        .unwrap();
    let token = tenants[0].access_token().sign().unwrap();
    assert_eq!(
        verifier.verify(&token).await.unwrap_err().kind(),
        "invalid_issuer"
    );
    assert_eq!(tenants[1].jwks_requests(), 0);
    assert_eq!(tenants[0].jwks_requests(), 0);
}

#[test]
fn a_verifier_needs_an_issuer_or_a_resolver() {
    let err = Verifier::builder().build().unwrap_err();
    assert_eq!(err.kind(), "config");
    assert!(err.to_string().contains("resolver"), "{err}");
}
