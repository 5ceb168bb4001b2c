//! Where the emulators `scripts/test.sh` starts are, for the test binaries
//! that talk to them, and names no two runs share.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The URL in `variable`, or `None` (the test skips) when it is not set
/// outside CI; under `CI=true` (which `scripts/test.sh` sets) a missing
/// emulator is a failure, never a skip.
pub fn url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{variable} is not set under CI=true: run the tests with scripts/test.sh")
        }
        _ => {
            eprintln!("skipping: {variable} is not set (scripts/test.sh starts the emulators)");
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// `prefix` made unique to this process and call.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}
