//! The application scale of a client's registry and the pricing model it recommends.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientScale {
    pub client_org_id: i64,
    /// PCs × 1 + Σ others × coefficient, over the assets in use or in repair.
    pub scale: String,
    /// per_visit, monthly_capped or monthly_unlimited (SPEC §6 thresholds).
    pub recommended_model: String,
    pub residents_needed: u32,
    pub by_type: Vec<TypeScale>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TypeScale {
    pub asset_type: String,
    pub count: u32,
    pub coefficient: String,
    pub weighted: String,
}

/// Counts and coefficients as the domain's inventory.
pub fn inventory(counts: &BTreeMap<String, u32>, known: &[AssetType]) -> Result<Vec<TypeCount>> {
    counts
        .iter()
        .map(|(code, n)| {
            let t = known.iter().find(|t| &t.code == code).ok_or_else(|| {
                StoreError::invalid("asset_type", format!("`{code}` is not a known type"))
            })?;
            Ok(TypeCount {
                asset_type: code.clone(),
                count: *n,
                coefficient: coefficient("coefficient", &t.coefficient)?,
                category: t.category.clone(),
            })
        })
        .collect()
}

pub fn scale_of(client_org_id: i64, inv: &[TypeCount]) -> ClientScale {
    let s = scale::application_scale(inv);
    ClientScale {
        client_org_id,
        scale: s.to_string(),
        recommended_model: scale::recommend(s).model().into(),
        residents_needed: scale::residents_needed(s),
        by_type: inv
            .iter()
            .map(|t| TypeScale {
                asset_type: t.asset_type.clone(),
                count: t.count,
                coefficient: t.coefficient.to_string(),
                weighted: t.weighted().normalize().to_string(),
            })
            .collect(),
    }
}

/// A client's application scale from its registry.
pub async fn client_scale(store: &Store, actor: &Actor, client_org_id: i64) -> Result<ClientScale> {
    crate::organizations::get(store, actor, client_org_id).await?;
    may_read(actor)?;
    let rows = sqlx::query(
        "SELECT asset_type, count(*) AS n FROM assets WHERE client_org_id = $1 AND status <> 'retired' \
         GROUP BY asset_type",
    )
    .bind(client_org_id)
    .fetch_all(&store.pool)
    .await?;
    let mut counts = BTreeMap::new();
    for r in rows {
        counts.insert(
            r.try_get::<String, _>("asset_type")?,
            u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX),
        );
    }
    let known = types(store).await?;
    Ok(scale_of(client_org_id, &inventory(&counts, &known)?))
}
