use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::organizations::{
    self as orgs, NewOrganization, OrgFilter, OrgKind, Organization, OrganizationPatch,
};

use super::ListQuery;
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Id, versioned};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organizations", get(list).post(create))
        .route("/api/v1/organizations/{id}", get(get_one).patch(update))
}

#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    kind: Option<OrgKind>,
    active: Option<bool>,
}

/// List organisations. A client user sees only their own.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    params(ListQuery, ("kind" = Option<String>, Query, description = "provider or client"), ("active" = Option<bool>, Query)),
    responses((status = 200, body = Page<Organization>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> ApiResult<Json<Page<Organization>>> {
    let filter = OrgFilter {
        kind: q.kind,
        active: q.active,
    };
    Ok(Json(
        orgs::list(
            &s.store,
            &actor,
            &filter,
            &super::list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}

/// Create a client organisation (administrators).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = NewOrganization,
    responses((status = 201, body = Organization), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(new): ApiJson<NewOrganization>,
) -> ApiResult<(StatusCode, Json<Organization>)> {
    Ok((
        StatusCode::CREATED,
        Json(orgs::create(&s.store, &actor, &new).await?),
    ))
}

/// One organisation.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", operation_id = "get_organization",
    params(("id" = i64, Path)),
    responses((status = 200, body = Organization), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
) -> ApiResult<Json<Organization>> {
    Ok(Json(orgs::get(&s.store, &actor, id).await?))
}

/// The documented shape of an update; parsed by [`versioned`] so errors name their field.
#[allow(dead_code)]
#[derive(Deserialize, utoipa::ToSchema)]
pub struct OrganizationUpdate {
    version: i64,
    #[serde(flatten)]
    patch: OrganizationPatch,
}

/// Change an organisation; send the `version` you read.
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = i64, Path)), request_body = OrganizationUpdate,
    responses((status = 200, body = Organization), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    Id(id): Id,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<Json<Organization>> {
    let (version, patch) = versioned::<OrganizationPatch>(body)?;
    Ok(Json(
        orgs::update(&s.store, &actor, id, version, &patch).await?,
    ))
}
