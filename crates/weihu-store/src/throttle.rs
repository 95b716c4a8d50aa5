//! Sign-in throttling, per client address and per login name. Kept in the database so it holds
//! across app instances.
//!
//! Rows are keyed by the SHA-256 digest of the subject, so a row has the same small size
//! whatever a client sends; rows whose window and lock have passed are purged (on every recorded
//! failure and by the server's clock job), and the table never holds more than [`MAX_ROWS`]
//! rows: when it is full the oldest are evicted.
//!
//! A name's lock does not apply to addresses that have signed in as that user before
//! ([`is_known`]), so anyone can slow down guessing at `admin` without locking `admin` out; an
//! address over its own limit is locked for every name.

use std::net::IpAddr;

use sqlx::Row;

use crate::credentials::token_digest;
use crate::{Result, Store, StoreError, now_ms};

/// The most throttle rows kept by default; beyond it the oldest windows are evicted.
pub const MAX_ROWS: i64 = 10_000;
/// The most known (name, address) pairs kept; beyond it the least recently used are evicted.
pub const MAX_KNOWN_ROWS: i64 = 50_000;
/// How long a successful sign-in makes an address known for that user.
pub const KNOWN_TTL_MS: i64 = 90 * 24 * 3600 * 1000;

/// The limits, from the server's settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures from one address within the window before the address is locked.
    pub address_failures: i64,
    /// Failures for one name within the window before the name is locked for unknown addresses.
    pub username_failures: i64,
    /// The window in which failures are counted, and the length of a lock.
    pub window_ms: i64,
    /// The most rows the table keeps; when full, the oldest windows are evicted.
    pub max_rows: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            address_failures: 20,
            username_failures: 5,
            window_ms: 15 * 60 * 1000,
            max_rows: MAX_ROWS,
        }
    }
}

/// What a throttle row counts failures for.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A client address (see [`address_label`]).
    Address(&'a str),
    /// A login name, however it was spelled (trimmed, lower-cased).
    Username(&'a str),
}

/// The text an address is throttled under: an IPv4 address as is, an IPv6 address by its /64
/// network (one customer usually holds a whole /64), an IPv4-mapped IPv6 address as IPv4.
pub fn address_label(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn normal_name(username: &str) -> String {
    username.trim().to_lowercase()
}

fn key(subject: Subject<'_>) -> String {
    match subject {
        Subject::Address(a) => token_digest(&format!("addr:{a}")),
        Subject::Username(u) => token_digest(&format!("login:{}", normal_name(u))),
    }
}

fn known_key(username: &str, address: &str) -> String {
    token_digest(&format!("known:{}\n{address}", normal_name(username)))
}

/// Fails with `Throttled` while the subject is locked.
pub async fn check(store: &Store, subject: Subject<'_>) -> Result<()> {
    let row = sqlx::query("SELECT locked_until FROM login_throttle WHERE key = $1")
        .bind(key(subject))
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

/// Counts a failure for `subject`; the limit's failure within the window (the address or the
/// username limit) locks it for the window's length. Also purges expired rows and evicts the
/// oldest beyond `limits.max_rows`, in the same transaction.
pub async fn record_failure(store: &Store, subject: Subject<'_>, limits: &Limits) -> Result<()> {
    let max_failures = match subject {
        Subject::Address(_) => limits.address_failures,
        Subject::Username(_) => limits.username_failures,
    };
    let window_ms = limits.window_ms;
    let now = now_ms();
    let k = key(subject);
    let mut tx = store.pool.begin().await?;
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures, window_start, locked_until) \
         VALUES ($1, 1, $2, NULL) \
         ON CONFLICT (key) DO UPDATE SET \
         failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                         ELSE login_throttle.failures + 1 END, \
         window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                             ELSE login_throttle.window_start END \
         RETURNING failures",
    )
    .bind(k.clone())
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(&mut *tx)
    .await?;
    if failures >= max_failures.max(1) {
        sqlx::query(
            "UPDATE login_throttle SET failures = 0, window_start = $1, locked_until = $2 \
             WHERE key = $3",
        )
        .bind(now)
        .bind(now + window_ms)
        .bind(k.clone())
        .execute(&mut *tx)
        .await?;
    }
    purge_expired(&mut tx, now, window_ms).await?;
    // A full table gives up its oldest windows, never refuses the write.
    sqlx::query(
        "DELETE FROM login_throttle WHERE key <> $1 AND window_start <= \
         (SELECT window_start FROM login_throttle ORDER BY window_start DESC LIMIT 1 OFFSET $2)",
    )
    .bind(k)
    .bind(limits.max_rows.max(1) - 1)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn purge_expired(conn: &mut sqlx::AnyConnection, now: i64, window_ms: i64) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM login_throttle WHERE window_start <= $1 \
         AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(now - window_ms)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes the throttle rows whose window and lock have passed, and known addresses unused for
/// [`KNOWN_TTL_MS`]. For the server's periodic job; returns the number of rows deleted.
pub async fn purge(store: &Store, window_ms: i64) -> Result<u64> {
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let mut n = purge_expired(&mut tx, now, window_ms).await?;
    n += sqlx::query("DELETE FROM login_known WHERE seen_at <= $1")
        .bind(now - KNOWN_TTL_MS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// Forgets the failures of `subject` (after a successful sign-in).
pub async fn clear(store: &Store, subject: Subject<'_>) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key(subject))
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Whether `address` has signed in successfully as `username` within [`KNOWN_TTL_MS`].
pub async fn is_known(store: &Store, username: &str, address: &str) -> Result<bool> {
    let seen: Option<i64> = sqlx::query_scalar("SELECT seen_at FROM login_known WHERE key = $1")
        .bind(known_key(username, address))
        .fetch_optional(&store.pool)
        .await?;
    Ok(seen.is_some_and(|s| s > now_ms() - KNOWN_TTL_MS))
}

/// Records that `address` signed in successfully as `username`: its failures are forgotten and
/// the name's lock no longer applies to it. Evicts the least recently seen pairs beyond
/// [`MAX_KNOWN_ROWS`].
pub async fn remember(store: &Store, username: &str, address: &str) -> Result<()> {
    let now = now_ms();
    let k = known_key(username, address);
    let mut tx = store.pool.begin().await?;
    sqlx::query(
        "INSERT INTO login_known (key, seen_at) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at",
    )
    .bind(k.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM login_known WHERE key <> $1 AND seen_at <= \
         (SELECT seen_at FROM login_known ORDER BY seen_at DESC LIMIT 1 OFFSET $2)",
    )
    .bind(k)
    .bind(MAX_KNOWN_ROWS - 1)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The number of throttle rows (for tests and diagnostics).
pub async fn row_count(store: &Store) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM login_throttle")
        .fetch_one(&store.pool)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_grouped_sensibly() {
        let v4: IpAddr = "203.0.113.7".parse().expect("ip");
        assert_eq!(address_label(v4), "203.0.113.7");
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().expect("ip");
        assert_eq!(address_label(mapped), "203.0.113.7");
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(address_label(a), address_label(b));
        assert_eq!(address_label(a), "2001:db8:1:2::/64");
    }

    #[test]
    fn keys_have_a_fixed_size() {
        let long = "x".repeat(400_000);
        assert_eq!(key(Subject::Username(&long)).len(), 64);
        assert_eq!(key(Subject::Address(&long)).len(), 64);
        assert_eq!(
            key(Subject::Username(" Admin ")),
            key(Subject::Username("admin"))
        );
        assert_ne!(
            key(Subject::Username("admin")),
            key(Subject::Address("admin"))
        );
    }
}
