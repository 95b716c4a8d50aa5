use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use weihu_domain::role::Role;
use weihu_store::Page;
use weihu_store::users::{self, NewUser, User, UserFilter, UserPatch};

use super::{ListQuery, list_params};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, versioned};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(get_one).patch(update))
        .route("/api/v1/users/{id}/password", post(reset_password))
}

#[derive(Debug, Deserialize)]
pub struct UserQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    org_id: Option<i64>,
    role: Option<String>,
    team_id: Option<i64>,
    active: Option<bool>,
}

/// List users. Provider staff see everyone; a client admin their organisation; a client user
/// only themselves.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    params(ListQuery, ("org_id" = Option<i64>, Query), ("role" = Option<String>, Query), ("team_id" = Option<i64>, Query), ("active" = Option<bool>, Query)),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Page<User>>> {
    let role = match q.role.as_deref() {
        None | Some("") => None,
        Some(r) => Some(Role::parse(r).ok_or_else(|| {
            ApiError::bad_request(Some("role".into()), format!("unknown role {r}"))
        })?),
    };
    let filter = UserFilter {
        org_id: q.org_id,
        role,
        team_id: q.team_id,
        active: q.active,
    };
    Ok(Json(
        users::list(
            &s.store,
            &actor,
            &filter,
            &list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}

/// Create a user (administrators; client admins for their own organisation's client roles).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&s.store, &actor, &new).await?),
    ))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", operation_id = "get_user", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<User>> {
    Ok(Json(users::get(&s.store, &actor, id).await?))
}

/// The documented shape of an update; parsed by [`versioned`] so errors name their field.
#[allow(dead_code)]
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UserUpdate {
    version: i64,
    #[serde(flatten)]
    patch: UserPatch,
}

/// Change a user; send the `version` you read.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserUpdate,
    responses((status = 200, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<User>> {
    let (version, patch) = versioned::<UserPatch>(body)?;
    Ok(Json(
        users::update(&s.store, &actor, id, version, &patch).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordReset {
    /// The new password (at least 8 characters); the user must change it at next sign-in.
    password: String,
}

/// Reset a user's password (administrators, client admins for their organisation).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = i64, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    users::reset_password(&s.store, &actor, id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
