//! The code behind the names a definition uses: guards (may this event happen now?) and
//! effects (what it changes). A new workflow adds a file in `workflows/` and, at most,
//! new functions registered here.

use crate::decision::{Change, Context, FieldError, RejectionGrounds, SupplementItem};
use chrono::{DateTime, NaiveDate, Utc};
use goldcard_domain::{new_expiry, supplement_due_on};
use serde_json::Value;
use std::collections::HashMap;

/// A guard: `Ok(())` or the message saying why the event may not happen.
pub type GuardFn = fn(&Context<'_>) -> Result<(), String>;
/// An effect: the changes to apply, or the payload's field errors.
pub type EffectFn = fn(&Context<'_>) -> Result<Vec<Change>, Vec<FieldError>>;

/// A registered guard.
#[derive(Clone, Copy)]
pub struct GuardSpec {
    /// The check.
    pub check: GuardFn,
    /// Payload fields it reads.
    pub payload_fields: &'static [&'static str],
}

/// A registered effect.
#[derive(Clone, Copy)]
pub struct EffectSpec {
    /// The computation.
    pub apply: EffectFn,
    /// Payload fields it reads.
    pub payload_fields: &'static [&'static str],
}

/// Named guards and effects available to definitions.
#[derive(Clone, Default)]
pub struct Registry {
    guards: HashMap<String, GuardSpec>,
    effects: HashMap<String, EffectSpec>,
}

/// The longest free text a reviewer may put in a reason, note or opinion.
pub const MAX_TEXT: usize = 4000;

impl Registry {
    /// The guards and effects goldcard's case types use.
    pub fn standard() -> Registry {
        let mut r = Registry::default();
        r.add_guard("amount_matches_fee", &["amount_twd"], amount_matches_fee);
        r.add_guard("reason_given", &["reason"], reason_given);
        r.add_guard("supplement_items_uploaded", &[], supplement_items_uploaded);
        r.add_guard("supplement_past_due", &[], supplement_past_due);
        r.add_guard("not_labor_approver", &[], not_labor_approver);

        r.add_effect(
            "record_payment",
            &["receipt_no", "amount_twd", "paid_at"],
            record_payment,
        );
        r.add_effect("record_withdrawal", &["reason"], record_withdrawal);
        r.add_effect("assign_to_actor", &[], |c| {
            Ok(vec![Change::AssignTo(c.actor.account_id)])
        });
        r.add_effect("open_supplement", &["items", "abroad", "due_on"], open_supplement);
        r.add_effect("close_supplement", &["documents"], close_supplement);
        r.add_effect("mark_supplement_overdue", &[], |_| {
            Ok(vec![Change::MarkSupplementOverdue])
        });
        r.add_effect("record_labor_approval", &[], |c| {
            Ok(vec![
                Change::RecordLaborApprover(c.actor.account_id),
                Change::ClearAssignee,
            ])
        });
        r.add_effect(
            "record_rejection",
            &["grounds", "reason", "legal_basis"],
            record_rejection,
        );
        r.add_effect("record_consultation", &["authority"], record_consultation);
        r.add_effect(
            "record_consultation_answer",
            &["opinion", "document_id"],
            record_consultation_answer,
        );
        r.add_effect("extend_card", &[], |c| {
            Ok(vec![Change::ExtendCard {
                new_expires_on: new_expiry(c.case.card_expires_on, c.case.validity_years),
            }])
        });
        r.add_effect("reassign", &["to"], reassign);
        r
    }

    /// Registers (or replaces) a guard.
    pub fn add_guard(&mut self, name: &str, payload_fields: &'static [&'static str], check: GuardFn) {
        self.guards
            .insert(name.to_string(), GuardSpec { check, payload_fields });
    }

    /// Registers (or replaces) an effect.
    pub fn add_effect(&mut self, name: &str, payload_fields: &'static [&'static str], apply: EffectFn) {
        self.effects
            .insert(name.to_string(), EffectSpec { apply, payload_fields });
    }

    /// The guard with this name.
    pub fn guard(&self, name: &str) -> Option<GuardSpec> {
        self.guards.get(name).copied()
    }

    /// The effect with this name.
    pub fn effect(&self, name: &str) -> Option<EffectSpec> {
        self.effects.get(name).copied()
    }
}

// ------------------------------------------------------------------ payload helpers

fn field_error(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        code: code.to_string(),
        message: message.into(),
    }
}

/// A required, non-blank text field of at most [`MAX_TEXT`] characters.
fn required_text(c: &Context<'_>, field: &str, errors: &mut Vec<FieldError>) -> String {
    match optional_text(c, field, errors) {
        Some(s) => s,
        None => {
            if !errors.iter().any(|e| e.field == field) {
                errors.push(field_error(field, "required", format!("`{field}` is required")));
            }
            String::new()
        }
    }
}

fn optional_text(c: &Context<'_>, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    match c.payload.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                None
            } else if s.chars().count() > MAX_TEXT {
                errors.push(field_error(
                    field,
                    "too_long",
                    format!("`{field}` is longer than {MAX_TEXT} characters"),
                ));
                None
            } else {
                Some(s.to_string())
            }
        }
        Some(_) => {
            errors.push(field_error(field, "invalid", format!("`{field}` must be text")));
            None
        }
    }
}

fn done(changes: Vec<Change>, errors: Vec<FieldError>) -> Result<Vec<Change>, Vec<FieldError>> {
    if errors.is_empty() { Ok(changes) } else { Err(errors) }
}

// ------------------------------------------------------------------ guards

fn amount_matches_fee(c: &Context<'_>) -> Result<(), String> {
    match c.payload.get("amount_twd").and_then(Value::as_u64) {
        Some(a) if a == u64::from(c.case.fee_twd) => Ok(()),
        Some(a) => Err(format!(
            "amount NT${a} does not equal the fee NT${} computed at filing",
            c.case.fee_twd
        )),
        None => Err("amount_twd is required and must be a whole number".to_string()),
    }
}

fn reason_given(c: &Context<'_>) -> Result<(), String> {
    match c.payload.get("reason").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Ok(()),
        _ => Err("a reason is required (the applicant's written request)".to_string()),
    }
}

fn supplement_items_uploaded(c: &Context<'_>) -> Result<(), String> {
    let Some(s) = &c.case.supplement else {
        return Err("no supplement was requested".to_string());
    };
    // attached earlier, or attached by this very event
    let missing: Vec<&str> = s
        .items
        .iter()
        .filter(|i| !s.uploaded.contains(i) && !c.attachments.iter().any(|a| &a.doc_type == *i))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("documents still missing: {}", missing.join(", ")))
    }
}

fn supplement_past_due(c: &Context<'_>) -> Result<(), String> {
    match &c.case.supplement {
        Some(s) if c.env.today > s.due_on => Ok(()),
        Some(s) => Err(format!("the supplement is due on {}; it is not overdue", s.due_on)),
        None => Err("no supplement was requested".to_string()),
    }
}

fn not_labor_approver(c: &Context<'_>) -> Result<(), String> {
    if c.case.labor_approver == Some(c.actor.account_id) {
        Err("the officer who approved the labor review may not also issue the card".to_string())
    } else {
        Ok(())
    }
}

// ------------------------------------------------------------------ effects

fn record_payment(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let receipt_no = required_text(c, "receipt_no", &mut errors);
    if receipt_no.len() > 64 {
        errors.push(field_error(
            "receipt_no",
            "too_long",
            "`receipt_no` is longer than 64 characters",
        ));
    }
    let amount_twd = match c.payload.get("amount_twd").and_then(Value::as_u64).map(u32::try_from) {
        Some(Ok(a)) => a,
        _ => {
            errors.push(field_error(
                "amount_twd",
                "invalid",
                "`amount_twd` must be a whole number of NT$",
            ));
            0
        }
    };
    let paid_at = match c.payload.get("paid_at") {
        None | Some(Value::Null) => c.env.now,
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => {
                errors.push(field_error("paid_at", "invalid", "`paid_at` must be an RFC 3339 time"));
                c.env.now
            }
        },
        Some(_) => {
            errors.push(field_error("paid_at", "invalid", "`paid_at` must be an RFC 3339 time"));
            c.env.now
        }
    };
    done(
        vec![Change::RecordPayment {
            receipt_no,
            amount_twd,
            paid_at,
        }],
        errors,
    )
}

fn record_withdrawal(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = optional_text(c, "reason", &mut errors);
    done(vec![Change::RecordWithdrawal { reason }], errors)
}

fn open_supplement(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut items = Vec::new();
    match c.payload.get("items") {
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, item) in list.iter().enumerate() {
                let doc_type = item.get("doc_type").and_then(Value::as_str).unwrap_or("").trim();
                let note = item.get("note").and_then(Value::as_str).unwrap_or("").trim();
                if c.env.catalog.document_type(doc_type).is_none() {
                    errors.push(field_error(
                        &format!("items[{i}].doc_type"),
                        "not_in_catalog",
                        format!("unknown document type `{doc_type}`"),
                    ));
                }
                if note.is_empty() {
                    errors.push(field_error(
                        &format!("items[{i}].note"),
                        "required",
                        "each item needs a note",
                    ));
                } else if note.chars().count() > MAX_TEXT {
                    errors.push(field_error(
                        &format!("items[{i}].note"),
                        "too_long",
                        "the note is too long",
                    ));
                }
                if item
                    .as_object()
                    .is_some_and(|o| o.keys().any(|k| k != "doc_type" && k != "note"))
                {
                    errors.push(field_error(
                        &format!("items[{i}]"),
                        "unknown_field",
                        "an item has only `doc_type` and `note`",
                    ));
                }
                items.push(SupplementItem {
                    doc_type: doc_type.to_string(),
                    note: note.to_string(),
                });
            }
        }
        _ => errors.push(field_error(
            "items",
            "required",
            "list at least one document to supplement",
        )),
    }
    let abroad = match c.payload.get("abroad") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(field_error("abroad", "invalid", "`abroad` must be true or false"));
            false
        }
    };
    let due_on = match c.payload.get("due_on") {
        None | Some(Value::Null) => supplement_due_on(c.env.today, abroad),
        Some(Value::String(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d > c.env.today => d,
            Ok(_) => {
                errors.push(field_error(
                    "due_on",
                    "must_be_future",
                    "the due date must be after today",
                ));
                c.env.today
            }
            Err(_) => {
                errors.push(field_error("due_on", "invalid", "`due_on` must be a date YYYY-MM-DD"));
                c.env.today
            }
        },
        Some(_) => {
            errors.push(field_error("due_on", "invalid", "`due_on` must be a date YYYY-MM-DD"));
            c.env.today
        }
    };
    let return_state = c.workflow.state(c.from).name.clone();
    done(
        vec![Change::OpenSupplement {
            return_state,
            items,
            abroad,
            due_on,
        }],
        errors,
    )
}

fn close_supplement(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut changes = Vec::new();
    if !c.attachments.is_empty() {
        changes.push(Change::AttachDocuments {
            documents: c.attachments.to_vec(),
            purpose: "supplement".to_string(),
        });
    }
    changes.push(Change::CloseSupplement);
    Ok(changes)
}

fn record_rejection(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let grounds = match c.payload.get("grounds").and_then(Value::as_str) {
        Some("not_eligible") => RejectionGrounds::NotEligible,
        Some("supplement_missed") => RejectionGrounds::SupplementMissed,
        Some("other") => RejectionGrounds::Other,
        Some(other) => {
            errors.push(field_error(
                "grounds",
                "invalid",
                format!("unknown grounds `{other}` (not_eligible, supplement_missed, other)"),
            ));
            RejectionGrounds::Other
        }
        None => {
            errors.push(field_error(
                "grounds",
                "required",
                "`grounds` is required (not_eligible, supplement_missed, other)",
            ));
            RejectionGrounds::Other
        }
    };
    let reason = required_text(c, "reason", &mut errors);
    let legal_basis = required_text(c, "legal_basis", &mut errors);
    done(
        vec![Change::RecordRejection {
            grounds,
            reason,
            legal_basis,
        }],
        errors,
    )
}

fn record_consultation(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let given = optional_text(c, "authority", &mut errors);
    let authority = match (given, &c.case.field_authority) {
        (None, Some(default)) => default.clone(),
        (None, None) => {
            errors.push(field_error("authority", "required", "name the ministry to consult"));
            String::new()
        }
        (Some(a), _) => {
            let known = c
                .env
                .catalog
                .fields
                .iter()
                .any(|f| f.authority_zh == a || f.authority_en == a);
            if !known {
                errors.push(field_error(
                    "authority",
                    "not_in_catalog",
                    format!("`{a}` is not a certifying ministry in the catalog"),
                ));
            }
            a
        }
    };
    done(vec![Change::StartConsultation { authority }], errors)
}

fn record_consultation_answer(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let opinion = required_text(c, "opinion", &mut errors);
    let document_id = optional_text(c, "document_id", &mut errors);
    let mut changes = Vec::new();
    if !c.attachments.is_empty() {
        changes.push(Change::AttachDocuments {
            documents: c.attachments.to_vec(),
            purpose: "consultation".to_string(),
        });
    }
    changes.push(Change::AnswerConsultation { opinion, document_id });
    done(changes, errors)
}

fn reassign(c: &Context<'_>) -> Result<Vec<Change>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let _ = required_text(c, "to", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(target) = c.reassign_target else {
        return Err(vec![field_error(
            "to",
            "unknown_officer",
            "no active officer with that login",
        )]);
    };
    let state_agency = c.agency_of_current_state();
    let target_agency = c.workflow.role(target.role).and_then(|r| r.agency.clone());
    if target_agency.is_none() || target_agency != state_agency {
        return Err(vec![field_error(
            "to",
            "wrong_role",
            format!("`{}` cannot take a case in this state", target.role),
        )]);
    }
    Ok(vec![Change::AssignTo(target.account_id)])
}
