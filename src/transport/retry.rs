//! Which failures are retried, how long to wait, and the one retry loop
//! every outgoing request of the crate goes through.

use std::future::Future;
use std::time::Duration;

/// How often and how patiently a failed request is repeated: exponential
/// back-off with full jitter.
///
/// Used by the Cognito client, the token endpoint and the key fetcher
/// ([`VerifierBuilder::fetch_retry`](crate::VerifierBuilder::fetch_retry)).
/// What is repeated: a request that never left (connection refused) and a
/// throttled one (`TooManyRequestsException`, 429), always; a 5xx answer
/// only for operations that are safe to repeat (reads, sign-outs,
/// revocations), never for `SignUp`, `ForgotPassword`,
/// `RespondToAuthChallenge` (its session is single-use), a sign-in or an
/// authorization-code exchange (the code is single-use). Never repeated:
/// `LimitExceededException` (it counts attempts: a retry makes a lockout
/// worse), answers such as `NotAuthorizedException`, and timeouts (the
/// request may have been carried out, and another attempt could take as
/// long again).
///
/// ```
/// use std::time::Duration;
/// use cognito_auth::RetryPolicy;
///
/// let policy = RetryPolicy::new(5)
///     .base_delay(Duration::from_millis(50))
///     .max_delay(Duration::from_secs(2));
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(RetryPolicy::none().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, 100 ms base, 5 s cap.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Up to `max_attempts` attempts in all (at least 1).
    pub fn new(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            ..RetryPolicy::default()
        }
    }

    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy::new(1)
    }

    /// The delay before the first retry; it doubles per retry.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest delay between attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Attempts in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The ceiling of the delay before retry number `retry` (1-based);
    /// the actual delay is drawn uniformly below it.
    pub fn delay_ceiling(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        self.base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay)
    }

    /// A jittered delay for retry number `retry`, from a uniform draw in
    /// `[0, 1)`.
    pub(crate) fn delay(&self, retry: u32, draw: f64) -> Duration {
        self.delay_ceiling(retry).mul_f64(draw.clamp(0.0, 1.0))
    }
}

/// How one attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) enum Failure {
    /// The request never left: the connection could not be made. Always
    /// safe to repeat.
    NotSent,
    /// The server refused to work on it now (throttling): nothing was
    /// done, so it is safe to repeat.
    Throttled,
    /// The server failed (5xx, `InternalErrorException`): the request may
    /// have been carried out, so only an idempotent operation is repeated.
    MaybeDone,
    /// An answer that repeating will not change (`NotAuthorizedException`,
    /// `LimitExceededException`: attempt limits, where a retry makes a
    /// lockout worse), a timeout, or a failure to read the answer.
    Final,
}

impl Failure {
    /// The failure an error answer stands for: by its error name when
    /// known, else by its status.
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn of_answer(status: u16, name: Option<&str>) -> Failure {
        match name {
            Some("TooManyRequestsException" | "ThrottlingException" | "RequestLimitExceeded") => {
                Failure::Throttled
            }
            Some("LimitExceededException") => Failure::Final,
            Some("InternalErrorException" | "ServiceUnavailable" | "InternalFailure") => {
                Failure::MaybeDone
            }
            _ if status == 429 => Failure::Throttled,
            _ if status >= 500 => Failure::MaybeDone,
            _ => Failure::Final,
        }
    }

    /// Whether an operation that failed this way may be sent again.
    pub(crate) fn is_retryable(self, idempotent: bool) -> bool {
        match self {
            Failure::NotSent | Failure::Throttled => true,
            Failure::MaybeDone => idempotent,
            Failure::Final => false,
        }
    }
}

/// Runs `attempt` until it succeeds, fails in a way that may not be
/// repeated, or the policy's attempts are used up; waits a jittered,
/// growing delay between attempts. `what` names the operation in logs.
pub(crate) async fn retrying<T, E, F, Fut>(
    policy: &RetryPolicy,
    idempotent: bool,
    what: &str,
    mut attempt: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, (E, Failure)>>,
{
    let mut number = 1;
    loop {
        let (error, failure) = match attempt().await {
            Ok(value) => return Ok(value),
            Err(failed) => failed,
        };
        if number >= policy.max_attempts() || !failure.is_retryable(idempotent) {
            return Err(error);
        }
        let delay = policy.delay(number, random_fraction());
        tracing::debug!(
            operation = what,
            attempt = number,
            ?failure,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "retrying"
        );
        tokio::time::sleep(delay).await;
        number += 1;
    }
}

/// A uniform draw in `[0, 1)` for jitter.
fn random_fraction() -> f64 {
    let bytes: [u8; 8] = crate::keys::crypto::random_bytes().unwrap_or([0x80; 8]);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_decisions() {
        let answer = |status, name| Failure::of_answer(status, name);
        for always in [
            Failure::NotSent,
            answer(400, Some("TooManyRequestsException")),
            answer(429, None),
        ] {
            assert!(always.is_retryable(false), "{always:?}");
            assert!(always.is_retryable(true), "{always:?}");
        }
        for idempotent_only in [
            answer(500, Some("InternalErrorException")),
            answer(500, None),
            answer(502, None),
            answer(503, Some("ServiceUnavailable")),
            Failure::MaybeDone,
        ] {
            assert!(!idempotent_only.is_retryable(false), "{idempotent_only:?}");
            assert!(idempotent_only.is_retryable(true), "{idempotent_only:?}");
        }
        for never in [
            answer(400, Some("LimitExceededException")),
            answer(400, Some("NotAuthorizedException")),
            answer(400, Some("UserNotFoundException")),
            answer(400, Some("InvalidParameterException")),
            answer(400, Some("CodeMismatchException")),
            answer(400, None),
            answer(404, Some("ResourceNotFoundException")),
            Failure::Final,
        ] {
            assert!(!never.is_retryable(true), "{never:?}");
        }
    }

    #[test]
    fn jitter_draws_are_fractions() {
        for _ in 0..100 {
            let draw = random_fraction();
            assert!((0.0..1.0).contains(&draw));
        }
    }

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let policy = RetryPolicy::new(10)
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000));
        let ceilings: Vec<_> = (1..=6)
            .map(|n| policy.delay_ceiling(n).as_millis())
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(policy.delay(3, 0.5).as_millis(), 200);
        assert_eq!(policy.delay(3, 7.0).as_millis(), 400);
        assert_eq!(policy.delay(3, 0.0), Duration::ZERO);
        assert_eq!(RetryPolicy::new(0).max_attempts(), 1);
    }
}
