//! A batch of new orders written with one statement per table (the group-commit writer's fast
//! path): one counter update for all their numbers, then one multi-row insert each for orders,
//! clocks, search rows, timeline events and audit entries. The rows are exactly those
//! [`super::write`] writes for one order; per order it is about ten statements fewer, each a
//! hand-off to the database driver.

use std::collections::HashMap;

use serde_json::json;
use sqlx::{AnyConnection, Row};
use weihu_domain::order::{OrderKind, order_number};

use super::clocks::{NEW_CLOCK_COLUMNS, NewClock};
use super::{PreparedOrder, Written, search};
use crate::sql::SqlBuf;
use crate::{Backend, Result, StoreError, now_ms};

/// Rows per multi-row insert: below SQLite's 32,766 bound parameters for the widest table
/// (orders, 22 per row).
const ROWS_PER_INSERT: usize = 500;

/// Writes `orders` inside the caller's transaction and returns their ids in the same order. Any
/// error leaves the caller to roll back (the writer then writes the batch order by order, so a
/// bad order fails alone).
pub(crate) async fn write_many(
    conn: &mut AnyConnection,
    backend: Backend,
    orders: &[&PreparedOrder],
) -> Result<Vec<Written>> {
    let Some(first) = orders.first() else {
        return Ok(Vec::new());
    };
    let now = now_ms();
    let year = jiff::Timestamp::from_millisecond(now)
        .map(|t| t.to_zoned_datetime(first.zone.clone()).year())
        .unwrap_or(2026);
    let n = orders.len() as i64;
    // The counter row first, as in the single path: concurrent writers queue here.
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO order_counters (year, last) VALUES ($1, $2) \
         ON CONFLICT (year) DO UPDATE SET last = order_counters.last + $2 RETURNING last",
    )
    .bind(i64::from(year))
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    let numbers: Vec<String> = (0..n)
        .map(|i| order_number(year, last - n + 1 + i))
        .collect();

    let mut ids_by_number: HashMap<String, i64> = HashMap::with_capacity(orders.len());
    for (chunk, nums) in orders
        .chunks(ROWS_PER_INSERT)
        .zip(numbers.chunks(ROWS_PER_INSERT))
    {
        let mut w = SqlBuf::new(
            "INSERT INTO orders (number, client_org_id, requester_id, requester_name, requester_phone, site, channel, \
             category, urgency, impact, priority, subject, description, service_mode, state, policy_id, policy_version, \
             created_by, created_at, updated_at, contract_id, asset_id, catalog_item_id, kind) VALUES ",
        );
        for (i, (p, number)) in chunk.iter().zip(nums).enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.push("(")
                .bind(number.clone())
                .push(", ")
                .bind(p.client_org_id)
                .push(", ")
                .bind(p.requester_id)
                .push(", ")
                .bind(p.requester_name.clone())
                .push(", ")
                .bind(p.phone.clone())
                .push(", ")
                .bind(p.site.clone())
                .push(", ")
                .bind(p.channel.clone())
                .push(", ")
                .bind(p.category.clone())
                .push(", ")
                .bind(p.urgency.as_str())
                .push(", ")
                .bind(p.impact.as_str())
                .push(", ")
                .bind(p.priority.as_str())
                .push(", ")
                .bind(p.subject.clone())
                .push(", ")
                .bind(p.description.clone())
                .push(", ")
                .bind(p.mode.clone())
                .push(", 'new', ")
                .bind(p.policy.as_ref().map(|(id, _, _)| *id))
                .push(", ")
                .bind(p.policy.as_ref().map(|(_, v, _)| *v))
                .push(", ")
                .bind(p.actor.audit_id())
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(p.contract_id)
                .push(", ")
                .bind(p.asset_id)
                .push(", ")
                .bind(p.catalog_item_id)
                .push(", ")
                .bind(p.kind.as_str())
                .push(")");
        }
        // RETURNING gives no row order on SQLite: the (unique) number says which row is which.
        w.push(" RETURNING id, number");
        for row in w.query().fetch_all(&mut *conn).await? {
            ids_by_number.insert(row.try_get("number")?, row.try_get("id")?);
        }
    }
    let ids: Vec<i64> = numbers
        .iter()
        .map(|num| {
            ids_by_number
                .get(num)
                .copied()
                .ok_or_else(|| StoreError::Format(format!("order {num} was not returned")))
        })
        .collect::<Result<_>>()?;

    // Clocks.
    let mut clocks = Vec::new();
    for (p, id) in orders.iter().zip(&ids) {
        if let Some((_, _, policy)) = &p.policy {
            for c in NewClock::for_new_order(&p.cals, policy, p.priority, now)? {
                clocks.push((*id, p.client_org_id, c));
            }
        }
    }
    for chunk in clocks.chunks(ROWS_PER_INSERT) {
        let mut w = SqlBuf::new(&format!(
            "INSERT INTO order_clocks ({NEW_CLOCK_COLUMNS}) VALUES "
        ));
        for (i, (id, client, c)) in chunk.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            c.push_values(*id, Some(*client), &mut w);
        }
        w.query().execute(&mut *conn).await?;
    }

    // Search rows.
    let (table, cols) = search::bulk_columns(backend);
    for chunk in orders
        .iter()
        .zip(&ids)
        .collect::<Vec<_>>()
        .chunks(ROWS_PER_INSERT)
    {
        let mut w = SqlBuf::new(&format!(
            "INSERT INTO {table} ({}) VALUES ",
            cols.join(", ")
        ));
        for (i, (p, id)) in chunk.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.push("(")
                .bind(**id)
                .push(", ")
                .bind(search::index_text(&[
                    p.subject.as_str(),
                    p.description.as_str(),
                    "",
                    p.requester_name.as_str(),
                    p.site.as_str(),
                ]))
                .push(", '')");
        }
        w.query().execute(&mut *conn).await?;
    }

    // Timeline: "created", and why a fault has no clocks.
    let mut events = Vec::new();
    for ((p, id), number) in orders.iter().zip(&ids).zip(&numbers) {
        if p.policy.is_none() && p.kind == OrderKind::Fault {
            events.push((
                *p,
                *id,
                "sla_not_started",
                false,
                super::NO_POLICY_NOTE.to_owned(),
                json!({"reason": "no_policy"}),
            ));
        }
        events.push((
            *p,
            *id,
            "created",
            true,
            p.subject.clone(),
            json!({"number": number, "priority": p.priority.as_str(), "channel": p.channel}),
        ));
    }
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut w = SqlBuf::new(
            "INSERT INTO order_events (order_id, at, actor_id, actor_name, kind, public, body, data) VALUES ",
        );
        for (i, (p, id, kind, public, body, data)) in chunk.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.push("(")
                .bind(*id)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(p.actor.audit_id())
                .push(", ")
                .bind(p.actor.display_name.clone())
                .push(", ")
                .bind(*kind)
                .push(", ")
                .bind(i64::from(*public))
                .push(", ")
                .bind(body.clone())
                .push(", ")
                .bind(data.to_string())
                .push(")");
        }
        w.query().execute(&mut *conn).await?;
    }

    // Audit.
    let rows: Vec<_> = orders.iter().zip(&ids).zip(&numbers).collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut w = SqlBuf::new(
            "INSERT INTO audit_log (at, actor_id, actor_name, org_id, entity, entity_id, action, changes) VALUES ",
        );
        for (i, ((p, id), number)) in chunk.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.push("(")
                .bind(now)
                .push(", ")
                .bind(p.actor.audit_id())
                .push(", ")
                .bind(p.actor.username.clone())
                .push(", ")
                .bind(p.client_org_id)
                .push(", 'order', ")
                .bind(id.to_string())
                .push(", 'create', ")
                .bind(json!({"number": number, "subject": p.subject}).to_string())
                .push(")");
        }
        w.query().execute(&mut *conn).await?;
    }
    // "Order received" to each requester, in the same transaction.
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        crate::mail::outbox::enqueue_received(conn, chunk).await?;
    }
    Ok(ids
        .into_iter()
        .zip(numbers)
        .map(|(id, number)| Written {
            id,
            number,
            at: now,
        })
        .collect())
}
