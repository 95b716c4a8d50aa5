//! Web sessions: a random id in an HttpOnly cookie, stored as a digest, with the CSRF token that
//! every form of the session must echo. Stored in the database so any app instance can answer.

use sqlx::Row;

use crate::credentials::{random_token, token_digest};
use crate::{Actor, Result, Store, now_ms, users};

pub const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// A fresh session: the cookie value and the CSRF token.
pub struct NewSession {
    pub cookie: String,
    pub csrf: String,
}

pub async fn create(store: &Store, user_id: i64) -> Result<NewSession> {
    let cookie = random_token(32)?;
    let csrf = random_token(24)?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_digest(&cookie))
    .bind(user_id)
    .bind(csrf.clone())
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .execute(&store.pool)
    .await?;
    // Opportunistic clean-up keeps the table small without a separate job.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(&store.pool)
        .await?;
    Ok(NewSession { cookie, csrf })
}

/// The actor and CSRF token of a live session.
pub async fn lookup(store: &Store, cookie: &str) -> Result<Option<(Actor, String)>> {
    if cookie.is_empty() || cookie.len() > 100 {
        return Ok(None);
    }
    // The session and its (active) user in one statement: this runs on every page.
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT s.csrf_token, {} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        users::actor_columns("u")
    )))
    .bind(token_digest(cookie))
    .bind(now_ms())
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let csrf: String = row.try_get("csrf_token")?;
    Ok(Some((users::actor_from_row(&row)?, csrf)))
}

pub async fn delete(store: &Store, cookie: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(token_digest(cookie))
        .execute(&store.pool)
        .await?;
    Ok(())
}
