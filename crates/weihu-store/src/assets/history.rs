//! An asset's history: its orders, visits and parts, and its fault count.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// order, visit, part.
    pub kind: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub order_id: i64,
    pub order_number: String,
    pub text: String,
}

/// The asset's orders, visits and installed parts, newest first.
pub async fn history(store: &Store, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>> {
    get(store, actor, id).await?;
    let mut out = Vec::new();
    let rows = sqlx::query(
        "SELECT o.id, o.number, o.subject, o.state, o.created_at FROM orders o WHERE o.asset_id = $1 \
         ORDER BY o.created_at DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        out.push(HistoryEntry {
            kind: "order".into(),
            at: instant(r.try_get("created_at")?),
            order_id: r.try_get("id")?,
            order_number: r.try_get("number")?,
            text: format!(
                "{} ({})",
                r.try_get::<String, _>("subject")?,
                r.try_get::<String, _>("state")?
            ),
        });
    }
    let rows = sqlx::query(
        "SELECT o.id, o.number, v.kind, v.check_in_at, v.decided_at, u.display_name FROM order_visits v \
         JOIN orders o ON o.id = v.order_id LEFT JOIN users u ON u.id = v.engineer_id \
         WHERE o.asset_id = $1 ORDER BY v.decided_at DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        let at: Option<i64> = r.try_get("check_in_at")?;
        out.push(HistoryEntry {
            kind: "visit".into(),
            at: instant(at.unwrap_or(r.try_get("decided_at")?)),
            order_id: r.try_get("id")?,
            order_number: r.try_get("number")?,
            text: format!(
                "{} · {}",
                r.try_get::<String, _>("kind")?,
                r.try_get::<Option<String>, _>("display_name")?
                    .unwrap_or_default()
            ),
        });
    }
    let rows = sqlx::query(
        "SELECT o.id, o.number, p.name, p.model, p.quantity, p.installed_at FROM order_parts p \
         JOIN orders o ON o.id = p.order_id WHERE o.asset_id = $1 AND p.state = 'installed' \
         ORDER BY p.installed_at DESC LIMIT 200",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        out.push(HistoryEntry {
            kind: "part".into(),
            at: instant(r.try_get::<Option<i64>, _>("installed_at")?.unwrap_or(0)),
            order_id: r.try_get("id")?,
            order_number: r.try_get("number")?,
            text: format!(
                "{} {} × {}",
                r.try_get::<String, _>("name")?,
                r.try_get::<String, _>("model")?,
                r.try_get::<i64, _>("quantity")?
            ),
        });
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.at));
    Ok(out)
}
