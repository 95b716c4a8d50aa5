//! Work not finished when an order is resolved: refused, or closed out and recorded.

use super::*;

/// Work on an order that is not finished: visits checked in but not out, and parts still
/// awaiting the client's approval. An order with open work is not resolved without saying so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OpenWork {
    /// Visits checked in and not checked out.
    pub open_visits: Vec<i64>,
    /// Parts proposed and not yet approved or rejected by the client.
    pub pending_parts: Vec<i64>,
}

impl OpenWork {
    /// The open work among an order's visits and parts.
    pub fn of(visits: &[Visit], parts: &[Part]) -> OpenWork {
        OpenWork {
            open_visits: visits
                .iter()
                .filter(|v| v.check_in_at.is_some() && v.check_out_at.is_none())
                .map(|v| v.id)
                .collect(),
            pending_parts: parts
                .iter()
                .filter(|p| p.state == "proposed")
                .map(|p| p.id)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.open_visits.is_empty() && self.pending_parts.is_empty()
    }

    /// Why a resolve is refused, naming what is open.
    pub fn refusal(&self) -> String {
        let ids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let mut what = Vec::new();
        if !self.open_visits.is_empty() {
            what.push(format!(
                "{} visit(s) checked in but not out (visit {})",
                self.open_visits.len(),
                ids(&self.open_visits)
            ));
        }
        if !self.pending_parts.is_empty() {
            what.push(format!(
                "{} part(s) awaiting the client's approval (part {})",
                self.pending_parts.len(),
                ids(&self.pending_parts)
            ));
        }
        format!(
            "the order has open work: {}; check out and have the parts decided first, or resolve with close_out: true to check the visits out and withdraw the parts now",
            what.join("; ")
        )
    }
}

/// The open work of an order, read in the caller's transaction.
pub(crate) async fn open_work(conn: &mut AnyConnection, order_id: i64) -> Result<OpenWork> {
    let open_visits = sqlx::query_scalar(
        "SELECT id FROM order_visits WHERE order_id = $1 AND check_in_at IS NOT NULL \
         AND check_out_at IS NULL ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let pending_parts = sqlx::query_scalar(
        "SELECT id FROM order_parts WHERE order_id = $1 AND state = 'proposed' ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(OpenWork {
        open_visits,
        pending_parts,
    })
}

/// Closes out open work at a resolution the caller asked to close out: open visits are checked
/// out at `now`, pending parts are withdrawn (never billed, no longer to approve); each is recorded
/// on the timeline and in the audit log, in the resolution's transaction.
pub(crate) async fn close_out(
    conn: &mut AnyConnection,
    actor: &Actor,
    order: &Order,
    open: &OpenWork,
    now: i64,
) -> Result<()> {
    for visit_id in &open.open_visits {
        sqlx::query(
            "UPDATE order_visits SET check_out_at = $1 WHERE id = $2 AND check_out_at IS NULL",
        )
        .bind(now)
        .bind(*visit_id)
        .execute(&mut *conn)
        .await?;
        record(
            conn,
            actor,
            order,
            Event {
                kind: "check_out",
                public: true,
                body: "结单时签出 / checked out at resolution",
                data: json!({"visit": visit_id, "close_out": true}),
                audit_action: "check_out",
                audit: json!({"visit": visit_id, "close_out": true}),
            },
        )
        .await?;
    }
    for part_id in &open.pending_parts {
        let name: String = sqlx::query_scalar(
            "UPDATE order_parts SET state = 'withdrawn', decided_by = $1, decided_at = $2 \
             WHERE id = $3 AND state = 'proposed' RETURNING name",
        )
        .bind(actor.audit_id())
        .bind(now)
        .bind(*part_id)
        .fetch_one(&mut *conn)
        .await?;
        record(
            conn,
            actor,
            order,
            Event {
                kind: "part_withdrawn",
                public: true,
                body: &name,
                data: json!({"part": part_id, "close_out": true}),
                audit_action: "part_withdrawn",
                audit: json!({"part": part_id}),
            },
        )
        .await?;
    }
    Ok(())
}
