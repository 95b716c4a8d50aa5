//! SLA reviews and their service-improvement plans (issue #14).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use weihu_store::Page;
use weihu_store::reviews::{self, ItemUpdate, NewReview, Review, ReviewFilter};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, Ids};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sla-reviews", get(list).post(create))
        .route("/api/v1/sla-reviews/{id}", get(get_one))
        .route(
            "/api/v1/sla-reviews/{id}/items/{item_id}",
            patch(update_item),
        )
}

/// SLA reviews, latest first (sort `held_on` or `period`), with their plans; a client's
/// administrator sees its own.
#[utoipa::path(get, path = "/api/v1/sla-reviews", tag = "service-levels", params(ReviewFilter, ListQuery),
    responses((status = 200, body = Page<Review>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiQuery(f): ApiQuery<ReviewFilter>,
    ApiQuery(l): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Review>>> {
    Ok(Json(reviews::list(&s.store, &a, &f, &l.params()).await?))
}

/// Record an SLA review of a client's month: attendees, findings and the service-improvement
/// plan (at most 50 items, each with an owner and a due date), in one transaction.
/// Administrators and service-level managers.
#[utoipa::path(post, path = "/api/v1/sla-reviews", tag = "service-levels", request_body = NewReview,
    responses((status = 201, body = Review), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewReview>,
) -> ApiResult<(StatusCode, Json<Review>)> {
    Ok((
        StatusCode::CREATED,
        Json(reviews::create(&s.store, &a, &b).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/sla-reviews/{id}", tag = "service-levels", params(("id" = i64, Path)),
    responses((status = 200, body = Review), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Review>> {
    Ok(Json(reviews::get(&s.store, &a, id).await?))
}

/// Move a plan item on: `open`, `in_progress`, `done` or `dropped`, with its `version`.
#[utoipa::path(patch, path = "/api/v1/sla-reviews/{id}/items/{item_id}", tag = "service-levels",
    params(("id" = i64, Path), ("item_id" = i64, Path)), request_body = ItemUpdate,
    responses((status = 200, body = Review), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_item(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Ids(id, item): Ids,
    ApiJson(b): ApiJson<ItemUpdate>,
) -> ApiResult<Json<Review>> {
    Ok(Json(
        reviews::update_item(&s.store, &a, id, item, &b).await?,
    ))
}
