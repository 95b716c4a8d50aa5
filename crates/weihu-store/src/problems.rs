//! Problems: the cause shared by repeated incidents (SPEC §9), with the orders linked to them.
//! Provider staff who may (`Role::can_manage_problems`) open, work and resolve them; a client
//! user sees a problem only through their own orders, and only their own orders in it.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::problem::{
    self, ProblemState, REPEAT_SAME_ASSET, REPEAT_SAME_CATEGORY, REPEAT_WINDOW_DAYS, Written,
};

use crate::orders::{text, timeline};
use crate::page::Page;
use crate::sql::SqlBuf;
use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkedOrder {
    pub order_id: i64,
    pub number: String,
    pub subject: String,
    pub state: String,
    pub client_org_id: i64,
    pub client_name: String,
    pub asset_tag: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// investigating, known_error, resolved, closed.
    pub state: String,
    pub root_cause: String,
    pub workaround: String,
    pub fix: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<jiff::Timestamp>,
    /// The change request the permanent fix needs, if any (provider staff only): the problem
    /// is resolved once it is implemented.
    pub change_request: Option<FixChange>,
    /// The linked orders (a client user: their own only).
    pub orders: Vec<LinkedOrder>,
}

/// The change request a problem's fix waits on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FixChange {
    pub id: i64,
    pub title: String,
    /// The change's state (proposed … implemented).
    pub state: String,
}

impl FixChange {
    /// Not implemented yet: the problem waits.
    pub fn pending(&self) -> bool {
        self.state != "implemented"
    }

    /// Rejected or cancelled: nothing a fix can wait on.
    pub fn dropped(&self) -> bool {
        matches!(self.state.as_str(), "rejected" | "cancelled")
    }
}

impl Problem {
    /// Investigating or a known error: orders are linked and a change for the fix is raised.
    pub fn is_open(&self) -> bool {
        ProblemState::parse(&self.state).is_some_and(ProblemState::is_open)
    }

    /// The fix waits on a change that is not implemented.
    pub fn change_pending(&self) -> bool {
        self.change_request.as_ref().is_some_and(FixChange::pending)
    }
}

/// `Some(v)` for a field that is present, `null` included: a patch tells "unlink" (`null`) from
/// "leave as is" (absent).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewProblem {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner_id: Option<i64>,
    /// Orders linked at once (a candidate's orders).
    #[serde(default)]
    pub order_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProblemPatch {
    pub version: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    pub root_cause: Option<String>,
    pub workaround: Option<String>,
    pub fix: Option<String>,
    pub owner_id: Option<i64>,
    /// investigating, known_error (needs root cause and workaround), resolved (needs the fix,
    /// and its change request implemented), closed.
    pub state: Option<String>,
    /// The change request the fix needs (`null` unlinks it). A rejected or cancelled change is
    /// not linked.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub change_request_id: Option<Option<i64>>,
}

fn may_manage(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_problems() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "problems are worked by the desk, engineers and service-level managers",
        ))
    }
}

/// [`may_manage`] for one problem: a client user is told it does not exist.
fn may_manage_record(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    may_manage(actor)
}

const MAX_ORDERS: usize = 200;

const SELECT: &str = "SELECT p.id, p.title, p.description, p.state, p.root_cause, p.workaround, p.fix, \
     p.owner_id, u.display_name AS owner_name, p.version, p.created_at, p.updated_at, p.resolved_at, \
     p.change_request_id, cr.title AS cr_title, cr.state AS cr_state \
     FROM problems p LEFT JOIN users u ON u.id = p.owner_id LEFT JOIN change_requests cr ON cr.id = p.change_request_id";

fn from_row(r: &sqlx::any::AnyRow, actor: &Actor) -> Result<Problem> {
    let change_request = match r.try_get::<Option<i64>, _>("change_request_id")? {
        // Client users do not see the provider's change requests through a problem.
        Some(id) if !actor.is_client() => Some(FixChange {
            id,
            title: r.try_get("cr_title")?,
            state: r.try_get("cr_state")?,
        }),
        _ => None,
    };
    Ok(Problem {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        state: r.try_get("state")?,
        root_cause: r.try_get("root_cause")?,
        workaround: r.try_get("workaround")?,
        fix: r.try_get("fix")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
        resolved_at: r.try_get::<Option<i64>, _>("resolved_at")?.map(instant),
        change_request,
        orders: Vec::new(),
    })
}

/// `AND` the problem is linked to one of the client's orders, for a client actor.
fn scope(w: &mut SqlBuf, actor: &Actor) {
    if let Some(client) = actor.client_scope() {
        w.push(" AND EXISTS (SELECT 1 FROM problem_orders po JOIN orders o ON o.id = po.order_id WHERE po.problem_id = p.id AND o.client_org_id = ")
            .bind(client)
            .push(")");
    }
}

async fn linked(store: &Store, actor: &Actor, id: i64) -> Result<Vec<LinkedOrder>> {
    let mut s = SqlBuf::new(
        "SELECT o.id, o.number, o.subject, o.state, o.client_org_id, c.name AS client_name, a.tag \
         FROM problem_orders po JOIN orders o ON o.id = po.order_id JOIN organizations c ON c.id = o.client_org_id \
         LEFT JOIN assets a ON a.id = o.asset_id WHERE po.problem_id = ",
    );
    s.bind(id);
    if let Some(client) = actor.client_scope() {
        s.push(" AND o.client_org_id = ").bind(client);
    }
    s.push(" ORDER BY o.id");
    s.query()
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(LinkedOrder {
                order_id: r.try_get("id")?,
                number: r.try_get("number")?,
                subject: r.try_get("subject")?,
                state: r.try_get("state")?,
                client_org_id: r.try_get("client_org_id")?,
                client_name: r.try_get("client_name")?,
                asset_tag: r.try_get("tag")?,
            })
        })
        .collect()
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Problem> {
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE p.id = "));
    s.bind(id);
    scope(&mut s, actor);
    let row = s
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut p = from_row(&row, actor)?;
    p.orders = linked(store, actor, id).await?;
    Ok(p)
}

#[derive(Debug, Clone, Default)]
pub struct ProblemFilter {
    pub state: Option<String>,
    /// `true`: investigating or known error.
    pub open: Option<bool>,
    pub order_id: Option<i64>,
}

/// Problems, newest first, without their orders (a client: those linked to their orders).
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &ProblemFilter,
    limit: i64,
    offset: i64,
) -> Result<Page<Problem>> {
    let limit = limit.clamp(1, 200);
    let offset = offset.clamp(0, 1_000_000);
    if let Some(st) = f.state.as_deref().filter(|s| !s.is_empty())
        && ProblemState::parse(st).is_none()
    {
        let all: Vec<&str> = ProblemState::ALL.iter().map(|s| s.as_str()).collect();
        return Err(StoreError::invalid(
            "state",
            format!("must be one of: {}", all.join(", ")),
        ));
    }
    let filtered = |base: &str| {
        let mut w = SqlBuf::new(base);
        w.push(" WHERE 1 = 1");
        if let Some(st) = f.state.as_deref().filter(|s| !s.is_empty()) {
            w.push(" AND p.state = ").bind(st.to_owned());
        }
        match f.open {
            Some(true) => {
                w.push(" AND p.state IN ('investigating', 'known_error')");
            }
            Some(false) => {
                w.push(" AND p.state IN ('resolved', 'closed')");
            }
            None => {}
        }
        if let Some(o) = f.order_id {
            w.push(" AND EXISTS (SELECT 1 FROM problem_orders x WHERE x.problem_id = p.id AND x.order_id = ")
                .bind(o)
                .push(")");
        }
        scope(&mut w, actor);
        w
    };
    let total: i64 = filtered("SELECT count(*) FROM problems p")
        .query()
        .fetch_one(&store.pool)
        .await?
        .try_get(0)?;
    let mut s = filtered(SELECT);
    s.push(" ORDER BY p.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let items = s
        .query()
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| from_row(r, actor))
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::new(items, total, offset))
}

async fn check_owner(conn: &mut sqlx::AnyConnection, owner: Option<i64>) -> Result<()> {
    if let Some(o) = owner {
        let staff: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM users u JOIN organizations g ON g.id = u.org_id WHERE u.id = $1 AND u.active = 1 AND g.kind = 'provider'",
        )
        .bind(o)
        .fetch_one(conn)
        .await?;
        if staff == 0 {
            return Err(StoreError::invalid("owner_id", "must be provider staff"));
        }
    }
    Ok(())
}

/// Links one order inside the caller's transaction (nothing when it is linked already).
async fn link_in(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    problem: i64,
    title: &str,
    order_id: i64,
) -> Result<()> {
    let exists: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(&mut *conn)
        .await?;
    if exists == 0 {
        return Err(StoreError::invalid("order_id", "no such order"));
    }
    let done = sqlx::query(
        "INSERT INTO problem_orders (problem_id, order_id, linked_by, linked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (problem_id, order_id) DO NOTHING",
    )
    .bind(problem)
    .bind(order_id)
    .bind(actor.audit_id())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        timeline::record(
            conn,
            actor,
            order_id,
            "problem_linked",
            false,
            title,
            json!({"problem": problem}),
        )
        .await?;
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, new: &NewProblem) -> Result<Problem> {
    may_manage(actor)?;
    let title = text("title", &new.title, 200, true)?;
    let description = text("description", &new.description, 20_000, false)?;
    if new.order_ids.len() > MAX_ORDERS {
        return Err(StoreError::invalid(
            "order_ids",
            format!("at most {MAX_ORDERS} orders at once"),
        ));
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    check_owner(&mut tx, new.owner_id).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO problems (title, description, owner_id, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(title.clone())
    .bind(description)
    .bind(new.owner_id)
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for o in &new.order_ids {
        link_in(&mut tx, actor, id, &title, *o).await?;
    }
    audit::record(
        &mut tx,
        actor,
        None,
        "problem",
        id,
        "create",
        json!({"title": title, "orders": new.order_ids}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn update(store: &Store, actor: &Actor, id: i64, p: &ProblemPatch) -> Result<Problem> {
    may_manage_record(actor)?;
    let current = get(store, actor, id).await?;
    let from = ProblemState::parse(&current.state).ok_or(StoreError::Corrupt {
        what: "problem state",
        value: current.state.clone(),
    })?;
    let to = match p.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => ProblemState::parse(s).ok_or_else(|| {
            StoreError::invalid(
                "state",
                "must be one of: investigating, known_error, resolved, closed",
            )
        })?,
        None => from,
    };
    let field = |name: &str, v: &Option<String>, cur: &str, max: usize| -> Result<String> {
        match v {
            Some(v) => text(name, v, max, false),
            None => Ok(cur.to_owned()),
        }
    };
    let title = match &p.title {
        Some(t) => text("title", t, 200, true)?,
        None => current.title.clone(),
    };
    let description = field("description", &p.description, &current.description, 20_000)?;
    let root_cause = field("root_cause", &p.root_cause, &current.root_cause, 20_000)?;
    let workaround = field("workaround", &p.workaround, &current.workaround, 20_000)?;
    let fix = field("fix", &p.fix, &current.fix, 20_000)?;
    let change = match p.change_request_id {
        None => current.change_request.clone(),
        Some(None) => None,
        Some(Some(cr)) if current.change_request.as_ref().is_some_and(|c| c.id == cr) => {
            current.change_request.clone()
        }
        Some(Some(cr)) => Some(fix_change(store, cr).await?),
    };
    if from == ProblemState::Closed && p.state.is_none() {
        return Err(StoreError::invalid(
            "state",
            "a closed problem is not changed",
        ));
    }
    problem::may_move(
        from,
        to,
        Written {
            root_cause: !root_cause.trim().is_empty(),
            workaround: !workaround.trim().is_empty(),
            fix: !fix.trim().is_empty(),
            change_pending: change.as_ref().is_some_and(FixChange::pending),
        },
    )
    .map_err(|r| StoreError::invalid(r.field, r.message))?;
    let owner = p.owner_id.or(current.owner_id);
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    check_owner(&mut tx, p.owner_id).await?;
    let done = sqlx::query(
        "UPDATE problems SET title = $1, description = $2, root_cause = $3, workaround = $4, fix = $5, owner_id = $6, \
         state = $7, resolved_at = CASE WHEN $7 = 'resolved' AND state <> 'resolved' THEN $8 WHEN $7 = 'investigating' THEN NULL ELSE resolved_at END, \
         closed_at = CASE WHEN $7 = 'closed' THEN $8 ELSE closed_at END, change_request_id = $11, version = version + 1, updated_at = $8 \
         WHERE id = $9 AND version = $10",
    )
    .bind(title)
    .bind(description)
    .bind(root_cause)
    .bind(workaround)
    .bind(fix)
    .bind(owner)
    .bind(to.as_str())
    .bind(now)
    .bind(id)
    .bind(p.version)
    .bind(change.as_ref().map(|c| c.id))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        None,
        "problem",
        id,
        "update",
        json!({"from": from.as_str(), "to": to.as_str(), "change_request": change.as_ref().map(|c| c.id)}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// A change request a fix may wait on: one that exists and can still be (or was) implemented.
async fn fix_change(store: &Store, id: i64) -> Result<FixChange> {
    let row = sqlx::query("SELECT title, state FROM change_requests WHERE id = $1")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or_else(|| StoreError::invalid("change_request_id", "no such change request"))?;
    let change = FixChange {
        id,
        title: row.try_get("title")?,
        state: row.try_get("state")?,
    };
    if change.dropped() {
        return Err(StoreError::invalid(
            "change_request_id",
            "that change request was rejected or cancelled: a fix cannot wait on it",
        ));
    }
    Ok(change)
}

/// Raises a technical change request for the problem's permanent fix and links it, in one
/// transaction: the change names the client whose systems change (the only client of the linked
/// orders, or `client_org_id`), and carries the root cause and fix as its description.
pub async fn raise_change(
    store: &Store,
    actor: &Actor,
    id: i64,
    client_org_id: Option<i64>,
) -> Result<Problem> {
    use weihu_domain::change::{ChangeKind, may_propose};
    may_manage_record(actor)?;
    let p = get(store, actor, id).await?;
    if !p.is_open() {
        return Err(StoreError::invalid(
            "state",
            "a change for the fix is raised while the problem is open",
        ));
    }
    if let Some(c) = p.change_request.as_ref().filter(|c| !c.dropped()) {
        return Err(StoreError::invalid(
            "change_request_id",
            format!("the fix already has change request #{}", c.id),
        ));
    }
    if !may_propose(actor.role, ChangeKind::Technical) {
        return Err(StoreError::Forbidden(
            "your role does not propose technical changes",
        ));
    }
    let client = match client_org_id {
        Some(c) => c,
        None => {
            let mut clients: Vec<i64> = p.orders.iter().map(|o| o.client_org_id).collect();
            clients.sort_unstable();
            clients.dedup();
            match clients.as_slice() {
                [one] => *one,
                [] => {
                    return Err(StoreError::invalid(
                        "client_org_id",
                        "the problem has no linked orders: name the client whose systems change",
                    ));
                }
                _ => {
                    return Err(StoreError::invalid(
                        "client_org_id",
                        "the problem's orders are of several clients: name the client whose systems change",
                    ));
                }
            }
        }
    };
    crate::change_requests::check_client(store, client).await?;
    let en = actor.locale.as_deref().is_some_and(|l| l.starts_with("en"));
    let (prefix, heads) = if en {
        ("Permanent fix: ", ["Problem", "Root cause", "Fix"])
    } else {
        ("永久修复：", ["问题", "原因", "解决方法"])
    };
    let title: String = format!("{prefix}{}", p.title).chars().take(200).collect();
    let mut description = format!("{} #{}: {}\n", heads[0], p.id, p.title);
    for (head, body) in heads[1..].iter().zip([&p.root_cause, &p.fix]) {
        if !body.trim().is_empty() {
            description.push_str(&format!("\n{head}:\n{}\n", body.trim()));
        }
    }
    let description: String = description.chars().take(20_000).collect();
    let mut tx = store.pool.begin().await?;
    let change = crate::change_requests::insert(
        &mut tx,
        actor,
        &crate::change_requests::Proposed {
            kind: ChangeKind::Technical,
            client: Some(client),
            policy: None,
            contract: None,
            title: &title,
            description: &description,
            proposal: None,
            effective_from: None,
        },
    )
    .await?;
    let done = sqlx::query(
        "UPDATE problems SET change_request_id = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
    )
    .bind(change)
    .bind(now_ms())
    .bind(id)
    .bind(p.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict { current: p.version });
    }
    audit::record(
        &mut tx,
        actor,
        None,
        "problem",
        id,
        "raise_change",
        json!({"change_request": change}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The problems whose fix waits on a change request (for the change's page; provider staff).
pub async fn fixed_by_change(
    store: &Store,
    actor: &Actor,
    change: i64,
) -> Result<Vec<(i64, String)>> {
    if actor.is_client() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT id, title FROM problems WHERE change_request_id = $1 ORDER BY id LIMIT 50",
    )
    .bind(change)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("title")?)))
        .collect()
}

/// Links an order to an open problem: one action from the order.
pub async fn link(store: &Store, actor: &Actor, id: i64, order_id: i64) -> Result<Problem> {
    may_manage_record(actor)?;
    let p = get(store, actor, id).await?;
    if !p.is_open() {
        return Err(StoreError::invalid(
            "state",
            "orders are linked to an open problem (investigating or known error)",
        ));
    }
    if p.orders.len() >= 5_000 {
        return Err(StoreError::invalid(
            "order_id",
            "a problem links at most 5,000 orders",
        ));
    }
    let mut tx = store.pool.begin().await?;
    link_in(&mut tx, actor, id, &p.title, order_id).await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "problem",
        id,
        "link",
        json!({"order": order_id}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn unlink(store: &Store, actor: &Actor, id: i64, order_id: i64) -> Result<Problem> {
    may_manage_record(actor)?;
    get(store, actor, id).await?;
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query("DELETE FROM problem_orders WHERE problem_id = $1 AND order_id = $2")
        .bind(id)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    audit::record(
        &mut tx,
        actor,
        None,
        "problem",
        id,
        "unlink",
        json!({"order": order_id}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// What the order page shows: the problems an order is linked to, with their workarounds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderProblem {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub workaround: String,
}

pub async fn for_order(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<OrderProblem>> {
    // Reading the order applies its scoping (another tenant's order is not found).
    crate::orders::get(store, actor, order_id).await?;
    let rows = sqlx::query(
        "SELECT p.id, p.title, p.state, p.workaround FROM problems p JOIN problem_orders po ON po.problem_id = p.id \
         WHERE po.order_id = $1 ORDER BY p.id",
    )
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OrderProblem {
                id: r.try_get("id")?,
                title: r.try_get("title")?,
                state: r.try_get("state")?,
                workaround: r.try_get("workaround")?,
            })
        })
        .collect()
}

/// A group of recent orders that look like one problem.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    /// `same_asset`, `same_category`, or `similar_text` (orders whose text resembles an open
    /// problem's: link them to it rather than open another).
    pub kind: String,
    /// For `similar_text`: the open problem they resemble.
    pub problem_id: Option<i64>,
    pub problem_title: Option<String>,
    pub client_org_id: i64,
    pub client_name: String,
    pub asset_tag: Option<String>,
    pub category: Option<String>,
    pub order_ids: Vec<i64>,
    pub numbers: Vec<String>,
}

/// Repeat faults of the last [`REPEAT_WINDOW_DAYS`] days not linked to any problem yet: orders
/// on one asset ([`REPEAT_SAME_ASSET`] or more), or of one client in one category
/// ([`REPEAT_SAME_CATEGORY`] or more). Suggestions for the dispatcher, at most 50 groups.
pub async fn candidates(store: &Store, actor: &Actor) -> Result<Vec<Candidate>> {
    may_manage(actor)?;
    let since = now_ms() - REPEAT_WINDOW_DAYS * 24 * 3600 * 1000;
    let base = "FROM orders o WHERE o.created_at >= $1 AND o.kind = 'fault' AND o.state NOT IN ('cancelled', 'refused') \
         AND NOT EXISTS (SELECT 1 FROM problem_orders po WHERE po.order_id = o.id)";
    let mut out = Vec::new();
    let groups = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.asset_id AS g, count(*) AS n {base} AND o.asset_id IS NOT NULL GROUP BY o.asset_id HAVING count(*) >= $2 ORDER BY count(*) DESC LIMIT 25"
    )))
    .bind(since)
    .bind(REPEAT_SAME_ASSET)
    .fetch_all(&store.pool)
    .await?;
    for g in groups {
        let asset: i64 = g.try_get("g")?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT o.id, o.number, o.client_org_id, c.name, a.tag {} AND o.asset_id = $2 ORDER BY o.id LIMIT 100",
            base.replacen("FROM orders o", "FROM orders o JOIN organizations c ON c.id = o.client_org_id JOIN assets a ON a.id = o.asset_id", 1)
        )))
        .bind(since)
        .bind(asset)
        .fetch_all(&store.pool)
        .await?;
        if let Some(first) = rows.first() {
            out.push(Candidate {
                kind: "same_asset".into(),
                problem_id: None,
                problem_title: None,
                client_org_id: first.try_get("client_org_id")?,
                client_name: first.try_get("name")?,
                asset_tag: first.try_get("tag")?,
                category: None,
                order_ids: rows
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<std::result::Result<_, _>>()?,
                numbers: rows
                    .iter()
                    .map(|r| r.try_get("number"))
                    .collect::<std::result::Result<_, _>>()?,
            });
        }
    }
    let groups = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.client_org_id AS c, o.category AS k, count(*) AS n {base} GROUP BY o.client_org_id, o.category \
         HAVING count(*) >= $2 ORDER BY count(*) DESC LIMIT 25"
    )))
    .bind(since)
    .bind(REPEAT_SAME_CATEGORY)
    .fetch_all(&store.pool)
    .await?;
    for g in groups {
        let client: i64 = g.try_get("c")?;
        let category: String = g.try_get("k")?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT o.id, o.number, c.name {} AND o.client_org_id = $2 AND o.category = $3 ORDER BY o.id LIMIT 100",
            base.replacen("FROM orders o", "FROM orders o JOIN organizations c ON c.id = o.client_org_id", 1)
        )))
        .bind(since)
        .bind(client)
        .bind(category.clone())
        .fetch_all(&store.pool)
        .await?;
        if let Some(first) = rows.first() {
            out.push(Candidate {
                kind: "same_category".into(),
                problem_id: None,
                problem_title: None,
                client_org_id: client,
                client_name: first.try_get("name")?,
                asset_tag: None,
                category: Some(category),
                order_ids: rows
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<std::result::Result<_, _>>()?,
                numbers: rows
                    .iter()
                    .map(|r| r.try_get("number"))
                    .collect::<std::result::Result<_, _>>()?,
            });
        }
    }
    out.extend(similar_to_open(store, since, base).await?);
    Ok(out)
}

/// How much of an open problem's words an order's text must share to be offered (percent).
pub const SIMILAR_PERCENT: u32 = 50;

/// The window's unlinked faults (the newest 2,000) whose subject and description share at least
/// [`SIMILAR_PERCENT`] of an open problem's words (the newest 100 open problems), per problem.
async fn similar_to_open(store: &Store, since: i64, base: &str) -> Result<Vec<Candidate>> {
    let open = sqlx::query(
        "SELECT id, title, description FROM problems WHERE state IN ('investigating', 'known_error') \
         ORDER BY id DESC LIMIT 100",
    )
    .fetch_all(&store.pool)
    .await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let orders = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT o.id, o.number, o.subject, o.description, o.client_org_id, c.name {} ORDER BY o.id DESC LIMIT 2000",
        base.replacen("FROM orders o", "FROM orders o JOIN organizations c ON c.id = o.client_org_id", 1)
    )))
    .bind(since)
    .fetch_all(&store.pool)
    .await?;
    let mut texts = Vec::with_capacity(orders.len());
    for o in &orders {
        let subject: String = o.try_get("subject")?;
        let description: String = o.try_get("description")?;
        texts.push(format!("{subject} {description}"));
    }
    let mut out = Vec::new();
    for p in &open {
        let (id, title, description): (i64, String, String) = (
            p.try_get("id")?,
            p.try_get("title")?,
            p.try_get("description")?,
        );
        let reference = format!("{title} {description}");
        let mut c: Option<Candidate> = None;
        for (o, text) in orders.iter().zip(&texts) {
            if weihu_domain::search::overlap_percent(&reference, text) < SIMILAR_PERCENT {
                continue;
            }
            let cand = match &mut c {
                Some(c) => c,
                None => c.insert(Candidate {
                    kind: "similar_text".into(),
                    problem_id: Some(id),
                    problem_title: Some(title.clone()),
                    client_org_id: o.try_get("client_org_id")?,
                    client_name: o.try_get("name")?,
                    asset_tag: None,
                    category: None,
                    order_ids: Vec::new(),
                    numbers: Vec::new(),
                }),
            };
            if cand.order_ids.len() < 100 {
                cand.order_ids.push(o.try_get("id")?);
                cand.numbers.push(o.try_get("number")?);
            }
        }
        out.extend(c);
    }
    Ok(out)
}

/// What closing a resolved problem's orders did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ResolvedOrders {
    /// The numbers of the orders resolved with the problem's fix.
    pub resolved: Vec<String>,
    /// Orders left as they were, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// Resolves every open linked order with the problem's fix (each order records it as its
/// resolution and on its timeline); orders the move does not fit are listed with the reason.
pub async fn resolve_orders(store: &Store, actor: &Actor, id: i64) -> Result<ResolvedOrders> {
    may_manage_record(actor)?;
    let p = get(store, actor, id).await?;
    if p.state != "resolved" {
        return Err(StoreError::invalid(
            "state",
            "only a resolved problem resolves its orders",
        ));
    }
    let mut out = ResolvedOrders::default();
    for o in &p.orders {
        let open = weihu_domain::order::OrderState::parse(&o.state).is_some_and(|s| s.is_open());
        if !open {
            continue;
        }
        let order = crate::orders::get(store, actor, o.order_id).await?;
        let t: crate::orders::Transition = serde_json::from_value(json!({
            "action": "resolve",
            "version": order.version,
            "resolution": format!("问题 / Problem #{}: {}\n{}", p.id, p.title, p.fix),
        }))
        .map_err(|e| StoreError::Format(e.to_string()))?;
        match crate::orders::transition_with(store, actor, o.order_id, &t, true).await {
            Ok(_) => out.resolved.push(o.number.clone()),
            Err(
                e @ (StoreError::Invalid { .. }
                | StoreError::Forbidden(_)
                | StoreError::Conflict { .. }),
            ) => out.skipped.push((o.number.clone(), e.to_string())),
            Err(e) => return Err(e),
        }
    }
    let mut tx = store.pool.begin().await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "problem",
        id,
        "resolve_orders",
        json!({"resolved": out.resolved}),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
