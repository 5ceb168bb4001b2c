//! The framework-neutral request authenticator: find the token, verify it,
//! decide, and render refusals.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::authentication::Authentication;
use super::error::AuthError;
use super::extract::FromVerified;
use super::rejection::{AuthRejection, RejectionContext, RenderRejection, StandardRejection};
use super::reply::Reply;
#[cfg(feature = "tower")]
use super::token_source::{BearerToken, bearer_token_bytes};
use super::token_source::{RequestHead, TokenLookup, TokenSource, is_b64token};
use crate::claims::VerifiedToken;
use crate::error::Error;
#[cfg(feature = "tower")]
use crate::verifier::Probe;
use crate::verifier::Verifier;

/// What the tower path found for a request: decided at once (a cached
/// token, a refusal), or a verification to wait for.
#[cfg(feature = "tower")]
pub(crate) enum HttpVerification {
    Decided(Result<Authentication, Reply>),
    Pending(std::pin::Pin<Box<dyn Future<Output = Result<Authentication, Reply>> + Send>>),
}

/// Finds, verifies and judges the token of a request; shared by the tower
/// layer, the axum extractors and the actix-web middleware and extractors.
///
/// Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use cognito_auth::web::{Authenticator, TokenSource};
/// # use cognito_auth::{CognitoPool, TokenUse, Verifier};
/// # let verifier = Verifier::builder()
/// #     .cognito(CognitoPool::new("us-east-1_AbCdEf123").token_use(TokenUse::Access).any_client())
/// #     .build()?;
///
/// let auth = Authenticator::new(verifier)
///     .token_source(TokenSource::bearer_or_cookie("access_token"))
///     .realm("orders-api")
///     .retry_after(Duration::from_secs(10));
/// let optional = auth.clone().optional();
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct Authenticator(Arc<Settings>);

#[derive(Clone)]
struct Settings {
    verifier: Verifier,
    source: TokenSource,
    /// Whether a request without a token passes as anonymous.
    optional: bool,
    context: RejectionContext,
    renderer: Arc<dyn RenderRejection>,
}

impl Authenticator {
    /// Bearer header, required mode, realm `api`, `Retry-After: 5`, the
    /// standard JSON rejections.
    pub fn new(verifier: Verifier) -> Self {
        Authenticator(Arc::new(Settings {
            verifier,
            source: TokenSource::bearer(),
            optional: false,
            context: RejectionContext::default(),
            renderer: Arc::new(StandardRejection),
        }))
    }

    /// Where to find the token (default: the bearer header).
    pub fn token_source(mut self, source: TokenSource) -> Self {
        Arc::make_mut(&mut self.0).source = source;
        self
    }

    /// A request without a token passes as anonymous. A token that is
    /// present but invalid is still refused: it is never downgraded to
    /// anonymous.
    pub fn optional(mut self) -> Self {
        Arc::make_mut(&mut self.0).optional = true;
        self
    }

    /// A request without a token is refused with `401` (the default).
    pub fn required(mut self) -> Self {
        Arc::make_mut(&mut self.0).optional = false;
        self
    }

    /// The `realm` of `WWW-Authenticate` challenges (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.0).context.realm = realm.into();
        self
    }

    /// The `Retry-After` of 503 answers (default 5 s).
    pub fn retry_after(mut self, delay: Duration) -> Self {
        Arc::make_mut(&mut self.0).context.retry_after_seconds = delay.as_secs().max(1);
        self
    }

    /// Puts the detailed reason of a refusal (the configured client ids,
    /// issuers, key URLs, network errors) into the answer's
    /// `error_description`, instead of one fixed phrase per error kind.
    /// For development: off by default, since the details tell an
    /// unauthenticated caller about the configuration. The details are
    /// always logged (DEBUG, WARN for keys that cannot be had).
    pub fn verbose_errors(mut self, verbose: bool) -> Self {
        Arc::make_mut(&mut self.0).context.verbose_errors = verbose;
        self
    }

    /// Renders refusals your way (a [`RenderRejection`] or a closure).
    pub fn render_with(mut self, renderer: impl RenderRejection) -> Self {
        Arc::make_mut(&mut self.0).renderer = Arc::new(renderer);
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.0.verifier
    }

    /// Whether a request without a token passes as anonymous.
    pub fn is_optional(&self) -> bool {
        self.0.optional
    }

    /// Finds the token and returns a future that verifies it; the future
    /// does not borrow the request.
    pub fn authenticate(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Result<Authentication, AuthRejection>> + Send + 'static {
        let lookup = self.0.source.lookup(request);
        let authenticator = self.clone();
        async move { authenticator.judge(lookup).await }
    }

    /// Like [`authenticate`](Self::authenticate), with refusals already
    /// rendered.
    #[cfg_attr(not(feature = "actix"), allow(dead_code))]
    pub(crate) fn authenticate_or_render(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Result<Authentication, Reply>> + Send + 'static {
        let lookup = self.0.source.lookup(request);
        let authenticator = self.clone();
        async move {
            authenticator
                .judge(lookup)
                .await
                .map_err(|rejection| authenticator.render(&rejection))
        }
    }

    /// The tower path: with the bearer source, the token is read in place
    /// from the header value, a verified-token cache hit is decided
    /// without a future, and a miss verifies from a clone of the header
    /// value (a reference count), not a copy of the token.
    #[cfg(feature = "tower")]
    pub(crate) fn authenticate_or_render_http<B>(
        &self,
        request: &http::Request<B>,
    ) -> HttpVerification {
        if self.0.source.is_bearer() {
            let mut values = request
                .headers()
                .get_all(http::header::AUTHORIZATION)
                .iter();
            if let (Some(value), None) = (values.next(), values.next())
                && let BearerToken::At(range) = bearer_token_bytes(value.as_bytes())
            {
                return self.verify_header_token(value, range);
            }
        }
        let lookup = self.0.source.lookup(request);
        let authenticator = self.clone();
        HttpVerification::Pending(Box::pin(async move {
            authenticator
                .judge(lookup)
                .await
                .map_err(|rejection| authenticator.render(&rejection))
        }))
    }

    /// [`authenticate_or_render_http`](Self::authenticate_or_render_http)
    /// for a bearer token at `range` in `value`.
    #[cfg(feature = "tower")]
    fn verify_header_token(
        &self,
        value: &http::HeaderValue,
        range: std::ops::Range<usize>,
    ) -> HttpVerification {
        fn token_of(value: &http::HeaderValue, range: std::ops::Range<usize>) -> Option<&str> {
            value
                .as_bytes()
                .get(range)
                .and_then(|token| std::str::from_utf8(token).ok())
        }
        let not_ascii = || {
            AuthRejection::InvalidRequest(
                "the Authorization header is not visible ASCII".to_owned(),
            )
        };
        let Some(token) = token_of(value, range.clone()) else {
            return HttpVerification::Decided(Err(self.render(&not_ascii())));
        };
        let missed = match self.0.verifier.probe(token) {
            Ok(Probe::Hit(verified)) => {
                return HttpVerification::Decided(Ok(self.authentication(Some(verified))));
            }
            Ok(Probe::Miss(missed)) => missed,
            Err(err) => {
                let rejection = self.judged(token, Err(err));
                return HttpVerification::Decided(rejection.map_err(|r| self.render(&r)));
            }
        };
        let (authenticator, value) = (self.clone(), value.clone());
        HttpVerification::Pending(Box::pin(async move {
            // The same bytes as above (a clone of the value).
            let outcome = match token_of(&value, range) {
                Some(token) => {
                    let outcome = authenticator.0.verifier.verify_in_full(token, missed).await;
                    authenticator.judged(token, outcome)
                }
                None => Err(not_ascii()),
            };
            outcome.map_err(|rejection| authenticator.render(&rejection))
        }))
    }

    async fn judge_token(&self, token: &str) -> Result<Authentication, AuthRejection> {
        let outcome = self.0.verifier.verify(token).await;
        self.judged(token, outcome)
    }

    /// A verification's outcome as the request's authentication.
    fn judged(
        &self,
        token: &str,
        outcome: Result<VerifiedToken, Error>,
    ) -> Result<Authentication, AuthRejection> {
        match outcome {
            Ok(verified) => Ok(self.authentication(Some(verified))),
            // A value that is not even a b64token (RFC 6750 §2.1) is a
            // malformed request rather than an invalid token. Checked only
            // on failure: a token that verifies is a JWS, whose characters
            // all are b64token characters.
            Err(_) if !is_b64token(token) => Err(AuthRejection::InvalidRequest(
                "the credentials are not a single b64token (RFC 6750 §2.1)".to_owned(),
            )),
            Err(err) => Err(AuthRejection::from_error(err)),
        }
    }

    /// Verifies what a token source found; a missing token is refused unless
    /// the authenticator is [optional](Self::optional).
    pub async fn judge(&self, lookup: TokenLookup) -> Result<Authentication, AuthRejection> {
        match lookup {
            TokenLookup::Found(token) => self.judge_token(&token).await,
            TokenLookup::Malformed(why) => Err(AuthRejection::InvalidRequest(why)),
            TokenLookup::Missing if self.0.optional => Ok(self.authentication(None)),
            TokenLookup::Missing => Err(AuthRejection::MissingToken),
        }
    }

    /// Verifies the request's token on the spot (no layer or middleware
    /// ran) and makes `T` of it: `Ok(None)` for an anonymous request when
    /// the authenticator is optional. The future does not borrow the
    /// request.
    pub fn authenticate_as<T: FromVerified + 'static>(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Result<Option<T>, AuthError>> + Send + 'static {
        let verification = self.authenticate(request);
        let authenticator = self.clone();
        async move {
            verification
                .await
                .map_err(|rejection| AuthError::new(rejection, &authenticator))?
                .extract()
        }
    }

    /// The HTTP answer for a refusal. The details go to `tracing` (a
    /// refused token at DEBUG, keys that cannot be had at WARN, a server
    /// set up wrongly at ERROR); the answer carries them only with
    /// [`verbose_errors`](Self::verbose_errors).
    pub fn render(&self, rejection: &AuthRejection) -> Reply {
        self.log_rejection(rejection);
        self.0.renderer.render(rejection, &self.0.context)
    }

    /// Logs a refusal: a refused token at DEBUG, keys that cannot be had
    /// at WARN, a server set up wrongly at ERROR.
    pub(crate) fn log_rejection(&self, rejection: &AuthRejection) {
        let kind = rejection
            .error()
            .map_or(rejection.error_code(), Error::kind);
        match rejection {
            AuthRejection::Unavailable(_) => {
                tracing::warn!(kind, reason = %rejection.description(), "request refused: keys unavailable");
            }
            AuthRejection::Misconfigured(_) => {
                tracing::error!(reason = %rejection.description(), "request refused: misconfigured");
            }
            _ => tracing::debug!(kind, reason = %rejection.description(), "request refused"),
        }
    }

    /// What answers tell of a refusal (see
    /// [`verbose_errors`](Self::verbose_errors)).
    #[cfg_attr(not(feature = "tonic"), allow(dead_code))]
    pub(crate) fn describe(&self, rejection: &AuthRejection) -> String {
        self.0.context.description_of(rejection)
    }

    fn authentication(&self, token: Option<VerifiedToken>) -> Authentication {
        Authentication::bearer(token, self.clone())
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("verifier", &self.0.verifier)
            .field("source", &self.0.source)
            .field("optional", &self.0.optional)
            .field("realm", &self.0.context.realm)
            .finish_non_exhaustive()
    }
}
