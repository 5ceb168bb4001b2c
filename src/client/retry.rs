//! Which failures are retried, and how long to wait.

use std::time::Duration;

/// Retries for throttling, internal errors, 5xx and connection failures
/// (never for answers such as `NotAuthorizedException`): exponential
/// back-off with full jitter.
///
/// ```
/// use std::time::Duration;
/// use cognito_auth::client::RetryPolicy;
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

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure<'a> {
    /// The connection could not be made.
    Connect,
    /// The request timed out.
    Timeout,
    /// An answer with this status and (when known) error name.
    Answer { status: u16, name: Option<&'a str> },
}

/// Whether an attempt that failed this way is worth repeating.
pub(crate) fn is_retryable(failure: Failure<'_>) -> bool {
    match failure {
        Failure::Connect => true,
        // The request may have been processed; only idempotent callers
        // could safely repeat it, and sign-in is not idempotent.
        Failure::Timeout => false,
        Failure::Answer { status, name } => {
            matches!(
                name,
                Some(
                    "TooManyRequestsException"
                        | "LimitExceededException"
                        | "InternalErrorException"
                )
            ) || status >= 500
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_decisions() {
        let answer = |status, name| Failure::Answer { status, name };
        for retried in [
            Failure::Connect,
            answer(400, Some("TooManyRequestsException")),
            answer(400, Some("LimitExceededException")),
            answer(500, Some("InternalErrorException")),
            answer(500, None),
            answer(502, None),
            answer(503, Some("ServiceUnavailable")),
        ] {
            assert!(is_retryable(retried), "{retried:?}");
        }
        for final_answer in [
            Failure::Timeout,
            answer(400, Some("NotAuthorizedException")),
            answer(400, Some("UserNotFoundException")),
            answer(400, Some("InvalidParameterException")),
            answer(400, Some("CodeMismatchException")),
            answer(400, None),
            answer(404, Some("ResourceNotFoundException")),
        ] {
            assert!(!is_retryable(final_answer), "{final_answer:?}");
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
