//! `goldcard cards import FILE.csv`: any bytes give rows or a list of row errors, never a
//! panic; when rows come back, none of them was reported bad.
#![no_main]

use goldcard_domain::Catalog;
use goldcard_domain::card_csv::parse_csv;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::parse(
            include_str!("../../seeds/fields.toml"),
            include_str!("../../seeds/document_types.toml"),
        )
        .expect("the seeds' catalog parses")
    })
}

fuzz_target!(|data: &[u8]| {
    match parse_csv(data, catalog()) {
        Ok(rows) => {
            for r in rows {
                assert!(r.expires_on > r.birth_date);
            }
        }
        Err(errors) => assert!(!errors.is_empty()),
    }
});
