//! Properties of verification, checked on generated inputs (proptest):
//! a token that verifies has exactly the claims that were signed, and no
//! single-byte change of a valid token verifies.

mod common;

use std::sync::OnceLock;

use cognito_auth::testing::MockPool;
use cognito_auth::{TokenUse, Verifier};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    pool: MockPool,
    cached: Verifier,
    uncached: Verifier,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let pool = runtime.block_on(MockPool::start()).unwrap();
        let cached = common::builder(&pool, TokenUse::Access).build().unwrap();
        let uncached = common::builder(&pool, TokenUse::Access)
            .no_verified_token_cache()
            .build()
            .unwrap();
        Fixture {
            runtime,
            pool,
            cached,
            uncached,
        }
    })
}

/// Arbitrary JSON values a little deep, with awkward strings.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e12f64..1.0e12).prop_map(|f| json!(f)),
        "\\PC{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z:_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Extra claims whose names do not collide with the ones the checks read.
fn extra_claims() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x_[a-z0-9:_]{1,12}", json_value(), 0..6)
        .prop_map(|map| map.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_verified_token_has_exactly_the_signed_claims(
        extra in extra_claims(),
        username in "[a-zA-Z0-9@._-]{1,20}",
        groups in prop::collection::vec("[a-z]{1,8}", 0..3),
    ) {
        let fixture = fixture();
        let mut builder = fixture.pool.access_token().username(username).groups(groups);
        for (name, value) in &extra {
            builder = builder.claim(name.clone(), value.clone());
        }
        let signed = builder.claims().clone();
        let token = builder.sign().unwrap();
        for verifier in [&fixture.uncached, &fixture.cached, &fixture.cached] {
            let verified = fixture.runtime.block_on(verifier.verify(&token)).unwrap();
            prop_assert_eq!(verified.claims(), &signed);
        }
    }

    #[test]
    fn no_single_byte_change_of_a_valid_token_verifies(
        position in any::<prop::sample::Index>(),
        // Mostly printable ASCII (what survives being a header value),
        // sometimes any byte.
        replacement in prop_oneof![4 => 0x20u8..0x7f, 1 => any::<u8>()],
        with_cache in any::<bool>(),
    ) {
        let fixture = fixture();
        static TOKEN: OnceLock<String> = OnceLock::new();
        let token = TOKEN.get_or_init(|| fixture.pool.access_token().groups(["admin"]).sign().unwrap());
        let verifier = if with_cache { &fixture.cached } else { &fixture.uncached };
        // The original verifies (and, with the cache on, is remembered).
        fixture.runtime.block_on(verifier.verify(token)).unwrap();
        let mut bytes = token.clone().into_bytes();
        let index = position.index(bytes.len());
        prop_assume!(bytes[index] != replacement);
        bytes[index] = replacement;
        // Not UTF-8 any more: it cannot even be handed over as a token.
        let Ok(changed) = String::from_utf8(bytes) else {
            return Ok(());
        };
        let outcome = fixture.runtime.block_on(verifier.verify(&changed));
        prop_assert!(outcome.is_err(), "byte {} changed to {:?} still verifies", index, replacement as char);
    }
}

/// Every position of a valid token, changed to its neighbours in the
/// base64url alphabet (the changes most likely to decode to something
/// close, including the last character, whose low bits are padding) and to a
/// segment separator: none verifies, with or without the cache.
#[test]
fn every_position_changed_to_a_neighbour_fails() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let fixture = fixture();
    let token = fixture
        .pool
        .access_token()
        .scopes(["api/read"])
        .sign()
        .unwrap();
    for verifier in [&fixture.uncached, &fixture.cached] {
        fixture.runtime.block_on(verifier.verify(&token)).unwrap();
        for index in 0..token.len() {
            let original = token.as_bytes()[index];
            let mut replacements = vec![b'.'];
            if let Some(at) = ALPHABET.iter().position(|&c| c == original) {
                replacements.push(ALPHABET[(at + 1) % ALPHABET.len()]);
                replacements.push(ALPHABET[(at + ALPHABET.len() - 1) % ALPHABET.len()]);
            }
            for replacement in replacements {
                if replacement == original {
                    continue;
                }
                let mut bytes = token.clone().into_bytes();
                bytes[index] = replacement;
                let changed = String::from_utf8(bytes).unwrap();
                let outcome = fixture.runtime.block_on(verifier.verify(&changed));
                assert!(
                    outcome.is_err(),
                    "byte {index} changed from {:?} to {:?} still verifies",
                    original as char,
                    replacement as char
                );
            }
        }
    }
}
