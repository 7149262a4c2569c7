//! The back office end to end: the real `goldcard serve` with its demo data, signing in
//! through the pages with the code from a real SMTP server, then queues, a claim, a
//! supplement request, an approval, search, the helpdesk, a supervisor's dashboard and
//! bulk assignment, and the admin screens. HTML is asserted with CSS selectors; every page
//! visited passes the accessibility check; `<script>` typed into every text field of a case
//! comes back escaped on every page. On SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, missing_docs)]

use goldcard_tests::html_checks::{accessibility_problems, count, select_attr, select_texts};
use goldcard_tests::smtp::{Handler, SmtpServer};
use goldcard_tests::web_client::Web;
use goldcard_tests::{Db, Env, on_both};

const XSS: &str = "<script>alert('x')</script>";

fn first_case(page: &str) -> String {
    select_texts(page, "table.cases tbody tr td a")
        .into_iter()
        .next()
        .expect("a case in the table")
}

async fn back_office(db: Db) {
    let smtp = SmtpServer::start(Handler::Mailbox);
    let mut env = Env::new(db).await;
    env.set("GOLDCARD_SMTP_URL", &smtp.url());
    env.set("GOLDCARD_JOBS", "outbox_dispatch=* * * * * *");
    let server = env.serve(&[]).await;
    let out = server.output();
    let password = out
        .split("password `")
        .nth(1)
        .unwrap()
        .split('`')
        .next()
        .unwrap()
        .to_string();
    let mut web = Web::new(&server.base);

    // ---------------------------------------------------------------- sign-in
    let home = web.get("/").await;
    assert_eq!(count(&home.body, "input[name=as]"), 4, "the four sign-in choices");
    assert!(web.cookies.contains_key("goldcard_csrf"));
    let wrong = web
        .post(
            "/sign-in",
            &[
                ("csrf", &Web::csrf(&home.body)),
                ("login", "reviewer1"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(count(&wrong.body, ".banner.error"), 1);
    let forged = web
        .post(
            "/sign-in",
            &[("csrf", "forged"), ("login", "reviewer1"), ("password", &password)],
        )
        .await;
    assert_eq!(forged.status, 403, "a form without the right CSRF token is refused");
    let start = web.sign_in(&smtp, "reviewer1", &password, 1).await;
    assert_eq!(start, "/office");
    let landing = web.get("/office").await;
    assert_eq!(landing.location.as_deref(), Some("/office/queues/intake"));

    // ---------------------------------------------------------------- a queue
    let intake = web.get("/office/queues/intake").await;
    assert_eq!(intake.status, 200);
    assert_eq!(select_texts(&intake.body, "h1"), ["待分案"]);
    let tabs = select_texts(&intake.body, "nav.tabs li");
    assert!(
        tabs.len() >= 4 && tabs.iter().any(|t| t.starts_with("待分案")),
        "{tabs:?}"
    );
    assert!(count(&intake.body, "nav.tabs .count") >= 4, "counts on every tab");
    assert!(count(&intake.body, "table.cases tbody tr[data-row]") >= 1);
    let due = select_texts(&intake.body, "table.cases tbody tr td:nth-child(8)");
    assert!(!due.is_empty());
    // the language switch, remembered on the account
    let csrf = Web::csrf(&intake.body);
    let switched = web
        .post(
            "/lang",
            &[("csrf", &csrf), ("lang", "en"), ("back", "/office/queues/intake")],
        )
        .await;
    assert_eq!(switched.location.as_deref(), Some("/office/queues/intake"));
    let english = web.get("/office/queues/intake").await;
    assert_eq!(select_texts(&english.body, "h1"), ["Intake"]);
    assert_eq!(select_attr(&english.body, "html", "lang"), ["en"]);
    // filters: a bad date is reported next to its field and changes nothing
    let bad = web.get("/office/queues/intake?filed_from=2026-13-45").await;
    assert_eq!(bad.status, 422);
    assert_eq!(count(&bad.body, ".field.invalid #f-filed_from"), 1);
    let filtered = web
        .get("/office/queues/labor_review?overdue=no&hk_macau=no&sort=-filed_at")
        .await;
    assert_eq!(filtered.status, 200);
    // a queue of the other agency
    let other = web.get("/office/queues/immigration_review").await;
    assert_eq!(other.status, 403);
    // CSV export
    let csv = web.get("/office/queues/intake/export.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("case_number,state,applicant_name"), "{}", csv.body);

    // ---------------------------------------------------------------- claim, supplement, approve
    let case = first_case(&intake.body);
    let unconfirmed = {
        let page = web.get(&format!("/office/cases/{case}")).await;
        let csrf = Web::csrf(&page.body);
        web.post(&format!("/office/cases/{case}/events/claim"), &[("csrf", &csrf)])
            .await
    };
    assert_eq!(unconfirmed.status, 422, "an action without its confirmation is refused");
    let claimed = web.act(&case, "claim", &[]).await;
    assert_eq!(claimed.status, 303, "{}", claimed.body);
    let page = web.get(claimed.location.as_deref().unwrap()).await;
    assert_eq!(count(&page.body, ".banner.ok"), 1);
    assert!(select_texts(&page.body, "details.action summary").contains(&"Request documents".to_string()));
    // a supplement request with an empty note is refused next to the note, keeping what was typed
    let refused = web
        .act(
            &case,
            "request_supplement",
            &[("item", "passport_copy"), ("note_passport_copy", "")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(count(&refused.body, "details#action-request_supplement[open] .error") >= 1);
    let asked = web
        .act(
            &case,
            "request_supplement",
            &[("item", "passport_copy"), ("note_passport_copy", XSS), ("due_on", "")],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let page = web.get(&format!("/office/cases/{case}")).await;
    assert!(
        select_texts(&page.body, ".summary .badge")
            .iter()
            .any(|b| b.contains("補件") || b.contains("Supplement") || b.contains("supplement")),
        "{:?}",
        select_texts(&page.body, ".summary .badge")
    );
    // another case: claim and approve
    let intake = web.get("/office/queues/intake").await;
    let second = first_case(&intake.body);
    assert_eq!(web.act(&second, "claim", &[]).await.status, 303);
    assert_eq!(
        web.act(&second, "consult", &[("authority", "數位發展部")]).await.status,
        303
    );
    assert_eq!(
        web.act(&second, "consultation_answered", &[("opinion", XSS)])
            .await
            .status,
        303
    );
    let approved = web.act(&second, "approve", &[]).await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    let page = web.get(&format!("/office/cases/{second}")).await;
    assert_eq!(
        count(&page.body, "details.action"),
        0,
        "nothing left for the labor reviewer"
    );
    // a stale version loses
    let stale = {
        let csrf = Web::csrf(&page.body);
        web.post(
            &format!("/office/cases/{case}/events/reject"),
            &[
                ("csrf", &csrf),
                ("version", "1"),
                ("confirm", "yes"),
                ("grounds", "other"),
                ("reason", "x"),
                ("legal_basis", "y"),
            ],
        )
        .await
    };
    assert!(stale.status == 409 || stale.status == 422, "{}", stale.status);
    // notes
    let page = web.get(&format!("/office/cases/{case}")).await;
    let csrf = Web::csrf(&page.body);
    let noted = web
        .post(
            &format!("/office/cases/{case}/notes"),
            &[("csrf", &csrf), ("body", XSS)],
        )
        .await;
    assert_eq!(noted.status, 303);
    // a document of the case opens inline
    let docs = select_attr(&page.body, "ul.documents a", "href");
    if let Some(doc) = docs.first() {
        let d = web.get(doc).await;
        assert_eq!(d.status, 200);
    }
    // search
    let found = web.get(&format!("/office/search?q={case}")).await;
    assert_eq!(
        select_texts(&found.body, "table.cases tbody tr td a"),
        std::slice::from_ref(&case)
    );
    let sneaky = web.get("/office/search?q=%25'%20OR%201%3D1%20--").await;
    assert_eq!(sneaky.status, 200);
    assert_eq!(
        count(&sneaky.body, "table.cases tbody tr[data-row]"),
        0,
        "SQL in search is text"
    );
    let _ = web
        .get(&format!("/office/search?q={}", "%3Cscript%3Ealert('x')%3C%2Fscript%3E"))
        .await;
    // the dashboard is for supervisors
    assert_eq!(web.get("/office/dashboard").await.status, 403);
    let page = web.get("/office/queues/mine").await;
    let signed_out = web.post("/sign-out", &[("csrf", &Web::csrf(&page.body))]).await;
    assert_eq!(signed_out.location.as_deref(), Some("/"));
    assert_eq!(web.get("/office/queues/mine").await.location.as_deref(), Some("/"));

    // ---------------------------------------------------------------- helpdesk
    let mut help = Web::new(&server.base);
    help.sign_in(&smtp, "helpdesk", &password, 1).await;
    let page = help.get(&format!("/office/cases/{case}")).await;
    assert_eq!(page.status, 200);
    let ui = select_texts(&page.body, "dl.facts dd")
        .into_iter()
        .find(|t| t.contains('*'))
        .expect("a masked UI number");
    assert!(
        ui.starts_with('*') && ui.chars().filter(|c| *c != '*').count() == 4,
        "{ui}"
    );
    assert_eq!(count(&page.body, "ul.documents a"), 0, "no documents for the helpdesk");
    assert_eq!(count(&page.body, "details.action"), 0, "the helpdesk changes no state");
    let csrf = Web::csrf(&page.body);
    let resent = help
        .post(
            &format!("/office/cases/{case}/resend"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(resent.status, 303);
    assert!(resent.location.unwrap().contains("done=resend"));
    assert_eq!(help.get("/office/queues/intake").await.status, 403);

    // ---------------------------------------------------------------- supervisor
    let mut sup = Web::new(&server.base);
    sup.sign_in(&smtp, "labor.supervisor", &password, 1).await;
    let dash = sup.get("/office/dashboard").await;
    assert_eq!(dash.status, 200);
    assert!(
        count(&dash.body, "figure.chart svg") >= 4,
        "state, ageing, filed, decided (and overdue when any)"
    );
    assert!(count(&dash.body, "figure.chart svg a") >= 1, "bars link to their queue");
    let queue = sup.get("/office/queues/intake").await;
    let some = first_case(&queue.body);
    let csrf = Web::csrf(&queue.body);
    let confirm = sup
        .post(
            "/office/queues/intake/assign",
            &[
                ("csrf", &csrf),
                ("to", "reviewer2"),
                ("scope", "selected"),
                ("case", &some),
                ("query", ""),
            ],
        )
        .await;
    assert_eq!(confirm.status, 200);
    assert_eq!(select_texts(&confirm.body, "h1"), ["確認分派"]);
    let csrf = Web::csrf(&confirm.body);
    let done = sup
        .post(
            "/office/queues/intake/assign",
            &[
                ("csrf", &csrf),
                ("to", "reviewer2"),
                ("scope", "selected"),
                ("case", &some),
                ("confirmed", "yes"),
                ("query", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        count(&done.body, ".banner.ok"),
        1,
        "{:?}",
        select_texts(&done.body, ".banner")
    );
    let page = sup.get(&format!("/office/cases/{some}")).await;
    assert!(page.body.contains("reviewer2"));
    // reject the supplement-less case with script in every field
    let rej = sup
        .act(
            &second,
            "reject",
            &[("grounds", "other"), ("reason", XSS), ("legal_basis", XSS)],
        )
        .await;
    // approved already (immigration review now): the labor supervisor cannot reject it
    assert_eq!(rej.status, 403, "{}", rej.body);

    // ---------------------------------------------------------------- admin
    let mut admin = Web::new(&server.base);
    admin.sign_in(&smtp, "admin", &password, 1).await;
    let accounts = admin.get("/office/admin/accounts").await;
    assert_eq!(accounts.status, 200);
    assert!(count(&accounts.body, "table.accounts tbody tr") >= 13);
    let detail = admin.get("/office/admin/accounts/reviewer2").await;
    let csrf = Web::csrf(&detail.body);
    let off = admin
        .post(
            "/office/admin/accounts/reviewer2/deactivate",
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(off.status, 200, "{}", off.body);
    assert!(
        select_texts(&off.body, "dl.facts dd")
            .iter()
            .any(|t| t == "deactivated" || t == "停用")
    );
    let banner = select_texts(&off.body, ".banner.ok").join(" ");
    assert!(banner.contains(&some), "the cases it still holds are named: {banner}");
    // the admin may not reassign (workflow.md: supervisors); the supervisor does, from the
    // queue filtered by the deactivated officer
    let held = sup.get("/office/queues/labor_review?assignee=reviewer2").await;
    assert_eq!(held.status, 200);
    assert_eq!(
        select_texts(&held.body, "table.cases tbody tr td a"),
        std::slice::from_ref(&some)
    );
    let csrf = Web::csrf(&held.body);
    let moved = sup
        .post(
            "/office/queues/labor_review/assign",
            &[
                ("csrf", &csrf),
                ("to", "reviewer1"),
                ("scope", "selected"),
                ("case", &some),
                ("confirmed", "yes"),
                ("query", ""),
            ],
        )
        .await;
    assert_eq!(
        count(&moved.body, ".banner.ok"),
        1,
        "{:?}",
        select_texts(&moved.body, ".banner")
    );
    let page = sup.get(&format!("/office/cases/{some}")).await;
    assert!(page.body.contains("reviewer1"));
    let policy = admin.get("/office/admin/policy").await;
    assert!(count(&policy.body, "table.rules tbody tr") > 50);
    assert_eq!(admin.get("/office/admin/health").await.status, 200);
    assert_eq!(admin.get("/office/queues/intake").await.status, 403);

    // ---------------------------------------------------------------- every page
    let mut all_pages = Vec::new();
    for w in [&web, &help, &sup, &admin] {
        all_pages.extend(w.pages.iter().cloned());
    }
    // the case with script in its fields, as every reader sees it
    for w in [&mut help, &mut sup] {
        let p = w.get(&format!("/office/cases/{case}")).await;
        all_pages.push((format!("/office/cases/{case}"), p.body));
    }
    let mut seen_escaped = 0;
    for (path, html) in &all_pages {
        assert!(!html.contains(XSS), "{path} shows script unescaped");
        if html.contains("&lt;script&gt;alert") {
            seen_escaped += 1;
        }
        let problems = accessibility_problems(html);
        assert!(problems.is_empty(), "{path}: {problems:#?}");
    }
    assert!(
        seen_escaped >= 3,
        "the script text is shown (escaped) on the pages that carry it"
    );
}

on_both! {
    the_back_office_works_end_to_end => back_office;
}
