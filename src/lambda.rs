//! AWS Lambda (feature `lambda`). An HTTP function on `lambda_http` needs
//! nothing from here: it runs a tower service, so [`AuthLayer`] and
//! [`RequireLayer`] go in front of it as in any server (see the `lambda`
//! example). This module is the other half: an API Gateway **Lambda
//! authorizer** that verifies the token and answers in API Gateway's
//! format, with the `aws_lambda_events` types.
//!
//! | authorizer | event | answer |
//! |---|---|---|
//! | REST API, `TOKEN` | [`ApiGatewayCustomAuthorizerRequest`] | [`Authorizer::token`]: an IAM policy |
//! | REST API, `REQUEST` | [`ApiGatewayCustomAuthorizerRequestTypeRequest`] | [`Authorizer::request`]: an IAM policy |
//! | HTTP API, simple responses | [`ApiGatewayV2CustomAuthorizerV2Request`] | [`Authorizer::simple`]: `isAuthorized` |
//!
//! A missing or invalid token is [`AuthorizerError::Unauthorized`], whose
//! text is `Unauthorized`: returned from the handler, API Gateway answers
//! `401` (the contract for REST authorizers). A valid token that fails a
//! group or scope guard gets a `Deny` policy (`403`); a valid one an
//! `Allow` policy with the claims in the `context` (`sub`, `username`,
//! `client_id`, `token_use`, `scope`, `groups` comma separated: API
//! Gateway's context holds only flat values), which the backend reads as
//! `$context.authorizer.*`. Keys that cannot be had are
//! [`AuthorizerError::Unavailable`] (API Gateway answers `500`: nothing is
//! allowed).
//!
//! [`AuthLayer`]: crate::tower::AuthLayer
//! [`RequireLayer`]: crate::tower::RequireLayer
//!
//! ```no_run
//! use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequest;
//! use cognito_auth::lambda::Authorizer;
//! use cognito_auth::web::Guard;
//! use cognito_auth::{CognitoPool, Requirement, TokenUse, Verifier};
//!
//! # async fn handler(event: ApiGatewayCustomAuthorizerRequest) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder()
//!     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).client_id("abc"))
//!     .build()?;
//! let authorizer = Authorizer::new(verifier)
//!     .require(Guard::groups(Requirement::any_of(["admin"])))
//!     .whole_api();
//! // In the function: lambda_runtime::service_fn(|event| authorizer.token(event.payload))
//! let answer = authorizer.token(event).await?;
//! # Ok(()) }
//! ```

use std::fmt;

pub use aws_lambda_events;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use serde_json::{Map, Value};

use crate::claims::VerifiedToken;
use crate::error::Error;
use crate::verifier::Verifier;
use crate::web::{AuthRejection, Guard, TokenLookup, TokenSource};

/// Why an authorizer allows nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// No token, or an invalid one: return it from the handler and API
    /// Gateway answers `401` (its text is exactly `Unauthorized`).
    Unauthorized(AuthRejection),
    /// The keys (or the revocation list) cannot be had, or the
    /// configuration is wrong: API Gateway answers `500`.
    Unavailable(AuthRejection),
}

impl AuthorizerError {
    /// The refusal behind it, with the details for logs.
    pub fn rejection(&self) -> &AuthRejection {
        match self {
            AuthorizerError::Unauthorized(rejection) | AuthorizerError::Unavailable(rejection) => {
                rejection
            }
        }
    }

    /// A stable name: `unauthorized` or `unavailable`.
    pub fn kind(&self) -> &'static str {
        match self {
            AuthorizerError::Unauthorized(_) => "unauthorized",
            AuthorizerError::Unavailable(_) => "unavailable",
        }
    }
}

impl fmt::Display for AuthorizerError {
    /// `Unauthorized` (the text API Gateway turns into a `401`), or a
    /// fixed phrase: never the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizerError::Unauthorized(_) => f.write_str("Unauthorized"),
            AuthorizerError::Unavailable(rejection) => f.write_str(&rejection.public_description()),
        }
    }
}

impl std::error::Error for AuthorizerError {}

/// An API Gateway Lambda authorizer over a [`Verifier`].
#[derive(Clone, Debug)]
pub struct Authorizer {
    verifier: Verifier,
    guards: Vec<Guard>,
    whole_api: bool,
}

/// Whether a verified token may call, and the answer's parts.
enum Verdict {
    Allow(VerifiedToken),
    Deny(VerifiedToken),
}

impl Authorizer {
    /// Verifies tokens with `verifier`; every valid token is allowed.
    pub fn new(verifier: Verifier) -> Self {
        Authorizer {
            verifier,
            guards: Vec::new(),
            whole_api: false,
        }
    }

    /// A group or scope guard: a valid token that fails it is denied
    /// (`403`). Several guards must all be met.
    pub fn require(mut self, guard: impl Into<Guard>) -> Self {
        self.guards.push(guard.into());
        self
    }

    /// Policies name every method of the API's stage
    /// (`…/{stage}/*/*`) instead of the one called, so that API Gateway's
    /// authorizer cache can reuse an answer for the token's other calls.
    /// Only for authorizers whose verdict does not depend on the method.
    pub fn whole_api(mut self) -> Self {
        self.whole_api = true;
        self
    }

    /// A `TOKEN` authorizer: the identity source (`Authorization`) holds
    /// `Bearer <token>` or the bare token.
    pub async fn token(
        &self,
        event: ApiGatewayCustomAuthorizerRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        let value = event.authorization_token.unwrap_or_default();
        let lookup = match bearer_value(&value) {
            Some(token) => TokenLookup::Found(token.to_owned()),
            None => TokenLookup::Missing,
        };
        let verdict = self.judge(lookup).await?;
        Ok(self.policy(verdict, event.method_arn.as_deref()))
    }

    /// A `REQUEST` authorizer: the token from the `Authorization` header
    /// (`Bearer …`), read like the web layers read it (one header, one
    /// token).
    pub async fn request(
        &self,
        event: ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        let lookup = TokenSource::bearer().lookup(&HeadersOnly(&event.headers));
        let verdict = self.judge(lookup).await?;
        Ok(self.policy(verdict, event.method_arn.as_deref()))
    }

    /// An HTTP API authorizer with simple responses: `isAuthorized`, and
    /// the claims as the context when it is.
    pub async fn simple(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, AuthorizerError> {
        let lookup = TokenSource::bearer().lookup(&HeadersOnly(&event.headers));
        let mut answer = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        match self.judge(lookup).await {
            Ok(Verdict::Allow(token)) => {
                answer.is_authorized = true;
                answer.context = Value::Object(context(&token));
            }
            Ok(Verdict::Deny(_)) | Err(AuthorizerError::Unauthorized(_)) => {
                answer.is_authorized = false;
            }
            Err(unavailable) => return Err(unavailable),
        }
        Ok(answer)
    }

    async fn judge(&self, lookup: TokenLookup) -> Result<Verdict, AuthorizerError> {
        let token = match lookup {
            TokenLookup::Found(token) => token,
            TokenLookup::Missing => {
                return Err(AuthorizerError::Unauthorized(AuthRejection::MissingToken));
            }
            TokenLookup::Malformed(why) => {
                return Err(AuthorizerError::Unauthorized(
                    AuthRejection::InvalidRequest(why),
                ));
            }
        };
        let verified = match self.verifier.verify(&token).await {
            Ok(verified) => verified,
            Err(err) => return Err(refusal(err)),
        };
        for guard in &self.guards {
            if let Err(rejection) = guard.check(&verified) {
                tracing::debug!(reason = %rejection.description(), "authorizer: denied");
                return Ok(Verdict::Deny(verified));
            }
        }
        Ok(Verdict::Allow(verified))
    }

    fn policy(
        &self,
        verdict: Verdict,
        method_arn: Option<&str>,
    ) -> ApiGatewayCustomAuthorizerResponse {
        let (effect, token) = match verdict {
            Verdict::Allow(token) => (IamPolicyEffect::Allow, token),
            Verdict::Deny(token) => (IamPolicyEffect::Deny, token),
        };
        let resource = match (method_arn, self.whole_api) {
            (Some(arn), true) => whole_api_arn(arn),
            (Some(arn), false) => arn.to_owned(),
            (None, _) => "*".to_owned(),
        };
        let mut statement = IamPolicyStatement::default();
        statement.action = vec!["execute-api:Invoke".to_owned()];
        statement.effect = effect;
        statement.resource = vec![resource];
        let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
        policy.version = Some("2012-10-17".to_owned());
        policy.statement = vec![statement];
        let mut answer = ApiGatewayCustomAuthorizerResponse::default();
        answer.principal_id = Some(token.sub().unwrap_or("unknown").to_owned());
        answer.policy_document = policy;
        answer.context = Value::Object(context(&token));
        answer
    }
}

fn refusal(err: Error) -> AuthorizerError {
    let rejection = AuthRejection::from_error(err);
    match rejection {
        AuthRejection::Unavailable(_) | AuthRejection::Misconfigured(_) => {
            tracing::warn!(reason = %rejection.description(), "authorizer: cannot verify");
            AuthorizerError::Unavailable(rejection)
        }
        other => {
            tracing::debug!(reason = %other.description(), "authorizer: unauthorized");
            AuthorizerError::Unauthorized(other)
        }
    }
}

/// The token of a `TOKEN` authorizer's identity source: `Bearer <token>`
/// or the token alone.
fn bearer_value(value: &str) -> Option<&str> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None => value,
    };
    (!token.is_empty()).then_some(token)
}

/// `arn:aws:execute-api:{region}:{account}:{api}/{stage}/*/*` from a
/// method ARN `…/{stage}/{METHOD}/{path}`.
fn whole_api_arn(method_arn: &str) -> String {
    let mut parts = method_arn.splitn(3, '/');
    match (parts.next(), parts.next()) {
        (Some(api), Some(stage)) => format!("{api}/{stage}/*/*"),
        _ => method_arn.to_owned(),
    }
}

/// The claims as API Gateway's flat context.
fn context(token: &VerifiedToken) -> Map<String, Value> {
    let mut context = Map::new();
    let claims = token.claims();
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    for (key, value) in [
        ("sub", text("sub")),
        (
            "username",
            text("username").or_else(|| text("cognito:username")),
        ),
        ("client_id", text("client_id").or_else(|| text("aud"))),
        ("token_use", text("token_use")),
        ("scope", text("scope")),
        ("iss", Some(token.issuer().to_owned())),
    ] {
        if let Some(value) = value {
            context.insert(key.to_owned(), Value::String(value));
        }
    }
    let groups: Vec<&str> = token.groups().iter().collect();
    if !groups.is_empty() {
        context.insert("groups".to_owned(), Value::String(groups.join(",")));
    }
    context
}

/// An event's headers as a request head (no path or query).
struct HeadersOnly<'a>(&'a http::HeaderMap);

impl crate::web::RequestHead for HeadersOnly<'_> {
    fn header_values(&self, name: &str) -> Vec<Option<&str>> {
        self.0
            .get_all(name)
            .iter()
            .map(|value| value.to_str().ok())
            .collect()
    }

    fn path(&self) -> &str {
        "/"
    }

    fn query(&self) -> Option<&str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_sources_and_arns() {
        assert_eq!(bearer_value("Bearer abc"), Some("abc"));
        assert_eq!(bearer_value("bearer  abc "), Some("abc"));
        assert_eq!(bearer_value("abc"), Some("abc"));
        assert_eq!(bearer_value("Basic abc"), None);
        assert_eq!(bearer_value(""), None);
        assert_eq!(bearer_value("Bearer "), None);
        assert_eq!(
            whole_api_arn("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets/1"),
            "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/*/*"
        );
        assert_eq!(whole_api_arn("not-an-arn"), "not-an-arn");
        assert_eq!(
            AuthorizerError::Unauthorized(AuthRejection::MissingToken).to_string(),
            "Unauthorized"
        );
    }
}
