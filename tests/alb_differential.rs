//! Differential test of the ALB verifier against aws-jwt-verify 5.2.1's
//! `AlbJwtVerifier` (Node): the same tokens, the same configurations and
//! the same clock, judged by both; every verdict must agree, except the
//! few listed here on purpose, where this crate is stricter (and each of
//! those must still differ, so the list stays true).
//!
//! `scripts/test.sh` installs the npm package and sets
//! `COGNITO_AUTH_ALB_ORACLE`; under `CI=true` its absence is a failure.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use cognito_auth::Algorithm;
use cognito_auth::alb::AlbVerifier;
use cognito_auth::testing::{AlbTokenBuilder, MockAlb, SigningKey};
use serde_json::{Value, json};

/// The order of the P-256 group, big-endian.
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

fn oracle() -> Option<String> {
    match std::env::var("COGNITO_AUTH_ALB_ORACLE") {
        Ok(dir) if !dir.is_empty() => Some(dir),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("COGNITO_AUTH_ALB_ORACLE is not set under CI=true: run scripts/test.sh")
        }
        _ => {
            eprintln!("skipping: COGNITO_AUTH_ALB_ORACLE is not set (scripts/test.sh installs it)");
            None
        }
    }
}

/// What both verifiers are configured with for one case.
#[derive(Clone)]
struct Config {
    arns: Vec<String>,
    issuer: Option<String>,
    client: Option<String>,
    keys_url: String,
}

struct Case {
    name: &'static str,
    token: String,
    config: Config,
    /// Why this crate judges it differently, when it does on purpose.
    differs: Option<&'static str>,
}

/// The signature segment of a token, decoded; and the token rebuilt with
/// another signature (padded).
fn signature(token: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(token.rsplit('.').next().unwrap().trim_end_matches('='))
        .unwrap()
}

fn with_signature(token: &str, signature: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", URL_SAFE.encode(signature))
}

/// `n - s`: the other valid `s` of an ECDSA signature.
fn high_s(signature: &[u8]) -> Vec<u8> {
    let (r, s) = signature.split_at(32);
    let mut flipped = [0u8; 32];
    let mut borrow = 0i16;
    for index in (0..32).rev() {
        let difference = i16::from(P256_ORDER[index]) - i16::from(s[index]) - borrow;
        borrow = i16::from(difference < 0);
        flipped[index] = difference.rem_euclid(256) as u8;
    }
    [r, &flipped[..]].concat()
}

/// The last base64 character of the signature with its unused low bits
/// set: the same bytes to a lenient reader.
fn non_canonical(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').unwrap();
    let body = signature.trim_end_matches('=');
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = body.bytes().last().unwrap();
    let value = alphabet.iter().position(|&c| c == last).unwrap();
    // 64 bytes = 85 full characters and one carrying 4 bits + 2 unused.
    let changed = alphabet[value | 0b11] as char;
    format!("{input}.{}{changed}", &body[..body.len() - 1])
}

/// A token with its payload replaced by raw JSON text (signed).
fn raw_payload(alb: &MockAlb, header: &AlbTokenBuilder, payload: &str) -> String {
    let token = header.sign().unwrap();
    let head = token.split('.').next().unwrap();
    let input = format!("{head}.{}", URL_SAFE.encode(payload));
    let signature = alb.key().sign(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE.encode(signature))
}

async fn ours(case: &Case, now: i64) -> String {
    let config = &case.config;
    let mut builder = AlbVerifier::builder()
        .keys_url(&config.keys_url)
        .clock(move || now);
    for arn in &config.arns {
        builder = builder.alb_arn(arn);
    }
    builder = match &config.issuer {
        Some(issuer) => builder.issuer(issuer),
        None => builder.any_issuer(),
    };
    builder = match &config.client {
        Some(client) => builder.client_id(client),
        None => builder.any_client(),
    };
    match builder.build().unwrap().verify(&case.token).await {
        Ok(_) => "valid".to_owned(),
        Err(err) => err.kind().to_owned(),
    }
}

fn theirs(oracle: &str, cases: &[Case], now: i64) -> Vec<String> {
    let mut child = Command::new("node")
        .arg(format!("{oracle}/oracle.js"))
        .current_dir(oracle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    {
        let mut stdin = child.stdin.take().unwrap();
        for case in cases {
            let config = &case.config;
            let line = json!({
                "token": case.token,
                "albArn": if config.arns.len() == 1 { json!(config.arns[0]) } else { json!(config.arns) },
                "issuer": config.issuer,
                "clientId": config.client,
                "jwksUri": config.keys_url,
                "now": now,
            });
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the oracle failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_agree_with_aws_jwt_verify() {
    let Some(oracle) = oracle() else { return };
    let alb = MockAlb::start().await.unwrap();
    let now = cognito_auth_now();
    let base = Config {
        arns: vec![alb.arn().to_owned()],
        issuer: Some(alb.issuer().to_owned()),
        client: Some(alb.client_id().to_owned()),
        keys_url: alb.keys_url().to_owned(),
    };
    let other_key = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid(alb.key().kid());
    let unserved = SigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("0b7e4d1c-5a2f-4e3b-9c8d-7f6a5e4d3c2b");
    alb.serve_raw("1e2d3c4b-5a69-4788-a9b0-c1d2e3f4a5b6", "this is not a key");
    let good = alb.token().sign().unwrap();
    let sig = signature(&good);
    let (head, rest) = good.split_once('.').unwrap();
    let payload = rest.split('.').next().unwrap();
    let tampered_payload = alb
        .token()
        .claim("email", "mallory@example.com")
        .sign()
        .unwrap();
    let tampered_payload = tampered_payload.split('.').nth(1).unwrap();
    let mut plus = good.clone();
    plus.replace_range(good.len() - 5..good.len() - 4, "+");
    let other_region_arn =
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/2".to_owned();
    let with = |change: fn(&mut Config)| {
        let mut config = base.clone();
        change(&mut config);
        config
    };
    let case = |name, token: String| Case {
        name,
        token,
        config: base.clone(),
        differs: None,
    };
    let t = |builder: AlbTokenBuilder| builder.sign().unwrap();

    let mut cases = vec![
        case("a valid token (padded segments)", good.clone()),
        case("the same without padding", t(alb.token().unpadded())),
        case(
            "a tampered payload",
            format!(
                "{head}.{tampered_payload}.{}",
                good.rsplit('.').next().unwrap()
            ),
        ),
        case(
            "signed by another key under the same kid",
            t(alb.token().signed_by(&other_key)),
        ),
        case("a 63-byte signature", with_signature(&good, &sig[..63])),
        case(
            "a 65-byte signature",
            with_signature(&good, &[&sig[..], &[0]].concat()),
        ),
        case("an all-zero signature", with_signature(&good, &[0; 64])),
        case("the other s (high-S)", with_signature(&good, &high_s(&sig))),
        case("non-canonical last base64 character", non_canonical(&good)),
        case("a '+' in the signature", plus),
        case("two segments", format!("{head}.{payload}")),
        case(
            "four segments",
            format!("{good}.{}", good.rsplit('.').next().unwrap()),
        ),
        case(
            "three '=' of padding",
            format!("{}===", good.trim_end_matches('=')),
        ),
        case(
            "payload exp passed, header exp not",
            t(alb.token().claim("exp", now - 10)),
        ),
        case(
            "header exp passed, payload exp not",
            t(alb.token().header("exp", now - 10)),
        ),
        case(
            "payload exp a second away",
            t(alb.token().claim("exp", now + 1)),
        ),
        case(
            "payload nbf in the future",
            t(alb.token().claim("nbf", now + 100)),
        ),
        case(
            "payload nbf in the past",
            t(alb.token().claim("nbf", now - 100)),
        ),
        case("payload exp a string", t(alb.token().claim("exp", "soon"))),
        case("payload exp null", t(alb.token().claim("exp", Value::Null))),
        case(
            "another payload iss",
            t(alb.token().claim("iss", "https://evil.example")),
        ),
        case(
            "another header iss only",
            t(alb.token().header("iss", "https://evil.example")),
        ),
        case("no payload iss", t(alb.token().without_claim("iss"))),
        case(
            "another signer",
            t(alb.token().header("signer", other_region_arn.clone())),
        ),
        case("no signer", t(alb.token().without_header("signer"))),
        case(
            "a signer that is a number",
            t(alb.token().header("signer", 7)),
        ),
        case(
            "another client",
            t(alb.token().header("client", "someone-else")),
        ),
        case("no client", t(alb.token().without_header("client"))),
        case("alg ES384", t(alb.token().header("alg", "ES384"))),
        case("no alg", t(alb.token().without_header("alg"))),
        case("alg none", t(alb.token().header("alg", "none"))),
        case("alg HS256", t(alb.token().header("alg", "HS256"))),
        case(
            "a kid that is not a UUID",
            t(alb.token().header("kid", "abc")),
        ),
        case(
            "a kid that is a path",
            t(alb.token().header("kid", "../../x")),
        ),
        case("kid null", t(alb.token().header("kid", Value::Null))),
        case(
            "the kid in upper case (not served)",
            t(alb.token().header("kid", alb.key().kid().to_uppercase())),
        ),
        case(
            "a kid the endpoint does not serve",
            t(alb.token().signed_by(&unserved)),
        ),
        case(
            "a kid whose key is not a PEM",
            t(alb
                .token()
                .header("kid", "1e2d3c4b-5a69-4788-a9b0-c1d2e3f4a5b6")),
        ),
        case(
            "a payload that is a JSON array",
            raw_payload(&alb, &alb.token(), "[1,2]"),
        ),
        case(
            "a payload that is not JSON",
            raw_payload(&alb, &alb.token(), "{\"sub\":"),
        ),
        case(
            "a header that is not JSON",
            format!(
                "{}.{payload}.{}",
                URL_SAFE.encode("{"),
                good.rsplit('.').next().unwrap()
            ),
        ),
    ];
    cases.extend([
        Case {
            name: "any issuer, another payload iss",
            token: t(alb.token().claim("iss", "https://evil.example")),
            config: with(|config| config.issuer = None),
            differs: None,
        },
        Case {
            name: "any client, another client",
            token: t(alb.token().header("client", "someone-else")),
            config: with(|config| config.client = None),
            differs: None,
        },
        Case {
            name: "two ALBs allowed, signed by the second",
            token: good.clone(),
            config: with(|config| {
                config.arns.insert(
                    0,
                    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/first/1".to_owned(),
                )
            }),
            differs: None,
        },
        Case {
            name: "the key endpoint cannot be reached",
            token: good.clone(),
            config: with(|config| config.keys_url = "http://127.0.0.1:1".to_owned()),
            differs: None,
        },
        Case {
            name: "no exp anywhere",
            token: t(alb.token().without_claim("exp").without_header("exp")),
            config: base.clone(),
            differs: Some("exp is required here; aws-jwt-verify lets a token without exp live forever"),
        },
        Case {
            name: "payload exp is now",
            token: t(alb.token().claim("exp", now)),
            config: base.clone(),
            differs: Some("a token is expired from its exp second on (as for every token this crate verifies); aws-jwt-verify still takes it during that second"),
        },
        Case {
            name: "a lone surrogate in a payload string",
            token: raw_payload(&alb, &alb.token(), &format!(r#"{{"sub":"a\ud800","exp":{},"iss":"{}"}}"#, now + 60, alb.issuer())),
            config: base.clone(),
            differs: Some("a payload that is not valid Unicode JSON is malformed here (hardening round 2, item 2)"),
        },
        Case {
            name: "exp twice in the payload",
            token: raw_payload(&alb, &alb.token(), &format!(r#"{{"exp":{},"exp":{},"iss":"{}"}}"#, now - 100, now + 60, alb.issuer())),
            config: base.clone(),
            differs: Some("a registered claim given twice is malformed here; JSON.parse keeps the last"),
        },
    ]);

    let verdicts = theirs(&oracle, &cases, now);
    assert_eq!(verdicts.len(), cases.len());
    let mut disagreements = Vec::new();
    let mut report = String::new();
    for (case, theirs) in cases.iter().zip(&verdicts) {
        let ours = ours(case, now).await;
        let agree = (ours == "valid") == (theirs == "valid");
        report.push_str(&format!(
            "{:<48} ours {:<22} aws-jwt-verify {theirs}\n",
            case.name, ours
        ));
        match (agree, case.differs) {
            (true, None) | (false, Some(_)) => {}
            (false, None) => {
                disagreements.push(format!("{}: ours {ours}, theirs {theirs}", case.name))
            }
            (true, Some(why)) => disagreements.push(format!(
                "{}: listed as a difference ({why}) but both say {ours} / {theirs}",
                case.name
            )),
        }
    }
    println!("{report}");
    assert!(disagreements.is_empty(), "{disagreements:#?}\n{report}");
    let valid = verdicts
        .iter()
        .filter(|verdict| *verdict == "valid")
        .count();
    assert!(valid >= 8, "the corpus exercises valid tokens too: {valid}");
}

fn cognito_auth_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
