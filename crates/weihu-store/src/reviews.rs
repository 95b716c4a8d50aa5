//! SLA reviews (SPEC §9): the provider and the client go over a period's service levels; the
//! review records who attended, what was found, and a service-improvement plan whose items
//! (owner, due date, state) are followed up on the next reports until done. Administrators and
//! service-level managers record and update them; the client's administrator reads its own.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::role::Role;

use crate::sql::SqlBuf;
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

/// At most this many plan items per review.
pub const MAX_ITEMS: usize = 50;
/// States of an improvement item.
pub const ITEM_STATES: [&str; 4] = ["open", "in_progress", "done", "dropped"];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImprovementItem {
    pub id: i64,
    pub review_id: i64,
    pub action: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_on: Option<String>,
    /// open, in_progress, done or dropped.
    pub state: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Review {
    pub id: i64,
    pub client_org_id: i64,
    pub client_name: String,
    /// The month reviewed, YYYY-MM.
    pub period: String,
    /// YYYY-MM-DD.
    pub held_on: String,
    pub attendees: String,
    pub findings: String,
    pub items: Vec<ImprovementItem>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewItem {
    pub action: String,
    #[serde(default)]
    pub owner: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub due_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewReview {
    pub client_org_id: i64,
    /// The month reviewed, YYYY-MM.
    pub period: String,
    /// YYYY-MM-DD; default today.
    #[serde(default)]
    pub held_on: Option<String>,
    #[serde(default)]
    pub attendees: String,
    #[serde(default)]
    pub findings: String,
    /// The service-improvement plan (at most 50 items).
    #[serde(default)]
    pub items: Vec<NewItem>,
}

/// A plan item's progress, with its version as read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ItemUpdate {
    pub version: i64,
    /// open, in_progress, done or dropped.
    pub state: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ReviewFilter {
    pub client_org_id: Option<i64>,
    /// YYYY-MM: reviews of this period.
    pub period: Option<String>,
}

fn may_manage(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_service_levels() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "administrators and service-level managers record SLA reviews",
        ))
    }
}

/// Provider staff and the client's administrator read reviews; a client user reads none.
fn hidden(actor: &Actor) -> bool {
    actor.role.is_client_side() && actor.role != Role::ClientAdmin
}

/// A date as entered, checked and written back as `YYYY-MM-DD`.
fn date(field: &str, v: &str) -> Result<String> {
    crate::contracts::parse_date(field, v).map(|d| d.to_string())
}

fn item_row(r: &sqlx::any::AnyRow) -> Result<ImprovementItem> {
    Ok(ImprovementItem {
        id: r.try_get("id")?,
        review_id: r.try_get("review_id")?,
        action: r.try_get("action")?,
        owner: r.try_get("owner")?,
        due_on: r.try_get("due_on")?,
        state: r.try_get("state")?,
        version: r.try_get("version")?,
    })
}

const SELECT: &str = "SELECT v.id, v.client_org_id, g.name AS client_name, v.period, v.held_on, v.attendees, v.findings, \
     v.version, v.created_at FROM sla_reviews v JOIN organizations g ON g.id = v.client_org_id";

fn review_row(r: &sqlx::any::AnyRow) -> Result<Review> {
    Ok(Review {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        period: r.try_get("period")?,
        held_on: r.try_get("held_on")?,
        attendees: r.try_get("attendees")?,
        findings: r.try_get("findings")?,
        items: Vec::new(),
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
    })
}

async fn items_of(store: &Store, ids: &[i64]) -> Result<Vec<ImprovementItem>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Ids are integers read from the database.
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, review_id, action, owner, due_on, state, version FROM improvement_items \
         WHERE review_id IN ({list}) ORDER BY review_id, position, id"
    )))
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(item_row).collect()
}

/// One review with its plan; another client's is not found.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Review> {
    if hidden(actor) {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE v.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut r = review_row(&row)?;
    if actor
        .client_scope()
        .is_some_and(|own| own != r.client_org_id)
    {
        return Err(StoreError::NotFound);
    }
    r.items = items_of(store, &[r.id]).await?;
    Ok(r)
}

/// Reviews, the latest first; a client's administrator sees its own.
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &ReviewFilter,
    params: &ListParams,
) -> Result<Page<Review>> {
    if hidden(actor) {
        return Ok(Page::new(Vec::new(), 0, 0));
    }
    let mut w = SqlBuf::new(" WHERE 1 = 1");
    if let Some(c) = actor.client_scope().or(f.client_org_id) {
        w.push(" AND v.client_org_id = ").bind(c);
    }
    if let Some(p) = f.period.as_deref().filter(|p| !p.trim().is_empty()) {
        let ym = crate::statements::parse_month("period", p)?;
        w.push(" AND v.period = ").bind(ym.to_string());
    }
    let mut page = crate::page::Listing {
        select: SELECT,
        count: "SELECT count(*) FROM sla_reviews v",
        sorts: &[("held_on", "v.held_on"), ("period", "v.period")],
        default_sort: "v.held_on DESC",
        id: "v.id",
    }
    .page(store, params, w, review_row)
    .await?;
    let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
    let mut items = items_of(store, &ids).await?;
    for r in &mut page.items {
        r.items = items.extract_if(.., |i| i.review_id == r.id).collect();
    }
    Ok(page)
}

/// Records a review with its plan, in one transaction.
pub async fn create(store: &Store, actor: &Actor, new: &NewReview) -> Result<Review> {
    may_manage(actor)?;
    let period = crate::statements::parse_month("period", &new.period)?.to_string();
    let held_on = match new.held_on.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => date("held_on", d)?,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(store.time_zone().clone())
            .date()
            .to_string(),
    };
    let attendees = crate::orders::text("attendees", &new.attendees, 2000, true)?;
    let findings = crate::orders::text("findings", &new.findings, 20_000, false)?;
    if new.items.len() > MAX_ITEMS {
        return Err(StoreError::invalid(
            "items",
            format!("at most {MAX_ITEMS} items per review"),
        ));
    }
    let mut items = Vec::with_capacity(new.items.len());
    for (i, it) in new.items.iter().enumerate() {
        let action = crate::orders::text(&format!("items[{i}].action"), &it.action, 2000, true)?;
        let owner = crate::orders::text(&format!("items[{i}].owner"), &it.owner, 200, false)?;
        let due = match it.due_on.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => Some(date(&format!("items[{i}].due_on"), d)?),
            None => None,
        };
        items.push((action, owner, due));
    }
    let client: Option<String> = sqlx::query_scalar("SELECT kind FROM organizations WHERE id = $1")
        .bind(new.client_org_id)
        .fetch_optional(&store.pool)
        .await?;
    if client.as_deref() != Some("client") {
        return Err(StoreError::invalid("client_org_id", "no such client"));
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sla_reviews (client_org_id, period, held_on, attendees, findings, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(new.client_org_id)
    .bind(period.clone())
    .bind(held_on.clone())
    .bind(attendees)
    .bind(findings)
    .bind((actor.user_id > 0).then_some(actor.user_id))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (pos, (action, owner, due)) in items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO improvement_items (review_id, client_org_id, action, owner, due_on, state, position, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7)",
        )
        .bind(id)
        .bind(new.client_org_id)
        .bind(action.clone())
        .bind(owner.clone())
        .bind(due.clone())
        .bind(i64::try_from(pos).unwrap_or(0))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        Some(new.client_org_id),
        "sla_review",
        id,
        "create",
        json!({"period": period, "held_on": held_on, "items": items.len()}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Moves a plan item on (open → in progress → done, or dropped), audited.
pub async fn update_item(
    store: &Store,
    actor: &Actor,
    review_id: i64,
    item_id: i64,
    u: &ItemUpdate,
) -> Result<Review> {
    let review = get(store, actor, review_id).await?;
    may_manage(actor)?;
    if !ITEM_STATES.contains(&u.state.as_str()) {
        return Err(StoreError::invalid(
            "state",
            "must be one of: open, in_progress, done, dropped",
        ));
    }
    let item = review
        .items
        .iter()
        .find(|i| i.id == item_id)
        .ok_or(StoreError::NotFound)?;
    if item.version != u.version {
        return Err(StoreError::Conflict {
            current: item.version,
        });
    }
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE improvement_items SET state = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND review_id = $4 AND version = $5",
    )
    .bind(u.state.clone())
    .bind(now_ms())
    .bind(item_id)
    .bind(review_id)
    .bind(u.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: item.version,
        });
    }
    audit::record(
        &mut tx,
        actor,
        Some(review.client_org_id),
        "improvement_item",
        item_id,
        "update",
        json!({"from": item.state, "to": u.state}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, review_id).await
}

/// For a report: the client's reviews held in `[from_date, to_date]` (dates), and every plan item
/// of reviews held before the period's end that was still open at the start of it or is open now.
pub(crate) async fn for_report(
    store: &Store,
    client: i64,
    first_day: &str,
    last_day: &str,
) -> Result<(Vec<Review>, Vec<ImprovementItem>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE v.client_org_id = $1 AND v.held_on >= $2 AND v.held_on <= $3 ORDER BY v.held_on, v.id LIMIT 50"
    )))
    .bind(client)
    .bind(first_day.to_owned())
    .bind(last_day.to_owned())
    .fetch_all(&store.pool)
    .await?;
    let mut held: Vec<Review> = rows.iter().map(review_row).collect::<Result<_>>()?;
    let ids: Vec<i64> = held.iter().map(|r| r.id).collect();
    let mut items = items_of(store, &ids).await?;
    for r in &mut held {
        r.items = items.extract_if(.., |i| i.review_id == r.id).collect();
    }
    let rows = sqlx::query(
        "SELECT i.id, i.review_id, i.action, i.owner, i.due_on, i.state, i.version FROM improvement_items i \
         JOIN sla_reviews v ON v.id = i.review_id WHERE i.client_org_id = $1 AND v.held_on <= $2 \
         AND i.state IN ('open', 'in_progress') ORDER BY i.due_on, i.id LIMIT 200",
    )
    .bind(client)
    .bind(last_day.to_owned())
    .fetch_all(&store.pool)
    .await?;
    let open = rows.iter().map(item_row).collect::<Result<_>>()?;
    Ok((held, open))
}
