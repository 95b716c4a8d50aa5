//! Monthly statements: preview, generate, review, issue, pay, adjust; downloads as PDF and Excel.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::statements::{self, GenerateSummary, Preview, Statement, StatementFilter};

use super::ListQuery;
use super::contracts::VersionBody;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/statements", get(list))
        .route("/api/v1/statements/generate", post(generate))
        .route("/api/v1/statements/{id}", get(get_one))
        .route("/api/v1/statements/{id}/review", post(review))
        .route("/api/v1/statements/{id}/issue", post(issue))
        .route("/api/v1/statements/{id}/payment", post(pay))
        .route("/api/v1/statements/{id}/adjustment", post(adjust))
        .route("/api/v1/contracts/{id}/statement-preview", get(preview))
}

#[derive(Debug, Deserialize)]
pub struct StatementQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    client_org_id: Option<i64>,
    contract_id: Option<i64>,
    month: Option<String>,
    state: Option<String>,
}

/// Statements. Client admins see their organisation's once issued.
#[utoipa::path(get, path = "/api/v1/statements", tag = "statements",
    params(ListQuery, ("client_org_id" = Option<i64>, Query), ("contract_id" = Option<i64>, Query),
        ("month" = Option<String>, Query, description = "YYYY-MM"),
        ("state" = Option<String>, Query, description = "draft, reviewed, issued, paid, overdue")),
    responses((status = 200, body = Page<Statement>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<StatementQuery>,
) -> ApiResult<Json<Page<Statement>>> {
    let filter = StatementFilter {
        client_org_id: q.client_org_id,
        contract_id: q.contract_id,
        month: q.month,
        state: q.state,
    };
    Ok(Json(
        statements::list(
            &s.store,
            &actor,
            &filter,
            &super::list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct GenerateRequest {
    /// `YYYY-MM`.
    pub month: String,
    /// Only this contract; default every contract in force during the month.
    pub contract_id: Option<i64>,
}

/// Draft (or refresh the drafts of) a month's statements; issued ones never change.
#[utoipa::path(post, path = "/api/v1/statements/generate", tag = "statements", request_body = GenerateRequest,
    responses((status = 200, body = GenerateSummary), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn generate(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(r): ApiJson<GenerateRequest>,
) -> ApiResult<Json<GenerateSummary>> {
    Ok(Json(
        statements::generate(&s.store, &actor, &r.month, r.contract_id).await?,
    ))
}

/// One statement with its lines and their sources.
#[utoipa::path(get, path = "/api/v1/statements/{id}", tag = "statements", operation_id = "get_statement",
    params(("id" = i64, Path)),
    responses((status = 200, body = Statement), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Statement>> {
    Ok(Json(statements::get(&s.store, &actor, id).await?))
}

/// Finance has checked the draft.
#[utoipa::path(post, path = "/api/v1/statements/{id}/review", tag = "statements",
    params(("id" = i64, Path)), request_body = VersionBody,
    responses((status = 200, body = Statement), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<Statement>> {
    Ok(Json(
        statements::review(&s.store, &actor, id, b.version).await?,
    ))
}

/// Issue a reviewed statement: numbered, due in working days, frozen.
#[utoipa::path(post, path = "/api/v1/statements/{id}/issue", tag = "statements",
    params(("id" = i64, Path)), request_body = VersionBody,
    responses((status = 200, body = Statement), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<Statement>> {
    Ok(Json(
        statements::issue(&s.store, &actor, id, b.version).await?,
    ))
}

/// Record the client's payment.
#[utoipa::path(post, path = "/api/v1/statements/{id}/payment", tag = "statements",
    params(("id" = i64, Path)), request_body = VersionBody,
    responses((status = 200, body = Statement), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn pay(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<Statement>> {
    Ok(Json(
        statements::mark_paid(&s.store, &actor, id, b.version).await?,
    ))
}

/// Correct an issued statement: a new adjustment draft (the month priced again, minus what was
/// issued). The issued statement never changes.
#[utoipa::path(post, path = "/api/v1/statements/{id}/adjustment", tag = "statements",
    params(("id" = i64, Path)),
    responses((status = 201, body = Statement), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn adjust(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<(StatusCode, Json<Statement>)> {
    Ok((
        StatusCode::CREATED,
        Json(statements::adjust(&s.store, &actor, id).await?),
    ))
}

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    month: Option<String>,
}

/// What a contract's month costs so far (default the current month); nothing is stored.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/statement-preview", tag = "statements",
    params(("id" = i64, Path), ("month" = Option<String>, Query, description = "YYYY-MM, default this month")),
    responses((status = 200, body = Preview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> ApiResult<Json<Preview>> {
    let month = q
        .month
        .unwrap_or_else(weihu_store::statements::current_month);
    Ok(Json(
        statements::preview(&s.store, &actor, id, &month).await?,
    ))
}
