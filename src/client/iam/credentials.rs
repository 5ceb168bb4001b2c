//! Where the AWS credentials of signed calls come from, and keeping them
//! fresh: the environment provider, and the cache every signed call reads.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};

use crate::error::{Error, Result};

/// The environment variables [`EnvironmentCredentials`] reads.
pub const CREDENTIAL_VARIABLES: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and (for
/// temporary credentials) `AWS_SESSION_TOKEN`, read each time they are
/// asked for. For profiles, SSO, IMDS, ECS or web identity, pass
/// `aws-config`'s provider chain to
/// [`CognitoClientBuilder::credentials`](crate::client::CognitoClientBuilder::credentials)
/// instead.
///
/// ```
/// use cognito_auth::client::{CognitoClient, EnvironmentCredentials};
///
/// let cognito = CognitoClient::builder()
///     .region("eu-west-1")
///     .credentials(EnvironmentCredentials::new())
///     .build()?;
/// // Without the variables, a signed call is a `credentials` error naming
/// // them, before anything is sent.
/// # Ok::<(), cognito_auth::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EnvironmentCredentials {}

impl EnvironmentCredentials {
    /// The environment provider.
    pub fn new() -> Self {
        EnvironmentCredentials {}
    }

    /// The credentials the environment holds now; a `credentials` error
    /// naming the variables when they are not set.
    pub fn read(&self) -> Result<Credentials> {
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        match (
            variable("AWS_ACCESS_KEY_ID"),
            variable("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => Ok(Credentials::new(
                access_key_id,
                secret_access_key,
                variable("AWS_SESSION_TOKEN"),
                None,
                "environment",
            )),
            _ => Err(Error::Credentials(
                "none in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                 (and AWS_SESSION_TOKEN for temporary credentials)"
                    .into(),
            )),
        }
    }
}

impl ProvideCredentials for EnvironmentCredentials {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(
            self.read()
                .map_err(|err| CredentialsError::not_loaded(err.to_string())),
        )
    }
}

/// The credentials signed calls use: asked of the provider once, then
/// again only when they are within `refresh_before` of their expiry (one
/// request asks; the others wait for its answer). When the provider fails
/// while the current credentials are still valid, they are used and the
/// failure is logged.
#[derive(Debug)]
pub(crate) struct CredentialsCache {
    provider: SharedCredentialsProvider,
    current: tokio::sync::Mutex<Option<Credentials>>,
    refresh_before: Duration,
}

impl CredentialsCache {
    pub(crate) fn new(provider: SharedCredentialsProvider, refresh_before: Duration) -> Self {
        CredentialsCache {
            provider,
            current: tokio::sync::Mutex::new(None),
            refresh_before,
        }
    }

    /// Credentials to sign with now.
    pub(crate) async fn get(&self) -> Result<Credentials> {
        let mut current = self.current.lock().await;
        let now = SystemTime::now();
        if let Some(credentials) = current.as_ref()
            && !due(credentials, now, self.refresh_before)
        {
            return Ok(credentials.clone());
        }
        match self.provider.provide_credentials().await {
            Ok(fresh) => {
                *current = Some(fresh.clone());
                Ok(fresh)
            }
            Err(err) => match current.as_ref() {
                Some(old) if !due(old, now, Duration::ZERO) => {
                    tracing::warn!(
                        error = %crate::error::error_chain(&err),
                        "AWS credentials could not be refreshed; using the current ones until they expire"
                    );
                    Ok(old.clone())
                }
                _ => Err(Error::Credentials(crate::error::error_chain(&err))),
            },
        }
    }
}

/// Whether credentials expire within `margin` of `now` (never, without an
/// expiry).
fn due(credentials: &Credentials, now: SystemTime, margin: Duration) -> bool {
    credentials.expiry().is_some_and(|expiry| {
        expiry
            .duration_since(now)
            .map_or(true, |left| left <= margin)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// A provider that hands out numbered credentials expiring after
    /// `lifetime`, or fails once `fail` is set.
    #[derive(Debug)]
    struct Numbered {
        calls: Arc<AtomicU32>,
        lifetime: Duration,
        fail_after: u32,
    }

    impl ProvideCredentials for Numbered {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            if call > self.fail_after {
                return future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
                    "the provider is down",
                )));
            }
            future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKID{call}"),
                "secret",
                None,
                Some(SystemTime::now() + self.lifetime),
                "numbered",
            )))
        }
    }

    fn numbered(lifetime: Duration, fail_after: u32) -> (CredentialsCache, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let provider = Numbered {
            calls: Arc::clone(&calls),
            lifetime,
            fail_after,
        };
        (
            CredentialsCache::new(
                SharedCredentialsProvider::new(provider),
                Duration::from_secs(300),
            ),
            calls,
        )
    }

    #[tokio::test]
    async fn long_lived_credentials_are_asked_for_once() {
        let (cache, calls) = numbered(Duration::from_secs(3600), u32::MAX);
        for _ in 0..5 {
            assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_are_refreshed_before_they_expire() {
        // Expiring in 200 s, inside the 300 s margin: every call refreshes.
        let (cache, calls) = numbered(Duration::from_secs(200), u32::MAX);
        assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID1");
        assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_valid_credentials_and_refuses_expired_ones() {
        let (cache, _) = numbered(Duration::from_secs(200), 1);
        assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID1");
        // The refresh fails, but AKID1 is valid for 200 s more.
        assert_eq!(cache.get().await.unwrap().access_key_id(), "AKID1");

        let (expired, _) = numbered(Duration::ZERO, 1);
        let _ = expired.get().await.unwrap();
        let err = expired.get().await.unwrap_err();
        assert_eq!(err.kind(), "credentials");
        assert!(err.to_string().contains("the provider is down"), "{err}");
    }

    #[test]
    fn credentials_never_print_their_secret() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "very-secret-key",
            Some("token-secret".into()),
            None,
            "test",
        );
        let debug = format!("{credentials:?}");
        assert!(
            !debug.contains("very-secret-key") && !debug.contains("token-secret"),
            "{debug}"
        );
    }
}
