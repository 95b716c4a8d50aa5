//! A precomputed table of a time zone's transitions between 1900 and 2200, so that local times
//! convert to instants with one comparison (or a binary search) instead of a tz database lookup.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Seconds in a civil day.
pub(crate) const DAY: i64 = 86_400;
/// First supported civil day (1900-01-01) as days since 1970-01-01.
pub(crate) const MIN_DAY: i32 = days_from_civil(1900, 1, 1);
/// First unsupported civil day (2200-01-01) as days since 1970-01-01.
pub(crate) const MAX_DAY: i32 = days_from_civil(2200, 1, 1);

/// Which side of a service interval a local bound is: decides how a DST fold is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    Start,
    End,
}

#[derive(Debug, Clone)]
struct Transition {
    utc: i64,
    before: i32,
    after: i32,
    /// Local seconds `[win_lo, win_hi)` that are skipped (gap) or repeated (fold).
    win_lo: i64,
    win_hi: i64,
}

/// A zone's offsets as a flat, sorted transition list.
#[derive(Debug, Clone)]
pub(crate) struct ZoneTable {
    base: i32,
    last: i32,
    last_win_hi: i64,
    transitions: Vec<Transition>,
    /// Inclusive ranges of local days whose service windows a transition may touch.
    irregular: Vec<(i32, i32)>,
}

impl ZoneTable {
    /// Builds the table for `tz` over [1900, 2200).
    pub(crate) fn build(tz: &TimeZone) -> ZoneTable {
        let lo_s = i64::from(MIN_DAY) * DAY;
        let hi_s = i64::from(MAX_DAY) * DAY;
        let base = Timestamp::from_second(lo_s)
            .map(|ts| tz.to_offset(ts).seconds())
            .unwrap_or(0);
        let mut transitions = Vec::new();
        let mut irregular = Vec::new();
        let mut prev = base;
        if let Ok(lo) = Timestamp::from_second(lo_s) {
            for t in tz.following(lo) {
                let utc = t.timestamp().as_second();
                if utc >= hi_s {
                    break;
                }
                let after = t.offset().seconds();
                if after == prev {
                    continue;
                }
                let win_lo = utc + i64::from(prev.min(after));
                let win_hi = utc + i64::from(prev.max(after));
                let day_lo = day_of(win_lo) - 1;
                let day_hi = day_of(win_hi) + 1;
                irregular.push((day_lo, day_hi));
                transitions.push(Transition {
                    utc,
                    before: prev,
                    after,
                    win_lo,
                    win_hi,
                });
                prev = after;
            }
        }
        let last_win_hi = transitions.last().map_or(i64::MIN, |t| t.win_hi);
        ZoneTable {
            base,
            last: prev,
            last_win_hi,
            transitions,
            irregular,
        }
    }

    /// UTC offset in seconds in effect at the UTC second `utc`.
    pub(crate) fn offset_at(&self, utc: i64) -> i32 {
        let k = self.transitions.partition_point(|t| t.utc <= utc);
        if k == 0 {
            self.base
        } else {
            self.transitions[k - 1].after
        }
    }

    /// Local civil day (days since 1970-01-01) of the UTC second `utc`.
    pub(crate) fn local_day(&self, utc: i64) -> i32 {
        day_of(utc + i64::from(self.offset_at(utc)))
    }

    /// Converts local seconds to a UTC second. A bound in a DST gap resolves to the transition
    /// instant; in a fold a start resolves to the earlier and an end to the later instant.
    #[inline]
    pub(crate) fn to_utc(&self, local: i64, bound: Bound) -> i64 {
        if local >= self.last_win_hi {
            return local - i64::from(self.last);
        }
        let k = self.transitions.partition_point(|t| t.win_hi <= local);
        match self.transitions.get(k) {
            None => local - i64::from(self.last),
            Some(t) if local >= t.win_lo => {
                if t.after > t.before {
                    t.utc
                } else {
                    match bound {
                        Bound::Start => local - i64::from(t.before),
                        Bound::End => local - i64::from(t.after),
                    }
                }
            }
            Some(t) => local - i64::from(t.before),
        }
    }

    /// First day `>= day` that a transition may make irregular.
    pub(crate) fn next_irregular_day(&self, day: i32) -> i32 {
        let k = self.irregular.partition_point(|r| r.1 < day);
        match self.irregular.get(k) {
            Some(&(lo, _)) => lo.max(day),
            None => i32::MAX,
        }
    }
}

/// Civil day number of local seconds.
#[inline]
pub(crate) fn day_of(local: i64) -> i32 {
    i32::try_from(local.div_euclid(DAY)).unwrap_or(if local < 0 { i32::MIN } else { i32::MAX })
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) const fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Proleptic Gregorian (year, month, day) of a day number.
pub(crate) const fn civil_from_days(z: i32) -> (i32, i32, i32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day number of a `jiff` date.
pub(crate) fn day_number(date: jiff::civil::Date) -> i32 {
    days_from_civil(
        i32::from(date.year()),
        i32::from(date.month()),
        i32::from(date.day()),
    )
}

/// The `jiff` date of a day number, if representable.
pub(crate) fn date_of_day(day: i32) -> Option<jiff::civil::Date> {
    let (y, m, d) = civil_from_days(day);
    let y = i16::try_from(y).ok()?;
    jiff::civil::Date::new(y, i8::try_from(m).ok()?, i8::try_from(d).ok()?).ok()
}

/// Monday-zero weekday index of a day number (1970-01-01 was a Thursday).
#[inline]
pub(crate) fn weekday_index(day: i32) -> usize {
    (day + 3).rem_euclid(7) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for day in [MIN_DAY, -1, 0, 1, 20_000, MAX_DAY] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday_index(days_from_civil(2026, 3, 4)), 2); // Wednesday
    }

    #[test]
    fn new_york_gap_and_fold() {
        let tz = TimeZone::get("America/New_York").expect("bundled zone");
        let z = ZoneTable::build(&tz);
        // 2026-03-08 02:30 local does not exist: resolves to the 07:00 UTC transition.
        let day = i64::from(days_from_civil(2026, 3, 8)) * DAY;
        assert_eq!(
            z.to_utc(day + 2 * 3600 + 1800, Bound::Start),
            day + 7 * 3600
        );
        // 2026-11-01 01:30 happens twice: start = 05:30 UTC, end = 06:30 UTC.
        let day = i64::from(days_from_civil(2026, 11, 1)) * DAY;
        assert_eq!(z.to_utc(day + 5400, Bound::Start), day + 5400 + 4 * 3600);
        assert_eq!(z.to_utc(day + 5400, Bound::End), day + 5400 + 5 * 3600);
    }
}
