//! The audit trail: one row per accepted event, append-only, hash-chained per case.
//!
//! Each row's hash covers its content and the previous row's hash of the same case; the
//! case row records how many audit rows it has (`audit_seq`), so a changed row, a deleted
//! row in the middle and a deleted last row are all detected by [`verify`].

use crate::entity::{audit_log, cases};
use crate::error::StoreError;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sha2::{Digest, Sha256};

/// The previous hash of a case's first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Timestamps are stored and hashed at microsecond precision, which both databases keep.
pub fn audit_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// SHA-256 of a payload's stored text, hex.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The fields a row's hash covers.
#[derive(Debug, Clone, Copy)]
pub struct ChainLink<'a> {
    /// The previous row's hash (or [`GENESIS`]).
    pub prev_hash: &'a str,
    /// The case's number (known before its row exists).
    pub case_number: &'a str,
    /// 1-based position in the case's chain.
    pub seq: i64,
    /// The event.
    pub event: &'a str,
    /// State left (none when the case was created).
    pub from_state: Option<&'a str>,
    /// State entered.
    pub to_state: &'a str,
    /// Actor account (0 for the scheduler).
    pub actor_id: i64,
    /// Actor role.
    pub actor_role: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// Digest of the payload text.
    pub payload_digest: &'a str,
}

impl ChainLink<'_> {
    /// The row's hash.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.prev_hash,
            self.case_number,
            &self.seq.to_string(),
            self.event,
            self.from_state.unwrap_or("-"),
            self.to_state,
            &self.actor_id.to_string(),
            self.actor_role,
            &self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            self.payload_digest,
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]); // unit separator: no two field lists hash alike
        }
        hex::encode(h.finalize())
    }

    fn of<'a>(row: &'a audit_log::Model, case_number: &'a str) -> ChainLink<'a> {
        ChainLink {
            prev_hash: &row.prev_hash,
            case_number,
            seq: row.seq,
            event: &row.event,
            from_state: row.from_state.as_deref(),
            to_state: &row.to_state,
            actor_id: row.actor_id,
            actor_role: &row.actor_role,
            at: row.at,
            payload_digest: &row.payload_digest,
        }
    }
}

/// The first broken link found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The case's number.
    pub case_number: String,
    /// Position in its chain.
    pub seq: i64,
    /// What is wrong.
    pub problem: String,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Cases walked.
    pub cases: u64,
    /// Audit rows checked.
    pub rows: u64,
    /// The first broken link, if any.
    pub first_break: Option<Break>,
}

const PAGE: u64 = 500;

/// Walks every case's chain in case order and reports the first broken link.
pub async fn verify<C: ConnectionTrait>(db: &C) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut after = 0i64;
    loop {
        let page: Vec<(i64, String, String, i64, String)> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .column(cases::Column::CaseNumber)
            .column(cases::Column::State)
            .column(cases::Column::AuditSeq)
            .column(cases::Column::AuditHead)
            .filter(cases::Column::Id.gt(after))
            .order_by_asc(cases::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        let ids: Vec<i64> = page.iter().map(|c| c.0).collect();
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::CaseId.is_in(ids))
            .order_by_asc(audit_log::Column::CaseId)
            .order_by_asc(audit_log::Column::Seq)
            .all(db)
            .await?;
        let mut rows = rows.into_iter().peekable();
        for (case_id, case_number, state, audit_seq, audit_head) in page {
            report.cases += 1;
            let mut prev = GENESIS.to_string();
            let mut expected_seq = 1i64;
            let mut last_to: Option<String> = None;
            while let Some(row) = rows.next_if(|r| r.case_id == case_id) {
                report.rows += 1;
                let broken = |problem: String| Break {
                    case_number: case_number.clone(),
                    seq: row.seq,
                    problem,
                };
                if row.seq != expected_seq {
                    report.first_break = Some(broken(format!("row {expected_seq} is missing (found {})", row.seq)));
                    return Ok(report);
                }
                if row.prev_hash != prev {
                    report.first_break = Some(broken("does not link to the previous row".to_string()));
                    return Ok(report);
                }
                if digest(&row.payload) != row.payload_digest {
                    report.first_break = Some(broken("payload was changed".to_string()));
                    return Ok(report);
                }
                let hash = ChainLink::of(&row, &case_number).hash();
                if hash != row.hash {
                    report.first_break = Some(broken("row content does not match its hash".to_string()));
                    return Ok(report);
                }
                prev = row.hash.clone();
                last_to = Some(row.to_state.clone());
                expected_seq += 1;
            }
            let found = expected_seq - 1;
            if found != audit_seq {
                report.first_break = Some(Break {
                    case_number,
                    seq: found + 1,
                    problem: format!("the case has {audit_seq} audit rows but the chain ends at {found}"),
                });
                return Ok(report);
            }
            if found > 0 && prev != audit_head {
                report.first_break = Some(Break {
                    case_number,
                    seq: found,
                    problem: "the case's recorded chain head is not its last audit row".to_string(),
                });
                return Ok(report);
            }
            if let Some(to) = last_to
                && to != state
            {
                report.first_break = Some(Break {
                    case_number,
                    seq: found,
                    problem: format!("the case is `{state}` but its last audit row says `{to}`"),
                });
                return Ok(report);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(prev: &str) -> ChainLink<'_> {
        ChainLink {
            prev_hash: prev,
            case_number: "115550000007",
            seq: 1,
            event: "file",
            from_state: None,
            to_state: "submitted",
            actor_id: 3,
            actor_role: "applicant",
            at: DateTime::parse_from_rfc3339("2026-11-25T01:02:03.123456Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            payload_digest: "abc",
        }
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = link(GENESIS);
        let h = base.hash();
        assert_eq!(h.len(), 64);
        assert_eq!(h, link(GENESIS).hash(), "deterministic");
        let variants = [
            ChainLink { prev_hash: "1", ..base },
            ChainLink {
                case_number: "115550000008",
                ..base
            },
            ChainLink { seq: 2, ..base },
            ChainLink { event: "pay", ..base },
            ChainLink {
                from_state: Some("submitted"),
                ..base
            },
            ChainLink {
                to_state: "paid",
                ..base
            },
            ChainLink { actor_id: 4, ..base },
            ChainLink {
                actor_role: "cashier",
                ..base
            },
            ChainLink {
                at: base.at + chrono::Duration::microseconds(1),
                ..base
            },
            ChainLink {
                payload_digest: "abd",
                ..base
            },
        ];
        for v in variants {
            assert_ne!(v.hash(), h, "{v:?}");
        }
    }
}
