//! Escalation (ITIL): functional — the order goes to another team or engineer, with a reason —
//! and hierarchical — the order is raised to the provider's management, flagged on the board and
//! the dashboard until it is done. Both are on the timeline, audited and notified.

use serde::Deserialize;
use serde_json::json;
use weihu_domain::order::{Action, next_state};
use weihu_domain::role::Role;
use weihu_domain::sla;

use super::workflow::check_assignment;
use super::{Order, OrderAction, access, clocks, get, text, timeline};
use crate::{Actor, Result, Store, StoreError, audit, now_ms};

/// An escalation, as the API and the order page send it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Escalation {
    /// `functional` (to another team or engineer) or `hierarchical` (to the provider's
    /// management).
    pub kind: String,
    /// The order's version as last read.
    pub version: i64,
    /// Why; required, shown on the timeline and in the notification.
    #[serde(default)]
    pub reason: String,
    /// Functional: the engineer taking over.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// Functional: the team taking over.
    #[serde(default)]
    pub team_id: Option<i64>,
}

pub async fn escalate(store: &Store, actor: &Actor, id: i64, e: &Escalation) -> Result<Order> {
    let order = get(store, actor, id).await?;
    let functional = match e.kind.as_str() {
        "functional" => true,
        "hierarchical" => false,
        _ => {
            return Err(StoreError::invalid(
                "kind",
                "must be one of: functional, hierarchical",
            ));
        }
    };
    let action = if functional {
        OrderAction::EscalateFunctional
    } else {
        OrderAction::EscalateHierarchical
    };
    access::require(store, actor, &order, action).await?;
    if e.version != order.version {
        return Err(StoreError::Conflict {
            current: order.version,
        });
    }
    let reason = text("reason", &e.reason, 2000, true)?;
    let mut data = json!({"kind": e.kind});
    let now = now_ms();
    let cals = clocks::Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    let mut told: Vec<i64> = Vec::new();
    if functional {
        check_assignment(store, actor, &order, e.assignee_id, e.team_id, &mut data).await?;
        // Handing a new order on assigns it, exactly as an assignment would.
        let to = next_state(order.state, Action::Assign)
            .map_err(|err| StoreError::invalid("kind", err.to_string()))?;
        let done = sqlx::query(
            "UPDATE orders SET state = $1, assignee_id = COALESCE($2, assignee_id), \
             team_id = COALESCE($3, team_id), version = version + 1, updated_at = $4 \
             WHERE id = $5 AND version = $6",
        )
        .bind(to.as_str())
        .bind(e.assignee_id)
        .bind(e.team_id)
        .bind(now)
        .bind(id)
        .bind(e.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                current: order.version,
            });
        }
        for (kind, change) in sla::changes_for(Action::Assign) {
            clocks::change(&cals, &mut tx, id, *kind, *change, now).await?;
        }
        told.extend(e.assignee_id);
    } else {
        let done = sqlx::query(
            "UPDATE orders SET escalated_at = $1, escalation_reason = $2, version = version + 1, \
             updated_at = $1 WHERE id = $3 AND version = $4",
        )
        .bind(now)
        .bind(reason.clone())
        .bind(id)
        .bind(e.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                current: order.version,
            });
        }
        if order.escalated_at.is_some() {
            data["again"] = json!(true);
        }
        // The provider's management, and whoever works the order.
        let managers: Vec<&str> = Role::ALL
            .into_iter()
            .filter(|r| r.receives_escalations())
            .map(Role::as_str)
            .collect();
        let mut q = crate::sql::SqlBuf::new(
            "SELECT u.id FROM users u JOIN organizations o ON o.id = u.org_id \
             WHERE o.kind = 'provider' AND u.active = 1 AND u.role IN (",
        );
        for (i, r) in managers.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(*r);
        }
        q.push(")");
        let ids: Vec<i64> = q
            .query()
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| sqlx::Row::try_get(r, 0))
            .collect::<std::result::Result<_, _>>()?;
        told.extend(ids);
        told.extend(order.assignee_id);
    }
    // The client sees that management was asked; a hand-over between teams is internal.
    timeline::record(
        &mut tx,
        actor,
        id,
        "escalated",
        !functional,
        &reason,
        data.clone(),
    )
    .await?;
    told.sort_unstable();
    told.dedup();
    for u in told.into_iter().filter(|u| *u != actor.user_id) {
        crate::notifications::notify(
            &mut tx,
            u,
            id,
            "escalated",
            &format!("{} {}: {reason}", order.number, order.subject),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        id,
        "escalate",
        data,
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
