//! An order's SLA clocks: started from the policy at creation, paused while the order waits for
//! the client, stopped at response and resolution, and re-evaluated by a background job that
//! raises the at-risk and breach notifications once each.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use weihu_domain::calendar::Calendar;
use weihu_domain::priority::Priority;
use weihu_domain::sla::{
    self, ClockChange, ClockEnd, ClockKind, ClockNow, ClockSpec, ClockState, Due, Pause, SlaPolicy,
    Target, apply_change,
};

use crate::calendars::{self, StoredPolicy};
use crate::sql::SqlBuf;
use crate::{Backend, Result, Store, StoreError, instant, now_ms};

/// A clock as shown on an order: the deadline (moved by pauses) and the timer (time used).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// `response`, `arrival` or `resolution`.
    pub kind: String,
    pub calendar: String,
    /// `business` or `wall_clock`.
    pub target_kind: String,
    pub target_minutes: i64,
    /// running, paused, met, breached, or stopped (the order ended without meeting it).
    pub state: String,
    pub at_risk: bool,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<jiff::Timestamp>,
    /// The due instant; none while paused before the target is reached.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<jiff::Timestamp>,
    pub used_minutes: i64,
    pub remaining_minutes: i64,
    pub percent_used: u32,
    /// For a breached clock: why, from the short list of [`weihu_domain::sla::BreachReason`]
    /// (empty until someone says), and a note.
    pub breach_reason: String,
    pub breach_note: String,
}

/// The stored policy an order runs on, by id.
pub(crate) async fn order_policy(
    store: &Store,
    id: Option<i64>,
) -> Result<Option<(StoredPolicy, SlaPolicy)>> {
    let Some(id) = id else { return Ok(None) };
    let stored = calendars::get_policy(store, &crate::Actor::system(0), id).await?;
    let policy = calendars::domain_policy(&stored)?;
    Ok(Some((stored, policy)))
}

/// The policy an existing order runs on: the version it started under, never the policy's
/// current one (a revision applies to new orders only). An order from before versions were
/// recorded (no `policy_version`) falls back to the current version.
pub(crate) async fn order_policy_version(
    store: &Store,
    id: Option<i64>,
    version: Option<i64>,
) -> Result<Option<Arc<SlaPolicy>>> {
    let Some(id) = id else { return Ok(None) };
    let Some(number) = version else {
        return Ok(order_policy(store, Some(id))
            .await?
            .map(|(_, p)| Arc::new(p)));
    };
    Ok(Some(policy_version(store, id, number).await?))
}

/// Version `number` of policy `id`, parsed once per process (versions are never rewritten).
pub(crate) async fn policy_version(store: &Store, id: i64, number: i64) -> Result<Arc<SlaPolicy>> {
    if let Some(p) = store.rules.policy(id, number) {
        return Ok(p);
    }
    let definition: Option<String> = sqlx::query_scalar(
        "SELECT definition FROM sla_policy_versions WHERE policy_id = $1 AND number = $2",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(&store.pool)
    .await?;
    let definition = definition
        .ok_or_else(|| StoreError::Format(format!("SLA policy {id} has no version {number}")))?;
    let policy: Arc<SlaPolicy> =
        Arc::new(serde_json::from_str(&definition).map_err(|e| StoreError::Format(e.to_string()))?);
    store.rules.put_policy(id, number, policy.clone());
    Ok(policy)
}

fn ts(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Format(e.to_string()))
}

fn target_of(kind: &str, minutes: i64) -> Target {
    if kind == "wall_clock" {
        Target::wall_clock(minutes)
    } else {
        Target::business(minutes)
    }
}

/// Calendars by name, loaded before a transaction opens: a transaction must never wait for a
/// second pooled connection, or concurrent writers could starve the pool.
pub(crate) struct Calendars {
    cache: HashMap<String, Arc<Calendar>>,
}

impl Calendars {
    /// The calendars named `names`: one read for which stored calendar (and version) carries each
    /// name, the parsed calendars from the process's cache ([`crate::rule_cache`]); a name no
    /// stored calendar carries is a built-in preset.
    pub(crate) async fn load(store: &Store, mut names: Vec<String>) -> Result<Calendars> {
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Ok(Calendars {
                cache: HashMap::new(),
            });
        }
        let mut w = SqlBuf::new("SELECT name, id, version FROM calendars WHERE name IN ");
        w.bind_list(&names);
        let mut stored = HashMap::new();
        for r in w.query().fetch_all(&store.pool).await? {
            stored.insert(
                r.try_get::<String, _>("name")?,
                (r.try_get::<i64, _>("id")?, r.try_get::<i64, _>("version")?),
            );
        }
        Calendars::resolve(store, &names, &stored).await
    }

    /// The calendars named `names`, given which stored calendar (id, version) carries each name
    /// (a name missing from `stored` is a preset, or read by name).
    pub(crate) async fn resolve(
        store: &Store,
        names: &[String],
        stored: &HashMap<String, (i64, i64)>,
    ) -> Result<Calendars> {
        let mut cache = HashMap::with_capacity(names.len());
        for name in names {
            if cache.contains_key(name) {
                continue;
            }
            let cal = match stored.get(name) {
                Some(&(id, version)) => calendars::by_version(store, id, version).await?,
                None => match store.rules.preset(name) {
                    Some(preset) => preset,
                    // Not among the names the caller looked up (see `intake`): read by name.
                    None => calendars::by_name(store, name)
                        .await?
                        .ok_or_else(|| StoreError::Format(format!("calendar {name} is gone")))?,
                },
            };
            cache.insert(name.clone(), cal);
        }
        Ok(Calendars { cache })
    }

    fn get(&self, name: &str) -> Result<&Calendar> {
        self.cache
            .get(name)
            .map(Arc::as_ref)
            .ok_or_else(|| StoreError::Format(format!("calendar {name} was not loaded")))
    }
}

/// When a clock next needs a look: at the at-risk threshold, then at the due instant.
fn next_check(cal: &Calendar, spec: &ClockSpec, at_risk_notified: bool) -> Option<i64> {
    let due = match spec.target.due(cal, spec.start, &spec.pauses).ok()? {
        Due::At { due } => due,
        Due::Suspended { .. } => return None,
    };
    if at_risk_notified {
        return Some(due.as_millisecond());
    }
    let minutes = spec.target.minutes() * i64::from(spec.at_risk_percent) / 100;
    let risk_target = target_of(
        if matches!(spec.target, Target::WallClock { .. }) {
            "wall_clock"
        } else {
            "business"
        },
        minutes.max(1),
    );
    match risk_target.due(cal, spec.start, &spec.pauses).ok()? {
        Due::At { due } => Some(due.as_millisecond()),
        Due::Suspended { .. } => None,
    }
}

/// Creates the response and resolution clocks of a new order (arrival starts with a visit).
pub(crate) async fn start(
    cals: &Calendars,
    conn: &mut AnyConnection,
    order_id: i64,
    policy: &SlaPolicy,
    priority: Priority,
    now: i64,
) -> Result<()> {
    let targets = policy.targets_for(priority);
    for kind in [ClockKind::Response, ClockKind::Resolution] {
        insert_clock(cals, conn, order_id, kind, targets, now).await?;
    }
    Ok(())
}

/// Starts the arrival clock when the first on-site visit is decided (SPEC §4: from the decision
/// to the engineer's check-in). A later visit does not restart it.
pub(crate) async fn start_arrival(
    cals: &Calendars,
    conn: &mut AnyConnection,
    order_id: i64,
    policy: &SlaPolicy,
    priority: Priority,
    now: i64,
) -> Result<()> {
    let exists: i64 =
        sqlx::query_scalar("SELECT count(*) FROM order_clocks WHERE order_id = $1 AND kind = $2")
            .bind(order_id)
            .bind(ClockKind::Arrival.as_str())
            .fetch_one(&mut *conn)
            .await?;
    if exists > 0 {
        return Ok(());
    }
    let targets = policy.targets_for(priority);
    insert_clock(cals, conn, order_id, ClockKind::Arrival, targets, now).await
}

/// The columns of a new running clock (after `order_id` and `client_org_id`), in
/// [`NEW_CLOCK_COLUMNS`] order.
pub(crate) struct NewClock {
    kind: &'static str,
    calendar: String,
    target_kind: &'static str,
    target_minutes: i64,
    at_risk_percent: i64,
    started_at: i64,
    due_at: Option<i64>,
    next_check_at: Option<i64>,
}

/// The columns a new clock is inserted with.
pub(crate) const NEW_CLOCK_COLUMNS: &str = "order_id, client_org_id, kind, calendar, target_kind, target_minutes, \
     at_risk_percent, started_at, due_at, state, next_check_at";

impl NewClock {
    /// One running clock of `kind` from `now`, with its cached due and first check time.
    pub(crate) fn new(
        cals: &Calendars,
        kind: ClockKind,
        targets: &weihu_domain::sla::PriorityTargets,
        now: i64,
    ) -> Result<NewClock> {
        let target = targets.target(kind);
        let cal = cals.get(&targets.calendar)?;
        let spec = ClockSpec {
            start: ts(now)?,
            target,
            pauses: Vec::new(),
            stopped_at: None,
            at_risk_percent: targets.at_risk_percent,
        };
        let due = match target.due(cal, spec.start, &[]) {
            Ok(Due::At { due }) => Some(due.as_millisecond()),
            _ => None,
        };
        let (target_kind, minutes) = match target {
            Target::Business { minutes } => ("business", minutes),
            Target::WallClock { minutes } => ("wall_clock", minutes),
        };
        Ok(NewClock {
            kind: kind.as_str(),
            calendar: targets.calendar.clone(),
            target_kind,
            target_minutes: minutes,
            at_risk_percent: i64::from(targets.at_risk_percent),
            started_at: now,
            due_at: due,
            next_check_at: next_check(cal, &spec, false),
        })
    }

    /// The two clocks every new order on a policy starts with.
    pub(crate) fn for_new_order(
        cals: &Calendars,
        policy: &SlaPolicy,
        priority: Priority,
        now: i64,
    ) -> Result<[NewClock; 2]> {
        let targets = policy.targets_for(priority);
        Ok([
            NewClock::new(cals, ClockKind::Response, targets, now)?,
            NewClock::new(cals, ClockKind::Resolution, targets, now)?,
        ])
    }

    /// Appends `(…)` with this clock's values for the order `order_id` of `client_org_id`
    /// (None: read from the order).
    pub(crate) fn push_values(&self, order_id: i64, client_org_id: Option<i64>, w: &mut SqlBuf) {
        w.push("(").bind(order_id).push(", ");
        match client_org_id {
            Some(c) => w.bind(c),
            None => w
                .push("(SELECT client_org_id FROM orders WHERE id = ")
                .bind(order_id)
                .push(")"),
        };
        w.push(", ")
            .bind(self.kind)
            .push(", ")
            .bind(self.calendar.clone())
            .push(", ")
            .bind(self.target_kind)
            .push(", ")
            .bind(self.target_minutes)
            .push(", ")
            .bind(self.at_risk_percent)
            .push(", ")
            .bind(self.started_at)
            .push(", ")
            .bind(self.due_at)
            .push(", 'running', ")
            .bind(self.next_check_at)
            .push(")");
    }
}

/// One running clock from `now`, with its cached due and first check time.
async fn insert_clock(
    cals: &Calendars,
    conn: &mut AnyConnection,
    order_id: i64,
    kind: ClockKind,
    targets: &weihu_domain::sla::PriorityTargets,
    now: i64,
) -> Result<()> {
    let clock = NewClock::new(cals, kind, targets, now)?;
    let mut w = SqlBuf::new(&format!(
        "INSERT INTO order_clocks ({NEW_CLOCK_COLUMNS}) VALUES "
    ));
    clock.push_values(order_id, None, &mut w);
    w.query().execute(&mut *conn).await?;
    Ok(())
}

/// A priority change (issue #13): every clock of the order that still runs takes the target of
/// the new priority under the same policy version, counted from the order's start with its
/// pauses; clocks that stopped keep what they were judged against. Returns each changed clock as
/// (kind, minutes before, minutes after).
pub(crate) async fn retarget(
    cals: &Calendars,
    conn: &mut AnyConnection,
    order_id: i64,
    policy: &SlaPolicy,
    priority: Priority,
    now: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CLOCK_COLUMNS} FROM order_clocks WHERE order_id = $1 AND stopped_at IS NULL ORDER BY id"
    )))
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let clocks = rows.iter().map(clock_row).collect::<Result<Vec<_>>>()?;
    let ids: Vec<i64> = clocks.iter().map(|c| c.id).collect();
    let mut pauses = pauses_of(conn, &ids).await?;
    let targets = policy.targets_for(priority);
    let cal = cals.get(&targets.calendar)?;
    let mut changed = Vec::new();
    for c in clocks {
        let Some(kind) = ClockKind::parse(&c.kind) else {
            return Err(StoreError::Corrupt {
                what: "clock kind",
                value: c.kind,
            });
        };
        let target = targets.target(kind);
        let (target_kind, minutes) = match target {
            Target::Business { minutes } => ("business", minutes),
            Target::WallClock { minutes } => ("wall_clock", minutes),
        };
        if target_kind == c.target_kind
            && minutes == c.target_minutes
            && targets.calendar == c.calendar
        {
            continue;
        }
        let spec = ClockSpec {
            start: ts(c.started_at)?,
            target,
            pauses: pauses.remove(&c.id).unwrap_or_default(),
            stopped_at: None,
            at_risk_percent: targets.at_risk_percent,
        };
        let due = match target.due(cal, spec.start, &spec.pauses) {
            Ok(Due::At { due }) => Some(due.as_millisecond()),
            _ => None,
        };
        // A new target is judged afresh: the clock job looks at it at once, and the at-risk
        // and breach notices may come again.
        sqlx::query(
            "UPDATE order_clocks SET target_kind = $1, target_minutes = $2, calendar = $3, \
             at_risk_percent = $4, due_at = $5, next_check_at = $6, \
             at_risk_notified = 0, breach_notified = 0 WHERE id = $7",
        )
        .bind(target_kind)
        .bind(minutes)
        .bind(targets.calendar.clone())
        .bind(i64::from(targets.at_risk_percent))
        .bind(due)
        .bind(now)
        .bind(c.id)
        .execute(&mut *conn)
        .await?;
        changed.push((c.kind, c.target_minutes, minutes));
    }
    Ok(changed)
}

struct ClockRow {
    id: i64,
    order_id: i64,
    kind: String,
    calendar: String,
    target_kind: String,
    target_minutes: i64,
    at_risk_percent: i64,
    started_at: i64,
    stopped_at: Option<i64>,
    state: String,
    at_risk_notified: bool,
    breach_notified: bool,
    breach_reason: String,
    breach_note: String,
}

const CLOCK_COLUMNS: &str = "id, order_id, kind, calendar, target_kind, target_minutes, at_risk_percent, started_at, \
     stopped_at, state, at_risk_notified, breach_notified, breach_reason, breach_note";

fn clock_row(r: &sqlx::any::AnyRow) -> Result<ClockRow> {
    Ok(ClockRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        kind: r.try_get("kind")?,
        calendar: r.try_get("calendar")?,
        target_kind: r.try_get("target_kind")?,
        target_minutes: r.try_get("target_minutes")?,
        at_risk_percent: r.try_get("at_risk_percent")?,
        started_at: r.try_get("started_at")?,
        stopped_at: r.try_get("stopped_at")?,
        state: r.try_get("state")?,
        at_risk_notified: r.try_get::<i64, _>("at_risk_notified")? != 0,
        breach_notified: r.try_get::<i64, _>("breach_notified")? != 0,
        breach_reason: r
            .try_get::<Option<String>, _>("breach_reason")?
            .unwrap_or_default(),
        breach_note: r
            .try_get::<Option<String>, _>("breach_note")?
            .unwrap_or_default(),
    })
}

fn spec_of(c: &ClockRow, pauses: &[Pause]) -> Result<ClockSpec> {
    Ok(ClockSpec {
        start: ts(c.started_at)?,
        target: target_of(&c.target_kind, c.target_minutes),
        pauses: pauses.to_vec(),
        stopped_at: c.stopped_at.map(ts).transpose()?,
        at_risk_percent: u32::try_from(c.at_risk_percent).unwrap_or(80),
    })
}

async fn pauses_of(
    conn: &mut AnyConnection,
    clock_ids: &[i64],
) -> Result<HashMap<i64, Vec<Pause>>> {
    let mut out: HashMap<i64, Vec<Pause>> = HashMap::new();
    if clock_ids.is_empty() {
        return Ok(out);
    }
    let list = clock_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT clock_id, started_at, ended_at FROM order_clock_pauses WHERE clock_id IN ({list}) ORDER BY started_at"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let pause = pause_of(r.try_get("started_at")?, r.try_get("ended_at")?)?;
        out.entry(r.try_get("clock_id")?).or_default().push(pause);
    }
    Ok(out)
}

/// A stored pause: from `start`, ended at `end` or still running.
fn pause_of(start: i64, end: Option<i64>) -> Result<Pause> {
    let start = ts(start)?;
    Ok(match end {
        Some(e) => Pause::closed(start, ts(e)?),
        None => Pause::open(start),
    })
}

/// The evaluated clocks of some orders, keyed by order id, read from the primary (an order
/// read alone: its row came from there too).
pub(crate) async fn views(
    store: &Store,
    order_ids: &[i64],
) -> Result<HashMap<i64, Vec<ClockView>>> {
    views_from(store, &store.pool, order_ids).await
}

/// [`views`] for a list, from where lists read ([`Store::reader`]).
pub(crate) async fn views_for_list(
    store: &Store,
    order_ids: &[i64],
) -> Result<HashMap<i64, Vec<ClockView>>> {
    views_from(store, store.reader(), order_ids).await
}

async fn views_from(
    store: &Store,
    pool: &sqlx::AnyPool,
    order_ids: &[i64],
) -> Result<HashMap<i64, Vec<ClockView>>> {
    let mut out: HashMap<i64, Vec<ClockView>> = HashMap::new();
    if order_ids.is_empty() {
        return Ok(out);
    }
    let list = order_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    // One read for the clocks, their pauses (one row each) and which stored calendar carries
    // each clock's calendar name (the parsed calendars come from the process's cache).
    let columns: Vec<String> = CLOCK_COLUMNS
        .split(", ")
        .map(|c| format!("k.{c}"))
        .collect();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {}, cal.id AS calendar_id, cal.version AS calendar_version, \
         p.started_at AS pause_start, p.ended_at AS pause_end \
         FROM order_clocks k LEFT JOIN calendars cal ON cal.name = k.calendar \
         LEFT JOIN order_clock_pauses p ON p.clock_id = k.id \
         WHERE k.order_id IN ({list}) ORDER BY k.order_id, k.id, p.started_at",
        columns.join(", ")
    )))
    .fetch_all(pool)
    .await?;
    let mut clocks: Vec<ClockRow> = Vec::new();
    let mut pauses: HashMap<i64, Vec<Pause>> = HashMap::new();
    let mut stored: HashMap<String, (i64, i64)> = HashMap::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        if clocks.last().is_none_or(|c| c.id != id) {
            let c = clock_row(r)?;
            if let Some(cal) = r.try_get::<Option<i64>, _>("calendar_id")? {
                stored.insert(c.calendar.clone(), (cal, r.try_get("calendar_version")?));
            }
            clocks.push(c);
        }
        if let Some(start) = r.try_get::<Option<i64>, _>("pause_start")? {
            let pause = pause_of(start, r.try_get("pause_end")?)?;
            pauses.entry(id).or_default().push(pause);
        }
    }
    let names: Vec<String> = clocks.iter().map(|c| c.calendar.clone()).collect();
    let cals = Calendars::resolve(store, &names, &stored).await?;
    let now = Timestamp::now();
    for c in clocks {
        let cal = cals.get(&c.calendar)?;
        let p = pauses.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        out.entry(c.order_id)
            .or_default()
            .push(view_of(c, p, cal, now)?);
    }
    Ok(out)
}

/// The views of a new order's clocks, as [`views`] would read them back at `now`.
pub(crate) fn new_views(
    cals: &Calendars,
    clocks: &[NewClock],
    now: Timestamp,
) -> Result<Vec<ClockView>> {
    clocks
        .iter()
        .map(|c| {
            let row = ClockRow {
                id: 0,
                order_id: 0,
                kind: c.kind.to_owned(),
                calendar: c.calendar.clone(),
                target_kind: c.target_kind.to_owned(),
                target_minutes: c.target_minutes,
                at_risk_percent: c.at_risk_percent,
                started_at: c.started_at,
                stopped_at: None,
                state: "running".to_owned(),
                at_risk_notified: false,
                breach_notified: false,
                breach_reason: String::new(),
                breach_note: String::new(),
            };
            view_of(row, &[], cals.get(&c.calendar)?, now)
        })
        .collect()
}

/// One clock as shown, evaluated at `now`.
fn view_of(c: ClockRow, pauses: &[Pause], cal: &Calendar, now: Timestamp) -> Result<ClockView> {
    let spec = spec_of(&c, pauses)?;
    let status = sla::evaluate(cal, &spec, now).map_err(|e| StoreError::Format(e.to_string()))?;
    let state = if c.state == "stopped" {
        "stopped".to_owned()
    } else {
        match status.state {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
        }
        .to_owned()
    };
    // The share is taken from the whole minutes shown beside it: "0 / 48 min" must not read
    // "2 %" because 59 seconds have passed.
    let used_minutes = status.timer.used.as_secs() / 60;
    let percent_used = if c.target_minutes > 0 {
        u32::try_from(used_minutes.max(0).saturating_mul(100) / c.target_minutes)
            .unwrap_or(u32::MAX)
    } else {
        status.timer.percent_used
    };
    Ok(ClockView {
        kind: c.kind,
        calendar: c.calendar,
        target_kind: c.target_kind,
        target_minutes: c.target_minutes,
        at_risk: status.at_risk && c.stopped_at.is_none(),
        state,
        started_at: instant(c.started_at),
        stopped_at: c.stopped_at.map(instant),
        due_at: status.deadline.due,
        used_minutes,
        remaining_minutes: status.timer.remaining.as_secs() / 60,
        percent_used,
        breach_reason: c.breach_reason,
        breach_note: c.breach_note,
    })
}

/// Applies `change` to the order's clock `kind`, if it has one, and refreshes its cached due.
pub(crate) async fn change(
    cals: &Calendars,
    conn: &mut AnyConnection,
    order_id: i64,
    kind: ClockKind,
    change: ClockChange,
    now: i64,
) -> Result<()> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CLOCK_COLUMNS} FROM order_clocks WHERE order_id = $1 AND kind = $2"
    )))
    .bind(order_id)
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let c = clock_row(&row)?;
    let open_pause: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM order_clock_pauses WHERE clock_id = $1 AND ended_at IS NULL",
    )
    .bind(c.id)
    .fetch_optional(&mut *conn)
    .await?;
    let running = c.stopped_at.is_none();
    // What to write comes from the domain's rules; the store only loads and saves.
    let effect = apply_change(
        change,
        ClockNow {
            running,
            paused: open_pause.is_some(),
        },
    );
    if effect.open_pause {
        sqlx::query("INSERT INTO order_clock_pauses (clock_id, started_at) VALUES ($1, $2)")
            .bind(c.id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    if effect.end_pause {
        sqlx::query("UPDATE order_clock_pauses SET ended_at = $1 WHERE id = $2")
            .bind(now)
            .bind(open_pause)
            .execute(&mut *conn)
            .await?;
    }
    if effect.pause_since_stop {
        sqlx::query(
            "INSERT INTO order_clock_pauses (clock_id, started_at, ended_at) VALUES ($1, $2, $3)",
        )
        .bind(c.id)
        .bind(c.stopped_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    let (stopped_at, state) = match effect.end {
        ClockEnd::Done | ClockEnd::Stopped => (Some(now), effect.end.state().unwrap_or("done")),
        ClockEnd::Running => (None, "running"),
        ClockEnd::Unchanged => (c.stopped_at, c.state.as_str()),
    };
    let pauses = pauses_of(conn, &[c.id])
        .await?
        .remove(&c.id)
        .unwrap_or_default();
    let spec = ClockSpec {
        stopped_at: stopped_at.map(ts).transpose()?,
        ..spec_of(&c, &pauses)?
    };
    let cal = cals.get(&c.calendar)?;
    let due = match spec.target.due(cal, spec.start, &spec.pauses) {
        Ok(Due::At { due }) => Some(due.as_millisecond()),
        _ => None,
    };
    let next = if stopped_at.is_none() {
        next_check(cal, &spec, c.at_risk_notified)
    } else {
        None
    };
    // The outcome is recorded when the clock stops at its event, by the domain's evaluation at
    // that instant; a clock that runs again has none until it stops again.
    let outcome: Option<Option<&str>> = match effect.end {
        ClockEnd::Done => {
            let status = sla::evaluate(cal, &spec, ts(now)?)
                .map_err(|e| StoreError::Format(e.to_string()))?;
            Some(Some(if status.state == ClockState::Breached {
                "breached"
            } else {
                "met"
            }))
        }
        ClockEnd::Stopped | ClockEnd::Running => Some(None),
        ClockEnd::Unchanged => None,
    };
    sqlx::query(
        "UPDATE order_clocks SET stopped_at = $1, state = $2, due_at = $3, next_check_at = $4, \
         outcome = CASE WHEN $5 = 1 THEN $6 ELSE outcome END WHERE id = $7",
    )
    .bind(stopped_at)
    .bind(state.to_owned())
    .bind(due)
    .bind(next)
    .bind(i64::from(outcome.is_some()))
    .bind(outcome.flatten().map(str::to_owned))
    .bind(c.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The background job: every running clock whose check time has come is evaluated; an at-risk or
/// breached clock notifies the assignee and the dispatchers once. On PostgreSQL the rows are
/// claimed with `FOR UPDATE SKIP LOCKED`, so several app instances never notify twice.
/// Returns the number of notifications written.
pub async fn evaluate_due_clocks(store: &Store, now_ms_at: Option<i64>, batch: i64) -> Result<u64> {
    let now = now_ms_at.unwrap_or_else(now_ms);
    let names: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT calendar FROM order_clocks WHERE stopped_at IS NULL")
            .fetch_all(&store.pool)
            .await?;
    let cals = Calendars::load(store, names).await?;
    let mut tx = store.pool.begin().await?;
    let lock = if store.backend() == Backend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    if store.backend() == Backend::Sqlite {
        // Take SQLite's write lock first, so two processes cannot evaluate the same rows.
        sqlx::query("UPDATE order_counters SET last = last WHERE year = -1")
            .execute(&mut *tx)
            .await?;
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CLOCK_COLUMNS} FROM order_clocks WHERE stopped_at IS NULL AND next_check_at IS NOT NULL \
         AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2{lock}"
    )))
    .bind(now)
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    let clocks: Vec<ClockRow> = rows.iter().map(clock_row).collect::<Result<_>>()?;
    let pauses = pauses_of(&mut tx, &clocks.iter().map(|c| c.id).collect::<Vec<_>>()).await?;
    let mut written = 0;
    for c in clocks {
        let spec = spec_of(&c, pauses.get(&c.id).map(Vec::as_slice).unwrap_or(&[]))?;
        let cal = cals.get(&c.calendar)?;
        let status =
            sla::evaluate(cal, &spec, ts(now)?).map_err(|e| StoreError::Format(e.to_string()))?;
        let breached = status.state == ClockState::Breached;
        let mut at_risk_notified = c.at_risk_notified;
        let mut breach_notified = c.breach_notified;
        let mut event = None;
        if breached && !breach_notified {
            breach_notified = true;
            at_risk_notified = true;
            event = Some("breached");
        } else if status.at_risk && !at_risk_notified {
            at_risk_notified = true;
            event = Some("at_risk");
        }
        if let Some(kind) = event {
            written += super::workflow::notify_clock(&mut tx, c.order_id, &c.kind, kind).await?;
        }
        let next = if breach_notified {
            None
        } else {
            next_check(cal, &spec, at_risk_notified)
        };
        sqlx::query("UPDATE order_clocks SET at_risk_notified = $1, breach_notified = $2, next_check_at = $3 WHERE id = $4")
            .bind(i64::from(at_risk_notified))
            .bind(i64::from(breach_notified))
            .bind(next.filter(|n| *n > now).or(if breach_notified { None } else { Some(now + 60_000) }))
            .bind(c.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(written)
}
