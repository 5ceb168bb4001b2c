//! Splitting, base64url and JSON parsing of arbitrary tokens.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cognito_auth::fuzzing::parse_token(data);
});
