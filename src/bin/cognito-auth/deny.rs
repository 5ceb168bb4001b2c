//! `deny`: records a revocation in the shared list on Redis, and the
//! `--redis` option of `verify`.

use std::process::ExitCode;
use std::time::Duration;

use clap::{ArgGroup, Args};
use cognito_auth::redis::Redis;
use cognito_auth::revocation::{RedisStore, Revocation, RevocationList};
use cognito_auth::{CognitoPool, Error};
use serde_json::json;

use super::{fail, print_json, runtime};

#[derive(Args)]
#[command(group(ArgGroup::new("pool").required(true).args(["user_pool_id", "issuer"])))]
#[command(group(ArgGroup::new("what").required(true).args(["origin_jti", "jti", "sub"])))]
pub(crate) struct DenyArgs {
    /// The user pool id; the issuer is derived from it.
    #[arg(long)]
    user_pool_id: Option<String>,
    /// The exact issuer of the tokens to deny.
    #[arg(long)]
    issuer: Option<String>,
    /// The Redis (or Valkey) server holding the list: redis://, rediss://.
    #[arg(long)]
    redis: String,
    /// Deny a session: every token with this origin_jti.
    #[arg(long)]
    origin_jti: Option<String>,
    /// Deny one token by its jti.
    #[arg(long)]
    jti: Option<String>,
    /// Deny a user: every token of this sub issued at or before the cut-off.
    #[arg(long)]
    sub: Option<String>,
    /// The user cut-off, seconds since the epoch (default: now).
    #[arg(long, requires = "sub")]
    issued_before: Option<i64>,
    /// Remember the entry this long instead of the 24 h maximum token lifetime.
    #[arg(long, value_name = "SECONDS")]
    ttl: Option<u64>,
}

/// The issuer named by `--issuer` or derived from `--user-pool-id`.
fn issuer(user_pool_id: Option<&str>, issuer: Option<&str>) -> Result<String, Error> {
    match (issuer, user_pool_id) {
        (Some(issuer), _) => Ok(issuer.to_owned()),
        (None, Some(pool_id)) => CognitoPool::new(pool_id).issuer_url(),
        (None, None) => Err(Error::Config("give --user-pool-id or --issuer".into())),
    }
}

/// A revocation list on the Redis at `url` (its mirror follows the
/// store in the background).
pub(crate) fn redis_list(url: &str) -> Result<RevocationList, Error> {
    RevocationList::builder(RedisStore::new(Redis::open(url)?)).start()
}

pub(crate) fn deny(args: DenyArgs) -> ExitCode {
    let issuer = match issuer(args.user_pool_id.as_deref(), args.issuer.as_deref()) {
        Ok(issuer) => issuer,
        Err(err) => return fail(&err.to_string()),
    };
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let outcome = runtime.block_on(async {
        let list = redis_list(&args.redis)?;
        let revocation = match (args.origin_jti, args.jti, args.sub) {
            (Some(origin_jti), _, _) => Revocation::Session { issuer, origin_jti },
            (None, Some(jti), _) => Revocation::Token { issuer, jti },
            (None, None, Some(sub)) => Revocation::User {
                issuer,
                sub,
                issued_before: args.issued_before.unwrap_or_else(|| list.now()),
            },
            (None, None, None) => {
                return Err(Error::Config("give --origin-jti, --jti or --sub".into()));
            }
        };
        match args.ttl {
            Some(ttl) => list.revoke_for(revocation, Duration::from_secs(ttl)).await,
            None => list.revoke(revocation).await,
        }
    });
    match outcome {
        Ok(entry) => {
            print_json(&json!({ "denied": entry }));
            ExitCode::SUCCESS
        }
        Err(err @ Error::RevocationUnavailable(_)) => {
            print_json(&json!({
                "error": {"kind": err.kind(), "message": err.to_string()},
            }));
            ExitCode::from(1)
        }
        Err(err) => fail(&err.to_string()),
    }
}

/// Waits (at most 5 s) until a list follows its store, for `verify --redis`.
pub(crate) async fn in_step(list: &RevocationList) -> Result<(), Error> {
    list.ready(Duration::from_secs(5)).await
}
