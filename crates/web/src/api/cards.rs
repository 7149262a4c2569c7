//! `GET /api/v1/cards/lookup` (applicants: window status) and `GET /api/v1/cards/{ui}`.

use super::{ApiQuery, mask};
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use goldcard_domain::{FieldError, FilingWindow, UiNumber, WindowStatus};
use goldcard_store::entity::{cards, cases};
use goldcard_workflow::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// Query of the lookup.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    /// 統一證號.
    pub ui_number: Option<String>,
    /// YYYY-MM-DD.
    pub birth_date: Option<String>,
}

/// The filing window of a card.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    /// First day an extension may be filed (expiry − 4 months).
    pub opens_on: NaiveDate,
    /// First day the platform is locked (expiry − 1 month).
    pub locks_on: NaiveDate,
    /// `not_yet_open`, `open`, `locked` or `expired`.
    #[schema(value_type = String)]
    pub status: WindowStatus,
}

/// A card as the lookup shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LookupView {
    /// 統一證號.
    pub ui_number: String,
    /// Last valid day.
    pub expires_on: NaiveDate,
    /// Field of expertise.
    pub field: String,
    /// Filing window.
    pub window: WindowView,
}

/// The refusal of a lookup by an account over the limit of failed lookups, in both
/// languages (the API has no page language).
pub const TOO_MANY_LOOKUPS: (&str, &str) = (
    "查詢失敗次數過多（15 分鐘內 10 次），請 15 分鐘後再試。",
    "Too many failed card lookups (10 in 15 minutes); try again in 15 minutes.",
);

/// Refuses (429 `too_many_lookups`) a card lookup by an account that failed
/// [`goldcard_store::card_lookups::FAILURES_ALLOWED`] lookups in the last 15 minutes.
pub async fn lookup_allowed(state: &AppState, caller: &Caller) -> ApiResult<()> {
    if goldcard_store::card_lookups::allowed(state.store.db(), caller.account_id, state.clock.now()).await? {
        Ok(())
    } else {
        tracing::warn!(account = caller.account_id, "card lookup refused: too many failures");
        Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_lookups",
            format!("{} {}", TOO_MANY_LOOKUPS.0, TOO_MANY_LOOKUPS.1),
        ))
    }
}

/// Counts a lookup of a card that does not exist (or not with that birth date).
pub async fn lookup_failed(state: &AppState, caller: &Caller) -> ApiResult<()> {
    Ok(goldcard_store::card_lookups::record_failure(state.store.db(), caller.account_id, state.clock.now()).await?)
}

/// Finds a card by UI number and birth date and tells whether an extension may be filed.
///
/// Failed lookups are rate-limited per account.
#[utoipa::path(get, path = "/api/v1/cards/lookup", params(LookupQuery), tag = "cards",
    responses((status = 200, body = LookupView), (status = 404, description = "card_not_found"), (status = 422, description = "invalid_ui_number"),
        (status = 429, description = "too_many_lookups")))]
pub async fn lookup(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<LookupQuery>,
) -> ApiResult<Json<LookupView>> {
    lookup_allowed(&state, &caller).await?;
    let ui = UiNumber::parse(q.ui_number.as_deref().unwrap_or("")).map_err(|e| {
        ApiError::invalid(
            "invalid_ui_number",
            e.to_string(),
            vec![FieldError::new("ui_number", "invalid_ui_number", e.to_string())],
        )
    })?;
    let birth = q
        .birth_date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            ApiError::validation(vec![FieldError::new(
                "birth_date",
                "invalid_date",
                "birth_date must be a date YYYY-MM-DD",
            )])
        })?;
    let Some(card) = goldcard_store::cards::for_holder(state.store.db(), &ui, birth).await? else {
        lookup_failed(&state, &caller).await?;
        return Err(ApiError::not_found(
            "card_not_found",
            "no card with that UI number and birth date",
        ));
    };
    let window = FilingWindow::for_expiry(card.expires_on);
    Ok(Json(LookupView {
        ui_number: card.ui_number,
        expires_on: card.expires_on,
        field: card.field,
        window: WindowView {
            opens_on: window.opens_on,
            locks_on: window.locks_on,
            status: window.status_on(state.today()),
        },
    }))
}

/// One case in a card's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardCase {
    /// Case number.
    pub case_number: String,
    /// Its state.
    pub state: String,
    /// Filed at.
    pub filed_at: chrono::DateTime<chrono::Utc>,
}

/// A card as officers see it (identifiers masked for the helpdesk).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardView {
    /// 統一證號.
    pub ui_number: String,
    /// Holder's family name.
    pub family_name: String,
    /// Holder's given name.
    pub given_name: String,
    /// Nationality.
    pub nationality: String,
    /// Field of expertise.
    pub field: String,
    /// Passport number.
    pub passport_number: Option<String>,
    /// Hong Kong or Macau resident.
    pub hk_macau: bool,
    /// Last valid day.
    pub expires_on: NaiveDate,
    /// Filing window.
    pub window: WindowView,
    /// Its cases, newest first.
    pub cases: Vec<CardCase>,
}

/// A card with its expiry and case history.
#[utoipa::path(get, path = "/api/v1/cards/{ui_number}", params(("ui_number" = String, Path)), tag = "cards",
    responses((status = 200, body = CardView), (status = 404, description = "card_not_found")))]
pub async fn read(State(state): State<AppState>, caller: Caller, Path(ui): Path<String>) -> ApiResult<Json<CardView>> {
    let not_found = || ApiError::not_found("card_not_found", "no such card");
    let ui = UiNumber::parse(&ui).map_err(|_| not_found())?;
    let db = state.store.db();
    let card = cards::Entity::find()
        .filter(cards::Column::UiNumber.eq(ui.as_str()))
        .one(db)
        .await
        .map_err(goldcard_store::StoreError::from)?
        .ok_or_else(not_found)?;
    let history = cases::Entity::find()
        .filter(cases::Column::CardId.eq(card.id))
        .order_by_desc(cases::Column::Id)
        .all(db)
        .await
        .map_err(goldcard_store::StoreError::from)?;
    let masked = caller.role == Role::Helpdesk;
    let window = FilingWindow::for_expiry(card.expires_on);
    Ok(Json(CardView {
        ui_number: if masked { mask(&card.ui_number) } else { card.ui_number },
        family_name: card.family_name,
        given_name: card.given_name,
        nationality: card.nationality,
        field: card.field,
        passport_number: card.passport_number.map(|p| if masked { mask(&p) } else { p }),
        hk_macau: card.hk_macau,
        expires_on: card.expires_on,
        window: WindowView {
            opens_on: window.opens_on,
            locks_on: window.locks_on,
            status: window.status_on(state.today()),
        },
        cases: history
            .into_iter()
            .map(|c| CardCase {
                case_number: c.case_number,
                state: c.state,
                filed_at: c.filed_at,
            })
            .collect(),
    }))
}
