//! Small builders shared by migrations from the second on (the first keeps its own copies:
//! a landed migration is never edited).

use sea_orm_migration::prelude::*;

/// An index named `name` on `table(cols…)`.
pub(crate) fn index(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}

/// Drops the index `name` of `table`.
pub(crate) fn drop_index(name: &str, table: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Alias::new(table)).to_owned()
}

/// A foreign key `from_table.col → to_table.id`, named `fk_<from_table>_<col>`.
pub(crate) fn fk(from_table: &str, col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{col}"))
        .from(Alias::new(from_table), Alias::new(col))
        .to(Alias::new(to_table), Alias::new("id"))
        .to_owned()
}
