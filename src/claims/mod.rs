//! What a successful verification gives: [`VerifiedToken`], the typed
//! Cognito claims ([`AccessClaims`], [`IdClaims`]), scope and group sets and
//! the requirements checked against them.
//!
//! Everything here was verified; untrusted parsing lives in
//! [`crate::token`].

mod cognito;
mod layout;
mod names;
mod token_use;
mod verified;

pub use cognito::{AccessClaims, IdClaims};
pub(crate) use layout::{AccessLayout, ClaimText, GroupSpans, Span};
pub use names::{Match, NameSet, Requirement};
pub use token_use::TokenUse;
pub use verified::VerifiedToken;
pub(crate) use verified::{Ids, Parts};
