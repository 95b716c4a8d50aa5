//! The portable format: every table as JSON lines, in dependency order, readable by either
//! backend. `export` reads inside one transaction (a consistent snapshot); `import` writes into
//! an empty, migrated database inside one transaction, so a failed import leaves nothing behind.
//!
//! ```text
//! {"format":"weihu-export","format_version":1,"schema_version":1,"tables":["organizations",...]}
//! {"table":"organizations","row":[1,"provider",...]}
//! ...
//! {"end":true,"rows":1234}
//! ```

use std::io::{BufRead, Write};

use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::sql::{Arg, bind_all};
use crate::{Backend, Result, Store, StoreError};

pub const FORMAT: &str = "weihu-export";
pub const FORMAT_VERSION: i64 = 1;

#[derive(Clone, Copy)]
enum Col {
    Int(&'static str),
    Text(&'static str),
}

impl Col {
    fn name(self) -> &'static str {
        match self {
            Col::Int(n) | Col::Text(n) => n,
        }
    }
}

struct Table {
    name: &'static str,
    /// Whether the table has a generated `id` whose sequence must follow the imported rows.
    identity: bool,
    cols: &'static [Col],
}

use Col::{Int as I, Text as T};

/// Every table, parents before children. A new migration that adds a table adds it here; a test
/// checks that no table of the schema is missing.
const TABLES: &[Table] = &[
    Table {
        name: "organizations",
        identity: true,
        cols: &[
            I("id"),
            T("kind"),
            T("code"),
            T("name"),
            T("name_en"),
            T("contact_name"),
            T("contact_phone"),
            T("contact_email"),
            T("address"),
            T("internal_note"),
            I("active"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "teams",
        identity: true,
        cols: &[
            I("id"),
            T("name"),
            T("description"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "users",
        identity: true,
        cols: &[
            I("id"),
            I("org_id"),
            T("username"),
            T("display_name"),
            T("email"),
            T("phone"),
            T("role"),
            I("team_id"),
            T("locale"),
            T("password_hash"),
            I("must_change_password"),
            I("active"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "sessions",
        identity: false,
        cols: &[
            T("id_hash"),
            I("user_id"),
            T("csrf_token"),
            I("created_at"),
            I("expires_at"),
        ],
    },
    Table {
        name: "api_tokens",
        identity: true,
        cols: &[
            I("id"),
            I("user_id"),
            T("name"),
            T("token_hash"),
            T("prefix"),
            I("created_at"),
            I("expires_at"),
            I("last_used_at"),
            I("revoked_at"),
        ],
    },
    Table {
        name: "login_throttle",
        identity: false,
        cols: &[
            T("key"),
            I("failures"),
            I("window_start"),
            I("locked_until"),
        ],
    },
    Table {
        name: "login_known",
        identity: false,
        cols: &[T("key"), I("seen_at")],
    },
    Table {
        name: "calendars",
        identity: true,
        cols: &[
            I("id"),
            T("name"),
            T("definition"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "sla_policies",
        identity: true,
        cols: &[
            I("id"),
            T("name"),
            I("is_default"),
            I("current_version"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "sla_policy_versions",
        identity: true,
        cols: &[
            I("id"),
            I("policy_id"),
            I("number"),
            T("definition"),
            T("note"),
            T("created_by"),
            I("created_at"),
        ],
    },
    Table {
        name: "contracts",
        identity: true,
        cols: &[
            I("id"),
            I("client_org_id"),
            T("number"),
            T("title"),
            T("status"),
            T("pricing_model"),
            T("start_date"),
            T("end_date"),
            T("terms"),
            I("policy_id"),
            I("calendar_id"),
            T("scope"),
            T("resident_slot"),
            I("notice_days"),
            I("auto_renew"),
            I("renewed_from"),
            T("termination"),
            T("internal_note"),
            I("created_by"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "contract_engineers",
        identity: true,
        cols: &[
            I("id"),
            I("contract_id"),
            I("user_id"),
            T("from_date"),
            T("until_date"),
            I("announced_at"),
            T("note"),
        ],
    },
    Table {
        name: "contract_devices",
        identity: true,
        cols: &[
            I("id"),
            I("contract_id"),
            T("device_type"),
            T("asset_tag"),
            T("from_date"),
            T("until_date"),
        ],
    },
    Table {
        name: "resident_days",
        identity: true,
        cols: &[
            I("id"),
            I("contract_id"),
            I("user_id"),
            T("work_date"),
            T("note"),
            I("created_at"),
        ],
    },
    Table {
        name: "asset_types",
        identity: false,
        cols: &[
            T("code"),
            T("name"),
            T("name_en"),
            T("coefficient"),
            T("category"),
            I("sort"),
            I("version"),
            I("updated_at"),
        ],
    },
    Table {
        name: "assets",
        identity: true,
        cols: &[
            I("id"),
            I("client_org_id"),
            T("asset_type"),
            T("tag"),
            T("serial"),
            T("model"),
            T("location"),
            T("owner"),
            T("warranty_end"),
            I("under_contract"),
            T("status"),
            T("notes"),
            T("custom_fields"),
            I("created_by"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "asset_tag_counters",
        identity: false,
        cols: &[T("prefix"), I("last")],
    },
    Table {
        name: "asset_confirmations",
        identity: true,
        cols: &[
            I("id"),
            I("client_org_id"),
            T("as_of"),
            T("snapshot"),
            T("signer_name"),
            T("image_png"),
            I("confirmed_by"),
            I("confirmed_at"),
        ],
    },
    Table {
        name: "catalog_items",
        identity: true,
        cols: &[
            I("id"),
            T("code"),
            T("name"),
            T("name_en"),
            T("content"),
            T("content_en"),
            I("calendar_id"),
            T("availability_target"),
            I("max_interruptions"),
            I("max_restore_minutes"),
            I("owner_id"),
            I("active"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "catalog_item_clients",
        identity: false,
        cols: &[I("item_id"), I("client_org_id")],
    },
    Table {
        name: "provider_settings",
        identity: false,
        cols: &[T("key"), T("value"), I("updated_at")],
    },
    Table {
        name: "order_counters",
        identity: false,
        cols: &[I("year"), I("last")],
    },
    Table {
        name: "orders",
        identity: true,
        cols: &[
            I("id"),
            T("number"),
            I("client_org_id"),
            I("requester_id"),
            T("requester_name"),
            T("requester_phone"),
            T("site"),
            T("channel"),
            T("category"),
            T("urgency"),
            T("impact"),
            T("priority"),
            T("subject"),
            T("description"),
            T("service_mode"),
            T("state"),
            I("assignee_id"),
            I("team_id"),
            I("policy_id"),
            I("policy_version"),
            T("resolution"),
            T("close_reason"),
            I("refused_in_scope"),
            I("resolved_at"),
            I("closed_at"),
            I("rating"),
            T("rating_comment"),
            I("rated_at"),
            I("created_by"),
            I("version"),
            I("created_at"),
            I("updated_at"),
            I("contract_id"),
            I("asset_id"),
            I("catalog_item_id"),
        ],
    },
    Table {
        name: "order_clocks",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            T("kind"),
            T("calendar"),
            T("target_kind"),
            I("target_minutes"),
            I("at_risk_percent"),
            I("started_at"),
            I("stopped_at"),
            I("due_at"),
            T("state"),
            I("at_risk_notified"),
            I("breach_notified"),
            I("next_check_at"),
        ],
    },
    Table {
        name: "order_clock_pauses",
        identity: true,
        cols: &[I("id"), I("clock_id"), I("started_at"), I("ended_at")],
    },
    Table {
        name: "order_events",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            I("at"),
            I("actor_id"),
            T("actor_name"),
            T("kind"),
            I("public"),
            T("body"),
            T("data"),
        ],
    },
    Table {
        name: "order_visits",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            I("engineer_id"),
            T("kind"),
            I("decided_at"),
            I("check_in_at"),
            I("check_out_at"),
            T("travel_fee"),
            T("note"),
            I("created_by"),
            T("category"),
        ],
    },
    Table {
        name: "order_parts",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            T("name"),
            T("model"),
            I("quantity"),
            T("unit_price"),
            T("authorized_price"),
            I("client_supplied"),
            T("state"),
            T("note"),
            I("proposed_by"),
            I("proposed_at"),
            I("decided_by"),
            I("decided_at"),
            I("installed_at"),
        ],
    },
    Table {
        name: "order_remote_sessions",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            I("engineer_id"),
            T("tool"),
            I("started_at"),
            I("ended_at"),
            T("note"),
        ],
    },
    Table {
        name: "order_work_log",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            I("user_id"),
            T("work_date"),
            I("minutes"),
            T("note"),
            I("created_at"),
        ],
    },
    Table {
        name: "order_backup_checks",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            T("change"),
            I("asked_by"),
            I("asked_at"),
            T("answer"),
        ],
    },
    Table {
        name: "order_signatures",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            T("signer_name"),
            T("image_png"),
            I("collected_by"),
            I("signed_at"),
        ],
    },
    Table {
        name: "order_attachments",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            T("filename"),
            T("content_type"),
            I("size"),
            T("data"),
            I("public"),
            I("uploaded_by"),
            I("created_at"),
        ],
    },
    Table {
        name: "billable_items",
        identity: true,
        cols: &[
            I("id"),
            I("contract_id"),
            I("order_id"),
            T("item_date"),
            T("description"),
            I("quantity"),
            T("unit_price"),
            I("created_by"),
            I("created_at"),
        ],
    },
    Table {
        name: "take_away_repairs",
        identity: true,
        cols: &[
            I("id"),
            I("order_id"),
            T("asset"),
            T("description"),
            I("taken_at"),
            I("promised_at"),
            I("returned_at"),
            T("cost"),
            T("note"),
            I("created_by"),
        ],
    },
    Table {
        name: "statement_counters",
        identity: false,
        cols: &[T("period"), I("last")],
    },
    Table {
        name: "statements",
        identity: true,
        cols: &[
            I("id"),
            I("client_org_id"),
            I("contract_id"),
            T("month"),
            T("kind"),
            I("adjusts_id"),
            T("number"),
            T("state"),
            T("currency"),
            T("total"),
            T("body"),
            I("computed_at"),
            I("reviewed_by"),
            I("reviewed_at"),
            I("issued_by"),
            I("issued_at"),
            T("due_date"),
            I("paid_at"),
            T("note"),
            I("version"),
            I("created_at"),
            I("updated_at"),
        ],
    },
    Table {
        name: "notifications",
        identity: true,
        cols: &[
            I("id"),
            I("user_id"),
            I("order_id"),
            T("kind"),
            T("body"),
            I("created_at"),
            I("read_at"),
        ],
    },
    Table {
        name: "audit_log",
        identity: true,
        cols: &[
            I("id"),
            I("at"),
            I("actor_id"),
            T("actor_name"),
            I("org_id"),
            T("entity"),
            T("entity_id"),
            T("action"),
            T("changes"),
        ],
    },
];

/// The names of the tables the portable format carries.
pub fn table_names() -> Vec<&'static str> {
    TABLES.iter().map(|t| t.name).collect()
}

fn row_to_json(t: &Table, r: &AnyRow) -> Result<Value> {
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

/// Tables the migrations seed with defaults: an empty database has them, and an import replaces
/// them with the exported rows.
const SEEDED: &[&str] = &["asset_types"];

async fn is_empty(conn: &mut AnyConnection) -> Result<bool> {
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

fn bad(line: usize, msg: impl std::fmt::Display) -> StoreError {
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
        if row.len() != t.cols.len() {
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
    // The search index is derived data: rebuilt here rather than carried in the file.
    crate::orders::search::rebuild_all(&mut tx, store.backend()).await?;
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
