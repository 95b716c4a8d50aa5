//! A contract's commercial terms: pricing model, fees, period, trial, penalty and payment terms.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::period::{DateRange, add_months};
use super::{BillingError, invalid};
use crate::money::{Currency, Money};

/// A resident engineer bills at least this many days in a month.
pub const RESIDENT_MIN_DAYS: u32 = 2;
/// A resident engineer bills at most this many days in a month.
pub const RESIDENT_MAX_DAYS: u32 = 20;
/// The early-termination penalty rate when the contract names none, in percent.
pub const DEFAULT_PENALTY_RATE_PERCENT: u32 = 50;
/// Largest month count accepted for the trial and the payment terms (100 years).
const MAX_MONTHS: u32 = 1200;

/// The category an on-site visit is priced under on a per-visit contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitCategory {
    /// Desktop and laptop computers (个人电脑).
    Pc,
    /// Network equipment (网络).
    Network,
    /// Printers and other office peripherals (办公外设).
    Peripheral,
    /// Servers and storage (服务器).
    Server,
}

impl VisitCategory {
    /// All categories, in statement order.
    pub const ALL: [VisitCategory; 4] = [
        VisitCategory::Pc,
        VisitCategory::Network,
        VisitCategory::Peripheral,
        VisitCategory::Server,
    ];

    /// The serde name, also used in field paths.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitCategory::Pc => "pc",
            VisitCategory::Network => "network",
            VisitCategory::Peripheral => "peripheral",
            VisitCategory::Server => "server",
        }
    }

    /// A bilingual label for statement lines.
    pub fn label(self) -> &'static str {
        match self {
            VisitCategory::Pc => "个人电脑 PC",
            VisitCategory::Network => "网络 network",
            VisitCategory::Peripheral => "办公外设 peripheral",
            VisitCategory::Server => "服务器 server",
        }
    }
}

impl fmt::Display for VisitCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-visit rates by category; a category left out has no rate (billing it is an error).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PerVisitRates {
    /// Rate for a PC visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pc: Option<Money>,
    /// Rate for a network visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Money>,
    /// Rate for a peripheral visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peripheral: Option<Money>,
    /// Rate for a server visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<Money>,
}

impl PerVisitRates {
    /// The rate for a category, if the contract has one.
    pub fn get(&self, category: VisitCategory) -> Option<Money> {
        match category {
            VisitCategory::Pc => self.pc,
            VisitCategory::Network => self.network,
            VisitCategory::Peripheral => self.peripheral,
            VisitCategory::Server => self.server,
        }
    }
}

/// How a month is charged (SPEC §7 table); serde tag `model`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum PricingModel {
    /// 按次: each counted visit × the rate of its category.
    PerVisit {
        /// Rates by category.
        rates: PerVisitRates,
    },
    /// 包月限次: monthly fee + max(0, counted visits − cap) × over-cap fee.
    MonthlyCapped {
        /// Fee for a whole month.
        monthly_fee: Money,
        /// Counted visits included in the fee (never prorated).
        visit_cap: u32,
        /// Fee for each counted visit beyond the cap.
        over_cap_fee: Money,
    },
    /// 包月不限次: monthly fee.
    MonthlyUnlimited {
        /// Fee for a whole month.
        monthly_fee: Money,
    },
    /// 驻场: engineer-days × day rate, 2 to 20 days per engineer and month.
    Resident {
        /// Rate for one engineer-day.
        day_rate: Money,
    },
    /// 按台: Σ device types, devices under contract at any time in the month × monthly price.
    PerDevice {
        /// Monthly price by device type (e.g. `pc`, `printer`, `server`).
        monthly_prices: BTreeMap<String, Money>,
    },
}

impl PricingModel {
    /// The fixed monthly fee of the capped and unlimited models.
    pub fn monthly_fee(&self) -> Option<Money> {
        match self {
            PricingModel::MonthlyCapped { monthly_fee, .. }
            | PricingModel::MonthlyUnlimited { monthly_fee } => Some(*monthly_fee),
            _ => None,
        }
    }
}

/// When invoices are issued and fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTerms {
    /// Calendar months the first invoice covers, counting the start month (default 3).
    #[serde(default = "three")]
    pub first_invoice_months: u32,
    /// Calendar months each later invoice covers, in advance (default 3: quarterly).
    #[serde(default = "three")]
    pub then_every_months: u32,
    /// Working days after the invoice date that payment is due (default 5).
    #[serde(default = "five")]
    pub due_working_days: u32,
}

impl Default for PaymentTerms {
    fn default() -> PaymentTerms {
        PaymentTerms {
            first_invoice_months: 3,
            then_every_months: 3,
            due_working_days: 5,
        }
    }
}

fn one() -> u32 {
    1
}
fn three() -> u32 {
    3
}
fn five() -> u32 {
    5
}
fn default_penalty_rate() -> Decimal {
    Decimal::new(i64::from(DEFAULT_PENALTY_RATE_PERCENT), 2)
}

/// The commercial terms of one contract (serde; defaults as in SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractTerms {
    /// Currency of every amount (default CNY).
    #[serde(default)]
    pub currency: Currency,
    /// The pricing model and its fees.
    pub pricing: PricingModel,
    /// Fee for each `emergency` visit, on every model (its travel fee is added too).
    pub emergency_fee: Money,
    /// First day of the contract.
    pub start: Date,
    /// Last day of the contract (inclusive).
    pub end: Date,
    /// Length of the trial period in months from the start (default 1: the first month).
    #[serde(default = "one")]
    pub trial_months: u32,
    /// Early-termination penalty rate as a fraction, e.g. `"0.5"` (default 50 %).
    #[serde(default = "default_penalty_rate", with = "rust_decimal::serde::str")]
    pub penalty_rate: Decimal,
    /// Invoicing and payment terms.
    #[serde(default)]
    pub payment: PaymentTerms,
    /// For usage-priced models only: the monthly amount the parties agreed the contract is worth,
    /// used for advance invoices and the termination penalty (none → those are zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_monthly_fee: Option<Money>,
}

impl ContractTerms {
    /// Terms with the SPEC defaults: CNY, one trial month, 50 % penalty, 3 + quarterly, 5 days.
    pub fn new(
        pricing: PricingModel,
        emergency_fee: Money,
        start: Date,
        end: Date,
    ) -> ContractTerms {
        ContractTerms {
            currency: Currency::CNY,
            pricing,
            emergency_fee,
            start,
            end,
            trial_months: 1,
            penalty_rate: default_penalty_rate(),
            payment: PaymentTerms::default(),
            committed_monthly_fee: None,
        }
    }

    /// The contract period, `start..=end`.
    pub fn period(&self) -> DateRange {
        DateRange {
            start: self.start,
            end: self.end,
        }
    }

    /// Last day of the trial period (the day before `start` when there is no trial).
    pub fn trial_end(&self) -> Result<Date, BillingError> {
        let after = add_months(self.start, self.trial_months, "trial_months")?;
        after
            .yesterday()
            .map_err(|_| invalid("trial_months", "moves the date out of range"))
    }

    /// What one whole month of the contract is worth, apart from usage: the monthly fee on the
    /// capped and unlimited models, else the `committed_monthly_fee`, else zero.
    pub fn monthly_base(&self) -> Money {
        self.pricing
            .monthly_fee()
            .or(self.committed_monthly_fee)
            .unwrap_or(Money::ZERO)
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), BillingError> {
        if self.end < self.start {
            return Err(invalid(
                "end",
                format!("{} is before start {}", self.end, self.start),
            ));
        }
        price("emergency_fee", self.emergency_fee)?;
        match &self.pricing {
            PricingModel::PerVisit { rates } => {
                for category in VisitCategory::ALL {
                    if let Some(rate) = rates.get(category) {
                        price(&format!("pricing.rates.{category}"), rate)?;
                    }
                }
            }
            PricingModel::MonthlyCapped {
                monthly_fee,
                over_cap_fee,
                ..
            } => {
                price("pricing.monthly_fee", *monthly_fee)?;
                price("pricing.over_cap_fee", *over_cap_fee)?;
            }
            PricingModel::MonthlyUnlimited { monthly_fee } => {
                price("pricing.monthly_fee", *monthly_fee)?;
            }
            PricingModel::Resident { day_rate } => price("pricing.day_rate", *day_rate)?,
            PricingModel::PerDevice { monthly_prices } => {
                for (device_type, amount) in monthly_prices {
                    let field = format!("pricing.monthly_prices.{device_type}");
                    if device_type.trim().is_empty() {
                        return Err(invalid(field, "device type is empty"));
                    }
                    price(&field, *amount)?;
                }
            }
        }
        if let Some(committed) = self.committed_monthly_fee {
            price("committed_monthly_fee", committed)?;
        }
        if self.penalty_rate < Decimal::ZERO {
            return Err(invalid("penalty_rate", "must not be negative"));
        }
        for (field, months, min) in [
            ("trial_months", self.trial_months, 0),
            (
                "payment.first_invoice_months",
                self.payment.first_invoice_months,
                1,
            ),
            (
                "payment.then_every_months",
                self.payment.then_every_months,
                1,
            ),
        ] {
            if !(min..=MAX_MONTHS).contains(&months) {
                return Err(invalid(
                    field,
                    format!("must be {min} to {MAX_MONTHS} months"),
                ));
            }
        }
        if self.payment.due_working_days > 366 {
            return Err(invalid("payment.due_working_days", "must be at most 366"));
        }
        self.trial_end()?;
        Ok(())
    }
}

/// A price must be a non-negative whole number of cents.
pub(super) fn price(field: &str, amount: Money) -> Result<(), BillingError> {
    if amount.is_negative() {
        return Err(invalid(field, "must not be negative"));
    }
    if !amount.is_whole_cents() {
        return Err(invalid(field, "must be a whole number of cents"));
    }
    Ok(())
}
