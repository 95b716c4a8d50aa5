//! Outages and a client's monthly service-level figures (availability, stability, reliability).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::outages::{self, NewOutage, Outage, OutageFilter, OutagePatch};
use weihu_store::service_levels::{self, MonthFigures};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/outages", get(list).post(create))
        .route("/api/v1/outages/{id}", get(get_one).patch(update))
        .route("/api/v1/orders/{id}/outage", post(open_from_order))
        .route("/api/v1/service-levels/availability", get(availability))
}

/// Outages, newest first (sort `started_at` or `ended_at`): by client, service, still open, or touching a period.
/// A client sees its own.
#[utoipa::path(get, path = "/api/v1/outages", tag = "service-levels", params(OutageFilter, ListQuery),
    responses((status = 200, body = Page<Outage>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<OutageFilter>,
    ApiQuery(l): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Outage>>> {
    Ok(Json(outages::list(&s.store, &a, &f, &l.params()).await?))
}

/// Record an outage (provider staff). `started_at` defaults to now; no `ended_at` while it lasts.
/// `force_majeure` or `third_party` (with the vendor and its underpinning contract) exclude it
/// from the figures.
#[utoipa::path(post, path = "/api/v1/outages", tag = "service-levels", request_body = NewOutage,
    responses((status = 201, body = Outage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewOutage>,
) -> ApiResult<(StatusCode, Json<Outage>)> {
    Ok((
        StatusCode::CREATED,
        Json(outages::create(&s.store, &a, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/outages/{id}", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = Outage), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Outage>> {
    Ok(Json(outages::get(&s.store, &a, id).await?))
}

/// Correct or close an outage (`ended_at`; `""` reopens it), with the record's `version` and a
/// `reason`; the audit log keeps what it was and what it became.
#[utoipa::path(patch, path = "/api/v1/outages/{id}", tag = "service-levels", params(("id" = i64, Path)), request_body = OutagePatch,
    responses((status = 200, body = Outage), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<OutagePatch>,
) -> ApiResult<Json<Outage>> {
    Ok(Json(outages::update(&s.store, &a, id, &b).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct OutageFromOrder {
    /// RFC 3339; default: when the order was reported.
    #[serde(default)]
    pub started_at: Option<String>,
    /// Default: the order's subject.
    #[serde(default)]
    pub cause: String,
}

/// Open an outage from an order: the order's client and service, linked to the order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/outage", tag = "service-levels", params(("id" = i64, Path)), request_body = OutageFromOrder,
    responses((status = 201, body = Outage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_from_order(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<OutageFromOrder>,
) -> ApiResult<(StatusCode, Json<Outage>)> {
    Ok((
        StatusCode::CREATED,
        Json(outages::open_from_order(&s.store, &a, id, b.started_at, b.cause).await?),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FiguresQuery {
    /// The client; a client's own users may leave it out.
    pub client_org_id: Option<i64>,
    /// `YYYY-MM`; default: this month.
    pub month: Option<String>,
}

/// A client's month per catalog service: agreed time and downtime on the service's calendar,
/// availability (4 places) against its target, interruptions against the allowed maximum,
/// restore times against the maximum. A running month is measured so far.
#[utoipa::path(get, path = "/api/v1/service-levels/availability", tag = "service-levels", params(FiguresQuery),
    responses((status = 200, body = MonthFigures), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn availability(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Json<MonthFigures>> {
    let client = match (q.client_org_id, a.client_scope()) {
        (Some(c), _) => c,
        (None, Some(own)) => own,
        (None, None) => {
            return Err(weihu_store::StoreError::invalid("client_org_id", "is required").into());
        }
    };
    let month = q.month.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned_datetime(s.store.time_zone().clone())
            .strftime("%Y-%m")
            .to_string()
    });
    Ok(Json(
        service_levels::month(&s.store, &a, client, &month).await?,
    ))
}
