//! Access control for goldcard: the casbin enforcer (roles.md).
//!
//! One model ([`MODEL`], `seeds/casbin/model.conf`) and one policy: the policy is copied
//! from [`POLICY`] (`seeds/casbin/policy.csv`) into the `casbin_rules` table on first
//! start; from then on the database is the source of truth, managed from the admin
//! screens through [`Access::add_policy`] and [`Access::remove_policy`].
//!
//! Every route asks [`Access::allows`] (subject = the caller's role, or `anonymous`;
//! object = the axum route template; action = the HTTP method) and every workflow event
//! asks [`Access::may_fire`]. Enforcement takes only a read lock on the enforcer, so
//! requests never wait for each other; a policy change takes the write lock.

mod adapter;
mod error;
pub mod sign_in;

pub use adapter::{MAX_VALUES, SeaOrmAdapter, StoredRule};
pub use error::AccessError;

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, Model};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use tokio::sync::RwLock;

/// The default casbin model (RBAC over role names), compiled in.
pub const MODEL: &str = include_str!("../../../seeds/casbin/model.conf");

/// The default policy, compiled in: seeded into an empty `casbin_rules` table.
pub const POLICY: &str = include_str!("../../../seeds/casbin/policy.csv");

/// The subject of a request without credentials.
pub const ANONYMOUS: &str = "anonymous";

/// The action of event policies (`p, ROLE, event:NAME, fire`).
pub const FIRE: &str = "fire";

/// The prefix of event objects (`event:approve`).
pub const EVENT_PREFIX: &str = "event:";

/// One `p` rule: `subject` may do `action` on `object`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Policy {
    /// A role name, or `anonymous`.
    pub subject: String,
    /// A route template (`/api/v1/cases/{case_number}`) or an event (`event:approve`).
    pub object: String,
    /// An HTTP method, or `fire` for an event.
    pub action: String,
}

impl Policy {
    /// A policy from its three parts.
    pub fn new(subject: &str, object: &str, action: &str) -> Policy {
        Policy {
            subject: subject.to_string(),
            object: object.to_string(),
            action: action.to_string(),
        }
    }

    fn from_values(values: Vec<String>) -> Option<Policy> {
        let [subject, object, action]: [String; 3] = values.try_into().ok()?;
        Some(Policy {
            subject,
            object,
            action,
        })
    }

    fn values(&self) -> Vec<String> {
        vec![self.subject.clone(), self.object.clone(), self.action.clone()]
    }
}

/// A decision asked before: `(subject, object, action)`.
type DecisionKey = (String, String, String);

/// The most decisions remembered (routes × methods × roles is a few hundred).
const MAX_DECISIONS: usize = 10_000;

/// The enforcer, shared: cloning an `Access` shares the same policy.
///
/// Decisions are remembered: casbin evaluates its matcher (a rhai script) against every
/// rule on each call, which profiling showed to be the largest part of a page's CPU time,
/// while the answer for a `(role, route, method)` only changes with the policy. Every change
/// of the policy ([`Access::add_policy`], [`Access::remove_policy`], [`Access::reload`])
/// forgets them while it holds the enforcer's write lock, and a decision is remembered
/// only under the read lock it was made with, so none outlives the policy it came from.
#[derive(Clone)]
pub struct Access {
    enforcer: Arc<RwLock<Enforcer>>,
    decisions: Arc<std::sync::RwLock<std::collections::HashMap<DecisionKey, bool>>>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").finish_non_exhaustive()
    }
}

impl Access {
    /// Loads the policy from the database, after seeding an empty `casbin_rules` table
    /// from `policy_csv` (casbin's CSV policy format; `#` starts a comment line).
    ///
    /// The CSV is checked against the model even when the table is already seeded, so a
    /// broken seed file is noticed at the next start rather than on a fresh database.
    pub async fn load(db: &DatabaseConnection, model_conf: &str, policy_csv: &str) -> Result<Access, AccessError> {
        let model = DefaultModel::from_str(model_conf).await?;
        let rules = parse_policy_csv(policy_csv, &model)?;
        let adapter = SeaOrmAdapter::new(db.clone());
        // `new_raw` compiles the model (matchers, role functions) without reading any
        // policy: a broken model is refused before anything is written.
        let mut enforcer = Enforcer::new_raw(model, adapter.clone()).await?;
        if adapter.seed_if_empty(&rules).await? {
            tracing::info!(
                rules = rules.len(),
                "casbin_rules was empty: seeded the default access policy"
            );
        }
        enforcer.load_policy().await?;
        Ok(Access {
            enforcer: Arc::new(RwLock::new(enforcer)),
            decisions: Arc::default(),
        })
    }

    /// [`Access::load`] with the compiled-in [`MODEL`] and [`POLICY`].
    pub async fn load_default(db: &DatabaseConnection) -> Result<Access, AccessError> {
        Access::load(db, MODEL, POLICY).await
    }

    /// Whether `subject_role` (a role name, or [`ANONYMOUS`]) may do `act` on `obj`.
    /// An error inside casbin counts as a refusal (and is logged).
    pub async fn allows(&self, subject_role: &str, obj: &str, act: &str) -> bool {
        let key = (subject_role.to_string(), obj.to_string(), act.to_string());
        let enforcer = self.enforcer.read().await;
        if let Some(allowed) = self.decisions.read().ok().and_then(|d| d.get(&key).copied()) {
            return allowed;
        }
        let allowed = match enforcer.enforce((subject_role, obj, act)) {
            Ok(allowed) => {
                if let Ok(mut d) = self.decisions.write() {
                    if d.len() >= MAX_DECISIONS {
                        d.clear();
                    }
                    d.insert(key, allowed);
                }
                allowed
            }
            Err(e) => {
                tracing::warn!(subject = subject_role, obj, act, error = %e, "casbin could not decide; refusing");
                false
            }
        };
        drop(enforcer);
        tracing::debug!(subject = subject_role, obj, act, allowed, "access");
        allowed
    }

    /// Forgets every remembered decision (the caller holds the enforcer's write lock).
    fn forget_decisions(&self) {
        if let Ok(mut d) = self.decisions.write() {
            d.clear();
        }
    }

    /// Whether `role` may fire the workflow event `event` (object `event:<event>`, action
    /// `fire`). Ownership and assignment are the workflow engine's to check.
    pub async fn may_fire(&self, role: &str, event: &str) -> bool {
        self.allows(role, &format!("{EVENT_PREFIX}{event}"), FIRE).await
    }

    /// Every route policy as `(method, path template)`, sorted, without duplicates: the
    /// `(action, object)` of every `p` rule whose object starts with `/`.
    pub async fn routes(&self) -> Vec<(String, String)> {
        let mut routes: Vec<(String, String)> = self
            .policies()
            .await
            .into_iter()
            .filter(|p| p.object.starts_with('/'))
            .map(|p| (p.action, p.object))
            .collect();
        routes.sort();
        routes.dedup();
        routes
    }

    /// Every `p` rule, in the order they were loaded or added.
    pub async fn policies(&self) -> Vec<Policy> {
        let enforcer = self.enforcer.read().await;
        enforcer
            .get_policy()
            .into_iter()
            .filter_map(Policy::from_values)
            .collect()
    }

    /// Every `g` rule as `(role, inherited role)`.
    pub async fn role_links(&self) -> Vec<(String, String)> {
        let enforcer = self.enforcer.read().await;
        enforcer
            .get_grouping_policy()
            .into_iter()
            .filter_map(|v| <[String; 2]>::try_from(v).ok().map(|[a, b]| (a, b)))
            .collect()
    }

    /// Adds a `p` rule, in the database and in force; `Ok(false)` if it was already there.
    pub async fn add_policy(&self, subject: &str, object: &str, action: &str) -> Result<bool, AccessError> {
        let policy = Policy::new(subject, object, action);
        let mut enforcer = self.enforcer.write().await;
        let added = enforcer.add_policy(policy.values()).await;
        self.forget_decisions();
        drop(enforcer);
        let added = added?;
        tracing::info!(subject, object, action, added, "access policy added");
        Ok(added)
    }

    /// Removes a `p` rule, from the database and from force; `Ok(false)` if it was not there.
    pub async fn remove_policy(&self, subject: &str, object: &str, action: &str) -> Result<bool, AccessError> {
        let policy = Policy::new(subject, object, action);
        let mut enforcer = self.enforcer.write().await;
        let removed = enforcer.remove_policy(policy.values()).await;
        self.forget_decisions();
        drop(enforcer);
        let removed = removed?;
        tracing::info!(subject, object, action, removed, "access policy removed");
        Ok(removed)
    }

    /// Re-reads the whole policy from the database (after another instance changed it).
    pub async fn reload(&self) -> Result<(), AccessError> {
        let mut enforcer = self.enforcer.write().await;
        let loaded = enforcer.load_policy().await;
        self.forget_decisions();
        Ok(loaded?)
    }
}

/// The `p` rules of the shipped policy ([`POLICY`]): the admin screen lists those missing
/// from the database (routes added since the database was seeded) and can add them.
pub fn shipped_policies() -> Vec<Policy> {
    POLICY
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("p,"))
        .filter_map(|l| {
            let v: Vec<&str> = l.split(',').map(str::trim).collect();
            (v.len() == 4).then(|| Policy::new(v[1], v[2], v[3]))
        })
        .collect()
}

/// Parses casbin's CSV policy format (`p, sub, obj, act` / `g, role, parent`; whole-line
/// `#` comments; blank lines skipped) and checks each rule against the model: its type
/// must be defined there and its number of values must match.
fn parse_policy_csv(text: &str, model: &DefaultModel) -> Result<Vec<StoredRule>, AccessError> {
    let mut rules = Vec::new();
    // Line by line, as casbin reads it (a rule never spans lines); this also keeps the
    // line numbers exact, which the csv crate's do not stay across blank lines.
    for (index, text_line) in text.lines().enumerate() {
        let line = index as u64 + 1;
        let trimmed = text_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let bad = |message: String| AccessError::PolicyCsv { line, message };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .trim(csv::Trim::All)
            .from_reader(trimmed.as_bytes());
        let mut records = reader.records();
        let record = match (records.next(), records.next()) {
            (Some(Ok(record)), None) => record,
            (Some(Err(e)), _) => return Err(bad(e.to_string())),
            _ => return Err(bad("not one CSV record".to_string())),
        };
        let mut fields = record.iter();
        let ptype = fields.next().unwrap_or_default().to_string();
        let values: Vec<String> = fields.map(str::to_string).collect();
        let sec = ptype.get(..1).unwrap_or_default();
        let Some(assertion) = model.get_model().get(sec).and_then(|a| a.get(&ptype)) else {
            return Err(bad(format!("the model defines no rule type `{ptype}`")));
        };
        // `p = sub, obj, act` has tokens; `g = _, _` has only its placeholders
        let expected = if sec == "g" {
            assertion.value.matches('_').count()
        } else {
            assertion.tokens.len()
        };
        if values.len() != expected {
            return Err(bad(format!(
                "a `{ptype}` rule has {expected} values, this one has {}",
                values.len()
            )));
        }
        if values.iter().any(String::is_empty) {
            return Err(bad("empty value".to_string()));
        }
        if values.len() > MAX_VALUES {
            return Err(AccessError::TooManyValues {
                ptype,
                count: values.len(),
            });
        }
        rules.push(StoredRule { ptype, values });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use casbin::MemoryAdapter;
    use goldcard_workflow::{Registry, Role, Workflow};
    use std::collections::BTreeSet;

    /// The default policy in force, without a database.
    async fn in_memory(model_conf: &str, policy_csv: &str) -> Access {
        let model = DefaultModel::from_str(model_conf).await.unwrap();
        let rules = parse_policy_csv(policy_csv, &model).unwrap();
        let mut enforcer = Enforcer::new(model, MemoryAdapter::default()).await.unwrap();
        for rule in rules {
            let added = if rule.ptype.starts_with('g') {
                enforcer.add_named_grouping_policy(&rule.ptype, rule.values).await
            } else {
                enforcer.add_named_policy(&rule.ptype, rule.values).await
            };
            assert!(added.unwrap(), "duplicate rule in policy.csv");
        }
        Access {
            enforcer: Arc::new(RwLock::new(enforcer)),
            decisions: Arc::default(),
        }
    }

    async fn default() -> Access {
        in_memory(MODEL, POLICY).await
    }

    fn extension() -> Workflow {
        Workflow::parse(
            "gold-card-extension.toml",
            goldcard_workflow::EXTENSION_DEFINITION,
            &Registry::standard(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn every_event_of_the_extension_definition_has_an_event_policy() {
        let access = default().await;
        let objects: BTreeSet<String> = access.policies().await.into_iter().map(|p| p.object).collect();
        for event in extension().event_names() {
            assert!(
                objects.contains(&format!("event:{event}")),
                "no policy lets anyone fire `{event}`"
            );
        }
    }

    #[tokio::test]
    async fn casbin_and_the_extension_definition_agree_on_who_fires_what() {
        let access = default().await;
        let workflow = extension();
        for event in workflow.event_names() {
            let defined: BTreeSet<Role> = workflow
                .edges
                .iter()
                .filter(|e| e.event == event)
                .flat_map(|e| e.roles.iter().copied())
                .collect();
            for role in Role::ALL {
                let allowed = access.may_fire(role.as_str(), event).await;
                assert_eq!(
                    allowed,
                    defined.contains(&role),
                    "`{event}` by `{role}`: casbin says {allowed}, the definition says {}",
                    defined.contains(&role)
                );
            }
        }
    }

    #[tokio::test]
    async fn event_policies_name_only_events_of_the_definition() {
        let access = default().await;
        let workflow = extension();
        for p in access.policies().await {
            if let Some(event) = p.object.strip_prefix(EVENT_PREFIX) {
                assert!(workflow.has_event(event), "policy for unknown event `{event}`");
                assert_eq!(p.action, FIRE);
            }
        }
    }

    #[tokio::test]
    async fn every_role_inherits_anonymous_and_all_but_the_machines_may_sign_out() {
        let access = default().await;
        for role in Role::ALL {
            let r = role.as_str();
            assert!(access.allows(r, "/healthz", "GET").await, "{r}");
            assert!(access.allows(r, "/api/v1/session", "POST").await, "{r}");
            let signs_out = !matches!(role, Role::PaymentGateway | Role::System);
            assert_eq!(access.allows(r, "/api/v1/session", "DELETE").await, signs_out, "{r}");
        }
        assert!(!access.allows(ANONYMOUS, "/api/v1/session", "DELETE").await);
    }

    #[tokio::test]
    async fn the_api_routes_of_interfaces_md_all_have_a_policy() {
        let access = default().await;
        let routes: BTreeSet<(String, String)> = access.routes().await.into_iter().collect();
        for (method, path) in [
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", "/"),
            ("GET", "/api/v1/openapi.json"),
            ("POST", "/api/v1/session"),
            ("POST", "/api/v1/session/otp"),
            ("DELETE", "/api/v1/session"),
            ("GET", "/api/v1/cards/lookup"),
            ("POST", "/api/v1/extensions"),
            ("POST", "/api/v1/documents"),
            ("GET", "/api/v1/cases/{case_number}"),
            ("POST", "/api/v1/cases/{case_number}/events"),
            ("GET", "/api/v1/queues/{queue}"),
            ("GET", "/api/v1/cases"),
            ("GET", "/api/v1/cards/{ui_number}"),
            ("POST", "/api/v1/payments/notify"),
        ] {
            assert!(
                routes.contains(&(method.to_string(), path.to_string())),
                "{method} {path}"
            );
        }
        assert!(routes.iter().all(|(_, path)| path.starts_with('/')));
    }

    #[tokio::test]
    async fn officers_and_supervisors() {
        let access = default().await;
        assert!(
            access
                .allows("immigration_supervisor", "/api/v1/cards/{ui_number}", "GET")
                .await
        );
        assert!(access.may_fire("labor_supervisor", "approve").await);
        assert!(!access.may_fire("immigration_officer", "approve").await);
        assert!(!access.may_fire("labor_reviewer", "issue").await);
        assert!(
            !access
                .allows("helpdesk", "/api/v1/cases/{case_number}/events", "POST")
                .await
        );
        assert!(!access.allows("admin", "/api/v1/cases", "GET").await);
        assert!(
            !access
                .allows("payment_gateway", "/api/v1/cases/{case_number}", "GET")
                .await
        );
        assert!(!access.allows("unknown_role", "/api/v1/cases", "GET").await);
        assert!(!access.allows("unknown_role", "/healthz", "GET").await);
    }

    #[tokio::test]
    async fn a_bad_seed_line_is_refused_with_its_line_number() {
        let model = DefaultModel::from_str(MODEL).await.unwrap();
        let err = parse_policy_csv("# x\np, a, /b, GET\np, a, /b\n", &model).unwrap_err();
        assert!(matches!(err, AccessError::PolicyCsv { line: 3, .. }), "{err}");
        let err = parse_policy_csv("q, a, /b, GET\n", &model).unwrap_err();
        assert!(matches!(err, AccessError::PolicyCsv { line: 1, .. }), "{err}");
        let err = parse_policy_csv("g, a, , \n", &model).unwrap_err();
        assert!(matches!(err, AccessError::PolicyCsv { .. }), "{err}");
        let err = parse_policy_csv("p, a, \"/b\n", &model).unwrap_err();
        assert!(matches!(err, AccessError::PolicyCsv { .. }), "{err}");
    }

    #[tokio::test]
    async fn line_numbers_count_comments_and_blank_lines() {
        let model = DefaultModel::from_str(MODEL).await.unwrap();
        let err = parse_policy_csv("# x\n\n# y\ng, a, b\n\np, a, /b\n", &model).unwrap_err();
        assert!(matches!(err, AccessError::PolicyCsv { line: 6, .. }), "{err}");
    }

    #[tokio::test]
    async fn comments_and_blank_lines_are_skipped() {
        let model = DefaultModel::from_str(MODEL).await.unwrap();
        let rules = parse_policy_csv("# a comment\n\n  \np, a, /b, GET\n# p, x, /y, GET\ng, a, b\n", &model).unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].values, ["a", "/b", "GET"]);
        assert_eq!(rules[1].ptype, "g");
    }
}
