//! Dates as the outside gives them (`YYYY-MM-DD` in filings and card files, RFC 3339 in
//! `GOLDCARD_NOW`), then every calendar rule on whatever date came out, however far from
//! today: the filing window, passport validity, the new expiry, supplement due dates,
//! working days. Saturating at chrono's date range, never a panic.
#![no_main]

use chrono::NaiveDate;
use goldcard_domain::{
    FilingWindow, FixedClock, ValidityYears, WorkingCalendar, new_expiry, passport_valid_for_filing,
    start_of_taipei_day, supplement_due_on, taipei_date,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let (a, b) = input.split_once('|').unwrap_or((input, "2026-11-25"));
    if let Ok(clock) = FixedClock::parse(a) {
        use goldcard_domain::Clock;
        let day = taipei_date(clock.now());
        let _ = start_of_taipei_day(day);
    }
    let (Ok(d), today) = (
        NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d"),
        NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").unwrap_or(NaiveDate::MIN),
    ) else {
        return;
    };
    let window = FilingWindow::for_expiry(d);
    assert!(window.opens_on <= window.locks_on && window.locks_on <= window.expires_on);
    let _ = window.status_on(today);
    let _ = passport_valid_for_filing(d, today);
    for years in 1..=3 {
        let v = ValidityYears::new(years).expect("1-3 are valid");
        assert!(new_expiry(d, v) >= d);
    }
    assert!(supplement_due_on(d, false) >= d);
    assert!(supplement_due_on(d, true) >= d);
    let _ = start_of_taipei_day(d);
    let calendar = WorkingCalendar::new([d, today]);
    let _ = calendar.is_working_day(d);
    let _ = calendar.working_days_between(today, d);
    let _ = calendar.working_days_between(d, today);
    assert!(calendar.add_working_days(d, 40) >= d);
});
