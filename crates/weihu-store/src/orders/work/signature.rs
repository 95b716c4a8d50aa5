//! The client's drawn signature under the resolution, and the signed orders of a month.

use super::*;

/// The largest signature image accepted (a drawn signature is a few kilobytes).
pub const MAX_SIGNATURE_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Signature {
    pub signer_name: String,
    #[schema(value_type = String, format = DateTime)]
    pub signed_at: jiff::Timestamp,
    /// Whoever held the phone (the engineer on site).
    pub collected_by: Option<i64>,
}

/// Records the client's drawn signature on a resolved order. `png` must be a PNG image.
pub async fn sign(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    signer_name: &str,
    png: &[u8],
) -> Result<Signature> {
    let order = get(store, actor, order_id).await?;
    access::require(store, actor, &order, OrderAction::Sign).await?;
    let name = text("signer_name", signer_name, 100, true)?;
    if png.len() > MAX_SIGNATURE_BYTES {
        return Err(StoreError::invalid(
            "image",
            "the signature image is too large",
        ));
    }
    // The declared size is what a viewer allocates when it decodes the picture: a 100-byte PNG
    // may declare 65535 × 65535 pixels.
    crate::images::check_signature_png("image", png)?;
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    let now = now_ms();
    commit_work(store, actor, &order, now, async |tx| {
        sqlx::query("INSERT INTO order_signatures (order_id, signer_name, image_png, collected_by, signed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(order_id)
            .bind(name.clone())
            .bind(encoded)
            .bind(actor.audit_id())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Ok(((),
            Event {
                kind: "signed",
                public: true,
                body: &name,
                data: json!({}),
                audit_action: "signed",
                audit: json!({"signer": name}),
            }))
    })
    .await?;
    signature(store, actor, order_id)
        .await?
        .ok_or(StoreError::NotFound)
        .map(|(s, _)| s)
}

/// The latest signature of an order and its PNG bytes.
pub async fn signature(
    store: &Store,
    actor: &Actor,
    order_id: i64,
) -> Result<Option<(Signature, Vec<u8>)>> {
    get(store, actor, order_id).await?;
    let row = sqlx::query("SELECT signer_name, image_png, collected_by, signed_at FROM order_signatures WHERE order_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(order_id)
        .fetch_optional(&store.pool)
        .await?;
    let Some(r) = row else { return Ok(None) };
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(r.try_get::<String, _>("image_png")?)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok(Some((
        Signature {
            signer_name: r.try_get("signer_name")?,
            signed_at: instant(r.try_get("signed_at")?),
            collected_by: r.try_get("collected_by")?,
        },
        png,
    )))
}

/// The resolved or closed orders of a client signed during `month` (in the provider's zone,
/// [`Store::time_zone`]),
/// oldest signature first, as `actor` may see them: one indexed query, not a walk over every
/// order of the client.
pub async fn signed_in_month(
    store: &Store,
    actor: &Actor,
    client_org_id: i64,
    month: weihu_domain::billing::YearMonth,
) -> Result<Vec<Order>> {
    let range = month
        .range()
        .map_err(|e| StoreError::invalid("month", e.to_string()))?;
    let tz = store.time_zone().clone();
    let ms = |d: jiff::civil::Date| -> Result<i64> {
        Ok(d.to_zoned_datetime(tz.clone())
            .map_err(|e| StoreError::Format(e.to_string()))?
            .timestamp()
            .as_millisecond())
    };
    let next = range
        .end
        .tomorrow()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT o.id FROM order_signatures s JOIN orders o ON o.id = s.order_id \
         WHERE o.client_org_id = $1 AND s.signed_at >= $2 AND s.signed_at < $3 \
         AND o.state IN ('resolved', 'closed') GROUP BY o.id ORDER BY min(s.signed_at), o.id",
    )
    .bind(client_org_id)
    .bind(ms(range.start)?)
    .bind(ms(next)?)
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        // A client user sees only their own orders: the others of the organisation are skipped.
        match get(store, actor, id).await {
            Ok(o) => out.push(o),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
