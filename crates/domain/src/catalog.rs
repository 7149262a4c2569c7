//! The catalogs of fields of expertise (with their criteria and sub-fields) and of document
//! types, read from `seeds/fields.toml` and `seeds/document_types.toml`.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::codes::FieldCode;
use crate::seed_error::SeedError;

const FIELDS_FILE: &str = "fields.toml";
const DOCUMENT_TYPES_FILE: &str = "document_types.toml";

/// Document types the rules and the workflow refer to by code; the catalog must define them.
pub const REQUIRED_DOCUMENT_TYPES: [&str; 10] = [
    "passport_copy",
    "photo",
    "resume",
    "employment_certificate",
    "salary_proof",
    "degree_certificate",
    "award_evidence",
    "recommendation_letter",
    "mainland_work_statement",
    "other",
];

/// Both catalogs, validated together (criteria refer to document types).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Catalog {
    /// One entry per [`FieldCode`], in [`FieldCode::ALL`] order.
    pub fields: Vec<Field>,
    /// The kinds of document an applicant can upload.
    pub document_types: Vec<DocumentType>,
}

/// A field of expertise (領域專長) with the ministry that certifies it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Field {
    /// Which field.
    pub code: FieldCode,
    /// Name in Traditional Chinese, e.g. 金融.
    pub name_zh: String,
    /// Name in English, e.g. Finance.
    pub name_en: String,
    /// The ministry responsible for the field, in Chinese (consulted during the labor review).
    pub authority_zh: String,
    /// The ministry responsible for the field, in English.
    pub authority_en: String,
    /// Bumped whenever the field's criteria change; documents of an earlier approved case
    /// carry over only while the version is unchanged.
    pub catalog_version: u32,
    /// Whether the applicant must meet every criterion (architecture) rather than one.
    pub all_criteria_required: bool,
    /// The qualification criteria (款), items "1", "2", … in order.
    pub criteria: Vec<Criterion>,
    /// The sub-fields (子領域) an applicant picks from.
    pub subfields: Vec<Subfield>,
}

/// One qualification criterion (款) of a field.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Criterion {
    /// The item number within the field, as a string: `"1"`, `"2"`, …
    pub item: String,
    /// The criterion's text in Traditional Chinese.
    pub text_zh: String,
    /// The criterion's text in English.
    pub text_en: String,
    /// Whether this is the monthly-salary criterion (at least NT$160,000 a month).
    pub monthly_salary: bool,
    /// Codes of the document types an applicant must upload for this criterion.
    pub required_documents: Vec<String>,
}

/// A sub-field (子領域) of a field.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Subfield {
    /// Identifier, unique within the field, e.g. `banking`.
    pub code: String,
    /// Name in Traditional Chinese, e.g. 銀行.
    pub name_zh: String,
    /// Name in English, e.g. Banking.
    pub name_en: String,
}

/// A kind of document an applicant uploads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DocumentType {
    /// Identifier, e.g. `passport_copy`.
    pub code: String,
    /// Name in Traditional Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
}

impl Field {
    /// The criterion with this item number (`"1"`, `"2"`, …).
    pub fn criterion(&self, item: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.item == item)
    }

    /// The sub-field with this code.
    pub fn subfield(&self, code: &str) -> Option<&Subfield> {
        self.subfields.iter().find(|s| s.code == code)
    }

    /// The monthly-salary criterion, if the field has one (every field but `special` does).
    pub fn monthly_salary_criterion(&self) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.monthly_salary)
    }
}

// The file shapes. Kept apart from the public types so that the files read naturally
// (`[[field.criterion]]`) and every problem can be reported by item.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldsFile {
    #[serde(default)]
    field: Vec<FieldRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldRow {
    code: String,
    name_zh: String,
    name_en: String,
    authority_zh: String,
    authority_en: String,
    catalog_version: u32,
    #[serde(default)]
    all_criteria_required: bool,
    #[serde(default)]
    criterion: Vec<CriterionRow>,
    #[serde(default)]
    subfield: Vec<SubfieldRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionRow {
    item: String,
    text_zh: String,
    text_en: String,
    #[serde(default)]
    monthly_salary: bool,
    required_documents: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubfieldRow {
    code: String,
    name_zh: String,
    name_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentTypesFile {
    #[serde(default)]
    document_type: Vec<DocumentTypeRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentTypeRow {
    code: String,
    name_zh: String,
    name_en: String,
}

/// Codes are lower-case snake_case ASCII starting with a letter.
fn is_code(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Fails with "`{what}`: {name} is blank" when a text is empty or whitespace.
fn require_text(file: &'static str, what: &str, name: &str, value: &str) -> Result<(), SeedError> {
    if value.trim().is_empty() {
        Err(SeedError::invalid(file, format!("{what}: {name} is blank")))
    } else {
        Ok(())
    }
}

fn parse_document_types(toml_text: &str) -> Result<Vec<DocumentType>, SeedError> {
    let file: DocumentTypesFile = toml::from_str(toml_text).map_err(|e| SeedError::toml(DOCUMENT_TYPES_FILE, &e))?;
    let mut seen = HashSet::new();
    let mut types = Vec::with_capacity(file.document_type.len());
    for row in file.document_type {
        let what = format!("document type `{}`", row.code);
        if !is_code(&row.code) {
            return Err(SeedError::invalid(
                DOCUMENT_TYPES_FILE,
                format!("{what}: codes are lower-case letters, digits and underscores"),
            ));
        }
        if !seen.insert(row.code.clone()) {
            return Err(SeedError::invalid(
                DOCUMENT_TYPES_FILE,
                format!("{what} is listed twice"),
            ));
        }
        require_text(DOCUMENT_TYPES_FILE, &what, "name_zh", &row.name_zh)?;
        require_text(DOCUMENT_TYPES_FILE, &what, "name_en", &row.name_en)?;
        types.push(DocumentType {
            code: row.code,
            name_zh: row.name_zh,
            name_en: row.name_en,
        });
    }
    if let Some(code) = REQUIRED_DOCUMENT_TYPES.iter().find(|code| !seen.contains(**code)) {
        return Err(SeedError::invalid(
            DOCUMENT_TYPES_FILE,
            format!("document type `{code}` is missing (the rules require it)"),
        ));
    }
    Ok(types)
}

fn check_criteria(
    code: FieldCode,
    rows: Vec<CriterionRow>,
    document_types: &HashSet<&str>,
) -> Result<Vec<Criterion>, SeedError> {
    let invalid = |message: String| SeedError::invalid(FIELDS_FILE, message);
    let field = format!("field `{code}`");
    let minimum = if code == FieldCode::Special { 1 } else { 3 };
    if rows.len() < minimum {
        return Err(invalid(format!(
            "{field} has {} criteria; it needs at least {minimum}",
            rows.len()
        )));
    }
    let mut seen = HashSet::new();
    let mut criteria = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let what = format!("{field}: criterion `{}`", row.item);
        if !seen.insert(row.item.clone()) {
            return Err(invalid(format!("{what} is listed twice")));
        }
        let expected = (index + 1).to_string();
        if row.item != expected {
            return Err(invalid(format!(
                "{what} should be `{expected}`: items are numbered \"1\", \"2\", … in order"
            )));
        }
        require_text(FIELDS_FILE, &what, "text_zh", &row.text_zh)?;
        require_text(FIELDS_FILE, &what, "text_en", &row.text_en)?;
        if row.required_documents.is_empty() {
            return Err(invalid(format!("{what} lists no required_documents")));
        }
        let mut docs = HashSet::new();
        for doc in &row.required_documents {
            if !document_types.contains(doc.as_str()) {
                return Err(invalid(format!("{what} requires unknown document type `{doc}`")));
            }
            if !docs.insert(doc.as_str()) {
                return Err(invalid(format!("{what} lists document type `{doc}` twice")));
            }
        }
        criteria.push(Criterion {
            item: row.item,
            text_zh: row.text_zh,
            text_en: row.text_en,
            monthly_salary: row.monthly_salary,
            required_documents: row.required_documents,
        });
    }
    if code != FieldCode::Special && !criteria.iter().any(|c| c.monthly_salary) {
        return Err(invalid(format!(
            "{field} has no monthly-salary criterion (monthly_salary = true)"
        )));
    }
    if code == FieldCode::ScienceTechnology && !criteria.first().is_some_and(|c| c.monthly_salary) {
        return Err(invalid(format!(
            "{field}: criterion `1` must be the monthly-salary criterion (monthly_salary = true)"
        )));
    }
    Ok(criteria)
}

fn check_subfields(code: FieldCode, rows: Vec<SubfieldRow>) -> Result<Vec<Subfield>, SeedError> {
    let mut seen = HashSet::new();
    let mut subfields = Vec::with_capacity(rows.len());
    for row in rows {
        let what = format!("field `{code}`: subfield `{}`", row.code);
        if !is_code(&row.code) {
            return Err(SeedError::invalid(
                FIELDS_FILE,
                format!("{what}: codes are lower-case letters, digits and underscores"),
            ));
        }
        if !seen.insert(row.code.clone()) {
            return Err(SeedError::invalid(FIELDS_FILE, format!("{what} is listed twice")));
        }
        require_text(FIELDS_FILE, &what, "name_zh", &row.name_zh)?;
        require_text(FIELDS_FILE, &what, "name_en", &row.name_en)?;
        subfields.push(Subfield {
            code: row.code,
            name_zh: row.name_zh,
            name_en: row.name_en,
        });
    }
    Ok(subfields)
}

fn check_field(row: FieldRow, document_types: &HashSet<&str>) -> Result<Field, SeedError> {
    let code = FieldCode::parse(&row.code).map_err(|e| SeedError::invalid(FIELDS_FILE, e.to_string()))?;
    let what = format!("field `{code}`");
    require_text(FIELDS_FILE, &what, "name_zh", &row.name_zh)?;
    require_text(FIELDS_FILE, &what, "name_en", &row.name_en)?;
    require_text(FIELDS_FILE, &what, "authority_zh", &row.authority_zh)?;
    require_text(FIELDS_FILE, &what, "authority_en", &row.authority_en)?;
    if row.catalog_version == 0 {
        return Err(SeedError::invalid(
            FIELDS_FILE,
            format!("{what}: catalog_version must be at least 1"),
        ));
    }
    // Architecture is the one field where every criterion must be met.
    match (code == FieldCode::Architecture, row.all_criteria_required) {
        (true, false) => {
            return Err(SeedError::invalid(
                FIELDS_FILE,
                format!("{what} must have all_criteria_required = true"),
            ));
        }
        (false, true) => {
            return Err(SeedError::invalid(
                FIELDS_FILE,
                format!("{what}: all_criteria_required = true is allowed only for `architecture`"),
            ));
        }
        _ => {}
    }
    Ok(Field {
        code,
        criteria: check_criteria(code, row.criterion, document_types)?,
        subfields: check_subfields(code, row.subfield)?,
        name_zh: row.name_zh,
        name_en: row.name_en,
        authority_zh: row.authority_zh,
        authority_en: row.authority_en,
        catalog_version: row.catalog_version,
        all_criteria_required: row.all_criteria_required,
    })
}

impl Catalog {
    /// Reads and validates both catalog files: every [`FieldCode`] exactly once; every field
    /// but `special` has at least three criteria, one of them the monthly-salary criterion
    /// (item `"1"` in science & technology); items are `"1"`, `"2"`, … in order; sub-field
    /// codes are unique; every required document is a known document type; the document
    /// types include [`REQUIRED_DOCUMENT_TYPES`]; only `architecture` requires all criteria.
    pub fn parse(fields_toml: &str, document_types_toml: &str) -> Result<Catalog, SeedError> {
        let document_types = parse_document_types(document_types_toml)?;
        let known: HashSet<&str> = document_types.iter().map(|d| d.code.as_str()).collect();

        let file: FieldsFile = toml::from_str(fields_toml).map_err(|e| SeedError::toml(FIELDS_FILE, &e))?;
        let mut fields: Vec<Field> = Vec::with_capacity(file.field.len());
        for row in file.field {
            let field = check_field(row, &known)?;
            if fields.iter().any(|f| f.code == field.code) {
                return Err(SeedError::invalid(
                    FIELDS_FILE,
                    format!("field `{}` is listed twice", field.code),
                ));
            }
            fields.push(field);
        }
        if let Some(code) = FieldCode::ALL
            .iter()
            .find(|code| !fields.iter().any(|f| f.code == **code))
        {
            return Err(SeedError::invalid(FIELDS_FILE, format!("field `{code}` is missing")));
        }
        fields.sort_by_key(|f| f.code);
        Ok(Catalog { fields, document_types })
    }

    /// The field with this code (always present in a parsed catalog).
    pub fn field(&self, code: FieldCode) -> Option<&Field> {
        self.fields.iter().find(|f| f.code == code)
    }

    /// The document type with this code.
    pub fn document_type(&self, code: &str) -> Option<&DocumentType> {
        self.document_types.iter().find(|d| d.code == code)
    }
}

#[cfg(test)]
mod tests;
