//! Accounts and bearer tokens. Passwords are argon2id hashes; tokens are stored as their
//! SHA-256 only, so a copy of the database cannot be used to sign in.

use crate::entity::{accounts, api_tokens};
use crate::error::StoreError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use chrono::{DateTime, Utc};
use goldcard_domain::Email;
use goldcard_workflow::Role;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

/// A validated login name: 3–64 characters of `a-z 0-9 . _ - @`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    /// Parses a login, lower-casing it.
    pub fn parse(s: &str) -> Result<Login, StoreError> {
        let s = s.trim().to_lowercase();
        let ok = (3..=64).contains(&s.chars().count())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if ok {
            Ok(Login(s))
        } else {
            Err(StoreError::Invalid(format!(
                "login `{s}` must be 3–64 characters of letters, digits, '.', '_', '-', '@'"
            )))
        }
    }

    /// The login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login name.
    pub login: Login,
    /// Where codes and notifications go.
    pub email: Email,
    /// Name shown in screens.
    pub display_name: String,
    /// The role it holds.
    pub role: Role,
    /// Its password (none for service accounts that only use tokens).
    pub password: Option<String>,
    /// `zh-TW` or `en`.
    pub locale: String,
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        )));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches a stored argon2 hash.
pub fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Creates an account.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    new: NewAccount,
    now: DateTime<Utc>,
) -> Result<accounts::Model, StoreError> {
    if new.role == Role::System {
        return Err(StoreError::Invalid("no account may hold the `system` role".into()));
    }
    if !matches!(new.locale.as_str(), "zh-TW" | "en") {
        return Err(StoreError::Invalid(format!(
            "locale `{}` must be zh-TW or en",
            new.locale
        )));
    }
    let password_hash = new.password.as_deref().map(hash_password).transpose()?;
    let row = accounts::ActiveModel {
        id: NotSet,
        login: Set(new.login.as_str().to_string()),
        email: Set(new.email.as_str().to_string()),
        display_name: Set(new.display_name),
        role: Set(new.role.as_str().to_string()),
        password_hash: Set(password_hash),
        locale: Set(new.locale),
        active: Set(true),
        created_at: Set(now),
    };
    accounts::Entity::insert(row)
        .exec_with_returning(db)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e, "login") {
                StoreError::Duplicate(format!("login `{}`", new.login.as_str()))
            } else {
                StoreError::Db(e)
            }
        })
}

/// Finds an account by login.
pub async fn find_by_login<C: ConnectionTrait>(db: &C, login: &str) -> Result<Option<accounts::Model>, StoreError> {
    Ok(accounts::Entity::find()
        .filter(accounts::Column::Login.eq(login.trim().to_lowercase()))
        .one(db)
        .await?)
}

fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a bearer token for an account and returns it; only its digest is stored.
pub async fn create_token<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = format!("gct_{}", hex::encode(rand::random::<[u8; 32]>()));
    api_tokens::Entity::insert(api_tokens::ActiveModel {
        id: NotSet,
        account_id: Set(account_id),
        token_hash: Set(token_digest(&token)),
        label: Set(label.to_string()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// The active account a live token belongs to.
pub async fn account_for_token<C: ConnectionTrait>(
    db: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<accounts::Model>, StoreError> {
    use sea_orm::sea_query::{Condition, Query};
    // one round trip: the account of a live token (every API request asks this)
    let live_token = Query::select()
        .column(api_tokens::Column::AccountId)
        .from(api_tokens::Entity)
        .and_where(api_tokens::Column::TokenHash.eq(token_digest(token)))
        .and_where(api_tokens::Column::RevokedAt.is_null())
        .cond_where(
            Condition::any()
                .add(api_tokens::Column::ExpiresAt.is_null())
                .add(api_tokens::Column::ExpiresAt.gt(now)),
        )
        .to_owned();
    Ok(accounts::Entity::find()
        .filter(accounts::Column::Id.in_subquery(live_token))
        .filter(accounts::Column::Active.eq(true))
        .one(db)
        .await?)
}

/// Revokes a token; returns whether it was live.
pub async fn revoke_token<C: ConnectionTrait>(db: &C, token: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    use sea_orm::sea_query::Expr;
    let done = api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(now))
        .filter(api_tokens::Column::TokenHash.eq(token_digest(token)))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Every account, by role then login (the admin screen).
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<accounts::Model>, StoreError> {
    use sea_orm::QueryOrder;
    Ok(accounts::Entity::find()
        .order_by_asc(accounts::Column::Role)
        .order_by_asc(accounts::Column::Login)
        .all(db)
        .await?)
}

/// Remembers the account's language (`zh-TW` or `en`).
pub async fn set_locale<C: ConnectionTrait>(db: &C, account_id: i64, locale: &str) -> Result<(), StoreError> {
    if !matches!(locale, "zh-TW" | "en") {
        return Err(StoreError::Invalid(format!("locale `{locale}` must be zh-TW or en")));
    }
    update_one(db, account_id, accounts::Column::Locale, locale.into()).await
}

/// Gives the account another role (the admin screen; `system` is nobody's).
pub async fn set_role<C: ConnectionTrait>(db: &C, account_id: i64, role: Role) -> Result<(), StoreError> {
    if role == Role::System {
        return Err(StoreError::Invalid("no account may hold the `system` role".into()));
    }
    update_one(db, account_id, accounts::Column::Role, role.as_str().into()).await
}

/// Activates or deactivates an account. A deactivated account's sessions and tokens stop
/// working at once (both are looked up through an active account).
pub async fn set_active<C: ConnectionTrait>(db: &C, account_id: i64, active: bool) -> Result<(), StoreError> {
    update_one(db, account_id, accounts::Column::Active, active.into()).await
}

async fn update_one<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    column: accounts::Column,
    value: sea_orm::Value,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    let done = accounts::Entity::update_many()
        .col_expr(column, Expr::value(value))
        .filter(accounts::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("account {account_id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_validated() {
        assert_eq!(
            Login::parse(" Reviewer.One ").map(|l| l.0).ok().as_deref(),
            Some("reviewer.one")
        );
        assert!(Login::parse("ab").is_err());
        assert!(Login::parse("a b c").is_err());
        assert!(Login::parse("x'; DROP TABLE accounts;--").is_err());
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() -> Result<(), StoreError> {
        let h = hash_password("correct horse battery")?;
        assert!(h.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &h));
        assert!(!password_matches("wrong horse battery", &h));
        assert!(!password_matches("anything", "not a hash"));
        assert!(hash_password("short").is_err());
        Ok(())
    }
}
