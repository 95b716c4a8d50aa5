//! The JSON API over HTTP against the real server, every scenario on SQLite and on PostgreSQL.
//! One test binary (`tests/api/`), one module per theme.

/// For each scenario `fn name(app: TestApp)`, a test `sqlite::name` and a test `postgres::name`,
/// each with its own fresh database and server. The PostgreSQL half is skipped when PostgreSQL
/// is unreachable outside CI, and fails under `CI=true`. Attributes before a name (such as
/// `#[ignore = "..."]`) go on both tests.
macro_rules! both_backends {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$meta])*
                async fn $name() {
                    if let Some(app) = crate::helpers::TestApp::spawn(weihu_store::Backend::Sqlite).await {
                        super::$name(app).await
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                $(#[$meta])*
                async fn $name() {
                    if let Some(app) = crate::helpers::TestApp::spawn(weihu_store::Backend::Postgres).await {
                        super::$name(app).await
                    }
                }
            )*
        }
    };
}

mod articles;
mod assets;
mod auth;
mod bad_input;
mod billing;
mod board;
mod change_requests;
mod checklists;
mod concurrency;
mod escalation;
mod helpers;
mod home_pages;
mod hostile_edge;
mod hostile_login;
mod hostile_orders;
mod hostile_setup;
mod hostile_sheets;
mod isolation;
mod mail;
mod mail_servers;
mod maintenance;
mod matrix;
mod ops;
mod order_actions;
mod order_edit;
mod order_work;
mod orders;
mod outages;
mod pagination;
mod problems;
mod report_form;
mod reports;
mod search;
mod service_levels;
mod session;
mod time_zones;
