//! Calendar months and inclusive date ranges, and the fee a contract accrues over a range.

use std::fmt;

use jiff::Span;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::{BillingError, ContractTerms, invalid, overflow};
use crate::money::Money;

/// A calendar month such as 2026-03 (serde: `{"year": 2026, "month": 3}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct YearMonth {
    /// Year, e.g. 2026.
    pub year: i16,
    /// Month, 1–12.
    pub month: i8,
}

impl YearMonth {
    /// A checked month; the error names `month`.
    pub fn new(year: i16, month: i8) -> Result<YearMonth, BillingError> {
        Date::new(year, month, 1)
            .map_err(|_| invalid("month", format!("{year}-{month} is not a month")))?;
        Ok(YearMonth { year, month })
    }

    /// The month containing a date.
    pub fn of(date: Date) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// First day of the month.
    pub fn first_day(self) -> Result<Date, BillingError> {
        Date::new(self.year, self.month, 1)
            .map_err(|_| invalid("month", format!("{self} is not a month")))
    }

    /// The month as an inclusive date range.
    pub fn range(self) -> Result<DateRange, BillingError> {
        let first = self.first_day()?;
        Ok(DateRange {
            start: first,
            end: first.last_of_month(),
        })
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// An inclusive range of days, `start..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub start: Date,
    /// Last day (inclusive).
    pub end: Date,
}

impl DateRange {
    /// True when the day lies in the range.
    pub fn contains(self, date: Date) -> bool {
        self.start <= date && date <= self.end
    }

    /// The days both ranges share, if any.
    pub fn intersect(self, other: DateRange) -> Option<DateRange> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start <= end).then_some(DateRange { start, end })
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.start, self.end)
    }
}

/// Number of days of a range that lies within one calendar month.
pub(super) fn days_within_month(range: DateRange) -> u32 {
    // Both ends are in the same month, so the day numbers differ by the length minus one.
    u32::try_from(i32::from(range.end.day()) - i32::from(range.start.day()) + 1).unwrap_or(0)
}

/// The first day of the month after the one starting at `first`.
pub(super) fn next_month(first: Date) -> Option<Date> {
    first
        .first_of_month()
        .checked_add(Span::new().months(1))
        .ok()
}

/// `date` moved by whole months, or an error naming `field`.
pub(super) fn add_months(date: Date, months: u32, field: &str) -> Result<Date, BillingError> {
    Span::new()
        .try_months(i64::from(months))
        .ok()
        .and_then(|span| date.checked_add(span).ok())
        .ok_or_else(|| invalid(field, "moves the date out of range"))
}

/// A monthly amount over `range`: in full for every whole calendar month, prorated by
/// days ÷ days-in-month (half-up to the cent, per month) for a partial one.
pub(super) fn monthly_amount_over(base: Money, range: DateRange) -> Result<Money, BillingError> {
    if base.is_zero() || range.start > range.end {
        return Ok(Money::ZERO);
    }
    let mut total = Money::ZERO;
    let mut first = range.start.first_of_month();
    while first <= range.end {
        let Some(segment) = range.intersect(DateRange {
            start: first,
            end: first.last_of_month(),
        }) else {
            break;
        };
        let days = days_within_month(segment);
        let in_month = u32::try_from(first.days_in_month()).unwrap_or(0);
        let amount = if days == in_month {
            base
        } else {
            base.checked_prorate(days, in_month)
                .ok_or_else(|| overflow("fees"))?
                .round_cent()
        };
        total = total.checked_add(amount).ok_or_else(|| overflow("fees"))?;
        match next_month(first) {
            Some(next) => first = next,
            None => break,
        }
    }
    Ok(total)
}

/// The fees the contract accrues over `range` (clipped to the contract period), valued by
/// [`ContractTerms::monthly_base`].
pub(super) fn fees_over(terms: &ContractTerms, range: DateRange) -> Result<Money, BillingError> {
    match range.intersect(terms.period()) {
        Some(range) => monthly_amount_over(terms.monthly_base(), range),
        None => Ok(Money::ZERO),
    }
}
