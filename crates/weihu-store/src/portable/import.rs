//! Reading an export into an empty database, all or nothing.

use super::*;

/// Tables the migrations seed with defaults: an empty database has them, and an import replaces
/// them with the exported rows.
pub(super) const SEEDED: &[&str] = &["asset_types", "failure_causes"];

pub(super) async fn is_empty(conn: &mut AnyConnection) -> Result<bool> {
    for t in TABLES.iter().filter(|t| !SEEDED.contains(&t.name)) {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            t.name
        )))
        .fetch_one(&mut *conn)
        .await?;
        if n > 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(super) fn bad(line: usize, msg: impl std::fmt::Display) -> StoreError {
    StoreError::BadFile {
        line,
        message: msg.to_string(),
    }
}

/// Reads an export into this (migrated, empty) database, all or nothing.
pub async fn import(
    store: &Store,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Summary> {
    let mut lines = input.lines();
    let header: Value = match lines.next() {
        Some(l) => serde_json::from_str(&l?).map_err(|e| bad(1, e))?,
        None => return Err(bad(1, "empty file")),
    };
    if header["format"] != FORMAT || header["format_version"] != FORMAT_VERSION {
        return Err(bad(
            1,
            "not a Weihu export (format weihu-export, version 1)",
        ));
    }
    let known = store.known_schema_version();
    if header["schema_version"].as_i64().is_none_or(|v| v > known) {
        return Err(bad(
            1,
            format!("export is from a newer schema than this Weihu knows ({known})"),
        ));
    }
    let mut tx = store.pool.begin().await?;
    if !is_empty(&mut tx).await? {
        return Err(StoreError::NotEmpty("import"));
    }
    for t in SEEDED {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}")))
            .execute(&mut *tx)
            .await?;
    }
    if store.backend() == Backend::Sqlite {
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query("SET CONSTRAINTS ALL DEFERRED")
            .execute(&mut *tx)
            .await?;
    }
    let mut summary = Summary::default();
    let mut current: Option<(&Table, u64)> = None;
    let mut ended = false;
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line).map_err(|e| bad(n, e))?;
        if v.get("end").is_some() {
            ended = true;
            break;
        }
        let name = v["table"].as_str().ok_or_else(|| bad(n, "missing table"))?;
        let t = TABLES
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| bad(n, format!("unknown table {name}")))?;
        let row = v["row"].as_array().ok_or_else(|| bad(n, "missing row"))?;
        // An older export lacks the columns added since, all at the end: they import as NULL.
        let missing = &t.cols[row.len().min(t.cols.len())..];
        if row.len() > t.cols.len()
            || missing
                .iter()
                .any(|c| !ADDED_LATER.contains(&(t.name, c.name())))
        {
            return Err(bad(n, format!("{name} rows have {} columns", t.cols.len())));
        }
        if current.is_none_or(|(c, _)| c.name != t.name) {
            if let Some((c, count)) = current.take() {
                progress(c.name, count);
                summary.tables.push((c.name.to_owned(), count));
            }
            current = Some((t, 0));
        }
        let mut args = Vec::with_capacity(row.len());
        for (c, val) in t.cols.iter().zip(row) {
            args.push(match (c, val) {
                (Col::Int(_), Value::Null) => Arg::Int(None),
                (Col::Int(_), Value::Number(x)) => {
                    Arg::Int(Some(x.as_i64().ok_or_else(|| {
                        bad(n, format!("{}: not an integer", c.name()))
                    })?))
                }
                (Col::Text(_), Value::Null) => Arg::Text(None),
                (Col::Text(_), Value::String(s)) => Arg::Text(Some(s.clone())),
                _ => return Err(bad(n, format!("{}: wrong type", c.name()))),
            });
        }
        for c in missing {
            args.push(match c {
                Col::Int(_) => Arg::Int(None),
                Col::Text(n) => Arg::Text(added_later_default(t.name, n).map(str::to_owned)),
            });
        }
        let cols: Vec<&str> = t.cols.iter().map(|c| c.name()).collect();
        let ph: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            t.name,
            cols.join(", "),
            ph.join(", ")
        );
        bind_all(sqlx::query(sqlx::AssertSqlSafe(sql.clone())), &args)
            .execute(&mut *tx)
            .await?;
        if let Some((_, count)) = current.as_mut() {
            *count += 1;
        }
        summary.rows += 1;
    }
    if !ended {
        return Err(StoreError::BadFile {
            line: summary.rows as usize + 1,
            message: "the export is truncated (no end line)".into(),
        });
    }
    if let Some((c, count)) = current.take() {
        progress(c.name, count);
        summary.tables.push((c.name.to_owned(), count));
    }
    // An export from before clocks carried their order's client: fill it in.
    sqlx::query(
        "UPDATE order_clocks SET client_org_id = (SELECT o.client_org_id FROM orders o WHERE o.id = order_clocks.order_id) \
         WHERE client_org_id IS NULL",
    )
    .execute(&mut *tx)
    .await?;
    // The search index is derived data: rebuilt here rather than carried in the file.
    crate::orders::search::rebuild_all(&mut tx, store.backend()).await?;
    crate::articles::search::rebuild_all(&mut tx, store.backend()).await?;
    if store.backend() == Backend::Postgres {
        for t in TABLES.iter().filter(|t| t.identity) {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), coalesce((SELECT max(id) FROM {0}), 0) + 1, false)",
                t.name
            )))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(summary)
}
