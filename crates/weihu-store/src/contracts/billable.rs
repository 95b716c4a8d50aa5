//! Resident engineer days and other billable items of a month.

use super::*;

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

pub(super) fn in_period(contract: &Contract, day: Date, field: &str) -> Result<()> {
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
