//! A plan's inspection dates: the rule's occurrences from the series start (the rule's DTSTART),
//! each shifted off a non-working day by the plan's shift rule, then those inside the asked range,
//! once each and in order.
//!
//! As in RFC 5545, a period (the week from Monday, the month, the year) is taken every
//! `INTERVAL` periods counting from the start's period; its dates are expanded by `BYDAY`,
//! `BYMONTHDAY` or `X-WORKDAY`, limited by `BYMONTH`, and picked by `BYSETPOS`; occurrences before
//! the start are not part of the series (the start itself is one only if the rule gives it).

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

use super::rule::{Freq, Rule};
use crate::calendar::Calendar;

/// Longest range asked for at once (about ten years).
pub const MAX_RANGE_DAYS: i32 = 3700;
/// How far a shift looks for a working day before it gives the date up.
pub const MAX_SHIFT_DAYS: i32 = 366;

/// What happens to an occurrence on a non-working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// The next working day.
    Next,
    /// The working day before.
    Previous,
    /// It stays where it falls (a 7×24 machine room is inspected on a Sunday too).
    None,
}

impl Shift {
    pub fn parse(s: &str) -> Option<Shift> {
        match s.trim().to_ascii_lowercase().as_str() {
            "next" => Some(Shift::Next),
            "previous" => Some(Shift::Previous),
            "none" => Some(Shift::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Shift::Next => "next",
            Shift::Previous => "previous",
            Shift::None => "none",
        }
    }
}

/// A range that cannot be asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ScheduleError {
    pub field: &'static str,
    pub message: String,
}

fn add_days(d: Date, n: i32) -> Option<Date> {
    d.checked_add(n.days()).ok()
}

fn last_day(year: i16, month: i8) -> i8 {
    Date::new(year, month, 1)
        .map(|d| d.days_in_month())
        .unwrap_or(28)
}

/// The dates of `month` that the rule's day parts give, sorted, once each.
fn month_dates(rule: &Rule, cal: &Calendar, start: Date, year: i16, month: i8) -> Vec<Date> {
    let last = last_day(year, month);
    let day = |d: i8| Date::new(year, month, d).ok();
    let mut out: Vec<Date> = Vec::new();
    if let Some(n) = rule.workday {
        let working: Vec<Date> = (1..=last)
            .filter_map(day)
            .filter(|d| cal.is_working_day(*d))
            .collect();
        let i = if n > 0 {
            usize::try_from(n - 1).ok()
        } else {
            working.len().checked_sub(usize::from(n.unsigned_abs()))
        };
        out.extend(i.and_then(|i| working.get(i)).copied());
    } else if !rule.by_month_day.is_empty() {
        for &k in &rule.by_month_day {
            let d = if k > 0 { k } else { last + 1 + k };
            if (1..=last).contains(&d) {
                out.extend(day(d));
            }
        }
        if !rule.by_day.is_empty() {
            out.retain(|d| rule.by_day.iter().any(|(_, w)| *w == d.weekday()));
        }
    } else if !rule.by_day.is_empty() {
        for &(ord, w) in &rule.by_day {
            let all: Vec<Date> = (1..=last)
                .filter_map(day)
                .filter(|d| d.weekday() == w)
                .collect();
            match ord {
                None => out.extend(all),
                Some(n) if n > 0 => out.extend(all.get(usize::from(n.unsigned_abs()) - 1)),
                Some(n) => out.extend(
                    all.len()
                        .checked_sub(usize::from(n.unsigned_abs()))
                        .and_then(|i| all.get(i)),
                ),
            }
        }
    } else {
        // No day part: the start's day of the month (a month without it has none).
        out.extend(day(start.day()));
    }
    out.sort();
    out.dedup();
    out
}

/// The dates of one period, before `BYSETPOS`.
fn period_dates(rule: &Rule, cal: &Calendar, start: Date, first: Date) -> Vec<Date> {
    let in_months = |d: &Date| rule.by_month.is_empty() || rule.by_month.contains(&d.month());
    match rule.freq {
        Freq::Weekly => {
            let days: Vec<Weekday> = if rule.by_day.is_empty() {
                vec![start.weekday()]
            } else {
                rule.by_day.iter().map(|(_, w)| *w).collect()
            };
            (0..7)
                .filter_map(|i| add_days(first, i))
                .filter(|d| days.contains(&d.weekday()) && in_months(d))
                .collect()
        }
        Freq::Monthly => {
            if !in_months(&first) {
                return Vec::new();
            }
            month_dates(rule, cal, start, first.year(), first.month())
        }
        Freq::Yearly => {
            let months: Vec<i8> = if !rule.by_month.is_empty() {
                let mut m = rule.by_month.clone();
                m.sort_unstable();
                m.dedup();
                m
            } else if !rule.by_month_day.is_empty() || rule.workday.is_some() {
                (1..=12).collect()
            } else {
                vec![start.month()]
            };
            months
                .into_iter()
                .flat_map(|m| month_dates(rule, cal, start, first.year(), m))
                .collect()
        }
    }
}

fn pick(set: Vec<Date>, positions: &[i16]) -> Vec<Date> {
    if positions.is_empty() {
        return set;
    }
    let mut out: Vec<Date> = positions
        .iter()
        .filter_map(|&p| {
            let i = if p > 0 {
                usize::try_from(p - 1).ok()
            } else {
                set.len().checked_sub(usize::from(p.unsigned_abs()))
            };
            i.and_then(|i| set.get(i)).copied()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The occurrence moved off a non-working day, or none when no working day is near enough.
pub fn shifted(cal: &Calendar, d: Date, shift: Shift) -> Option<Date> {
    if shift == Shift::None || cal.is_working_day(d) {
        return Some(d);
    }
    let step = if shift == Shift::Next { 1 } else { -1 };
    (1..=MAX_SHIFT_DAYS)
        .filter_map(|i| add_days(d, i * step))
        .find(|x| cal.is_working_day(*x))
}

/// The inspection dates of a series starting on `from`, within `from..=to`.
pub fn dates(
    rule: &Rule,
    cal: &Calendar,
    from: Date,
    to: Date,
    shift: Shift,
) -> Result<Vec<Date>, ScheduleError> {
    if to < from {
        return Err(ScheduleError {
            field: "to",
            message: "must not be before from".into(),
        });
    }
    let span = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if span > MAX_RANGE_DAYS {
        return Err(ScheduleError {
            field: "to",
            message: format!("at most {MAX_RANGE_DAYS} days after from"),
        });
    }
    // An occurrence after `to` may be shifted back into the range.
    let horizon = if shift == Shift::Previous {
        add_days(to, MAX_SHIFT_DAYS).unwrap_or(to)
    } else {
        to
    };
    let step = i32::try_from(rule.interval).unwrap_or(1).max(1);
    let mut out = Vec::new();
    for k in (0..).map(|k: i32| k.saturating_mul(step)) {
        let first = match rule.freq {
            Freq::Weekly => add_days(
                from,
                k.saturating_mul(7) - i32::from(from.weekday().to_monday_zero_offset()),
            ),
            Freq::Monthly => from.first_of_month().checked_add(k.months()).ok(),
            Freq::Yearly => Date::new(from.year(), 1, 1)
                .ok()
                .and_then(|d| d.checked_add(k.years()).ok()),
        };
        let Some(first) = first.filter(|f| *f <= horizon) else {
            break;
        };
        for d in pick(period_dates(rule, cal, from, first), &rule.by_set_pos) {
            if d < from || d > horizon {
                continue;
            }
            if let Some(s) = shifted(cal, d, shift).filter(|s| from <= *s && *s <= to) {
                out.push(s);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn() -> Calendar {
        Calendar::five_by_8("Asia/Shanghai")
            .and_then(|c| c.with_holiday_set("cn-2026"))
            .expect("preset")
    }

    fn run(rule: &str, from: &str, to: &str, shift: Shift) -> Vec<String> {
        let r = Rule::parse(rule).expect("rule");
        dates(
            &r,
            &cn(),
            from.parse().expect("from"),
            to.parse().expect("to"),
            shift,
        )
        .expect("dates")
        .into_iter()
        .map(|d| d.to_string())
        .collect()
    }

    #[test]
    fn the_second_working_day_of_each_month_over_national_day() {
        // October 2026: 1–7 are the National Day holiday; the 10th (a Saturday) is a make-up
        // working day, so the first working days are the 8th and the 9th.
        assert_eq!(
            run(
                "FREQ=MONTHLY;X-WORKDAY=2",
                "2026-09-01",
                "2026-11-30",
                Shift::Next
            ),
            ["2026-09-02", "2026-10-09", "2026-11-03"]
        );
        assert_eq!(
            run(
                "FREQ=MONTHLY;X-WORKDAY=-1",
                "2026-09-01",
                "2026-10-31",
                Shift::None
            ),
            ["2026-09-30", "2026-10-30"]
        );
    }

    #[test]
    fn ordinals_month_ends_and_shifts() {
        // The first Thursday of October 2026 is the 1st, a holiday: next is the 8th, previous
        // the last working day of September.
        let rule = "FREQ=MONTHLY;BYDAY=1TH";
        assert_eq!(
            run(rule, "2026-10-01", "2026-10-31", Shift::Next),
            ["2026-10-08"]
        );
        assert_eq!(
            run(rule, "2026-09-04", "2026-10-31", Shift::Previous),
            ["2026-09-30"]
        );
        assert_eq!(
            run(rule, "2026-10-01", "2026-10-31", Shift::None),
            ["2026-10-01"]
        );
        // The last weekday of the month by BYSETPOS; the 31st only where a month has one.
        assert_eq!(
            run(
                "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                "2026-01-01",
                "2026-03-31",
                Shift::None
            ),
            ["2026-01-30", "2026-02-27", "2026-03-31"]
        );
        assert_eq!(
            run(
                "FREQ=MONTHLY;BYMONTHDAY=31",
                "2026-01-01",
                "2026-05-31",
                Shift::None
            ),
            ["2026-01-31", "2026-03-31", "2026-05-31"]
        );
        // A Previous shift brings an occurrence after the range's end into it.
        assert_eq!(
            run(
                "FREQ=MONTHLY;BYMONTHDAY=1",
                "2026-09-15",
                "2026-09-30",
                Shift::Previous
            ),
            ["2026-09-30"]
        );
    }

    #[test]
    fn weeks_and_years_count_from_the_start() {
        // Every other week on Monday and Thursday, from Wednesday 2026-01-07: its own week's
        // Thursday, then the week of the 19th.
        assert_eq!(
            run(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
                "2026-01-07",
                "2026-01-31",
                Shift::None
            ),
            ["2026-01-08", "2026-01-19", "2026-01-22"]
        );
        // Over the year end: the last day of June and December, the 31st of December 2026 a
        // Thursday and a working day, 2027's June 30th a Wednesday.
        assert_eq!(
            run(
                "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
                "2026-07-01",
                "2027-12-31",
                Shift::Next
            ),
            ["2026-12-31", "2027-06-30", "2027-12-31"]
        );
    }

    #[test]
    fn bad_ranges_are_named() {
        let r = Rule::parse("FREQ=WEEKLY").expect("rule");
        let d = |s: &str| s.parse::<Date>().expect("date");
        let e =
            dates(&r, &cn(), d("2026-02-01"), d("2026-01-01"), Shift::None).expect_err("backwards");
        assert_eq!(e.field, "to");
        let e = dates(&r, &cn(), d("2000-01-01"), d("2026-01-01"), Shift::None).expect_err("long");
        assert_eq!(e.field, "to");
    }
}
