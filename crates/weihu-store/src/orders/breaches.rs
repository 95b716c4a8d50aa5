//! Why a clock was breached (issue #14): a reason from the domain's short list and a note, said on
//! the resolution or afterwards, recorded on the timeline and listed in the month's report.

use serde::Deserialize;
use serde_json::json;
use weihu_domain::attainment::BreachReason;
use weihu_domain::sla::ClockKind;

use super::{Order, OrderAction, access, get, text, timeline};
use crate::{Actor, Result, Store, StoreError, audit};

/// A breach's explanation, as the API and the forms send it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct BreachExplanation {
    /// client_unavailable, parts_delay, third_party, workload, complexity, travel, misrouted,
    /// other.
    pub reason: String,
    /// What happened, in a sentence or two (required for `other`).
    #[serde(default)]
    pub note: String,
}

/// Checks an explanation: the reason from the list, the note within bounds.
pub(crate) fn check(field: &str, reason: &str, note: &str) -> Result<(String, String)> {
    let reason = BreachReason::parse(reason.trim()).ok_or_else(|| {
        StoreError::invalid(
            field,
            "must be one of: client_unavailable, parts_delay, third_party, workload, complexity, travel, misrouted, other",
        )
    })?;
    let note = text("note", note, 2000, reason == BreachReason::Other)?;
    Ok((reason.as_str().to_owned(), note))
}

/// Explains the breach of the order's clock `kind` (the clock must be breached: stopped late, or
/// running past its due).
pub async fn explain(
    store: &Store,
    actor: &Actor,
    id: i64,
    kind: &str,
    e: &BreachExplanation,
) -> Result<Order> {
    let order = get(store, actor, id).await?;
    access::require(store, actor, &order, OrderAction::ExplainBreach).await?;
    let kind = ClockKind::parse(kind)
        .ok_or_else(|| StoreError::invalid("kind", "must be response, arrival or resolution"))?;
    let (reason, note) = check("reason", &e.reason, &e.note)?;
    let breached = order
        .clocks
        .iter()
        .any(|c| c.kind == kind.as_str() && c.state == "breached");
    if !breached {
        return Err(StoreError::invalid(
            "kind",
            format!("the {} clock of this order is not breached", kind.as_str()),
        ));
    }
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "UPDATE order_clocks SET breach_reason = $1, breach_note = $2 WHERE order_id = $3 AND kind = $4",
    )
    .bind(reason.clone())
    .bind(note.clone())
    .bind(id)
    .bind(kind.as_str())
    .execute(&mut *tx)
    .await?;
    let data = json!({"clock": kind.as_str(), "reason": reason});
    timeline::record(
        &mut tx,
        actor,
        id,
        "breach_explained",
        false,
        &note,
        data.clone(),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        id,
        "breach_explained",
        json!({"clock": kind.as_str(), "reason": reason, "note": note}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// On a resolution: the breached clocks of the order that have no reason yet take this one.
pub(crate) async fn explain_unexplained(
    conn: &mut sqlx::AnyConnection,
    order_id: i64,
    reason: &str,
    note: &str,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE order_clocks SET breach_reason = $1, breach_note = $2 WHERE order_id = $3 \
         AND outcome = 'breached' AND (breach_reason IS NULL OR breach_reason = '')",
    )
    .bind(reason.to_owned())
    .bind(note.to_owned())
    .bind(order_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
