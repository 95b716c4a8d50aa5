//! What a month's service-level report counts (SPEC §9): SLA attainment (the share of stopped
//! clocks that were met), satisfaction (the share of ratings of 4 or 5 against the 90 % target of
//! the service sheet), repeat faults, mean time to restore and mean time between failures.
//!
//! Shares are exact decimals rounded half away from zero; an empty population has no share
//! (`None`), never 0 % or 100 %.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::{Decimal, RoundingStrategy};

/// Why a clock was breached: the short list a breach is explained from (with a free note).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreachReason {
    /// The client could not be reached or gave no access to the site.
    ClientUnavailable,
    /// Parts came late.
    PartsDelay,
    /// A vendor or carrier under an underpinning contract was late.
    ThirdParty,
    /// Too many orders for the engineers on duty.
    Workload,
    /// The fault took longer to find or fix than the target allows.
    Complexity,
    /// Travel to the site took longer than planned.
    Travel,
    /// The order was classified or routed wrongly at first.
    Misrouted,
    Other,
}

impl BreachReason {
    pub const ALL: [BreachReason; 8] = [
        BreachReason::ClientUnavailable,
        BreachReason::PartsDelay,
        BreachReason::ThirdParty,
        BreachReason::Workload,
        BreachReason::Complexity,
        BreachReason::Travel,
        BreachReason::Misrouted,
        BreachReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BreachReason::ClientUnavailable => "client_unavailable",
            BreachReason::PartsDelay => "parts_delay",
            BreachReason::ThirdParty => "third_party",
            BreachReason::Workload => "workload",
            BreachReason::Complexity => "complexity",
            BreachReason::Travel => "travel",
            BreachReason::Misrouted => "misrouted",
            BreachReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<BreachReason> {
        BreachReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A share in percent of `part` over `whole`, to `places` decimals (half away from zero);
/// `None` when there is nothing to share.
pub fn share(part: u64, whole: u64, places: u32) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let p = Decimal::from(part.min(whole)) * Decimal::ONE_HUNDRED / Decimal::from(whole);
    Some(p.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero))
}

/// Met and breached clocks (or orders) of a population.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub met: u64,
    pub breached: u64,
}

impl Tally {
    pub fn add(&mut self, met: bool) {
        if met {
            self.met += 1;
        } else {
            self.breached += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.met + self.breached
    }

    /// The attainment in percent, to 2 places.
    pub fn percent(&self) -> Option<Decimal> {
        share(self.met, self.total(), 2)
    }
}

/// The satisfaction target of the seed's service sheet: 90 % of ratings are 4 or 5.
pub const SATISFACTION_TARGET_PERCENT: u32 = 90;

/// Ratings 1–5 of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Satisfaction {
    /// How many orders were rated 1, 2, 3, 4 and 5.
    pub by_rating: [u64; 5],
}

impl Satisfaction {
    /// Counts a rating; ratings outside 1–5 are not ratings and are ignored.
    pub fn add(&mut self, rating: i64) {
        self.add_many(rating, 1);
    }

    /// Counts `n` ratings of one score (a grouped count).
    pub fn add_many(&mut self, rating: i64, n: u64) {
        if let Some(slot) = rating
            .checked_sub(1)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.by_rating.get_mut(i))
        {
            *slot = slot.saturating_add(n);
        }
    }

    pub fn rated(&self) -> u64 {
        self.by_rating.iter().sum()
    }

    /// Rated 4 or 5.
    pub fn satisfied(&self) -> u64 {
        self.by_rating[3] + self.by_rating[4]
    }

    /// The satisfied share in percent, to 2 places.
    pub fn percent(&self) -> Option<Decimal> {
        share(self.satisfied(), self.rated(), 2)
    }

    /// Whether the share reaches the target; unknown without ratings.
    pub fn met(&self) -> Option<bool> {
        self.percent()
            .map(|p| p >= Decimal::from(SATISFACTION_TARGET_PERCENT))
    }

    /// The mean rating to 2 places.
    pub fn mean(&self) -> Option<Decimal> {
        let rated = self.rated();
        if rated == 0 {
            return None;
        }
        let sum: u64 = self
            .by_rating
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u64 + 1) * n)
            .sum();
        Some(
            (Decimal::from(sum) / Decimal::from(rated))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        )
    }
}

/// One fault, as failure analysis reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub order_id: i64,
    pub client_org_id: i64,
    pub category: String,
    pub asset_id: Option<i64>,
    pub reported_at: Timestamp,
}

/// The window within which a second fault of the same asset, or of the same client and category,
/// is a repeat.
pub const REPEAT_WINDOW: SignedDuration = SignedDuration::from_hours(30 * 24);

/// Why a fault repeats an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepeatOf {
    /// The same asset failed within 30 days.
    SameAsset,
    /// The same client reported the same category within 30 days (no asset in common known).
    SameClientCategory,
}

/// Each fault that repeats an earlier one within [`REPEAT_WINDOW`], with the earlier fault's order
/// and why. `earlier` may hold faults before the period (so a repeat on its first day is seen);
/// only faults of `period` are judged. Faults are matched on the same asset first; a fault without
/// an asset matches on client and category.
pub fn repeats<'a>(earlier: &'a [Fault], period: &'a [Fault]) -> Vec<(&'a Fault, i64, RepeatOf)> {
    let mut all: Vec<&Fault> = earlier.iter().chain(period.iter()).collect();
    all.sort_by_key(|f| (f.reported_at, f.order_id));
    let judged: std::collections::HashSet<i64> = period.iter().map(|f| f.order_id).collect();
    let mut last_by_asset: std::collections::HashMap<i64, &Fault> = Default::default();
    let mut last_by_kind: std::collections::HashMap<(i64, &str), &Fault> = Default::default();
    let mut out = Vec::new();
    for f in all {
        if judged.contains(&f.order_id) {
            let by_asset = f
                .asset_id
                .and_then(|a| last_by_asset.get(&a))
                .filter(|p| f.reported_at.duration_since(p.reported_at) <= REPEAT_WINDOW);
            if let Some(p) = by_asset {
                out.push((f, p.order_id, RepeatOf::SameAsset));
            } else if f.asset_id.is_none()
                && let Some(p) = last_by_kind
                    .get(&(f.client_org_id, f.category.as_str()))
                    .filter(|p| f.reported_at.duration_since(p.reported_at) <= REPEAT_WINDOW)
            {
                out.push((f, p.order_id, RepeatOf::SameClientCategory));
            }
        }
        if let Some(a) = f.asset_id {
            last_by_asset.insert(a, f);
        }
        last_by_kind.insert((f.client_org_id, f.category.as_str()), f);
    }
    out
}

/// The mean of some durations, to the whole second; `None` for none.
pub fn mean(durations: &[SignedDuration]) -> Option<SignedDuration> {
    if durations.is_empty() {
        return None;
    }
    let total: i128 = durations.iter().map(|d| i128::from(d.as_secs())).sum();
    let n = i128::try_from(durations.len()).ok()?;
    i64::try_from(total / n).ok().map(SignedDuration::from_secs)
}

/// Mean time between failures of a population of `units` (e.g. the assets of one type) observed
/// over `observed`: the operating time (units × observed, less the time spent down) divided by
/// the number of failures. `None` without failures (no failure seen: unbounded) or without units.
pub fn mtbf(
    units: u64,
    observed: SignedDuration,
    downtime: SignedDuration,
    failures: u64,
) -> Option<SignedDuration> {
    if failures == 0 || units == 0 {
        return None;
    }
    let operating =
        i128::from(observed.as_secs()) * i128::from(units) - i128::from(downtime.as_secs());
    let per = operating.max(0) / i128::from(failures);
    i64::try_from(per).ok().map(SignedDuration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    fn fault(id: i64, asset: Option<i64>, category: &str, when: &str) -> Fault {
        Fault {
            order_id: id,
            client_org_id: 1,
            category: category.to_owned(),
            asset_id: asset,
            reported_at: at(when),
        }
    }

    #[test]
    fn shares_round_half_away_and_have_no_value_for_nothing() {
        assert_eq!(share(2, 3, 2), Some("66.67".parse().expect("d")));
        assert_eq!(share(1, 8, 2), Some("12.50".parse().expect("d")));
        // 1/800 = 0.125 % → 0.13 (half away from zero)
        assert_eq!(share(1, 800, 2), Some("0.13".parse().expect("d")));
        assert_eq!(share(0, 0, 2), None);
        assert_eq!(share(5, 3, 2), Some(Decimal::ONE_HUNDRED));
    }

    #[test]
    fn a_tally_counts_met_and_breached() {
        let mut t = Tally::default();
        for met in [true, true, true, false] {
            t.add(met);
        }
        assert_eq!((t.total(), t.met, t.breached), (4, 3, 1));
        assert_eq!(t.percent(), Some("75".parse().expect("d")));
        assert_eq!(Tally::default().percent(), None);
    }

    #[test]
    fn satisfaction_is_the_share_of_four_and_five_against_ninety() {
        let mut s = Satisfaction::default();
        for r in [5, 5, 4, 4, 4, 5, 5, 4, 5, 3] {
            s.add(r);
        }
        assert_eq!(s.rated(), 10);
        assert_eq!(s.satisfied(), 9);
        assert_eq!(s.percent(), Some("90".parse().expect("d")));
        assert_eq!(s.met(), Some(true));
        assert_eq!(s.mean(), Some("4.40".parse().expect("d")));
        s.add(2);
        assert_eq!(s.met(), Some(false), "9 of 11 is 81.82 %");
        // Hostile ratings are not ratings.
        s.add(0);
        s.add(6);
        s.add(i64::MIN);
        assert_eq!(s.rated(), 11);
        assert_eq!(Satisfaction::default().met(), None);
    }

    #[test]
    fn breach_reasons_round_trip() {
        for r in BreachReason::ALL {
            assert_eq!(BreachReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(BreachReason::parse("because"), None);
    }

    #[test]
    fn repeats_are_the_same_asset_or_client_category_within_thirty_days() {
        let before = [fault(1, Some(7), "hardware", "2026-10-20T02:00:00Z")];
        let month = [
            // Same asset 12 days later: a repeat of 1, across the month boundary.
            fault(2, Some(7), "hardware", "2026-11-01T02:00:00Z"),
            // Another asset, same category: not a repeat (it has an asset of its own).
            fault(3, Some(8), "hardware", "2026-11-02T02:00:00Z"),
            // No asset, same client and category as 3, within 30 days.
            fault(4, None, "hardware", "2026-11-05T02:00:00Z"),
            // Same asset as 3 but 31 days later: not a repeat.
            fault(5, Some(8), "network", "2026-12-03T02:00:00Z"),
        ];
        let r = repeats(&before, &month);
        let got: Vec<(i64, i64, RepeatOf)> =
            r.iter().map(|(f, p, w)| (f.order_id, *p, *w)).collect();
        assert_eq!(
            got,
            vec![
                (2, 1, RepeatOf::SameAsset),
                (4, 3, RepeatOf::SameClientCategory)
            ]
        );
        // Faults before the period are never judged themselves.
        assert!(repeats(&month, &[]).is_empty());
    }

    #[test]
    fn exactly_thirty_days_is_still_a_repeat() {
        let a = [fault(1, Some(7), "x", "2026-11-01T00:00:00Z")];
        let b = [fault(2, Some(7), "x", "2026-12-01T00:00:00Z")];
        assert_eq!(repeats(&a, &b).len(), 1);
        let c = [fault(3, Some(7), "x", "2026-12-01T00:00:01Z")];
        assert!(repeats(&a, &c).is_empty());
    }

    #[test]
    fn mean_and_mtbf() {
        let d = [
            SignedDuration::from_mins(30),
            SignedDuration::from_mins(90),
            SignedDuration::from_secs(1),
        ];
        assert_eq!(
            mean(&d),
            Some(SignedDuration::from_secs((1800 + 5400 + 1) / 3))
        );
        assert_eq!(mean(&[]), None);
        // 10 printers over 30 days, 2 days down in all, 4 failures → (300 − 2) / 4 days.
        let day = SignedDuration::from_hours(24);
        assert_eq!(
            mtbf(10, day * 30, day * 2, 4),
            Some(SignedDuration::from_secs(298 * 86_400 / 4))
        );
        assert_eq!(mtbf(10, day * 30, day, 0), None);
        assert_eq!(mtbf(0, day * 30, day, 3), None);
        // Downtime larger than the operating time (bad data) never goes negative.
        assert_eq!(mtbf(1, day, day * 5, 1), Some(SignedDuration::ZERO));
    }
}
