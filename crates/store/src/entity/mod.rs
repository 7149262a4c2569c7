//! sea-orm entities, one per table; hand-written model behaviour lives outside this module.
#![allow(missing_docs)]

pub mod access_refusals;
pub mod accounts;
pub mod api_tokens;
pub mod audit_log;
pub mod card_lookup_failures;
pub mod cards;
pub mod casbin_rules;
pub mod case_documents;
pub mod case_notes;
pub mod case_sequences;
pub mod cases;
pub mod catalogs;
pub mod consents;
pub mod document_access;
pub mod documents;
pub mod idempotency_keys;
pub mod job_leases;
pub mod job_runs;
pub mod outbox;
pub mod sessions;
pub mod sign_in_challenges;
pub mod sign_in_failures;
