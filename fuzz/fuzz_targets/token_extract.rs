//! Token lookup in `Authorization` and `Cookie` headers.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (&[u8], &[u8])| {
    cognito_auth::fuzzing::extract_token(input.0, input.1);
});
