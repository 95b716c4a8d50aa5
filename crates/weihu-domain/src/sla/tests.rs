//! SPEC §4 worked examples, clock evaluation, policies, and property tests of the engine.

use super::*;
use crate::calendar::{Calendar, LocalInterval, WeeklySchedule};
use jiff::civil::{Weekday, date};
use jiff::tz::TimeZone;
use proptest::prelude::*;

fn china_5x8() -> Calendar {
    Calendar::five_by_8("Asia/Shanghai")
        .and_then(|c| c.with_holiday_set("cn-2026"))
        .expect("preset")
}

fn at(s: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = s.parse().expect("datetime literal");
    dt.to_zoned_datetime(TimeZone::get("Asia/Shanghai").expect("zone"))
        .expect("local time")
        .timestamp()
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

#[test]
fn example_1_same_day() {
    assert_eq!(
        due_at(&china_5x8(), at("2026-03-04T10:00"), mins(120)),
        Ok(at("2026-03-04T12:00"))
    );
}

#[test]
fn example_2_over_the_weekend() {
    assert_eq!(
        due_at(&china_5x8(), at("2026-03-06T16:00"), mins(120)),
        Ok(at("2026-03-09T10:00"))
    );
}

#[test]
fn example_3_start_outside_hours() {
    assert_eq!(
        due_at(&china_5x8(), at("2026-03-07T11:00"), mins(60)),
        Ok(at("2026-03-09T10:00"))
    );
}

#[test]
fn example_4_due_at_interval_end() {
    assert_eq!(
        due_at(&china_5x8(), at("2026-03-06T16:00"), mins(60)),
        Ok(at("2026-03-06T17:00"))
    );
}

#[test]
fn example_5_over_national_day() {
    assert_eq!(
        due_at(&china_5x8(), at("2026-09-30T15:00"), mins(480)),
        Ok(at("2026-10-08T15:00"))
    );
}

#[test]
fn example_6_pause_moves_due() {
    let cal = china_5x8();
    let start = at("2026-03-04T10:00");
    assert_eq!(due_at(&cal, start, mins(240)), Ok(at("2026-03-04T14:00")));
    let pause = Pause::closed(at("2026-03-04T11:00"), at("2026-03-05T10:00"));
    assert_eq!(
        paused_business_time(&cal, start, &[pause], at("2026-03-06T00:00")),
        Ok(mins(420))
    );
    assert_eq!(
        due(&cal, start, mins(240), &[pause]),
        Ok(Due::At {
            due: at("2026-03-05T13:00")
        })
    );
}

#[test]
fn make_up_day_follows_monday() {
    // Sat 2026-10-10 is a make-up working day: 09:00–17:00.
    let cal = china_5x8();
    assert_eq!(
        due_at(&cal, at("2026-10-09T16:00"), mins(120)),
        Ok(at("2026-10-10T10:00"))
    );
    assert_eq!(
        business_time(&cal, at("2026-10-10T00:00"), at("2026-10-11T00:00")),
        Ok(mins(480))
    );
}

#[test]
fn business_time_basics() {
    let cal = china_5x8();
    assert_eq!(
        business_time(&cal, at("2026-03-04T10:00"), at("2026-03-04T09:00")),
        Ok(SignedDuration::ZERO)
    );
    assert_eq!(
        business_time(&cal, at("2026-03-02T00:00"), at("2026-03-09T00:00")),
        Ok(mins(2400))
    );
    // A whole year: 2026 has 261 weekdays, minus 19 weekday holidays, plus 6 make-up days.
    let year = business_time(&cal, at("2026-01-01T00:00"), at("2027-01-01T00:00")).expect("year");
    assert_eq!(year, mins(480 * (261 - 19 + 6)));
}

#[test]
fn overlapping_and_open_pauses() {
    let cal = china_5x8();
    let start = at("2026-03-04T10:00");
    let pauses = [
        Pause::closed(at("2026-03-04T11:00"), at("2026-03-04T12:00")),
        Pause::closed(at("2026-03-04T11:30"), at("2026-03-04T13:00")),
    ];
    assert_eq!(
        due(&cal, start, mins(60), &pauses),
        Ok(Due::At {
            due: at("2026-03-04T11:00")
        })
    );
    assert_eq!(
        due(&cal, start, mins(120), &pauses),
        Ok(Due::At {
            due: at("2026-03-04T14:00")
        })
    );
    let open = [Pause::open(at("2026-03-04T11:00"))];
    assert_eq!(
        due(&cal, start, mins(120), &open),
        Ok(Due::Suspended {
            since: at("2026-03-04T11:00")
        })
    );
    assert_eq!(
        due(&cal, start, mins(60), &open),
        Ok(Due::At {
            due: at("2026-03-04T11:00")
        })
    );
}

#[test]
fn wall_clock_target() {
    let start = at("2026-03-06T16:00");
    assert_eq!(
        wall_clock_due(start, mins(48 * 60), &[]),
        Ok(Due::At {
            due: at("2026-03-08T16:00")
        })
    );
    let p = [Pause::closed(
        at("2026-03-07T00:00"),
        at("2026-03-07T02:00"),
    )];
    assert_eq!(
        wall_clock_due(start, mins(48 * 60), &p),
        Ok(Due::At {
            due: at("2026-03-08T18:00")
        })
    );
    let spec = ClockSpec::new(start, Target::wall_clock(48 * 60));
    let s = evaluate(&china_5x8(), &spec, at("2026-03-08T16:00")).expect("eval");
    assert_eq!((s.state, s.timer.percent_used), (ClockState::Running, 100));
}

#[test]
fn no_service_hours_is_an_error() {
    let empty = Calendar::new("none", "Asia/Shanghai", WeeklySchedule::empty()).expect("cal");
    let empty = empty
        .with_workday(date(2026, 10, 10), Weekday::Monday, None)
        .expect("workday");
    assert_eq!(
        due_at(&empty, at("2026-03-04T10:00"), mins(1)),
        Err(SlaError::NoServiceHours)
    );
    assert_eq!(
        business_time(&empty, at("2026-01-01T00:00"), at("2030-01-01T00:00")),
        Ok(SignedDuration::ZERO)
    );
}

#[test]
fn ten_year_limit_is_an_error_not_a_hang() {
    let cal = china_5x8();
    let started = std::time::Instant::now();
    assert_eq!(
        due_at(&cal, at("2026-03-04T10:00"), mins(480 * 260 * 11)),
        Err(SlaError::DueTooFar { years: 10 })
    );
    // Nine years of business time is fine.
    assert!(due_at(&cal, at("2026-03-04T10:00"), mins(480 * 250 * 9)).is_ok());
    // A calendar whose every day for 14 years is a holiday.
    let mut days = Vec::new();
    let mut d = date(2026, 1, 1);
    while d.year() < 2040 {
        days.push(crate::calendar::ImportedDay {
            date: d,
            kind: crate::calendar::ImportedKind::Holiday,
            name: None,
        });
        d = d.tomorrow().expect("date");
    }
    let sparse = Calendar::new("sparse", "Asia/Shanghai", WeeklySchedule::five_by_8())
        .and_then(|c| c.with_imported(&days))
        .expect("cal");
    assert_eq!(
        due_at(&sparse, at("2026-03-04T10:00"), mins(1)),
        Err(SlaError::DueTooFar { years: 10 })
    );
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(
        due_at(&cal, at("2195-01-01T10:00"), mins(1)),
        Err(SlaError::OutOfRange)
    );
}

#[test]
fn dst_days_have_23_and_25_hours() {
    let ny = Calendar::seven_by_24("America/New_York").expect("cal");
    let z = |s: &str| -> Timestamp {
        let dt: jiff::civil::DateTime = s.parse().expect("dt");
        dt.to_zoned_datetime(TimeZone::get("America/New_York").expect("zone"))
            .expect("local time")
            .timestamp()
    };
    assert_eq!(
        business_time(&ny, z("2026-03-08T00:00"), z("2026-03-09T00:00")),
        Ok(mins(23 * 60))
    );
    assert_eq!(
        business_time(&ny, z("2026-11-01T00:00"), z("2026-11-02T00:00")),
        Ok(mins(25 * 60))
    );
    // A local bound in the gap resolves to the transition: [02:30, 04:00) on 2026-03-08 is 1 h.
    let mut week = WeeklySchedule::empty();
    let iv = LocalInterval::hm((2, 30), (4, 0)).expect("interval");
    week.set(Weekday::Sunday, vec![iv]).expect("set");
    let cal = Calendar::new("gap", "America/New_York", week).expect("cal");
    assert_eq!(
        business_time(&cal, z("2026-03-08T00:00"), z("2026-03-09T00:00")),
        Ok(mins(60))
    );
    // In the fold, [01:30, 01:45) covers from the first 01:30 to the second 01:45.
    let mut week = WeeklySchedule::empty();
    week.set(
        Weekday::Sunday,
        vec![LocalInterval::hm((1, 30), (1, 45)).expect("iv")],
    )
    .expect("set");
    let cal = Calendar::new("fold", "America/New_York", week).expect("cal");
    assert_eq!(
        business_time(&cal, z("2026-11-01T00:00"), z("2026-11-02T00:00")),
        Ok(mins(75))
    );
}

#[test]
fn clock_states() {
    let cal = china_5x8();
    let start = at("2026-03-04T10:00");
    let mut spec = ClockSpec::new(start, Target::business(120));
    let s = evaluate(&cal, &spec, at("2026-03-04T11:00")).expect("eval");
    assert_eq!(
        (s.state, s.at_risk, s.timer.percent_used),
        (ClockState::Running, false, 50)
    );
    assert_eq!(s.deadline.due, Some(at("2026-03-04T12:00")));
    assert_eq!(s.timer.remaining, mins(60));
    let s = evaluate(&cal, &spec, at("2026-03-04T11:36")).expect("eval");
    assert!(s.at_risk);
    let s = evaluate(&cal, &spec, at("2026-03-04T12:00")).expect("eval");
    assert_eq!(s.state, ClockState::Running);
    let s = evaluate(&cal, &spec, at("2026-03-04T12:01")).expect("eval");
    assert_eq!(
        (s.state, s.at_risk, s.timer.remaining),
        (ClockState::Breached, false, mins(-1))
    );
    spec.at_risk_percent = 40;
    assert!(
        evaluate(&cal, &spec, at("2026-03-04T10:50"))
            .expect("eval")
            .at_risk
    );
    spec.at_risk_percent = 80;
    spec.pauses = vec![Pause::open(at("2026-03-04T11:00"))];
    let s = evaluate(&cal, &spec, at("2026-03-05T11:00")).expect("eval");
    assert_eq!(
        (s.state, s.deadline.due, s.timer.used),
        (ClockState::Paused, None, mins(60))
    );
    assert_eq!(s.deadline.paused, mins(6 * 60 + 120));
    spec.pauses = vec![Pause::closed(
        at("2026-03-04T11:00"),
        at("2026-03-05T10:00"),
    )];
    spec.stopped_at = Some(at("2026-03-05T10:30"));
    let s = evaluate(&cal, &spec, at("2026-03-09T10:00")).expect("eval");
    assert_eq!(
        (s.state, s.deadline.due),
        (ClockState::Met, Some(at("2026-03-05T11:00")))
    );
    spec.stopped_at = Some(at("2026-03-07T10:00"));
    let s = evaluate(&cal, &spec, at("2026-03-09T10:00")).expect("eval");
    assert_eq!(s.state, ClockState::Breached);
    assert_eq!(s.timer.used, mins(23 * 60 - 7 * 60));
}

#[test]
fn policy_defaults_and_validation() {
    let p = SlaPolicy::default_targets();
    assert!(p.validate().is_ok());
    assert_eq!(
        p.targets_for(Priority::P3).resolution,
        Target::business(480)
    );
    assert_eq!(
        p.targets_for(Priority::P4).resolution,
        Target::business(960)
    );
    assert_eq!(
        p.targets_for(Priority::P1).target(ClockKind::Arrival),
        Target::business(240)
    );
    assert_eq!(p.targets_for(Priority::P2).response, Target::business(30));
    let json = serde_json::to_string(&p).expect("ser");
    assert_eq!(SlaPolicy::from_json(&json), Ok(p.clone()));
    let mut bad = p.clone();
    bad.targets.p2.resolution = Target::wall_clock(0);
    assert_eq!(
        bad.validate().map_err(|e| e.field),
        Err("targets.P2.resolution.minutes".into())
    );
    let mut bad = p.clone();
    bad.targets.p4.at_risk_percent = 0;
    assert_eq!(
        bad.validate().map_err(|e| e.field),
        Err("targets.P4.at_risk_percent".into())
    );
    let mut bad = p;
    bad.version = 0;
    assert_eq!(bad.validate().map_err(|e| e.field), Err("version".into()));
    let t: Target =
        serde_json::from_str(r#"{"kind":"wall_clock","minutes":2880}"#).expect("target");
    assert_eq!(t, Target::wall_clock(2880));
}

// ---- property tests --------------------------------------------------------------------------

const ZONES: [&str; 3] = ["Asia/Shanghai", "America/New_York", "Europe/Berlin"];

/// A day's intervals from sorted distinct quarter-hour points (pairs), e.g. with lunch breaks.
fn day_strategy() -> impl Strategy<Value = Vec<LocalInterval>> {
    prop::collection::btree_set(0u32..=96, 0..=6).prop_map(|points| {
        let p: Vec<u32> = points.into_iter().collect();
        p.chunks_exact(2)
            .filter_map(|c| {
                LocalInterval::hm(
                    (c[0] * 15 / 60, c[0] * 15 % 60),
                    (c[1] * 15 / 60, c[1] * 15 % 60),
                )
            })
            .collect()
    })
}

fn calendar_strategy() -> impl Strategy<Value = Calendar> {
    (
        prop::array::uniform7(day_strategy()),
        0..ZONES.len(),
        prop::collection::vec(0i32..120, 0..8),
        prop::collection::vec((0i32..120, 0i8..7), 0..4),
        any::<bool>(),
    )
        .prop_filter_map(
            "no service hours",
            |(days, zone, holidays, workdays, cn)| {
                let mut week = WeeklySchedule::empty();
                for (i, ivs) in days.into_iter().enumerate() {
                    week.set(Weekday::from_monday_zero_offset(i as i8).ok()?, ivs)
                        .ok()?;
                }
                if week.total_seconds() == 0 {
                    return None;
                }
                let mut cal = Calendar::new("prop", ZONES[zone], week).ok()?;
                let base = date(2026, 2, 20);
                for h in holidays {
                    cal = cal
                        .with_holiday(base.checked_add(jiff::Span::new().days(h)).ok()?, None)
                        .ok()?;
                }
                for (w, as_day) in workdays {
                    let d = base.checked_add(jiff::Span::new().days(w)).ok()?;
                    cal = cal
                        .with_workday(d, Weekday::from_monday_zero_offset(as_day).ok()?, None)
                        .ok()?;
                }
                if cn {
                    cal = cal.with_holiday_set("cn-2026").ok()?;
                }
                Some(cal)
            },
        )
}

/// Starts around the 2026 DST changes (March and October/November) and elsewhere in 2026.
fn start_strategy() -> impl Strategy<Value = Timestamp> {
    let anchors = [
        at("2026-03-07T00:00").as_second(),
        at("2026-03-27T00:00").as_second(),
        at("2026-10-23T00:00").as_second(),
        at("2026-10-30T00:00").as_second(),
        at("2026-01-01T00:00").as_second(),
    ];
    (0..anchors.len(), 0i64..(5 * 86_400), 0i64..1_000_000_000)
        .prop_filter_map("range", move |(a, off, ns)| {
            Timestamp::new(anchors[a] + off, ns as i32 % 1_000_000_000).ok()
        })
}

fn in_or_at_end_of_window(cal: &Calendar, t: Timestamp, allow_start: bool) -> bool {
    let d = cal.local_date(t);
    let first = d.yesterday().expect("date");
    cal.service_days(first, 3)
        .expect("days")
        .iter()
        .flat_map(|day| day.windows.iter())
        .any(|w| (w.start < t || (allow_start && w.start == t)) && t <= w.end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn business_time_of_due_is_target(cal in calendar_strategy(), start in start_strategy(), m in 0i64..6000, extra in 0i64..600) {
        let d = due_at(&cal, start, mins(m)).expect("due");
        prop_assert!(d >= start);
        prop_assert_eq!(business_time(&cal, start, d).expect("bt"), mins(m));
        prop_assert!(in_or_at_end_of_window(&cal, d, m == 0), "due {} not in a window", d);
        // Monotone in the target.
        let d2 = due_at(&cal, start, mins(m + extra)).expect("due");
        prop_assert!(d2 >= d);
        // Additivity: business time splits at any instant.
        let mid = Timestamp::from_second((start.as_second() + d2.as_second()) / 2).expect("mid");
        let total = business_time(&cal, start, mid).expect("a") + business_time(&cal, mid, d2).expect("b");
        prop_assert_eq!(total, mins(m + extra));
        // Oracle without week skipping: sum the day-by-day windows clipped to [start, d2].
        let first = cal.local_date(start).yesterday().expect("date");
        let span = (d2.as_second() - start.as_second()) / 86_400 + 4;
        if span <= 400 {
            let walked: SignedDuration = cal.service_days(first, span as u32).expect("days").iter()
                .flat_map(|day| day.windows.iter())
                .map(|w| (w.start.max(start), w.end.min(d2)))
                .filter(|(s, e)| s < e)
                .map(|(s, e)| e.duration_since(s))
                .sum();
            prop_assert_eq!(walked, mins(m + extra));
        }
        // JSON round trip of random calendars.
        prop_assert_eq!(Calendar::from_json(&cal.to_json()).expect("round trip"), cal);
    }

    #[test]
    fn pauses_never_make_due_earlier(
        cal in calendar_strategy(),
        start in start_strategy(),
        m in 1i64..4000,
        raw in prop::collection::vec((0i64..(20 * 86_400), 0i64..(3 * 86_400)), 0..4),
    ) {
        let pauses: Vec<Pause> = raw.iter().map(|&(off, len)| {
            let s = Timestamp::from_second(start.as_second() + off - 86_400).expect("ts");
            let e = Timestamp::from_second(s.as_second() + len).expect("ts");
            Pause::closed(s, e)
        }).collect();
        let plain = due_at(&cal, start, mins(m)).expect("due");
        let paused = due(&cal, start, mins(m), &pauses).expect("due").instant().expect("closed pauses");
        prop_assert!(paused >= plain);
        let counted = business_time(&cal, start, paused).expect("bt")
            - paused_business_time(&cal, start, &pauses, paused).expect("paused");
        prop_assert_eq!(counted, mins(m));
        let c = evaluate(&cal, &ClockSpec { pauses: pauses.clone(), ..ClockSpec::new(start, Target::business(m)) }, paused).expect("eval");
        prop_assert_eq!(c.timer.used, mins(m));
        prop_assert_eq!(c.deadline.due, Some(paused));
    }
}
