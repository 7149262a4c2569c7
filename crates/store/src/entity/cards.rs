use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub ui_number: String,
    pub birth_date: Date,
    pub family_name: String,
    pub given_name: String,
    pub chinese_name: Option<String>,
    pub gender: Option<String>,
    pub nationality: String,
    pub email: String,
    pub field: String,
    pub criterion: Option<String>,
    pub subfield: Option<String>,
    pub catalog_version: i32,
    pub passport_number: Option<String>,
    pub passport_expires_on: Option<Date>,
    pub hk_macau: bool,
    pub expires_on: Date,
    pub holder_account_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
