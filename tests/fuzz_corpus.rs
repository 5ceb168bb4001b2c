//! Replays the committed fuzz seeds (and any regression inputs kept next to
//! them) through the fuzzing entry points on the stable toolchain, so the
//! normal test run checks the same invariants the fuzzers assert: no panic,
//! and nothing unsigned ever verifies.
//!
//! Only the targets whose input is the raw bytes are replayed here; the
//! others decode their bytes with `arbitrary` inside the fuzz crate.

use std::path::{Path, PathBuf};

use cognito_auth::fuzzing;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

#[test]
fn token_parse_seeds_replay() {
    for (_, bytes) in seeds("token_parse") {
        fuzzing::parse_token(&bytes);
    }
}

#[test]
fn verify_seeds_replay_and_none_verifies() {
    // The seeds include real-shaped tokens signed by keys the fixture does
    // not hold; `verify_token` panics if any of them verified.
    for (path, bytes) in seeds("verify") {
        assert!(
            !fuzzing::verify_token(&bytes),
            "{} verified",
            path.display()
        );
    }
}

#[test]
fn jwks_parse_seeds_replay() {
    for (_, bytes) in seeds("jwks_parse") {
        fuzzing::parse_jwks(&bytes);
    }
}

#[test]
fn the_structured_entry_point_tells_genuine_from_forged() {
    // Guards the replay against being unable to fail: the fixture's own
    // signature verifies, the same parts with a made-up signature do not,
    // and an expired token with a genuine signature does not.
    let header = br#"{"alg":"EdDSA","kid":"fuzz-ed25519"}"#;
    let payload = |exp: i64| {
        format!(
            r#"{{"iss":"{}","aud":"{}","exp":{exp}}}"#,
            fuzzing::OIDC_ISSUER,
            fuzzing::OIDC_AUDIENCE,
        )
    };
    let fresh = payload(fuzzing::NOW + 60);
    let expired = payload(fuzzing::NOW - 600);
    assert!(fuzzing::verify_parts(
        header,
        fresh.as_bytes(),
        fuzzing::SignatureChoice::Genuine
    ));
    assert!(!fuzzing::verify_parts(
        header,
        fresh.as_bytes(),
        fuzzing::SignatureChoice::Bytes(&[0u8; 64])
    ));
    assert!(!fuzzing::verify_parts(
        header,
        expired.as_bytes(),
        fuzzing::SignatureChoice::Genuine
    ));
}
