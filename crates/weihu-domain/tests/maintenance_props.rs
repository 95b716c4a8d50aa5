//! Maintenance dates (SPEC §8) against an oracle that walks the calendar one day at a time and
//! asks of each day only what the rule says of a single date: is it in a taken period, in a named
//! month, the N-th weekday or working day of its month counted from either end, at the asked
//! position of its period's dates. Random rules of the subset, over random ranges across year
//! ends, on the 2026 Chinese calendar (holidays and make-up days, 调休) with random extra holidays
//! and make-up Saturdays.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use proptest::prelude::*;
use weihu_domain::calendar::{Calendar, parse_weekday};
use weihu_domain::maintenance::{MAX_SHIFT_DAYS, Rule, Shift, dates};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 400,
        ..ProptestConfig::default()
    }
}

const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn day(n: i64) -> Date {
    Date::constant(2025, 10, 1)
        .checked_add(n.days())
        .expect("in range")
}

/// Working day, by the calendar's day kinds and weekly hours alone.
fn working(cal: &Calendar, d: Date) -> bool {
    use weihu_domain::calendar::DayKind;
    match cal.day_kind(d) {
        DayKind::Regular => !cal.week().get(d.weekday()).is_empty(),
        DayKind::MakeUpWorkday { as_weekday, .. } => {
            parse_weekday(&as_weekday).is_some_and(|w| !cal.week().get(w).is_empty())
        }
        _ => false,
    }
}

fn months_between(a: Date, b: Date) -> i32 {
    (i32::from(b.year()) - i32::from(a.year())) * 12 + i32::from(b.month()) - i32::from(a.month())
}

fn monday(d: Date) -> Date {
    d.checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
        .expect("in range")
}

/// Is `d` one of the rule's dates of its period, before BYSETPOS, by looking at `d` alone.
fn matches(rule: &Rule, cal: &Calendar, start: Date, d: Date) -> bool {
    use weihu_domain::maintenance::Freq;
    let interval = i64::from(rule.interval);
    let taken = match rule.freq {
        Freq::Weekly => (monday(d) - monday(start)).get_days() as i64 / 7 % interval == 0,
        Freq::Monthly => i64::from(months_between(start, d)) % interval == 0,
        Freq::Yearly => (i64::from(d.year()) - i64::from(start.year())) % interval == 0,
    };
    if !taken || (!rule.by_month.is_empty() && !rule.by_month.contains(&d.month())) {
        return false;
    }
    let last = d.days_in_month();
    if let Some(n) = rule.workday {
        if !working(cal, d) {
            return false;
        }
        let first = d.first_of_month();
        let before = (0..i64::from(d.day()) - 1)
            .filter(|i| working(cal, first.checked_add(i.days()).expect("day")))
            .count() as i32;
        let after = (i64::from(d.day())..i64::from(last))
            .filter(|i| working(cal, first.checked_add(i.days()).expect("day")))
            .count() as i32;
        let n = i32::from(n);
        return if n > 0 {
            before + 1 == n
        } else {
            after + 1 == -n
        };
    }
    let weekday_ok = |d: Date| {
        rule.by_day.iter().any(|(ord, w)| {
            *w == d.weekday()
                && match ord {
                    None => true,
                    Some(n) if *n > 0 => (i32::from(d.day()) - 1) / 7 + 1 == i32::from(*n),
                    Some(n) => (i32::from(last) - i32::from(d.day())) / 7 + 1 == -i32::from(*n),
                }
        })
    };
    if !rule.by_month_day.is_empty() {
        let on = rule.by_month_day.iter().any(|&k| {
            if k > 0 {
                d.day() == k
            } else {
                i32::from(d.day()) == i32::from(last) + 1 + i32::from(k)
            }
        });
        return on && (rule.by_day.is_empty() || weekday_ok(d));
    }
    if !rule.by_day.is_empty() {
        return weekday_ok(d);
    }
    match rule.freq {
        Freq::Weekly => d.weekday() == start.weekday(),
        Freq::Monthly => d.day() == start.day(),
        // The start's day, in the named months or else in the start's month.
        Freq::Yearly => {
            d.day() == start.day() && (!rule.by_month.is_empty() || d.month() == start.month())
        }
    }
}

/// The period a date belongs to, as a key.
fn period(rule: &Rule, d: Date) -> (i16, i8, Date) {
    use weihu_domain::maintenance::Freq;
    match rule.freq {
        Freq::Weekly => (0, 0, monday(d)),
        Freq::Monthly => (d.year(), d.month(), Date::constant(2000, 1, 1)),
        Freq::Yearly => (d.year(), 0, Date::constant(2000, 1, 1)),
    }
}

fn oracle(rule: &Rule, cal: &Calendar, from: Date, to: Date, shift: Shift) -> Vec<Date> {
    // Walk from before the start (a period may begin earlier) to past the end (a shift back).
    let walk_from = from.checked_sub(400.days()).expect("day");
    let walk_to = to
        .checked_add(i64::from(MAX_SHIFT_DAYS + 400).days())
        .expect("day");
    let mut raw: Vec<Date> = Vec::new();
    let mut d = walk_from;
    while d <= walk_to {
        if matches(rule, cal, from, d) {
            raw.push(d);
        }
        d = d.tomorrow().expect("day");
    }
    // BYSETPOS: position among the matching dates of the same period.
    let picked: Vec<Date> = if rule.by_set_pos.is_empty() {
        raw.clone()
    } else {
        raw.iter()
            .copied()
            .filter(|d| {
                let same: Vec<Date> = raw
                    .iter()
                    .copied()
                    .filter(|x| period(rule, *x) == period(rule, *d))
                    .collect();
                let i = same.iter().position(|x| x == d).expect("own") as i32;
                let n = same.len() as i32;
                rule.by_set_pos
                    .iter()
                    .any(|&p| i32::from(p) == i + 1 || i32::from(p) == i - n)
            })
            .collect()
    };
    let mut out: Vec<Date> = picked
        .into_iter()
        .filter(|d| *d >= from)
        .filter_map(|d| {
            if shift == Shift::None || working(cal, d) {
                return Some(d);
            }
            let step: i64 = if shift == Shift::Next { 1 } else { -1 };
            (1..=i64::from(MAX_SHIFT_DAYS))
                .map(|i| d.checked_add((i * step).days()).expect("day"))
                .find(|x| working(cal, *x))
        })
        .filter(|d| from <= *d && *d <= to)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn rule_text() -> impl Strategy<Value = String> {
    let weekly = (
        1u32..4,
        prop::collection::btree_set(0usize..7, 0..3),
        any::<bool>(),
    )
        .prop_map(|(i, days, months)| {
            let mut s = format!("FREQ=WEEKLY;INTERVAL={i}");
            if !days.is_empty() {
                let d: Vec<&str> = days.iter().map(|d| WEEKDAYS[*d]).collect();
                s.push_str(&format!(";BYDAY={}", d.join(",")));
            }
            if months {
                s.push_str(";BYMONTH=1,2,10,12");
            }
            s
        });
    let day_part = prop_oneof![
        Just(String::new()),
        (-5i8..=5)
            .prop_filter("nonzero", |n| *n != 0)
            .prop_map(|n| format!(";X-WORKDAY={n}")),
        prop::collection::btree_set((-31i8..=31).prop_filter("nonzero", |n| *n != 0), 1..3)
            .prop_map(|v| format!(
                ";BYMONTHDAY={}",
                v.iter().map(i8::to_string).collect::<Vec<_>>().join(",")
            )),
        ((-5i8..=5), 0usize..7).prop_map(|(n, d)| if n == 0 {
            format!(";BYDAY={}", WEEKDAYS[d])
        } else {
            format!(";BYDAY={n}{}", WEEKDAYS[d])
        }),
        (
            prop::collection::btree_set(0usize..5, 1..5),
            prop_oneof![Just(1i16), Just(-1), Just(2), Just(-2)]
        )
            .prop_map(|(days, p)| format!(
                ";BYDAY={};BYSETPOS={p}",
                days.iter()
                    .map(|d| WEEKDAYS[*d])
                    .collect::<Vec<_>>()
                    .join(",")
            )),
    ];
    let monthly = (1u32..4, day_part.clone(), any::<bool>()).prop_map(|(i, part, months)| {
        format!(
            "FREQ=MONTHLY;INTERVAL={i}{part}{}",
            if months { ";BYMONTH=1,5,10,12" } else { "" }
        )
    });
    let yearly = (1u32..3, day_part, any::<bool>()).prop_map(|(i, part, months)| {
        // Weekdays in a yearly rule need their months.
        let months = months || part.contains("BYDAY");
        format!(
            "FREQ=YEARLY;INTERVAL={i}{part}{}",
            if months { ";BYMONTH=2,10,12" } else { "" }
        )
    });
    prop_oneof![weekly, monthly, yearly]
}

fn calendar() -> impl Strategy<Value = Calendar> {
    (
        prop::collection::vec(0i64..500, 0..6),
        prop::collection::vec(0i64..70, 0..3),
    )
        .prop_map(|(holidays, saturdays)| {
            let mut c = Calendar::five_by_8("Asia/Shanghai")
                .and_then(|c| c.with_holiday_set("cn-2026"))
                .expect("preset");
            for h in holidays {
                c = c
                    .with_holiday(day(h), Some("检修".into()))
                    .expect("holiday");
            }
            for w in saturdays {
                // A Saturday worked as a Monday.
                let sat = monday(day(w * 7)).checked_add(5.days()).expect("day");
                c = c.with_workday(sat, Weekday::Monday, None).expect("workday");
            }
            c
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dates_match_a_day_by_day_walk(
        text in rule_text(),
        cal in calendar(),
        start in 0i64..500,
        len in 0i64..400,
        shift in prop_oneof![Just(Shift::Next), Just(Shift::Previous), Just(Shift::None)],
    ) {
        let rule = Rule::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let (from, to) = (day(start), day(start + len));
        let got = dates(&rule, &cal, from, to, shift).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let want = oracle(&rule, &cal, from, to, shift);
        prop_assert_eq!(&got, &want, "{} {}..{} {:?}", text, from, to, shift);
        if shift != Shift::None {
            prop_assert!(got.iter().all(|d| cal.is_working_day(*d)), "every date is a working day");
        }
    }
}
