//! Early termination (违约金): the penalty, or in the trial period the refund of unused prepaid fees.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::period::{DateRange, fees_over};
use super::terms::{ContractTerms, PricingModel};
use super::{BillingError, overflow};
use crate::money::Money;

/// What the client has already paid for in advance: fees up to and including `paid_through`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepayment {
    /// Last day covered by the invoices paid so far (e.g. the end of the last paid invoice period).
    pub paid_through: Date,
}

/// What the remaining fees were valued from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyBasis {
    /// The monthly fee of a capped or unlimited contract.
    MonthlyFee,
    /// The `committed_monthly_fee` of a usage-priced contract.
    CommittedMonthlyFee,
    /// A usage-priced contract with no committed amount: nothing was guaranteed, so zero.
    NoCommitment,
}

/// The result of a termination notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyQuote {
    /// The day notice was given (counts as remaining).
    pub notice_date: Date,
    /// Last day of the trial period.
    pub trial_end: Date,
    /// True when notice falls in the trial period: no penalty, unused prepaid fees refunded.
    pub in_trial: bool,
    /// What the remaining fees were valued from.
    pub basis: PenaltyBasis,
    /// Fees from the notice date (inclusive) to the contract end.
    pub remaining_fees: Money,
    /// The penalty rate applied.
    pub rate: Decimal,
    /// rate × remaining fees, half-up to the cent; zero in the trial period.
    pub penalty: Money,
    /// Prepaid fees for days from the notice date on.
    pub unused_prepaid: Money,
    /// The refund owed: the unused prepaid fees in the trial period, else zero (settled by the parties).
    pub refund: Money,
}

/// Quotes early termination on `notice_date` (SPEC §7); the notice must fall in the contract period.
pub fn termination_penalty(
    terms: &ContractTerms,
    notice_date: Date,
    prepaid: Option<Prepayment>,
) -> Result<PenaltyQuote, BillingError> {
    terms.validate()?;
    if !terms.period().contains(notice_date) {
        return Err(BillingError::DateOutside {
            field: "notice_date".to_owned(),
            date: notice_date,
            start: terms.start,
            end: terms.end,
        });
    }
    let trial_end = terms.trial_end()?;
    let in_trial = notice_date <= trial_end;
    let basis = match (&terms.pricing, terms.committed_monthly_fee) {
        (PricingModel::MonthlyCapped { .. } | PricingModel::MonthlyUnlimited { .. }, _) => {
            PenaltyBasis::MonthlyFee
        }
        (_, Some(_)) => PenaltyBasis::CommittedMonthlyFee,
        (_, None) => PenaltyBasis::NoCommitment,
    };
    let remaining_fees = fees_over(
        terms,
        DateRange {
            start: notice_date,
            end: terms.end,
        },
    )?;
    let penalty = if in_trial {
        Money::ZERO
    } else {
        remaining_fees
            .checked_mul_ratio(terms.penalty_rate)
            .ok_or_else(|| overflow("penalty"))?
            .round_cent()
    };
    let unused_prepaid = match prepaid {
        Some(p) if p.paid_through >= notice_date => fees_over(
            terms,
            DateRange {
                start: notice_date,
                end: p.paid_through,
            },
        )?,
        _ => Money::ZERO,
    };
    Ok(PenaltyQuote {
        notice_date,
        trial_end,
        in_trial,
        basis,
        remaining_fees,
        rate: terms.penalty_rate,
        penalty,
        unused_prepaid,
        refund: if in_trial {
            unused_prepaid
        } else {
            Money::ZERO
        },
    })
}
