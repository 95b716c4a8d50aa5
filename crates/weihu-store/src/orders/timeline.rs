//! The order's timeline: every state change, comment, assignment and clock event, with actor and
//! time. It is the order's audit trail; internal entries never reach the client side.

use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::{Actor, Result, Store, StoreError, instant, now_ms};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// created, comment, assign, start, wait_client, …, clock_at_risk, clock_breached.
    pub kind: String,
    /// Internal entries (internal notes, provider-side events) are shown to provider staff only.
    pub public: bool,
    pub body: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

pub(crate) async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    order_id: i64,
    kind: &str,
    public: bool,
    body: &str,
    data: Value,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO order_events (order_id, at, actor_id, actor_name, kind, public, body, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(order_id)
    .bind(now_ms())
    .bind(actor.audit_id())
    .bind(actor.display_name.clone())
    .bind(kind.to_owned())
    .bind(i64::from(public))
    .bind(body.to_owned())
    .bind(data.to_string())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The timeline of an order the actor may see, oldest first.
pub async fn events(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<Event>> {
    super::get(store, actor, order_id).await?;
    let public_only = if actor.is_client() {
        " AND public = 1"
    } else {
        ""
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, at, actor_id, actor_name, kind, public, body, data FROM order_events \
         WHERE order_id = $1{public_only} ORDER BY id"
    )))
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                id: r.try_get("id")?,
                at: instant(r.try_get("at")?),
                actor_id: r.try_get("actor_id")?,
                actor_name: r.try_get("actor_name")?,
                kind: r.try_get("kind")?,
                public: r.try_get::<i64, _>("public")? != 0,
                body: r.try_get("body")?,
                data: serde_json::from_str(&r.try_get::<String, _>("data")?)
                    .map_err(|e| StoreError::Format(e.to_string()))?,
            })
        })
        .collect()
}
