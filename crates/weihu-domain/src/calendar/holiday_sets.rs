//! Built-in holiday sets: statutory holidays and make-up working days shipped as data files
//! (`crates/weihu-domain/holidays/*.json`, embedded at build time; see the README there).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use super::zone::{date_of_day, day_number};
use super::{ImportedDay, ImportedKind, parse_weekday};

mod files {
    include!(concat!(env!("OUT_DIR"), "/holiday_files.rs"));
}

/// A named, built-in set of holidays and make-up working days (e.g. `cn-2026`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidaySet {
    /// Stable name used in calendar JSON (`holiday_sets`).
    pub name: &'static str,
    /// Human-readable description with the source.
    pub description: &'static str,
    years: Vec<i16>,
    holidays: Vec<(Date, Date, &'static str)>,
    workdays: Vec<(Date, Weekday, &'static str)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetFile {
    name: String,
    description: String,
    years: Vec<i16>,
    holidays: Vec<RangeFile>,
    #[serde(default)]
    workdays: Vec<WorkdayFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeFile {
    first: Date,
    last: Date,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkdayFile {
    date: Date,
    name: String,
    #[serde(default, rename = "as")]
    as_weekday: Option<String>,
}

/// The embedded sets are parsed once and live for the whole process.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Parses one holiday set file; the error names the problem.
fn parse_set(file: &str, text: &str) -> Result<HolidaySet, String> {
    let f: SetFile = serde_json::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    if f.years.is_empty() {
        return Err(format!("{file}: years must name at least one year"));
    }
    if format!("{}.json", f.name) != file {
        return Err(format!(
            "{file}: name {:?} must match the file name",
            f.name
        ));
    }
    let mut holidays = Vec::new();
    for h in f.holidays {
        if h.last < h.first {
            return Err(format!("{file}: {} ends before it starts", h.name));
        }
        holidays.push((h.first, h.last, leak(h.name)));
    }
    let mut workdays = Vec::new();
    for w in f.workdays {
        let as_weekday = match w.as_weekday.as_deref() {
            None => Weekday::Monday,
            Some(k) => parse_weekday(k).ok_or_else(|| format!("{file}: bad weekday {k:?}"))?,
        };
        workdays.push((w.date, as_weekday, leak(w.name)));
    }
    Ok(HolidaySet {
        name: leak(f.name),
        description: leak(f.description),
        years: f.years,
        holidays,
        workdays,
    })
}

fn parsed() -> &'static (Vec<HolidaySet>, Vec<String>) {
    static SETS: OnceLock<(Vec<HolidaySet>, Vec<String>)> = OnceLock::new();
    SETS.get_or_init(|| {
        let mut sets = Vec::new();
        let mut errors = Vec::new();
        for (file, text) in files::FILES {
            match parse_set(file, text) {
                Ok(s) => sets.push(s),
                Err(e) => errors.push(e),
            }
        }
        sets.sort_by(|a, b| a.name.cmp(b.name));
        (sets, errors)
    })
}

impl HolidaySet {
    /// The calendar years whose statutory holidays this set fully covers.
    pub fn years(&self) -> &[i16] {
        &self.years
    }

    /// Every holiday date of the set with its name, in date order.
    pub fn holidays(&self) -> Vec<(Date, &'static str)> {
        let mut out = Vec::new();
        for &(first, last, name) in &self.holidays {
            for day in day_number(first)..=day_number(last) {
                if let Some(d) = date_of_day(day) {
                    out.push((d, name));
                }
            }
        }
        out
    }

    /// Every make-up working day of the set, with the weekday whose schedule it follows.
    pub fn workdays(&self) -> Vec<(Date, Weekday, &'static str)> {
        self.workdays.clone()
    }

    /// Holidays and make-up days together, in the import shape, sorted by date.
    pub fn days(&self) -> Vec<ImportedDay> {
        let mut out: Vec<ImportedDay> = self
            .holidays()
            .into_iter()
            .map(|(date, name)| ImportedDay {
                date,
                kind: ImportedKind::Holiday,
                name: Some(name.to_string()),
            })
            .chain(
                self.workdays()
                    .into_iter()
                    .map(|(date, w, name)| ImportedDay {
                        date,
                        kind: ImportedKind::Workday { as_weekday: w },
                        name: Some(name.to_string()),
                    }),
            )
            .collect();
        out.sort_by_key(|d| d.date);
        out
    }
}

/// All built-in holiday sets, by name.
pub fn builtin_holiday_sets() -> &'static [HolidaySet] {
    &parsed().0
}

/// The built-in holiday set with this name, if any.
pub fn holiday_set(name: &str) -> Option<&'static HolidaySet> {
    builtin_holiday_sets().iter().find(|s| s.name == name)
}

/// Every year some built-in set covers (e.g. to tell which years ship with the binary).
pub fn builtin_years() -> BTreeSet<i16> {
    builtin_holiday_sets()
        .iter()
        .flat_map(|s| s.years.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn every_embedded_file_parses() {
        assert!(parsed().1.is_empty(), "bad holiday files: {:?}", parsed().1);
        assert_eq!(builtin_holiday_sets().len(), files::FILES.len());
        assert!(builtin_years().contains(&2026));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let ok = r#"{"name":"x-1","description":"","years":[2030],"holidays":[]}"#;
        assert!(parse_set("x-1.json", ok).is_ok());
        let err = |f: &str, t: &str| parse_set(f, t).err().unwrap_or_default();
        assert!(err("y.json", ok).contains("file name"));
        let no_years = r#"{"name":"x-1","description":"","years":[],"holidays":[]}"#;
        assert!(err("x-1.json", no_years).contains("years"));
        let backwards = r#"{"name":"x-1","description":"","years":[2030],
            "holidays":[{"first":"2030-01-03","last":"2030-01-01","name":"h"}]}"#;
        assert!(parse_set("x-1.json", backwards).is_err());
        assert!(parse_set("x-1.json", "{").is_err());
    }

    #[test]
    fn cn_2026_matches_spec() {
        let set = holiday_set("cn-2026").expect("built in");
        assert_eq!(set.years(), [2026]);
        let holidays = set.holidays();
        assert_eq!(holidays.len(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
        assert!(holidays.iter().any(|&(d, _)| d == date(2026, 2, 23)));
        assert!(!holidays.iter().any(|&(d, _)| d == date(2026, 2, 24)));
        let workdays: Vec<Date> = set.workdays().iter().map(|w| w.0).collect();
        assert_eq!(
            workdays,
            [
                date(2026, 1, 4),
                date(2026, 2, 14),
                date(2026, 2, 28),
                date(2026, 5, 9),
                date(2026, 9, 20),
                date(2026, 10, 10)
            ]
        );
        for d in workdays {
            assert!(matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday));
        }
        assert!(holiday_set("cn-2099").is_none());
        assert_eq!(set.days().len(), 33 + 6);
    }
}
