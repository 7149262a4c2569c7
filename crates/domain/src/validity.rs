//! How many years an extension adds to the card.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The validity the holder chooses for the extension: 1, 2 or 3 years.
///
/// Serialized as a plain number; deserializing checks the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct ValidityYears(u8);

/// Why a value is not a validity length.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ValidityYearsError {
    /// A number other than 1, 2 or 3.
    #[error("the validity must be 1, 2 or 3 years, not {0}")]
    OutOfRange(i64),
    /// Text that is not a whole number.
    #[error("the validity `{0}` is not a number of years (1, 2 or 3)")]
    NotANumber(String),
}

impl ValidityYears {
    /// One year.
    pub const ONE: ValidityYears = ValidityYears(1);
    /// Two years.
    pub const TWO: ValidityYears = ValidityYears(2);
    /// Three years.
    pub const THREE: ValidityYears = ValidityYears(3);
    /// Every choice, shortest first.
    pub const ALL: [ValidityYears; 3] = [Self::ONE, Self::TWO, Self::THREE];

    /// Accepts 1, 2 or 3.
    pub fn new(years: u8) -> Result<ValidityYears, ValidityYearsError> {
        if (1..=3).contains(&years) {
            Ok(ValidityYears(years))
        } else {
            Err(ValidityYearsError::OutOfRange(i64::from(years)))
        }
    }

    /// The number of years.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for ValidityYears {
    type Error = ValidityYearsError;
    fn try_from(years: u8) -> Result<Self, Self::Error> {
        ValidityYears::new(years)
    }
}

impl From<ValidityYears> for u8 {
    fn from(years: ValidityYears) -> u8 {
        years.0
    }
}

impl fmt::Display for ValidityYears {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ValidityYears {
    type Err = ValidityYearsError;
    /// Parses `"1"`, `"2"` or `"3"` (surrounding whitespace ignored), e.g. from a form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let n: i64 = s.parse().map_err(|_| ValidityYearsError::NotANumber(s.to_owned()))?;
        let years = u8::try_from(n).map_err(|_| ValidityYearsError::OutOfRange(n))?;
        ValidityYears::new(years)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_three() {
        for n in 0..=255u8 {
            assert_eq!(ValidityYears::new(n).is_ok(), (1..=3).contains(&n), "{n}");
        }
        assert_eq!(ValidityYears::new(2).unwrap().get(), 2);
        assert_eq!("3".parse::<ValidityYears>(), Ok(ValidityYears::THREE));
        assert_eq!("4".parse::<ValidityYears>(), Err(ValidityYearsError::OutOfRange(4)));
        assert_eq!("-1".parse::<ValidityYears>(), Err(ValidityYearsError::OutOfRange(-1)));
        assert!(matches!(
            "two".parse::<ValidityYears>(),
            Err(ValidityYearsError::NotANumber(_))
        ));
        assert!(ValidityYearsError::OutOfRange(4).to_string().contains("1, 2 or 3"));
    }

    #[test]
    fn serde_is_a_validated_number() {
        #[derive(Serialize, Deserialize, Debug)]
        struct W {
            years: ValidityYears,
        }
        assert_eq!(
            toml::to_string(&W {
                years: ValidityYears::TWO
            })
            .unwrap()
            .trim(),
            "years = 2"
        );
        assert_eq!(toml::from_str::<W>("years = 3").unwrap().years.get(), 3);
        assert!(toml::from_str::<W>("years = 4").is_err());
        assert!(toml::from_str::<W>("years = 0").is_err());
    }
}
