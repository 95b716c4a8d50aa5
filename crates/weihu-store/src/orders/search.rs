//! The order search index: one row per order with its client-visible and internal tokens,
//! rebuilt from the order's text in the transaction that changes it. The two backends store it
//! differently (SQLite FTS5, PostgreSQL `simple` tsvector with GIN indexes); this module is the
//! only place that knows.

use sqlx::{AnyConnection, Row};
use weihu_domain::search::{IndexTokens, MAX_INDEX_BYTES, query_tokens};

use crate::sql::SqlBuf;
use crate::{Backend, Result};

/// One index column's text: the distinct tokens of `texts` in order, capped at
/// [`MAX_INDEX_BYTES`] (the same rule on both backends), so no order's comments can push the
/// index past what the database accepts.
fn token_text<S: AsRef<str>>(texts: &[S]) -> String {
    let mut idx = IndexTokens::new(MAX_INDEX_BYTES);
    for t in texts {
        if !idx.add(t.as_ref()) {
            break;
        }
    }
    idx.text()
}

/// The index text of `texts` exactly as the store writes it, for bulk loads (`weihu generate`).
pub fn index_text<S: AsRef<str>>(texts: &[S]) -> String {
    token_text(texts)
}

/// The index table and its columns in the order a bulk load writes them: the row key (FTS5's
/// `rowid` on SQLite, `order_id` on PostgreSQL), the client-visible tokens, the internal ones.
pub fn bulk_columns(backend: Backend) -> (&'static str, &'static [&'static str]) {
    match backend {
        Backend::Sqlite => (
            "order_search",
            &["rowid", "public_tokens", "internal_tokens"],
        ),
        Backend::Postgres => (
            "order_search",
            &["order_id", "public_tokens", "internal_tokens"],
        ),
    }
}

/// Refuses a search query past the bounds (length, number of terms), naming `q`.
pub(crate) fn check_query(query: &str) -> Result<()> {
    weihu_domain::search::check_query(query)
        .map_err(|e| crate::StoreError::invalid("q", e.to_string()))
}

/// Recomputes the index row of one order from its subject, description, resolution and comments.
pub(crate) async fn reindex(
    conn: &mut AnyConnection,
    backend: Backend,
    order_id: i64,
) -> Result<()> {
    let row = sqlx::query(
        "SELECT subject, description, resolution, requester_name, site FROM orders WHERE id = $1",
    )
    .bind(order_id)
    .fetch_one(&mut *conn)
    .await?;
    let mut public: Vec<String> = [
        "subject",
        "description",
        "resolution",
        "requester_name",
        "site",
    ]
    .iter()
    .map(|c| row.try_get::<String, _>(*c))
    .collect::<std::result::Result<_, _>>()?;
    let mut internal = Vec::new();
    let comments = sqlx::query(
        "SELECT public, body FROM order_events WHERE order_id = $1 AND kind = 'comment' ORDER BY id",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    for c in comments {
        let body: String = c.try_get("body")?;
        if c.try_get::<i64, _>("public")? != 0 {
            public.push(body);
        } else {
            internal.push(body);
        }
    }
    let (public, internal) = (token_text(&public), token_text(&internal));
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM order_search WHERE rowid = $1")
                .bind(order_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("INSERT INTO order_search (rowid, public_tokens, internal_tokens) VALUES ($1, $2, $3)")
                .bind(order_id)
                .bind(public)
                .bind(internal)
                .execute(&mut *conn)
                .await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "INSERT INTO order_search (order_id, public_tokens, internal_tokens) VALUES ($1, $2, $3) \
                 ON CONFLICT (order_id) DO UPDATE SET public_tokens = excluded.public_tokens, \
                 internal_tokens = excluded.internal_tokens",
            )
            .bind(order_id)
            .bind(public)
            .bind(internal)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The index row of a new order (no comments yet) from the text in hand, without reading the
/// order back: three statements fewer in the order writer's serial path.
pub(crate) async fn index_new(
    conn: &mut AnyConnection,
    backend: Backend,
    order_id: i64,
    public: &[String],
) -> Result<()> {
    let public = token_text(public);
    let sql = match backend {
        Backend::Sqlite => {
            "INSERT INTO order_search (rowid, public_tokens, internal_tokens) VALUES ($1, $2, '')"
        }
        Backend::Postgres => {
            "INSERT INTO order_search (order_id, public_tokens, internal_tokens) VALUES ($1, $2, '') \
             ON CONFLICT (order_id) DO UPDATE SET public_tokens = excluded.public_tokens, \
             internal_tokens = excluded.internal_tokens"
        }
    };
    sqlx::query(sql)
        .bind(order_id)
        .bind(public)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Rebuilds the whole index (after an import, which carries no derived data).
pub(crate) async fn rebuild_all(conn: &mut AnyConnection, backend: Backend) -> Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM orders ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    for id in &ids {
        reindex(conn, backend, *id).await?;
    }
    Ok(ids.len() as u64)
}

/// Joins the matching index rows as `s` (with their rank `s.srank`), or returns false when the
/// query has no searchable token. Internal notes count only when `internal` (provider staff).
/// The match and the rank are computed once, in the index, not per order.
///
/// With `top` (limit, offset) — a search without other filters or sort — the page is cut inside
/// the index (best rank first, newest id on ties), so only its orders are joined and sorted.
pub(crate) fn join(
    backend: Backend,
    query: &str,
    internal: bool,
    top: Option<(i64, i64)>,
    w: &mut SqlBuf,
) -> bool {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return false;
    }
    let cut = |w: &mut SqlBuf, id: &str| {
        if let Some((limit, offset)) = top {
            w.push(&format!(" ORDER BY srank, {id} DESC LIMIT "))
                .bind(limit)
                .push(" OFFSET ")
                .bind(offset);
        }
    };
    match backend {
        Backend::Sqlite => {
            let all = tokens
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(" AND ");
            let expr = if internal {
                all
            } else {
                format!("public_tokens : ({all})")
            };
            w.push(" JOIN (SELECT rowid AS sid, bm25(order_search) AS srank FROM order_search WHERE order_search MATCH ")
                .bind(expr);
            cut(w, "rowid");
            w.push(") s ON s.sid = o.id");
        }
        Backend::Postgres => {
            let doc = if internal {
                "public_tokens || ' ' || internal_tokens"
            } else {
                "public_tokens"
            };
            // ts_rank grows with relevance; negated so that ascending order is best first on both.
            w.push(&format!(
                " JOIN (SELECT order_id AS sid, -ts_rank(to_tsvector('simple', {doc}), q) AS srank \
                 FROM order_search, plainto_tsquery('simple', "
            ))
            .bind(tokens.join(" "))
            .push(&format!(") q WHERE to_tsvector('simple', {doc}) @@ q"));
            cut(w, "order_id");
            w.push(") s ON s.sid = o.id");
        }
    }
    true
}

/// The `ORDER BY` term for the best matches first (bm25 is lower-is-better; ts_rank is negated).
pub(crate) const RANK_ORDER: &str = "s.srank ASC";

/// `SELECT count(*)` of the index rows matching `query`, without joining the orders (every
/// index row has its order): for a search without other filters.
pub(crate) fn count(backend: Backend, query: &str, internal: bool) -> Option<SqlBuf> {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return None;
    }
    let mut c = SqlBuf::new("SELECT count(*) FROM order_search WHERE ");
    match backend {
        Backend::Sqlite => {
            let all = tokens
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(" AND ");
            let expr = if internal {
                all
            } else {
                format!("public_tokens : ({all})")
            };
            c.push("order_search MATCH ").bind(expr);
        }
        Backend::Postgres => {
            let doc = if internal {
                "public_tokens || ' ' || internal_tokens"
            } else {
                "public_tokens"
            };
            c.push(&format!(
                "to_tsvector('simple', {doc}) @@ plainto_tsquery('simple', "
            ))
            .bind(tokens.join(" "))
            .push(")");
        }
    }
    Some(c)
}
