//! The calendar and SLA policy editors as forms: what people fill in (hours per weekday, a list
//! of holidays and make-up days, targets per priority, the priority matrix) turned into the
//! definition JSON the domain validates, and back. The JSON stays the import/export format; the
//! domain's errors name the field (`week.mon[1]`, `targets.P2.resolution.minutes`).

use serde_json::{Map, Value, json};
use weihu_domain::priority::Priority;
use weihu_store::StoreError;

/// Weekday keys of the calendar format, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Intervals one weekday may have in the form (a day with a lunch break has two).
const MAX_INTERVALS: usize = 24;
/// Lines the holiday and make-up lists take; the domain's own limit is larger.
const MAX_LINES: usize = 5_000;
/// The clocks of a policy, in the order the form shows them.
pub const CLOCKS: [&str; 3] = ["response", "arrival", "resolution"];
/// The levels of the matrix, in the order the form shows them.
pub const LEVELS: [&str; 3] = ["high", "medium", "low"];

/// A posted form as name/value pairs (check boxes repeat their name).
pub struct Posted<'a>(pub &'a [(String, String)]);

impl Posted<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

// ---- calendars --------------------------------------------------------------------------

/// What the calendar form shows: the definition as people write it.
pub struct CalendarView {
    pub name: String,
    pub time_zone: String,
    /// Each weekday's hours as `09:00-12:00, 13:30-17:30` (empty: closed).
    pub days: Vec<(&'static str, String)>,
    /// One holiday per line: `2026-10-01 国庆节`.
    pub holidays: String,
    /// One make-up working day per line: `2026-10-10 mon 国庆节调休`.
    pub workdays: String,
    /// Built-in holiday sets with whether this calendar uses them.
    pub sets: Vec<(&'static str, &'static str, bool)>,
}

impl CalendarView {
    /// The form of a stored definition (a new calendar starts as 5×8 with this year's holidays).
    pub fn of(def: &Value) -> CalendarView {
        let days = WEEKDAYS
            .iter()
            .map(|d| {
                let hours = def["week"][*d]
                    .as_array()
                    .map(|ivs| {
                        ivs.iter()
                            .filter_map(|iv| {
                                Some(format!("{}-{}", iv[0].as_str()?, iv[1].as_str()?))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                (*d, hours)
            })
            .collect();
        let lines = |key: &str, with_as: bool| -> String {
            def[key]
                .as_array()
                .map(|entries| {
                    entries
                        .iter()
                        .map(|e| match e {
                            Value::String(d) => d.clone(),
                            _ => {
                                let mut parts = vec![e["date"].as_str().unwrap_or("").to_owned()];
                                if with_as {
                                    parts.push(e["as"].as_str().unwrap_or("mon").to_owned());
                                }
                                if let Some(n) = e["name"].as_str() {
                                    parts.push(n.to_owned());
                                }
                                parts.join(" ")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default()
        };
        let used: Vec<&str> = def["holiday_sets"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        CalendarView {
            name: def["name"].as_str().unwrap_or("").to_owned(),
            time_zone: def["time_zone"]
                .as_str()
                .unwrap_or(weihu_domain::calendar::DEFAULT_TIME_ZONE)
                .to_owned(),
            days,
            holidays: lines("holidays", false),
            workdays: lines("workdays", true),
            sets: weihu_domain::calendar::builtin_holiday_sets()
                .iter()
                .map(|s| (s.name, s.description, used.contains(&s.name)))
                .collect(),
        }
    }

    /// The form a new calendar starts from.
    pub fn new_five_by_eight(year: i16) -> CalendarView {
        let set = format!("cn-{year}");
        let sets: Vec<&str> = weihu_domain::calendar::builtin_holiday_sets()
            .iter()
            .map(|s| s.name)
            .filter(|n| *n == set)
            .collect();
        let day = json!([["09:00", "17:00"]]);
        CalendarView::of(&json!({
            "name": "",
            "week": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
            "holiday_sets": sets,
        }))
    }
}

/// The definition a calendar form describes; the domain then checks it and names any field.
pub fn calendar_definition(f: &Posted) -> Result<Value, StoreError> {
    let mut week = Map::new();
    for d in WEEKDAYS {
        let field = format!("week.{d}");
        week.insert(
            d.to_owned(),
            Value::Array(intervals(&field, f.text(&field))?),
        );
    }
    let holidays = lines("holidays", f.text("holidays"))?
        .into_iter()
        .map(|(date, rest)| match rest {
            "" => json!(date),
            name => json!({"date": date, "name": name}),
        })
        .collect::<Vec<_>>();
    let workdays = lines("workdays", f.text("workdays"))?
        .into_iter()
        .map(|(date, rest)| {
            let (first, name) = rest.split_once(' ').unwrap_or((rest, ""));
            let (weekday, name) = if WEEKDAYS.contains(&first) {
                (first, name.trim())
            } else {
                ("mon", rest)
            };
            let mut e = json!({"date": date, "as": weekday});
            if !name.is_empty() {
                e["name"] = json!(name);
            }
            e
        })
        .collect::<Vec<_>>();
    let mut def = json!({
        "name": f.text("name").trim(),
        "week": week,
        "holidays": holidays,
        "workdays": workdays,
        "holiday_sets": f.all("holiday_sets"),
    });
    let zone = f.text("time_zone").trim();
    if !zone.is_empty() {
        def["time_zone"] = json!(zone);
    }
    Ok(def)
}

/// `09:00-12:00, 13:30-17:30` as the format's `[["09:00","12:00"],["13:30","17:30"]]`; the
/// domain checks the times and their order.
fn intervals(field: &str, text: &str) -> Result<Vec<Value>, StoreError> {
    let pieces: Vec<&str> = text
        .split([',', '，', ';', '；', ' ', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if pieces.len() > MAX_INTERVALS {
        return Err(StoreError::invalid(
            field,
            format!("at most {MAX_INTERVALS} intervals a day"),
        ));
    }
    pieces
        .into_iter()
        .map(|p| {
            let (a, b) = p
                .split_once(['-', '–', '~', '～'])
                .filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty())
                .ok_or_else(|| {
                    StoreError::invalid(field, "write the hours as 09:00-12:00, 13:30-17:30")
                })?;
            Ok(json!([a.trim(), b.trim()]))
        })
        .collect()
}

/// Non-empty lines as (first word, the rest), bounded.
fn lines<'a>(field: &str, text: &'a str) -> Result<Vec<(&'a str, &'a str)>, StoreError> {
    let out: Vec<(&str, &str)> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (first, rest) = l.split_once([' ', '\t', ',']).unwrap_or((l, ""));
            (first, rest.trim())
        })
        .collect();
    if out.len() > MAX_LINES {
        return Err(StoreError::invalid(
            field,
            format!("at most {MAX_LINES} lines"),
        ));
    }
    Ok(out)
}

// ---- SLA policies -----------------------------------------------------------------------

/// One priority's row of the policy form.
pub struct TargetsView {
    pub priority: &'static str,
    pub calendar: String,
    /// Minutes and kind (`business` or `wall_clock`) of response, arrival, resolution.
    pub clocks: Vec<(&'static str, i64, String)>,
    pub at_risk_percent: u64,
    /// Calendars to pick from, the current one among them.
    pub options: Vec<String>,
}

/// What the policy form shows.
pub struct PolicyView {
    pub name: String,
    pub rows: Vec<TargetsView>,
    /// Urgency × impact → priority.
    pub matrix: Vec<(&'static str, Vec<(&'static str, String)>)>,
}

impl PolicyView {
    pub fn of(def: &Value) -> PolicyView {
        let rows = Priority::ALL
            .into_iter()
            .map(|p| {
                let t = &def["targets"][p.as_str()];
                TargetsView {
                    priority: p.as_str(),
                    calendar: t["calendar"].as_str().unwrap_or("5x8").to_owned(),
                    clocks: CLOCKS
                        .iter()
                        .map(|c| {
                            (
                                *c,
                                t[*c]["minutes"].as_i64().unwrap_or(0),
                                t[*c]["kind"].as_str().unwrap_or("business").to_owned(),
                            )
                        })
                        .collect(),
                    at_risk_percent: t["at_risk_percent"].as_u64().unwrap_or(80),
                    options: Vec::new(),
                }
            })
            .collect();
        let defaults = serde_json::to_value(weihu_domain::priority::PriorityMatrix::default())
            .unwrap_or(Value::Null);
        let matrix = LEVELS
            .iter()
            .map(|u| {
                (
                    *u,
                    LEVELS
                        .iter()
                        .map(|i| {
                            let cell = def["matrix"][*u][*i]
                                .as_str()
                                .or_else(|| defaults[*u][*i].as_str())
                                .unwrap_or("P3");
                            (*i, cell.to_owned())
                        })
                        .collect(),
                )
            })
            .collect();
        PolicyView {
            name: def["name"].as_str().unwrap_or("").to_owned(),
            rows,
            matrix,
        }
    }
}

impl PolicyView {
    /// Offers `names` in every row's calendar choice, plus the row's own if it is not one of them
    /// (a calendar named by id, or one since renamed).
    pub fn offering(mut self, names: &[String]) -> PolicyView {
        for r in &mut self.rows {
            r.options = names.to_vec();
            if !r.options.contains(&r.calendar) {
                r.options.push(r.calendar.clone());
            }
        }
        self
    }
}

/// The definition a policy form describes, on top of `base` (the stored one, or the defaults
/// for a new policy). Minutes may be written as `240`, `4h` or `1h30m`.
pub fn policy_definition(f: &Posted, base: &Value) -> Result<Value, StoreError> {
    let mut def = base.clone();
    def["name"] = json!(f.text("name").trim());
    for p in Priority::ALL {
        let p = p.as_str();
        let t = &mut def["targets"][p];
        let calendar = f.text(&format!("{p}.calendar")).trim();
        if !calendar.is_empty() {
            t["calendar"] = json!(calendar);
        }
        for c in CLOCKS {
            let field = format!("targets.{p}.{c}");
            let minutes = duration_minutes(f.text(&field)).ok_or_else(|| {
                StoreError::invalid(&field, "write minutes (240) or hours (4h, 1h30m)")
            })?;
            let kind = match f.text(&format!("{field}.kind")) {
                "wall_clock" => "wall_clock",
                _ => "business",
            };
            t[c] = json!({"kind": kind, "minutes": minutes});
        }
        let risk_field = format!("targets.{p}.at_risk_percent");
        if let Some(v) = f.get(&risk_field).filter(|v| !v.trim().is_empty()) {
            let pct: u32 = v
                .trim()
                .parse()
                .map_err(|_| StoreError::invalid(&risk_field, "must be between 1 and 100"))?;
            t["at_risk_percent"] = json!(pct);
        }
    }
    for u in LEVELS {
        for i in LEVELS {
            let field = format!("matrix.{u}.{i}");
            if let Some(v) = f.get(&field) {
                let p = Priority::parse(v)
                    .ok_or_else(|| StoreError::invalid(&field, "must be one of: P1, P2, P3, P4"))?;
                def["matrix"][u][i] = json!(p.as_str());
            }
        }
    }
    Ok(def)
}

/// `240`, `4h`, `4 h`, `1h30m`, `90m`, `2d` (days of 24 hours) as minutes; `None` for anything
/// else or an absurd size (the domain caps targets at ten years).
pub fn duration_minutes(text: &str) -> Option<i64> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if t.is_empty() || t.len() > 24 {
        return None;
    }
    if let Ok(m) = t.parse::<i64>() {
        return Some(m);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: i64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'd' => 24 * 60,
            'h' => 60,
            'm' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !number.is_empty() {
        return None;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_calendar_form_round_trips_through_the_domain() {
        let posted = pairs(&[
            ("name", "5×8 上海（午休）"),
            ("time_zone", "Asia/Shanghai"),
            ("week.mon", "09:00-12:00， 13:30-17:30"),
            ("week.tue", "09:00–17:00"),
            ("week.sat", ""),
            ("holidays", "2026-10-01 国庆节\n\n2026-10-02"),
            ("workdays", "2026-10-10 fri 国庆节调休\n2026-09-28"),
            ("holiday_sets", "cn-2026"),
        ]);
        let def = calendar_definition(&Posted(&posted)).expect("a definition");
        let cal = weihu_domain::calendar::Calendar::from_json(&def.to_string())
            .expect("the domain takes it");
        assert_eq!(cal.name(), "5×8 上海（午休）");
        let view = CalendarView::of(&def);
        assert_eq!(view.days[0], ("mon", "09:00-12:00, 13:30-17:30".to_owned()));
        assert_eq!(view.days[5], ("sat", String::new()));
        assert_eq!(view.holidays, "2026-10-01 国庆节\n2026-10-02");
        assert_eq!(view.workdays, "2026-10-10 fri 国庆节调休\n2026-09-28 mon");
        assert!(view.sets.iter().any(|(n, _, on)| *n == "cn-2026" && *on));
    }

    #[test]
    fn bad_hours_name_the_weekday() {
        let posted = pairs(&[("name", "x"), ("week.wed", "nine to five")]);
        match calendar_definition(&Posted(&posted)) {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "week.wed"),
            other => panic!("expected a refusal naming week.wed, got {other:?}"),
        }
        let hostile = "09:00-10:00,".repeat(1000);
        let posted = pairs(&[("name", "x"), ("week.mon", hostile.as_str())]);
        assert!(calendar_definition(&Posted(&posted)).is_err(), "bounded");
        let lines = "2026-01-01\n".repeat(MAX_LINES + 1);
        let posted = pairs(&[("name", "x"), ("holidays", lines.as_str())]);
        assert!(calendar_definition(&Posted(&posted)).is_err(), "bounded");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration_minutes("240"), Some(240));
        assert_eq!(duration_minutes("4h"), Some(240));
        assert_eq!(duration_minutes(" 1h 30m "), Some(90));
        assert_eq!(duration_minutes("2d"), Some(2880));
        assert_eq!(duration_minutes("4 H"), Some(240));
        for bad in ["", "h", "4x", "4h5", "99999999999999999999d", "-"] {
            assert_eq!(duration_minutes(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_policy_form_makes_a_valid_policy() {
        let base =
            serde_json::to_value(weihu_domain::sla::SlaPolicy::default_targets()).expect("json");
        let mut list = vec![("name", "金牌 SLA".to_owned())];
        for p in ["P1", "P2", "P3", "P4"] {
            list.push((
                Box::leak(format!("{p}.calendar").into_boxed_str()),
                "7x24".into(),
            ));
            for c in CLOCKS {
                list.push((
                    Box::leak(format!("targets.{p}.{c}").into_boxed_str()),
                    "2h".into(),
                ));
            }
        }
        list.push(("targets.P4.resolution.kind", "wall_clock".into()));
        list.push(("matrix.low.low", "P3".into()));
        let posted: Vec<(String, String)> =
            list.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let def = policy_definition(&Posted(&posted), &base).expect("a definition");
        let policy = weihu_domain::sla::SlaPolicy::from_json(&def.to_string()).expect("valid");
        assert_eq!(policy.name, "金牌 SLA");
        assert_eq!(
            policy.targets.p4.resolution,
            weihu_domain::sla::Target::wall_clock(120)
        );
        assert_eq!(policy.targets.p1.calendar, "7x24");
        assert_eq!(policy.matrix.low.low, Priority::P3);
        let view = PolicyView::of(&def);
        assert_eq!(
            view.rows[3].clocks[2],
            ("resolution", 120, "wall_clock".into())
        );
        assert_eq!(view.matrix[2].1[2], ("low", "P3".to_owned()));

        let bad = vec![("targets.P1.response".to_owned(), "soon".to_owned())];
        match policy_definition(&Posted(&bad), &base) {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "targets.P1.response"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
