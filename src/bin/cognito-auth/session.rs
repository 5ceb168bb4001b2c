//! `login`, `refresh`, `revoke` and `token`: thin shells over the client.

use std::io::BufRead;
use std::process::ExitCode;

use clap::{ArgGroup, Args};
use cognito_auth::Error;
use cognito_auth::client::{
    AuthOutcome, CREDENTIAL_VARIABLES, CognitoClient, EnvironmentCredentials, Secret,
    TokenEndpoint, Tokens,
};
use serde_json::{Value, json};

use super::{fail, print_json, runtime};

/// Where the Cognito API is.
#[derive(Args)]
#[command(group(ArgGroup::new("target").required(true).multiple(true).args(["region", "endpoint"])))]
pub(crate) struct Target {
    /// The AWS region (endpoint cognito-idp.{region}.amazonaws.com); with
    /// --endpoint, the region signed calls name.
    #[arg(long)]
    region: Option<String>,
    /// An explicit endpoint URL (an emulator, a VPC endpoint).
    #[arg(long)]
    endpoint: Option<String>,
}

impl Target {
    /// A client of the target; `signed`: with credentials from the
    /// environment and the signing region (`--region`, else `AWS_REGION`
    /// or `AWS_DEFAULT_REGION`). Fails before anything is sent when either
    /// is missing.
    pub(crate) fn client(&self, signed: bool) -> Result<CognitoClient, Error> {
        let builder = CognitoClient::builder();
        let mut builder = match (&self.region, &self.endpoint) {
            (_, Some(endpoint)) => builder.endpoint(endpoint),
            (Some(region), None) => builder.region(region),
            (None, None) => return Err(Error::Config("give --region or --endpoint".into())),
        };
        if signed {
            let region = self
                .region
                .clone()
                .or_else(|| environment("AWS_REGION"))
                .or_else(|| environment("AWS_DEFAULT_REGION"))
                .ok_or_else(|| {
                    Error::Config(
                        "a signed call needs its region: give --region, or set AWS_REGION or \
                         AWS_DEFAULT_REGION"
                            .into(),
                    )
                })?;
            let credentials = EnvironmentCredentials::new().read().map_err(|_| {
                Error::Credentials(format!(
                    "--sign found none in the environment (looked for {}; the first two are needed)",
                    CREDENTIAL_VARIABLES.join(", ")
                ))
            })?;
            builder = builder.credentials(credentials).signing_region(region);
        }
        builder.build()
    }
}

fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Where the app client secret comes from. Arguments are visible to other
/// users of the machine (`ps`): prefer the environment.
#[derive(Args)]
pub(crate) struct ClientSecret {
    /// The app client secret (visible in `ps`: prefer --client-secret-env,
    /// or set COGNITO_CLIENT_SECRET).
    #[arg(long, env = "COGNITO_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Read the app client secret from the environment variable VAR.
    #[arg(long, value_name = "VAR")]
    client_secret_env: Option<String>,
}

impl ClientSecret {
    /// The secret, if one was given in any of the three ways.
    fn get(&self) -> Result<Option<Secret>, Error> {
        if let Some(name) = &self.client_secret_env {
            return match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(Some(Secret::new(value))),
                _ => Err(Error::Config(format!(
                    "--client-secret-env {name}: the variable is not set (or empty)"
                ))),
            };
        }
        Ok(self.client_secret.as_deref().map(Secret::new))
    }
}

/// Where a refresh token comes from: an argument (visible in `ps`) or the
/// first line of stdin.
#[derive(Args)]
#[command(group(ArgGroup::new("refresh_token_source").required(true).args(["refresh_token", "refresh_token_stdin"])))]
pub(crate) struct RefreshToken {
    /// The refresh token (visible in `ps`: prefer --refresh-token-stdin).
    #[arg(long)]
    refresh_token: Option<String>,
    /// Read the refresh token from the first line of stdin.
    #[arg(long)]
    refresh_token_stdin: bool,
}

impl RefreshToken {
    fn get(&self) -> Result<Secret, Error> {
        match (&self.refresh_token, self.refresh_token_stdin) {
            (Some(token), false) => Ok(Secret::new(token.as_str())),
            _ => read_line_secret("the refresh token"),
        }
    }
}

#[derive(Args)]
#[command(group(ArgGroup::new("password_source").required(true).args(["password", "password_stdin"])))]
pub(crate) struct LoginArgs {
    /// The app client id.
    #[arg(long)]
    client_id: String,
    /// The user name.
    #[arg(long)]
    username: String,
    /// The password (prefer --password-stdin: arguments are visible to other users).
    #[arg(long)]
    password: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    client_secret: ClientSecret,
    /// Use USER_SRP_AUTH: the password never leaves this machine.
    #[arg(long, requires = "user_pool_id", conflicts_with = "admin")]
    srp: bool,
    /// Sign in on the server: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH),
    /// signed with credentials from the environment.
    #[arg(long, requires = "user_pool_id")]
    admin: bool,
    /// The user pool id (needed by --srp and --admin).
    #[arg(long)]
    user_pool_id: Option<String>,
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
pub(crate) struct RefreshArgs {
    /// The app client id.
    #[arg(long)]
    client_id: String,
    #[command(flatten)]
    refresh_token: RefreshToken,
    /// With a client secret: SECRET_HASH needs --username.
    #[command(flatten)]
    client_secret: ClientSecret,
    /// The user name (or sub) the secret hash is computed for.
    #[arg(long)]
    username: Option<String>,
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
pub(crate) struct RevokeArgs {
    /// The app client id.
    #[arg(long)]
    client_id: String,
    #[command(flatten)]
    refresh_token: RefreshToken,
    #[command(flatten)]
    client_secret: ClientSecret,
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
pub(crate) struct TokenArgs {
    /// The token endpoint, https://{domain}/oauth2/token.
    #[arg(long)]
    token_endpoint: String,
    /// The app client id.
    #[arg(long)]
    client_id: String,
    #[command(flatten)]
    client_secret: ClientSecret,
    /// A scope to ask for (repeatable).
    #[arg(long = "scope")]
    scope: Vec<String>,
}

/// Runs a command's future and turns its result into output and a status.
pub(crate) fn run(command: impl Future<Output = Result<Value, Error>>) -> ExitCode {
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(command) {
        Ok(output) => {
            print_json(&output);
            ExitCode::SUCCESS
        }
        Err(Error::Service(error)) => {
            print_json(&json!({
                "error": {"kind": error.name(), "message": error.message()},
            }));
            ExitCode::from(1)
        }
        Err(other) => fail(&other.to_string()),
    }
}

pub(crate) async fn login(args: LoginArgs) -> Result<Value, Error> {
    let password = match (&args.password, args.password_stdin) {
        (Some(password), false) => Secret::new(password.as_str()),
        _ => read_line_secret("the password")?,
    };
    let mut app = args.target.client(args.admin)?.app_client(&args.client_id);
    if let Some(secret) = args.client_secret.get()? {
        app = app.with_secret(secret);
    }
    let outcome = match (&args.user_pool_id, args.srp, args.admin) {
        (Some(pool), true, _) => app.sign_in_srp(pool, &args.username, &password).await?,
        (Some(pool), _, true) => app.admin_sign_in(pool, &args.username, &password).await?,
        _ => app.sign_in(&args.username, &password).await?,
    };
    Ok(outcome_json(outcome))
}

pub(crate) async fn refresh(args: RefreshArgs) -> Result<Value, Error> {
    let refresh_token = args.refresh_token.get()?;
    let mut app = args.target.client(false)?.app_client(&args.client_id);
    if let Some(secret) = args.client_secret.get()? {
        app = app.with_secret(secret);
    }
    let outcome = app
        .refresh(&refresh_token, args.username.as_deref())
        .await?;
    Ok(outcome_json(outcome))
}

pub(crate) async fn revoke(args: RevokeArgs) -> Result<Value, Error> {
    let refresh_token = args.refresh_token.get()?;
    let mut app = args.target.client(false)?.app_client(&args.client_id);
    if let Some(secret) = args.client_secret.get()? {
        app = app.with_secret(secret);
    }
    app.revoke(&refresh_token).await?;
    Ok(json!({ "revoked": true }))
}

pub(crate) async fn token(args: TokenArgs) -> Result<Value, Error> {
    let secret = args.client_secret.get()?.ok_or_else(|| {
        Error::Config(
            "the client-credentials grant needs the client secret: give --client-secret-env VAR, \
             set COGNITO_CLIENT_SECRET, or --client-secret"
                .into(),
        )
    })?;
    let endpoint = TokenEndpoint::new(&args.token_endpoint, &args.client_id)?.client_secret(secret);
    let scopes: Vec<&str> = args.scope.iter().map(String::as_str).collect();
    Ok(tokens_json(&endpoint.client_credentials(&scopes).await?))
}

/// The first line of stdin, for a secret that must not be an argument.
fn read_line_secret(what: &str) -> Result<Secret, Error> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|err| Error::Config(format!("cannot read {what} from stdin: {err}")))?;
    let secret = line.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(Error::Config(format!("no {what} on stdin")));
    }
    Ok(Secret::new(secret))
}

fn outcome_json(outcome: AuthOutcome) -> Value {
    match outcome {
        AuthOutcome::Tokens(tokens) => tokens_json(&tokens),
        AuthOutcome::Challenge(challenge) => json!({
            "challenge": challenge.name.as_str(),
            "session": challenge.session.as_ref().map(Secret::expose),
            "parameters": challenge.parameters,
        }),
        _ => json!({ "error": {"kind": "UnexpectedResponse", "message": "unknown outcome"} }),
    }
}

fn tokens_json(tokens: &Tokens) -> Value {
    json!({
        "access_token": tokens.access_token.expose(),
        "id_token": tokens.id_token.as_ref().map(Secret::expose),
        "refresh_token": tokens.refresh_token.as_ref().map(Secret::expose),
        "expires_in": tokens.expires_in,
        "token_type": tokens.token_type,
    })
}
