//! Demo data and synthetic load data. Cases are filed and moved through the workflow
//! engine and the one atomic store function, exactly as people would move them.

use anyhow::{Context, anyhow};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use goldcard_domain::{
    CaseNumber, Email, FieldCode, Gender, Nationality, PassportNumber, UiNumber, ValidityYears, add_months_clamped,
    taipei_date,
};
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::blobs::BlobStore;
use goldcard_store::bulk;
use goldcard_store::cards::{self, CardRow};
use goldcard_store::entity::{accounts as account, cards as card, cases as case};
use goldcard_store::events::{self, Rules};
use goldcard_store::{NewCase, Store};
use goldcard_workflow::{Actor, EventRequest, Role};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value, json};
use std::collections::HashSet;

const FAMILY: [&str; 16] = [
    "Smith",
    "Tanaka",
    "Müller",
    "Garcia",
    "Kim",
    "Nguyen",
    "Rossi",
    "Dubois",
    "Novak",
    "Patel",
    "Cohen",
    "Silva",
    "Johansson",
    "O'Brien",
    "Chan",
    "Wong",
];
const GIVEN: [&str; 16] = [
    "Alex", "Yuki", "Lena", "Mateo", "Min-jun", "Linh", "Giulia", "Camille", "Petra", "Arjun", "Noa", "Rafael",
    "Astrid", "Siobhan", "Ka-ho", "Hoi-yan",
];
/// Nationalities with a realistic share of Hong Kong and Macau residents (~6 %).
const NATIONALITIES: [&str; 17] = [
    "US", "US", "JP", "JP", "GB", "DE", "FR", "KR", "IN", "CA", "AU", "MY", "SG", "IT", "NL", "HK", "MO",
];

/// A valid new-format UI number with a random body.
pub fn random_ui_number(rng: &mut impl Rng, female: bool) -> UiNumber {
    loop {
        let letter = char::from(b'A' + rng.random_range(0..26u8));
        let body: u32 = rng.random_range(0..10_000_000);
        let prefix = format!("{letter}{}{body:07}", if female { 9 } else { 8 });
        if let Some(ui) = (0..10).find_map(|d| UiNumber::parse(&format!("{prefix}{d}")).ok()) {
            return ui;
        }
    }
}

/// A random card expiring between `from` and `from + span_days`.
pub fn random_card(
    rng: &mut impl Rng,
    from: NaiveDate,
    span_days: i64,
    ui: UiNumber,
    catalog: &goldcard_domain::Catalog,
) -> anyhow::Result<CardRow> {
    let female = ui.as_str().as_bytes().get(1) == Some(&b'9');
    let family = FAMILY[rng.random_range(0..FAMILY.len())];
    let given = GIVEN[rng.random_range(0..GIVEN.len())];
    let nationality =
        Nationality::parse(NATIONALITIES[rng.random_range(0..NATIONALITIES.len())]).map_err(|e| anyhow!(e))?;
    let field = FieldCode::ALL[rng.random_range(0..FieldCode::ALL.len())];
    let f = catalog
        .field(field)
        .ok_or_else(|| anyhow!("catalog lacks {}", field.as_str()))?;
    let criterion = f.criteria[rng.random_range(0..f.criteria.len())].item.clone();
    let subfield = f.subfields.first().map(|s| s.code.clone());
    let expires_on = from + Duration::days(rng.random_range(0..=span_days));
    let passport = format!("P{:08}", rng.random_range(0..100_000_000u32));
    let email = format!(
        "{}.{}@example.com",
        given.to_lowercase().replace('-', ""),
        ui.as_str().to_lowercase()
    );
    Ok(CardRow {
        birth_date: NaiveDate::from_ymd_opt(
            rng.random_range(1960..2000),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .ok_or_else(|| anyhow!("bad birth date"))?,
        family_name: family.to_string(),
        given_name: given.to_string(),
        chinese_name: None,
        gender: Some(if female { Gender::F } else { Gender::M }),
        hk_macau: nationality.is_hk_macau(),
        nationality,
        email: Email::parse(&email).map_err(|e| anyhow!(e))?,
        field,
        criterion: Some(criterion),
        subfield,
        passport_number: Some(PassportNumber::parse(&passport).map_err(|e| anyhow!(e))?),
        passport_expires_on: Some(add_months_clamped(expires_on, 36)),
        ui_number: ui,
        expires_on,
    })
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Generates `n` synthetic cards whose expiry dates spread from two months ago to three
/// years ahead, so every filing-window status is represented.
pub async fn synthetic_cards(
    load: &bulk::BulkLoad,
    catalog: &goldcard_domain::Catalog,
    n: u64,
    now: DateTime<Utc>,
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let today = taipei_date(now);
    let mut seen: HashSet<String> = card::Entity::find()
        .select_only()
        .column(card::Column::UiNumber)
        .into_tuple::<String>()
        .all(load.txn())
        .await?
        .into_iter()
        .collect();
    let pb = bar(n, "cards");
    // each batch is generated on a thread of its own while the one before it is written
    // (`alongside`), as the cases below are
    let mut before: Vec<CardRow> = Vec::new();
    let mut made = 0u64;
    loop {
        let size = Ord::min(CARD_BATCH, n - made);
        if size == 0 && before.is_empty() {
            break;
        }
        let generate = || {
            let mut batch = Vec::with_capacity(usize::try_from(size)?);
            for _ in 0..size {
                let ui = loop {
                    let female = rng.random_bool(0.4);
                    let ui = random_ui_number(&mut rng, female);
                    if seen.insert(ui.as_str().to_string()) {
                        break ui;
                    }
                };
                batch.push(random_card(&mut rng, today - Duration::days(60), 365 * 3, ui, catalog)?);
            }
            anyhow::Ok(batch)
        };
        let write = async {
            if !before.is_empty() {
                cards::import(load.txn(), &before, now).await?;
            }
            anyhow::Ok(before.len() as u64)
        };
        let (wrote, generated) = alongside(write, generate);
        pb.inc(wrote?);
        before = generated?;
        made += size;
    }
    pb.finish();
    Ok(())
}

/// Cards generated, and written, per batch.
const CARD_BATCH: u64 = 50_000;

/// The events that take a new case into each state of the workflow, in turn: submitted,
/// paid, labor_review, supplement, immigration_review, issued, rejected, withdrawn.
const WALKS: [&[&str]; 8] = [
    &[],
    &["pay"],
    &["pay", "claim"],
    &["pay", "claim", "request_supplement"],
    &["pay", "claim", "approve"],
    &["pay", "claim", "approve", "claim", "issue"],
    &["pay", "claim", "reject"],
    &["withdraw"],
];

/// The demo accounts: one per role (two reviewers and two officers), sharing a password.
pub const DEMO_ACCOUNTS: [(&str, Role, &str); 13] = [
    ("holder", Role::Applicant, "Demo Holder 示範持卡人"),
    ("employer", Role::Applicant, "Demo Employer 示範雇主"),
    ("agency", Role::Applicant, "Demo Agency 示範代辦機構"),
    ("reviewer1", Role::LaborReviewer, "勞動力發展署 審查員一"),
    ("reviewer2", Role::LaborReviewer, "勞動力發展署 審查員二"),
    ("labor.supervisor", Role::LaborSupervisor, "勞動力發展署 科長"),
    ("officer1", Role::ImmigrationOfficer, "移民署 專員一"),
    ("officer2", Role::ImmigrationOfficer, "移民署 專員二"),
    ("nia.supervisor", Role::ImmigrationSupervisor, "移民署 科長"),
    ("helpdesk", Role::Helpdesk, "就業金卡辦公室 客服"),
    ("cashier", Role::Cashier, "櫃台出納"),
    ("gateway", Role::PaymentGateway, "Payment gateway"),
    ("admin", Role::Admin, "System administrator"),
];

/// What the demo created, to print on first run.
pub struct DemoSummary {
    /// The shared demo password.
    pub password: String,
    /// Logins and roles.
    pub accounts: Vec<(String, Role)>,
    /// Cards created.
    pub cards: usize,
    /// Cases created.
    pub cases: usize,
}

fn payload(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Loads the demo: accounts, a few hundred cards around their filing windows (including
/// the seed guide's F800001196), and cases in every state.
pub async fn demo(store: &Store, rules: Rules<'_>, now: DateTime<Utc>) -> anyhow::Result<DemoSummary> {
    let password = format!("demo-{}", hex_token(6));
    let mut made = Vec::new();
    for (login, role, name) in DEMO_ACCOUNTS {
        let has_password = role != Role::PaymentGateway;
        let a = accounts::create(
            store.db(),
            NewAccount {
                login: Login::parse(login)?,
                email: Email::parse(&format!("{login}@goldcard.example")).map_err(|e| anyhow!(e))?,
                display_name: name.to_string(),
                role,
                password: has_password.then(|| password.clone()),
                locale: if role == Role::Applicant { "en" } else { "zh-TW" }.to_string(),
            },
            now,
        )
        .await
        .with_context(|| format!("demo account {login}"))?;
        made.push(a);
    }
    let find = |login: &str| {
        made.iter()
            .find(|a| a.login == login)
            .cloned()
            .ok_or_else(|| anyhow!("no {login}"))
    };
    let holder = find("holder")?;

    // cards: the seed guide's example (window open today), then a spread around the windows
    let today = taipei_date(now);
    let mut rng = StdRng::seed_from_u64(115);
    let mut rows = Vec::new();
    let mut example = random_card(
        &mut rng,
        today,
        0,
        UiNumber::parse("F800001196").map_err(|e| anyhow!(e))?,
        &rules.catalogs.catalog,
    )?;
    example.expires_on = add_months_clamped(today, 3);
    example.family_name = "HUNT".into();
    example.given_name = "ETHAN".into();
    example.chinese_name = Some("呂測試".into());
    example.birth_date = NaiveDate::from_ymd_opt(1992, 5, 3).ok_or_else(|| anyhow!("date"))?;
    example.email = Email::parse("holder@goldcard.example").map_err(|e| anyhow!(e))?;
    rows.push(example);
    let mut seen = HashSet::from(["F800001196".to_string()]);
    while rows.len() < 300 {
        let female = rng.random_bool(0.4);
        let ui = random_ui_number(&mut rng, female);
        if seen.insert(ui.as_str().to_string()) {
            // from 2 months ago to 8 months ahead: expired, locked, open and not yet open
            rows.push(random_card(
                &mut rng,
                today - Duration::days(60),
                300,
                ui,
                &rules.catalogs.catalog,
            )?);
        }
    }
    cards::import(store.db(), &rows, now).await?;

    // cases: file on cards whose window is open, then move them along
    let open_cards = card::Entity::find()
        .filter(card::Column::ExpiresOn.gt(add_months_clamped(today, 1)))
        .filter(card::Column::ExpiresOn.lte(add_months_clamped(today, 4)))
        .filter(card::Column::UiNumber.ne("F800001196"))
        .order_by_asc(card::Column::Id)
        .limit(40)
        .all(store.db())
        .await?;
    let mut cases = 0;
    for (i, c) in open_cards.iter().enumerate() {
        let steps = WALKS[i % WALKS.len()];
        let filer = if i % 3 == 0 { find("employer")? } else { holder.clone() };
        file_and_walk(
            store,
            rules,
            &filer,
            c,
            steps,
            &made,
            now - Duration::hours(2) + Duration::seconds(i as i64),
        )
        .await?;
        cases += 1;
    }
    Ok(DemoSummary {
        password,
        accounts: made
            .iter()
            .filter_map(|a| a.role.parse().ok().map(|r| (a.login.clone(), r)))
            .collect(),
        cards: rows.len(),
        cases,
    })
}

fn hex_token(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

/// The NewCase a holder's card would be filed as (the fee from the seeds' table).
pub fn new_case_for(
    card: &card::Model,
    filer: &account::Model,
    rules: Rules<'_>,
    years: u8,
) -> anyhow::Result<NewCase> {
    let validity = ValidityYears::new(years).map_err(|e| anyhow!(e))?;
    let filer_kind = match filer.login.as_str() {
        "employer" => "employer",
        "agency" => "agency",
        _ => "self",
    };
    let fee = rules.catalogs.fees.extension_fee(validity, card.hk_macau);
    Ok(NewCase {
        kind: "extension".into(),
        card_id: card.id,
        filer_account_id: filer.id,
        filer: filer_kind.into(),
        applicant_name: format!("{} {}", card.given_name, card.family_name),
        applicant_email: card.email.clone(),
        ui_number: card.ui_number.clone(),
        passport_number: card.passport_number.clone(),
        nationality: card.nationality.clone(),
        field: card.field.clone(),
        criterion: card.criterion.clone().unwrap_or_else(|| "1".into()),
        subfield: card.subfield.clone(),
        hk_macau: card.hk_macau,
        expedite: false,
        validity_years: i32::from(years),
        fee_twd: i32::try_from(fee.0)?,
        form: json!({
            "filer": filer_kind,
            "ui_number": card.ui_number,
            "basic": {"family_name": card.family_name, "given_name": card.given_name, "email": card.email,
                      "nationality": card.nationality},
            "passport": {"update": false, "number": card.passport_number},
            "residence": {"validity_years": years},
            "field": {"field": card.field, "criterion": card.criterion, "subfield": card.subfield},
        }),
        documents: vec![],
        consent_id: None,
    })
}

async fn file_and_walk(
    store: &Store,
    rules: Rules<'_>,
    filer: &account::Model,
    card: &card::Model,
    steps: &[&str],
    people: &[account::Model],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let new = new_case_for(card, filer, rules, 1 + (card.id % 3) as u8)?;
    let filed = events::file(
        store.db(),
        rules,
        Actor {
            account_id: filer.id,
            role: Role::Applicant,
        },
        &new,
        now,
    )
    .await?;
    let who = |login: &str, role: Role| -> anyhow::Result<Actor> {
        let a = people
            .iter()
            .find(|a| a.login == login)
            .ok_or_else(|| anyhow!("no {login}"))?;
        Ok(Actor { account_id: a.id, role })
    };
    let mut claims = 0;
    for (k, step) in steps.iter().enumerate() {
        let at = now + Duration::minutes(k as i64 + 1);
        let (actor, body) = match *step {
            "pay" => (
                who("cashier", Role::Cashier)?,
                json!({"amount_twd": new.fee_twd, "receipt_no": format!("DEMO-{}", filed.case_number)}),
            ),
            "claim" => {
                claims += 1;
                if claims == 1 {
                    (who("reviewer1", Role::LaborReviewer)?, json!({}))
                } else {
                    (who("officer1", Role::ImmigrationOfficer)?, json!({}))
                }
            }
            "request_supplement" => (
                who("reviewer1", Role::LaborReviewer)?,
                json!({"items": [{"doc_type": "salary_proof", "note": "請補附最近三個月薪資單 / Payslips for the last three months"}]}),
            ),
            "approve" => (who("reviewer1", Role::LaborReviewer)?, json!({})),
            "issue" => (who("officer1", Role::ImmigrationOfficer)?, json!({})),
            "reject" => (
                who("reviewer1", Role::LaborReviewer)?,
                json!({"grounds": "not_eligible", "reason": "月薪未達新臺幣十六萬元 / Monthly salary below NT$160,000",
                       "legal_basis": "外國專業人才延攬及僱用法第8條"}),
            ),
            "withdraw" => (
                Actor {
                    account_id: filer.id,
                    role: Role::Applicant,
                },
                json!({}),
            ),
            other => return Err(anyhow!("unknown demo step {other}")),
        };
        let p = payload(body);
        let req = EventRequest {
            event: step,
            expected_version: None,
            payload: &p,
            reassign_target: None,
            attachments: &[],
        };
        events::fire(store.db(), rules, actor, &filed.case_number, req, at)
            .await
            .with_context(|| format!("demo case {}: {step}", filed.case_number))?;
    }
    Ok(())
}

/// How synthetic histories end, with their share of a generated set (in ‰): most cases
/// are decided, about a fifth are somewhere in review. Each walk is a list of events after
/// filing; the engine decides every one.
const SYNTHETIC_WALKS: [(u32, &[&str]); 10] = [
    (60, &[]),
    (80, &["pay"]),
    (70, &["pay", "claim"]),
    (30, &["pay", "claim", "consult"]),
    (40, &["pay", "claim", "request_supplement"]),
    (60, &["pay", "claim", "approve"]),
    (540, &["pay", "claim", "approve", "claim", "issue"]),
    (50, &["pay", "claim", "reject"]),
    (20, &["withdraw"]),
    (50, &["pay", "claim", "withdraw"]),
];

/// The walk of the `i`-th synthetic case: the shares above, interleaved.
fn synthetic_walk(rng: &mut impl Rng) -> &'static [&'static str] {
    let mut pick = rng.random_range(0..1000u32);
    for (share, walk) in SYNTHETIC_WALKS {
        if pick < share {
            return walk;
        }
        pick -= share;
    }
    SYNTHETIC_WALKS[0].1
}

/// A one-page PDF every synthetic document's metadata points to (content-addressed, so
/// the blob store keeps it once).
const SAMPLE_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Cards read per batch of synthetic cases.
const CASE_BATCH: u64 = 10_000;

/// Files `n` synthetic cases on cards without an open case and walks each through the
/// workflow: every event is decided by the engine on the facts the previous one left
/// (see `goldcard_store::bulk`), and the histories are written in batches. Filing dates
/// spread over this year; open cases were filed in the last six weeks.
pub async fn synthetic_cases(
    load: &mut bulk::BulkLoad,
    blobs: &BlobStore,
    rules: Rules<'_>,
    n: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let people = staff(load.txn(), now).await?;
    let who = |login: &str| -> anyhow::Result<Actor> {
        let a = people
            .iter()
            .find(|a| a.login == login)
            .ok_or_else(|| anyhow!("no {login}"))?;
        Ok(Actor {
            account_id: a.id,
            role: a.role.parse().map_err(|e| anyhow!("{e}"))?,
        })
    };
    let filers = [who("holder")?, who("employer")?, who("agency")?];
    let cashier = who("cashier")?;
    let reviewers = [who("reviewer1")?, who("reviewer2")?];
    let officers = [who("officer1")?, who("officer2")?];
    let sha256 = blobs.put(SAMPLE_PDF)?;
    let year_start = chrono::NaiveDate::from_ymd_opt(taipei_date(now).year(), 1, 5)
        .and_then(|d| d.and_hms_opt(1, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| anyhow!("no start of year"))?;
    let days_this_year = Ord::max((now - year_start).num_days(), 11);

    // seeded by the first new case's id too, so that a second load draws other documents'
    // public ids
    let mut ids = load.numbering();
    let mut rng = StdRng::seed_from_u64(n ^ 0x5eed ^ (ids.next_case_id() as u64).rotate_left(32));
    let synth = Synth {
        rules,
        people: &people,
        filers,
        cashier,
        reviewers,
        officers,
        sha256,
        now,
        days_this_year,
    };
    let pb = bar(n, "cases");
    let mut after = 0i64;
    let mut read = 0u64;
    // the batch decided and prepared in the previous round, written while the next one is
    // decided and prepared on a thread of its own (`alongside`)
    let mut before = bulk::PreparedBatch::default();
    let mut cases_before = 0u64;
    loop {
        let page = if read < n {
            // cards after the last page: the cases the previous batch files are on cards
            // before it, so reading ahead of its write sees the same cards
            card::Entity::find()
                .filter(card::Column::Id.gt(after))
                // no open case: the unique index on open_card_id answers per card
                .filter(
                    Expr::exists(
                        Query::select()
                            .expr(Expr::val(1))
                            .from(case::Entity)
                            .and_where(
                                Expr::col((case::Entity, case::Column::OpenCardId))
                                    .equals((card::Entity, card::Column::Id)),
                            )
                            .to_owned(),
                    )
                    .not(),
                )
                .order_by_asc(card::Column::Id)
                .limit(Ord::min(CASE_BATCH, n - read))
                .all(load.txn())
                .await?
        } else {
            Vec::new()
        };
        if page.is_empty() && read < n {
            return Err(anyhow!(
                "only {read} cards can take a case: generate more cards first (--cards)"
            ));
        }
        if page.is_empty() && before.is_empty() {
            break;
        }
        if let Some(last) = page.last() {
            after = last.id;
        }
        let count = u32::try_from(page.len())?;
        read += u64::from(count);
        let numbers = if page.is_empty() {
            Vec::new()
        } else {
            load.reserve_numbers(rules, now, count).await?
        };
        let decide = || {
            let decided = page
                .iter()
                .zip(&numbers)
                .map(|(c, number)| synth.case(&mut rng, c, number))
                .collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::Ok(bulk::prepare(&mut ids, decided, now)?)
        };
        let (wrote, prepared) = alongside(load.write(std::mem::take(&mut before)), decide);
        wrote?;
        pb.inc(cases_before);
        before = prepared?;
        cases_before = u64::from(count);
    }
    pb.finish();
    Ok(())
}

/// Runs `write` to completion on this thread while `work` runs on a thread of its own:
/// the next batch is made on one core while the database's side takes the current one on
/// the other, instead of the two taking turns. `write` is driven by the runtime this is
/// called from (a multi-threaded one, which lets this thread block).
fn alongside<W, F, T>(write: W, work: F) -> (W::Output, T)
where
    W: std::future::Future,
    F: FnOnce() -> T + Send,
    T: Send,
{
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let worker = scope.spawn(work);
            let wrote = tokio::runtime::Handle::current().block_on(write);
            let made = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (wrote, made)
        })
    })
}

/// What every synthetic case of one load draws on.
struct Synth<'a> {
    rules: Rules<'a>,
    people: &'a [account::Model],
    filers: [Actor; 3],
    cashier: Actor,
    reviewers: [Actor; 2],
    officers: [Actor; 2],
    sha256: String,
    now: DateTime<Utc>,
    days_this_year: i64,
}

impl Synth<'_> {
    /// A synthetic history on card `c`, decided by the engine.
    fn case(&self, rng: &mut StdRng, c: &card::Model, number: &CaseNumber) -> anyhow::Result<bulk::DecidedCase> {
        let (rules, now) = (self.rules, self.now);
        let walk = synthetic_walk(rng);
        let open = !walk.ends_with(&["issue"]) && !walk.ends_with(&["reject"]) && !walk.ends_with(&["withdraw"]);
        let age_days = if open {
            rng.random_range(1..42)
        } else {
            rng.random_range(10..self.days_this_year)
        };
        let filed_at = now - Duration::days(age_days) - Duration::minutes(rng.random_range(0..600));
        let gap = (now - filed_at) / (walk.len() as i32 + 2);
        let filer_account = self.filers[rng.random_range(0..self.filers.len())];
        let filer = self
            .people
            .iter()
            .find(|a| a.id == filer_account.account_id)
            .ok_or_else(|| anyhow!("no filer"))?;
        let new = new_case_for(c, filer, rules, 1 + (c.id % 3) as u8)?;
        let reviewer = self.reviewers[rng.random_range(0..2)];
        let officer = self.officers[rng.random_range(0..2)];
        let cashier = self.cashier;
        let mut claims = 0;
        let steps = walk
            .iter()
            .enumerate()
            .map(|(k, step)| {
                let (actor, body) = match *step {
                    "pay" => (
                        cashier,
                        json!({"amount_twd": new.fee_twd, "receipt_no": format!("SEED-{}", number.as_str())}),
                    ),
                    "claim" => {
                        claims += 1;
                        (if claims == 1 { reviewer } else { officer }, json!({}))
                    }
                    "consult" | "approve" => (reviewer, json!({})),
                    "request_supplement" => (
                        reviewer,
                        json!({"items": [{"doc_type": "salary_proof", "note": "請補附最近三個月薪資單 / Payslips for the last three months"}]}),
                    ),
                    "issue" => (officer, json!({})),
                    "reject" => (
                        reviewer,
                        json!({"grounds": "not_eligible", "reason": "月薪未達新臺幣十六萬元 / Monthly salary below NT$160,000",
                               "legal_basis": "外國專業人才延攬及僱用法第8條"}),
                    ),
                    // before payment the filer withdraws; after it, the officer records
                    // the holder's written request
                    "withdraw" if k == 0 => (filer_account, json!({})),
                    "withdraw" => (
                        reviewer,
                        json!({"reason": "申請人書面撤回 / written request of the applicant"}),
                    ),
                    other => return Err(anyhow!("unknown synthetic step {other}")),
                };
                Ok(bulk::ImportStep {
                    actor,
                    event: (*step).to_string(),
                    payload: payload(body),
                    at: filed_at + gap * (k as i32 + 1),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let field = FieldCode::parse(&c.field).map_err(|e| anyhow!("{e}"))?;
        let choice = goldcard_domain::filing::FieldChoice {
            field,
            criterion: new.criterion.clone(),
            subfield: new.subfield.clone(),
        };
        let documents = goldcard_domain::filing::required_documents(&rules.catalogs.catalog, Some(&choice), false)
            .into_iter()
            .map(|doc_type| bulk::ImportDocument {
                public_id: format!("doc_{:024x}", rng.random::<u128>() >> 32),
                sha256: self.sha256.clone(),
                size: SAMPLE_PDF.len() as i64,
                content_type: "application/pdf".into(),
                original_name: format!("{doc_type}.pdf"),
                doc_type,
            })
            .collect();
        let case = bulk::ImportCase {
            new,
            filed_by: filer_account,
            filed_at,
            card_expires_on: c.expires_on,
            documents,
            steps,
        };
        bulk::decide(rules, number, &case)
            .with_context(|| format!("synthetic case {} on card {}", number.as_str(), c.ui_number))
    }
}

/// Ends a load: builds its indexes again (a spinner names each) and commits.
pub async fn finish(load: bulk::BulkLoad) -> anyhow::Result<()> {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{msg:>8} {spinner} {wide_msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb.set_message("indexes");
    load.finish(|name| pb.set_message(format!("indexes: {name}"))).await?;
    pb.finish_with_message("indexes built, committed");
    Ok(())
}

/// The staff synthetic cases use: the demo accounts when present, created otherwise.
async fn staff<C: sea_orm::ConnectionTrait>(db: &C, now: DateTime<Utc>) -> anyhow::Result<Vec<account::Model>> {
    let mut out = Vec::new();
    for (login, role, name) in DEMO_ACCOUNTS {
        let a = match accounts::find_by_login(db, login).await? {
            Some(a) => a,
            None => {
                accounts::create(
                    db,
                    NewAccount {
                        login: Login::parse(login)?,
                        email: Email::parse(&format!("{login}@goldcard.example")).map_err(|e| anyhow!(e))?,
                        display_name: name.to_string(),
                        role,
                        password: None,
                        locale: "zh-TW".into(),
                    },
                    now,
                )
                .await?
            }
        };
        out.push(a);
    }
    Ok(out)
}
