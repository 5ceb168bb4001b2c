//! [`Authentication`]: what authentication decided for a request — a
//! verified bearer token, a signed-in browser session, or anonymous — and
//! how the handlers' extractors are made from it.

use std::fmt;
use std::sync::Arc;

use super::authenticator::Authenticator;
use super::error::AuthError;
use super::extract::FromVerified;
use super::rejection::AuthRejection;
use super::reply::Reply;
use super::token_source::RequestHead;
use crate::claims::VerifiedToken;

/// What answers an anonymous request instead of the `401` (behind a
/// session layer: a redirect to sign in, for browsers).
pub(crate) type OnAnonymous = Arc<dyn Fn(&dyn RequestHead) -> Option<Reply> + Send + Sync>;

/// The outcome of authentication, put into request extensions by the
/// layer and middleware; handlers' extractors are made from it
/// ([`extract`](Self::extract)).
#[derive(Clone)]
pub struct Authentication {
    token: Option<VerifiedToken>,
    /// The ID token of a browser session (its access token is `token`).
    id_token: Option<VerifiedToken>,
    authenticator: Authenticator,
    on_anonymous: Option<OnAnonymous>,
}

impl Authentication {
    /// A bearer token's outcome (`None`: anonymous).
    pub(crate) fn bearer(token: Option<VerifiedToken>, authenticator: Authenticator) -> Self {
        Authentication {
            token,
            id_token: None,
            authenticator,
            on_anonymous: None,
        }
    }

    /// A browser session's outcome: its access and ID tokens, or anonymous;
    /// `on_anonymous` answers requests that need a signed-in user.
    #[cfg_attr(not(feature = "sessions"), allow(dead_code))]
    pub(crate) fn session(
        tokens: Option<(VerifiedToken, VerifiedToken)>,
        authenticator: Authenticator,
        on_anonymous: OnAnonymous,
    ) -> Self {
        let (token, id_token) = match tokens {
            Some((access, id)) => (Some(access), Some(id)),
            None => (None, None),
        };
        Authentication {
            token,
            id_token,
            authenticator,
            on_anonymous: Some(on_anonymous),
        }
    }

    /// The ID token of a browser session (`None` for bearer requests).
    pub fn id_token(&self) -> Option<&VerifiedToken> {
        self.id_token.as_ref()
    }

    /// The verified token; `None` for an anonymous request (optional mode).
    pub fn token(&self) -> Option<&VerifiedToken> {
        self.token.as_ref()
    }

    /// Whether the request carried no token (optional mode).
    pub fn is_anonymous(&self) -> bool {
        self.token.is_none()
    }

    /// The authenticator that decided, for rendering later refusals the
    /// same way.
    pub fn authenticator(&self) -> &Authenticator {
        &self.authenticator
    }

    /// The verified token, or the refusal for an anonymous request.
    pub fn require(&self) -> Result<&VerifiedToken, AuthRejection> {
        self.token.as_ref().ok_or(AuthRejection::MissingToken)
    }

    /// What a handler asked for, made from the verified token: `Ok(None)`
    /// for an anonymous request, a refusal rendered by the deciding
    /// authenticator when the token does not fit `T`. Every framework
    /// adapter's extractors go through here.
    ///
    /// A browser session holds two tokens: `T` is made from the access
    /// token, or from the ID token when the access token does not fit
    /// (`IdToken`, claims only the ID token carries).
    pub fn extract<T: FromVerified>(&self) -> Result<Option<T>, AuthError> {
        let Some(token) = &self.token else {
            return Ok(None);
        };
        match (T::from_verified(token), &self.id_token) {
            (Ok(value), _) => Ok(Some(value)),
            (Err(first), Some(id)) => T::from_verified(id)
                .map(Some)
                .map_err(|_| AuthError::new(first, &self.authenticator)),
            (Err(rejection), None) => Err(AuthError::new(rejection, &self.authenticator)),
        }
    }

    /// Like [`extract`](Self::extract), with an anonymous request refused:
    /// `401`, or behind a session layer a redirect to sign in for a browser
    /// (a request that accepts `text/html`).
    pub fn extract_required<T: FromVerified>(
        &self,
        request: &dyn RequestHead,
    ) -> Result<T, AuthError> {
        self.extract()?
            .ok_or_else(|| self.refuse_anonymous(request))
    }

    /// The refusal of an anonymous request: the session layer's answer
    /// (a redirect to sign in) when it has one for this request, else the
    /// authenticator's `401`.
    pub fn refuse_anonymous(&self, request: &dyn RequestHead) -> AuthError {
        match self
            .on_anonymous
            .as_ref()
            .and_then(|answer| answer(request))
        {
            Some(reply) => AuthError::with_reply(AuthRejection::MissingToken, reply),
            None => AuthError::new(AuthRejection::MissingToken, &self.authenticator),
        }
    }
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authentication")
            .field("token", &self.token)
            .field("id_token", &self.id_token)
            .finish_non_exhaustive()
    }
}
