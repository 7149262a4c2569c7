//! An extension filing (延期申請): the body the applicant submits, and its validation.
//!
//! [`RawExtension`] mirrors the JSON of `POST /api/v1/extensions` (interfaces.md) with every
//! field optional, so that a missing field is reported as a [`FieldError`] with its path
//! (`passport.expiry_date`) rather than as a deserialization failure. Unknown fields are
//! refused at every level. [`ExtensionFiling::parse`] checks every rule and reports every
//! problem at once: the applicant has no way to save a half-done form, so one round trip
//! must show them all.
//!
//! Text is kept verbatim (trimmed): HTML in a name is just text; escaping is the views' job.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::{add_months_clamped, passport_valid_for_filing};
use crate::catalog::Catalog;
use crate::codes::{FieldCode, Filer};
use crate::fees::{FeeTable, Twd};
use crate::field_error::FieldError;
use crate::person::{Email, EmailError, Gender, Nationality, NationalityError, PassportNumber, PassportNumberError};
use crate::ui_number::{UiNumber, UiNumberError};
use crate::validity::ValidityYears;

/// Longest name (family, given, Chinese, contact person), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest address (home, work, residence), in characters.
pub const MAX_ADDRESS_CHARS: usize = 300;
/// Longest other free text (occupation, phone numbers, passport place of issue…), in characters.
pub const MAX_TEXT_CHARS: usize = 100;
/// Longest document id, in characters.
pub const MAX_DOCUMENT_ID_CHARS: usize = 64;
/// The criterion stored for a field whose every criterion must be met (architecture).
pub const ALL_CRITERIA: &str = "all";

/// Document types every extension needs whatever the field.
const ALWAYS_REQUIRED_DOCUMENTS: [&str; 2] = ["passport_copy", "photo"];
/// The statement a Hong Kong or Macau resident who worked in mainland China must attach.
const MAINLAND_WORK_STATEMENT: &str = "mainland_work_statement";

// ---------------------------------------------------------------------------------------
// The raw body
// ---------------------------------------------------------------------------------------

/// The extension body exactly as submitted (interfaces.md, "Extension body"). Nothing is
/// checked here beyond the JSON shape: unknown fields are refused, missing ones are `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtension {
    /// `self`, `employer` or `agency`.
    pub filer: Option<String>,
    /// The card's UI number (統一證號).
    pub ui_number: Option<String>,
    /// Birth date, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// The applicant's consent to the terms; must be `true`.
    pub consent: Option<bool>,
    /// Tab 基本資料.
    pub basic: Option<RawBasic>,
    /// Tab 護照資料.
    pub passport: Option<RawPassport>,
    /// Tab 居留申請.
    pub residence: Option<RawResidence>,
    /// Tab 領域專長.
    pub field: Option<RawFieldChoice>,
    /// Questions for Hong Kong and Macau residents.
    pub hk_macau: Option<RawHkMacau>,
    /// Whether the applicant asks for expedited handling (absent means no).
    pub expedite: Option<bool>,
    /// Tab 文件上傳: ids of uploaded documents (absent means none).
    pub documents: Option<Vec<String>>,
}

/// Tab 基本資料 as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBasic {
    /// English family name (英文姓氏).
    pub family_name: Option<String>,
    /// English given name (英文名字).
    pub given_name: Option<String>,
    /// Chinese name (中文姓名), optional.
    pub chinese_name: Option<String>,
    /// `M`, `F` or `X`.
    pub gender: Option<String>,
    /// Two-letter country code; `HK` and `MO` for Hong Kong and Macau.
    pub nationality: Option<String>,
    /// Current occupation (現職).
    pub occupation: Option<String>,
    /// Highest education (最高學歷).
    pub education: Option<String>,
    /// Marital status (婚姻狀況).
    pub marital_status: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Country of birth (出生地點(國家)).
    pub birth_country: Option<String>,
    /// City or state of birth (出生地點(市/州)).
    pub birth_city: Option<String>,
    /// Address in the home country (申請人母國地址).
    pub home_address: Option<String>,
    /// Telephone in the home country (申請人母國電話號碼).
    pub home_phone: Option<String>,
}

/// Tab 護照資料 as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPassport {
    /// Whether the new passport replaces the one on file (護照資料異動); absent means no.
    pub update: Option<bool>,
    /// Passport type (護照種類), e.g. `ordinary`. The JSON name is `type`.
    #[serde(rename = "type")]
    pub passport_type: Option<String>,
    /// Passport number.
    pub number: Option<String>,
    /// Date of issue, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    /// Expiry date, `YYYY-MM-DD`.
    pub expiry_date: Option<String>,
    /// Place or authority of issue (護照發照地點).
    pub issued_at: Option<String>,
    /// The previous passport's number (原護照號碼), optional.
    pub previous_number: Option<String>,
}

/// Tab 居留申請 as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResidence {
    /// Years of validity asked for: the number 1, 2 or 3.
    pub validity_years: Option<RawInteger>,
    /// Employer (服務處所), optional.
    pub employer: Option<String>,
    /// Employer's telephone, optional.
    pub employer_phone: Option<String>,
    /// How the card is collected (續領方式), e.g. `self`.
    pub pickup: Option<String>,
    /// Where the card is collected (續領地點).
    pub pickup_office: Option<String>,
    /// Work address in Taiwan, optional.
    pub work_address: Option<String>,
    /// Residence address in Taiwan.
    pub residence_address: Option<String>,
    /// Taiwan mobile number, `09` and eight digits.
    pub mobile: Option<String>,
    /// The contact person in Taiwan.
    pub contact: Option<RawContact>,
}

/// The contact person in Taiwan (在臺關係人) as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContact {
    /// Name.
    pub name: Option<String>,
    /// Relation to the applicant.
    pub relation: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
}

/// Tab 領域專長 as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFieldChoice {
    /// Field code, e.g. `digital`.
    pub field: Option<String>,
    /// Criterion item (款), e.g. `"1"`; may be omitted for architecture.
    pub criterion: Option<String>,
    /// Sub-field code, optional.
    pub subfield: Option<String>,
}

/// The Hong Kong/Macau questions as submitted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHkMacau {
    /// Whether the applicant has worked for a mainland-Chinese company or government body.
    pub worked_in_mainland: Option<bool>,
}

/// A JSON value that should be a whole number. Anything else (`"2"`, `2.5`, `true`, a list)
/// is kept as text so that validation can report it as a field error instead of failing to
/// deserialize the whole body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawInteger {
    /// A JSON integer.
    Integer(i64),
    /// Any other JSON value, described as text (a string is kept as is).
    NotAnInteger(String),
}

impl Serialize for RawInteger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            RawInteger::Integer(n) => serializer.serialize_i64(*n),
            RawInteger::NotAnInteger(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for RawInteger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawIntegerVisitor)
    }
}

struct RawIntegerVisitor;

impl<'de> Visitor<'de> for RawIntegerVisitor {
    type Value = RawInteger;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawInteger, E> {
        Ok(RawInteger::NotAnInteger(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawInteger, E> {
        Ok(RawInteger::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawInteger, E> {
        Ok(i64::try_from(v).map_or_else(|_| RawInteger::NotAnInteger(v.to_string()), RawInteger::Integer))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawInteger, E> {
        Ok(RawInteger::NotAnInteger(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawInteger, E> {
        Ok(RawInteger::NotAnInteger(v.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<RawInteger, E> {
        Ok(RawInteger::NotAnInteger("null".to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawInteger, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawInteger::NotAnInteger("[…]".to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawInteger, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(RawInteger::NotAnInteger("{…}".to_owned()))
    }
}

// ---------------------------------------------------------------------------------------
// The validated filing
// ---------------------------------------------------------------------------------------

/// A validated extension filing: every rule of domain.md that does not need the database
/// holds (the card's filing window and pending cases are checked by the caller).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtensionFiling {
    /// Who files the case.
    pub filer: Filer,
    /// The card's UI number.
    pub ui_number: UiNumber,
    /// The holder's birth date (in the past).
    pub birth_date: NaiveDate,
    /// Tab 基本資料.
    pub basic: BasicData,
    /// Tab 護照資料.
    pub passport: PassportData,
    /// Tab 居留申請.
    pub residence: ResidenceData,
    /// Tab 領域專長.
    pub field: FieldChoice,
    /// Whether the holder is a Hong Kong or Macau resident: the card's status, never the
    /// nationality typed into the form. `false` out of [`ExtensionFiling::parse`]; set by
    /// [`ExtensionFiling::for_card`], which filing must call before the fee or the required
    /// documents are asked for.
    pub hk_macau: bool,
    /// Whether the holder has worked for a mainland-Chinese company or government body.
    pub worked_in_mainland: bool,
    /// Whether expedited handling is asked for (never for Hong Kong/Macau residents).
    pub expedite: bool,
    /// Ids of the uploaded documents, trimmed, unique, in the order given.
    pub documents: Vec<String>,
}

/// Tab 基本資料, validated and trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BasicData {
    /// English family name.
    pub family_name: String,
    /// English given name.
    pub given_name: String,
    /// Chinese name, if given.
    pub chinese_name: Option<String>,
    /// Gender.
    pub gender: Gender,
    /// Nationality.
    pub nationality: Nationality,
    /// Current occupation.
    pub occupation: String,
    /// Highest education.
    pub education: String,
    /// Marital status.
    pub marital_status: String,
    /// Email address.
    pub email: Email,
    /// Country of birth.
    pub birth_country: String,
    /// City or state of birth.
    pub birth_city: String,
    /// Address in the home country.
    pub home_address: String,
    /// Telephone in the home country.
    pub home_phone: String,
}

/// Tab 護照資料, validated and trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PassportData {
    /// Whether this passport replaces the one on file when the extension is issued
    /// (護照資料異動); without it the passport on file is carried over.
    pub update: bool,
    /// Passport type, e.g. `ordinary`.
    pub passport_type: String,
    /// Passport number.
    pub number: PassportNumber,
    /// Date of issue (not in the future).
    pub issued_on: NaiveDate,
    /// Expiry date: after the date of issue, and at least six months after the filing date.
    pub expiry_date: NaiveDate,
    /// Place or authority of issue.
    pub issued_at: String,
    /// The previous passport's number, if given.
    pub previous_number: Option<PassportNumber>,
}

/// Tab 居留申請, validated and trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResidenceData {
    /// Years the extension adds.
    pub validity_years: ValidityYears,
    /// Employer, if given.
    pub employer: Option<String>,
    /// Employer's telephone, if given.
    pub employer_phone: Option<String>,
    /// How the card is collected.
    pub pickup: String,
    /// Where the card is collected.
    pub pickup_office: String,
    /// Work address in Taiwan, if given.
    pub work_address: Option<String>,
    /// Residence address in Taiwan.
    pub residence_address: String,
    /// Taiwan mobile number, normalised to ten digits `09xxxxxxxx`.
    pub mobile: String,
    /// The contact person in Taiwan.
    pub contact: Contact,
}

/// The contact person in Taiwan, validated and trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Relation to the applicant.
    pub relation: String,
    /// Telephone.
    pub phone: String,
}

/// The chosen field of expertise, checked against the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChoice {
    /// The field.
    pub field: FieldCode,
    /// The criterion's item (`"1"`, `"2"`, …), or [`ALL_CRITERIA`] for a field whose every
    /// criterion must be met (architecture).
    pub criterion: String,
    /// The sub-field code, if chosen.
    pub subfield: Option<String>,
}

impl FieldChoice {
    /// Whether every criterion of the field applies (architecture).
    pub fn all_criteria(&self) -> bool {
        self.criterion == ALL_CRITERIA
    }
}

/// The document types an extension with this field choice needs: the chosen criterion's
/// (every criterion's for architecture), plus `passport_copy` and `photo`, plus
/// `mainland_work_statement` when `mainland_statement` (a Hong Kong/Macau resident who
/// worked in mainland China); with no field chosen yet, the two every case needs. Sorted,
/// without duplicates. The filing form lists exactly
/// these, and filing refuses a case that lacks one.
pub fn required_documents(catalog: &Catalog, choice: Option<&FieldChoice>, mainland_statement: bool) -> Vec<String> {
    let mut types: BTreeSet<String> = ALWAYS_REQUIRED_DOCUMENTS.iter().map(|t| (*t).to_owned()).collect();
    if let Some((choice, field)) = choice.and_then(|c| catalog.field(c.field).map(|f| (c, f))) {
        let every = field.all_criteria_required || choice.all_criteria();
        for criterion in field.criteria.iter().filter(|c| every || c.item == choice.criterion) {
            types.extend(criterion.required_documents.iter().cloned());
        }
    }
    if mainland_statement {
        types.insert(MAINLAND_WORK_STATEMENT.to_owned());
    }
    types.into_iter().collect()
}

/// The most documents one filing can need on `catalog`: the largest required set of any
/// field and criterion (every criterion's for architecture), with `passport_copy`, `photo`
/// and the mainland statement. Upload limits are sized from it.
pub fn most_required_documents(catalog: &Catalog) -> usize {
    catalog
        .fields
        .iter()
        .flat_map(|f| {
            let items: Vec<String> = if f.all_criteria_required {
                vec![ALL_CRITERIA.to_owned()]
            } else {
                f.criteria.iter().map(|c| c.item.clone()).collect()
            };
            items.into_iter().map(move |criterion| FieldChoice {
                field: f.code,
                criterion,
                subfield: None,
            })
        })
        .map(|choice| required_documents(catalog, Some(&choice), true).len())
        .max()
        .unwrap_or(ALWAYS_REQUIRED_DOCUMENTS.len() + 1)
}

impl ExtensionFiling {
    /// Validates a submitted body on `today` (a Taipei date) against the fields catalog.
    ///
    /// Returns every problem found, in the order of the form, each with its dotted path
    /// (`basic.email`, `passport.expiry_date`, `residence.contact.phone`, `documents[2]`) and
    /// a code: `required`, `too_long`, `invalid`, `invalid_date`, `in_future`,
    /// `not_after_issue`, `invalid_ui_number`, `consent_required`, `passport_validity`,
    /// `unknown_field_of_expertise`, `unknown_criterion`, `unknown_subfield`, `not_allowed`,
    /// `duplicate`.
    pub fn parse(raw: RawExtension, today: NaiveDate, catalog: &Catalog) -> Result<ExtensionFiling, Vec<FieldError>> {
        let mut check = Check::default();

        let filer = check.filer(raw.filer.as_deref());
        let ui_number = check.ui_number(raw.ui_number.as_deref());
        let birth_date = check.birth_date(raw.birth_date.as_deref(), today);
        if raw.consent != Some(true) {
            check.push(
                "consent",
                "consent_required",
                "you must consent to the terms before filing",
            );
        }
        let basic = check.basic(raw.basic.unwrap_or_default());
        let passport = check.passport(raw.passport.unwrap_or_default(), today);
        let residence = check.residence(raw.residence.unwrap_or_default());
        let field = check.field_choice(raw.field.unwrap_or_default(), catalog);

        // Hong Kong/Macau status (fee, expedite, mainland statement) is the card's: see `for_card`.
        let expedite = raw.expedite.unwrap_or(false);
        let worked_in_mainland = raw.hk_macau.and_then(|h| h.worked_in_mainland).unwrap_or(false);
        let documents = check.documents(raw.documents.unwrap_or_default());

        let (Some(filer), Some(ui_number), Some(birth_date), Some(basic), Some(passport), Some(residence), Some(field)) =
            (filer, ui_number, birth_date, basic, passport, residence, field)
        else {
            return Err(check.into_errors());
        };
        if !check.errors.is_empty() {
            return Err(check.errors);
        }
        Ok(ExtensionFiling {
            filer,
            ui_number,
            birth_date,
            basic,
            passport,
            residence,
            field,
            hk_macau: false,
            worked_in_mainland,
            expedite,
            documents,
        })
    }

    /// The filing for a card whose holder is (`hk_macau`) or is not a Hong Kong or Macau
    /// resident, as the card records it: a typed nationality of `HK` or `MO` changes
    /// nothing. Refuses expedited handling for a Hong Kong/Macau resident (`expedite`,
    /// `not_allowed`).
    pub fn for_card(mut self, hk_macau: bool) -> Result<ExtensionFiling, Vec<FieldError>> {
        if hk_macau && self.expedite {
            return Err(vec![FieldError::new(
                "expedite",
                "not_allowed",
                "Hong Kong and Macau cases cannot be expedited",
            )]);
        }
        self.hk_macau = hk_macau;
        Ok(self)
    }

    /// The document types this filing needs: the chosen criterion's (every criterion's for
    /// architecture), plus `passport_copy` and `photo`, plus `mainland_work_statement` for a
    /// Hong Kong/Macau resident who worked in mainland China. Sorted, without duplicates.
    pub fn required_document_types(&self, catalog: &Catalog) -> Vec<String> {
        required_documents(catalog, Some(&self.field), self.hk_macau && self.worked_in_mainland)
    }

    /// The extension fee for the chosen validity (flat for Hong Kong/Macau residents).
    pub fn fee(&self, fees: &FeeTable) -> Twd {
        fees.extension_fee(self.residence.validity_years, self.hk_macau)
    }
}

// ---------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------

/// Collects the errors; each method returns `None` exactly when it recorded an error.
#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

/// Why a present, non-blank text is refused, if it is.
fn text_problem(text: &str, max_chars: usize) -> Option<(&'static str, String)> {
    if text.chars().any(char::is_control) {
        return Some(("invalid", "must not contain control characters".to_owned()));
    }
    if text.chars().count() > max_chars {
        return Some(("too_long", format!("must be at most {max_chars} characters")));
    }
    None
}

/// Parses a strict `YYYY-MM-DD` date.
fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return None;
    }
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u32>().ok());
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// A Taiwan mobile number, `09` then eight digits; spaces and dashes are ignored.
fn parse_mobile(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(|c| *c != ' ' && *c != '-').collect();
    (digits.len() == 10 && digits.starts_with("09") && digits.bytes().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// The trimmed text, or `None` when absent or blank.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|s| !s.is_empty())
}

impl Check {
    fn push(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    fn required(&mut self, field: &str) {
        self.push(field, "required", "this field is required");
    }

    fn into_errors(mut self) -> Vec<FieldError> {
        // Every check that yields `None` records an error; this only guards that invariant.
        if self.errors.is_empty() {
            self.push("", "invalid", "the filing is incomplete");
        }
        self.errors
    }

    /// A required text field: trimmed, without control characters, at most `max` characters.
    fn text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let Some(text) = present(value) else {
            self.required(field);
            return None;
        };
        self.checked_text(field, text, max)
    }

    /// An optional text field: `Some(None)` when absent or blank, `None` when refused.
    fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<Option<String>> {
        match present(value) {
            None => Some(None),
            Some(text) => self.checked_text(field, text, max).map(Some),
        }
    }

    fn checked_text(&mut self, field: &str, text: &str, max: usize) -> Option<String> {
        match text_problem(text, max) {
            Some((code, message)) => {
                self.push(field, code, message);
                None
            }
            None => Some(text.to_owned()),
        }
    }

    /// A required `YYYY-MM-DD` date.
    fn date(&mut self, field: &str, value: Option<&str>) -> Option<NaiveDate> {
        let Some(text) = present(value) else {
            self.required(field);
            return None;
        };
        let date = parse_iso_date(text);
        if date.is_none() {
            self.push(field, "invalid_date", "must be a real date written YYYY-MM-DD");
        }
        date
    }

    fn filer(&mut self, value: Option<&str>) -> Option<Filer> {
        let Some(text) = present(value) else {
            self.required("filer");
            return None;
        };
        let filer = Filer::parse(text).ok();
        if filer.is_none() {
            self.push("filer", "invalid", "must be one of self, employer, agency");
        }
        filer
    }

    fn ui_number(&mut self, value: Option<&str>) -> Option<UiNumber> {
        match UiNumber::parse(value.unwrap_or_default()) {
            Ok(ui) => Some(ui),
            Err(UiNumberError::Empty) => {
                self.required("ui_number");
                None
            }
            Err(e) => {
                self.push("ui_number", "invalid_ui_number", e.to_string());
                None
            }
        }
    }

    fn birth_date(&mut self, value: Option<&str>, today: NaiveDate) -> Option<NaiveDate> {
        let date = self.date("birth_date", value)?;
        if date >= today {
            self.push("birth_date", "in_future", "the birth date must be in the past");
            return None;
        }
        Some(date)
    }

    fn basic(&mut self, raw: RawBasic) -> Option<BasicData> {
        let family_name = self.text("basic.family_name", raw.family_name.as_deref(), MAX_NAME_CHARS);
        let given_name = self.text("basic.given_name", raw.given_name.as_deref(), MAX_NAME_CHARS);
        let chinese_name = self.optional_text("basic.chinese_name", raw.chinese_name.as_deref(), MAX_NAME_CHARS);
        let gender = self.gender(raw.gender.as_deref());
        let nationality = self.nationality(raw.nationality.as_deref());
        let occupation = self.text("basic.occupation", raw.occupation.as_deref(), MAX_TEXT_CHARS);
        let education = self.text("basic.education", raw.education.as_deref(), MAX_TEXT_CHARS);
        let marital_status = self.text("basic.marital_status", raw.marital_status.as_deref(), MAX_TEXT_CHARS);
        let email = self.email(raw.email.as_deref());
        let birth_country = self.text("basic.birth_country", raw.birth_country.as_deref(), MAX_TEXT_CHARS);
        let birth_city = self.text("basic.birth_city", raw.birth_city.as_deref(), MAX_TEXT_CHARS);
        let home_address = self.text("basic.home_address", raw.home_address.as_deref(), MAX_ADDRESS_CHARS);
        let home_phone = self.text("basic.home_phone", raw.home_phone.as_deref(), MAX_TEXT_CHARS);
        Some(BasicData {
            family_name: family_name?,
            given_name: given_name?,
            chinese_name: chinese_name?,
            gender: gender?,
            nationality: nationality?,
            occupation: occupation?,
            education: education?,
            marital_status: marital_status?,
            email: email?,
            birth_country: birth_country?,
            birth_city: birth_city?,
            home_address: home_address?,
            home_phone: home_phone?,
        })
    }

    fn gender(&mut self, value: Option<&str>) -> Option<Gender> {
        let Some(text) = present(value) else {
            self.required("basic.gender");
            return None;
        };
        let gender = Gender::parse(text).ok();
        if gender.is_none() {
            self.push("basic.gender", "invalid", "must be M, F or X");
        }
        gender
    }

    fn nationality(&mut self, value: Option<&str>) -> Option<Nationality> {
        match Nationality::parse(value.unwrap_or_default()) {
            Ok(n) => Some(n),
            Err(NationalityError::Empty) => {
                self.required("basic.nationality");
                None
            }
            Err(e) => {
                self.push("basic.nationality", "invalid", e.to_string());
                None
            }
        }
    }

    fn email(&mut self, value: Option<&str>) -> Option<Email> {
        match Email::parse(value.unwrap_or_default()) {
            Ok(email) => Some(email),
            Err(EmailError::Empty) => {
                self.required("basic.email");
                None
            }
            Err(e @ EmailError::TooLong) => {
                self.push("basic.email", "too_long", e.to_string());
                None
            }
            Err(e) => {
                self.push("basic.email", "invalid", e.to_string());
                None
            }
        }
    }

    fn passport_number(&mut self, field: &str, text: &str) -> Option<PassportNumber> {
        match PassportNumber::parse(text) {
            Ok(number) => Some(number),
            Err(PassportNumberError::Empty) => {
                self.required(field);
                None
            }
            Err(e) => {
                self.push(field, "invalid", e.to_string());
                None
            }
        }
    }

    fn passport(&mut self, raw: RawPassport, today: NaiveDate) -> Option<PassportData> {
        let passport_type = self.text("passport.type", raw.passport_type.as_deref(), MAX_TEXT_CHARS);
        let number = self.passport_number("passport.number", raw.number.as_deref().unwrap_or_default());
        let issued_on = self.date("passport.issued_on", raw.issued_on.as_deref());
        let issued_on = issued_on.and_then(|d| {
            if d > today {
                self.push(
                    "passport.issued_on",
                    "in_future",
                    "the date of issue cannot be in the future",
                );
                None
            } else {
                Some(d)
            }
        });
        let expiry_date = self.date("passport.expiry_date", raw.expiry_date.as_deref());
        let expiry_date = expiry_date.and_then(|expiry| {
            let mut ok = true;
            if issued_on.is_some_and(|issued| expiry <= issued) {
                self.push(
                    "passport.expiry_date",
                    "not_after_issue",
                    "the expiry date must be after the date of issue",
                );
                ok = false;
            }
            if !passport_valid_for_filing(expiry, today) {
                self.push(
                    "passport.expiry_date",
                    "passport_validity",
                    format!(
                        "the passport must have at least 6 months of validity left when you file \
                         (an expiry date on or after {})",
                        add_months_clamped(today, 6)
                    ),
                );
                ok = false;
            }
            ok.then_some(expiry)
        });
        let issued_at = self.text("passport.issued_at", raw.issued_at.as_deref(), MAX_TEXT_CHARS);
        let previous_number = match present(raw.previous_number.as_deref()) {
            None => Some(None),
            Some(text) => self.passport_number("passport.previous_number", text).map(Some),
        };
        Some(PassportData {
            update: raw.update.unwrap_or(false),
            passport_type: passport_type?,
            number: number?,
            issued_on: issued_on?,
            expiry_date: expiry_date?,
            issued_at: issued_at?,
            previous_number: previous_number?,
        })
    }

    fn validity_years(&mut self, value: Option<RawInteger>) -> Option<ValidityYears> {
        let years = match value {
            None => {
                self.required("residence.validity_years");
                return None;
            }
            Some(RawInteger::Integer(n)) => u8::try_from(n).ok().and_then(|n| ValidityYears::new(n).ok()),
            Some(RawInteger::NotAnInteger(_)) => None,
        };
        if years.is_none() {
            self.push("residence.validity_years", "invalid", "must be the number 1, 2 or 3");
        }
        years
    }

    fn residence(&mut self, raw: RawResidence) -> Option<ResidenceData> {
        let validity_years = self.validity_years(raw.validity_years);
        let employer = self.optional_text("residence.employer", raw.employer.as_deref(), MAX_TEXT_CHARS);
        let employer_phone = self.optional_text(
            "residence.employer_phone",
            raw.employer_phone.as_deref(),
            MAX_TEXT_CHARS,
        );
        let pickup = self.text("residence.pickup", raw.pickup.as_deref(), MAX_TEXT_CHARS);
        let pickup_office = self.text("residence.pickup_office", raw.pickup_office.as_deref(), MAX_TEXT_CHARS);
        let work_address = self.optional_text("residence.work_address", raw.work_address.as_deref(), MAX_ADDRESS_CHARS);
        let residence_address = self.text(
            "residence.residence_address",
            raw.residence_address.as_deref(),
            MAX_ADDRESS_CHARS,
        );
        let mobile = self.mobile(raw.mobile.as_deref());
        let contact = self.contact(raw.contact.unwrap_or_default());
        Some(ResidenceData {
            validity_years: validity_years?,
            employer: employer?,
            employer_phone: employer_phone?,
            pickup: pickup?,
            pickup_office: pickup_office?,
            work_address: work_address?,
            residence_address: residence_address?,
            mobile: mobile?,
            contact: contact?,
        })
    }

    fn mobile(&mut self, value: Option<&str>) -> Option<String> {
        let Some(text) = present(value) else {
            self.required("residence.mobile");
            return None;
        };
        let mobile = parse_mobile(text);
        if mobile.is_none() {
            self.push(
                "residence.mobile",
                "invalid",
                "must be a Taiwan mobile number: 09 followed by 8 digits",
            );
        }
        mobile
    }

    fn contact(&mut self, raw: RawContact) -> Option<Contact> {
        let name = self.text("residence.contact.name", raw.name.as_deref(), MAX_NAME_CHARS);
        let relation = self.text("residence.contact.relation", raw.relation.as_deref(), MAX_TEXT_CHARS);
        let phone = self.text("residence.contact.phone", raw.phone.as_deref(), MAX_TEXT_CHARS);
        Some(Contact {
            name: name?,
            relation: relation?,
            phone: phone?,
        })
    }

    fn field_choice(&mut self, raw: RawFieldChoice, catalog: &Catalog) -> Option<FieldChoice> {
        let Some(code_text) = present(raw.field.as_deref()) else {
            self.required("field.field");
            return None;
        };
        let Some(field) = FieldCode::parse(code_text).ok().and_then(|code| catalog.field(code)) else {
            self.push(
                "field.field",
                "unknown_field_of_expertise",
                "not a field of expertise of the catalog",
            );
            return None;
        };
        let criterion = match present(raw.criterion.as_deref()) {
            // Architecture: every criterion applies, so naming one (or "all") changes nothing.
            None if field.all_criteria_required => Some(ALL_CRITERIA.to_owned()),
            Some(item) if field.all_criteria_required && (item == ALL_CRITERIA || field.criterion(item).is_some()) => {
                Some(ALL_CRITERIA.to_owned())
            }
            Some(item) if !field.all_criteria_required && field.criterion(item).is_some() => Some(item.to_owned()),
            None => {
                self.required("field.criterion");
                None
            }
            Some(_) => {
                self.push(
                    "field.criterion",
                    "unknown_criterion",
                    format!("the field `{}` has no such criterion", field.code),
                );
                None
            }
        };
        let subfield = match present(raw.subfield.as_deref()) {
            None => Some(None),
            Some(code) if field.subfield(code).is_some() => Some(Some(code.to_owned())),
            Some(_) => {
                self.push(
                    "field.subfield",
                    "unknown_subfield",
                    format!("the field `{}` has no such sub-field", field.code),
                );
                None
            }
        };
        Some(FieldChoice {
            field: field.code,
            criterion: criterion?,
            subfield: subfield?,
        })
    }

    /// Document ids: each non-blank, at most [`MAX_DOCUMENT_ID_CHARS`], none twice. Errors
    /// are recorded; the valid ids are returned.
    fn documents(&mut self, raw: Vec<String>) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut documents = Vec::with_capacity(raw.len());
        for (index, id) in raw.iter().enumerate() {
            let path = format!("documents[{index}]");
            let Some(id) = self.text(&path, Some(id), MAX_DOCUMENT_ID_CHARS) else {
                continue;
            };
            if seen.insert(id.clone()) {
                documents.push(id);
            } else {
                self.push(&path, "duplicate", "this document is listed twice");
            }
        }
        documents
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_are_strict_iso() {
        assert_eq!(parse_iso_date("1992-05-03"), Some(d("1992-05-03")));
        assert_eq!(parse_iso_date("2024-02-29"), Some(d("2024-02-29")));
        for bad in [
            "1990-02-30",
            "2023-02-29",
            "1992-5-3",
            "1992/05/03",
            "19920503",
            "+1992-05-03",
            "1992-05-03T00:00",
            "1992-13-01",
            "1992-00-10",
            "١٩٩٢-٠٥-٠٣",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn taiwan_mobiles() {
        assert_eq!(parse_mobile("0912345678").as_deref(), Some("0912345678"));
        assert_eq!(parse_mobile("0912-345-678").as_deref(), Some("0912345678"));
        assert_eq!(parse_mobile("0912 345 678").as_deref(), Some("0912345678"));
        for bad in [
            "09112222333",
            "091234567",
            "0812345678",
            "+886912345678",
            "09l2345678",
            "０912345678",
        ] {
            assert_eq!(parse_mobile(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        assert_eq!(text_problem(&"王".repeat(100), MAX_NAME_CHARS), None);
        assert_eq!(
            text_problem(&"王".repeat(101), MAX_NAME_CHARS).map(|p| p.0),
            Some("too_long")
        );
        assert_eq!(text_problem("a\u{0}b", MAX_NAME_CHARS).map(|p| p.0), Some("invalid"));
        assert_eq!(text_problem("a\nb", MAX_NAME_CHARS).map(|p| p.0), Some("invalid"));
        assert_eq!(text_problem("<b>&amp;</b>", MAX_NAME_CHARS), None);
    }

    #[test]
    fn optional_text_is_none_when_blank() {
        let mut check = Check::default();
        assert_eq!(check.optional_text("x", Some("   "), 10), Some(None));
        assert_eq!(check.optional_text("x", None, 10), Some(None));
        assert_eq!(check.optional_text("x", Some(" a "), 10), Some(Some("a".to_owned())));
        assert_eq!(check.optional_text("x", Some("abcdefghijk"), 10), None);
        assert_eq!(check.errors.len(), 1);
        assert_eq!(check.errors[0].code, "too_long");
    }

    #[test]
    fn every_none_records_an_error() {
        let mut check = Check::default();
        assert!(check.text("a", None, 10).is_none());
        assert!(check.date("b", Some("x")).is_none());
        assert!(check.validity_years(Some(RawInteger::Integer(300))).is_none());
        assert!(check.validity_years(Some(RawInteger::Integer(-1))).is_none());
        assert_eq!(check.errors.len(), 4);
        assert_eq!(Check::default().into_errors().len(), 1);
    }

    #[test]
    fn raw_integers_keep_what_was_sent() {
        #[derive(Deserialize, Serialize)]
        struct W {
            v: RawInteger,
        }
        let w: W = toml::from_str("v = 2").unwrap();
        assert_eq!(w.v, RawInteger::Integer(2));
        let w: W = toml::from_str("v = \"2\"").unwrap();
        assert_eq!(w.v, RawInteger::NotAnInteger("2".to_owned()));
        let w: W = toml::from_str("v = 2.5").unwrap();
        assert_eq!(w.v, RawInteger::NotAnInteger("2.5".to_owned()));
        let w: W = toml::from_str("v = [1, 2]").unwrap();
        assert!(matches!(w.v, RawInteger::NotAnInteger(_)));
        let w: W = toml::from_str("v = { a = 1 }").unwrap();
        assert!(matches!(w.v, RawInteger::NotAnInteger(_)));
        let w: W = toml::from_str("v = true").unwrap();
        assert_eq!(w.v, RawInteger::NotAnInteger("true".to_owned()));
        assert_eq!(
            toml::to_string(&W {
                v: RawInteger::Integer(3)
            })
            .unwrap()
            .trim(),
            "v = 3"
        );
    }
}
