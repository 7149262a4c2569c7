//! The UI number (統一證號), the identifier on every Alien Resident Certificate and Gold Card.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::macros::string_identifier;

/// A UI number (統一證號) whose format and check digit have been verified.
///
/// Two formats are accepted:
/// - new (since 2021): one letter, then `8` or `9`, then eight digits, the last being the
///   check digit, e.g. `F800001196`;
/// - old (valid until 2031): two letters, the second `A`–`D`, then eight digits, e.g.
///   `AC01234567`.
///
/// Parsing trims surrounding whitespace and upper-cases the letters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UiNumber(String);

/// Why a text is not a UI number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum UiNumberError {
    /// Nothing was given.
    #[error("the UI number is empty")]
    Empty,
    /// The text is not shaped like a UI number.
    #[error(
        "a UI number is one letter, then 8 or 9, then 8 digits (new format), or two letters \
         (the second A-D) then 8 digits (old format)"
    )]
    Format,
    /// The shape is right but the check digit does not match: most likely a typo.
    #[error("the UI number's check digit does not match; please check it for typos")]
    CheckDigit,
}

/// The number each first letter stands for in the check-digit computation. The order is
/// historical (I, O, W… were added late), hence not alphabetical.
fn letter_value(letter: u8) -> Option<u32> {
    let value = match letter {
        b'A' => 10,
        b'B' => 11,
        b'C' => 12,
        b'D' => 13,
        b'E' => 14,
        b'F' => 15,
        b'G' => 16,
        b'H' => 17,
        b'I' => 34,
        b'J' => 18,
        b'K' => 19,
        b'L' => 20,
        b'M' => 21,
        b'N' => 22,
        b'O' => 35,
        b'P' => 23,
        b'Q' => 24,
        b'R' => 25,
        b'S' => 26,
        b'T' => 27,
        b'U' => 28,
        b'V' => 29,
        b'W' => 32,
        b'X' => 30,
        b'Y' => 31,
        b'Z' => 33,
        _ => return None,
    };
    Some(value)
}

/// Weights of the second to ninth characters; the tenth (check digit) weighs 1.
const WEIGHTS: [u32; 8] = [8, 7, 6, 5, 4, 3, 2, 1];

/// The weighted sum of a syntactically valid, upper-case, 10-character UI number; the number
/// is valid when this is a multiple of 10. `None` when the shape is wrong.
fn weighted_sum(s: &[u8]) -> Option<u32> {
    if s.len() != 10 {
        return None;
    }
    let first = letter_value(s[0])?;
    let mut sum = (first / 10) + (first % 10) * 9;
    // The second character: a digit (8 or 9) in the new format, a letter A-D in the old one,
    // where it counts as the units digit of its own number (A=10 -> 0 ... D=13 -> 3).
    let second = match s[1] {
        b'8' | b'9' => u32::from(s[1] - b'0'),
        b'A'..=b'D' => letter_value(s[1])? % 10,
        _ => return None,
    };
    sum += second * WEIGHTS[0];
    for (weight, &c) in WEIGHTS[1..].iter().zip(&s[2..9]) {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += u32::from(c - b'0') * weight;
    }
    let check = s[9];
    if !check.is_ascii_digit() {
        return None;
    }
    Some(sum + u32::from(check - b'0'))
}

impl UiNumber {
    /// Parses a UI number: trims, upper-cases, checks the format and the check digit.
    pub fn parse(input: &str) -> Result<UiNumber, UiNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UiNumberError::Empty);
        }
        if !trimmed.is_ascii() {
            return Err(UiNumberError::Format);
        }
        let upper = trimmed.to_ascii_uppercase();
        let sum = weighted_sum(upper.as_bytes()).ok_or(UiNumberError::Format)?;
        if !sum.is_multiple_of(10) {
            return Err(UiNumberError::CheckDigit);
        }
        Ok(UiNumber(upper))
    }

    /// The normalised (upper-case) text, e.g. `F800001196`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a new-format number (letter, then 8 or 9); `false` for the old
    /// two-letter format.
    pub fn is_new_format(&self) -> bool {
        matches!(self.0.as_bytes().get(1), Some(b'8' | b'9'))
    }
}

string_identifier!(UiNumber, UiNumberError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_spec_examples() {
        assert!(UiNumber::parse("F800001196").is_ok());
        assert!(UiNumber::parse("A800000014").is_ok());
        assert_eq!(UiNumber::parse("A800000015"), Err(UiNumberError::CheckDigit));
    }

    #[test]
    fn trims_and_upper_cases() {
        let ui = UiNumber::parse("  f800001196\n").unwrap();
        assert_eq!(ui.as_str(), "F800001196");
        assert!(ui.is_new_format());
        assert_eq!(ui.to_string(), "F800001196");
    }

    #[test]
    fn old_format() {
        // A=10 -> 1 + 0*9 = 1; C -> 2, weighted 8 = 16; 0,1,2,3,4,5,6 weighted 7..1
        // = 0+6+10+12+12+10+6 = 56; total 73, so the check digit is 7.
        let ui = UiNumber::parse("ac01234567").unwrap();
        assert_eq!(ui.as_str(), "AC01234567");
        assert!(!ui.is_new_format());
        assert_eq!(UiNumber::parse("AC01234568"), Err(UiNumberError::CheckDigit));
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(UiNumber::parse("   "), Err(UiNumberError::Empty));
        for bad in [
            "F80000119",   // too short
            "F8000011960", // too long
            "F700001196",  // second char must be 8 or 9
            "AE01234567",  // old format: second letter must be A-D
            "1800001196",  // must start with a letter
            "F80000119X",  // check digit must be a digit
            "F8０0001196", // full-width digit
        ] {
            assert_eq!(UiNumber::parse(bad), Err(UiNumberError::Format), "{bad}");
        }
    }

    #[test]
    fn error_messages_say_what_is_wrong() {
        assert!(UiNumberError::CheckDigit.to_string().contains("check digit"));
        assert!(UiNumberError::Empty.to_string().contains("empty"));
    }

    #[test]
    fn serde_validates() {
        let ui: UiNumber = serde_json_like("\"f800001196\"");
        assert_eq!(ui.as_str(), "F800001196");
        assert!(toml::from_str::<Wrapper>("ui = \"A800000015\"").is_err());
    }

    #[derive(Deserialize)]
    struct Wrapper {
        ui: UiNumber,
    }

    fn serde_json_like(quoted: &str) -> UiNumber {
        toml::from_str::<Wrapper>(&format!("ui = {quoted}")).unwrap().ui
    }

    /// A weight-5 digit changed by 2 (or a weight-2/4/6/8 digit changed by 5) moves the sum
    /// by a multiple of 10, so this scheme cannot catch every single-digit change.
    #[test]
    fn some_single_digit_changes_go_unnoticed() {
        assert!(UiNumber::parse("A800200014").is_ok());
    }

    fn body() -> impl Strategy<Value = String> {
        let new = (
            proptest::char::range('A', 'Z'),
            prop_oneof![Just('8'), Just('9')],
            "[0-9]{7}",
        )
            .prop_map(|(l, s, d)| format!("{l}{s}{d}"));
        let old = (
            proptest::char::range('A', 'Z'),
            proptest::char::range('A', 'D'),
            "[0-9]{7}",
        )
            .prop_map(|(l, s, d)| format!("{l}{s}{d}"));
        prop_oneof![new, old]
    }

    fn weight_of(position: usize) -> u32 {
        if position == 9 { 1 } else { WEIGHTS[position - 1] }
    }

    proptest! {
        #[test]
        fn exactly_one_check_digit_fits(body in body()) {
            let passing: Vec<char> = ('0'..='9')
                .filter(|d| UiNumber::parse(&format!("{body}{d}")).is_ok())
                .collect();
            prop_assert_eq!(passing.len(), 1);
        }

        #[test]
        fn changing_a_digit_breaks_it_unless_the_weight_hides_it(
            body in body(),
            position in 2usize..10,
            new_digit in 0u8..10,
        ) {
            let check = ('0'..='9')
                .find(|d| UiNumber::parse(&format!("{body}{d}")).is_ok())
                .unwrap();
            let valid = format!("{body}{check}");
            let mut bytes = valid.clone().into_bytes();
            let old_digit = bytes[position] - b'0';
            prop_assume!(old_digit != new_digit);
            bytes[position] = b'0' + new_digit;
            let changed = String::from_utf8(bytes).unwrap();
            let delta = u32::from(old_digit.abs_diff(new_digit));
            let undetectable = (weight_of(position) * delta).is_multiple_of(10);
            prop_assert_eq!(UiNumber::parse(&changed).is_ok(), undetectable);
            // The check digit itself (weight 1), and digits weighted 1, 3 or 7, are always
            // protected.
            if matches!(weight_of(position), 1 | 3 | 7) {
                prop_assert_eq!(UiNumber::parse(&changed), Err(UiNumberError::CheckDigit));
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,12}") {
            let _ = UiNumber::parse(&s);
        }
    }
}
