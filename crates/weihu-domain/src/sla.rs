//! SLA clocks and policies (SPEC §4): due instants on a business calendar (or wall clock),
//! pauses, clock evaluation at `now`, and versioned SLA policies per priority.
//!
//! - The clock starts at `start`, or at the next opening when `start` is outside service hours.
//! - The due instant is the earliest instant at which elapsed business time equals the target;
//!   exactly at an interval end, due is that end (not the next opening).
//! - Pauses `[start, end)` (overlapping allowed, `end: None` = still paused) do not count: the
//!   due moves later by the paused business time. While a pause is open there is no due yet.
//! - A calendar without service hours, or a due more than 10 years after the start, is an
//!   error, never an endless loop. Long spans skip whole weeks, so every call is fast.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, ns_of, ts_of};
use crate::priority::{Priority, PriorityMatrix};

/// Default at-risk threshold in percent of the target used.
pub const DEFAULT_AT_RISK_PERCENT: u32 = 80;
/// Largest target accepted: ten years of minutes.
pub const MAX_TARGET_MINUTES: i64 = 10 * 366 * 24 * 60;

/// Errors of due and business-time computations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlaError {
    /// The calendar has no service hours at all, so no business target can ever be met.
    #[error("the calendar has no service hours")]
    NoServiceHours,
    /// The due instant would be more than `years` years after the start.
    #[error("the due time is more than {years} years away")]
    DueTooFar {
        /// The limit in years.
        years: u32,
    },
    /// An instant or date is outside the supported range (1900–2189).
    #[error("instant outside the supported range (1900–2189)")]
    OutOfRange,
    /// A day range asked for is too long.
    #[error("at most {max_days} days may be listed at once")]
    RangeTooLong {
        /// The maximum number of days.
        max_days: u32,
    },
    /// A target is negative.
    #[error("the target must not be negative")]
    NegativeTarget,
}

/// A pause `[start, end)` of a clock; `end: None` means still paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the pause began.
    pub start: Timestamp,
    /// When it ended (exclusive); `None` while still paused.
    pub end: Option<Timestamp>,
}

impl Pause {
    /// A closed pause `[start, end)`.
    pub fn closed(start: Timestamp, end: Timestamp) -> Pause {
        Pause {
            start,
            end: Some(end),
        }
    }

    /// A pause that has not ended yet.
    pub fn open(start: Timestamp) -> Pause {
        Pause { start, end: None }
    }
}

/// The result of a due computation with pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Due {
    /// The clock is due at this instant.
    At {
        /// The due instant.
        due: Timestamp,
    },
    /// The clock is in an open-ended pause that began before the target was reached: no due yet.
    Suspended {
        /// Start of the open pause.
        since: Timestamp,
    },
}

impl Due {
    /// The due instant, if there is one.
    pub fn instant(self) -> Option<Timestamp> {
        match self {
            Due::At { due } => Some(due),
            Due::Suspended { .. } => None,
        }
    }
}

/// How time is counted: business time on a calendar, or wall-clock time.
#[derive(Debug, Clone, Copy)]
enum Counter<'a> {
    Business(&'a Calendar),
    Wall,
}

impl Counter<'_> {
    fn advance(self, from: i64, target: i64) -> Result<i64, SlaError> {
        match self {
            Counter::Business(cal) => cal.advance_ns(from, target),
            Counter::Wall => {
                let due = from.checked_add(target).ok_or(SlaError::OutOfRange)?;
                ts_of(due).and_then(ns_of)?;
                Ok(due)
            }
        }
    }

    fn measure(self, from: i64, to: i64) -> Result<i64, SlaError> {
        match self {
            Counter::Business(cal) => cal.measure_ns(from, to),
            Counter::Wall => Ok(to.saturating_sub(from).max(0)),
        }
    }
}

/// Pauses as sorted, merged nanosecond ranges clipped to start at or after `from`.
fn merge_pauses(pauses: &[Pause], from: i64) -> Result<Vec<(i64, Option<i64>)>, SlaError> {
    let mut v: Vec<(i64, Option<i64>)> = Vec::with_capacity(pauses.len());
    for p in pauses {
        let s = ns_of(p.start)?.max(from);
        let e = p.end.map(ns_of).transpose()?;
        if e.is_some_and(|e| e <= s) {
            continue;
        }
        v.push((s, e));
    }
    v.sort_by_key(|p| p.0);
    let mut out: Vec<(i64, Option<i64>)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if last.1.is_none_or(|le| s <= le) => {
                last.1 = match (last.1, e) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push((s, e)),
        }
    }
    Ok(out)
}

fn target_ns(target: SignedDuration) -> Result<i64, SlaError> {
    if target.is_negative() {
        return Err(SlaError::NegativeTarget);
    }
    i64::try_from(target.as_nanos()).map_err(|_| SlaError::DueTooFar { years: 10 })
}

fn due_with(
    counter: Counter<'_>,
    start: Timestamp,
    target: SignedDuration,
    pauses: &[Pause],
) -> Result<Due, SlaError> {
    let start = ns_of(start)?;
    let mut remaining = target_ns(target)?;
    let mut cur = start;
    for (ps, pe) in merge_pauses(pauses, start)? {
        let candidate = counter.advance(cur, remaining)?;
        if candidate <= ps {
            return Ok(Due::At {
                due: ts_of(candidate)?,
            });
        }
        remaining -= counter.measure(cur, ps)?;
        match pe {
            Some(pe) => cur = pe,
            None => return Ok(Due::Suspended { since: ts_of(ps)? }),
        }
    }
    Ok(Due::At {
        due: ts_of(counter.advance(cur, remaining)?)?,
    })
}

/// Business time on `calendar` between two instants (zero if `to <= from`).
pub fn business_time(
    calendar: &Calendar,
    from: Timestamp,
    to: Timestamp,
) -> Result<SignedDuration, SlaError> {
    if to <= from {
        return Ok(SignedDuration::ZERO);
    }
    Ok(SignedDuration::from_nanos(
        calendar.measure_ns(ns_of(from)?, ns_of(to)?)?,
    ))
}

/// The due instant of a business-time target with no pauses.
pub fn due_at(
    calendar: &Calendar,
    start: Timestamp,
    target: SignedDuration,
) -> Result<Timestamp, SlaError> {
    ts_of(calendar.advance_ns(ns_of(start)?, target_ns(target)?)?)
}

/// The due of a business-time target, moved later by the paused business time.
pub fn due(
    calendar: &Calendar,
    start: Timestamp,
    target: SignedDuration,
    pauses: &[Pause],
) -> Result<Due, SlaError> {
    due_with(Counter::Business(calendar), start, target, pauses)
}

/// The due of a wall-clock target: `start + target`, plus the paused wall time.
pub fn wall_clock_due(
    start: Timestamp,
    target: SignedDuration,
    pauses: &[Pause],
) -> Result<Due, SlaError> {
    due_with(Counter::Wall, start, target, pauses)
}

fn paused_with(
    counter: Counter<'_>,
    from: i64,
    pauses: &[Pause],
    until: i64,
) -> Result<i64, SlaError> {
    let mut total = 0;
    for (ps, pe) in merge_pauses(pauses, from)? {
        let pe = pe.map_or(until, |e| e.min(until));
        if ps < pe {
            total += counter.measure(ps, pe)?;
        }
    }
    Ok(total)
}

/// Business time inside the pauses between `from` and `until` (overlaps counted once).
pub fn paused_business_time(
    calendar: &Calendar,
    from: Timestamp,
    pauses: &[Pause],
    until: Timestamp,
) -> Result<SignedDuration, SlaError> {
    paused_with(
        Counter::Business(calendar),
        ns_of(from)?,
        pauses,
        ns_of(until)?,
    )
    .map(SignedDuration::from_nanos)
}

/// A clock target: business minutes on the calendar, or wall-clock minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// Business minutes on the policy's calendar.
    Business {
        /// The target in minutes.
        minutes: i64,
    },
    /// Wall-clock minutes (e.g. a 48 h take-away repair).
    WallClock {
        /// The target in minutes.
        minutes: i64,
    },
}

impl Target {
    /// A business-minutes target.
    pub fn business(minutes: i64) -> Target {
        Target::Business { minutes }
    }

    /// A wall-clock-minutes target.
    pub fn wall_clock(minutes: i64) -> Target {
        Target::WallClock { minutes }
    }

    /// The target in minutes.
    pub fn minutes(self) -> i64 {
        match self {
            Target::Business { minutes } | Target::WallClock { minutes } => minutes,
        }
    }

    /// The target as a duration.
    pub fn duration(self) -> SignedDuration {
        SignedDuration::from_mins(
            self.minutes()
                .clamp(-MAX_TARGET_MINUTES, MAX_TARGET_MINUTES),
        )
    }

    /// Whether the target counts business time.
    pub fn is_business(self) -> bool {
        matches!(self, Target::Business { .. })
    }

    fn counter(self, calendar: &Calendar) -> Counter<'_> {
        if self.is_business() {
            Counter::Business(calendar)
        } else {
            Counter::Wall
        }
    }

    /// The due of this target from `start`, with pauses.
    pub fn due(
        self,
        calendar: &Calendar,
        start: Timestamp,
        pauses: &[Pause],
    ) -> Result<Due, SlaError> {
        due_with(self.counter(calendar), start, self.duration(), pauses)
    }
}

/// The state of a clock at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting.
    Running,
    /// In a pause (waiting for the client).
    Paused,
    /// Stopped at or before the due.
    Met,
    /// Past the due (running), or stopped after it.
    Breached,
}

/// What a clock needs to be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSpec {
    /// When the clock started.
    pub start: Timestamp,
    /// The target.
    pub target: Target,
    /// Pauses so far (the last may still be open).
    #[serde(default)]
    pub pauses: Vec<Pause>,
    /// When the clock stopped (first response, check-in, resolution), if it has.
    #[serde(default)]
    pub stopped_at: Option<Timestamp>,
    /// At-risk threshold in percent of the target used (default 80).
    #[serde(default = "default_at_risk")]
    pub at_risk_percent: u32,
}

fn default_at_risk() -> u32 {
    DEFAULT_AT_RISK_PERCENT
}

impl ClockSpec {
    /// A running clock from `start` with no pauses and the default at-risk threshold.
    pub fn new(start: Timestamp, target: Target) -> ClockSpec {
        ClockSpec {
            start,
            target,
            pauses: Vec::new(),
            stopped_at: None,
            at_risk_percent: DEFAULT_AT_RISK_PERCENT,
        }
    }
}

/// The deadline side of a clock: the due instant, moved by pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The due instant; `None` while an open pause holds the clock before its target.
    pub due: Option<Timestamp>,
    /// Counted time (business or wall) spent paused so far.
    pub paused: SignedDuration,
}

/// The timer side of a clock: counted time used and left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// The target.
    pub target: SignedDuration,
    /// Counted time used (pauses excluded).
    pub used: SignedDuration,
    /// Target minus used; negative when overrun.
    pub remaining: SignedDuration,
    /// `used / target` in whole percent (rounded down; 100 for a zero target).
    pub percent_used: u32,
}

/// A clock evaluated at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStatus {
    /// Running, paused, met or breached.
    pub state: ClockState,
    /// Running or paused with at least the at-risk share of the target used.
    pub at_risk: bool,
    /// Due instant.
    pub deadline: Deadline,
    /// Time used and remaining.
    pub timer: Timer,
}

/// Evaluates a clock at `now` (a stopped clock is judged at its stop instant).
pub fn evaluate(
    calendar: &Calendar,
    spec: &ClockSpec,
    now: Timestamp,
) -> Result<ClockStatus, SlaError> {
    let counter = spec.target.counter(calendar);
    let target = target_ns(spec.target.duration())?;
    let stopped = spec.stopped_at.filter(|s| *s <= now);
    let end = stopped.unwrap_or(now);
    let end_ns = ns_of(end)?;
    let start_ns = ns_of(spec.start)?;
    // Pauses after the end are ignored; a stopped clock closes any open pause.
    let pauses: Vec<Pause> = spec
        .pauses
        .iter()
        .filter(|p| p.start < end)
        .map(|p| match (stopped, p.end) {
            (Some(s), None) => Pause::closed(p.start, s),
            _ => *p,
        })
        .collect();
    let (used, paused) = if end_ns > start_ns {
        let paused = paused_with(counter, start_ns, &pauses, end_ns)?;
        (counter.measure(start_ns, end_ns)? - paused, paused)
    } else {
        (0, 0)
    };
    let due = due_with(counter, spec.start, spec.target.duration(), &pauses)?.instant();
    let in_pause = pauses
        .iter()
        .any(|p| p.start <= now && p.end.is_none_or(|e| now < e));
    let state = match (stopped, due) {
        (Some(s), Some(d)) => {
            if s <= d {
                ClockState::Met
            } else {
                ClockState::Breached
            }
        }
        (Some(_), None) => ClockState::Met,
        (None, Some(d)) if now > d => ClockState::Breached,
        (None, _) if in_pause => ClockState::Paused,
        (None, _) => ClockState::Running,
    };
    let percent_used = if target == 0 {
        100
    } else {
        u32::try_from(i128::from(used) * 100 / i128::from(target)).unwrap_or(u32::MAX)
    };
    let at_risk = matches!(state, ClockState::Running | ClockState::Paused)
        && i128::from(used) * 100 >= i128::from(spec.at_risk_percent) * i128::from(target);
    Ok(ClockStatus {
        state,
        at_risk,
        deadline: Deadline {
            due,
            paused: SignedDuration::from_nanos(paused),
        },
        timer: Timer {
            target: SignedDuration::from_nanos(target),
            used: SignedDuration::from_nanos(used),
            remaining: SignedDuration::from_nanos(target - used),
            percent_used,
        },
    })
}

/// Which of an order's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// First public reply or acceptance by an engineer.
    Response,
    /// From the decision to visit to the engineer's check-in.
    Arrival,
    /// To the order being resolved.
    Resolution,
}

/// A policy validation error naming the field (e.g. `targets.P2.resolution.minutes`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    /// Path of the offending field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The targets that apply to one priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityTargets {
    /// Calendar reference (id or name) the store resolves.
    pub calendar: String,
    /// Response target.
    pub response: Target,
    /// On-site arrival target.
    pub arrival: Target,
    /// Resolution target.
    pub resolution: Target,
    /// At-risk threshold in percent (default 80).
    #[serde(default = "default_at_risk")]
    pub at_risk_percent: u32,
}

impl PriorityTargets {
    /// The target of one clock.
    pub fn target(&self, kind: ClockKind) -> Target {
        match kind {
            ClockKind::Response => self.response,
            ClockKind::Arrival => self.arrival,
            ClockKind::Resolution => self.resolution,
        }
    }
}

/// Targets for every priority; JSON keys `P1`…`P4`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTargets {
    /// Targets for P1.
    #[serde(rename = "P1")]
    pub p1: PriorityTargets,
    /// Targets for P2.
    #[serde(rename = "P2")]
    pub p2: PriorityTargets,
    /// Targets for P3.
    #[serde(rename = "P3")]
    pub p3: PriorityTargets,
    /// Targets for P4.
    #[serde(rename = "P4")]
    pub p4: PriorityTargets,
}

impl PolicyTargets {
    /// The targets of a priority.
    pub fn get(&self, p: Priority) -> &PriorityTargets {
        match p {
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
            Priority::P4 => &self.p4,
        }
    }
}

/// A versioned SLA policy: priority matrix and per-priority calendar and targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// Display name.
    pub name: String,
    /// Version (1, 2, …); orders keep the version they started under.
    pub version: u32,
    /// Urgency × impact → priority (default SPEC matrix).
    #[serde(default)]
    pub matrix: PriorityMatrix,
    /// Targets per priority.
    pub targets: PolicyTargets,
}

impl SlaPolicy {
    /// The SPEC §4 defaults on calendar `5x8`: response 30, arrival 240, resolution
    /// P1 120 / P2 240 / P3 480 / P4 960 business minutes.
    pub fn default_targets() -> SlaPolicy {
        let t = |resolution: i64| PriorityTargets {
            calendar: "5x8".to_string(),
            response: Target::business(30),
            arrival: Target::business(240),
            resolution: Target::business(resolution),
            at_risk_percent: DEFAULT_AT_RISK_PERCENT,
        };
        SlaPolicy {
            name: "default".to_string(),
            version: 1,
            matrix: PriorityMatrix::default(),
            targets: PolicyTargets {
                p1: t(120),
                p2: t(240),
                p3: t(480),
                p4: t(960),
            },
        }
    }

    /// The targets of a priority.
    pub fn targets_for(&self, p: Priority) -> &PriorityTargets {
        self.targets.get(p)
    }

    /// Parses and validates a policy from JSON; errors name the field.
    pub fn from_json(text: &str) -> Result<SlaPolicy, PolicyError> {
        let policy: SlaPolicy = serde_json::from_str(text).map_err(|e| PolicyError {
            field: "$".into(),
            message: format!("invalid policy JSON: {e}"),
        })?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks names, versions, positive targets (at most 10 years) and thresholds (1–100).
    pub fn validate(&self) -> Result<(), PolicyError> {
        let e = |field: String, message: &str| {
            Err(PolicyError {
                field,
                message: message.to_string(),
            })
        };
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return e("name".into(), "must be 1 to 200 characters");
        }
        if self.version == 0 {
            return e("version".into(), "must be at least 1");
        }
        for p in Priority::ALL {
            let t = self.targets.get(p);
            let base = format!("targets.{}", p.as_str());
            if t.calendar.trim().is_empty() {
                return e(format!("{base}.calendar"), "required");
            }
            for (kind, name) in [
                (ClockKind::Response, "response"),
                (ClockKind::Arrival, "arrival"),
                (ClockKind::Resolution, "resolution"),
            ] {
                let m = t.target(kind).minutes();
                if m <= 0 {
                    return e(format!("{base}.{name}.minutes"), "must be positive");
                }
                if m > MAX_TARGET_MINUTES {
                    return e(
                        format!("{base}.{name}.minutes"),
                        "must be at most ten years",
                    );
                }
            }
            if !(1..=100).contains(&t.at_risk_percent) {
                return e(
                    format!("{base}.at_risk_percent"),
                    "must be between 1 and 100",
                );
            }
        }
        Ok(())
    }
}

mod rules;
pub use rules::{
    ClockChange, ClockEffect, ClockEnd, ClockNow, apply_change, changes_for, move_is_public,
};

#[cfg(test)]
mod tests;
