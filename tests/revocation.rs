//! The revocation list in one process (the in-memory store) and the
//! verifier that checks it: sessions, tokens, users with a cut-off,
//! issuer separation, expiry of entries, the verified-token cache, and
//! failing closed when the store cannot be followed.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use cognito_auth::revocation::{Entry, Feed, RevocationList, Store, StoreFuture};
use cognito_auth::testing::MockPool;
use cognito_auth::{CacheAdmission, Error, TokenUse, Verifier};
use common::{kind_of, pool_config};

fn verifier(pool: &MockPool, list: &RevocationList) -> Verifier {
    Verifier::builder()
        .cognito(pool_config(pool).any_token_use())
        .revocation_list(list.clone())
        // Cached at once, so that the tests see hits after one call.
        .verified_token_cache_admission(CacheAdmission::FirstSighting)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_session_revocation_refuses_every_token_of_the_session_only() {
    let pool = MockPool::start().await.unwrap();
    let list = RevocationList::in_memory().unwrap();
    let verifier = verifier(&pool, &list);
    let session = |origin: &str| {
        (
            pool.access_token()
                .username("alice")
                .claim("origin_jti", origin)
                .sign()
                .unwrap(),
            pool.id_token()
                .username("alice")
                .claim("origin_jti", origin)
                .sign()
                .unwrap(),
        )
    };
    let (access, id) = session("session-1");
    let (other_access, other_id) = session("session-2");
    let refreshed = pool
        .access_token()
        .username("alice")
        .claim("origin_jti", "session-1")
        .sign()
        .unwrap();
    let verified = verifier.verify(&access).await.unwrap();
    assert_eq!(verified.origin_jti(), Some("session-1"));
    list.revoke_session_of(&verified).await.unwrap();
    for token in [&access, &id, &refreshed] {
        assert_eq!(kind_of(&verifier, token).await, "revoked");
    }
    for token in [&other_access, &other_id] {
        verifier.verify(token).await.unwrap();
    }
}

#[tokio::test]
async fn a_token_revocation_names_one_jti() {
    let pool = MockPool::start().await.unwrap();
    let list = RevocationList::in_memory().unwrap();
    let verifier = verifier(&pool, &list);
    let first = pool.access_token().claim("origin_jti", "s").sign().unwrap();
    let second = pool.access_token().claim("origin_jti", "s").sign().unwrap();
    let jti = verifier
        .verify(&first)
        .await
        .unwrap()
        .jti()
        .unwrap()
        .to_owned();
    list.revoke_token(pool.issuer(), jti).await.unwrap();
    assert_eq!(kind_of(&verifier, &first).await, "revoked");
    verifier.verify(&second).await.unwrap();
}

#[tokio::test]
async fn a_user_cutoff_refuses_tokens_issued_at_or_before_it() {
    let pool = MockPool::start().await.unwrap();
    let list = RevocationList::in_memory().unwrap();
    let verifier = verifier(&pool, &list);
    let now = common::now();
    let issued = |iat: i64, username: &str| {
        pool.access_token()
            .username(username)
            .issued_at(iat)
            .expires_at(now + 3600)
            .sign()
            .unwrap()
    };
    let cutoff = now - 10;
    let sub = verifier
        .verify(&issued(now - 100, "alice"))
        .await
        .unwrap()
        .sub()
        .unwrap()
        .to_owned();
    list.revoke_user(pool.issuer(), sub, cutoff).await.unwrap();
    assert_eq!(
        kind_of(&verifier, &issued(now - 100, "alice")).await,
        "revoked"
    );
    assert_eq!(
        kind_of(&verifier, &issued(cutoff, "alice")).await,
        "revoked",
        "the cut-off second itself is refused"
    );
    verifier.verify(&issued(cutoff + 1, "alice")).await.unwrap();
    verifier.verify(&issued(now - 100, "bob")).await.unwrap();
    let no_iat = pool
        .access_token()
        .username("alice")
        .without_claim("iat")
        .sign()
        .unwrap();
    assert_eq!(kind_of(&verifier, &no_iat).await, "revoked");
}

#[tokio::test]
async fn revocations_belong_to_their_issuer() {
    let a = MockPool::start().await.unwrap();
    let b = MockPool::start().await.unwrap();
    let list = RevocationList::in_memory().unwrap();
    let verifier = Verifier::builder()
        .cognito(pool_config(&a).token_use(TokenUse::Access))
        .cognito(pool_config(&b).token_use(TokenUse::Access))
        .revocation_list(list.clone())
        .build()
        .unwrap();
    let from_a = a.access_token().claim("origin_jti", "same").sign().unwrap();
    let from_b = b.access_token().claim("origin_jti", "same").sign().unwrap();
    list.revoke_session(a.issuer(), "same").await.unwrap();
    assert_eq!(kind_of(&verifier, &from_a).await, "revoked");
    verifier.verify(&from_b).await.unwrap();
}

#[tokio::test]
async fn entries_expire_once_no_token_they_match_can_be_valid() {
    let pool = MockPool::start().await.unwrap();
    let clock = Arc::new(AtomicI64::new(common::now()));
    let now = {
        let clock = clock.clone();
        move || clock.load(Ordering::SeqCst)
    };
    let list = RevocationList::builder(cognito_auth::revocation::MemoryStore)
        .max_token_lifetime(Duration::from_secs(60))
        .clock(now.clone())
        .start()
        .unwrap();
    let verifier = Verifier::builder()
        .cognito(pool_config(&pool).token_use(TokenUse::Access))
        .revocation_list(list.clone())
        .clock(now)
        .no_verified_token_cache()
        .build()
        .unwrap();
    let start = clock.load(Ordering::SeqCst);
    let token = pool
        .access_token()
        .claim("origin_jti", "s")
        .expires_at(start + 3600)
        .sign()
        .unwrap();
    let entry = list.revoke_session(pool.issuer(), "s").await.unwrap();
    assert_eq!(entry.expires_at, start + 60);
    assert_eq!(kind_of(&verifier, &token).await, "revoked");
    clock.store(start + 59, Ordering::SeqCst);
    assert_eq!(kind_of(&verifier, &token).await, "revoked");
    // A token of a pool whose tokens live 60 s at most cannot be valid
    // past this point; the entry is gone (this one lives longer only
    // because the test minted it so).
    clock.store(start + 60, Ordering::SeqCst);
    verifier.verify(&token).await.unwrap();
    // A cut-off long past has nothing left to refuse: nothing is recorded.
    let old = list
        .revoke_user(pool.issuer(), "s", start - 1_000)
        .await
        .unwrap();
    assert!(old.expires_at <= start + 60);
    // A resync sweeps what expired.
    list.resync().await.unwrap();
    assert_eq!(list.status().entries, 0);
}

#[tokio::test]
async fn the_verified_token_cache_cannot_bypass_the_list() {
    let pool = MockPool::start().await.unwrap();
    let list = RevocationList::in_memory().unwrap();
    let verifier = verifier(&pool, &list);
    let token = pool.access_token().claim("origin_jti", "s").sign().unwrap();
    let other = pool.access_token().claim("origin_jti", "t").sign().unwrap();
    verifier.verify(&token).await.unwrap();
    verifier.verify(&other).await.unwrap();
    verifier.verify(&token).await.unwrap(); // from the cache
    assert_eq!(verifier.cached_tokens(), 2);
    list.revoke_session(pool.issuer(), "s").await.unwrap();
    assert_eq!(kind_of(&verifier, &token).await, "revoked");
    assert_eq!(
        verifier.cached_tokens(),
        1,
        "the revoked entry left the cache"
    );
    verifier.verify(&other).await.unwrap(); // still cached and fine
    assert_eq!(kind_of(&verifier, &token).await, "revoked");
}

#[tokio::test]
async fn bad_revocations_are_refused_and_the_cap_holds() {
    let list = RevocationList::builder(cognito_auth::revocation::MemoryStore)
        .max_entries(2)
        .start()
        .unwrap();
    assert_eq!(
        list.revoke_session("", "x").await.unwrap_err().kind(),
        "config"
    );
    assert_eq!(
        list.revoke_token("https://issuer", "")
            .await
            .unwrap_err()
            .kind(),
        "config"
    );
    list.revoke_token("https://issuer", "a").await.unwrap();
    list.revoke_token("https://issuer", "b").await.unwrap();
    list.revoke_token("https://issuer", "a").await.unwrap(); // extends, not adds
    let full = list.revoke_token("https://issuer", "c").await.unwrap_err();
    assert_eq!(full.kind(), "revocation_unavailable");
    assert!(full.to_string().contains("full"), "{full}");
    assert_eq!(list.status().entries, 2);
}

/// A store that can never be followed: the mirror never becomes live.
struct Unreachable;

impl Store for Unreachable {
    fn record<'a>(&'a self, _entry: &'a Entry) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(Error::RevocationUnavailable("unreachable".into())) })
    }

    fn snapshot(&self) -> StoreFuture<'_, Vec<Entry>> {
        Box::pin(async { Err(Error::RevocationUnavailable("unreachable".into())) })
    }

    fn watch<'a>(&'a self, _feed: &'a Feed) -> StoreFuture<'a, ()> {
        Box::pin(async { Err(Error::RevocationUnavailable("unreachable".into())) })
    }

    fn describe(&self) -> String {
        "an unreachable test store".into()
    }
}

#[tokio::test]
async fn a_store_that_is_down_fails_writes_and_optionally_fails_closed() {
    let pool = MockPool::start().await.unwrap();
    let clock = Arc::new(AtomicI64::new(common::now()));
    let now = {
        let clock = clock.clone();
        move || clock.load(Ordering::SeqCst)
    };
    let open = RevocationList::builder(Unreachable)
        .clock(now.clone())
        .start()
        .unwrap();
    let closed = RevocationList::builder(Unreachable)
        .fail_closed_after(Duration::from_secs(30))
        .clock(now.clone())
        .start()
        .unwrap();
    let build = |list: &RevocationList| {
        Verifier::builder()
            .cognito(pool_config(&pool).token_use(TokenUse::Access))
            .revocation_list(list.clone())
            .clock(now.clone())
            .build()
            .unwrap()
    };
    let (serving, strict) = (build(&open), build(&closed));
    let token = pool.access_token().sign().unwrap();
    let err = open.revoke_session(pool.issuer(), "s").await.unwrap_err();
    assert_eq!(err.kind(), "revocation_unavailable");
    assert!(!open.status().live);
    serving.verify(&token).await.unwrap();
    strict.verify(&token).await.unwrap(); // within the bound
    clock.fetch_add(31, Ordering::SeqCst);
    serving.verify(&token).await.unwrap(); // the default keeps serving
    let err = strict.verify(&token).await.unwrap_err();
    assert_eq!(err.kind(), "revocation_unavailable");
    assert!(!err.is_token_error());
    assert!(open.ready(Duration::from_millis(50)).await.is_err());
}
