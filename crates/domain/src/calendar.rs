//! The date rules of an extension: filing window, passport validity, new expiry, supplement
//! deadlines. All dates are Asia/Taipei calendar dates (see [`crate::taipei_date`]).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::UnknownCodeError;
use crate::validity::ValidityYears;

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Moves `date` by whole calendar months, clamping the day to the end of the target month:
/// 2026-06-30 − 4 months is 2026-02-28, 2024-03-31 − 1 month is 2024-02-29, 2026-05-15 − 1
/// month is 2026-04-15.
///
/// Never panics: beyond chrono's supported range it saturates at `NaiveDate::MIN`/`MAX`.
pub fn add_months_clamped(date: NaiveDate, months: i32) -> NaiveDate {
    let saturated = if months < 0 { NaiveDate::MIN } else { NaiveDate::MAX };
    let index = i64::from(date.year()) * 12 + i64::from(date.month0()) + i64::from(months);
    let Ok(year) = i32::try_from(index.div_euclid(12)) else {
        return saturated;
    };
    let Ok(month) = u32::try_from(index.rem_euclid(12) + 1) else {
        return saturated;
    };
    let day = date.day().min(days_in_month(year, month));
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(saturated)
}

/// Where today falls relative to a card's filing window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    /// More than four months before expiry: too early to file.
    NotYetOpen,
    /// From four months to one month before expiry: an extension can be filed.
    Open,
    /// The last month up to and including the expiry date: the platform is locked; the holder
    /// must re-apply after expiry or use the job-seeking residence route.
    Locked,
    /// After the expiry date: only a new application is possible.
    Expired,
}

impl WindowStatus {
    /// Every status, in time order.
    pub const ALL: [WindowStatus; 4] = [
        WindowStatus::NotYetOpen,
        WindowStatus::Open,
        WindowStatus::Locked,
        WindowStatus::Expired,
    ];

    /// `not_yet_open`, `open`, `locked` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowStatus::NotYetOpen => "not_yet_open",
            WindowStatus::Open => "open",
            WindowStatus::Locked => "locked",
            WindowStatus::Expired => "expired",
        }
    }

    /// Parses the snake_case code (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<WindowStatus, UnknownCodeError> {
        let s = input.trim();
        WindowStatus::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| UnknownCodeError::new("window status", s, "not_yet_open, open, locked, expired"))
    }
}

impl fmt::Display for WindowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WindowStatus {
    type Err = UnknownCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WindowStatus::parse(s)
    }
}

/// The filing window of a card that expires on `expires_on` (its last valid day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct FilingWindow {
    /// The card's last valid day (E).
    pub expires_on: NaiveDate,
    /// First day an extension can be filed: E − 4 months (clamped).
    pub opens_on: NaiveDate,
    /// First day the platform is locked: E − 1 month (clamped).
    pub locks_on: NaiveDate,
}

impl FilingWindow {
    /// The window for a card expiring on `expires_on`.
    pub fn for_expiry(expires_on: NaiveDate) -> Self {
        FilingWindow {
            expires_on,
            opens_on: add_months_clamped(expires_on, -4),
            locks_on: add_months_clamped(expires_on, -1),
        }
    }

    /// The status on `today` (a Taipei date): before `opens_on` not yet open; from `opens_on`
    /// until the day before `locks_on` open; from `locks_on` through the expiry date locked;
    /// after it expired.
    pub fn status_on(&self, today: NaiveDate) -> WindowStatus {
        if today < self.opens_on {
            WindowStatus::NotYetOpen
        } else if today < self.locks_on {
            WindowStatus::Open
        } else if today <= self.expires_on {
            WindowStatus::Locked
        } else {
            WindowStatus::Expired
        }
    }

    /// Whether an extension can be filed on `today` (only while [`WindowStatus::Open`]).
    pub fn can_file_on(&self, today: NaiveDate) -> bool {
        self.status_on(today) == WindowStatus::Open
    }
}

/// Whether a passport expiring on `passport_expires_on` has the six months of validity left
/// that filing on `today` requires (expiry ≥ today + 6 months, clamped).
pub fn passport_valid_for_filing(passport_expires_on: NaiveDate, today: NaiveDate) -> bool {
    passport_expires_on >= add_months_clamped(today, 6)
}

/// The card's new expiry date: the extension starts the day after the old card expires, so
/// the new last day is the old one plus `years` years (29 February becomes 28 February).
pub fn new_expiry(old_expires_on: NaiveDate, years: ValidityYears) -> NaiveDate {
    add_months_clamped(old_expires_on, 12 * i32::from(years.get()))
}

/// The last day to answer a supplement request made on `today`: 30 days later, or six months
/// later (clamped) when the documents must come from abroad.
pub fn supplement_due_on(today: NaiveDate, abroad: bool) -> NaiveDate {
    if abroad {
        add_months_clamped(today, 6)
    } else {
        today.checked_add_days(Days::new(30)).unwrap_or(NaiveDate::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_arithmetic_examples() {
        assert_eq!(add_months_clamped(d("2026-06-30"), -4), d("2026-02-28"));
        assert_eq!(add_months_clamped(d("2026-05-15"), -1), d("2026-04-15"));
        assert_eq!(add_months_clamped(d("2024-03-31"), -1), d("2024-02-29"));
        assert_eq!(add_months_clamped(d("2026-01-31"), 1), d("2026-02-28"));
        assert_eq!(add_months_clamped(d("2026-11-30"), 3), d("2027-02-28"));
        assert_eq!(add_months_clamped(d("2026-01-15"), -13), d("2024-12-15"));
        assert_eq!(add_months_clamped(d("2026-01-15"), 0), d("2026-01-15"));
        assert_eq!(add_months_clamped(d("2026-01-15"), i32::MAX), NaiveDate::MAX);
        assert_eq!(add_months_clamped(d("2026-01-15"), i32::MIN), NaiveDate::MIN);
    }

    #[test]
    fn filing_window_example() {
        let w = FilingWindow::for_expiry(d("2026-06-30"));
        assert_eq!(w.opens_on, d("2026-02-28"));
        assert_eq!(w.locks_on, d("2026-05-30"));
        assert_eq!(w.status_on(d("2026-02-27")), WindowStatus::NotYetOpen);
        assert_eq!(w.status_on(d("2026-02-28")), WindowStatus::Open);
        assert_eq!(w.status_on(d("2026-05-29")), WindowStatus::Open);
        assert_eq!(w.status_on(d("2026-05-30")), WindowStatus::Locked);
        assert_eq!(w.status_on(d("2026-06-30")), WindowStatus::Locked);
        assert_eq!(w.status_on(d("2026-07-01")), WindowStatus::Expired);
        assert!(w.can_file_on(d("2026-03-01")));
        assert!(!w.can_file_on(d("2026-06-01")));

        let w = FilingWindow::for_expiry(d("2026-05-15"));
        assert_eq!(w.opens_on, d("2026-01-15"));
        assert_eq!(w.locks_on, d("2026-04-15"));
    }

    #[test]
    fn window_status_codes() {
        for s in WindowStatus::ALL {
            assert_eq!(WindowStatus::parse(s.as_str()), Ok(s));
        }
        #[derive(Serialize)]
        struct W {
            s: WindowStatus,
        }
        let text = toml::to_string(&W {
            s: WindowStatus::NotYetOpen,
        })
        .unwrap();
        assert_eq!(text.trim(), "s = \"not_yet_open\"");
    }

    #[test]
    fn passport_needs_six_months() {
        let today = d("2026-03-10");
        assert!(passport_valid_for_filing(d("2026-09-10"), today));
        assert!(!passport_valid_for_filing(d("2026-09-09"), today));
        // Clamped: 31 August + 6 months is 28 February.
        assert!(passport_valid_for_filing(d("2027-02-28"), d("2026-08-31")));
        assert!(!passport_valid_for_filing(d("2027-02-27"), d("2026-08-31")));
    }

    #[test]
    fn new_expiry_examples() {
        assert_eq!(new_expiry(d("2026-06-30"), ValidityYears::ONE), d("2027-06-30"));
        assert_eq!(new_expiry(d("2026-06-30"), ValidityYears::THREE), d("2029-06-30"));
        assert_eq!(new_expiry(d("2024-02-29"), ValidityYears::ONE), d("2025-02-28"));
        assert_eq!(new_expiry(d("2024-02-29"), ValidityYears::THREE), d("2027-02-28"));
    }

    #[test]
    fn supplement_deadlines() {
        assert_eq!(supplement_due_on(d("2026-03-10"), false), d("2026-04-09"));
        assert_eq!(supplement_due_on(d("2026-03-10"), true), d("2026-09-10"));
        assert_eq!(supplement_due_on(d("2026-08-31"), true), d("2027-02-28"));
    }

    fn date_2000_2100() -> impl Strategy<Value = NaiveDate> {
        let start = d("2000-01-01");
        (0u64..36_890).prop_map(move |n| start + Days::new(n))
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        let (min, max) = (NaiveDate::MIN, NaiveDate::MAX);
        let span = u64::try_from((max - min).num_days()).unwrap();
        (0..=span).prop_map(move |n| min + Days::new(n))
    }

    proptest! {
        #[test]
        fn window_boundaries(e in date_2000_2100()) {
            let w = FilingWindow::for_expiry(e);
            prop_assert!(w.opens_on < w.locks_on && w.locks_on < e);
            let before = |x: NaiveDate| x.pred_opt().unwrap();
            prop_assert_eq!(w.status_on(before(w.opens_on)), WindowStatus::NotYetOpen);
            prop_assert_eq!(w.status_on(w.opens_on), WindowStatus::Open);
            prop_assert_eq!(w.status_on(before(w.locks_on)), WindowStatus::Open);
            prop_assert_eq!(w.status_on(w.locks_on), WindowStatus::Locked);
            prop_assert_eq!(w.status_on(e), WindowStatus::Locked);
            prop_assert_eq!(w.status_on(e.succ_opt().unwrap()), WindowStatus::Expired);
        }

        #[test]
        fn status_is_monotonic(e in date_2000_2100(), a in 0u64..400, b in 0u64..400) {
            let w = FilingWindow::for_expiry(e);
            let start = e - Days::new(200);
            let (x, y) = (start + Days::new(a.min(b)), start + Days::new(a.max(b)));
            prop_assert!(w.status_on(x) <= w.status_on(y));
        }

        #[test]
        fn add_months_never_panics(date in any_date(), months in any::<i32>()) {
            let _ = add_months_clamped(date, months);
        }

        #[test]
        fn add_months_lands_in_the_right_month(date in date_2000_2100(), months in -2400i32..2400) {
            let r = add_months_clamped(date, months);
            let expected = date.year() * 12 + date.month0() as i32 + months;
            prop_assert_eq!(r.year() * 12 + r.month0() as i32, expected);
            prop_assert!(r.day() <= date.day());
            // The day only changes when the target month is too short for it.
            if r.day() < date.day() {
                prop_assert!(r.succ_opt().unwrap().day() == 1);
            }
        }

        #[test]
        fn new_expiry_keeps_the_date(old in date_2000_2100(), n in 1u8..=3) {
            let years = ValidityYears::new(n).unwrap();
            let new = new_expiry(old, years);
            prop_assert!(new > old);
            prop_assert_eq!(new.year(), old.year() + i32::from(n));
            prop_assert_eq!(new.month(), old.month());
            if old.month() == 2 && old.day() == 29 {
                prop_assert_eq!(new.day(), 28);
            } else {
                prop_assert_eq!(new.day(), old.day());
            }
        }

        #[test]
        fn supplement_due_is_later(today in date_2000_2100(), abroad in any::<bool>()) {
            let due = supplement_due_on(today, abroad);
            prop_assert!(due > today);
            if !abroad {
                prop_assert_eq!((due - today).num_days(), 30);
            }
        }
    }
}
