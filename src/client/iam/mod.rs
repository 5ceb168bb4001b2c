//! IAM-authorized calls (feature `iam`): SigV4 signing with AWS's own
//! `aws-sigv4` signer, credentials through the `aws-credential-types`
//! provider trait (static keys, [`EnvironmentCredentials`], or
//! `aws-config`'s whole chain), and the typed operations web servers use
//! most ([`UserPool`], [`AppClient::admin_sign_in`](crate::client::AppClient::admin_sign_in)).
//! Every other operation is reachable with
//! [`CognitoClient::call_signed`](crate::client::CognitoClient::call_signed).
//!
//! | stage | module |
//! |---|---|
//! | where the keys come from, kept fresh | `credentials` |
//! | signing, clock-skew correction | `signer` |
//! | typed operations on a pool | `user_pool`, `model` |
//! | listings page after page | `pages` |

mod credentials;
mod model;
pub(crate) mod pages;
pub(crate) mod signer;
mod user_pool;

pub use aws_credential_types::Credentials;
pub use aws_credential_types::provider::ProvideCredentials;
pub(crate) use credentials::CredentialsCache;
pub use credentials::{CREDENTIAL_VARIABLES, EnvironmentCredentials};
pub use model::{Group, MAX_USERS_PAGE, NewUser, UserQuery};
pub use user_pool::UserPool;
