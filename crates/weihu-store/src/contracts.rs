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
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, ms_to_rfc3339, now_ms};

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
    pub created_at: String,
    pub updated_at: String,
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
        created_at: ms_to_rfc3339(r.try_get("created_at")?),
        updated_at: ms_to_rfc3339(r.try_get("updated_at")?),
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

async fn check_refs(
    store: &Store,
    client_org_id: i64,
    policy_id: Option<i64>,
    calendar_id: Option<i64>,
) -> Result<()> {
    let kind: Option<String> = sqlx::query_scalar("SELECT kind FROM organizations WHERE id = $1")
        .bind(client_org_id)
        .fetch_optional(&store.pool)
        .await?;
    if kind.as_deref() != Some("client") {
        return Err(StoreError::invalid(
            "client_org_id",
            "is not a client organisation",
        ));
    }
    if let Some(p) = policy_id {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sla_policies WHERE id = $1")
            .bind(p)
            .fetch_one(&store.pool)
            .await?;
        if n == 0 {
            return Err(StoreError::invalid("policy_id", "no such SLA policy"));
        }
    }
    if let Some(k) = calendar_id {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM calendars WHERE id = $1")
            .bind(k)
            .fetch_one(&store.pool)
            .await?;
        if n == 0 {
            return Err(StoreError::invalid("calendar_id", "no such calendar"));
        }
    }
    Ok(())
}

fn check_number(v: &str) -> Result<String> {
    let n = text("number", v, 64, true)?;
    if n.chars().any(char::is_whitespace) {
        return Err(StoreError::invalid("number", "must not contain spaces"));
    }
    Ok(n)
}

fn notice_days(v: Option<i64>) -> Result<i64> {
    match v {
        None => Ok(30),
        Some(d) if (0..=366).contains(&d) => Ok(d),
        Some(_) => Err(StoreError::invalid("notice_days", "must be 0 to 366")),
    }
}

pub async fn create(store: &Store, actor: &Actor, new: &NewContract) -> Result<Contract> {
    may_write(actor)?;
    let number = check_number(&new.number)?;
    let title = text("title", &new.title, 200, false)?;
    let start = parse_date("start_date", &new.start_date)?;
    let end = parse_date("end_date", &new.end_date)?;
    let terms = build_terms(&new.terms, start, end)?;
    let scope = text("scope", &new.scope, 5000, false)?;
    let slot = text("resident_slot", &new.resident_slot, 200, false)?;
    let note = text("internal_note", &new.internal_note, 5000, false)?;
    let notice = notice_days(new.notice_days)?;
    check_refs(store, new.client_org_id, new.policy_id, new.calendar_id).await?;
    let now = now_ms();
    let terms_json =
        serde_json::to_string(&terms).map_err(|e| StoreError::Format(e.to_string()))?;
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO contracts (client_org_id, number, title, status, pricing_model, start_date, end_date, \
         terms, policy_id, calendar_id, scope, resident_slot, notice_days, auto_renew, internal_note, \
         created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
    )
    .bind(new.client_org_id)
    .bind(number.clone())
    .bind(title)
    .bind(model_name(&terms))
    .bind(start.to_string())
    .bind(end.to_string())
    .bind(terms_json.clone())
    .bind(new.policy_id)
    .bind(new.calendar_id)
    .bind(scope)
    .bind(slot)
    .bind(notice)
    .bind(i64::from(new.auto_renew))
    .bind(note)
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(new.client_org_id),
        "contract",
        id,
        "create",
        json!({"number": number, "terms": terms}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    patch: &ContractPatch,
) -> Result<Contract> {
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    if current.status == "ended" {
        return Err(StoreError::invalid(
            "status",
            "an ended contract cannot change",
        ));
    }
    let mut next = current.clone();
    let commercial =
        patch.start_date.is_some() || patch.end_date.is_some() || patch.terms.is_some();
    if commercial && current.status != "draft" {
        // Issued statements were priced on these terms: a signed contract changes by amendment
        // (a new contract), not by rewriting the one in force.
        return Err(StoreError::invalid(
            "terms",
            "dates and terms change only while the contract is a draft",
        ));
    }
    if let Some(v) = &patch.title {
        next.title = text("title", v, 200, false)?;
    }
    let start = parse_date(
        "start_date",
        patch.start_date.as_deref().unwrap_or(&current.start_date),
    )?;
    let end = parse_date(
        "end_date",
        patch.end_date.as_deref().unwrap_or(&current.end_date),
    )?;
    let base_terms = patch.terms.clone().unwrap_or_else(|| current.terms.clone());
    let terms = build_terms(&base_terms, start, end)?;
    next.start_date = start.to_string();
    next.end_date = end.to_string();
    next.terms = serde_json::to_value(&terms).map_err(|e| StoreError::Format(e.to_string()))?;
    next.pricing_model = model_name(&terms).to_owned();
    if let Some(p) = patch.policy_id {
        next.policy_id = (p != 0).then_some(p);
    }
    if let Some(k) = patch.calendar_id {
        next.calendar_id = (k != 0).then_some(k);
    }
    if let Some(v) = &patch.scope {
        next.scope = text("scope", v, 5000, false)?;
    }
    if let Some(v) = &patch.resident_slot {
        next.resident_slot = text("resident_slot", v, 200, false)?;
    }
    if patch.notice_days.is_some() {
        next.notice_days = notice_days(patch.notice_days)?;
    }
    if let Some(a) = patch.auto_renew {
        next.auto_renew = a;
    }
    if let Some(v) = &patch.internal_note {
        next.internal_note = Some(text("internal_note", v, 5000, false)?);
    }
    check_refs(
        store,
        current.client_org_id,
        next.policy_id,
        next.calendar_id,
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE contracts SET title = $1, start_date = $2, end_date = $3, terms = $4, pricing_model = $5, \
         policy_id = $6, calendar_id = $7, scope = $8, resident_slot = $9, notice_days = $10, \
         auto_renew = $11, internal_note = $12, version = version + 1, updated_at = $13 \
         WHERE id = $14 AND version = $15",
    )
    .bind(next.title.clone())
    .bind(next.start_date.clone())
    .bind(next.end_date.clone())
    .bind(next.terms.to_string())
    .bind(next.pricing_model.clone())
    .bind(next.policy_id)
    .bind(next.calendar_id)
    .bind(next.scope.clone())
    .bind(next.resident_slot.clone())
    .bind(next.notice_days)
    .bind(i64::from(next.auto_renew))
    .bind(next.internal_note.clone().unwrap_or_default())
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(current.client_org_id),
        "contract",
        id,
        "update",
        crate::diff(&current, &next),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Puts a draft into force. Two contracts of one client in force on the same day would make
/// "the contract in force" ambiguous for new orders, so overlapping periods are refused.
pub async fn activate(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Contract> {
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    if current.status != "draft" {
        return Err(StoreError::invalid(
            "status",
            "only a draft can be activated",
        ));
    }
    let clash: Option<String> = sqlx::query_scalar(
        "SELECT number FROM contracts WHERE client_org_id = $1 AND id <> $2 \
         AND status IN ('active', 'terminating') AND start_date <= $3 AND end_date >= $4 LIMIT 1",
    )
    .bind(current.client_org_id)
    .bind(id)
    .bind(current.end_date.clone())
    .bind(current.start_date.clone())
    .fetch_optional(&store.pool)
    .await?;
    if let Some(other) = clash {
        return Err(StoreError::invalid(
            "start_date",
            format!("the period overlaps contract {other}, which is in force"),
        ));
    }
    set_status(store, actor, &current, version, "active", None, "activate").await
}

async fn set_status(
    store: &Store,
    actor: &Actor,
    current: &Contract,
    version: i64,
    status: &str,
    termination: Option<Value>,
    action: &str,
) -> Result<Contract> {
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE contracts SET status = $1, termination = COALESCE($2, termination), \
         version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(status.to_owned())
    .bind(termination.as_ref().map(Value::to_string))
    .bind(now_ms())
    .bind(current.id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(current.client_org_id),
        "contract",
        current.id,
        action,
        json!({"status": [current.status, status], "termination": termination}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, current.id).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TerminationRequest {
    /// `YYYY-MM-DD`; counts as a remaining day.
    pub notice_date: String,
    /// `client` or `provider`: the terminating party owes the penalty.
    pub by: String,
    #[serde(default)]
    pub reason: String,
    /// Last day the client has prepaid (for the trial-period refund), `YYYY-MM-DD`.
    pub paid_through: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TerminationQuote {
    pub notice_date: String,
    pub trial_end: String,
    pub in_trial: bool,
    /// Last day of service: the notice date plus the notice period, at most the contract end.
    pub effective_date: String,
    pub remaining_fees: String,
    pub rate: String,
    pub penalty: String,
    pub unused_prepaid: String,
    pub refund: String,
    /// The client may terminate without penalty after two in-scope refusals.
    pub refusal_flag: bool,
}

fn quote_of(contract: &Contract, q: &PenaltyQuote) -> TerminationQuote {
    let notice = q.notice_date;
    let end = parse_date("end_date", &contract.end_date).unwrap_or(notice);
    let effective = notice
        .checked_add(jiff::Span::new().days(contract.notice_days))
        .ok()
        .and_then(|d| d.yesterday().ok())
        .map_or(end, |d| d.min(end).max(notice));
    TerminationQuote {
        notice_date: notice.to_string(),
        trial_end: q.trial_end.to_string(),
        in_trial: q.in_trial,
        effective_date: effective.to_string(),
        remaining_fees: q.remaining_fees.to_string(),
        rate: q.rate.normalize().to_string(),
        penalty: q.penalty.to_string(),
        unused_prepaid: q.unused_prepaid.to_string(),
        refund: q.refund.to_string(),
        refusal_flag: contract.refusal_flag,
    }
}

/// The early-termination penalty for a notice date (SPEC §7), without changing anything.
pub async fn termination_quote(
    store: &Store,
    actor: &Actor,
    id: i64,
    notice_date: &str,
    paid_through: Option<&str>,
) -> Result<TerminationQuote> {
    let contract = get(store, actor, id).await?;
    let notice = parse_date("notice_date", notice_date)?;
    let prepaid = paid_through
        .map(|p| parse_date("paid_through", p).map(|d| Prepayment { paid_through: d }))
        .transpose()?;
    let terms = contract.domain_terms()?;
    let q = termination_penalty(&terms, notice, prepaid).map_err(|e| billing("", e))?;
    Ok(quote_of(&contract, &q))
}

/// Gives notice: records the quote and moves the contract to `terminating`.
pub async fn terminate(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    req: &TerminationRequest,
) -> Result<Contract> {
    let contract = get(store, actor, id).await?;
    may_write(actor)?;
    if contract.status != "active" {
        return Err(StoreError::invalid(
            "status",
            "only an active contract can be terminated",
        ));
    }
    let by = req.by.trim();
    if !matches!(by, "client" | "provider") {
        return Err(StoreError::invalid("by", "must be client or provider"));
    }
    let reason = text("reason", &req.reason, 2000, false)?;
    let quote = termination_quote(
        store,
        actor,
        id,
        &req.notice_date,
        req.paid_through.as_deref(),
    )
    .await?;
    // After two in-scope refusals the client terminates for cause: it owes no penalty.
    let waived = by == "client" && contract.refusal_flag;
    let record = json!({
        "notice_date": quote.notice_date,
        "effective_date": quote.effective_date,
        "by": by,
        "reason": reason,
        "quote": quote,
        "penalty_waived": waived,
        "recorded_at": ms_to_rfc3339(now_ms()),
    });
    set_status(
        store,
        actor,
        &contract,
        version,
        "terminating",
        Some(record),
        "terminate",
    )
    .await
}

/// Creates the next period's contract as a draft with the same terms (renewal).
pub async fn renew(store: &Store, actor: &Actor, id: i64) -> Result<Contract> {
    let c = get(store, actor, id).await?;
    may_write(actor)?;
    if c.status == "draft" {
        return Err(StoreError::invalid("status", "a draft cannot be renewed"));
    }
    let start = parse_date("start_date", &c.start_date)?;
    let end = parse_date("end_date", &c.end_date)?;
    let length = start
        .until((jiff::Unit::Month, end.tomorrow().unwrap_or(end)))
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let next_start = end
        .tomorrow()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let next_end = next_start
        .checked_add(length)
        .and_then(|d| d.yesterday())
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let new = NewContract {
        client_org_id: c.client_org_id,
        number: format!("{}-R", c.number),
        title: c.title.clone(),
        start_date: next_start.to_string(),
        end_date: next_end.to_string(),
        terms: c.terms.clone(),
        policy_id: c.policy_id,
        calendar_id: c.calendar_id,
        scope: c.scope.clone(),
        resident_slot: c.resident_slot.clone(),
        notice_days: Some(c.notice_days),
        auto_renew: c.auto_renew,
        internal_note: c.internal_note.clone().unwrap_or_default(),
    };
    let created = create(store, actor, &new).await?;
    sqlx::query("UPDATE contracts SET renewed_from = $1 WHERE id = $2")
        .bind(id)
        .bind(created.id)
        .execute(&store.pool)
        .await?;
    get(store, actor, created.id).await
}

/// Moves contracts past their end (or their termination's effective date) to `ended`.
/// Idempotent, so several instances may run it.
pub async fn end_expired(store: &Store) -> Result<u64> {
    let today = today_in(DEFAULT_ZONE).to_string();
    let rows = sqlx::query(
        "SELECT id, client_org_id, termination FROM contracts \
         WHERE status IN ('active', 'terminating')",
    )
    .fetch_all(&store.pool)
    .await?;
    let mut ended = 0;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let termination: Option<String> = r.try_get("termination")?;
        let effective = termination
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["effective_date"].as_str().map(str::to_owned));
        let done = sqlx::query(
            "UPDATE contracts SET status = 'ended', version = version + 1, updated_at = $1 \
             WHERE id = $2 AND status IN ('active', 'terminating') AND (end_date < $3 OR ($4 <> '' AND $4 < $3))",
        )
        .bind(now_ms())
        .bind(id)
        .bind(today.clone())
        .bind(effective.unwrap_or_default())
        .execute(&store.pool)
        .await?;
        ended += done.rows_affected();
    }
    Ok(ended)
}

/// The contract in force for a client today, if any: what a new order runs on.
pub(crate) async fn in_force(
    store: &Store,
    client_org_id: i64,
) -> Result<Option<(i64, Option<i64>)>> {
    let today = today_in(DEFAULT_ZONE).to_string();
    let row = sqlx::query(
        "SELECT id, policy_id FROM contracts WHERE client_org_id = $1 \
         AND status IN ('active', 'terminating') AND start_date <= $2 AND end_date >= $2 \
         ORDER BY start_date DESC, id DESC LIMIT 1",
    )
    .bind(client_org_id)
    .bind(today)
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| Ok((r.try_get("id")?, r.try_get("policy_id")?)))
        .transpose()
}

/// The calendar a contract's working days are counted on (payment due dates).
pub async fn working_calendar(store: &Store, contract: &Contract) -> Result<Calendar> {
    let name = contract
        .calendar_name
        .clone()
        .unwrap_or_else(|| DEFAULT_CALENDAR.to_owned());
    match crate::calendars::resolve(store, &name).await? {
        Some(c) => Ok(c),
        None => Calendar::five_by_8(DEFAULT_ZONE).map_err(|e| StoreError::Format(e.to_string())),
    }
}

// ---- fixed engineers, devices, resident days, other billable items ----

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractEngineer {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub from_date: String,
    pub until_date: Option<String>,
    pub announced_at: String,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewContractEngineer {
    pub user_id: i64,
    /// First day; on a contract in force at least 15 days after today.
    pub from_date: String,
    /// The engineer this one replaces (their assignment ends the day before).
    pub replaces_user_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

pub async fn engineers(store: &Store, actor: &Actor, id: i64) -> Result<Vec<ContractEngineer>> {
    get(store, actor, id).await?;
    let rows = sqlx::query(
        "SELECT e.id, e.user_id, u.display_name, e.from_date, e.until_date, e.announced_at, e.note \
         FROM contract_engineers e JOIN users u ON u.id = e.user_id WHERE e.contract_id = $1 \
         ORDER BY e.from_date, e.id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ContractEngineer {
                id: r.try_get("id")?,
                user_id: r.try_get("user_id")?,
                display_name: r.try_get("display_name")?,
                from_date: r.try_get("from_date")?,
                until_date: r.try_get("until_date")?,
                announced_at: ms_to_rfc3339(r.try_get("announced_at")?),
                note: r.try_get("note")?,
            })
        })
        .collect()
}

async fn provider_engineer(store: &Store, user_id: i64, field: &str) -> Result<()> {
    let role: Option<String> = sqlx::query_scalar(
        "SELECT u.role FROM users u JOIN organizations o ON o.id = u.org_id \
         WHERE u.id = $1 AND o.kind = 'provider' AND u.active = 1",
    )
    .bind(user_id)
    .fetch_optional(&store.pool)
    .await?;
    match role.as_deref() {
        Some("engineer" | "dispatcher" | "admin") => Ok(()),
        _ => Err(StoreError::invalid(
            field,
            "is not an active provider engineer",
        )),
    }
}

/// Names a fixed engineer. On a contract in force, a change must be announced 15 days ahead.
pub async fn add_engineer(
    store: &Store,
    actor: &Actor,
    id: i64,
    new: &NewContractEngineer,
) -> Result<Vec<ContractEngineer>> {
    let contract = get(store, actor, id).await?;
    may_write(actor)?;
    provider_engineer(store, new.user_id, "user_id").await?;
    let from = parse_date("from_date", &new.from_date)?;
    let note = text("note", &new.note, 1000, false)?;
    if contract.status != "draft" {
        let earliest = today_in(DEFAULT_ZONE)
            .checked_add(jiff::Span::new().days(ENGINEER_NOTICE_DAYS))
            .map_err(|e| StoreError::Format(e.to_string()))?;
        if from < earliest {
            return Err(StoreError::invalid(
                "from_date",
                format!(
                    "a change of fixed engineer is announced {ENGINEER_NOTICE_DAYS} days ahead: the earliest is {earliest}"
                ),
            ));
        }
    }
    let mut tx = store.pool.begin().await?;
    if let Some(old) = new.replaces_user_id {
        let until = from
            .yesterday()
            .map_err(|e| StoreError::Format(e.to_string()))?;
        let done = sqlx::query(
            "UPDATE contract_engineers SET until_date = $1 WHERE contract_id = $2 AND user_id = $3 \
             AND until_date IS NULL",
        )
        .bind(until.to_string())
        .bind(id)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::invalid(
                "replaces_user_id",
                "is not a current fixed engineer of this contract",
            ));
        }
    }
    sqlx::query(
        "INSERT INTO contract_engineers (contract_id, user_id, from_date, announced_at, note) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(new.user_id)
    .bind(from.to_string())
    .bind(now_ms())
    .bind(note)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(contract.client_org_id),
        "contract",
        id,
        "engineer",
        json!({"user_id": new.user_id, "from_date": from.to_string(), "replaces": new.replaces_user_id}),
    )
    .await?;
    tx.commit().await?;
    engineers(store, actor, id).await
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractDevice {
    #[serde(default)]
    pub id: i64,
    /// A key of the contract's per-device prices, e.g. `pc`, `printer`, `server`.
    pub device_type: String,
    pub asset_tag: String,
    /// `YYYY-MM-DD`.
    pub from_date: String,
    /// `YYYY-MM-DD`; none while covered.
    pub until_date: Option<String>,
}

pub async fn devices(store: &Store, actor: &Actor, id: i64) -> Result<Vec<ContractDevice>> {
    get(store, actor, id).await?;
    let rows = sqlx::query(
        "SELECT id, device_type, asset_tag, from_date, until_date FROM contract_devices \
         WHERE contract_id = $1 ORDER BY device_type, asset_tag, id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ContractDevice {
                id: r.try_get("id")?,
                device_type: r.try_get("device_type")?,
                asset_tag: r.try_get("asset_tag")?,
                from_date: r.try_get("from_date")?,
                until_date: r.try_get("until_date")?,
            })
        })
        .collect()
}

/// Puts a device under a per-device contract, or (same tag, `until_date` set) takes it off.
pub async fn put_device(
    store: &Store,
    actor: &Actor,
    id: i64,
    d: &ContractDevice,
) -> Result<Vec<ContractDevice>> {
    let contract = get(store, actor, id).await?;
    may_write(actor)?;
    let terms = contract.domain_terms()?;
    let weihu_domain::billing::PricingModel::PerDevice { monthly_prices } = &terms.pricing else {
        return Err(StoreError::invalid(
            "device_type",
            "only a per-device contract lists devices",
        ));
    };
    let device_type = text("device_type", &d.device_type, 64, true)?;
    if !monthly_prices.contains_key(&device_type) {
        let known: Vec<&str> = monthly_prices.keys().map(String::as_str).collect();
        return Err(StoreError::invalid(
            "device_type",
            format!(
                "the contract has no price for it; priced types: {}",
                known.join(", ")
            ),
        ));
    }
    let tag = text("asset_tag", &d.asset_tag, 64, true)?;
    let from = parse_date("from_date", &d.from_date)?;
    let until = d
        .until_date
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_date("until_date", s))
        .transpose()?;
    if until.is_some_and(|u| u < from) {
        return Err(StoreError::invalid(
            "until_date",
            "must not be before from_date",
        ));
    }
    let mut tx = store.pool.begin().await?;
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM contract_devices WHERE contract_id = $1 AND asset_tag = $2 AND until_date IS NULL",
    )
    .bind(id)
    .bind(tag.clone())
    .fetch_optional(&mut *tx)
    .await?;
    match existing {
        Some(row) => {
            sqlx::query(
                "UPDATE contract_devices SET device_type = $1, from_date = $2, until_date = $3 WHERE id = $4",
            )
            .bind(device_type.clone())
            .bind(from.to_string())
            .bind(until.map(|u| u.to_string()))
            .bind(row)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO contract_devices (contract_id, device_type, asset_tag, from_date, until_date) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(device_type.clone())
            .bind(tag.clone())
            .bind(from.to_string())
            .bind(until.map(|u| u.to_string()))
            .execute(&mut *tx)
            .await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        Some(contract.client_org_id),
        "contract",
        id,
        "device",
        json!({"asset_tag": tag, "device_type": device_type, "from": from.to_string(), "until": until.map(|u| u.to_string())}),
    )
    .await?;
    tx.commit().await?;
    devices(store, actor, id).await
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewResidentDay {
    pub user_id: i64,
    /// `YYYY-MM-DD`, inside the contract period.
    pub work_date: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResidentDay {
    pub id: i64,
    pub user_id: i64,
    pub display_name: String,
    pub work_date: String,
    pub note: String,
}

/// Records a day a resident engineer worked on site.
pub async fn add_resident_day(
    store: &Store,
    actor: &Actor,
    id: i64,
    new: &NewResidentDay,
) -> Result<ResidentDay> {
    let contract = get(store, actor, id).await?;
    if !actor.role.can_record_resident_days() {
        return Err(StoreError::Forbidden(
            "only administrators, dispatchers and finance record resident days",
        ));
    }
    if contract.pricing_model != "resident" {
        return Err(StoreError::invalid(
            "work_date",
            "only a resident contract records resident days",
        ));
    }
    provider_engineer(store, new.user_id, "user_id").await?;
    let day = parse_date("work_date", &new.work_date)?;
    in_period(&contract, day, "work_date")?;
    let note = text("note", &new.note, 1000, false)?;
    let mut tx = store.pool.begin().await?;
    let rid: i64 = sqlx::query_scalar(
        "INSERT INTO resident_days (contract_id, user_id, work_date, note, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id)
    .bind(new.user_id)
    .bind(day.to_string())
    .bind(note.clone())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(contract.client_org_id),
        "contract",
        id,
        "resident_day",
        json!({"user_id": new.user_id, "work_date": day.to_string()}),
    )
    .await?;
    tx.commit().await?;
    let name: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(new.user_id)
        .fetch_one(&store.pool)
        .await?;
    Ok(ResidentDay {
        id: rid,
        user_id: new.user_id,
        display_name: name,
        work_date: day.to_string(),
        note,
    })
}

fn in_period(contract: &Contract, day: Date, field: &str) -> Result<()> {
    let start = parse_date("start_date", &contract.start_date)?;
    let end = parse_date("end_date", &contract.end_date)?;
    if day < start || day > end {
        return Err(StoreError::invalid(
            field,
            format!("must lie in the contract period {start} to {end}"),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewBillableItem {
    /// `YYYY-MM-DD`: the month it is billed on.
    pub item_date: String,
    pub description: String,
    pub quantity: Option<i64>,
    /// Decimal string, e.g. "800.00".
    pub unit_price: String,
    /// Number of the order it belongs to, if any, e.g. `SO-2026-000123`.
    pub order_number: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BillableItem {
    pub id: i64,
    pub item_date: String,
    pub description: String,
    pub quantity: i64,
    pub unit_price: String,
    pub order_number: Option<String>,
}

/// Records another billable item (data recovery, cabling…) on the contract.
pub async fn add_item(
    store: &Store,
    actor: &Actor,
    id: i64,
    new: &NewBillableItem,
) -> Result<BillableItem> {
    let contract = get(store, actor, id).await?;
    may_write(actor)?;
    let day = parse_date("item_date", &new.item_date)?;
    in_period(&contract, day, "item_date")?;
    let description = text("description", &new.description, 500, true)?;
    let quantity = new.quantity.unwrap_or(1);
    if !(1..=100_000).contains(&quantity) {
        return Err(StoreError::invalid("quantity", "must be 1 to 100000"));
    }
    let price = weihu_domain::money::Money::parse(new.unit_price.trim())
        .map_err(|e| StoreError::invalid("unit_price", e.to_string()))?;
    if price.is_negative() || !price.is_whole_cents() {
        return Err(StoreError::invalid(
            "unit_price",
            "must be a non-negative amount in whole cents",
        ));
    }
    let order_id = match new
        .order_number
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(n) => Some(
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM orders WHERE number = $1 AND client_org_id = $2",
            )
            .bind(n.to_owned())
            .bind(contract.client_org_id)
            .fetch_optional(&store.pool)
            .await?
            .ok_or_else(|| StoreError::invalid("order_number", "no such order of this client"))?,
        ),
    };
    let mut tx = store.pool.begin().await?;
    let item_id: i64 = sqlx::query_scalar(
        "INSERT INTO billable_items (contract_id, order_id, item_date, description, quantity, unit_price, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(id)
    .bind(order_id)
    .bind(day.to_string())
    .bind(description.clone())
    .bind(quantity)
    .bind(price.to_string())
    .bind(actor.audit_id())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(contract.client_org_id),
        "contract",
        id,
        "billable_item",
        json!({"item": item_id, "description": description, "quantity": quantity, "unit_price": price.to_string()}),
    )
    .await?;
    tx.commit().await?;
    Ok(BillableItem {
        id: item_id,
        item_date: day.to_string(),
        description,
        quantity,
        unit_price: price.to_string(),
        order_number: new.order_number.clone(),
    })
}
