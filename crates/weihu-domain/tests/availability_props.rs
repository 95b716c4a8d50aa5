//! Availability (SPEC §9) against an oracle that knows nothing of interval merging: the period is
//! cut into 15-minute slots, a slot is down when any counted outage covers it, and downtime is
//! the business time of the down slots. Outages start and end on the grid, so each slot is either
//! wholly covered or not. Overlapping, nested, adjacent and excluded outages, periods over the
//! 2026 National Day holiday and its make-up days (Shanghai), and over both DST changes (New York).

use jiff::{SignedDuration, Timestamp, ToSpan};
use proptest::prelude::*;
use rust_decimal::Decimal;
use weihu_domain::availability::{Outage, availability, percent_with_places};
use weihu_domain::calendar::Calendar;
use weihu_domain::sla::business_time;

const SLOT_MIN: i64 = 15;
/// The period: 6 weeks of 15-minute slots.
const SLOTS: i64 = 6 * 7 * 24 * 4;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 300,
        ..ProptestConfig::default()
    }
}

fn shanghai() -> Calendar {
    Calendar::five_by_8("Asia/Shanghai")
        .and_then(|c| c.with_holiday_set("cn-2026"))
        .expect("preset")
}

fn new_york() -> Calendar {
    Calendar::five_by_8("America/New_York").expect("preset")
}

/// Period starts (UTC): across the 2026 National Day holiday and its make-up days (Sep 20 →
/// Nov 1), across the US spring DST change (Feb 22 → Apr 5), across the autumn one (Oct 18 → Nov 29).
fn starts() -> [(Calendar, Timestamp); 3] {
    [
        (shanghai(), "2026-09-19T16:00:00Z".parse().expect("ts")),
        (new_york(), "2026-02-22T05:00:00Z".parse().expect("ts")),
        (new_york(), "2026-10-18T04:00:00Z".parse().expect("ts")),
    ]
}

fn slot(from: Timestamp, i: i64) -> Timestamp {
    from.checked_add((i * SLOT_MIN).minutes())
        .expect("in range")
}

#[derive(Debug, Clone)]
struct Gen {
    start: i64,
    len: i64,
    open: bool,
    excluded: bool,
}

fn outages() -> impl Strategy<Value = Vec<Gen>> {
    prop::collection::vec(
        (
            -200i64..SLOTS + 200,
            1i64..400,
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(start, len, open, excluded)| Gen {
                start,
                len,
                open,
                excluded,
            }),
        0..12,
    )
}

fn build(from: Timestamp, gens: &[Gen]) -> Vec<Outage> {
    gens.iter()
        .map(|g| Outage {
            start: slot(from, g.start),
            end: (!g.open).then(|| slot(from, g.start + g.len)),
            force_majeure: g.excluded,
            third_party: false,
        })
        .collect()
}

/// Downtime by walking the slots.
fn oracle(cal: &Calendar, from: Timestamp, gens: &[Gen]) -> SignedDuration {
    let mut total = SignedDuration::ZERO;
    for i in 0..SLOTS {
        let down = gens
            .iter()
            .filter(|g| !g.excluded)
            .any(|g| g.start <= i && (g.open || i < g.start + g.len));
        if down {
            total += business_time(cal, slot(from, i), slot(from, i + 1)).expect("measure");
        }
    }
    total
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn downtime_is_the_union_of_counted_outages_within_service_hours(which in 0usize..3, gens in outages()) {
        let (cal, from) = starts()[which].clone();
        let to = slot(from, SLOTS);
        let a = availability(&cal, from, to, &build(from, &gens)).expect("availability");
        prop_assert_eq!(a.agreed, business_time(&cal, from, to).expect("agreed"));
        prop_assert_eq!(a.downtime, oracle(&cal, from, &gens));
        prop_assert!(a.downtime <= a.agreed);
        prop_assert!(a.percent >= Decimal::ZERO && a.percent <= Decimal::ONE_HUNDRED);
        prop_assert_eq!(a.percent_to(4), percent_with_places(a.agreed, a.downtime, 4));
        // Every counted outage overlapping the period is one interruption; excluded ones are not.
        let overlaps = |g: &&Gen| g.start < SLOTS && (g.open || g.start + g.len > 0);
        prop_assert_eq!(a.interruptions as usize, gens.iter().filter(overlaps).filter(|g| !g.excluded).count());
        prop_assert_eq!(a.excluded as usize, gens.iter().filter(overlaps).filter(|g| g.excluded).count());
        // No single outage restores longer than all downtime together.
        prop_assert!(a.longest_restore <= a.downtime);
    }

    #[test]
    fn order_nesting_and_splitting_do_not_change_downtime(which in 0usize..3, gens in outages(), cut in 1i64..399) {
        let (cal, from) = starts()[which].clone();
        let to = slot(from, SLOTS);
        let base = availability(&cal, from, to, &build(from, &gens)).expect("availability");
        // Reversed order.
        let mut rev = gens.clone();
        rev.reverse();
        prop_assert_eq!(availability(&cal, from, to, &build(from, &rev)).expect("a").downtime, base.downtime);
        // An outage nested inside each counted one adds nothing.
        let mut nested = gens.clone();
        for g in gens.iter().filter(|g| !g.excluded && !g.open && g.len > 2) {
            nested.push(Gen { start: g.start + 1, len: g.len - 2, open: false, excluded: false });
        }
        prop_assert_eq!(availability(&cal, from, to, &build(from, &nested)).expect("a").downtime, base.downtime);
        // Splitting a closed outage into two adjacent ones keeps the downtime.
        let mut split = Vec::new();
        for g in &gens {
            if !g.open && cut < g.len {
                split.push(Gen { len: cut, ..g.clone() });
                split.push(Gen { start: g.start + cut, len: g.len - cut, ..g.clone() });
            } else {
                split.push(g.clone());
            }
        }
        prop_assert_eq!(availability(&cal, from, to, &build(from, &split)).expect("a").downtime, base.downtime);
        // Excluded outages change nothing but the excluded count.
        let counted: Vec<Gen> = gens.iter().filter(|g| !g.excluded).cloned().collect();
        let only = availability(&cal, from, to, &build(from, &counted)).expect("a");
        prop_assert_eq!((only.downtime, only.interruptions, only.longest_restore), (base.downtime, base.interruptions, base.longest_restore));
    }

    #[test]
    fn agreed_time_and_downtime_add_up_over_split_periods(which in 0usize..3, gens in outages(), mid in 1i64..SLOTS) {
        let (cal, from) = starts()[which].clone();
        let (m, to) = (slot(from, mid), slot(from, SLOTS));
        let list = build(from, &gens);
        let whole = availability(&cal, from, to, &list).expect("whole");
        let a = availability(&cal, from, m, &list).expect("first");
        let b = availability(&cal, m, to, &list).expect("second");
        prop_assert_eq!(whole.agreed, a.agreed + b.agreed);
        prop_assert_eq!(whole.downtime, a.downtime + b.downtime);
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

#[test]
fn a_national_day_outage_costs_nothing_and_the_make_up_saturday_counts() {
    // 2026-10-01..07 is the National Day holiday; Saturday 2026-10-10 is a make-up working day.
    let cal = shanghai();
    let (from, to) = (at("2026-09-30T16:00:00Z"), at("2026-10-31T16:00:00Z"));
    let holiday = Outage::new(
        at("2026-10-01T00:00:00+08:00"),
        at("2026-10-08T00:00:00+08:00"),
    );
    let weekend = Outage::new(
        at("2026-10-10T00:00:00+08:00"),
        at("2026-10-12T00:00:00+08:00"),
    );
    let a = availability(&cal, from, to, &[holiday]).expect("availability");
    assert_eq!((a.downtime, a.interruptions), (SignedDuration::ZERO, 1));
    let saturday = business_time(
        &cal,
        at("2026-10-10T00:00:00+08:00"),
        at("2026-10-11T00:00:00+08:00"),
    )
    .expect("day");
    assert_eq!(
        saturday,
        SignedDuration::from_hours(8),
        "the make-up Saturday has a working day's hours"
    );
    let a = availability(&cal, from, to, &[holiday, weekend]).expect("availability");
    assert_eq!(
        (a.downtime, a.longest_restore, a.interruptions),
        (saturday, saturday, 2)
    );
}

#[test]
fn four_places_round_half_up() {
    // 1 minute down of 3: 66.666…% → 66.6667; 1 of 8: 87.5 exactly; 1 of 16 000: 99.99375 → 99.9938.
    let m = SignedDuration::from_mins;
    assert_eq!(
        format!("{:.4}", percent_with_places(m(3), m(1), 4)),
        "66.6667"
    );
    assert_eq!(
        format!("{:.4}", percent_with_places(m(8), m(1), 4)),
        "87.5000"
    );
    assert_eq!(
        format!("{:.4}", percent_with_places(m(16_000), m(1), 4)),
        "99.9938"
    );
    assert_eq!(percent_with_places(m(0), m(1), 4), Decimal::ONE_HUNDRED);
}
