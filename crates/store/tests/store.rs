//! Storage tests; every one runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{TestDb, date, now};
use goldcard_domain::{UiNumber, ValidityYears, new_expiry};
use goldcard_store::audit;
use goldcard_store::cards::{self, parse_csv};
use goldcard_store::documents::{self, NewDocument};
use goldcard_store::entity::{accounts as account, audit_log, cards as card, cases, outbox};
use goldcard_store::events::{FireError, file, fire};
use goldcard_store::{NewCase, NewCaseDocument, StoreError, Subject, apply};
use goldcard_workflow::{Actor, EventRequest, Refusal, Role};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Map, Value, json};

/// A valid UI number: the first nine characters, plus the check digit that fits.
fn ui(prefix: &str) -> String {
    (0..10)
        .map(|d| format!("{prefix}{d}"))
        .find(|s| UiNumber::parse(s).is_ok())
        .unwrap()
}

async fn add_card(db: &TestDb, ui_prefix: &str, expires_on: &str) -> card::Model {
    let csv = format!(
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,passport_number,passport_expires_on\n\
         {},1990-01-02,Doe,Jane,US,jane.{}@example.com,digital,{expires_on},P1234567,2030-01-01\n",
        ui(ui_prefix),
        ui_prefix.to_lowercase()
    );
    let rows = parse_csv(csv.as_bytes(), &db.catalogs.catalog).unwrap();
    cards::import(db.store.db(), &rows, now()).await.unwrap();
    card::Entity::find()
        .filter(card::Column::UiNumber.eq(ui(ui_prefix)))
        .one(db.store.db())
        .await
        .unwrap()
        .unwrap()
}

fn new_case(card: &card::Model, filer: &account::Model, fee: i32) -> NewCase {
    NewCase {
        kind: "extension".into(),
        card_id: card.id,
        filer_account_id: filer.id,
        filer: "self".into(),
        applicant_name: format!("{} {}", card.given_name, card.family_name),
        applicant_email: card.email.clone(),
        ui_number: card.ui_number.clone(),
        passport_number: card.passport_number.clone(),
        nationality: card.nationality.clone(),
        field: card.field.clone(),
        criterion: "1".into(),
        subfield: None,
        hk_macau: card.hk_macau,
        expedite: false,
        validity_years: 3,
        fee_twd: fee,
        form: json!({"passport": {"update": true, "number": "Q7654321", "expiry_date": "2035-05-05"}}),
        documents: vec![],
        consent_id: None,
    }
}

fn actor(a: &account::Model, role: Role) -> Actor {
    Actor { account_id: a.id, role }
}

fn payload(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

async fn fire_at(
    db: &TestDb,
    who: Actor,
    case_number: &str,
    event: &str,
    body: Value,
    at: DateTime<Utc>,
) -> Result<goldcard_store::Applied, FireError> {
    let p = payload(body);
    let req = EventRequest {
        event,
        expected_version: None,
        payload: &p,
        reassign_target: None,
        attachments: &[],
    };
    fire(db.store.db(), db.rules(), who, case_number, req, at).await
}

async fn audit_rows(db: &TestDb, case_id: i64) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::CaseId.eq(case_id))
        .count(db.store.db())
        .await
        .unwrap()
}

struct People {
    applicant: account::Model,
    cashier: account::Model,
    reviewer: account::Model,
    officer: account::Model,
}

async fn people(db: &TestDb) -> People {
    People {
        applicant: db.account("holder", Role::Applicant).await,
        cashier: db.account("cashier", Role::Cashier).await,
        reviewer: db.account("reviewer", Role::LaborReviewer).await,
        officer: db.account("officer", Role::ImmigrationOfficer).await,
    }
}

// ------------------------------------------------------------------------------------------

async fn migrations_and_catalogs_are_idempotent(db: TestDb) {
    db.store.migrate().await.unwrap();
    let texts = goldcard_store::catalogs::CatalogTexts::from_dir(&common::repo_root().join("seeds")).unwrap();
    assert!(
        !goldcard_store::catalogs::load_if_empty(db.store.db(), &texts, now())
            .await
            .unwrap(),
        "loaded once only"
    );
    assert_eq!(goldcard_store::catalogs::read(db.store.db()).await.unwrap(), texts);
}

async fn the_whole_lifecycle_is_written_atomically_and_verifies(db: TestDb) {
    let p = people(&db).await;
    let card = add_card(&db, "F80000119", "2027-02-28").await;
    let t0 = now();
    let filed = file(
        db.store.db(),
        db.rules(),
        actor(&p.applicant, Role::Applicant),
        &new_case(&card, &p.applicant, 3500),
        t0,
    )
    .await
    .unwrap();
    assert_eq!(filed.case_number, "115550000001");
    assert_eq!(
        (filed.state.as_str(), filed.version, filed.notifications),
        ("submitted", 1, 1)
    );
    let n = filed.case_number.clone();
    let at = |m: i64| t0 + Duration::minutes(m);

    let paid = fire_at(
        &db,
        actor(&p.cashier, Role::Cashier),
        &n,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": "R-1"}),
        at(1),
    )
    .await
    .unwrap();
    assert_eq!((paid.state.as_str(), paid.version), ("paid", 2));
    let r = actor(&p.reviewer, Role::LaborReviewer);
    fire_at(&db, r, &n, "claim", json!({}), at(2)).await.unwrap();
    fire_at(
        &db,
        r,
        &n,
        "request_supplement",
        json!({"items": [{"doc_type": "salary_proof", "note": "2026 payslips"}]}),
        at(3),
    )
    .await
    .unwrap();

    // the applicant cannot submit before uploading what was asked
    let early = fire_at(
        &db,
        actor(&p.applicant, Role::Applicant),
        &n,
        "submit_supplement",
        json!({}),
        at(4),
    )
    .await;
    assert!(
        matches!(early, Err(FireError::Refused(Refusal::GuardFailed { .. }))),
        "{early:?}"
    );
    let case = cases::Entity::find()
        .filter(cases::Column::CaseNumber.eq(&n))
        .one(db.store.db())
        .await
        .unwrap()
        .unwrap();
    let doc = documents::create(
        db.store.db(),
        NewDocument {
            sha256: "ab".repeat(32),
            size: 10,
            content_type: "application/pdf".into(),
            original_name: "payslips.pdf".into(),
            doc_type: "salary_proof".into(),
            uploaded_by: p.applicant.id,
        },
        at(5),
    )
    .await
    .unwrap();
    documents::attach(db.store.db(), case.id, &doc, "supplement", at(5))
        .await
        .unwrap();
    let back = fire_at(
        &db,
        actor(&p.applicant, Role::Applicant),
        &n,
        "submit_supplement",
        json!({}),
        at(6),
    )
    .await
    .unwrap();
    assert_eq!(back.state, "labor_review");
    fire_at(&db, r, &n, "approve", json!({}), at(7)).await.unwrap();
    let o = actor(&p.officer, Role::ImmigrationOfficer);
    fire_at(&db, o, &n, "claim", json!({}), at(8)).await.unwrap();
    let issued = fire_at(&db, o, &n, "issue", json!({}), at(9)).await.unwrap();
    assert_eq!(
        (issued.state.as_str(), issued.version, issued.audit_seq),
        ("issued", 8, 8)
    );

    let card_after = card::Entity::find_by_id(card.id)
        .one(db.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        card_after.expires_on,
        new_expiry(date("2027-02-28"), ValidityYears::new(3).unwrap())
    );
    assert_eq!(
        card_after.passport_number.as_deref(),
        Some("Q7654321"),
        "ticked passport update applied"
    );
    let case = cases::Entity::find_by_id(case.id)
        .one(db.store.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.open_card_id, None, "a terminal case no longer blocks the card");
    assert_eq!(case.receipt_no.as_deref(), Some("R-1"));
    assert_eq!(case.labor_approver_id, Some(p.reviewer.id));

    let report = audit::verify(db.store.db()).await.unwrap();
    assert_eq!((report.cases, report.rows, report.first_break), (1, 8, None));
    let templates: Vec<(String, Option<i64>)> = outbox::Entity::find()
        .filter(outbox::Column::CaseId.eq(case.id))
        .all(db.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.template, r.recipient_account_id))
        .collect();
    let (holder, reviewer) = (Some(p.applicant.id), Some(p.reviewer.id));
    let expected = [
        ("case_received", holder),
        ("payment_received", holder),
        ("supplement_requested", holder),
        ("supplement_received", holder),
        ("supplement_received_officer", reviewer),
        ("issued", holder),
    ];
    assert_eq!(templates, expected.map(|(t, a)| (t.to_string(), a)));
}

async fn a_stale_version_loses_and_writes_nothing(db: TestDb) {
    let p = people(&db).await;
    let card = add_card(&db, "A80000001", "2027-02-28").await;
    let filed = file(
        db.store.db(),
        db.rules(),
        actor(&p.applicant, Role::Applicant),
        &new_case(&card, &p.applicant, 3500),
        now(),
    )
    .await
    .unwrap();
    // via the engine: the caller says which version it saw
    let body = payload(json!({"amount_twd": 3500, "receipt_no": "R-9"}));
    let req = EventRequest {
        event: "pay",
        expected_version: Some(7),
        payload: &body,
        reassign_target: None,
        attachments: &[],
    };
    let refused = fire(
        db.store.db(),
        db.rules(),
        actor(&p.cashier, Role::Cashier),
        &filed.case_number,
        req,
        now(),
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(FireError::Refused(Refusal::VersionConflict { expected: 7, actual: 1 }))
        ),
        "{refused:?}"
    );
    // via the store: a decision made on version 1 applied after the case moved on
    let loaded = goldcard_store::cases::load(db.store.db(), &filed.case_number, &db.catalogs.catalog)
        .await
        .unwrap()
        .unwrap();
    let decision = db
        .workflow
        .decide(
            &loaded.facts,
            &actor(&p.cashier, Role::Cashier),
            &EventRequest {
                event: "pay",
                expected_version: None,
                payload: &body,
                reassign_target: None,
                attachments: &[],
            },
            &db.rules().env(now()),
        )
        .unwrap();
    apply(db.store.db(), &db.workflow, Subject::of(&loaded.row), &decision, now())
        .await
        .unwrap();
    let again = apply(db.store.db(), &db.workflow, Subject::of(&loaded.row), &decision, now()).await;
    assert!(
        matches!(again, Err(StoreError::VersionConflict { expected: 1, actual: 2 })),
        "{again:?}"
    );
    assert_eq!(audit_rows(&db, filed.case_id).await, 2);
    assert_eq!(
        outbox::Entity::find().count(db.store.db()).await.unwrap(),
        2,
        "case_received + payment_received only"
    );
}

async fn concurrent_conflicting_events_have_one_winner(db: TestDb) {
    let p = people(&db).await;
    let card = add_card(&db, "A80000002", "2027-02-28").await;
    let filed = file(
        db.store.db(),
        db.rules(),
        actor(&p.applicant, Role::Applicant),
        &new_case(&card, &p.applicant, 3500),
        now(),
    )
    .await
    .unwrap();
    fire_at(
        &db,
        actor(&p.cashier, Role::Cashier),
        &filed.case_number,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": "R-2"}),
        now(),
    )
    .await
    .unwrap();
    let mut reviewers = Vec::new();
    for i in 0..16 {
        reviewers.push(db.account(&format!("reviewer{i}"), Role::LaborReviewer).await);
    }
    let db = std::sync::Arc::new(db);
    let tasks: Vec<_> = reviewers
        .iter()
        .map(|r| {
            let db = db.clone();
            let who = actor(r, Role::LaborReviewer);
            let n = filed.case_number.clone();
            tokio::spawn(async move { fire_at(&db, who, &n, "claim", json!({}), now()).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(FireError::Refused(Refusal::VersionConflict { .. } | Refusal::InvalidTransition { .. })) => {}
            Err(other) => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let claims = audit_log::Entity::find()
        .filter(audit_log::Column::CaseId.eq(filed.case_id))
        .filter(audit_log::Column::Event.eq("claim"))
        .count(db.store.db())
        .await
        .unwrap();
    assert_eq!(claims, 1);
    assert_eq!(audit::verify(db.store.db()).await.unwrap().first_break, None);
}

async fn one_pending_extension_per_card(db: TestDb) {
    let p = people(&db).await;
    let card = add_card(&db, "A80000003", "2027-02-28").await;
    let me = actor(&p.applicant, Role::Applicant);
    let first = file(
        db.store.db(),
        db.rules(),
        me,
        &new_case(&card, &p.applicant, 3500),
        now(),
    )
    .await
    .unwrap();
    let second = file(
        db.store.db(),
        db.rules(),
        me,
        &new_case(&card, &p.applicant, 3500),
        now(),
    )
    .await;
    assert!(
        matches!(second, Err(FireError::Store(StoreError::ExtensionPending))),
        "{second:?}"
    );
    assert_eq!(
        cases::Entity::find().count(db.store.db()).await.unwrap(),
        1,
        "nothing partial written"
    );
    fire_at(&db, me, &first.case_number, "withdraw", json!({}), now())
        .await
        .unwrap();
    let third = file(
        db.store.db(),
        db.rules(),
        me,
        &new_case(&card, &p.applicant, 3500),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        third.case_number, "115550000002",
        "the refused filing rolled its number back: no gap"
    );
}

async fn a_receipt_is_recorded_once(db: TestDb) {
    let p = people(&db).await;
    let me = actor(&p.applicant, Role::Applicant);
    let c1 = add_card(&db, "A80000004", "2027-02-28").await;
    let c2 = add_card(&db, "A80000005", "2027-02-28").await;
    let a = file(db.store.db(), db.rules(), me, &new_case(&c1, &p.applicant, 3500), now())
        .await
        .unwrap();
    let b = file(db.store.db(), db.rules(), me, &new_case(&c2, &p.applicant, 3500), now())
        .await
        .unwrap();
    let cashier = actor(&p.cashier, Role::Cashier);
    fire_at(
        &db,
        cashier,
        &a.case_number,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": "SAME"}),
        now(),
    )
    .await
    .unwrap();
    let dup = fire_at(
        &db,
        cashier,
        &b.case_number,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": "SAME"}),
        now(),
    )
    .await;
    assert!(
        matches!(dup, Err(FireError::Store(StoreError::DuplicateReceipt(_)))),
        "{dup:?}"
    );
    assert_eq!(audit_rows(&db, b.case_id).await, 1, "the refused payment left no trace");
}

async fn audit_verify_catches_edits_and_deletions(db: TestDb) {
    let p = people(&db).await;
    let me = actor(&p.applicant, Role::Applicant);
    let c = add_card(&db, "A80000006", "2027-02-28").await;
    let filed = file(db.store.db(), db.rules(), me, &new_case(&c, &p.applicant, 3500), now())
        .await
        .unwrap();
    let n = filed.case_number.clone();
    fire_at(
        &db,
        actor(&p.cashier, Role::Cashier),
        &n,
        "pay",
        json!({"amount_twd": 3500, "receipt_no": "R-7"}),
        now(),
    )
    .await
    .unwrap();
    fire_at(
        &db,
        actor(&p.reviewer, Role::LaborReviewer),
        &n,
        "claim",
        json!({}),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(audit::verify(db.store.db()).await.unwrap().first_break, None);
    let conn = db.store.db().clone();
    let sql = |s: String| {
        let conn = conn.clone();
        async move { conn.execute_unprepared(&s).await.unwrap() }
    };
    let id = filed.case_id;

    sql(format!(
        "UPDATE audit_log SET payload = '{{\"amount_twd\":1}}' WHERE case_id = {id} AND seq = 2"
    ))
    .await;
    let b = audit::verify(db.store.db()).await.unwrap().first_break.unwrap();
    assert_eq!((b.case_number.as_str(), b.seq), (n.as_str(), 2));

    let row = audit_log::Entity::find()
        .filter(audit_log::Column::CaseId.eq(id))
        .filter(audit_log::Column::Seq.eq(1))
        .one(db.store.db())
        .await
        .unwrap()
        .unwrap();
    let digest2 = audit::digest("{\"amount_twd\":3500,\"receipt_no\":\"R-7\"}");
    sql(format!("UPDATE audit_log SET payload = '{{\"amount_twd\":3500,\"receipt_no\":\"R-7\"}}', payload_digest = '{digest2}' WHERE case_id = {id} AND seq = 2")).await;
    assert_eq!(
        audit::verify(db.store.db()).await.unwrap().first_break,
        None,
        "restored"
    );
    sql(format!(
        "UPDATE audit_log SET actor_role = 'admin' WHERE id = {}",
        row.id
    ))
    .await;
    assert_eq!(audit::verify(db.store.db()).await.unwrap().first_break.unwrap().seq, 1);
    sql(format!(
        "UPDATE audit_log SET actor_role = 'applicant' WHERE id = {}",
        row.id
    ))
    .await;

    sql(format!("DELETE FROM audit_log WHERE case_id = {id} AND seq = 3")).await;
    let b = audit::verify(db.store.db()).await.unwrap().first_break.unwrap();
    assert!(b.problem.contains("chain ends at 2"), "{b:?}");
    sql(format!("DELETE FROM audit_log WHERE case_id = {id} AND seq = 2")).await;
    sql(format!("UPDATE cases SET audit_seq = 3 WHERE id = {id}")).await;
    let b = audit::verify(db.store.db()).await.unwrap().first_break.unwrap();
    assert!(
        b.problem.contains("missing") || b.problem.contains("chain ends"),
        "{b:?}"
    );
}

async fn card_import_is_all_or_nothing(db: TestDb) {
    let good = ui("A80000007");
    let csv = format!(
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,hk_macau\n\
         {good},1990-01-02,Doe,Jane,US,jane@example.com,digital,2027-01-01,\n\
         A800000015,1990-01-02,Roe,Rick,US,rick@example.com,digital,2027-01-01,\n\
         {good},1990-02-30,Poe,Edgar,GB,not-an-email,cooking,2027-01-01,maybe\n"
    );
    let errors = parse_csv(csv.as_bytes(), &db.catalogs.catalog).unwrap_err();
    let lines: Vec<(u64, Option<&str>)> = errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
    assert!(lines.contains(&(3, Some("ui_number"))), "{errors:?}");
    for col in ["birth_date", "email", "field", "hk_macau", "ui_number"] {
        assert!(lines.contains(&(4, Some(col))), "line 4 {col}: {errors:?}");
    }
    assert_eq!(card::Entity::find().count(db.store.db()).await.unwrap(), 0);

    let ok = format!(
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,criterion\n\
         {good},1990-01-02,Doe,Jane,HK,jane@example.com,finance,2027-01-01,1\n"
    );
    let rows = parse_csv(ok.as_bytes(), &db.catalogs.catalog).unwrap();
    assert!(rows[0].hk_macau, "HK nationality means a Hong Kong resident");
    cards::import(db.store.db(), &rows, now()).await.unwrap();
    let again = ok.replace("2027-01-01", "2028-01-01");
    cards::import(
        db.store.db(),
        &parse_csv(again.as_bytes(), &db.catalogs.catalog).unwrap(),
        now(),
    )
    .await
    .unwrap();
    let all = card::Entity::find().all(db.store.db()).await.unwrap();
    assert_eq!(
        (all.len(), all[0].expires_on),
        (1, date("2028-01-01")),
        "re-import updates"
    );

    let missing = "ui_number,birth_date\nX,1990-01-01\n";
    let errors = parse_csv(missing.as_bytes(), &db.catalogs.catalog).unwrap_err();
    assert!(errors.iter().all(|e| e.line == 1) && errors.len() == 6, "{errors:?}");
}

async fn tokens_identify_accounts_until_revoked(db: TestDb) {
    use goldcard_store::accounts;
    let a = db.account("clerk", Role::Helpdesk).await;
    let token = accounts::create_token(db.store.db(), a.id, "cli", None, now())
        .await
        .unwrap();
    assert!(token.starts_with("gct_"));
    let found = accounts::account_for_token(db.store.db(), &token, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, a.id);
    assert!(
        accounts::account_for_token(db.store.db(), "gct_nope", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(accounts::revoke_token(db.store.db(), &token, now()).await.unwrap());
    assert!(
        accounts::account_for_token(db.store.db(), &token, now())
            .await
            .unwrap()
            .is_none()
    );
    // an expiring token works until its expiry, and no token outlives its account's activity
    let later = now() + chrono::TimeDelta::hours(1);
    let expiring = accounts::create_token(db.store.db(), a.id, "cli", Some(later), now())
        .await
        .unwrap();
    let live = accounts::account_for_token(db.store.db(), &expiring, now())
        .await
        .unwrap();
    assert_eq!(live.map(|f| f.id), Some(a.id));
    let after = accounts::account_for_token(db.store.db(), &expiring, later)
        .await
        .unwrap();
    assert!(after.is_none(), "expired");
    accounts::set_active(db.store.db(), a.id, false).await.unwrap();
    let inactive = accounts::account_for_token(db.store.db(), &expiring, now())
        .await
        .unwrap();
    assert!(inactive.is_none(), "the account is deactivated");
    accounts::set_active(db.store.db(), a.id, true).await.unwrap();
    let stored: Vec<String> = goldcard_store::entity::api_tokens::Entity::find()
        .all(db.store.db())
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.token_hash)
        .collect();
    assert!(!stored.contains(&token), "only the digest is stored");
    let dup = accounts::create(
        db.store.db(),
        accounts::NewAccount {
            login: accounts::Login::parse("CLERK").unwrap(),
            email: goldcard_domain::Email::parse("x@example.tw").unwrap(),
            display_name: "x".into(),
            role: Role::Helpdesk,
            password: None,
            locale: "en".into(),
        },
        now(),
    )
    .await;
    assert!(matches!(dup, Err(StoreError::Duplicate(_))), "{dup:?}");
}

async fn carried_over_documents_are_attached_at_filing(db: TestDb) {
    let p = people(&db).await;
    let c = add_card(&db, "A80000008", "2027-02-28").await;
    let doc = documents::create(
        db.store.db(),
        NewDocument {
            sha256: "cd".repeat(32),
            size: 3,
            content_type: "application/pdf".into(),
            original_name: "old.pdf".into(),
            doc_type: "resume".into(),
            uploaded_by: p.applicant.id,
        },
        now(),
    )
    .await
    .unwrap();
    let mut nc = new_case(&c, &p.applicant, 3500);
    nc.documents = vec![NewCaseDocument {
        document_id: doc.id,
        doc_type: "resume".into(),
        carried_over: true,
    }];
    let filed = file(
        db.store.db(),
        db.rules(),
        actor(&p.applicant, Role::Applicant),
        &nc,
        now(),
    )
    .await
    .unwrap();
    let rows = goldcard_store::entity::case_documents::Entity::find()
        .filter(goldcard_store::entity::case_documents::Column::CaseId.eq(filed.case_id))
        .all(db.store.db())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].carried_over);
}

/// The plan of `stmt`, a line per node, read on `db`'s own backend. On PostgreSQL
/// sequential and bitmap scans are off, so that the planner's choice for a small table
/// falls on an index (PostgreSQL 15 counts `enable_indexscan = off` against index-only
/// scans too, so that one stays on).
async fn plan(db: &TestDb, stmt: &sea_orm::sea_query::SelectStatement) -> Vec<String> {
    use sea_orm::{DatabaseBackend, Statement, TransactionTrait};
    let backend = db.store.db().get_database_backend();
    let built = backend.build(stmt);
    let txn = db.store.db().begin().await.unwrap();
    let (sql, column) = match backend {
        DatabaseBackend::Sqlite => (format!("EXPLAIN QUERY PLAN {}", built.sql), 3),
        _ => {
            for off in ["enable_seqscan", "enable_bitmapscan"] {
                txn.execute_unprepared(&format!("SET LOCAL {off} = off")).await.unwrap();
            }
            (format!("EXPLAIN {}", built.sql), 0)
        }
    };
    let rows = txn.query_all_raw(Statement { sql, ..built }).await.unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(column).unwrap())
        .collect()
}

/// Copies of `case` in every state a tab shows (`copies` of them), written by plain SQL: the
/// planner's statistics need rows, and the rows' content does not matter here.
async fn copies_in_every_state(db: &TestDb, case_id: i64, copies: u32) {
    use sea_orm::Iterable;
    let column = |c: cases::Column| -> String {
        use sea_orm::sea_query::Iden;
        c.to_string()
    };
    let mut into = Vec::new();
    let mut from = Vec::new();
    for c in cases::Column::iter() {
        let expr = match c {
            cases::Column::Id => continue,
            cases::Column::CaseNumber => "c.case_number || '-' || n.i".to_string(),
            cases::Column::OpenCardId | cases::Column::ReceiptNo => "NULL".to_string(),
            cases::Column::State => "CASE n.i % 7 WHEN 0 THEN 'paid' WHEN 1 THEN 'labor_review' \
                 WHEN 2 THEN 'immigration_review' WHEN 3 THEN 'supplement' WHEN 4 THEN 'supplement' \
                 WHEN 5 THEN 'issued' ELSE 'submitted' END"
                .to_string(),
            cases::Column::ReturnState => "CASE n.i % 7 WHEN 3 THEN 'labor_review' \
                 WHEN 4 THEN 'immigration_review' ELSE NULL END"
                .to_string(),
            other => format!("c.{}", column(other)),
        };
        into.push(column(c));
        from.push(expr);
    }
    let sql = format!(
        "INSERT INTO cases ({}) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies}) \
         SELECT {} FROM cases c CROSS JOIN n WHERE c.id = {case_id}",
        into.join(", "),
        from.join(", ")
    );
    db.store.db().execute_unprepared(&sql).await.unwrap();
}

async fn every_tab_is_counted_from_an_index_alone(db: TestDb) {
    use goldcard_store::queues::{self, Filter, Queue, Reader};
    let postgres = db.store.db().get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let p = people(&db).await;
    let card = add_card(&db, "A80000007", "2027-02-28").await;
    let me = actor(&p.applicant, Role::Applicant);
    let filed = file(
        db.store.db(),
        db.rules(),
        me,
        &new_case(&card, &p.applicant, 3500),
        now(),
    )
    .await
    .unwrap();
    copies_in_every_state(&db, filed.case_id, 700).await;
    if postgres {
        // statistics and a visibility map, as a database in use has: PostgreSQL plans an
        // index-only scan for a table whose pages are all visible
        db.store.db().execute_unprepared("VACUUM ANALYZE cases").await.unwrap();
    }
    let mut checked = Vec::new();
    for agency in ["labor", "immigration"] {
        let reader = Reader { agency, account_id: 1 };
        for queue in Queue::ALL {
            let Ok(cond) = queues::condition(&db.workflow, queue, &reader, &Filter::default(), date("2026-11-25"))
            else {
                continue;
            };
            let plan = plan(&db, &queues::count_up_to_statement(cond, 10_001)).await;
            let reads = plan.iter().filter(|l| l.contains("cases")).collect::<Vec<_>>();
            assert!(!reads.is_empty(), "{agency} {queue:?}: {plan:?}");
            for line in reads {
                let alone = if postgres {
                    line.contains("Index Only Scan")
                } else {
                    line.contains("COVERING INDEX")
                };
                assert!(
                    alone,
                    "the {agency} {} tab reads the cases table: {plan:?}",
                    queue.as_str()
                );
            }
            checked.push(format!("{agency}:{}", queue.as_str()));
        }
    }
    // both agencies' tabs, the supplement tab of each among them
    assert!(checked.contains(&"labor:supplement".to_string()), "{checked:?}");
    assert!(checked.contains(&"immigration:supplement".to_string()), "{checked:?}");
    assert!(checked.len() >= 8, "{checked:?}");
}

on_both! {
    migrations => migrations_and_catalogs_are_idempotent;
    lifecycle => the_whole_lifecycle_is_written_atomically_and_verifies;
    stale_version => a_stale_version_loses_and_writes_nothing;
    concurrency => concurrent_conflicting_events_have_one_winner;
    pending => one_pending_extension_per_card;
    receipts => a_receipt_is_recorded_once;
    audit_tamper => audit_verify_catches_edits_and_deletions;
    card_import => card_import_is_all_or_nothing;
    tokens => tokens_identify_accounts_until_revoked;
    carry_over => carried_over_documents_are_attached_at_filing;
    tab_counts => every_tab_is_counted_from_an_index_alone;
}
