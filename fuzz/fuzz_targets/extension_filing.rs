//! `POST /api/v1/extensions`: any bytes as the JSON body give a filing or field errors
//! (every one with a path), never a panic; a filing that passes has a fee and a list of
//! required documents.
#![no_main]

use chrono::NaiveDate;
use goldcard_domain::{Catalog, ExtensionFiling, FeeTable, RawExtension};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Seeds {
    catalog: Catalog,
    fees: FeeTable,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| Seeds {
        catalog: Catalog::parse(
            include_str!("../../seeds/fields.toml"),
            include_str!("../../seeds/document_types.toml"),
        )
        .expect("the seeds' catalog parses"),
        fees: FeeTable::from_toml_str(include_str!("../../seeds/fees.toml")).expect("the seeds' fees parse"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = serde_json::from_slice::<RawExtension>(data) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("a real date");
    match ExtensionFiling::parse(raw, today, &seeds().catalog) {
        Ok(filing) => {
            let _ = filing.fee(&seeds().fees);
            let _ = filing.required_document_types(&seeds().catalog);
        }
        Err(fields) => {
            assert!(!fields.is_empty());
            assert!(fields.iter().all(|f| !f.field.is_empty()));
        }
    }
});
