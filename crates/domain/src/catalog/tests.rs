use super::*;

const FIELDS: &str = include_str!("../../../../seeds/fields.toml");
const DOCUMENT_TYPES: &str = include_str!("../../../../seeds/document_types.toml");

fn real() -> Catalog {
    match Catalog::parse(FIELDS, DOCUMENT_TYPES) {
        Ok(c) => c,
        Err(e) => panic!("the real catalog is refused: {e}"),
    }
}

#[test]
fn the_real_catalog_keeps_every_rule() {
    let catalog = real();
    assert_eq!(catalog.fields.len(), 13);
    for (field, code) in catalog.fields.iter().zip(FieldCode::ALL) {
        assert_eq!(field.code, code);
        assert_eq!(field.catalog_version, 1, "{code}");
        assert_eq!(field.all_criteria_required, code == FieldCode::Architecture);
        assert!(
            (3..=8).contains(&field.subfields.len()),
            "{code} has {} sub-fields",
            field.subfields.len()
        );
        if code == FieldCode::Special {
            assert!((1..=2).contains(&field.criteria.len()));
            continue;
        }
        assert!(field.criteria.len() >= 3, "{code}");
        let salary = field.monthly_salary_criterion().unwrap();
        assert_eq!(salary.text_zh, "曾經或現在於其他國家或於我國最近月薪達新臺幣十六萬元者");
        assert!(salary.text_en.contains("NT$160,000"), "{code}");
        assert_eq!(salary.required_documents, ["employment_certificate", "salary_proof"]);
        for c in &field.criteria {
            for doc in &c.required_documents {
                assert!(catalog.document_type(doc).is_some(), "{code} {}: {doc}", c.item);
            }
        }
    }
    let st = catalog.field(FieldCode::ScienceTechnology).unwrap();
    assert!(st.criterion("1").unwrap().monthly_salary);
    for code in REQUIRED_DOCUMENT_TYPES {
        assert!(catalog.document_type(code).is_some(), "{code}");
    }
}

#[test]
fn the_real_catalog_names_the_authorities() {
    let catalog = real();
    let expected = [
        (
            FieldCode::ScienceTechnology,
            "國家科學及技術委員會",
            "National Science and Technology Council",
        ),
        (FieldCode::Digital, "數位發展部", "Ministry of Digital Affairs"),
        (FieldCode::Economy, "經濟部", "Ministry of Economic Affairs"),
        (FieldCode::Education, "教育部", "Ministry of Education"),
        (FieldCode::CultureArts, "文化部", "Ministry of Culture"),
        (FieldCode::Sports, "運動部", "Ministry of Sports"),
        (
            FieldCode::Finance,
            "金融監督管理委員會",
            "Financial Supervisory Commission",
        ),
        (FieldCode::Law, "法務部", "Ministry of Justice"),
        (FieldCode::Architecture, "內政部", "Ministry of the Interior"),
        (FieldCode::NationalDefense, "國防部", "Ministry of National Defense"),
        (FieldCode::Environment, "環境部", "Ministry of Environment"),
        (FieldCode::Biotechnology, "衛生福利部", "Ministry of Health and Welfare"),
        (FieldCode::Special, "國家發展委員會", "National Development Council"),
    ];
    for (code, zh, en) in expected {
        let f = catalog.field(code).unwrap();
        assert_eq!((f.authority_zh.as_str(), f.authority_en.as_str()), (zh, en));
    }
    let finance = catalog.field(FieldCode::Finance).unwrap();
    assert_eq!(finance.subfield("banking").unwrap().name_zh, "銀行");
    assert!(finance.subfield("nope").is_none());
    assert!(finance.criterion("99").is_none());
}

#[test]
fn the_catalog_serializes() {
    let catalog = real();
    let text = toml::to_string(&catalog).unwrap();
    let back: Catalog = toml::from_str(&text).unwrap();
    assert_eq!(back.fields.len(), 13);
    assert_eq!(back.fields[6].code, FieldCode::Finance);
}

// --- broken catalogs -------------------------------------------------------------------

const DOCS: &str = r#"
[[document_type]]
code = "passport_copy"
name_zh = "護照影本"
name_en = "Passport copy"
[[document_type]]
code = "photo"
name_zh = "照片"
name_en = "Photo"
[[document_type]]
code = "resume"
name_zh = "履歷"
name_en = "Résumé"
[[document_type]]
code = "employment_certificate"
name_zh = "在職證明"
name_en = "Employment certificate"
[[document_type]]
code = "salary_proof"
name_zh = "薪資證明"
name_en = "Proof of salary"
[[document_type]]
code = "degree_certificate"
name_zh = "學位證書"
name_en = "Degree certificate"
[[document_type]]
code = "award_evidence"
name_zh = "得獎證明"
name_en = "Award evidence"
[[document_type]]
code = "recommendation_letter"
name_zh = "推薦函"
name_en = "Recommendation letter"
[[document_type]]
code = "mainland_work_statement"
name_zh = "大陸地區工作說明"
name_en = "Mainland work statement"
[[document_type]]
code = "other"
name_zh = "其他"
name_en = "Other"
"#;

/// A minimal valid `[[field]]` block.
fn block(code: FieldCode) -> String {
    let all = code == FieldCode::Architecture;
    let mut s = format!(
        "[[field]]\ncode = \"{code}\"\nname_zh = \"名\"\nname_en = \"Name\"\n\
         authority_zh = \"部\"\nauthority_en = \"Ministry\"\ncatalog_version = 1\n\
         all_criteria_required = {all}\n"
    );
    let items: &[(&str, bool, &str)] = if code == FieldCode::Special {
        &[("1", false, "recommendation_letter")]
    } else {
        &[
            ("1", true, "employment_certificate\", \"salary_proof"),
            ("2", false, "award_evidence"),
            ("3", false, "recommendation_letter"),
        ]
    };
    for (item, salary, docs) in items {
        s += &format!(
            "[[field.criterion]]\nitem = \"{item}\"\ntext_zh = \"款{item}\"\n\
             text_en = \"Item {item}\"\nmonthly_salary = {salary}\n\
             required_documents = [\"{docs}\"]\n"
        );
    }
    for sub in ["a", "b", "c"] {
        s += &format!("[[field.subfield]]\ncode = \"{sub}\"\nname_zh = \"{sub}\"\nname_en = \"{sub}\"\n");
    }
    s
}

fn fields_with(edit: impl Fn(FieldCode, String) -> Option<String>) -> String {
    FieldCode::ALL
        .into_iter()
        .filter_map(|code| edit(code, block(code)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn refused(fields: &str, docs: &str) -> String {
    match Catalog::parse(fields, docs) {
        Ok(_) => panic!("accepted a broken catalog"),
        Err(e) => e.to_string(),
    }
}

fn refused_fields(edit: impl Fn(FieldCode, String) -> Option<String>) -> String {
    refused(&fields_with(edit), DOCS)
}

#[test]
fn the_minimal_catalog_is_valid() {
    let c = Catalog::parse(&fields_with(|_, b| Some(b)), DOCS).unwrap();
    assert_eq!(c.fields.len(), 13);
}

#[test]
fn refuses_a_missing_or_repeated_field() {
    let e = refused_fields(|c, b| (c != FieldCode::Sports).then_some(b));
    assert_eq!(e, "fields.toml: field `sports` is missing");
    let e = refused_fields(|c, b| Some(if c == FieldCode::Law { format!("{b}\n{b}") } else { b }));
    assert_eq!(e, "fields.toml: field `law` is listed twice");
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Law {
            b.replace("\"law\"", "\"laws\"")
        } else {
            b
        })
    });
    assert!(e.contains("unknown field of expertise `laws`"), "{e}");
}

#[test]
fn refuses_unknown_document_types() {
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Law {
            b.replace("[\"recommendation_letter\"]", "[\"x\"]")
        } else {
            b
        })
    });
    assert_eq!(
        e,
        "fields.toml: field `law`: criterion `3` requires unknown document type `x`"
    );
}

#[test]
fn refuses_too_few_criteria_or_no_salary_criterion() {
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Digital {
            b.split("[[field.criterion]]\nitem = \"3\"").next().unwrap().to_owned()
                + "[[field.subfield]]\ncode = \"a\"\nname_zh = \"a\"\nname_en = \"a\"\n"
        } else {
            b
        })
    });
    assert!(e.contains("field `digital` has 2 criteria; it needs at least 3"), "{e}");

    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Economy {
            b.replace("monthly_salary = true", "monthly_salary = false")
        } else {
            b
        })
    });
    assert!(e.contains("field `economy` has no monthly-salary criterion"), "{e}");
}

#[test]
fn science_technology_item_1_is_the_salary_one() {
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::ScienceTechnology {
            b.replace("monthly_salary = true", "monthly_salary = X")
                .replace(
                    "monthly_salary = false\nrequired_documents = [\"award_evidence\"]",
                    "monthly_salary = true\nrequired_documents = [\"award_evidence\"]",
                )
                .replace("monthly_salary = X", "monthly_salary = false")
        } else {
            b
        })
    });
    assert!(
        e.contains("field `science_technology`: criterion `1` must be the monthly-salary criterion"),
        "{e}"
    );
}

#[test]
fn refuses_badly_numbered_items() {
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Finance {
            b.replace("item = \"3\"", "item = \"2\"")
        } else {
            b
        })
    });
    assert!(e.contains("field `finance`: criterion `2` is listed twice"), "{e}");
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Finance {
            b.replace("item = \"3\"", "item = \"4\"")
        } else {
            b
        })
    });
    assert!(e.contains("field `finance`: criterion `4` should be `3`"), "{e}");
}

#[test]
fn refuses_repeated_subfields() {
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Finance {
            b.replace("code = \"b\"", "code = \"a\"")
        } else {
            b
        })
    });
    assert_eq!(e, "fields.toml: field `finance`: subfield `a` is listed twice");
}

#[test]
fn only_architecture_requires_all_criteria() {
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Architecture {
            b.replace("all_criteria_required = true", "all_criteria_required = false")
        } else {
            b
        })
    });
    assert!(
        e.contains("field `architecture` must have all_criteria_required = true"),
        "{e}"
    );
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Law {
            b.replace("all_criteria_required = false", "all_criteria_required = true")
        } else {
            b
        })
    });
    assert!(
        e.contains("field `law`: all_criteria_required = true is allowed only"),
        "{e}"
    );
}

#[test]
fn refuses_missing_document_types() {
    let docs = DOCS.replace("code = \"photo\"", "code = \"picture\"");
    let e = refused(&fields_with(|_, b| Some(b)), &docs);
    assert_eq!(
        e,
        "document_types.toml: document type `photo` is missing (the rules require it)"
    );
    let docs = DOCS.replace("code = \"photo\"", "code = \"resume\"");
    let e = refused(&fields_with(|_, b| Some(b)), &docs);
    assert_eq!(e, "document_types.toml: document type `resume` is listed twice");
}

#[test]
fn toml_errors_carry_the_position() {
    let e = refused("[[field]]\ncode = \n", DOCS);
    assert!(e.starts_with("fields.toml: ") && e.contains("line 2"), "{e}");
    let e = refused_fields(|c, b| {
        Some(if c == FieldCode::Law {
            b.replace("name_en = \"Name\"", "name_en = \"Name\"\ncolour = 1")
        } else {
            b
        })
    });
    assert!(e.contains("fields.toml") && e.contains("colour"), "{e}");
}
