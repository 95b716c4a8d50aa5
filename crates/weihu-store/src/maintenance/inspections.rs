//! Inspections (SPEC §8): generated ahead by the plans' job, listed for the dispatcher's week,
//! walked on the engineer's phone (an answer per item and asset), issues raised as follow-up
//! orders in one action, and overdue ones flagged. Each inspection is an order of kind
//! `inspection`; who may do what to it is the order's table (`OrderAction::Inspect`).

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::maintenance::checklist::{Answer, Template};
use weihu_domain::maintenance::walk::{self, VISIT};
use weihu_domain::maintenance::{Rule, Shift, dates};
use weihu_domain::order::OrderState;
use weihu_domain::order_links::LinkKind;
use weihu_domain::priority::Level;

use super::plans::{self, Plan, select_assets};
use crate::orders::{self, InspectionOrder, NewOrder, OrderAction, text};
use crate::sql::SqlBuf;
use crate::{Actor, Backend, Result, Store, StoreError, audit, contracts, instant, now_ms};

/// The longest range the inspection list reads at once.
pub const MAX_LIST_DAYS: i64 = 92;
/// Most inspections one list answers.
pub const MAX_LISTED: i64 = 2_000;

const OPEN: &str = "('new', 'assigned', 'in_progress', 'waiting_client', 'waiting_parts')";
const DONE: &str = "('resolved', 'closed')";

// ---- generation ---------------------------------------------------------------------------

/// What one run of the generation job did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct GenerationRun {
    /// Plans looked at.
    pub plans: u64,
    pub created: u64,
    /// Untouched future inspections brought in line with a changed plan.
    pub updated: u64,
    /// Untouched future inspections whose day the changed plan no longer has.
    pub cancelled: u64,
    /// Plans another instance was generating (left to it).
    pub skipped: u64,
    /// Plans that failed, with why (the others still ran).
    pub failed: Vec<FailedPlan>,
}

/// A plan the generation could not run, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FailedPlan {
    pub plan_id: i64,
    pub error: String,
}

impl GenerationRun {
    fn add(&mut self, o: &GenerationRun) {
        self.plans += o.plans;
        self.created += o.created;
        self.updated += o.updated;
        self.cancelled += o.cancelled;
        self.skipped += o.skipped;
        self.failed.extend(o.failed.iter().cloned());
    }
}

/// The job: every plan not generated today, or changed since, gets its inspections up to its
/// horizon. Safe on several instances: a plan is claimed with `FOR UPDATE SKIP LOCKED` on
/// PostgreSQL (one writer on SQLite), and one inspection per plan and day is a unique index.
pub async fn generate(store: &Store, today: Option<Date>) -> Result<GenerationRun> {
    let today = today.unwrap_or_else(|| plans::today(store));
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM maintenance_plans WHERE generated_version IS NULL OR generated_version <> version \
         OR (active = 1 AND (generated_on IS NULL OR generated_on < $1)) ORDER BY id",
    )
    .bind(today.to_string())
    .fetch_all(&store.pool)
    .await?;
    let mut sum = GenerationRun::default();
    for id in ids {
        match generate_plan(store, id, today).await {
            Ok(s) => sum.add(&s),
            Err(e) => {
                tracing::warn!(plan = id, error = %e, "inspection generation failed for a plan");
                sum.failed.push(FailedPlan {
                    plan_id: id,
                    error: e.to_string(),
                });
            }
        }
    }
    Ok(sum)
}

/// A plan's inspection from today on. A cancelled one counts as touched: its day was taken
/// out by someone, and the plan does not put it back.
struct Existing {
    order_id: i64,
    due_on: Date,
    plan_version: i64,
    /// The order's version: a plan change writes only if nobody moved the order meanwhile.
    version: i64,
    touched: bool,
}

/// Generates one plan's inspections from `today` to its horizon in one transaction.
pub async fn generate_plan(store: &Store, plan_id: i64, today: Date) -> Result<GenerationRun> {
    let system = Actor::system(0);
    let plan = plans::get(store, &system, plan_id).await?;
    let contract = contracts::get(store, &system, plan.contract_id).await?;
    let cal = contracts::working_calendar(store, &contract).await?;
    let (template_version, category) = template_facts(store, plan.template_id).await?;
    let in_force = matches!(contract.status.as_str(), "active" | "terminating");
    let mut wanted = BTreeSet::new();
    if plan.active && in_force {
        let from = contracts::parse_date("starts_on", &plan.starts_on)?;
        let end = contracts::parse_date("ends_on", &plan.ends_on)?;
        let horizon = today
            .checked_add(
                jiff::Span::new()
                    .try_days(plan.ahead_days)
                    .map_err(|_| StoreError::invalid("ahead_days", "is out of range"))?,
            )
            .unwrap_or(end)
            .min(end);
        if horizon >= today && horizon >= from {
            let rule =
                Rule::parse(&plan.rule).map_err(|e| StoreError::invalid("rule", e.to_string()))?;
            let shift = Shift::parse(&plan.shift).unwrap_or(Shift::Next);
            for d in dates(&rule, &cal, from, horizon, shift)
                .map_err(|e| StoreError::invalid(e.field, e.message))?
            {
                if d >= today {
                    wanted.insert(d);
                }
            }
        }
    }
    let prepared = orders::prepare_inspection(
        store,
        &system,
        &InspectionOrder {
            client_org_id: plan.client_org_id,
            contract_id: plan.contract_id,
            site: plan.assets.site.clone(),
            category: category.clone(),
            subject: format!("巡检 Inspection: {}", plan.name),
            description: String::new(),
        },
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    // Claim the plan: another instance generating it now is left to it.
    let claimed: Option<i64> = if store.backend() == Backend::Postgres {
        sqlx::query_scalar(
            "SELECT version FROM maintenance_plans WHERE id = $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(plan_id)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        // Take SQLite's write lock first, so two processes cannot generate the same plan.
        sqlx::query("UPDATE maintenance_plans SET version = version WHERE id = $1")
            .bind(plan_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query_scalar("SELECT version FROM maintenance_plans WHERE id = $1")
            .bind(plan_id)
            .fetch_optional(&mut *tx)
            .await?
    };
    let mut sum = GenerationRun {
        plans: 1,
        ..Default::default()
    };
    if claimed != Some(plan.version) {
        // Claimed elsewhere, or changed since it was read: the next run takes it.
        sum.skipped = 1;
        return Ok(sum);
    }
    let rows = sqlx::query(
        "SELECT i.order_id, i.due_on, i.plan_version, o.version, \
         CASE WHEN o.state IN ('new', 'assigned') \
              AND NOT EXISTS (SELECT 1 FROM inspection_answers a WHERE a.order_id = i.order_id) \
              AND NOT EXISTS (SELECT 1 FROM order_visits v WHERE v.order_id = i.order_id AND v.check_in_at IS NOT NULL) \
              AND NOT EXISTS (SELECT 1 FROM order_signatures s WHERE s.order_id = i.order_id) \
         THEN 0 ELSE 1 END AS touched \
         FROM inspections i JOIN orders o ON o.id = i.order_id \
         WHERE i.plan_id = $1 AND i.superseded = 0 AND i.due_on >= $2",
    )
    .bind(plan_id)
    .bind(today.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let mut existing = Vec::with_capacity(rows.len());
    for r in &rows {
        existing.push(Existing {
            order_id: r.try_get("order_id")?,
            due_on: contracts::parse_date("due_on", &r.try_get::<String, _>("due_on")?)?,
            plan_version: r.try_get("plan_version")?,
            version: r.try_get("version")?,
            touched: r.try_get::<i64, _>("touched")? != 0,
        });
    }
    let assets = select_assets(&mut tx, plan.client_org_id, &plan.assets).await?;
    let tz = cal.time_zone().clone();
    for e in existing {
        let keep = wanted.remove(&e.due_on);
        if e.touched {
            continue;
        }
        if !keep {
            if cancel(&mut tx, &system, &e).await? {
                sum.cancelled += 1;
            }
        } else if e.plan_version != plan.version {
            let w = window(&plan, e.due_on, &tz)?;
            if refresh(&mut tx, &system, &plan, &e, template_version, &assets, w).await? {
                sum.updated += 1;
            }
        }
    }
    for d in wanted {
        let w = window(&plan, d, &tz)?;
        let id =
            orders::write_with_subject(&mut tx, store.backend(), &prepared, &subject(&plan, d))
                .await?;
        sqlx::query(
            "INSERT INTO inspections (order_id, plan_id, client_org_id, due_on, window_start_at, window_end_at, \
             due_end_at, template_id, template_version, plan_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(plan.id)
        .bind(plan.client_org_id)
        .bind(d.to_string())
        .bind(w.0)
        .bind(w.1)
        .bind(w.2)
        .bind(plan.template_id)
        .bind(template_version)
        .bind(plan.version)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO order_visits (order_id, engineer_id, kind, decided_at, note) VALUES ($1, $2, 'scheduled', $3, $4)",
        )
        .bind(id)
        .bind(plan.engineer_id)
        .bind(w.0)
        .bind(format!("巡检计划 Plan: {}", plan.name))
        .execute(&mut *tx)
        .await?;
        set_assets(&mut tx, id, &assets).await?;
        assign(&mut tx, &system, &plan, id, d, w.0).await?;
        sum.created += 1;
    }
    sqlx::query(
        "UPDATE maintenance_plans SET generated_on = $1, generated_version = version WHERE id = $2",
    )
    .bind(today.to_string())
    .bind(plan_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(sum)
}

/// The template's current version and the order category its inspections take.
async fn template_facts(store: &Store, template_id: i64) -> Result<(i64, String)> {
    let r = sqlx::query("SELECT code, current_version FROM checklist_templates WHERE id = $1")
        .bind(template_id)
        .fetch_one(&store.pool)
        .await?;
    let code: String = r.try_get("code")?;
    let category = if orders::CATEGORIES.contains(&code.as_str()) {
        code
    } else {
        "other".to_owned()
    };
    Ok((r.try_get("current_version")?, category))
}

/// The visit window of a day (start, end) and the end of that day, in ms, in the calendar's zone.
fn window(plan: &Plan, day: Date, tz: &jiff::tz::TimeZone) -> Result<(i64, i64, i64)> {
    let t: Time = plan
        .window_start
        .parse()
        .map_err(|_| StoreError::invalid("window_start", "must be a time HH:MM"))?;
    let at = |d: Date, t: Time| -> Result<i64> {
        Ok(d.to_datetime(t)
            .to_zoned_datetime(tz.clone())
            .map_err(|e| StoreError::Format(e.to_string()))?
            .timestamp()
            .as_millisecond())
    };
    let start = at(day, t)?;
    let next = day
        .tomorrow()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok((
        start,
        start + plan.window_minutes * 60_000,
        at(next, Time::midnight())?,
    ))
}

async fn set_assets(conn: &mut sqlx::AnyConnection, order_id: i64, assets: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM inspection_assets WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    for chunk in assets.chunks(200) {
        let mut w = SqlBuf::new("INSERT INTO inspection_assets (order_id, asset_id) VALUES ");
        for (i, a) in chunk.iter().enumerate() {
            if i > 0 {
                w.push(", ");
            }
            w.push("(").bind(order_id).push(", ").bind(*a).push(")");
        }
        w.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Assigns a generated inspection to the plan's engineer and team, with its timeline event.
async fn assign(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    plan: &Plan,
    order_id: i64,
    day: Date,
    start: i64,
) -> Result<()> {
    let state = if plan.engineer_id.is_some() || plan.team_id.is_some() {
        "assigned"
    } else {
        "new"
    };
    sqlx::query("UPDATE orders SET state = $1, assignee_id = $2, team_id = $3 WHERE id = $4")
        .bind(state)
        .bind(plan.engineer_id)
        .bind(plan.team_id)
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    orders::record_event(
        conn,
        actor,
        order_id,
        "inspection_planned",
        true,
        &format!("巡检计划 {} · {day}", plan.name),
        json!({"plan_id": plan.id, "due_on": day.to_string(), "window_start_at": start,
               "assignee_id": plan.engineer_id, "team_id": plan.team_id}),
    )
    .await?;
    Ok(())
}

/// Brings an untouched inspection in line with its changed plan: window, checklist version,
/// assets, engineer.
async fn refresh(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    plan: &Plan,
    e: &Existing,
    template_version: i64,
    assets: &[i64],
    w: (i64, i64, i64),
) -> Result<bool> {
    // Only if still untouched: a check-in or a move since the read bumped the version.
    let taken = sqlx::query(
        "UPDATE orders SET subject = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND state IN ('new', 'assigned')",
    )
    .bind(subject(plan, e.due_on))
    .bind(now_ms())
    .bind(e.order_id)
    .bind(e.version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE inspections SET window_start_at = $1, window_end_at = $2, due_end_at = $3, template_id = $4, \
         template_version = $5, plan_version = $6 WHERE order_id = $7",
    )
    .bind(w.0)
    .bind(w.1)
    .bind(w.2)
    .bind(plan.template_id)
    .bind(template_version)
    .bind(plan.version)
    .bind(e.order_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE order_visits SET engineer_id = $1, decided_at = $2 WHERE order_id = $3 AND check_in_at IS NULL")
        .bind(plan.engineer_id)
        .bind(w.0)
        .bind(e.order_id)
        .execute(&mut *conn)
        .await?;
    set_assets(conn, e.order_id, assets).await?;
    assign(conn, actor, plan, e.order_id, e.due_on, w.0).await?;
    Ok(true)
}

/// An inspection order's subject: the plan and the day (the plan's name is at most 120
/// characters, so it always fits the order's 200).
fn subject(plan: &Plan, day: Date) -> String {
    let s = format!("巡检 Inspection: {} · {day}", plan.name);
    s.chars().take(200).collect()
}

/// Cancels an untouched inspection whose day its changed plan no longer has (unless someone
/// moved it meanwhile: then it stays).
async fn cancel(conn: &mut sqlx::AnyConnection, actor: &Actor, e: &Existing) -> Result<bool> {
    let now = now_ms();
    let taken = sqlx::query(
        "UPDATE orders SET state = 'cancelled', close_reason = $1, closed_at = $2, version = version + 1, \
         updated_at = $2 WHERE id = $3 AND version = $4 AND state IN ('new', 'assigned')",
    )
    .bind("维护计划已变更 The maintenance plan changed")
    .bind(now)
    .bind(e.order_id)
    .bind(e.version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if taken == 0 {
        return Ok(false);
    }
    sqlx::query("UPDATE inspections SET superseded = 1 WHERE order_id = $1")
        .bind(e.order_id)
        .execute(&mut *conn)
        .await?;
    orders::record_event(
        conn,
        actor,
        e.order_id,
        "cancel",
        true,
        "维护计划已变更 The maintenance plan changed",
        json!({"to": "cancelled", "reason": "plan_changed"}),
    )
    .await?;
    Ok(true)
}

// ---- reading --------------------------------------------------------------------------------

/// One inspection in a list (the dispatcher's week, a plan's upcoming inspections).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InspectionRow {
    pub order_id: i64,
    pub number: String,
    pub plan_id: i64,
    pub plan_name: String,
    pub client_org_id: i64,
    pub client_name: String,
    pub due_on: String,
    #[schema(value_type = String, format = DateTime)]
    pub window_start_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub window_end_at: jiff::Timestamp,
    /// The order's state.
    pub state: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    /// Not done by the end of its day.
    pub overdue: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct InspectionFilter {
    /// First day (YYYY-MM-DD); default today.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD); default six days after `from` (a week).
    pub to: Option<String>,
    pub client_org_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// open, done, overdue.
    pub state: Option<String>,
}

const ROW_SELECT: &str = "SELECT i.order_id, o.number, i.plan_id, p.name AS plan_name, i.client_org_id, \
     g.name AS client_name, i.due_on, i.window_start_at, i.window_end_at, i.due_end_at, o.state, o.assignee_id, \
     u.display_name AS assignee_name FROM inspections i JOIN orders o ON o.id = i.order_id \
     JOIN maintenance_plans p ON p.id = i.plan_id JOIN organizations g ON g.id = i.client_org_id \
     LEFT JOIN users u ON u.id = o.assignee_id";

fn overdue(state: &str, due_end_at: i64, now: i64) -> bool {
    OrderState::parse(state).is_some_and(|s| s.is_open()) && due_end_at <= now
}

fn row(r: &sqlx::any::AnyRow, now: i64) -> Result<InspectionRow> {
    let state: String = r.try_get("state")?;
    Ok(InspectionRow {
        order_id: r.try_get("order_id")?,
        number: r.try_get("number")?,
        plan_id: r.try_get("plan_id")?,
        plan_name: r.try_get("plan_name")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        due_on: r.try_get("due_on")?,
        window_start_at: instant(r.try_get("window_start_at")?),
        window_end_at: instant(r.try_get("window_end_at")?),
        overdue: overdue(&state, r.try_get("due_end_at")?, now),
        state,
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
    })
}

/// Inspections planned within a range of days (the provider's zone), earliest first: what the
/// dispatcher's "inspections this week" shows. Clients see their own; a client user none.
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &InspectionFilter,
) -> Result<Vec<InspectionRow>> {
    if actor.role == weihu_domain::role::Role::ClientUser {
        return Err(StoreError::Forbidden(
            "inspections are shown to the client's administrator",
        ));
    }
    let from = match &f.from {
        Some(s) => contracts::parse_date("from", s)?,
        None => plans::today(store),
    };
    let to = match &f.to {
        Some(s) => contracts::parse_date("to", s)?,
        None => from
            .checked_add(jiff::Span::new().days(6))
            .map_err(|_| StoreError::invalid("from", "is out of range"))?,
    };
    if to < from {
        return Err(StoreError::invalid("to", "must not be before from"));
    }
    if from
        .until(to)
        .map(|s| i64::from(s.get_days()))
        .unwrap_or(i64::MAX)
        > MAX_LIST_DAYS
    {
        return Err(StoreError::invalid(
            "to",
            format!("at most {MAX_LIST_DAYS} days after from"),
        ));
    }
    let tz = store.time_zone().clone();
    let ms = |d: Date| -> Result<i64> {
        Ok(d.to_zoned_datetime(tz.clone())
            .map_err(|e| StoreError::Format(e.to_string()))?
            .timestamp()
            .as_millisecond())
    };
    let end = to
        .tomorrow()
        .map_err(|_| StoreError::invalid("to", "is out of range"))?;
    let now = now_ms();
    let mut w = SqlBuf::new(&format!(
        "{ROW_SELECT} WHERE i.superseded = 0 AND o.state <> 'cancelled' AND i.window_start_at >= "
    ));
    w.bind(ms(from)?)
        .push(" AND i.window_start_at < ")
        .bind(ms(end)?);
    let client = actor.client_scope().or(f.client_org_id);
    if let Some(c) = client {
        w.push(" AND i.client_org_id = ").bind(c);
    }
    if let Some(p) = f.plan_id {
        w.push(" AND i.plan_id = ").bind(p);
    }
    if let Some(a) = f.assignee_id {
        w.push(" AND o.assignee_id = ").bind(a);
    }
    match f.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {}
        Some("open") => {
            w.push(&format!(" AND o.state IN {OPEN}"));
        }
        Some("done") => {
            w.push(&format!(" AND o.state IN {DONE}"));
        }
        Some("overdue") => {
            w.push(&format!(" AND o.state IN {OPEN} AND i.due_end_at <= "))
                .bind(now);
        }
        Some(_) => {
            return Err(StoreError::invalid(
                "state",
                "must be one of: open, done, overdue",
            ));
        }
    }
    w.push(" ORDER BY i.window_start_at, i.order_id LIMIT ")
        .bind(MAX_LISTED);
    let rows = w.query().fetch_all(&store.pool).await?;
    rows.iter().map(|r| row(r, now)).collect()
}

/// The open inspections covering an asset (what its page, opened from its QR label, links to).
pub async fn open_for_asset(
    store: &Store,
    actor: &Actor,
    asset_id: i64,
) -> Result<Vec<InspectionRow>> {
    if actor.role == weihu_domain::role::Role::ClientUser {
        return Ok(Vec::new());
    }
    let mut w = SqlBuf::new(&format!(
        "{ROW_SELECT} JOIN inspection_assets x ON x.order_id = i.order_id WHERE x.asset_id = "
    ));
    w.bind(asset_id)
        .push(&format!(" AND i.superseded = 0 AND o.state IN {OPEN}"));
    if let Some(own) = actor.client_scope() {
        w.push(" AND i.client_org_id = ").bind(own);
    }
    w.push(" ORDER BY i.window_start_at LIMIT 5");
    let now = now_ms();
    let rows = w.query().fetch_all(&store.pool).await?;
    rows.iter().map(|r| row(r, now)).collect()
}

/// An asset an inspection covers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectedAsset {
    pub id: i64,
    pub tag: String,
    pub asset_type: String,
    pub model: String,
    pub location: String,
}

/// One recorded answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnswerView {
    /// None for an item checked once per visit.
    pub asset_id: Option<i64>,
    pub item: String,
    /// ok, issue, not_applicable.
    pub answer: String,
    pub note: String,
    /// Attachment ids of the order.
    pub photos: Vec<i64>,
    pub follow_up_order_id: Option<i64>,
    pub follow_up_number: Option<String>,
    pub answered_by: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub answered_at: jiff::Timestamp,
}

/// An inspection with its checklist (the version it was generated with), its assets and its
/// answers so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Inspection {
    #[serde(flatten)]
    pub row: InspectionRow,
    pub template_id: i64,
    pub template_version: i64,
    /// The checklist definition: groups of items, each per asset or per visit.
    #[schema(value_type = Object)]
    pub checklist: Template,
    pub assets: Vec<InspectedAsset>,
    pub answers: Vec<AnswerView>,
    pub unanswered: u32,
    pub issues: u32,
    /// What the acting user may do to the inspection's order (`inspect` walks the checklist).
    #[schema(value_type = Vec<String>)]
    pub actions: Vec<OrderAction>,
}

struct Head {
    row: InspectionRow,
    template_id: i64,
    template_version: i64,
}

async fn head(conn: &mut sqlx::AnyConnection, order_id: i64) -> Result<Option<Head>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{ROW_SELECT} WHERE i.order_id = $1"
    )))
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let extra =
        sqlx::query("SELECT template_id, template_version FROM inspections WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&mut *conn)
            .await?;
    Ok(Some(Head {
        row: row(&r, now_ms())?,
        template_id: extra.try_get(0)?,
        template_version: extra.try_get(1)?,
    }))
}

async fn checklist(
    conn: &mut sqlx::AnyConnection,
    template_id: i64,
    version: i64,
) -> Result<Template> {
    let def: String = sqlx::query_scalar(
        "SELECT definition FROM checklist_template_versions WHERE template_id = $1 AND number = $2",
    )
    .bind(template_id)
    .bind(version)
    .fetch_one(&mut *conn)
    .await?;
    serde_json::from_str(&def).map_err(|e| StoreError::Format(e.to_string()))
}

async fn asset_ids(conn: &mut sqlx::AnyConnection, order_id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT i.asset_id FROM inspection_assets i JOIN assets a ON a.id = i.asset_id \
         WHERE i.order_id = $1 ORDER BY a.tag",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?)
}

async fn answered(conn: &mut sqlx::AnyConnection, order_id: i64) -> Result<HashSet<(i64, String)>> {
    let rows = sqlx::query("SELECT asset_id, item FROM inspection_answers WHERE order_id = $1")
        .bind(order_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// How many of an inspection's questions are open (0 for an order that is no inspection).
pub(crate) async fn unanswered(store: &Store, order_id: i64) -> Result<u32> {
    let mut conn = store.pool.acquire().await?;
    let Some(h) = head(&mut conn, order_id).await? else {
        return Ok(0);
    };
    let t = checklist(&mut conn, h.template_id, h.template_version).await?;
    let assets = asset_ids(&mut conn, order_id).await?;
    let done = answered(&mut conn, order_id).await?;
    Ok(walk::unanswered(&t, &assets, &done))
}

/// One inspection as its order's reader may see it (the order's visibility rules apply).
pub async fn get(store: &Store, actor: &Actor, order_id: i64) -> Result<Inspection> {
    let order = orders::get(store, actor, order_id).await?;
    let mut conn = store.pool.acquire().await?;
    let h = head(&mut conn, order_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let checklist = checklist(&mut conn, h.template_id, h.template_version).await?;
    let rows = sqlx::query(
        "SELECT a.id, a.tag, a.asset_type, a.model, a.location FROM inspection_assets i \
         JOIN assets a ON a.id = i.asset_id WHERE i.order_id = $1 ORDER BY a.tag",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let assets: Vec<InspectedAsset> = rows
        .iter()
        .map(|r| {
            Ok(InspectedAsset {
                id: r.try_get("id")?,
                tag: r.try_get("tag")?,
                asset_type: r.try_get("asset_type")?,
                model: r.try_get("model")?,
                location: r.try_get("location")?,
            })
        })
        .collect::<Result<_>>()?;
    let rows = sqlx::query(
        "SELECT a.asset_id, a.item, a.answer, a.note, a.photos, a.follow_up_order_id, f.number AS follow_up_number, \
         u.display_name AS answered_by, a.answered_at FROM inspection_answers a \
         LEFT JOIN orders f ON f.id = a.follow_up_order_id LEFT JOIN users u ON u.id = a.answered_by \
         WHERE a.order_id = $1 ORDER BY a.id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let answers: Vec<AnswerView> = rows
        .iter()
        .map(|r| {
            let asset: i64 = r.try_get("asset_id")?;
            Ok(AnswerView {
                asset_id: (asset != VISIT).then_some(asset),
                item: r.try_get("item")?,
                answer: r.try_get("answer")?,
                note: r.try_get("note")?,
                photos: serde_json::from_str(&r.try_get::<String, _>("photos")?)
                    .unwrap_or_default(),
                follow_up_order_id: r.try_get("follow_up_order_id")?,
                follow_up_number: r.try_get("follow_up_number")?,
                answered_by: r.try_get("answered_by")?,
                answered_at: instant(r.try_get("answered_at")?),
            })
        })
        .collect::<Result<_>>()?;
    let ids: Vec<i64> = assets.iter().map(|a| a.id).collect();
    let done: HashSet<(i64, String)> = answers
        .iter()
        .map(|a| (a.asset_id.unwrap_or(VISIT), a.item.clone()))
        .collect();
    let issues = answers.iter().filter(|a| a.answer == "issue").count();
    Ok(Inspection {
        unanswered: walk::unanswered(&checklist, &ids, &done),
        issues: u32::try_from(issues).unwrap_or(u32::MAX),
        row: h.row,
        template_id: h.template_id,
        template_version: h.template_version,
        checklist,
        assets,
        answers,
        actions: order.actions,
    })
}

// ---- walking --------------------------------------------------------------------------------

/// One answer from the walk.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewAnswer {
    /// The asset; leave out for an item checked once per visit.
    pub asset_id: Option<i64>,
    /// The item's key in the checklist.
    pub item: String,
    /// ok, issue, not_applicable (n/a).
    pub answer: String,
    /// Required for an issue: what is wrong.
    #[serde(default)]
    pub note: String,
    /// Ids of photos already attached to the order.
    #[serde(default)]
    pub photos: Vec<i64>,
}

/// Records (or replaces) one answer. An answer that already raised a follow-up order stays an
/// issue: the follow-up is the record of it.
pub async fn answer(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    a: &NewAnswer,
) -> Result<Inspection> {
    let order = orders::get(store, actor, order_id).await?;
    orders::require(store, actor, &order, OrderAction::Inspect).await?;
    let kind = Answer::parse(&a.answer).ok_or_else(|| {
        StoreError::invalid("answer", "must be one of: ok, issue, not_applicable")
    })?;
    let note = text("note", &a.note, walk::MAX_NOTE, false)?;
    let mut photos = a.photos.clone();
    photos.sort_unstable();
    photos.dedup();
    let asset = a.asset_id.unwrap_or(VISIT);
    let mut tx = store.pool.begin().await?;
    // The order's row first: SQLite's write lock (reads then writes in one deferred transaction
    // would fail under concurrent writers) and PostgreSQL's row lock, so a plan change cannot
    // cancel the inspection between this check and the answer.
    let state: Option<String> =
        sqlx::query_scalar("UPDATE orders SET updated_at = $1 WHERE id = $2 RETURNING state")
            .bind(now_ms())
            .bind(order_id)
            .fetch_optional(&mut *tx)
            .await?;
    if !state
        .as_deref()
        .and_then(OrderState::parse)
        .is_some_and(|s| s.is_open())
    {
        return Err(StoreError::invalid("order", "the order is no longer open"));
    }
    let h = head(&mut tx, order_id).await?.ok_or(StoreError::NotFound)?;
    let t = checklist(&mut tx, h.template_id, h.template_version).await?;
    let assets = asset_ids(&mut tx, order_id).await?;
    walk::check_answer(&t, &assets, asset, a.item.trim(), kind, &note, photos.len())
        .map_err(|e| StoreError::invalid(e.field, e.message))?;
    if !photos.is_empty() {
        let mut w = SqlBuf::new("SELECT count(*) FROM order_attachments WHERE order_id = ");
        w.bind(order_id).push(" AND id IN ").bind_list(&photos);
        let n: i64 = w.query().fetch_one(&mut *tx).await?.try_get(0)?;
        if usize::try_from(n).unwrap_or(0) != photos.len() {
            return Err(StoreError::invalid(
                "photos",
                "names a file that is not attached to this inspection",
            ));
        }
    }
    let item = a.item.trim().to_owned();
    let prior: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT follow_up_order_id FROM inspection_answers WHERE order_id = $1 AND asset_id = $2 AND item = $3",
    )
    .bind(order_id)
    .bind(asset)
    .bind(item.clone())
    .fetch_optional(&mut *tx)
    .await?;
    if matches!(prior, Some(Some(_))) && kind != Answer::Issue {
        return Err(StoreError::invalid(
            "answer",
            "a follow-up order was raised from this issue: it stays an issue",
        ));
    }
    sqlx::query(
        "INSERT INTO inspection_answers (order_id, asset_id, item, answer, note, photos, answered_by, answered_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id, asset_id, item) DO UPDATE SET \
         answer = excluded.answer, note = excluded.note, photos = excluded.photos, answered_by = excluded.answered_by, \
         answered_at = excluded.answered_at",
    )
    .bind(order_id)
    .bind(asset)
    .bind(item.clone())
    .bind(kind.as_str())
    .bind(note.clone())
    .bind(json!(photos).to_string())
    .bind(actor.audit_id())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    // The order moves on when its walk starts, as work on any order does.
    let started = if order.assignee_id.is_some() || order.team_id.is_some() {
        sqlx::query(
            "UPDATE orders SET state = 'in_progress', version = version + 1, updated_at = $1 \
             WHERE id = $2 AND state IN ('new', 'assigned')",
        )
        .bind(now_ms())
        .bind(order_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    } else {
        0
    };
    if started > 0 {
        orders::record_event(
            &mut tx,
            actor,
            order_id,
            "start",
            true,
            "",
            json!({"from": order.state.as_str(), "to": "in_progress"}),
        )
        .await?;
    }
    if kind == Answer::Issue {
        orders::record_event(
            &mut tx,
            actor,
            order_id,
            "inspection_issue",
            true,
            &note,
            json!({"asset_id": a.asset_id, "item": item}),
        )
        .await?;
    }
    tx.commit().await?;
    get(store, actor, order_id).await
}

/// An issue raised as its own service order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewFollowUp {
    /// The issue's asset; leave out for an item checked once per visit.
    pub asset_id: Option<i64>,
    pub item: String,
    /// Default: the item and the asset's tag.
    #[serde(default)]
    pub subject: Option<String>,
    /// Default medium.
    #[schema(value_type = Option<String>)]
    pub urgency: Option<Level>,
    /// Default medium.
    #[schema(value_type = Option<String>)]
    pub impact: Option<Level>,
}

/// Raises a follow-up service order from an issue: one transaction opens the order (on the
/// client's contract, with its SLA clocks, about the asset), links it as a follow-up of the
/// inspection (both ways) and records it on the answer.
pub async fn follow_up(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    f: &NewFollowUp,
) -> Result<orders::Order> {
    let inspection = get(store, actor, order_id).await?;
    let order = orders::get(store, actor, order_id).await?;
    orders::require(store, actor, &order, OrderAction::Inspect).await?;
    let asset = f.asset_id.unwrap_or(VISIT);
    let item = f.item.trim();
    let Some(ans) = inspection
        .answers
        .iter()
        .find(|a| a.asset_id.unwrap_or(VISIT) == asset && a.item == item)
    else {
        return Err(StoreError::invalid(
            "item",
            "record the issue on the checklist first",
        ));
    };
    if ans.answer != "issue" {
        return Err(StoreError::invalid("item", "only an issue is followed up"));
    }
    if ans.follow_up_order_id.is_some() {
        return Err(StoreError::invalid(
            "item",
            "a follow-up order was already raised from this issue",
        ));
    }
    let text_of = inspection
        .checklist
        .items()
        .find(|i| i.key == item)
        .map(|i| i.text.clone())
        .unwrap_or_else(|| item.to_owned());
    let tag = inspection
        .assets
        .iter()
        .find(|a| a.id == asset)
        .map(|a| a.tag.clone());
    let subject = match f
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => s.to_owned(),
        None => match &tag {
            Some(t) => format!("巡检发现 {text_of} · {t}"),
            None => format!("巡检发现 {text_of}"),
        },
    };
    let subject: String = subject.chars().take(200).collect();
    let new = NewOrder {
        client_org_id: Some(order.client_org_id),
        requester_id: None,
        requester_name: Some(actor.display_name.clone()),
        requester_phone: String::new(),
        site: order.site.clone(),
        channel: Some("phone".into()),
        category: order.category.clone(),
        urgency: f.urgency.unwrap_or(Level::Medium),
        impact: f.impact.unwrap_or(Level::Medium),
        subject,
        description: format!(
            "{} {} — {}\n{}",
            order.number,
            text_of,
            ans.note,
            tag.unwrap_or_default()
        ),
        service_mode: Some("on_site".into()),
        asset_id: (asset != VISIT).then_some(asset),
        catalog_item_id: None,
    };
    let prepared = orders::prepare(store, actor, &new).await?;
    let mut tx = store.pool.begin().await?;
    let fid = orders::write(&mut tx, store.backend(), &prepared).await?;
    // Claimed only if still unraised: a second tap cannot raise a second order.
    let n = sqlx::query(
        "UPDATE inspection_answers SET follow_up_order_id = $1 WHERE order_id = $2 AND asset_id = $3 \
         AND item = $4 AND follow_up_order_id IS NULL AND answer = 'issue'",
    )
    .bind(fid)
    .bind(order_id)
    .bind(asset)
    .bind(item.to_owned())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::invalid(
            "item",
            "a follow-up order was already raised from this issue",
        ));
    }
    let number: String = sqlx::query_scalar("SELECT number FROM orders WHERE id = $1")
        .bind(fid)
        .fetch_one(&mut *tx)
        .await?;
    orders::write_link(
        &mut tx,
        actor,
        (fid, &number),
        (order.id, &order.number),
        LinkKind::FollowUpOf,
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order.id,
        "follow_up",
        json!({"follow_up": number, "item": item, "asset_id": f.asset_id}),
    )
    .await?;
    tx.commit().await?;
    orders::read(store, actor, fid).await
}

// ---- overdue --------------------------------------------------------------------------------

/// Flags inspections not done by the end of their day, once each: the dispatchers, the
/// assigned engineer and the client's administrators are told (a promise missed, not a silent
/// gap). Returns how many were flagged. Safe on several instances (`SKIP LOCKED`).
pub async fn flag_overdue(store: &Store, now: Option<i64>) -> Result<u64> {
    let now = now.unwrap_or_else(now_ms);
    let mut tx = store.pool.begin().await?;
    let lock = if store.backend() == Backend::Postgres {
        " FOR UPDATE OF i SKIP LOCKED"
    } else {
        sqlx::query("UPDATE inspections SET overdue_notified = overdue_notified WHERE 1 = 0")
            .execute(&mut *tx)
            .await?;
        ""
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT i.order_id, i.client_org_id, i.due_on, o.number, o.assignee_id FROM inspections i \
         JOIN orders o ON o.id = i.order_id WHERE i.overdue_notified = 0 AND i.superseded = 0 \
         AND i.due_end_at <= $1 AND o.state IN {OPEN} ORDER BY i.due_end_at LIMIT 500{lock}"
    )))
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let mut flagged = 0;
    for r in &rows {
        let order_id: i64 = r.try_get("order_id")?;
        let client: i64 = r.try_get("client_org_id")?;
        let number: String = r.try_get("number")?;
        let due: String = r.try_get("due_on")?;
        let assignee: Option<i64> = r.try_get("assignee_id")?;
        let body = format!("巡检逾期 Inspection overdue: {number} ({due})");
        sqlx::query(
            "INSERT INTO notifications (user_id, order_id, kind, body, created_at) \
             SELECT id, $1, 'inspection_overdue', $2, $3 FROM users WHERE active = 1 AND \
             ((role = 'dispatcher') OR (org_id = $4 AND role = 'client_admin') OR id = $5)",
        )
        .bind(order_id)
        .bind(body.clone())
        .bind(now)
        .bind(client)
        .bind(assignee.unwrap_or(-1))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE inspections SET overdue_notified = 1 WHERE order_id = $1")
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        orders::record_event(
            &mut tx,
            &Actor::system(0),
            order_id,
            "inspection_overdue",
            true,
            &body,
            json!({"due_on": due}),
        )
        .await?;
        flagged += 1;
    }
    tx.commit().await?;
    Ok(flagged)
}

// ---- the month ------------------------------------------------------------------------------

/// A client's month of preventive maintenance, for the service-level report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MonthSummary {
    pub month: String,
    /// Inspections planned in the month (not cancelled).
    pub planned: i64,
    pub done: i64,
    /// Not done by the end of their day.
    pub overdue: i64,
    /// Planned and still ahead.
    pub upcoming: i64,
    /// Items answered "issue" on the month's inspections.
    pub issues: i64,
    /// Follow-up orders raised from them.
    pub follow_ups: i64,
    /// Assets under contract that no done inspection ever covered, up to the month's end.
    pub never_inspected: i64,
    /// Up to 20 of their tags.
    pub never_inspected_tags: Vec<String>,
    pub inspections: Vec<InspectionRow>,
}

/// The month summary of one client (`first..=last` local days of the month, `[start, end)` ms).
pub async fn month_summary(
    store: &Store,
    client: i64,
    month: &str,
    start: i64,
    end: i64,
) -> Result<MonthSummary> {
    let now = now_ms();
    // The month's inspections: counted in full, listed up to MAX_LISTED.
    const OF_MONTH: &str = "FROM inspections i JOIN orders o ON o.id = i.order_id WHERE i.client_org_id = $1 \
         AND i.superseded = 0 AND o.state NOT IN ('cancelled', 'refused') \
         AND i.window_start_at >= $2 AND i.window_start_at < $3";
    let c = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) AS planned, \
         COALESCE(sum(CASE WHEN o.state IN {DONE} THEN 1 ELSE 0 END), 0) AS done, \
         COALESCE(sum(CASE WHEN o.state IN {OPEN} AND i.due_end_at <= $4 THEN 1 ELSE 0 END), 0) AS overdue \
         {OF_MONTH}"
    )))
    .bind(client)
    .bind(start)
    .bind(end)
    .bind(now)
    .fetch_one(&store.pool)
    .await?;
    let mut s = MonthSummary {
        month: month.to_owned(),
        planned: c.try_get("planned")?,
        done: c.try_get("done")?,
        overdue: c.try_get("overdue")?,
        ..Default::default()
    };
    s.upcoming = s.planned - s.done - s.overdue;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{ROW_SELECT} WHERE i.client_org_id = $1 AND i.superseded = 0 AND o.state NOT IN ('cancelled', 'refused') \
         AND i.window_start_at >= $2 AND i.window_start_at < $3 ORDER BY i.window_start_at, i.order_id LIMIT $4"
    )))
    .bind(client)
    .bind(start)
    .bind(end)
    .bind(MAX_LISTED)
    .fetch_all(&store.pool)
    .await?;
    let inspections: Vec<InspectionRow> =
        rows.iter().map(|r| row(r, now)).collect::<Result<_>>()?;
    let counts = sqlx::query(
        "SELECT count(*) AS issues, count(a.follow_up_order_id) AS follow_ups FROM inspection_answers a \
         JOIN inspections i ON i.order_id = a.order_id JOIN orders o ON o.id = a.order_id \
         WHERE a.answer = 'issue' AND i.client_org_id = $1 AND i.superseded = 0 \
         AND o.state NOT IN ('cancelled', 'refused') AND i.window_start_at >= $2 AND i.window_start_at < $3",
    )
    .bind(client)
    .bind(start)
    .bind(end)
    .fetch_one(&store.pool)
    .await?;
    s.issues = counts.try_get("issues")?;
    s.follow_ups = counts.try_get("follow_ups")?;
    let never = "FROM assets a WHERE a.client_org_id = $1 AND a.status <> 'retired' AND a.under_contract = 1 \
         AND a.created_at < $2 AND NOT EXISTS (SELECT 1 FROM inspection_assets x \
         JOIN inspections i ON i.order_id = x.order_id JOIN orders o ON o.id = x.order_id \
         WHERE x.asset_id = a.id AND o.state IN ('resolved', 'closed') AND i.window_start_at < $2)";
    s.never_inspected = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) {never}")))
        .bind(client)
        .bind(end)
        .fetch_one(&store.pool)
        .await?;
    s.never_inspected_tags = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT a.tag {never} ORDER BY a.tag LIMIT 20"
    )))
    .bind(client)
    .bind(end)
    .fetch_all(&store.pool)
    .await?;
    s.inspections = inspections;
    Ok(s)
}

/// The findings of one inspection per asset, for its report: (asset tag or "" for the visit,
/// item text, answer, note, follow-up number).
pub fn findings(i: &Inspection) -> Vec<(String, String, String, String, String)> {
    let tags: HashMap<i64, &str> = i.assets.iter().map(|a| (a.id, a.tag.as_str())).collect();
    let texts: HashMap<&str, &str> = i
        .checklist
        .items()
        .map(|it| (it.key.as_str(), it.text.as_str()))
        .collect();
    walk::slots(
        &i.checklist,
        &i.assets.iter().map(|a| a.id).collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|s| {
        let a = i
            .answers
            .iter()
            .find(|a| a.asset_id.unwrap_or(VISIT) == s.asset_id && a.item == s.item.key);
        (
            tags.get(&s.asset_id)
                .map(|t| (*t).to_owned())
                .unwrap_or_default(),
            texts
                .get(s.item.key.as_str())
                .map(|t| (*t).to_owned())
                .unwrap_or_default(),
            a.map(|a| a.answer.clone()).unwrap_or_default(),
            a.map(|a| a.note.clone()).unwrap_or_default(),
            a.and_then(|a| a.follow_up_number.clone())
                .unwrap_or_default(),
        )
    })
    .collect()
}

/// A client's month of inspections (`YYYY-MM`, the provider's zone), for provider staff and the
/// client's administrator.
pub async fn month(
    store: &Store,
    actor: &Actor,
    client: Option<i64>,
    month: Option<&str>,
) -> Result<MonthSummary> {
    if actor.role == weihu_domain::role::Role::ClientUser {
        return Err(StoreError::Forbidden(
            "inspections are shown to the client's administrator",
        ));
    }
    let client = match (actor.client_scope(), client) {
        (Some(own), Some(c)) if c != own => return Err(StoreError::NotFound),
        (Some(own), _) => own,
        (None, Some(c)) => c,
        (None, None) => return Err(StoreError::invalid("client_org_id", "is required")),
    };
    let ym = match month {
        Some(m) => crate::statements::parse_month("month", m)?,
        None => weihu_domain::billing::YearMonth::of(plans::today(store)),
    };
    let (start, end, _, _) = crate::statements::activity::month_bounds(ym, store.time_zone())?;
    month_summary(store, client, &ym.to_string(), start, end).await
}

/// Runs the generation of one plan now (after an edit, without waiting for the job).
pub async fn generate_now(store: &Store, actor: &Actor, plan_id: i64) -> Result<GenerationRun> {
    plans::get(store, actor, plan_id).await?;
    if !actor.role.can_plan_maintenance() {
        return Err(StoreError::Forbidden(
            "administrators, dispatchers and service-level managers plan maintenance",
        ));
    }
    generate_plan(store, plan_id, plans::today(store)).await
}
