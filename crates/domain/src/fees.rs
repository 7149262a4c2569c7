//! Fees, read from `seeds/fees.toml`: the amounts are data, not code.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::seed_error::SeedError;
use crate::validity::ValidityYears;

const FILE: &str = "fees.toml";

/// An amount in New Taiwan dollars (whole dollars). Serialized as a plain number; displayed
/// as `NT$1,500`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Twd(pub u32);

impl fmt::Display for Twd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "NT${grouped}")
    }
}

/// The fee schedule: extension fees by validity, the flat Hong Kong/Macau extension fee, and
/// card replacement fees. Built only by [`FeeTable::from_toml_str`], which requires every row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeTable {
    /// Indexed by years − 1.
    extension: [Twd; 3],
    extension_hk_macau: Twd,
    replacement: Twd,
    replacement_hk_macau: Twd,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeesFile {
    extension: Option<ExtensionRows>,
    replacement: Option<ReplacementRows>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtensionRows {
    #[serde(default)]
    by_years: BTreeMap<String, u32>,
    hk_macau: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplacementRows {
    standard: Option<u32>,
    hk_macau: Option<u32>,
}

fn missing(what: &str) -> SeedError {
    SeedError::invalid(FILE, format!("{what} is missing"))
}

impl FeeTable {
    /// Reads `seeds/fees.toml`:
    ///
    /// ```toml
    /// [extension]
    /// by_years = { 1 = 1500, 2 = 2500, 3 = 3500 }
    /// hk_macau = 800
    ///
    /// [replacement]
    /// standard = 500
    /// hk_macau = 2600
    /// ```
    ///
    /// Refuses a table that lacks any of these rows or has other validity lengths.
    pub fn from_toml_str(s: &str) -> Result<FeeTable, SeedError> {
        let file: FeesFile = toml::from_str(s).map_err(|e| SeedError::toml(FILE, &e))?;
        let extension = file.extension.ok_or_else(|| missing("the [extension] table"))?;
        let replacement = file.replacement.ok_or_else(|| missing("the [replacement] table"))?;

        if let Some(other) = extension
            .by_years
            .keys()
            .find(|k| !matches!(k.as_str(), "1" | "2" | "3"))
        {
            return Err(SeedError::invalid(
                FILE,
                format!("extension.by_years: `{other}` is not a validity (1, 2 or 3 years)"),
            ));
        }
        let by_years = |years: &str| {
            extension
                .by_years
                .get(years)
                .copied()
                .map(Twd)
                .ok_or_else(|| missing(&format!("extension.by_years: the fee for {years} year(s)")))
        };
        Ok(FeeTable {
            extension: [by_years("1")?, by_years("2")?, by_years("3")?],
            extension_hk_macau: extension
                .hk_macau
                .map(Twd)
                .ok_or_else(|| missing("extension.hk_macau (the Hong Kong/Macau extension fee)"))?,
            replacement: replacement
                .standard
                .map(Twd)
                .ok_or_else(|| missing("replacement.standard (the card replacement fee)"))?,
            replacement_hk_macau: replacement
                .hk_macau
                .map(Twd)
                .ok_or_else(|| missing("replacement.hk_macau (the Hong Kong/Macau replacement fee)"))?,
        })
    }

    /// The extension fee: by validity, or the flat Hong Kong/Macau fee whatever the length.
    pub fn extension_fee(&self, years: ValidityYears, hk_macau: bool) -> Twd {
        if hk_macau {
            return self.extension_hk_macau;
        }
        match years.get() {
            1 => self.extension[0],
            2 => self.extension[1],
            _ => self.extension[2],
        }
    }

    /// The fee for replacing a card.
    pub fn replacement_fee(&self, hk_macau: bool) -> Twd {
        if hk_macau {
            self.replacement_hk_macau
        } else {
            self.replacement
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = include_str!("../../../seeds/fees.toml");

    #[test]
    fn displays_as_nt_dollars() {
        assert_eq!(Twd(1500).to_string(), "NT$1,500");
        assert_eq!(Twd(800).to_string(), "NT$800");
        assert_eq!(Twd(0).to_string(), "NT$0");
        assert_eq!(Twd(1_234_567).to_string(), "NT$1,234,567");
        assert_eq!(Twd(100_000).to_string(), "NT$100,000");
    }

    #[test]
    fn the_real_fee_table_matches_the_rules() {
        let t = FeeTable::from_toml_str(REAL).unwrap();
        assert_eq!(t.extension_fee(ValidityYears::ONE, false), Twd(1500));
        assert_eq!(t.extension_fee(ValidityYears::TWO, false), Twd(2500));
        assert_eq!(t.extension_fee(ValidityYears::THREE, false), Twd(3500));
        for years in ValidityYears::ALL {
            assert_eq!(t.extension_fee(years, true), Twd(800));
        }
        assert_eq!(t.replacement_fee(false), Twd(500));
        assert_eq!(t.replacement_fee(true), Twd(2600));
    }

    fn err(s: &str) -> String {
        FeeTable::from_toml_str(s).unwrap_err().to_string()
    }

    #[test]
    fn refuses_incomplete_tables() {
        let e = err("[extension]\nby_years = { 1 = 1500, 2 = 2500 }\nhk_macau = 800\n\
                     [replacement]\nstandard = 500\nhk_macau = 2600\n");
        assert!(
            e.contains("fees.toml") && e.contains("fee for 3 year(s) is missing"),
            "{e}"
        );

        let e = err("[extension]\nby_years = { 1 = 1500, 2 = 2500, 3 = 3500 }\n\
                     [replacement]\nstandard = 500\nhk_macau = 2600\n");
        assert!(e.contains("extension.hk_macau"), "{e}");

        let e = err("[extension]\nby_years = { 1 = 1500, 2 = 2500, 3 = 3500 }\nhk_macau = 800\n");
        assert!(e.contains("[replacement]"), "{e}");

        let e = err(
            "[extension]\nby_years = { 1 = 1500, 2 = 2500, 3 = 3500 }\nhk_macau = 800\n\
                     [replacement]\nstandard = 500\n",
        );
        assert!(e.contains("replacement.hk_macau"), "{e}");

        let e = err("[extension]\nby_years = { 1 = 1500, 2 = 2500, 3 = 3500, 4 = 4500 }\n\
                     hk_macau = 800\n[replacement]\nstandard = 500\nhk_macau = 2600\n");
        assert!(e.contains("`4` is not a validity"), "{e}");

        let e = err("[extension]\nby_years = { 1 = -5 }\n");
        assert!(e.contains("fees.toml") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn twd_serializes_as_a_number() {
        #[derive(Serialize, Deserialize)]
        struct W {
            fee: Twd,
        }
        assert_eq!(toml::to_string(&W { fee: Twd(1500) }).unwrap().trim(), "fee = 1500");
        assert_eq!(toml::from_str::<W>("fee = 800").unwrap().fee, Twd(800));
    }
}
