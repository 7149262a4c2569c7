//! Case numbers (申請案號): ROC year, case type, sequence.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::macros::string_identifier;

/// The case type of an extension application (延期申請) within a case number.
pub const EXTENSION_CASE_TYPE: &str = "55";

/// The largest sequence number that fits in seven digits.
const MAX_SEQUENCE: u32 = 9_999_999;

/// The ROC (Minguo) year of a date: the Gregorian year minus 1911, so 2026 is 115.
///
/// Dates before 1912 (ROC year 1) give 0; they never occur in this system.
pub fn roc_year(date: NaiveDate) -> u16 {
    u16::try_from(date.year() - 1911).unwrap_or(0)
}

/// A twelve-digit case number: the ROC year of filing (3 digits), the case type (2 digits,
/// [`EXTENSION_CASE_TYPE`] for extensions) and a sequence for that year and type (7 digits),
/// e.g. `112551036230`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber {
    // `text` first so that the derived ordering is the numeric one.
    text: String,
    roc_year: u16,
    sequence: u32,
}

/// Why a text or parts do not make a case number.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CaseNumberError {
    /// Nothing was given.
    #[error("the case number is empty")]
    Empty,
    /// The text is not twelve digits.
    #[error("a case number is 12 digits: ROC year (3), case type (2), sequence (7)")]
    Format,
    /// The ROC year is 0 or has more than three digits.
    #[error("ROC year {0} is out of range (1-999)")]
    RocYear(u16),
    /// The case type is not two digits.
    #[error("case type `{0}` is not two digits")]
    CaseType(String),
    /// The sequence does not fit in seven digits.
    #[error("sequence {0} does not fit in 7 digits")]
    Sequence(u32),
}

impl CaseNumber {
    /// Parses a case number (surrounding whitespace is ignored).
    pub fn parse(input: &str) -> Result<CaseNumber, CaseNumberError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(CaseNumberError::Empty);
        }
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CaseNumberError::Format);
        }
        let roc_year: u16 = s[..3].parse().map_err(|_| CaseNumberError::Format)?;
        let sequence: u32 = s[5..].parse().map_err(|_| CaseNumberError::Format)?;
        Self::new(roc_year, &s[3..5], sequence)
    }

    /// Builds a case number from its parts, e.g. `CaseNumber::new(115, EXTENSION_CASE_TYPE, 1)`
    /// is `115550000001`.
    pub fn new(roc_year: u16, case_type: &str, sequence: u32) -> Result<CaseNumber, CaseNumberError> {
        if !(1..=999).contains(&roc_year) {
            return Err(CaseNumberError::RocYear(roc_year));
        }
        if case_type.len() != 2 || !case_type.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CaseNumberError::CaseType(case_type.to_owned()));
        }
        if sequence > MAX_SEQUENCE {
            return Err(CaseNumberError::Sequence(sequence));
        }
        Ok(CaseNumber {
            text: format!("{roc_year:03}{case_type}{sequence:07}"),
            roc_year,
            sequence,
        })
    }

    /// The twelve digits.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The ROC year of filing (2026 is 115).
    pub fn roc_year(&self) -> u16 {
        self.roc_year
    }

    /// The two-digit case type (`"55"` for extensions).
    pub fn case_type(&self) -> &str {
        &self.text[3..5]
    }

    /// The sequence number within the year and case type.
    pub fn sequence(&self) -> u32 {
        self.sequence
    }
}

string_identifier!(CaseNumber, CaseNumberError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn roc_years() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(roc_year(d(2026, 1, 1)), 115);
        assert_eq!(roc_year(d(2023, 12, 31)), 112);
        assert_eq!(roc_year(d(1912, 1, 1)), 1);
        assert_eq!(roc_year(d(1900, 1, 1)), 0);
    }

    #[test]
    fn parses_the_seed_example() {
        let n = CaseNumber::parse(" 112551036230 ").unwrap();
        assert_eq!(n.as_str(), "112551036230");
        assert_eq!(n.roc_year(), 112);
        assert_eq!(n.case_type(), EXTENSION_CASE_TYPE);
        assert_eq!(n.sequence(), 1_036_230);
    }

    #[test]
    fn builds_from_parts() {
        let n = CaseNumber::new(115, EXTENSION_CASE_TYPE, 1).unwrap();
        assert_eq!(n.to_string(), "115550000001");
        assert_eq!(CaseNumber::new(115, "5", 1), Err(CaseNumberError::CaseType("5".into())));
        assert_eq!(CaseNumber::new(1000, "55", 1), Err(CaseNumberError::RocYear(1000)));
        assert_eq!(
            CaseNumber::new(115, "55", 10_000_000),
            Err(CaseNumberError::Sequence(10_000_000))
        );
    }

    #[test]
    fn refuses_bad_text() {
        assert_eq!(CaseNumber::parse(""), Err(CaseNumberError::Empty));
        assert_eq!(CaseNumber::parse("11255103623"), Err(CaseNumberError::Format));
        assert_eq!(CaseNumber::parse("11255103623a"), Err(CaseNumberError::Format));
        assert_eq!(CaseNumber::parse("000551036230"), Err(CaseNumberError::RocYear(0)));
    }

    #[test]
    fn orders_numerically() {
        let a = CaseNumber::new(115, "55", 9).unwrap();
        let b = CaseNumber::new(115, "55", 10).unwrap();
        assert!(a < b);
    }

    proptest! {
        #[test]
        fn round_trips(year in 1u16..=999, case_type in "[0-9]{2}", seq in 0u32..=MAX_SEQUENCE) {
            let n = CaseNumber::new(year, &case_type, seq).unwrap();
            let back = CaseNumber::parse(n.as_str()).unwrap();
            prop_assert_eq!(back.roc_year(), year);
            prop_assert_eq!(back.case_type(), case_type.as_str());
            prop_assert_eq!(back.sequence(), seq);
            prop_assert_eq!(back, n);
        }
    }
}
