//! Working days of the Taiwanese government offices, for the reviewers' 30-working-day
//! target.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

use crate::seed_error::SeedError;

const FILE: &str = "holidays.toml";

/// Which days the review authorities work: every day except Saturdays, Sundays and the listed
/// public holidays (including observed days, as published by the DGPA in `seeds/holidays.toml`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    holidays: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidaysFile {
    #[serde(default)]
    holiday: Vec<HolidayRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRow {
    date: toml::value::Datetime,
    name_zh: String,
    name_en: String,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl WorkingCalendar {
    /// A calendar with these public holidays (weekends are always days off).
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        WorkingCalendar {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// Reads `seeds/holidays.toml`: `[[holiday]]` tables with `date` (a TOML local date),
    /// `name_zh` and `name_en`. Refuses duplicate dates, dates with a time, and blank names.
    pub fn from_toml_str(s: &str) -> Result<Self, SeedError> {
        let file: HolidaysFile = toml::from_str(s).map_err(|e| SeedError::toml(FILE, &e))?;
        let mut holidays = BTreeSet::new();
        for (index, row) in file.holiday.iter().enumerate() {
            let n = index + 1;
            let date = match (row.date.date, row.date.time, row.date.offset) {
                (Some(date), None, None) => {
                    NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))
                }
                _ => None,
            }
            .ok_or_else(|| {
                SeedError::invalid(
                    FILE,
                    format!(
                        "holiday #{n} (`{}`): date must be a plain date such as 2026-01-01",
                        row.date
                    ),
                )
            })?;
            if row.name_zh.trim().is_empty() || row.name_en.trim().is_empty() {
                return Err(SeedError::invalid(
                    FILE,
                    format!("holiday {date}: name_zh and name_en must not be blank"),
                ));
            }
            if !holidays.insert(date) {
                return Err(SeedError::invalid(FILE, format!("holiday {date} is listed twice")));
            }
        }
        Ok(WorkingCalendar { holidays })
    }

    /// The listed public holidays, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    /// Whether the offices work on `d`: not a Saturday, Sunday or listed holiday.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !is_weekend(d) && !self.holidays.contains(&d)
    }

    /// The `n`-th working day after `start` (`start` itself is not counted); `start` when
    /// `n` is 0. Saturates at the end of chrono's date range.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut counted = 0;
        while counted < n {
            let Some(next) = day.succ_opt() else {
                return day;
            };
            day = next;
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        day
    }

    /// The number of working days `d` with `from < d <= to`; 0 when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        let total = (to - from).num_days();
        // Whole weeks have five weekdays each; walk the few days left over.
        let mut weekdays = total / 7 * 5;
        let mut day = from + Days::new(u64::try_from(total / 7 * 7).unwrap_or(0));
        while day < to {
            let Some(next) = day.succ_opt() else { break };
            day = next;
            if !is_weekend(day) {
                weekdays += 1;
            }
        }
        let holidays_on_weekdays = self
            .holidays
            .range((std::ops::Bound::Excluded(from), std::ops::Bound::Included(to)))
            .filter(|d| !is_weekend(**d))
            .count();
        weekdays - i64::try_from(holidays_on_weekdays).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn lunar_new_year_2026() -> WorkingCalendar {
        WorkingCalendar::new(["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"].map(d))
    }

    #[test]
    fn weekends_and_holidays_are_off() {
        let cal = lunar_new_year_2026();
        assert!(cal.is_working_day(d("2026-02-13"))); // Friday
        assert!(!cal.is_working_day(d("2026-02-14"))); // Saturday
        assert!(!cal.is_working_day(d("2026-02-15"))); // Sunday
        assert!(!cal.is_working_day(d("2026-02-17"))); // Lunar New Year
        assert!(cal.is_working_day(d("2026-02-23"))); // Monday
    }

    #[test]
    fn adding_working_days() {
        let cal = lunar_new_year_2026();
        assert_eq!(cal.add_working_days(d("2026-02-13"), 0), d("2026-02-13"));
        assert_eq!(cal.add_working_days(d("2026-02-13"), 1), d("2026-02-23"));
        assert_eq!(cal.add_working_days(d("2026-02-12"), 2), d("2026-02-23"));
        // Starting on a Saturday: the next working day is Monday.
        assert_eq!(
            WorkingCalendar::default().add_working_days(d("2026-03-07"), 1),
            d("2026-03-09")
        );
        assert_eq!(
            WorkingCalendar::default().add_working_days(d("2026-03-02"), 30),
            d("2026-04-13")
        );
    }

    #[test]
    fn counting_working_days() {
        let cal = lunar_new_year_2026();
        assert_eq!(cal.working_days_between(d("2026-02-13"), d("2026-02-23")), 1);
        assert_eq!(cal.working_days_between(d("2026-02-09"), d("2026-02-13")), 4);
        assert_eq!(cal.working_days_between(d("2026-02-13"), d("2026-02-13")), 0);
        assert_eq!(cal.working_days_between(d("2026-02-23"), d("2026-02-13")), 0);
        assert_eq!(cal.working_days_between(d("2026-01-01"), d("2026-12-31")), 261 - 1 - 5);
    }

    #[test]
    fn reads_holidays_toml() {
        let cal = WorkingCalendar::from_toml_str(
            "[[holiday]]\ndate = 2026-01-01\nname_zh = \"開國紀念日\"\nname_en = \"Founding Day\"\n",
        )
        .unwrap();
        assert_eq!(cal.holidays().collect::<Vec<_>>(), vec![d("2026-01-01")]);
        assert!(!cal.is_working_day(d("2026-01-01")));
    }

    #[test]
    fn refuses_broken_holiday_files() {
        let dup = "[[holiday]]\ndate = 2026-01-01\nname_zh = \"a\"\nname_en = \"a\"\n\
                   [[holiday]]\ndate = 2026-01-01\nname_zh = \"b\"\nname_en = \"b\"\n";
        let err = WorkingCalendar::from_toml_str(dup).unwrap_err().to_string();
        assert!(
            err.contains("holidays.toml") && err.contains("2026-01-01 is listed twice"),
            "{err}"
        );

        let with_time = "[[holiday]]\ndate = 2026-01-01T00:00:00\nname_zh = \"a\"\nname_en = \"a\"\n";
        let err = WorkingCalendar::from_toml_str(with_time).unwrap_err().to_string();
        assert!(err.contains("plain date"), "{err}");

        let syntax = "[[holiday]]\ndate = 2026-13-01\n";
        let err = WorkingCalendar::from_toml_str(syntax).unwrap_err();
        assert!(matches!(err, SeedError::Toml { .. }));
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn the_real_holiday_file() {
        let cal = WorkingCalendar::from_toml_str(include_str!("../../../seeds/holidays.toml")).unwrap();
        let days: Vec<NaiveDate> = cal.holidays().collect();
        for year in [2026, 2027] {
            assert!(days.iter().any(|h| h.year() == year), "{year}");
            // Founding Day, 228, National Day are always listed.
            for (m, dd) in [(1, 1), (2, 28), (10, 10)] {
                assert!(days.contains(&NaiveDate::from_ymd_opt(year, m, dd).unwrap()));
            }
        }
        // 2026: the DGPA's 120 days off = 104 weekend days + 16 weekday holidays.
        let weekday_holidays_2026 = days.iter().filter(|h| h.year() == 2026 && !is_weekend(**h)).count();
        assert_eq!(weekday_holidays_2026, 16);
        assert!(!cal.is_working_day(d("2026-02-20"))); // eve-of-eve observed
        assert!(!cal.is_working_day(d("2026-10-26"))); // Retrocession Day observed
        assert!(cal.is_working_day(d("2026-02-23")));
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (0u64..36_890).prop_map(|n| d("2000-01-01") + Days::new(n))
    }

    fn calendar() -> impl Strategy<Value = WorkingCalendar> {
        proptest::collection::vec(0u64..36_890, 0..400)
            .prop_map(|offsets| WorkingCalendar::new(offsets.into_iter().map(|n| d("2000-01-01") + Days::new(n))))
    }

    proptest! {
        #[test]
        fn add_then_count(cal in calendar(), start in date(), n in 0u32..200) {
            let end = cal.add_working_days(start, n);
            prop_assert_eq!(cal.working_days_between(start, end), i64::from(n));
            if n > 0 {
                prop_assert!(cal.is_working_day(end));
            } else {
                prop_assert_eq!(end, start);
            }
        }

        #[test]
        fn counting_matches_walking(cal in calendar(), from in date(), len in 0u64..100) {
            let to = from + Days::new(len);
            let walked = (1..=len)
                .filter(|i| cal.is_working_day(from + Days::new(*i)))
                .count();
            prop_assert_eq!(cal.working_days_between(from, to), walked as i64);
            prop_assert_eq!(cal.working_days_between(to, from), 0);
        }
    }
}
