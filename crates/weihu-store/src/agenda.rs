//! What awaits one user across orders, for the home pages: the engineer's planned visits and the
//! client administrator's parts to approve. Scoped like every read: an engineer's own visits,
//! the client's own orders.

use serde::Serialize;
use sqlx::Row;

use crate::{Actor, Result, Store, instant};

/// One thing to do on one order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgendaItem {
    pub order_id: i64,
    pub number: String,
    pub subject: String,
    /// The visit's kind, or the part's name and quantity.
    pub what: String,
    /// When the visit was decided, or the part proposed.
    #[schema(value_type = String, format = DateTime)]
    pub since: jiff::Timestamp,
}

const OPEN: &str = "('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts')";

/// On-site visits decided for the actor and not yet checked in, on open orders, oldest first.
pub async fn planned_visits(store: &Store, actor: &Actor, limit: i64) -> Result<Vec<AgendaItem>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT v.order_id, o.number, o.subject, v.kind AS what, v.decided_at AS since \
         FROM order_visits v JOIN orders o ON o.id = v.order_id \
         WHERE v.engineer_id = $1 AND v.check_in_at IS NULL AND o.state IN {OPEN} \
         ORDER BY v.decided_at LIMIT $2"
    )))
    .bind(actor.user_id)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(item).collect()
}

/// Parts proposed on the client's orders and awaiting its administrator, oldest first; nothing
/// for anyone else.
pub async fn parts_to_approve(store: &Store, actor: &Actor, limit: i64) -> Result<Vec<AgendaItem>> {
    if !actor.role.approves_parts() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT p.order_id, o.number, o.subject, p.name || ' × ' || CAST(p.quantity AS TEXT) AS what, \
         p.proposed_at AS since FROM order_parts p JOIN orders o ON o.id = p.order_id \
         WHERE o.client_org_id = $1 AND p.state = 'proposed' ORDER BY p.proposed_at LIMIT $2",
    )
    .bind(actor.org_id)
    .bind(limit)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(item).collect()
}

fn item(r: &sqlx::any::AnyRow) -> Result<AgendaItem> {
    Ok(AgendaItem {
        order_id: r.try_get("order_id")?,
        number: r.try_get("number")?,
        subject: r.try_get("subject")?,
        what: r.try_get("what")?,
        since: instant(r.try_get("since")?),
    })
}
