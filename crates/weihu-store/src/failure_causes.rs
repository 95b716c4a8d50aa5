//! The failure-cause taxonomy (故障原因, issue #14): a short list an order's resolution names its
//! cause from, for failure analysis. Seeded by the migration; administrators and service-level
//! managers rename, reorder, add and retire causes. A retired cause stays on the orders that
//! named it and in past reports, but new resolutions no longer offer it.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Actor, Result, Store, StoreError, audit, now_ms};

/// At most this many causes: the list is read on every resolution form.
pub const MAX_CAUSES: i64 = 60;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FailureCause {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub position: i64,
    pub active: bool,
}

/// A new or changed cause.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CauseInput {
    /// Lower-case letters, digits and `_`; an existing code changes that cause.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn row(r: &sqlx::any::AnyRow) -> Result<FailureCause> {
    Ok(FailureCause {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        position: r.try_get("position")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

/// Every cause in order (retired ones too: past orders name them).
pub async fn list(store: &Store) -> Result<Vec<FailureCause>> {
    let rows = sqlx::query(
        "SELECT code, name, name_en, position, active FROM failure_causes ORDER BY position, code",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(row).collect()
}

/// Checks a cause named on a resolution: empty (not said) or an active cause.
pub(crate) async fn check(conn: &mut sqlx::AnyConnection, code: &str) -> Result<String> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(String::new());
    }
    let active: Option<i64> =
        sqlx::query_scalar("SELECT active FROM failure_causes WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(&mut *conn)
            .await?;
    match active {
        Some(1) => Ok(code.to_owned()),
        Some(_) => Err(StoreError::invalid("cause", "this cause is retired")),
        None => Err(StoreError::invalid("cause", "no such failure cause")),
    }
}

/// A code of an editable list (a failure cause, a checklist template): 1–40 lower-case letters,
/// digits and `_`.
pub(crate) fn check_code(code: &str) -> Result<()> {
    let ok = !code.is_empty()
        && code.len() <= 40
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "code",
            "1–40 characters: lower-case letters, digits and _",
        ))
    }
}

/// Adds a cause or changes one (administrators and service-level managers).
pub async fn save(store: &Store, actor: &Actor, input: &CauseInput) -> Result<FailureCause> {
    let code = input.code.trim();
    if !actor.role.can_manage_service_levels() {
        return Err(StoreError::Forbidden(
            "administrators and service-level managers keep the failure causes",
        ));
    }
    check_code(code)?;
    let name = crate::orders::text("name", &input.name, 60, true)?;
    let name_en = crate::orders::text("name_en", &input.name_en, 60, false)?;
    let position = input.position.unwrap_or(50).clamp(0, 10_000);
    let mut tx = store.pool.begin().await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT position FROM failure_causes WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM failure_causes")
            .fetch_one(&mut *tx)
            .await?;
        if n >= MAX_CAUSES {
            return Err(StoreError::invalid(
                "code",
                format!("at most {MAX_CAUSES} failure causes; retire or rename one"),
            ));
        }
        sqlx::query(
            "INSERT INTO failure_causes (code, name, name_en, position, active, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(code.to_owned())
        .bind(name.clone())
        .bind(name_en.clone())
        .bind(position)
        .bind(i64::from(input.active))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "UPDATE failure_causes SET name = $1, name_en = $2, position = $3, active = $4, updated_at = $5 \
             WHERE code = $6",
        )
        .bind(name.clone())
        .bind(name_en.clone())
        .bind(position)
        .bind(i64::from(input.active))
        .bind(now_ms())
        .bind(code.to_owned())
        .execute(&mut *tx)
        .await?;
    }
    audit::record(
        &mut tx,
        actor,
        None,
        "failure_cause",
        code,
        if exists.is_none() { "create" } else { "update" },
        serde_json::json!({"name": name, "name_en": name_en, "position": position, "active": input.active}),
    )
    .await?;
    tx.commit().await?;
    Ok(FailureCause {
        code: code.to_owned(),
        name,
        name_en,
        position,
        active: input.active,
    })
}
