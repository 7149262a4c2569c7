//! Validated facts about a person: passport number, email address, nationality, gender.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::codes::UnknownCodeError;
use crate::macros::string_identifier;

/// A passport number: 5 to 20 characters `A`–`Z`, `0`–`9` (trimmed and upper-cased).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PassportNumber(String);

/// Why a text is not a passport number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum PassportNumberError {
    /// Nothing was given.
    #[error("the passport number is empty")]
    Empty,
    /// Fewer than 5 or more than 20 characters.
    #[error("a passport number has 5 to 20 characters")]
    Length,
    /// A character other than a Latin letter or a digit.
    #[error("a passport number has only letters A-Z and digits 0-9 (no spaces or dashes)")]
    Character,
}

impl PassportNumber {
    /// Parses a passport number: trims, upper-cases, then checks length and characters.
    pub fn parse(input: &str) -> Result<PassportNumber, PassportNumberError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PassportNumberError::Empty);
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(PassportNumberError::Character);
        }
        if !(5..=20).contains(&s.len()) {
            return Err(PassportNumberError::Length);
        }
        Ok(PassportNumber(s.to_ascii_uppercase()))
    }

    /// The normalised (upper-case) passport number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_identifier!(PassportNumber, PassportNumberError);

/// An email address, checked for shape (not for deliverability), with its domain in lower
/// case. The local part keeps its case: some servers distinguish it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why a text is not an email address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum EmailError {
    /// Nothing was given.
    #[error("the email address is empty")]
    Empty,
    /// More than 254 characters.
    #[error("an email address has at most 254 characters")]
    TooLong,
    /// Whitespace or a control character inside the address.
    #[error("an email address cannot contain spaces or control characters")]
    Character,
    /// Not exactly one `@`.
    #[error("an email address has exactly one `@`")]
    At,
    /// The part before the `@` is empty or longer than 64 characters.
    #[error("the part before the `@` must have 1 to 64 characters")]
    LocalPart,
    /// The part after the `@` is not a domain name such as `example.com`.
    #[error("the part after the `@` must be a domain such as example.com")]
    Domain,
}

impl Email {
    /// Parses an email address: trims, checks the shape, lower-cases the domain.
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Character);
        }
        let mut parts = s.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        if local.is_empty() || local.len() > 64 {
            return Err(EmailError::LocalPart);
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailError::Domain);
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address, domain in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_identifier!(Email, EmailError);

/// A nationality as an ISO 3166-1 alpha-2 style code of two letters, upper case
/// (`US`, `JP`, `HK`, `MO`…).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nationality(String);

/// Why a text is not a nationality code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum NationalityError {
    /// Nothing was given.
    #[error("the nationality is empty")]
    Empty,
    /// Not two Latin letters.
    #[error("a nationality is a two-letter country code such as US or JP")]
    Format,
}

impl Nationality {
    /// Parses a two-letter code: trims and upper-cases.
    pub fn parse(input: &str) -> Result<Nationality, NationalityError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(NationalityError::Empty);
        }
        if s.len() != 2 || !s.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(NationalityError::Format);
        }
        Ok(Nationality(s.to_ascii_uppercase()))
    }

    /// The upper-case code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the holder is a Hong Kong (`HK`) or Macau (`MO`) resident, who pay other fees
    /// and cannot be expedited.
    pub fn is_hk_macau(&self) -> bool {
        matches!(self.0.as_str(), "HK" | "MO")
    }
}

string_identifier!(Nationality, NationalityError);

/// Gender as recorded on the card: male, female, or X (unspecified).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Gender {
    /// Male.
    M,
    /// Female.
    F,
    /// Unspecified / other.
    X,
}

impl Gender {
    /// All genders, in display order.
    pub const ALL: [Gender; 3] = [Gender::M, Gender::F, Gender::X];

    /// `"M"`, `"F"` or `"X"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::M => "M",
            Gender::F => "F",
            Gender::X => "X",
        }
    }

    /// Parses `M`, `F` or `X` (trimmed, either case).
    pub fn parse(input: &str) -> Result<Gender, UnknownCodeError> {
        let s = input.trim();
        Gender::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownCodeError::new("gender", s, "M, F, X"))
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gender {
    type Err = UnknownCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Gender::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passport_numbers() {
        assert_eq!(PassportNumber::parse(" ab1234567 ").unwrap().as_str(), "AB1234567");
        assert_eq!(PassportNumber::parse(""), Err(PassportNumberError::Empty));
        assert_eq!(PassportNumber::parse("A123"), Err(PassportNumberError::Length));
        assert_eq!(
            PassportNumber::parse("A".repeat(21).as_str()),
            Err(PassportNumberError::Length)
        );
        assert_eq!(PassportNumber::parse("12345").unwrap().as_str(), "12345");
        assert_eq!(PassportNumber::parse("AB-12345"), Err(PassportNumberError::Character));
        assert_eq!(PassportNumber::parse("AB 12345"), Err(PassportNumberError::Character));
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Jane.Doe@Example.COM ").unwrap().as_str(),
            "Jane.Doe@example.com"
        );
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse("jane"), Err(EmailError::At));
        assert_eq!(Email::parse("a@b@c.com"), Err(EmailError::At));
        assert_eq!(Email::parse("@example.com"), Err(EmailError::LocalPart));
        assert_eq!(
            Email::parse(&format!("{}@example.com", "a".repeat(65))),
            Err(EmailError::LocalPart)
        );
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
        assert_eq!(Email::parse("jane@localhost"), Err(EmailError::Domain));
        assert_eq!(Email::parse("jane@example..com"), Err(EmailError::Domain));
        assert_eq!(Email::parse("jane@.example.com"), Err(EmailError::Domain));
        assert_eq!(Email::parse("jane@example.com."), Err(EmailError::Domain));
        assert_eq!(Email::parse("ja ne@example.com"), Err(EmailError::Character));
        assert_eq!(Email::parse("jane@exa\u{7}mple.com"), Err(EmailError::Character));
        let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(190));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn nationalities() {
        let hk = Nationality::parse(" hk").unwrap();
        assert_eq!(hk.as_str(), "HK");
        assert!(hk.is_hk_macau());
        assert!(Nationality::parse("MO").unwrap().is_hk_macau());
        assert!(!Nationality::parse("US").unwrap().is_hk_macau());
        assert_eq!(Nationality::parse("USA"), Err(NationalityError::Format));
        assert_eq!(Nationality::parse("U1"), Err(NationalityError::Format));
        assert_eq!(Nationality::parse(" "), Err(NationalityError::Empty));
    }

    #[test]
    fn genders() {
        assert_eq!(Gender::parse("f"), Ok(Gender::F));
        assert_eq!("X".parse::<Gender>(), Ok(Gender::X));
        assert!(Gender::parse("male").is_err());
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        struct W {
            g: Gender,
        }
        assert_eq!(toml::to_string(&W { g: Gender::M }).unwrap().trim(), "g = \"M\"");
        assert_eq!(toml::from_str::<W>("g = \"F\"").unwrap(), W { g: Gender::F });
    }

    #[test]
    fn serde_goes_through_parse() {
        #[derive(Deserialize, Serialize)]
        struct W {
            email: Email,
            passport: PassportNumber,
            nationality: Nationality,
        }
        let w: W = toml::from_str("email = \"a@B.com\"\npassport = \"x12345\"\nnationality = \"jp\"").unwrap();
        assert_eq!(w.email.as_str(), "a@b.com");
        assert_eq!(w.passport.as_str(), "X12345");
        assert_eq!(w.nationality.as_str(), "JP");
        assert!(toml::from_str::<W>("email = \"nope\"\npassport = \"x12345\"\nnationality = \"jp\"").is_err());
        let text = toml::to_string(&w).unwrap();
        assert!(text.contains("passport = \"X12345\""));
    }
}
