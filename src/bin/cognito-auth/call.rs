//! `call`: any user-pools operation, signed with `--sign` (credentials
//! from the environment), unsigned without.

use std::io::Read;

use clap::Args;
use cognito_auth::Error;
use serde_json::Value;

use super::session::Target;

#[derive(Args)]
pub(crate) struct CallArgs {
    /// The operation, e.g. ListUsers, AdminGetUser, SignUp.
    operation: String,
    #[command(flatten)]
    target: Target,
    /// Sign with SigV4, with credentials from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Without it nothing is
    /// signed, even when credentials are in the environment.
    #[arg(long)]
    sign: bool,
    /// The request body (JSON); "-" reads it from stdin. Default {}.
    #[arg(long, value_name = "BODY", conflicts_with = "stdin")]
    json: Option<String>,
    /// "-": read the request body from stdin.
    #[arg(value_name = "-", value_parser = clap::builder::PossibleValuesParser::new(["-"]))]
    stdin: Option<String>,
}

pub(crate) async fn call(args: CallArgs) -> Result<Value, Error> {
    let text = match (args.json.as_deref(), args.stdin.is_some()) {
        (Some("-"), _) | (None, true) => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|err| Error::Config(format!("cannot read the body from stdin: {err}")))?;
            input
        }
        (Some(body), _) => body.to_owned(),
        (None, false) => "{}".to_owned(),
    };
    let body: Value = serde_json::from_str(&text)
        .map_err(|err| Error::Config(format!("the body is not JSON: {err}")))?;
    if !body.is_object() {
        return Err(Error::Config("the body must be a JSON object".into()));
    }
    let cognito = args.target.client(args.sign)?;
    if args.sign {
        cognito.call_signed(&args.operation, &body).await
    } else {
        cognito.call(&args.operation, &body).await
    }
}
