//! Property tests for money and the billing rules (SPEC §7).

use std::collections::BTreeMap;

use jiff::Span;
use jiff::civil::Date;
use proptest::prelude::*;
use rust_decimal::Decimal;
use weihu_domain::billing::{
    ApprovedPart, ContractTerms, CoveredDevice, LineKind, MonthActivity, OtherItem, PerVisitRates,
    PricingModel, ResidentDays, StatementDraft, TakeAwayRepair, Visit, VisitCategory, VisitKind,
    YearMonth, compute_statement, termination_penalty,
};
use weihu_domain::money::Money;

const KINDS: [VisitKind; 4] = [
    VisitKind::Regular,
    VisitKind::Scheduled,
    VisitKind::Emergency,
    VisitKind::Repeat,
];
const DEVICE_TYPES: [&str; 3] = ["pc", "printer", "server"];

fn cents(c: i64) -> Money {
    Money::from_cents(c)
}

fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(Span::new().days(days))
        .expect("date in range")
}

/// A pricing model of each of the five kinds, every rate present.
fn pricing() -> impl Strategy<Value = PricingModel> {
    let fee = 0i64..1_000_000;
    prop_oneof![
        (fee.clone(), fee.clone(), fee.clone(), fee.clone()).prop_map(|(a, b, c, d)| {
            PricingModel::PerVisit {
                rates: PerVisitRates {
                    pc: Some(cents(a)),
                    network: Some(cents(b)),
                    peripheral: Some(cents(c)),
                    server: Some(cents(d)),
                },
            }
        }),
        (fee.clone(), 0u32..8, fee.clone()).prop_map(|(f, cap, over)| {
            PricingModel::MonthlyCapped {
                monthly_fee: cents(f),
                visit_cap: cap,
                over_cap_fee: cents(over),
            }
        }),
        fee.clone().prop_map(|f| PricingModel::MonthlyUnlimited {
            monthly_fee: cents(f)
        }),
        fee.clone()
            .prop_map(|f| PricingModel::Resident { day_rate: cents(f) }),
        (fee.clone(), fee.clone(), fee).prop_map(|(a, b, c)| PricingModel::PerDevice {
            monthly_prices: BTreeMap::from([
                ("pc".to_owned(), cents(a)),
                ("printer".to_owned(), cents(b)),
                ("server".to_owned(), cents(c)),
            ]),
        }),
    ]
}

/// Terms, a month the contract overlaps, and activity within the covered days.
#[derive(Debug, Clone)]
struct Case {
    terms: ContractTerms,
    month: YearMonth,
    activity: MonthActivity,
}

/// Covered days of the month: (first covered day, number of covered days).
fn covered(terms: &ContractTerms, month: YearMonth) -> (Date, i64) {
    let first = Date::new(month.year, month.month, 1).expect("month");
    let start = terms.start.max(first);
    let end = terms.end.min(first.last_of_month());
    (start, i64::from(end.day()) - i64::from(start.day()) + 1)
}

prop_compose! {
    fn case()(
        pricing in pricing(),
        emergency in 0i64..100_000,
        year in prop::sample::select(vec![2024i16, 2025, 2026]),
        month in 1i8..=12,
        start_offset in -60i64..31,
        length in 0i64..400,
        visits in prop::collection::vec((0usize..4, 0usize..4, 0i64..31, 0i64..10_000), 0..14),
        parts in prop::collection::vec((1u32..5, 0i64..100_000, any::<bool>()), 0..4),
        other in prop::collection::vec((1u32..3, -10_000i64..100_000), 0..3),
        repairs in prop::collection::vec(0i64..100_000, 0..3),
        resident in prop::collection::vec(0i64..31, 0..4),
        devices in prop::collection::vec((0usize..3, -60i64..60, prop::option::of(0i64..90)), 0..6),
    ) -> Case {
        let first = Date::new(year, month, 1).expect("month");
        let last = first.last_of_month();
        // Start anywhere from two months before to the last day of the month; end after the
        // later of start and the first of the month, so the month is always covered.
        let start = add_days(first, start_offset).min(last);
        let end = add_days(start.max(first), length);
        let terms = ContractTerms::new(pricing, cents(emergency), start, end);
        let month = YearMonth::new(year, month).expect("month");
        let (from, days) = covered(&terms, month);
        let activity = MonthActivity {
            visits: visits
                .into_iter()
                .enumerate()
                .map(|(i, (kind, category, day, travel))| Visit {
                    id: format!("V{i:03}"),
                    order: format!("SO-2026-{:06}", i % 5),
                    kind: KINDS[kind],
                    category: Some(VisitCategory::ALL[category]),
                    travel_fee: cents(travel),
                    date: add_days(from, day % days),
                })
                .collect(),
            parts: parts
                .into_iter()
                .enumerate()
                .map(|(i, (quantity, cost, client_supplied))| ApprovedPart {
                    id: format!("P{i}"),
                    order: format!("SO-2026-{:06}", i % 3),
                    name: format!("part {i}"),
                    quantity,
                    unit_cost: cents(cost),
                    client_supplied,
                })
                .collect(),
            take_away: repairs
                .into_iter()
                .enumerate()
                .map(|(i, cost)| TakeAwayRepair {
                    id: format!("T{i}"),
                    order: format!("SO-2026-{i:06}"),
                    asset: None,
                    description: format!("repair {i}"),
                    cost: cents(cost),
                })
                .collect(),
            other: other
                .into_iter()
                .enumerate()
                .map(|(i, (quantity, price))| OtherItem {
                    id: format!("O{i}"),
                    order: None,
                    description: format!("item {i}"),
                    quantity,
                    unit_price: cents(price),
                })
                .collect(),
            resident_days: resident
                .into_iter()
                .enumerate()
                .map(|(i, d)| ResidentDays {
                    engineer: format!("E{i}"),
                    days: u32::try_from(d % (days + 1)).expect("small"),
                })
                .collect(),
            devices: devices
                .into_iter()
                .enumerate()
                .map(|(i, (t, from_offset, length))| {
                    let from_day = add_days(first, from_offset);
                    CoveredDevice {
                        device_type: DEVICE_TYPES[t].to_owned(),
                        asset: format!("A{i}"),
                        from: from_day,
                        until: length.map(|l| add_days(from_day, l)),
                    }
                })
                .collect(),
        };
        Case { terms, month, activity }
    }
}

fn statement(case: &Case) -> StatementDraft {
    compute_statement(&case.terms, case.month, &case.activity).expect("valid case")
}

fn with_repeat_visit(case: &Case, day: i64, travel: i64) -> Case {
    let (from, days) = covered(&case.terms, case.month);
    let mut more = case.clone();
    more.activity.visits.push(Visit {
        id: "REPEAT".to_owned(),
        order: "SO-2026-999999".to_owned(),
        kind: VisitKind::Repeat,
        category: Some(VisitCategory::Server),
        travel_fee: cents(travel),
        date: add_days(from, day % days),
    });
    more
}

proptest! {
    #[test]
    fn billing_total_is_the_sum_of_lines_rounded_to_the_cent(case in case()) {
        let s = statement(&case);
        let sum: Money = s.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(s.total, sum);
        for l in &s.lines {
            prop_assert!(l.amount.is_whole_cents());
            prop_assert_eq!(l.amount, l.amount.round_cent());
            if l.proration.is_none() {
                prop_assert_eq!(l.amount, l.unit_price * l.quantity);
            }
        }
    }

    #[test]
    fn billing_repeat_visit_never_changes_a_capped_total(
        fee in 0i64..1_000_000, cap in 0u32..6, over in 0i64..100_000,
        case in case(), day in 0i64..31, travel in 0i64..10_000,
    ) {
        let mut case = case;
        case.terms.pricing = PricingModel::MonthlyCapped {
            monthly_fee: cents(fee),
            visit_cap: cap,
            over_cap_fee: cents(over),
        };
        let before = statement(&case);
        let after = statement(&with_repeat_visit(&case, day, travel));
        prop_assert_eq!(before.total, after.total);
        prop_assert_eq!(before.counted_visits, after.counted_visits);
    }

    #[test]
    fn billing_repeat_visit_is_never_billed_on_any_model(
        case in case(), day in 0i64..31, travel in 0i64..10_000,
    ) {
        let before = statement(&case);
        let after = statement(&with_repeat_visit(&case, day, travel));
        prop_assert_eq!(before.total, after.total);
        for l in &after.lines {
            let names_repeat = l.sources.visits.iter().any(|v| v == "REPEAT");
            if names_repeat {
                prop_assert_eq!(l.kind, LineKind::RepeatVisits);
                prop_assert!(l.amount.is_zero());
            }
            if l.kind == LineKind::RepeatVisits {
                prop_assert!(l.amount.is_zero());
            }
        }
    }

    #[test]
    fn billing_is_deterministic_and_ignores_input_order(case in case()) {
        let first = statement(&case);
        prop_assert_eq!(&first, &statement(&case));
        let mut reversed = case.clone();
        reversed.activity.visits.reverse();
        reversed.activity.parts.reverse();
        reversed.activity.take_away.reverse();
        reversed.activity.other.reverse();
        reversed.activity.resident_days.reverse();
        reversed.activity.devices.reverse();
        prop_assert_eq!(&first, &statement(&reversed));
        let json = serde_json::to_string(&first).expect("json");
        prop_assert_eq!(json, serde_json::to_string(&statement(&reversed)).expect("json"));
    }

    #[test]
    fn billing_termination_penalty_is_rate_times_remaining_and_zero_in_trial(
        case in case(), notice_offset in 0i64..400, rate_pct in 0i64..=100,
    ) {
        let mut terms = case.terms;
        terms.penalty_rate = Decimal::new(rate_pct, 2);
        terms.committed_monthly_fee = Some(cents(123_456));
        let notice = add_days(terms.start, notice_offset).min(terms.end);
        let q = termination_penalty(&terms, notice, None).expect("quote");
        let trial_end = terms.trial_end().expect("trial");
        prop_assert_eq!(q.in_trial, notice <= trial_end);
        if q.in_trial {
            prop_assert!(q.penalty.is_zero());
        } else {
            prop_assert_eq!(q.penalty, (q.remaining_fees * terms.penalty_rate).round_cent());
        }
        // A later notice never leaves more fees remaining.
        if notice < terms.end {
            let later = termination_penalty(&terms, add_days(notice, 1), None).expect("quote");
            prop_assert!(later.remaining_fees <= q.remaining_fees);
        }
    }

    #[test]
    fn money_round_cent_is_idempotent_and_within_half_a_cent(mantissa in any::<i64>(), scale in 0u32..8) {
        let x = Money::new(Decimal::new(mantissa, scale));
        let r = x.round_cent();
        prop_assert_eq!(r.round_cent(), r);
        prop_assert!(r.is_whole_cents());
        prop_assert!((x.amount() - r.amount()).abs() <= Decimal::new(5, 3));
        // Half-up: a midpoint goes away from zero.
        let diff = x.amount() - r.amount();
        if diff.abs() == Decimal::new(5, 3) {
            prop_assert!(r.amount().abs() > x.amount().abs());
        }
        // Display shows exactly the rounded value and reads back (within the parse limit).
        if r.amount().abs() < Decimal::new(1_000_000_000_000_000, 0) {
            prop_assert_eq!(Money::parse(&r.to_string()), Ok(r));
        }
    }

    #[test]
    fn money_parse_display_round_trips_cents(c in -9_999_999_999_999_999_i64..9_999_999_999_999_999) {
        let m = Money::from_cents(c);
        prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        let json = serde_json::to_string(&m).expect("json");
        prop_assert_eq!(serde_json::from_str::<Money>(&json).expect("back"), m);
        prop_assert_eq!(m + Money::from_cents(1) - Money::from_cents(1), m);
    }
}
