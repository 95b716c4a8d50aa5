//! Contracts (SPEC §7): the client's commercial terms, its SLA policy and calendar, its fixed
//! engineers, the devices a per-device contract covers, and early termination. The terms are a
//! [`ContractTerms`] document that the domain crate validates; this module stores it, scopes it to
//! the client, and decides which contract an order runs on.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::billing::{
    BillingError, ContractTerms, PenaltyQuote, Prepayment, termination_penalty,
};
use weihu_domain::calendar::Calendar;

use crate::orders::text;
use crate::page::Listing;
use crate::sql::{SqlBuf, like_pattern};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

mod billable;
mod devices;
mod engineers;
mod lifecycle;

pub use billable::*;
pub use devices::*;
pub use engineers::*;
pub use lifecycle::*;

/// Lifecycle of a contract. "In trial" is not a status: it is an active contract inside its
/// trial months, shown as `in_trial`.
pub const STATUSES: [&str; 4] = ["draft", "active", "terminating", "ended"];
/// A change of fixed engineer takes effect at the earliest this many days after it is announced.
pub const ENGINEER_NOTICE_DAYS: i64 = 15;
/// The zone contract days are counted in when the contract names no calendar.
pub const DEFAULT_ZONE: &str = "Asia/Shanghai";
/// The calendar whose working days count payment terms when the contract names none.
pub const DEFAULT_CALENDAR: &str = "中国 5×8";

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    pub number: String,
    pub title: String,
    /// draft, active, terminating, ended.
    pub status: String,
    /// Active and today inside the trial period (no termination penalty).
    pub in_trial: bool,
    /// Last day of the trial period.
    pub trial_end: Option<String>,
    /// per_visit, monthly_capped, monthly_unlimited, resident, per_device.
    pub pricing_model: String,
    pub start_date: String,
    pub end_date: String,
    /// The commercial terms: pricing (with `model`), emergency_fee, trial_months, penalty_rate,
    /// payment {first_invoice_months, then_every_months, due_working_days},
    /// committed_monthly_fee, currency. Money is a decimal string.
    #[schema(value_type = Object)]
    pub terms: Value,
    pub policy_id: Option<i64>,
    pub policy_name: Option<String>,
    pub calendar_id: Option<i64>,
    pub calendar_name: Option<String>,
    /// Covered services and assets, as agreed.
    pub scope: String,
    /// Weekly resident slot, e.g. "周三 09:00–12:00".
    pub resident_slot: String,
    pub notice_days: i64,
    pub auto_renew: bool,
    pub renewed_from: Option<i64>,
    /// Set once notice is given: notice date, by whom, why, the penalty quote.
    #[schema(value_type = Option<Object>)]
    pub termination: Option<Value>,
    /// Orders of this contract refused although in scope; two entitle the client to terminate.
    pub in_scope_refusals: i64,
    pub refusal_flag: bool,
    /// Provider-internal; `None` whenever a client-side actor reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_note: Option<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

impl Contract {
    /// The domain terms, as stored (validated when written).
    pub fn domain_terms(&self) -> Result<ContractTerms> {
        serde_json::from_value(self.terms.clone()).map_err(|e| StoreError::Format(e.to_string()))
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewContract {
    /// Required for provider staff.
    pub client_org_id: i64,
    pub number: String,
    #[serde(default)]
    pub title: String,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// `YYYY-MM-DD`, inclusive.
    pub end_date: String,
    /// See [`Contract::terms`]; `start`/`end` are taken from the dates above.
    #[schema(value_type = Object)]
    pub terms: Value,
    pub policy_id: Option<i64>,
    pub calendar_id: Option<i64>,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub resident_slot: String,
    pub notice_days: Option<i64>,
    #[serde(default)]
    pub auto_renew: bool,
    #[serde(default)]
    pub internal_note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ContractPatch {
    pub title: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub terms: Option<Value>,
    /// `0` clears it (the provider default applies).
    pub policy_id: Option<i64>,
    /// `0` clears it.
    pub calendar_id: Option<i64>,
    pub scope: Option<String>,
    pub resident_slot: Option<String>,
    pub notice_days: Option<i64>,
    pub auto_renew: Option<bool>,
    pub internal_note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub client_org_id: Option<i64>,
    pub status: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.client_org_id, o.name AS client_name, c.number, c.title, c.status, \
     c.pricing_model, c.start_date, c.end_date, c.terms, c.policy_id, p.name AS policy_name, \
     c.calendar_id, k.name AS calendar_name, c.scope, c.resident_slot, c.notice_days, c.auto_renew, \
     c.renewed_from, c.termination, c.internal_note, c.version, c.created_at, c.updated_at, \
     (SELECT count(*) FROM orders x WHERE x.contract_id = c.id AND x.state = 'refused' \
      AND x.refused_in_scope = 1) AS in_scope_refusals \
     FROM contracts c JOIN organizations o ON o.id = c.client_org_id \
     LEFT JOIN sla_policies p ON p.id = c.policy_id LEFT JOIN calendars k ON k.id = c.calendar_id";

fn from_row(r: &AnyRow, actor: &Actor) -> Result<Contract> {
    let terms_text: String = r.try_get("terms")?;
    let terms: Value =
        serde_json::from_str(&terms_text).map_err(|e| StoreError::Format(e.to_string()))?;
    let domain: Option<ContractTerms> = serde_json::from_value(terms.clone()).ok();
    let status: String = r.try_get("status")?;
    let trial_end = domain.as_ref().and_then(|t| t.trial_end().ok());
    let start: String = r.try_get("start_date")?;
    let today = today_in(DEFAULT_ZONE);
    let in_trial = status == "active"
        && trial_end.is_some_and(|end| today <= end)
        && parse_date("start_date", &start).is_ok_and(|s| s <= today);
    let termination: Option<String> = r.try_get("termination")?;
    let refusals: i64 = r.try_get("in_scope_refusals")?;
    Ok(Contract {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        status,
        in_trial,
        trial_end: trial_end.map(|d| d.to_string()),
        pricing_model: r.try_get("pricing_model")?,
        start_date: start,
        end_date: r.try_get("end_date")?,
        terms,
        policy_id: r.try_get("policy_id")?,
        policy_name: r.try_get("policy_name")?,
        calendar_id: r.try_get("calendar_id")?,
        calendar_name: r.try_get("calendar_name")?,
        scope: r.try_get("scope")?,
        resident_slot: r.try_get("resident_slot")?,
        notice_days: r.try_get("notice_days")?,
        auto_renew: r.try_get::<i64, _>("auto_renew")? != 0,
        renewed_from: r.try_get("renewed_from")?,
        termination: termination.and_then(|t| serde_json::from_str(&t).ok()),
        in_scope_refusals: refusals,
        refusal_flag: refusals >= crate::organizations::REFUSALS_FLAG,
        internal_note: if actor.is_client() {
            None
        } else {
            Some(r.try_get("internal_note")?)
        },
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// Today's date in a zone (the provider's default when the zone is unknown).
pub fn today_in(zone: &str) -> Date {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now().to_zoned_datetime(tz).date()
}

pub(crate) fn parse_date(field: &str, v: &str) -> Result<Date> {
    v.trim()
        .parse::<Date>()
        .map_err(|_| StoreError::invalid(field, "must be a date YYYY-MM-DD"))
}

/// A domain billing error, with the field path it names.
pub(crate) fn billing(prefix: &str, e: BillingError) -> StoreError {
    match &e {
        BillingError::InvalidField { field, reason } => {
            StoreError::invalid(format!("{prefix}{field}"), reason.clone())
        }
        BillingError::MissingRate { field, .. }
        | BillingError::MissingDevicePrice { field, .. }
        | BillingError::DateOutside { field, .. }
        | BillingError::Overflow { field } => {
            StoreError::invalid(format!("{prefix}{field}"), e.to_string())
        }
        BillingError::MonthOutsideContract { .. } => StoreError::invalid("month", e.to_string()),
        BillingError::NoWorkingDay { .. } => {
            StoreError::invalid(format!("{prefix}payment.due_working_days"), e.to_string())
        }
    }
}

/// Builds and validates the domain terms from the request's `terms` object and dates.
fn build_terms(terms: &Value, start: Date, end: Date) -> Result<ContractTerms> {
    let Value::Object(map) = terms else {
        return Err(StoreError::invalid("terms", "must be an object"));
    };
    let mut map = map.clone();
    map.insert("start".into(), json!(start.to_string()));
    map.insert("end".into(), json!(end.to_string()));
    let parsed: ContractTerms = serde_json::from_value(Value::Object(map)).map_err(|e| {
        let msg = e.to_string();
        // serde names the missing or bad field in its message; keep the path prefix stable.
        let field = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.contains("field"))
            .map(|f| format!("terms.{f}"))
            .unwrap_or_else(|| "terms".to_owned());
        StoreError::invalid(field, msg)
    })?;
    if end < start {
        return Err(StoreError::invalid(
            "end_date",
            "must not be before start_date",
        ));
    }
    parsed.validate().map_err(|e| billing("terms.", e))?;
    Ok(parsed)
}

fn model_name(terms: &ContractTerms) -> &'static str {
    use weihu_domain::billing::PricingModel as P;
    match terms.pricing {
        P::PerVisit { .. } => "per_visit",
        P::MonthlyCapped { .. } => "monthly_capped",
        P::MonthlyUnlimited { .. } => "monthly_unlimited",
        P::Resident { .. } => "resident",
        P::PerDevice { .. } => "per_device",
    }
}

fn may_read(actor: &Actor) -> Result<()> {
    if actor.role.can_read_contracts() {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

fn may_write(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_contracts() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only administrators and finance manage contracts",
        ))
    }
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &ContractFilter,
    params: &ListParams,
) -> Result<Page<Contract>> {
    if !actor.role.can_read_contracts() {
        return Err(StoreError::Forbidden("client users do not see contracts"));
    }
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(org) = actor.client_scope() {
        w.push(" AND c.client_org_id = ").bind(org);
        w.push(" AND c.status <> 'draft'");
    }
    if let Some(org) = filter.client_org_id {
        w.push(" AND c.client_org_id = ").bind(org);
    }
    if let Some(s) = &filter.status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(StoreError::invalid(
                "status",
                format!("must be one of: {}", STATUSES.join(", ")),
            ));
        }
        w.push(" AND c.status = ").bind(s.clone());
    }
    if let Some(q) = params.q() {
        let p = like_pattern(q);
        w.push(" AND (lower(c.number) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(c.title) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(o.name) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: SELECT,
        count: "SELECT count(*) FROM contracts c JOIN organizations o ON o.id = c.client_org_id",
        sorts: &[
            ("number", "c.number"),
            ("start_date", "c.start_date"),
            ("end_date", "c.end_date"),
            ("client", "o.name"),
            ("status", "c.status"),
        ],
        default_sort: "o.name, c.start_date DESC",
        id: "c.id",
    }
    .page(store, params, w, |r| from_row(r, actor))
    .await
}

/// Several contracts by id as the system sees them, in id order (jobs that price all of them).
pub(crate) async fn get_many(store: &Store, ids: &[i64]) -> Result<Vec<Contract>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = SqlBuf::new(&format!("{SELECT} WHERE c.id IN "));
    q.bind_list(ids).push(" ORDER BY c.id");
    let rows = q.query().fetch_all(&store.pool).await?;
    let system = Actor::system(0);
    rows.iter().map(|r| from_row(r, &system)).collect()
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Contract> {
    may_read(actor)?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let contract = from_row(&row, actor)?;
    if let Some(org) = actor.client_scope()
        && (org != contract.client_org_id || contract.status == "draft")
    {
        return Err(StoreError::NotFound);
    }
    Ok(contract)
}
