//! The extension body (interfaces.md) and its rules (domain.md), through the public API:
//! JSON in, `ExtensionFiling` or every field error out.

#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use goldcard_domain::filing::{
    ALL_CRITERIA, ExtensionFiling, RawBasic, RawContact, RawExtension, RawFieldChoice, RawInteger, RawPassport,
    RawResidence,
};
use goldcard_domain::{Catalog, FeeTable, FieldCode, FieldError, Filer, Gender, Twd, ValidityYears};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXTURE: &str = include_str!("fixtures/extension.json");
const FIELDS: &str = include_str!("../../../seeds/fields.toml");
const DOCUMENT_TYPES: &str = include_str!("../../../seeds/document_types.toml");
const FEES: &str = include_str!("../../../seeds/fees.toml");

fn today() -> NaiveDate {
    date("2026-03-10")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn catalog() -> Catalog {
    Catalog::parse(FIELDS, DOCUMENT_TYPES).unwrap()
}

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

fn parse_value(body: Value) -> Result<ExtensionFiling, Vec<FieldError>> {
    let raw: RawExtension = serde_json::from_value(body).unwrap();
    ExtensionFiling::parse(raw, today(), &catalog())
}

/// The fixture with `edit` applied, parsed.
fn parse_edited(edit: impl FnOnce(&mut Value)) -> Result<ExtensionFiling, Vec<FieldError>> {
    let mut body = fixture();
    edit(&mut body);
    parse_value(body)
}

fn valid(edit: impl FnOnce(&mut Value)) -> ExtensionFiling {
    match parse_edited(edit) {
        Ok(filing) => filing,
        Err(errors) => panic!("refused: {errors:#?}"),
    }
}

/// The (path, code) pairs of the fixture with `edit` applied.
fn errors(edit: impl FnOnce(&mut Value)) -> Vec<(String, String)> {
    match parse_edited(edit) {
        Ok(_) => panic!("accepted"),
        Err(errors) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
    }
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

/// Exactly one error, with this path and code.
fn assert_only(edit: impl FnOnce(&mut Value), field: &str, code: &str) {
    assert_eq!(errors(edit), [pair(field, code)], "{field}");
}

/// Sets the value at a JSON pointer such as `/passport/expiry_date` (the parent must exist).
fn set(body: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    body.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
}

fn remove(body: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    body.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
}

/// `/basic/family_name` → `basic.family_name`.
fn path_of(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

const REQUIRED_TEXT: [&str; 24] = [
    "/filer",
    "/ui_number",
    "/birth_date",
    "/basic/family_name",
    "/basic/given_name",
    "/basic/gender",
    "/basic/nationality",
    "/basic/occupation",
    "/basic/education",
    "/basic/marital_status",
    "/basic/email",
    "/basic/birth_country",
    "/basic/birth_city",
    "/basic/home_address",
    "/basic/home_phone",
    "/passport/type",
    "/passport/number",
    "/passport/issued_on",
    "/passport/expiry_date",
    "/passport/issued_at",
    "/residence/pickup",
    "/residence/pickup_office",
    "/residence/residence_address",
    "/residence/mobile",
];

const OPTIONAL: [&str; 10] = [
    "/basic/chinese_name",
    "/passport/update",
    "/passport/previous_number",
    "/residence/employer",
    "/residence/employer_phone",
    "/residence/work_address",
    "/field/subfield",
    "/hk_macau",
    "/expedite",
    "/documents",
];

// ---- the valid example ------------------------------------------------------------------

#[test]
fn the_fixture_parses_into_typed_fields() {
    let filing = valid(|_| {});
    assert_eq!(filing.filer, Filer::SelfFiled);
    assert_eq!(filing.ui_number.as_str(), "F800001196");
    assert_eq!(filing.birth_date, date("1992-05-03"));
    assert_eq!(filing.basic.family_name, "HUNT");
    assert_eq!(filing.basic.given_name, "ETHAN");
    assert_eq!(filing.basic.chinese_name.as_deref(), Some("韓以森"));
    assert_eq!(filing.basic.gender, Gender::M);
    assert_eq!(filing.basic.nationality.as_str(), "US");
    assert_eq!(filing.basic.email.as_str(), "ethan.hunt@example.com");
    assert!(!filing.passport.update);
    assert_eq!(filing.passport.passport_type, "ordinary");
    assert_eq!(filing.passport.number.as_str(), "A12345678");
    assert_eq!(filing.passport.issued_on, date("2024-11-01"));
    assert_eq!(filing.passport.expiry_date, date("2034-10-31"));
    assert_eq!(
        filing.passport.previous_number.as_ref().map(|p| p.as_str()),
        Some("567890123")
    );
    assert_eq!(filing.residence.validity_years, ValidityYears::THREE);
    assert_eq!(filing.residence.mobile, "0912345678");
    assert_eq!(filing.residence.contact.name, "王小明");
    assert_eq!(filing.residence.employer.as_deref(), Some("Example Cloud Co., Ltd."));
    assert_eq!(filing.field.field, FieldCode::Digital);
    assert_eq!(filing.field.criterion, "1");
    assert_eq!(filing.field.subfield.as_deref(), Some("information_services"));
    assert!(!filing.hk_macau);
    assert!(!filing.worked_in_mainland);
    assert!(!filing.expedite);
    assert_eq!(
        filing.documents,
        ["doc_0123456789abcdef01234567", "doc_89abcdef0123456789abcdef"]
    );
}

#[test]
fn the_fixture_uses_the_seed_guide_identity() {
    let body = fixture();
    assert_eq!(body["ui_number"], "F800001196");
    assert_eq!(body["birth_date"], "1992-05-03");
    assert_eq!(body["basic"]["nationality"], "US");
    assert_eq!(
        body["field"],
        json!({"field": "digital", "criterion": "1", "subfield": "information_services"})
    );
}

#[test]
fn text_is_trimmed_and_codes_normalised() {
    let filing = valid(|b| {
        set(b, "/ui_number", json!("  f800001196 "));
        set(b, "/filer", json!(" agency "));
        set(b, "/birth_date", json!(" 1992-05-03 "));
        set(b, "/basic/family_name", json!("  Hunt\t"));
        set(b, "/basic/gender", json!("f"));
        set(b, "/basic/nationality", json!(" jp "));
        set(b, "/basic/email", json!(" Ethan@EXAMPLE.com "));
        set(b, "/basic/chinese_name", json!("   "));
        set(b, "/passport/number", json!(" a12345678 "));
        set(b, "/passport/previous_number", json!(""));
        set(b, "/residence/employer", json!("  "));
        set(b, "/residence/mobile", json!(" 0912-345-678 "));
        set(b, "/residence/contact/phone", json!("  0922333444  "));
        set(b, "/field/field", json!(" digital "));
        set(b, "/field/criterion", json!(" 2 "));
        set(b, "/field/subfield", json!(" cybersecurity "));
        set(b, "/documents", json!([" doc_a ", "doc_b"]));
    });
    assert_eq!(filing.ui_number.as_str(), "F800001196");
    assert_eq!(filing.filer, Filer::Agency);
    assert_eq!(filing.basic.family_name, "Hunt");
    assert_eq!(filing.basic.gender, Gender::F);
    assert_eq!(filing.basic.nationality.as_str(), "JP");
    assert_eq!(filing.basic.email.as_str(), "Ethan@example.com");
    assert_eq!(filing.basic.chinese_name, None);
    assert_eq!(filing.passport.number.as_str(), "A12345678");
    assert_eq!(filing.passport.previous_number, None);
    assert_eq!(filing.residence.employer, None);
    assert_eq!(filing.residence.mobile, "0912345678");
    assert_eq!(filing.residence.contact.phone, "0922333444");
    assert_eq!(filing.field.criterion, "2");
    assert_eq!(filing.field.subfield.as_deref(), Some("cybersecurity"));
    assert_eq!(filing.documents, ["doc_a", "doc_b"]);
}

#[test]
fn optional_fields_may_be_left_out() {
    let filing = valid(|b| {
        for pointer in OPTIONAL {
            remove(b, pointer);
        }
    });
    assert_eq!(filing.basic.chinese_name, None);
    assert!(!filing.passport.update);
    assert_eq!(filing.residence.work_address, None);
    assert_eq!(filing.field.subfield, None);
    assert!(!filing.expedite);
    assert!(!filing.worked_in_mainland);
    assert!(filing.documents.is_empty());
}

#[test]
fn optional_fields_may_be_null() {
    valid(|b| {
        for pointer in OPTIONAL {
            set(b, pointer, Value::Null);
        }
    });
}

#[test]
fn every_filer_is_accepted() {
    for (text, filer) in [
        ("self", Filer::SelfFiled),
        ("employer", Filer::Employer),
        ("agency", Filer::Agency),
    ] {
        assert_eq!(valid(|b| set(b, "/filer", json!(text))).filer, filer);
    }
}

// ---- one rule at a time -------------------------------------------------------------------

#[test]
fn each_required_field_missing_is_reported_with_its_path() {
    for pointer in REQUIRED_TEXT {
        assert_only(|b| remove(b, pointer), &path_of(pointer), "required");
        assert_only(|b| set(b, pointer, Value::Null), &path_of(pointer), "required");
        assert_only(|b| set(b, pointer, json!("  ")), &path_of(pointer), "required");
    }
    for pointer in [
        "/residence/contact/name",
        "/residence/contact/relation",
        "/residence/contact/phone",
    ] {
        assert_only(|b| remove(b, pointer), &path_of(pointer), "required");
    }
    assert_only(
        |b| remove(b, "/residence/validity_years"),
        "residence.validity_years",
        "required",
    );
    assert_only(|b| remove(b, "/field/field"), "field.field", "required");
    assert_only(|b| remove(b, "/field/criterion"), "field.criterion", "required");
}

#[test]
fn a_missing_section_reports_each_of_its_fields() {
    let got = errors(|b| remove(b, "/basic"));
    let expected: Vec<_> = [
        "basic.family_name",
        "basic.given_name",
        "basic.gender",
        "basic.nationality",
        "basic.occupation",
        "basic.education",
        "basic.marital_status",
        "basic.email",
        "basic.birth_country",
        "basic.birth_city",
        "basic.home_address",
        "basic.home_phone",
    ]
    .iter()
    .map(|f| pair(f, "required"))
    .collect();
    assert_eq!(got, expected);

    let got = errors(|b| remove(b, "/residence/contact"));
    assert_eq!(
        got,
        [
            pair("residence.contact.name", "required"),
            pair("residence.contact.relation", "required"),
            pair("residence.contact.phone", "required"),
        ]
    );
    assert_eq!(errors(|b| remove(b, "/field")), [pair("field.field", "required")]);
    assert_eq!(errors(|b| remove(b, "/passport")).len(), 5);
    assert_eq!(errors(|b| remove(b, "/residence")).len(), 8);
}

#[test]
fn consent_must_be_true() {
    assert_only(|b| set(b, "/consent", json!(false)), "consent", "consent_required");
    assert_only(|b| remove(b, "/consent"), "consent", "consent_required");
    assert_only(|b| set(b, "/consent", Value::Null), "consent", "consent_required");
}

#[test]
fn ui_number_must_be_valid() {
    for bad in ["A800000015", "F80000119", "F700001196", "not a number", "F8000011960"] {
        assert_only(|b| set(b, "/ui_number", json!(bad)), "ui_number", "invalid_ui_number");
    }
    assert!(
        valid(|b| set(b, "/ui_number", json!("A800000014")))
            .ui_number
            .is_new_format()
    );
}

#[test]
fn dates_must_be_real_and_well_formed() {
    for pointer in ["/birth_date", "/passport/issued_on", "/passport/expiry_date"] {
        for bad in [
            "1990-02-30",
            "2023-02-29",
            "1992/05/03",
            "03-05-1992",
            "1992-5-3",
            "yesterday",
        ] {
            let got = errors(|b| set(b, pointer, json!(bad)));
            assert_eq!(got[0], pair(&path_of(pointer), "invalid_date"), "{pointer} {bad}");
        }
    }
    assert_only(
        |b| set(b, "/birth_date", json!("1990-02-30")),
        "birth_date",
        "invalid_date",
    );
}

#[test]
fn birth_date_must_be_in_the_past() {
    assert_only(
        |b| set(b, "/birth_date", json!("2026-03-10")),
        "birth_date",
        "in_future",
    );
    assert_only(
        |b| set(b, "/birth_date", json!("2030-01-01")),
        "birth_date",
        "in_future",
    );
    assert_eq!(
        valid(|b| set(b, "/birth_date", json!("2026-03-09"))).birth_date,
        date("2026-03-09")
    );
}

#[test]
fn filer_must_be_known() {
    for bad in ["holder", "SELF", "外國人自行申請"] {
        assert_only(|b| set(b, "/filer", json!(bad)), "filer", "invalid");
    }
}

#[test]
fn basic_text_limits() {
    let names = ["/basic/family_name", "/basic/given_name", "/basic/chinese_name"];
    let addresses = ["/basic/home_address"];
    let others = [
        "/basic/occupation",
        "/basic/education",
        "/basic/marital_status",
        "/basic/birth_country",
        "/basic/birth_city",
        "/basic/home_phone",
    ];
    for (pointers, max) in [(&names[..], 100), (&addresses[..], 300), (&others[..], 100)] {
        for pointer in pointers {
            valid(|b| set(b, pointer, json!("字".repeat(max))));
            assert_only(
                |b| set(b, pointer, json!("字".repeat(max + 1))),
                &path_of(pointer),
                "too_long",
            );
            assert_only(|b| set(b, pointer, json!("a\u{0}b")), &path_of(pointer), "invalid");
            assert_only(|b| set(b, pointer, json!("line\nbreak")), &path_of(pointer), "invalid");
            assert_only(|b| set(b, pointer, json!("bell\u{7}")), &path_of(pointer), "invalid");
        }
    }
}

#[test]
fn basic_codes_are_checked() {
    assert_only(|b| set(b, "/basic/gender", json!("male")), "basic.gender", "invalid");
    assert_only(
        |b| set(b, "/basic/nationality", json!("USA")),
        "basic.nationality",
        "invalid",
    );
    assert_only(
        |b| set(b, "/basic/nationality", json!("美國")),
        "basic.nationality",
        "invalid",
    );
    assert_only(|b| set(b, "/basic/email", json!("ethan")), "basic.email", "invalid");
    assert_only(
        |b| set(b, "/basic/email", json!("e than@example.com")),
        "basic.email",
        "invalid",
    );
    let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
    assert_only(|b| set(b, "/basic/email", json!(long)), "basic.email", "too_long");
    assert_eq!(valid(|b| set(b, "/basic/gender", json!("X"))).basic.gender, Gender::X);
}

#[test]
fn passport_rules() {
    assert_only(
        |b| set(b, "/passport/number", json!("AB-1234")),
        "passport.number",
        "invalid",
    );
    assert_only(
        |b| set(b, "/passport/number", json!("A12")),
        "passport.number",
        "invalid",
    );
    assert_only(
        |b| set(b, "/passport/previous_number", json!("old #1")),
        "passport.previous_number",
        "invalid",
    );
    assert_only(
        |b| set(b, "/passport/issued_on", json!("2026-03-11")),
        "passport.issued_on",
        "in_future",
    );
    valid(|b| set(b, "/passport/issued_on", json!("2026-03-10")));
    // An expiry on or before the issue date can never leave six months, so both are said.
    assert_eq!(
        errors(|b| {
            set(b, "/passport/issued_on", json!("2026-03-01"));
            set(b, "/passport/expiry_date", json!("2026-02-01"));
        }),
        [
            pair("passport.expiry_date", "not_after_issue"),
            pair("passport.expiry_date", "passport_validity")
        ]
    );
    assert_only(
        |b| set(b, "/passport/type", json!("x".repeat(101))),
        "passport.type",
        "too_long",
    );
    assert_only(
        |b| set(b, "/passport/issued_at", json!("\u{1b}[31m")),
        "passport.issued_at",
        "invalid",
    );
    assert!(valid(|b| set(b, "/passport/update", json!(true))).passport.update);
}

#[test]
fn passport_needs_six_months_of_validity() {
    // today + 6 months = 2026-09-10.
    let err = parse_edited(|b| set(b, "/passport/expiry_date", json!("2026-09-09"))).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].field, "passport.expiry_date");
    assert_eq!(err[0].code, "passport_validity");
    assert!(err[0].message.contains("6 months"), "{}", err[0].message);
    assert!(err[0].message.contains("2026-09-10"), "{}", err[0].message);
    assert_eq!(
        valid(|b| set(b, "/passport/expiry_date", json!("2026-09-10")))
            .passport
            .expiry_date,
        date("2026-09-10")
    );
    // An expired passport is refused for the same reason.
    assert_only(
        |b| set(b, "/passport/expiry_date", json!("2025-01-01")),
        "passport.expiry_date",
        "passport_validity",
    );
}

#[test]
fn validity_years_must_be_the_number_one_two_or_three() {
    for (years, expected) in [
        (1, ValidityYears::ONE),
        (2, ValidityYears::TWO),
        (3, ValidityYears::THREE),
    ] {
        assert_eq!(
            valid(|b| set(b, "/residence/validity_years", json!(years)))
                .residence
                .validity_years,
            expected
        );
    }
    for bad in [
        json!(0),
        json!(4),
        json!(-1),
        json!(256),
        json!(u64::MAX),
        json!("2"),
        json!(2.0),
        json!(2.5),
        json!(true),
        json!([2]),
        json!({"years": 2}),
    ] {
        assert_only(
            |b| set(b, "/residence/validity_years", bad.clone()),
            "residence.validity_years",
            "invalid",
        );
    }
    assert_only(
        |b| set(b, "/residence/validity_years", Value::Null),
        "residence.validity_years",
        "required",
    );
}

#[test]
fn residence_rules() {
    for bad in [
        "09112222333",
        "091234567",
        "0212345678",
        "+886912345678",
        "mobile",
        "09 12 34 56 7x",
    ] {
        assert_only(
            |b| set(b, "/residence/mobile", json!(bad)),
            "residence.mobile",
            "invalid",
        );
    }
    assert_only(
        |b| set(b, "/residence/residence_address", json!("a".repeat(301))),
        "residence.residence_address",
        "too_long",
    );
    valid(|b| set(b, "/residence/work_address", json!("a".repeat(300))));
    assert_only(
        |b| set(b, "/residence/work_address", json!("a".repeat(301))),
        "residence.work_address",
        "too_long",
    );
    assert_only(
        |b| set(b, "/residence/employer", json!("a".repeat(101))),
        "residence.employer",
        "too_long",
    );
    assert_only(
        |b| set(b, "/residence/employer_phone", json!("02\r\n1234")),
        "residence.employer_phone",
        "invalid",
    );
    assert_only(
        |b| set(b, "/residence/contact/name", json!("a".repeat(101))),
        "residence.contact.name",
        "too_long",
    );
}

#[test]
fn field_of_expertise_rules() {
    assert_only(
        |b| set(b, "/field/field", json!("art")),
        "field.field",
        "unknown_field_of_expertise",
    );
    assert_only(
        |b| set(b, "/field/field", json!("Digital")),
        "field.field",
        "unknown_field_of_expertise",
    );
    assert_only(
        |b| set(b, "/field/criterion", json!("9")),
        "field.criterion",
        "unknown_criterion",
    );
    assert_only(
        |b| set(b, "/field/criterion", json!("all")),
        "field.criterion",
        "unknown_criterion",
    );
    assert_only(
        |b| set(b, "/field/subfield", json!("banking")),
        "field.subfield",
        "unknown_subfield",
    );
    assert_eq!(
        errors(|b| {
            set(b, "/field/criterion", json!("9"));
            set(b, "/field/subfield", json!("banking"));
        }),
        [
            pair("field.criterion", "unknown_criterion"),
            pair("field.subfield", "unknown_subfield")
        ]
    );
    let finance = valid(|b| {
        set(
            b,
            "/field",
            json!({"field": "finance", "criterion": "1", "subfield": "banking"}),
        )
    });
    assert_eq!(finance.field.field, FieldCode::Finance);
    assert_eq!(finance.field.subfield.as_deref(), Some("banking"));
}

#[test]
fn architecture_needs_no_criterion() {
    for criterion in [None, Some("1"), Some("3"), Some("all"), Some("")] {
        let filing = valid(|b| {
            let mut choice = json!({"field": "architecture", "subfield": "urban_design"});
            if let Some(c) = criterion {
                choice["criterion"] = json!(c);
            }
            set(b, "/field", choice);
        });
        assert_eq!(filing.field.field, FieldCode::Architecture);
        assert_eq!(filing.field.criterion, ALL_CRITERIA);
        assert!(filing.field.all_criteria());
    }
    assert_only(
        |b| set(b, "/field", json!({"field": "architecture", "criterion": "4"})),
        "field.criterion",
        "unknown_criterion",
    );
}

#[test]
fn hong_kong_and_macau_status_is_the_card_s_not_the_typed_nationality() {
    // a typed HK or MO changes nothing: the card decides
    for code in ["HK", "MO", "hk"] {
        let typed = valid(|b| {
            set(b, "/basic/nationality", json!(code));
            set(b, "/expedite", json!(true));
        });
        assert!(!typed.hk_macau, "{code}");
        let on_other_card = typed.for_card(false).unwrap();
        assert!(!on_other_card.hk_macau);
        assert!(on_other_card.expedite, "a non-HK/Macau card may be expedited");
    }
    // a Hong Kong/Macau card cannot be expedited, whatever nationality was typed
    let got = valid(|b| set(b, "/expedite", json!(true))).for_card(true).unwrap_err();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].field.as_str(), got[0].code.as_str()),
        ("expedite", "not_allowed")
    );
    assert!(got[0].message.contains("Hong Kong"));
    let hk = valid(|_| {}).for_card(true).unwrap();
    assert!(hk.hk_macau);
    assert!(!hk.expedite);
}

#[test]
fn documents_rules() {
    assert_only(
        |b| set(b, "/documents", json!(["doc_a", ""])),
        "documents[1]",
        "required",
    );
    assert_only(
        |b| set(b, "/documents", json!(["doc_a", "  "])),
        "documents[1]",
        "required",
    );
    assert_only(
        |b| set(b, "/documents", json!(["x".repeat(65)])),
        "documents[0]",
        "too_long",
    );
    valid(|b| set(b, "/documents", json!(["x".repeat(64)])));
    assert_only(
        |b| set(b, "/documents", json!(["doc_a", "doc_b", "doc_a"])),
        "documents[2]",
        "duplicate",
    );
    assert_only(
        |b| set(b, "/documents", json!(["doc_a", " doc_a "])),
        "documents[1]",
        "duplicate",
    );
    assert_only(
        |b| set(b, "/documents", json!(["doc\u{0}a"])),
        "documents[0]",
        "invalid",
    );
    assert!(valid(|b| set(b, "/documents", json!([]))).documents.is_empty());
}

// ---- several at once ----------------------------------------------------------------------

#[test]
fn every_error_is_reported_at_once() {
    let got = errors(|b| {
        set(b, "/filer", json!("holder"));
        set(b, "/ui_number", json!("A800000015"));
        set(b, "/birth_date", json!("1990-02-30"));
        set(b, "/consent", json!(false));
        remove(b, "/basic/family_name");
        set(b, "/basic/given_name", json!("g".repeat(101)));
        set(b, "/basic/nationality", json!("MO"));
        set(b, "/basic/email", json!("nope"));
        set(b, "/passport/expiry_date", json!("2026-04-01"));
        set(b, "/residence/validity_years", json!("2"));
        set(b, "/residence/mobile", json!("12345"));
        remove(b, "/residence/contact/relation");
        set(b, "/field/criterion", json!("99"));
        set(b, "/documents", json!(["a", "a"]));
    });
    assert_eq!(
        got,
        [
            pair("filer", "invalid"),
            pair("ui_number", "invalid_ui_number"),
            pair("birth_date", "invalid_date"),
            pair("consent", "consent_required"),
            pair("basic.family_name", "required"),
            pair("basic.given_name", "too_long"),
            pair("basic.email", "invalid"),
            pair("passport.expiry_date", "passport_validity"),
            pair("residence.validity_years", "invalid"),
            pair("residence.mobile", "invalid"),
            pair("residence.contact.relation", "required"),
            pair("field.criterion", "unknown_criterion"),
            pair("documents[1]", "duplicate"),
        ]
    );
}

#[test]
fn an_empty_body_reports_every_required_field() {
    let got = parse_value(json!({})).unwrap_err();
    let fields: Vec<&str> = got.iter().map(|e| e.field.as_str()).collect();
    for pointer in REQUIRED_TEXT {
        assert!(fields.contains(&path_of(pointer).as_str()), "{pointer}");
    }
    for field in [
        "consent",
        "residence.validity_years",
        "residence.contact.name",
        "field.field",
    ] {
        assert!(fields.contains(&field), "{field}");
    }
    assert!(got.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn errors_serialize_in_the_api_shape() {
    let got = parse_edited(|b| set(b, "/passport/expiry_date", json!("2026-04-01"))).unwrap_err();
    let value = serde_json::to_value(&got[0]).unwrap();
    assert_eq!(value["field"], "passport.expiry_date");
    assert_eq!(value["code"], "passport_validity");
    assert!(value["message"].as_str().unwrap().contains("6 months"));
}

// ---- the JSON shape -----------------------------------------------------------------------

#[test]
fn unknown_fields_are_refused_at_every_level() {
    for parent in [
        "",
        "/basic",
        "/passport",
        "/residence",
        "/residence/contact",
        "/field",
        "/hk_macau",
    ] {
        let mut body = fixture();
        set(&mut body, &format!("{parent}/surprise"), json!(1));
        let err = serde_json::from_value::<RawExtension>(body).unwrap_err();
        assert!(err.to_string().contains("unknown field `surprise`"), "{parent}: {err}");
    }
    // Near-misses of real names are unknown too.
    let mut body = fixture();
    set(&mut body, "/passport/passport_type", json!("ordinary"));
    assert!(serde_json::from_value::<RawExtension>(body).is_err());
}

#[test]
fn the_raw_body_round_trips_through_json() {
    let raw: RawExtension = serde_json::from_str(FIXTURE).unwrap();
    assert_eq!(
        raw.residence.as_ref().unwrap().validity_years,
        Some(RawInteger::Integer(3))
    );
    assert_eq!(
        raw.passport.as_ref().unwrap().passport_type.as_deref(),
        Some("ordinary")
    );
    let again: RawExtension = serde_json::from_str(&serde_json::to_string(&raw).unwrap()).unwrap();
    assert_eq!(again, raw);
    let text: RawExtension = serde_json::from_value(json!({"residence": {"validity_years": "2"}})).unwrap();
    assert_eq!(
        text.residence.unwrap().validity_years,
        Some(RawInteger::NotAnInteger("2".to_owned()))
    );
}

#[test]
fn html_and_script_are_kept_verbatim_as_text() {
    let script = "<script>alert('x')</script>";
    let filing = valid(|b| {
        set(b, "/basic/family_name", json!(script));
        set(b, "/basic/occupation", json!("R&D <b>lead</b>"));
        set(b, "/basic/home_address", json!("\"quoted\" & 'single' <address>"));
        set(b, "/residence/contact/relation", json!("<img src=x onerror=alert(1)>"));
    });
    assert_eq!(filing.basic.family_name, script);
    assert_eq!(filing.basic.occupation, "R&D <b>lead</b>");
    assert_eq!(filing.basic.home_address, "\"quoted\" & 'single' <address>");
    assert_eq!(filing.residence.contact.relation, "<img src=x onerror=alert(1)>");
}

// ---- documents and fees -------------------------------------------------------------------

#[test]
fn required_documents_of_one_criterion() {
    let catalog = catalog();
    let filing = valid(|_| {});
    assert_eq!(
        filing.required_document_types(&catalog),
        ["employment_certificate", "passport_copy", "photo", "salary_proof"]
    );
    let award = valid(|b| set(b, "/field/criterion", json!("4")));
    assert_eq!(
        award.required_document_types(&catalog),
        ["award_evidence", "passport_copy", "photo"]
    );
}

#[test]
fn required_documents_of_architecture_are_the_union() {
    let filing = valid(|b| set(b, "/field", json!({"field": "architecture"})));
    assert_eq!(
        filing.required_document_types(&catalog()),
        [
            "employment_certificate",
            "passport_copy",
            "photo",
            "portfolio",
            "professional_license",
            "salary_proof"
        ]
    );
}

#[test]
fn mainland_work_statement_only_for_hong_kong_and_macau() {
    let catalog = catalog();
    let hk = valid(|b| set(b, "/hk_macau/worked_in_mainland", json!(true)))
        .for_card(true)
        .unwrap();
    assert!(hk.worked_in_mainland);
    assert!(
        hk.required_document_types(&catalog)
            .contains(&"mainland_work_statement".to_owned())
    );
    let hk_no = valid(|_| {}).for_card(true).unwrap();
    assert!(
        !hk_no
            .required_document_types(&catalog)
            .contains(&"mainland_work_statement".to_owned())
    );
    // a typed nationality of HK does not make the statement required on another card
    let us = valid(|b| {
        set(b, "/basic/nationality", json!("HK"));
        set(b, "/hk_macau/worked_in_mainland", json!(true));
    })
    .for_card(false)
    .unwrap();
    assert!(
        !us.required_document_types(&catalog)
            .contains(&"mainland_work_statement".to_owned())
    );
}

#[test]
fn fees_follow_the_table() {
    let fees = FeeTable::from_toml_str(FEES).unwrap();
    for (years, fee) in [(1, 1500), (2, 2500), (3, 3500)] {
        assert_eq!(
            valid(|b| set(b, "/residence/validity_years", json!(years))).fee(&fees),
            Twd(fee)
        );
        let typed = valid(|b| {
            set(b, "/residence/validity_years", json!(years));
            set(b, "/basic/nationality", json!("HK"));
        });
        assert_eq!(
            typed.for_card(false).unwrap().fee(&fees),
            Twd(fee),
            "typing HK pays the full fee"
        );
        let hk = valid(|b| set(b, "/residence/validity_years", json!(years)));
        assert_eq!(hk.for_card(true).unwrap().fee(&fees), Twd(800));
    }
}

// ---- robustness ---------------------------------------------------------------------------

fn raw_from(t: &[String], years: RawInteger, docs: Vec<String>) -> RawExtension {
    let s = |i: usize| Some(t[i].clone());
    RawExtension {
        filer: s(0),
        ui_number: s(1),
        birth_date: s(2),
        consent: Some(true),
        basic: Some(RawBasic {
            family_name: s(3),
            given_name: s(4),
            chinese_name: s(5),
            gender: s(6),
            nationality: s(7),
            occupation: s(8),
            education: s(9),
            marital_status: s(10),
            email: s(11),
            birth_country: s(12),
            birth_city: s(13),
            home_address: s(14),
            home_phone: s(15),
        }),
        passport: Some(RawPassport {
            update: Some(true),
            passport_type: s(16),
            number: s(17),
            issued_on: s(18),
            expiry_date: s(19),
            issued_at: s(20),
            previous_number: s(21),
        }),
        residence: Some(RawResidence {
            validity_years: Some(years),
            employer: s(22),
            employer_phone: s(23),
            pickup: s(24),
            pickup_office: s(25),
            work_address: s(26),
            residence_address: s(27),
            mobile: s(28),
            contact: Some(RawContact {
                name: s(29),
                relation: s(30),
                phone: s(31),
            }),
        }),
        field: Some(RawFieldChoice {
            field: s(32),
            criterion: s(33),
            subfield: s(34),
        }),
        hk_macau: None,
        expedite: Some(true),
        documents: Some(docs),
    }
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,400}",
        "[0-9-]{0,12}",
        Just(String::new()),
        Just("  ".to_owned()),
        Just("1990-02-30".to_owned()),
        Just("\u{202e}\u{0}\u{feff}".to_owned()),
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(
        texts in proptest::collection::vec(any_text(), 35),
        years in prop_oneof![any::<i64>().prop_map(RawInteger::Integer), any::<String>().prop_map(RawInteger::NotAnInteger)],
        docs in proptest::collection::vec(any_text(), 0..5),
        day in 0i64..40_000,
    ) {
        let today = date("1950-01-01") + chrono::Days::new(u64::try_from(day).unwrap());
        let catalog = catalog();
        match ExtensionFiling::parse(raw_from(&texts, years, docs), today, &catalog) {
            Ok(filing) => {
                let _ = filing.required_document_types(&catalog);
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.code.is_empty()));
            }
        }
    }

    #[test]
    fn parse_never_panics_on_the_fixture_with_one_text_changed(
        index in 0usize..REQUIRED_TEXT.len(),
        text in any::<String>(),
    ) {
        let mut body = fixture();
        set(&mut body, REQUIRED_TEXT[index], json!(text));
        let _ = parse_value(body);
    }
}

#[test]
fn the_largest_set_of_documents_is_architecture_s_with_the_mainland_statement() {
    // architecture's four criteria's documents, passport copy, photo, mainland statement
    assert_eq!(goldcard_domain::filing::most_required_documents(&catalog()), 7);
}
