//! Editing an order after it is opened (issue #13): the facts of the fault (subject,
//! description, category, site, asset, catalog service, service mode) and its urgency and impact.
//! The priority follows from the policy's matrix; a priority change needs a reason and re-targets
//! the running clocks from the order's start under the same policy version. Every change is on
//! the timeline as what changed from what to what, with the reason, never silently.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use weihu_domain::priority::{Level, Priority};

use super::{
    CATEGORIES, Order, OrderAction, SERVICE_MODES, access, client_asset, client_service, clocks,
    get, one_of, search, text, timeline,
};
use crate::{Actor, Result, Store, StoreError, audit, now_ms};

/// What to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OrderPatch {
    /// The version you read (409 when someone changed the order since).
    pub version: i64,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    #[schema(value_type = Option<String>)]
    pub urgency: Option<Level>,
    #[schema(value_type = Option<String>)]
    pub impact: Option<Level>,
    pub site: Option<String>,
    /// A device of the order's client; `null` clears it.
    #[serde(default, with = "crate::users::double_option")]
    pub asset_id: Option<Option<i64>>,
    /// A service of the client's catalog; `null` clears it.
    #[serde(default, with = "crate::users::double_option")]
    pub catalog_item_id: Option<Option<i64>>,
    pub service_mode: Option<String>,
    /// Why: required when the priority changes; recorded on the timeline.
    #[serde(default)]
    pub reason: String,
}

/// The order as it will be.
struct Next {
    subject: String,
    description: String,
    category: String,
    urgency: Level,
    impact: Level,
    priority: Priority,
    site: String,
    asset_id: Option<i64>,
    catalog_item_id: Option<i64>,
    service_mode: String,
}

/// Changes an open order. Returns it as the actor now sees it.
pub async fn update(store: &Store, actor: &Actor, id: i64, patch: &OrderPatch) -> Result<Order> {
    let order = get(store, actor, id).await?;
    access::require(store, actor, &order, OrderAction::Edit).await?;
    if patch.version != order.version {
        return Err(StoreError::Conflict {
            current: order.version,
        });
    }
    let policy = clocks::order_policy_version(store, order.policy_id, order.policy_version).await?;
    let urgency = patch.urgency.unwrap_or(order.urgency);
    let impact = patch.impact.unwrap_or(order.impact);
    let priority = match &policy {
        Some(p) => p.matrix.priority(urgency, impact),
        None => weihu_domain::priority::priority(urgency, impact),
    };
    let next = Next {
        subject: match &patch.subject {
            Some(v) => text("subject", v, 200, true)?,
            None => order.subject.clone(),
        },
        description: match &patch.description {
            Some(v) => text("description", v, 20_000, false)?,
            None => order.description.clone(),
        },
        category: match &patch.category {
            Some(v) => one_of("category", v.trim(), &CATEGORIES)?,
            None => order.category.clone(),
        },
        urgency,
        impact,
        priority,
        site: match &patch.site {
            Some(v) => text("site", v, 200, false)?,
            None => order.site.clone(),
        },
        asset_id: match patch.asset_id {
            Some(Some(a)) => Some(client_asset(store, order.client_org_id, a).await?),
            Some(None) => None,
            None => order.asset_id,
        },
        catalog_item_id: match patch.catalog_item_id {
            Some(Some(c)) => Some(client_service(store, order.client_org_id, c).await?),
            Some(None) => None,
            None => order.catalog_item_id,
        },
        service_mode: match &patch.service_mode {
            Some(v) => one_of("service_mode", v.trim(), &SERVICE_MODES)?,
            None => order.service_mode.clone(),
        },
    };
    let reason = text("reason", &patch.reason, 2000, false)?;
    let changes = changes(&order, &next);
    if changes.is_empty() {
        return Ok(order);
    }
    let priority_changed = next.priority.as_str() != order.priority;
    if priority_changed && reason.is_empty() {
        return Err(StoreError::invalid(
            "reason",
            "say why the priority changes",
        ));
    }
    // Calendars before the transaction (a transaction never waits for a second connection).
    let cals = match (&policy, priority_changed) {
        (Some(p), true) => {
            clocks::Calendars::load(store, vec![p.targets_for(next.priority).calendar.clone()])
                .await?
        }
        _ => clocks::Calendars::load(store, Vec::new()).await?,
    };
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE orders SET subject = $1, description = $2, category = $3, urgency = $4, impact = $5, \
         priority = $6, site = $7, asset_id = $8, catalog_item_id = $9, service_mode = $10, \
         version = version + 1, updated_at = $11 WHERE id = $12 AND version = $13",
    )
    .bind(next.subject.clone())
    .bind(next.description.clone())
    .bind(next.category.clone())
    .bind(next.urgency.as_str())
    .bind(next.impact.as_str())
    .bind(next.priority.as_str())
    .bind(next.site.clone())
    .bind(next.asset_id)
    .bind(next.catalog_item_id)
    .bind(next.service_mode.clone())
    .bind(now)
    .bind(id)
    .bind(order.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: order.version + 1,
        });
    }
    let mut data = json!({ "changes": Value::Object(changes.clone()) });
    if priority_changed && let Some(p) = &policy {
        let retargeted = clocks::retarget(&cals, &mut tx, id, p, next.priority, now).await?;
        data["clocks"] = json!(
            retargeted
                .iter()
                .map(|(kind, from, to)| json!({"clock": kind, "from_minutes": from, "to_minutes": to}))
                .collect::<Vec<_>>()
        );
    }
    timeline::record(&mut tx, actor, id, "edited", true, &reason, data).await?;
    search::reindex(&mut tx, store.backend(), id).await?;
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        id,
        "edit",
        json!({ "changes": Value::Object(changes), "reason": reason }),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// `{field: [before, after]}` for every field that changes.
fn changes(order: &Order, next: &Next) -> Map<String, Value> {
    let mut out = Map::new();
    let mut put = |field: &str, before: Value, after: Value| {
        if before != after {
            out.insert(field.to_owned(), json!([before, after]));
        }
    };
    put("subject", json!(order.subject), json!(next.subject));
    put(
        "description",
        json!(order.description),
        json!(next.description),
    );
    put("category", json!(order.category), json!(next.category));
    put(
        "urgency",
        json!(order.urgency.as_str()),
        json!(next.urgency.as_str()),
    );
    put(
        "impact",
        json!(order.impact.as_str()),
        json!(next.impact.as_str()),
    );
    put(
        "priority",
        json!(order.priority),
        json!(next.priority.as_str()),
    );
    put("site", json!(order.site), json!(next.site));
    put("asset_id", json!(order.asset_id), json!(next.asset_id));
    put(
        "catalog_item_id",
        json!(order.catalog_item_id),
        json!(next.catalog_item_id),
    );
    put(
        "service_mode",
        json!(order.service_mode),
        json!(next.service_mode),
    );
    out
}
