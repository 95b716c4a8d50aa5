//! Preventive maintenance (issue #15): plans on a contract, the inspections they generate, the
//! walk of a checklist (answers and follow-up orders), the inspection report and a client's
//! month of inspections.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::maintenance::inspections::{
    self, GenerationRun, Inspection, InspectionFilter, InspectionRow, MonthSummary, NewAnswer,
    NewFollowUp,
};
use weihu_store::maintenance::plans::{self, NewPlan, Plan, PlanFilter, PlanPatch};
use weihu_store::orders::Order;

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/maintenance-plans",
            get(list_plans).post(create_plan),
        )
        .route(
            "/api/v1/maintenance-plans/{id}",
            get(get_plan).patch(update_plan),
        )
        .route("/api/v1/maintenance-plans/{id}/generate", post(generate))
        .route("/api/v1/inspections", get(list_inspections))
        .route("/api/v1/inspections/{id}", get(get_inspection))
        .route("/api/v1/inspections/{id}/answers", put(answer))
        .route("/api/v1/inspections/{id}/follow-ups", post(follow_up))
        .route("/api/v1/inspections/{id}/report.pdf", get(report_pdf))
        .route("/api/v1/maintenance/month", get(month))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PlanQuery {
    pub client_org_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub active: Option<bool>,
}

/// Maintenance plans (sort `name` or `created_at`); a client's administrator sees the client's.
#[utoipa::path(get, path = "/api/v1/maintenance-plans", tag = "maintenance", params(PlanQuery, ListQuery),
    responses((status = 200, body = Page<Plan>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_plans(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<PlanQuery>,
    ApiQuery(l): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Plan>>> {
    let f = PlanFilter {
        client_org_id: q.client_org_id,
        contract_id: q.contract_id,
        active: q.active,
    };
    Ok(Json(plans::list(&s.store, &a, &f, &l.params()).await?))
}

/// A plan on a contract: `assets` (`types`, `site` prefix, or `asset_ids`), `template_id`, `rule`
/// (`FREQ=WEEKLY|MONTHLY|YEARLY`, `INTERVAL`, `BYDAY`, `BYMONTHDAY`, `BYMONTH`, `BYSETPOS`,
/// `X-WORKDAY=N`), `shift` (next, previous, none), `engineer_id`/`team_id`, `window_start`
/// (HH:MM) and `window_minutes`, `ahead_days`, `starts_on`/`ends_on` within the contract.
#[utoipa::path(post, path = "/api/v1/maintenance-plans", tag = "maintenance", request_body = NewPlan,
    responses((status = 201, body = Plan), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<Plan>)> {
    Ok((
        StatusCode::CREATED,
        Json(plans::create(&s.store, &a, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/maintenance-plans/{id}", tag = "maintenance", params(("id" = i64, Path)),
    responses((status = 200, body = Plan), (status = 404, body = ErrorBody)))]
pub async fn get_plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Plan>> {
    Ok(Json(plans::get(&s.store, &a, id).await?))
}

/// Change a plan (with the `version` as read). The generation job then regenerates the future
/// inspections nobody has touched; started ones stay as they are.
#[utoipa::path(patch, path = "/api/v1/maintenance-plans/{id}", tag = "maintenance", params(("id" = i64, Path)), request_body = PlanPatch,
    responses((status = 200, body = Plan), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_plan(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<PlanPatch>,
) -> ApiResult<Json<Plan>> {
    Ok(Json(plans::update(&s.store, &a, id, &b).await?))
}

/// Generate the plan's inspections now, up to its horizon (the job does it every ten minutes).
/// Idempotent: a day that has its inspection gets no second one.
#[utoipa::path(post, path = "/api/v1/maintenance-plans/{id}/generate", tag = "maintenance", params(("id" = i64, Path)),
    responses((status = 200, body = GenerationRun), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn generate(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<GenerationRun>> {
    Ok(Json(inspections::generate_now(&s.store, &a, id).await?))
}

/// Inspections planned within a range of days (default: today and the six days after), earliest
/// first, at most 2,000; `state` open, done or overdue.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "maintenance", params(InspectionFilter),
    responses((status = 200, body = Vec<InspectionRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_inspections(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<InspectionFilter>,
) -> ApiResult<Json<Vec<InspectionRow>>> {
    Ok(Json(inspections::list(&s.store, &a, &f).await?))
}

/// One inspection: its checklist (the version it was generated with), assets, answers, what is
/// left to answer, and the reader's `actions` on its order.
#[utoipa::path(get, path = "/api/v1/inspections/{id}", tag = "maintenance", params(("id" = i64, Path, description = "the inspection's order id")),
    responses((status = 200, body = Inspection), (status = 404, body = ErrorBody)))]
pub async fn get_inspection(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Inspection>> {
    Ok(Json(inspections::get(&s.store, &a, id).await?))
}

/// Answer one item (per asset, or once per visit without `asset_id`): ok, issue (with a note)
/// or not_applicable, with photos already attached to the order. Answering again replaces it.
#[utoipa::path(put, path = "/api/v1/inspections/{id}/answers", tag = "maintenance", params(("id" = i64, Path)), request_body = NewAnswer,
    responses((status = 200, body = Inspection), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<NewAnswer>,
) -> ApiResult<Json<Inspection>> {
    Ok(Json(inspections::answer(&s.store, &a, id, &b).await?))
}

/// Raise an issue as a follow-up service order in one step: opened on the client's contract for
/// the asset, linked to the inspection both ways, recorded on the answer.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/follow-ups", tag = "maintenance", params(("id" = i64, Path)), request_body = NewFollowUp,
    responses((status = 201, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn follow_up(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<NewFollowUp>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    Ok((
        StatusCode::CREATED,
        Json(inspections::follow_up(&s.store, &a, id, &b).await?),
    ))
}

/// The inspection report: findings per asset, issues and their follow-up orders, the client's
/// signature.
#[utoipa::path(get, path = "/api/v1/inspections/{id}/report.pdf", tag = "maintenance", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
pub async fn report_pdf(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Response> {
    let (bytes, name) = crate::documents::inspection_pdf(&s.store, &a, id).await?;
    Ok(crate::documents::pdf_response(bytes, &name, false))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MonthQuery {
    /// Required for provider staff; a client's administrator reads its own.
    pub client_org_id: Option<i64>,
    /// YYYY-MM; default this month.
    pub month: Option<String>,
}

/// A client's month of inspections: planned, done, overdue, issues found, follow-up orders,
/// assets no done inspection ever covered.
#[utoipa::path(get, path = "/api/v1/maintenance/month", tag = "maintenance", params(MonthQuery),
    responses((status = 200, body = MonthSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn month(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<MonthSummary>> {
    Ok(Json(
        inspections::month(&s.store, &a, q.client_org_id, q.month.as_deref()).await?,
    ))
}
