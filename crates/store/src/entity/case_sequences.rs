use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_sequences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub roc_year: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_type: String,
    pub last_value: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
