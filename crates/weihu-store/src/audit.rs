//! The audit log: every write records who did what to which entity, in the writer's transaction.

use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::page::Listing;
use crate::sql::SqlBuf;
use crate::{Actor, ListParams, Page, Result, Store, StoreError, instant, now_ms};

/// Records one write. `org_id` is the tenant the entity belongs to (None for provider-wide).
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    org_id: Option<i64>,
    entity: &str,
    entity_id: impl ToString,
    action: &str,
    changes: Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, org_id, entity, entity_id, action, changes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now_ms())
    .bind(actor.audit_id())
    .bind(actor.username.clone())
    .bind(org_id)
    .bind(entity.to_owned())
    .bind(entity_id.to_string())
    .bind(action.to_owned())
    .bind(changes.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub org_id: Option<i64>,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub changes: Value,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor_id: Option<i64>,
}

/// The audit log, newest first by default. Admins only.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &AuditFilter,
    params: &ListParams,
) -> Result<Page<AuditEntry>> {
    if !actor.role.can_read_audit() {
        return Err(StoreError::Forbidden("the audit log is for administrators"));
    }
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(e) = &filter.entity {
        w.push(" AND entity = ").bind(e.clone());
    }
    if let Some(e) = &filter.entity_id {
        w.push(" AND entity_id = ").bind(e.clone());
    }
    if let Some(a) = filter.actor_id {
        w.push(" AND actor_id = ").bind(a);
    }
    if let Some(q) = params.q() {
        w.push(" AND (lower(actor_name) LIKE ")
            .bind(crate::sql::like_pattern(q))
            .push(" ESCAPE '\\' OR lower(action) LIKE ")
            .bind(crate::sql::like_pattern(q))
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: "SELECT id, at, actor_id, actor_name, org_id, entity, entity_id, action, changes FROM audit_log",
        count: "SELECT count(*) FROM audit_log",
        sorts: &[("at", "at"), ("entity", "entity")],
        default_sort: "at DESC",
        id: "id",
    }
    .page(store, params, w, |r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: instant(r.try_get("at")?),
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                org_id: r.try_get("org_id")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                action: r.try_get("action")?,
                changes: serde_json::from_str(&r.try_get::<String, _>("changes")?)
                    .unwrap_or(Value::Null),
            })
        })
    .await
}
