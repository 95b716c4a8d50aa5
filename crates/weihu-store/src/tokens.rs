//! API tokens: shown once at creation, stored only as a SHA-256 digest, revocable at once.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::credentials::{random_token, token_digest};
use crate::{Actor, ListParams, Page, Result, Store, StoreError, audit, instant, now_ms, users};

/// Every token starts with this, so leaked tokens are easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "wh_";

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<jiff::Timestamp>,
}

fn from_row(r: &AnyRow) -> Result<ApiToken> {
    let opt = |c: &str| -> Result<Option<jiff::Timestamp>> {
        Ok(r.try_get::<Option<i64>, _>(c)?.map(instant))
    };
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        created_at: instant(r.try_get("created_at")?),
        expires_at: opt("expires_at")?,
        last_used_at: opt("last_used_at")?,
        revoked_at: opt("revoked_at")?,
    })
}

const COLUMNS: &str = "id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at";

/// Creates a token for `user_id` (the actor's own, or anyone's for an administrator).
/// Returns the token record and the secret, which is never shown again.
pub async fn create(
    store: &Store,
    actor: &Actor,
    user_id: i64,
    name: &str,
    expires_at_ms: Option<i64>,
) -> Result<(ApiToken, String)> {
    if user_id != actor.user_id && !actor.role.can_administer() {
        return Err(StoreError::Forbidden(
            "you may create tokens only for yourself",
        ));
    }
    let user = users::get(store, actor, user_id).await?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "name",
            "must have 1 to 100 characters, without control characters",
        ));
    }
    if let Some(e) = expires_at_ms
        && e <= now_ms()
    {
        return Err(StoreError::invalid("expires_at", "must be in the future"));
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_token(32)?);
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user.id)
    .bind(name.to_owned())
    .bind(token_digest(&secret))
    .bind(prefix)
    .bind(now_ms())
    .bind(expires_at_ms)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(user.org_id),
        "token",
        id,
        "create",
        json!({"user_id": user.id, "name": name}),
    )
    .await?;
    tx.commit().await?;
    Ok((get(store, actor, id).await?, secret))
}

/// The actor's tokens; an administrator sees everyone's.
pub async fn list(store: &Store, actor: &Actor, params: &ListParams) -> Result<Page<ApiToken>> {
    let all = actor.role.can_administer();
    let where_ = if all { "" } else { " WHERE user_id = $3" };
    let total: i64 = {
        let q = format!(
            "SELECT count(*) FROM api_tokens{}",
            where_.replace("$3", "$1")
        );
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(q.clone()));
        if !all {
            q = q.bind(actor.user_id);
        }
        q.fetch_one(&store.pool).await?
    };
    let order = params.order_by(
        &[("created_at", "created_at"), ("name", "name")],
        "created_at DESC",
    )?;
    let (limit, offset) = (params.limit()?, params.offset()?);
    let sql =
        format!("SELECT {COLUMNS} FROM api_tokens{where_} ORDER BY {order} LIMIT $1 OFFSET $2");
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(limit)
        .bind(offset);
    if !all {
        q = q.bind(actor.user_id);
    }
    let rows = q.fetch_all(&store.pool).await?;
    let items = rows.iter().map(from_row).collect::<Result<_>>()?;
    Ok(Page::new(items, total, offset))
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<ApiToken> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let t = from_row(&row)?;
    if t.user_id != actor.user_id && !actor.role.can_administer() {
        return Err(StoreError::NotFound);
    }
    Ok(t)
}

/// Revokes a token; it fails authentication from the next request on.
pub async fn revoke(store: &Store, actor: &Actor, id: i64) -> Result<ApiToken> {
    let t = get(store, actor, id).await?;
    if t.revoked_at.is_some() {
        return Ok(t);
    }
    let mut tx = store.pool.begin().await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "token",
        id,
        "revoke",
        json!({"name": t.name}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The actor behind a bearer secret, if it is valid, unrevoked and unexpired.
pub async fn authenticate(store: &Store, secret: &str) -> Result<Option<Actor>> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let now = now_ms();
    // The token and its (active) user in one statement: this runs on every API request.
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT t.id AS token_id, t.last_used_at, {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
         AND u.active = 1",
        users::actor_columns("u")
    )))
    .bind(token_digest(secret))
    .bind(now)
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("token_id")?;
    // Touch last-use at most once a minute: a write per request would serialise readers on SQLite.
    let last: Option<i64> = row.try_get("last_used_at")?;
    if last.is_none_or(|l| now - l > 60_000) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&store.pool)
            .await?;
    }
    users::actor_from_row(&row).map(Some)
}
