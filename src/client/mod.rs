//! A small client for the Cognito IdP API and the OAuth2 token endpoint
//! (feature `client`), without the AWS SDK.
//!
//! * [`CognitoClient`]: the API endpoint (a region, or any URL such as an
//!   emulator), timeouts, retries, an optional `reqwest::Client` of yours.
//!   Cheap to clone, safe to share.
//! * [`AppClient`]: sign-in (`USER_PASSWORD_AUTH`, `USER_SRP_AUTH`),
//!   challenges, refresh, revocation for one app client; `SECRET_HASH` is
//!   added whenever a client secret is set.
//! * [`TokenEndpoint`] and [`ClientCredentials`]: the OAuth2 token
//!   endpoint of the pool's domain, and a machine-to-machine token source.
//! * With feature `iam`: [`CognitoClient::call_signed`] (any
//!   IAM-authorized operation, SigV4-signed), [`UserPool`] (users, groups,
//!   passwords, global sign-out) and [`AppClient::admin_sign_in`]; AWS
//!   credentials from any [`ProvideCredentials`] (static,
//!   [`EnvironmentCredentials`], or `aws-config`'s chain).
//!
//! Tokens, passwords, secrets and sessions are [`Secret`]s: redacted in
//! every `Debug` output and never logged.
//!
//! ```no_run
//! use cognito_auth::client::{AuthOutcome, CognitoClient, Secret};
//!
//! # async fn demo() -> Result<(), cognito_auth::Error> {
//! let cognito = CognitoClient::builder().region("eu-west-1").build()?;
//! let app = cognito.app_client("1example23456789").with_secret("app-client-secret");
//! match app.sign_in("alice", &Secret::new("correct horse")).await? {
//!     AuthOutcome::Tokens(tokens) => println!("signed in; expires in {:?}s", tokens.expires_in),
//!     AuthOutcome::Challenge(challenge) => println!("answer {}", challenge.name),
//!     _ => {}
//! }
//! # Ok(()) }
//! ```

mod app_client;
mod client_credentials;
#[cfg(feature = "iam")]
mod iam;
mod outcome;
mod pkce;
mod secret;
mod srp;
mod token_endpoint;
mod user;
mod wire;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use app_client::{AppClient, secret_hash};
pub use client_credentials::ClientCredentials;
pub use outcome::{AuthOutcome, Challenge, ChallengeName, Tokens};
pub use pkce::Pkce;
pub use secret::Secret;
pub use token_endpoint::TokenEndpoint;
pub use user::{User, UserStatus};

#[cfg(feature = "iam")]
#[cfg_attr(docsrs, doc(cfg(feature = "iam")))]
pub use iam::{
    CREDENTIAL_VARIABLES, Credentials, EnvironmentCredentials, Group, MAX_USERS_PAGE, NewUser,
    ProvideCredentials, UserPool, UserQuery,
};

pub use crate::RetryPolicy;

use crate::config::aws;
use crate::error::{Error, Result};
use crate::revocation::RevocationList;
#[cfg(feature = "fuzzing")]
pub(crate) use token_endpoint::parse_token_answer;
use wire::Wire;
#[cfg(feature = "fuzzing")]
pub(crate) use wire::parse_error;

/// A client of the Cognito IdP JSON API.
///
/// ```
/// use std::time::Duration;
/// use cognito_auth::client::{CognitoClient, RetryPolicy};
///
/// let aws = CognitoClient::builder().region("us-east-1").build()?;
/// let emulator = CognitoClient::builder()
///     .endpoint("http://127.0.0.1:9229")
///     .timeout(Duration::from_secs(3))
///     .retry(RetryPolicy::new(5))
///     .build()?;
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct CognitoClient {
    wire: Arc<Wire>,
    revocations: Option<RevocationList>,
}

impl CognitoClient {
    /// Starts a configuration.
    pub fn builder() -> CognitoClientBuilder {
        CognitoClientBuilder::default()
    }

    /// The revocation list sign-outs and revocations are written to.
    pub(crate) fn revocations(&self) -> Option<&RevocationList> {
        self.revocations.as_ref()
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        self.wire.endpoint.as_str()
    }

    /// An app client of a user pool, for sign-in and token operations.
    pub fn app_client(&self, client_id: impl Into<String>) -> AppClient {
        AppClient::new(self.clone(), client_id.into())
    }

    /// Any credential-free operation (AWS JSON 1.1), typed by you: for
    /// example `SignUp`, `ConfirmSignUp`, `ForgotPassword`.
    ///
    /// ```no_run
    /// # async fn demo(cognito: cognito_auth::client::CognitoClient) -> Result<(), cognito_auth::Error> {
    /// use serde_json::{Value, json};
    /// let answer: Value = cognito
    ///     .call("ForgotPassword", &json!({"ClientId": "abc", "Username": "alice"}))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn call<Req, Resp>(&self, operation: &str, request: &Req) -> Result<Resp>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        self.wire.call(operation, request).await
    }

    /// Any operation, signed with SigV4 (feature `iam`): the
    /// IAM-authorized ones (`Admin*`, `ListUsers`, `DescribeUserPool`, …)
    /// and every other. A `credentials` error, before anything is sent,
    /// when the client has none.
    ///
    /// ```no_run
    /// # async fn demo(cognito: cognito_auth::client::CognitoClient) -> Result<(), cognito_auth::Error> {
    /// use serde_json::{Value, json};
    /// let pool: Value = cognito
    ///     .call_signed("DescribeUserPool", &json!({"UserPoolId": "eu-west-1_AbCdEf123"}))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "iam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "iam")))]
    pub async fn call_signed<Req, Resp>(&self, operation: &str, request: &Req) -> Result<Resp>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        self.wire.call_signed(operation, request).await
    }

    /// Whether the client has credentials to sign calls with.
    pub fn can_sign(&self) -> bool {
        #[cfg(feature = "iam")]
        {
            self.wire.signer.is_some()
        }
        #[cfg(not(feature = "iam"))]
        {
            false
        }
    }
}

impl fmt::Debug for CognitoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CognitoClient")
            .field("endpoint", &self.wire.endpoint.as_str())
            .field("timeout", &self.wire.timeout)
            .field("retry", &self.wire.retry)
            .field("signed", &self.can_sign())
            .finish()
    }
}

/// Configuration of a [`CognitoClient`].
#[derive(Debug, Clone)]
pub struct CognitoClientBuilder {
    endpoint: Option<Endpoint>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    max_response_bytes: usize,
    revocations: Option<RevocationList>,
    #[cfg(feature = "iam")]
    signing: Signing,
}

/// What signed calls need: credentials, a region, a refresh margin.
#[cfg(feature = "iam")]
#[derive(Debug, Clone)]
struct Signing {
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    region: Option<String>,
    refresh_before: Duration,
}

/// How long before their expiry credentials are asked for again, by
/// default.
#[cfg(feature = "iam")]
pub const DEFAULT_CREDENTIALS_REFRESH: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
enum Endpoint {
    Region(String),
    Url(String),
}

impl Default for CognitoClientBuilder {
    fn default() -> Self {
        CognitoClientBuilder {
            endpoint: None,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            retry: RetryPolicy::default(),
            http: None,
            max_response_bytes: wire::DEFAULT_MAX_RESPONSE_BYTES,
            revocations: None,
            #[cfg(feature = "iam")]
            signing: Signing {
                credentials: None,
                region: None,
                refresh_before: DEFAULT_CREDENTIALS_REFRESH,
            },
        }
    }
}

impl CognitoClientBuilder {
    /// The AWS region; the endpoint is `https://cognito-idp.{region}.amazonaws.com/`
    /// (`.com.cn` in `cn-*` regions).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.endpoint = Some(Endpoint::Region(region.into()));
        self
    }

    /// An explicit endpoint URL (emulators, VPC endpoints, proxies).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(Endpoint::Url(url.into()));
        self
    }

    /// Total time for one attempt, connection to last byte (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time to establish a connection (default 3 s; ignored with your own
    /// `reqwest::Client`).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Which failures are retried and how (default: 3 attempts).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sends requests with your own client (connection pool, proxy).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The largest answer body read (default 1 MiB); a larger answer is a
    /// `transport` error and is not read further.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// Writes what the client revokes to this revocation list too, so
    /// every verifier sharing it refuses the revoked tokens at once:
    /// [`AppClient::revoke_session`] the session, and
    /// [`CognitoClient::global_sign_out`] every older token of the user.
    /// Without it, revoked access and ID tokens keep verifying locally
    /// until they expire.
    pub fn revocation_list(mut self, list: RevocationList) -> Self {
        self.revocations = Some(list);
        self
    }

    /// AWS credentials for [signed calls](CognitoClient::call_signed)
    /// (feature `iam`): static keys ([`Credentials`]),
    /// [`EnvironmentCredentials`], or any provider such as `aws-config`'s
    /// default chain (profiles, SSO, IMDS, ECS, web identity). They are
    /// cached and asked for again before they expire.
    ///
    /// ```
    /// use cognito_auth::client::{CognitoClient, Credentials};
    ///
    /// let keys = Credentials::new("AKIDEXAMPLE", "secret", None, None, "static");
    /// let cognito = CognitoClient::builder().region("eu-west-1").credentials(keys).build()?;
    /// assert!(cognito.can_sign());
    /// assert!(!format!("{cognito:?}").contains("secret"));
    /// # Ok::<(), cognito_auth::Error>(())
    /// ```
    #[cfg(feature = "iam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "iam")))]
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.signing.credentials =
            Some(aws_credential_types::provider::SharedCredentialsProvider::new(provider));
        self
    }

    /// The region signatures name (feature `iam`). Default: the
    /// [`region`](Self::region), or the one in an endpoint host
    /// `cognito-idp.{region}.amazonaws.com`; set it for any other
    /// endpoint (emulators).
    #[cfg(feature = "iam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "iam")))]
    pub fn signing_region(mut self, region: impl Into<String>) -> Self {
        self.signing.region = Some(region.into());
        self
    }

    /// How long before their expiry credentials are asked for again
    /// (feature `iam`; default 5 min).
    #[cfg(feature = "iam")]
    #[cfg_attr(docsrs, doc(cfg(feature = "iam")))]
    pub fn credentials_refresh_before(mut self, margin: Duration) -> Self {
        self.signing.refresh_before = margin;
        self
    }

    /// Builds the client; `config` errors for a missing or bad endpoint
    /// (or, with credentials, no region to sign for).
    pub fn build(self) -> Result<CognitoClient> {
        #[cfg(feature = "iam")]
        let signer = self.signer()?;
        let endpoint = match self.endpoint {
            Some(Endpoint::Region(region)) => {
                if !aws::is_region(&region) {
                    return Err(Error::config(format!("{region:?} is not a region name")));
                }
                format!("{}/", aws::endpoint("cognito-idp", &region))
            }
            Some(Endpoint::Url(url)) => url,
            None => return Err(Error::config("set a region or an endpoint URL")),
        };
        let endpoint = Url::parse(&endpoint)
            .map_err(|err| Error::config(format!("endpoint {endpoint:?} is not a URL: {err}")))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "endpoint {endpoint} must be http or https"
            )));
        }
        if self.timeout.is_zero() {
            return Err(Error::config("the timeout must be above zero"));
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.timeout)
                .user_agent(concat!("cognito-auth/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|err| Error::config(format!("cannot build the HTTP client: {err}")))?,
        };
        Ok(CognitoClient {
            revocations: self.revocations,
            wire: Arc::new(Wire {
                http,
                endpoint,
                timeout: self.timeout,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
                #[cfg(feature = "iam")]
                signer,
            }),
        })
    }

    #[cfg(feature = "iam")]
    fn signer(&self) -> Result<Option<Arc<iam::signer::Signer>>> {
        let Some(credentials) = &self.signing.credentials else {
            return Ok(None);
        };
        let region = match (&self.signing.region, &self.endpoint) {
            (Some(region), _) | (None, Some(Endpoint::Region(region))) => region.clone(),
            (None, Some(Endpoint::Url(url))) => region_of_endpoint(url).ok_or_else(|| {
                Error::config(format!(
                    "signed calls to {url} need a signing region: set signing_region"
                ))
            })?,
            (None, None) => return Err(Error::config("set a region or an endpoint URL")),
        };
        if !aws::is_region(&region) {
            return Err(Error::config(format!("{region:?} is not a region name")));
        }
        let cache = iam::CredentialsCache::new(credentials.clone(), self.signing.refresh_before);
        Ok(Some(Arc::new(iam::signer::Signer::new(cache, region))))
    }
}

/// The region in `https://cognito-idp.{region}.amazonaws.com[.cn]/`.
#[cfg(feature = "iam")]
fn region_of_endpoint(url: &str) -> Option<String> {
    let host = Url::parse(url).ok()?.host_str()?.to_owned();
    let rest = host.strip_prefix("cognito-idp.")?;
    let (region, domain) = rest.split_once('.')?;
    (aws::is_region(region) && domain == aws::domain(region)).then(|| region.to_owned())
}
