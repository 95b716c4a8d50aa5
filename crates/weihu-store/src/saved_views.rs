//! A user's saved board views: a name for a board query (view, filters, search, sort), listed as
//! the user's own tabs on the board. Each user sees and changes only their own; bounded in count
//! and size because every user writes here.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Actor, Result, Store, StoreError, instant, now_ms};

/// Views one user keeps at most.
pub const MAX_PER_USER: i64 = 20;
/// Characters of a view's name and of its query at most.
pub const MAX_NAME: usize = 60;
pub const MAX_QUERY: usize = 1000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The board's query string, without the leading `?` (`scope=escalated&sort=-priority`).
    pub query: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewView {
    pub name: String,
    pub query: String,
}

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<SavedView>> {
    let rows = sqlx::query(
        "SELECT id, name, query, created_at FROM saved_views WHERE user_id = $1 ORDER BY name",
    )
    .bind(actor.user_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(SavedView {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                query: r.try_get("query")?,
                created_at: instant(r.try_get("created_at")?),
            })
        })
        .collect()
}

pub async fn create(store: &Store, actor: &Actor, new: &NewView) -> Result<SavedView> {
    if actor.user_id == 0 {
        return Err(StoreError::Forbidden("views belong to a user"));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            format!("must have 1 to {MAX_NAME} characters, without control characters"),
        ));
    }
    let query = new.query.trim().trim_start_matches('?');
    if query.chars().count() > MAX_QUERY || query.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "query",
            format!("must have at most {MAX_QUERY} characters, without control characters"),
        ));
    }
    let mut tx = store.pool.begin().await?;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM saved_views WHERE user_id = $1")
        .bind(actor.user_id)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_PER_USER {
        return Err(StoreError::invalid(
            "name",
            format!("you keep at most {MAX_PER_USER} views: delete one first"),
        ));
    }
    let taken: i64 =
        sqlx::query_scalar("SELECT count(*) FROM saved_views WHERE user_id = $1 AND name = $2")
            .bind(actor.user_id)
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
    if taken > 0 {
        return Err(StoreError::Duplicate {
            field: "name".into(),
        });
    }
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(actor.user_id)
    .bind(name)
    .bind(query)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(SavedView {
        id,
        name: name.to_owned(),
        query: query.to_owned(),
        created_at: instant(now),
    })
}

/// Deletes one of the actor's views; another user's view is not found.
pub async fn delete(store: &Store, actor: &Actor, id: i64) -> Result<()> {
    let done = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(actor.user_id)
        .execute(&store.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
