use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use weihu_store::saved_views::{self, NewView, SavedView};
use weihu_store::users::{self, User, UserPatch};

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(get_me).patch(patch_me))
        .route("/api/v1/me/password", post(change_password))
        .route("/api/v1/me/views", get(list_views).post(create_view))
        .route("/api/v1/me/views/{id}", delete(delete_view))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn get_me(State(s): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<Json<User>> {
    Ok(Json(users::get(&s.store, &actor, actor.user_id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MeUpdate {
    version: i64,
    display_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// `zh-CN` or `en`; an empty string returns to the browser's language.
    locale: Option<String>,
    /// An IANA time zone for the pages (`Europe/Berlin`); an empty string returns to the
    /// installation's.
    time_zone: Option<String>,
}

/// Change your own name, contact details or language.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = MeUpdate,
    responses((status = 200, body = User), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_me(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<MeUpdate>,
) -> ApiResult<Json<User>> {
    let patch = UserPatch {
        display_name: b.display_name,
        email: b.email,
        phone: b.phone,
        locale: b.locale.map(|l| Some(l).filter(|l| !l.is_empty())),
        time_zone: b.time_zone.map(|z| Some(z).filter(|z| !z.is_empty())),
        ..Default::default()
    };
    Ok(Json(
        users::update(&s.store, &actor, actor.user_id, b.version, &patch).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Change your own password (ends your other sessions).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    users::change_own_password(&s.store, &actor, &b.current_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Your saved board views (name and board query), by name.
#[utoipa::path(get, path = "/api/v1/me/views", tag = "me", responses((status = 200, body = Vec<SavedView>), (status = 401, body = ErrorBody)))]
pub async fn list_views(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> ApiResult<Json<Vec<SavedView>>> {
    Ok(Json(saved_views::list(&s.store, &a).await?))
}

/// Save a board view: a name (1–60 characters, unique for you) and the board's query string
/// (at most 1,000 characters); at most 20 views each.
#[utoipa::path(post, path = "/api/v1/me/views", tag = "me", request_body = NewView,
    responses((status = 201, body = SavedView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_view(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(v): ApiJson<NewView>,
) -> ApiResult<(StatusCode, Json<SavedView>)> {
    Ok((
        StatusCode::CREATED,
        Json(saved_views::create(&s.store, &a, &v).await?),
    ))
}

/// Delete one of your saved views.
#[utoipa::path(delete, path = "/api/v1/me/views/{id}", tag = "me", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_view(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    saved_views::delete(&s.store, &a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
