//! `peers cost`: what a never-seen token costs each verifier in process,
//! against the RSA signature check alone — the floor every verifier on
//! the same crypto library shares, so it bounds how far one can be ahead
//! of another on tokens that do not repeat.
//!
//! One thread, the same tokens for every verifier, each token verified
//! once by each (never seen): batches of 50 tokens alternate between the
//! verifiers (each batch led by the next one in turn), and the median over
//! the rounds of each one's time per token and of its rate against the raw
//! check is printed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_auth::{CognitoPool, TokenUse, Verifier};

use crate::Result;
use crate::config::PoolConfig;
use crate::servers::handwritten::Handwritten;

const BATCH: usize = 50;

/// A token split for the raw check: what the signature covers, and the
/// signature.
struct Raw {
    kid: String,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
}

/// The pool's RSA keys by `kid`, each parsed once.
async fn raw_keys(config: &PoolConfig) -> Result<HashMap<String, ParsedPublicKey>> {
    let body = reqwest::get(&config.jwks_uri).await?.bytes().await?;
    let jwks: serde_json::Value = serde_json::from_slice(&body)?;
    let mut keys = HashMap::new();
    for key in jwks["keys"].as_array().ok_or("the JWKS has no keys")? {
        let component = |name: &str| -> Result<Vec<u8>> {
            let text = key[name].as_str().ok_or("a JWK lacks kid, n or e")?;
            Ok(URL_SAFE_NO_PAD.decode(text)?)
        };
        let (n, e) = (component("n")?, component("e")?);
        let parsed = RsaPublicKeyComponents { n: &n, e: &e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| "a JWK is not an RSA key aws-lc-rs takes")?;
        let kid = key["kid"].as_str().ok_or("a JWK lacks its kid")?;
        keys.insert(kid.to_owned(), parsed);
    }
    Ok(keys)
}

fn split(token: &str) -> Result<Raw> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or("not a JWS")?;
    let header = token.split('.').next().ok_or("not a JWS")?;
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header)?)?;
    Ok(Raw {
        kid: header["kid"]
            .as_str()
            .ok_or("a token without kid")?
            .to_owned(),
        signing_input: signing_input.as_bytes().to_vec(),
        signature: URL_SAFE_NO_PAD.decode(signature)?,
    })
}

/// Runs the comparison on `count` tokens of the file and prints it.
pub async fn run(config: &PoolConfig, tokens: &[String], rounds: usize) -> Result<String> {
    let keys = raw_keys(config).await?;
    let handwritten = Handwritten::fetch(config).await?;
    let pool = || {
        CognitoPool::from_issuer(&config.issuer)
            .jwks_uri(&config.jwks_uri)
            .token_use(TokenUse::Access)
            .client_id(&config.client_id)
    };
    let cached = Verifier::builder().cognito(pool()).build()?;
    let uncached = Verifier::builder()
        .cognito(pool())
        .no_verified_token_cache()
        .build()?;
    let typed = Verifier::builder().cognito(pool()).build()?;
    cached.hydrate().await?;
    uncached.hydrate().await?;
    typed.hydrate().await?;
    let raws = tokens
        .iter()
        .map(|token| split(token))
        .collect::<Result<Vec<_>>>()?;
    let batches = tokens.len() / BATCH / rounds;
    if batches == 0 {
        return Err(format!("need at least {} tokens", BATCH * rounds).into());
    }
    // Per round: time per token of raw, handwritten, cognito-auth
    // (defaults), cognito-auth without its cache, cognito-auth with the
    // typed claims the route's `AccessToken` extractor reads (as the
    // hand-written verifier's `decode` gives its claims struct).
    let mut per_round: Vec<[Duration; 5]> = Vec::new();
    for round in 0..rounds {
        let mut totals = [Duration::ZERO; 5];
        for batch in 0..batches {
            let start = (round * batches + batch) * BATCH;
            let (chunk, raw_chunk) = (&tokens[start..start + BATCH], &raws[start..start + BATCH]);
            let chunk_keys = raw_chunk
                .iter()
                .map(|raw| keys.get(&raw.kid).ok_or("a token's kid is not in the JWKS"))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            // Each verifier goes first in turn: the first to read a batch
            // finds its tokens out of the CPU's caches.
            for step in 0..totals.len() {
                let index = (step + batch) % totals.len();
                let began = Instant::now();
                match index {
                    0 => {
                        for (raw, key) in raw_chunk.iter().zip(&chunk_keys) {
                            key.verify_sig(&raw.signing_input, &raw.signature)
                                .map_err(|_| "the raw check refused a token")?;
                        }
                    }
                    1 => {
                        for token in chunk {
                            handwritten
                                .verify(token)
                                .ok_or("the hand-written verifier refused a token")?;
                        }
                    }
                    2 | 3 => {
                        let verifier = if index == 2 { &cached } else { &uncached };
                        for token in chunk {
                            verifier.verify(token).await?;
                        }
                    }
                    _ => {
                        for token in chunk {
                            let verified = typed.verify(token).await?;
                            std::hint::black_box(verified.try_access()?.sub.len());
                        }
                    }
                }
                totals[index] += began.elapsed();
            }
        }
        let per_token = totals.map(|total| total / u32::try_from(batches * BATCH).unwrap_or(1));
        per_round.push(per_token);
    }
    let median = |index: usize| -> Duration {
        let mut values: Vec<Duration> = per_round.iter().map(|round| round[index]).collect();
        values.sort();
        values[values.len() / 2]
    };
    let ratio = |index: usize| -> f64 {
        let mut values: Vec<f64> = per_round
            .iter()
            .map(|round| round[0].as_secs_f64() / round[index].as_secs_f64())
            .collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let names = [
        "raw RSA check (aws-lc-rs, key parsed once)",
        "handwritten (jsonwebtoken 11.1, aws-lc-rs)",
        "cognito-auth 0.1.0 (defaults)",
        "cognito-auth, cache off",
        "cognito-auth + typed claims (AccessToken)",
    ];
    let mut report = format!(
        "in process, one thread, {} never-seen tokens per verifier, {rounds} rounds (medians):\n",
        batches * BATCH * rounds
    );
    for (index, name) in names.iter().enumerate() {
        report.push_str(&format!(
            "  {name:<44} {:>6.2} us/token  rate / raw RSA rate: {:.3}\n",
            median(index).as_secs_f64() * 1e6,
            ratio(index)
        ));
    }
    let best_peer = ratio(1);
    report.push_str(&format!(
        "  a verifier 1.15 x the hand-written one would need a rate {:.3} x the raw RSA check's\n",
        best_peer * 1.15
    ));
    Ok(report)
}
