//! Which years a calendar's holiday data covers, so that a due time computed beyond them is
//! never silently treated as a year without holidays.

use std::collections::BTreeSet;

use jiff::civil::Date;

use super::{Calendar, holiday_set};

impl Calendar {
    /// Whether the calendar has any holiday data: a holiday set or an explicit holiday. One
    /// without (e.g. a 7×24 machine room) does not depend on holidays and never warns.
    pub fn has_holiday_data(&self) -> bool {
        !self.holiday_sets().is_empty() || !self.holidays().is_empty()
    }

    /// The calendar years whose holidays the calendar's data covers: every year of the holiday
    /// sets it names, and every year with at least one explicit holiday (an imported official
    /// notice, added with the holiday import). Empty when it has no holiday data.
    pub fn covered_years(&self) -> BTreeSet<i16> {
        let mut years: BTreeSet<i16> = self
            .holiday_sets()
            .iter()
            .filter_map(|s| holiday_set(s))
            .flat_map(|s| s.years().iter().copied())
            .collect();
        years.extend(self.holidays().keys().map(|d| d.year()));
        years
    }

    /// The years from `first` to `last` (inclusive, either order) that the holiday data does not
    /// cover: there the calendar counts only its weekly schedule. Empty when every year is
    /// covered or the calendar has no holiday data at all.
    pub fn uncovered_years(&self, first: Date, last: Date) -> Vec<i16> {
        if !self.has_holiday_data() {
            return Vec::new();
        }
        let covered = self.covered_years();
        let (a, b) = if first <= last {
            (first.year(), last.year())
        } else {
            (last.year(), first.year())
        };
        (a..=b).filter(|y| !covered.contains(y)).collect()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use crate::calendar::{Calendar, ImportedDay, ImportedKind};

    fn china() -> Calendar {
        Calendar::five_by_8("Asia/Shanghai")
            .and_then(|c| c.with_holiday_set("cn-2026"))
            .expect("calendar")
    }

    #[test]
    fn a_set_covers_its_years() {
        let cal = china();
        assert!(cal.has_holiday_data());
        assert_eq!(cal.covered_years().into_iter().collect::<Vec<_>>(), [2026]);
        assert!(
            cal.uncovered_years(date(2026, 3, 4), date(2026, 12, 31))
                .is_empty()
        );
        // December 2026 → January 2027: 2027 has no holiday data.
        assert_eq!(
            cal.uncovered_years(date(2026, 12, 30), date(2027, 1, 5)),
            [2027]
        );
        assert_eq!(
            cal.uncovered_years(date(2027, 1, 5), date(2025, 6, 1)),
            [2025, 2027]
        );
    }

    #[test]
    fn imported_holidays_cover_their_year() {
        let days = [ImportedDay {
            date: date(2027, 1, 1),
            kind: ImportedKind::Holiday,
            name: Some("元旦".into()),
        }];
        let cal = china().with_imported(&days).expect("import");
        assert_eq!(
            cal.covered_years().into_iter().collect::<Vec<_>>(),
            [2026, 2027]
        );
        assert!(
            cal.uncovered_years(date(2026, 12, 30), date(2027, 1, 5))
                .is_empty()
        );
    }

    #[test]
    fn a_calendar_without_holiday_data_never_warns() {
        let cal = Calendar::seven_by_24("Asia/Shanghai").expect("7x24");
        assert!(!cal.has_holiday_data());
        assert!(cal.covered_years().is_empty());
        assert!(
            cal.uncovered_years(date(2026, 1, 1), date(2030, 1, 1))
                .is_empty()
        );
    }
}
