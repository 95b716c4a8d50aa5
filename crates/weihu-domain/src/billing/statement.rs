//! The monthly statement (对账单): one month's activity priced under the contract's terms.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::period::{DateRange, YearMonth, days_within_month};
use super::terms::{
    ContractTerms, PricingModel, RESIDENT_MAX_DAYS, RESIDENT_MIN_DAYS, VisitCategory, price,
};
use super::{BillingError, invalid, overflow};
use crate::money::{Currency, Money};

/// The kind of an on-site visit (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// An ordinary visit for a request; counted.
    Regular,
    /// The monthly maintenance visit; counted (towards the cap too).
    Scheduled,
    /// Urgent or night service asked for by the client; not counted, billed its fee + travel.
    Emergency,
    /// A further visit for the same problem; not counted and never billed.
    Repeat,
}

/// A stored visit kind that is none of [`VisitKind::ALL`]: never billed as some default kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kind: unknown visit kind `{0}` (must be one of: regular, scheduled, emergency, repeat)")]
pub struct UnknownVisitKind(pub String);

impl VisitKind {
    /// Every kind, in the order forms list them.
    pub const ALL: [VisitKind; 4] = [
        VisitKind::Regular,
        VisitKind::Scheduled,
        VisitKind::Emergency,
        VisitKind::Repeat,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            VisitKind::Regular => "regular",
            VisitKind::Scheduled => "scheduled",
            VisitKind::Emergency => "emergency",
            VisitKind::Repeat => "repeat",
        }
    }

    /// The kind of a stored name; an unknown name is an error, not `regular`.
    pub fn parse(s: &str) -> Result<VisitKind, UnknownVisitKind> {
        VisitKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownVisitKind(s.to_owned()))
    }

    /// True for the kinds that count towards the cap and the per-visit charge.
    pub fn is_counted(self) -> bool {
        matches!(self, VisitKind::Regular | VisitKind::Scheduled)
    }
}

/// One on-site visit of the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Visit id, unique in the month.
    pub id: String,
    /// Number of the service order it belongs to, e.g. `SO-2026-000123`.
    pub order: String,
    /// Its kind.
    pub kind: VisitKind,
    /// Rate category; required for counted visits on a per-visit contract only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<VisitCategory>,
    /// Travel fee recorded on the visit; billed on emergency visits only.
    #[serde(default)]
    pub travel_fee: Money,
    /// Day of the visit; must lie in the month and the contract period.
    pub date: Date,
}

/// A part the client admin approved, billed at cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedPart {
    /// Part id, unique in the month.
    pub id: String,
    /// Number of the service order that installed it.
    pub order: String,
    /// Name and model of the part.
    pub name: String,
    /// Quantity installed.
    pub quantity: u32,
    /// Approved cost of one unit.
    pub unit_cost: Money,
    /// True when the client supplied the part: it costs nothing.
    #[serde(default)]
    pub client_supplied: bool,
}

/// A take-away repair (the device left with the engineer), billed at cost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeAwayRepair {
    /// Repair id, unique in the month.
    pub id: String,
    /// Number of its service order.
    pub order: String,
    /// Tag of the repaired asset, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// What was done.
    pub description: String,
    /// Its cost.
    pub cost: Money,
}

/// Any other billable item (data recovery…); a negative unit price is a credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherItem {
    /// Item id, unique in the month.
    pub id: String,
    /// Number of the service order it comes from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// What it is.
    pub description: String,
    /// Quantity.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
}

/// Days a resident engineer worked on site in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentDays {
    /// The engineer (name or id), once per month.
    pub engineer: String,
    /// Days worked; billed clamped to 2..=20.
    pub days: u32,
}

/// A device under a per-device contract, and when it was covered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredDevice {
    /// Device type, a key of the contract's `monthly_prices`.
    pub device_type: String,
    /// Asset tag.
    pub asset: String,
    /// First day under contract.
    pub from: Date,
    /// Last day under contract (inclusive); none while still covered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
}

/// Everything billable that happened in the month.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MonthActivity {
    /// On-site visits of the month (all kinds).
    #[serde(default)]
    pub visits: Vec<Visit>,
    /// Approved parts installed.
    #[serde(default)]
    pub parts: Vec<ApprovedPart>,
    /// Take-away repairs.
    #[serde(default)]
    pub take_away: Vec<TakeAwayRepair>,
    /// Other billable items.
    #[serde(default)]
    pub other: Vec<OtherItem>,
    /// Resident engineer-days (resident model).
    #[serde(default)]
    pub resident_days: Vec<ResidentDays>,
    /// Devices under contract (per-device model).
    #[serde(default)]
    pub devices: Vec<CoveredDevice>,
}

/// What a statement line charges for; lines appear in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// The monthly fee (capped and unlimited models), maybe prorated.
    MonthlyFee,
    /// Counted visits beyond the cap.
    OverCapVisits,
    /// Counted visits of one category on a per-visit contract.
    Visits,
    /// One resident engineer's billed days.
    ResidentDays,
    /// Devices of one type under contract.
    Devices,
    /// The emergency fee for the month's emergency visits.
    EmergencyFee,
    /// The travel fee of one emergency visit.
    EmergencyTravel,
    /// One approved part, at cost.
    Part,
    /// One take-away repair, at cost.
    TakeAwayRepair,
    /// One other billable item.
    Other,
    /// Repeat visits, listed for checking, never billed (amount 0).
    RepeatVisits,
}

/// How a monthly fee was prorated: days covered ÷ days in the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proration {
    /// Days of the month the contract covers.
    pub days_covered: u32,
    /// Days in the month.
    pub days_in_month: u32,
}

/// What a line comes from, so the client can check it (each list sorted, without duplicates).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sources {
    /// Visit ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visits: Vec<String>,
    /// Service order numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
    /// Part, repair or item ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Asset tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<String>,
    /// Resident engineers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engineers: Vec<String>,
}

impl Sources {
    fn of_visits(visits: &[&Visit]) -> Sources {
        Sources {
            visits: sorted(visits.iter().map(|v| v.id.clone())),
            orders: sorted(visits.iter().map(|v| v.order.clone())),
            ..Sources::default()
        }
    }
}

fn sorted(items: impl IntoIterator<Item = String>) -> Vec<String> {
    items
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One line of a statement: quantity × unit price (× proration), rounded half-up to the cent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// What it charges for.
    pub kind: LineKind,
    /// Bilingual description naming what is counted.
    pub description: String,
    /// Quantity.
    pub quantity: u32,
    /// Price of one unit.
    pub unit_price: Money,
    /// Proration applied to quantity × unit price, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proration: Option<Proration>,
    /// The amount charged, rounded half-up to the cent.
    pub amount: Money,
    /// What the line comes from.
    pub sources: Sources,
}

/// A drafted monthly statement; `total` is the sum of the line amounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementDraft {
    /// The month billed.
    pub month: YearMonth,
    /// Days of the month the contract covers.
    pub covered: DateRange,
    /// Currency of every amount.
    pub currency: Currency,
    /// Counted visits (regular + scheduled).
    pub counted_visits: u32,
    /// The lines, in [`LineKind`] order, then by date, order and id.
    pub lines: Vec<StatementLine>,
    /// Sum of the line amounts.
    pub total: Money,
}

fn line(
    kind: LineKind,
    description: String,
    quantity: u32,
    unit_price: Money,
    proration: Option<Proration>,
    sources: Sources,
) -> Result<StatementLine, BillingError> {
    let field = || overflow(format!("lines.{description}"));
    let gross = unit_price.checked_mul_qty(quantity).ok_or_else(field)?;
    let exact = match proration {
        Some(p) => gross
            .checked_prorate(p.days_covered, p.days_in_month)
            .ok_or_else(field)?,
        None => gross,
    };
    Ok(StatementLine {
        kind,
        description,
        quantity,
        unit_price,
        proration,
        amount: exact.round_cent(),
        sources,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn check_ids<'a>(field: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), BillingError> {
    let mut seen = BTreeSet::new();
    for (i, id) in ids.enumerate() {
        if id.trim().is_empty() {
            return Err(invalid(format!("{field}[{i}].id"), "is empty"));
        }
        if !seen.insert(id) {
            return Err(invalid(
                format!("{field}[{i}].id"),
                format!("`{id}` appears twice"),
            ));
        }
    }
    Ok(())
}

/// Prices one month of activity under the terms (SPEC §7); a month outside the contract is an error.
pub fn compute_statement(
    terms: &ContractTerms,
    month: YearMonth,
    activity: &MonthActivity,
) -> Result<StatementDraft, BillingError> {
    terms.validate()?;
    let month = YearMonth::new(month.year, month.month)?;
    let whole_month = month.range()?;
    let covered =
        whole_month
            .intersect(terms.period())
            .ok_or(BillingError::MonthOutsideContract {
                month,
                start: terms.start,
                end: terms.end,
            })?;
    let days_covered = days_within_month(covered);
    let days_in_month = days_within_month(whole_month);
    let proration = (days_covered < days_in_month).then_some(Proration {
        days_covered,
        days_in_month,
    });

    // Visits: checked, then in a stable order (date, id) whatever the input order.
    check_ids("visits", activity.visits.iter().map(|v| v.id.as_str()))?;
    for (i, v) in activity.visits.iter().enumerate() {
        if !covered.contains(v.date) {
            return Err(BillingError::DateOutside {
                field: format!("visits[{i}].date"),
                date: v.date,
                start: covered.start,
                end: covered.end,
            });
        }
        price(&format!("visits[{i}].travel_fee"), v.travel_fee)?;
    }
    let mut visits: Vec<(usize, &Visit)> = activity.visits.iter().enumerate().collect();
    visits.sort_by(|(_, a), (_, b)| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let counted: Vec<(usize, &Visit)> = visits
        .iter()
        .copied()
        .filter(|(_, v)| v.kind.is_counted())
        .collect();
    let of_kind = |kind: VisitKind| -> Vec<&Visit> {
        visits
            .iter()
            .filter(|(_, v)| v.kind == kind)
            .map(|(_, v)| *v)
            .collect()
    };

    let mut lines = Vec::new();
    let prorated = match proration {
        Some(p) => format!(" ({}/{} 天 days)", p.days_covered, p.days_in_month),
        None => String::new(),
    };

    match &terms.pricing {
        PricingModel::MonthlyCapped {
            monthly_fee,
            visit_cap,
            over_cap_fee,
        } => {
            let cap = usize::try_from(*visit_cap).unwrap_or(usize::MAX);
            let (within, over) = counted.split_at(counted.len().min(cap));
            let within: Vec<&Visit> = within.iter().map(|(_, v)| *v).collect();
            let over: Vec<&Visit> = over.iter().map(|(_, v)| *v).collect();
            lines.push(line(
                LineKind::MonthlyFee,
                format!(
                    "包月限次月费 Monthly fee {month}{prorated}, {} 次 counted visits, 上限 cap {visit_cap}",
                    counted.len()
                ),
                1,
                *monthly_fee,
                proration,
                Sources::of_visits(&within),
            )?);
            if !over.is_empty() {
                lines.push(line(
                    LineKind::OverCapVisits,
                    format!(
                        "超次上门 Visits over cap ({} counted − cap {visit_cap})",
                        counted.len()
                    ),
                    count(over.len()),
                    *over_cap_fee,
                    None,
                    Sources::of_visits(&over),
                )?);
            }
        }
        PricingModel::MonthlyUnlimited { monthly_fee } => {
            let all: Vec<&Visit> = counted.iter().map(|(_, v)| *v).collect();
            lines.push(line(
                LineKind::MonthlyFee,
                format!(
                    "包月不限次月费 Monthly fee {month}{prorated}, {} 次 counted visits",
                    all.len()
                ),
                1,
                *monthly_fee,
                proration,
                Sources::of_visits(&all),
            )?);
        }
        PricingModel::PerVisit { rates } => {
            let mut by_category: BTreeMap<VisitCategory, Vec<&Visit>> = BTreeMap::new();
            for (i, v) in &counted {
                let category = v.category.ok_or_else(|| {
                    invalid(
                        format!("visits[{i}].category"),
                        "is required for a counted visit on a per-visit contract",
                    )
                })?;
                by_category.entry(category).or_default().push(v);
            }
            for (category, group) in by_category {
                let rate = rates.get(category).ok_or(BillingError::MissingRate {
                    field: format!("pricing.rates.{category}"),
                    category,
                })?;
                lines.push(line(
                    LineKind::Visits,
                    format!("按次上门 On-site visits, {}", category.label()),
                    count(group.len()),
                    rate,
                    None,
                    Sources::of_visits(&group),
                )?);
            }
        }
        PricingModel::Resident { day_rate } => {
            let mut seen = BTreeSet::new();
            let mut engineers: Vec<&ResidentDays> = Vec::new();
            for (i, r) in activity.resident_days.iter().enumerate() {
                let field = format!("resident_days[{i}]");
                if r.engineer.trim().is_empty() {
                    return Err(invalid(format!("{field}.engineer"), "is empty"));
                }
                if !seen.insert(r.engineer.as_str()) {
                    return Err(invalid(
                        format!("{field}.engineer"),
                        format!("`{}` appears twice", r.engineer),
                    ));
                }
                if r.days > days_covered {
                    return Err(invalid(
                        format!("{field}.days"),
                        format!("{} days exceed the {days_covered} days covered", r.days),
                    ));
                }
                engineers.push(r);
            }
            engineers.sort_by(|a, b| a.engineer.cmp(&b.engineer));
            for r in engineers {
                let billed = r.days.clamp(RESIDENT_MIN_DAYS, RESIDENT_MAX_DAYS);
                lines.push(line(
                    LineKind::ResidentDays,
                    format!(
                        "驻场人天 Resident engineer-days, {}: worked {}, billed {billed} (min {RESIDENT_MIN_DAYS}, max {RESIDENT_MAX_DAYS})",
                        r.engineer, r.days
                    ),
                    billed,
                    *day_rate,
                    None,
                    Sources {
                        engineers: vec![r.engineer.clone()],
                        ..Sources::default()
                    },
                )?);
            }
        }
        PricingModel::PerDevice { monthly_prices } => {
            let mut type_of: BTreeMap<&str, &str> = BTreeMap::new();
            let mut by_type: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            for (i, d) in activity.devices.iter().enumerate() {
                let field = format!("devices[{i}]");
                if d.asset.trim().is_empty() {
                    return Err(invalid(format!("{field}.asset"), "is empty"));
                }
                if let Some(until) = d.until
                    && until < d.from
                {
                    return Err(invalid(
                        format!("{field}.until"),
                        format!("{until} is before from {}", d.from),
                    ));
                }
                if let Some(previous) = type_of.insert(d.asset.as_str(), d.device_type.as_str())
                    && previous != d.device_type
                {
                    return Err(invalid(
                        format!("{field}.device_type"),
                        format!("asset `{}` is listed as `{previous}` too", d.asset),
                    ));
                }
                let interval = DateRange {
                    start: d.from,
                    end: d.until.unwrap_or(covered.end).max(d.from),
                };
                if interval.intersect(covered).is_some() {
                    by_type
                        .entry(d.device_type.as_str())
                        .or_default()
                        .insert(d.asset.clone());
                }
            }
            for (device_type, assets) in by_type {
                let unit = monthly_prices.get(device_type).copied().ok_or_else(|| {
                    BillingError::MissingDevicePrice {
                        field: format!("pricing.monthly_prices.{device_type}"),
                        device_type: device_type.to_owned(),
                    }
                })?;
                lines.push(line(
                    LineKind::Devices,
                    format!("按台 Devices under contract, {device_type}"),
                    count(assets.len()),
                    unit,
                    None,
                    Sources {
                        assets: assets.into_iter().collect(),
                        ..Sources::default()
                    },
                )?);
            }
        }
    }

    // On every model: emergency fee and travel, parts and take-away at cost, other items.
    let emergencies = of_kind(VisitKind::Emergency);
    if !emergencies.is_empty() {
        lines.push(line(
            LineKind::EmergencyFee,
            "紧急上门费 Emergency visit fee".to_owned(),
            count(emergencies.len()),
            terms.emergency_fee,
            None,
            Sources::of_visits(&emergencies),
        )?);
        for v in emergencies.iter().filter(|v| !v.travel_fee.is_zero()) {
            lines.push(line(
                LineKind::EmergencyTravel,
                format!(
                    "紧急上门交通费 Emergency travel fee, {} {}",
                    v.date, v.order
                ),
                1,
                v.travel_fee,
                None,
                Sources::of_visits(&[v]),
            )?);
        }
    }

    check_ids("parts", activity.parts.iter().map(|p| p.id.as_str()))?;
    let mut parts: Vec<(usize, &ApprovedPart)> = activity.parts.iter().enumerate().collect();
    parts.sort_by(|(_, a), (_, b)| (&a.order, &a.id).cmp(&(&b.order, &b.id)));
    for (i, p) in parts {
        price(&format!("parts[{i}].unit_cost"), p.unit_cost)?;
        let (unit, note) = if p.client_supplied {
            (Money::ZERO, " (客户自备 client-supplied)")
        } else {
            (p.unit_cost, "")
        };
        lines.push(line(
            LineKind::Part,
            format!("备件 Part: {}{note}", p.name),
            p.quantity,
            unit,
            None,
            Sources {
                orders: vec![p.order.clone()],
                items: vec![p.id.clone()],
                ..Sources::default()
            },
        )?);
    }

    check_ids(
        "take_away",
        activity.take_away.iter().map(|r| r.id.as_str()),
    )?;
    let mut repairs: Vec<(usize, &TakeAwayRepair)> =
        activity.take_away.iter().enumerate().collect();
    repairs.sort_by(|(_, a), (_, b)| (&a.order, &a.id).cmp(&(&b.order, &b.id)));
    for (i, r) in repairs {
        price(&format!("take_away[{i}].cost"), r.cost)?;
        lines.push(line(
            LineKind::TakeAwayRepair,
            format!("送修 Take-away repair: {}", r.description),
            1,
            r.cost,
            None,
            Sources {
                orders: vec![r.order.clone()],
                items: vec![r.id.clone()],
                assets: r.asset.iter().cloned().collect(),
                ..Sources::default()
            },
        )?);
    }

    check_ids("other", activity.other.iter().map(|o| o.id.as_str()))?;
    let mut others: Vec<(usize, &OtherItem)> = activity.other.iter().enumerate().collect();
    others.sort_by(|(_, a), (_, b)| (&a.order, &a.id).cmp(&(&b.order, &b.id)));
    for (i, o) in others {
        if !o.unit_price.is_whole_cents() {
            return Err(invalid(
                format!("other[{i}].unit_price"),
                "must be a whole number of cents",
            ));
        }
        lines.push(line(
            LineKind::Other,
            format!("其他 Other: {}", o.description),
            o.quantity,
            o.unit_price,
            None,
            Sources {
                orders: o.order.iter().cloned().collect(),
                items: vec![o.id.clone()],
                ..Sources::default()
            },
        )?);
    }

    let repeats = of_kind(VisitKind::Repeat);
    if !repeats.is_empty() {
        lines.push(StatementLine {
            kind: LineKind::RepeatVisits,
            description: "重复上门（不计费）Repeat visits, not billed".to_owned(),
            quantity: count(repeats.len()),
            unit_price: Money::ZERO,
            proration: None,
            amount: Money::ZERO,
            sources: Sources::of_visits(&repeats),
        });
    }

    let total =
        Money::checked_sum(lines.iter().map(|l| l.amount)).ok_or_else(|| overflow("total"))?;
    Ok(StatementDraft {
        month,
        covered,
        currency: terms.currency,
        counted_visits: count(counted.len()),
        lines,
        total,
    })
}
