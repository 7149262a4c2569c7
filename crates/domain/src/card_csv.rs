//! The card import file of interfaces.md (`goldcard cards import FILE.csv`): parsing and
//! checking every row, pure (the store writes the rows). Every bad row is reported with its
//! line number, and no row is returned when any is bad.

use crate::{Catalog, Email, FieldCode, Gender, Nationality, PassportNumber, UiNumber};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::io::Read;

/// Columns every import file must have.
pub const REQUIRED_COLUMNS: [&str; 8] = [
    "ui_number",
    "birth_date",
    "family_name",
    "given_name",
    "nationality",
    "email",
    "field",
    "expires_on",
];
/// Columns an import file may have.
pub const OPTIONAL_COLUMNS: [&str; 7] = [
    "chinese_name",
    "gender",
    "criterion",
    "subfield",
    "passport_number",
    "passport_expires_on",
    "hk_macau",
];

/// One valid card row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    /// 統一證號.
    pub ui_number: UiNumber,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Chinese name.
    pub chinese_name: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Nationality.
    pub nationality: Nationality,
    /// Email.
    pub email: Email,
    /// Field of expertise.
    pub field: FieldCode,
    /// Criterion (款).
    pub criterion: Option<String>,
    /// Sub-field.
    pub subfield: Option<String>,
    /// Passport number.
    pub passport_number: Option<PassportNumber>,
    /// Passport expiry.
    pub passport_expires_on: Option<NaiveDate>,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// The card's last valid day.
    pub expires_on: NaiveDate,
}

/// A problem with one row (or the header, line 1) of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    /// The column, when one is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}: {}: {}", self.line, c, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

const MAX_NAME: usize = 200;

fn date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a date YYYY-MM-DD"))
}

fn name(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("is required".to_string())
    } else if s.chars().count() > MAX_NAME {
        Err(format!("is longer than {MAX_NAME} characters"))
    } else if s.chars().any(char::is_control) {
        Err("contains control characters".to_string())
    } else {
        Ok(s.to_string())
    }
}

fn flag(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" | "n" => Ok(false),
        "true" | "1" | "yes" | "y" => Ok(true),
        _ => Err(format!("`{s}` is not true or false")),
    }
}

/// Parses an import file; every bad row is reported, and no row is returned if any is bad.
pub fn parse_csv(input: impl Read, catalog: &Catalog) -> Result<Vec<CardRow>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RowError {
                line: 1,
                column: None,
                message: format!("cannot read the header row: {e}"),
            }]);
        }
    };
    let mut errors = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim_start_matches('\u{feff}').to_string();
        if !REQUIRED_COLUMNS.contains(&h.as_str()) && !OPTIONAL_COLUMNS.contains(&h.as_str()) {
            errors.push(RowError {
                line: 1,
                column: Some(h.clone()),
                message: "unknown column".into(),
            });
        }
        if index.insert(h.clone(), i).is_some() {
            errors.push(RowError {
                line: 1,
                column: Some(h),
                message: "column appears twice".into(),
            });
        }
    }
    for c in REQUIRED_COLUMNS {
        if !index.contains_key(c) {
            errors.push(RowError {
                line: 1,
                column: Some(c.to_string()),
                message: "required column is missing".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut rows = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError {
                    line,
                    column: None,
                    message: format!("malformed row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let get = |c: &str| index.get(c).and_then(|&i| record.get(i)).unwrap_or("");
        let mut row_errors = Vec::new();
        macro_rules! col {
            ($c:expr, $e:expr) => {
                match $e {
                    Ok(v) => Some(v),
                    Err(msg) => {
                        row_errors.push(RowError {
                            line,
                            column: Some($c.to_string()),
                            message: msg.to_string(),
                        });
                        None
                    }
                }
            };
        }
        let opt = |c: &str| Some(get(c)).filter(|s| !s.is_empty());
        let ui_number = col!(
            "ui_number",
            UiNumber::parse(get("ui_number")).map_err(|e| e.to_string())
        );
        let birth_date = col!("birth_date", date(get("birth_date")));
        let family_name = col!("family_name", name(get("family_name")));
        let given_name = col!("given_name", name(get("given_name")));
        let chinese_name = col!("chinese_name", opt("chinese_name").map(name).transpose());
        let gender = col!(
            "gender",
            opt("gender")
                .map(|g| Gender::parse(g).map_err(|e| e.to_string()))
                .transpose()
        );
        let nationality = col!(
            "nationality",
            Nationality::parse(get("nationality")).map_err(|e| e.to_string())
        );
        let email = col!("email", Email::parse(get("email")).map_err(|e| e.to_string()));
        let field = col!("field", FieldCode::parse(get("field")).map_err(|e| e.to_string()));
        let expires_on = col!("expires_on", date(get("expires_on")));
        let passport_number = col!(
            "passport_number",
            opt("passport_number")
                .map(|p| PassportNumber::parse(p).map_err(|e| e.to_string()))
                .transpose()
        );
        let passport_expires_on = col!("passport_expires_on", opt("passport_expires_on").map(date).transpose());
        let hk_flag = col!("hk_macau", flag(get("hk_macau")));
        let criterion = opt("criterion").map(str::to_string);
        let subfield = opt("subfield").map(str::to_string);
        if let Some(f) = field.and_then(|f| catalog.field(f)) {
            if let Some(c) = &criterion
                && f.criterion(c).is_none()
            {
                row_errors.push(RowError {
                    line,
                    column: Some("criterion".into()),
                    message: format!("`{c}` is not a criterion of {}", f.code.as_str()),
                });
            }
            if let Some(s) = &subfield
                && f.subfield(s).is_none()
            {
                row_errors.push(RowError {
                    line,
                    column: Some("subfield".into()),
                    message: format!("`{s}` is not a sub-field of {}", f.code.as_str()),
                });
            }
        }
        if let (Some(b), Some(e)) = (birth_date, expires_on)
            && e <= b
        {
            row_errors.push(RowError {
                line,
                column: Some("expires_on".into()),
                message: "the card expires before its holder was born".into(),
            });
        }
        if let Some(ui) = &ui_number
            && !seen.insert(ui.as_str().to_string())
        {
            row_errors.push(RowError {
                line,
                column: Some("ui_number".into()),
                message: format!("{} appears twice in the file", ui.as_str()),
            });
        }
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            continue;
        }
        if let (
            Some(ui_number),
            Some(birth_date),
            Some(family_name),
            Some(given_name),
            Some(chinese_name),
            Some(gender),
            Some(nationality),
            Some(email),
            Some(field),
            Some(expires_on),
            Some(passport_number),
            Some(passport_expires_on),
            Some(hk_flag),
        ) = (
            ui_number,
            birth_date,
            family_name,
            given_name,
            chinese_name,
            gender,
            nationality,
            email,
            field,
            expires_on,
            passport_number,
            passport_expires_on,
            hk_flag,
        ) {
            let hk_macau = hk_flag || nationality.is_hk_macau();
            rows.push(CardRow {
                ui_number,
                birth_date,
                family_name,
                given_name,
                chinese_name,
                gender,
                nationality,
                email,
                field,
                criterion,
                subfield,
                passport_number,
                passport_expires_on,
                hk_macau,
                expires_on,
            });
        }
    }
    if errors.is_empty() { Ok(rows) } else { Err(errors) }
}
