//! What the acting user may do to one order: loads the facts the domain's table needs
//! (`weihu_domain::order_access`), answers with the list of actions, and turns a refusal into the
//! store's error. Every order operation asks here; no role is compared in the store.

use weihu_domain::order::{OrderKind, REOPEN_WINDOW_MS, Relation};
use weihu_domain::order_access::{self, OrderAction, OrderFacts, Refusal};

use super::Order;
use crate::{Actor, Result, Store, StoreError, now_ms, users};

/// How the actor relates to the order: its requester, or its assignee (personally or through the
/// assigned team).
pub(super) async fn relation(store: &Store, actor: &Actor, order: &Order) -> Result<Relation> {
    let in_team = match (order.team_id, actor.role) {
        // One more read, only for the role whose rights depend on its team.
        (Some(t), r) if r.works_through_team() => {
            users::get(store, actor, actor.user_id).await?.team_id == Some(t)
        }
        _ => false,
    };
    Ok(Relation {
        is_requester: order.requester_id == Some(actor.user_id),
        is_assignee: order.assignee_id == Some(actor.user_id) || in_team,
    })
}

pub(super) async fn facts(store: &Store, actor: &Actor, order: &Order) -> Result<OrderFacts> {
    let now = now_ms();
    let resolved = order.resolved_at.map(|t| t.as_millisecond()).unwrap_or(now);
    Ok(OrderFacts {
        state: order.state,
        rel: relation(store, actor, order).await?,
        within_reopen_window: now - resolved <= REOPEN_WINDOW_MS,
        rated: order.rating.is_some(),
        kind: order.kind,
        unanswered: match order.kind {
            OrderKind::Inspection if order.state.is_open() => {
                crate::maintenance::inspections::unanswered(store, order.id).await?
            }
            _ => 0,
        },
    })
}

/// The actions `actor` may take on `order` now.
pub(super) async fn actions(
    store: &Store,
    actor: &Actor,
    order: &Order,
) -> Result<Vec<OrderAction>> {
    Ok(order_access::actions(
        actor.role,
        &facts(store, actor, order).await?,
    ))
}

/// Refuses `action` unless the table allows it: 403 for the role, 422 naming the field for the
/// order's state.
pub(super) async fn require(
    store: &Store,
    actor: &Actor,
    order: &Order,
    action: OrderAction,
) -> Result<()> {
    // `get` already asked the table for this actor; only a refusal needs the reason.
    if order.actions.contains(&action) {
        return Ok(());
    }
    order_access::check(actor.role, &facts(store, actor, order).await?, action).map_err(refused)
}

pub(super) fn refused(r: Refusal) -> StoreError {
    match r {
        Refusal::Role(m) => StoreError::Forbidden(m),
        Refusal::State { field, message } => StoreError::invalid(field, message),
    }
}
