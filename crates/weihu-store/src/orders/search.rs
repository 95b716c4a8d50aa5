//! The order search index: one row per order with its client-visible and internal tokens,
//! rebuilt from the order's text in the transaction that changes it. The two backends store it
//! differently (SQLite FTS5, PostgreSQL `simple` tsvector with GIN indexes); this module is the
//! only place that knows.

use std::sync::atomic::{AtomicI64, Ordering};

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

/// Counting matches stops here: a search with more reports this many and says so
/// (`Page::total_capped`, "1,000+" on the board), so a common word never counts every match.
pub const COUNT_CAP: i64 = 1_000;

/// Up to this many matches are ranked by relevance; with more, a search lists the newest first
/// (ranking every match of a common word means reading every match, and among thousands of
/// orders that all contain the word the newest are what a desk looks for).
pub const RANKED_MATCHES: i64 = 1_000;

static LIMITS: [AtomicI64; 3] = [
    AtomicI64::new(COUNT_CAP),
    AtomicI64::new(RANKED_MATCHES),
    AtomicI64::new(SCAN_COUNT),
];

/// The count cap and the ranked-matches bound in force ([`COUNT_CAP`], [`RANKED_MATCHES`]; tests
/// lower them to reach both with a handful of orders).
pub(crate) fn limits() -> (i64, i64) {
    (
        LIMITS[0].load(Ordering::Relaxed),
        LIMITS[1].load(Ordering::Relaxed),
    )
}

/// How many of the filtered orders a search that starts from them counts in ([`SCAN_COUNT`]).
pub(crate) fn scan_count() -> i64 {
    LIMITS[2].load(Ordering::Relaxed)
}

/// Lowers the limits for a test process (see `testing::search_limits`).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn set_limits(count_cap: i64, ranked: i64, scan_count: i64) {
    LIMITS[0].store(count_cap, Ordering::Relaxed);
    LIMITS[1].store(ranked, Ordering::Relaxed);
    LIMITS[2].store(scan_count, Ordering::Relaxed);
}

/// The document column a search matches: client-visible text only, or also internal notes.
/// PostgreSQL keeps both as stored, GIN-indexed `tsvector` columns (migration 0022), so a match
/// never re-parses the token text.
fn pg_doc(internal: bool) -> &'static str {
    if internal { "all_doc" } else { "public_doc" }
}

/// The PostgreSQL query of `tokens` as a literal, not a bind parameter: a prepared statement
/// reused with a parameter may get a generic plan, which cannot tell a word in every tenth order
/// (walk the newest orders, stop after a page) from a rare one (the GIN index) — the statistics
/// of the stored `tsvector` columns need the word itself. Tokens are letters, digits and CJK
/// characters (`query_tokens`); quotes are doubled all the same.
fn pg_query(tokens: &[String]) -> String {
    format!(
        "plainto_tsquery('simple', '{}')",
        tokens.join(" ").replace('\\', "").replace('\'', "''")
    )
}

/// The FTS5 `MATCH` expression: every token, in the public column only unless `internal`.
fn fts_expr(tokens: &[String], internal: bool) -> String {
    let all = tokens
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" AND ");
    if internal {
        all
    } else {
        format!("public_tokens : ({all})")
    }
}

/// How [`join`] orders and cuts the matches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cut {
    /// Compute the relevance rank (`s.srank`, lower is better); otherwise it is 0.
    pub ranked: bool,
    /// Cut the page inside the index: (limit, offset), best rank first when `ranked`, else
    /// newest id first. Only for a search without other filters or sort.
    pub top: Option<(i64, i64)>,
    /// Start from the filtered orders, newest first, and check each against its index row,
    /// instead of walking every match of the words in the index.
    pub scan: bool,
}

/// A filtered search that starts from the filtered orders (see [`Cut::scan`]) counts its
/// matches among this many of them, the newest; with more, its total is "at least".
pub const SCAN_COUNT: i64 = 2_000;

/// Joins each order's index row as `s`, keeping the orders whose row holds every token of
/// `query`: the per-order check of a [`Cut::scan`] search. Nothing when it has no token.
pub(crate) fn join_each(backend: Backend, query: &str, internal: bool, w: &mut SqlBuf) {
    let tokens = query_tokens(query);
    if !tokens.is_empty() {
        join_tokens(backend, &tokens, internal, w);
    }
}

fn join_tokens(backend: Backend, tokens: &[String], internal: bool, w: &mut SqlBuf) {
    match backend {
        Backend::Sqlite => {
            // The index text is the distinct tokens joined by single spaces.
            w.push(" JOIN order_search s ON s.rowid = o.id");
            for t in tokens {
                let needle = format!(" {t} ");
                w.push(" AND (instr(' ' || s.public_tokens || ' ', ")
                    .bind(needle.clone())
                    .push(") > 0");
                if internal {
                    w.push(" OR instr(' ' || s.internal_tokens || ' ', ")
                        .bind(needle)
                        .push(") > 0");
                }
                w.push(")");
            }
        }
        Backend::Postgres => {
            w.push(&format!(
                " JOIN order_search s ON s.order_id = o.id AND s.{} @@ {}",
                pg_doc(internal),
                pg_query(tokens)
            ));
        }
    }
}

/// Joins the matching index rows as `s` (with their rank `s.srank`), or returns false when the
/// query has no searchable token. Internal notes count only when `internal` (provider staff).
pub(crate) fn join(
    backend: Backend,
    query: &str,
    internal: bool,
    cut: Cut,
    w: &mut SqlBuf,
) -> bool {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return false;
    }
    if cut.scan {
        join_tokens(backend, &tokens, internal, w);
        return true;
    }
    let page = |w: &mut SqlBuf, id: &str| {
        if let Some((limit, offset)) = cut.top {
            let order = if cut.ranked {
                format!(" ORDER BY srank, {id} DESC LIMIT ")
            } else {
                format!(" ORDER BY {id} DESC LIMIT ")
            };
            w.push(&order).bind(limit).push(" OFFSET ").bind(offset);
        }
    };
    match backend {
        Backend::Sqlite => {
            let rank = if cut.ranked {
                "bm25(order_search)"
            } else {
                "0"
            };
            w.push(&format!(
                " JOIN (SELECT rowid AS sid, {rank} AS srank FROM order_search WHERE order_search MATCH "
            ))
            .bind(fts_expr(&tokens, internal));
            page(w, "rowid");
            w.push(") s ON s.sid = o.id");
        }
        Backend::Postgres => {
            let doc = pg_doc(internal);
            // ts_rank grows with relevance; negated so that ascending order is best first on both.
            let rank = if cut.ranked {
                format!("-ts_rank({doc}, q)")
            } else {
                "0".to_owned()
            };
            w.push(&format!(
                " JOIN (SELECT order_id AS sid, {rank} AS srank \
                 FROM order_search, {} q WHERE {doc} @@ q",
                pg_query(&tokens)
            ));
            page(w, "order_id");
            w.push(") s ON s.sid = o.id");
        }
    }
    true
}

/// The `ORDER BY` term for the best matches first (bm25 is lower-is-better; ts_rank is negated).
pub(crate) const RANK_ORDER: &str = "s.srank ASC";

/// How many index rows match `query`, at most the count cap + 1 (every index row has its
/// order). On PostgreSQL a word the planner expects in five times the cap is taken as over the
/// cap without counting: a GIN count reads every match.
pub(crate) async fn matches(store: &crate::Store, query: &str, internal: bool) -> Result<i64> {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return Ok(0);
    }
    let cap = limits().0;
    if store.backend() == Backend::Postgres {
        let probe = format!(
            "SELECT 1 FROM order_search WHERE {} @@ {}",
            pg_doc(internal),
            pg_query(&tokens)
        );
        let estimate: i64 = sqlx::query_scalar("SELECT weihu_row_estimate($1)")
            .bind(probe)
            .fetch_one(store.reader())
            .await?;
        if estimate > 5 * cap {
            return Ok(cap + 1);
        }
    }
    match count(store.backend(), query, internal) {
        Some(c) => Ok(c.query().fetch_one(store.reader()).await?.try_get(0)?),
        None => Ok(0),
    }
}

/// `SELECT count(*)` of the index rows matching `query`, at most the count cap + 1, without
/// joining the orders (every index row has its order): for a search without other filters.
fn count(backend: Backend, query: &str, internal: bool) -> Option<SqlBuf> {
    let tokens = query_tokens(query);
    if tokens.is_empty() {
        return None;
    }
    let mut c = SqlBuf::new("SELECT count(*) FROM (SELECT 1 FROM order_search WHERE ");
    match backend {
        Backend::Sqlite => {
            c.push("order_search MATCH ")
                .bind(fts_expr(&tokens, internal));
        }
        Backend::Postgres => {
            c.push(&format!("{} @@ {}", pg_doc(internal), pg_query(&tokens)));
        }
    }
    c.push(" LIMIT ").bind(limits().0 + 1).push(") m");
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_query_literal_cannot_be_broken_out_of() {
        assert_eq!(
            pg_query(&["打印".into(), "印机".into()]),
            "plainto_tsquery('simple', '打印 印机')"
        );
        assert_eq!(
            pg_query(&["a'); DROP TABLE orders; --".into(), "b\\'".into()]),
            "plainto_tsquery('simple', 'a''); DROP TABLE orders; -- b''')"
        );
        // What users type goes through query_tokens, which keeps letters, digits and CJK only.
        let tokens = query_tokens("x' OR '1'='1 \\ 蓝牙");
        assert!(
            tokens.iter().all(|t| !t.contains(['\'', '\\'])),
            "{tokens:?}"
        );
    }
}
