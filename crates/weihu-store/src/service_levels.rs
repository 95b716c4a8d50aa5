//! A client's service levels for a month (SPEC §9): for each catalog service the client uses,
//! availability over the service's calendar, interruptions against the allowed maximum and
//! restore times against the maximum, from the outages recorded. A running month is measured on
//! its elapsed part. The figures themselves are the domain's ([`weihu_domain::availability`]).

use jiff::SignedDuration;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use weihu_domain::availability::{ServiceTargets, assess, project, stability};

use crate::outages;
use crate::{Actor, Result, Store, StoreError, calendars, instant, now_ms};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceFigures {
    pub catalog_item_id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The calendar the service's hours come from.
    pub calendar: String,
    /// Targets of the catalog: availability percent, interruptions, restore minutes.
    pub availability_target: Option<String>,
    pub max_interruptions: Option<i64>,
    pub max_restore_minutes: Option<i64>,
    /// Agreed service time so far, and downtime within it, in business minutes.
    pub agreed_minutes: i64,
    pub downtime_minutes: i64,
    /// Availability to 4 places (half away from zero).
    pub availability_percent: String,
    pub availability_met: Option<bool>,
    /// Counted interruptions starting this month; excluded ones (force majeure, third party).
    pub interruptions: u32,
    pub excluded: u32,
    /// Counted interruptions from 1 January to the end of this month: stability is the year's
    /// count against `max_interruptions` (SPEC §9).
    #[serde(default)]
    pub interruptions_year: u32,
    pub stability_met: Option<bool>,
    pub longest_restore_minutes: i64,
    pub reliability_met: Option<bool>,
    /// Every target the service has was met.
    pub all_met: bool,
    /// A running month only: availability of the whole month if nothing more goes down (4
    /// places), the downtime the target still allows (minutes, negative when missed), and
    /// whether a target is at risk (three quarters of the allowance used, or interruptions at
    /// the maximum).
    #[serde(default)]
    pub projected_percent: Option<String>,
    #[serde(default)]
    pub downtime_left_minutes: Option<i64>,
    #[serde(default)]
    pub at_risk: bool,
    pub outages: Vec<outages::Outage>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthFigures {
    pub client_org_id: i64,
    pub client_name: String,
    pub month: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: jiff::Timestamp,
    /// The month is not over: figures are so far.
    pub running: bool,
    pub services: Vec<ServiceFigures>,
}

fn minutes(d: SignedDuration) -> i64 {
    d.as_secs() / 60
}

/// The month's figures for one client (a client reads only its own).
pub async fn month(store: &Store, actor: &Actor, client: i64, month: &str) -> Result<MonthFigures> {
    if actor.client_scope().is_some_and(|own| own != client) {
        return Err(StoreError::NotFound);
    }
    let ym = crate::statements::parse_month("month", month)?;
    let client_name: String =
        sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1 AND kind = 'client'")
            .bind(client)
            .fetch_optional(store.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
    let (from_ms, to_ms, _, _) = crate::statements::activity::month_bounds(ym, store.time_zone())?;
    let (from, to) = (instant(from_ms), instant(to_ms));
    let now = instant(now_ms());
    let all = outages::in_period(store, client, from_ms, to_ms).await?;
    // Stability is counted over the year (SPEC §9): the interruptions that started since 1
    // January, per service, with the flags that exclude them.
    let january = weihu_domain::billing::YearMonth::new(ym.year, 1)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let (year_ms, _, _, _) = crate::statements::activity::month_bounds(january, store.time_zone())?;
    let year_rows: Vec<(Option<i64>, i64, i64, i64)> = sqlx::query_as(
        "SELECT catalog_item_id, started_at, force_majeure, third_party FROM outages \
         WHERE client_org_id = $1 AND started_at >= $2 AND started_at < $3",
    )
    .bind(client)
    .bind(year_ms)
    .bind(to_ms)
    .fetch_all(store.reader())
    .await?;
    let rows = sqlx::query(
        "SELECT i.id, i.code, i.name, i.name_en, i.availability_target, i.max_interruptions, i.max_restore_minutes, \
         c.name AS calendar_name FROM catalog_items i JOIN catalog_item_clients u ON u.item_id = i.id \
         LEFT JOIN calendars c ON c.id = i.calendar_id WHERE u.client_org_id = $1 ORDER BY i.code",
    )
    .bind(client)
    .fetch_all(store.reader())
    .await?;
    let mut services = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let calendar_name: Option<String> = r.try_get("calendar_name")?;
        let calendar_name = calendar_name.unwrap_or_else(|| calendars::BUILTIN_CALENDAR.to_owned());
        let calendar = match calendars::resolve(store, &calendar_name).await? {
            Some(c) => c,
            None => calendars::builtin_calendar()?,
        };
        let availability_target: Option<String> = r.try_get("availability_target")?;
        let max_interruptions: Option<i64> = r.try_get("max_interruptions")?;
        let max_restore_minutes: Option<i64> = r.try_get("max_restore_minutes")?;
        let targets = ServiceTargets {
            availability_percent: availability_target
                .as_deref()
                .and_then(|t| t.parse::<Decimal>().ok()),
            max_interruptions: max_interruptions.and_then(|m| u32::try_from(m).ok()),
            max_restore: max_restore_minutes.map(SignedDuration::from_mins),
        };
        let mine: Vec<outages::Outage> = all
            .iter()
            .filter(|o| o.catalog_item_id == Some(id))
            .cloned()
            .collect();
        let measured: Vec<_> = mine.iter().map(outages::Outage::measured).collect();
        let a = assess(&calendar, from, to, &measured, &targets, now)
            .map_err(|e| StoreError::Format(e.to_string()))?;
        let year: Vec<weihu_domain::availability::Outage> = year_rows
            .iter()
            .filter(|(item, ..)| *item == Some(id))
            .map(|(_, start, fm, tp)| weihu_domain::availability::Outage {
                start: instant(*start),
                end: None,
                force_majeure: *fm != 0,
                third_party: *tp != 0,
            })
            .collect();
        let stability_year = targets
            .max_interruptions
            .map(|max| stability(&year, instant(year_ms), to, max));
        let interruptions_year = stability(&year, instant(year_ms), to, 0).interruptions;
        let projection = if now < to {
            Some(
                project(&calendar, from, to, &measured, &targets, now)
                    .map_err(|e| StoreError::Format(e.to_string()))?,
            )
        } else {
            None
        };
        services.push(ServiceFigures {
            catalog_item_id: id,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            name_en: r.try_get("name_en")?,
            calendar: calendar_name,
            availability_target,
            max_interruptions,
            max_restore_minutes,
            agreed_minutes: minutes(a.availability.agreed),
            downtime_minutes: minutes(a.availability.downtime),
            availability_percent: format!("{:.4}", a.availability.percent_to(4)),
            availability_met: a.availability_met,
            interruptions: a.availability.interruptions,
            excluded: a.availability.excluded,
            interruptions_year,
            stability_met: stability_year.map(|s| s.met),
            longest_restore_minutes: minutes(a.availability.longest_restore),
            reliability_met: a.reliability_met,
            all_met: a.all_met(),
            projected_percent: projection.map(|p| format!("{:.4}", p.percent)),
            downtime_left_minutes: projection.and_then(|p| p.budget_left).map(minutes),
            // The year's allowance counts too: at the maximum, one more interruption misses it.
            at_risk: projection.is_some_and(|p| {
                p.at_risk
                    || stability_year.is_some_and(|s| s.interruptions >= s.allowed && s.allowed > 0)
            }),
            outages: mine,
        });
    }
    Ok(MonthFigures {
        client_org_id: client,
        client_name,
        month: ym.to_string(),
        from,
        to,
        running: now < to,
        services,
    })
}

/// Early warning for one client's running month (SPEC §9): its clocks so far and at risk, the
/// projected attainment (clocks at risk counted as breached), satisfaction against the 90 %
/// target, and its services whose targets are at risk.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientWarning {
    pub client_org_id: i64,
    pub client_name: String,
    pub month: String,
    pub clocks_met: u64,
    pub clocks_breached: u64,
    /// Running clocks that have used their at-risk share and are not yet due.
    pub clocks_at_risk: u64,
    pub attainment_percent: Option<String>,
    pub projected_attainment_percent: Option<String>,
    pub satisfaction_percent: Option<String>,
    pub satisfaction_met: Option<bool>,
    /// Services whose availability allowance is three quarters used (or gone), or whose
    /// interruptions are at the maximum.
    pub services_at_risk: Vec<ServiceRisk>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceRisk {
    pub catalog_item_id: i64,
    pub name: String,
    pub name_en: String,
    pub projected_percent: Option<String>,
    pub availability_target: Option<String>,
    pub downtime_left_minutes: Option<i64>,
}

impl ClientWarning {
    /// Something needs the service-level manager's attention.
    pub fn any(&self) -> bool {
        self.clocks_at_risk > 0
            || self.clocks_breached > 0
            || !self.services_at_risk.is_empty()
            || self.satisfaction_met == Some(false)
    }
}

/// The running month's early warnings: every client with something at risk (a client's own
/// users: their own, at risk or not), most pressing first. Month-wide grouped queries; service
/// figures only for clients with outages this month.
pub async fn warnings(
    store: &Store,
    actor: &Actor,
    only: Option<i64>,
) -> Result<Vec<ClientWarning>> {
    use std::collections::BTreeMap;
    use weihu_domain::attainment::{Satisfaction, Tally, share};
    let only = actor.client_scope().or(only);
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(store.time_zone().clone())
        .date();
    let ym = weihu_domain::billing::YearMonth::of(today);
    let month = ym.to_string();
    let (from, to, _, _) = crate::statements::activity::month_bounds(ym, store.time_zone())?;
    let now = now_ms();
    let scope = |sql: &str| match only {
        Some(c) => format!("{sql} AND o.client_org_id = {c}"),
        None => sql.to_owned(),
    };
    // Clocks carry their order's client: no join through the orders.
    let clock_scope = |sql: &str| match only {
        Some(c) => format!("{sql} AND c.client_org_id = {c}"),
        None => sql.to_owned(),
    };
    let mut tallies: BTreeMap<i64, (Tally, u64, Satisfaction)> = BTreeMap::new();
    let ended: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(
        clock_scope(
            "SELECT c.client_org_id, sum(CASE WHEN c.outcome = 'met' THEN 1 ELSE 0 END), \
         sum(CASE WHEN c.outcome = 'breached' THEN 1 ELSE 0 END) FROM order_clocks c \
         WHERE c.outcome IS NOT NULL AND c.stopped_at >= $1 AND c.stopped_at < $2",
        ) + " GROUP BY c.client_org_id",
    ))
    .bind(from)
    .bind(to)
    .fetch_all(store.reader())
    .await?;
    for (c, met, breached) in ended {
        let t = &mut tallies.entry(c).or_default().0;
        t.met += u64::try_from(met).unwrap_or(0);
        t.breached += u64::try_from(breached).unwrap_or(0);
    }
    // Running clocks already past due this month, and running clocks at risk but not yet due.
    let running: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(
        clock_scope(
            "SELECT c.client_org_id, sum(CASE WHEN c.due_at < $2 THEN 1 ELSE 0 END), \
         sum(CASE WHEN c.due_at >= $2 AND c.at_risk_notified = 1 THEN 1 ELSE 0 END) \
         FROM order_clocks c WHERE c.stopped_at IS NULL AND c.state <> 'stopped' AND c.due_at >= $1",
        ) + " GROUP BY c.client_org_id",
    ))
    .bind(from)
    .bind(now)
    .fetch_all(store.reader())
    .await?;
    for (c, late, risky) in running {
        let e = tallies.entry(c).or_default();
        e.0.breached += u64::try_from(late).unwrap_or(0);
        e.1 += u64::try_from(risky).unwrap_or(0);
    }
    let ratings: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(
        scope(
            "SELECT o.client_org_id, o.rating, count(*) FROM orders o WHERE o.rating IS NOT NULL \
         AND o.rated_at >= $1 AND o.rated_at < $2",
        ) + " GROUP BY o.client_org_id, o.rating",
    ))
    .bind(from)
    .bind(to)
    .fetch_all(store.reader())
    .await?;
    for (c, rating, n) in ratings {
        tallies
            .entry(c)
            .or_default()
            .2
            .add_many(rating, u64::try_from(n).unwrap_or(0));
    }
    let with_outages: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(scope(
        "SELECT DISTINCT o.client_org_id FROM outages o WHERE o.started_at < $2 AND (o.ended_at IS NULL OR o.ended_at > $1)",
    )))
    .bind(from)
    .bind(to)
    .fetch_all(store.reader())
    .await?;
    let mut risks: BTreeMap<i64, Vec<ServiceRisk>> = BTreeMap::new();
    for c in with_outages {
        let figures = self::month(store, actor, c, &month).await?;
        let at_risk: Vec<ServiceRisk> = figures
            .services
            .into_iter()
            .filter(|s| s.at_risk)
            .map(|s| ServiceRisk {
                catalog_item_id: s.catalog_item_id,
                name: s.name,
                name_en: s.name_en,
                projected_percent: s.projected_percent,
                availability_target: s.availability_target,
                downtime_left_minutes: s.downtime_left_minutes,
            })
            .collect();
        if !at_risk.is_empty() {
            risks.insert(c, at_risk);
        }
        tallies.entry(c).or_default();
    }
    if let Some(c) = only {
        tallies.entry(c).or_default();
    }
    let names: BTreeMap<i64, String> = sqlx::query_as::<_, (i64, String)>(
        "SELECT id, name FROM organizations WHERE kind = 'client'",
    )
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .collect();
    let mut out: Vec<ClientWarning> = tallies
        .into_iter()
        .filter_map(|(c, (t, at_risk, sat))| {
            let client_name = names.get(&c)?.clone();
            let projected = share(t.met, t.total() + at_risk, 2);
            Some(ClientWarning {
                client_org_id: c,
                client_name,
                month: month.clone(),
                clocks_met: t.met,
                clocks_breached: t.breached,
                clocks_at_risk: at_risk,
                attainment_percent: t.percent().map(|p| format!("{p:.2}")),
                projected_attainment_percent: projected.map(|p| format!("{p:.2}")),
                satisfaction_percent: sat.percent().map(|p| format!("{p:.2}")),
                satisfaction_met: sat.met(),
                services_at_risk: risks.remove(&c).unwrap_or_default(),
            })
        })
        .filter(|w| only.is_some() || w.any())
        .collect();
    out.sort_by(|a, b| {
        (b.services_at_risk.len() as u64 + b.clocks_breached + b.clocks_at_risk)
            .cmp(&(a.services_at_risk.len() as u64 + a.clocks_breached + a.clocks_at_risk))
            .then_with(|| a.client_name.cmp(&b.client_name))
    });
    Ok(out)
}
