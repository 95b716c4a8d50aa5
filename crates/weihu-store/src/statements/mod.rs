//! Monthly statements (SPEC §7): a month of a contract's activity (visits, parts, take-away
//! repairs, resident days, devices, other items) read from the store and priced by the domain
//! crate. Draft → reviewed → issued (numbered and frozen) → paid, or overdue past its due date.
//! A correction after issue is a new `adjustment` statement; the issued one never changes.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::billing::{
    ApprovedPart, CoveredDevice, MonthActivity, OtherItem, ResidentDays, Sources, StatementDraft,
    TakeAwayRepair, Visit, VisitCategory, VisitKind, YearMonth, compute_statement, due_date,
};
use weihu_domain::calendar::DayKind;
use weihu_domain::money::Money;

use crate::contracts::{self, Contract, billing, today_in};
use crate::orders::work::opt_time;
use crate::page::Listing;
use crate::sql::SqlBuf;
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

pub(crate) mod activity;
mod stored;

pub use activity::*;
pub use stored::*;

pub const STATES: [&str; 5] = ["draft", "reviewed", "issued", "paid", "overdue"];

/// One priced line, as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    /// monthly_fee, over_cap_visits, visits, resident_days, devices, emergency_fee,
    /// emergency_travel, part, take_away_repair, other, repeat_visits, reversal.
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price: String,
    /// "days covered/days in month" when the fee was prorated.
    pub proration: Option<String>,
    pub amount: String,
    /// What the line comes from: visits, orders, items, assets, engineers.
    #[schema(value_type = Object)]
    pub sources: Sources,
}

impl Line {
    /// The sources as one short text: order numbers, then assets, engineers and item ids.
    pub fn source_text(&self) -> String {
        let s = &self.sources;
        let mut parts: Vec<String> = s.orders.clone();
        parts.extend(s.assets.iter().cloned());
        parts.extend(s.engineers.iter().cloned());
        if s.orders.is_empty() {
            parts.extend(s.items.iter().cloned());
        }
        parts.join(", ")
    }
}

/// The priced month, as stored in `statements.body`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Body {
    covered_start: String,
    covered_end: String,
    counted_visits: u32,
    lines: Vec<Line>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    pub contract_id: i64,
    pub contract_number: String,
    pub pricing_model: String,
    /// `YYYY-MM`.
    pub month: String,
    /// regular or adjustment.
    pub kind: String,
    /// For an adjustment: the issued statement it corrects.
    pub adjusts_id: Option<i64>,
    /// Given at issue, e.g. `ST-2026-000012`.
    pub number: Option<String>,
    /// draft, reviewed, issued, paid, overdue.
    pub state: String,
    pub currency: String,
    pub total: String,
    /// Days of the month the contract covers.
    pub covered_start: String,
    pub covered_end: String,
    /// Regular + scheduled visits of the month.
    pub counted_visits: u32,
    pub lines: Vec<Line>,
    #[schema(value_type = String, format = DateTime)]
    pub computed_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub issued_at: Option<jiff::Timestamp>,
    /// Payment due, in working days after the issue date.
    pub due_date: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_at: Option<jiff::Timestamp>,
    pub note: String,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

/// A statement computed on the fly (never stored): what the month costs so far.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub contract_id: i64,
    pub contract_number: String,
    pub month: String,
    pub currency: String,
    pub total: String,
    pub covered_start: String,
    pub covered_end: String,
    pub counted_visits: u32,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    pub client_org_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub month: Option<String>,
    pub state: Option<String>,
}

/// This month, `YYYY-MM`, in the provider's zone.
pub fn current_month() -> String {
    YearMonth::of(today_in(contracts::DEFAULT_ZONE)).to_string()
}

/// Last month, `YYYY-MM`, in the provider's zone: the month the month-end job bills.
pub fn previous_month() -> String {
    let first = today_in(contracts::DEFAULT_ZONE).first_of_month();
    YearMonth::of(first.yesterday().unwrap_or(first)).to_string()
}

/// Parses `YYYY-MM`.
pub fn parse_month(field: &str, v: &str) -> Result<YearMonth> {
    let bad = || StoreError::invalid(field, "must be a month YYYY-MM");
    let (y, m) = v.trim().split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let year: i16 = y.parse().map_err(|_| bad())?;
    let month: i8 = m.parse().map_err(|_| bad())?;
    if !(2000..=2200).contains(&year) {
        return Err(StoreError::invalid(field, "year must be 2000 to 2200"));
    }
    YearMonth::new(year, month).map_err(|_| bad())
}

fn lines_of(draft: &StatementDraft) -> Body {
    let lines = draft
        .lines
        .iter()
        .map(|l| Line {
            kind: serde_json::to_value(l.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            description: l.description.clone(),
            quantity: i64::from(l.quantity),
            unit_price: l.unit_price.to_string(),
            proration: l
                .proration
                .map(|p| format!("{}/{}", p.days_covered, p.days_in_month)),
            amount: l.amount.to_string(),
            sources: l.sources.clone(),
        })
        .collect();
    Body {
        covered_start: draft.covered.start.to_string(),
        covered_end: draft.covered.end.to_string(),
        counted_visits: draft.counted_visits,
        lines,
    }
}

fn may_read(actor: &Actor) -> Result<()> {
    if actor.role.can_read_statements() {
        Ok(())
    } else if actor.role.is_client_side() {
        Err(StoreError::NotFound)
    } else {
        Err(StoreError::Forbidden(
            "only administrators, finance and service level managers read statements",
        ))
    }
}

fn may_write(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_statements() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only administrators and finance manage statements",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_visit_kind_is_an_error_naming_the_visit() {
        assert_eq!(kind_of(7, "emergency").ok(), Some(VisitKind::Emergency));
        match kind_of(7, "picnic") {
            Err(StoreError::Invalid { field, message }) => {
                assert_eq!(field, "visits[V7].kind");
                assert!(message.contains("picnic"), "{message}");
            }
            other => panic!("an unknown kind must not be billed as regular: {other:?}"),
        }
    }
}
