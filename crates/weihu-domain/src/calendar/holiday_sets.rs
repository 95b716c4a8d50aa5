//! Built-in holiday sets: statutory holidays and make-up working days shipped as data.

use jiff::civil::{Date, Weekday, date};

use super::zone::{date_of_day, day_number};
use super::{ImportedDay, ImportedKind};

/// A named, built-in set of holidays and make-up working days (e.g. `cn-2026`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HolidaySet {
    /// Stable name used in calendar JSON (`holiday_sets`).
    pub name: &'static str,
    /// Human-readable description with the source.
    pub description: &'static str,
    holidays: &'static [(Date, Date, &'static str)],
    workdays: &'static [(Date, &'static str)],
}

impl HolidaySet {
    /// Every holiday date of the set with its name, in date order.
    pub fn holidays(&self) -> Vec<(Date, &'static str)> {
        let mut out = Vec::new();
        for &(first, last, name) in self.holidays {
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
        self.workdays
            .iter()
            .map(|&(d, name)| (d, Weekday::Monday, name))
            .collect()
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

const CN_2026_HOLIDAYS: &[(Date, Date, &str)] = &[
    (date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    (date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    (date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
];

const CN_2026_WORKDAYS: &[(Date, &str)] = &[
    (date(2026, 1, 4), "元旦调休上班"),
    (date(2026, 2, 14), "春节调休上班"),
    (date(2026, 2, 28), "春节调休上班"),
    (date(2026, 5, 9), "劳动节调休上班"),
    (date(2026, 9, 20), "国庆节调休上班"),
    (date(2026, 10, 10), "国庆节调休上班"),
];

static BUILTIN: [HolidaySet; 1] = [HolidaySet {
    name: "cn-2026",
    description: "中国 2026 年法定节假日与调休（国务院办公厅 2025-11-04 通知）",
    holidays: CN_2026_HOLIDAYS,
    workdays: CN_2026_WORKDAYS,
}];

/// All built-in holiday sets.
pub fn builtin_holiday_sets() -> &'static [HolidaySet] {
    &BUILTIN
}

/// The built-in holiday set with this name, if any.
pub fn holiday_set(name: &str) -> Option<&'static HolidaySet> {
    BUILTIN.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cn_2026_matches_spec() {
        let set = holiday_set("cn-2026").expect("built in");
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
        assert_eq!(builtin_holiday_sets().len(), 1);
    }
}
