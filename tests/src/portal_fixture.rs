//! The applicant portal's test fixture: a `goldcard serve` with a frozen clock, a real SMTP
//! server, two applicant accounts and a reviewer made with the CLI, and cards in every
//! filing-window state imported from CSV. The request tests and the browser walks share it.
#![allow(clippy::unwrap_used)]

use crate::smtp::{Handler, SmtpServer};
use crate::{Db, Env, Server, text};
use serde_json::Value;

/// The frozen clock: 2026-11-25 10:00 in Taipei.
pub const NOW: &str = "2026-11-25T02:00:00Z";
/// Every account's password.
pub const PASSWORD: &str = "correct horse battery staple";
/// Script typed into the forms.
pub const XSS: &str = "<script>alert('x')</script>";
/// A minimal PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// A UI number of the new format with its check digit (domain.md): `letter`, `8` or `9`,
/// the seven digits of `serial`, then the check digit.
pub fn ui_number(letter: char, sex: u32, serial: u32) -> String {
    const VALUES: &str = "ABCDEFGHJKLMNPQRSTUVXYWZIO";
    let n = VALUES.find(letter).unwrap() as u32 + 10;
    let body = format!("{sex}{serial:07}");
    let mut sum = n / 10 + (n % 10) * 9;
    for (c, w) in body.chars().zip([8, 7, 6, 5, 4, 3, 2, 1]) {
        sum += c.to_digit(10).unwrap() * w;
    }
    format!("{letter}{body}{}", (10 - sum % 10) % 10)
}

/// The running portal.
pub struct Portal {
    /// The server.
    pub server: Server,
    /// Its environment (the CLI runs in it).
    pub env: Env,
    /// The SMTP server it sends to.
    pub smtp: SmtpServer,
    /// The holder's card, open for filing.
    pub open_card: String,
    /// Another open card (the employer files for it).
    pub employee_card: String,
    /// An open card of a Hong Kong resident (the card says so, not its nationality).
    pub hk_card: String,
}

/// Starts the portal on `db` (no demo data).
pub async fn start(db: Db) -> Portal {
    let smtp = SmtpServer::start(Handler::Mailbox);
    let mut env = Env::new(db).await;
    env.set("GOLDCARD_NOW", NOW);
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    env.set("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *");
    let server = env.serve(&["--no-demo"]).await;
    for (login, role) in [
        ("holder", "applicant"),
        ("employer", "applicant"),
        ("reviewer1", "labor_reviewer"),
    ] {
        let email = format!("{login}@goldcard.example");
        let out = env.run_with_stdin(
            &[
                "user",
                "add",
                "--login",
                login,
                "--email",
                &email,
                "--role",
                role,
                "--password-stdin",
            ],
            PASSWORD,
        );
        assert!(out.status.success(), "user add {login}: {:?}", text(&out));
    }
    let open_card = ui_number('F', 8, 119);
    let mut csv = String::from(
        "ui_number,birth_date,family_name,given_name,nationality,email,field,expires_on,criterion,passport_number,passport_expires_on,hk_macau\n",
    );
    for (ui, expires, hk) in [
        (open_card.clone(), "2027-02-15", "no"),
        (ui_number('A', 8, 1), "2027-06-30", "no"), // not yet open (opens 2027-02-28)
        (ui_number('B', 9, 2), "2026-12-10", "no"), // locked since 2026-11-10
        (ui_number('C', 8, 3), "2026-11-20", "no"), // expired
        (ui_number('D', 9, 4), "2027-02-15", "no"), // open: the employer's
        (ui_number('E', 8, 5), "2027-02-15", "yes"), // open: a Hong Kong resident's
    ] {
        csv.push_str(&format!(
            "{ui},1992-05-03,HUNT,ETHAN,US,holder@goldcard.example,digital,{expires},1,P12345678,2030-01-01,{hk}\n"
        ));
    }
    let file = env.dir.path().join("cards.csv");
    std::fs::write(&file, csv).unwrap();
    let out = env.run(&["cards", "import", file.to_str().unwrap()]);
    assert!(out.status.success(), "cards import: {:?}", text(&out));
    Portal {
        server,
        env,
        smtp,
        open_card,
        employee_card: ui_number('D', 9, 4),
        hk_card: ui_number('E', 8, 5),
    }
}

impl Portal {
    /// Fires an event through the JSON API as `login`.
    pub async fn api_fire(&self, login: &str, case: &str, body: Value) -> Value {
        let out = self.env.run(&["token", "create", "--login", login]);
        let token = text(&out).0.trim().to_string();
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/cases/{case}/events", self.server.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let v: Value = res.json().await.unwrap();
        assert!(status.is_success(), "{body}: {status} {v}");
        v
    }

    /// Waits for a mail to `to` whose subject contains `part`.
    pub async fn mail(&self, to: &str, part: &str) -> String {
        let start = std::time::Instant::now();
        loop {
            if let Some(m) = self
                .smtp
                .received()
                .into_iter()
                .find(|m| m.rcpt_tos == to && m.subject.contains(part))
            {
                return m.subject;
            }
            assert!(
                start.elapsed().as_secs() < 30,
                "no mail to {to} with “{part}”: {:?}",
                self.smtp.received().iter().map(|m| &m.subject).collect::<Vec<_>>()
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}
