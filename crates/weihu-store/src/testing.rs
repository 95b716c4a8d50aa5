//! Test support shared by every crate's tests: a fresh, empty database per test on either
//! backend. PostgreSQL comes from `WEIHU_TEST_PG` (default: the local server as `postgres`); when
//! it is unreachable the PostgreSQL half of a test is skipped locally, but fails under `CI=true`.

use crate::{Backend, Store, credentials::random_token};

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn pg_admin_url() -> String {
    std::env::var("WEIHU_TEST_PG").unwrap_or_else(|_| DEFAULT_PG.to_owned())
}

fn unique_suffix() -> String {
    random_token(9)
        .unwrap_or_else(|_| format!("{}", std::process::id()))
        .to_lowercase()
        .replace(['-', '_'], "x")
}

/// A URL for a new, empty database on `backend`, or `None` if PostgreSQL is not reachable
/// outside CI.
pub async fn fresh_database(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!("weihu-test-{}", unique_suffix()));
            std::fs::create_dir_all(&dir).ok()?;
            Some(Store::sqlite_url_for_dir(&dir))
        }
        Backend::Postgres => {
            let admin = pg_admin_url();
            let store = match Store::connect(&admin).await {
                Ok(s) => s,
                Err(e) => {
                    assert!(
                        std::env::var("CI").is_err(),
                        "PostgreSQL at {admin} is required in CI: {e}"
                    );
                    eprintln!("skipping the PostgreSQL half: {admin} unreachable: {e}");
                    return None;
                }
            };
            let name = format!("weihu_t_{}", unique_suffix());
            // A UTF-8 ctype, so that trigram and Chinese text functions work.
            let sql = format!(
                "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            );
            if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(store.pool())
                .await
            {
                panic!("cannot create test database {name}: {e}");
            }
            store.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Some(format!("{base}/{name}"))
        }
    }
}

/// A migrated store on a fresh database, with the provider organisation created.
pub async fn fresh_store(backend: Backend) -> Option<Store> {
    let url = fresh_database(backend).await?;
    let store = Store::connect(&url)
        .await
        .expect("connect to the test database");
    store.migrate().await.expect("migrate the test database");
    crate::organizations::ensure_provider(&store, "测试服务商")
        .await
        .expect("provider");
    Some(store)
}

/// Sets the search limits of this process (the count cap, 10,000; the most matches ranked by
/// relevance, 1,000; how many of the filtered orders a search that starts from them counts in,
/// 2,000) so a test reaches them with a handful of orders. Per process: nextest runs each test
/// in its own.
pub fn search_limits(count_cap: i64, ranked_matches: i64, scan_count: i64) {
    crate::orders::search::set_limits(count_cap, ranked_matches, scan_count);
}
