//! When a key source may be fetched: the kid-miss cooldown, exponential
//! backoff after failures, and the TTL after which a set is refreshed.
//!
//! Pure bookkeeping over `Instant`s, no I/O; [`super::store`] asks it before
//! every fetch and tells it how each fetch went.

use std::time::{Duration, Instant};

use crate::clock::later;

/// Timing knobs of the key store.
#[derive(Debug, Clone)]
pub(crate) struct CacheOptions {
    /// Age after which a set is refreshed in the background.
    pub(crate) ttl: Duration,
    /// Minimum time between refetches caused by unknown `kid`s.
    pub(crate) kid_miss_cooldown: Duration,
    /// First delay after a failed fetch; doubles per failure.
    pub(crate) backoff_base: Duration,
    /// Longest delay after failed fetches.
    pub(crate) backoff_cap: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            ttl: Duration::from_secs(3600),
            kid_miss_cooldown: Duration::from_secs(10),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

/// Why a fetch was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Nothing is cached yet.
    Cold,
    /// A token named a `kid` the cached set lacks.
    UnknownKid,
    /// The cached set reached its TTL.
    Refresh,
}

/// The fetch history of one source.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    last_attempt: Option<Instant>,
    failures: u32,
    retry_at: Option<Instant>,
    last_error: Option<String>,
}

impl Schedule {
    /// Whether an unknown `kid` may cause a refetch now: the cooldown has
    /// passed since the last attempt and no backoff is running.
    pub(crate) fn may_refetch_for_unknown_kid(&self, now: Instant, options: &CacheOptions) -> bool {
        let cooled = self
            .last_attempt
            .is_none_or(|at| now.saturating_duration_since(at) >= options.kid_miss_cooldown);
        cooled && !self.backing_off(now)
    }

    /// Records an attempt about to be made, or says why none may be made
    /// now (the backoff after failures, the kid-miss cooldown).
    pub(crate) fn begin(
        &mut self,
        now: Instant,
        reason: Reason,
        options: &CacheOptions,
    ) -> Result<(), String> {
        if let Some(retry_at) = self.retry_at.filter(|at| now < *at) {
            let wait = retry_at.saturating_duration_since(now).as_millis();
            let last = self
                .last_error
                .as_deref()
                .unwrap_or("an earlier fetch failed");
            return Err(format!("{last} (next attempt in {wait} ms)"));
        }
        if reason == Reason::UnknownKid
            && self
                .last_attempt
                .is_some_and(|at| now.saturating_duration_since(at) < options.kid_miss_cooldown)
        {
            return Err("refetch cooldown".to_owned());
        }
        self.last_attempt = Some(now);
        Ok(())
    }

    /// The attempt succeeded: failures are forgotten.
    pub(crate) fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at = None;
        self.last_error = None;
    }

    /// The attempt failed: the next one waits for the backoff. Returns the
    /// delay and the number of consecutive failures.
    pub(crate) fn failed(
        &mut self,
        now: Instant,
        reason: String,
        options: &CacheOptions,
    ) -> (Duration, u32) {
        self.failures = self.failures.saturating_add(1);
        let delay = backoff(options, self.failures);
        self.retry_at = Some(later(now, delay));
        self.last_error = Some(reason);
        (delay, self.failures)
    }

    /// How long until the next attempt may be made (the backoff base when
    /// none is pending).
    pub(crate) fn wait(&self, now: Instant, options: &CacheOptions) -> Duration {
        self.retry_at
            .map_or(options.backoff_base, |at| at.saturating_duration_since(now))
    }

    fn backing_off(&self, now: Instant) -> bool {
        self.retry_at.is_some_and(|at| now < at)
    }
}

/// The delay after the `failures`-th consecutive failure.
pub(crate) fn backoff(options: &CacheOptions, failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    options
        .backoff_base
        .saturating_mul(1u32 << exponent)
        .min(options.backoff_cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MAX_OFFSET;

    #[test]
    fn backoff_doubles_and_caps() {
        let options = CacheOptions {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(1000),
            ..CacheOptions::default()
        };
        let delays: Vec<_> = (1..=6).map(|n| backoff(&options, n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(&options, u32::MAX).as_millis(), 1000);
    }

    #[test]
    fn huge_delays_do_not_overflow() {
        let options = CacheOptions {
            backoff_base: Duration::MAX,
            backoff_cap: Duration::MAX,
            kid_miss_cooldown: Duration::MAX,
            ttl: Duration::MAX,
        };
        let now = Instant::now();
        let mut schedule = Schedule::default();
        assert!(schedule.begin(now, Reason::Cold, &options).is_ok());
        let (delay, failures) = schedule.failed(now, "down".into(), &options);
        assert_eq!((delay, failures), (Duration::MAX, 1));
        assert!(schedule.begin(now, Reason::Cold, &options).is_err());
        assert!(!schedule.may_refetch_for_unknown_kid(now, &options));
        assert!(schedule.wait(now, &options) <= MAX_OFFSET);
    }

    #[test]
    fn the_cooldown_applies_to_unknown_kids_only() {
        let options = CacheOptions::default();
        let now = Instant::now();
        let mut schedule = Schedule::default();
        schedule.begin(now, Reason::Cold, &options).unwrap();
        schedule.succeeded();
        assert!(!schedule.may_refetch_for_unknown_kid(now, &options));
        assert!(schedule.begin(now, Reason::UnknownKid, &options).is_err());
        assert!(schedule.begin(now, Reason::Refresh, &options).is_ok());
        let cooled = now + options.kid_miss_cooldown;
        assert!(schedule.may_refetch_for_unknown_kid(cooled, &options));
    }
}
