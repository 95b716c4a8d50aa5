//! The two backends. Everything that differs between SQLite and PostgreSQL lives here: how to
//! connect (pragmas), which migration folder applies, and how a consistent backup is taken.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::invalid(
                "database_url",
                "must start with sqlite: or postgres://",
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// The handle every repository function takes: a pool and which backend it talks to.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// The provider's zone: the local year of order numbers, "today" for time entries, the
    /// month of a signature (`serve --time-zone`; default Asia/Shanghai).
    zone: jiff::tz::TimeZone,
    /// A streaming replica for reads (`serve --database-read-url`), see [`crate::replica`].
    pub(crate) read: Option<std::sync::Arc<crate::replica::Replica>>,
    /// Parsed policy versions and calendars, shared by every clone (see [`crate::rule_cache`]).
    pub(crate) rules: std::sync::Arc<crate::rule_cache::RuleCache>,
}

impl Store {
    /// Connects to `url`. A SQLite file is created if missing (the embedded default), in WAL mode
    /// with a busy timeout and full fsync, so an acknowledged write survives `kill -9`.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let opts = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::invalid("database_url", e.to_string()))?;
        let pool_opts = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = pool_opts
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(Store {
            pool,
            backend,
            zone: default_zone(),
            read: None,
            rules: Default::default(),
        })
    }

    /// A SQLite database in `dir` (created if missing): `dir/weihu.db`.
    pub fn sqlite_url_for_dir(dir: &Path) -> String {
        format!("sqlite://{}", dir.join("weihu.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The same store, in the provider's `zone`.
    pub fn with_time_zone(mut self, zone: jiff::tz::TimeZone) -> Store {
        self.zone = zone;
        self
    }

    /// The provider's zone (see [`Store::with_time_zone`]).
    pub fn time_zone(&self) -> &jiff::tz::TimeZone {
        &self.zone
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies pending migrations; refuses a schema written by a newer Weihu.
    pub async fn migrate(&self) -> Result<()> {
        let known = self.known_schema_version();
        if let Some(found) = self.schema_version().await?
            && found > known
        {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        // Nothing to apply: no migration lock either. sqlx's lock is a session-level advisory
        // lock, which a PgBouncer in transaction pooling mode cannot hold for a session, so app
        // servers behind one start without it (`weihu migrate` runs against the primary itself).
        if self.applied_migrations().await? == self.backend.migrator().iter().count() as i64 {
            return Ok(());
        }
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// The newest migration this binary carries.
    pub fn known_schema_version(&self) -> i64 {
        self.backend
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// The newest migration applied to the database, if any.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        let exists: i64 = match self.backend {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_one(&self.pool)
            .await?,
            Backend::Postgres => sqlx::query_scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            )
            .fetch_one(&self.pool)
            .await?,
        };
        if exists == 0 {
            return Ok(None);
        }
        let v: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await?;
        Ok(v)
    }

    /// How many of this binary's migrations the database records as applied successfully
    /// (0 on an empty database).
    async fn applied_migrations(&self) -> Result<i64> {
        if self.schema_version().await?.is_none() {
            return Ok(0);
        }
        let versions: Vec<i64> = self.backend.migrator().iter().map(|m| m.version).collect();
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?;
        Ok(versions.iter().filter(|v| applied.contains(v)).count() as i64)
    }

    /// A cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        let _: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// SQLite only: a consistent copy of the live database into `out` (`VACUUM INTO`), taken
    /// while the server keeps running.
    pub async fn sqlite_snapshot(&self, out: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unsupported(
                "a file snapshot is for SQLite; PostgreSQL backups use the portable format",
            ));
        }
        if out.exists() {
            return Err(StoreError::invalid(
                "out",
                "file exists; refusing to overwrite",
            ));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(out.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Lists the migration names of one backend's folder, for the test that keeps both in step.
pub fn migration_names(backend: Backend) -> Vec<(i64, String)> {
    backend
        .migrator()
        .iter()
        .map(|m| (m.version, m.description.to_string()))
        .collect()
}

fn default_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(crate::contracts::DEFAULT_ZONE).unwrap_or(jiff::tz::TimeZone::UTC)
}
