//! Change requests (issue #14, SPEC §9): proposed, assessed (risk, impact, rollback), approved
//! or rejected, consented to by the client's administrator where the domain says so, and
//! implemented. An implemented SLA change adds the proposed version to the policy in the same
//! transaction, on or after its effective date (the month-end job implements approved ones when
//! the date comes). The rules are the domain's ([`weihu_domain::change`]); this module loads,
//! checks what only the database knows, and saves, each step with its audit row.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use weihu_domain::change::{self, ChangeKind, ChangeRefusal, ChangeState, ChangeStep};
use weihu_domain::role::Role;

use crate::sql::SqlBuf;
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

/// Risk levels of an assessment.
pub const RISKS: [&str; 3] = ["low", "medium", "high"];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeRequest {
    pub id: i64,
    /// sla_policy, contract or technical.
    pub kind: String,
    pub client_org_id: Option<i64>,
    pub client_name: Option<String>,
    pub policy_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub title: String,
    pub description: String,
    /// For an SLA change: the policy definition proposed (as `/api/v1/sla-policies` takes it).
    /// For a contract change: the fields it changes (`policy_id`, `calendar_id`, `scope`,
    /// `resident_slot`, `notice_days`, `auto_renew`), applied when implemented.
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<Value>,
    /// low, medium or high, once assessed.
    pub risk: Option<String>,
    pub impact: String,
    pub rollback: String,
    /// YYYY-MM-DD: not implemented before.
    pub effective_from: Option<String>,
    /// proposed, assessed, awaiting_consent, approved, rejected, implemented, cancelled.
    pub state: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approved_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub consent_at: Option<jiff::Timestamp>,
    pub decision_note: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub implemented_at: Option<jiff::Timestamp>,
    /// The policy version an implemented SLA change created.
    pub implemented_version: Option<i64>,
    /// What the reader may do now: assess, approve, consent, reject, implement, cancel.
    pub steps: Vec<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewChange {
    /// sla_policy, contract or technical.
    pub kind: String,
    /// The client whose SLA, contract or systems change (derived from the contract for a
    /// contract change; none for the provider's default policy).
    #[serde(default)]
    pub client_org_id: Option<i64>,
    /// For an SLA change: the policy.
    #[serde(default)]
    pub policy_id: Option<i64>,
    /// For a contract change: the contract.
    #[serde(default)]
    pub contract_id: Option<i64>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// For an SLA change: the new policy definition (checked now, added as a version when
    /// implemented). For a contract change: the fields it changes (see
    /// [`crate::contracts::ContractChange`]), checked now and applied when implemented.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<Value>,
    /// YYYY-MM-DD; default: as soon as approved.
    #[serde(default)]
    pub effective_from: Option<String>,
}

/// One step of a change, with its version as read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ChangeStepRequest {
    pub version: i64,
    /// assess, approve, consent, reject, implement, cancel.
    pub action: String,
    /// For `assess`: low, medium or high.
    #[serde(default)]
    pub risk: Option<String>,
    /// For `assess`: what it touches, and how to undo it.
    #[serde(default)]
    pub impact: String,
    #[serde(default)]
    pub rollback: String,
    /// Why (required to reject).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ChangeFilter {
    pub client_org_id: Option<i64>,
    pub state: Option<String>,
    pub kind: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.kind, c.client_org_id, g.name AS client_name, c.policy_id, c.contract_id, c.title, \
     c.description, c.proposal, c.risk, c.impact, c.rollback, c.effective_from, c.state, c.approved_at, c.consent_at, \
     c.decision_note, c.implemented_at, c.implemented_version, c.version, c.created_at \
     FROM change_requests c LEFT JOIN organizations g ON g.id = c.client_org_id";

fn kind_of(s: &str) -> Result<ChangeKind> {
    ChangeKind::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: "change kind",
        value: s.to_owned(),
    })
}

fn state_of(s: &str) -> Result<ChangeState> {
    ChangeState::parse(s).ok_or_else(|| StoreError::Corrupt {
        what: "change state",
        value: s.to_owned(),
    })
}

fn from_row(r: &sqlx::any::AnyRow, actor: &Actor) -> Result<ChangeRequest> {
    let kind: String = r.try_get("kind")?;
    let state: String = r.try_get("state")?;
    let client: Option<i64> = r.try_get("client_org_id")?;
    let proposal: Option<String> = r.try_get("proposal")?;
    let steps = change::steps(
        actor.role,
        kind_of(&kind)?,
        client.is_some(),
        state_of(&state)?,
    )
    .into_iter()
    .map(|s| s.as_str().to_owned())
    .collect();
    Ok(ChangeRequest {
        id: r.try_get("id")?,
        kind,
        client_org_id: client,
        client_name: r.try_get("client_name")?,
        policy_id: r.try_get("policy_id")?,
        contract_id: r.try_get("contract_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        proposal: proposal.and_then(|p| serde_json::from_str(&p).ok()),
        risk: r.try_get("risk")?,
        impact: r.try_get("impact")?,
        rollback: r.try_get("rollback")?,
        effective_from: r.try_get("effective_from")?,
        state,
        approved_at: r.try_get::<Option<i64>, _>("approved_at")?.map(instant),
        consent_at: r.try_get::<Option<i64>, _>("consent_at")?.map(instant),
        decision_note: r.try_get("decision_note")?,
        implemented_at: r.try_get::<Option<i64>, _>("implemented_at")?.map(instant),
        implemented_version: r.try_get("implemented_version")?,
        steps,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
    })
}

/// Client users see no change requests; a client's administrator sees its own client's.
fn hidden(actor: &Actor) -> bool {
    actor.role.is_client_side() && actor.role != Role::ClientAdmin
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<ChangeRequest> {
    if hidden(actor) {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let c = from_row(&row, actor)?;
    if let Some(own) = actor.client_scope()
        && c.client_org_id != Some(own)
    {
        return Err(StoreError::NotFound);
    }
    Ok(c)
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &ChangeFilter,
    params: &ListParams,
) -> Result<Page<ChangeRequest>> {
    if hidden(actor) {
        return Ok(Page::new(Vec::new(), 0, 0));
    }
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(c) = actor.client_scope().or(f.client_org_id) {
        w.push(" AND c.client_org_id = ").bind(c);
    }
    if let Some(s) = f.state.as_deref().filter(|s| !s.is_empty()) {
        let s = ChangeState::parse(s).ok_or_else(|| {
            StoreError::invalid("state", "must be one of: proposed, assessed, awaiting_consent, approved, rejected, implemented, cancelled")
        })?;
        w.push(" AND c.state = ").bind(s.as_str().to_owned());
    }
    if let Some(k) = f.kind.as_deref().filter(|s| !s.is_empty()) {
        let k = ChangeKind::parse(k).ok_or_else(|| {
            StoreError::invalid("kind", "must be one of: sla_policy, contract, technical")
        })?;
        w.push(" AND c.kind = ").bind(k.as_str().to_owned());
    }
    crate::page::Listing {
        select: SELECT,
        count: "SELECT count(*) FROM change_requests c",
        sorts: &[("created_at", "c.created_at"), ("state", "c.state")],
        default_sort: "c.created_at DESC",
        id: "c.id",
    }
    .page(store, params, w, |r| from_row(r, actor))
    .await
}

/// A date as entered, checked and written back as `YYYY-MM-DD`.
fn date(field: &str, v: &str) -> Result<String> {
    crate::contracts::parse_date(field, v).map(|d| d.to_string())
}

/// Proposes a change.
pub async fn create(store: &Store, actor: &Actor, new: &NewChange) -> Result<ChangeRequest> {
    let kind = ChangeKind::parse(new.kind.trim()).ok_or_else(|| {
        StoreError::invalid("kind", "must be one of: sla_policy, contract, technical")
    })?;
    if !change::may_propose(actor.role, kind) {
        return Err(StoreError::Forbidden(
            "your role does not propose this kind of change",
        ));
    }
    let title = crate::orders::text("title", &new.title, 200, true)?;
    let description = crate::orders::text("description", &new.description, 20_000, false)?;
    let effective_from = match new
        .effective_from
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        Some(d) => Some(date("effective_from", d)?),
        None => None,
    };
    let mut client = new.client_org_id;
    let (mut policy, mut contract, mut proposal) = (None, None, None);
    match kind {
        ChangeKind::SlaPolicy => {
            let id = new
                .policy_id
                .ok_or_else(|| StoreError::invalid("policy_id", "name the SLA policy to change"))?;
            let current: Option<i64> =
                sqlx::query_scalar("SELECT current_version FROM sla_policies WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&store.pool)
                    .await?;
            let current =
                current.ok_or_else(|| StoreError::invalid("policy_id", "no such SLA policy"))?;
            let def = new.proposal.as_ref().ok_or_else(|| {
                StoreError::invalid("proposal", "propose the new policy definition")
            })?;
            // Checked now, so an approval never meets a definition that cannot be a version.
            crate::calendars::check_policy(store, def, current + 1)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid { field, message } => StoreError::Invalid {
                        field: field.replacen("definition", "proposal", 1),
                        message,
                    },
                    e => e,
                })?;
            policy = Some(id);
            proposal = Some(def.to_string());
        }
        ChangeKind::Contract => {
            let id = new
                .contract_id
                .ok_or_else(|| StoreError::invalid("contract_id", "name the contract to change"))?;
            let owner: Option<i64> =
                sqlx::query_scalar("SELECT client_org_id FROM contracts WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&store.pool)
                    .await?;
            client =
                Some(owner.ok_or_else(|| StoreError::invalid("contract_id", "no such contract"))?);
            contract = Some(id);
            // What it would change (policy, calendar, scope…), checked now like an SLA proposal;
            // none for a change agreed in words only.
            if let Some(p) = new.proposal.as_ref().filter(|p| !p.is_null()) {
                crate::contracts::check_change(store, id, p).await?;
                proposal = Some(p.to_string());
            }
        }
        ChangeKind::Technical => {
            if client.is_none() {
                return Err(StoreError::invalid(
                    "client_org_id",
                    "name the client whose systems change",
                ));
            }
        }
    }
    if let Some(c) = client {
        check_client(store, c).await?;
    }
    let mut tx = store.pool.begin().await?;
    let id = insert(
        &mut tx,
        actor,
        &Proposed {
            kind,
            client,
            policy,
            contract,
            title: &title,
            description: &description,
            proposal,
            effective_from,
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// A change names a client organisation (422 on `client_org_id` otherwise).
pub(crate) async fn check_client(store: &Store, client: i64) -> Result<()> {
    let k: Option<String> = sqlx::query_scalar("SELECT kind FROM organizations WHERE id = $1")
        .bind(client)
        .fetch_optional(&store.pool)
        .await?;
    if k.as_deref() == Some("client") {
        Ok(())
    } else {
        Err(StoreError::invalid("client_org_id", "no such client"))
    }
}

/// A change checked and ready to be written.
pub(crate) struct Proposed<'a> {
    pub kind: ChangeKind,
    pub client: Option<i64>,
    pub policy: Option<i64>,
    pub contract: Option<i64>,
    pub title: &'a str,
    pub description: &'a str,
    pub proposal: Option<String>,
    pub effective_from: Option<String>,
}

/// Writes a proposed change and its audit row inside the caller's transaction (a problem's fix
/// raises one in the transaction that links it).
pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    p: &Proposed<'_>,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO change_requests (kind, client_org_id, policy_id, contract_id, title, description, proposal, \
         effective_from, state, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'proposed', $9, $10, $10) RETURNING id",
    )
    .bind(p.kind.as_str())
    .bind(p.client)
    .bind(p.policy)
    .bind(p.contract)
    .bind(p.title.to_owned())
    .bind(p.description.to_owned())
    .bind(p.proposal.clone())
    .bind(p.effective_from.clone())
    .bind((actor.user_id > 0).then_some(actor.user_id))
    .bind(now_ms())
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        p.client,
        "change_request",
        id,
        "propose",
        json!({"kind": p.kind.as_str(), "title": p.title}),
    )
    .await?;
    Ok(id)
}

fn today(store: &Store) -> String {
    jiff::Timestamp::now()
        .to_zoned_datetime(store.time_zone().clone())
        .date()
        .to_string()
}

/// Takes one step of a change.
pub async fn step(
    store: &Store,
    actor: &Actor,
    id: i64,
    s: &ChangeStepRequest,
) -> Result<ChangeRequest> {
    let c = get(store, actor, id).await?;
    let action = ChangeStep::parse(s.action.trim()).ok_or_else(|| {
        StoreError::invalid(
            "action",
            "must be one of: assess, approve, consent, reject, implement, cancel",
        )
    })?;
    let kind = kind_of(&c.kind)?;
    let to = change::next(
        actor.role,
        kind,
        c.client_org_id.is_some(),
        state_of(&c.state)?,
        action,
    )
    .map_err(|e| match e {
        ChangeRefusal::Role(m) => StoreError::Forbidden(m),
        ChangeRefusal::State(m) => StoreError::invalid("action", m),
    })?;
    if s.version != c.version {
        return Err(StoreError::Conflict { current: c.version });
    }
    let note = crate::orders::text("note", &s.note, 2000, action == ChangeStep::Reject)?;
    let (mut risk, mut impact, mut rollback) =
        (c.risk.clone(), c.impact.clone(), c.rollback.clone());
    if action == ChangeStep::Assess {
        let r = s.risk.as_deref().map(str::trim).unwrap_or_default();
        if !RISKS.contains(&r) {
            return Err(StoreError::invalid(
                "risk",
                "must be one of: low, medium, high",
            ));
        }
        risk = Some(r.to_owned());
        impact = crate::orders::text("impact", &s.impact, 5000, true)?;
        rollback = crate::orders::text("rollback", &s.rollback, 5000, true)?;
    }
    if action == ChangeStep::Implement
        && let Some(from) = &c.effective_from
        && *from > today(store)
    {
        return Err(StoreError::invalid(
            "effective_from",
            format!("the change takes effect on {from}"),
        ));
    }
    let now = now_ms();
    let me = (actor.user_id > 0).then_some(actor.user_id);
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE change_requests SET state = $1, risk = $2, impact = $3, rollback = $4, \
         approved_by = CASE WHEN $5 = 1 THEN $6 ELSE approved_by END, approved_at = CASE WHEN $5 = 1 THEN $7 ELSE approved_at END, \
         consent_by = CASE WHEN $8 = 1 THEN $6 ELSE consent_by END, consent_at = CASE WHEN $8 = 1 THEN $7 ELSE consent_at END, \
         decision_note = CASE WHEN $9 = '' THEN decision_note ELSE $9 END, \
         implemented_at = CASE WHEN $10 = 1 THEN $7 ELSE implemented_at END, \
         version = version + 1, updated_at = $7 WHERE id = $11 AND version = $12",
    )
    .bind(to.as_str())
    .bind(risk)
    .bind(impact)
    .bind(rollback)
    .bind(i64::from(action == ChangeStep::Approve))
    .bind(me)
    .bind(now)
    .bind(i64::from(action == ChangeStep::Consent))
    .bind(note.clone())
    .bind(i64::from(action == ChangeStep::Implement))
    .bind(id)
    .bind(s.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict { current: c.version });
    }
    let mut data = json!({"from": c.state, "to": to.as_str()});
    if !note.is_empty() {
        data["note"] = json!(note);
    }
    if action == ChangeStep::Implement && kind == ChangeKind::SlaPolicy {
        let (Some(policy), Some(def)) = (c.policy_id, c.proposal.as_ref()) else {
            return Err(StoreError::Corrupt {
                what: "SLA change request",
                value: format!("{id} has no policy or proposal"),
            });
        };
        let number = crate::calendars::add_policy_version(
            store,
            &mut tx,
            actor,
            policy,
            def,
            &format!("{} (#{id})", c.title),
        )
        .await?;
        sqlx::query("UPDATE change_requests SET implemented_version = $1 WHERE id = $2")
            .bind(number)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        data["policy_version"] = json!(number);
    }
    if action == ChangeStep::Implement
        && kind == ChangeKind::Contract
        && let (Some(contract), Some(p)) = (c.contract_id, c.proposal.as_ref())
    {
        crate::contracts::apply_change(store, &mut tx, actor, contract, p).await?;
        data["contract"] = json!(contract);
    }
    if to == ChangeState::AwaitingConsent
        && let Some(client) = c.client_org_id
    {
        crate::notifications::notify_client_admins(
            &mut tx,
            client,
            "change_consent",
            &c.title,
            None,
        )
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        c.client_org_id,
        "change_request",
        id,
        action.as_str(),
        data,
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The background job: approved SLA and contract changes with a proposal whose effective date
/// has come are implemented (a new policy version, or the contract's new service terms). Returns how many. Safe on several instances: each step is guarded
/// by the request's version, so a second instance gets a conflict and moves on.
pub async fn implement_due(store: &Store) -> Result<u64> {
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, version FROM change_requests WHERE kind IN ('sla_policy', 'contract') \
         AND proposal IS NOT NULL AND state = 'approved' AND effective_from IS NOT NULL AND effective_from <= $1 ORDER BY id LIMIT 100",
    )
    .bind(today(store))
    .fetch_all(&store.pool)
    .await?;
    let system = Actor::system(0);
    let mut n = 0;
    for (id, version) in due {
        let s = ChangeStepRequest {
            version,
            action: "implement".into(),
            risk: None,
            impact: String::new(),
            rollback: String::new(),
            note: String::new(),
        };
        match step(store, &system, id, &s).await {
            Ok(_) => n += 1,
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => {
                tracing::warn!(change = id, error = %e, "an approved SLA change could not be implemented")
            }
        }
    }
    Ok(n)
}
