//! The notification templates: a snapshot of each in each language, escaping, and the
//! guarantee that every template a workflow definition names exists.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_domain::DocumentType;
use goldcard_mail::{Addressee, DocumentNames, KNOWN_TEMPLATES, Locale, Template, TemplateError, render};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What the store's `template_vars` writes, with every field filled in, or what the job
/// sending a template that is not about a case writes.
fn payload(template: &str) -> Value {
    match template {
        "sign_in_code" => return json!({"code": "483920", "valid_minutes": 10}),
        "window_open" | "window_closing" | "window_locked" => {
            let mut v = json!({
                "ui_number": "A800000014",
                "holder_name": "Jane Doe",
                "card_expires_on": "2027-04-30",
                "window_opens_on": "2027-01-30",
                "window_locks_on": "2027-03-30",
            });
            if template == "window_locked" {
                v.as_object_mut().unwrap().remove("window_opens_on");
            }
            return v;
        }
        "sla_digest" => {
            return json!({
                "as_of": "2026-11-25",
                "agency": "labor",
                "cases": [
                    {
                        "case_number": "115550000042",
                        "applicant_name": "Jane Doe",
                        "state": "labor_review",
                        "due_on": "2026-11-18",
                        "working_days_overdue": 5,
                        "assignee": "王小明"
                    },
                    {
                        "case_number": "115550000051",
                        "applicant_name": "John Smith",
                        "state": "paid",
                        "due_on": "2026-11-24",
                        "working_days_overdue": 1,
                        "assignee": null
                    },
                    {
                        "case_number": "115550000063",
                        "applicant_name": "María José García",
                        "state": "labor_review",
                        "due_on": "2026-11-10",
                        "working_days_overdue": 11,
                        "assignee": "Chen Mei-ling"
                    }
                ]
            });
        }
        _ => {}
    }
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
        "filed_on": "2026-10-26",
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
        "supplement_reminder" => {
            v["state"] = json!("supplement");
        }
        "unpaid_reminder" => {
            v["state"] = json!("submitted");
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
    let err = render(
        "case_received",
        to(Locale::En),
        &json!({"case_number": "115550000042", "fee_twd": "3,500"}),
        &names(),
    )
    .unwrap_err();
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

/// The templates the scheduled jobs and the sign-in flow send: no definition names them.
const SENT_BY_JOBS: [&str; 7] = [
    "sign_in_code",
    "window_open",
    "window_closing",
    "window_locked",
    "supplement_reminder",
    "unpaid_reminder",
    "sla_digest",
];

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
    let by_transitions = KNOWN_TEMPLATES.iter().filter(|t| !SENT_BY_JOBS.contains(t)).count();
    assert!(named.len() >= by_transitions - 1, "{named:?}");
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

#[test]
fn a_mail_about_a_case_needs_its_number_and_only_such_mail_shows_one() {
    for template in Template::ALL {
        let name = template.as_str();
        if template.needs_case_number() {
            for missing in [Value::Null, json!("  ")] {
                let mut p = payload(name);
                p["case_number"] = missing;
                let err = render(name, to(Locale::En), &p, &names()).unwrap_err();
                assert!(
                    matches!(err, TemplateError::Missing { template: t, field: "case_number" } if t == template),
                    "{name}: {err:?}"
                );
            }
            let mut p = payload(name);
            p.as_object_mut().unwrap().remove("case_number");
            assert!(
                matches!(
                    render(name, to(Locale::ZhTw), &p, &names()),
                    Err(TemplateError::Missing {
                        field: "case_number",
                        ..
                    })
                ),
                "{name}"
            );
            let mail = render(name, to(Locale::En), &payload(name), &names()).unwrap();
            assert!(mail.subject.starts_with("[115550000042] "), "{}", mail.subject);
        } else {
            assert!(SENT_BY_JOBS.contains(&name), "{name}");
            let mail = render(name, to(Locale::En), &payload(name), &names()).unwrap();
            assert!(!mail.subject.starts_with('['), "{}", mail.subject);
            assert!(
                !mail.text.contains("Case number") && !mail.text.contains("案號"),
                "{}",
                mail.text
            );
        }
    }
}

#[test]
fn the_sign_in_code_is_in_the_bodies_but_never_in_the_subject() {
    for locale in [Locale::ZhTw, Locale::En] {
        let mail = render("sign_in_code", to(locale), &payload("sign_in_code"), &names()).unwrap();
        assert!(!mail.subject.contains("483920"), "{}", mail.subject);
        assert!(mail.subject.contains("登入驗證碼") && mail.subject.contains("Sign-in verification code"));
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("您的登入驗證碼為 483920，10 分鐘內有效。"), "{body}");
            assert!(body.contains("Your sign-in verification code is 483920. It is valid for 10 minutes."));
            assert!(body.contains("請勿將驗證碼告訴任何人") && body.contains("Never share this code"));
        }
        // the HTML <title> repeats the subject: no code there either
        let title = mail
            .html
            .split("<title>")
            .nth(1)
            .unwrap()
            .split("</title>")
            .next()
            .unwrap();
        assert!(!title.contains("483920"), "{title}");
    }
    let mut p = payload("sign_in_code");
    p["valid_minutes"] = json!(1);
    let mail = render("sign_in_code", to(Locale::En), &p, &names()).unwrap();
    assert!(mail.text.contains("It is valid for 1 minute."), "{}", mail.text);
    let mut p = payload("sign_in_code");
    p["code"] = json!("");
    assert!(matches!(
        render("sign_in_code", to(Locale::En), &p, &names()),
        Err(TemplateError::Missing {
            template: Template::SignInCode,
            field: "code"
        })
    ));
}

#[test]
fn an_empty_sla_digest_is_refused() {
    let mut p = payload("sla_digest");
    p["cases"] = json!([]);
    let err = render("sla_digest", to(Locale::ZhTw), &p, &names()).unwrap_err();
    assert!(
        matches!(
            err,
            TemplateError::Missing {
                template: Template::SlaDigest,
                field: "cases"
            }
        ),
        "{err:?}"
    );
    p.as_object_mut().unwrap().remove("cases");
    assert!(matches!(
        render("sla_digest", to(Locale::En), &p, &names()),
        Err(TemplateError::Missing { field: "cases", .. })
    ));
}

#[test]
fn the_sla_digest_lists_each_case_on_one_line() {
    let zh = render("sla_digest", to(Locale::ZhTw), &payload("sla_digest"), &names()).unwrap();
    assert_eq!(
        zh.subject,
        "逾期案件日報 2026年11月25日：3 件 / Overdue cases 25 November 2026: 3"
    );
    assert!(
        zh.text.contains(
            "- 115550000042（Jane Doe）｜勞動部審查中｜期限 2026年11月18日｜逾期 5 個工作天｜承辦人：王小明\n"
        )
    );
    assert!(
        zh.text
            .contains("- 115550000051（John Smith）｜已繳費（待審）｜期限 2026年11月24日｜逾期 1 個工作天｜未分派\n")
    );
    assert!(zh.text.contains(
        "- 115550000051 (John Smith) — Paid (awaiting review) — due 24 November 2026 — 1 working day overdue — unassigned\n"
    ));
    assert!(zh.text.contains("勞動部勞動力發展署") && zh.text.contains("Workforce Development Agency (WDA)"));
    let mut p = payload("sla_digest");
    p["agency"] = json!("immigration");
    p["cases"] = json!([p["cases"][0]]);
    let en = render("sla_digest", to(Locale::En), &p, &names()).unwrap();
    assert_eq!(
        en.subject,
        "Overdue cases 25 November 2026: 1 / 逾期案件日報 2026年11月25日：1 件"
    );
    assert!(en.text.contains(
        "As of 25 November 2026, 1 case is past the review deadline at the National Immigration Agency (NIA):"
    ));
    assert!(en.text.contains("內政部移民署"));
}

/// The digest names each state a case can be overdue in as the definitions label it.
#[test]
fn the_sla_digest_names_states_as_the_workflow_definitions_do() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../workflows");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let definition: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for state in definition["states"].as_array().unwrap() {
            if state.get("terminal").and_then(|t| t.as_bool()) == Some(true) {
                continue;
            }
            let mut p = payload("sla_digest");
            p["cases"][0]["state"] = json!(state["name"].as_str().unwrap());
            let mail = render("sla_digest", to(Locale::ZhTw), &p, &names()).unwrap();
            for label in ["label_zh", "label_en"] {
                let label = state[label].as_str().unwrap();
                assert!(
                    mail.text.contains(&format!("｜{label}｜")) || mail.text.contains(&format!(" — {label} — ")),
                    "{}: state `{}` is not shown as `{label}`",
                    path.display(),
                    state["name"]
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked}");
}

#[test]
fn window_locked_names_what_the_holder_can_do_instead() {
    let mail = render("window_locked", to(Locale::En), &payload("window_locked"), &names()).unwrap();
    assert_eq!(
        mail.subject,
        "The online Gold Card extension has closed / 就業金卡線上延期申請已關閉"
    );
    for alternative in [
        "Apply for a new Employment Gold Card after the current card expires (a new application, not an extension).",
        "apply to the National Immigration Agency (內政部移民署) for job-seeking residence (求職居留) or for a change of residence purpose",
        "Contact the Gold Card Office helpdesk",
        "於現有金卡到期後，重新申請就業金卡（此為新申請案，而非延期）。",
        "如符合資格，向內政部移民署申請求職居留，或申請變更居留事由。",
        "請洽就業金卡辦公室服務專線",
    ] {
        assert!(
            mail.text.contains(alternative),
            "`{alternative}` missing from\n{}",
            mail.text
        );
        assert!(mail.html.contains(alternative), "`{alternative}` missing from the HTML");
    }
    assert!(mail.text.contains("closed on 30 March 2027") && mail.text.contains("已於 2027年3月30日"));
}

#[test]
fn the_window_mails_give_the_last_day_to_file_and_mask_the_ui_number() {
    let open = render("window_open", to(Locale::ZhTw), &payload("window_open"), &names()).unwrap();
    assert!(
        open.text.contains("自 2027年1月30日 起至 2027年3月29日 止"),
        "{}",
        open.text
    );
    assert!(open.text.contains("From 30 January 2027 until 29 March 2027"));
    assert!(open.text.contains("外國專業人才申請窗口平臺") && open.text.contains("就業金卡延期申請"));
    assert!(open.text.contains("Foreign Professionals Online Application Platform"));
    let closing = render("window_closing", to(Locale::En), &payload("window_closing"), &names()).unwrap();
    assert!(closing.text.contains("The online extension closes on 30 March 2027"));
    assert!(closing.text.contains("by 29 March 2027 at the latest"));
    for mail in [&open, &closing] {
        assert!(mail.text.contains("A80****014") && !mail.text.contains("A800000014"));
        assert!(!mail.html.contains("A800000014"));
    }
    let mut p = payload("window_open");
    p["window_locks_on"] = Value::Null;
    assert!(matches!(
        render("window_open", to(Locale::En), &p, &names()),
        Err(TemplateError::Missing {
            template: Template::WindowOpen,
            field: "window_locks_on"
        })
    ));
}

#[test]
fn window_open_escapes_the_holder_name_in_html() {
    let mut p = payload("window_open");
    p["holder_name"] = json!("<script>alert('holder')</script> & <i>Co</i>");
    p["ui_number"] = json!("<b>A800000014</b>");
    let mail = render("window_open", to(Locale::En), &p, &names()).unwrap();
    for bad in ["<script", "<i>", "<b>"] {
        assert!(!mail.html.contains(bad), "`{bad}` unescaped in\n{}", mail.html);
    }
    assert!(
        mail.html
            .contains("&lt;script&gt;alert('holder')&lt;/script&gt; &amp; &lt;i&gt;Co&lt;/i&gt;")
    );
    assert!(
        mail.text
            .contains("Card holder: <script>alert('holder')</script> & <i>Co</i>\n")
    );
}

#[test]
fn the_reminders_say_what_is_due() {
    let mail = render(
        "supplement_reminder",
        to(Locale::En),
        &payload("supplement_reminder"),
        &names(),
    )
    .unwrap();
    assert!(
        mail.subject
            .starts_with("[115550000042] Reminder: documents due by 25 December 2026 / ")
    );
    assert!(
        mail.text
            .contains("- Proof of salary (payslips, withholding or tax statements): 2026 payslips")
    );
    assert!(
        mail.text
            .contains("- 薪資證明（如薪資單、扣繳憑單或納稅證明）：2026 payslips")
    );
    assert!(mail.text.contains("駁回") && mail.text.contains("grounds for rejecting"));
    let mail = render(
        "unpaid_reminder",
        to(Locale::ZhTw),
        &payload("unpaid_reminder"),
        &names(),
    )
    .unwrap();
    assert!(mail.text.contains("應繳審查費：新臺幣 3,500 元\n") && mail.text.contains("Fee due: NT$3,500\n"));
    assert!(mail.text.contains("申請日：2026年10月26日\n") && mail.text.contains("Filed on: 26 October 2026\n"));
    assert!(mail.text.contains("「線上繳費」"));
    let mut p = payload("unpaid_reminder");
    p["filed_on"] = Value::Null;
    assert!(matches!(
        render("unpaid_reminder", to(Locale::ZhTw), &p, &names()),
        Err(TemplateError::Missing {
            template: Template::UnpaidReminder,
            field: "filed_on"
        })
    ));
}
