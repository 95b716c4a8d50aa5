//! Monthly statements (SPEC §7): a month of a contract's activity (visits, parts, take-away
//! repairs, resident days, devices, other items) read from the store and priced by the domain
//! crate. Draft → reviewed → issued (numbered and frozen) → paid, or overdue past its due date.
//! A correction after issue is a new `adjustment` statement; the issued one never changes.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::billing::{
    ApprovedPart, CoveredDevice, MonthActivity, OtherItem, ResidentDays, Sources, StatementDraft,
    TakeAwayRepair, Visit, VisitCategory, VisitKind, YearMonth, compute_statement, due_date,
};
use weihu_domain::calendar::DayKind;
use weihu_domain::money::Money;

use crate::contracts::{self, Contract, billing, today_in};
use crate::orders::work::opt_time;
use crate::page::Listing;
use crate::sql::SqlBuf;
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, ms_to_rfc3339, now_ms};

pub const STATES: [&str; 5] = ["draft", "reviewed", "issued", "paid", "overdue"];

/// One priced line, as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    /// monthly_fee, over_cap_visits, visits, resident_days, devices, emergency_fee,
    /// emergency_travel, part, take_away_repair, other, repeat_visits, reversal.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price: String,
    /// "days covered/days in month" when the fee was prorated.
    pub proration: Option<String>,
    pub amount: String,
    /// What the line comes from: visits, orders, items, assets, engineers.
    #[schema(value_type = Object)]
    pub sources: Sources,
}

impl Line {
    /// The sources as one short text: order numbers, then assets, engineers and item ids.
    pub fn source_text(&self) -> String {
        let s = &self.sources;
        let mut parts: Vec<String> = s.orders.clone();
        parts.extend(s.assets.iter().cloned());
        parts.extend(s.engineers.iter().cloned());
        if s.orders.is_empty() {
            parts.extend(s.items.iter().cloned());
        }
        parts.join(", ")
    }
}

/// The priced month, as stored in `statements.body`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Body {
    covered_start: String,
    covered_end: String,
    counted_visits: u32,
    lines: Vec<Line>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub pricing_model: String,
    /// `YYYY-MM`.
    pub month: String,
    /// regular or adjustment.
    pub kind: String,
    /// For an adjustment: the issued statement it corrects.
    pub adjusts_id: Option<i64>,
    /// Given at issue, e.g. `ST-2026-000012`.
    pub number: Option<String>,
    /// draft, reviewed, issued, paid, overdue.
    pub state: String,
    pub currency: String,
    pub total: String,
    /// Days of the month the contract covers.
    pub covered_start: String,
    pub covered_end: String,
    /// Regular + scheduled visits of the month.
    pub counted_visits: u32,
    pub lines: Vec<Line>,
    pub computed_at: String,
    pub reviewed_at: Option<String>,
    pub issued_at: Option<String>,
    /// Payment due, in working days after the issue date.
    pub due_date: Option<String>,
    pub paid_at: Option<String>,
    pub note: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A statement computed on the fly (never stored): what the month costs so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub contract_id: i64,
    pub contract_number: String,
    pub month: String,
    pub currency: String,
    pub total: String,
    pub covered_start: String,
    pub covered_end: String,
    pub counted_visits: u32,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    pub client_org_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub month: Option<String>,
    pub state: Option<String>,
}

/// This month, `YYYY-MM`, in the provider's zone.
pub fn current_month() -> String {
    YearMonth::of(today_in(contracts::DEFAULT_ZONE)).to_string()
}

/// Last month, `YYYY-MM`, in the provider's zone: the month the month-end job bills.
pub fn previous_month() -> String {
    let first = today_in(contracts::DEFAULT_ZONE).first_of_month();
    YearMonth::of(first.yesterday().unwrap_or(first)).to_string()
}

/// Parses `YYYY-MM`.
pub fn parse_month(field: &str, v: &str) -> Result<YearMonth> {
    let bad = || StoreError::invalid(field, "must be a month YYYY-MM");
    let (y, m) = v.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: i8 = m.parse().map_err(|_| bad())?;
    if !(2000..=2200).contains(&year) {
        return Err(StoreError::invalid(field, "year must be 2000 to 2200"));
    }
    YearMonth::new(year, month).map_err(|_| bad())
}

fn lines_of(draft: &StatementDraft) -> Body {
    let lines = draft
        .lines
        .iter()
        .map(|l| Line {
            kind: serde_json::to_value(l.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            description: l.description.clone(),
            quantity: i64::from(l.quantity),
            unit_price: l.unit_price.to_string(),
            proration: l
                .proration
                .map(|p| format!("{}/{}", p.days_covered, p.days_in_month)),
            amount: l.amount.to_string(),
            sources: l.sources.clone(),
        })
        .collect();
    Body {
        covered_start: draft.covered.start.to_string(),
        covered_end: draft.covered.end.to_string(),
        counted_visits: draft.counted_visits,
        lines,
    }
}

fn may_read(actor: &Actor) -> Result<()> {
    if actor.role.can_read_statements() {
        Ok(())
    } else if actor.role.is_client_side() {
        Err(StoreError::NotFound)
    } else {
        Err(StoreError::Forbidden(
            "only administrators, finance and service level managers read statements",
        ))
    }
}

fn may_write(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_statements() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only administrators and finance manage statements",
        ))
    }
}

// ---- reading a month of activity ----

fn zone_of(cal: &weihu_domain::calendar::Calendar) -> TimeZone {
    TimeZone::get(cal.time_zone_name()).unwrap_or(TimeZone::UTC)
}

fn month_bounds(month: YearMonth, tz: &TimeZone) -> Result<(i64, i64, Date, Date)> {
    let range = month.range().map_err(|e| billing("", e))?;
    let next = range
        .end
        .tomorrow()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let start = range
        .start
        .to_zoned_datetime(tz.clone())
        .map_err(|e| StoreError::Format(e.to_string()))?
        .timestamp()
        .as_millisecond();
    let end = next
        .to_zoned_datetime(tz.clone())
        .map_err(|e| StoreError::Format(e.to_string()))?
        .timestamp()
        .as_millisecond();
    Ok((start, end, range.start, range.end))
}

fn local_date(ms: i64, tz: &TimeZone) -> Result<Date> {
    Ok(jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Format(e.to_string()))?
        .to_zoned_datetime(tz.clone())
        .date())
}

fn money_of(field: &str, v: &str) -> Result<Money> {
    Money::parse(v).map_err(|e| StoreError::Format(format!("{field}: {e}")))
}

/// The rate category of a visit: recorded on the visit, else from the order's category.
pub fn visit_category(recorded: Option<&str>, order_category: &str) -> VisitCategory {
    match recorded.unwrap_or("") {
        "pc" => return VisitCategory::Pc,
        "network" => return VisitCategory::Network,
        "peripheral" => return VisitCategory::Peripheral,
        "server" => return VisitCategory::Server,
        _ => {}
    }
    match order_category {
        "network" => VisitCategory::Network,
        "peripheral" => VisitCategory::Peripheral,
        "server_storage" | "database" | "machine_room" => VisitCategory::Server,
        _ => VisitCategory::Pc,
    }
}

/// The kind of a stored visit. An unknown kind stops the statement, naming the visit: billing it
/// as some default kind would put it against the cap without a word.
fn kind_of(visit_id: i64, v: &str) -> Result<VisitKind> {
    VisitKind::parse(v).map_err(|e| {
        StoreError::invalid(
            format!("visits[V{visit_id}].kind"),
            format!("{e}; correct the visit before pricing the month"),
        )
    })
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Everything of `month` that a contract's statement prices, within the contract period.
async fn gather(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
    tz: &TimeZone,
) -> Result<MonthActivity> {
    let (from_ms, to_ms, first, last) = month_bounds(month, tz)?;
    let start = contracts::parse_date("start_date", &contract.start_date)?;
    let end = contracts::parse_date("end_date", &contract.end_date)?;
    let inside = |d: Date| d >= start && d <= end && d >= first && d <= last;
    let mut activity = MonthActivity::default();

    let rows = sqlx::query(
        "SELECT v.id, o.number, v.kind, v.category, o.category AS order_category, v.travel_fee, v.check_in_at \
         FROM order_visits v JOIN orders o ON o.id = v.order_id \
         WHERE o.contract_id = $1 AND v.check_in_at >= $2 AND v.check_in_at < $3 ORDER BY v.check_in_at, v.id",
    )
    .bind(contract.id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        let date = local_date(r.try_get("check_in_at")?, tz)?;
        if !inside(date) {
            continue;
        }
        let recorded: Option<String> = r.try_get("category")?;
        let order_category: String = r.try_get("order_category")?;
        let visit_id: i64 = r.try_get("id")?;
        activity.visits.push(Visit {
            id: format!("V{visit_id}"),
            order: r.try_get("number")?,
            kind: kind_of(visit_id, &r.try_get::<String, _>("kind")?)?,
            category: Some(visit_category(recorded.as_deref(), &order_category)),
            travel_fee: money_of("travel_fee", &r.try_get::<String, _>("travel_fee")?)?,
            date,
        });
    }

    let rows = sqlx::query(
        "SELECT p.id, o.number, p.name, p.model, p.quantity, p.unit_price, p.client_supplied, p.installed_at \
         FROM order_parts p JOIN orders o ON o.id = p.order_id \
         WHERE o.contract_id = $1 AND p.state = 'installed' AND p.installed_at >= $2 AND p.installed_at < $3 \
         ORDER BY p.installed_at, p.id",
    )
    .bind(contract.id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        if !inside(local_date(r.try_get("installed_at")?, tz)?) {
            continue;
        }
        let name: String = r.try_get("name")?;
        let model: String = r.try_get("model")?;
        activity.parts.push(ApprovedPart {
            id: format!("P{}", r.try_get::<i64, _>("id")?),
            order: r.try_get("number")?,
            name: if model.is_empty() {
                name
            } else {
                format!("{name} {model}")
            },
            quantity: count(r.try_get("quantity")?),
            unit_cost: money_of("unit_price", &r.try_get::<String, _>("unit_price")?)?,
            client_supplied: r.try_get::<i64, _>("client_supplied")? != 0,
        });
    }

    let rows = sqlx::query(
        "SELECT t.id, o.number, t.asset, t.description, t.cost, t.returned_at \
         FROM take_away_repairs t JOIN orders o ON o.id = t.order_id \
         WHERE o.contract_id = $1 AND t.returned_at >= $2 AND t.returned_at < $3 ORDER BY t.returned_at, t.id",
    )
    .bind(contract.id)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        if !inside(local_date(r.try_get("returned_at")?, tz)?) {
            continue;
        }
        let asset: String = r.try_get("asset")?;
        activity.take_away.push(TakeAwayRepair {
            id: format!("T{}", r.try_get::<i64, _>("id")?),
            order: r.try_get("number")?,
            asset: (!asset.is_empty()).then_some(asset),
            description: r.try_get("description")?,
            cost: money_of("cost", &r.try_get::<String, _>("cost")?)?,
        });
    }

    let (first_s, last_s) = (first.to_string(), last.to_string());
    let rows = sqlx::query(
        "SELECT i.id, o.number, i.item_date, i.description, i.quantity, i.unit_price \
         FROM billable_items i LEFT JOIN orders o ON o.id = i.order_id \
         WHERE i.contract_id = $1 AND i.item_date >= $2 AND i.item_date <= $3 ORDER BY i.item_date, i.id",
    )
    .bind(contract.id)
    .bind(first_s.clone())
    .bind(last_s.clone())
    .fetch_all(&store.pool)
    .await?;
    for r in rows {
        activity.other.push(OtherItem {
            id: format!("I{}", r.try_get::<i64, _>("id")?),
            order: r.try_get("number")?,
            description: r.try_get("description")?,
            quantity: count(r.try_get("quantity")?),
            unit_price: money_of("unit_price", &r.try_get::<String, _>("unit_price")?)?,
        });
    }

    if contract.pricing_model == "resident" {
        let rows = sqlx::query(
            "SELECT u.display_name, count(*) AS days FROM resident_days d JOIN users u ON u.id = d.user_id \
             WHERE d.contract_id = $1 AND d.work_date >= $2 AND d.work_date <= $3 \
             GROUP BY u.display_name ORDER BY u.display_name",
        )
        .bind(contract.id)
        .bind(first_s.clone())
        .bind(last_s.clone())
        .fetch_all(&store.pool)
        .await?;
        let mut days: BTreeMap<String, u32> = BTreeMap::new();
        for r in rows {
            *days.entry(r.try_get("display_name")?).or_default() += count(r.try_get("days")?);
        }
        // The fixed engineers bill their 2-day minimum even in a month they were not needed.
        for e in contracts::engineers(store, &Actor::system(0), contract.id).await? {
            let from = contracts::parse_date("from_date", &e.from_date)?;
            let until = e
                .until_date
                .as_deref()
                .map(|u| contracts::parse_date("until_date", u))
                .transpose()?;
            if from <= last && until.is_none_or(|u| u >= first) {
                days.entry(e.display_name).or_insert(0);
            }
        }
        activity.resident_days = days
            .into_iter()
            .map(|(engineer, days)| ResidentDays { engineer, days })
            .collect();
    }

    if contract.pricing_model == "per_device" {
        let rows = sqlx::query(
            "SELECT device_type, asset_tag, from_date, until_date FROM contract_devices \
             WHERE contract_id = $1 AND from_date <= $2 AND (until_date IS NULL OR until_date >= $3) \
             ORDER BY device_type, asset_tag",
        )
        .bind(contract.id)
        .bind(last_s)
        .bind(first_s)
        .fetch_all(&store.pool)
        .await?;
        for r in rows {
            let from = contracts::parse_date("from_date", &r.try_get::<String, _>("from_date")?)?;
            let until: Option<String> = r.try_get("until_date")?;
            activity.devices.push(CoveredDevice {
                device_type: r.try_get("device_type")?,
                asset: r.try_get("asset_tag")?,
                from,
                until: until
                    .as_deref()
                    .map(|u| contracts::parse_date("until_date", u))
                    .transpose()?,
            });
        }
    }
    Ok(activity)
}

async fn compute(store: &Store, contract: &Contract, month: YearMonth) -> Result<StatementDraft> {
    let cal = contracts::working_calendar(store, contract).await?;
    price(store, contract, month, &cal).await
}

/// A contract's month priced, with its calendar already resolved.
async fn price(
    store: &Store,
    contract: &Contract,
    month: YearMonth,
    cal: &weihu_domain::calendar::Calendar,
) -> Result<StatementDraft> {
    let activity = gather(store, contract, month, &zone_of(cal)).await?;
    let terms = contract.domain_terms()?;
    compute_statement(&terms, month, &activity).map_err(|e| billing("", e))
}

/// What a contract's month costs so far; nothing is stored.
pub async fn preview(
    store: &Store,
    actor: &Actor,
    contract_id: i64,
    month: &str,
) -> Result<Preview> {
    let contract = contracts::get(store, actor, contract_id).await?;
    may_read(actor)?;
    if actor.is_client() {
        // The client sees statements once issued, not the provider's working figures.
        return Err(StoreError::NotFound);
    }
    let month = parse_month("month", month)?;
    let draft = compute(store, &contract, month).await?;
    let body = lines_of(&draft);
    Ok(Preview {
        contract_id,
        contract_number: contract.number,
        month: month.to_string(),
        currency: draft.currency.as_str().to_owned(),
        total: draft.total.to_string(),
        covered_start: body.covered_start,
        covered_end: body.covered_end,
        counted_visits: body.counted_visits,
        lines: body.lines,
    })
}

// ---- stored statements ----

const SELECT: &str = "SELECT s.id, s.client_org_id, o.name AS client_name, s.contract_id, c.number AS contract_number, \
     c.pricing_model, s.month, s.kind, s.adjusts_id, s.number, s.state, s.currency, s.total, s.body, s.computed_at, \
     s.reviewed_at, s.issued_at, s.due_date, s.paid_at, s.note, s.version, s.created_at, s.updated_at \
     FROM statements s JOIN organizations o ON o.id = s.client_org_id JOIN contracts c ON c.id = s.contract_id";

fn from_row(r: &AnyRow) -> Result<Statement> {
    let body: Body = serde_json::from_str(&r.try_get::<String, _>("body")?)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok(Statement {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        contract_id: r.try_get("contract_id")?,
        contract_number: r.try_get("contract_number")?,
        pricing_model: r.try_get("pricing_model")?,
        month: r.try_get("month")?,
        kind: r.try_get("kind")?,
        adjusts_id: r.try_get("adjusts_id")?,
        number: r.try_get("number")?,
        state: r.try_get("state")?,
        currency: r.try_get("currency")?,
        total: r.try_get("total")?,
        covered_start: body.covered_start,
        covered_end: body.covered_end,
        counted_visits: body.counted_visits,
        lines: body.lines,
        computed_at: ms_to_rfc3339(r.try_get("computed_at")?),
        reviewed_at: opt_time(r, "reviewed_at")?,
        issued_at: opt_time(r, "issued_at")?,
        due_date: r.try_get("due_date")?,
        paid_at: opt_time(r, "paid_at")?,
        note: r.try_get("note")?,
        version: r.try_get("version")?,
        created_at: ms_to_rfc3339(r.try_get("created_at")?),
        updated_at: ms_to_rfc3339(r.try_get("updated_at")?),
    })
}

fn scope(w: &mut SqlBuf, actor: &Actor) {
    if let Some(org) = actor.client_scope() {
        w.push(" AND s.client_org_id = ")
            .bind(org)
            .push(" AND s.state IN ('issued', 'paid', 'overdue')");
    }
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &StatementFilter,
    params: &ListParams,
) -> Result<Page<Statement>> {
    if actor.role.scope() == weihu_domain::role::Scope::Own {
        return Err(StoreError::Forbidden("client users do not see statements"));
    }
    may_read(actor)?;
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    scope(&mut w, actor);
    if let Some(org) = filter.client_org_id {
        w.push(" AND s.client_org_id = ").bind(org);
    }
    if let Some(c) = filter.contract_id {
        w.push(" AND s.contract_id = ").bind(c);
    }
    if let Some(m) = &filter.month {
        w.push(" AND s.month = ")
            .bind(parse_month("month", m)?.to_string());
    }
    if let Some(s) = &filter.state {
        if !STATES.contains(&s.as_str()) {
            return Err(StoreError::invalid(
                "state",
                format!("must be one of: {}", STATES.join(", ")),
            ));
        }
        w.push(" AND s.state = ").bind(s.clone());
    }
    if let Some(q) = params.q() {
        let p = crate::sql::like_pattern(q);
        w.push(" AND (lower(o.name) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(c.number) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(s.number) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: SELECT,
        count: "SELECT count(*) FROM statements s JOIN organizations o ON o.id = s.client_org_id \
                JOIN contracts c ON c.id = s.contract_id",
        sorts: &[
            ("month", "s.month"),
            ("client", "o.name"),
            ("number", "s.number"),
            ("state", "s.state"),
        ],
        default_sort: "s.month DESC, o.name",
        id: "s.id",
    }
    .page(store, params, w, from_row)
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Statement> {
    may_read(actor)?;
    let mut w = SqlBuf::new(SELECT);
    w.push(" WHERE s.id = ").bind(id);
    scope(&mut w, actor);
    let row = w
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GenerateSummary {
    pub month: String,
    /// New drafts written.
    pub created: i64,
    /// Drafts recomputed because their month changed.
    pub updated: i64,
    /// Statements already issued (frozen) or unchanged.
    pub unchanged: i64,
    /// Contracts whose month could not be priced, with the reason.
    pub failed: Vec<String>,
}

/// Writes (or refreshes) the draft statements of `month` for every contract in force during it,
/// or for one contract. Issued statements are never touched. Safe to run on several instances at
/// once: the unique (contract, month) index lets one insert win and the other skip.
pub async fn generate(
    store: &Store,
    actor: &Actor,
    month: &str,
    contract_id: Option<i64>,
) -> Result<GenerateSummary> {
    may_write(actor)?;
    let ym = parse_month("month", month)?;
    let range = ym.range().map_err(|e| billing("", e))?;
    let mut q = SqlBuf::new(
        "SELECT id FROM contracts WHERE status IN ('active', 'terminating', 'ended') AND start_date <= ",
    );
    q.bind(range.end.to_string())
        .push(" AND end_date >= ")
        .bind(range.start.to_string());
    if let Some(c) = contract_id {
        contracts::get(store, actor, c).await?;
        q.push(" AND id = ").bind(c);
    }
    q.push(" ORDER BY id");
    let ids: Vec<i64> = q
        .query()
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    let existing: HashMap<i64, (i64, String, String)> = {
        let rows = sqlx::query(
            "SELECT contract_id, id, state, body FROM statements WHERE month = $1 AND kind = 'regular'",
        )
        .bind(ym.to_string())
        .fetch_all(&store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("contract_id")?,
                    (r.try_get("id")?, r.try_get("state")?, r.try_get("body")?),
                ))
            })
            .collect::<Result<_>>()?
    };
    let system = Actor::system(0);
    let mut summary = GenerateSummary {
        month: ym.to_string(),
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: Vec::new(),
    };
    // Price everything first (reads only), then write in chunks: one fsync per chunk, not per
    // statement, and no transaction held open while reading.
    // (contract, priced month, its body as stored, the draft it replaces).
    let mut pending: Vec<(Contract, StatementDraft, String, Option<i64>)> = Vec::new();
    let mut calendars: HashMap<Option<i64>, weihu_domain::calendar::Calendar> = HashMap::new();
    for id in ids {
        if let Some((_, state, _)) = existing.get(&id)
            && !matches!(state.as_str(), "draft" | "reviewed")
        {
            summary.unchanged += 1;
            continue;
        }
        let contract = contracts::get(store, &system, id).await?;
        // Contracts share a handful of calendars: resolve each once, not once per contract.
        let cal = match calendars.get(&contract.calendar_id) {
            Some(c) => c.clone(),
            None => {
                let c = contracts::working_calendar(store, &contract).await?;
                calendars.insert(contract.calendar_id, c.clone());
                c
            }
        };
        match price(store, &contract, ym, &cal).await {
            Ok(draft) => {
                let prior = existing.get(&id);
                let body = serde_json::to_string(&lines_of(&draft))
                    .map_err(|e| StoreError::Format(e.to_string()))?;
                if prior.is_some_and(|(_, _, b)| *b == body) {
                    summary.unchanged += 1;
                } else {
                    pending.push((contract, draft, body, prior.map(|p| p.0)));
                }
            }
            Err(e) => summary.failed.push(format!("{}: {e}", contract.number)),
        }
    }
    for chunk in pending.chunks(200) {
        let now = now_ms();
        let mut tx = store.pool.begin().await?;
        for (contract, draft, body, prior) in chunk {
            match prior {
                Some(sid) => {
                    // Recomputed: a reviewed draft whose figures moved goes back to draft.
                    let done = sqlx::query(
                        "UPDATE statements SET body = $1, total = $2, computed_at = $3, state = 'draft', \
                         reviewed_by = NULL, reviewed_at = NULL, version = version + 1, updated_at = $3 \
                         WHERE id = $4 AND state IN ('draft', 'reviewed')",
                    )
                    .bind(body.clone())
                    .bind(draft.total.to_string())
                    .bind(now)
                    .bind(*sid)
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += i64::try_from(done.rows_affected()).unwrap_or(0);
                }
                None => {
                    let done = sqlx::query(
                        "INSERT INTO statements (client_org_id, contract_id, month, kind, state, currency, total, \
                         body, computed_at, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'regular', 'draft', $4, $5, $6, $7, $7, $7) ON CONFLICT DO NOTHING",
                    )
                    .bind(contract.client_org_id)
                    .bind(contract.id)
                    .bind(ym.to_string())
                    .bind(draft.currency.as_str().to_owned())
                    .bind(draft.total.to_string())
                    .bind(body.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let won = i64::try_from(done.rows_affected()).unwrap_or(0);
                    summary.created += won;
                    // Another instance drafted it first: it exists, just not by us.
                    summary.unchanged += 1 - won.min(1);
                }
            }
        }
        audit::record(
            &mut tx,
            actor,
            None,
            "statement",
            ym.to_string(),
            "generate",
            json!({"contracts": chunk.iter().map(|c| c.0.number.clone()).collect::<Vec<_>>()}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(summary)
}

/// One move of a statement: the states it may leave, the columns it sets (with their binds,
/// numbered from `$1`) and the audit action.
struct Move<'a> {
    from: &'a [&'a str],
    set: &'a str,
    binds: Vec<crate::sql::Arg>,
    action: &'a str,
}

async fn transition(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    m: Move<'_>,
) -> Result<Statement> {
    let Move {
        from,
        set: sql_set,
        binds,
        action,
    } = m;
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    if !from.contains(&current.state.as_str()) {
        return Err(StoreError::invalid(
            "state",
            format!("a statement that is {} cannot be {action}", current.state),
        ));
    }
    let mut tx = store.pool.begin().await?;
    let mut u = SqlBuf::new("UPDATE statements SET ");
    u.push(sql_set);
    u.args = binds;
    u.push(", version = version + 1, updated_at = ")
        .bind(now_ms())
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND version = ")
        .bind(version);
    let done = u.query().execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(current.client_org_id),
        "statement",
        id,
        action,
        json!({"state": current.state, "month": current.month, "total": current.total}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Finance has checked the draft.
pub async fn review(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Statement> {
    transition(
        store,
        actor,
        id,
        version,
        Move {
            from: &["draft"],
            set: "state = 'reviewed', reviewed_by = $1, reviewed_at = $2",
            binds: vec![actor.audit_id().into(), now_ms().into()],
            action: "reviewed",
        },
    )
    .await
}

/// Issues a reviewed statement: numbers it (gap-free per year), sets the due date in working days
/// of the contract's calendar, and freezes it.
pub async fn issue(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Statement> {
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    if current.state != "reviewed" {
        return Err(StoreError::invalid(
            "state",
            format!(
                "a statement is reviewed before it is issued (it is {})",
                current.state
            ),
        ));
    }
    let contract = contracts::get(store, &Actor::system(0), current.contract_id).await?;
    let cal = contracts::working_calendar(store, &contract).await?;
    let today = today_in(cal.time_zone_name());
    let days = contract.domain_terms()?.payment.due_working_days;
    let due = due_date(today, days, |d| {
        matches!(
            cal.day_kind(d),
            DayKind::Regular | DayKind::MakeUpWorkday { .. }
        )
    })
    .map_err(|e| billing("", e))?;
    let year = today.year();
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    // The counter row is the first write, so concurrent issuers queue and numbers stay gap-free.
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO statement_counters (period, last) VALUES ($1, 1) \
         ON CONFLICT (period) DO UPDATE SET last = statement_counters.last + 1 RETURNING last",
    )
    .bind(year.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let number = format!("ST-{year:04}-{seq:06}");
    let done = sqlx::query(
        "UPDATE statements SET state = 'issued', number = $1, issued_by = $2, issued_at = $3, due_date = $4, \
         version = version + 1, updated_at = $3 WHERE id = $5 AND version = $6 AND state = 'reviewed'",
    )
    .bind(number.clone())
    .bind(actor.audit_id())
    .bind(now)
    .bind(due.to_string())
    .bind(id)
    .bind(version)
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
        Some(current.client_org_id),
        "statement",
        id,
        "issued",
        json!({"number": number, "total": current.total, "due_date": due.to_string()}),
    )
    .await?;
    // The client's administrators hear of it in the portal.
    sqlx::query(
        "INSERT INTO notifications (user_id, order_id, kind, body, created_at) \
         SELECT id, NULL, 'statement', $1, $2 FROM users WHERE org_id = $3 AND role = 'client_admin' AND active = 1",
    )
    .bind(format!("对账单 {number}（{}）已开具，合计 {} {} / Statement issued", current.month, current.total, current.currency))
    .bind(now)
    .bind(current.client_org_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The client has paid.
pub async fn mark_paid(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Statement> {
    transition(
        store,
        actor,
        id,
        version,
        Move {
            from: &["issued", "overdue"],
            set: "state = 'paid', paid_at = $1",
            binds: vec![now_ms().into()],
            action: "paid",
        },
    )
    .await
}

/// Issued statements past their due date become overdue. Idempotent (several instances).
pub async fn mark_overdue(store: &Store) -> Result<u64> {
    let today = today_in(contracts::DEFAULT_ZONE).to_string();
    let done = sqlx::query(
        "UPDATE statements SET state = 'overdue', version = version + 1, updated_at = $1 \
         WHERE state = 'issued' AND due_date < $2",
    )
    .bind(now_ms())
    .bind(today)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected())
}

/// A correction of an issued statement: the month priced again, with a reversal of what was
/// issued, as a new draft. The issued statement stays as it was.
pub async fn adjust(store: &Store, actor: &Actor, id: i64) -> Result<Statement> {
    let issued = get(store, actor, id).await?;
    may_write(actor)?;
    if issued.kind != "regular" || !matches!(issued.state.as_str(), "issued" | "paid" | "overdue") {
        return Err(StoreError::invalid(
            "state",
            "only an issued regular statement can be adjusted",
        ));
    }
    let contract = contracts::get(store, &Actor::system(0), issued.contract_id).await?;
    let ym = parse_month("month", &issued.month)?;
    let draft = compute(store, &contract, ym).await?;
    let mut body = lines_of(&draft);
    if body.lines == issued.lines {
        return Err(StoreError::invalid(
            "month",
            "nothing changed since the statement was issued",
        ));
    }
    let issued_total = money_of("total", &issued.total)?;
    let reversal = Money::ZERO
        .checked_sub(issued_total)
        .ok_or_else(|| StoreError::Format("total overflow".into()))?;
    body.lines.push(Line {
        kind: "reversal".into(),
        description: format!(
            "冲销已开具对账单 {} / reversal of issued statement",
            issued.number.clone().unwrap_or_default()
        ),
        quantity: 1,
        unit_price: reversal.to_string(),
        proration: None,
        amount: reversal.to_string(),
        sources: Sources {
            items: issued.number.iter().cloned().collect(),
            ..Sources::default()
        },
    });
    let total = draft
        .total
        .checked_add(reversal)
        .ok_or_else(|| StoreError::Format("total overflow".into()))?;
    let body_json = serde_json::to_string(&body).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let pending: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM statements WHERE adjusts_id = $1 AND state IN ('draft', 'reviewed')",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let sid = match pending {
        Some(sid) => {
            sqlx::query(
                "UPDATE statements SET body = $1, total = $2, computed_at = $3, state = 'draft', \
                 version = version + 1, updated_at = $3 WHERE id = $4",
            )
            .bind(body_json)
            .bind(total.to_string())
            .bind(now)
            .bind(sid)
            .execute(&mut *tx)
            .await?;
            sid
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO statements (client_org_id, contract_id, month, kind, adjusts_id, state, currency, \
                 total, body, computed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'adjustment', $4, 'draft', $5, $6, $7, $8, $8, $8) RETURNING id",
            )
            .bind(issued.client_org_id)
            .bind(issued.contract_id)
            .bind(issued.month.clone())
            .bind(id)
            .bind(issued.currency.clone())
            .bind(total.to_string())
            .bind(body_json)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    audit::record(
        &mut tx,
        actor,
        Some(issued.client_org_id),
        "statement",
        sid,
        "adjustment",
        json!({"adjusts": issued.number, "total": total.to_string()}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, sid).await
}

/// The background job: on the first days of a month, drafts last month's statements; every run
/// marks overdue statements and ends expired contracts. Idempotent, so every instance may run it.
pub async fn run_month_end(store: &Store) -> Result<Option<GenerateSummary>> {
    contracts::end_expired(store).await?;
    mark_overdue(store).await?;
    let month = previous_month();
    // One instance claims the month; the others see the claim and skip.
    let claimed = sqlx::query(
        "INSERT INTO statement_counters (period, last) VALUES ($1, 0) ON CONFLICT DO NOTHING",
    )
    .bind(format!("generated:{month}"))
    .execute(&store.pool)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let system = Actor::system(0);
    generate(store, &system, &month, None).await.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_visit_kind_is_an_error_naming_the_visit() {
        assert_eq!(kind_of(7, "emergency").ok(), Some(VisitKind::Emergency));
        match kind_of(7, "picnic") {
            Err(StoreError::Invalid { field, message }) => {
                assert_eq!(field, "visits[V7].kind");
                assert!(message.contains("picnic"), "{message}");
            }
            other => panic!("an unknown kind must not be billed as regular: {other:?}"),
        }
    }
}
