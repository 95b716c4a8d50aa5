use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use weihu_store::Page;
use weihu_store::audit::{self, AuditEntry, AuditFilter};

use super::{ListQuery, list_params};
use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiQuery;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit-log", get(list))
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    sort: Option<String>,
    q: Option<String>,
    entity: Option<String>,
    entity_id: Option<String>,
    actor_id: Option<i64>,
}

/// The audit log, newest first (administrators).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit",
    params(ListQuery, ("entity" = Option<String>, Query), ("entity_id" = Option<String>, Query), ("actor_id" = Option<i64>, Query)),
    responses((status = 200, body = Page<AuditEntry>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        actor_id: q.actor_id,
    };
    Ok(Json(
        audit::list(
            &s.store,
            &actor,
            &filter,
            &list_params(q.limit, q.offset, &q.sort, &q.q),
        )
        .await?,
    ))
}
