//! The SLA calculator (when is each clock of a policy due for a priority and a start), the
//! holiday-year warnings wherever a calendar is used beyond its holiday data, and importing an
//! official holiday notice into a calendar.

use jiff::Timestamp;
use serde::Serialize;
use weihu_domain::calendar::{Calendar, parse_csv, parse_ics};
use weihu_domain::priority::{Level, Priority};
use weihu_domain::sla::{ClockKind, Due, Target};
use weihu_store::calendars::{self, StoredCalendar, StoredPolicy};
use weihu_store::{Actor, Store, StoreError};

use crate::error::ApiError;

/// RFC 3339 in the calendar's own offset.
pub const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// Parses `text` and stores the calendar with the imported days added.
pub async fn import_into(
    store: &Store,
    a: &Actor,
    id: i64,
    version: i64,
    format: &str,
    text: &str,
) -> Result<StoredCalendar, ApiError> {
    let stored = calendars::get(store, a, id).await?;
    let days = match format {
        "ics" => parse_ics(text),
        "csv" => parse_csv(text),
        _ => return Err(StoreError::invalid("format", "must be ics or csv").into()),
    }
    .map_err(|e| StoreError::invalid("text", e.to_string()))?;
    let cal = stored
        .calendar()?
        .with_imported(&days)
        .map_err(|e| StoreError::invalid(format!("text.{}", e.field), e.message))?;
    Ok(calendars::update(store, a, id, version, &cal.to_json_value()).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ClockDue {
    pub clock: &'static str,
    /// `business` or `wall_clock`.
    pub kind: &'static str,
    pub minutes: i64,
    pub calendar: String,
    /// RFC 3339 in the calendar's zone.
    pub due: String,
    /// The same, for people: `2026-10-08 11:00 Thu`.
    pub due_local: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Calculation {
    pub policy: String,
    pub policy_version: i64,
    pub priority: &'static str,
    pub start: String,
    pub clocks: Vec<ClockDue>,
    /// Set when the start or a due falls in a year the calendar's holiday data does not cover:
    /// there the due counts only the weekly schedule, as if there were no public holidays.
    pub holiday_warning: Option<HolidayWarning>,
}

/// A calendar used beyond the years its holiday sets (or imported holidays) cover.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HolidayWarning {
    pub calendar: String,
    /// The stored calendar, where its holidays can be imported (none for a preset).
    pub calendar_id: Option<i64>,
    /// Years in the range used that have no holiday data.
    pub uncovered_years: Vec<i16>,
    /// Years the calendar's holiday data covers.
    pub covered_years: Vec<i16>,
    /// In English; the pages show the localized text.
    pub message: String,
    /// Where to import the official holiday notice (iCal/CSV) into this calendar.
    pub import_url: Option<String>,
}

/// How far ahead pages look for years without holiday data (the official notice for the next
/// year usually comes out in November).
pub const WARNING_HORIZON_DAYS: i64 = 60;

/// Every stored calendar used within the next [`WARNING_HORIZON_DAYS`] days beyond its holiday
/// data (for the dashboard). Unreadable calendars are skipped, not fatal.
pub async fn upcoming_holiday_warnings(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<HolidayWarning>, StoreError> {
    let params = weihu_store::ListParams {
        limit: Some(500),
        ..Default::default()
    };
    let mut out = Vec::new();
    for stored in calendars::list(store, actor, &params).await?.items {
        let Ok(cal) = stored.calendar() else { continue };
        let today = cal.local_date(Timestamp::now());
        let horizon = today
            .checked_add(jiff::Span::new().days(WARNING_HORIZON_DAYS))
            .unwrap_or(today);
        out.extend(holiday_warning(&cal, Some(stored.id), today, horizon));
    }
    Ok(out)
}

/// The warning for using `cal` from `first` to `last`, if any year there lacks holiday data.
pub fn holiday_warning(
    cal: &Calendar,
    calendar_id: Option<i64>,
    first: jiff::civil::Date,
    last: jiff::civil::Date,
) -> Option<HolidayWarning> {
    let uncovered = cal.uncovered_years(first, last);
    if uncovered.is_empty() {
        return None;
    }
    let years = uncovered
        .iter()
        .map(i16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Some(HolidayWarning {
        calendar: cal.name().to_owned(),
        calendar_id,
        covered_years: cal.covered_years().into_iter().collect(),
        message: format!(
            "calendar {} has no holiday data for {years}: due times there count only the weekly schedule, as if there were no public holidays; import the official holiday notice",
            cal.name()
        ),
        import_url: calendar_id.map(|id| format!("/calendars/{id}#import")),
        uncovered_years: uncovered,
    })
}

/// The due instants of every clock of a policy for one priority and start.
pub async fn calculate_for(
    store: &Store,
    stored: &StoredPolicy,
    priority: Option<&str>,
    urgency: Option<Level>,
    impact: Option<Level>,
    start: Option<&str>,
) -> Result<Calculation, ApiError> {
    let policy = calendars::domain_policy(stored)?;
    let priority = match (priority.filter(|p| !p.is_empty()), urgency, impact) {
        (Some(p), _, _) => Priority::parse(p)
            .ok_or_else(|| StoreError::invalid("priority", "must be P1, P2, P3 or P4"))?,
        (None, Some(u), Some(i)) => policy.matrix.priority(u, i),
        _ => {
            return Err(
                StoreError::invalid("priority", "give a priority, or urgency and impact").into(),
            );
        }
    };
    let start = match start.filter(|s| !s.is_empty()) {
        Some(t) => t
            .parse::<Timestamp>()
            .map_err(|e| StoreError::invalid("start", format!("not an RFC 3339 instant: {e}")))?,
        None => Timestamp::now(),
    };
    let targets = policy.targets_for(priority);
    let cal = calendars::resolve(store, &targets.calendar)
        .await?
        .ok_or_else(|| {
            StoreError::invalid(
                "calendar",
                format!("no calendar named {}", targets.calendar),
            )
        })?;
    let mut clocks = Vec::new();
    let mut last = start;
    for kind in ClockKind::ALL {
        let name = kind.as_str();
        let target = targets.target(kind);
        let due = target
            .due(&cal, start, &[])
            .map_err(|e| StoreError::invalid("start", e.to_string()))?;
        let (due, due_local) = match due {
            Due::At { due } => {
                last = last.max(due);
                let z = due.to_zoned_datetime(cal.time_zone().clone());
                (
                    z.strftime(RFC3339).to_string(),
                    z.strftime("%Y-%m-%d %H:%M %a").to_string(),
                )
            }
            Due::Suspended { .. } => (String::new(), String::new()),
        };
        let (kind_name, minutes) = match target {
            Target::Business { minutes } => ("business", minutes),
            Target::WallClock { minutes } => ("wall_clock", minutes),
        };
        clocks.push(ClockDue {
            clock: name,
            kind: kind_name,
            minutes,
            calendar: targets.calendar.clone(),
            due,
            due_local,
        });
    }
    let holiday_warning = holiday_warning(
        &cal,
        calendars::id_by_name(store, &targets.calendar).await?,
        cal.local_date(start),
        cal.local_date(last),
    );
    Ok(Calculation {
        holiday_warning,
        policy: stored.name.clone(),
        policy_version: stored.current_version,
        priority: priority.as_str(),
        start: start
            .to_zoned_datetime(cal.time_zone().clone())
            .strftime(RFC3339)
            .to_string(),
        clocks,
    })
}
