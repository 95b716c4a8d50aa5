//! The service catalog (服务目录, SPEC §6): what the provider offers, with its content, service
//! hours (a calendar), targets and owner, and which clients use each item. Clients see the
//! items they use; the service level manager edits them. Also the provider's settings, such as
//! the quote price list.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::orders::text;
use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CatalogItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub content: String,
    pub content_en: String,
    pub calendar_id: Option<i64>,
    pub calendar_name: Option<String>,
    /// Availability target in percent, e.g. "99.5".
    pub availability_target: Option<String>,
    pub max_interruptions: Option<i64>,
    /// Longest restore time allowed, in business minutes.
    pub max_restore_minutes: Option<i64>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub active: bool,
    /// Client organisations that use it (for a client: only their own).
    pub client_ids: Vec<i64>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CatalogInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub content: Option<String>,
    pub content_en: Option<String>,
    /// `0` clears it.
    pub calendar_id: Option<i64>,
    /// Percent, e.g. "99.5"; empty clears it.
    pub availability_target: Option<String>,
    pub max_interruptions: Option<i64>,
    pub max_restore_minutes: Option<i64>,
    /// `0` clears it.
    pub owner_id: Option<i64>,
    pub active: Option<bool>,
    /// Replaces the list of client organisations using it.
    pub client_ids: Option<Vec<i64>>,
}

const SELECT: &str = "SELECT i.id, i.code, i.name, i.name_en, i.content, i.content_en, i.calendar_id, \
     k.name AS calendar_name, i.availability_target, i.max_interruptions, i.max_restore_minutes, i.owner_id, \
     u.display_name AS owner_name, i.active, i.version, i.created_at, i.updated_at \
     FROM catalog_items i LEFT JOIN calendars k ON k.id = i.calendar_id LEFT JOIN users u ON u.id = i.owner_id";

fn from_row(r: &AnyRow, client_ids: Vec<i64>) -> Result<CatalogItem> {
    Ok(CatalogItem {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        content: r.try_get("content")?,
        content_en: r.try_get("content_en")?,
        calendar_id: r.try_get("calendar_id")?,
        calendar_name: r.try_get("calendar_name")?,
        availability_target: r.try_get("availability_target")?,
        max_interruptions: r.try_get("max_interruptions")?,
        max_restore_minutes: r.try_get("max_restore_minutes")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        active: r.try_get::<i64, _>("active")? != 0,
        client_ids,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

async fn clients_of(store: &Store, id: i64, actor: &Actor) -> Result<Vec<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT client_org_id FROM catalog_item_clients WHERE item_id = $1 ORDER BY client_org_id",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    Ok(match actor.client_scope() {
        Some(own) => ids.into_iter().filter(|c| *c == own).collect(),
        None => ids,
    })
}

/// The catalog: every item for provider staff; the items a client uses for the client side.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<CatalogItem>> {
    let rows = match actor.client_scope() {
        Some(own) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE i.active = 1 AND i.id IN (SELECT item_id FROM catalog_item_clients WHERE client_org_id = $1) \
                 ORDER BY i.code"
            )))
            .bind(own)
            .fetch_all(&store.pool)
            .await?
        }
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY i.code")))
                .fetch_all(&store.pool)
                .await?
        }
    };
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        out.push(from_row(&r, clients_of(store, id, actor).await?)?);
    }
    Ok(out)
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<CatalogItem> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE i.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let clients = clients_of(store, id, actor).await?;
    if actor.is_client() && clients.is_empty() {
        return Err(StoreError::NotFound);
    }
    from_row(&row, clients)
}

fn may_edit(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_service_levels() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only service level managers and administrators edit the catalog",
        ))
    }
}

struct Checked {
    code: String,
    name: String,
    name_en: String,
    content: String,
    content_en: String,
    calendar_id: Option<i64>,
    availability: Option<String>,
    max_interruptions: Option<i64>,
    max_restore: Option<i64>,
    owner_id: Option<i64>,
    active: bool,
}

async fn check(store: &Store, base: Option<&CatalogItem>, i: &CatalogInput) -> Result<Checked> {
    let s = |v: &Option<String>, old: Option<&String>| {
        v.clone().or_else(|| old.cloned()).unwrap_or_default()
    };
    let code = text("code", &s(&i.code, base.map(|b| &b.code)), 32, true)?.to_uppercase();
    let availability = match &i.availability_target {
        Some(v) if v.trim().is_empty() => None,
        Some(v) => {
            let d: rust_decimal::Decimal = v.trim().parse().map_err(|_| {
                StoreError::invalid("availability_target", "must be a percentage such as 99.5")
            })?;
            if d <= rust_decimal::Decimal::ZERO || d > rust_decimal::Decimal::ONE_HUNDRED {
                return Err(StoreError::invalid(
                    "availability_target",
                    "must be above 0 and at most 100",
                ));
            }
            Some(d.normalize().to_string())
        }
        None => base.and_then(|b| b.availability_target.clone()),
    };
    let nonneg = |field: &str, v: Option<i64>, old: Option<i64>| -> Result<Option<i64>> {
        match v.or(old) {
            Some(n) if !(0..=1_000_000).contains(&n) => {
                Err(StoreError::invalid(field, "must be 0 to 1000000"))
            }
            other => Ok(other),
        }
    };
    let calendar_id = match i.calendar_id {
        Some(0) => None,
        Some(k) => {
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM calendars WHERE id = $1")
                .bind(k)
                .fetch_one(&store.pool)
                .await?;
            if n == 0 {
                return Err(StoreError::invalid("calendar_id", "no such calendar"));
            }
            Some(k)
        }
        None => base.and_then(|b| b.calendar_id),
    };
    let owner_id = match i.owner_id {
        Some(0) => None,
        Some(u) => {
            let kind: Option<String> = sqlx::query_scalar(
                "SELECT o.kind FROM users x JOIN organizations o ON o.id = x.org_id WHERE x.id = $1",
            )
            .bind(u)
            .fetch_optional(&store.pool)
            .await?;
            if kind.as_deref() != Some("provider") {
                return Err(StoreError::invalid("owner_id", "must be provider staff"));
            }
            Some(u)
        }
        None => base.and_then(|b| b.owner_id),
    };
    Ok(Checked {
        code,
        name: text("name", &s(&i.name, base.map(|b| &b.name)), 200, true)?,
        name_en: text(
            "name_en",
            &s(&i.name_en, base.map(|b| &b.name_en)),
            200,
            false,
        )?,
        content: text(
            "content",
            &s(&i.content, base.map(|b| &b.content)),
            10_000,
            false,
        )?,
        content_en: text(
            "content_en",
            &s(&i.content_en, base.map(|b| &b.content_en)),
            10_000,
            false,
        )?,
        calendar_id,
        availability,
        max_interruptions: nonneg(
            "max_interruptions",
            i.max_interruptions,
            base.and_then(|b| b.max_interruptions),
        )?,
        max_restore: nonneg(
            "max_restore_minutes",
            i.max_restore_minutes,
            base.and_then(|b| b.max_restore_minutes),
        )?,
        owner_id,
        active: i.active.or(base.map(|b| b.active)).unwrap_or(true),
    })
}

async fn set_clients(conn: &mut sqlx::AnyConnection, id: i64, clients: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM catalog_item_clients WHERE item_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for c in clients {
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM organizations WHERE id = $1")
                .bind(*c)
                .fetch_optional(&mut *conn)
                .await?;
        if kind.as_deref() != Some("client") {
            return Err(StoreError::invalid(
                "client_ids",
                format!("{c} is not a client organisation"),
            ));
        }
        sqlx::query(
            "INSERT INTO catalog_item_clients (item_id, client_org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(*c)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, i: &CatalogInput) -> Result<CatalogItem> {
    may_edit(actor)?;
    let c = check(store, None, i).await?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO catalog_items (code, name, name_en, content, content_en, calendar_id, availability_target, \
         max_interruptions, max_restore_minutes, owner_id, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(c.code.clone())
    .bind(c.name.clone())
    .bind(c.name_en)
    .bind(c.content)
    .bind(c.content_en)
    .bind(c.calendar_id)
    .bind(c.availability)
    .bind(c.max_interruptions)
    .bind(c.max_restore)
    .bind(c.owner_id)
    .bind(i64::from(c.active))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    set_clients(&mut tx, id, i.client_ids.as_deref().unwrap_or(&[])).await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "catalog_item",
        id,
        "create",
        json!({"code": c.code, "name": c.name}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    i: &CatalogInput,
) -> Result<CatalogItem> {
    let current = get(store, actor, id).await?;
    may_edit(actor)?;
    let c = check(store, Some(&current), i).await?;
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE catalog_items SET code = $1, name = $2, name_en = $3, content = $4, content_en = $5, calendar_id = $6, \
         availability_target = $7, max_interruptions = $8, max_restore_minutes = $9, owner_id = $10, active = $11, \
         version = version + 1, updated_at = $12 WHERE id = $13 AND version = $14",
    )
    .bind(c.code)
    .bind(c.name)
    .bind(c.name_en)
    .bind(c.content)
    .bind(c.content_en)
    .bind(c.calendar_id)
    .bind(c.availability)
    .bind(c.max_interruptions)
    .bind(c.max_restore)
    .bind(c.owner_id)
    .bind(i64::from(c.active))
    .bind(now_ms())
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    if let Some(clients) = &i.client_ids {
        set_clients(&mut tx, id, clients).await?;
    }
    audit::record(
        &mut tx,
        actor,
        None,
        "catalog_item",
        id,
        "update",
        json!({"version": version}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

// ---- provider settings ------------------------------------------------------------------

/// The quote price list: the stored one, or the defaults.
pub async fn price_list(store: &Store) -> Result<weihu_domain::scale::PriceList> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM provider_settings WHERE key = 'price_list'")
            .fetch_optional(&store.pool)
            .await?;
    match v {
        Some(v) => serde_json::from_str(&v).map_err(|e| StoreError::Format(e.to_string())),
        None => Ok(weihu_domain::scale::PriceList::default()),
    }
}

/// Replaces the price list (administrators, finance).
pub async fn set_price_list(
    store: &Store,
    actor: &Actor,
    value: &serde_json::Value,
) -> Result<weihu_domain::scale::PriceList> {
    if !actor.role.can_manage_price_list() {
        return Err(StoreError::Forbidden(
            "only administrators and finance change the price list",
        ));
    }
    let list: weihu_domain::scale::PriceList = serde_json::from_value(value.clone())
        .map_err(|e| StoreError::invalid("price_list", e.to_string()))?;
    for w in list.bands.windows(2) {
        if w[1].max_scale <= w[0].max_scale {
            return Err(StoreError::invalid(
                "price_list.bands",
                "max_scale must ascend",
            ));
        }
    }
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO provider_settings (key, value, updated_at) VALUES ('price_list', $1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(serde_json::to_string(&list).map_err(|e| StoreError::Format(e.to_string()))?)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "settings",
        "price_list",
        "update",
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(list)
}
