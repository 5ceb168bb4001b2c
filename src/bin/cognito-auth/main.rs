//! `cognito-auth`: verify and decode Cognito tokens, sign in, refresh,
//! revoke, fetch machine tokens and call any user-pools operation from the
//! command line.
//!
//! Output is one JSON object on stdout. Exit status: 0 success (a valid
//! token), 1 an invalid token or an error answer from Cognito, 2 usage,
//! configuration or I/O errors (message on stderr).

mod call;
mod deny;
mod session;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use cognito_auth::revocation::RevocationList;
use cognito_auth::{CognitoPool, Error, Requirement, TokenUse, Verifier, decode_unverified};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "cognito-auth",
    version,
    about = "Verify and decode Amazon Cognito tokens"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Verify a token; prints {"valid":true,...} or {"valid":false,"error":...}.
    Verify(VerifyArgs),
    /// Decode a token without verifying it.
    Decode {
        /// The token.
        token: String,
    },
    /// Sign in with a password (USER_PASSWORD_AUTH; USER_SRP_AUTH with --srp;
    /// AdminInitiateAuth, signed, with --admin).
    Login(session::LoginArgs),
    /// Get new tokens with a refresh token (REFRESH_TOKEN_AUTH).
    Refresh(session::RefreshArgs),
    /// Revoke a refresh token (RevokeToken).
    Revoke(session::RevokeArgs),
    /// Get a machine-to-machine token from the OAuth2 token endpoint.
    Token(session::TokenArgs),
    /// Deny a session, a token or a user's tokens on every instance (the
    /// revocation list on Redis).
    Deny(deny::DenyArgs),
    /// Send any user-pools operation (signed with --sign); prints the
    /// answer's JSON.
    Call(call::CallArgs),
}

#[derive(clap::Args)]
#[command(group(ArgGroup::new("pool").multiple(true).args(["user_pool_id", "issuer"])))]
#[command(group(ArgGroup::new("clients").args(["client_id", "any_client"])))]
struct VerifyArgs {
    /// The token; read from stdin when absent or "-".
    token: Option<String>,
    /// The user pool id, e.g. us-east-1_AbCdEf123.
    #[arg(long)]
    user_pool_id: Option<String>,
    /// The exact issuer to expect (alone: a pool known by its issuer URL).
    #[arg(long)]
    issuer: Option<String>,
    /// Fetch keys from this URL instead of the one derived from the issuer.
    #[arg(long, conflicts_with = "jwks_file")]
    jwks_uri: Option<String>,
    /// Read keys from this JWKS file; nothing is fetched.
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// Which tokens to accept.
    #[arg(long, value_enum, required_unless_present = "alb")]
    token_use: Option<TokenUseArg>,
    /// An accepted app client id (repeatable).
    #[arg(long = "client-id")]
    client_id: Vec<String>,
    /// Accept any app client.
    #[arg(long)]
    any_client: bool,
    /// A required group (any of them, or all with --all-groups).
    #[arg(long = "group")]
    group: Vec<String>,
    /// Require every --group instead of any one.
    #[arg(long, requires = "group")]
    all_groups: bool,
    /// A required scope (any of them, or all with --all-scopes).
    #[arg(long = "scope")]
    scope: Vec<String>,
    /// Require every --scope instead of any one.
    #[arg(long, requires = "scope")]
    all_scopes: bool,
    /// Clock skew allowed on exp and nbf, in seconds.
    #[arg(long, default_value_t = 0)]
    leeway: u64,
    /// Check the revocation list on this Redis server too (redis://, rediss://).
    #[arg(long)]
    redis: Option<String>,
    /// The token is an ALB's x-amzn-oidc-data (signed by the load balancer).
    #[arg(long, requires = "alb_arn", conflicts_with_all = [
        "user_pool_id", "jwks_uri", "jwks_file", "token_use", "any_client", "group", "scope", "redis"
    ])]
    alb: bool,
    /// An accepted load balancer ARN, the token's signer (repeatable).
    #[arg(long = "alb-arn", requires = "alb")]
    alb_arn: Vec<String>,
    /// The region of the ALB key endpoint (public-keys.auth.elb.{region}.amazonaws.com).
    #[arg(long, required_if_eq("alb", "true"))]
    region: Option<String>,
    /// Fetch ALB keys from {URL}/{kid} instead of the regional endpoint.
    #[arg(long = "alb-keys-url", requires = "alb")]
    alb_keys_url: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum TokenUseArg {
    Access,
    Id,
    Any,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify(args) => verify(args),
        Command::Decode { token } => decode(&token),
        Command::Login(args) => session::run(session::login(args)),
        Command::Refresh(args) => session::run(session::refresh(args)),
        Command::Revoke(args) => session::run(session::revoke(args)),
        Command::Token(args) => session::run(session::token(args)),
        Command::Deny(args) => deny::deny(args),
        Command::Call(args) => session::run(call::call(args)),
    }
}

fn verify(args: VerifyArgs) -> ExitCode {
    let token = match read_token(args.token.as_deref()) {
        Ok(token) => token,
        Err(message) => return fail(&message),
    };
    if args.alb {
        return verify_alb(&args, &token);
    }
    if args.user_pool_id.is_none() && args.issuer.is_none() {
        return fail("give --user-pool-id or --issuer (or --alb)");
    }
    if args.client_id.is_empty() && !args.any_client {
        return fail("give --client-id or --any-client");
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let outcome = runtime.block_on(async {
        let revocations = match &args.redis {
            Some(url) => {
                let list = deny::redis_list(url)?;
                deny::in_step(&list).await?;
                Some(list)
            }
            None => None,
        };
        let verifier = build_verifier(&args, revocations)?;
        Ok::<_, Error>(verifier.verify(&token).await)
    });
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(err) => return fail(&err.to_string()),
    };
    print_verdict(outcome)
}

/// `verify`'s output: the claims of a valid token (exit 0), the error of
/// an invalid one (exit 1), or a failure to check (exit 2).
fn print_verdict(outcome: Result<cognito_auth::VerifiedToken, Error>) -> ExitCode {
    match outcome {
        Ok(verified) => {
            print_json(&json!({
                "valid": true,
                "token_use": verified.token_use().map(TokenUse::as_str),
                "claims": Value::Object(verified.claims().clone()),
            }));
            ExitCode::SUCCESS
        }
        Err(err) if err.is_token_error() => {
            print_json(&json!({
                "valid": false,
                "error": {"kind": err.kind(), "message": err.to_string()},
            }));
            ExitCode::from(1)
        }
        Err(err) => fail(&err.to_string()),
    }
}

/// `verify --alb`: the token is an ALB's `x-amzn-oidc-data`.
fn verify_alb(args: &VerifyArgs, token: &str) -> ExitCode {
    let mut builder =
        cognito_auth::alb::AlbVerifier::builder().leeway(Duration::from_secs(args.leeway));
    for arn in &args.alb_arn {
        builder = builder.alb_arn(arn);
    }
    if let Some(region) = &args.region {
        builder = builder.region(region);
    }
    if let Some(url) = &args.alb_keys_url {
        builder = builder.keys_url(url);
    }
    builder = match &args.issuer {
        Some(issuer) => builder.issuer(issuer),
        None => builder.any_issuer(),
    };
    if args.client_id.is_empty() {
        builder = builder.any_client();
    }
    for client in &args.client_id {
        builder = builder.client_id(client);
    }
    let verifier = match builder.build() {
        Ok(verifier) => verifier,
        Err(err) => return fail(&err.to_string()),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let outcome = runtime.block_on(verifier.verify(token));
    print_verdict(outcome.map(|token| token.claims().clone()))
}

fn build_verifier(
    args: &VerifyArgs,
    revocations: Option<RevocationList>,
) -> Result<Verifier, Error> {
    let mut pool = match (&args.user_pool_id, &args.issuer) {
        (Some(pool_id), Some(issuer)) => CognitoPool::new(pool_id).issuer(issuer),
        (Some(pool_id), None) => CognitoPool::new(pool_id),
        (None, Some(issuer)) => CognitoPool::from_issuer(issuer),
        (None, None) => return Err(Error::Config("give --user-pool-id or --issuer".into())),
    };
    if let Some(url) = &args.jwks_uri {
        pool = pool.jwks_uri(url);
    }
    if let Some(path) = &args.jwks_file {
        pool = pool.jwks_file(path);
    }
    pool = match args.token_use {
        Some(TokenUseArg::Access) => pool.token_use(TokenUse::Access),
        Some(TokenUseArg::Id) => pool.token_use(TokenUse::Id),
        Some(TokenUseArg::Any) | None => pool.any_token_use(),
    };
    pool = if args.any_client {
        pool.any_client()
    } else {
        pool.client_ids(args.client_id.iter().cloned())
    };
    if !args.group.is_empty() {
        pool = pool.require_groups(requirement(&args.group, args.all_groups));
    }
    if !args.scope.is_empty() {
        pool = pool.require_scopes(requirement(&args.scope, args.all_scopes));
    }
    let mut builder = Verifier::builder()
        .cognito(pool)
        .leeway(Duration::from_secs(args.leeway));
    if let Some(list) = revocations {
        builder = builder.revocation_list(list);
    }
    builder.build()
}

fn requirement(names: &[String], all: bool) -> Requirement {
    if all {
        Requirement::all_of(names.iter().cloned())
    } else {
        Requirement::any_of(names.iter().cloned())
    }
}

fn decode(token: &str) -> ExitCode {
    let token = match read_token(Some(token)) {
        Ok(token) => token,
        Err(message) => return fail(&message),
    };
    match decode_unverified(&token) {
        Ok(decoded) => {
            print_json(&json!({
                "header": Value::Object(decoded.header),
                "payload": Value::Object(decoded.payload),
                "verified": false,
            }));
            ExitCode::SUCCESS
        }
        Err(err) => {
            print_json(&json!({"error": {"kind": err.kind(), "message": err.to_string()}}));
            ExitCode::from(1)
        }
    }
}

fn read_token(argument: Option<&str>) -> Result<String, String> {
    let token = match argument {
        Some(token) if token != "-" => token.to_owned(),
        _ => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|err| format!("cannot read the token from stdin: {err}"))?;
            input
        }
    };
    let token = token.trim();
    if token.is_empty() {
        return Err("no token given".to_owned());
    }
    Ok(token.to_owned())
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| fail(&format!("cannot start the runtime: {err}")))
}

/// One line of JSON on stdout. A reader that went away (`| head`) is not
/// an error worth a panic: the output is simply not read.
fn print_json(value: &Value) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{value}").and_then(|()| stdout.flush());
}

fn fail(message: &str) -> ExitCode {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "cognito-auth: {message}");
    ExitCode::from(2)
}
