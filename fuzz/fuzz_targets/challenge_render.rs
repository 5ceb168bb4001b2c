//! `WWW-Authenticate` rendering from arbitrary error text: always a valid
//! header value.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (&str, &str, &str)| {
    cognito_auth::fuzzing::render_challenge(input.0, input.1, input.2);
});
