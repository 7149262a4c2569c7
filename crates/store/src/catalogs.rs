//! The catalogs of `seeds/` (fields and criteria, document types, fees, holidays): copied
//! into the database on first start, read from there afterwards.

use crate::entity::catalogs;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use goldcard_domain::{Catalog, FeeTable, WorkingCalendar};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// The catalog files, by their name in the `catalogs` table.
pub const CATALOG_FILES: [(&str, &str); 4] = [
    ("fields", "fields.toml"),
    ("document_types", "document_types.toml"),
    ("fees", "fees.toml"),
    ("holidays", "holidays.toml"),
];

/// The catalog texts, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogTexts(pub BTreeMap<String, String>);

/// The parsed catalogs the rules use.
#[derive(Debug, Clone)]
pub struct Catalogs {
    /// Fields, criteria, document types.
    pub catalog: Catalog,
    /// Fees.
    pub fees: FeeTable,
    /// Working days and holidays.
    pub calendar: WorkingCalendar,
}

impl CatalogTexts {
    /// Reads the catalog files from a seeds folder.
    pub fn from_dir(dir: &Path) -> Result<CatalogTexts, StoreError> {
        let mut map = BTreeMap::new();
        for (name, file) in CATALOG_FILES {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).map_err(|source| StoreError::Io {
                context: format!("reading {}", path.display()),
                source,
            })?;
            map.insert(name.to_string(), text);
        }
        Ok(CatalogTexts(map))
    }

    fn get(&self, name: &str) -> Result<&str, StoreError> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| StoreError::Invalid(format!("catalog `{name}` is missing")))
    }

    /// Parses and validates every catalog.
    pub fn parse(&self) -> Result<Catalogs, StoreError> {
        let bad = |name: &str, e: goldcard_domain::SeedError| StoreError::Invalid(format!("seeds/{name}: {e}"));
        let catalog =
            Catalog::parse(self.get("fields")?, self.get("document_types")?).map_err(|e| bad("fields.toml", e))?;
        let fees = FeeTable::from_toml_str(self.get("fees")?).map_err(|e| bad("fees.toml", e))?;
        let calendar = WorkingCalendar::from_toml_str(self.get("holidays")?).map_err(|e| bad("holidays.toml", e))?;
        Ok(Catalogs {
            catalog,
            fees,
            calendar,
        })
    }
}

/// Copies the catalogs into an empty `catalogs` table (validating them first). Returns
/// whether anything was loaded; a database that has catalogs keeps its own.
pub async fn load_if_empty<C: ConnectionTrait>(
    db: &C,
    texts: &CatalogTexts,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    texts.parse()?;
    if catalogs::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let rows = texts.0.iter().map(|(name, content)| catalogs::ActiveModel {
        name: Set(name.clone()),
        content: Set(content.clone()),
        sha256: Set(hex::encode(Sha256::digest(content.as_bytes()))),
        loaded_at: Set(now),
    });
    catalogs::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(true)
}

/// Reads the catalogs from the database.
pub async fn read<C: ConnectionTrait>(db: &C) -> Result<CatalogTexts, StoreError> {
    let rows = catalogs::Entity::find().all(db).await?;
    Ok(CatalogTexts(rows.into_iter().map(|r| (r.name, r.content)).collect()))
}
