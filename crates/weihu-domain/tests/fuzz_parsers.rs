//! Fuzzing, proptest-driven and bounded so it runs in CI: every parser of user files and user
//! JSON (the calendar document, iCalendar and CSV holiday imports) answers `Ok` or a named error
//! for any input — never a panic — and a calendar that parses can compute due times for any start
//! and target without panicking either.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};
use weihu_domain::calendar::{Calendar, parse_csv, parse_ics};
use weihu_domain::sla::due;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1500,
        ..ProptestConfig::default()
    }
}

/// Times of day, mostly plausible, sometimes not.
fn time_of_day() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..25, 0u32..61).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
        "[0-9:]{0,6}",
        Just("24:00".to_owned()),
    ]
}

fn interval() -> impl Strategy<Value = Value> {
    prop_oneof![
        (time_of_day(), time_of_day()).prop_map(|(a, b)| json!([a, b])),
        any::<i64>().prop_map(|n| json!([n])),
        Just(json!("09:00-17:00")),
    ]
}

fn date() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1990i32..2100, 1u32..13, 1u32..32)
            .prop_map(|(y, m, d)| json!(format!("{y}-{m:02}-{d:02}"))),
        "[0-9-]{0,12}".prop_map(Value::from),
        Just(Value::Null),
    ]
}

/// Calendar documents: the documented shape with every field fuzzed.
fn calendar_doc() -> impl Strategy<Value = Value> {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    (
        "[a-zA-Z0-9 ×中国]{0,12}",
        prop_oneof![
            Just("Asia/Shanghai".to_owned()),
            Just("America/New_York".to_owned()),
            Just("Europe/Berlin".to_owned()),
            "[A-Za-z/_+0-9-]{0,20}",
        ],
        proptest::collection::vec(proptest::collection::vec(interval(), 0..4), 7),
        proptest::collection::vec((date(), "[a-z节]{0,6}"), 0..5),
        proptest::collection::vec((date(), prop::sample::select(days.to_vec())), 0..3),
        proptest::collection::vec(prop_oneof![Just("cn-2026".to_owned()), "[a-z0-9-]{0,8}"], 0..2),
    )
        .prop_map(move |(name, tz, week, holidays, workdays, sets)| {
            let mut w = serde_json::Map::new();
            for (d, iv) in days.iter().zip(week) {
                w.insert((*d).to_owned(), Value::Array(iv));
            }
            json!({
                "name": name,
                "time_zone": tz,
                "week": w,
                "holidays": holidays.into_iter().map(|(d, n)| json!({"date": d, "name": n})).collect::<Vec<_>>(),
                "workdays": workdays.into_iter().map(|(d, as_)| json!({"date": d, "as": as_})).collect::<Vec<_>>(),
                "holiday_sets": sets,
            })
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn calendar_json_never_panics_on_any_text(text in "\\PC{0,400}") {
        let _ = Calendar::from_json(&text);
    }

    #[test]
    fn calendar_json_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Calendar::from_json(&String::from_utf8_lossy(&bytes));
    }

    /// A fuzzed calendar either fails with a named error or computes due times, for any start
    /// and target, without panicking; what parses also survives its own JSON round trip.
    #[test]
    fn fuzzed_calendars_parse_or_name_the_field(doc in calendar_doc(),
                                                start in 1_500_000_000i64..2_500_000_000,
                                                minutes in -10i64..100_000) {
        match Calendar::from_json_value(&doc) {
            Ok(cal) => {
                let again = Calendar::from_json(&cal.to_json());
                prop_assert!(again.is_ok(), "round trip: {:?}", again.err());
                if let Ok(at) = Timestamp::from_second(start) {
                    let _ = due(&cal, at, SignedDuration::from_mins(minutes), &[]);
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn ics_import_never_panics(lines in proptest::collection::vec(prop_oneof![
        Just("BEGIN:VCALENDAR".to_owned()), Just("BEGIN:VEVENT".to_owned()), Just("END:VEVENT".to_owned()),
        Just("END:VCALENDAR".to_owned()),
        "DTSTART(;VALUE=DATE)?:[0-9T]{0,16}", "DTEND(;VALUE=DATE)?:[0-9T]{0,16}", "SUMMARY:\\PC{0,20}",
        "RRULE:[A-Z=;0-9]{0,20}", " \\PC{0,10}", "\\PC{0,30}",
    ], 0..30)) {
        let _ = parse_ics(&lines.join("\r\n"));
    }

    #[test]
    fn csv_import_never_panics(rows in proptest::collection::vec(prop_oneof![
        "[0-9]{4}-[0-9]{2}-[0-9]{2},(holiday|workday|休|班)?,\\PC{0,10}", "\\PC{0,40}", Just("date,kind,name".to_owned()),
        "\"[^\"]{0,10}\"?,[a-z]{0,8}",
    ], 0..30)) {
        let _ = parse_csv(&rows.join("\n"));
    }
}
