//! Engineer teams (provider side): orders are assigned to an engineer or a team.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::page::Listing;
use crate::sql::SqlBuf;
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms};

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: i64,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

fn from_row(r: &AnyRow) -> Result<Team> {
    Ok(Team {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        members: r.try_get("members")?,
        version: r.try_get("version")?,
        created_at: instant(r.try_get("created_at")?),
    })
}

const SELECT: &str = "SELECT t.id, t.name, t.description, t.version, t.created_at, \
     (SELECT count(*) FROM users u WHERE u.team_id = t.id) AS members FROM teams t";

fn provider_only(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::Forbidden("teams are provider-internal"));
    }
    Ok(())
}

pub async fn list(store: &Store, actor: &Actor, params: &ListParams) -> Result<Page<Team>> {
    provider_only(actor)?;
    Listing {
        select: SELECT,
        count: "SELECT count(*) FROM teams t",
        sorts: &[("name", "t.name"), ("id", "t.id")],
        default_sort: "t.name",
        id: "t.id",
    }
    .page(store, params, SqlBuf::new(""), from_row)
    .await
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Team> {
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

pub async fn create(store: &Store, actor: &Actor, new: &NewTeam) -> Result<Team> {
    if !actor.role.can_manage_teams() {
        return Err(StoreError::Forbidden(
            "only administrators and dispatchers create teams",
        ));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(StoreError::invalid("name", "must have 1 to 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    if new.description.chars().any(|c| c.is_control() && c != '\n')
        || new.description.chars().count() > 1000
    {
        return Err(StoreError::invalid(
            "description",
            "must be at most 1000 characters, without control characters",
        ));
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO teams (name, description, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(name.to_owned())
    .bind(new.description.trim().to_owned())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "team",
        id,
        "create",
        json!({"name": name}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
