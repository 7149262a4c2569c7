//! Job leases: a row per job in `job_leases` naming the instance that holds it and until
//! when. Taking a lease is one statement (an upsert that only overwrites an expired
//! lease), so of two instances racing for it exactly one gets it, on SQLite and
//! PostgreSQL alike. Leases run on real time, never on a frozen business clock.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use goldcard_store::entity::job_leases;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

/// Takes the lease of `name` for `holder` until `now + ttl`, if it is free (absent or
/// expired). Returns whether it was taken.
pub async fn take<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use job_leases::Column as L;
    let now = now.trunc_subsecs(6);
    let written = job_leases::Entity::insert(job_leases::ActiveModel {
        name: Set(name.to_string()),
        holder: Set(holder.to_string()),
        expires_at: Set(now + ttl),
    })
    .on_conflict(
        OnConflict::column(L::Name)
            .update_columns([L::Holder, L::ExpiresAt])
            .action_and_where(Expr::col((job_leases::Entity, L::ExpiresAt)).lte(now))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(written == 1)
}

/// Releases a lease `holder` holds (it expires now).
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
    use job_leases::Column as L;
    job_leases::Entity::update_many()
        .col_expr(L::ExpiresAt, Expr::value(now.trunc_subsecs(6)))
        .filter(L::Name.eq(name))
        .filter(L::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Who holds the lease of `name` at `now`, if anyone.
pub async fn holder<C: ConnectionTrait>(db: &C, name: &str, now: DateTime<Utc>) -> Result<Option<String>, DbErr> {
    Ok(job_leases::Entity::find_by_id(name.to_string())
        .one(db)
        .await?
        .filter(|l| l.expires_at > now)
        .map(|l| l.holder))
}
