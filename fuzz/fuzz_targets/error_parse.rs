//! Cognito error bodies and OAuth2 token endpoint answers.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    cognito_auth::fuzzing::parse_cognito_error(status, body);
    cognito_auth::fuzzing::parse_token_answer(status, body);
});
