use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use weihu_store::Page;
use weihu_store::teams::{self, NewTeam, Team};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(list).post(create))
        .route("/api/v1/teams/{id}", get(get_one))
}

/// Engineer teams (provider staff only).
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", params(ListQuery),
    responses((status = 200, body = Page<Team>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<Team>>> {
    Ok(Json(teams::list(&s.store, &actor, &q.params()).await?))
}

/// Create a team (administrators and dispatchers).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = Team), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(new): ApiJson<NewTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    Ok((
        StatusCode::CREATED,
        Json(teams::create(&s.store, &actor, &new).await?),
    ))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", operation_id = "get_team", params(("id" = i64, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Team>> {
    Ok(Json(teams::get(&s.store, &actor, id).await?))
}
