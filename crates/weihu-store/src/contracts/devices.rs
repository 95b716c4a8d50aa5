//! The devices a per-device contract covers.

use super::*;

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
