//! Take-away repairs and the 48-hour return promise.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TakeAway {
    pub id: i64,
    pub asset: String,
    pub description: String,
    #[schema(value_type = String, format = DateTime)]
    pub taken_at: jiff::Timestamp,
    /// Taken at + 48 hours (wall clock): when the device is promised back.
    #[schema(value_type = String, format = DateTime)]
    pub promised_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub returned_at: Option<jiff::Timestamp>,
    /// Repair cost, billed at cost on the month of return.
    pub cost: String,
    pub note: String,
    /// Not back and the promise has passed, or came back late.
    pub late: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTakeAway {
    /// The device taken away (asset tag or description).
    #[serde(default)]
    pub asset: String,
    /// What is wrong and what will be done.
    pub description: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct TakeAwayReturn {
    /// Decimal string; default "0.00".
    pub cost: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub async fn take_aways(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<TakeAway>> {
    get(store, actor, order_id).await?;
    let rows = sqlx::query(
        "SELECT id, asset, description, taken_at, promised_at, returned_at, cost, note \
         FROM take_away_repairs WHERE order_id = $1 ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    let now = now_ms();
    rows.iter()
        .map(|r| {
            let promised: i64 = r.try_get("promised_at")?;
            let returned: Option<i64> = r.try_get("returned_at")?;
            Ok(TakeAway {
                id: r.try_get("id")?,
                asset: r.try_get("asset")?,
                description: r.try_get("description")?,
                taken_at: instant(r.try_get("taken_at")?),
                promised_at: instant(promised),
                returned_at: returned.map(instant),
                cost: r.try_get("cost")?,
                note: r.try_get("note")?,
                late: returned.unwrap_or(now) > promised,
            })
        })
        .collect()
}

/// The engineer takes a device away for repair, promising it back within 48 hours.
pub async fn take_away(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    t: &NewTakeAway,
) -> Result<TakeAway> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::TakeAway).await?;
    let asset = text("asset", &t.asset, 200, false)?;
    let description = text("description", &t.description, 2000, true)?;
    let note = text("note", &t.note, 2000, false)?;
    let now = now_ms();
    let promised = now + TAKE_AWAY_PROMISE_HOURS * 3_600_000;
    let id = commit_work(store, actor, &order, now, async |tx| {
        let id: i64 = sqlx::query(
            "INSERT INTO take_away_repairs (order_id, asset, description, taken_at, promised_at, note, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(order_id)
        .bind(asset.clone())
        .bind(description.clone())
        .bind(now)
        .bind(promised)
        .bind(note)
        .bind(actor.audit_id())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Ok((id,
            Event {
                kind: "take_away",
                public: true,
                body: &description,
                data: json!({"repair": id, "asset": asset, "promised_at": crate::ms_to_rfc3339(promised)}),
                audit_action: "take_away",
                audit: json!({"repair": id}),
            }))
    })
    .await?;
    take_aways(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or(StoreError::NotFound)
}

/// The device is back; its repair cost is billed at cost on this month's statement.
pub async fn return_take_away(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    repair_id: i64,
    r: &TakeAwayReturn,
) -> Result<TakeAway> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::ReturnTakeAway).await?;
    let cost = money("cost", r.cost.as_deref().unwrap_or("0"))?;
    if !cost.is_whole_cents() {
        return Err(StoreError::invalid(
            "cost",
            "must be a whole number of cents",
        ));
    }
    let note = text("note", &r.note, 2000, false)?;
    let now = now_ms();
    commit_work(store, actor, &order, now, async |tx| {
        let done = sqlx::query(
            "UPDATE take_away_repairs SET returned_at = $1, cost = $2, \
             note = CASE WHEN $3 = '' THEN note ELSE $3 END \
             WHERE id = $4 AND order_id = $5 AND returned_at IS NULL",
        )
        .bind(now)
        .bind(cost.to_string())
        .bind(note.clone())
        .bind(repair_id)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM take_away_repairs WHERE id = $1 AND order_id = $2",
            )
            .bind(repair_id)
            .bind(order_id)
            .fetch_one(&mut *tx)
            .await?;
            return Err(if exists == 0 {
                StoreError::NotFound
            } else {
                StoreError::invalid("returned_at", "the device is already back")
            });
        }
        Ok((
            (),
            Event {
                kind: "take_away_return",
                public: true,
                body: &note,
                data: json!({"repair": repair_id, "cost": cost.to_string()}),
                audit_action: "take_away_return",
                audit: json!({"repair": repair_id, "cost": cost.to_string()}),
            },
        ))
    })
    .await?;
    take_aways(store, actor, order_id)
        .await?
        .into_iter()
        .find(|x| x.id == repair_id)
        .ok_or(StoreError::NotFound)
}
