//! The monthly service-level report as data: what the API answers, what a published report keeps
//! (as JSON), and what the page, the PDF and the workbook render. Percentages are decimal strings
//! (2 places, availability 4), absent when there is nothing to measure.

use serde::{Deserialize, Serialize};

use crate::service_levels::ServiceFigures;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceLevelReport {
    pub client_org_id: i64,
    pub client_name: String,
    /// YYYY-MM.
    pub month: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub to: jiff::Timestamp,
    /// Built while the month was still running: figures so far.
    pub running: bool,
    #[schema(value_type = String, format = DateTime)]
    pub built_at: jiff::Timestamp,
    /// Per catalog service: availability, stability and reliability against the targets, with
    /// the outages the figures were built from (ids and versions).
    pub availability: Vec<ServiceFigures>,
    pub attainment: Attainment,
    /// The breached clocks of the month with their reasons (at most 500 listed).
    pub breaches: Vec<Breach>,
    pub satisfaction: SatisfactionSection,
    pub failures: Failures,
    pub kpis: Kpis,
    /// SLA reviews held in the month, with their findings and plans.
    #[serde(default)]
    pub reviews: Vec<crate::reviews::Review>,
    /// The service-improvement plan's items still open or in progress (from every review held
    /// by the month's end), soonest due first.
    #[serde(default)]
    pub improvement_plan: Vec<crate::reviews::ImprovementItem>,
    /// The month's preventive maintenance: inspections planned, done, overdue, issues found,
    /// follow-up orders, assets never inspected (empty in reports drafted before plans existed).
    #[serde(default)]
    pub maintenance: crate::maintenance::inspections::MonthSummary,
    /// Self-service in the portal: fault reports an article answered, and reports made anyway
    /// after articles were shown (empty in reports drafted before the knowledge base).
    #[serde(default)]
    pub self_service: crate::articles::SelfService,
}

/// Met and breached clocks of one group.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Group {
    /// The priority (P1…), clock kind, or catalog item id ("" for orders without a service).
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub met: u64,
    pub breached: u64,
    pub total: u64,
    /// Met share, 2 places; none without clocks.
    pub percent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attainment {
    pub overall: Group,
    pub by_priority: Vec<Group>,
    /// Per clock kind: response, arrival, resolution.
    pub by_clock: Vec<Group>,
    pub by_service: Vec<Group>,
    pub breached: u64,
    /// Breaches nobody has explained yet.
    pub unexplained: u64,
    /// Breaches per reason code ("" for unexplained).
    pub by_reason: Vec<Count>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Breach {
    pub order_id: i64,
    pub number: String,
    pub subject: String,
    pub priority: String,
    /// response, arrival or resolution.
    pub clock: String,
    pub service: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stopped_at: Option<jiff::Timestamp>,
    /// Still running past its due when the report was built.
    pub open: bool,
    /// Minutes past due (wall clock).
    pub overrun_minutes: i64,
    /// A code of the short list, or "" while unexplained.
    pub reason: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub label_en: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RatingComment {
    pub order_id: i64,
    pub number: String,
    pub subject: String,
    pub rating: i64,
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SatisfactionSection {
    pub rated: u64,
    /// Rated 4 or 5.
    pub satisfied: u64,
    pub percent: Option<String>,
    /// 90: the service sheet's target.
    pub target_percent: u32,
    pub met: Option<bool>,
    pub mean: Option<String>,
    /// Orders rated 1, 2, 3, 4 and 5.
    pub by_rating: [u64; 5],
    pub comments: Vec<RatingComment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssetCount {
    pub asset_id: i64,
    pub tag: String,
    pub count: u64,
}

/// A fault that repeats an earlier one within 30 days.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Repeat {
    pub order_id: i64,
    pub number: String,
    pub subject: String,
    pub asset_tag: Option<String>,
    pub category: String,
    pub repeats_order_id: i64,
    pub repeats_number: String,
    /// same_asset or same_client_category.
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mtbf {
    pub asset_type: String,
    pub name: String,
    pub name_en: String,
    /// Assets of the type in the client's registry (not retired).
    pub units: u64,
    pub failures: u64,
    /// Operating hours per failure over the month; none without failures.
    pub mtbf_hours: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Failures {
    /// Faults reported this month (cancelled and refused requests are not faults).
    pub total: u64,
    pub by_category: Vec<Count>,
    /// Per failure cause named on the resolution ("" not yet named).
    pub by_cause: Vec<Count>,
    pub by_asset_type: Vec<Count>,
    /// Assets with more than one fault this month, most first (at most 20).
    pub top_assets: Vec<AssetCount>,
    pub repeats: Vec<Repeat>,
    /// Orders resolved this month, and their mean time from report to resolution.
    pub resolved: u64,
    pub mttr_minutes: Option<i64>,
    pub mtbf: Vec<Mtbf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendMonth {
    pub month: String,
    pub incidents: u64,
    pub attainment_percent: Option<String>,
    pub satisfaction_percent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Kpis {
    pub catalog_services: u64,
    /// Services with an availability target.
    pub monitored_services: u64,
    /// Underpinning contracts named on the client's outages.
    pub underpinning_contracts: u64,
    /// SLA reviews held in the month (none until reviews are recorded).
    pub reviews_held: Option<u64>,
    pub satisfaction_percent: Option<String>,
    pub attainment_percent: Option<String>,
    pub incidents: u64,
    /// Problems opened in the month that hold one of the client's orders, and change requests
    /// about the client raised in the month.
    pub problems: Option<u64>,
    pub changes: Option<u64>,
    /// The last 12 months, oldest first, ending with the report's month.
    pub trend: Vec<TrendMonth>,
}
