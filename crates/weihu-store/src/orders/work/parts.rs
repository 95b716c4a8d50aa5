//! Spare parts: proposed at no more than the authorized price, approved by the client admin
//! (the resolution clock waits meanwhile), installed.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Part {
    pub id: i64,
    pub order_id: i64,
    pub name: String,
    pub model: String,
    pub quantity: i64,
    /// Decimal string: the price charged per unit (0 when the client supplies it).
    pub unit_price: String,
    /// The manufacturer's authorized service-centre price per unit, if known.
    pub authorized_price: Option<String>,
    pub client_supplied: bool,
    /// proposed, approved, rejected, installed, withdrawn (still pending when the order was
    /// resolved with `close_out`).
    pub state: String,
    pub note: String,
    #[schema(value_type = String, format = DateTime)]
    pub proposed_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub installed_at: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewPart {
    pub name: String,
    #[serde(default)]
    pub model: String,
    pub quantity: i64,
    /// Decimal string.
    pub unit_price: String,
    /// Decimal string; the unit price may not exceed it.
    pub authorized_price: Option<String>,
    #[serde(default)]
    pub client_supplied: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct PartDecision {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

pub(super) const PART_COLUMNS: &str = "id, order_id, name, model, quantity, unit_price, authorized_price, client_supplied, state, note, \
     proposed_at, decided_at, installed_at";

pub(super) fn part_row(r: &AnyRow) -> Result<Part> {
    Ok(Part {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        name: r.try_get("name")?,
        model: r.try_get("model")?,
        quantity: r.try_get("quantity")?,
        unit_price: r.try_get("unit_price")?,
        authorized_price: r.try_get("authorized_price")?,
        client_supplied: r.try_get::<i64, _>("client_supplied")? != 0,
        state: r.try_get("state")?,
        note: r.try_get("note")?,
        proposed_at: instant(r.try_get("proposed_at")?),
        decided_at: opt_time(r, "decided_at")?,
        installed_at: opt_time(r, "installed_at")?,
    })
}

pub async fn parts(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<Part>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PART_COLUMNS} FROM order_parts WHERE order_id = $1 ORDER BY id"
    )))
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(part_row).collect()
}

pub(super) async fn part(store: &Store, actor: &Actor, order_id: i64, id: i64) -> Result<Part> {
    parts(store, actor, order_id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(StoreError::NotFound)
}

/// The reason recorded on the timeline when a part proposal puts an order in waiting_client.
pub(super) const PART_APPROVAL_WAIT: &str = "part_approval";
/// The body such a move carried before the reason was recorded in its data.
pub(super) const PART_APPROVAL_WAIT_BODY: &str =
    "等待客户审批备件 / awaiting the client's approval of a part";

/// Whether the order waits for the client because of a part approval, and for nothing else: the
/// latest move into waiting_client says why (a manual `wait_client` — no answer, no access — is
/// not ended by a part decision).
pub(super) async fn waits_only_for_part_approval(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT body, data FROM order_events WHERE order_id = $1 AND kind = 'wait_client' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(false) };
    let body: String = r.try_get("body")?;
    let data: serde_json::Value =
        serde_json::from_str(&r.try_get::<String, _>("data")?).unwrap_or_default();
    Ok(data["wait"] == PART_APPROVAL_WAIT || body == PART_APPROVAL_WAIT_BODY)
}

/// Moves an order between in_progress and waiting_client for a part approval, with the clock.
/// Going back to work happens only when the order waits for the part approval alone: an order
/// the engineer put in waiting_client for another reason keeps waiting.
pub(super) async fn set_waiting(
    conn: &mut AnyConnection,
    cals: &Calendars,
    actor: &Actor,
    order: &Order,
    waiting: bool,
    now: i64,
) -> Result<()> {
    let (from, to, change, kind) = if waiting {
        (
            OrderState::InProgress,
            OrderState::WaitingClient,
            ClockChange::Pause,
            "wait_client",
        )
    } else {
        (
            OrderState::WaitingClient,
            OrderState::InProgress,
            ClockChange::Resume,
            "resume",
        )
    };
    if !waiting && !waits_only_for_part_approval(conn, order.id).await? {
        return Ok(());
    }
    let done = sqlx::query("UPDATE orders SET state = $1 WHERE id = $2 AND state = $3")
        .bind(to.as_str())
        .bind(order.id)
        .bind(from.as_str())
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        clocks::change(cals, conn, order.id, ClockKind::Resolution, change, now).await?;
        let reason = if waiting {
            PART_APPROVAL_WAIT_BODY
        } else {
            "备件已审批 / part decided"
        };
        timeline::record(
            conn,
            actor,
            order.id,
            kind,
            true,
            reason,
            json!({"from": from.as_str(), "to": to.as_str(), "wait": PART_APPROVAL_WAIT}),
        )
        .await?;
    }
    Ok(())
}

/// Proposes a part. Its price may not exceed the authorized service-centre price. A part the
/// provider supplies waits for the client admin's approval, and the resolution clock pauses
/// meanwhile; a client-supplied part costs nothing and needs no approval.
pub async fn propose_part(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    p: &NewPart,
) -> Result<Part> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::ProposePart).await?;
    let name = text("name", &p.name, 200, true)?;
    let model = text("model", &p.model, 200, false)?;
    let note = text("note", &p.note, 2000, false)?;
    if !(1..=10_000).contains(&p.quantity) {
        return Err(StoreError::invalid("quantity", "must be 1 to 10000"));
    }
    let price = if p.client_supplied {
        Money::ZERO
    } else {
        money("unit_price", &p.unit_price)?
    };
    let authorized = p
        .authorized_price
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .map(|a| money("authorized_price", a))
        .transpose()?;
    if let Some(a) = authorized
        && price > a
    {
        return Err(StoreError::invalid(
            "unit_price",
            format!("{price} exceeds the authorized service-centre price {a}"),
        ));
    }
    let state = if p.client_supplied {
        "approved"
    } else {
        "proposed"
    };
    let cals = Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let now = now_ms();
    // Not `commit_work`: the part's own event comes before the wait it starts or ends, and the
    // client admin is notified after both.
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    let id: i64 = sqlx::query(
        "INSERT INTO order_parts (order_id, name, model, quantity, unit_price, authorized_price, client_supplied, state, note, \
         proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(order_id)
    .bind(name.clone())
    .bind(model)
    .bind(p.quantity)
    .bind(price.to_string())
    .bind(authorized.map(|a| a.to_string()))
    .bind(i64::from(p.client_supplied))
    .bind(state)
    .bind(note)
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    timeline::record(&mut tx, actor, order_id, "part_proposed", true, &name, json!({"part": id, "quantity": p.quantity, "unit_price": price.to_string(), "client_supplied": p.client_supplied})).await?;
    if !p.client_supplied {
        set_waiting(&mut tx, &cals, actor, &order, true, now).await?;
        // The client's admins decide: tell them.
        let admins: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 AND role = 'client_admin' AND active = 1",
        )
        .bind(order.client_org_id)
        .fetch_all(&mut *tx)
        .await?;
        for a in admins {
            let body = format!(
                "{} {}: {name} × {} @ {price}",
                order.number, order.subject, p.quantity
            );
            crate::notifications::notify(&mut tx, a, order_id, "part_approval", &body).await?;
        }
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order_id,
        "part_proposed",
        json!({"part": id}),
    )
    .await?;
    tx.commit().await?;
    part(store, actor, order_id, id).await
}

/// The client admin approves or rejects a proposed part. When nothing is left to decide, an order
/// that was waiting for the approval goes back to work and its clock runs again.
pub async fn decide_part(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    part_id: i64,
    d: &PartDecision,
) -> Result<Part> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::DecidePart).await?;
    let p = part(store, actor, order_id, part_id).await?;
    if p.state != "proposed" {
        return Err(StoreError::invalid(
            "approve",
            format!("the part is already {}", p.state),
        ));
    }
    let note = text("note", &d.note, 2000, false)?;
    let state = if d.approve { "approved" } else { "rejected" };
    let cals = Calendars::load(
        store,
        order.clocks.iter().map(|c| c.calendar.clone()).collect(),
    )
    .await?;
    let now = now_ms();
    // Not `commit_work`: the part's own event comes before the wait it starts or ends, and the
    // client admin is notified after both.
    let mut tx = store.pool.begin().await?;
    bump(&mut tx, order_id, now).await?;
    sqlx::query("UPDATE order_parts SET state = $1, decided_by = $2, decided_at = $3, note = CASE WHEN $4 = '' THEN note ELSE $4 END WHERE id = $5 AND state = 'proposed'")
        .bind(state)
        .bind(actor.audit_id())
        .bind(now)
        .bind(note.clone())
        .bind(part_id)
        .execute(&mut *tx)
        .await?;
    let kind = if d.approve {
        "part_approved"
    } else {
        "part_rejected"
    };
    timeline::record(
        &mut tx,
        actor,
        order_id,
        kind,
        true,
        &note,
        json!({"part": part_id, "name": p.name}),
    )
    .await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_parts WHERE order_id = $1 AND state = 'proposed'",
    )
    .bind(order_id)
    .fetch_one(&mut *tx)
    .await?;
    if pending == 0 {
        set_waiting(&mut tx, &cals, actor, &order, false, now).await?;
    }
    if let Some(a) = order.assignee_id {
        let body = format!("{} {}: {}", order.number, order.subject, p.name);
        crate::notifications::notify(&mut tx, a, order_id, kind, &body).await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order_id,
        kind,
        json!({"part": part_id}),
    )
    .await?;
    tx.commit().await?;
    part(store, actor, order_id, part_id).await
}

/// Records that an approved (or client-supplied) part was installed; only those are billed.
pub async fn install_part(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    part_id: i64,
) -> Result<Part> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::InstallPart).await?;
    let p = part(store, actor, order_id, part_id).await?;
    if p.state != "approved" {
        return Err(StoreError::invalid(
            "state",
            "only an approved part can be installed",
        ));
    }
    let now = now_ms();
    commit_work(store, actor, &order, now, async |tx| {
        sqlx::query("UPDATE order_parts SET state = 'installed', installed_at = $1 WHERE id = $2 AND state = 'approved'")
            .bind(now)
            .bind(part_id)
            .execute(&mut *tx)
            .await?;
        Ok(((),
            Event {
                kind: "part_installed",
                public: true,
                body: &p.name,
                data: json!({"part": part_id}),
                audit_action: "part_installed",
                audit: json!({"part": part_id}),
            }))
    })
    .await?;
    part(store, actor, order_id, part_id).await
}
