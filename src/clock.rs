//! The one clock: seconds since the Unix epoch, replaceable in tests.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of the current time, seconds since the Unix epoch.
pub(crate) type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system's time, seconds since the Unix epoch (0 before it, which no
/// correctly set clock is).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The system clock as a [`Clock`].
pub(crate) fn system() -> Clock {
    Arc::new(unix_now)
}

/// The longest offset [`later`] adds to an `Instant`: a day, the longest a
/// Cognito access or ID token lives and far beyond any sensible backoff.
pub(crate) const MAX_OFFSET: Duration = Duration::from_secs(24 * 3600);

/// `now + delay` with `delay` clamped to [`MAX_OFFSET`]: every `Instant`
/// offset by an outside value (a token lifetime from the network, a knob)
/// goes through here, so none can overflow.
pub(crate) fn later(now: Instant, delay: Duration) -> Instant {
    now.checked_add(delay.min(MAX_OFFSET)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_clamped_not_overflowing() {
        let now = Instant::now();
        assert_eq!(later(now, Duration::MAX), now + MAX_OFFSET);
        assert_eq!(
            later(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        assert!(unix_now() > 1_700_000_000);
    }
}
