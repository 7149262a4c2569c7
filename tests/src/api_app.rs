//! The JSON API test kit, shared by the request tests (`tests/api.rs`, `tests/hostile.rs`,
//! `tests/reliability.rs`): the real `goldcard serve` on a frozen clock, the accounts and
//! their bearer tokens made with the CLI, cards imported from CSV, reqwest as the client,
//! and the assertions on the error shape of interfaces.md.
#![allow(clippy::unwrap_used)]

use crate::{Db, Env, Server, text};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The frozen instant: 10:00 on 2026-11-25 in Taipei.
pub const NOW: &str = "2026-11-25T02:00:00Z";
/// The payment gateway's HMAC key.
pub const SECRET: &str = "e2e-payment-secret-0123456789";

/// The accounts every test gets: login → role.
pub const ACCOUNTS: [(&str, &str); 11] = [
    ("alice", "applicant"),
    ("bob", "applicant"),
    ("reviewer1", "labor_reviewer"),
    ("reviewer2", "labor_reviewer"),
    ("lsup", "labor_supervisor"),
    ("officer1", "immigration_officer"),
    ("officer2", "immigration_officer"),
    ("isup", "immigration_supervisor"),
    ("helpdesk", "helpdesk"),
    ("cashier", "cashier"),
    ("gateway", "payment_gateway"),
];

// ------------------------------------------------------------------ UI numbers

/// The check digit of domain.md: letter value (tens × 1 + units × 9), eight digits
/// weighted 8…1, plus the check digit, a multiple of 10.
pub fn letter_value(c: char) -> u32 {
    let table = "A10B11C12D13E14F15G16H17I34J18K19L20M21N22O35P23Q24R25S26T27U28V29W32X30Y31Z33";
    let i = table.find(c).unwrap();
    table[i + 1..i + 3].parse().unwrap()
}

/// A valid new-format UI number: `letter`, then `body` (8 digits, the first 8 or 9), then
/// the check digit.
pub fn ui_number(letter: char, body: &str) -> String {
    assert_eq!(body.len(), 8);
    let v = letter_value(letter);
    let mut sum = v / 10 + (v % 10) * 9;
    for (d, w) in body.chars().zip((1..=8).rev()) {
        sum += d.to_digit(10).unwrap() * w;
    }
    let check = (10 - sum % 10) % 10;
    format!("{letter}{body}{check}")
}

// ------------------------------------------------------------------ documents

/// A small valid PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
/// The start of a JFIF JPEG.
pub const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
    0x00, 0xFF, 0xD9,
];

/// The document types a digital / criterion 1 filing needs, with a file for each.
pub const FILING_DOCS: [(&str, &[u8], &str); 4] = [
    ("passport_copy", PDF, "passport.pdf"),
    ("photo", JPEG, "photo.jpg"),
    ("employment_certificate", PDF, "employment.pdf"),
    ("salary_proof", PNG, "salary.png"),
];

// ------------------------------------------------------------------ cards

/// A card to import.
#[derive(Clone)]
pub struct Card {
    /// UI number.
    pub ui: String,
    /// Birth date.
    pub birth: &'static str,
    /// Family name.
    pub family: &'static str,
    /// Given name.
    pub given: &'static str,
    /// Email.
    pub email: &'static str,
    /// The card's last valid day.
    pub expires_on: &'static str,
    /// Passport number.
    pub passport: &'static str,
    /// The card's nationality (`HK` makes it a Hong Kong resident's card).
    pub nationality: &'static str,
}

/// Open on 2026-11-25: opens 2026-10-15, locks 2027-01-15.
pub const OPEN: &str = "2027-02-15";
/// Opens 2027-02-28 (2027-06-30 − 4 months, clamped).
pub const NOT_YET_OPEN: &str = "2027-06-30";
/// Locked since 2026-11-10.
pub const LOCKED: &str = "2026-12-10";
/// Expired on 2026-11-20.
pub const EXPIRED: &str = "2026-11-20";

/// A card of ETHAN HUNT with this UI number, birth date and expiry.
pub fn card(ui: &str, birth: &'static str, expires_on: &'static str) -> Card {
    Card {
        ui: ui.to_string(),
        birth,
        family: "HUNT",
        given: "ETHAN",
        email: "ethan.hunt@example.com",
        expires_on,
        passport: "P12345678",
        nationality: "US",
    }
}

// ------------------------------------------------------------------ the running system

/// A running system and a client with every account's token.
pub struct App {
    // dropped in this order: the server stops before its directory goes
    /// The running `goldcard serve`.
    pub server: Server,
    /// Its working directory, database and environment.
    pub env: Env,
    /// The client.
    pub http: reqwest::Client,
    /// Bearer tokens by login.
    pub tokens: HashMap<&'static str, String>,
}

/// Imports `cards` with `goldcard cards import`.
pub fn import_cards(env: &Env, cards: &[Card]) {
    let mut csv = String::from(
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,criterion,passport_number\n",
    );
    for c in cards {
        csv.push_str(&format!(
            "{},{},{},{},{},{},digital,{},1,{}\n",
            c.ui, c.birth, c.family, c.given, c.nationality, c.email, c.expires_on, c.passport
        ));
    }
    let file = env.dir.path().join(format!("cards-{}.csv", cards.len()));
    std::fs::write(&file, csv).unwrap();
    let out = env.run(&["cards", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "cards import: {:?}", text(&out));
}

/// Status and body (JSON, or the text as a JSON string when it is not JSON).
pub type Answer = (u16, Value);

impl App {
    /// A started system on `db` with every account of [`ACCOUNTS`] and `cards` imported.
    pub async fn start(db: Db, cards: &[Card]) -> App {
        App::start_in(App::env(db).await, cards).await
    }

    /// The environment [`App::start`] uses (frozen clock, payment secret), to add to
    /// before [`App::start_in`].
    pub async fn env(db: Db) -> Env {
        let mut env = Env::new(db).await;
        env.set("GOLDCARD_NOW", NOW);
        env.set("GOLDCARD_PAYMENT_SECRET", SECRET);
        env
    }

    /// Starts `goldcard serve --no-demo` in `env`, adds the accounts and imports `cards`.
    pub async fn start_in(env: Env, cards: &[Card]) -> App {
        let server = env.serve(&["--no-demo"]).await;
        let mut tokens = HashMap::new();
        for (login, role) in ACCOUNTS {
            let email = format!("{login}@goldcard.example");
            let out = env.run(&["user", "add", "--login", login, "--email", &email, "--role", role]);
            assert!(out.status.success(), "user add {login}: {:?}", text(&out));
            let out = env.run(&["token", "create", "--login", login]);
            assert!(out.status.success(), "token create {login}: {:?}", text(&out));
            tokens.insert(login, text(&out).0.trim().to_string());
        }
        if !cards.is_empty() {
            import_cards(&env, cards);
        }
        App {
            server,
            env,
            http: reqwest::Client::new(),
            tokens,
        }
    }

    /// Kills the server (SIGKILL) and starts it again on the same database.
    pub async fn restart(&mut self) {
        self.server.kill();
        self.server = self.env.serve(&["--no-demo"]).await;
    }

    /// The URL of `path` on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    /// The bearer token of `login`.
    pub fn token(&self, login: &str) -> &str {
        self.tokens.get(login).unwrap_or_else(|| panic!("no account {login}"))
    }

    /// Status and body of a response.
    pub async fn answer(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (status, value)
    }

    /// Adds a bearer token when there is one.
    pub fn with_token(req: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// GET as `login` (None: no credentials).
    pub async fn get(&self, login: Option<&str>, path: &str) -> Answer {
        let req = Self::with_token(self.http.get(self.url(path)), login.map(|l| self.token(l)));
        Self::answer(req.send().await.unwrap()).await
    }

    /// GET as `login`, the body as text.
    pub async fn get_text(&self, login: &str, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(self.token(login))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// POST JSON as `login` (None: no credentials).
    pub async fn post(&self, login: Option<&str>, path: &str, body: &Value) -> Answer {
        let req = Self::with_token(self.http.post(self.url(path)).json(body), login.map(|l| self.token(l)));
        Self::answer(req.send().await.unwrap()).await
    }

    /// Fires an event on a case as `login`.
    pub async fn fire(&self, login: &str, case: &str, body: Value) -> Answer {
        self.post(Some(login), &format!("/api/v1/cases/{case}/events"), &body)
            .await
    }

    /// GET a case as `login`, which must succeed.
    pub async fn case(&self, login: &str, case: &str) -> Value {
        let (status, body) = self.get(Some(login), &format!("/api/v1/cases/{case}")).await;
        assert_eq!(status, 200, "GET case {case} as {login}: {body}");
        body
    }

    /// Uploads `bytes` named `name` as `login`.
    pub async fn upload_as(&self, login: &str, doc_type: &str, bytes: Vec<u8>, name: &str) -> Answer {
        let form = Form::new()
            .text("doc_type", doc_type.to_string())
            .part("file", Part::bytes(bytes).file_name(name.to_string()));
        let resp = self
            .http
            .post(self.url("/api/v1/documents"))
            .bearer_auth(self.token(login))
            .multipart(form)
            .send()
            .await
            .unwrap();
        Self::answer(resp).await
    }

    /// Uploads a document that must be accepted; returns its id.
    pub async fn upload(&self, login: &str, doc_type: &str, bytes: &[u8], name: &str) -> String {
        let (status, body) = self.upload_as(login, doc_type, bytes.to_vec(), name).await;
        assert_eq!(status, 201, "upload {doc_type}: {body}");
        let id = body["document_id"].as_str().unwrap().to_string();
        assert_eq!(body["sha256"], hex::encode(Sha256::digest(bytes)), "{body}");
        assert_eq!(body["size"], bytes.len(), "{body}");
        id
    }

    /// Uploads the four documents of a digital / 1 filing as `login`.
    pub async fn filing_documents(&self, login: &str) -> Vec<String> {
        let mut ids = Vec::new();
        for (doc_type, bytes, name) in FILING_DOCS {
            ids.push(self.upload(login, doc_type, bytes, name).await);
        }
        ids
    }

    /// Files an extension for `c` as `login` (uploading its documents); returns the 201 body.
    pub async fn file(&self, login: &str, c: &Card) -> Value {
        let docs = self.filing_documents(login).await;
        let (status, body) = self.post(Some(login), "/api/v1/extensions", &filing(c, &docs)).await;
        assert_eq!(status, 201, "filing for {}: {body}", c.ui);
        body
    }

    /// A signed payment notification.
    pub async fn notify(&self, case: &str, amount: u64, receipt: &str) -> Answer {
        let body = json!({"case_number": case, "amount_twd": amount, "receipt_no": receipt, "paid_at": "2026-11-25T02:05:00Z"});
        let raw = serde_json::to_vec(&body).unwrap();
        self.notify_raw(raw.clone(), &sign(SECRET, &raw)).await
    }

    /// A payment notification with this body and signature header.
    pub async fn notify_raw(&self, raw: Vec<u8>, signature: &str) -> Answer {
        let resp = self
            .http
            .post(self.url("/api/v1/payments/notify"))
            .header("Content-Type", "application/json")
            .header("X-Goldcard-Signature", signature)
            .body(raw)
            .send()
            .await
            .unwrap();
        Self::answer(resp).await
    }

    /// Files and pays; returns the case number.
    pub async fn paid_case(&self, login: &str, c: &Card, receipt: &str) -> String {
        let filed = self.file(login, c).await;
        let n = filed["case_number"].as_str().unwrap().to_string();
        let (status, body) = self.notify(&n, filed["fee_twd"].as_u64().unwrap(), receipt).await;
        assert_eq!((status, &body["state"]), (200, &json!("paid")), "{body}");
        n
    }
}

/// The gateway's signature header for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The Extension body of interfaces.md for card `c`, citing `documents`.
pub fn filing(c: &Card, documents: &[String]) -> Value {
    json!({
        "filer": "self",
        "ui_number": c.ui,
        "birth_date": c.birth,
        "consent": true,
        "basic": {
            "family_name": c.family, "given_name": c.given, "chinese_name": "韓以森", "gender": "M",
            "nationality": "US", "occupation": "Software engineer", "education": "Master's degree",
            "marital_status": "Single", "email": c.email, "birth_country": "United States",
            "birth_city": "Madison, Wisconsin", "home_address": "1200 Main Street, Madison, WI 53703, USA",
            "home_phone": "+1 608 555 0100"
        },
        "passport": {
            "update": false, "type": "ordinary", "number": "A12345678", "issued_on": "2024-11-01",
            "expiry_date": "2034-10-31", "issued_at": "U.S. Department of State", "previous_number": "567890123"
        },
        "residence": {
            "validity_years": 3, "employer": "Example Cloud Co., Ltd.", "employer_phone": "02-2345-6789",
            "pickup": "self", "pickup_office": "臺北市服務站", "work_address": "臺北市信義區信義路五段7號",
            "residence_address": "臺北市大同區承德路一段1號", "mobile": "0912345678",
            "contact": {"name": "王小明", "relation": "Colleague", "phone": "0922333444"}
        },
        "field": {"field": "digital", "criterion": "1", "subfield": "information_services"},
        "hk_macau": {"worked_in_mainland": false},
        "expedite": false,
        "documents": documents
    })
}

/// Asserts the error shape of interfaces.md: `{"error": {"code", "message", "fields"?}}`,
/// `fields` (non-empty) on 422 and only there. Returns the `fields` (empty when none).
pub fn assert_error(answer: &Answer, status: u16, code: &str) -> Vec<Value> {
    let (got, body) = answer;
    assert_eq!(*got, status, "status of {body}");
    let top = body
        .as_object()
        .unwrap_or_else(|| panic!("an error body is a JSON object: {body}"));
    assert_eq!(top.keys().collect::<Vec<_>>(), ["error"], "{body}");
    let e = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("`error` is an object: {body}"));
    assert_eq!(e.get("code"), Some(&json!(code)), "{body}");
    assert!(
        e.get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.trim().is_empty()),
        "{body}"
    );
    for k in e.keys() {
        assert!(
            ["code", "message", "fields"].contains(&k.as_str()),
            "unexpected key {k}: {body}"
        );
    }
    if status == 422 {
        let fields = e
            .get("fields")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("422 has fields: {body}"));
        assert!(!fields.is_empty(), "{body}");
        for f in fields {
            assert!(
                f["field"].is_string() && f["code"].is_string() && f["message"].is_string(),
                "{body}"
            );
        }
        fields.clone()
    } else {
        assert!(!e.contains_key("fields"), "`fields` only on 422: {body}");
        Vec::new()
    }
}

/// Whether a 422's fields name `field` with `code`.
pub fn has_field(fields: &[Value], field: &str, code: &str) -> bool {
    fields.iter().any(|f| f["field"] == field && f["code"] == code)
}

/// Whether `n` looks like a case number of this year.
pub fn is_case_number(n: &str) -> bool {
    n.len() == 12 && n.starts_with("11555") && n.bytes().all(|b| b.is_ascii_digit())
}

/// The `version` of a case or an answer.
pub fn version(body: &Value) -> i64 {
    body["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {body}"))
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
