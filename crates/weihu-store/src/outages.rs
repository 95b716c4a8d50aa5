//! Outages (SPEC §9): a client's catalog service down from a start to an end (open while
//! ongoing), with its cause, the orders about it, and whether it is excluded from the figures
//! (force majeure, or a third party's fault under its underpinning contract). Staff record and
//! edit them (every edit audited with its reason); a client reads its own. Availability,
//! stability and reliability per service and month are computed from them by the domain.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

/// Characters of a cause at most; of a vendor's name and of its contract reference.
pub const MAX_CAUSE: usize = 2000;
pub const MAX_VENDOR: usize = 200;
/// Orders one outage links at most.
pub const MAX_ORDERS: usize = 50;
/// Outages one month's figures read at most (per client).
pub const MAX_LISTED: i64 = 2000;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outage {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    /// The catalog service that was down; none: the client's IT as a whole.
    pub catalog_item_id: Option<i64>,
    pub service_name: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: jiff::Timestamp,
    /// None while the service is still down.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<jiff::Timestamp>,
    pub cause: String,
    /// Excluded from the figures: force majeure.
    pub force_majeure: bool,
    /// Excluded from the figures: a third party's fault, under its underpinning contract.
    pub third_party: bool,
    pub vendor: String,
    pub underpinning_contract: String,
    /// Orders about this outage (the one it was opened from first).
    pub order_ids: Vec<i64>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

impl Outage {
    /// The domain's view of it, for the figures.
    pub fn measured(&self) -> weihu_domain::availability::Outage {
        weihu_domain::availability::Outage {
            start: self.started_at,
            end: self.ended_at,
            force_majeure: self.force_majeure,
            third_party: self.third_party,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewOutage {
    pub client_org_id: i64,
    #[serde(default)]
    pub catalog_item_id: Option<i64>,
    /// RFC 3339; default now.
    #[serde(default)]
    pub started_at: Option<String>,
    /// RFC 3339; none while ongoing.
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub force_majeure: bool,
    #[serde(default)]
    pub third_party: bool,
    #[serde(default)]
    pub vendor: String,
    #[serde(default)]
    pub underpinning_contract: String,
    #[serde(default)]
    pub order_ids: Vec<i64>,
}

/// A change to an outage; absent fields stay. `ended_at: ""` reopens it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OutagePatch {
    pub version: i64,
    /// Why it changed (kept in the audit log).
    #[serde(default)]
    pub reason: String,
    pub catalog_item_id: Option<i64>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub cause: Option<String>,
    pub force_majeure: Option<bool>,
    pub third_party: Option<bool>,
    pub vendor: Option<String>,
    pub underpinning_contract: Option<String>,
    pub order_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct OutageFilter {
    pub client_org_id: Option<i64>,
    pub catalog_item_id: Option<i64>,
    /// Only outages still going on.
    pub open: Option<bool>,
    /// Outages that touch `[from, to)`, RFC 3339 each.
    pub from: Option<String>,
    pub to: Option<String>,
}

fn may_record(actor: &Actor) -> Result<()> {
    if actor.role.can_record_outages() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "recording outages is for provider staff",
        ))
    }
}

fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(StoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// An RFC 3339 instant within the years Weihu measures (2000–2200), as ms.
pub fn parse_instant(field: &str, value: &str) -> Result<i64> {
    let t: jiff::Timestamp = value
        .trim()
        .parse()
        .map_err(|e| StoreError::invalid(field, format!("not an RFC 3339 instant: {e}")))?;
    let ms = t.as_millisecond();
    // 2000-01-01 and 2200-01-01 in ms.
    if !(946_684_800_000..7_258_118_400_000).contains(&ms) {
        return Err(StoreError::invalid(field, "must be between 2000 and 2200"));
    }
    Ok(ms)
}

const SELECT: &str = "SELECT u.id, u.client_org_id, c.name AS client_name, u.catalog_item_id, i.name AS service_name, \
    u.started_at, u.ended_at, u.cause, u.force_majeure, u.third_party, u.vendor, u.underpinning_contract, \
    u.version, u.created_at, u.updated_at \
    FROM outages u JOIN organizations c ON c.id = u.client_org_id LEFT JOIN catalog_items i ON i.id = u.catalog_item_id";

fn from_row(r: &sqlx::any::AnyRow, order_ids: Vec<i64>) -> Result<Outage> {
    Ok(Outage {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        catalog_item_id: r.try_get("catalog_item_id")?,
        service_name: r.try_get("service_name")?,
        started_at: instant(r.try_get("started_at")?),
        ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(instant),
        cause: r.try_get("cause")?,
        force_majeure: r.try_get::<i64, _>("force_majeure")? != 0,
        third_party: r.try_get::<i64, _>("third_party")? != 0,
        vendor: r.try_get("vendor")?,
        underpinning_contract: r.try_get("underpinning_contract")?,
        order_ids,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

async fn orders_of(conn: &mut AnyConnection, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT order_id FROM outage_orders WHERE outage_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// One outage; another client's is not found.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Outage> {
    let mut conn = store.pool.acquire().await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE u.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let client: i64 = row.try_get("client_org_id")?;
    if actor.client_scope().is_some_and(|own| own != client) {
        return Err(StoreError::NotFound);
    }
    let ids = orders_of(&mut conn, id).await?;
    from_row(&row, ids)
}

fn filter_sql(actor: &Actor, f: &OutageFilter) -> Result<crate::sql::SqlBuf> {
    let mut w = crate::sql::SqlBuf::new(" WHERE 1 = 1");
    let client = match actor.client_scope() {
        Some(own) => Some(own),
        None => f.client_org_id,
    };
    if let Some(c) = client {
        w.push(" AND u.client_org_id = ").bind(c);
    }
    if let Some(i) = f.catalog_item_id {
        w.push(" AND u.catalog_item_id = ").bind(i);
    }
    if f.open == Some(true) {
        w.push(" AND u.ended_at IS NULL");
    }
    if let Some(from) = &f.from {
        let from = parse_instant("from", from)?;
        w.push(" AND (u.ended_at IS NULL OR u.ended_at > ")
            .bind(from)
            .push(")");
    }
    if let Some(to) = &f.to {
        let to = parse_instant("to", to)?;
        w.push(" AND u.started_at < ").bind(to);
    }
    Ok(w)
}

/// Outages by client, service, state and period, newest first; a client sees its own.
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &OutageFilter,
    params: &crate::ListParams,
) -> Result<crate::Page<Outage>> {
    let w = filter_sql(actor, f)?;
    let mut page = crate::page::Listing {
        select: SELECT,
        count: "SELECT count(*) FROM outages u",
        sorts: &[("started_at", "u.started_at"), ("ended_at", "u.ended_at")],
        default_sort: "u.started_at DESC",
        id: "u.id",
    }
    .page(store, params, w, |r| from_row(r, Vec::new()))
    .await?;
    attach_orders(store, &mut page.items).await?;
    Ok(page)
}

/// Every outage of `client` touching `[from, to)` (ms), for the month's figures; at most
/// [`MAX_LISTED`], the earliest first.
pub(crate) async fn in_period(
    store: &Store,
    client: i64,
    from: i64,
    to: i64,
) -> Result<Vec<Outage>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE u.client_org_id = $1 AND (u.ended_at IS NULL OR u.ended_at > $2) AND u.started_at < $3 \
         ORDER BY u.started_at, u.id LIMIT $4"
    )))
    .bind(client)
    .bind(from)
    .bind(to)
    .bind(MAX_LISTED)
    .fetch_all(&store.pool)
    .await?;
    let mut out = rows
        .iter()
        .map(|r| from_row(r, Vec::new()))
        .collect::<Result<Vec<_>>>()?;
    attach_orders(store, &mut out).await?;
    Ok(out)
}

/// Fills in the linked orders of `list`, one query per 500 outages.
async fn attach_orders(store: &Store, list: &mut [Outage]) -> Result<()> {
    let mut linked: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for chunk in list.chunks(500) {
        let ids = chunk
            .iter()
            .map(|o| o.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        // The ids are integers read from the database: nothing of a user's reaches this text.
        let pairs = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT outage_id, order_id FROM outage_orders WHERE outage_id IN ({ids}) ORDER BY outage_id, position"
        )))
        .fetch_all(&store.pool)
        .await?;
        for p in pairs {
            linked
                .entry(p.try_get("outage_id")?)
                .or_default()
                .push(p.try_get("order_id")?);
        }
    }
    for o in list {
        o.order_ids = linked.remove(&o.id).unwrap_or_default();
    }
    Ok(())
}

/// Checks that the service is the client's and that each order is one of the client's.
async fn check_links(
    conn: &mut AnyConnection,
    client: i64,
    service: Option<i64>,
    orders: &[i64],
) -> Result<Vec<i64>> {
    let client_exists: i64 =
        sqlx::query_scalar("SELECT count(*) FROM organizations WHERE id = $1 AND kind = 'client'")
            .bind(client)
            .fetch_one(&mut *conn)
            .await?;
    if client_exists == 0 {
        return Err(StoreError::invalid("client_org_id", "no such client"));
    }
    if let Some(s) = service {
        let used: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM catalog_item_clients WHERE item_id = $1 AND client_org_id = $2",
        )
        .bind(s)
        .bind(client)
        .fetch_one(&mut *conn)
        .await?;
        if used == 0 {
            return Err(StoreError::invalid(
                "catalog_item_id",
                "not a service this client uses",
            ));
        }
    }
    let mut ids: Vec<i64> = Vec::new();
    for o in orders {
        if !ids.contains(o) {
            ids.push(*o);
        }
    }
    if ids.len() > MAX_ORDERS {
        return Err(StoreError::invalid(
            "order_ids",
            format!("at most {MAX_ORDERS} orders"),
        ));
    }
    for o in &ids {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = $1 AND client_org_id = $2")
                .bind(*o)
                .bind(client)
                .fetch_one(&mut *conn)
                .await?;
        if n == 0 {
            return Err(StoreError::invalid(
                "order_ids",
                "no such order of this client",
            ));
        }
    }
    Ok(ids)
}

async fn set_orders(conn: &mut AnyConnection, id: i64, orders: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM outage_orders WHERE outage_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (position, o) in orders.iter().enumerate() {
        sqlx::query(
            "INSERT INTO outage_orders (outage_id, order_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(*o)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn check_span(start: i64, end: Option<i64>, now: i64) -> Result<()> {
    if start > now + 60_000 {
        return Err(StoreError::invalid(
            "started_at",
            "must not be in the future",
        ));
    }
    if end.is_some_and(|e| e < start) {
        return Err(StoreError::invalid(
            "ended_at",
            "must not be before the start",
        ));
    }
    Ok(())
}

/// Records an outage (in one transaction with its links and its audit entry).
pub async fn create(store: &Store, actor: &Actor, new: &NewOutage) -> Result<Outage> {
    may_record(actor)?;
    let now = now_ms();
    let start = match &new.started_at {
        Some(s) if !s.trim().is_empty() => parse_instant("started_at", s)?,
        _ => now,
    };
    let end = match &new.ended_at {
        Some(s) if !s.trim().is_empty() => Some(parse_instant("ended_at", s)?),
        _ => None,
    };
    check_span(start, end, now)?;
    let cause = text("cause", &new.cause, MAX_CAUSE)?;
    let vendor = text("vendor", &new.vendor, MAX_VENDOR)?;
    let uc = text(
        "underpinning_contract",
        &new.underpinning_contract,
        MAX_VENDOR,
    )?;
    let mut tx = store.pool.begin().await?;
    let orders = check_links(
        &mut tx,
        new.client_org_id,
        new.catalog_item_id,
        &new.order_ids,
    )
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outages (client_org_id, catalog_item_id, started_at, ended_at, cause, force_majeure, third_party, \
         vendor, underpinning_contract, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) RETURNING id",
    )
    .bind(new.client_org_id)
    .bind(new.catalog_item_id)
    .bind(start)
    .bind(end)
    .bind(cause.clone())
    .bind(i64::from(new.force_majeure))
    .bind(i64::from(new.third_party))
    .bind(vendor.clone())
    .bind(uc.clone())
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    set_orders(&mut tx, id, &orders).await?;
    audit::record(
        &mut tx,
        actor,
        Some(new.client_org_id),
        "outage",
        id,
        "create",
        json!({"catalog_item_id": new.catalog_item_id, "started_at": start, "ended_at": end,
               "cause": cause, "force_majeure": new.force_majeure, "third_party": new.third_party,
               "vendor": vendor, "underpinning_contract": uc, "order_ids": orders}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Opens an outage from an order: the order's client and service, starting when the order was
/// reported (or `started_at`), linked to the order.
pub async fn open_from_order(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    started_at: Option<String>,
    cause: String,
) -> Result<Outage> {
    // Another tenant's order is not found before anything else is said.
    let order = crate::orders::get(store, actor, order_id).await?;
    may_record(actor)?;
    let started_at = started_at
        .filter(|s| !s.trim().is_empty())
        .or_else(|| Some(order.created_at.to_string()));
    create(
        store,
        actor,
        &NewOutage {
            client_org_id: order.client_org_id,
            catalog_item_id: order.catalog_item_id,
            started_at,
            cause: if cause.trim().is_empty() {
                order.subject.clone()
            } else {
                cause
            },
            order_ids: vec![order_id],
            ..Default::default()
        },
    )
    .await
}

/// Changes an outage; the audit entry keeps what it was, what it became, and why.
pub async fn update(store: &Store, actor: &Actor, id: i64, p: &OutagePatch) -> Result<Outage> {
    let current = get(store, actor, id).await?;
    may_record(actor)?;
    let now = now_ms();
    let start = match &p.started_at {
        Some(s) => parse_instant("started_at", s)?,
        None => current.started_at.as_millisecond(),
    };
    let end = match &p.ended_at {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(parse_instant("ended_at", s)?),
        None => current.ended_at.map(|t| t.as_millisecond()),
    };
    check_span(start, end, now)?;
    let cause = text(
        "cause",
        p.cause.as_deref().unwrap_or(&current.cause),
        MAX_CAUSE,
    )?;
    let vendor = text(
        "vendor",
        p.vendor.as_deref().unwrap_or(&current.vendor),
        MAX_VENDOR,
    )?;
    let uc = text(
        "underpinning_contract",
        p.underpinning_contract
            .as_deref()
            .unwrap_or(&current.underpinning_contract),
        MAX_VENDOR,
    )?;
    let reason = text("reason", &p.reason, 500)?;
    let service = p.catalog_item_id.or(current.catalog_item_id);
    let force_majeure = p.force_majeure.unwrap_or(current.force_majeure);
    let third_party = p.third_party.unwrap_or(current.third_party);
    let mut tx = store.pool.begin().await?;
    let orders = check_links(
        &mut tx,
        current.client_org_id,
        service,
        p.order_ids.as_deref().unwrap_or(&current.order_ids),
    )
    .await?;
    let done = sqlx::query(
        "UPDATE outages SET catalog_item_id = $1, started_at = $2, ended_at = $3, cause = $4, force_majeure = $5, \
         third_party = $6, vendor = $7, underpinning_contract = $8, version = version + 1, updated_at = $9 \
         WHERE id = $10 AND version = $11",
    )
    .bind(service)
    .bind(start)
    .bind(end)
    .bind(cause.clone())
    .bind(i64::from(force_majeure))
    .bind(i64::from(third_party))
    .bind(vendor.clone())
    .bind(uc.clone())
    .bind(now)
    .bind(id)
    .bind(p.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    set_orders(&mut tx, id, &orders).await?;
    audit::record(
        &mut tx,
        actor,
        Some(current.client_org_id),
        "outage",
        id,
        "update",
        json!({
            "reason": reason,
            "before": {"catalog_item_id": current.catalog_item_id, "started_at": current.started_at.as_millisecond(),
                       "ended_at": current.ended_at.map(|t| t.as_millisecond()), "cause": current.cause,
                       "force_majeure": current.force_majeure, "third_party": current.third_party,
                       "vendor": current.vendor, "underpinning_contract": current.underpinning_contract,
                       "order_ids": current.order_ids},
            "after": {"catalog_item_id": service, "started_at": start, "ended_at": end, "cause": cause,
                      "force_majeure": force_majeure, "third_party": third_party, "vendor": vendor,
                      "underpinning_contract": uc, "order_ids": orders},
        }),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
