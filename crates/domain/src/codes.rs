//! Closed sets of codes: who filed a case, and the fields of expertise.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A code that is not one of a closed set (a field, a filer, a gender, a window status…).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("unknown {kind} `{value}` (expected one of: {expected})")]
pub struct UnknownCodeError {
    /// What kind of code was expected, e.g. `"field of expertise"`.
    pub kind: &'static str,
    /// The text that was given.
    pub value: String,
    /// The accepted codes, comma-separated.
    pub expected: &'static str,
}

impl UnknownCodeError {
    pub(crate) fn new(kind: &'static str, value: &str, expected: &'static str) -> Self {
        UnknownCodeError {
            kind,
            value: value.to_owned(),
            expected,
        }
    }
}

/// Who filed an extension case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filer {
    /// The card holder (外國人自行申請).
    #[serde(rename = "self")]
    SelfFiled,
    /// The holder's employer (雇主提出申請).
    Employer,
    /// An agency the holder appointed (委託代辦機構提出申請).
    Agency,
}

impl Filer {
    /// All filing roles, in display order.
    pub const ALL: [Filer; 3] = [Filer::SelfFiled, Filer::Employer, Filer::Agency];

    /// `"self"`, `"employer"` or `"agency"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Filer::SelfFiled => "self",
            Filer::Employer => "employer",
            Filer::Agency => "agency",
        }
    }

    /// The label used on the platform, in Traditional Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Filer::SelfFiled => "外國人自行申請",
            Filer::Employer => "雇主提出申請",
            Filer::Agency => "委託代辦機構提出申請",
        }
    }

    /// Parses `self`, `employer` or `agency` (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<Filer, UnknownCodeError> {
        let s = input.trim();
        Filer::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownCodeError::new("filer", s, "self, employer, agency"))
    }
}

impl fmt::Display for Filer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Filer {
    type Err = UnknownCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Filer::parse(s)
    }
}

/// A field of expertise (領域專長). Names, criteria and sub-fields are catalog data in
/// `seeds/fields.toml`; only the codes are fixed here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    /// 科技 science and technology.
    ScienceTechnology,
    /// 數位 digital.
    Digital,
    /// 經濟 economy.
    Economy,
    /// 教育 education.
    Education,
    /// 文化藝術 culture and arts.
    CultureArts,
    /// 運動 sports.
    Sports,
    /// 金融 finance.
    Finance,
    /// 法律 law.
    Law,
    /// 建築設計 architecture (every criterion must be met).
    Architecture,
    /// 國防 national defense.
    NationalDefense,
    /// 環境 environment.
    Environment,
    /// 生技 biotechnology.
    Biotechnology,
    /// 其他: special cases recognised by the National Development Council.
    Special,
}

const FIELD_CODES: &str = "science_technology, digital, economy, education, culture_arts, \
                           sports, finance, law, architecture, national_defense, environment, \
                           biotechnology, special";

impl FieldCode {
    /// Every field, in the platform's order.
    pub const ALL: [FieldCode; 13] = [
        FieldCode::ScienceTechnology,
        FieldCode::Digital,
        FieldCode::Economy,
        FieldCode::Education,
        FieldCode::CultureArts,
        FieldCode::Sports,
        FieldCode::Finance,
        FieldCode::Law,
        FieldCode::Architecture,
        FieldCode::NationalDefense,
        FieldCode::Environment,
        FieldCode::Biotechnology,
        FieldCode::Special,
    ];

    /// The snake_case code used in the API, the CSV import and the catalog files.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldCode::ScienceTechnology => "science_technology",
            FieldCode::Digital => "digital",
            FieldCode::Economy => "economy",
            FieldCode::Education => "education",
            FieldCode::CultureArts => "culture_arts",
            FieldCode::Sports => "sports",
            FieldCode::Finance => "finance",
            FieldCode::Law => "law",
            FieldCode::Architecture => "architecture",
            FieldCode::NationalDefense => "national_defense",
            FieldCode::Environment => "environment",
            FieldCode::Biotechnology => "biotechnology",
            FieldCode::Special => "special",
        }
    }

    /// Parses a snake_case code (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<FieldCode, UnknownCodeError> {
        let s = input.trim();
        FieldCode::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownCodeError::new("field of expertise", s, FIELD_CODES))
    }
}

impl fmt::Display for FieldCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FieldCode {
    type Err = UnknownCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct W<T> {
        v: T,
    }

    fn ser<T: Serialize>(v: T) -> String {
        toml::to_string(&W { v }).unwrap().trim().to_owned()
    }

    #[test]
    fn field_codes_round_trip_in_every_form() {
        for code in FieldCode::ALL {
            assert_eq!(FieldCode::parse(code.as_str()), Ok(code));
            assert_eq!(code.to_string().parse::<FieldCode>(), Ok(code));
            assert_eq!(ser(code), format!("v = \"{}\"", code.as_str()));
            let back: W<FieldCode> = toml::from_str(&ser(code)).unwrap();
            assert_eq!(back.v, code);
        }
        assert_eq!(FieldCode::CultureArts.as_str(), "culture_arts");
        assert_eq!(FieldCode::NationalDefense.as_str(), "national_defense");
        let err = FieldCode::parse("art").unwrap_err();
        assert!(err.to_string().contains("unknown field of expertise `art`"));
    }

    #[test]
    fn filers() {
        assert_eq!(ser(Filer::SelfFiled), "v = \"self\"");
        assert_eq!(ser(Filer::Employer), "v = \"employer\"");
        assert_eq!(ser(Filer::Agency), "v = \"agency\"");
        for f in Filer::ALL {
            assert_eq!(Filer::parse(f.as_str()), Ok(f));
            let back: W<Filer> = toml::from_str(&ser(f)).unwrap();
            assert_eq!(back.v, f);
        }
        assert_eq!(Filer::SelfFiled.label_zh(), "外國人自行申請");
        assert_eq!(Filer::Employer.label_zh(), "雇主提出申請");
        assert_eq!(Filer::Agency.label_zh(), "委託代辦機構提出申請");
        assert!(Filer::parse("holder").is_err());
    }
}
