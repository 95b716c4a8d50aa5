//! Stored statements: drafted, reviewed, issued (numbered, frozen), paid or overdue; adjustments; the month-end job.

use super::*;

pub(super) const SELECT: &str = "SELECT s.id, s.client_org_id, o.name AS client_name, s.contract_id, c.number AS contract_number, \
     c.pricing_model, s.month, s.kind, s.adjusts_id, s.number, s.state, s.currency, s.total, s.body, s.computed_at, \
     s.reviewed_at, s.issued_at, s.due_date, s.paid_at, s.note, s.version, s.created_at, s.updated_at \
     FROM statements s JOIN organizations o ON o.id = s.client_org_id JOIN contracts c ON c.id = s.contract_id";

pub(super) fn from_row(r: &AnyRow) -> Result<Statement> {
    let body: Body = serde_json::from_str(&r.try_get::<String, _>("body")?)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok(Statement {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        contract_id: r.try_get("contract_id")?,
        contract_number: r.try_get("contract_number")?,
        pricing_model: r.try_get("pricing_model")?,
        month: r.try_get("month")?,
        kind: r.try_get("kind")?,
        adjusts_id: r.try_get("adjusts_id")?,
        number: r.try_get("number")?,
        state: r.try_get("state")?,
        currency: r.try_get("currency")?,
        total: r.try_get("total")?,
        covered_start: body.covered_start,
        covered_end: body.covered_end,
        counted_visits: body.counted_visits,
        lines: body.lines,
        computed_at: instant(r.try_get("computed_at")?),
        reviewed_at: opt_time(r, "reviewed_at")?,
        issued_at: opt_time(r, "issued_at")?,
        due_date: r.try_get("due_date")?,
        paid_at: opt_time(r, "paid_at")?,
        note: r.try_get("note")?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

pub(super) fn scope(w: &mut SqlBuf, actor: &Actor) {
    if let Some(org) = actor.client_scope() {
        w.push(" AND s.client_org_id = ")
            .bind(org)
            .push(" AND s.state IN ('issued', 'paid', 'overdue')");
    }
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &StatementFilter,
    params: &ListParams,
) -> Result<Page<Statement>> {
    if actor.role.scope() == weihu_domain::role::Scope::Own {
        return Err(StoreError::Forbidden("client users do not see statements"));
    }
    may_read(actor)?;
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    scope(&mut w, actor);
    if let Some(org) = filter.client_org_id {
        w.push(" AND s.client_org_id = ").bind(org);
    }
    if let Some(c) = filter.contract_id {
        w.push(" AND s.contract_id = ").bind(c);
    }
    if let Some(m) = &filter.month {
        w.push(" AND s.month = ")
            .bind(parse_month("month", m)?.to_string());
    }
    if let Some(s) = &filter.state {
        if !STATES.contains(&s.as_str()) {
            return Err(StoreError::invalid(
                "state",
                format!("must be one of: {}", STATES.join(", ")),
            ));
        }
        w.push(" AND s.state = ").bind(s.clone());
    }
    if let Some(q) = params.q() {
        let p = crate::sql::like_pattern(q);
        w.push(" AND (lower(o.name) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(c.number) LIKE ")
            .bind(p.clone())
            .push(" ESCAPE '\\' OR lower(s.number) LIKE ")
            .bind(p)
            .push(" ESCAPE '\\')");
    }
    Listing {
        select: SELECT,
        count: "SELECT count(*) FROM statements s JOIN organizations o ON o.id = s.client_org_id \
                JOIN contracts c ON c.id = s.contract_id",
        sorts: &[
            ("month", "s.month"),
            ("client", "o.name"),
            ("number", "s.number"),
            ("state", "s.state"),
        ],
        default_sort: "s.month DESC, o.name",
        id: "s.id",
    }
    .page(store, params, w, from_row)
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Statement> {
    may_read(actor)?;
    let mut w = SqlBuf::new(SELECT);
    w.push(" WHERE s.id = ").bind(id);
    scope(&mut w, actor);
    let row = w
        .query()
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GenerateSummary {
    pub month: String,
    /// New drafts written.
    pub created: i64,
    /// Drafts recomputed because their month changed.
    pub updated: i64,
    /// Statements already issued (frozen) or unchanged.
    pub unchanged: i64,
    /// Contracts whose month could not be priced, with the reason.
    pub failed: Vec<String>,
}

/// A stored regular statement's body as month-end drafting compares it.
enum StoredBody {
    Hash(String),
    /// Written before hashes were recorded.
    Text(String),
}

impl StoredBody {
    fn is(&self, body: &str) -> bool {
        match self {
            StoredBody::Hash(h) => *h == body_hash(body),
            StoredBody::Text(t) => t == body,
        }
    }
}

/// The hex SHA-256 of a statement body.
fn body_hash(body: &str) -> String {
    crate::credentials::token_digest(body)
}

/// Contracts whose month's activity one set of queries reads (their ids go into `IN` lists).
/// SQLite walks each contract's orders and their visits through covering indexes (migration
/// 0026), so a small chunk costs what its rows cost. PostgreSQL's planner reads the month's
/// visits with one scan and hashes them against the chunk's orders, so each chunk pays for the
/// whole month once: fewer, larger chunks (a million visits: 20 chunks 8.7 s, 4 chunks ≈ 3.6 s).
fn contracts_per_read(backend: crate::Backend) -> usize {
    match backend {
        crate::Backend::Sqlite => 50,
        crate::Backend::Postgres => 250,
    }
}

/// Writes (or refreshes) the draft statements of `month` for every contract in force during it,
/// or for one contract. Issued statements are never touched. Safe to run on several instances at
/// once: the unique (contract, month) index lets one insert win and the other skip.
pub async fn generate(
    store: &Store,
    actor: &Actor,
    month: &str,
    contract_id: Option<i64>,
) -> Result<GenerateSummary> {
    may_write(actor)?;
    let ym = parse_month("month", month)?;
    let range = ym.range().map_err(|e| billing("", e))?;
    let mut q = SqlBuf::new(
        "SELECT id FROM contracts WHERE status IN ('active', 'terminating', 'ended') AND start_date <= ",
    );
    q.bind(range.end.to_string())
        .push(" AND end_date >= ")
        .bind(range.start.to_string());
    if let Some(c) = contract_id {
        contracts::get(store, actor, c).await?;
        q.push(" AND id = ").bind(c);
    }
    q.push(" ORDER BY id");
    let ids: Vec<i64> = q
        .query()
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
    // What is stored for the month: a body's hash where one was recorded, the body itself only
    // for rows from before hashes were (reading a thousand bodies of 150 KB was most of the time
    // of an unchanged month).
    let existing: HashMap<i64, (i64, String, StoredBody)> = {
        let rows = sqlx::query(
            "SELECT contract_id, id, state, body_hash, CASE WHEN body_hash IS NULL THEN body END AS body \
             FROM statements WHERE month = $1 AND kind = 'regular'",
        )
        .bind(ym.to_string())
        .fetch_all(&store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let stored = match r.try_get::<Option<String>, _>("body_hash")? {
                    Some(h) => StoredBody::Hash(h),
                    None => StoredBody::Text(
                        r.try_get::<Option<String>, _>("body")?.unwrap_or_default(),
                    ),
                };
                Ok((
                    r.try_get("contract_id")?,
                    (r.try_get("id")?, r.try_get("state")?, stored),
                ))
            })
            .collect::<Result<_>>()?
    };
    let mut summary = GenerateSummary {
        month: ym.to_string(),
        created: 0,
        updated: 0,
        unchanged: 0,
        failed: Vec::new(),
    };
    // Price everything first (reads only), then write in chunks: one fsync per chunk, not per
    // statement, and no transaction held open while reading.
    // (contract, priced month, its body as stored, the draft it replaces).
    let mut pending: Vec<(Contract, StatementDraft, String, Option<i64>)> = Vec::new();
    let mut calendars: HashMap<Option<i64>, weihu_domain::calendar::Calendar> = HashMap::new();
    let todo: Vec<i64> = ids
        .into_iter()
        .filter(|id| match existing.get(id) {
            Some((_, state, _)) if !matches!(state.as_str(), "draft" | "reviewed") => {
                summary.unchanged += 1;
                false
            }
            _ => true,
        })
        .collect();
    // Every zone's month lies within the UTC month widened by 14 hours either side: read that for
    // a chunk of contracts with one query per kind of activity, then let each contract's zone and
    // period pick its rows.
    let (utc_from, utc_to, first, last) = month_bounds(ym, &jiff::tz::TimeZone::UTC)?;
    let widened = (utc_from - 14 * 3_600_000, utc_to + 14 * 3_600_000);
    for chunk in todo.chunks(contracts_per_read(store.backend())) {
        let contracts = contracts::get_many(store, chunk).await?;
        let models: Vec<(i64, &str)> = contracts
            .iter()
            .map(|c| (c.id, c.pricing_model.as_str()))
            .collect();
        let mut rows = fetch(store, &models, widened, (first, last)).await?;
        for contract in contracts {
            // Contracts share a handful of calendars: resolve each once, not once per contract.
            let cal = match calendars.get(&contract.calendar_id) {
                Some(c) => c.clone(),
                None => {
                    let c = contracts::working_calendar(store, &contract).await?;
                    calendars.insert(contract.calendar_id, c.clone());
                    c
                }
            };
            let tz = zone_of(&cal);
            let own = rows.remove(&contract.id).unwrap_or_default();
            let priced = match assemble(store, &contract, ym, &tz, own).await {
                Ok(activity) => contract.domain_terms().and_then(|terms| {
                    compute_statement(&terms, ym, &activity).map_err(|e| billing("", e))
                }),
                Err(e) => Err(e),
            };
            match priced {
                Ok(draft) => {
                    let prior = existing.get(&contract.id);
                    let body = serde_json::to_string(&lines_of(&draft))
                        .map_err(|e| StoreError::Format(e.to_string()))?;
                    if prior.is_some_and(|(_, _, stored)| stored.is(&body)) {
                        summary.unchanged += 1;
                    } else {
                        pending.push((contract, draft, body, prior.map(|p| p.0)));
                    }
                }
                Err(e) => summary.failed.push(format!("{}: {e}", contract.number)),
            }
        }
    }
    for chunk in pending.chunks(200) {
        let now = now_ms();
        let mut tx = store.pool.begin().await?;
        for (contract, draft, body, prior) in chunk {
            match prior {
                Some(sid) => {
                    // Recomputed: a reviewed draft whose figures moved goes back to draft.
                    let done = sqlx::query(
                        "UPDATE statements SET body = $1, total = $2, computed_at = $3, state = 'draft', \
                         reviewed_by = NULL, reviewed_at = NULL, version = version + 1, updated_at = $3, \
                         body_hash = $5 WHERE id = $4 AND state IN ('draft', 'reviewed')",
                    )
                    .bind(body.clone())
                    .bind(draft.total.to_string())
                    .bind(now)
                    .bind(*sid)
                    .bind(body_hash(body))
                    .execute(&mut *tx)
                    .await?;
                    summary.updated += i64::try_from(done.rows_affected()).unwrap_or(0);
                }
                None => {
                    let done = sqlx::query(
                        "INSERT INTO statements (client_org_id, contract_id, month, kind, state, currency, total, \
                         body, computed_at, created_at, updated_at, body_hash) \
                         VALUES ($1, $2, $3, 'regular', 'draft', $4, $5, $6, $7, $7, $7, $8) ON CONFLICT DO NOTHING",
                    )
                    .bind(contract.client_org_id)
                    .bind(contract.id)
                    .bind(ym.to_string())
                    .bind(draft.currency.as_str().to_owned())
                    .bind(draft.total.to_string())
                    .bind(body.clone())
                    .bind(now)
                    .bind(body_hash(body))
                    .execute(&mut *tx)
                    .await?;
                    let won = i64::try_from(done.rows_affected()).unwrap_or(0);
                    summary.created += won;
                    // Another instance drafted it first: it exists, just not by us.
                    summary.unchanged += 1 - won.min(1);
                }
            }
        }
        audit::record(
            &mut tx,
            actor,
            None,
            "statement",
            ym.to_string(),
            "generate",
            json!({"contracts": chunk.iter().map(|c| c.0.number.clone()).collect::<Vec<_>>()}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(summary)
}

/// One move of a statement: the states it may leave, the columns it sets (with their binds,
/// numbered from `$1`) and the audit action.
pub(super) struct Move<'a> {
    from: &'a [&'a str],
    set: &'a str,
    binds: Vec<crate::sql::Arg>,
    action: &'a str,
}

pub(super) async fn transition(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    m: Move<'_>,
) -> Result<Statement> {
    let Move {
        from,
        set: sql_set,
        binds,
        action,
    } = m;
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    if !from.contains(&current.state.as_str()) {
        return Err(StoreError::invalid(
            "state",
            format!("a statement that is {} cannot be {action}", current.state),
        ));
    }
    let mut tx = store.pool.begin().await?;
    let mut u = SqlBuf::new("UPDATE statements SET ");
    u.push(sql_set);
    u.args = binds;
    u.push(", version = version + 1, updated_at = ")
        .bind(now_ms())
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND version = ")
        .bind(version);
    let done = u.query().execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(current.client_org_id),
        "statement",
        id,
        action,
        json!({"state": current.state, "month": current.month, "total": current.total}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Finance has checked the draft.
pub async fn review(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Statement> {
    transition(
        store,
        actor,
        id,
        version,
        Move {
            from: &["draft"],
            set: "state = 'reviewed', reviewed_by = $1, reviewed_at = $2",
            binds: vec![actor.audit_id().into(), now_ms().into()],
            action: "reviewed",
        },
    )
    .await
}

/// Issues a reviewed statement: numbers it (gap-free per year), sets the due date in working days
/// of the contract's calendar, and freezes it.
pub async fn issue(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Statement> {
    let current = get(store, actor, id).await?;
    may_write(actor)?;
    if current.state != "reviewed" {
        return Err(StoreError::invalid(
            "state",
            format!(
                "a statement is reviewed before it is issued (it is {})",
                current.state
            ),
        ));
    }
    let contract = contracts::get(store, &Actor::system(0), current.contract_id).await?;
    let cal = contracts::working_calendar(store, &contract).await?;
    let today = today_in(cal.time_zone_name());
    let days = contract.domain_terms()?.payment.due_working_days;
    let due = due_date(today, days, |d| {
        matches!(
            cal.day_kind(d),
            DayKind::Regular | DayKind::MakeUpWorkday { .. }
        )
    })
    .map_err(|e| billing("", e))?;
    let year = today.year();
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    // The counter row is the first write, so concurrent issuers queue and numbers stay gap-free.
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO statement_counters (period, last) VALUES ($1, 1) \
         ON CONFLICT (period) DO UPDATE SET last = statement_counters.last + 1 RETURNING last",
    )
    .bind(year.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let number = format!("ST-{year:04}-{seq:06}");
    let done = sqlx::query(
        "UPDATE statements SET state = 'issued', number = $1, issued_by = $2, issued_at = $3, due_date = $4, \
         version = version + 1, updated_at = $3 WHERE id = $5 AND version = $6 AND state = 'reviewed'",
    )
    .bind(number.clone())
    .bind(actor.audit_id())
    .bind(now)
    .bind(due.to_string())
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
        "statement",
        id,
        "issued",
        json!({"number": number, "total": current.total, "due_date": due.to_string()}),
    )
    .await?;
    // The client's administrators hear of it in the portal.
    sqlx::query(
        "INSERT INTO notifications (user_id, order_id, kind, body, created_at) \
         SELECT id, NULL, 'statement', $1, $2 FROM users WHERE org_id = $3 AND role = 'client_admin' AND active = 1",
    )
    .bind(format!("对账单 {number}（{}）已开具，合计 {} {} / Statement issued", current.month, current.total, current.currency))
    .bind(now)
    .bind(current.client_org_id)
    .execute(&mut *tx)
    .await?;
    // And by mail, with the PDF.
    crate::mail::outbox::enqueue_client_admins(
        &mut tx,
        current.client_org_id,
        weihu_domain::mail::MailKind::StatementIssued,
        Some(id),
        &number,
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The client has paid.
pub async fn mark_paid(store: &Store, actor: &Actor, id: i64, version: i64) -> Result<Statement> {
    transition(
        store,
        actor,
        id,
        version,
        Move {
            from: &["issued", "overdue"],
            set: "state = 'paid', paid_at = $1",
            binds: vec![now_ms().into()],
            action: "paid",
        },
    )
    .await
}

/// Issued statements past their due date become overdue. Idempotent (several instances).
pub async fn mark_overdue(store: &Store) -> Result<u64> {
    let today = today_in(contracts::DEFAULT_ZONE).to_string();
    let done = sqlx::query(
        "UPDATE statements SET state = 'overdue', version = version + 1, updated_at = $1 \
         WHERE state = 'issued' AND due_date < $2",
    )
    .bind(now_ms())
    .bind(today)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected())
}

/// A correction of an issued statement: the month priced again, with a reversal of what was
/// issued, as a new draft. The issued statement stays as it was.
pub async fn adjust(store: &Store, actor: &Actor, id: i64) -> Result<Statement> {
    let issued = get(store, actor, id).await?;
    may_write(actor)?;
    if issued.kind != "regular" || !matches!(issued.state.as_str(), "issued" | "paid" | "overdue") {
        return Err(StoreError::invalid(
            "state",
            "only an issued regular statement can be adjusted",
        ));
    }
    let contract = contracts::get(store, &Actor::system(0), issued.contract_id).await?;
    let ym = parse_month("month", &issued.month)?;
    let draft = compute(store, &contract, ym).await?;
    let mut body = lines_of(&draft);
    if body.lines == issued.lines {
        return Err(StoreError::invalid(
            "month",
            "nothing changed since the statement was issued",
        ));
    }
    let issued_total = money_of("total", &issued.total)?;
    let reversal = Money::ZERO
        .checked_sub(issued_total)
        .ok_or_else(|| StoreError::Format("total overflow".into()))?;
    body.lines.push(Line {
        kind: "reversal".into(),
        description: format!(
            "冲销已开具对账单 {} / reversal of issued statement",
            issued.number.clone().unwrap_or_default()
        ),
        quantity: 1,
        unit_price: reversal.to_string(),
        proration: None,
        amount: reversal.to_string(),
        sources: Sources {
            items: issued.number.iter().cloned().collect(),
            ..Sources::default()
        },
    });
    let total = draft
        .total
        .checked_add(reversal)
        .ok_or_else(|| StoreError::Format("total overflow".into()))?;
    let body_json = serde_json::to_string(&body).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let pending: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM statements WHERE adjusts_id = $1 AND state IN ('draft', 'reviewed')",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let sid = match pending {
        Some(sid) => {
            sqlx::query(
                "UPDATE statements SET body = $1, total = $2, computed_at = $3, state = 'draft', \
                 version = version + 1, updated_at = $3 WHERE id = $4",
            )
            .bind(body_json)
            .bind(total.to_string())
            .bind(now)
            .bind(sid)
            .execute(&mut *tx)
            .await?;
            sid
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO statements (client_org_id, contract_id, month, kind, adjusts_id, state, currency, \
                 total, body, computed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, 'adjustment', $4, 'draft', $5, $6, $7, $8, $8, $8) RETURNING id",
            )
            .bind(issued.client_org_id)
            .bind(issued.contract_id)
            .bind(issued.month.clone())
            .bind(id)
            .bind(issued.currency.clone())
            .bind(total.to_string())
            .bind(body_json)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    audit::record(
        &mut tx,
        actor,
        Some(issued.client_org_id),
        "statement",
        sid,
        "adjustment",
        json!({"adjusts": issued.number, "total": total.to_string()}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, sid).await
}

/// The background job: on the first days of a month, drafts last month's statements; every run
/// marks overdue statements and ends expired contracts. Idempotent, so every instance may run it.
pub async fn run_month_end(store: &Store) -> Result<Option<GenerateSummary>> {
    contracts::end_expired(store).await?;
    mark_overdue(store).await?;
    let month = previous_month();
    // One instance claims the month; the others see the claim and skip.
    let claimed = sqlx::query(
        "INSERT INTO statement_counters (period, last) VALUES ($1, 0) ON CONFLICT DO NOTHING",
    )
    .bind(format!("generated:{month}"))
    .execute(&store.pool)
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let system = Actor::system(0);
    generate(store, &system, &month, None).await.map(Some)
}
