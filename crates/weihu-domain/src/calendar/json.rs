//! The calendar JSON format (see the module docs of [`crate::calendar`]): a hand-written
//! reader over `serde_json::Value` so that every error names its field.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};
use serde_json::{Map, Value, json};

use super::{
    Calendar, CalendarError, DEFAULT_TIME_ZONE, LocalInterval, MakeUpDay, TimeOfDay, WEEKDAY_KEYS,
    WeeklySchedule, check_date, holiday_set, parse_weekday, weekday_key,
};

const TOP_KEYS: [&str; 6] = [
    "name",
    "time_zone",
    "week",
    "holidays",
    "workdays",
    "holiday_sets",
];
/// Most holidays or make-up days accepted in one calendar.
const MAX_ENTRIES: usize = 20_000;

fn parse_date(field: &str, v: &Value) -> Result<Date, CalendarError> {
    let s = v
        .as_str()
        .ok_or_else(|| CalendarError::new(field, "expected a date string YYYY-MM-DD"))?;
    let ok_shape = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let d: Date = s.parse().ok().filter(|_| ok_shape).ok_or_else(|| {
        CalendarError::new(field, format!("invalid date {s:?}, expected YYYY-MM-DD"))
    })?;
    check_date(field, d)?;
    Ok(d)
}

fn opt_name(field: &str, obj: &Map<String, Value>) -> Result<Option<String>, CalendarError> {
    match obj.get("name") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 200 => Ok(Some(s.clone())),
        Some(_) => Err(CalendarError::new(
            format!("{field}.name"),
            "expected a string of at most 200 characters",
        )),
    }
}

fn array<'a>(field: &str, v: &'a Value) -> Result<&'a Vec<Value>, CalendarError> {
    let a = v
        .as_array()
        .ok_or_else(|| CalendarError::new(field, "expected an array"))?;
    if a.len() > MAX_ENTRIES {
        return Err(CalendarError::new(
            field,
            format!("at most {MAX_ENTRIES} entries"),
        ));
    }
    Ok(a)
}

fn parse_week(v: &Value) -> Result<WeeklySchedule, CalendarError> {
    let obj = v
        .as_object()
        .ok_or_else(|| CalendarError::new("week", "expected an object with keys mon…sun"))?;
    let mut week = WeeklySchedule::empty();
    for (key, day_v) in obj {
        let field = format!("week.{key}");
        let day = WEEKDAY_KEYS
            .iter()
            .position(|k| k == key)
            .and_then(|i| Weekday::from_monday_zero_offset(i as i8).ok())
            .ok_or_else(|| {
                CalendarError::new(
                    &field,
                    "unknown weekday key, expected one of mon, tue, wed, thu, fri, sat, sun",
                )
            })?;
        let mut intervals = Vec::new();
        for (i, iv) in array(&field, day_v)?.iter().enumerate() {
            let f = format!("{field}[{i}]");
            let pair = iv
                .as_array()
                .filter(|a| a.len() == 2)
                .ok_or_else(|| CalendarError::new(&f, "expected a pair [\"HH:MM\", \"HH:MM\"]"))?;
            let time = |j: usize| -> Result<TimeOfDay, CalendarError> {
                let s = pair[j]
                    .as_str()
                    .ok_or_else(|| CalendarError::new(&f, "times must be strings \"HH:MM\""))?;
                TimeOfDay::parse(s).ok_or_else(|| {
                    CalendarError::new(
                        &f,
                        format!("invalid time {s:?}, expected HH:MM between 00:00 and 24:00"),
                    )
                })
            };
            let (start, end) = (time(0)?, time(1)?);
            let interval = LocalInterval::new(start, end).ok_or_else(|| {
                CalendarError::new(
                    &f,
                    format!("empty interval: start {start} must be before end {end}"),
                )
            })?;
            intervals.push(interval);
        }
        week.set(day, intervals)
            .map_err(|(i, msg)| CalendarError::new(format!("{field}[{i}]"), msg))?;
    }
    Ok(week)
}

impl Calendar {
    /// Parses a calendar from its JSON text; errors name the field.
    pub fn from_json(text: &str) -> Result<Calendar, CalendarError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| CalendarError::new("$", format!("invalid JSON: {e}")))?;
        Calendar::from_json_value(&v)
    }

    /// Parses a calendar from a JSON value; errors name the field.
    pub fn from_json_value(v: &Value) -> Result<Calendar, CalendarError> {
        let obj = v
            .as_object()
            .ok_or_else(|| CalendarError::new("$", "expected a JSON object"))?;
        if let Some(k) = obj.keys().find(|k| !TOP_KEYS.contains(&k.as_str())) {
            return Err(CalendarError::new(k.as_str(), "unknown field"));
        }
        let name = obj
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| CalendarError::new("name", "required string"))?;
        let tz = match obj.get("time_zone") {
            None | Some(Value::Null) => DEFAULT_TIME_ZONE,
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Err(CalendarError::new(
                    "time_zone",
                    "expected an IANA time zone name",
                ));
            }
        };
        let week = match obj.get("week") {
            None | Some(Value::Null) => WeeklySchedule::empty(),
            Some(w) => parse_week(w)?,
        };
        let mut cal = Calendar::new(name, tz, week)?;
        let mut holidays = BTreeMap::new();
        if let Some(h) = obj.get("holidays").filter(|v| !v.is_null()) {
            for (i, item) in array("holidays", h)?.iter().enumerate() {
                let field = format!("holidays[{i}]");
                let (date, name) = match item {
                    Value::Object(o) => {
                        if let Some(k) = o.keys().find(|k| *k != "date" && *k != "name") {
                            return Err(CalendarError::new(
                                format!("{field}.{k}"),
                                "unknown field",
                            ));
                        }
                        let d = o.get("date").ok_or_else(|| {
                            CalendarError::new(format!("{field}.date"), "required")
                        })?;
                        (
                            parse_date(&format!("{field}.date"), d)?,
                            opt_name(&field, o)?,
                        )
                    }
                    other => (parse_date(&field, other)?, None),
                };
                holidays.insert(date, name);
            }
        }
        let mut workdays = BTreeMap::new();
        if let Some(w) = obj.get("workdays").filter(|v| !v.is_null()) {
            for (i, item) in array("workdays", w)?.iter().enumerate() {
                let field = format!("workdays[{i}]");
                let o = item.as_object().ok_or_else(|| {
                    CalendarError::new(
                        &field,
                        "expected {\"date\": \"YYYY-MM-DD\", \"as\": \"mon\"}",
                    )
                })?;
                if let Some(k) = o
                    .keys()
                    .find(|k| !["date", "as", "name"].contains(&k.as_str()))
                {
                    return Err(CalendarError::new(format!("{field}.{k}"), "unknown field"));
                }
                let d = o
                    .get("date")
                    .ok_or_else(|| CalendarError::new(format!("{field}.date"), "required"))?;
                let date = parse_date(&format!("{field}.date"), d)?;
                let as_weekday = match o.get("as") {
                    None | Some(Value::Null) => Weekday::Monday,
                    Some(Value::String(s)) if WEEKDAY_KEYS.contains(&s.as_str()) => {
                        parse_weekday(s).unwrap_or(Weekday::Monday)
                    }
                    Some(_) => {
                        return Err(CalendarError::new(
                            format!("{field}.as"),
                            "expected one of mon, tue, wed, thu, fri, sat, sun",
                        ));
                    }
                };
                workdays.insert(
                    date,
                    MakeUpDay {
                        as_weekday,
                        name: opt_name(&field, o)?,
                    },
                );
            }
        }
        let mut sets = Vec::new();
        if let Some(s) = obj.get("holiday_sets").filter(|v| !v.is_null()) {
            for (i, item) in array("holiday_sets", s)?.iter().enumerate() {
                let field = format!("holiday_sets[{i}]");
                let name = item
                    .as_str()
                    .ok_or_else(|| CalendarError::new(&field, "expected a set name"))?;
                if holiday_set(name).is_none() {
                    return Err(CalendarError::new(
                        &field,
                        format!("unknown holiday set {name:?}"),
                    ));
                }
                if !sets.iter().any(|s: &String| s == name) {
                    sets.push(name.to_string());
                }
            }
        }
        cal.holidays = holidays;
        cal.workdays = workdays;
        cal.holiday_sets = sets;
        cal.recompile();
        Ok(cal)
    }

    /// The calendar as a JSON value (explicit dates plus set names; round-trips).
    pub fn to_json_value(&self) -> Value {
        let mut week = Map::new();
        for (i, key) in WEEKDAY_KEYS.iter().enumerate() {
            let day = Weekday::from_monday_zero_offset(i as i8).unwrap_or(Weekday::Monday);
            let ivs: Vec<Value> = self
                .week
                .get(day)
                .iter()
                .map(|iv| json!([iv.start().to_string(), iv.end().to_string()]))
                .collect();
            week.insert((*key).to_string(), Value::Array(ivs));
        }
        let holidays: Vec<Value> = self
            .holidays
            .iter()
            .map(|(d, name)| match name {
                Some(n) => json!({"date": d.to_string(), "name": n}),
                None => json!(d.to_string()),
            })
            .collect();
        let workdays: Vec<Value> = self
            .workdays
            .iter()
            .map(|(d, m)| {
                let mut o = json!({"date": d.to_string(), "as": weekday_key(m.as_weekday)});
                if let (Some(n), Some(map)) = (&m.name, o.as_object_mut()) {
                    map.insert("name".into(), json!(n));
                }
                o
            })
            .collect();
        json!({
            "name": self.name,
            "time_zone": self.time_zone_name,
            "week": week,
            "holidays": holidays,
            "workdays": workdays,
            "holiday_sets": self.holiday_sets,
        })
    }

    /// The calendar as JSON text.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }
}

impl serde::Serialize for Calendar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json_value().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Calendar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Calendar, D::Error> {
        let v = Value::deserialize(d)?;
        Calendar::from_json_value(&v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHINA: &str = r#"{"name": "5x8 China", "time_zone": "Asia/Shanghai",
        "week": {"mon": [["09:00","12:00"],["13:30","17:30"]], "tue": [["09:00","17:00"]],
                 "wed": [["09:00","17:00"]], "thu": [["09:00","17:00"]], "fri": [["09:00","24:00"]],
                 "sat": [], "sun": []},
        "holidays": ["2026-10-01", {"date": "2026-12-24", "name": "公司年会"}],
        "workdays": [{"date": "2026-10-11"}, {"date": "2026-12-26", "as": "fri", "name": "补班"}],
        "holiday_sets": ["cn-2026"]}"#;

    #[test]
    fn round_trip() {
        let cal = Calendar::from_json(CHINA).expect("valid");
        let again = Calendar::from_json(&cal.to_json()).expect("export parses");
        assert_eq!(cal, again);
        assert_eq!(cal.to_json_value(), again.to_json_value());
        assert_eq!(cal.holiday_sets(), ["cn-2026"]);
        assert_eq!(
            cal.workdays()[&jiff::civil::date(2026, 10, 11)].as_weekday,
            Weekday::Monday
        );
        let via_serde: Calendar =
            serde_json::from_str(&serde_json::to_string(&cal).expect("ser")).expect("de");
        assert_eq!(via_serde, cal);
    }

    #[test]
    fn defaults() {
        let cal = Calendar::from_json(r#"{"name": "x", "week": {"mon": [["09:00","10:00"]]}}"#)
            .expect("valid");
        assert_eq!(cal.time_zone_name(), "Asia/Shanghai");
        assert!(cal.week().get(Weekday::Tuesday).is_empty());
    }

    fn field_of(text: &str) -> String {
        match Calendar::from_json(text) {
            Ok(_) => panic!("expected an error for {text}"),
            Err(e) => e.field,
        }
    }

    #[test]
    fn errors_name_their_field() {
        let cases = [
            (
                r#"{"name":"x","week":{"mon":[["09:00","12:00"],["11:00","13:00"]]}}"#,
                "week.mon[1]",
            ),
            (
                r#"{"name":"x","week":{"mon":[["13:00","14:00"],["09:00","10:00"]]}}"#,
                "week.mon[1]",
            ),
            (
                r#"{"name":"x","week":{"tue":[["09:00","09:00"]]}}"#,
                "week.tue[0]",
            ),
            (
                r#"{"name":"x","week":{"tue":[["09:00","25:00"]]}}"#,
                "week.tue[0]",
            ),
            (
                r#"{"name":"x","week":{"tue":[["24:00","24:00"]]}}"#,
                "week.tue[0]",
            ),
            (
                r#"{"name":"x","week":{"tue":[["9:00","10:00"]]}}"#,
                "week.tue[0]",
            ),
            (r#"{"name":"x","week":{"tue":[["09:00"]]}}"#, "week.tue[0]"),
            (r#"{"name":"x","week":{"tue":"09:00"}}"#, "week.tue"),
            (r#"{"name":"x","week":{"monday":[]}}"#, "week.monday"),
            (r#"{"name":"x","week":[]}"#, "week"),
            (r#"{"name":"x","time_zone":"Mars/Olympus"}"#, "time_zone"),
            (r#"{"name":"x","time_zone":8}"#, "time_zone"),
            (r#"{"name":"x","holidays":["2026-02-30"]}"#, "holidays[0]"),
            (
                r#"{"name":"x","holidays":["2026-10-01","tomorrow"]}"#,
                "holidays[1]",
            ),
            (
                r#"{"name":"x","holidays":[{"date":"1800-01-01"}]}"#,
                "holidays[0].date",
            ),
            (
                r#"{"name":"x","workdays":[{"date":"2026-10-10","as":"funday"}]}"#,
                "workdays[0].as",
            ),
            (
                r#"{"name":"x","workdays":[{"as":"mon"}]}"#,
                "workdays[0].date",
            ),
            (r#"{"name":"x","workdays":["2026-10-10"]}"#, "workdays[0]"),
            (
                r#"{"name":"x","holiday_sets":["cn-2026","xx-1999"]}"#,
                "holiday_sets[1]",
            ),
            (r#"{"name":"x","colour":"red"}"#, "colour"),
            (r#"{"week":{}}"#, "name"),
            (r#"{"name":"   "}"#, "name"),
            (r#"[1,2]"#, "$"),
            (r#"{"name":"#, "$"),
        ];
        for (text, field) in cases {
            assert_eq!(field_of(text), field, "for {text}");
        }
    }

    #[test]
    fn error_display_includes_field() {
        let e = Calendar::from_json(
            r#"{"name":"x","week":{"mon":[["09:00","12:00"],["11:00","13:00"]]}}"#,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.starts_with("week.mon[1]: "), "{e}");
    }
}
