#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs, unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "cognito-auth needs a crypto backend: enable the `aws-lc-rs` (default) or the `rust-crypto` feature"
);

// The stages a token goes through, in order.
mod claims;
mod keys;
mod token;
mod verifier;
// What a verifier is told to accept.
mod config;
// What all stages share.
mod clock;
mod error;
mod transport;

pub mod revocation;
pub mod web;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;

#[cfg(feature = "sessions")]
#[cfg_attr(docsrs, doc(cfg(feature = "sessions")))]
pub mod session;

#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

#[cfg(feature = "actix")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix")))]
pub mod actix;

#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub mod tonic;

#[cfg(feature = "alb")]
#[cfg_attr(docsrs, doc(cfg(feature = "alb")))]
pub mod alb;

#[cfg(feature = "lambda")]
#[cfg_attr(docsrs, doc(cfg(feature = "lambda")))]
pub mod lambda;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use claims::{AccessClaims, IdClaims, Match, NameSet, Requirement, TokenUse, VerifiedToken};
pub use config::{CognitoPool, IssuerResolver, OidcIssuer, Resolution, ResolveFuture, Tenant};
pub use error::{Error, Result, ServiceError};
pub use jsonwebtoken::Algorithm;
pub use token::{UnverifiedToken, decode_unverified};
pub use transport::retry::RetryPolicy;
pub use verifier::{
    CacheAdmission, DEFAULT_MAX_TOKEN_BYTES, DEFAULT_TENANT_CACHE, Verifier, VerifierBuilder,
};
