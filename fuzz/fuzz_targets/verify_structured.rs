//! Structured tokens: the fuzzer chooses header and payload fields (good,
//! bad, missing, mistyped, duplicated) and whether the signature is genuine,
//! so it gets past base64 and the signature into the claim checks. The
//! entry point asserts that whatever verifies is genuine, unexpired, and
//! for the right issuer and audience.
#![no_main]

use arbitrary::Arbitrary;
use cognito_auth::fuzzing::{self, SignatureChoice};
use serde_json::{Value, json};

#[derive(Arbitrary, Debug)]
enum Alg {
    EdDsa,
    Rs256,
    Hs256,
    None,
    Other(String),
    Number(i64),
}

#[derive(Arbitrary, Debug)]
enum Kid {
    Right,
    Wrong(String),
    Empty,
    Number(i64),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Date {
    After(u32),
    Before(u32),
    Float(f64),
    Text(String),
    Null,
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Text {
    Right,
    Other(String),
    Number(i64),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Aud {
    Right,
    Other(String),
    List(Vec<String>, bool),
    Number(i64),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Leaf {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<String>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    alg: Alg,
    kid: Kid,
    crit: bool,
    header_extra: Vec<(String, Leaf)>,
    exp: Date,
    nbf: Date,
    iss: Text,
    aud: Aud,
    scope: Option<String>,
    groups: Option<Vec<String>>,
    token_use: Option<String>,
    extra: Vec<(String, Leaf)>,
    duplicate_exp: bool,
    raw_payload: Option<Vec<u8>>,
    genuine: bool,
    signature: Vec<u8>,
}

fn leaf(leaf: &Leaf) -> Value {
    match leaf {
        Leaf::Null => Value::Null,
        Leaf::Bool(b) => json!(b),
        Leaf::Int(i) => json!(i),
        Leaf::Float(f) => json!(f),
        Leaf::Text(t) => json!(t),
        Leaf::List(l) => json!(l),
    }
}

fn date(date: &Date) -> Option<Value> {
    let now = fuzzing::NOW;
    Some(match date {
        Date::After(s) => json!(now + i64::from(*s)),
        Date::Before(s) => json!(now - i64::from(*s)),
        Date::Float(f) => json!(f),
        Date::Text(t) => json!(t),
        Date::Null => Value::Null,
        Date::Missing => return None,
    })
}

/// A JSON object text from pairs, keeping duplicates (serde_json maps
/// would drop them).
fn object(pairs: &[(String, Value)]) -> String {
    let fields: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}:{}", Value::String(key.clone()), value))
        .collect();
    format!("{{{}}}", fields.join(","))
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let mut header = vec![];
    match &input.alg {
        Alg::EdDsa => header.push(("alg".to_owned(), json!("EdDSA"))),
        Alg::Rs256 => header.push(("alg".to_owned(), json!("RS256"))),
        Alg::Hs256 => header.push(("alg".to_owned(), json!("HS256"))),
        Alg::None => header.push(("alg".to_owned(), json!("none"))),
        Alg::Other(text) => header.push(("alg".to_owned(), json!(text))),
        Alg::Number(n) => header.push(("alg".to_owned(), json!(n))),
    }
    match &input.kid {
        Kid::Right => header.push(("kid".to_owned(), json!(fuzzing::ED25519_KID))),
        Kid::Wrong(text) => header.push(("kid".to_owned(), json!(text))),
        Kid::Empty => header.push(("kid".to_owned(), json!(""))),
        Kid::Number(n) => header.push(("kid".to_owned(), json!(n))),
        Kid::Missing => {}
    }
    if input.crit {
        header.push(("crit".to_owned(), json!(["b64"])));
    }
    header.extend(input.header_extra.iter().map(|(k, v)| (k.clone(), leaf(v))));

    let mut payload = vec![];
    if let Some(exp) = date(&input.exp) {
        payload.push(("exp".to_owned(), exp));
    }
    if let Some(nbf) = date(&input.nbf) {
        payload.push(("nbf".to_owned(), nbf));
    }
    match &input.iss {
        Text::Right => payload.push(("iss".to_owned(), json!(fuzzing::OIDC_ISSUER))),
        Text::Other(text) => payload.push(("iss".to_owned(), json!(text))),
        Text::Number(n) => payload.push(("iss".to_owned(), json!(n))),
        Text::Missing => {}
    }
    match &input.aud {
        Aud::Right => payload.push(("aud".to_owned(), json!(fuzzing::OIDC_AUDIENCE))),
        Aud::Other(text) => payload.push(("aud".to_owned(), json!(text))),
        Aud::List(list, with_right) => {
            let mut list = list.clone();
            if *with_right {
                list.push(fuzzing::OIDC_AUDIENCE.to_owned());
            }
            payload.push(("aud".to_owned(), json!(list)));
        }
        Aud::Number(n) => payload.push(("aud".to_owned(), json!(n))),
        Aud::Missing => {}
    }
    if let Some(scope) = &input.scope {
        payload.push(("scope".to_owned(), json!(scope)));
    }
    if let Some(groups) = &input.groups {
        payload.push(("cognito:groups".to_owned(), json!(groups)));
    }
    if let Some(token_use) = &input.token_use {
        payload.push(("token_use".to_owned(), json!(token_use)));
    }
    payload.extend(input.extra.iter().map(|(k, v)| (k.clone(), leaf(v))));
    if input.duplicate_exp {
        payload.push(("exp".to_owned(), json!(fuzzing::NOW + 1_000_000)));
    }

    let header = object(&header);
    let payload = match &input.raw_payload {
        Some(raw) => raw.clone(),
        None => object(&payload).into_bytes(),
    };
    let signature = if input.genuine {
        SignatureChoice::Genuine
    } else {
        SignatureChoice::Bytes(&input.signature)
    };
    let _ = fuzzing::verify_parts(header.as_bytes(), &payload, signature);
});
