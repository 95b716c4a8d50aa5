//! The monthly service-level report (issue #14): as JSON, PDF and Excel; the stored drafts and
//! published reports; the failure-cause taxonomy; and explaining a breached clock.

use axum::Json;
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::failure_causes::{self, CauseInput, FailureCause};
use weihu_store::orders::{self, BreachExplanation, Order};
use weihu_store::reports::{self, Publish, Reissue, ReportFilter, ReportItem, StoredReport};
use weihu_store::service_levels::{self, ClientWarning};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};
use crate::i18n::{Lang, Tr};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports/service-level", get(service_level))
        .route("/api/v1/reports/service-level.pdf", get(service_level_pdf))
        .route(
            "/api/v1/reports/service-level.xlsx",
            get(service_level_xlsx),
        )
        .route("/api/v1/service-level-reports", get(list).post(draft))
        .route("/api/v1/service-level-reports/draft-all", post(draft_all))
        .route("/api/v1/service-level-reports/{id}", get(get_one))
        .route("/api/v1/service-level-reports/{id}/publish", post(publish))
        .route("/api/v1/service-level-reports/{id}/reissue", post(reissue))
        .route("/api/v1/failure-causes", get(list_causes).post(put_cause))
        .route("/api/v1/service-levels/warnings", get(warnings))
        .route(
            "/api/v1/orders/{id}/clocks/{kind}/breach",
            post(explain_breach),
        )
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// The client; a client's administrator may leave it out.
    pub client_org_id: Option<i64>,
    /// `YYYY-MM`; default: last month.
    pub month: Option<String>,
}

fn last_month(s: &AppState) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(s.store.time_zone().clone())
        .date();
    today
        .first_of_month()
        .yesterday()
        .map(|d| d.strftime("%Y-%m").to_string())
        .unwrap_or_default()
}

async fn current(s: &AppState, a: &weihu_store::Actor, q: ReportQuery) -> ApiResult<StoredReport> {
    let client = match (q.client_org_id, a.client_scope()) {
        (Some(c), _) => c,
        (None, Some(own)) => own,
        (None, None) => {
            return Err(weihu_store::StoreError::invalid("client_org_id", "is required").into());
        }
    };
    let month = q
        .month
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| last_month(s));
    Ok(reports::current(&s.store, a, client, &month).await?)
}

/// A client's monthly service-level report, with the sections `availability` (per catalog
/// service, with the outages it was built from), `attainment` (per priority, clock and service),
/// `breaches` (with reasons), `satisfaction`, `failures` (categories, causes, asset types, repeat
/// faults, MTTR, MTBF) and `kpis` (with a 12-month trend). A published report reads as issued
/// (`changed_since` lists outages edited after); provider staff also see drafts, or a report
/// built now (`state` = `live`). A client's administrator reads its own published reports only.
#[utoipa::path(get, path = "/api/v1/reports/service-level", tag = "service-levels", params(ReportQuery),
    responses((status = 200, body = StoredReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn service_level(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<StoredReport>> {
    Ok(Json(current(&s, &a, q).await?))
}

/// The same report as PDF (charts included), in the reader's language.
#[utoipa::path(get, path = "/api/v1/reports/service-level.pdf", tag = "service-levels", params(ReportQuery),
    responses((status = 200, content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn service_level_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let tr = Tr(Lang::negotiate(&headers, a.locale.as_deref()));
    let r = current(&s, &a, q).await?;
    let (bytes, name) = crate::documents::service_report_pdf(&s.store, &r, tr).await?;
    Ok(crate::documents::pdf_response(bytes, &name, false))
}

/// The same report as an Excel workbook: a sheet per table, native charts.
#[utoipa::path(get, path = "/api/v1/reports/service-level.xlsx", tag = "service-levels", params(ReportQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn service_level_xlsx(
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Response> {
    let tr = Tr(Lang::negotiate(&headers, a.locale.as_deref()));
    let r = current(&s, &a, q).await?;
    crate::sheets::service_report_xlsx(&r, tr).await
}

/// Stored reports (drafts and published), newest month first; sort `month`, `client` or
/// `state`. A client's administrator sees its own published ones.
#[utoipa::path(get, path = "/api/v1/service-level-reports", tag = "service-levels", params(ReportFilter, ListQuery),
    responses((status = 200, body = Page<ReportItem>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ReportFilter>,
    ApiQuery(l): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ReportItem>>> {
    Ok(Json(reports::list(&s.store, &a, &f, &l.params()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DraftRequest {
    pub client_org_id: i64,
    /// `YYYY-MM`.
    pub month: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DraftAllRequest {
    /// `YYYY-MM`.
    pub month: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DraftAllSummary {
    pub month: String,
    pub created: u64,
    /// Clients whose draft failed, with why.
    pub failed: Vec<DraftFailure>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DraftFailure {
    pub client_org_id: i64,
    pub message: String,
}

/// Draft (or refresh the draft of) a client's report for a month (201 when created); a
/// published report is not drafted again (422). Administrators and service-level managers.
#[utoipa::path(post, path = "/api/v1/service-level-reports", tag = "service-levels", request_body = DraftRequest,
    responses((status = 201, body = StoredReport), (status = 200, body = StoredReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DraftRequest>,
) -> ApiResult<(StatusCode, Json<StoredReport>)> {
    let (r, created) = reports::draft(&s.store, &a, b.client_org_id, &b.month).await?;
    let code = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(r)))
}

/// Draft every active client's missing report for a month (what the month-end job does on the
/// first working day), answering how many were created and which failed.
#[utoipa::path(post, path = "/api/v1/service-level-reports/draft-all", tag = "service-levels", request_body = DraftAllRequest,
    responses((status = 200, body = DraftAllSummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draft_all(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<DraftAllRequest>,
) -> ApiResult<Json<DraftAllSummary>> {
    let sum = reports::draft_all(&s.store, &a, &b.month).await?;
    Ok(Json(DraftAllSummary {
        month: sum.month,
        created: sum.created,
        failed: sum
            .failed
            .into_iter()
            .map(|(client_org_id, message)| DraftFailure {
                client_org_id,
                message,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/service-level-reports/{id}", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = StoredReport), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<StoredReport>> {
    Ok(Json(reports::get(&s.store, &a, id).await?))
}

/// Publish a draft of a month that is over, with its `version` and a `summary` for the client:
/// the figures are built once more and kept as issued; the client's administrators are notified.
#[utoipa::path(post, path = "/api/v1/service-level-reports/{id}/publish", tag = "service-levels", params(("id" = i64, Path)), request_body = Publish,
    responses((status = 200, body = StoredReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<Publish>,
) -> ApiResult<Json<StoredReport>> {
    Ok(Json(reports::publish(&s.store, &a, id, &b).await?))
}

/// Reissue a published report with its `version` and a `reason` (required): the figures are
/// built again as the month stands now (corrected outages, late ratings), the issued revision is
/// kept (listed in `superseded`) and `revision` moves on; the client's administrators are told.
#[utoipa::path(post, path = "/api/v1/service-level-reports/{id}/reissue", tag = "service-levels", params(("id" = i64, Path)), request_body = Reissue,
    responses((status = 200, body = StoredReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reissue(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<Reissue>,
) -> ApiResult<Json<StoredReport>> {
    Ok(Json(reports::reissue(&s.store, &a, id, &b).await?))
}

/// The failure causes a resolution names (retired ones too, `active` false).
#[utoipa::path(get, path = "/api/v1/failure-causes", tag = "service-levels",
    responses((status = 200, body = Vec<FailureCause>), (status = 401, body = ErrorBody)))]
pub async fn list_causes(
    State(s): State<AppState>,
    ApiActor(_a): ApiActor,
) -> ApiResult<Json<Vec<FailureCause>>> {
    Ok(Json(failure_causes::list(&s.store).await?))
}

/// Add a failure cause or change one by its `code` (lower-case letters, digits and `_`);
/// `active` false retires it. Administrators and service-level managers; at most 60 causes.
#[utoipa::path(post, path = "/api/v1/failure-causes", tag = "service-levels", request_body = CauseInput,
    responses((status = 200, body = FailureCause), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_cause(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<CauseInput>,
) -> ApiResult<Json<FailureCause>> {
    Ok(Json(failure_causes::save(&s.store, &a, &b).await?))
}

/// Say why an order's breached clock (`response`, `arrival`, `resolution`) was breached: a
/// reason of the short list and a note (required for `other`). The order's engineers, the desk
/// and service-level managers.
#[utoipa::path(post, path = "/api/v1/orders/{id}/clocks/{kind}/breach", tag = "orders",
    params(("id" = i64, Path), ("kind" = String, Path)), request_body = BreachExplanation,
    responses((status = 200, body = Order), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn explain_breach(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    path: Result<Path<(String, String)>, PathRejection>,
    ApiJson(b): ApiJson<BreachExplanation>,
) -> ApiResult<Json<Order>> {
    let Path((id, kind)) = path.map_err(|_| weihu_store::StoreError::NotFound)?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|i| *i > 0)
        .ok_or(weihu_store::StoreError::NotFound)?;
    Ok(Json(
        orders::explain_breach(&s.store, &a, id, &kind, &b).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WarningQuery {
    /// One client (its warning even when nothing is at risk); without it, every client with
    /// something at risk. A client's administrator always gets its own.
    pub client_org_id: Option<i64>,
}

/// Early warning for the running month: per client, attainment so far and projected (clocks at
/// risk counted as breached), clocks at risk, satisfaction against 90 %, and services whose
/// availability allowance is three quarters used or whose interruptions are at the maximum.
#[utoipa::path(get, path = "/api/v1/service-levels/warnings", tag = "service-levels", params(WarningQuery),
    responses((status = 200, body = Vec<ClientWarning>), (status = 401, body = ErrorBody)))]
pub async fn warnings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(q): ApiQuery<WarningQuery>,
) -> ApiResult<Json<Vec<ClientWarning>>> {
    if a.role.is_client_side() && a.role != weihu_domain::role::Role::ClientAdmin {
        return Err(weihu_store::StoreError::Forbidden(
            "service-level figures are for the provider and the client's administrator",
        )
        .into());
    }
    Ok(Json(
        service_levels::warnings(&s.store, &a, q.client_org_id).await?,
    ))
}
