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
use weihu_domain::role::Role;

use super::clocks::{self, Calendars, Change};
use super::{Order, get, text, timeline, workflow};
use crate::{Actor, Result, Store, StoreError, audit, ms_to_rfc3339, now_ms, users};

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
pub(crate) fn opt_time(r: &AnyRow, c: &str) -> Result<Option<String>> {
    Ok(r.try_get::<Option<i64>, _>(c)?.map(ms_to_rfc3339))
}

fn money(field: &str, v: &str) -> Result<Money> {
    let m = Money::parse(v).map_err(|e| StoreError::invalid(field, e.to_string()))?;
    if m.is_negative() {
        return Err(StoreError::invalid(field, "must not be negative"));
    }
    Ok(m)
}

/// Provider staff who work the order: administrators, dispatchers, and its engineers.
async fn may_work(store: &Store, actor: &Actor, order: &Order) -> Result<()> {
    let ok = match actor.role {
        Role::Admin | Role::Dispatcher => true,
        Role::Engineer => workflow::relation(store, actor, order).await?.is_assignee,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only the engineers of this order record work on it",
        ))
    }
}

fn open(order: &Order) -> Result<()> {
    if order.state.is_open() {
        Ok(())
    } else {
        Err(StoreError::invalid("order", "the order is no longer open"))
    }
}

async fn bump(conn: &mut AnyConnection, order_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE orders SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
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

// ---- visits -----------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub id: i64,
    pub order_id: i64,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    /// regular, scheduled (the monthly maintenance visit), emergency, repeat.
    pub kind: String,
    pub decided_at: String,
    pub check_in_at: Option<String>,
    pub check_out_at: Option<String>,
    /// Decimal string, e.g. "30.00".
    pub travel_fee: String,
    /// Rate category on a per-visit contract: pc, network, peripheral, server (default from the
    /// order's category).
    pub category: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewVisit {
    /// Default: `repeat` when the order already had an on-site visit, else `regular`.
    pub kind: Option<String>,
    /// Default: the order's assignee.
    pub engineer_id: Option<i64>,
    #[serde(default)]
    pub travel_fee: Option<String>,
    /// pc, network, peripheral, server; default from the order's category.
    pub category: Option<String>,
    #[serde(default)]
    pub note: String,
}

fn visit_row(r: &AnyRow) -> Result<Visit> {
    Ok(Visit {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        engineer_id: r.try_get("engineer_id")?,
        engineer_name: r.try_get("engineer_name")?,
        kind: r.try_get("kind")?,
        decided_at: ms_to_rfc3339(r.try_get("decided_at")?),
        check_in_at: opt_time(r, "check_in_at")?,
        check_out_at: opt_time(r, "check_out_at")?,
        travel_fee: r.try_get("travel_fee")?,
        category: r.try_get("category")?,
        note: r.try_get("note")?,
    })
}

const VISIT_SELECT: &str = "SELECT v.id, v.order_id, v.engineer_id, u.display_name AS engineer_name, v.kind, v.decided_at, \
     v.check_in_at, v.check_out_at, v.travel_fee, v.category, v.note FROM order_visits v LEFT JOIN users u ON u.id = v.engineer_id";

pub async fn visits(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<Visit>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{VISIT_SELECT} WHERE v.order_id = $1 ORDER BY v.id"
    )))
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(visit_row).collect()
}

/// Decides an on-site visit. The first one starts the arrival clock; a further one on the same
/// order is proposed as a `repeat` (not counted toward the visit cap, never billed).
pub async fn decide_visit(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    v: &NewVisit,
) -> Result<Visit> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    open(&order)?;
    let earlier: i64 = sqlx::query_scalar("SELECT count(*) FROM order_visits WHERE order_id = $1")
        .bind(order_id)
        .fetch_one(&store.pool)
        .await?;
    let kind = match v.kind.as_deref() {
        None if earlier > 0 => VisitKind::Repeat,
        None => VisitKind::Regular,
        // An unknown kind is refused here, where it would be stored: billing must never guess.
        Some(k) => VisitKind::parse(k).map_err(|_| {
            StoreError::invalid(
                "kind",
                format!("must be one of: {}", VISIT_KINDS.join(", ")),
            )
        })?,
    }
    .as_str();
    let engineer = v
        .engineer_id
        .or(order.assignee_id)
        .ok_or_else(|| StoreError::invalid("engineer_id", "name the engineer who goes"))?;
    let eng = users::get(store, actor, engineer)
        .await
        .map_err(|_| StoreError::invalid("engineer_id", "no such engineer"))?;
    if eng.role.is_client_side() {
        return Err(StoreError::invalid("engineer_id", "must be provider staff"));
    }
    let fee = money("travel_fee", v.travel_fee.as_deref().unwrap_or("0"))?;
    let note = text("note", &v.note, 2000, false)?;
    let category = match v
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) if VISIT_CATEGORIES.contains(&c) => Some(c.to_owned()),
        Some(_) => {
            return Err(StoreError::invalid(
                "category",
                format!("must be one of: {}", VISIT_CATEGORIES.join(", ")),
            ));
        }
    };
    // The arrival target comes from the policy version the order started under (SPEC §4), not
    // from a revision made since.
    let policy = clocks::order_policy_version(store, order.policy_id, order.policy_version).await?;
    let priority = weihu_domain::priority::Priority::parse(&order.priority)
        .unwrap_or(weihu_domain::priority::Priority::P3);
    let cals = Calendars::load(
        store,
        policy
            .iter()
            .map(|p| p.targets_for(priority).calendar.clone())
            .collect(),
    )
    .await?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO order_visits (order_id, engineer_id, kind, decided_at, travel_fee, note, created_by, category) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(order_id)
    .bind(engineer)
    .bind(kind)
    .bind(now)
    .bind(fee.to_string())
    .bind(note.clone())
    .bind(actor.audit_id())
    .bind(category)
    .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if let Some(p) = &policy {
        clocks::start_arrival(&cals, &mut tx, order_id, p, priority, now).await?;
    }
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "visit",
            public: true,
            body: &note,
            data: json!({"visit": id, "kind": kind, "engineer": eng.display_name}),
            audit_action: "visit",
            audit: json!({"visit": id, "kind": kind}),
        },
    )
    .await?;
    tx.commit().await?;
    visit(store, actor, order_id, id).await
}

async fn visit(store: &Store, actor: &Actor, order_id: i64, id: i64) -> Result<Visit> {
    visits(store, actor, order_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(StoreError::NotFound)
}

/// Check-in on site (stops the arrival clock) or check-out, from the engineer's phone.
pub async fn visit_check(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    visit_id: i64,
    check_in: bool,
) -> Result<Visit> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    open(&order)?;
    let v = visit(store, actor, order_id, visit_id).await?;
    let field = if check_in { "check_in" } else { "check_out" };
    match (check_in, &v.check_in_at, &v.check_out_at) {
        (true, Some(_), _) => return Err(StoreError::invalid(field, "already checked in")),
        (false, None, _) => return Err(StoreError::invalid(field, "check in first")),
        (false, _, Some(_)) => return Err(StoreError::invalid(field, "already checked out")),
        _ => {}
    }
    let cals = Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let col = if check_in {
        "check_in_at"
    } else {
        "check_out_at"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE order_visits SET {col} = $1 WHERE id = $2"
    )))
    .bind(now)
    .bind(visit_id)
    .execute(&mut *tx)
    .await?;
    if check_in {
        clocks::change(&cals, &mut tx, order_id, "arrival", Change::Stop, now).await?;
    }
    let kind = if check_in { "check_in" } else { "check_out" };
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind,
            public: true,
            body: "",
            data: json!({"visit": visit_id}),
            audit_action: kind,
            audit: json!({"visit": visit_id}),
        },
    )
    .await?;
    tx.commit().await?;
    visit(store, actor, order_id, visit_id).await
}

// ---- parts ------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Part {
    pub id: i64,
    pub order_id: i64,
    pub name: String,
    pub model: String,
    pub quantity: i64,
    /// Decimal string: the price charged per unit (0 when the client supplies it).
    pub unit_price: String,
    /// The manufacturer's authorized service-centre price per unit, if known.
    pub authorized_price: Option<String>,
    pub client_supplied: bool,
    /// proposed, approved, rejected, installed, withdrawn (still pending when the order was
    /// resolved with `close_out`).
    pub state: String,
    pub note: String,
    pub proposed_at: String,
    pub decided_at: Option<String>,
    pub installed_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewPart {
    pub name: String,
    #[serde(default)]
    pub model: String,
    pub quantity: i64,
    /// Decimal string.
    pub unit_price: String,
    /// Decimal string; the unit price may not exceed it.
    pub authorized_price: Option<String>,
    #[serde(default)]
    pub client_supplied: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PartDecision {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

const PART_COLUMNS: &str = "id, order_id, name, model, quantity, unit_price, authorized_price, client_supplied, state, note, \
     proposed_at, decided_at, installed_at";

fn part_row(r: &AnyRow) -> Result<Part> {
    Ok(Part {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        name: r.try_get("name")?,
        model: r.try_get("model")?,
        quantity: r.try_get("quantity")?,
        unit_price: r.try_get("unit_price")?,
        authorized_price: r.try_get("authorized_price")?,
        client_supplied: r.try_get::<i64, _>("client_supplied")? != 0,
        state: r.try_get("state")?,
        note: r.try_get("note")?,
        proposed_at: ms_to_rfc3339(r.try_get("proposed_at")?),
        decided_at: opt_time(r, "decided_at")?,
        installed_at: opt_time(r, "installed_at")?,
    })
}

pub async fn parts(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<Part>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PART_COLUMNS} FROM order_parts WHERE order_id = $1 ORDER BY id"
    )))
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(part_row).collect()
}

async fn part(store: &Store, actor: &Actor, order_id: i64, id: i64) -> Result<Part> {
    parts(store, actor, order_id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(StoreError::NotFound)
}

/// The reason recorded on the timeline when a part proposal puts an order in waiting_client.
const PART_APPROVAL_WAIT: &str = "part_approval";
/// The body such a move carried before the reason was recorded in its data.
const PART_APPROVAL_WAIT_BODY: &str = "等待客户审批备件 / awaiting the client's approval of a part";

/// Whether the order waits for the client because of a part approval, and for nothing else: the
/// latest move into waiting_client says why (a manual `wait_client` — no answer, no access — is
/// not ended by a part decision).
async fn waits_only_for_part_approval(conn: &mut AnyConnection, order_id: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT body, data FROM order_events WHERE order_id = $1 AND kind = 'wait_client' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(false) };
    let body: String = r.try_get("body")?;
    let data: serde_json::Value =
        serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or_default();
    Ok(data["wait"] == PART_APPROVAL_WAIT || body == PART_APPROVAL_WAIT_BODY)
}

/// Moves an order between in_progress and waiting_client for a part approval, with the clock.
/// Going back to work happens only when the order waits for the part approval alone: an order
/// the engineer put in waiting_client for another reason keeps waiting.
async fn set_waiting(
    conn: &mut AnyConnection,
    cals: &Calendars,
    actor: &Actor,
    order: &Order,
    waiting: bool,
    now: i64,
) -> Result<()> {
    let (from, to, change, kind) = if waiting {
        (
            OrderState::InProgress,
            OrderState::WaitingClient,
            Change::Pause,
            "wait_client",
        )
    } else {
        (
            OrderState::WaitingClient,
            OrderState::InProgress,
            Change::Resume,
            "resume",
        )
    };
    if !waiting && !waits_only_for_part_approval(conn, order.id).await? {
        return Ok(());
    }
    let done = sqlx::query("UPDATE orders SET state = $1 WHERE id = $2 AND state = $3")
        .bind(to.as_str())
        .bind(order.id)
        .bind(from.as_str())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        clocks::change(cals, conn, order.id, "resolution", change, now).await?;
        let reason = if waiting {
            PART_APPROVAL_WAIT_BODY
        } else {
            "备件已审批 / part decided"
        };
        timeline::record(
            conn,
            actor,
            order.id,
            kind,
            true,
            reason,
            json!({"from": from.as_str(), "to": to.as_str(), "wait": PART_APPROVAL_WAIT}),
        )
        .await?;
    }
    Ok(())
}

// ---- open work at resolution ------------------------------------------------------------

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

/// Proposes a part. Its price may not exceed the authorized service-centre price. A part the
/// provider supplies waits for the client admin's approval, and the resolution clock pauses
/// meanwhile; a client-supplied part costs nothing and needs no approval.
pub async fn propose_part(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    p: &NewPart,
) -> Result<Part> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    open(&order)?;
    let name = text("name", &p.name, 200, true)?;
    let model = text("model", &p.model, 200, false)?;
    let note = text("note", &p.note, 2000, false)?;
    if !(1..=10_000).contains(&p.quantity) {
        return Err(StoreError::invalid("quantity", "must be 1 to 10000"));
    }
    let price = if p.client_supplied {
        Money::ZERO
    } else {
        money("unit_price", &p.unit_price)?
    };
    let authorized = p
        .authorized_price
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .map(|a| money("authorized_price", a))
        .transpose()?;
    if let Some(a) = authorized
        && price > a
    {
        return Err(StoreError::invalid(
            "unit_price",
            format!("{price} exceeds the authorized service-centre price {a}"),
        ));
    }
    let state = if p.client_supplied {
        "approved"
    } else {
        "proposed"
    };
    let cals = Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO order_parts (order_id, name, model, quantity, unit_price, authorized_price, client_supplied, state, note, \
         proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(order_id)
    .bind(name.clone())
    .bind(model)
    .bind(p.quantity)
    .bind(price.to_string())
    .bind(authorized.map(|a| a.to_string()))
    .bind(i64::from(p.client_supplied))
    .bind(state)
    .bind(note)
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    timeline::record(&mut tx, actor, order_id, "part_proposed", true, &name, json!({"part": id, "quantity": p.quantity, "unit_price": price.to_string(), "client_supplied": p.client_supplied})).await?;
    if !p.client_supplied {
        set_waiting(&mut tx, &cals, actor, &order, true, now).await?;
        // The client's admins decide: tell them.
        let admins: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 AND role = 'client_admin' AND active = 1",
        )
        .bind(order.client_org_id)
        .fetch_all(&mut *tx)
        .await?;
        for a in admins {
            let body = format!(
                "{} {}: {name} × {} @ {price}",
                order.number, order.subject, p.quantity
            );
            crate::notifications::notify(&mut tx, a, order_id, "part_approval", &body).await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order_id,
        "part_proposed",
        json!({"part": id}),
    )
    .await?;
    tx.commit().await?;
    part(store, actor, order_id, id).await
}

/// The client admin approves or rejects a proposed part. When nothing is left to decide, an order
/// that was waiting for the approval goes back to work and its clock runs again.
pub async fn decide_part(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    part_id: i64,
    d: &PartDecision,
) -> Result<Part> {
    let order = get(store, actor, order_id).await?;
    if actor.role != Role::ClientAdmin {
        return Err(StoreError::Forbidden(
            "the client's administrator approves parts",
        ));
    }
    open(&order)?;
    let p = part(store, actor, order_id, part_id).await?;
    if p.state != "proposed" {
        return Err(StoreError::invalid(
            "approve",
            format!("the part is already {}", p.state),
        ));
    }
    let note = text("note", &d.note, 2000, false)?;
    let state = if d.approve { "approved" } else { "rejected" };
    let cals = Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    sqlx::query("UPDATE order_parts SET state = $1, decided_by = $2, decided_at = $3, note = CASE WHEN $4 = '' THEN note ELSE $4 END WHERE id = $5 AND state = 'proposed'")
        .bind(state)
        .bind(actor.audit_id())
        .bind(now)
        .bind(note.clone())
        .bind(part_id)
        .execute(&mut *tx)
        .await?;
    let kind = if d.approve {
        "part_approved"
    } else {
        "part_rejected"
    };
    timeline::record(
        &mut tx,
        actor,
        order_id,
        kind,
        true,
        &note,
        json!({"part": part_id, "name": p.name}),
    )
    .await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_parts WHERE order_id = $1 AND state = 'proposed'",
    )
    .bind(order_id)
    .fetch_one(&mut *tx)
    .await?;
    if pending == 0 {
        set_waiting(&mut tx, &cals, actor, &order, false, now).await?;
    }
    if let Some(a) = order.assignee_id {
        let body = format!("{} {}: {}", order.number, order.subject, p.name);
        crate::notifications::notify(&mut tx, a, order_id, kind, &body).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order_id,
        kind,
        json!({"part": part_id}),
    )
    .await?;
    tx.commit().await?;
    part(store, actor, order_id, part_id).await
}

/// Records that an approved (or client-supplied) part was installed; only those are billed.
pub async fn install_part(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    part_id: i64,
) -> Result<Part> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    open(&order)?;
    let p = part(store, actor, order_id, part_id).await?;
    if p.state != "approved" {
        return Err(StoreError::invalid(
            "state",
            "only an approved part can be installed",
        ));
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    sqlx::query("UPDATE order_parts SET state = 'installed', installed_at = $1 WHERE id = $2 AND state = 'approved'")
        .bind(now)
        .bind(part_id)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "part_installed",
            public: true,
            body: &p.name,
            data: json!({"part": part_id}),
            audit_action: "part_installed",
            audit: json!({"part": part_id}),
        },
    )
    .await?;
    tx.commit().await?;
    part(store, actor, order_id, part_id).await
}

// ---- remote sessions, backup question, time entries -------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RemoteSession {
    pub id: i64,
    pub engineer_id: Option<i64>,
    pub tool: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewRemoteSession {
    /// e.g. 向日葵, ToDesk, TeamViewer, RDP, SSH.
    pub tool: String,
    /// RFC 3339; default now.
    pub started_at: Option<String>,
    /// RFC 3339; empty while the session runs.
    pub ended_at: Option<String>,
    #[serde(default)]
    pub note: String,
}

fn instant(field: &str, v: Option<&str>) -> Result<Option<i64>> {
    v.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_millisecond())
                .map_err(|e| StoreError::invalid(field, format!("not an RFC 3339 instant: {e}")))
        })
        .transpose()
}

pub async fn remote_sessions(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<Vec<RemoteSession>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query("SELECT id, engineer_id, tool, started_at, ended_at, note FROM order_remote_sessions WHERE order_id = $1 ORDER BY id")
        .bind(order_id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RemoteSession {
                id: r.try_get("id")?,
                engineer_id: r.try_get("engineer_id")?,
                tool: r.try_get("tool")?,
                started_at: ms_to_rfc3339(r.try_get("started_at")?),
                ended_at: opt_time(r, "ended_at")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub async fn add_remote_session(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    s: &NewRemoteSession,
) -> Result<RemoteSession> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    let tool = text("tool", &s.tool, 100, true)?;
    let note = text("note", &s.note, 2000, false)?;
    let now = now_ms();
    let started = instant("started_at", s.started_at.as_deref())?.unwrap_or(now);
    let ended = instant("ended_at", s.ended_at.as_deref())?;
    if ended.is_some_and(|e| e < started) {
        return Err(StoreError::invalid(
            "ended_at",
            "must not be before started_at",
        ));
    }
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let id: i64 = sqlx::query("INSERT INTO order_remote_sessions (order_id, engineer_id, tool, started_at, ended_at, note) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(order_id)
        .bind(actor.audit_id())
        .bind(tool.clone())
        .bind(started)
        .bind(ended)
        .bind(note.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "remote_session",
            public: true,
            body: &note,
            data: json!({"session": id, "tool": tool}),
            audit_action: "remote_session",
            audit: json!({"session": id}),
        },
    )
    .await?;
    tx.commit().await?;
    remote_sessions(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BackupCheck {
    /// The major change, e.g. 重装操作系统 / replace the disk.
    pub change: String,
    /// What the client answered about backups.
    pub answer: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedBackupCheck {
    pub change: String,
    pub answer: String,
    pub asked_at: String,
}

/// The backup questions asked on an order, with the client's answers.
pub async fn backup_checks(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<Vec<RecordedBackupCheck>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(
        "SELECT change, answer, asked_at FROM order_backup_checks WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RecordedBackupCheck {
                change: r.try_get("change")?,
                answer: r.try_get("answer")?,
                asked_at: ms_to_rfc3339(r.try_get("asked_at")?),
            })
        })
        .collect()
}

/// Records that the client was asked about backups before a major change, and the answer.
pub async fn record_backup_check(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    b: &BackupCheck,
) -> Result<Order> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    let change = text("change", &b.change, 500, true)?;
    let answer = text("answer", &b.answer, 2000, true)?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    sqlx::query("INSERT INTO order_backup_checks (order_id, change, asked_by, asked_at, answer) VALUES ($1, $2, $3, $4, $5)")
        .bind(order_id)
        .bind(change.clone())
        .bind(actor.audit_id())
        .bind(now)
        .bind(answer.clone())
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "backup_check",
            public: true,
            body: &format!("{change}: {answer}"),
            data: json!({"change": change, "answer": answer}),
            audit_action: "backup_check",
            audit: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, order_id).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTimeEntry {
    /// YYYY-MM-DD; default today.
    pub work_date: Option<String>,
    pub minutes: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeEntry {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub work_date: String,
    pub minutes: i64,
    pub note: String,
}

/// Time entries are provider-internal.
pub async fn time_entries(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<TimeEntry>> {
    get(store, actor, order_id).await?;
    if actor.is_client() {
        return Err(StoreError::Forbidden("time entries are provider-internal"));
    }
    let rows = sqlx::query("SELECT w.id, w.user_id, u.display_name AS user_name, w.work_date, w.minutes, w.note FROM order_work_log w JOIN users u ON u.id = w.user_id WHERE w.order_id = $1 ORDER BY w.id")
        .bind(order_id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TimeEntry {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                user_name: r.try_get("user_name")?,
                work_date: r.try_get("work_date")?,
                minutes: r.try_get("minutes")?,
                note: r.try_get("note")?,
            })
        })
        .collect()
}

pub async fn log_time(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    t: &NewTimeEntry,
) -> Result<TimeEntry> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    if !(1..=24 * 60).contains(&t.minutes) {
        return Err(StoreError::invalid("minutes", "must be 1 to 1440"));
    }
    let date = match t.work_date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .map_err(|e| StoreError::invalid("work_date", format!("not a date: {e}")))?,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(
                jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC),
            )
            .date(),
    };
    if !(2000..=2100).contains(&date.year()) {
        return Err(StoreError::invalid(
            "work_date",
            "must be a date between 2000 and 2100",
        ));
    }
    let note = text("note", &t.note, 2000, false)?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let id: i64 = sqlx::query("INSERT INTO order_work_log (order_id, user_id, work_date, minutes, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(order_id)
        .bind(actor.user_id)
        .bind(date.to_string())
        .bind(t.minutes)
        .bind(note)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "time_entry",
            public: false,
            body: "",
            data: json!({"minutes": t.minutes}),
            audit_action: "time_entry",
            audit: json!({"entry": id}),
        },
    )
    .await?;
    tx.commit().await?;
    time_entries(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(StoreError::NotFound)
}

// ---- signature --------------------------------------------------------------------------

/// The largest signature image accepted (a drawn signature is a few kilobytes).
pub const MAX_SIGNATURE_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Signature {
    pub signer_name: String,
    pub signed_at: String,
    /// Whoever held the phone (the engineer on site).
    pub collected_by: Option<i64>,
}

/// Records the client's drawn signature on a resolved order. `png` must be a PNG image.
pub async fn sign(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    signer_name: &str,
    png: &[u8],
) -> Result<Signature> {
    let order = get(store, actor, order_id).await?;
    if !actor.is_client() {
        may_work(store, actor, &order).await?;
    }
    if !matches!(order.state, OrderState::Resolved | OrderState::Closed) {
        return Err(StoreError::invalid(
            "state",
            "the client signs once the order is resolved",
        ));
    }
    let name = text("signer_name", signer_name, 100, true)?;
    if png.len() > MAX_SIGNATURE_BYTES {
        return Err(StoreError::invalid(
            "image",
            "the signature image is too large",
        ));
    }
    // The declared size is what a viewer allocates when it decodes the picture: a 100-byte PNG
    // may declare 65535 × 65535 pixels.
    crate::images::check_signature_png("image", png)?;
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    sqlx::query("INSERT INTO order_signatures (order_id, signer_name, image_png, collected_by, signed_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(order_id)
        .bind(name.clone())
        .bind(encoded)
        .bind(actor.audit_id())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "signed",
            public: true,
            body: &name,
            data: json!({}),
            audit_action: "signed",
            audit: json!({"signer": name}),
        },
    )
    .await?;
    tx.commit().await?;
    signature(store, actor, order_id)
        .await?
        .ok_or(StoreError::NotFound)
        .map(|(s, _)| s)
}

/// The latest signature of an order and its PNG bytes.
pub async fn signature(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<Option<(Signature, Vec<u8>)>> {
    get(store, actor, order_id).await?;
    let row = sqlx::query("SELECT signer_name, image_png, collected_by, signed_at FROM order_signatures WHERE order_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(order_id)
        .fetch_optional(&store.pool)
        .await?;
    let Some(r) = row else { return Ok(None) };
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(r.try_get::<String, _>("image_png")?)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok(Some((
        Signature {
            signer_name: r.try_get("signer_name")?,
            signed_at: ms_to_rfc3339(r.try_get("signed_at")?),
            collected_by: r.try_get("collected_by")?,
        },
        png,
    )))
}

// ---- take-away repairs ------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TakeAway {
    pub id: i64,
    pub asset: String,
    pub description: String,
    pub taken_at: String,
    /// Taken at + 48 hours (wall clock): when the device is promised back.
    pub promised_at: String,
    pub returned_at: Option<String>,
    /// Repair cost, billed at cost on the month of return.
    pub cost: String,
    pub note: String,
    /// Not back and the promise has passed, or came back late.
    pub late: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTakeAway {
    /// The device taken away (asset tag or description).
    #[serde(default)]
    pub asset: String,
    /// What is wrong and what will be done.
    pub description: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TakeAwayReturn {
    /// Decimal string; default "0.00".
    pub cost: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub async fn take_aways(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<TakeAway>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(
        "SELECT id, asset, description, taken_at, promised_at, returned_at, cost, note \
         FROM take_away_repairs WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    let now = now_ms();
    rows.iter()
        .map(|r| {
            let promised: i64 = r.try_get("promised_at")?;
            let returned: Option<i64> = r.try_get("returned_at")?;
            Ok(TakeAway {
                id: r.try_get("id")?,
                asset: r.try_get("asset")?,
                description: r.try_get("description")?,
                taken_at: ms_to_rfc3339(r.try_get("taken_at")?),
                promised_at: ms_to_rfc3339(promised),
                returned_at: returned.map(ms_to_rfc3339),
                cost: r.try_get("cost")?,
                note: r.try_get("note")?,
                late: returned.unwrap_or(now) > promised,
            })
        })
        .collect()
}

/// The engineer takes a device away for repair, promising it back within 48 hours.
pub async fn take_away(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    t: &NewTakeAway,
) -> Result<TakeAway> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    open(&order)?;
    let asset = text("asset", &t.asset, 200, false)?;
    let description = text("description", &t.description, 2000, true)?;
    let note = text("note", &t.note, 2000, false)?;
    let now = now_ms();
    let promised = now + TAKE_AWAY_PROMISE_HOURS * 3_600_000;
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO take_away_repairs (order_id, asset, description, taken_at, promised_at, note, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(order_id)
    .bind(asset.clone())
    .bind(description.clone())
    .bind(now)
    .bind(promised)
    .bind(note)
    .bind(actor.audit_id())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "take_away",
            public: true,
            body: &description,
            data: json!({"repair": id, "asset": asset, "promised_at": ms_to_rfc3339(promised)}),
            audit_action: "take_away",
            audit: json!({"repair": id}),
        },
    )
    .await?;
    tx.commit().await?;
    take_aways(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(StoreError::NotFound)
}

/// The device is back; its repair cost is billed at cost on this month's statement.
pub async fn return_take_away(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    repair_id: i64,
    r: &TakeAwayReturn,
) -> Result<TakeAway> {
    let order = get(store, actor, order_id).await?;
    may_work(store, actor, &order).await?;
    let cost = money("cost", r.cost.as_deref().unwrap_or("0"))?;
    if !cost.is_whole_cents() {
        return Err(StoreError::invalid(
            "cost",
            "must be a whole number of cents",
        ));
    }
    let note = text("note", &r.note, 2000, false)?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE take_away_repairs SET returned_at = $1, cost = $2, \
         note = CASE WHEN $3 = '' THEN note ELSE $3 END \
         WHERE id = $4 AND order_id = $5 AND returned_at IS NULL",
    )
    .bind(now)
    .bind(cost.to_string())
    .bind(note.clone())
    .bind(repair_id)
    .bind(order_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        let exists: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM take_away_repairs WHERE id = $1 AND order_id = $2",
        )
        .bind(repair_id)
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        return Err(if exists == 0 {
            StoreError::NotFound
        } else {
            StoreError::invalid("returned_at", "the device is already back")
        });
    }
    bump(&mut tx, order_id, now).await?;
    record(
        &mut tx,
        actor,
        &order,
        Event {
            kind: "take_away_return",
            public: true,
            body: &note,
            data: json!({"repair": repair_id, "cost": cost.to_string()}),
            audit_action: "take_away_return",
            audit: json!({"repair": repair_id, "cost": cost.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    take_aways(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == repair_id)
        .ok_or(StoreError::NotFound)
}

/// The resolved or closed orders of a client signed during `month` (in the provider's zone),
/// oldest signature first, as `actor` may see them: one indexed query, not a walk over every
/// order of the client.
pub async fn signed_in_month(
    store: &Store,
    actor: &Actor,
    client_org_id: i64,
    month: weihu_domain::billing::YearMonth,
) -> Result<Vec<Order>> {
    let range = month
        .range()
        .map_err(|e| StoreError::invalid("month", e.to_string()))?;
    let tz = jiff::tz::TimeZone::get(crate::contracts::DEFAULT_ZONE)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let ms = |d: jiff::civil::Date| -> Result<i64> {
        Ok(d.to_zoned_datetime(tz.clone())
            .map_err(|e| StoreError::Format(e.to_string()))?
            .timestamp()
            .as_millisecond())
    };
    let next = range
        .end
        .tomorrow()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT o.id FROM order_signatures s JOIN orders o ON o.id = s.order_id \
         WHERE o.client_org_id = $1 AND s.signed_at >= $2 AND s.signed_at < $3 \
         AND o.state IN ('resolved', 'closed') GROUP BY o.id ORDER BY min(s.signed_at), o.id",
    )
    .bind(client_org_id)
    .bind(ms(range.start)?)
    .bind(ms(next)?)
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        // A client user sees only their own orders: the others of the organisation are skipped.
        match get(store, actor, id).await {
            Ok(o) => out.push(o),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
