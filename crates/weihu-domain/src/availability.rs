//! Service-level figures from outages (SPEC §9): availability over agreed service time,
//! stability (interruptions against an allowed maximum) and reliability (restore time per
//! interruption against a maximum). Outages flagged force majeure or third party are excluded.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::sla::{SlaError, business_time};

/// An interruption of a service for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outage {
    /// When the service went down.
    pub start: Timestamp,
    /// When it was restored; `None` while still down.
    pub end: Option<Timestamp>,
    /// Caused by force majeure (excluded from the figures).
    #[serde(default)]
    pub force_majeure: bool,
    /// Caused by a third party under its own underpinning contract (excluded).
    #[serde(default)]
    pub third_party: bool,
}

impl Outage {
    /// A restored, non-excluded outage `[start, end)`.
    pub fn new(start: Timestamp, end: Timestamp) -> Outage {
        Outage {
            start,
            end: Some(end),
            force_majeure: false,
            third_party: false,
        }
    }

    /// Whether the outage is excluded from availability, stability and reliability.
    pub fn is_excluded(&self) -> bool {
        self.force_majeure || self.third_party
    }
}

/// Availability of a service over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// Agreed service time: the calendar's business time in the period.
    pub agreed: SignedDuration,
    /// Union of non-excluded outages within service hours of the period.
    pub downtime: SignedDuration,
    /// `(agreed − downtime) ÷ agreed × 100`, rounded half away from zero to 2 places (100 if
    /// there is no agreed service time).
    pub percent: Decimal,
    /// Non-excluded outages overlapping the period.
    pub interruptions: u32,
    /// Excluded outages overlapping the period.
    pub excluded: u32,
    /// The longest business restore time of one non-excluded outage within the period (an
    /// outage still open counts up to the end of the period). Overlapping outages are measured
    /// each on its own: this is reliability's "restore time per interruption", not downtime.
    pub longest_restore: SignedDuration,
}

impl Availability {
    /// The availability percentage rounded half away from zero to `places` decimal places.
    pub fn percent_to(&self, places: u32) -> Decimal {
        percent_with_places(self.agreed, self.downtime, places)
    }
}

/// `(agreed − downtime) ÷ agreed × 100` rounded to 2 places; 100 when `agreed` is zero.
pub fn availability_percent(agreed: SignedDuration, downtime: SignedDuration) -> Decimal {
    percent_with_places(agreed, downtime, 2)
}

/// `(agreed − downtime) ÷ agreed × 100` rounded half away from zero to `places` places (at most
/// 10); 100 when `agreed` is zero, 0 when the downtime covers it all.
pub fn percent_with_places(
    agreed: SignedDuration,
    downtime: SignedDuration,
    places: u32,
) -> Decimal {
    let a = agreed.as_nanos();
    if a <= 0 {
        return Decimal::ONE_HUNDRED;
    }
    let d = downtime.as_nanos().clamp(0, a);
    let (Ok(up), Ok(total)) = (i64::try_from(a - d), i64::try_from(a)) else {
        return Decimal::ZERO;
    };
    // Nanoseconds as i64 times 100 stay far inside Decimal's 96-bit mantissa, and the quotient
    // carries 28 significant digits: exact to well past 10 places.
    (Decimal::from(up) * Decimal::ONE_HUNDRED / Decimal::from(total))
        .round_dp_with_strategy(places.min(10), RoundingStrategy::MidpointAwayFromZero)
}

/// Computes availability of a service on `calendar` over `[from, to)`.
pub fn availability(
    calendar: &Calendar,
    from: Timestamp,
    to: Timestamp,
    outages: &[Outage],
) -> Result<Availability, SlaError> {
    let agreed = business_time(calendar, from, to)?;
    let mut intervals: Vec<(Timestamp, Timestamp)> = Vec::new();
    let (mut interruptions, mut excluded) = (0u32, 0u32);
    let mut longest_restore = SignedDuration::ZERO;
    for o in outages {
        let s = o.start.max(from);
        let e = o.end.unwrap_or(to).min(to);
        if e <= s {
            continue;
        }
        if o.is_excluded() {
            excluded = excluded.saturating_add(1);
            continue;
        }
        interruptions = interruptions.saturating_add(1);
        longest_restore = longest_restore.max(business_time(calendar, s, e)?);
        intervals.push((s, e));
    }
    intervals.sort();
    let mut merged: Vec<(Timestamp, Timestamp)> = Vec::with_capacity(intervals.len());
    for (s, e) in intervals {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut downtime = SignedDuration::ZERO;
    for (s, e) in merged {
        downtime += business_time(calendar, s, e)?;
    }
    Ok(Availability {
        agreed,
        downtime,
        percent: availability_percent(agreed, downtime),
        interruptions,
        excluded,
        longest_restore,
    })
}

/// Stability: interruptions starting in a period against the allowed maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stability {
    /// Non-excluded outages that started in the period.
    pub interruptions: u32,
    /// The allowed maximum.
    pub allowed: u32,
    /// `interruptions <= allowed`.
    pub met: bool,
}

/// Counts non-excluded outages starting in `[from, to)` against `allowed`.
pub fn stability(outages: &[Outage], from: Timestamp, to: Timestamp, allowed: u32) -> Stability {
    let n = outages
        .iter()
        .filter(|o| !o.is_excluded() && from <= o.start && o.start < to)
        .count();
    let interruptions = u32::try_from(n).unwrap_or(u32::MAX);
    Stability {
        interruptions,
        allowed,
        met: interruptions <= allowed,
    }
}

/// One interruption's restore time against the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreCheck {
    /// Index of the outage in the input.
    pub index: usize,
    /// Business time from start to restore (to `now` while still down).
    pub restore: SignedDuration,
    /// Whether the outage is still ongoing.
    pub ongoing: bool,
    /// `restore <= max`.
    pub met: bool,
}

/// Reliability: each non-excluded outage's business restore time against `max`.
pub fn reliability(
    calendar: &Calendar,
    outages: &[Outage],
    max: SignedDuration,
    now: Timestamp,
) -> Result<Vec<RestoreCheck>, SlaError> {
    let mut out = Vec::new();
    for (index, o) in outages.iter().enumerate().filter(|(_, o)| !o.is_excluded()) {
        let end = o.end.unwrap_or(now);
        let restore = business_time(calendar, o.start, end)?;
        out.push(RestoreCheck {
            index,
            restore,
            ongoing: o.end.is_none(),
            met: restore <= max,
        });
    }
    Ok(out)
}

/// What a catalog service promises its client for a period (SPEC §9); each target optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTargets {
    /// Availability at least this percent (e.g. 99.5).
    pub availability_percent: Option<Decimal>,
    /// At most this many counted interruptions starting in the period.
    pub max_interruptions: Option<u32>,
    /// Each counted interruption restored within this business time.
    pub max_restore: Option<SignedDuration>,
}

/// A service's period measured against its targets: the figures, and for each target whether
/// it was met (`None` where the service promises nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub availability: Availability,
    /// Availability to 4 places (half away from zero) against the target.
    pub availability_met: Option<bool>,
    pub stability: Option<Stability>,
    /// Restore time of each counted interruption that touches the period, against the maximum.
    pub restores: Vec<RestoreCheck>,
    /// Every counted interruption restored within the maximum.
    pub reliability_met: Option<bool>,
}

impl Assessment {
    /// Every target the service has was met.
    pub fn all_met(&self) -> bool {
        [
            self.availability_met,
            self.stability.map(|s| s.met),
            self.reliability_met,
        ]
        .into_iter()
        .flatten()
        .all(|m| m)
    }
}

/// Measures a service over `[from, to)` against `targets`. Open outages run to `now` (or the
/// period's end, whichever is earlier) for downtime; restore times of open ones run to `now`.
pub fn assess(
    calendar: &Calendar,
    from: Timestamp,
    to: Timestamp,
    outages: &[Outage],
    targets: &ServiceTargets,
    now: Timestamp,
) -> Result<Assessment, SlaError> {
    let until = to.min(now.max(from));
    let availability = availability(calendar, from, until.max(from), outages)?;
    // Agreed time is the whole period even while it is running: a month half gone is measured
    // on its elapsed part, so the figure is what the client has had so far.
    let availability_met = targets
        .availability_percent
        .map(|t| availability.percent_to(4) >= t);
    let stability = targets
        .max_interruptions
        .map(|max| stability(outages, from, to, max));
    let touching: Vec<Outage> = outages
        .iter()
        .filter(|o| o.start < to && o.end.is_none_or(|e| e > from))
        .copied()
        .collect();
    let restores = match targets.max_restore {
        Some(max) => reliability(calendar, &touching, max, now)?,
        None => Vec::new(),
    };
    let reliability_met = targets.max_restore.map(|_| restores.iter().all(|r| r.met));
    Ok(Assessment {
        availability,
        availability_met,
        stability,
        restores,
        reliability_met,
    })
}

/// Early warning for a running period (SPEC §9): where availability ends if nothing more goes
/// down, how much downtime the target still allows, and whether a target is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    /// Agreed service time of the whole period.
    pub agreed: SignedDuration,
    /// Downtime so far (open outages counted to `now`).
    pub downtime: SignedDuration,
    /// Availability of the whole period if nothing more goes down, 4 places.
    pub percent: Decimal,
    /// Downtime the availability target still allows in the period (negative: already missed);
    /// `None` without a target.
    pub budget_left: Option<SignedDuration>,
    /// A target is missed already, or within reach of one more interruption: availability's
    /// downtime allowance is three-quarters used, or interruptions are at the allowed maximum.
    pub at_risk: bool,
}

/// The share of the allowed downtime that, once used, puts the availability target at risk.
pub const AT_RISK_BUDGET_USED_PERCENT: i64 = 75;

/// Projects `[from, to)` seen at `now` against `targets`.
pub fn project(
    calendar: &Calendar,
    from: Timestamp,
    to: Timestamp,
    outages: &[Outage],
    targets: &ServiceTargets,
    now: Timestamp,
) -> Result<Projection, SlaError> {
    let agreed = business_time(calendar, from, to)?;
    let until = to.min(now.max(from));
    let downtime = availability(calendar, from, until, outages)?.downtime;
    let percent = percent_with_places(agreed, downtime, 4);
    let budget = targets.availability_percent.map(|t| {
        // agreed × (100 − target) ÷ 100, to the second, rounded down (the allowance is never
        // larger than the contract gives).
        let secs =
            Decimal::from(agreed.as_secs()) * (Decimal::ONE_HUNDRED - t) / Decimal::ONE_HUNDRED;
        use rust_decimal::prelude::ToPrimitive;
        SignedDuration::from_secs(secs.floor().to_i64().unwrap_or(0).max(0))
    });
    let budget_left = budget.map(|b| b - downtime);
    let availability_risk = match (budget, budget_left) {
        (Some(b), Some(left)) => {
            left.is_negative()
                || (b - left).as_secs() * 100 >= b.as_secs() * AT_RISK_BUDGET_USED_PERCENT
        }
        _ => false,
    };
    let stability_risk = targets.max_interruptions.is_some_and(|max| {
        let s = stability(outages, from, to, max);
        s.interruptions >= max
    });
    Ok(Projection {
        agreed,
        downtime,
        percent,
        budget_left,
        at_risk: availability_risk || stability_risk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn cal() -> Calendar {
        Calendar::five_by_8("Asia/Shanghai")
            .and_then(|c| c.with_holiday_set("cn-2026"))
            .expect("preset")
    }

    fn at(s: &str) -> Timestamp {
        let dt: jiff::civil::DateTime = s.parse().expect("dt");
        dt.to_zoned_datetime(TimeZone::get("Asia/Shanghai").expect("zone"))
            .expect("local")
            .timestamp()
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    // March 2026 has 22 weekdays and no holidays: 22 × 480 = 10 560 business minutes.
    fn march() -> (Timestamp, Timestamp) {
        (at("2026-03-01T00:00"), at("2026-04-01T00:00"))
    }

    #[test]
    fn overlapping_outages_count_once() {
        let (from, to) = march();
        let outages = [
            Outage::new(at("2026-03-04T10:00"), at("2026-03-04T12:00")),
            Outage::new(at("2026-03-04T11:00"), at("2026-03-04T13:00")),
        ];
        let a = availability(&cal(), from, to, &outages).expect("availability");
        assert_eq!(a.agreed, mins(10_560));
        assert_eq!(a.downtime, mins(180));
        assert_eq!(a.percent, "98.30".parse::<Decimal>().expect("dec"));
        assert_eq!(a.interruptions, 2);
    }

    #[test]
    fn outage_outside_service_hours_costs_nothing() {
        let (from, to) = march();
        let outages = [
            Outage::new(at("2026-03-07T08:00"), at("2026-03-08T20:00")), // weekend
            Outage::new(at("2026-03-04T18:00"), at("2026-03-05T09:00")), // night
        ];
        let a = availability(&cal(), from, to, &outages).expect("availability");
        assert_eq!(a.downtime, SignedDuration::ZERO);
        assert_eq!(a.percent, Decimal::ONE_HUNDRED);
        // Spanning a night counts only service hours; clipped to the period.
        let outages = [Outage::new(at("2026-03-31T16:00"), at("2026-04-01T10:00"))];
        let a = availability(&cal(), from, to, &outages).expect("availability");
        assert_eq!(a.downtime, mins(60));
    }

    #[test]
    fn excluded_flags() {
        let (from, to) = march();
        let mut fm = Outage::new(at("2026-03-04T10:00"), at("2026-03-04T12:00"));
        fm.force_majeure = true;
        let mut tp = Outage::new(at("2026-03-05T10:00"), at("2026-03-05T12:00"));
        tp.third_party = true;
        let real = Outage::new(at("2026-03-06T10:00"), at("2026-03-06T10:30"));
        let outages = [fm, tp, real];
        let a = availability(&cal(), from, to, &outages).expect("availability");
        assert_eq!((a.downtime, a.interruptions, a.excluded), (mins(30), 1, 2));
        let s = stability(&outages, from, to, 0);
        assert_eq!((s.interruptions, s.met), (1, false));
        assert!(stability(&outages, from, to, 1).met);
        let r = reliability(&cal(), &outages, mins(60), to).expect("reliability");
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].index, r[0].restore, r[0].met), (2, mins(30), true));
        let open = [Outage { end: None, ..real }];
        let r = reliability(&cal(), &open, mins(60), at("2026-03-09T10:00")).expect("reliability");
        assert_eq!(
            (r[0].restore, r[0].ongoing, r[0].met),
            (mins(420 + 60), true, false)
        );
    }

    #[test]
    fn percent_rounding_and_empty_period() {
        assert_eq!(
            availability_percent(mins(3), mins(1)),
            "66.67".parse::<Decimal>().expect("dec")
        );
        assert_eq!(
            availability_percent(SignedDuration::ZERO, mins(1)),
            Decimal::ONE_HUNDRED
        );
        assert_eq!(availability_percent(mins(10), mins(20)), Decimal::ZERO);
    }

    #[test]
    fn an_assessment_measures_each_promise() {
        let (from, to) = march();
        let outages = [
            Outage::new(at("2026-03-04T10:00"), at("2026-03-04T12:00")),
            Outage::new(at("2026-03-05T09:00"), at("2026-03-05T09:30")),
            Outage {
                force_majeure: true,
                ..Outage::new(at("2026-03-06T09:00"), at("2026-03-06T17:00"))
            },
        ];
        let targets = ServiceTargets {
            availability_percent: Some("98.5".parse().expect("dec")),
            max_interruptions: Some(1),
            max_restore: Some(mins(60)),
        };
        let a = assess(&cal(), from, to, &outages, &targets, to).expect("assess");
        // 150 of 10 560 minutes down: 98.5795…%.
        assert_eq!(a.availability.downtime, mins(150));
        assert_eq!(a.availability_met, Some(true));
        assert_eq!(
            a.stability.map(|s| (s.interruptions, s.met)),
            Some((2, false))
        );
        assert_eq!(a.restores.len(), 2, "the excluded outage is not measured");
        assert_eq!(a.reliability_met, Some(false), "the first took two hours");
        assert!(!a.all_met());
        let none =
            assess(&cal(), from, to, &outages, &ServiceTargets::default(), to).expect("assess");
        assert!(none.all_met(), "no promise, nothing broken");
        assert_eq!(none.availability_met, None);
    }

    #[test]
    fn a_running_month_is_measured_on_its_elapsed_part() {
        let (from, to) = march();
        let now = at("2026-03-05T00:00");
        let ongoing = [Outage {
            end: None,
            ..Outage::new(at("2026-03-04T16:00"), at("2026-03-04T16:00"))
        }];
        let a =
            assess(&cal(), from, to, &ongoing, &ServiceTargets::default(), now).expect("assess");
        // March 2–4: three days of 480 minutes; the outage is one hour so far.
        assert_eq!(a.availability.agreed, mins(3 * 480));
        assert_eq!(a.availability.downtime, mins(60));
    }

    #[test]
    fn a_running_month_is_projected_against_its_allowance() {
        // March 2026 on 5×8 (Mon–Fri 09:00–17:00, cn-2026): 22 working days × 480 min.
        let c = cal();
        let (from, to) = (at("2026-03-01T00:00"), at("2026-04-01T00:00"));
        let targets = ServiceTargets {
            availability_percent: Some(Decimal::new(995, 1)),
            max_interruptions: Some(3),
            max_restore: None,
        };
        // 99.5 % of 10 560 min allows 52.8 min: 52 min 48 s.
        let one = [Outage::new(at("2026-03-04T10:00"), at("2026-03-04T10:30"))];
        let p = project(&c, from, to, &one, &targets, at("2026-03-10T12:00")).expect("p");
        assert_eq!(p.agreed, mins(22 * 480));
        assert_eq!(p.downtime, mins(30));
        assert_eq!(
            p.budget_left,
            Some(SignedDuration::from_secs(52 * 60 + 48 - 30 * 60))
        );
        assert!(
            !p.at_risk,
            "30 of 52.8 minutes used: not yet three quarters"
        );
        assert_eq!(
            p.percent,
            Decimal::new(997159, 4),
            "(10560 − 30) ÷ 10560 = 99.7159 %"
        );
        // An open outage counts to now: 10:00–10:45 is 45 minutes, 85 % of the allowance.
        let open = [Outage {
            start: at("2026-03-11T10:00"),
            end: None,
            force_majeure: false,
            third_party: false,
        }];
        let p = project(&c, from, to, &open, &targets, at("2026-03-11T10:45")).expect("p");
        assert_eq!(p.downtime, mins(45));
        assert!(p.at_risk);
        // Excluded outages take nothing from the allowance.
        let storm = [Outage {
            start: at("2026-03-04T09:00"),
            end: Some(at("2026-03-04T17:00")),
            force_majeure: true,
            third_party: false,
        }];
        let p = project(&c, from, to, &storm, &targets, at("2026-03-31T23:00")).expect("p");
        assert_eq!(p.downtime, SignedDuration::ZERO);
        assert!(!p.at_risk);
        // Three short interruptions reach the maximum: one more misses stability.
        let three: Vec<Outage> = ["2026-03-02", "2026-03-03", "2026-03-04"]
            .iter()
            .map(|d| Outage::new(at(&format!("{d}T09:00")), at(&format!("{d}T09:01"))))
            .collect();
        let p = project(&c, from, to, &three, &targets, at("2026-03-05T09:00")).expect("p");
        assert!(p.at_risk);
        assert_eq!(p.downtime, mins(3));
        // Without targets nothing is at risk, and there is no allowance.
        let p = project(
            &c,
            from,
            to,
            &one,
            &ServiceTargets::default(),
            at("2026-03-10T12:00"),
        )
        .expect("p");
        assert_eq!((p.budget_left, p.at_risk), (None, false));
    }
}
