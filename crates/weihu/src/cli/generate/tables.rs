//! Bulk INSERTs: rows per statement within each backend's parameter limit, the tables and columns written.

use super::*;

/// How many rows of `columns` values fit in one statement.
pub fn rows_per_statement(columns: usize, wanted: usize) -> usize {
    (MAX_PARAMS / columns.max(1))
        .min(wanted.min(ROWS_CAP))
        .max(1)
}

/// `INSERT INTO table (cols) VALUES ($1, …), (…)` for `rows` rows.
pub fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let mut s = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                s.push_str(", ");
            }
            n += 1;
            s.push('$');
            s.push_str(&n.to_string());
        }
        s.push(')');
    }
    s
}

/// SplitMix64: small, fast, deterministic for a seed.

#[derive(Debug, Clone)]
pub(super) enum Val {
    I(i64),
    O(Option<i64>),
    T(String),
}

/// Rows waiting to be written to one table.
pub(super) struct Table {
    pub(super) name: &'static str,
    pub(super) columns: &'static [&'static str],
    pub(super) rows: Vec<Vec<Val>>,
    pub(super) written: u64,
    pub(super) per_statement: usize,
}

impl Table {
    pub(super) fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            rows: Vec::new(),
            written: 0,
            per_statement: MAX_ROWS,
        }
    }

    pub(super) async fn flush(&mut self, conn: &mut sqlx::AnyConnection) -> Result<(), Failure> {
        let per = rows_per_statement(self.columns.len(), self.per_statement);
        let rows = std::mem::take(&mut self.rows);
        for chunk in rows.chunks(per) {
            let sql = insert_sql(self.name, self.columns, chunk.len());
            let mut q = sqlx::query::<Any>(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for v in row {
                    q = match v {
                        Val::I(i) => q.bind(*i),
                        Val::O(o) => q.bind(*o),
                        Val::T(t) => q.bind(t.clone()),
                    };
                }
            }
            q.execute(&mut *conn).await.map_err(db)?;
            self.written += chunk.len() as u64;
        }
        Ok(())
    }
}

pub(super) fn db(e: sqlx::Error) -> Failure {
    Failure {
        code: 1,
        message: format!("database: {e}"),
    }
}

pub(super) const ORDER_COLUMNS: &[&str] = &[
    "id",
    "number",
    "client_org_id",
    "requester_id",
    "requester_name",
    "requester_phone",
    "site",
    "channel",
    "category",
    "urgency",
    "impact",
    "priority",
    "subject",
    "description",
    "service_mode",
    "state",
    "assignee_id",
    "team_id",
    "policy_id",
    "policy_version",
    "resolution",
    "close_reason",
    "resolved_at",
    "closed_at",
    "rating",
    "created_by",
    "version",
    "created_at",
    "updated_at",
];
pub(super) const CLOCK_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "kind",
    "calendar",
    "target_kind",
    "target_minutes",
    "at_risk_percent",
    "started_at",
    "stopped_at",
    "due_at",
    "state",
    "at_risk_notified",
    "breach_notified",
    "next_check_at",
    "client_org_id",
];
pub(super) const EVENT_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "at",
    "actor_id",
    "actor_name",
    "kind",
    "public",
    "body",
    "data",
];
