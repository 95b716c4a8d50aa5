//! Login throttling: after repeated failures for one login name, refuse further attempts for a
//! while. Kept in the database so it holds across app instances.

use sqlx::Row;

use crate::{Result, Store, StoreError, now_ms};

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

fn key(username: &str) -> String {
    format!("login:{}", username.trim().to_lowercase())
}

/// Fails with `Throttled` while the name is locked.
pub async fn check(store: &Store, username: &str) -> Result<()> {
    let row = sqlx::query("SELECT locked_until FROM login_throttle WHERE key = $1")
        .bind(key(username))
        .fetch_optional(&store.pool)
        .await?;
    if let Some(row) = row
        && let Some(until) = row.try_get::<Option<i64>, _>("locked_until")?
        && until > now_ms()
    {
        return Err(StoreError::Throttled { until_ms: until });
    }
    Ok(())
}

/// Counts a failure; the fifth within the window locks the name.
pub async fn record_failure(store: &Store, username: &str) -> Result<()> {
    let now = now_ms();
    let k = key(username);
    let mut tx = store.pool.begin().await?;
    let row = sqlx::query("SELECT failures, window_start FROM login_throttle WHERE key = $1")
        .bind(k.clone())
        .fetch_optional(&mut *tx)
        .await?;
    let (failures, start) = match row {
        Some(r) => {
            let (f, s): (i64, i64) = (r.try_get("failures")?, r.try_get("window_start")?);
            if now - s > WINDOW_MS {
                (1, now)
            } else {
                (f + 1, s)
            }
        }
        None => (1, now),
    };
    let locked = (failures >= MAX_FAILURES).then_some(now + LOCK_MS);
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, \
         window_start = excluded.window_start, locked_until = excluded.locked_until",
    )
    .bind(k)
    .bind(if locked.is_some() { 0 } else { failures })
    .bind(start)
    .bind(locked)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn clear(store: &Store, username: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key(username))
        .execute(&store.pool)
        .await?;
    Ok(())
}
