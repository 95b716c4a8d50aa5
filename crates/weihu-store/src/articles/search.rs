//! The article search index: one row per article, title and body tokens apart so that a match
//! in the title ranks higher. Tokens are the orders' (Chinese characters and bigrams, whole Latin
//! words), so `打印` is found inside `打印机`. SQLite keeps them in FTS5 (bm25, title weighed 4:1),
//! PostgreSQL in a weighted, GIN-indexed `tsvector` (ts_rank); this module is the only place
//! that knows.

use sqlx::AnyConnection;
use weihu_domain::article::plain_text;
use weihu_domain::search::query_tokens;

use crate::orders::search::index_text;
use crate::sql::SqlBuf;
use crate::{Backend, Result};

/// Recomputes the index row of one article inside the caller's transaction.
pub(crate) async fn reindex(
    conn: &mut AnyConnection,
    backend: Backend,
    id: i64,
    title: &str,
    body: &str,
    extra: &[&str],
) -> Result<()> {
    let title_tokens = index_text(&[title]);
    let mut texts = vec![plain_text(body)];
    texts.extend(extra.iter().map(|s| s.replace(',', " ")));
    let body_tokens = index_text(&texts);
    match backend {
        Backend::Sqlite => {
            sqlx::query("DELETE FROM article_search WHERE rowid = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO article_search (rowid, title_tokens, body_tokens) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(title_tokens)
            .bind(body_tokens)
            .execute(&mut *conn)
            .await?;
        }
        Backend::Postgres => {
            sqlx::query(
                "INSERT INTO article_search (article_id, title_tokens, body_tokens) VALUES ($1, $2, $3) \
                 ON CONFLICT (article_id) DO UPDATE SET title_tokens = excluded.title_tokens, \
                 body_tokens = excluded.body_tokens",
            )
            .bind(id)
            .bind(title_tokens)
            .bind(body_tokens)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Rebuilds the whole index (after an import, which carries no derived data).
pub(crate) async fn rebuild_all(conn: &mut AnyConnection, backend: Backend) -> Result<u64> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT id, title, body, category, tags FROM articles ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let (id, title, body, category, tags): (i64, String, String, String, String) = (
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
        );
        reindex(conn, backend, id, &title, &body, &[&category, &tags]).await?;
    }
    Ok(rows.len() as u64)
}

/// How a query's tokens combine and what is ranked: a search needs every token and ranks every
/// match; a suggestion first takes titles holding any token, ranked (titles are short, so this
/// stays cheap when a long description's words are everywhere), then, to fill up, any article
/// holding any token, newest first, unranked (the index walk stops after a handful).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    All,
    AnyTitle,
    AnyUnranked,
    /// Every token in the title, ranked: a common word's search shows these first…
    AllTitle,
    /// …then the articles with every token but not all in the title, newest first, unranked.
    AllBodyOnly,
}

/// The tokens of a suggestion's text: the words and bigrams of the subject and the start of the
/// description, distinct, at most 32 (an order's description can be long; its opening says what
/// is wrong).
pub(crate) fn suggestion_tokens(text: &str) -> Vec<String> {
    let head: String = text.chars().take(400).collect();
    let mut out: Vec<String> = Vec::new();
    for t in query_tokens(&head) {
        // Single Chinese characters match nearly every article; bigrams and words say something.
        if t.chars().count() < 2 {
            continue;
        }
        if !out.contains(&t) {
            out.push(t);
        }
        if out.len() == 32 {
            break;
        }
    }
    out
}

/// The `FROM` clause of an article query: the articles as `a`, and with tokens only those
/// matching, joined to their index row as `s` with its rank `s.srank` (lower is better).
/// Returns whether it searched. The index drives the query: on SQLite a plain join lets the
/// planner walk the articles by their state index and run the match once per article (seconds
/// at 10,000 articles), so the order is fixed with `CROSS JOIN`. Tokens are letters, digits
/// and CJK only (`query_tokens`).
pub(crate) fn from(backend: Backend, tokens: &[String], how: Match, w: &mut SqlBuf) -> bool {
    if tokens.is_empty() {
        w.push(" FROM articles a");
        return false;
    }
    match backend {
        Backend::Sqlite => {
            let all = matches!(how, Match::All | Match::AllTitle | Match::AllBodyOnly);
            let sep = if all { " AND " } else { " OR " };
            let terms = tokens
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(sep);
            let expr = match how {
                Match::AnyTitle | Match::AllTitle => format!("title_tokens : ({terms})"),
                Match::AllBodyOnly => format!("({terms}) NOT title_tokens : ({terms})"),
                Match::All | Match::AnyUnranked => terms,
            };
            let rank = if matches!(how, Match::AnyUnranked | Match::AllBodyOnly) {
                "0"
            } else {
                "bm25(article_search, 4.0, 1.0)"
            };
            w.push(&format!(
                " FROM (SELECT rowid AS sid, {rank} AS srank FROM article_search \
                 WHERE article_search MATCH "
            ))
            .bind(expr)
            .push(") s CROSS JOIN articles a ON a.id = s.sid");
        }
        Backend::Postgres => {
            let q = pg_tsquery(tokens, how);
            let (cond, rank) = match how {
                Match::All => (
                    format!("doc @@ {q}"),
                    format!("-ts_rank('{{0.1, 0.2, 0.4, 1.0}}', doc, {q})"),
                ),
                Match::AnyTitle | Match::AllTitle => (
                    format!("title_doc @@ {q}"),
                    format!("-ts_rank(title_doc, {q})"),
                ),
                Match::AnyUnranked => (format!("doc @@ {q}"), "0".into()),
                Match::AllBodyOnly => (format!("doc @@ {q} AND NOT title_doc @@ {q}"), "0".into()),
            };
            // The query inline, not joined from a function: only a constant lets the planner
            // use the GIN index as the scan's condition.
            let source = if how == Match::AnyTitle {
                // A suggestion ranks the newest TITLE_POOL titles holding any of its words: a
                // long, plain description shares a word with a third of all titles, and ranking
                // them all cost 50 ms at 10,000 articles. `+ 0` keeps the index walk out (it
                // reads every row when matches are few).
                format!(
                    "(SELECT article_id, title_doc FROM article_search WHERE {cond} \
                     ORDER BY article_id + 0 DESC LIMIT {TITLE_POOL}) t"
                )
            } else {
                format!("article_search WHERE {cond}")
            };
            w.push(&format!(
                " FROM (SELECT article_id AS sid, {rank} AS srank FROM {source}) s \
                 JOIN articles a ON a.id = s.sid"
            ));
        }
    }
    true
}

/// How many titles a suggestion ranks on PostgreSQL, the newest holding any of its words.
pub(crate) const TITLE_POOL: i64 = 500;

/// The tokens as a PostgreSQL `tsquery` literal: all of them (`&`) or any (`|`). Tokens are
/// letters, digits and CJK only; quotes and backslashes are dropped all the same. A literal, not
/// a parameter: see orders::search::pg_query (generic plans).
pub(crate) fn pg_tsquery(tokens: &[String], how: Match) -> String {
    let all = matches!(how, Match::All | Match::AllTitle | Match::AllBodyOnly);
    let sep = if all { " & " } else { " | " };
    let q = tokens
        .iter()
        .map(|t| t.replace(['\\', '\''], ""))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(sep);
    format!("to_tsquery('simple', '{q}')")
}

/// Runs an article query on PostgreSQL with sequential scans priced out, in a read-only
/// transaction of its own (`SET LOCAL`). The planner prices `@@` like a cheap operator and
/// guesses a fixed share of matches for words it has no statistics for, so for a long
/// suggestion query it reads and detoasts every article's document (20–90 ms at 10,000
/// articles) where the GIN index answers in about one.
pub(crate) async fn pg_fetch(
    pool: &sqlx::AnyPool,
    w: &SqlBuf,
    index_scans: bool,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await?;
    if !index_scans {
        // Bitmap scans only: an ordered index walk stops early when matches are many, but
        // reads the whole table when they are few, and the planner cannot tell which.
        sqlx::query("SET LOCAL enable_indexscan = off")
            .execute(&mut *tx)
            .await?;
    }
    let rows = w.query().fetch_all(&mut *tx).await?;
    tx.rollback().await?;
    Ok(rows)
}

/// The ids of the articles whose document holds any token, below `below`, newest first, at
/// most `cap` (PostgreSQL: found by the GIN index, sorted here).
pub(crate) async fn pg_any_ids(
    pool: &sqlx::AnyPool,
    tokens: &[String],
    below: i64,
    cap: usize,
) -> Result<Vec<i64>> {
    use sqlx::Row;
    let mut w = SqlBuf::new(&format!(
        "SELECT article_id FROM article_search WHERE doc @@ {} AND article_id < ",
        pg_tsquery(tokens, Match::AnyUnranked)
    ));
    w.bind(below);
    let mut ids = pg_fetch(pool, &w, false)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.truncate(cap);
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_use_bigrams_and_words_only() {
        let t = suggestion_tokens("打印机 卡纸 HP 4 x");
        assert_eq!(t, vec!["打印", "印机", "卡纸", "hp"]);
        assert!(suggestion_tokens(&"甲乙丙丁".repeat(500)).len() <= 32);
    }

    #[test]
    fn a_postgres_query_cannot_be_broken_out_of() {
        let mut w = SqlBuf::new("SELECT 1");
        from(
            Backend::Postgres,
            &["a'b".into(), "c\\".into()],
            Match::AnyTitle,
            &mut w,
        );
        assert!(w.sql.contains("'ab | c'"), "{}", w.sql);
        assert!(!w.sql.contains("a'b"), "{}", w.sql);
    }
}
