//! Time zone and the clock: every "today" in the rules is a date in Asia/Taipei.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use thiserror::Error;

/// UTC+08:00. Taiwan has observed no daylight-saving time since 1979, so a fixed offset is
/// exact for every date this system handles.
const TAIPEI_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("+08:00 is a valid offset"),
};

/// The Asia/Taipei offset, +08:00 (no DST since 1979).
pub fn taipei() -> FixedOffset {
    TAIPEI_OFFSET
}

/// The calendar date in Taipei at the instant `now`.
pub fn taipei_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&taipei()).date_naive()
}

/// The instant a Taipei calendar day begins (00:00 +08:00), in UTC.
///
/// A fixed offset maps every local time to exactly one instant, except on chrono's first
/// day, whose Taipei midnight falls before the earliest representable instant: that day
/// saturates to [`DateTime::<Utc>::MIN_UTC`] instead of panicking.
pub fn start_of_taipei_day(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(taipei())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Where the current time comes from. Code asks a `Clock` instead of calling `Utc::now()`,
/// so tests and demos can pin the date (`GOLDCARD_NOW`).
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Asia/Taipei.
    fn today(&self) -> NaiveDate {
        taipei_date(self.now())
    }
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock(pub DateTime<Utc>);

/// Why a text is not a timestamp for [`FixedClock`].
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("`{value}` is not an RFC 3339 timestamp such as 2026-03-01T09:00:00+08:00: {reason}")]
pub struct ClockError {
    /// The text that was given.
    pub value: String,
    /// What the parser objected to.
    pub reason: String,
}

impl FixedClock {
    /// Parses an RFC 3339 timestamp with an offset, e.g. `2026-03-01T09:00:00+08:00` (the
    /// format of `GOLDCARD_NOW`).
    pub fn parse(rfc3339: &str) -> Result<FixedClock, ClockError> {
        let value = rfc3339.trim();
        DateTime::parse_from_rfc3339(value)
            .map(|t| FixedClock(t.with_timezone(&Utc)))
            .map_err(|e| ClockError {
                value: value.to_owned(),
                reason: e.to_string(),
            })
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taipei_is_eight_hours_ahead() {
        assert_eq!(taipei().local_minus_utc(), 8 * 3600);
        // 16:00 UTC on 31 December is already New Year's Day in Taipei.
        let clock = FixedClock::parse("2025-12-31T16:00:00Z").unwrap();
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        let clock = FixedClock::parse("2025-12-31T15:59:59Z").unwrap();
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
    }

    #[test]
    fn fixed_clock_parses_offsets() {
        let clock = FixedClock::parse(" 2026-03-01T09:00:00+08:00 ").unwrap();
        assert_eq!(clock.now().to_rfc3339(), "2026-03-01T01:00:00+00:00");
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        let err = FixedClock::parse("2026-03-01").unwrap_err();
        assert!(err.to_string().contains("`2026-03-01`"));
    }

    #[test]
    fn system_clock_is_usable_as_a_trait_object() {
        let clock: Box<dyn Clock> = Box::new(SystemClock);
        assert!(clock.today() > NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
    }
}

#[cfg(test)]
mod day_start_tests {
    use super::*;

    #[test]
    fn a_taipei_day_starts_at_16_00_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        assert_eq!(start_of_taipei_day(day).to_rfc3339(), "2026-11-24T16:00:00+00:00");
        assert_eq!(taipei_date(start_of_taipei_day(day)), day);
    }

    /// Found by the `dates` fuzz target: chrono's first day (-262143-01-01) begins in Taipei
    /// before the earliest instant chrono can hold, and the old fallback overflowed.
    #[test]
    fn the_first_representable_day_saturates_instead_of_panicking() {
        assert_eq!(start_of_taipei_day(NaiveDate::MIN), DateTime::<Utc>::MIN_UTC);
        let next = NaiveDate::MIN.succ_opt().unwrap_or_default();
        assert_eq!(taipei_date(start_of_taipei_day(next)), next);
        let last = NaiveDate::MAX;
        assert_eq!(taipei_date(start_of_taipei_day(last)), last);
    }
}
