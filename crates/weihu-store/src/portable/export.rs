//! Writing every table as JSON lines, in one snapshot.

use super::*;

pub(super) fn row_to_json(t: &Table, r: &AnyRow) -> Result<Value> {
    let mut out = Vec::with_capacity(t.cols.len());
    for (i, c) in t.cols.iter().enumerate() {
        out.push(match c {
            Col::Int(_) => json!(r.try_get::<Option<i64>, _>(i)?),
            Col::Text(_) => json!(r.try_get::<Option<String>, _>(i)?),
        });
    }
    Ok(Value::Array(out))
}

/// Summary of an export or import.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub tables: Vec<(String, u64)>,
    pub rows: u64,
}

/// Writes every table to `out`. `progress` is called after each table with (table, rows).
pub async fn export(
    store: &Store,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Summary> {
    let mut tx = store.pool.begin().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let schema: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&mut *tx)
        .await?;
    let header = json!({
        "format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": schema,
        "tables": table_names(),
    });
    writeln!(out, "{header}")?;
    let mut summary = Summary::default();
    for t in TABLES {
        let cols: Vec<&str> = t.cols.iter().map(|c| c.name()).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            t.name,
            cols[0]
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .fetch_all(&mut *tx)
            .await?;
        for r in &rows {
            writeln!(
                out,
                "{}",
                json!({"table": t.name, "row": row_to_json(t, r)?})
            )?;
        }
        let n = rows.len() as u64;
        summary.tables.push((t.name.to_owned(), n));
        summary.rows += n;
        progress(t.name, n);
    }
    writeln!(out, "{}", json!({"end": true, "rows": summary.rows}))?;
    out.flush()?;
    tx.commit().await?;
    Ok(summary)
}
