//! Stored business calendars (the domain's JSON format) and the SLA policies that use them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use weihu_domain::calendar::Calendar;
use weihu_domain::sla::SlaPolicy;

use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredCalendar {
    pub id: i64,
    pub name: String,
    /// The calendar in the documented JSON format.
    #[schema(value_type = Object)]
    pub definition: Value,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

impl StoredCalendar {
    /// The domain calendar (validated when stored).
    pub fn calendar(&self) -> Result<Calendar> {
        Calendar::from_json_value(&self.definition)
            .map_err(|e| StoreError::Format(format!("stored calendar {}: {e}", self.id)))
    }
}

fn from_row(r: &AnyRow) -> Result<StoredCalendar> {
    Ok(StoredCalendar {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
            .map_err(|e| StoreError::Format(e.to_string()))?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// Calendars and policies are provider configuration: clients neither list nor read them.
fn readable(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::Forbidden(
            "service-level configuration is provider-internal",
        ));
    }
    Ok(())
}

fn writable(actor: &Actor) -> Result<()> {
    if !actor.role.can_manage_service_levels() {
        return Err(StoreError::Forbidden(
            "only administrators and service level managers change calendars and SLA policies",
        ));
    }
    Ok(())
}

/// Validates a calendar definition; the error names the field as `definition.<path>`.
pub fn parse_calendar(definition: &Value) -> Result<Calendar> {
    Calendar::from_json_value(definition)
        .map_err(|e| StoreError::invalid(format!("definition.{}", e.field), e.message))
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
) -> Result<Page<StoredCalendar>> {
    readable(actor)?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM calendars")
        .fetch_one(&store.pool)
        .await?;
    let order = params.order_by(&[("name", "name"), ("id", "id")], "name")?;
    let (limit, offset) = (params.limit()?, params.offset()?);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, name, definition, version, created_at, updated_at FROM calendars ORDER BY {order} LIMIT $1 OFFSET $2"
    )))
    .bind(limit)
    .bind(offset)
    .fetch_all(&store.pool)
    .await?;
    let items = rows.iter().map(from_row).collect::<Result<_>>()?;
    Ok(Page::new(items, total, offset))
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<StoredCalendar> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(
        "SELECT id, name, definition, version, created_at, updated_at FROM calendars WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// A calendar by name: a stored one, else a preset (`5x8`, `7x24`).
pub async fn resolve(store: &Store, name: &str) -> Result<Option<Calendar>> {
    let row = sqlx::query("SELECT id, name, definition, version, created_at, updated_at FROM calendars WHERE name = $1")
        .bind(name.to_owned())
        .fetch_optional(&store.pool)
        .await?;
    match row {
        Some(r) => Ok(Some(from_row(&r)?.calendar()?)),
        None => Ok(Calendar::preset(name)),
    }
}

/// The stored calendar `id` parsed, from the process's cache when `version` is the one cached
/// (a calendar edited since the caller read `version` is read fresh and cached at its own).
pub(crate) async fn by_version(
    store: &Store,
    id: i64,
    version: i64,
) -> Result<std::sync::Arc<Calendar>> {
    if let Some(c) = store.rules.calendar(id, version) {
        return Ok(c);
    }
    let row = sqlx::query(
        "SELECT id, name, definition, version, created_at, updated_at FROM calendars WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or_else(|| StoreError::Format(format!("calendar {id} is gone")))?;
    let stored = from_row(&row)?;
    let cal = std::sync::Arc::new(stored.calendar()?);
    store.rules.put_calendar(id, stored.version, cal.clone());
    Ok(cal)
}

/// The stored calendar named `name`, parsed (through the cache), if there is one.
pub(crate) async fn by_name(store: &Store, name: &str) -> Result<Option<std::sync::Arc<Calendar>>> {
    let key: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, version FROM calendars WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&store.pool)
            .await?;
    match key {
        Some((id, version)) => Ok(Some(by_version(store, id, version).await?)),
        None => Ok(None),
    }
}

/// The id of the stored calendar with this name (none for presets and unknown names).
pub async fn id_by_name(store: &Store, name: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM calendars WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&store.pool)
            .await?,
    )
}

pub async fn create(store: &Store, actor: &Actor, definition: &Value) -> Result<StoredCalendar> {
    writable(actor)?;
    let cal = parse_calendar(definition)?;
    let canonical = cal.to_json_value();
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO calendars (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(cal.name().to_owned())
    .bind(canonical.to_string())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "calendar",
        id,
        "create",
        json!({"name": cal.name()}),
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
    definition: &Value,
) -> Result<StoredCalendar> {
    let current = get(store, actor, id).await?;
    writable(actor)?;
    let cal = parse_calendar(definition)?;
    if cal.name() != current.name && in_use(store, &current.name).await? {
        return Err(StoreError::invalid(
            "definition.name",
            format!(
                "{} is named by SLA policies or running orders; create a calendar under the new name instead of renaming this one",
                current.name
            ),
        ));
    }
    let canonical = cal.to_json_value();
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE calendars SET name = $1, definition = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5",
    )
    .bind(cal.name().to_owned())
    .bind(canonical.to_string())
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
    audit::record(
        &mut tx,
        actor,
        None,
        "calendar",
        id,
        "update",
        json!({"definition": [current.definition, canonical]}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Whether any policy version or order clock names the calendar (they refer to it by name).
async fn in_use(store: &Store, name: &str) -> Result<bool> {
    let clocks: i64 = sqlx::query_scalar("SELECT count(*) FROM order_clocks WHERE calendar = $1")
        .bind(name.to_owned())
        .fetch_one(&store.pool)
        .await?;
    if clocks > 0 {
        return Ok(true);
    }
    let defs: Vec<String> = sqlx::query_scalar("SELECT definition FROM sla_policy_versions")
        .fetch_all(&store.pool)
        .await?;
    Ok(defs.iter().any(|d| {
        serde_json::from_str::<SlaPolicy>(d).is_ok_and(|p| {
            weihu_domain::priority::Priority::ALL
                .into_iter()
                .any(|pr| p.targets_for(pr).calendar == name)
        })
    }))
}

// ---- SLA policies -----------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredPolicy {
    pub id: i64,
    pub name: String,
    /// The provider default, used when a contract names no policy.
    pub is_default: bool,
    /// The default policy, or one a contract in force names: its targets change only through an
    /// approved change request (`/api/v1/change-requests`), never by a direct revision.
    pub in_force: bool,
    pub current_version: i64,
    /// The current version's definition.
    #[schema(value_type = Object)]
    pub definition: Value,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyVersion {
    pub number: i64,
    #[schema(value_type = Object)]
    pub definition: Value,
    pub note: String,
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewPolicy {
    /// The policy (name, matrix, targets per priority); see the SLA engine's JSON format.
    #[schema(value_type = Object)]
    pub definition: Value,
    #[serde(default)]
    pub is_default: bool,
}

const POLICY_SELECT: &str = "SELECT p.id, p.name, p.is_default, p.current_version, p.version, p.created_at, p.updated_at, v.definition, \
     (SELECT count(*) FROM contracts c WHERE c.policy_id = p.id AND c.status IN ('active', 'terminating')) AS contracts_in_force \
     FROM sla_policies p JOIN sla_policy_versions v ON v.policy_id = p.id AND v.number = p.current_version";

fn policy_from_row(r: &AnyRow) -> Result<StoredPolicy> {
    let is_default = r.try_get::<i64, _>("is_default")? != 0;
    Ok(StoredPolicy {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        is_default,
        in_force: is_default || r.try_get::<i64, _>("contracts_in_force")? > 0,
        current_version: r.try_get("current_version")?,
        definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
            .map_err(|e| StoreError::Format(e.to_string()))?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// Parses a policy and checks that every calendar it names exists.
pub(crate) async fn check_policy(
    store: &Store,
    definition: &Value,
    number: i64,
) -> Result<SlaPolicy> {
    let mut def = definition.clone();
    if let Some(o) = def.as_object_mut() {
        o.insert("version".into(), json!(number));
    }
    let policy: SlaPolicy = serde_json::from_value(def)
        .map_err(|e| StoreError::invalid("definition", e.to_string()))?;
    policy
        .validate()
        .map_err(|e| StoreError::invalid(format!("definition.{}", e.field), e.message))?;
    for p in weihu_domain::priority::Priority::ALL {
        let name = &policy.targets_for(p).calendar;
        if resolve(store, name).await?.is_none() {
            return Err(StoreError::invalid(
                format!("definition.targets.{}.calendar", p.as_str()),
                format!("no calendar named {name}"),
            ));
        }
    }
    Ok(policy)
}

pub async fn list_policies(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
) -> Result<Page<StoredPolicy>> {
    readable(actor)?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM sla_policies")
        .fetch_one(&store.pool)
        .await?;
    let (limit, offset) = (params.limit()?, params.offset()?);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{POLICY_SELECT} ORDER BY p.is_default DESC, p.name, p.id LIMIT $1 OFFSET $2"
    )))
    .bind(limit)
    .bind(offset)
    .fetch_all(&store.pool)
    .await?;
    let items = rows.iter().map(policy_from_row).collect::<Result<_>>()?;
    Ok(Page::new(items, total, offset))
}

pub async fn get_policy(store: &Store, actor: &Actor, id: i64) -> Result<StoredPolicy> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{POLICY_SELECT} WHERE p.id = $1"
    )))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    policy_from_row(&row)
}

/// The domain policy of a stored policy's current version.
pub fn domain_policy(p: &StoredPolicy) -> Result<SlaPolicy> {
    serde_json::from_value(p.definition.clone()).map_err(|e| StoreError::Format(e.to_string()))
}

pub async fn create_policy(store: &Store, actor: &Actor, new: &NewPolicy) -> Result<StoredPolicy> {
    writable(actor)?;
    let policy = check_policy(store, &new.definition, 1).await?;
    let definition =
        serde_json::to_value(&policy).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    if new.is_default {
        sqlx::query("UPDATE sla_policies SET is_default = 0, version = version + 1, updated_at = $1 WHERE is_default = 1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sla_policies (name, is_default, current_version, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) RETURNING id",
    )
    .bind(policy.name.clone())
    .bind(i64::from(new.is_default))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sla_policy_versions (policy_id, number, definition, note, created_by, created_at) VALUES ($1, 1, $2, '', $3, $4)",
    )
    .bind(id)
    .bind(definition.to_string())
    .bind(actor.username.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "sla_policy",
        id,
        "create",
        json!({"name": policy.name}),
    )
    .await?;
    tx.commit().await?;
    get_policy(store, actor, id).await
}

/// Why a direct revision of a policy in force is refused (the page offers a change request
/// instead).
pub const POLICY_IN_FORCE: &str = "this policy is in force (the default, or named by a contract in force): propose the change as a change request";

/// Adds a new version of a policy not in force yet (a draft policy being prepared). Orders keep
/// the version they started under; a policy in force changes only through an approved change
/// request, which adds its version by [`add_policy_version`] as well.
pub async fn revise_policy(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    definition: &Value,
    note: &str,
) -> Result<StoredPolicy> {
    let current = get_policy(store, actor, id).await?;
    writable(actor)?;
    if current.in_force {
        return Err(StoreError::invalid("definition", POLICY_IN_FORCE));
    }
    if version != current.version {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    let mut tx = store.pool.begin().await?;
    add_policy_version(store, &mut tx, actor, id, definition, note).await?;
    tx.commit().await?;
    get_policy(store, actor, id).await
}

pub async fn policy_versions(store: &Store, actor: &Actor, id: i64) -> Result<Vec<PolicyVersion>> {
    get_policy(store, actor, id).await?;
    let rows = sqlx::query(
        "SELECT number, definition, note, created_by, created_at FROM sla_policy_versions WHERE policy_id = $1 ORDER BY number DESC",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PolicyVersion {
                number: r.try_get("number")?,
                definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
                    .map_err(|e| StoreError::Format(e.to_string()))?,
                note: r.try_get("note")?,
                created_by: r.try_get("created_by")?,
                created_at: instant(r.try_get("created_at")?),
            })
        })
        .collect()
}

// ---- built-in service levels ------------------------------------------------------------

/// Name of the built-in China 5×8 calendar (Mon–Fri 09:00–17:00, Asia/Shanghai, every shipped
/// `cn-*` holiday set). The demo data reuses it.
pub const BUILTIN_CALENDAR: &str = "中国 5×8 全天";
/// Name of the built-in provider default SLA policy (SPEC §4 targets on [`BUILTIN_CALENDAR`]).
pub const BUILTIN_POLICY: &str = "标准 SLA（5×8）";

/// The built-in calendar's definition: SPEC §3 `5×8` with every shipped China holiday set.
pub fn builtin_calendar() -> Result<Calendar> {
    let mut cal = Calendar::new(
        BUILTIN_CALENDAR,
        weihu_domain::calendar::DEFAULT_TIME_ZONE,
        weihu_domain::calendar::WeeklySchedule::five_by_8(),
    )
    .map_err(|e| StoreError::Format(e.to_string()))?;
    for set in weihu_domain::calendar::builtin_holiday_sets() {
        if set.name.starts_with("cn-") {
            cal = cal
                .with_holiday_set(set.name)
                .map_err(|e| StoreError::Format(e.to_string()))?;
        }
    }
    Ok(cal)
}

/// The built-in default policy: SPEC §4 defaults (response 30, arrival 240, resolution
/// P1 120 / P2 240 / P3 480 / P4 960 business minutes) on [`BUILTIN_CALENDAR`].
pub fn builtin_policy() -> SlaPolicy {
    let mut policy = SlaPolicy::default_targets();
    policy.name = BUILTIN_POLICY.to_string();
    policy.version = 1;
    let t = &mut policy.targets;
    for targets in [&mut t.p1, &mut t.p2, &mut t.p3, &mut t.p4] {
        targets.calendar = BUILTIN_CALENDAR.to_string();
    }
    policy
}

/// First start: makes sure new orders get SLA clocks. When no SLA policy is the provider default,
/// creates the built-in calendar (unless one of that name exists) and the built-in default
/// policy, which an admin then edits like any other. Idempotent, and harmless when several
/// instances start at once on an empty database: names are unique and a duplicate is skipped
/// (`ON CONFLICT DO NOTHING`). Returns whether the policy was created by this call.
pub async fn ensure_builtin(store: &Store, actor: &Actor) -> Result<bool> {
    let defaults: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sla_policies WHERE is_default = 1")
            .fetch_one(&store.pool)
            .await?;
    if defaults > 0 {
        return Ok(false);
    }
    let cal = builtin_calendar()?;
    let policy = builtin_policy();
    policy
        .validate()
        .map_err(|e| StoreError::Format(e.to_string()))?;
    let definition =
        serde_json::to_value(&policy).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let cal_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO calendars (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(cal.name().to_owned())
    .bind(cal.to_json_value().to_string())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = cal_id {
        audit::record(
            &mut tx,
            actor,
            None,
            "calendar",
            id,
            "create",
            json!({"name": cal.name(), "builtin": true}),
        )
        .await?;
    }
    // A default made by someone else between the check and here wins: no second default.
    let policy_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO sla_policies (name, is_default, current_version, created_at, updated_at) \
         SELECT $1, 1, 1, $2, $2 WHERE NOT EXISTS (SELECT 1 FROM sla_policies WHERE is_default = 1) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(policy.name.clone())
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = policy_id else {
        tx.commit().await?;
        return Ok(false);
    };
    sqlx::query(
        "INSERT INTO sla_policy_versions (policy_id, number, definition, note, created_by, created_at) VALUES ($1, 1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(definition.to_string())
    .bind("built-in default (SPEC §4)")
    .bind(actor.username.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "sla_policy",
        id,
        "create",
        json!({"name": policy.name, "builtin": true}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Adds a version to a policy inside a caller's transaction (an implemented change request):
/// the next number, the definition checked, the policy's current version moved on. Returns the
/// new number.
pub(crate) async fn add_policy_version(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: i64,
    definition: &Value,
    note: &str,
) -> Result<i64> {
    let current: Option<i64> =
        sqlx::query_scalar("SELECT current_version FROM sla_policies WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let number = current.ok_or(StoreError::NotFound)? + 1;
    let policy = check_policy(store, definition, number).await?;
    let canonical = serde_json::to_value(&policy).map_err(|e| StoreError::Format(e.to_string()))?;
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE sla_policies SET name = $1, current_version = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND current_version = $5",
    )
    .bind(policy.name.clone())
    .bind(number)
    .bind(now)
    .bind(id)
    .bind(number - 1)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: number - 1,
        });
    }
    sqlx::query(
        "INSERT INTO sla_policy_versions (policy_id, number, definition, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(number)
    .bind(canonical.to_string())
    .bind(note.trim().to_owned())
    .bind(actor.username.clone())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        None,
        "sla_policy",
        id,
        "revise",
        json!({"version": number, "note": note}),
    )
    .await?;
    Ok(number)
}
