//! Every route × every role, built from the casbin policy: a route without a policy, a
//! policy for a route that does not exist, or a server that does not enforce the policy
//! fails here.
#![allow(clippy::unwrap_used, missing_docs)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use goldcard_access::Access;
use goldcard_domain::{Email, FixedClock};
use goldcard_store::Store;
use goldcard_store::accounts::{self, Login, NewAccount};
use goldcard_store::blobs::BlobStore;
use goldcard_store::catalogs::{self, CatalogTexts};
use goldcard_web::{AppState, router, routes};
use goldcard_workflow::{Registry, Role, Workflow};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tower::ServiceExt;

struct World {
    state: AppState,
    accounts: HashMap<Role, i64>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(FixedClock::parse("2026-11-25T02:00:00Z").unwrap());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    catalogs::load_if_empty(
        store.db(),
        &CatalogTexts::from_dir(&root.join("seeds")).unwrap(),
        clock.0,
    )
    .await
    .unwrap();
    let cats = catalogs::read(store.db()).await.unwrap().parse().unwrap();
    let workflow = Workflow::parse("ext", goldcard_workflow::EXTENSION_DEFINITION, &Registry::standard()).unwrap();
    let access = Access::load_default(store.db()).await.unwrap();
    let mut accounts_by_role = HashMap::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::System) {
        let login = role.as_str().replace('_', ".");
        let a = accounts::create(
            store.db(),
            NewAccount {
                login: Login::parse(&login).unwrap(),
                email: Email::parse(&format!("{login}@example.tw")).unwrap(),
                display_name: login.clone(),
                role,
                password: None,
                locale: "en".into(),
            },
            clock.0,
        )
        .await
        .unwrap();
        accounts_by_role.insert(role, a.id);
    }
    let state = AppState {
        store,
        workflow: Arc::new(workflow),
        catalogs: Arc::new(cats),
        access,
        clock,
        payment_secret: Arc::new("secret".into()),
        blobs: BlobStore::new(dir.path().join("documents")),
        production: false,
        counts: Default::default(),
        credentials: Default::default(),
        staff: Default::default(),
        consents: Default::default(),
        request_timeout: std::time::Duration::from_secs(30),
    };
    World {
        state,
        accounts: accounts_by_role,
        _dir: dir,
    }
}

/// A concrete URL for a route template.
fn concrete(path: &str) -> String {
    path.replace("{case_number}", "115550000001")
        .replace("{ui_number}", "F800001196")
        .replace("{queue}", "mine")
        .replace("{event}", "claim")
        .replace("{document_id}", "doc_missing")
        .replace("{login}", "nobody.here")
}

impl World {
    /// A fresh token for the role's account (signing out revokes the one used).
    async fn token(&self, role: Role) -> String {
        accounts::create_token(
            self.state.store.db(),
            self.accounts[&role],
            "test",
            None,
            self.state.clock.now(),
        )
        .await
        .unwrap()
    }
}

/// The status and error code (if any) of a call; for a web page refused by the access
/// policy, the code is `access` (its marker header).
async fn call(w: &World, method: &Method, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method.clone()).uri(concrete(path));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let body = if *method == Method::POST {
        req = req.header("content-type", "application/json");
        Body::from("{}")
    } else {
        Body::empty()
    };
    let res = router(w.state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    if res.headers().get(goldcard_web::auth::REFUSED_HEADER).is_some() {
        return (status, "access".to_string());
    }
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status, code)
}

/// Whether an answer is the access check's refusal (not a handler's own answer).
fn refused_by_access(status: StatusCode, code: &str) -> bool {
    (status == StatusCode::UNAUTHORIZED && code == "unauthorized")
        || (status == StatusCode::FORBIDDEN && code == "forbidden")
        || code == "access"
}

/// The refusal a request without credentials gets: 401 from the API, a redirect to the
/// sign-in page from a web page.
fn anonymous_refusal(path: &str) -> (StatusCode, &'static str) {
    if goldcard_web::auth::is_page(path) {
        (StatusCode::SEE_OTHER, "access")
    } else {
        (StatusCode::UNAUTHORIZED, "unauthorized")
    }
}

/// The refusal a signed-in role gets: 403 in either form.
fn role_refusal(path: &str) -> (StatusCode, &'static str) {
    if goldcard_web::auth::is_page(path) {
        (StatusCode::FORBIDDEN, "access")
    } else {
        (StatusCode::FORBIDDEN, "forbidden")
    }
}

#[tokio::test]
async fn every_route_has_a_policy_and_every_policy_a_route() {
    let w = world().await;
    let served: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
        .collect();
    let policed: BTreeSet<(String, String)> = w.state.access.routes().await.into_iter().collect();
    let unpoliced: Vec<_> = served.difference(&policed).collect();
    assert!(
        unpoliced.is_empty(),
        "routes without a policy in seeds/casbin/policy.csv: {unpoliced:?}"
    );
    let stale: Vec<_> = policed.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "policies for routes the server does not have: {stale:?}"
    );
}

#[tokio::test]
async fn every_route_times_every_role_is_enforced_as_the_policy_says() {
    let w = world().await;
    let mut checked = 0;
    for r in routes() {
        // anonymous
        let allowed = w.state.access.allows("anonymous", r.path, r.method.as_str()).await;
        let (status, code) = call(&w, &r.method, r.path, None).await;
        if allowed {
            assert!(
                !refused_by_access(status, &code),
                "anonymous {} {}: {status} {code}",
                r.method,
                r.path
            );
        } else {
            assert_eq!(
                (status, code.as_str()),
                anonymous_refusal(r.path),
                "anonymous {} {}",
                r.method,
                r.path
            );
        }
        checked += 1;
        for role in w.accounts.keys() {
            let allowed = w.state.access.allows(role.as_str(), r.path, r.method.as_str()).await;
            let (status, code) = call(&w, &r.method, r.path, Some(&w.token(*role).await)).await;
            if allowed {
                assert!(
                    !refused_by_access(status, &code),
                    "{role} {} {}: the policy allows it but the server said {status} {code}",
                    r.method,
                    r.path
                );
            } else {
                assert_eq!(
                    (status, code.as_str()),
                    role_refusal(r.path),
                    "{role} {} {}: the policy denies it",
                    r.method,
                    r.path
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, routes().len() * (w.accounts.len() + 1));
}

#[tokio::test]
async fn the_policy_says_what_roles_md_says() {
    let w = world().await;
    let a = &w.state.access;
    let cases = [
        ("applicant", "POST", "/api/v1/extensions", true),
        ("helpdesk", "POST", "/api/v1/extensions", false),
        ("helpdesk", "POST", "/api/v1/cases/{case_number}/events", false),
        ("helpdesk", "GET", "/api/v1/cases", true),
        ("applicant", "GET", "/api/v1/cases", false),
        ("applicant", "GET", "/api/v1/queues/{queue}", false),
        ("labor_supervisor", "GET", "/api/v1/queues/{queue}", true),
        ("immigration_supervisor", "GET", "/api/v1/cards/{ui_number}", true),
        ("admin", "GET", "/api/v1/cases/{case_number}", false),
        ("payment_gateway", "POST", "/api/v1/payments/notify", true),
        ("anonymous", "GET", "/api/v1/cases/{case_number}", false),
        ("cashier", "POST", "/api/v1/cases/{case_number}/events", true),
    ];
    for (role, method, path, expected) in cases {
        assert_eq!(a.allows(role, path, method).await, expected, "{role} {method} {path}");
    }
    assert!(a.may_fire("labor_supervisor", "reassign").await);
    assert!(!a.may_fire("labor_reviewer", "reassign").await);
    assert!(!a.may_fire("helpdesk", "claim").await);
    assert!(!a.may_fire("applicant", "approve").await);
}

#[tokio::test]
async fn errors_have_the_one_shape() {
    let w = world().await;
    let req = Request::builder()
        .uri("/api/v1/cases/115550000001")
        .body(Body::empty())
        .unwrap();
    let res = router(w.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");
    assert!(v["error"]["message"].is_string());
    assert!(v["error"].get("fields").is_none(), "fields only on 422");
}

#[tokio::test]
async fn a_wrong_method_is_answered_in_the_one_shape() {
    let w = world().await;
    let req = Request::builder()
        .method(Method::PUT)
        .uri("/api/v1/extensions")
        .body(Body::empty())
        .unwrap();
    let res = router(w.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "method_not_allowed", "{v}");
}

#[tokio::test]
async fn the_openapi_document_is_served_and_matches_its_snapshot() {
    let w = world().await;
    let req = Request::builder()
        .uri("/api/v1/openapi.json")
        .body(Body::empty())
        .unwrap();
    let res = router(w.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    for r in routes()
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
    {
        let op = &v["paths"][r.path][r.method.as_str().to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is missing from the OpenAPI document",
            r.method,
            r.path
        );
    }
    insta::assert_snapshot!("openapi", serde_json::to_string_pretty(&v).unwrap());
}

/// `/metrics` is in the policy for anonymous callers, and the handler serves it to
/// loopback peers only.
#[tokio::test]
async fn metrics_are_served_to_loopback_peers_only() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let w = world().await;
    goldcard_web::telemetry::install_metrics();
    let ask = |peer: Option<&str>| {
        let mut req = Request::builder().uri("/metrics").body(Body::empty()).unwrap();
        if let Some(p) = peer {
            req.extensions_mut()
                .insert(ConnectInfo(p.parse::<SocketAddr>().unwrap()));
        }
        router(w.state.clone()).oneshot(req)
    };
    for peer in [None, Some("10.1.2.3:4000"), Some("[2001:db8::1]:80")] {
        let res = ask(peer).await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{peer:?}");
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "loopback_only", "{v}");
    }
    for peer in ["127.0.0.1:5000", "[::1]:5000"] {
        let res = ask(Some(peer)).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{peer}");
        let body = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("goldcard_outbox_backlog"));
    }
}

/// The security headers are on every answer, including refusals and unknown paths; the
/// document viewer's own framing policy is kept.
#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let w = world().await;
    for path in ["/", "/nope", "/api/v1/queues/mine", "/healthz"] {
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        let res = router(w.state.clone()).oneshot(req).await.unwrap();
        let h = res.headers();
        assert_eq!(
            h["content-security-policy"],
            goldcard_web::security::CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(h.contains_key("x-request-id"), "{path}");
    }
}
