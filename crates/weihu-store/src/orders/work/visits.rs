//! On-site visits: the decision to go, check-in (which stops the arrival clock) and check-out.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub id: i64,
    pub order_id: i64,
    pub engineer_id: Option<i64>,
    pub engineer_name: Option<String>,
    /// regular, scheduled (the monthly maintenance visit), emergency, repeat.
    pub kind: String,
    #[schema(value_type = String, format = DateTime)]
    pub decided_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub check_in_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub check_out_at: Option<jiff::Timestamp>,
    /// Decimal string, e.g. "30.00".
    pub travel_fee: String,
    /// Rate category on a per-visit contract: pc, network, peripheral, server (default from the
    /// order's category).
    pub category: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewVisit {
    /// Default: `repeat` when the order already had an on-site visit, else `regular`.
    pub kind: Option<String>,
    /// Default: the order's assignee.
    pub engineer_id: Option<i64>,
    #[serde(default)]
    pub travel_fee: Option<String>,
    /// pc, network, peripheral, server; default from the order's category.
    pub category: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub(super) fn visit_row(r: &AnyRow) -> Result<Visit> {
    Ok(Visit {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        engineer_id: r.try_get("engineer_id")?,
        engineer_name: r.try_get("engineer_name")?,
        kind: r.try_get("kind")?,
        decided_at: instant(r.try_get("decided_at")?),
        check_in_at: opt_time(r, "check_in_at")?,
        check_out_at: opt_time(r, "check_out_at")?,
        travel_fee: r.try_get("travel_fee")?,
        category: r.try_get("category")?,
        note: r.try_get("note")?,
    })
}

pub(super) const VISIT_SELECT: &str = "SELECT v.id, v.order_id, v.engineer_id, u.display_name AS engineer_name, v.kind, v.decided_at, \
     v.check_in_at, v.check_out_at, v.travel_fee, v.category, v.note FROM order_visits v LEFT JOIN users u ON u.id = v.engineer_id";

pub async fn visits(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<Visit>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{VISIT_SELECT} WHERE v.order_id = $1 ORDER BY v.id"
    )))
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(visit_row).collect()
}

/// Decides an on-site visit. The first one starts the arrival clock; a further one on the same
/// order is proposed as a `repeat` (not counted toward the visit cap, never billed).
pub async fn decide_visit(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    v: &NewVisit,
) -> Result<Visit> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::DecideVisit).await?;
    let earlier: i64 = sqlx::query_scalar("SELECT count(*) FROM order_visits WHERE order_id = $1")
        .bind(order_id)
        .fetch_one(&store.pool)
        .await?;
    let kind = match v.kind.as_deref() {
        None if earlier > 0 => VisitKind::Repeat,
        None => VisitKind::Regular,
        // An unknown kind is refused here, where it would be stored: billing must never guess.
        Some(k) => VisitKind::parse(k).map_err(|_| {
            StoreError::invalid(
                "kind",
                format!("must be one of: {}", VISIT_KINDS.join(", ")),
            )
        })?,
    }
    .as_str();
    let engineer = v
        .engineer_id
        .or(order.assignee_id)
        .ok_or_else(|| StoreError::invalid("engineer_id", "name the engineer who goes"))?;
    let eng = users::get(store, actor, engineer)
        .await
        .map_err(|_| StoreError::invalid("engineer_id", "no such engineer"))?;
    if eng.role.is_client_side() {
        return Err(StoreError::invalid("engineer_id", "must be provider staff"));
    }
    let fee = money("travel_fee", v.travel_fee.as_deref().unwrap_or("0"))?;
    let note = text("note", &v.note, 2000, false)?;
    let category = match v
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) if VISIT_CATEGORIES.contains(&c) => Some(c.to_owned()),
        Some(_) => {
            return Err(StoreError::invalid(
                "category",
                format!("must be one of: {}", VISIT_CATEGORIES.join(", ")),
            ));
        }
    };
    // The arrival target comes from the policy version the order started under (SPEC §4), not
    // from a revision made since.
    let policy = clocks::order_policy_version(store, order.policy_id, order.policy_version).await?;
    let priority = weihu_domain::priority::Priority::parse(&order.priority)
        .unwrap_or(weihu_domain::priority::Priority::P3);
    let cals = Calendars::load(
        store,
        policy
            .iter()
            .map(|p| p.targets_for(priority).calendar.clone())
            .collect(),
    )
    .await?;
    let now = now_ms();
    let id = commit_work(store, actor, &order, now, async |tx| {
        let id: i64 = sqlx::query(
            "INSERT INTO order_visits (order_id, engineer_id, kind, decided_at, travel_fee, note, created_by, category) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(order_id)
        .bind(engineer)
        .bind(kind)
        .bind(now)
        .bind(fee.to_string())
        .bind(note.clone())
        .bind(actor.audit_id())
        .bind(category)
        .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if let Some(p) = &policy {
            clocks::start_arrival(&cals, &mut *tx, order_id, p, priority, now).await?;
        }
        Ok((id,
            Event {
                kind: "visit",
                public: true,
                body: &note,
                data: json!({"visit": id, "kind": kind, "engineer": eng.display_name}),
                audit_action: "visit",
                audit: json!({"visit": id, "kind": kind}),
            }))
    })
    .await?;
    visit(store, actor, order_id, id).await
}

pub(super) async fn visit(store: &Store, actor: &Actor, order_id: i64, id: i64) -> Result<Visit> {
    visits(store, actor, order_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(StoreError::NotFound)
}

/// Check-in on site (stops the arrival clock) or check-out, from the engineer's phone.
pub async fn visit_check(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    visit_id: i64,
    check_in: bool,
) -> Result<Visit> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::CheckVisit).await?;
    let v = visit(store, actor, order_id, visit_id).await?;
    let field = if check_in { "check_in" } else { "check_out" };
    match (check_in, &v.check_in_at, &v.check_out_at) {
        (true, Some(_), _) => return Err(StoreError::invalid(field, "already checked in")),
        (false, None, _) => return Err(StoreError::invalid(field, "check in first")),
        (false, _, Some(_)) => return Err(StoreError::invalid(field, "already checked out")),
        _ => {}
    }
    let cals = Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let now = now_ms();
    commit_work(store, actor, &order, now, async |tx| {
        let col = if check_in {
            "check_in_at"
        } else {
            "check_out_at"
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE order_visits SET {col} = $1 WHERE id = $2"
        )))
        .bind(now)
        .bind(visit_id)
        .execute(&mut *tx)
        .await?;
        if check_in {
            clocks::change(
                &cals,
                &mut *tx,
                order_id,
                ClockKind::Arrival,
                ClockChange::Stop,
                now,
            )
            .await?;
        }
        let kind = if check_in { "check_in" } else { "check_out" };
        Ok((
            (),
            Event {
                kind,
                public: true,
                body: "",
                data: json!({"visit": visit_id}),
                audit_action: kind,
                audit: json!({"visit": visit_id}),
            },
        ))
    })
    .await?;
    visit(store, actor, order_id, visit_id).await
}
