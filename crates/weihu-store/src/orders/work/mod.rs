//! Work on an order (SPEC §5): remote sessions, on-site visits with the arrival clock, spare
//! parts the client approves, the backup question before a major change, and time entries.
//! Every write is one transaction with its timeline event and audit row.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use weihu_domain::billing::VisitKind;
use weihu_domain::money::Money;
use weihu_domain::order::OrderState;

use super::clocks::{self, Calendars};
use super::{Order, OrderAction, access, get, text, timeline};
use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms, users};
use weihu_domain::sla::{ClockChange, ClockKind};

mod open_work;
mod parts;
mod records;
mod signature;
mod take_away;
mod visits;

pub use open_work::*;
pub use parts::*;
pub use records::*;
pub use signature::*;
pub use take_away::*;
pub use visits::*;

/// The stored visit kinds: exactly the billing engine's (`VisitKind::as_str`), so a kind that is
/// stored is one the statement knows how to price.
pub const VISIT_KINDS: [&str; 4] = [
    VisitKind::ALL[0].as_str(),
    VisitKind::ALL[1].as_str(),
    VisitKind::ALL[2].as_str(),
    VisitKind::ALL[3].as_str(),
];
/// Rate categories of a per-visit contract.
pub const VISIT_CATEGORIES: [&str; 4] = ["pc", "network", "peripheral", "server"];
/// A take-away repair comes back within this many hours (wall clock), as promised.
pub const TAKE_AWAY_PROMISE_HOURS: i64 = 48;

/// A nullable stored instant as RFC 3339.
pub(crate) fn opt_time(r: &AnyRow, c: &str) -> Result<Option<jiff::Timestamp>> {
    Ok(r.try_get::<Option<i64>, _>(c)?.map(instant))
}

fn money(field: &str, v: &str) -> Result<Money> {
    let m = Money::parse(v).map_err(|e| StoreError::invalid(field, e.to_string()))?;
    if m.is_negative() {
        return Err(StoreError::invalid(field, "must not be negative"));
    }
    Ok(m)
}

async fn bump(conn: &mut AnyConnection, order_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE orders SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// One piece of work in one transaction, the skeleton every work function shares: the order's
/// version moves on, `write` adds the work's own rows and says what it was, the timeline event
/// and audit row are recorded, and the transaction commits. Returns what `write` made (usually
/// the new row's id). The order was read and the permission table asked before this.
async fn commit_work<'e, T>(
    store: &Store,
    actor: &Actor,
    order: &Order,
    now: i64,
    write: impl AsyncFnOnce(&mut AnyConnection) -> Result<(T, Event<'e>)>,
) -> Result<T> {
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order.id, now).await?;
    let (made, event) = write(&mut tx).await?;
    record(&mut tx, actor, order, event).await?;
    tx.commit().await?;
    Ok(made)
}

/// The order's timeline event and audit row of one piece of work, in the work's transaction.
struct Event<'a> {
    kind: &'a str,
    public: bool,
    body: &'a str,
    data: serde_json::Value,
    audit_action: &'a str,
    audit: serde_json::Value,
}

async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    order: &Order,
    e: Event<'_>,
) -> Result<()> {
    timeline::record(conn, actor, order.id, e.kind, e.public, e.body, e.data).await?;
    audit::record(
        conn,
        actor,
        Some(order.client_org_id),
        "order",
        order.id,
        e.audit_action,
        e.audit,
    )
    .await
}
