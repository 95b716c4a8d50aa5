//! Contracts and monthly statements (SPEC §7): what a month costs under each pricing model, what
//! early termination costs, and when invoices fall due. Pure functions; all amounts are exact
//! [`Money`](crate::money::Money) and rounded half-up to the cent only on a statement line.
//!
//! Decisions the SPEC leaves open, made here:
//! - A month wholly outside the contract period is an error ([`BillingError::MonthOutsideContract`]),
//!   not an empty statement: the store should never draft one.
//! - Only `emergency` visits bill a travel fee; travel on counted visits is part of the price.
//! - The monthly fee (capped and unlimited models) is prorated in a partial month; the visit cap,
//!   the resident 2-day minimum and per-device prices are not (a device under contract on any day
//!   of the month counts for the whole month, so a contract that starts mid-month does the same).
//! - For early termination and advance invoices, "the fees the contract would have produced" are
//!   the monthly fee on monthly models, and on usage-priced models (per visit, resident, per
//!   device) the `committed_monthly_fee` written in the terms, or nothing if none was agreed;
//!   usage (visits, parts, emergencies…) is never forecast. See [`ContractTerms::monthly_base`].

mod period;
mod schedule;
mod statement;
mod termination;
mod terms;

#[cfg(test)]
mod tests;

use jiff::civil::Date;

pub use period::{DateRange, YearMonth};
pub use schedule::{Invoice, due_date, invoice_schedule};
pub use statement::{
    ApprovedPart, CoveredDevice, LineKind, MonthActivity, OtherItem, Proration, ResidentDays,
    Sources, StatementDraft, StatementLine, TakeAwayRepair, UnknownVisitKind, Visit, VisitKind,
    compute_statement,
};
pub use termination::{PenaltyBasis, PenaltyQuote, Prepayment, termination_penalty};
pub use terms::{
    ContractTerms, DEFAULT_PENALTY_RATE_PERCENT, PaymentTerms, PerVisitRates, PricingModel,
    RESIDENT_MAX_DAYS, RESIDENT_MIN_DAYS, VisitCategory,
};

/// Why a statement, quote or schedule could not be computed; every variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// A field holds a value the rules cannot accept.
    #[error("{field}: {reason}")]
    InvalidField {
        /// Path of the offending field, e.g. `visits[3].category`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A per-visit contract has no rate for the category of a counted visit.
    #[error("{field}: the contract has no per-visit rate for category `{category}`")]
    MissingRate {
        /// Path of the missing rate, e.g. `pricing.rates.server`.
        field: String,
        /// The category that needed it.
        category: VisitCategory,
    },
    /// A per-device contract has no monthly price for a device type under contract.
    #[error("{field}: the contract has no monthly price for device type `{device_type}`")]
    MissingDevicePrice {
        /// Path of the missing price, e.g. `pricing.monthly_prices.printer`.
        field: String,
        /// The device type that needed it.
        device_type: String,
    },
    /// The statement month does not overlap the contract period.
    #[error("month: {month} is outside the contract period {start}..={end}")]
    MonthOutsideContract {
        /// The month asked for.
        month: YearMonth,
        /// First day of the contract.
        start: Date,
        /// Last day of the contract.
        end: Date,
    },
    /// A date lies outside the period it must fall in (the contract, or the statement month).
    #[error("{field}: {date} is outside {start}..={end}")]
    DateOutside {
        /// Path of the offending date, e.g. `notice_date`.
        field: String,
        /// The date given.
        date: Date,
        /// First allowed day.
        start: Date,
        /// Last allowed day.
        end: Date,
    },
    /// An amount grew beyond what can be represented exactly.
    #[error("{field}: amount overflow")]
    Overflow {
        /// What was being computed.
        field: String,
    },
    /// The working-day predicate found no working day in a year after the issue date.
    #[error("payment.due_working_days: no working day within a year after {after}")]
    NoWorkingDay {
        /// The invoice date searched from.
        after: Date,
    },
}

/// Shorthand for [`BillingError::InvalidField`].
fn invalid(field: impl Into<String>, reason: impl Into<String>) -> BillingError {
    BillingError::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Shorthand for [`BillingError::Overflow`].
fn overflow(field: impl Into<String>) -> BillingError {
    BillingError::Overflow {
        field: field.into(),
    }
}
