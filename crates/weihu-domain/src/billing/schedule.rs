//! Invoicing schedule from the payment terms: periods billed in advance and their due dates.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::period::{DateRange, add_months, fees_over};
use super::terms::ContractTerms;
use super::{BillingError, invalid};
use crate::money::Money;

/// How far [`due_date`] looks for working days before giving up.
const SEARCH_DAYS: u32 = 366;

/// One invoice issued in advance for a period of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// 1-based position in the schedule.
    pub seq: u32,
    /// The days it bills in advance.
    pub covers: DateRange,
    /// Issue date: the first day of the covered period.
    pub issue_date: Date,
    /// Payment due: the issue date plus the agreed number of working days.
    pub due_date: Date,
    /// Fees billed in advance (see `ContractTerms::monthly_base`); usage is billed on statements.
    pub advance_fees: Money,
}

/// The `working_days`-th working day after `issue` (`issue` itself when zero).
pub fn due_date(
    issue: Date,
    working_days: u32,
    is_working_day: impl Fn(Date) -> bool,
) -> Result<Date, BillingError> {
    let mut date = issue;
    let mut found = 0;
    let mut searched = 0;
    while found < working_days {
        date = date
            .tomorrow()
            .map_err(|_| invalid("payment.due_working_days", "moves the date out of range"))?;
        searched += 1;
        if searched > SEARCH_DAYS {
            return Err(BillingError::NoWorkingDay { after: issue });
        }
        if is_working_day(date) {
            found += 1;
            searched = 0;
        }
    }
    Ok(date)
}

/// Every invoice over the contract: the first covers `first_invoice_months` calendar months from
/// the start month, each later one `then_every_months`, the last is cut at the contract end.
pub fn invoice_schedule(
    terms: &ContractTerms,
    is_working_day: impl Fn(Date) -> bool,
) -> Result<Vec<Invoice>, BillingError> {
    terms.validate()?;
    let mut invoices = Vec::new();
    let mut start = terms.start;
    let mut months = terms.payment.first_invoice_months;
    let mut field = "payment.first_invoice_months";
    loop {
        let next_start = add_months(start.first_of_month(), months, field)?;
        let end = match next_start.yesterday() {
            Ok(day) => day.min(terms.end),
            Err(_) => terms.end,
        };
        let covers = DateRange { start, end };
        invoices.push(Invoice {
            seq: u32::try_from(invoices.len() + 1).unwrap_or(u32::MAX),
            covers,
            issue_date: start,
            due_date: due_date(start, terms.payment.due_working_days, &is_working_day)?,
            advance_fees: fees_over(terms, covers)?,
        });
        if end >= terms.end {
            return Ok(invoices);
        }
        start = next_start;
        months = terms.payment.then_every_months;
        field = "payment.then_every_months";
    }
}
