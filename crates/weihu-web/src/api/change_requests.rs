//! Change requests (issue #14): to an SLA policy, a contract, or a risky technical change.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use weihu_store::Page;
use weihu_store::change_requests::{
    self, ChangeFilter, ChangeRequest, ChangeStepRequest, NewChange,
};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/change-requests", get(list).post(create))
        .route("/api/v1/change-requests/{id}", get(get_one))
        .route("/api/v1/change-requests/{id}/steps", post(step))
}

/// Change requests, newest first (sort `created_at` or `state`), by client, state and kind; each
/// lists the `steps` the reader may take. A client's administrator sees its own client's.
#[utoipa::path(get, path = "/api/v1/change-requests", tag = "service-levels", params(ChangeFilter, ListQuery),
    responses((status = 200, body = Page<ChangeRequest>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ChangeFilter>,
    ApiQuery(l): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ChangeRequest>>> {
    Ok(Json(
        change_requests::list(&s.store, &a, &f, &l.params()).await?,
    ))
}

/// Propose a change: `sla_policy` (the policy and the proposed definition, checked now),
/// `contract` (the contract) or `technical` (the client); optionally effective from a date.
/// SLA changes: service-level managers; contract changes: the desk; technical: the desk,
/// service-level managers and engineers; administrators all.
#[utoipa::path(post, path = "/api/v1/change-requests", tag = "service-levels", request_body = NewChange,
    responses((status = 201, body = ChangeRequest), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewChange>,
) -> ApiResult<(StatusCode, Json<ChangeRequest>)> {
    Ok((
        StatusCode::CREATED,
        Json(change_requests::create(&s.store, &a, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/change-requests/{id}", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = ChangeRequest), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<ChangeRequest>> {
    Ok(Json(change_requests::get(&s.store, &a, id).await?))
}

/// Take a step with the request's `version`: `assess` (risk low/medium/high, impact, rollback),
/// `approve` (then the client administrator's `consent` for an SLA or contract change of a
/// client), `reject` (with a note), `implement` (an SLA change adds the proposed version to the
/// policy, not before `effective_from`), `cancel`.
#[utoipa::path(post, path = "/api/v1/change-requests/{id}/steps", tag = "service-levels", params(("id" = i64, Path)), request_body = ChangeStepRequest,
    responses((status = 200, body = ChangeRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn step(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<ChangeStepRequest>,
) -> ApiResult<Json<ChangeRequest>> {
    Ok(Json(change_requests::step(&s.store, &a, id, &b).await?))
}
