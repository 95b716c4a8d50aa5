//! Maintenance plans on a contract (SPEC §8): which assets, which checklist, when (a rule on the
//! contract's calendar), who, and how far ahead the inspections exist. A plan change bumps its
//! version; the generation job then regenerates the untouched future inspections.

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::maintenance::walk::MAX_ASSETS;
use weihu_domain::maintenance::{MAX_RANGE_DAYS, Rule, Shift, dates};
use weihu_domain::role::Role;

use crate::contracts::{self, parse_date};
use crate::orders::text;
use crate::sql::{SqlBuf, like_pattern, like_prefix};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

/// Most asset types or tags one selector names.
pub const MAX_SELECTOR_TYPES: usize = 50;
/// The longest a plan generates ahead.
pub const MAX_AHEAD_DAYS: i64 = 366;

/// Which of the client's assets a plan inspects. Asset ids win when given; otherwise every asset
/// under contract (not retired) of the given types (all types when empty) whose location starts
/// with `site` (any when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssetSelector {
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub asset_ids: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: i64,
    pub contract_id: i64,
    pub contract_number: String,
    /// draft, active, terminating or ended: an ended contract's plan is no longer changed.
    pub contract_status: String,
    pub client_org_id: i64,
    pub client_name: String,
    pub name: String,
    pub template_id: i64,
    pub template_code: String,
    pub template_name: String,
    pub assets: AssetSelector,
    /// The schedule: an RRULE subset (`FREQ=MONTHLY;X-WORKDAY=2`).
    pub rule: String,
    /// What a date on a non-working day becomes: next, previous or none.
    pub shift: String,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    /// Local start of the visit window, `HH:MM`, in the contract calendar's zone.
    pub window_start: String,
    pub window_minutes: i64,
    /// How many days ahead inspections are generated.
    pub ahead_days: i64,
    pub starts_on: String,
    pub ends_on: String,
    pub active: bool,
    /// The day the generation job last ran for this plan.
    pub generated_on: Option<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewPlan {
    pub contract_id: i64,
    pub name: String,
    pub template_id: i64,
    #[serde(default)]
    pub assets: AssetSelector,
    pub rule: String,
    /// next (default), previous, none.
    pub shift: Option<String>,
    pub engineer_id: Option<i64>,
    pub team_id: Option<i64>,
    /// Default 09:00.
    pub window_start: Option<String>,
    /// Default 240.
    pub window_minutes: Option<i64>,
    /// Default 30.
    pub ahead_days: Option<i64>,
    /// Default: the contract's start, or today when that is past.
    pub starts_on: Option<String>,
    /// Default: the contract's end.
    pub ends_on: Option<String>,
}

/// A change to a plan; `version` is the one read (a stale version is refused).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanPatch {
    pub version: i64,
    pub name: Option<String>,
    pub template_id: Option<i64>,
    pub assets: Option<AssetSelector>,
    pub rule: Option<String>,
    pub shift: Option<String>,
    /// 0 clears.
    pub engineer_id: Option<i64>,
    /// 0 clears.
    pub team_id: Option<i64>,
    pub window_start: Option<String>,
    pub window_minutes: Option<i64>,
    pub ahead_days: Option<i64>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub client_org_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub active: Option<bool>,
}

const SELECT: &str = "SELECT p.id, p.contract_id, ct.number AS contract_number, ct.status AS contract_status, p.client_org_id, g.name AS client_name, \
     p.name, p.template_id, t.code AS template_code, t.name AS template_name, p.assets, p.rule, p.shift, \
     p.engineer_id, u.display_name AS engineer_name, p.team_id, tm.name AS team_name, p.window_start, \
     p.window_minutes, p.ahead_days, p.starts_on, p.ends_on, p.active, p.generated_on, p.version, \
     p.created_at, p.updated_at \
     FROM maintenance_plans p JOIN contracts ct ON ct.id = p.contract_id \
     JOIN organizations g ON g.id = p.client_org_id JOIN checklist_templates t ON t.id = p.template_id \
     LEFT JOIN users u ON u.id = p.engineer_id LEFT JOIN teams tm ON tm.id = p.team_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Plan> {
    Ok(Plan {
        id: r.try_get("id")?,
        contract_id: r.try_get("contract_id")?,
        contract_number: r.try_get("contract_number")?,
        contract_status: r.try_get("contract_status")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        name: r.try_get("name")?,
        template_id: r.try_get("template_id")?,
        template_code: r.try_get("template_code")?,
        template_name: r.try_get("template_name")?,
        assets: serde_json::from_str(&r.try_get::<String, _>("assets")?)
            .map_err(|e| StoreError::Format(e.to_string()))?,
        rule: r.try_get("rule")?,
        shift: r.try_get("shift")?,
        engineer_id: r.try_get("engineer_id")?,
        engineer_name: r.try_get("engineer_name")?,
        team_id: r.try_get("team_id")?,
        team_name: r.try_get("team_name")?,
        window_start: r.try_get("window_start")?,
        window_minutes: r.try_get("window_minutes")?,
        ahead_days: r.try_get("ahead_days")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r
            .try_get::<Option<String>, _>("ends_on")?
            .unwrap_or_default(),
        active: r.try_get::<i64, _>("active")? != 0,
        generated_on: r.try_get("generated_on")?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// Provider staff see every plan; a client's administrator sees the client's plans.
fn scope(actor: &Actor, w: &mut SqlBuf) -> Result<()> {
    match actor.role {
        Role::ClientUser => Err(StoreError::Forbidden(
            "maintenance plans are shown to the client's administrator",
        )),
        _ => {
            if let Some(own) = actor.client_scope() {
                w.push(" AND p.client_org_id = ").bind(own);
            }
            Ok(())
        }
    }
}

/// Whether a plan of a contract in this status may change (what `update` accepts).
pub fn changeable(contract_status: &str) -> bool {
    matches!(contract_status, "draft" | "active" | "terminating")
}

fn writable(actor: &Actor) -> Result<()> {
    if !actor.role.can_plan_maintenance() {
        return Err(StoreError::Forbidden(
            "administrators, dispatchers and service-level managers plan maintenance",
        ));
    }
    Ok(())
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &PlanFilter,
    params: &ListParams,
) -> Result<Page<Plan>> {
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    scope(actor, &mut w)?;
    if let Some(c) = f.client_org_id {
        w.push(" AND p.client_org_id = ").bind(c);
    }
    if let Some(c) = f.contract_id {
        w.push(" AND p.contract_id = ").bind(c);
    }
    if let Some(a) = f.active {
        w.push(" AND p.active = ").bind(i64::from(a));
    }
    if let Some(q) = params.q() {
        w.push(" AND p.name LIKE ")
            .bind(like_pattern(q))
            .push(" ESCAPE '\\'");
    }
    crate::page::Listing {
        select: SELECT,
        count: "SELECT count(*) FROM maintenance_plans p",
        sorts: &[("name", "p.name"), ("created_at", "p.created_at")],
        default_sort: "p.name",
        id: "p.id",
    }
    .page(store, params, w, from_row)
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Plan> {
    let mut w = SqlBuf::new(&format!("{SELECT} WHERE p.id = "));
    w.bind(id);
    if actor.role == Role::ClientUser {
        return Err(StoreError::NotFound);
    }
    if let Some(own) = actor.client_scope() {
        w.push(" AND p.client_org_id = ").bind(own);
    }
    let row = w
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// A plan's settings, checked: what create and update write.
struct Checked {
    name: String,
    template_id: i64,
    assets: AssetSelector,
    rule: String,
    shift: Shift,
    engineer_id: Option<i64>,
    team_id: Option<i64>,
    window_start: String,
    window_minutes: i64,
    ahead_days: i64,
    starts_on: Date,
    ends_on: Date,
}

async fn check(store: &Store, contract: &contracts::Contract, c: Checked) -> Result<Checked> {
    // 120, so that "巡检 Inspection: <name> · <day>" fits an order's subject.
    let name = text("name", &c.name, 120, true)?;
    // The template: the provider's or this client's own, active.
    let t: Option<(i64, Option<i64>)> =
        sqlx::query("SELECT active, client_org_id FROM checklist_templates WHERE id = $1")
            .bind(c.template_id)
            .fetch_optional(&store.pool)
            .await?
            .map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?;
    match t {
        Some((1, None)) => {}
        Some((1, Some(owner))) if owner == contract.client_org_id => {}
        Some((1, Some(_))) => {
            return Err(StoreError::invalid(
                "template_id",
                "is another client's checklist",
            ));
        }
        Some(_) => return Err(StoreError::invalid("template_id", "is not active")),
        None => return Err(StoreError::invalid("template_id", "no such checklist")),
    }
    let rule = Rule::parse(&c.rule)
        .map_err(|e| StoreError::invalid("rule", e.to_string()))?
        .to_string();
    if !(15..=1440).contains(&c.window_minutes) {
        return Err(StoreError::invalid(
            "window_minutes",
            "must be between 15 and 1440",
        ));
    }
    let window_start = c
        .window_start
        .trim()
        .parse::<Time>()
        .map_err(|_| StoreError::invalid("window_start", "must be a time HH:MM"))?
        .strftime("%H:%M")
        .to_string();
    if !(1..=MAX_AHEAD_DAYS).contains(&c.ahead_days) {
        return Err(StoreError::invalid(
            "ahead_days",
            format!("must be between 1 and {MAX_AHEAD_DAYS}"),
        ));
    }
    let (start, end) = (
        parse_date("starts_on", &contract.start_date)?,
        parse_date("ends_on", &contract.end_date)?,
    );
    if c.starts_on < start || c.starts_on > end {
        return Err(StoreError::invalid(
            "starts_on",
            format!(
                "must be within the contract ({} to {})",
                contract.start_date, contract.end_date
            ),
        ));
    }
    if c.ends_on < c.starts_on || c.ends_on > end {
        return Err(StoreError::invalid(
            "ends_on",
            format!(
                "must be between starts_on and the contract's end ({})",
                contract.end_date
            ),
        ));
    }
    // The rule must give at least one inspection (a plan that never fires is a mistake).
    let cal = contracts::working_calendar(store, contract).await?;
    let parsed = Rule::parse(&rule).map_err(|e| StoreError::invalid("rule", e.to_string()))?;
    let to = c
        .starts_on
        .checked_add(jiff::Span::new().days(i64::from(MAX_RANGE_DAYS)))
        .unwrap_or(c.ends_on)
        .min(c.ends_on);
    let any = dates(&parsed, &cal, c.starts_on, to, c.shift)
        .map_err(|e| StoreError::invalid(e.field, e.message))?;
    if any.is_empty() {
        return Err(StoreError::invalid(
            "rule",
            "gives no inspection date between starts_on and ends_on",
        ));
    }
    let assets = check_selector(store, contract.client_org_id, c.assets).await?;
    if let Some(e) = c.engineer_id {
        let ok: Option<String> =
            sqlx::query_scalar("SELECT role FROM users WHERE id = $1 AND active = 1")
                .bind(e)
                .fetch_optional(&store.pool)
                .await?;
        if !matches!(
            ok.as_deref(),
            Some("engineer") | Some("dispatcher") | Some("admin")
        ) {
            return Err(StoreError::invalid(
                "engineer_id",
                "is not an active engineer of the provider",
            ));
        }
    }
    if let Some(t) = c.team_id {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM teams WHERE id = $1")
            .bind(t)
            .fetch_one(&store.pool)
            .await?;
        if n == 0 {
            return Err(StoreError::invalid("team_id", "no such team"));
        }
    }
    Ok(Checked {
        name,
        rule,
        window_start,
        assets,
        ..c
    })
}

async fn check_selector(store: &Store, client: i64, s: AssetSelector) -> Result<AssetSelector> {
    if s.asset_ids.len() > MAX_ASSETS {
        return Err(StoreError::invalid(
            "assets.asset_ids",
            format!("at most {MAX_ASSETS} assets"),
        ));
    }
    if s.types.len() > MAX_SELECTOR_TYPES {
        return Err(StoreError::invalid(
            "assets.types",
            format!("at most {MAX_SELECTOR_TYPES} types"),
        ));
    }
    let site = text("assets.site", &s.site, 200, false)?;
    let mut types = Vec::new();
    for t in &s.types {
        let t = t.trim().to_owned();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM asset_types WHERE code = $1")
            .bind(t.clone())
            .fetch_one(&store.pool)
            .await?;
        if n == 0 {
            return Err(StoreError::invalid(
                "assets.types",
                format!("no asset type {t:?}"),
            ));
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let mut ids = s.asset_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if !ids.is_empty() {
        let mut w = SqlBuf::new("SELECT count(*) FROM assets WHERE client_org_id = ");
        w.bind(client).push(" AND id IN ").bind_list(&ids);
        let n: i64 = w.query().fetch_one(&store.pool).await?.try_get(0)?;
        if usize::try_from(n).unwrap_or(0) != ids.len() {
            return Err(StoreError::invalid(
                "assets.asset_ids",
                "names an asset that is not this client's",
            ));
        }
    }
    Ok(AssetSelector {
        types,
        site,
        asset_ids: ids,
    })
}

/// The assets a selector picks today, by tag; at most [`MAX_ASSETS`] (the first by tag).
pub(crate) async fn select_assets(
    conn: &mut sqlx::AnyConnection,
    client: i64,
    s: &AssetSelector,
) -> Result<Vec<i64>> {
    let mut w = SqlBuf::new("SELECT id FROM assets WHERE client_org_id = ");
    w.bind(client)
        .push(" AND status <> 'retired' AND under_contract = 1");
    if !s.asset_ids.is_empty() {
        w.push(" AND id IN ").bind_list(&s.asset_ids);
    } else {
        if !s.types.is_empty() {
            w.push(" AND asset_type IN ").bind_list(&s.types);
        }
        if !s.site.is_empty() {
            w.push(" AND location LIKE ")
                .bind(like_prefix(&s.site))
                .push(" ESCAPE '\\'");
        }
    }
    w.push(" ORDER BY tag LIMIT ")
        .bind(i64::try_from(MAX_ASSETS).unwrap_or(500));
    let rows = w.query().fetch_all(&mut *conn).await?;
    rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
}

/// Today in the provider's zone.
pub(crate) fn today(store: &Store) -> Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(store.time_zone().clone())
        .date()
}

async fn contract_of(store: &Store, id: i64) -> Result<contracts::Contract> {
    let c = contracts::get(store, &Actor::system(0), id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => StoreError::invalid("contract_id", "no such contract"),
            e => e,
        })?;
    if !changeable(&c.status) {
        return Err(StoreError::invalid("contract_id", "the contract has ended"));
    }
    Ok(c)
}

pub async fn create(store: &Store, actor: &Actor, new: &NewPlan) -> Result<Plan> {
    writable(actor)?;
    let contract = contract_of(store, new.contract_id).await?;
    let today = today(store);
    let start = parse_date("starts_on", &contract.start_date)?;
    let starts_on = match &new.starts_on {
        Some(s) => parse_date("starts_on", s)?,
        None => start.max(today),
    };
    let ends_on = match &new.ends_on {
        Some(s) => parse_date("ends_on", s)?,
        None => parse_date("ends_on", &contract.end_date)?,
    };
    let shift = parse_shift(new.shift.as_deref().unwrap_or("next"))?;
    let c = check(
        store,
        &contract,
        Checked {
            name: new.name.clone(),
            template_id: new.template_id,
            assets: new.assets.clone(),
            rule: new.rule.clone(),
            shift,
            engineer_id: new.engineer_id,
            team_id: new.team_id,
            window_start: new.window_start.clone().unwrap_or_else(|| "09:00".into()),
            window_minutes: new.window_minutes.unwrap_or(240),
            ahead_days: new.ahead_days.unwrap_or(30),
            starts_on,
            ends_on,
        },
    )
    .await?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO maintenance_plans (contract_id, client_org_id, name, template_id, assets, rule, shift, \
         engineer_id, team_id, window_start, window_minutes, ahead_days, starts_on, ends_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
    )
    .bind(contract.id)
    .bind(contract.client_org_id)
    .bind(c.name.clone())
    .bind(c.template_id)
    .bind(json!(c.assets).to_string())
    .bind(c.rule.clone())
    .bind(c.shift.as_str())
    .bind(c.engineer_id)
    .bind(c.team_id)
    .bind(c.window_start.clone())
    .bind(c.window_minutes)
    .bind(c.ahead_days)
    .bind(c.starts_on.to_string())
    .bind(c.ends_on.to_string())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(contract.client_org_id),
        "maintenance_plan",
        id,
        "create",
        json!({"name": c.name, "rule": c.rule, "contract_id": contract.id}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

fn parse_shift(s: &str) -> Result<Shift> {
    Shift::parse(s)
        .ok_or_else(|| StoreError::invalid("shift", "must be one of: next, previous, none"))
}

pub async fn update(store: &Store, actor: &Actor, id: i64, patch: &PlanPatch) -> Result<Plan> {
    // Another tenant's plan does not exist for the actor (404 before 403).
    let current = get(store, actor, id).await?;
    writable(actor)?;
    if patch.version != current.version {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    let contract = contract_of(store, current.contract_id).await?;
    let clear = |v: Option<i64>, old: Option<i64>| match v {
        Some(0) => None,
        Some(x) => Some(x),
        None => old,
    };
    let c = check(
        store,
        &contract,
        Checked {
            name: patch.name.clone().unwrap_or(current.name.clone()),
            template_id: patch.template_id.unwrap_or(current.template_id),
            assets: patch.assets.clone().unwrap_or(current.assets.clone()),
            rule: patch.rule.clone().unwrap_or(current.rule.clone()),
            shift: parse_shift(patch.shift.as_deref().unwrap_or(&current.shift))?,
            engineer_id: clear(patch.engineer_id, current.engineer_id),
            team_id: clear(patch.team_id, current.team_id),
            window_start: patch
                .window_start
                .clone()
                .unwrap_or(current.window_start.clone()),
            window_minutes: patch.window_minutes.unwrap_or(current.window_minutes),
            ahead_days: patch.ahead_days.unwrap_or(current.ahead_days),
            starts_on: parse_date(
                "starts_on",
                patch.starts_on.as_deref().unwrap_or(&current.starts_on),
            )?,
            ends_on: parse_date(
                "ends_on",
                patch.ends_on.as_deref().unwrap_or(&current.ends_on),
            )?,
        },
    )
    .await?;
    let active = patch.active.unwrap_or(current.active);
    let mut tx = store.pool.begin().await?;
    let n = sqlx::query(
        "UPDATE maintenance_plans SET name = $1, template_id = $2, assets = $3, rule = $4, shift = $5, \
         engineer_id = $6, team_id = $7, window_start = $8, window_minutes = $9, ahead_days = $10, \
         starts_on = $11, ends_on = $12, active = $13, version = version + 1, updated_at = $14 \
         WHERE id = $15 AND version = $16",
    )
    .bind(c.name.clone())
    .bind(c.template_id)
    .bind(json!(c.assets).to_string())
    .bind(c.rule.clone())
    .bind(c.shift.as_str())
    .bind(c.engineer_id)
    .bind(c.team_id)
    .bind(c.window_start.clone())
    .bind(c.window_minutes)
    .bind(c.ahead_days)
    .bind(c.starts_on.to_string())
    .bind(c.ends_on.to_string())
    .bind(i64::from(active))
    .bind(now_ms())
    .bind(id)
    .bind(patch.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict {
            current: current.version + 1,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(current.client_org_id),
        "maintenance_plan",
        id,
        "update",
        json!({"name": c.name, "rule": c.rule, "active": active}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
