//! Checklist templates (issue #15, SPEC §8): the provider's, seeded with the seed's three
//! defaults, edited by new versions (an inspection keeps the version it was made with), and a
//! client's own variant of a code, which its plans use instead. The shape and limits of a
//! template are the domain's ([`weihu_domain::maintenance::checklist`]).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use weihu_domain::maintenance::checklist::{self, Template};

use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

/// A template as stored, with its current version's definition.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Checklist {
    pub id: i64,
    /// `hardware`, `software`, `machine_room`, or the provider's own.
    pub code: String,
    /// A client's variant of the code; none for the provider's template.
    pub client_org_id: Option<i64>,
    pub client_name: Option<String>,
    pub name: String,
    pub current_version: i64,
    pub active: bool,
    /// Groups of items (see the domain's checklist template).
    #[schema(value_type = Object)]
    pub definition: Value,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistVersion {
    pub number: i64,
    #[schema(value_type = Object)]
    pub definition: Value,
    pub note: String,
    pub created_by: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewChecklist {
    pub code: String,
    /// For a client's own variant of `code`.
    #[serde(default)]
    pub client_org_id: Option<i64>,
    #[schema(value_type = Object)]
    pub definition: Value,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ChecklistRevision {
    pub version: i64,
    #[schema(value_type = Object)]
    pub definition: Value,
    #[serde(default)]
    pub note: String,
}

const SELECT: &str = "SELECT t.id, t.code, t.client_org_id, g.name AS client_name, t.name, t.current_version, t.active, \
     t.version, t.created_at, t.updated_at, v.definition FROM checklist_templates t \
     JOIN checklist_template_versions v ON v.template_id = t.id AND v.number = t.current_version \
     LEFT JOIN organizations g ON g.id = t.client_org_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Checklist> {
    Ok(Checklist {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        client_org_id: r.try_get("client_org_id")?,
        client_name: r.try_get("client_name")?,
        name: r.try_get("name")?,
        current_version: r.try_get("current_version")?,
        active: r.try_get::<i64, _>("active")? != 0,
        definition: serde_json::from_str(&r.try_get::<String, _>("definition")?)
            .map_err(|e| StoreError::Format(e.to_string()))?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// Provider staff read templates; clients meet them only on their inspections.
fn readable(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::Forbidden(
            "checklist templates are the provider's",
        ));
    }
    Ok(())
}

fn writable(actor: &Actor) -> Result<()> {
    if !actor.role.can_plan_maintenance() {
        return Err(StoreError::Forbidden(
            "administrators, dispatchers and service-level managers edit checklists",
        ));
    }
    Ok(())
}

/// The definition checked by the domain; the error names `definition.<field>`.
pub fn parse(definition: &Value) -> Result<Template> {
    let t: Template = serde_json::from_value(definition.clone())
        .map_err(|e| StoreError::invalid("definition", e.to_string()))?;
    t.validate()
        .map_err(|e| StoreError::invalid(format!("definition.{}", e.field), e.message))?;
    Ok(t)
}

fn check_code(code: &str) -> Result<String> {
    let code = code.trim();
    crate::failure_causes::check_code(code)?;
    Ok(code.to_owned())
}

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Checklist>> {
    readable(actor)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY t.scope, t.code, t.id LIMIT 1000"
    )))
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Checklist> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.id = $1")))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

async fn insert(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    code: &str,
    client: Option<i64>,
    t: &Template,
    note: &str,
) -> Result<i64> {
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO checklist_templates (code, scope, client_org_id, name, current_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
    )
    .bind(code.to_owned())
    .bind(client.unwrap_or(0))
    .bind(client)
    .bind(t.name.clone())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO checklist_template_versions (template_id, number, definition, note, created_by, created_at) \
         VALUES ($1, 1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(serde_json::to_string(t).map_err(|e| StoreError::Format(e.to_string()))?)
    .bind(note.to_owned())
    .bind(actor.username.clone())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        client,
        "checklist_template",
        id,
        "create",
        json!({"code": code, "name": t.name}),
    )
    .await?;
    Ok(id)
}

/// A new template, or a client's variant of a code.
pub async fn create(store: &Store, actor: &Actor, new: &NewChecklist) -> Result<Checklist> {
    writable(actor)?;
    let code = check_code(&new.code)?;
    let t = parse(&new.definition)?;
    if let Some(c) = new.client_org_id {
        let kind: Option<String> =
            sqlx::query_scalar("SELECT kind FROM organizations WHERE id = $1")
                .bind(c)
                .fetch_optional(&store.pool)
                .await?;
        if kind.as_deref() != Some("client") {
            return Err(StoreError::invalid("client_org_id", "no such client"));
        }
    }
    let taken: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM checklist_templates WHERE code = $1 AND scope = $2",
    )
    .bind(code.clone())
    .bind(new.client_org_id.unwrap_or(0))
    .fetch_one(&store.pool)
    .await?;
    if taken > 0 {
        return Err(StoreError::Duplicate {
            field: "code".into(),
        });
    }
    let mut tx = store.pool.begin().await?;
    let id = insert(&mut tx, actor, &code, new.client_org_id, &t, "").await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// A new version; inspections already made keep theirs.
pub async fn revise(
    store: &Store,
    actor: &Actor,
    id: i64,
    r: &ChecklistRevision,
) -> Result<Checklist> {
    let current = get(store, actor, id).await?;
    writable(actor)?;
    let t = parse(&r.definition)?;
    let note = crate::orders::text("note", &r.note, 500, false)?;
    if r.version != current.version {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    let number = current.current_version + 1;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE checklist_templates SET name = $1, current_version = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5",
    )
    .bind(t.name.clone())
    .bind(number)
    .bind(now)
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: current.version,
        });
    }
    sqlx::query(
        "INSERT INTO checklist_template_versions (template_id, number, definition, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(number)
    .bind(serde_json::to_string(&t).map_err(|e| StoreError::Format(e.to_string()))?)
    .bind(note.clone())
    .bind(actor.username.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        current.client_org_id,
        "checklist_template",
        id,
        "revise",
        json!({"version": number, "note": note}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn versions(store: &Store, actor: &Actor, id: i64) -> Result<Vec<ChecklistVersion>> {
    get(store, actor, id).await?;
    let rows = sqlx::query(
        "SELECT number, definition, note, created_by, created_at FROM checklist_template_versions \
         WHERE template_id = $1 ORDER BY number DESC",
    )
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ChecklistVersion {
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

/// The template a client's plan of `code` uses: the client's variant, else the provider's.
pub async fn for_client(store: &Store, code: &str, client: i64) -> Result<Option<Checklist>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE t.code = $1 AND t.scope IN (0, $2) AND t.active = 1 ORDER BY t.scope DESC LIMIT 1"
    )))
    .bind(code.to_owned())
    .bind(client)
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Adds the seed's default templates that are missing (at start-up; idempotent, and safe when
/// two instances start together: the unique code wins once).
pub async fn ensure_defaults(store: &Store, actor: &Actor) -> Result<u64> {
    let mut added = 0;
    for (code, t) in checklist::defaults() {
        let exists: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM checklist_templates WHERE code = $1 AND scope = 0",
        )
        .bind(code)
        .fetch_one(&store.pool)
        .await?;
        if exists > 0 {
            continue;
        }
        let mut tx = store.pool.begin().await?;
        match insert(
            &mut tx,
            actor,
            code,
            None,
            &t,
            "默认模板 / default template",
        )
        .await
        {
            Ok(_) => {
                tx.commit().await?;
                added += 1;
            }
            Err(StoreError::Duplicate { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(added)
}
