//! The notification templates: a snapshot of each in each language, escaping, and the
//! guarantee that every template a workflow definition names exists.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_domain::DocumentType;
use goldcard_mail::{Addressee, DocumentNames, KNOWN_TEMPLATES, Locale, Template, TemplateError, render};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What the store's `template_vars` writes, with every field filled in.
fn payload(template: &str) -> Value {
    let mut v = json!({
        "case_number": "115550000042",
        "event": "pay",
        "state": "paid",
        "applicant_name": "Jane Doe",
        "fee_twd": 3500,
        "supplement_due_on": "2026-12-25",
        "supplement_items": [
            {"doc_type": "salary_proof", "note": "2026 payslips, January to October"},
            {"doc_type": "tax_statement_2025", "note": ""}
        ],
        "grounds": "not_eligible",
        "reason": "The salary shown is below the criterion's threshold.",
        "legal_basis": "外國專業人才延攬及僱用法第8條",
        "new_expires_on": "2030-02-28",
    });
    // as written at each point of the case: a closed supplement has no due date, an
    // applicant's own withdrawal no reason
    match template {
        "supplement_received" | "supplement_received_officer" | "supplement_overdue" => {
            v["supplement_due_on"] = Value::Null;
        }
        "withdrawn" => {
            v["reason"] = json!("Written request of 2026-11-20: moving abroad.");
        }
        _ => {}
    }
    v
}

fn names() -> DocumentNames {
    DocumentNames::from_catalog(&[DocumentType {
        code: "salary_proof".into(),
        name_zh: "薪資證明（如薪資單、扣繳憑單或納稅證明）".into(),
        name_en: "Proof of salary (payslips, withholding or tax statements)".into(),
    }])
}

fn to(locale: Locale) -> Addressee<'static> {
    Addressee {
        name: Some("Jane Doe"),
        locale,
    }
}

#[test]
fn every_template_in_each_language_matches_its_snapshot() {
    for name in KNOWN_TEMPLATES {
        for locale in [Locale::ZhTw, Locale::En] {
            let mail = render(name, to(locale), &payload(name), &names())
                .unwrap_or_else(|e| panic!("{name} ({}): {e}", locale.as_str()));
            insta::assert_snapshot!(
                format!("{name}__{}", locale.as_str()),
                format!(
                    "Subject: {}\n\n===== text/plain\n{}\n===== text/html\n{}\n",
                    mail.subject,
                    mail.text,
                    // one element a line, so that a change shows as a readable diff
                    mail.html.replace("><", ">\n<")
                )
            );
        }
    }
}

#[test]
fn the_recipients_language_comes_first() {
    let zh = render("issued", to(Locale::ZhTw), &payload("issued"), &names()).unwrap();
    let en = render("issued", to(Locale::En), &payload("issued"), &names()).unwrap();
    assert_eq!(zh.subject, "[115550000042] 延期申請已核准 / Extension granted");
    assert_eq!(en.subject, "[115550000042] Extension granted / 延期申請已核准");
    for (mail, first, second) in [(&zh, "您好", "Dear Jane Doe"), (&en, "Dear Jane Doe", "您好")] {
        for body in [&mail.text, &mail.html] {
            let (a, b) = (body.find(first).unwrap(), body.find(second).unwrap());
            assert!(a < b, "{first} before {second} in\n{body}");
        }
    }
    assert!(zh.html.contains(r#"<html lang="zh-TW">"#));
    assert!(en.html.contains(r#"<html lang="en">"#));
}

#[test]
fn html_escapes_everything_taken_from_the_case() {
    let mut p = payload("rejected");
    p["applicant_name"] = json!("<script>alert('name')</script>");
    p["reason"] = json!("<script>alert(\"reason\")</script> & <b>bold</b>");
    p["legal_basis"] = json!("<img src=x onerror=alert(1)>");
    let to = Addressee {
        name: Some("<script>greet()</script>"),
        locale: Locale::En,
    };
    let mail = render("rejected", to, &p, &names()).unwrap();
    for bad in ["<script", "<b>", "<img"] {
        assert!(!mail.html.contains(bad), "`{bad}` unescaped in\n{}", mail.html);
    }
    assert!(mail.html.contains("&lt;script&gt;alert('name')&lt;/script&gt;"));
    assert!(
        mail.html
            .contains("&lt;script&gt;alert(&quot;reason&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;")
    );
    assert!(mail.html.contains("&lt;script&gt;greet()&lt;/script&gt;"));
    // the text part is plain text: shown as typed
    assert!(mail.text.contains("<script>alert(\"reason\")</script> & <b>bold</b>"));
}

#[test]
fn supplement_items_are_named_from_the_catalog_or_shown_by_code() {
    let mail = render(
        "supplement_requested",
        to(Locale::En),
        &payload("supplement_requested"),
        &names(),
    )
    .unwrap();
    assert!(
        mail.text.contains(
            "- Proof of salary (payslips, withholding or tax statements): 2026 payslips, January to October\n"
        )
    );
    assert!(mail.text.contains("- tax_statement_2025\n"), "{}", mail.text);
    assert!(
        mail.text
            .contains("- 薪資證明（如薪資單、扣繳憑單或納稅證明）：2026 payslips")
    );
    assert!(mail.text.contains("25 December 2026") && mail.text.contains("2026年12月25日"));
}

#[test]
fn an_unknown_template_is_a_typed_error() {
    let err = render("case_recieved", to(Locale::En), &payload("x"), &names()).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Unknown(name) if name == "case_recieved"),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "no mail template is named `case_recieved`");
}

#[test]
fn a_payload_missing_what_a_template_needs_is_refused() {
    let mut p = payload("issued");
    p["new_expires_on"] = Value::Null;
    let err = render("issued", to(Locale::En), &p, &names()).unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Missing {
                template: Template::Issued,
                field: "new_expires_on"
            }
        ),
        "{err:?}"
    );
    let mut p = payload("rejected");
    p["reason"] = json!("   ");
    assert!(matches!(
        render("rejected", to(Locale::ZhTw), &p, &names()),
        Err(TemplateError::Missing { field: "reason", .. })
    ));
    let mut p = payload("supplement_requested");
    p["supplement_items"] = json!([]);
    assert!(matches!(
        render("supplement_requested", to(Locale::ZhTw), &p, &names()),
        Err(TemplateError::Missing {
            field: "supplement_items",
            ..
        })
    ));
    let err = render("case_received", to(Locale::En), &json!({"fee_twd": 1}), &names()).unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Payload {
                template: Template::CaseReceived,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_mail_without_a_name_greets_plainly() {
    let to = Addressee {
        name: None,
        locale: Locale::ZhTw,
    };
    let mail = render("payment_received", to, &payload("payment_received"), &names()).unwrap();
    assert!(
        mail.text.contains("您好：\n") && mail.text.contains("Hello,\n"),
        "{}",
        mail.text
    );
}

#[test]
fn the_template_list_and_the_enum_agree() {
    let names: Vec<&str> = Template::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names, KNOWN_TEMPLATES);
    for name in KNOWN_TEMPLATES {
        assert_eq!(name.parse::<Template>().unwrap().as_str(), name);
    }
}

/// Every `notify = [{ template = "…" }]` in every definition under `workflows/` names a
/// template this crate has.
#[test]
fn every_template_a_workflow_definition_names_exists() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let mut named = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        let definition: toml::Value = toml::from_str(&text).unwrap();
        let events = definition
            .get("events")
            .and_then(|e| e.as_array())
            .cloned()
            .unwrap_or_default();
        for event in events {
            let notify = event
                .get("notify")
                .and_then(|n| n.as_array())
                .cloned()
                .unwrap_or_default();
            for n in notify {
                let template = n.get("template").and_then(|t| t.as_str()).unwrap().to_string();
                assert!(
                    KNOWN_TEMPLATES.contains(&template.as_str()),
                    "{} names the mail template `{template}`, which goldcard-mail does not have",
                    path.display()
                );
                named.insert(template);
            }
        }
    }
    assert!(files >= 1, "no workflow definitions in {}", dir.display());
    assert!(named.len() >= KNOWN_TEMPLATES.len() - 1, "{named:?}");
    // the engine reads the same names
    let workflow = goldcard_workflow::Workflow::parse(
        "gold-card-extension.toml",
        goldcard_workflow::EXTENSION_DEFINITION,
        &goldcard_workflow::Registry::standard(),
    )
    .unwrap();
    for edge in &workflow.edges {
        for n in &edge.notify {
            assert!(n.template.parse::<Template>().is_ok(), "{}", n.template);
        }
    }
}
