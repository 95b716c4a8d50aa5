//! Unit tests for the billing rules (SPEC §7 examples and edges).

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday, date};
use rust_decimal::Decimal;

use super::*;
use crate::money::Money;

fn m(s: &str) -> Money {
    Money::parse(s).expect("test amount")
}

fn ym(year: i16, month: i8) -> YearMonth {
    YearMonth::new(year, month).expect("test month")
}

fn capped(fee: &str, cap: u32, over: &str) -> PricingModel {
    PricingModel::MonthlyCapped {
        monthly_fee: m(fee),
        visit_cap: cap,
        over_cap_fee: m(over),
    }
}

fn terms(pricing: PricingModel, start: Date, end: Date) -> ContractTerms {
    ContractTerms::new(pricing, m("100"), start, end)
}

fn year_2026(pricing: PricingModel) -> ContractTerms {
    terms(pricing, date(2026, 1, 1), date(2026, 12, 31))
}

fn visit(id: &str, kind: VisitKind, day: Date) -> Visit {
    Visit {
        id: id.to_owned(),
        order: format!("SO-2026-{id:0>6}"),
        kind,
        category: None,
        travel_fee: Money::ZERO,
        date: day,
    }
}

fn part(id: &str, cost: &str, client_supplied: bool) -> ApprovedPart {
    ApprovedPart {
        id: id.to_owned(),
        order: "SO-2026-000900".to_owned(),
        name: "硬盘 HDD 1TB".to_owned(),
        quantity: 1,
        unit_cost: m(cost),
        client_supplied,
    }
}

fn amounts(s: &StatementDraft) -> Vec<(LineKind, Money)> {
    s.lines.iter().map(|l| (l.kind, l.amount)).collect()
}

/// SPEC §7 worked example: March with 5 regular, 1 scheduled, 2 repeat, 1 emergency, 1 part.
fn spec_march() -> MonthActivity {
    let mut visits = Vec::new();
    for i in 1..=5 {
        visits.push(visit(
            &format!("{i}"),
            VisitKind::Regular,
            date(2026, 3, i * 2),
        ));
    }
    visits.push(visit("6", VisitKind::Scheduled, date(2026, 3, 15)));
    visits.push(visit("7", VisitKind::Repeat, date(2026, 3, 16)));
    visits.push(visit("8", VisitKind::Repeat, date(2026, 3, 17)));
    let mut emergency = visit("9", VisitKind::Emergency, date(2026, 3, 20));
    emergency.travel_fee = m("30");
    visits.push(emergency);
    MonthActivity {
        visits,
        parts: vec![part("P1", "450", false)],
        ..MonthActivity::default()
    }
}

#[test]
fn billing_spec_worked_example_totals_3980() {
    let t = year_2026(capped("3000", 4, "200"));
    let s = compute_statement(&t, ym(2026, 3), &spec_march()).expect("statement");
    assert_eq!(s.total, m("3980.00"));
    assert_eq!(s.total.to_string(), "3980.00");
    assert_eq!(s.counted_visits, 6);
    assert_eq!(
        amounts(&s),
        vec![
            (LineKind::MonthlyFee, m("3000")),
            (LineKind::OverCapVisits, m("400")),
            (LineKind::EmergencyFee, m("100")),
            (LineKind::EmergencyTravel, m("30")),
            (LineKind::Part, m("450")),
            (LineKind::RepeatVisits, m("0")),
        ]
    );
    let over = &s.lines[1];
    assert_eq!((over.quantity, over.unit_price), (2, m("200")));
    // The two visits beyond the cap are the latest counted ones: regular #5 and the scheduled one.
    assert_eq!(over.sources.visits, vec!["5", "6"]);
    assert_eq!(
        over.sources.orders,
        vec!["SO-2026-000005", "SO-2026-000006"]
    );
    assert_eq!(s.lines[0].sources.visits, vec!["1", "2", "3", "4"]);
    assert_eq!(s.lines[2].sources.visits, vec!["9"]);
    assert_eq!(s.lines[4].sources.items, vec!["P1"]);
    assert_eq!(s.lines[5].sources.visits, vec!["7", "8"]);
    assert!(s.lines[0].description.contains("Monthly fee 2026-03"));
    assert!(s.lines[1].description.contains("over cap"));
}

#[test]
fn billing_statement_serializes_amounts_as_strings() {
    let t = year_2026(capped("3000", 4, "200"));
    let s = compute_statement(&t, ym(2026, 3), &spec_march()).expect("statement");
    let json = serde_json::to_value(&s).expect("json");
    assert_eq!(json["total"], "3980.00");
    assert_eq!(json["currency"], "CNY");
    assert_eq!(json["lines"][1]["kind"], "over_cap_visits");
    let back: StatementDraft = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, s);
}

#[test]
fn billing_cap_is_not_exceeded_at_or_below_cap() {
    let t = year_2026(capped("3000", 6, "200"));
    let s = compute_statement(&t, ym(2026, 3), &spec_march()).expect("statement");
    assert_eq!(s.total, m("3580"));
    assert!(s.lines.iter().all(|l| l.kind != LineKind::OverCapVisits));
}

#[test]
fn billing_termination_spec_example_is_9750() {
    let t = year_2026(PricingModel::MonthlyUnlimited {
        monthly_fee: m("3000"),
    });
    let q = termination_penalty(&t, date(2026, 6, 16), None).expect("quote");
    assert!(!q.in_trial);
    assert_eq!(q.basis, PenaltyBasis::MonthlyFee);
    assert_eq!(q.remaining_fees, m("19500"));
    assert_eq!(q.penalty.to_string(), "9750.00");
    assert_eq!(q.refund, Money::ZERO);
}

#[test]
fn billing_termination_in_trial_has_no_penalty_and_refunds_unused_prepaid() {
    let t = year_2026(capped("3000", 4, "200"));
    assert_eq!(t.trial_end(), Ok(date(2026, 1, 31)));
    let prepaid = Prepayment {
        paid_through: date(2026, 3, 31),
    };
    let q = termination_penalty(&t, date(2026, 1, 20), Some(prepaid)).expect("quote");
    assert!(q.in_trial);
    assert_eq!(q.penalty, Money::ZERO);
    // Jan 20–31 = 12/31 × 3000 = 1161.29, then February and March in full.
    assert_eq!(q.unused_prepaid, m("7161.29"));
    assert_eq!(q.refund, m("7161.29"));
    // The last trial day is still in the trial; the next day is not.
    let last = termination_penalty(&t, date(2026, 1, 31), None).expect("quote");
    assert!(last.in_trial && last.penalty.is_zero());
    let after = termination_penalty(&t, date(2026, 2, 1), Some(prepaid)).expect("quote");
    assert!(!after.in_trial);
    assert_eq!(after.penalty, m("16500"));
    assert_eq!(after.unused_prepaid, m("6000"));
    assert_eq!(after.refund, Money::ZERO);
}

#[test]
fn billing_termination_on_the_last_day_of_the_contract() {
    let t = year_2026(capped("3000", 4, "200"));
    let q = termination_penalty(&t, date(2026, 12, 31), None).expect("quote");
    // One day of December: 3000 × 1/31 = 96.774… → 96.77; × 50 % = 48.385 → 48.39 (half-up).
    assert_eq!(q.remaining_fees, m("96.77"));
    assert_eq!(q.penalty, m("48.39"));
}

#[test]
fn billing_termination_outside_the_contract_names_notice_date() {
    let t = year_2026(capped("3000", 4, "200"));
    for day in [date(2025, 12, 31), date(2027, 1, 1)] {
        match termination_penalty(&t, day, None) {
            Err(BillingError::DateOutside { field, .. }) => assert_eq!(field, "notice_date"),
            other => panic!("expected DateOutside, got {other:?}"),
        }
    }
}

#[test]
fn billing_termination_rate_is_configurable_and_usage_models_use_commitment() {
    let mut t = year_2026(PricingModel::MonthlyUnlimited {
        monthly_fee: m("3000"),
    });
    t.penalty_rate = Decimal::new(3, 1);
    let q = termination_penalty(&t, date(2026, 6, 16), None).expect("quote");
    assert_eq!(q.penalty, m("5850"));

    let mut usage = year_2026(PricingModel::Resident { day_rate: m("800") });
    let none = termination_penalty(&usage, date(2026, 7, 1), None).expect("quote");
    assert_eq!(none.basis, PenaltyBasis::NoCommitment);
    assert_eq!(
        (none.remaining_fees, none.penalty),
        (Money::ZERO, Money::ZERO)
    );
    usage.committed_monthly_fee = Some(m("1600"));
    let some = termination_penalty(&usage, date(2026, 7, 1), None).expect("quote");
    assert_eq!(some.basis, PenaltyBasis::CommittedMonthlyFee);
    assert_eq!(some.remaining_fees, m("9600"));
    assert_eq!(some.penalty, m("4800"));
}

/// Monthly fee of a contract starting on `start`, for the month of `start`.
fn first_month_fee(fee: &str, start: Date) -> StatementDraft {
    let t = terms(
        PricingModel::MonthlyUnlimited {
            monthly_fee: m(fee),
        },
        start,
        date(2030, 12, 31),
    );
    compute_statement(&t, YearMonth::of(start), &MonthActivity::default()).expect("statement")
}

#[test]
fn billing_prorates_a_mid_month_start_in_months_of_28_29_30_31_days() {
    let cases = [
        ("2900", date(2024, 2, 15), 15, 29, "1500.00"), // leap February
        ("2800", date(2026, 2, 15), 14, 28, "1400.00"),
        ("3000", date(2026, 4, 16), 15, 30, "1500.00"),
        ("3000", date(2026, 3, 17), 15, 31, "1451.61"), // 1451.6129…
        ("3000", date(2026, 3, 1), 31, 31, "3000.00"),
    ];
    for (fee, start, covered, in_month, expected) in cases {
        let s = first_month_fee(fee, start);
        assert_eq!(s.total, m(expected), "{start}");
        let proration = s.lines[0].proration;
        if covered == in_month {
            assert_eq!(proration, None);
        } else {
            assert_eq!(
                proration,
                Some(Proration {
                    days_covered: covered,
                    days_in_month: in_month
                })
            );
        }
    }
}

#[test]
fn billing_prorates_half_up_to_the_cent() {
    // 1000.01 × 15/30 = 500.005 → 500.01 (banker's rounding would give 500.00).
    assert_eq!(
        first_month_fee("1000.01", date(2026, 4, 16)).total,
        m("500.01")
    );
}

#[test]
fn billing_prorates_a_contract_ending_mid_month_but_not_the_cap() {
    let t = terms(
        capped("3000", 2, "200"),
        date(2026, 1, 1),
        date(2026, 6, 10),
    );
    let activity = MonthActivity {
        visits: (1..=3)
            .map(|i| visit(&format!("{i}"), VisitKind::Regular, date(2026, 6, i)))
            .collect(),
        ..MonthActivity::default()
    };
    let s = compute_statement(&t, ym(2026, 6), &activity).expect("statement");
    assert_eq!(s.covered.end, date(2026, 6, 10));
    // 3000 × 10/30 = 1000; the cap stays 2, so one visit over: 200.
    assert_eq!(
        amounts(&s),
        vec![
            (LineKind::MonthlyFee, m("1000")),
            (LineKind::OverCapVisits, m("200"))
        ]
    );
}

#[test]
fn billing_month_outside_the_contract_is_an_error() {
    let t = terms(
        capped("3000", 2, "200"),
        date(2026, 1, 15),
        date(2026, 6, 10),
    );
    for month in [ym(2025, 12), ym(2026, 7)] {
        assert!(matches!(
            compute_statement(&t, month, &MonthActivity::default()),
            Err(BillingError::MonthOutsideContract { .. })
        ));
    }
    assert!(compute_statement(&t, ym(2026, 1), &MonthActivity::default()).is_ok());
    assert!(matches!(
        compute_statement(&t, YearMonth { year: 2026, month: 13 }, &MonthActivity::default()),
        Err(BillingError::InvalidField { field, .. }) if field == "month"
    ));
}

#[test]
fn billing_visit_outside_covered_days_names_the_field() {
    let t = terms(
        capped("3000", 2, "200"),
        date(2026, 3, 10),
        date(2026, 12, 31),
    );
    let activity = MonthActivity {
        visits: vec![
            visit("a", VisitKind::Regular, date(2026, 3, 12)),
            visit("b", VisitKind::Regular, date(2026, 3, 9)),
        ],
        ..MonthActivity::default()
    };
    match compute_statement(&t, ym(2026, 3), &activity) {
        Err(BillingError::DateOutside { field, .. }) => assert_eq!(field, "visits[1].date"),
        other => panic!("expected DateOutside, got {other:?}"),
    }
}

#[test]
fn billing_resident_bills_at_least_2_and_at_most_20_days_per_engineer() {
    let t = year_2026(PricingModel::Resident { day_rate: m("800") });
    let days = |engineer: &str, days| ResidentDays {
        engineer: engineer.to_owned(),
        days,
    };
    let activity = MonthActivity {
        resident_days: vec![
            days("王工", 25),
            days("Li", 0),
            days("Zhang", 12),
            days("Chen", 1),
        ],
        ..MonthActivity::default()
    };
    let s = compute_statement(&t, ym(2026, 3), &activity).expect("statement");
    let billed: Vec<(String, u32)> = s
        .lines
        .iter()
        .map(|l| (l.sources.engineers.join(","), l.quantity))
        .collect();
    assert_eq!(
        billed,
        vec![
            ("Chen".to_owned(), 2),
            ("Li".to_owned(), 2),
            ("Zhang".to_owned(), 12),
            ("王工".to_owned(), 20)
        ]
    );
    assert_eq!(s.total, m("28800")); // (2 + 2 + 12 + 20) × 800
    let too_many = MonthActivity {
        resident_days: vec![days("Li", 29)],
        ..MonthActivity::default()
    };
    match compute_statement(&t, ym(2026, 2), &too_many) {
        Err(BillingError::InvalidField { field, .. }) => assert_eq!(field, "resident_days[0].days"),
        other => panic!("expected InvalidField, got {other:?}"),
    }
}

fn device(device_type: &str, asset: &str, from: Date, until: Option<Date>) -> CoveredDevice {
    CoveredDevice {
        device_type: device_type.to_owned(),
        asset: asset.to_owned(),
        from,
        until,
    }
}

#[test]
fn billing_per_device_counts_devices_covered_on_any_day_of_the_month() {
    let prices = BTreeMap::from([("pc".to_owned(), m("50")), ("printer".to_owned(), m("30"))]);
    let t = year_2026(PricingModel::PerDevice {
        monthly_prices: prices,
    });
    let activity = MonthActivity {
        devices: vec![
            device("pc", "PC-001", date(2025, 1, 1), None),
            device("pc", "PC-002", date(2026, 3, 31), None), // last day only: counts
            device("pc", "PC-003", date(2025, 6, 1), Some(date(2026, 3, 1))), // first day only
            device("pc", "PC-004", date(2025, 6, 1), Some(date(2026, 2, 28))), // gone before March
            device("printer", "PR-001", date(2026, 4, 1), None), // not yet
            device(
                "printer",
                "PR-002",
                date(2026, 3, 10),
                Some(date(2026, 3, 20)),
            ),
        ],
        ..MonthActivity::default()
    };
    let s = compute_statement(&t, ym(2026, 3), &activity).expect("statement");
    assert_eq!(
        amounts(&s),
        vec![(LineKind::Devices, m("150")), (LineKind::Devices, m("30"))]
    );
    assert_eq!(
        s.lines[0].sources.assets,
        vec!["PC-001", "PC-002", "PC-003"]
    );
    assert_eq!(s.lines[1].sources.assets, vec!["PR-002"]);

    let mut missing = activity.clone();
    missing
        .devices
        .push(device("scanner", "SC-1", date(2026, 1, 1), None));
    match compute_statement(&t, ym(2026, 3), &missing) {
        Err(BillingError::MissingDevicePrice { field, .. }) => {
            assert_eq!(field, "pricing.monthly_prices.scanner")
        }
        other => panic!("expected MissingDevicePrice, got {other:?}"),
    }
}

#[test]
fn billing_client_supplied_parts_cost_nothing() {
    let t = year_2026(PricingModel::MonthlyUnlimited {
        monthly_fee: m("3000"),
    });
    let activity = MonthActivity {
        parts: vec![part("P2", "450", true), part("P1", "120.50", false)],
        ..MonthActivity::default()
    };
    let s = compute_statement(&t, ym(2026, 3), &activity).expect("statement");
    let parts: Vec<_> = s
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Part)
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1].sources.items, vec!["P2"]);
    assert_eq!(parts[1].amount, Money::ZERO);
    assert!(parts[1].description.contains("client-supplied"));
    assert_eq!(s.total, m("3120.50"));
}

fn per_visit_rates() -> PricingModel {
    PricingModel::PerVisit {
        rates: PerVisitRates {
            pc: Some(m("300")),
            network: Some(m("400")),
            peripheral: None,
            server: Some(m("800")),
        },
    }
}

fn categorized(id: &str, kind: VisitKind, category: VisitCategory) -> Visit {
    Visit {
        category: Some(category),
        ..visit(id, kind, date(2026, 5, 6))
    }
}

#[test]
fn billing_per_visit_bills_counted_visits_by_category_rate() {
    let t = year_2026(per_visit_rates());
    let mut emergency = categorized("e", VisitKind::Emergency, VisitCategory::Server);
    emergency.travel_fee = m("50");
    let activity = MonthActivity {
        visits: vec![
            categorized("a", VisitKind::Regular, VisitCategory::Pc),
            categorized("b", VisitKind::Scheduled, VisitCategory::Pc),
            categorized("c", VisitKind::Regular, VisitCategory::Network),
            categorized("r", VisitKind::Repeat, VisitCategory::Peripheral),
            emergency,
        ],
        ..MonthActivity::default()
    };
    let s = compute_statement(&t, ym(2026, 5), &activity).expect("statement");
    // 2 × 300 + 400 + emergency 100 + travel 50; the repeat visit needs no rate and costs nothing.
    assert_eq!(
        amounts(&s),
        vec![
            (LineKind::Visits, m("600")),
            (LineKind::Visits, m("400")),
            (LineKind::EmergencyFee, m("100")),
            (LineKind::EmergencyTravel, m("50")),
            (LineKind::RepeatVisits, Money::ZERO),
        ]
    );
    assert_eq!(s.total, m("1150"));
}

#[test]
fn billing_per_visit_missing_rate_names_the_field() {
    let t = year_2026(per_visit_rates());
    let activity = MonthActivity {
        visits: vec![categorized(
            "p",
            VisitKind::Regular,
            VisitCategory::Peripheral,
        )],
        ..MonthActivity::default()
    };
    let err = compute_statement(&t, ym(2026, 5), &activity).expect_err("missing rate");
    assert_eq!(
        err,
        BillingError::MissingRate {
            field: "pricing.rates.peripheral".to_owned(),
            category: VisitCategory::Peripheral
        }
    );
    assert!(err.to_string().starts_with("pricing.rates.peripheral:"));

    let uncategorized = MonthActivity {
        visits: vec![visit("x", VisitKind::Regular, date(2026, 5, 6))],
        ..MonthActivity::default()
    };
    match compute_statement(&t, ym(2026, 5), &uncategorized) {
        Err(BillingError::InvalidField { field, .. }) => assert_eq!(field, "visits[0].category"),
        other => panic!("expected InvalidField, got {other:?}"),
    }
}

#[test]
fn billing_take_away_and_other_items_are_billed_as_given() {
    let t = year_2026(PricingModel::MonthlyUnlimited {
        monthly_fee: m("2000"),
    });
    let activity = MonthActivity {
        take_away: vec![TakeAwayRepair {
            id: "T1".to_owned(),
            order: "SO-2026-000010".to_owned(),
            asset: Some("NB-7".to_owned()),
            description: "主板维修 mainboard".to_owned(),
            cost: m("680"),
        }],
        other: vec![OtherItem {
            id: "O1".to_owned(),
            order: None,
            description: "数据恢复 data recovery".to_owned(),
            quantity: 2,
            unit_price: m("150.25"),
        }],
        ..MonthActivity::default()
    };
    let s = compute_statement(&t, ym(2026, 8), &activity).expect("statement");
    assert_eq!(s.total, m("2980.50"));
    assert_eq!(s.lines[1].sources.assets, vec!["NB-7"]);
}

#[test]
fn billing_rejects_bad_terms_and_duplicate_ids_by_field() {
    let mut t = year_2026(capped("3000", 4, "200"));
    t.pricing = capped("-1", 4, "200");
    assert!(
        matches!(t.validate(), Err(BillingError::InvalidField { field, .. }) if field == "pricing.monthly_fee")
    );
    let mut t = year_2026(capped("3000", 4, "200"));
    t.end = date(2025, 1, 1);
    assert!(
        matches!(t.validate(), Err(BillingError::InvalidField { field, .. }) if field == "end")
    );
    let mut t = year_2026(capped("3000", 4, "200"));
    t.payment.then_every_months = 0;
    assert!(
        matches!(t.validate(), Err(BillingError::InvalidField { field, .. }) if field == "payment.then_every_months")
    );
    let t = year_2026(capped("3000", 4, "200"));
    let dup = MonthActivity {
        visits: vec![
            visit("a", VisitKind::Regular, date(2026, 3, 1)),
            visit("a", VisitKind::Repeat, date(2026, 3, 2)),
        ],
        ..MonthActivity::default()
    };
    assert!(matches!(compute_statement(&t, ym(2026, 3), &dup),
        Err(BillingError::InvalidField { field, .. }) if field == "visits[1].id"));
}

#[test]
fn billing_terms_deserialize_with_spec_defaults() {
    let json = r#"{
        "pricing": {"model": "monthly_capped", "monthly_fee": "3000.00", "visit_cap": 4, "over_cap_fee": "200"},
        "emergency_fee": "100",
        "start": "2026-01-01",
        "end": "2026-12-31"
    }"#;
    let t: ContractTerms = serde_json::from_str(json).expect("terms");
    assert_eq!(t, year_2026(capped("3000", 4, "200")));
    assert_eq!(t.currency.as_str(), "CNY");
    assert_eq!(t.trial_months, 1);
    assert_eq!(t.penalty_rate, Decimal::new(5, 1));
    assert_eq!(t.payment, PaymentTerms::default());
    assert_eq!(
        (
            t.payment.first_invoice_months,
            t.payment.then_every_months,
            t.payment.due_working_days
        ),
        (3, 3, 5)
    );
    let back: ContractTerms =
        serde_json::from_value(serde_json::to_value(&t).expect("ser")).expect("de");
    assert_eq!(back, t);
    let err = serde_json::from_str::<ContractTerms>(
        r#"{"pricing": {"model": "monthly_unlimited", "monthly_fee": 3000.5}, "emergency_fee": "100", "start": "2026-01-01", "end": "2026-12-31"}"#,
    );
    assert!(err.is_err(), "a float fee must be rejected");
}

fn weekdays(day: Date) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[test]
fn billing_invoice_schedule_three_months_then_quarterly() {
    let t = year_2026(PricingModel::MonthlyUnlimited {
        monthly_fee: m("3000"),
    });
    let invoices = invoice_schedule(&t, weekdays).expect("schedule");
    let periods: Vec<(Date, Date, Date, Money)> = invoices
        .iter()
        .map(|i| (i.covers.start, i.covers.end, i.due_date, i.advance_fees))
        .collect();
    assert_eq!(
        periods,
        vec![
            // 2026-01-01 is a Thursday: Fri 2, Mon 5 … Thu 8.
            (
                date(2026, 1, 1),
                date(2026, 3, 31),
                date(2026, 1, 8),
                m("9000")
            ),
            (
                date(2026, 4, 1),
                date(2026, 6, 30),
                date(2026, 4, 8),
                m("9000")
            ),
            (
                date(2026, 7, 1),
                date(2026, 9, 30),
                date(2026, 7, 8),
                m("9000")
            ),
            (
                date(2026, 10, 1),
                date(2026, 12, 31),
                date(2026, 10, 8),
                m("9000")
            ),
        ]
    );
    assert!(invoices.iter().all(|i| i.issue_date == i.covers.start));
    assert_eq!(
        invoices.iter().map(|i| i.seq).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn billing_invoice_schedule_mid_month_start_monthly_after() {
    let mut t = terms(
        PricingModel::MonthlyUnlimited {
            monthly_fee: m("3000"),
        },
        date(2026, 1, 15),
        date(2026, 6, 20),
    );
    t.payment.then_every_months = 1;
    t.payment.due_working_days = 0;
    let invoices = invoice_schedule(&t, weekdays).expect("schedule");
    let covers: Vec<(Date, Date)> = invoices
        .iter()
        .map(|i| (i.covers.start, i.covers.end))
        .collect();
    assert_eq!(
        covers,
        vec![
            (date(2026, 1, 15), date(2026, 3, 31)),
            (date(2026, 4, 1), date(2026, 4, 30)),
            (date(2026, 5, 1), date(2026, 5, 31)),
            (date(2026, 6, 1), date(2026, 6, 20)),
        ]
    );
    // 17/31 × 3000 = 1645.16 + 2 × 3000; June 20/30 × 3000 = 2000.
    assert_eq!(invoices[0].advance_fees, m("7645.16"));
    assert_eq!(invoices[3].advance_fees, m("2000"));
    assert_eq!(invoices[0].due_date, date(2026, 1, 15));
}

#[test]
fn billing_due_date_skips_holidays_and_fails_without_working_days() {
    // National-day week: 2026-10-01..07 off, 2026-10-10 (Saturday) a make-up working day.
    let calendar = |d: Date| {
        if d == date(2026, 10, 10) {
            return true;
        }
        weekdays(d) && !(date(2026, 10, 1)..=date(2026, 10, 7)).contains(&d)
    };
    assert_eq!(
        due_date(date(2026, 9, 30), 5, calendar),
        Ok(date(2026, 10, 13))
    );
    assert_eq!(
        due_date(date(2026, 1, 1), 5, |_| false),
        Err(BillingError::NoWorkingDay {
            after: date(2026, 1, 1)
        })
    );
}

#[test]
fn visit_kinds_parse_only_their_own_names() {
    for k in VisitKind::ALL {
        assert_eq!(VisitKind::parse(k.as_str()), Ok(k));
        // The stored name is the JSON name.
        assert_eq!(
            serde_json::to_value(k).ok(),
            Some(serde_json::json!(k.as_str()))
        );
    }
    for bad in ["", "Regular", "picnic", "regular ", "emergency\0"] {
        assert_eq!(
            VisitKind::parse(bad),
            Err(UnknownVisitKind(bad.to_owned())),
            "{bad:?} is not silently a regular visit"
        );
    }
    let e = VisitKind::parse("picnic").expect_err("unknown");
    assert!(e.to_string().starts_with("kind:"), "{e}");
}
