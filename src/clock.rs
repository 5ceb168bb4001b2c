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

/// Seconds since the epoch of a UTC calendar date and the seconds into
/// that day; `None` for a month or day out of range.
#[cfg_attr(not(feature = "iam"), allow(dead_code))]
pub(crate) fn unix_from_civil(year: i64, month: i64, day: i64, seconds: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(0..86_400).contains(&seconds) {
        return None;
    }
    // Days from 1970-01-01, counting years from March so that the leap
    // day falls at the end of the year (the proleptic Gregorian calendar).
    let (year, month) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    days.checked_mul(86_400)?.checked_add(seconds)
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

    #[test]
    fn calendar_dates_to_epoch_seconds() {
        assert_eq!(unix_from_civil(1970, 1, 1, 0), Some(0));
        assert_eq!(unix_from_civil(2026, 1, 1, 0), Some(1_767_225_600));
        assert_eq!(unix_from_civil(2024, 2, 29, 3600), Some(1_709_168_400));
        assert_eq!(unix_from_civil(2000, 3, 1, 86_399), Some(951_955_199));
        assert_eq!(unix_from_civil(2026, 13, 1, 0), None);
        assert_eq!(unix_from_civil(2026, 1, 0, 0), None);
        assert_eq!(unix_from_civil(2026, 1, 1, 86_400), None);
    }
}
