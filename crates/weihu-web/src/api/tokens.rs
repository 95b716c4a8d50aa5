use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use weihu_store::Page;
use weihu_store::tokens::{self, ApiToken};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tokens", get(list).post(create))
        .route("/api/v1/tokens/{id}", get(get_one).delete(revoke))
}

/// Your API tokens (administrators see everyone's). Secrets are never shown again.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(ListQuery),
    responses((status = 200, body = Page<ApiToken>)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    Ok(Json(tokens::list(&s.store, &actor, &q.params()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    name: String,
    /// Whose token; default yourself (administrators may name anyone).
    user_id: Option<i64>,
    /// RFC 3339; default: no expiry.
    expires_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    token: ApiToken,
    /// The secret, shown only in this response.
    secret: String,
}

/// Create a token. The response holds the secret once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(new): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let expires = match new.expires_at.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<jiff::Timestamp>()
                .map_err(|e| {
                    ApiError::bad_request(
                        Some("expires_at".into()),
                        format!("not an RFC 3339 time: {e}"),
                    )
                })?
                .as_millisecond(),
        ),
    };
    let user_id = new.user_id.unwrap_or(actor.user_id);
    let (token, secret) = tokens::create(&s.store, &actor, user_id, &new.name, expires).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

/// One token.
#[utoipa::path(get, path = "/api/v1/tokens/{id}", tag = "tokens", operation_id = "get_token", params(("id" = i64, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(tokens::get(&s.store, &actor, id).await?))
}

/// Revoke a token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<ApiToken>> {
    Ok(Json(tokens::revoke(&s.store, &actor, id).await?))
}
