//! Service orders (SPEC §5): creation with gap-free numbering and SLA clocks, the scoped reads of
//! the board and the portal, and (in `workflow`) every move of an order with its timeline event.

mod access;
pub mod attachments;
mod breaches;
mod clocks;
mod edit;
mod escalation;
mod group_commit;
mod links;
pub mod search;
mod timeline;
pub mod work;
mod workflow;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::order::{OrderState, order_number};
pub use weihu_domain::order_access::OrderAction;
use weihu_domain::priority::Level;
use weihu_domain::role::Scope;

pub use breaches::{BreachExplanation, explain as explain_breach};
pub use clocks::{ClockView, evaluate_due_clocks};
pub use edit::{OrderPatch, update};
pub use escalation::{Escalation, escalate};
pub use group_commit::OrderWriter;
pub use links::{Merge, NewLink, OrderLink, link, merge, unlink};
pub use timeline::{Event, events};
pub use workflow::{
    Comment, Rating, Transition, TransitionRequest, comment, rate, transition, transition_with,
};

use crate::organizations::{self, OrgKind};
use crate::sql::{SqlBuf, like_pattern};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms, users};

/// Kinds of request intake (SPEC §5).
pub const CHANNELS: [&str; 6] = ["portal", "phone", "email", "api", "im", "walk_in"];
/// Categories of faults.
pub const CATEGORIES: [&str; 8] = [
    "hardware",
    "software",
    "network",
    "server_storage",
    "database",
    "machine_room",
    "peripheral",
    "other",
];
/// How the work is delivered.
pub const SERVICE_MODES: [&str; 4] = ["remote", "on_site", "resident", "take_away"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: i64,
    /// `SO-YYYY-NNNNNN`, gap-free per year.
    pub number: String,
    pub client_org_id: i64,
    pub client_name: String,
    pub requester_id: Option<i64>,
    pub requester_name: String,
    pub requester_phone: String,
    pub site: String,
    pub channel: String,
    pub category: String,
    #[schema(value_type = String)]
    pub urgency: Level,
    #[schema(value_type = String)]
    pub impact: Level,
    pub priority: String,
    pub subject: String,
    pub description: String,
    pub service_mode: String,
    #[schema(value_type = String)]
    pub state: OrderState,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub policy_id: Option<i64>,
    pub policy_version: Option<i64>,
    /// The contract in force when the order was opened; it decides the SLA policy and billing.
    pub contract_id: Option<i64>,
    pub contract_number: Option<String>,
    pub asset_id: Option<i64>,
    pub asset_tag: Option<String>,
    pub catalog_item_id: Option<i64>,
    pub catalog_item_name: Option<String>,
    pub resolution: String,
    pub close_reason: String,
    pub refused_in_scope: Option<bool>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<jiff::Timestamp>,
    /// Satisfaction 1–5 from the client after resolution (4 and 5 count as satisfied).
    pub rating: Option<i64>,
    pub rating_comment: String,
    /// When the order was raised to the provider's management (hierarchical escalation), and
    /// why; it stays on the board's escalated view while the order is open.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub escalated_at: Option<jiff::Timestamp>,
    pub escalation_reason: String,
    /// The failure cause named on the resolution (a code of the taxonomy), empty until then.
    pub cause: String,
    pub clocks: Vec<ClockView>,
    /// Links to other orders of the client, read from this order. On [`read`] (the order's page
    /// and `GET /api/v1/orders/{id}`) and the answers of link, unlink and merge.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<OrderLink>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
    /// What the acting user may do to this order now (`weihu_domain::order_access`): pages show
    /// exactly these actions and the API refuses the rest. On single-order reads only.
    #[schema(value_type = Vec<String>)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<OrderAction>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewOrder {
    /// The client; provider staff must give it, client users report for their own.
    pub client_org_id: Option<i64>,
    /// A user of that client; default the reporting client user.
    pub requester_id: Option<i64>,
    /// For requests by phone from someone without an account.
    pub requester_name: Option<String>,
    #[serde(default)]
    pub requester_phone: String,
    #[serde(default)]
    pub site: String,
    /// portal, phone, email, api, im, walk_in.
    pub channel: Option<String>,
    /// hardware, software, network, server_storage, database, machine_room, peripheral, other.
    pub category: String,
    #[schema(value_type = String)]
    pub urgency: Level,
    #[schema(value_type = String)]
    pub impact: Level,
    pub subject: String,
    #[serde(default)]
    pub description: String,
    /// remote (default), on_site, resident, take_away.
    pub service_mode: Option<String>,
    /// The client's device this is about.
    #[serde(default)]
    pub asset_id: Option<i64>,
    /// The catalog service it concerns (one the client uses).
    #[serde(default)]
    pub catalog_item_id: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub client_org_id: Option<i64>,
    pub state: Option<String>,
    /// `open` for every open state.
    pub open: Option<bool>,
    pub priority: Option<String>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub requester_id: Option<i64>,
    /// Only orders with an at-risk or breached running clock.
    pub at_risk: Option<bool>,
    /// Only orders nobody is assigned to (no engineer).
    pub unassigned: Option<bool>,
    /// Only orders raised to the provider's management.
    pub escalated: Option<bool>,
}

const SELECT: &str = "SELECT o.id, o.number, o.client_org_id, c.name AS client_name, o.requester_id, \
    o.requester_name, o.requester_phone, o.site, o.channel, o.category, o.urgency, o.impact, o.priority, \
    o.subject, o.description, o.service_mode, o.state, o.assignee_id, a.display_name AS assignee_name, \
    o.team_id, t.name AS team_name, o.policy_id, o.policy_version, o.resolution, o.close_reason, \
    o.refused_in_scope, o.resolved_at, o.closed_at, o.rating, o.rating_comment, o.escalated_at, o.escalation_reason, o.cause, o.version, o.created_at, o.updated_at, \
    o.contract_id, ct.number AS contract_number, o.asset_id, ast.tag AS asset_tag, \
    o.catalog_item_id, ci.name AS catalog_item_name \
    FROM orders o JOIN organizations c ON c.id = o.client_org_id \
    LEFT JOIN users a ON a.id = o.assignee_id LEFT JOIN teams t ON t.id = o.team_id \
    LEFT JOIN contracts ct ON ct.id = o.contract_id LEFT JOIN assets ast ON ast.id = o.asset_id \
    LEFT JOIN catalog_items ci ON ci.id = o.catalog_item_id";

/// A stored urgency or impact: a value this Weihu does not know is a damaged row, said as such
/// (never read as medium).
fn level(s: &str) -> Result<Level> {
    Level::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: "order level",
        value: s.to_owned(),
    })
}

fn from_row(r: &AnyRow) -> Result<Order> {
    let opt_time = |c: &str| -> Result<Option<jiff::Timestamp>> {
        Ok(r.try_get::<Option<i64>, _>(c)?.map(instant))
    };
    let state: String = r.try_get("state")?;
    Ok(Order {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        requester_id: r.try_get("requester_id")?,
        requester_name: r.try_get("requester_name")?,
        requester_phone: r.try_get("requester_phone")?,
        site: r.try_get("site")?,
        channel: r.try_get("channel")?,
        category: r.try_get("category")?,
        urgency: level(&r.try_get::<String, _>("urgency")?)?,
        impact: level(&r.try_get::<String, _>("impact")?)?,
        priority: r.try_get("priority")?,
        subject: r.try_get("subject")?,
        description: r.try_get("description")?,
        service_mode: r.try_get("service_mode")?,
        state: OrderState::parse(&state).ok_or_else(|| StoreError::Corrupt {
            what: "order state",
            value: state.clone(),
        })?,
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        policy_id: r.try_get("policy_id")?,
        policy_version: r.try_get("policy_version")?,
        contract_id: r.try_get("contract_id")?,
        contract_number: r.try_get("contract_number")?,
        asset_id: r.try_get("asset_id")?,
        asset_tag: r.try_get("asset_tag")?,
        catalog_item_id: r.try_get("catalog_item_id")?,
        catalog_item_name: r.try_get("catalog_item_name")?,
        resolution: r.try_get("resolution")?,
        close_reason: r.try_get("close_reason")?,
        refused_in_scope: r
            .try_get::<Option<i64>, _>("refused_in_scope")?
            .map(|v| v != 0),
        resolved_at: opt_time("resolved_at")?,
        closed_at: opt_time("closed_at")?,
        rating: r.try_get("rating")?,
        rating_comment: r.try_get("rating_comment")?,
        escalated_at: opt_time("escalated_at")?,
        cause: r.try_get::<Option<String>, _>("cause")?.unwrap_or_default(),
        escalation_reason: r
            .try_get::<Option<String>, _>("escalation_reason")?
            .unwrap_or_default(),
        clocks: Vec::new(),
        links: Vec::new(),
        actions: Vec::new(),
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// The orders an actor may see: the requester's own for a client user, the organisation's for a
/// client admin, all for provider staff.
fn visible(actor: &Actor, w: &mut SqlBuf) {
    match actor.role.scope() {
        Scope::Own => {
            w.push(" AND o.client_org_id = ")
                .bind(actor.org_id)
                .push(" AND o.requester_id = ")
                .bind(actor.user_id);
        }
        Scope::Organisation => {
            w.push(" AND o.client_org_id = ").bind(actor.org_id);
        }
        Scope::All => {}
    }
}

pub(crate) fn text(field: &str, v: &str, max: usize, required: bool) -> Result<String> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(StoreError::invalid(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(StoreError::invalid(
            field,
            format!("must have at most {max} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(StoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

fn one_of(field: &str, v: &str, allowed: &[&str]) -> Result<String> {
    if allowed.contains(&v) {
        Ok(v.to_owned())
    } else {
        Err(StoreError::invalid(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ))
    }
}

/// Opens an order: numbers it, computes its priority, attaches the SLA policy's clocks and writes
/// the first timeline event and the audit row, all in one transaction.
pub async fn create(store: &Store, actor: &Actor, new: &NewOrder) -> Result<Order> {
    let prepared = prepare(store, actor, new).await?;
    let mut tx = store.pool.begin().await?;
    let id = write(&mut tx, store.backend(), &prepared).await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// A validated new order with everything its transaction needs: no reads remain, so many of them
/// can be written in one transaction (see [`group_commit`]).
pub struct PreparedOrder {
    actor: Actor,
    client_org_id: i64,
    requester_id: Option<i64>,
    requester_name: String,
    phone: String,
    site: String,
    channel: String,
    category: String,
    urgency: Level,
    impact: Level,
    priority: weihu_domain::priority::Priority,
    subject: String,
    description: String,
    mode: String,
    policy: Option<(i64, i64, weihu_domain::sla::SlaPolicy)>,
    contract_id: Option<i64>,
    asset_id: Option<i64>,
    catalog_item_id: Option<i64>,
    cals: clocks::Calendars,
    /// The provider's zone, for the local year of the number.
    zone: jiff::tz::TimeZone,
}

impl PreparedOrder {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Checks a new order and reads what writing it needs (client, requester, policy, calendars).
pub async fn prepare(store: &Store, actor: &Actor, new: &NewOrder) -> Result<PreparedOrder> {
    if !actor.role.can_report_orders() {
        return Err(StoreError::Forbidden(
            "your role does not open service orders",
        ));
    }
    let client_org_id = match actor.client_scope() {
        Some(own) => own,
        None => new
            .client_org_id
            .ok_or_else(|| StoreError::invalid("client_org_id", "is required"))?,
    };
    let org = organizations::get(store, &Actor::system(client_org_id), client_org_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => StoreError::invalid("client_org_id", "no such client"),
            e => e,
        })?;
    if org.kind != OrgKind::Client || !org.active {
        return Err(StoreError::invalid(
            "client_org_id",
            "is not an active client",
        ));
    }
    let subject = text("subject", &new.subject, 200, true)?;
    let description = text("description", &new.description, 20_000, false)?;
    let site = text("site", &new.site, 200, false)?;
    let phone = text("requester_phone", &new.requester_phone, 50, false)?;
    let category = one_of("category", new.category.trim(), &CATEGORIES)?;
    let mode = one_of(
        "service_mode",
        new.service_mode.as_deref().unwrap_or("remote"),
        &SERVICE_MODES,
    )?;
    let channel = match actor.client_scope() {
        Some(_) => new
            .channel
            .clone()
            .filter(|c| c == "api")
            .unwrap_or_else(|| "portal".into()),
        None => one_of(
            "channel",
            new.channel.as_deref().unwrap_or("phone"),
            &CHANNELS,
        )?,
    };
    // The requester: the client user themself, or a user of the client named by the desk.
    let (requester_id, requester_name) = match (actor.role, new.requester_id) {
        (r, _) if r.reports_as_self() => (Some(actor.user_id), actor.display_name.clone()),
        (_, Some(id)) => {
            let u = users::get(store, &Actor::system(client_org_id), id)
                .await
                .ok()
                .filter(|u| u.org_id == client_org_id)
                .ok_or_else(|| {
                    StoreError::invalid("requester_id", "is not a user of this client")
                })?;
            (Some(u.id), u.display_name)
        }
        (r, None) if r.is_client_side() => (Some(actor.user_id), actor.display_name.clone()),
        (_, None) => (
            None,
            text(
                "requester_name",
                new.requester_name.as_deref().unwrap_or(""),
                100,
                true,
            )?,
        ),
    };
    let (contract_id, policy) = clocks::policy_for(store, client_org_id).await?;
    let asset_id = match new.asset_id {
        Some(a) => Some(client_asset(store, client_org_id, a).await?),
        None => None,
    };
    let catalog_item_id = match new.catalog_item_id {
        Some(c) => Some(client_service(store, client_org_id, c).await?),
        None => None,
    };
    let priority = match &policy {
        Some((_, p)) => p.matrix.priority(new.urgency, new.impact),
        None => weihu_domain::priority::priority(new.urgency, new.impact),
    };
    let cals = match &policy {
        Some((_, p)) => {
            clocks::Calendars::load(store, vec![p.targets_for(priority).calendar.clone()]).await?
        }
        None => clocks::Calendars::load(store, Vec::new()).await?,
    };
    Ok(PreparedOrder {
        actor: actor.clone(),
        client_org_id,
        requester_id,
        requester_name,
        phone,
        site,
        channel,
        category,
        urgency: new.urgency,
        impact: new.impact,
        priority,
        subject,
        description,
        mode,
        policy: policy.map(|(stored, p)| (stored.id, stored.current_version, p)),
        contract_id,
        asset_id,
        catalog_item_id,
        cals,
        zone: store.time_zone().clone(),
    })
}

/// Writes a prepared order inside the caller's transaction and returns its id.
pub async fn write(
    conn: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    p: &PreparedOrder,
) -> Result<i64> {
    let actor = &p.actor;
    let now = now_ms();
    // Numbers take the year of the provider's local date (a New Year's Eve order in Shanghai is
    // numbered in the new year although it is still the old one in UTC).
    let year = jiff::Timestamp::from_millisecond(now)
        .map(|t| t.to_zoned_datetime(p.zone.clone()).year())
        .unwrap_or(2026);
    // The counter row is the first write: it takes the write lock at once (SQLite) or the row lock
    // (PostgreSQL), so concurrent creators queue here and numbers stay gap-free.
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO order_counters (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = order_counters.last + 1 RETURNING last",
    )
    .bind(i64::from(year))
    .fetch_one(&mut *conn)
    .await?;
    let number = order_number(year, seq);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (number, client_org_id, requester_id, requester_name, requester_phone, site, channel, \
         category, urgency, impact, priority, subject, description, service_mode, state, policy_id, policy_version, \
         created_by, created_at, updated_at, contract_id, asset_id, catalog_item_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'new', $15, $16, $17, $18, $18, $19, $20, $21) RETURNING id",
    )
    .bind(number.clone())
    .bind(p.client_org_id)
    .bind(p.requester_id)
    .bind(p.requester_name.clone())
    .bind(p.phone.clone())
    .bind(p.site.clone())
    .bind(p.channel.clone())
    .bind(p.category.clone())
    .bind(p.urgency.as_str())
    .bind(p.impact.as_str())
    .bind(p.priority.as_str())
    .bind(p.subject.clone())
    .bind(p.description.clone())
    .bind(p.mode.clone())
    .bind(p.policy.as_ref().map(|(id, _, _)| *id))
    .bind(p.policy.as_ref().map(|(_, v, _)| *v))
    .bind(actor.audit_id())
    .bind(now)
    .bind(p.contract_id)
    .bind(p.asset_id)
    .bind(p.catalog_item_id)
    .fetch_one(&mut *conn)
    .await?;
    if let Some((_, _, policy)) = &p.policy {
        clocks::start(&p.cals, conn, id, policy, p.priority, now).await?;
    } else {
        // Never silently clock-less: the timeline says why (no contract policy, no default).
        timeline::record(
            conn,
            actor,
            id,
            "sla_not_started",
            false,
            "未启动 SLA 计时：合同未指定 SLA 策略，也没有默认策略 / No SLA clocks: the contract names no SLA policy and there is no default policy",
            json!({"reason": "no_policy"}),
        )
        .await?;
    }
    search::index_new(
        conn,
        backend,
        id,
        &[
            p.subject.clone(),
            p.description.clone(),
            String::new(),
            p.requester_name.clone(),
            p.site.clone(),
        ],
    )
    .await?;
    timeline::record(
        conn,
        actor,
        id,
        "created",
        true,
        &p.subject,
        json!({"number": number, "priority": p.priority.as_str(), "channel": p.channel}),
    )
    .await?;
    audit::record(
        conn,
        actor,
        Some(p.client_org_id),
        "order",
        id,
        "create",
        json!({"number": number, "subject": p.subject}),
    )
    .await?;
    Ok(id)
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Order> {
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE o.id = "));
    s.bind(id);
    visible(actor, &mut s);
    let row = s
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut order = from_row(&row)?;
    order.clocks = clocks::views(store, &[order.id])
        .await?
        .remove(&order.id)
        .unwrap_or_default();
    order.actions = access::actions(store, actor, &order).await?;
    Ok(order)
}

/// One order as its page and `GET /api/v1/orders/{id}` show it: [`get`] with the links to other
/// orders (left out of the reads that only check or answer a write).
pub async fn read(store: &Store, actor: &Actor, id: i64) -> Result<Order> {
    let mut order = get(store, actor, id).await?;
    order.links = links::for_order(store, actor, id).await?;
    Ok(order)
}

/// How many orders `filter` holds for `actor` (a board view's count): the same conditions as
/// [`list`], counted alone.
pub async fn count(store: &Store, actor: &Actor, filter: &OrderFilter) -> Result<i64> {
    let mut w = SqlBuf::new("SELECT count(*) FROM orders o WHERE 1 = 1");
    push_filter(actor, filter, &mut w)?;
    Ok(w.query().fetch_one(&store.pool).await?.try_get(0)?)
}

/// The conditions of `filter` for `actor` (tenant scope first), appended to `w` after a `WHERE`.
fn push_filter(actor: &Actor, filter: &OrderFilter, w: &mut SqlBuf) -> Result<()> {
    visible(actor, w);
    if let Some(c) = filter.client_org_id {
        w.push(" AND o.client_org_id = ").bind(c);
    }
    if let Some(s) = &filter.state {
        let s = one_of("state", s, &OrderState::ALL.map(|s| s.as_str()))?;
        w.push(" AND o.state = ").bind(s);
    }
    if let Some(open) = filter.open {
        w.push(if open {
            " AND o.state IN ('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts')"
        } else {
            " AND o.state IN ('resolved', 'closed', 'cancelled', 'refused')"
        });
    }
    if let Some(p) = &filter.priority {
        let p = one_of("priority", p, &["P1", "P2", "P3", "P4"])?;
        w.push(" AND o.priority = ").bind(p);
    }
    if let Some(a) = filter.assignee_id {
        w.push(" AND o.assignee_id = ").bind(a);
    }
    if let Some(t) = filter.team_id {
        w.push(" AND o.team_id = ").bind(t);
    }
    if let Some(r) = filter.requester_id {
        w.push(" AND o.requester_id = ").bind(r);
    }
    if filter.unassigned == Some(true) {
        w.push(" AND o.assignee_id IS NULL");
    }
    if filter.escalated == Some(true) {
        w.push(" AND o.escalated_at IS NOT NULL");
    }
    if filter.at_risk == Some(true) {
        w.push(" AND EXISTS (SELECT 1 FROM order_clocks k WHERE k.order_id = o.id AND k.stopped_at IS NULL AND (k.at_risk_notified = 1 OR k.breach_notified = 1 OR (k.due_at IS NOT NULL AND k.due_at <= ")
            .bind(now_ms())
            .push(")))");
    }
    Ok(())
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &OrderFilter,
    params: &ListParams,
) -> Result<Page<Order>> {
    // Text search joins the index once (ranked there); an order number typed in part is matched
    // on the number instead.
    let staff = !actor.is_client();
    let q = params.q();
    let number_like = q.is_some_and(|q| {
        q.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | 's' | 'S' | 'o' | 'O'))
            && q.chars().any(|c| c.is_ascii_digit())
    });
    let (limit, offset) = (params.limit()?, params.offset()?);
    // A staff search with no other filter and no sort: rank and cut the page in the index, and
    // count the index rows alone (a common word matches ~10% of all orders).
    let top = staff
        && !number_like
        && params.sort.as_deref().is_none_or(str::is_empty)
        && filter.client_org_id.is_none()
        && filter.state.is_none()
        && filter.open.is_none()
        && filter.priority.is_none()
        && filter.assignee_id.is_none()
        && filter.team_id.is_none()
        && filter.requester_id.is_none()
        && filter.at_risk != Some(true)
        && filter.unassigned != Some(true)
        && filter.escalated != Some(true);
    if let Some(q) = q {
        search::check_query(q)?;
    }
    let mut w = SqlBuf::new("");
    let searched = match q {
        Some(q) if !number_like => search::join(
            store.backend(),
            q,
            staff,
            top.then_some((limit, offset)),
            &mut w,
        ),
        _ => false,
    };
    let top = top && searched;
    w.push(" WHERE 1 = 1");
    match q {
        Some(q) if number_like => {
            w.push(" AND lower(o.number) LIKE ")
                .bind(like_pattern(q))
                .push(" ESCAPE '\\'");
        }
        Some(_) if !searched => {
            w.push(" AND 1 = 0");
        }
        _ => {}
    }
    push_filter(actor, filter, &mut w)?;
    let c = match q
        .filter(|_| top)
        .and_then(|q| search::count(store.backend(), q, staff))
    {
        Some(c) => c,
        None => {
            let mut c = SqlBuf::new("SELECT count(*) FROM orders o");
            c.push(&w.sql);
            c.args = w.args.clone();
            c
        }
    };
    let total: i64 = c.query().fetch_one(&store.pool).await?.try_get(0)?;
    let order = params.order_by_on(
        &[("created_at", "o.created_at"), ("priority", "o.priority"), ("number", "o.number"), ("updated_at", "o.updated_at"),
          ("state", "o.state"), ("client", "c.name"), ("assignee", "a.display_name"), ("subject", "o.subject"),
          ("due", "COALESCE((SELECT min(k.due_at) FROM order_clocks k WHERE k.order_id = o.id AND k.stopped_at IS NULL), 9223372036854775807)")],
        "o.created_at DESC",
        "o.id",
    )?;
    // The dispatcher's board (every open order by priority): SQLite's planner (3.51, STAT4)
    // prefers orders_state_priority (state=?) and sorts all open orders (≈14–30 ms at 1M orders,
    // 6,800 open); the partial index orders_open_priority reads the page in order (≈0.1 ms).
    let board = store.backend() == crate::Backend::Sqlite
        && filter.open == Some(true)
        && !actor.is_client()
        && q.is_none()
        && matches!(params.sort.as_deref(), Some("priority" | "-priority"))
        && filter.client_org_id.is_none()
        && filter.state.is_none()
        && filter.priority.is_none()
        && filter.assignee_id.is_none()
        && filter.team_id.is_none()
        && filter.requester_id.is_none();
    let mut s = SqlBuf::new(&if board {
        SELECT.replacen(
            "FROM orders o ",
            "FROM orders o INDEXED BY orders_open_priority ",
            1,
        )
    } else {
        SELECT.to_owned()
    });
    s.push(&w.sql);
    s.args = w.args;
    s.push(" ORDER BY ");
    // A text search without an explicit sort lists the best matches first.
    if top {
        // The index already cut the page (best rank, newest first on ties).
        s.push(search::RANK_ORDER)
            .push(", o.id DESC LIMIT ")
            .bind(limit);
    } else {
        if searched && params.sort.as_deref().is_none_or(str::is_empty) {
            s.push(search::RANK_ORDER).push(", ");
        }
        s.push(&order)
            .push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
    }
    let rows = s.query().fetch_all(&store.pool).await?;
    let mut items: Vec<Order> = rows.iter().map(from_row).collect::<Result<_>>()?;
    let ids: Vec<i64> = items.iter().map(|o| o.id).collect();
    let mut views = clocks::views(store, &ids).await?;
    for o in &mut items {
        o.clocks = views.remove(&o.id).unwrap_or_default();
    }
    Ok(Page::new(items, total, offset))
}

/// `asset` if it is a device of the client (on a new order and on an edit).
pub(super) async fn client_asset(store: &Store, client_org_id: i64, asset: i64) -> Result<i64> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT client_org_id FROM assets WHERE id = $1")
        .bind(asset)
        .fetch_optional(&store.pool)
        .await?;
    if owner == Some(client_org_id) {
        Ok(asset)
    } else {
        Err(StoreError::invalid(
            "asset_id",
            "no such device of this client",
        ))
    }
}

/// `item` if the client uses that catalog service.
pub(super) async fn client_service(store: &Store, client_org_id: i64, item: i64) -> Result<i64> {
    let used: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM catalog_item_clients WHERE item_id = $1 AND client_org_id = $2",
    )
    .bind(item)
    .bind(client_org_id)
    .fetch_one(&store.pool)
    .await?;
    if used == 0 {
        return Err(StoreError::invalid(
            "catalog_item_id",
            "the client does not use this service",
        ));
    }
    Ok(item)
}
