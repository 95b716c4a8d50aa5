//! A client's service levels for a month (SPEC §9): for each catalog service the client uses,
//! availability over the service's calendar, interruptions against the allowed maximum and
//! restore times against the maximum, from the outages recorded. A running month is measured on
//! its elapsed part. The figures themselves are the domain's ([`weihu_domain::availability`]).

use jiff::SignedDuration;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use weihu_domain::availability::{ServiceTargets, assess};

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
    pub stability_met: Option<bool>,
    pub longest_restore_minutes: i64,
    pub reliability_met: Option<bool>,
    /// Every target the service has was met.
    pub all_met: bool,
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
            .fetch_optional(&store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    let (from_ms, to_ms, _, _) = crate::statements::activity::month_bounds(ym, store.time_zone())?;
    let (from, to) = (instant(from_ms), instant(to_ms));
    let now = instant(now_ms());
    let all = outages::in_period(store, client, from_ms, to_ms).await?;
    let rows = sqlx::query(
        "SELECT i.id, i.code, i.name, i.name_en, i.availability_target, i.max_interruptions, i.max_restore_minutes, \
         c.name AS calendar_name FROM catalog_items i JOIN catalog_item_clients u ON u.item_id = i.id \
         LEFT JOIN calendars c ON c.id = i.calendar_id WHERE u.client_org_id = $1 ORDER BY i.code",
    )
    .bind(client)
    .fetch_all(&store.pool)
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
            stability_met: a.stability.map(|s| s.met),
            longest_restore_minutes: minutes(a.availability.longest_restore),
            reliability_met: a.reliability_met,
            all_met: a.all_met(),
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
