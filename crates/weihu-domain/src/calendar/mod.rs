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

mod engine;

pub(crate) use engine::*;

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
