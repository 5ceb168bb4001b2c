//! `peers`: the servers and the load client of `scripts/compare-peers.sh`,
//! a side-by-side HTTP benchmark of cognito-auth against other Rust JWT
//! middleware.
//!
//! ```text
//! peers serve WHICH PORT
//! peers check WHICH URL TOKENS_FILE [UNKNOWN_KID_TOKENS_FILE]
//! peers status WHICH other-issuer|other-client URL TOKENS_FILE
//! peers latency URL TOKENS_FILE RATE SECONDS [START]
//! peers checks
//! peers cost TOKENS_FILE [ROUNDS]
//! ```
//!
//! * `serve`: one axum server on `127.0.0.1:PORT` with one route, `/r`,
//!   whose handler answers `{"sub":"…"}` with the verified token's `sub`.
//!   WHICH chooses what stands in front of it (see [`servers::Which`]):
//!   `open`, `cognito-auth`, `cognito-auth-nocache`, `tower-oauth2`,
//!   `jwt-authorizer` or `handwritten`. The pool comes from the
//!   `COGNITO_ISSUER`, `COGNITO_CLIENT_ID` and `COGNITO_JWKS_URI` variables
//!   that the main crate's `mint` example prints. Prints `listening on …`
//!   once it accepts connections.
//! * `check`: fails unless the server accepts a valid token (200 and the
//!   token's `sub`) and refuses bad ones with 401, so that no server is
//!   measured while misconfigured.
//! * `status`: for a server started on purpose for another issuer or
//!   another app client, fails unless a valid token gets the status that
//!   the checks table says (401, or what the peer does instead).
//! * `latency`: an open-loop client at a fixed rate; prints p50 / p99 /
//!   max latency, measured from each request's scheduled send time, with
//!   the tokens of the file in turn from the START-th (default 0).
//! * `checks`: what each server verifies, as a Markdown table.
//! * `cost`: in process, what a never-seen token costs the hand-written
//!   verifier and this crate against the raw RSA check (see [`cost`]).

mod check;
mod config;
mod cost;
mod latency;
mod servers;
mod tokens;

use std::process::ExitCode;

/// Any error, reported on stderr by `main`.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// The result of every fallible step.
pub type Result<T> = std::result::Result<T, Error>;

const USAGE: &str = "usage:
  peers serve WHICH PORT
  peers check WHICH URL TOKENS_FILE [UNKNOWN_KID_TOKENS_FILE]
  peers status WHICH other-issuer|other-client URL TOKENS_FILE
  peers latency URL TOKENS_FILE RATE SECONDS [START]
  peers checks
  peers cost TOKENS_FILE [ROUNDS]
WHICH: open, cognito-auth, cognito-auth-nocache, tower-oauth2, jwt-authorizer, handwritten";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("peers: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let arg = |index: usize| -> Result<&str> {
        args.get(index)
            .map(String::as_str)
            .ok_or_else(|| USAGE.into())
    };
    match arg(0)? {
        "serve" => {
            let which: servers::Which = arg(1)?.parse()?;
            let port: u16 = arg(2)?.parse()?;
            // The same runtime for every server: what `#[tokio::main]`
            // builds, one worker per core.
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(servers::serve(which, port))
        }
        "check" => {
            let which: servers::Which = arg(1)?.parse()?;
            let (url, tokens_file) = (arg(2)?, arg(3)?);
            let unknown_kids = args.get(4).map(String::as_str);
            client_runtime()?.block_on(check::run(which, url, tokens_file, unknown_kids))
        }
        "status" => {
            let which: servers::Which = arg(1)?.parse()?;
            let misconfigured: check::Misconfigured = arg(2)?.parse()?;
            let (url, tokens_file) = (arg(3)?, arg(4)?);
            client_runtime()?.block_on(check::status(which, misconfigured, url, tokens_file))
        }
        "latency" => {
            let (url, tokens_file) = (arg(1)?, arg(2)?);
            let rate: u32 = arg(3)?.parse()?;
            let seconds: u32 = arg(4)?.parse()?;
            let start: usize = args.get(5).map_or(Ok(0), |start| start.parse())?;
            let report =
                client_runtime()?.block_on(latency::run(url, tokens_file, rate, seconds, start))?;
            println!("{report}");
            Ok(())
        }
        "checks" => {
            print!("{}", servers::checks_table());
            Ok(())
        }
        "cost" => {
            let tokens = tokens::read(arg(1)?)?;
            let rounds: usize = args.get(2).map_or(Ok(9), |rounds| rounds.parse())?;
            let config = config::PoolConfig::from_env()?;
            let report = client_runtime()?.block_on(cost::run(&config, &tokens, rounds))?;
            print!("{report}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

/// The clients run on one thread (as `wrk -t1` does), leaving the other
/// core to the server.
fn client_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
