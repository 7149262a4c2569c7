//! [`SeaOrmAdapter`]: casbin's [`Adapter`] over the `casbin_rules` table, on SQLite and
//! PostgreSQL alike (no published adapter supports sea-orm 2).
//!
//! A row is one rule: `ptype` (`p`, `g`, ...) and up to six values `v0`..`v5`, unused ones
//! stored as `""`. Loading drops trailing empty values, so a row holds exactly the rule
//! casbin was given. The table has no unique constraint: adding a rule that is already
//! there is refused (`Ok(false)`), as casbin expects, and removing one removes every copy.

use crate::error::AccessError;
use async_trait::async_trait;
use casbin::error::AdapterError;
use casbin::{Adapter, Filter, Model};
use goldcard_store::entity::casbin_rules::{self, ActiveModel, Column, Entity};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};

/// How many values a rule may have: the columns `v0`..`v5`.
pub const MAX_VALUES: usize = 6;

/// Rows per INSERT statement (PostgreSQL allows 65535 bind parameters, a row takes 7).
const INSERT_CHUNK: usize = 1000;

/// One rule as stored: its type and its values.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredRule {
    /// `p` for a policy, `g` for a role link (or `p2`, `g2`, ... in richer models).
    pub ptype: String,
    /// The values, without trailing empty ones.
    pub values: Vec<String>,
}

/// casbin's [`Adapter`] over the `casbin_rules` table.
#[derive(Clone, Debug)]
pub struct SeaOrmAdapter {
    db: DatabaseConnection,
    filtered: bool,
}

impl SeaOrmAdapter {
    /// An adapter over the given pool (cheap: the pool is shared).
    pub fn new(db: DatabaseConnection) -> SeaOrmAdapter {
        SeaOrmAdapter { db, filtered: false }
    }

    /// Every stored rule, in insertion order.
    pub async fn rules(&self) -> Result<Vec<StoredRule>, AccessError> {
        let rows = Entity::find().order_by_asc(Column::Id).all(&self.db).await?;
        Ok(rows.into_iter().map(stored).collect())
    }

    /// Writes `rules` if the table is empty, in one transaction; returns whether it did.
    ///
    /// On PostgreSQL the table is locked for the check, so that two instances starting
    /// together cannot both seed it; SQLite serialises writers by itself.
    pub async fn seed_if_empty(&self, rules: &[StoredRule]) -> Result<bool, AccessError> {
        let rows = rules.iter().map(row).collect::<Result<Vec<_>, _>>()?;
        let txn = self.db.begin().await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            txn.execute_unprepared("LOCK TABLE casbin_rules IN SHARE ROW EXCLUSIVE MODE")
                .await?;
        }
        if Entity::find().count(&txn).await? > 0 {
            return Ok(false);
        }
        insert_rows(&txn, rows).await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// Converts a database error into casbin's adapter error.
fn adapter_error(e: impl Into<AccessError>) -> casbin::Error {
    casbin::Error::AdapterError(AdapterError(Box::new(e.into())))
}

/// The rule a row holds, trailing empty values dropped.
fn stored(m: casbin_rules::Model) -> StoredRule {
    let mut values = vec![m.v0, m.v1, m.v2, m.v3, m.v4, m.v5];
    while values.last().is_some_and(String::is_empty) {
        values.pop();
    }
    StoredRule { ptype: m.ptype, values }
}

/// The row for a rule.
fn row(rule: &StoredRule) -> Result<ActiveModel, AccessError> {
    if rule.values.len() > MAX_VALUES {
        return Err(AccessError::TooManyValues {
            ptype: rule.ptype.clone(),
            count: rule.values.len(),
        });
    }
    let v = |i: usize| Set(rule.values.get(i).cloned().unwrap_or_default());
    Ok(ActiveModel {
        id: NotSet,
        ptype: Set(rule.ptype.clone()),
        v0: v(0),
        v1: v(1),
        v2: v(2),
        v3: v(3),
        v4: v(4),
        v5: v(5),
    })
}

fn value_column(i: usize) -> Option<Column> {
    Some(match i {
        0 => Column::V0,
        1 => Column::V1,
        2 => Column::V2,
        3 => Column::V3,
        4 => Column::V4,
        5 => Column::V5,
        _ => return None,
    })
}

/// The condition matching exactly this rule (every column, unused ones `""`).
fn exactly(ptype: &str, values: &[String]) -> Result<Condition, AccessError> {
    if values.len() > MAX_VALUES {
        return Err(AccessError::TooManyValues {
            ptype: ptype.to_string(),
            count: values.len(),
        });
    }
    let mut cond = Condition::all().add(Column::Ptype.eq(ptype));
    for i in 0..MAX_VALUES {
        if let Some(col) = value_column(i) {
            cond = cond.add(col.eq(values.get(i).map(String::as_str).unwrap_or("")));
        }
    }
    Ok(cond)
}

async fn exists<C: ConnectionTrait>(db: &C, ptype: &str, values: &[String]) -> Result<bool, AccessError> {
    Ok(Entity::find().filter(exactly(ptype, values)?).count(db).await? > 0)
}

async fn insert_rows<C: ConnectionTrait>(db: &C, rows: Vec<ActiveModel>) -> Result<(), AccessError> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<ActiveModel> = rows.by_ref().take(INSERT_CHUNK).collect();
        Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Whether a rule of section `sec` passes a filter (`Filter::p` or `Filter::g`): every
/// non-empty filter value equals the rule's value at its position.
fn passes(values: &[String], filter: &[&str]) -> bool {
    filter
        .iter()
        .enumerate()
        .all(|(i, f)| f.is_empty() || values.get(i).is_some_and(|v| v == f))
}

/// Adds a stored rule to the model; rules of a type the model does not define are skipped.
fn load_rule(rule: StoredRule, m: &mut dyn Model) {
    let Some(sec) = rule.ptype.get(..1) else {
        tracing::warn!(ptype = %rule.ptype, "casbin_rules: skipping a rule with an empty ptype");
        return;
    };
    let known = m.get_model().get(sec).is_some_and(|a| a.contains_key(&rule.ptype));
    if !known {
        tracing::warn!(ptype = %rule.ptype, "casbin_rules: skipping a rule of a type the model does not define");
        return;
    }
    m.add_policy(sec, &rule.ptype, rule.values);
}

#[async_trait]
impl Adapter for SeaOrmAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        for rule in self.rules().await.map_err(adapter_error)? {
            load_rule(rule, m);
        }
        self.filtered = false;
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, f: Filter<'a>) -> casbin::Result<()> {
        for rule in self.rules().await.map_err(adapter_error)? {
            let keep = match rule.ptype.get(..1) {
                Some("p") => passes(&rule.values, &f.p),
                Some("g") => passes(&rule.values, &f.g),
                _ => true,
            };
            if keep {
                load_rule(rule, m);
            }
        }
        self.filtered = true;
        Ok(())
    }

    async fn save_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let mut rows = Vec::new();
        for sec in ["p", "g"] {
            if let Some(assertions) = m.get_model().get(sec) {
                for (ptype, assertion) in assertions {
                    for values in assertion.get_policy() {
                        rows.push(
                            row(&StoredRule {
                                ptype: ptype.clone(),
                                values: values.clone(),
                            })
                            .map_err(adapter_error)?,
                        );
                    }
                }
            }
        }
        let txn = self.db.begin().await.map_err(adapter_error)?;
        Entity::delete_many().exec(&txn).await.map_err(adapter_error)?;
        insert_rows(&txn, rows).await.map_err(adapter_error)?;
        txn.commit().await.map_err(adapter_error)?;
        Ok(())
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        Entity::delete_many().exec(&self.db).await.map_err(adapter_error)?;
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        self.filtered
    }

    async fn add_policy(&mut self, sec: &str, ptype: &str, rule: Vec<String>) -> casbin::Result<bool> {
        self.add_policies(sec, ptype, vec![rule]).await
    }

    /// All or nothing, as casbin's model does: if any rule is already there, none is added.
    async fn add_policies(&mut self, _sec: &str, ptype: &str, rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        let mut rows = Vec::with_capacity(rules.len());
        let mut seen = std::collections::HashSet::new();
        for values in rules {
            if seen.insert(values.clone()) {
                rows.push((
                    row(&StoredRule {
                        ptype: ptype.to_string(),
                        values: values.clone(),
                    })
                    .map_err(adapter_error)?,
                    values,
                ));
            }
        }
        let txn = self.db.begin().await.map_err(adapter_error)?;
        for (_, values) in &rows {
            if exists(&txn, ptype, values).await.map_err(adapter_error)? {
                return Ok(false);
            }
        }
        insert_rows(&txn, rows.into_iter().map(|(r, _)| r).collect())
            .await
            .map_err(adapter_error)?;
        txn.commit().await.map_err(adapter_error)?;
        Ok(true)
    }

    async fn remove_policy(&mut self, _sec: &str, ptype: &str, rule: Vec<String>) -> casbin::Result<bool> {
        let cond = exactly(ptype, &rule).map_err(adapter_error)?;
        let done = Entity::delete_many()
            .filter(cond)
            .exec(&self.db)
            .await
            .map_err(adapter_error)?;
        Ok(done.rows_affected > 0)
    }

    /// All or nothing, as casbin's model does: if any rule is missing, none is removed.
    async fn remove_policies(&mut self, _sec: &str, ptype: &str, rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        let conds = rules
            .iter()
            .map(|values| exactly(ptype, values))
            .collect::<Result<Vec<_>, _>>()
            .map_err(adapter_error)?;
        let txn = self.db.begin().await.map_err(adapter_error)?;
        for cond in &conds {
            let n = Entity::find()
                .filter(cond.clone())
                .count(&txn)
                .await
                .map_err(adapter_error)?;
            if n == 0 {
                return Ok(false);
            }
        }
        for cond in conds {
            Entity::delete_many()
                .filter(cond)
                .exec(&txn)
                .await
                .map_err(adapter_error)?;
        }
        txn.commit().await.map_err(adapter_error)?;
        Ok(true)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        if field_values.is_empty() {
            return Ok(false);
        }
        let mut cond = Condition::all().add(Column::Ptype.eq(ptype));
        for (i, value) in field_values.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            match value_column(field_index + i) {
                Some(col) => cond = cond.add(col.eq(value.as_str())),
                // a value beyond v5: no stored rule can match it
                None => return Ok(false),
            }
        }
        let done = Entity::delete_many()
            .filter(cond)
            .exec(&self.db)
            .await
            .map_err(adapter_error)?;
        Ok(done.rows_affected > 0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn trailing_empty_values_are_dropped_on_load() {
        let m = casbin_rules::Model {
            id: 1,
            ptype: "p".into(),
            v0: "applicant".into(),
            v1: "/".into(),
            v2: "GET".into(),
            v3: String::new(),
            v4: String::new(),
            v5: String::new(),
        };
        assert_eq!(stored(m).values, strings(&["applicant", "/", "GET"]));
    }

    #[test]
    fn seven_values_do_not_fit() {
        let rule = StoredRule {
            ptype: "p".into(),
            values: strings(&["a", "b", "c", "d", "e", "f", "g"]),
        };
        assert!(matches!(row(&rule), Err(AccessError::TooManyValues { count: 7, .. })));
        assert!(exactly("p", &rule.values).is_err());
    }

    #[test]
    fn filters_compare_non_empty_values_only() {
        let v = strings(&["labor_reviewer", "/api/v1/cases", "GET"]);
        assert!(passes(&v, &[]));
        assert!(passes(&v, &["labor_reviewer"]));
        assert!(passes(&v, &["", "/api/v1/cases"]));
        assert!(!passes(&v, &["helpdesk"]));
        assert!(!passes(&v, &["", "", "", "x"]));
    }
}
