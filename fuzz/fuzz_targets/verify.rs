//! The whole verification pipeline on arbitrary bytes, against fixed keys:
//! nothing the fuzzer makes may verify.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = cognito_auth::fuzzing::verify_token(data);
});
