//! Business calendars (SPEC §3): a weekly schedule of local-time service intervals in an IANA
//! time zone, holidays and make-up working days (调休), and the business-time engine on top.
//!
//! # Rules
//! - Precedence on a date: holiday > make-up working day > weekly schedule.
//! - Business time is real elapsed time inside service intervals, so on a DST change a 7×24 day
//!   has 23 or 25 hours.
//! - A local bound in a DST **gap** (a wall time that never happens) resolves to the transition
//!   instant. In a **fold** (a wall time that happens twice) an interval start resolves to the
//!   earlier instant and an end to the later one, so the interval covers the whole repeated hour.
//! - Instants and dates are supported between 1900 and 2200.
//!
//! # JSON format (import/export; [`Calendar::from_json`], [`Calendar::to_json`])
//! ```json
//! {"name": "5x8 China", "time_zone": "Asia/Shanghai",
//!  "week": {"mon": [["09:00","12:00"], ["13:30","17:30"]], "sat": [], "sun": []},
//!  "holidays": ["2026-10-01", {"date": "2026-10-02", "name": "国庆节"}],
//!  "workdays": [{"date": "2026-10-10", "as": "mon"}],
//!  "holiday_sets": ["cn-2026"]}
//! ```
//! - `name` is required; `time_zone` defaults to `Asia/Shanghai`.
//! - `week` keys are `mon`…`sun`; a missing weekday has no service. Each interval is
//!   `[start, end)` as `"HH:MM"` (or `"HH:MM:SS"`); `"24:00"` is allowed as an end. Intervals
//!   of a day must be non-empty, ordered and non-overlapping (touching is fine).
//! - `holidays` are dates, optionally with a name; `workdays` are make-up days whose `as`
//!   weekday schedule they follow (default `mon`); `holiday_sets` names built-in sets
//!   ([`builtin_holiday_sets`]) whose holidays and make-up days are added. Export writes the
//!   set names, not their dates, so the format round-trips.
//! - Every error is a [`CalendarError`] naming the field, e.g. `week.mon[1]`, `holidays[0]`,
//!   `workdays[2].as`, `holiday_sets[0]`, `time_zone`.

mod coverage;
mod holiday_sets;
mod import;
mod json;
pub(crate) mod zone;

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

pub use holiday_sets::{HolidaySet, builtin_holiday_sets, builtin_years, holiday_set};
pub use import::{ImportError, ImportedDay, ImportedKind, parse_csv, parse_ics};

use crate::sla::SlaError;
use zone::{Bound, DAY, MAX_DAY, MIN_DAY, ZoneTable, date_of_day, day_number, weekday_index};

const NS: i64 = 1_000_000_000;
/// The default time zone of a calendar.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";
/// Most days [`Calendar::service_days`] returns at once.
pub const MAX_SERVICE_DAYS: u32 = 400;

/// A calendar validation error naming the offending field by path (e.g. `week.mon[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct CalendarError {
    /// Path of the offending field, e.g. `week.mon[1]` or `workdays[0].as`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl CalendarError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> CalendarError {
        CalendarError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A local wall-clock time of day between 00:00 and 24:00, with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// 00:00.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// 24:00, the end of the day (valid only as an interval end).
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(86_400);

    /// `hour:minute`, with 24:00 allowed; `None` when out of range.
    pub fn hm(hour: u32, minute: u32) -> Option<TimeOfDay> {
        TimeOfDay::hms(hour, minute, 0)
    }

    /// `hour:minute:second`, with 24:00:00 allowed; `None` when out of range.
    pub fn hms(hour: u32, minute: u32, second: u32) -> Option<TimeOfDay> {
        let ok =
            (hour < 24 && minute < 60 && second < 60) || (hour == 24 && minute == 0 && second == 0);
        ok.then_some(TimeOfDay(hour * 3600 + minute * 60 + second))
    }

    /// Parses `HH:MM` or `HH:MM:SS` (`24:00` allowed).
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let mut parts = s.split(':');
        let mut num = |required: bool| -> Option<Option<u32>> {
            match parts.next() {
                None if !required => Some(None),
                None => None,
                Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.parse().ok().map(Some)
                }
                Some(_) => None,
            }
        };
        let h = num(true)??;
        let m = num(true)??;
        let sec = num(false)?.unwrap_or(0);
        if parts.next().is_some() {
            return None;
        }
        TimeOfDay::hms(h, m, sec)
    }

    /// Seconds since local midnight (0..=86400).
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// A `[start, end)` local-time service interval within one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalInterval {
    start: TimeOfDay,
    end: TimeOfDay,
}

impl LocalInterval {
    /// A non-empty interval; `None` unless `start < end` and `start` is before 24:00.
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Option<LocalInterval> {
        (start < end).then_some(LocalInterval { start, end })
    }

    /// Convenience constructor from `(hour, minute)` pairs; `None` when invalid.
    pub fn hm(start: (u32, u32), end: (u32, u32)) -> Option<LocalInterval> {
        LocalInterval::new(
            TimeOfDay::hm(start.0, start.1)?,
            TimeOfDay::hm(end.0, end.1)?,
        )
    }

    /// Start (inclusive).
    pub fn start(self) -> TimeOfDay {
        self.start
    }

    /// End (exclusive).
    pub fn end(self) -> TimeOfDay {
        self.end
    }
}

/// For each weekday, the ordered, non-overlapping service intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklySchedule {
    days: [Vec<LocalInterval>; 7],
}

/// The JSON keys of the weekdays, Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The JSON key (`mon`…`sun`) of a weekday.
pub fn weekday_key(w: Weekday) -> &'static str {
    WEEKDAY_KEYS[w.to_monday_zero_offset() as usize]
}

/// Parses a weekday key: `mon`…`sun` or the full English name, case-insensitive.
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let i = WEEKDAY_KEYS
        .iter()
        .position(|k| *k == s)
        .or_else(|| full.iter().position(|k| *k == s))?;
    Weekday::from_monday_zero_offset(i8::try_from(i).ok()?).ok()
}

impl WeeklySchedule {
    /// A schedule with no service on any day.
    pub fn empty() -> WeeklySchedule {
        WeeklySchedule::default()
    }

    /// Every day 00:00–24:00.
    pub fn seven_by_24() -> WeeklySchedule {
        let all = LocalInterval {
            start: TimeOfDay::MIDNIGHT,
            end: TimeOfDay::END_OF_DAY,
        };
        WeeklySchedule {
            days: std::array::from_fn(|_| vec![all]),
        }
    }

    /// Monday to Friday 09:00–17:00.
    pub fn five_by_8() -> WeeklySchedule {
        let work = LocalInterval {
            start: TimeOfDay(9 * 3600),
            end: TimeOfDay(17 * 3600),
        };
        WeeklySchedule {
            days: std::array::from_fn(|i| if i < 5 { vec![work] } else { Vec::new() }),
        }
    }

    /// Replaces one weekday's intervals; errors (with the interval index) unless ordered and
    /// non-overlapping.
    pub fn set(
        &mut self,
        day: Weekday,
        intervals: Vec<LocalInterval>,
    ) -> Result<(), (usize, String)> {
        for (i, pair) in intervals.windows(2).enumerate() {
            if pair[1].start < pair[0].end {
                return Err((
                    i + 1,
                    format!(
                        "overlaps or precedes the interval before it ({} < {})",
                        pair[1].start, pair[0].end
                    ),
                ));
            }
        }
        self.days[day.to_monday_zero_offset() as usize] = intervals;
        Ok(())
    }

    /// The intervals of a weekday.
    pub fn get(&self, day: Weekday) -> &[LocalInterval] {
        &self.days[day.to_monday_zero_offset() as usize]
    }

    /// Total scheduled seconds in a regular week.
    pub fn total_seconds(&self) -> i64 {
        self.days
            .iter()
            .flatten()
            .map(|iv| i64::from(iv.end.0 - iv.start.0))
            .sum()
    }
}

/// A make-up working day: follows the schedule of `as_weekday`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakeUpDay {
    /// The weekday whose schedule applies (default Monday).
    pub as_weekday: Weekday,
    /// Optional label (e.g. 国庆节调休上班).
    pub name: Option<String>,
}

/// What kind of day a date is on a calendar (for month views).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// A holiday: no service.
    Holiday {
        /// The holiday's name, when known.
        name: Option<String>,
    },
    /// A make-up working day following the schedule of weekday `as_weekday` (`mon`…`sun`).
    MakeUpWorkday {
        /// Key of the weekday whose schedule applies.
        as_weekday: String,
        /// Label, when known.
        name: Option<String>,
    },
    /// A regular day with service hours from the weekly schedule.
    Regular,
    /// A regular day whose weekday has no service hours.
    NoService,
}

/// One service window as UTC instants `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceWindow {
    /// Opening instant.
    pub start: Timestamp,
    /// Closing instant (exclusive).
    pub end: Timestamp,
}

impl ServiceWindow {
    /// The window's bounds in a time zone, for display.
    pub fn zoned(&self, tz: &TimeZone) -> (ZonedDateTime, ZonedDateTime) {
        (
            self.start.to_zoned_datetime(tz.clone()),
            self.end.to_zoned_datetime(tz.clone()),
        )
    }

    /// Local wall times as `09:00–17:00`; a window that ends at the next midnight reads `24:00`.
    pub fn local_label(&self, tz: &TimeZone) -> String {
        let (a, b) = self.zoned(tz);
        let end = if b.date() > a.date() && b.hour() == 0 && b.minute() == 0 {
            "24:00".to_string()
        } else {
            b.strftime("%H:%M").to_string()
        };
        format!("{}–{}", a.strftime("%H:%M"), end)
    }
}

#[cfg(test)]
mod window_label_tests {
    use super::*;

    #[test]
    fn a_whole_day_reads_00_00_to_24_00() {
        let tz = TimeZone::get("Asia/Shanghai").expect("tz");
        let w = ServiceWindow {
            start: "2026-10-01T00:00:00+08:00".parse().expect("ts"),
            end: "2026-10-02T00:00:00+08:00".parse().expect("ts"),
        };
        assert_eq!(w.local_label(&tz), "00:00–24:00");
        let w = ServiceWindow {
            start: "2026-10-01T09:00:00+08:00".parse().expect("ts"),
            end: "2026-10-01T17:00:00+08:00".parse().expect("ts"),
        };
        assert_eq!(w.local_label(&tz), "09:00–17:00");
    }
}

/// A date's kind and service windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayService {
    /// The local date.
    pub date: Date,
    /// Holiday, make-up day, regular or no service.
    pub kind: DayKind,
    /// The date's service windows in order (empty on holidays).
    pub windows: Vec<ServiceWindow>,
}

/// Rule code of a day in the dense table: 0 regular, 1 holiday, 2 + w make-up as weekday w.
const RULE_REGULAR: u8 = 0;
const RULE_HOLIDAY: u8 = 1;

/// Everything precomputed for fast business-time arithmetic.
#[derive(Debug, Clone)]
struct Compiled {
    zone: ZoneTable,
    week: [Vec<(i64, i64)>; 7],
    weekly_total_ns: i64,
    rules_lo: i32,
    rules: Vec<u8>,
    exception_days: Vec<i32>,
    effective: BTreeMap<Date, DayKind>,
}

/// A business calendar: time zone, weekly schedule, holidays, make-up days, holiday sets.
#[derive(Debug, Clone)]
pub struct Calendar {
    name: String,
    time_zone_name: String,
    tz: TimeZone,
    week: WeeklySchedule,
    holidays: BTreeMap<Date, Option<String>>,
    workdays: BTreeMap<Date, MakeUpDay>,
    holiday_sets: Vec<String>,
    compiled: Compiled,
}

impl PartialEq for Calendar {
    fn eq(&self, other: &Calendar) -> bool {
        self.name == other.name
            && self.time_zone_name == other.time_zone_name
            && self.week == other.week
            && self.holidays == other.holidays
            && self.workdays == other.workdays
            && self.holiday_sets == other.holiday_sets
    }
}

impl Eq for Calendar {}

fn check_date(field: &str, d: Date) -> Result<i32, CalendarError> {
    let n = day_number(d);
    if (MIN_DAY..MAX_DAY).contains(&n) {
        Ok(n)
    } else {
        Err(CalendarError::new(
            field,
            "date must be between 1900-01-01 and 2199-12-31",
        ))
    }
}

impl Calendar {
    /// A calendar with a weekly schedule in the named IANA zone, no holidays.
    pub fn new(
        name: &str,
        time_zone: &str,
        week: WeeklySchedule,
    ) -> Result<Calendar, CalendarError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(CalendarError::new("name", "must be 1 to 200 characters"));
        }
        let tz = TimeZone::get(time_zone).map_err(|_| {
            CalendarError::new("time_zone", format!("unknown IANA time zone {time_zone:?}"))
        })?;
        let zone = ZoneTable::build(&tz);
        let mut cal = Calendar {
            name: name.to_string(),
            time_zone_name: time_zone.to_string(),
            tz,
            week,
            holidays: BTreeMap::new(),
            workdays: BTreeMap::new(),
            holiday_sets: Vec::new(),
            compiled: Compiled {
                zone,
                week: Default::default(),
                weekly_total_ns: 0,
                rules_lo: 0,
                rules: Vec::new(),
                exception_days: Vec::new(),
                effective: BTreeMap::new(),
            },
        };
        cal.recompile();
        Ok(cal)
    }

    /// The `7x24` preset (every day 00:00–24:00) in a zone.
    pub fn seven_by_24(time_zone: &str) -> Result<Calendar, CalendarError> {
        Calendar::new("7x24", time_zone, WeeklySchedule::seven_by_24())
    }

    /// The `5x8` preset (Mon–Fri 09:00–17:00) in a zone.
    pub fn five_by_8(time_zone: &str) -> Result<Calendar, CalendarError> {
        Calendar::new("5x8", time_zone, WeeklySchedule::five_by_8())
    }

    /// A preset by name (`7x24` or `5x8`) in Asia/Shanghai.
    pub fn preset(name: &str) -> Option<Calendar> {
        match name {
            "7x24" => Calendar::seven_by_24(DEFAULT_TIME_ZONE).ok(),
            "5x8" => Calendar::five_by_8(DEFAULT_TIME_ZONE).ok(),
            _ => None,
        }
    }

    /// Adds a holiday (no service on `date`).
    pub fn with_holiday(
        mut self,
        date: Date,
        name: Option<String>,
    ) -> Result<Calendar, CalendarError> {
        check_date("holidays", date)?;
        self.holidays.insert(date, name);
        self.recompile();
        Ok(self)
    }

    /// Adds a make-up working day following the schedule of `as_weekday`.
    pub fn with_workday(
        mut self,
        date: Date,
        as_weekday: Weekday,
        name: Option<String>,
    ) -> Result<Calendar, CalendarError> {
        check_date("workdays", date)?;
        self.workdays.insert(date, MakeUpDay { as_weekday, name });
        self.recompile();
        Ok(self)
    }

    /// Adds a built-in holiday set by name (see [`builtin_holiday_sets`]).
    pub fn with_holiday_set(mut self, set: &str) -> Result<Calendar, CalendarError> {
        if holiday_set(set).is_none() {
            return Err(CalendarError::new(
                "holiday_sets",
                format!("unknown holiday set {set:?}"),
            ));
        }
        if !self.holiday_sets.iter().any(|s| s == set) {
            self.holiday_sets.push(set.to_string());
        }
        self.recompile();
        Ok(self)
    }

    /// Adds imported holidays and make-up days (from [`parse_csv`] or [`parse_ics`]).
    pub fn with_imported(mut self, days: &[ImportedDay]) -> Result<Calendar, CalendarError> {
        for (i, d) in days.iter().enumerate() {
            check_date(&format!("imported[{i}].date"), d.date)?;
            match &d.kind {
                ImportedKind::Holiday => {
                    self.holidays.insert(d.date, d.name.clone());
                }
                ImportedKind::Workday { as_weekday } => {
                    self.workdays.insert(
                        d.date,
                        MakeUpDay {
                            as_weekday: *as_weekday,
                            name: d.name.clone(),
                        },
                    );
                }
            }
        }
        self.recompile();
        Ok(self)
    }

    /// The calendar's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IANA name of the calendar's time zone.
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The weekly schedule.
    pub fn week(&self) -> &WeeklySchedule {
        &self.week
    }

    /// Explicit holidays (not counting holiday sets).
    pub fn holidays(&self) -> &BTreeMap<Date, Option<String>> {
        &self.holidays
    }

    /// Explicit make-up working days (not counting holiday sets).
    pub fn workdays(&self) -> &BTreeMap<Date, MakeUpDay> {
        &self.workdays
    }

    /// Names of the built-in holiday sets in use.
    pub fn holiday_sets(&self) -> &[String] {
        &self.holiday_sets
    }

    /// Business time in a regular week (no holidays or make-up days).
    pub fn weekly_business_time(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(self.week.total_seconds())
    }

    /// Whether the calendar ever has service hours (a non-empty weekly schedule).
    pub fn has_service_hours(&self) -> bool {
        self.compiled.weekly_total_ns > 0
    }

    fn recompile(&mut self) {
        let mut effective: BTreeMap<Date, DayKind> = BTreeMap::new();
        let add_workday =
            |eff: &mut BTreeMap<Date, DayKind>, d: Date, w: Weekday, name: Option<String>| {
                eff.insert(
                    d,
                    DayKind::MakeUpWorkday {
                        as_weekday: weekday_key(w).to_string(),
                        name,
                    },
                );
            };
        for set in self.holiday_sets.iter().filter_map(|s| holiday_set(s)) {
            for (d, w, name) in set.workdays() {
                add_workday(&mut effective, d, w, Some(name.to_string()));
            }
        }
        for (d, m) in &self.workdays {
            add_workday(&mut effective, *d, m.as_weekday, m.name.clone());
        }
        for set in self.holiday_sets.iter().filter_map(|s| holiday_set(s)) {
            for (d, name) in set.holidays() {
                effective.insert(
                    d,
                    DayKind::Holiday {
                        name: Some(name.to_string()),
                    },
                );
            }
        }
        for (d, name) in &self.holidays {
            let name = name.clone().or_else(|| match effective.get(d) {
                Some(DayKind::Holiday { name }) => name.clone(),
                _ => None,
            });
            effective.insert(*d, DayKind::Holiday { name });
        }
        let days: Vec<(i32, u8)> = effective
            .iter()
            .map(|(d, k)| {
                let code = match k {
                    DayKind::MakeUpWorkday { as_weekday, .. } => {
                        2 + parse_weekday(as_weekday).map_or(0, |w| w.to_monday_zero_offset() as u8)
                    }
                    _ => RULE_HOLIDAY,
                };
                (day_number(*d), code)
            })
            .collect();
        let c = &mut self.compiled;
        c.rules_lo = days.first().map_or(0, |d| d.0);
        let hi = days.last().map_or(0, |d| d.0);
        c.rules = vec![
            RULE_REGULAR;
            usize::try_from(hi - c.rules_lo + 1)
                .unwrap_or(0)
                .min(200 * 366)
        ];
        for &(day, code) in &days {
            if let Some(slot) = usize::try_from(day - c.rules_lo)
                .ok()
                .and_then(|i| c.rules.get_mut(i))
            {
                *slot = code;
            }
        }
        c.exception_days = days.iter().map(|d| d.0).collect();
        c.week = std::array::from_fn(|i| {
            self.week.days[i]
                .iter()
                .map(|iv| (i64::from(iv.start.0), i64::from(iv.end.0)))
                .collect()
        });
        c.weekly_total_ns = self.week.total_seconds() * NS;
        c.effective = effective;
    }

    /// The kind of a date: holiday, make-up working day, regular, or no service.
    pub fn day_kind(&self, date: Date) -> DayKind {
        if let Some(k) = self.compiled.effective.get(&date) {
            return k.clone();
        }
        if self.week.get(date.weekday()).is_empty() {
            DayKind::NoService
        } else {
            DayKind::Regular
        }
    }

    /// The local date of an instant in the calendar's zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned_datetime(self.tz.clone()).date()
    }

    /// Kinds and service windows of `days` consecutive dates from `first` (at most
    /// [`MAX_SERVICE_DAYS`]), e.g. the next 14 days or a month view.
    pub fn service_days(&self, first: Date, days: u32) -> Result<Vec<DayService>, SlaError> {
        if days > MAX_SERVICE_DAYS {
            return Err(SlaError::RangeTooLong {
                max_days: MAX_SERVICE_DAYS,
            });
        }
        let d0 = day_number(first);
        let last = d0.saturating_add(days as i32);
        if d0 < MIN_DAY + 1 || last >= MAX_DAY - 1 {
            return Err(SlaError::OutOfRange);
        }
        let mut out = Vec::with_capacity(days as usize);
        let mut cursor = i64::MIN;
        for day in d0..last {
            let date = date_of_day(day).ok_or(SlaError::OutOfRange)?;
            let mut windows = Vec::new();
            for &(s, e) in self.schedule_for(day) {
                let (ws, we) = self.window_ns(day, s, e);
                let ws = ws.max(cursor);
                if we > ws {
                    windows.push(ServiceWindow {
                        start: ts_of(ws)?,
                        end: ts_of(we)?,
                    });
                    cursor = we;
                }
            }
            out.push(DayService {
                date,
                kind: self.day_kind(date),
                windows,
            });
        }
        Ok(out)
    }

    /// Whether `at` lies inside a service window `[start, end)`.
    pub fn is_open_at(&self, at: Timestamp) -> Result<bool, SlaError> {
        let t = ns_of(at)?;
        let day = self.compiled.zone.local_day(t.div_euclid(NS));
        let mut cursor = i64::MIN;
        for d in day - 1..=day {
            for &(s, e) in self.schedule_for(d) {
                let (ws, we) = self.window_ns(d, s, e);
                let ws = ws.max(cursor);
                if we > ws {
                    if ws <= t && t < we {
                        return Ok(true);
                    }
                    cursor = we;
                }
            }
        }
        Ok(false)
    }

    // ---- engine ----------------------------------------------------------------------------

    /// The local-second intervals that apply on a day number.
    #[inline]
    fn schedule_for(&self, day: i32) -> &[(i64, i64)] {
        let c = &self.compiled;
        let code = usize::try_from(day.wrapping_sub(c.rules_lo))
            .ok()
            .and_then(|i| c.rules.get(i).copied())
            .unwrap_or(RULE_REGULAR);
        match code {
            RULE_REGULAR => &c.week[weekday_index(day)],
            RULE_HOLIDAY => &[],
            w => &c.week[usize::from(w - 2).min(6)],
        }
    }

    /// UTC nanosecond bounds of a local interval on a day.
    #[inline]
    fn window_ns(&self, day: i32, s: i64, e: i64) -> (i64, i64) {
        let base = i64::from(day) * DAY;
        let z = &self.compiled.zone;
        (
            z.to_utc(base + s, Bound::Start) * NS,
            z.to_utc(base + e, Bound::End) * NS,
        )
    }

    /// First exception (holiday/make-up) day `>= day`, or `i32::MAX`.
    fn next_exception_day(&self, day: i32) -> i32 {
        let ex = &self.compiled.exception_days;
        ex.get(ex.partition_point(|&d| d < day))
            .copied()
            .unwrap_or(i32::MAX)
    }

    /// First day `>= day` that is not a plain week day (exception or DST transition).
    fn next_irregular_day(&self, day: i32) -> i32 {
        self.next_exception_day(day)
            .min(self.compiled.zone.next_irregular_day(day))
    }

    /// The earliest instant (ns) where business time since `start` reaches `target` (ns).
    pub(crate) fn advance_ns(&self, start: i64, target: i64) -> Result<i64, SlaError> {
        let w = self.compiled.weekly_total_ns;
        if w == 0 {
            return Err(SlaError::NoServiceHours);
        }
        check_ns(start)?;
        let start_day = self.compiled.zone.local_day(start.div_euclid(NS));
        let limit_day = start_day + LIMIT_DAYS;
        let mut remaining = target.max(0);
        let mut cursor = start;
        let mut day = start_day - 1;
        loop {
            if day > limit_day {
                return Err(SlaError::DueTooFar { years: 10 });
            }
            if day > start_day && remaining > w {
                let end = self.next_irregular_day(day).min(limit_day + 1);
                if end > day {
                    let k = i64::from((end - day) / 7).min((remaining - 1) / w);
                    remaining -= k * w;
                    day += (k * 7) as i32;
                }
            }
            for &(s, e) in self.schedule_for(day) {
                let (ws, we) = self.window_ns(day, s, e);
                let ws = ws.max(cursor);
                if we <= ws {
                    continue;
                }
                let avail = we - ws;
                if remaining <= avail {
                    return Ok(ws + remaining);
                }
                remaining -= avail;
                cursor = we;
            }
            day += 1;
        }
    }

    /// Business nanoseconds in `[from, to)`.
    pub(crate) fn measure_ns(&self, from: i64, to: i64) -> Result<i64, SlaError> {
        if to <= from {
            return Ok(0);
        }
        check_ns(from)?;
        check_ns(to)?;
        let w = self.compiled.weekly_total_ns;
        let z = &self.compiled.zone;
        let from_day = z.local_day(from.div_euclid(NS));
        let to_day = z.local_day(to.div_euclid(NS));
        let mut total = 0i64;
        let mut cursor = from;
        let mut day = from_day - 1;
        while day <= to_day + 1 {
            if day > from_day {
                let end = self.next_irregular_day(day).min(to_day - 1);
                if end > day {
                    let k = (end - day) / 7;
                    total += i64::from(k) * w;
                    day += k * 7;
                }
            }
            for &(s, e) in self.schedule_for(day) {
                let (ws, we) = self.window_ns(day, s, e);
                let ws = ws.max(cursor);
                if ws >= to {
                    return Ok(total);
                }
                let we = we.min(to);
                if we > ws {
                    total += we - ws;
                    cursor = we;
                }
            }
            day += 1;
        }
        Ok(total)
    }
}

/// Days after the start's date beyond which a due is refused (10 years).
const LIMIT_DAYS: i32 = 3653;

/// Nanoseconds since the epoch of a timestamp within the supported range.
pub(crate) fn ns_of(t: Timestamp) -> Result<i64, SlaError> {
    let ns = i64::try_from(t.as_nanosecond()).map_err(|_| SlaError::OutOfRange)?;
    check_ns(ns)?;
    Ok(ns)
}

/// A timestamp from nanoseconds since the epoch.
pub(crate) fn ts_of(ns: i64) -> Result<Timestamp, SlaError> {
    Timestamp::from_nanosecond(i128::from(ns)).map_err(|_| SlaError::OutOfRange)
}

/// Instants must leave room for the 10-year limit inside the zone table (1900..2189).
fn check_ns(ns: i64) -> Result<(), SlaError> {
    let lo = (i64::from(MIN_DAY) + 2) * DAY * NS;
    let hi = (i64::from(MAX_DAY) - LIMIT_DAYS as i64 - 10) * DAY * NS;
    if (lo..hi).contains(&ns) {
        Ok(())
    } else {
        Err(SlaError::OutOfRange)
    }
}
