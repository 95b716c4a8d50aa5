//! Inspection checklist templates (issue #15): the provider's defaults and its own, versioned,
//! and clients' variants. Provider staff read them; administrators, dispatchers and
//! service-level managers edit them.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use weihu_store::maintenance::templates::{
    self, Checklist, ChecklistRevision, ChecklistVersion, NewChecklist,
};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/checklist-templates", get(list).post(create))
        .route(
            "/api/v1/checklist-templates/{id}",
            get(get_one).patch(revise),
        )
        .route("/api/v1/checklist-templates/{id}/versions", get(versions))
}

/// Every checklist template with its current definition: the provider's first, then clients'
/// variants.
#[utoipa::path(get, path = "/api/v1/checklist-templates", tag = "maintenance",
    responses((status = 200, body = Vec<Checklist>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<Checklist>>> {
    Ok(Json(templates::list(&s.store, &a).await?))
}

/// A new template (`code` of lower-case letters, digits and `_`), or a client's own variant of a
/// code (`client_org_id`). The definition: `name`, `name_en`, and `groups` of `items` (`key`,
/// `text`, `text_en`, `hint`, `per`: `asset` or `visit`).
#[utoipa::path(post, path = "/api/v1/checklist-templates", tag = "maintenance", request_body = NewChecklist,
    responses((status = 201, body = Checklist), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewChecklist>,
) -> ApiResult<(StatusCode, Json<Checklist>)> {
    Ok((
        StatusCode::CREATED,
        Json(templates::create(&s.store, &a, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/checklist-templates/{id}", tag = "maintenance", params(("id" = i64, Path)),
    responses((status = 200, body = Checklist), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Checklist>> {
    Ok(Json(templates::get(&s.store, &a, id).await?))
}

/// A new version of the template, with the `version` as read; inspections already made keep
/// the version they were made with.
#[utoipa::path(patch, path = "/api/v1/checklist-templates/{id}", tag = "maintenance", params(("id" = i64, Path)), request_body = ChecklistRevision,
    responses((status = 200, body = Checklist), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revise(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
    ApiJson(b): ApiJson<ChecklistRevision>,
) -> ApiResult<Json<Checklist>> {
    Ok(Json(templates::revise(&s.store, &a, id, &b).await?))
}

/// Every version of a template, newest first.
#[utoipa::path(get, path = "/api/v1/checklist-templates/{id}/versions", tag = "maintenance", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ChecklistVersion>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Vec<ChecklistVersion>>> {
    Ok(Json(templates::versions(&s.store, &a, id).await?))
}
