//! `weihu generate`: bulk realistic service orders for load tests and benchmarks.
//!
//! Client organisations with their people, then orders spread over the last two years with
//! Chinese and English subjects, timelines, SLA clocks, gap-free numbers and search index rows,
//! written with multi-row INSERTs in large transactions. Meant for an otherwise idle database.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use clap::Args;
use sqlx::{Any, Row};
use weihu_domain::calendar::Calendar;
use weihu_domain::order::order_number;
use weihu_domain::priority::{Level, Priority};
use weihu_domain::sla::{Due, SlaPolicy, Target};
use weihu_store::{Actor, Backend, Store, calendars, demo};

use super::{Failure, open};
use crate::config::Settings;

mod billing;
mod clients;
mod run;
mod tables;
mod texts;

use billing::*;
use clients::*;
pub use run::*;
pub use tables::*;
pub use texts::*;

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// How many orders to create.
    #[arg(long, default_value_t = 10_000)]
    pub orders: u64,
    /// How many client organisations to spread them over (created if missing).
    #[arg(long, default_value_t = 50)]
    pub clients: u64,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Orders per transaction.
    #[arg(long, default_value_t = 10_000)]
    pub per_transaction: u64,
    /// Rows per INSERT statement (capped by SQLite's 32,766 parameters). sqlx's cost grows
    /// faster than linearly with the parameters of one statement: 100 was fastest here.
    #[arg(long, default_value_t = MAX_ROWS)]
    pub rows_per_statement: usize,
    /// Also give every client without one a capped contract for that month's year, attach the
    /// orders to it and give each order one on-site visit checked in during the month (kinds
    /// mixed: regular, scheduled, repeat, emergency with travel): the statement benchmark.
    #[arg(long, value_name = "YYYY-MM")]
    pub billing_month: Option<String>,
    /// Also give every client a contract for that year (if it has none), 50 assets (if it has
    /// none) and a monthly inspection plan over them: the preventive-maintenance benchmark
    /// (then `weihu maintenance generate --today YEAR-01-01`).
    #[arg(long, value_name = "YYYY")]
    pub maintenance_year: Option<i16>,
    /// Also write this many knowledge-base articles (nine in ten published, half of them
    /// visible to clients) from the same fault texts: the knowledge-base benchmark.
    #[arg(long, default_value_t = 0)]
    pub articles: u64,
}

/// SQLite's limit on bound parameters per statement (PostgreSQL allows 65,535).
pub const MAX_PARAMS: usize = 32_766;
/// Rows per INSERT statement at most.
pub const MAX_ROWS: usize = 100;
/// The most rows per statement anyone may ask for.
pub const ROWS_CAP: usize = 2_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_deterministic_for_a_seed() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..200).map(|_| order_text(&mut rng).1).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn the_rare_word_is_rare_and_only_in_rare_orders() {
        let mut rng = Rng::new(1);
        let n = (0..200_000)
            .filter(|_| order_text(&mut rng).1.contains(RARE_WORD))
            .count();
        assert!((5..=60).contains(&n), "{n} rare subjects in 200,000");
        for (_, s, d, r) in FAULTS {
            for t in [s, d, r] {
                assert!(!t.contains("键盘") && !t.contains("蓝牙"), "{t}");
            }
        }
    }

    #[test]
    fn statements_respect_the_parameter_limit() {
        for cols in [
            ORDER_COLUMNS,
            CLOCK_COLUMNS,
            EVENT_COLUMNS,
            weihu_store::orders::search::bulk_columns(Backend::Sqlite).1,
        ] {
            let rows = rows_per_statement(cols.len(), ROWS_CAP);
            assert!(rows >= 1 && rows * cols.len() <= MAX_PARAMS);
            let sql = insert_sql("t", cols, rows);
            let last = format!("${})", rows * cols.len());
            assert!(sql.ends_with(&last), "{}", &sql[sql.len() - 20..]);
            assert!(!sql.contains(&format!("${}", rows * cols.len() + 1)));
        }
        assert_eq!(rows_per_statement(100, ROWS_CAP), 327);
        assert_eq!(rows_per_statement(3, 500), 500);
        assert_eq!(rows_per_statement(3, 1_000_000), ROWS_CAP);
        assert_eq!(rows_per_statement(29, 0), 1);
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
