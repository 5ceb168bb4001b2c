//! Framework-neutral web authentication: token lookup, verification,
//! route guards and RFC 6750 answers.
//!
//! The [`tower`](crate::tower), [`axum`](crate::axum) and
//! [`actix`](crate::actix) modules build on this one, so both frameworks
//! answer identically:
//!
//! | situation | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no token (or another scheme, e.g. `Basic`) | 401 | `Bearer realm="…"` |
//! | `Bearer` with an empty or malformed value | 400 | `Bearer realm="…", error="invalid_request", error_description="…"` |
//! | token invalid, expired, wrong pool, client or use | 401 | `Bearer realm="…", error="invalid_token", error_description="…"` |
//! | valid token, missing scope | 403 | `Bearer realm="…", error="insufficient_scope", scope="…"` |
//! | valid token, missing group | 403 | `Bearer realm="…", error="insufficient_scope", error_description="…"` |
//! | keys cannot be had | 503 | none; `Retry-After` |
//!
//! Bodies are JSON `{"error": "…", "error_description": "…"}` and never
//! contain the token.

mod authentication;
mod authenticator;
mod error;
mod extract;
mod guard;
mod rejection;
mod reply;
mod token_source;

pub use authentication::Authentication;
#[cfg(feature = "sessions")]
pub(crate) use authentication::OnAnonymous;
pub use authenticator::Authenticator;
#[cfg(feature = "tower")]
pub(crate) use authenticator::HttpVerification;
pub use error::AuthError;
pub use extract::{AccessToken, Claims, FromVerified, IdToken, Require};
pub use guard::{Claim, Guard, StaticRequirement};
pub use rejection::{
    AuthRejection, BearerChallenge, RejectionContext, RenderRejection, StandardRejection,
};
pub use reply::Reply;
#[cfg(feature = "sessions")]
pub(crate) use token_source::cookie;
#[cfg(feature = "fuzzing")]
pub(crate) use token_source::is_b64token;
pub use token_source::{RequestHead, SingleHeader, TokenLookup, TokenSource};
