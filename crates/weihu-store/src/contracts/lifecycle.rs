//! A contract's life: create, change, activate, renew, terminate early (with the penalty quote), end at expiry, and which contract an order runs on.

use super::*;

pub(super) async fn check_refs(
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

pub(super) fn check_number(v: &str) -> Result<String> {
    let n = text("number", v, 64, true)?;
    if n.chars().any(char::is_whitespace) {
        return Err(StoreError::invalid("number", "must not contain spaces"));
    }
    Ok(n)
}

pub(super) fn notice_days(v: Option<i64>) -> Result<i64> {
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

/// What a contract in force changes only through an approved change request (kind `contract`,
/// its `proposal` naming these fields): the service it owes. Its dates and terms change by
/// amendment (a new contract), its title and internal note directly.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractChange {
    /// `0` clears it (the provider default applies).
    pub policy_id: Option<i64>,
    /// `0` clears it.
    pub calendar_id: Option<i64>,
    pub scope: Option<String>,
    pub resident_slot: Option<String>,
    pub notice_days: Option<i64>,
    pub auto_renew: Option<bool>,
}

impl ContractChange {
    fn patch(&self) -> ContractPatch {
        ContractPatch {
            policy_id: self.policy_id,
            calendar_id: self.calendar_id,
            scope: self.scope.clone(),
            resident_slot: self.resident_slot.clone(),
            notice_days: self.notice_days,
            auto_renew: self.auto_renew,
            ..ContractPatch::default()
        }
    }

    /// Reads a change request's proposal.
    pub fn parse(proposal: &Value) -> Result<Self> {
        let c: Self = serde_json::from_value(proposal.clone())
            .map_err(|e| StoreError::invalid("proposal", e.to_string()))?;
        if c.policy_id.is_none()
            && c.calendar_id.is_none()
            && c.scope.is_none()
            && c.resident_slot.is_none()
            && c.notice_days.is_none()
            && c.auto_renew.is_none()
        {
            return Err(StoreError::invalid(
                "proposal",
                "name at least one of: policy_id, calendar_id, scope, resident_slot, notice_days, auto_renew",
            ));
        }
        Ok(c)
    }
}

/// Why a direct edit of what a contract in force owes is refused.
pub const CONTRACT_IN_FORCE: &str = "this contract is in force: its SLA policy, calendar, scope and service terms change through a change request";

/// The contract as `patch` would leave it, every field checked (nothing written).
fn patched(current: &Contract, patch: &ContractPatch) -> Result<Contract> {
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
    Ok(next)
}

/// The first field a change request must carry that `next` changes, if any.
fn owed_change(current: &Contract, next: &Contract) -> Option<&'static str> {
    [
        ("policy_id", current.policy_id != next.policy_id),
        ("calendar_id", current.calendar_id != next.calendar_id),
        ("scope", current.scope != next.scope),
        ("resident_slot", current.resident_slot != next.resident_slot),
        ("notice_days", current.notice_days != next.notice_days),
        ("auto_renew", current.auto_renew != next.auto_renew),
    ]
    .into_iter()
    .find_map(|(field, changed)| changed.then_some(field))
}

/// Writes `next` over the contract read at `version`, with its audit row.
async fn write(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    current: &Contract,
    next: &Contract,
    version: i64,
    action: &str,
) -> Result<()> {
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
    .bind(current.id)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        conn,
        actor,
        Some(current.client_org_id),
        "contract",
        current.id,
        action,
        crate::diff(current, next),
    )
    .await?;
    Ok(())
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
    let next = patched(&current, patch)?;
    if current.status != "draft"
        && let Some(field) = owed_change(&current, &next)
    {
        return Err(StoreError::invalid(field, CONTRACT_IN_FORCE));
    }
    check_refs(
        store,
        current.client_org_id,
        next.policy_id,
        next.calendar_id,
    )
    .await?;
    let mut tx = store.pool.begin().await?;
    write(&mut tx, actor, &current, &next, version, "update").await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The contract now and as a change request's proposal would leave it, every field and
/// reference checked.
async fn proposed(store: &Store, id: i64, proposal: &Value) -> Result<(Contract, Contract)> {
    let current = get(store, &Actor::system(0), id).await?;
    let next = patched(&current, &ContractChange::parse(proposal)?.patch())?;
    check_refs(
        store,
        current.client_org_id,
        next.policy_id,
        next.calendar_id,
    )
    .await?;
    Ok((current, next))
}

/// Checks a contract change request's proposal against the contract as it is now.
pub(crate) async fn check_change(store: &Store, id: i64, proposal: &Value) -> Result<()> {
    proposed(store, id, proposal).await.map(|_| ())
}

/// Applies an implemented contract change request inside its transaction.
pub(crate) async fn apply_change(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: i64,
    proposal: &Value,
) -> Result<()> {
    let (current, next) = proposed(store, id, proposal).await?;
    write(conn, actor, &current, &next, current.version, "change").await
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

pub(super) async fn set_status(
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

pub(super) fn quote_of(contract: &Contract, q: &PenaltyQuote) -> TerminationQuote {
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
        "recorded_at": crate::ms_to_rfc3339(now_ms()),
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
