//! The registry confirmed by the client admin with a signature, and the difference since.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SnapshotRow {
    pub tag: String,
    pub asset_type: String,
    pub serial: String,
    pub model: String,
    pub location: String,
    pub status: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub id: i64,
    pub client_org_id: i64,
    pub as_of: String,
    pub signer_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub confirmed_at: jiff::Timestamp,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistryDiff {
    /// The confirmation compared with; none when the registry was never confirmed.
    pub confirmation: Option<Confirmation>,
    pub added: Vec<SnapshotRow>,
    pub removed: Vec<SnapshotRow>,
    /// (as confirmed, now).
    pub changed: Vec<(SnapshotRow, SnapshotRow)>,
}

pub(super) async fn snapshot(store: &Store, client: i64) -> Result<Vec<SnapshotRow>> {
    let rows = sqlx::query(
        "SELECT tag, asset_type, serial, model, location, status FROM assets WHERE client_org_id = $1 \
         AND status <> 'retired' ORDER BY tag",
    )
    .bind(client)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SnapshotRow {
                tag: r.try_get("tag")?,
                asset_type: r.try_get("asset_type")?,
                serial: r.try_get("serial")?,
                model: r.try_get("model")?,
                location: r.try_get("location")?,
                status: r.try_get("status")?,
            })
        })
        .collect()
}

/// The client admin confirms the registry as it is today, signing on screen.
pub async fn confirm(
    store: &Store,
    actor: &Actor,
    client_org_id: i64,
    signer_name: &str,
    png: &[u8],
) -> Result<Confirmation> {
    crate::organizations::get(store, actor, client_org_id).await?;
    if !actor.role.can_confirm_registry() {
        return Err(StoreError::Forbidden(
            "the client's administrator confirms the registry",
        ));
    }
    let signer = text("signer_name", signer_name, 100, true)?;
    if png.len() > 512 * 1024 {
        return Err(StoreError::invalid(
            "image",
            "must be a PNG of at most 512 KB",
        ));
    }
    crate::images::check_signature_png("image", png)?;
    use base64::Engine;
    let rows = snapshot(store, client_org_id).await?;
    let count = rows.len();
    let as_of = today().to_string();
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO asset_confirmations (client_org_id, as_of, snapshot, signer_name, image_png, confirmed_by, confirmed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(client_org_id)
    .bind(as_of.clone())
    .bind(serde_json::to_string(&rows).map_err(|e| StoreError::Format(e.to_string()))?)
    .bind(signer.clone())
    .bind(base64::engine::general_purpose::STANDARD.encode(png))
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(client_org_id),
        "asset_registry",
        id,
        "confirm",
        json!({"as_of": as_of, "assets": count, "signer": signer}),
    )
    .await?;
    tx.commit().await?;
    Ok(Confirmation {
        id,
        client_org_id,
        as_of,
        signer_name: signer,
        confirmed_at: instant(now),
        count,
    })
}

/// The registry now against the last confirmation.
pub async fn diff(store: &Store, actor: &Actor, client_org_id: i64) -> Result<RegistryDiff> {
    crate::organizations::get(store, actor, client_org_id).await?;
    may_read(actor)?;
    let last = sqlx::query(
        "SELECT id, as_of, snapshot, signer_name, confirmed_at FROM asset_confirmations \
         WHERE client_org_id = $1 ORDER BY confirmed_at DESC, id DESC LIMIT 1",
    )
    .bind(client_org_id)
    .fetch_optional(&store.pool)
    .await?;
    let now = snapshot(store, client_org_id).await?;
    let Some(r) = last else {
        return Ok(RegistryDiff {
            confirmation: None,
            added: now,
            removed: Vec::new(),
            changed: Vec::new(),
        });
    };
    let then: Vec<SnapshotRow> = serde_json::from_str(&r.try_get::<String, _>("snapshot")?)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let old: HashMap<&str, &SnapshotRow> = then.iter().map(|s| (s.tag.as_str(), s)).collect();
    let new: HashMap<&str, &SnapshotRow> = now.iter().map(|s| (s.tag.as_str(), s)).collect();
    let added = now
        .iter()
        .filter(|s| !old.contains_key(s.tag.as_str()))
        .cloned()
        .collect();
    let removed = then
        .iter()
        .filter(|s| !new.contains_key(s.tag.as_str()))
        .cloned()
        .collect();
    let changed = now
        .iter()
        .filter_map(|s| {
            old.get(s.tag.as_str())
                .filter(|o| **o != s)
                .map(|o| ((*o).clone(), s.clone()))
        })
        .collect();
    Ok(RegistryDiff {
        confirmation: Some(Confirmation {
            id: r.try_get("id")?,
            client_org_id,
            as_of: r.try_get("as_of")?,
            signer_name: r.try_get("signer_name")?,
            confirmed_at: instant(r.try_get("confirmed_at")?),
            count: then.len(),
        }),
        added,
        removed,
        changed,
    })
}
