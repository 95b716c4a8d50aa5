//! Calendars, holiday sets and SLA policies, with the day view and the SLA calculator.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use weihu_domain::calendar::{Calendar, builtin_holiday_sets};
use weihu_domain::priority::Level;
use weihu_store::calendars::{self, NewPolicy, PolicyVersion, StoredCalendar, StoredPolicy};
use weihu_store::{Page, StoreError};

use super::ListQuery;

use crate::AppState;
use crate::app::calculator::{Calculation, RFC3339, calculate_for, import_into};
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/calendars",
            get(list_calendars).post(create_calendar),
        )
        .route(
            "/api/v1/calendars/{id}",
            get(get_calendar).patch(update_calendar),
        )
        .route("/api/v1/calendars/{id}/days", get(calendar_days))
        .route(
            "/api/v1/calendars/{id}/holidays/import",
            post(import_holidays),
        )
        .route("/api/v1/holiday-sets", get(holiday_sets))
        .route(
            "/api/v1/sla-policies",
            get(list_policies).post(create_policy),
        )
        .route(
            "/api/v1/sla-policies/{id}",
            get(get_policy).patch(revise_policy),
        )
        .route("/api/v1/sla-policies/{id}/versions", get(policy_versions))
        .route("/api/v1/sla-policies/{id}/calculate", get(calculate))
}

/// Business calendars (provider staff).
#[utoipa::path(get, path = "/api/v1/calendars", tag = "service-levels", params(ListQuery),
    responses((status = 200, body = Page<StoredCalendar>), (status = 403, body = ErrorBody)))]
pub async fn list_calendars(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<StoredCalendar>>> {
    Ok(Json(calendars::list(&s.store, &a, &q.params()).await?))
}

/// Create a calendar from the documented JSON format (name, time_zone, week, holidays, workdays, holiday_sets).
#[utoipa::path(post, path = "/api/v1/calendars", tag = "service-levels", request_body = Object,
    responses((status = 201, body = StoredCalendar), (status = 422, body = ErrorBody)))]
pub async fn create_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(def): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<StoredCalendar>)> {
    Ok((
        StatusCode::CREATED,
        Json(calendars::create(&s.store, &a, &def).await?),
    ))
}

/// One calendar.
#[utoipa::path(get, path = "/api/v1/calendars/{id}", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = StoredCalendar), (status = 404, body = ErrorBody)))]
pub async fn get_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<StoredCalendar>> {
    Ok(Json(calendars::get(&s.store, &a, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CalendarUpdate {
    version: i64,
    #[schema(value_type = Object)]
    definition: Value,
}

/// Replace a calendar's definition; send the `version` you read.
#[utoipa::path(patch, path = "/api/v1/calendars/{id}", tag = "service-levels", params(("id" = i64, Path)), request_body = CalendarUpdate,
    responses((status = 200, body = StoredCalendar), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<CalendarUpdate>,
) -> ApiResult<Json<StoredCalendar>> {
    Ok(Json(
        calendars::update(&s.store, &a, id, b.version, &b.definition).await?,
    ))
}

#[derive(Deserialize)]
pub struct DaysQuery {
    from: Option<String>,
    days: Option<u32>,
}

/// Service hours per day: kind (holiday, make-up day, regular, no service) and windows.
#[utoipa::path(get, path = "/api/v1/calendars/{id}/days", tag = "service-levels",
    params(("id" = i64, Path), ("from" = Option<String>, Query, description = "YYYY-MM-DD, default today"), ("days" = Option<u32>, Query, description = "1–400, default 14")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calendar_days(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> ApiResult<Json<Value>> {
    let cal = calendars::get(&s.store, &a, id).await?.calendar()?;
    let days = service_days(&cal, q.from.as_deref(), q.days.unwrap_or(14))?;
    Ok(Json(days))
}

/// The days of a calendar as JSON, shared with the month view.
pub fn service_days(cal: &Calendar, from: Option<&str>, days: u32) -> Result<Value, ApiError> {
    let first = match from {
        Some(d) if !d.is_empty() => d.parse::<jiff::civil::Date>().map_err(|e| {
            ApiError::Store(StoreError::invalid(
                "from",
                format!("not a date (YYYY-MM-DD): {e}"),
            ))
        })?,
        _ => cal.local_date(Timestamp::now()),
    };
    if !(1..=400).contains(&days) {
        return Err(StoreError::invalid("days", "must be between 1 and 400").into());
    }
    let list = cal
        .service_days(first, days)
        .map_err(|e| ApiError::Store(StoreError::invalid("from", e.to_string())))?;
    let tz = cal.time_zone();
    let items: Vec<Value> = list
        .iter()
        .map(|d| {
            let windows: Vec<Value> = d
                .windows
                .iter()
                .map(|w| {
                    let (a, b) = w.zoned(tz);
                    json!({"start": a.strftime(RFC3339).to_string(), "end": b.strftime(RFC3339).to_string(), "local": w.local_label(tz)})
                })
                .collect();
            json!({"date": d.date.to_string(), "kind": d.kind, "windows": windows})
        })
        .collect();
    let last = list.last().map_or(first, |d| d.date);
    let uncovered = cal.uncovered_years(first, last);
    Ok(
        json!({"calendar": cal.name(), "time_zone": cal.time_zone_name(), "days": items,
               "covered_years": cal.covered_years(), "uncovered_years": uncovered}),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct HolidayImport {
    version: i64,
    /// `ics` or `csv` (`date,kind[,as][,name]`, kind holiday|workday).
    format: String,
    text: String,
}

/// Add holidays and make-up working days from an iCalendar or CSV text to a calendar.
#[utoipa::path(post, path = "/api/v1/calendars/{id}/holidays/import", tag = "service-levels", params(("id" = i64, Path)), request_body = HolidayImport,
    responses((status = 200, body = StoredCalendar), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_holidays(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<HolidayImport>,
) -> ApiResult<Json<StoredCalendar>> {
    Ok(Json(
        import_into(&s.store, &a, id, b.version, &b.format, &b.text).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HolidaySetView {
    name: &'static str,
    description: &'static str,
    /// The calendar years whose holidays the set fully covers.
    years: Vec<i16>,
    #[schema(value_type = Vec<Object>)]
    holidays: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    workdays: Vec<Value>,
}

/// The built-in holiday sets (e.g. `cn-2026`) that calendars may name in `holiday_sets`.
#[utoipa::path(get, path = "/api/v1/holiday-sets", tag = "service-levels", responses((status = 200, body = Vec<HolidaySetView>)))]
pub async fn holiday_sets(ApiActor(_a): ApiActor) -> Json<Vec<HolidaySetView>> {
    Json(
        builtin_holiday_sets()
            .iter()
            .map(|h| HolidaySetView {
                name: h.name,
                description: h.description,
                years: h.years().to_vec(),
                holidays: h.holidays().into_iter().map(|(d, n)| json!({"date": d.to_string(), "name": n})).collect(),
                workdays: h.workdays().into_iter().map(|(d, w, n)| json!({"date": d.to_string(), "as": format!("{w:?}").to_lowercase(), "name": n})).collect(),
            })
            .collect(),
    )
}

/// SLA policies with their current version (provider staff).
#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "service-levels", params(ListQuery),
    responses((status = 200, body = Page<StoredPolicy>), (status = 403, body = ErrorBody)))]
pub async fn list_policies(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<StoredPolicy>>> {
    Ok(Json(
        calendars::list_policies(&s.store, &a, &q.params()).await?,
    ))
}

/// Create an SLA policy (version 1). Each priority names a calendar (a stored one, or `5x8` / `7x24`).
#[utoipa::path(post, path = "/api/v1/sla-policies", tag = "service-levels", request_body = NewPolicy,
    responses((status = 201, body = StoredPolicy), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_policy(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewPolicy>,
) -> ApiResult<(StatusCode, Json<StoredPolicy>)> {
    Ok((
        StatusCode::CREATED,
        Json(calendars::create_policy(&s.store, &a, &b).await?),
    ))
}

/// One SLA policy.
#[utoipa::path(get, path = "/api/v1/sla-policies/{id}", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = StoredPolicy), (status = 404, body = ErrorBody)))]
pub async fn get_policy(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<StoredPolicy>> {
    Ok(Json(calendars::get_policy(&s.store, &a, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PolicyRevision {
    version: i64,
    #[schema(value_type = Object)]
    definition: Value,
    #[serde(default)]
    note: String,
}

/// Add a new version of a policy; orders keep the version they started under.
#[utoipa::path(patch, path = "/api/v1/sla-policies/{id}", tag = "service-levels", params(("id" = i64, Path)), request_body = PolicyRevision,
    responses((status = 200, body = StoredPolicy), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revise_policy(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<PolicyRevision>,
) -> ApiResult<Json<StoredPolicy>> {
    Ok(Json(
        calendars::revise_policy(&s.store, &a, id, b.version, &b.definition, &b.note).await?,
    ))
}

/// Every version of a policy, newest first.
#[utoipa::path(get, path = "/api/v1/sla-policies/{id}/versions", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PolicyVersion>), (status = 404, body = ErrorBody)))]
pub async fn policy_versions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<PolicyVersion>>> {
    Ok(Json(calendars::policy_versions(&s.store, &a, id).await?))
}

#[derive(Deserialize)]
pub struct CalcQuery {
    priority: Option<String>,
    urgency: Option<Level>,
    impact: Option<Level>,
    start: Option<String>,
}

/// "If an order opens at `start` (default now) with this priority under this policy, when is each clock due?"
#[utoipa::path(get, path = "/api/v1/sla-policies/{id}/calculate", tag = "service-levels",
    params(("id" = i64, Path), ("priority" = Option<String>, Query, description = "P1–P4; or give urgency and impact"),
           ("urgency" = Option<String>, Query, description = "high, medium, low"), ("impact" = Option<String>, Query),
           ("start" = Option<String>, Query, description = "RFC 3339; default now")),
    responses((status = 200, body = Calculation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calculate(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiQuery(q): ApiQuery<CalcQuery>,
) -> ApiResult<Json<Calculation>> {
    let stored = calendars::get_policy(&s.store, &a, id).await?;
    Ok(Json(
        calculate_for(
            &s.store,
            &stored,
            q.priority.as_deref(),
            q.urgency,
            q.impact,
            q.start.as_deref(),
        )
        .await?,
    ))
}
