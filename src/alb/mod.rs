//! Behind an Application Load Balancer with Cognito authentication
//! (feature `alb`): the ALB signs the user's claims itself and forwards
//! them in `x-amzn-oidc-data`, an ES256 token whose key is a PEM at
//! `https://public-keys.auth.elb.{region}.amazonaws.com/{kid}`.
//! [`AlbVerifier`] checks it: the header's `signer` against an allow-list
//! of load balancer ARNs (required: never "any ALB"), the `kid` (a UUID)
//! before it goes into a key URL, the ES256 signature over the segments as
//! sent (with their padding), `exp` and `nbf`, the payload's `iss`, the
//! header's `client`. `x-amzn-oidc-accesstoken`, the user's Cognito
//! access token, is verified too when a [`Verifier`] is given.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | the verifier and what it gives |
//! | `builder.rs` | its knobs and the checks of a configuration |
//! | `token.rs` | reading an ALB token: padded segments, the header fields, the key id |
//! | `keys.rs` | one cached key per `kid`, the budget for new `kid`s |
//!
//! ```no_run
//! use cognito_auth::alb::AlbVerifier;
//!
//! # async fn demo(header_value: &str) -> Result<(), cognito_auth::Error> {
//! let verifier = AlbVerifier::builder()
//!     .alb_arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188")
//!     .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123")
//!     .client_id("1example23456789")
//!     .build()?;
//! let user = verifier.verify(header_value).await?;
//! println!("{} via {}", user.claims().sub().unwrap_or("?"), user.signer());
//! # Ok(()) }
//! ```

mod builder;
mod keys;
mod token;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use reqwest::Url;

use crate::claims::{Parts, VerifiedToken};
use crate::clock::Clock;
use crate::error::{Error, Result, echo, echo_opt};
use crate::verifier::Verifier;
use crate::web::{RequestHead, SingleHeader};

/// The header the ALB puts the user's claims in.
pub const DATA_HEADER: &str = "x-amzn-oidc-data";
/// The header the ALB puts the user's Cognito access token in.
pub const ACCESS_TOKEN_HEADER: &str = "x-amzn-oidc-accesstoken";

/// Verifies the tokens an Application Load Balancer forwards. Cheap to
/// clone; clones share the key cache.
#[derive(Clone)]
pub struct AlbVerifier(Arc<Inner>);

struct Inner {
    arns: Vec<String>,
    issuer: Option<String>,
    clients: Option<Vec<String>>,
    leeway: u64,
    max_token_bytes: usize,
    clock: Clock,
    keys: keys::AlbKeys,
    keys_url: Url,
    access: Option<Verifier>,
}

/// A verified ALB token: the user's claims (as a [`VerifiedToken`] with no
/// `token_use`) and the ALB's header fields.
#[derive(Clone, Debug)]
pub struct AlbToken {
    claims: VerifiedToken,
    signer: String,
    client: Option<String>,
}

impl AlbToken {
    /// The user's claims (`sub`, `email`, `username`, …).
    pub fn claims(&self) -> &VerifiedToken {
        &self.claims
    }

    /// The ARN of the load balancer that signed it.
    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// The app client the ALB authenticated the user with.
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }
}

/// What an ALB forwarded for a request: the user's claims, and their
/// Cognito access token when the verifier checks it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AlbIdentity {
    /// The verified `x-amzn-oidc-data`.
    pub user: AlbToken,
    /// The verified `x-amzn-oidc-accesstoken` (with
    /// [`AlbVerifierBuilder::access_tokens`]).
    pub access: Option<VerifiedToken>,
}

impl AlbVerifier {
    /// Starts a configuration.
    pub fn builder() -> AlbVerifierBuilder {
        AlbVerifierBuilder::default()
    }

    /// Where keys are fetched from (`{keys_url}{kid}`).
    pub fn keys_url(&self) -> &str {
        self.0.keys_url.as_str()
    }

    /// Verifies the value of `x-amzn-oidc-data`.
    pub async fn verify(&self, token: &str) -> Result<AlbToken> {
        let inner = &*self.0;
        if token.len() > inner.max_token_bytes {
            return Err(Error::TokenTooLarge {
                size: token.len(),
                max: inner.max_token_bytes,
            });
        }
        let parts = token::parse(token)?;
        let payload = crate::token::payload_text(parts.payload)?;
        let claims = crate::token::claims(&payload)?;
        let kid = match parts.header.kid.as_deref() {
            Some(kid) if token::is_key_id(kid) => kid,
            Some(kid) => {
                return Err(Error::malformed(format!(
                    "the kid {} is not an ALB key id (a UUID)",
                    echo(kid)
                )));
            }
            None => return Err(Error::MissingKid),
        };
        if parts.header.alg.as_deref() != Some("ES256") {
            return Err(Error::UnsupportedAlgorithm {
                found: echo_opt(parts.header.alg.as_deref()),
                accepted: "ES256".to_owned(),
            });
        }
        let (key, _, _) = inner.keys.key(kid).await?;
        key.check_fits(jsonwebtoken::Algorithm::ES256)?;
        if parts.signature.len() != 64
            || !key.verify(
                jsonwebtoken::Algorithm::ES256,
                parts.signing_input.as_bytes(),
                &parts.signature,
            )
        {
            return Err(Error::InvalidSignature);
        }
        let now = (inner.clock)();
        crate::verifier::check_time(&claims, now, inner.leeway)?;
        let iss = claims.iss.as_deref();
        if let Some(expected) = &inner.issuer
            && iss != Some(expected.as_str())
        {
            return Err(Error::InvalidIssuer {
                expected: expected.clone(),
                found: echo_opt(iss),
            });
        }
        let signer = match parts.header.signer {
            Some(signer) if inner.arns.contains(&signer) => signer,
            other => {
                return Err(Error::InvalidSigner {
                    expected: inner.arns.join(", "),
                    found: echo_opt(other.as_deref()),
                });
            }
        };
        if let Some(clients) = &inner.clients
            && !parts
                .header
                .client
                .as_ref()
                .is_some_and(|client| clients.contains(client))
        {
            return Err(Error::InvalidClient {
                expected: clients.join(", "),
                found: echo_opt(parts.header.client.as_deref()),
            });
        }
        let mut ids = crate::verifier::kept_ids(&claims, &payload);
        // An ALB token is not a Cognito token: no token family.
        ids.origin_jti = None;
        let issuer = Arc::from(iss.unwrap_or_default());
        let expires_at = claims.exp.unwrap_or_default();
        drop(claims);
        Ok(AlbToken {
            claims: VerifiedToken::new(Parts {
                issuer,
                kid: Box::from(kid),
                token_use: None,
                expires_at,
                ids,
                payload,
                access_layout: None,
            }),
            signer,
            client: parts.header.client,
        })
    }

    /// Verifies what an ALB forwarded with a request: `x-amzn-oidc-data`
    /// (exactly one), and `x-amzn-oidc-accesstoken` when the verifier
    /// checks access tokens (a request without it is refused then). The
    /// headers are read at once; the future does not borrow the request.
    pub fn verify_request(
        &self,
        request: &dyn RequestHead,
    ) -> impl Future<Output = Result<AlbIdentity>> + Send + use<> {
        let data = single(request, DATA_HEADER);
        let access_token = self
            .0
            .access
            .as_ref()
            .map(|_| single(request, ACCESS_TOKEN_HEADER));
        let verifier = self.clone();
        async move {
            let user = verifier.verify(&data?).await?;
            let access = match (&verifier.0.access, access_token) {
                (Some(access_verifier), Some(token)) => {
                    let access = access_verifier.verify(&token?).await?;
                    if access.sub() != user.claims.sub() {
                        return Err(Error::custom(
                            "the access token is not the ALB user's (its sub differs)",
                        ));
                    }
                    Some(access)
                }
                _ => None,
            };
            Ok(AlbIdentity { user, access })
        }
    }
}

/// The one value of a header; absent or repeated is an error.
fn single(request: &dyn RequestHead, name: &'static str) -> Result<String> {
    match request.single_header(name) {
        SingleHeader::One(Some(value)) if !value.is_empty() => Ok(value.to_owned()),
        SingleHeader::Repeated => Err(Error::malformed(format!("{name} is sent more than once"))),
        SingleHeader::Absent | SingleHeader::One(_) => Err(Error::MissingToken(name)),
    }
}

impl fmt::Debug for AlbVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlbVerifier")
            .field("alb_arns", &self.0.arns)
            .field("issuer", &self.0.issuer)
            .field("clients", &self.0.clients)
            .field("keys_url", &self.0.keys_url.as_str())
            .field("access_tokens", &self.0.access.is_some())
            .finish_non_exhaustive()
    }
}

pub use builder::AlbVerifierBuilder;
