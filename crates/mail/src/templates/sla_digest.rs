//! `sla_digest`: daily to each supervisor, the agency's cases past their SLA due date,
//! one line each (number and holder, state, due date, working days overdue, assignee).
//! The job sends no digest without cases: an empty list is refused.

use super::{Letter, Locale, OverdueCase, Template, TemplateError, Vars, format, label, non_blank};

pub(super) fn letter(lang: Locale, v: &Vars) -> Result<Letter, TemplateError> {
    const T: Template = Template::SlaDigest;
    let as_of = format::date(Vars::need(&v.as_of, T, "as_of")?, lang);
    let agency = agency(&Vars::need_text(&v.agency, T, "agency")?, lang);
    let cases = Vars::need(&v.cases, T, "cases")?;
    if cases.is_empty() {
        return Err(TemplateError::Missing {
            template: T,
            field: "cases",
        });
    }
    let count = cases.len();
    let lines = cases.iter().map(|c| line(c, lang)).collect();
    Ok(match lang {
        Locale::ZhTw => Letter::new(format!("逾期案件日報 {as_of}：{count} 件"))
            .para(format!("截至 {as_of}，{agency}共有 {count} 件案件已逾審查期限："))
            .list(lines)
            .facts(
                lang,
                v,
                [
                    ("基準日", as_of.clone()),
                    ("機關", agency),
                    ("逾期件數", format!("{count} 件")),
                ],
            )
            .para("逾期日數以工作天計，不含週末及國定假日。請登入後台分派或督辦上列案件。"),
        Locale::En => {
            let cases_are = if count == 1 {
                "1 case is".to_string()
            } else {
                format!("{count} cases are")
            };
            Letter::new(format!("Overdue cases {as_of}: {count}"))
                .para(format!(
                    "As of {as_of}, {cases_are} past the review deadline at the {agency}:"
                ))
                .list(lines)
                .facts(lang, v, [("As of", as_of.clone()), ("Agency", agency), ("Overdue cases", count.to_string())])
                .para("Days overdue are working days, not counting weekends and public holidays. Please sign in to the back office to assign these cases or follow them up.")
        }
    })
}

/// One case: "115550000042（Jane Doe）｜勞動部審查中｜期限 2026年11月18日｜逾期 5 個工作天｜承辦人：王小明".
fn line(c: &OverdueCase, lang: Locale) -> String {
    let case = label(c.case_number.trim(), non_blank(c.applicant_name.as_deref()), lang);
    let state = state(&c.state, lang);
    let due = format::date(c.due_on, lang);
    let days = c.working_days_overdue;
    let assignee = non_blank(c.assignee.as_deref());
    match lang {
        Locale::ZhTw => {
            let assignee = assignee.map_or_else(|| "未分派".to_string(), |a| format!("承辦人：{a}"));
            format!("{case}｜{state}｜期限 {due}｜逾期 {days} 個工作天｜{assignee}")
        }
        Locale::En => {
            let days = if days == 1 {
                "1 working day".to_string()
            } else {
                format!("{days} working days")
            };
            let assignee = assignee.map_or_else(|| "unassigned".to_string(), |a| format!("assigned to {a}"));
            format!("{case} — {state} — due {due} — {days} overdue — {assignee}")
        }
    }
}

/// An agency code in plain words; an unknown code is shown as is.
fn agency(code: &str, lang: Locale) -> String {
    match (code, lang) {
        ("labor", Locale::ZhTw) => "勞動部勞動力發展署".into(),
        ("labor", Locale::En) => "Workforce Development Agency (WDA)".into(),
        ("immigration", Locale::ZhTw) => "內政部移民署".into(),
        ("immigration", Locale::En) => "National Immigration Agency (NIA)".into(),
        (code, _) => code.to_string(),
    }
}

/// A state of the workflow definitions in plain words (their `label_zh` / `label_en`):
/// the states a case can be overdue in; another name is shown as is.
fn state(name: &str, lang: Locale) -> String {
    let (zh, en) = match name {
        "submitted" => ("已送件（待繳費）", "Submitted (awaiting payment)"),
        "paid" => ("已繳費（待審）", "Paid (awaiting review)"),
        "labor_review" => ("勞動部審查中", "Under labor review"),
        "supplement" => ("補件中", "Awaiting supplement"),
        "immigration_review" => ("移民署審查中", "Under immigration review"),
        other => (other, other),
    };
    match lang {
        Locale::ZhTw => zh.to_string(),
        Locale::En => en.to_string(),
    }
}
