//! Every move of an order (assign, start, wait, resume, resolve, close, reopen, cancel, refuse)
//! and comments, each with its clock changes, timeline event and audit row in one transaction.

use serde::Deserialize;
use serde_json::json;
use sqlx::{AnyConnection, Row};
use weihu_domain::order::{Action, OrderState, comment_meets_response, next_state};

use super::clocks;
use super::{Order, OrderAction, access, get, text, timeline};
use crate::{Actor, Result, Store, StoreError, audit, now_ms, users};
use weihu_domain::sla::{self, ClockChange, ClockKind};

/// A move, as the API and the forms send it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Transition {
    /// assign, start, wait_client, wait_parts, resume, resolve, close, reopen, cancel, refuse.
    pub action: String,
    /// The order's version as last read.
    pub version: i64,
    /// For `assign`: the engineer.
    #[serde(default)]
    pub assignee_id: Option<i64>,
    /// For `assign`: the team.
    #[serde(default)]
    pub team_id: Option<i64>,
    /// Why (required for cancel, refuse and reopen; optional otherwise); shown on the timeline.
    #[serde(default)]
    pub reason: String,
    /// For `resolve`: the work done and the result.
    #[serde(default)]
    pub resolution: String,
    /// For `refuse`: whether the request was within the contract's scope.
    #[serde(default)]
    pub in_scope: Option<bool>,
    /// For `resolve`: the failure cause, a code of `/api/v1/failure-causes`.
    #[serde(default)]
    pub cause: String,
    /// For `resolve`: why the order's breached clocks were breached, when one was (a code of the
    /// short list: client_unavailable, parts_delay, third_party, workload, complexity, travel,
    /// misrouted, other), and a note. Clocks already explained keep their reason.
    #[serde(default)]
    pub breach_reason: String,
    #[serde(default)]
    pub breach_note: String,
}

/// A move with the options only some moves take, as the API sends it (the move's fields and these
/// side by side in one JSON object).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TransitionRequest {
    #[serde(flatten)]
    pub transition: Transition,
    /// For `resolve`: close out the order's open work at the resolution — visits checked in but
    /// not out are checked out, parts awaiting the client's approval are withdrawn, each recorded
    /// on the timeline. Without it, resolving an order with open work is refused (422, field
    /// `close_out`, naming the open visits and parts).
    #[serde(default)]
    pub close_out: bool,
}

/// A comment on an order; internal notes are for provider staff only.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Comment {
    pub body: String,
    /// Default true. Client users' comments are always public.
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

/// Applies a move to an order and returns the order after it. A resolve with open work is
/// refused; see [`transition_with`] to close it out.
pub async fn transition(store: &Store, actor: &Actor, id: i64, t: &Transition) -> Result<Order> {
    transition_with(store, actor, id, t, false).await
}

/// Applies a move; for `resolve`, `close_out` closes out open visits and pending parts instead
/// of refusing the move.
pub async fn transition_with(
    store: &Store,
    actor: &Actor,
    id: i64,
    t: &Transition,
    close_out: bool,
) -> Result<Order> {
    let order = get(store, actor, id).await?;
    let action = Action::parse(&t.action).ok_or_else(|| {
        StoreError::invalid("action", "must be one of: assign, start, wait_client, wait_parts, resume, resolve, close, reopen, cancel, refuse")
    })?;
    access::require(store, actor, &order, OrderAction::from_move(action)).await?;
    let to = next_state(order.state, action)
        .map_err(|e| StoreError::invalid("action", e.to_string()))?;
    if t.version != order.version {
        return Err(StoreError::Conflict {
            current: order.version,
        });
    }
    let reason = text(
        "reason",
        &t.reason,
        2000,
        matches!(action, Action::Cancel | Action::Refuse | Action::Reopen),
    )?;
    let now = now_ms();
    let mut data = json!({"from": order.state.as_str(), "to": to.as_str()});
    let (mut assignee, mut team) = (order.assignee_id, order.team_id);
    let mut resolution = order.resolution.clone();
    let mut close_reason = order.close_reason.clone();
    let mut in_scope = order.refused_in_scope;
    let mut breach: Option<(String, String)> = None;
    match action {
        Action::Assign => {
            check_assignment(store, actor, &order, t.assignee_id, t.team_id, &mut data).await?;
            assignee = t.assignee_id.or(assignee);
            team = t.team_id.or(team);
        }
        Action::Resolve => {
            resolution = text("resolution", &t.resolution, 20_000, true)?;
            if !t.breach_reason.trim().is_empty() {
                breach = Some(super::breaches::check(
                    "breach_reason",
                    &t.breach_reason,
                    &t.breach_note,
                )?);
            }
        }
        Action::Cancel => close_reason = reason.clone(),
        Action::Refuse => {
            close_reason = reason.clone();
            in_scope = Some(t.in_scope.ok_or_else(|| {
                StoreError::invalid(
                    "in_scope",
                    "say whether the request was in the contract's scope",
                )
            })?);
            data["in_scope"] = json!(in_scope);
        }
        _ => {}
    }
    let cals = clocks::Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    let cause = if action == Action::Resolve {
        crate::failure_causes::check(&mut tx, &t.cause).await?
    } else {
        order.cause.clone()
    };
    let done = sqlx::query(
        "UPDATE orders SET cause = $12, state = $1, assignee_id = $2, team_id = $3, resolution = $4, close_reason = $5, \
         refused_in_scope = $6, resolved_at = CASE WHEN $7 = 1 THEN $8 ELSE resolved_at END, \
         closed_at = CASE WHEN $9 = 1 THEN $8 ELSE closed_at END, version = version + 1, updated_at = $8 \
         WHERE id = $10 AND version = $11",
    )
    .bind(to.as_str())
    .bind(assignee)
    .bind(team)
    .bind(resolution)
    .bind(close_reason)
    .bind(in_scope.map(i64::from))
    .bind(i64::from(to == OrderState::Resolved))
    .bind(now)
    .bind(i64::from(matches!(to, OrderState::Closed | OrderState::Cancelled | OrderState::Refused)))
    .bind(id)
    .bind(t.version)
    .bind(cause.clone())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: order.version,
        });
    }
    // Open work is read after the order row is taken, so no check-in or part proposal can slip in
    // between the check and the resolution (each of them bumps the version).
    if action == Action::Resolve {
        let open = super::work::open_work(&mut tx, id).await?;
        if !open.is_empty() {
            if !close_out {
                return Err(StoreError::invalid("close_out", open.refusal()));
            }
            super::work::close_out(&mut tx, actor, &order, &open, now).await?;
            data["closed_out"] = json!(open);
        }
    }
    // Clocks (SPEC §4), by the domain's rules.
    for (kind, change) in sla::changes_for(action) {
        clocks::change(&cals, &mut tx, id, *kind, *change, now).await?;
    }
    if action == Action::Resolve {
        if !cause.is_empty() {
            data["cause"] = json!(cause);
        }
        if let Some((reason, note)) = &breach {
            let n = super::breaches::explain_unexplained(&mut tx, id, reason, note).await?;
            if n > 0 {
                data["breach_reason"] = json!(reason);
            }
        }
    }
    let public = sla::move_is_public(action);
    let body = match action {
        Action::Resolve => t.resolution.trim(),
        _ => reason.as_str(),
    };
    timeline::record(
        &mut tx,
        actor,
        id,
        action.as_str(),
        public,
        body,
        data.clone(),
    )
    .await?;
    if action == Action::Resolve {
        super::search::reindex(&mut tx, store.backend(), id).await?;
    }
    // Who is told, by the domain's rule; nobody of their own move.
    for (told, kind) in weihu_domain::order::told_of(action) {
        let to = match told {
            weihu_domain::order::Told::Assignee => t.assignee_id,
            weihu_domain::order::Told::Requester => order.requester_id,
        };
        if let Some(u) = to.filter(|u| *u != actor.user_id) {
            crate::notifications::notify_with(
                &mut tx,
                u,
                id,
                kind,
                &format!("{} {}", order.number, order.subject),
                // The mail says what was done (a resolution) or asked (waiting for the client).
                if public { body } else { "" },
            )
            .await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        id,
        action.as_str(),
        data,
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Checks a new engineer or team for an order and notes on the timeline's data who it goes from
/// and to (`from_assignee`, `assignee`, `from_team`, `team`).
pub(super) async fn check_assignment(
    store: &Store,
    actor: &Actor,
    order: &Order,
    assignee_id: Option<i64>,
    team_id: Option<i64>,
    data: &mut serde_json::Value,
) -> Result<()> {
    if assignee_id.is_none() && team_id.is_none() {
        return Err(StoreError::invalid(
            "assignee_id",
            "name an engineer or a team",
        ));
    }
    if let Some(a) = assignee_id {
        let u = users::get(store, actor, a)
            .await
            .map_err(|_| StoreError::invalid("assignee_id", "no such engineer"))?;
        if u.role.is_client_side() || !u.active {
            return Err(StoreError::invalid(
                "assignee_id",
                "must be active provider staff",
            ));
        }
        data["assignee"] = json!(u.display_name);
        if let Some(from) = order
            .assignee_name
            .as_ref()
            .filter(|_| order.assignee_id != Some(a))
        {
            data["from_assignee"] = json!(from);
        }
    }
    if let Some(tid) = team_id {
        let team = crate::teams::get(store, actor, tid)
            .await
            .map_err(|_| StoreError::invalid("team_id", "no such team"))?;
        data["team"] = json!(team.name);
        if let Some(from) = order
            .team_name
            .as_ref()
            .filter(|_| order.team_id != Some(tid))
        {
            data["from_team"] = json!(from);
        }
    }
    Ok(())
}

/// Adds a comment. The first public reply by the side responsible for the order (the desk, the
/// assigned engineer or team) meets the response clock; anyone else's comment never stops a
/// clock (`weihu_domain::order::comment_meets_response`).
pub async fn comment(store: &Store, actor: &Actor, id: i64, c: &Comment) -> Result<Order> {
    let order = get(store, actor, id).await?;
    let body = text("body", &c.body, 20_000, true)?;
    let public = c.public || actor.is_client();
    // Only the side responsible for the order meets the response clock (domain rule).
    let meets_response = comment_meets_response(
        actor.role,
        access::relation(store, actor, &order).await?,
        public,
    );
    let cals = clocks::Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    timeline::record(&mut tx, actor, id, "comment", public, &body, json!({})).await?;
    super::search::reindex(&mut tx, store.backend(), id).await?;
    if meets_response {
        clocks::change(
            &cals,
            &mut tx,
            id,
            ClockKind::Response,
            ClockChange::Stop,
            now_ms(),
        )
        .await?;
    }
    // The other side hears of a comment: the engineer of a client's, the requester of the
    // desk's public one (an internal note concerns nobody outside the provider).
    let told = if actor.is_client() {
        order.assignee_id
    } else if public {
        order.requester_id.filter(|r| *r != actor.user_id)
    } else {
        None
    };
    if let Some(u) = told {
        crate::notifications::notify_with(
            &mut tx,
            u,
            id,
            "comment",
            &format!("{} {}", order.number, order.subject),
            &body,
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        id,
        "comment",
        json!({"public": public}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// A clock became at risk or breached: tell the assignee, every dispatcher and service-level
/// manager, and note it on the
/// timeline (internally). Returns the number of notifications written.
pub(crate) async fn notify_clock(
    conn: &mut AnyConnection,
    order_id: i64,
    clock: &str,
    event: &str,
) -> Result<u64> {
    let row = sqlx::query("SELECT number, subject, assignee_id FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut *conn)
        .await?;
    let (number, subject): (String, String) = (row.try_get("number")?, row.try_get("subject")?);
    let assignee: Option<i64> = row.try_get("assignee_id")?;
    let mut to: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE role IN ('dispatcher', 'service_level_manager') AND active = 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    if let Some(a) = assignee
        && !to.contains(&a)
    {
        to.push(a);
    }
    let body = format!("{number} {subject}: {clock} {event}");
    for u in &to {
        crate::notifications::notify_with(
            conn,
            *u,
            order_id,
            &format!("clock_{event}"),
            &body,
            clock,
        )
        .await?;
    }
    let system = Actor::system(0);
    timeline::record(
        conn,
        &system,
        order_id,
        &format!("clock_{event}"),
        false,
        clock,
        json!({"clock": clock}),
    )
    .await?;
    Ok(to.len() as u64)
}

/// The client's satisfaction rating of a resolved order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Rating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: i64,
    #[serde(default)]
    pub comment: String,
}

/// Rates a resolved or closed order: the requester or their client admin. A later rating
/// replaces the earlier one; the timeline keeps both.
pub async fn rate(store: &Store, actor: &Actor, id: i64, r: &Rating) -> Result<Order> {
    let order = get(store, actor, id).await?;
    access::require(store, actor, &order, OrderAction::Rate).await?;
    if !(1..=5).contains(&r.score) {
        return Err(StoreError::invalid("score", "must be 1 to 5"));
    }
    let comment = text("comment", &r.comment, 2000, false)?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "UPDATE orders SET rating = $1, rating_comment = $2, rated_at = $3, updated_at = $3, \
         version = version + 1 WHERE id = $4",
    )
    .bind(r.score)
    .bind(comment.clone())
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    timeline::record(
        &mut tx,
        actor,
        id,
        "rating",
        true,
        &comment,
        json!({"score": r.score}),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        id,
        "rate",
        json!({"score": r.score}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
