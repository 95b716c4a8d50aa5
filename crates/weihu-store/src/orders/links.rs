//! Links between two orders of one client (duplicate of, caused by, follow-up of), shown from
//! both ends, and merging a duplicate into its original: the duplicate's comments and
//! attachments move over and it is cancelled, in one transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::order::{Action, OrderState};
use weihu_domain::order_links::{LinkKind, check_link};
use weihu_domain::sla;

use super::{Order, OrderAction, access, clocks, get, read, text, timeline, visible};
use crate::sql::SqlBuf;
use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

/// A link as read from one order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderLink {
    pub id: i64,
    /// From this order: `duplicate_of`, `caused_by`, `follow_up_of`; from the other end:
    /// `has_duplicate`, `caused`, `followed_up_by`.
    pub relation: String,
    /// The other order.
    pub order_id: i64,
    pub number: String,
    pub subject: String,
    #[schema(value_type = String)]
    pub state: OrderState,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

/// A new link from this order to another, named by id or by number.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewLink {
    /// `duplicate_of`, `caused_by` or `follow_up_of`: what this order is to the other.
    pub kind: String,
    #[serde(default)]
    pub other_id: Option<i64>,
    /// The other order's number (`SO-2026-000123`), when the id is not at hand.
    #[serde(default)]
    pub other_number: Option<String>,
}

/// Merging this order (a duplicate) into another.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct Merge {
    /// This order's version as last read.
    pub version: i64,
    #[serde(default)]
    pub into_id: Option<i64>,
    /// The original's number, when the id is not at hand.
    #[serde(default)]
    pub into_number: Option<String>,
    /// Shown on both timelines; default "duplicate of SO-…".
    #[serde(default)]
    pub reason: String,
}

/// The links of an order that the actor may see (a client user sees only links to their own
/// orders).
pub async fn for_order(store: &Store, actor: &Actor, id: i64) -> Result<Vec<OrderLink>> {
    let mut s = SqlBuf::new(
        "SELECT l.id, l.kind, l.order_id AS from_id, l.created_at, o.id AS other, o.number, \
         o.subject, o.state FROM order_links l JOIN orders o ON o.id = \
         CASE WHEN l.order_id = ",
    );
    s.bind(id)
        .push(" THEN l.other_id ELSE l.order_id END WHERE (l.order_id = ");
    s.bind(id).push(" OR l.other_id = ").bind(id).push(")");
    visible(actor, &mut s);
    s.push(" ORDER BY l.id");
    let rows = s.query().fetch_all(&store.pool).await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let kind = LinkKind::parse(&kind).ok_or(StoreError::Corrupt {
                what: "order link kind",
                value: kind,
            })?;
            let state: String = r.try_get("state")?;
            let from_here = r.try_get::<i64, _>("from_id")? == id;
            Ok(OrderLink {
                id: r.try_get("id")?,
                relation: if from_here {
                    kind.as_str()
                } else {
                    kind.inverse_str()
                }
                .to_owned(),
                order_id: r.try_get("other")?,
                number: r.try_get("number")?,
                subject: r.try_get("subject")?,
                state: OrderState::parse(&state).ok_or(StoreError::Corrupt {
                    what: "order state",
                    value: state,
                })?,
                created_at: instant(r.try_get("created_at")?),
            })
        })
        .collect()
}

/// The other order of a link or merge, by id or number, as the actor sees it.
async fn other(
    store: &Store,
    actor: &Actor,
    field: &'static str,
    id: Option<i64>,
    number: Option<&str>,
) -> Result<Order> {
    let id = match (id, number.map(str::trim).filter(|n| !n.is_empty())) {
        (Some(id), _) => id,
        (None, Some(n)) => {
            if n.chars().count() > 40 {
                return Err(StoreError::invalid(field, "no such order"));
            }
            sqlx::query_scalar::<_, i64>("SELECT id FROM orders WHERE number = $1")
                .bind(n.to_uppercase())
                .fetch_optional(&store.pool)
                .await?
                .ok_or_else(|| StoreError::invalid(field, "no such order"))?
        }
        (None, None) => return Err(StoreError::invalid(field, "name the other order")),
    };
    get(store, actor, id).await.map_err(|e| match e {
        StoreError::NotFound => StoreError::invalid(field, "no such order"),
        e => e,
    })
}

async fn linked(store: &Store, a: i64, b: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_links WHERE (order_id = $1 AND other_id = $2) \
         OR (order_id = $2 AND other_id = $1)",
    )
    .bind(a)
    .bind(b)
    .fetch_one(&store.pool)
    .await?;
    Ok(n > 0)
}

/// Writes a link and its two timeline events inside the caller's transaction: `order` is `kind`
/// of `other` (ids and numbers).
pub(crate) async fn write_link(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    order: (i64, &str),
    other: (i64, &str),
    kind: LinkKind,
) -> Result<i64> {
    let link_id: i64 = sqlx::query_scalar(
        "INSERT INTO order_links (order_id, other_id, kind, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(order.0)
    .bind(other.0)
    .bind(kind.as_str())
    .bind(actor.audit_id())
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await?;
    for (on, relation, with) in [
        (order, kind.as_str(), other),
        (other, kind.inverse_str(), order),
    ] {
        let data = json!({"relation": relation, "number": with.1, "order_id": with.0});
        timeline::record(conn, actor, on.0, "linked", true, "", data).await?;
    }
    Ok(link_id)
}

pub async fn link(store: &Store, actor: &Actor, id: i64, new: &NewLink) -> Result<Order> {
    let order = get(store, actor, id).await?;
    access::require(store, actor, &order, OrderAction::Link).await?;
    let kind = LinkKind::parse(&new.kind).ok_or_else(|| {
        StoreError::invalid(
            "kind",
            "must be one of: duplicate_of, caused_by, follow_up_of",
        )
    })?;
    let to = other(
        store,
        actor,
        "other_id",
        new.other_id,
        new.other_number.as_deref(),
    )
    .await?;
    check_link(
        order.id,
        to.id,
        order.client_org_id == to.client_org_id,
        linked(store, order.id, to.id).await?,
    )
    .map_err(|m| StoreError::invalid("other_id", m))?;
    let mut tx = store.pool.begin().await?;
    let link_id = write_link(
        &mut tx,
        actor,
        (order.id, &order.number),
        (to.id, &to.number),
        kind,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order.id,
        "link",
        json!({"link": link_id, "kind": kind.as_str(), "other": to.number}),
    )
    .await?;
    tx.commit().await?;
    read(store, actor, id).await
}

pub async fn unlink(store: &Store, actor: &Actor, id: i64, link_id: i64) -> Result<Order> {
    let order = read(store, actor, id).await?;
    access::require(store, actor, &order, OrderAction::Link).await?;
    let Some(link) = order.links.iter().find(|l| l.id == link_id).cloned() else {
        return Err(StoreError::NotFound);
    };
    let mut tx = store.pool.begin().await?;
    sqlx::query("DELETE FROM order_links WHERE id = $1")
        .bind(link_id)
        .execute(&mut *tx)
        .await?;
    for (on, with) in [(order.id, &link.number), (link.order_id, &order.number)] {
        timeline::record(
            &mut tx,
            actor,
            on,
            "unlinked",
            true,
            "",
            json!({"number": with}),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order.id,
        "unlink",
        json!({"link": link_id, "relation": link.relation, "other": link.number}),
    )
    .await?;
    tx.commit().await?;
    read(store, actor, id).await
}

/// Merges duplicate `id` into the original named in `m` and returns the original.
pub async fn merge(store: &Store, actor: &Actor, id: i64, m: &Merge) -> Result<Order> {
    let dup = get(store, actor, id).await?;
    access::require(store, actor, &dup, OrderAction::Merge).await?;
    if m.version != dup.version {
        return Err(StoreError::Conflict {
            current: dup.version,
        });
    }
    let into = other(store, actor, "into_id", m.into_id, m.into_number.as_deref()).await?;
    check_link(
        dup.id,
        into.id,
        dup.client_org_id == into.client_org_id,
        false,
    )
    .map_err(|msg| StoreError::invalid("into_id", msg))?;
    if matches!(into.state, OrderState::Cancelled | OrderState::Refused) {
        return Err(StoreError::invalid(
            "into_id",
            "cannot merge into a cancelled or refused order",
        ));
    }
    let reason = text("reason", &m.reason, 2000, false)?;
    let reason = if reason.is_empty() {
        format!("duplicate of {}", into.number)
    } else {
        reason
    };
    let now = now_ms();
    let cals = clocks::Calendars::load(
        store,
        dup.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE orders SET state = 'cancelled', close_reason = $1, closed_at = $2, \
         version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
    )
    .bind(reason.clone())
    .bind(now)
    .bind(dup.id)
    .bind(m.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: dup.version,
        });
    }
    for (kind, change) in sla::changes_for(Action::Cancel) {
        clocks::change(&cals, &mut tx, dup.id, *kind, *change, now).await?;
    }
    let comments = sqlx::query(
        "UPDATE order_events SET order_id = $1 WHERE order_id = $2 AND kind = 'comment'",
    )
    .bind(into.id)
    .bind(dup.id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let attachments = sqlx::query("UPDATE order_attachments SET order_id = $1 WHERE order_id = $2")
        .bind(into.id)
        .bind(dup.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query(
        "DELETE FROM order_links WHERE (order_id = $1 AND other_id = $2) \
         OR (order_id = $2 AND other_id = $1)",
    )
    .bind(dup.id)
    .bind(into.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_links (order_id, other_id, kind, created_by, created_at) \
         VALUES ($1, $2, 'duplicate_of', $3, $4)",
    )
    .bind(dup.id)
    .bind(into.id)
    .bind(actor.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE orders SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(into.id)
        .execute(&mut *tx)
        .await?;
    let moved = json!({"comments": comments, "attachments": attachments});
    let mut data = moved.clone();
    data["into"] = json!(into.number);
    timeline::record(
        &mut tx,
        actor,
        dup.id,
        "merged",
        true,
        &reason,
        data.clone(),
    )
    .await?;
    let mut data_in = moved;
    data_in["from"] = json!(dup.number);
    timeline::record(&mut tx, actor, into.id, "merged_in", true, &reason, data_in).await?;
    for oid in [dup.id, into.id] {
        super::search::reindex(&mut tx, store.backend(), oid).await?;
    }
    if let Some(u) = dup.requester_id.filter(|u| *u != actor.user_id) {
        crate::notifications::notify(
            &mut tx,
            u,
            dup.id,
            "merged",
            &format!("{} → {} {}", dup.number, into.number, into.subject),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(dup.client_org_id),
        "order",
        dup.id,
        "merge",
        data,
    )
    .await?;
    tx.commit().await?;
    read(store, actor, into.id).await
}
