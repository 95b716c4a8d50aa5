//! Reads from a PostgreSQL streaming replica (`serve --database-read-url`).
//!
//! Lists, search, reports and exports ask the store for [`Store::reader`]; everything else, and
//! every write, uses the primary. The replica is used only while it is healthy: reachable, a
//! standby, and caught up with what the primary had `max_lag` ago (polled every second by
//! [`Store::check_replica`]). A request's reads go to the primary anyway when its [`ReadRoute`]
//! says so: the web layer routes a user's reads to the primary for a while after that user wrote
//! (read-your-writes across app servers: the marker is the `user_writes` row on the primary).

use std::collections::VecDeque;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};

use crate::{Backend, Result, Store, StoreError};

/// The replica's pool and what the last health check found.
#[derive(Debug)]
pub struct Replica {
    pool: AnyPool,
    max_lag: Duration,
    healthy: AtomicBool,
    /// Bytes of WAL the replica had not replayed at the last check; -1: unknown.
    lag_bytes: AtomicI64,
    error: Mutex<Option<String>>,
    /// The primary's WAL position at each check, newest last (enough to look `max_lag` back).
    samples: Mutex<VecDeque<(Instant, i64)>>,
}

/// What `/healthz` shows of the replica.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReplicaHealth {
    /// Reads may go to the replica now.
    pub healthy: bool,
    /// WAL the replica had not replayed at the last check, in bytes.
    pub replay_lag_bytes: Option<i64>,
    /// Why it is not healthy.
    pub error: Option<String>,
}

impl Replica {
    pub fn max_lag(&self) -> Duration {
        self.max_lag
    }

    /// How long after a write a user's reads stay on the primary: the lag the replica may have,
    /// plus a second for each of: the health check a request reads (up to a second old), the
    /// primary position it compares with (sampled up to a second before `max_lag`), and the
    /// write mark (refreshed at most once a second).
    pub fn write_window(&self) -> Duration {
        self.max_lag + Duration::from_secs(3)
    }

    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    pub fn health(&self) -> ReplicaHealth {
        let lag = self.lag_bytes.load(Ordering::Relaxed);
        ReplicaHealth {
            healthy: self.healthy(),
            replay_lag_bytes: (lag >= 0).then_some(lag),
            error: self.error.lock().ok().and_then(|e| e.clone()),
        }
    }

    /// Stops reads on the replica until the next check finds it healthy (a read there failed).
    pub fn mark_down(&self, why: &str) {
        if self.healthy.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                error = why,
                "read replica marked unhealthy; reads go to the primary"
            );
        }
        self.set_error(Some(why.to_owned()));
    }

    fn set_error(&self, e: Option<String>) {
        if let Ok(mut slot) = self.error.lock() {
            *slot = e;
        }
    }
}

/// The primary position the replica must have replayed to be used at `now`, given the samples of
/// the primary's position so far (`primary` is added): the newest sample taken at least `max_lag`
/// ago, or the oldest one while the server is younger than that.
fn required(
    samples: &mut VecDeque<(Instant, i64)>,
    max_lag: Duration,
    now: Instant,
    primary: i64,
) -> i64 {
    samples.push_back((now, primary));
    let keep = max_lag + Duration::from_secs(5);
    while samples
        .front()
        .is_some_and(|(t, _)| now.duration_since(*t) > keep)
    {
        samples.pop_front();
    }
    samples
        .iter()
        .rev()
        .find(|(t, _)| now.duration_since(*t) >= max_lag)
        .or(samples.front())
        .map(|(_, lsn)| *lsn)
        .unwrap_or(primary)
}

tokio::task_local! {
    static ROUTE: Arc<ReadRoute>;
}

/// Where one request's reads may go, shared by the web layer's middleware and extractors.
#[derive(Debug, Default)]
pub struct ReadRoute {
    /// The replica may serve this request's reads (a read-only request).
    replica_allowed: AtomicBool,
    /// Some read of this request was served by the replica.
    used_replica: AtomicBool,
    /// The signed-in user, once known (0: none).
    user_id: AtomicI64,
}

impl ReadRoute {
    /// A route for one request; reads may go to the replica only when `read_only`.
    pub fn new(read_only: bool) -> Arc<ReadRoute> {
        Arc::new(ReadRoute {
            replica_allowed: AtomicBool::new(read_only),
            ..ReadRoute::default()
        })
    }

    /// Sends the rest of this request's reads to the primary.
    pub fn use_primary(&self) {
        self.replica_allowed.store(false, Ordering::Relaxed);
    }

    pub fn used_replica(&self) -> bool {
        self.used_replica.load(Ordering::Relaxed)
    }

    pub fn set_user(&self, user_id: i64) {
        self.user_id.store(user_id, Ordering::Relaxed);
    }

    pub fn user(&self) -> Option<i64> {
        Some(self.user_id.load(Ordering::Relaxed)).filter(|u| *u > 0)
    }

    /// Runs `f` with this route as the one [`Store::reader`] consults.
    pub async fn scope<F: Future>(self: Arc<Self>, f: F) -> F::Output {
        ROUTE.scope(self, f).await
    }

    /// The route of the request being served, if any.
    pub fn current() -> Option<Arc<ReadRoute>> {
        ROUTE.try_with(Arc::clone).ok()
    }
}

fn lsn_sql(expr: &str) -> String {
    format!("pg_wal_lsn_diff({expr}, '0/0')::bigint")
}

impl Store {
    /// The same store with `url` (a PostgreSQL streaming replica) for reads. It connects lazily:
    /// a replica that is down when the server starts is used once it answers.
    pub fn with_read_replica(mut self, url: &str, max_lag: Duration) -> Result<Store> {
        if self.backend() != Backend::Postgres || Backend::from_url(url)? != Backend::Postgres {
            return Err(StoreError::invalid(
                "database_read_url",
                "a read replica is a PostgreSQL standby of a PostgreSQL primary",
            ));
        }
        let opts = AnyConnectOptions::from_str(url)
            .map_err(|e| StoreError::invalid("database_read_url", e.to_string()))?;
        // A replica that stopped answering must cost a request little: it is retried on the primary.
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(1))
            .connect_lazy_with(opts);
        self.read = Some(Arc::new(Replica {
            pool,
            max_lag,
            healthy: AtomicBool::new(false),
            lag_bytes: AtomicI64::new(-1),
            error: Mutex::new(Some("not checked yet".into())),
            samples: Mutex::new(VecDeque::new()),
        }));
        Ok(self)
    }

    /// The replica, when one is configured.
    pub fn read_replica(&self) -> Option<&Arc<Replica>> {
        self.read.as_ref()
    }

    /// The pool for a list, search, report or export: the replica when one is configured and
    /// healthy and the current request's route allows it, else the primary.
    pub fn reader(&self) -> &AnyPool {
        if let Some(r) = &self.read
            && r.healthy()
            && let Ok(true) = ROUTE.try_with(|route| {
                let ok = route.replica_allowed.load(Ordering::Relaxed);
                if ok {
                    route.used_replica.store(true, Ordering::Relaxed);
                }
                ok
            })
        {
            return &r.pool;
        }
        &self.pool
    }

    /// One health check of the replica (the server runs it every second): reachable, a standby,
    /// and caught up with the primary's position of `max_lag` ago.
    pub async fn check_replica(&self) {
        let Some(r) = &self.read else { return };
        let verdict = tokio::time::timeout(Duration::from_secs(3), async {
            let primary: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT {}",
                lsn_sql("pg_current_wal_lsn()")
            )))
            .fetch_one(&self.pool)
            .await
            .map_err(|e| format!("primary: {e}"))?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS standby, {} AS replayed",
                lsn_sql("COALESCE(pg_last_wal_replay_lsn(), '0/0')")
            )))
            .fetch_one(&r.pool)
            .await
            .map_err(|e| format!("replica: {e}"))?;
            let standby: i32 = row.try_get("standby").map_err(|e| e.to_string())?;
            let replayed: i64 = row.try_get("replayed").map_err(|e| e.to_string())?;
            Ok::<_, String>((primary, standby == 1, replayed))
        })
        .await
        .unwrap_or_else(|_| Err("health check timed out".into()));
        match verdict {
            Ok((primary, standby, replayed)) => {
                r.lag_bytes
                    .store((primary - replayed).max(0), Ordering::Relaxed);
                let required = match r.samples.lock() {
                    Ok(mut samples) => required(&mut samples, r.max_lag, Instant::now(), primary),
                    Err(_) => primary,
                };
                let (ok, why) = if !standby {
                    (
                        false,
                        Some("not a standby (pg_is_in_recovery() is false)".to_owned()),
                    )
                } else if replayed < required {
                    (
                        false,
                        Some(format!(
                            "lagging: more than {} s behind the primary",
                            r.max_lag.as_secs_f64()
                        )),
                    )
                } else {
                    (true, None)
                };
                let was = r.healthy.swap(ok, Ordering::Relaxed);
                if was != ok {
                    match &why {
                        None => tracing::info!("read replica healthy: reads may go to it"),
                        Some(w) => tracing::warn!(error = %w, "read replica unhealthy"),
                    }
                }
                r.set_error(why);
            }
            Err(e) => {
                r.lag_bytes.store(-1, Ordering::Relaxed);
                r.mark_down(&e);
            }
        }
    }

    /// Notes that `user_id` just changed something (only with a replica): for the replica's
    /// write window, that user's reads go to the primary. At most one write a second per user.
    pub async fn note_write(&self, user_id: i64) -> Result<()> {
        if self.read.is_none() || user_id <= 0 {
            return Ok(());
        }
        let now = crate::now_ms();
        sqlx::query(
            "INSERT INTO user_writes (user_id, wrote_at) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET wrote_at = excluded.wrote_at \
             WHERE user_writes.wrote_at < excluded.wrote_at - 1000",
        )
        .bind(user_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `user_id` wrote within the replica's write window (always false without one).
    pub async fn wrote_recently(&self, user_id: i64) -> Result<bool> {
        let Some(r) = &self.read else {
            return Ok(false);
        };
        let since = crate::now_ms() - i64::try_from(r.write_window().as_millis()).unwrap_or(0);
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM user_writes WHERE user_id = $1 AND wrote_at >= $2",
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_required_position_is_the_primarys_of_max_lag_ago() {
        let mut samples = VecDeque::new();
        let lag = Duration::from_secs(5);
        let t0 = Instant::now();
        // Younger than max_lag: the oldest sample is all there is.
        assert_eq!(required(&mut samples, lag, t0, 100), 100);
        assert_eq!(
            required(&mut samples, lag, t0 + Duration::from_secs(1), 200),
            100
        );
        for s in 2..=7 {
            required(
                &mut samples,
                lag,
                t0 + Duration::from_secs(s),
                100 * (s as i64 + 1),
            );
        }
        // At t0+8 s the newest sample at least 5 s old is the one of t0+3 s (400).
        assert_eq!(
            required(&mut samples, lag, t0 + Duration::from_secs(8), 900),
            400
        );
        // Old samples are dropped (kept: max_lag + 5 s).
        required(&mut samples, lag, t0 + Duration::from_secs(30), 1000);
        assert_eq!(samples.len(), 1);
    }
}
