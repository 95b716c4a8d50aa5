//! Calendars, holiday sets and SLA policies, with the day view and the SLA calculator.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use weihu_domain::calendar::{Calendar, builtin_holiday_sets, parse_csv, parse_ics};
use weihu_domain::priority::{Level, Priority};
use weihu_domain::sla::{ClockKind, Due, Target};
use weihu_store::calendars::{self, NewPolicy, PolicyVersion, StoredCalendar, StoredPolicy};
use weihu_store::{Actor, Page, Store, StoreError};

use super::ListQuery;

/// RFC 3339 in the calendar's own offset.
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%:z";
use crate::AppState;
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

/// Parses `text` and stores the calendar with the imported days added.
pub async fn import_into(
    store: &Store,
    a: &Actor,
    id: i64,
    version: i64,
    format: &str,
    text: &str,
) -> Result<StoredCalendar, ApiError> {
    let stored = calendars::get(store, a, id).await?;
    let days = match format {
        "ics" => parse_ics(text),
        "csv" => parse_csv(text),
        _ => return Err(StoreError::invalid("format", "must be ics or csv").into()),
    }
    .map_err(|e| StoreError::invalid("text", e.to_string()))?;
    let cal = stored
        .calendar()?
        .with_imported(&days)
        .map_err(|e| StoreError::invalid(format!("text.{}", e.field), e.message))?;
    Ok(calendars::update(store, a, id, version, &cal.to_json_value()).await?)
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClockDue {
    pub clock: &'static str,
    /// `business` or `wall_clock`.
    pub kind: &'static str,
    pub minutes: i64,
    pub calendar: String,
    /// RFC 3339 in the calendar's zone.
    pub due: String,
    /// The same, for people: `2026-10-08 11:00 Thu`.
    pub due_local: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Calculation {
    pub policy: String,
    pub policy_version: i64,
    pub priority: &'static str,
    pub start: String,
    pub clocks: Vec<ClockDue>,
    /// Set when the start or a due falls in a year the calendar's holiday data does not cover:
    /// there the due counts only the weekly schedule, as if there were no public holidays.
    pub holiday_warning: Option<HolidayWarning>,
}

/// A calendar used beyond the years its holiday sets (or imported holidays) cover.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayWarning {
    pub calendar: String,
    /// The stored calendar, where its holidays can be imported (none for a preset).
    pub calendar_id: Option<i64>,
    /// Years in the range used that have no holiday data.
    pub uncovered_years: Vec<i16>,
    /// Years the calendar's holiday data covers.
    pub covered_years: Vec<i16>,
    /// In English; the pages show the localized text.
    pub message: String,
    /// Where to import the official holiday notice (iCal/CSV) into this calendar.
    pub import_url: Option<String>,
}

/// How far ahead pages look for years without holiday data (the official notice for the next
/// year usually comes out in November).
pub const WARNING_HORIZON_DAYS: i64 = 60;

/// Every stored calendar used within the next [`WARNING_HORIZON_DAYS`] days beyond its holiday
/// data (for the dashboard). Unreadable calendars are skipped, not fatal.
pub async fn upcoming_holiday_warnings(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<HolidayWarning>, StoreError> {
    let params = weihu_store::ListParams {
        limit: Some(500),
        ..Default::default()
    };
    let mut out = Vec::new();
    for stored in calendars::list(store, actor, &params).await?.items {
        let Ok(cal) = stored.calendar() else { continue };
        let today = cal.local_date(Timestamp::now());
        let horizon = today
            .checked_add(jiff::Span::new().days(WARNING_HORIZON_DAYS))
            .unwrap_or(today);
        out.extend(holiday_warning(&cal, Some(stored.id), today, horizon));
    }
    Ok(out)
}

/// The warning for using `cal` from `first` to `last`, if any year there lacks holiday data.
pub fn holiday_warning(
    cal: &Calendar,
    calendar_id: Option<i64>,
    first: jiff::civil::Date,
    last: jiff::civil::Date,
) -> Option<HolidayWarning> {
    let uncovered = cal.uncovered_years(first, last);
    if uncovered.is_empty() {
        return None;
    }
    let years = uncovered
        .iter()
        .map(i16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Some(HolidayWarning {
        calendar: cal.name().to_owned(),
        calendar_id,
        covered_years: cal.covered_years().into_iter().collect(),
        message: format!(
            "calendar {} has no holiday data for {years}: due times there count only the weekly schedule, as if there were no public holidays; import the official holiday notice",
            cal.name()
        ),
        import_url: calendar_id.map(|id| format!("/calendars/{id}#import")),
        uncovered_years: uncovered,
    })
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

/// The due instants of every clock of a policy for one priority and start.
pub async fn calculate_for(
    store: &Store,
    stored: &StoredPolicy,
    priority: Option<&str>,
    urgency: Option<Level>,
    impact: Option<Level>,
    start: Option<&str>,
) -> Result<Calculation, ApiError> {
    let policy = calendars::domain_policy(stored)?;
    let priority = match (priority.filter(|p| !p.is_empty()), urgency, impact) {
        (Some(p), _, _) => Priority::parse(p)
            .ok_or_else(|| StoreError::invalid("priority", "must be P1, P2, P3 or P4"))?,
        (None, Some(u), Some(i)) => policy.matrix.priority(u, i),
        _ => {
            return Err(
                StoreError::invalid("priority", "give a priority, or urgency and impact").into(),
            );
        }
    };
    let start = match start.filter(|s| !s.is_empty()) {
        Some(t) => t
            .parse::<Timestamp>()
            .map_err(|e| StoreError::invalid("start", format!("not an RFC 3339 instant: {e}")))?,
        None => Timestamp::now(),
    };
    let targets = policy.targets_for(priority);
    let cal = calendars::resolve(store, &targets.calendar)
        .await?
        .ok_or_else(|| {
            StoreError::invalid(
                "calendar",
                format!("no calendar named {}", targets.calendar),
            )
        })?;
    let mut clocks = Vec::new();
    let mut last = start;
    for (kind, name) in [
        (ClockKind::Response, "response"),
        (ClockKind::Arrival, "arrival"),
        (ClockKind::Resolution, "resolution"),
    ] {
        let target = targets.target(kind);
        let due = target
            .due(&cal, start, &[])
            .map_err(|e| StoreError::invalid("start", e.to_string()))?;
        let (due, due_local) = match due {
            Due::At { due } => {
                last = last.max(due);
                let z = due.to_zoned_datetime(cal.time_zone().clone());
                (
                    z.strftime(RFC3339).to_string(),
                    z.strftime("%Y-%m-%d %H:%M %a").to_string(),
                )
            }
            Due::Suspended { .. } => (String::new(), String::new()),
        };
        let (kind_name, minutes) = match target {
            Target::Business { minutes } => ("business", minutes),
            Target::WallClock { minutes } => ("wall_clock", minutes),
        };
        clocks.push(ClockDue {
            clock: name,
            kind: kind_name,
            minutes,
            calendar: targets.calendar.clone(),
            due,
            due_local,
        });
    }
    let holiday_warning = holiday_warning(
        &cal,
        calendars::id_by_name(store, &targets.calendar).await?,
        cal.local_date(start),
        cal.local_date(last),
    );
    Ok(Calculation {
        holiday_warning,
        policy: stored.name.clone(),
        policy_version: stored.current_version,
        priority: priority.as_str(),
        start: start
            .to_zoned_datetime(cal.time_zone().clone())
            .strftime(RFC3339)
            .to_string(),
        clocks,
    })
}
