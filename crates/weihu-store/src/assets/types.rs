//! Asset types: names, the application-scale coefficient and category.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct AssetType {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Application-scale coefficient as a decimal string (PCs are "1").
    pub coefficient: String,
    /// Visit category for per-visit pricing: pc, network, peripheral, server.
    pub category: String,
    #[serde(default)]
    pub version: i64,
}

pub async fn types(store: &Store) -> Result<Vec<AssetType>> {
    let rows = sqlx::query(
        "SELECT code, name, name_en, coefficient, category, version FROM asset_types ORDER BY sort, code",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AssetType {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                coefficient: r.try_get("coefficient")?,
                category: r.try_get("category")?,
                version: r.try_get("version")?,
            })
        })
        .collect()
}

pub(super) fn coefficient(field: &str, v: &str) -> Result<Decimal> {
    let d: Decimal = v
        .trim()
        .parse()
        .map_err(|_| StoreError::invalid(field, "must be a decimal number such as 0.5"))?;
    if d < Decimal::ZERO || d > Decimal::from(1000) {
        return Err(StoreError::invalid(field, "must be 0 to 1000"));
    }
    Ok(d.normalize())
}

/// Adds an asset type or changes one's names, coefficient or category (service level managers
/// and administrators).
pub async fn put_type(store: &Store, actor: &Actor, t: &AssetType) -> Result<AssetType> {
    if !actor.role.can_manage_asset_types() {
        return Err(StoreError::Forbidden(
            "only administrators and service level managers change asset types",
        ));
    }
    let code = text("code", &t.code, 32, true)?.to_lowercase();
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(StoreError::invalid(
            "code",
            "may contain only a-z, 0-9, - and _",
        ));
    }
    let name = text("name", &t.name, 100, true)?;
    let name_en = text("name_en", &t.name_en, 100, false)?;
    let coef = coefficient("coefficient", &t.coefficient)?;
    if !["pc", "network", "peripheral", "server"].contains(&t.category.as_str()) {
        return Err(StoreError::invalid(
            "category",
            "must be one of: pc, network, peripheral, server",
        ));
    }
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO asset_types (code, name, name_en, coefficient, category, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
         coefficient = excluded.coefficient, category = excluded.category, \
         version = asset_types.version + 1, updated_at = excluded.updated_at",
    )
    .bind(code.clone())
    .bind(name)
    .bind(name_en)
    .bind(coef.to_string())
    .bind(t.category.clone())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "asset_type",
        code.clone(),
        "put",
        json!({"coefficient": coef.to_string(), "category": t.category}),
    )
    .await?;
    tx.commit().await?;
    types(store)
        .await?
        .into_iter()
        .find(|x| x.code == code)
        .ok_or(StoreError::NotFound)
}
