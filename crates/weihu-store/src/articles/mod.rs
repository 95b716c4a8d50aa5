//! The knowledge base (SPEC §9): articles written by the provider's staff, reviewed and
//! published, each either provider-internal or visible to clients. A client user reads
//! published client-visible articles only; anything else is "not found" to them. Every save is a
//! revision; the search index is rewritten in the same transaction.

pub mod images;
pub mod search;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use weihu_domain::article::{
    self, ArticleState, Audience, LANGS, MAX_APPLIES, MAX_BODY_CHARS, MAX_TAG_CHARS, MAX_TAGS,
    MAX_TITLE_CHARS,
};
use weihu_domain::search::{highlight, highlight_terms, query_tokens};

use crate::orders::text;
use crate::page::Page;
use crate::sql::SqlBuf;
use crate::{Actor, Backend, Result, Store, StoreError, audit, instant, now_ms};
use search::Match;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Article {
    pub id: i64,
    pub title: String,
    /// Markdown as written.
    pub body: String,
    /// The body rendered to safe HTML (raw HTML shown as text, links to the web, mail or this
    /// site only).
    pub body_html: String,
    pub category: String,
    pub tags: Vec<String>,
    /// The order categories it applies to.
    pub categories: Vec<String>,
    /// The asset types it applies to (codes).
    pub asset_types: Vec<String>,
    /// zh or en.
    pub lang: String,
    /// internal (provider staff) or clients (also client users, once published).
    pub audience: String,
    /// draft, published, archived.
    pub state: String,
    pub version: i64,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub reviewer_id: Option<i64>,
    pub reviewer_name: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reviewed_at: Option<jiff::Timestamp>,
    pub source_order_id: Option<i64>,
    pub problem_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<jiff::Timestamp>,
}

/// A piece of highlighted text: `hit` where a search term matched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// One article in a list or a search: without its body, with the title and a snippet of the
/// body split where the search terms matched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleHit {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub tags: Vec<String>,
    pub lang: String,
    pub audience: String,
    pub state: String,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
    pub title_highlight: Vec<Segment>,
    pub snippet: Vec<Segment>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewArticle {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub asset_types: Vec<String>,
    /// zh (default) or en.
    #[serde(default)]
    pub lang: Option<String>,
    /// internal (default) or clients.
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub source_order_id: Option<i64>,
    #[serde(default)]
    pub problem_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ArticlePatch {
    pub version: i64,
    pub title: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
    pub asset_types: Option<Vec<String>>,
    pub lang: Option<String>,
    pub audience: Option<String>,
    /// draft, published (a reviewer: the desk or a service-level manager), archived.
    pub state: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Revision {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub edited_by: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub edited_at: jiff::Timestamp,
}

fn may_write(actor: &Actor) -> Result<()> {
    if actor.role.can_write_articles() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "articles are written by the provider's staff",
        ))
    }
}

/// [`may_write`] for one article: a client user is told it does not exist.
fn may_write_record(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    may_write(actor)
}

const SELECT: &str = "SELECT a.id, a.title, a.body, a.category, a.tags, a.categories, a.asset_types, a.lang, \
     a.audience, a.state, a.version, a.author_id, w.display_name AS author_name, a.reviewer_id, \
     r.display_name AS reviewer_name, a.reviewed_at, a.source_order_id, a.problem_id, a.created_at, \
     a.updated_at, a.published_at FROM articles a LEFT JOIN users w ON w.id = a.author_id \
     LEFT JOIN users r ON r.id = a.reviewer_id";

/// `,a,b,` → [a, b].
fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// [a, b] → `,a,b,` (empty for none), so that `LIKE '%,a,%'` finds one entry.
fn join_list(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(",{},", items.join(","))
    }
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Article> {
    let body: String = r.try_get("body")?;
    Ok(Article {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        body_html: article::render_html(&body),
        body,
        category: r.try_get("category")?,
        tags: split(&r.try_get::<String, _>("tags")?),
        categories: split(&r.try_get::<String, _>("categories")?),
        asset_types: split(&r.try_get::<String, _>("asset_types")?),
        lang: r.try_get("lang")?,
        audience: r.try_get("audience")?,
        state: r.try_get("state")?,
        version: r.try_get("version")?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        reviewer_id: r.try_get("reviewer_id")?,
        reviewer_name: r.try_get("reviewer_name")?,
        reviewed_at: r.try_get::<Option<i64>, _>("reviewed_at")?.map(instant),
        source_order_id: r.try_get("source_order_id")?,
        problem_id: r.try_get("problem_id")?,
        created_at: instant(r.try_get("created_at")?),
        updated_at: instant(r.try_get("updated_at")?),
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(instant),
    })
}

/// `AND` what a client user may read: published, client-visible articles.
fn scope(w: &mut SqlBuf, actor: &Actor) {
    if actor.is_client() {
        w.push(" AND a.state = 'published' AND a.audience = 'clients'");
    }
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Article> {
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE a.id = "));
    s.bind(id);
    scope(&mut s, actor);
    let row = s
        .query()
        .fetch_optional(store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Checks a list of short labels (tags, categories, asset types).
fn labels(field: &str, items: &[String], max: usize) -> Result<Vec<String>> {
    let items = article::normalize_list(items);
    if items.len() > max {
        return Err(StoreError::invalid(field, format!("at most {max} entries")));
    }
    for t in &items {
        if t.chars().count() > MAX_TAG_CHARS || t.contains(',') || t.chars().any(char::is_control) {
            return Err(StoreError::invalid(
                field,
                format!("each entry has at most {MAX_TAG_CHARS} characters and no commas"),
            ));
        }
    }
    Ok(items)
}

async fn check_asset_types(store: &Store, items: &[String]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let mut s = SqlBuf::new("SELECT count(*) FROM asset_types WHERE code IN ");
    s.bind_list(items);
    let known: i64 = s.query().fetch_one(store.reader()).await?.try_get(0)?;
    if known != items.len() as i64 {
        return Err(StoreError::invalid("asset_types", "unknown asset type"));
    }
    Ok(())
}

fn lang(v: Option<&str>, current: &str) -> Result<String> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(current.to_owned()),
        Some(l) if LANGS.contains(&l) => Ok(l.to_owned()),
        Some(_) => Err(StoreError::invalid("lang", "must be zh or en")),
    }
}

fn audience(v: Option<&str>, current: &str) -> Result<String> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(current.to_owned()),
        Some(a) => Audience::parse(a)
            .map(|a| a.as_str().to_owned())
            .ok_or_else(|| StoreError::invalid("audience", "must be internal or clients")),
    }
}

/// One saved version: (title, body, state).
type Saved<'a> = (&'a str, &'a str, &'a str);

async fn revision(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    id: i64,
    version: i64,
    (title, body, state): Saved<'_>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO article_revisions (article_id, version, title, body, state, edited_by, edited_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(version)
    .bind(title.to_owned())
    .bind(body.to_owned())
    .bind(state.to_owned())
    .bind(actor.audit_id())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, new: &NewArticle) -> Result<Article> {
    may_write(actor)?;
    let title = text("title", &new.title, MAX_TITLE_CHARS, true)?;
    let body = text("body", &new.body, MAX_BODY_CHARS, false)?;
    let category = text("category", &new.category, MAX_TAG_CHARS, false)?;
    let tags = labels("tags", &new.tags, MAX_TAGS)?;
    let categories = labels("categories", &new.categories, MAX_APPLIES)?;
    let asset_types = labels("asset_types", &new.asset_types, MAX_APPLIES)?;
    check_asset_types(store, &asset_types).await?;
    let lang = lang(new.lang.as_deref(), "zh")?;
    let audience = audience(new.audience.as_deref(), "internal")?;
    if let Some(o) = new.source_order_id {
        crate::orders::get(store, actor, o)
            .await
            .map_err(|_| StoreError::invalid("source_order_id", "no such order"))?;
    }
    if let Some(p) = new.problem_id {
        crate::problems::get(store, actor, p)
            .await
            .map_err(|_| StoreError::invalid("problem_id", "no such problem"))?;
    }
    let now = now_ms();
    let (tags, categories, asset_types) = (
        join_list(&tags),
        join_list(&categories),
        join_list(&asset_types),
    );
    let mut tx = store.pool.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO articles (title, body, category, tags, categories, asset_types, lang, audience, \
         author_id, source_order_id, problem_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(title.clone())
    .bind(body.clone())
    .bind(category.clone())
    .bind(tags.clone())
    .bind(categories)
    .bind(asset_types)
    .bind(lang)
    .bind(audience)
    .bind(actor.audit_id())
    .bind(new.source_order_id)
    .bind(new.problem_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    revision(&mut tx, actor, id, 1, (&title, &body, "draft"), now).await?;
    search::reindex(
        &mut tx,
        store.backend(),
        id,
        &title,
        &body,
        &[&category, &tags],
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "article",
        id,
        "create",
        json!({"title": title}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub async fn update(store: &Store, actor: &Actor, id: i64, p: &ArticlePatch) -> Result<Article> {
    may_write_record(actor)?;
    let cur = get(store, actor, id).await?;
    let from = ArticleState::parse(&cur.state).ok_or(StoreError::Corrupt {
        what: "article state",
        value: cur.state.clone(),
    })?;
    let to = match p.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => ArticleState::parse(s).ok_or_else(|| {
            StoreError::invalid("state", "must be one of: draft, published, archived")
        })?,
        None => from,
    };
    let title = match &p.title {
        Some(t) => text("title", t, MAX_TITLE_CHARS, true)?,
        None => cur.title.clone(),
    };
    let body = match &p.body {
        Some(b) => text("body", b, MAX_BODY_CHARS, false)?,
        None => cur.body.clone(),
    };
    let category = match &p.category {
        Some(c) => text("category", c, MAX_TAG_CHARS, false)?,
        None => cur.category.clone(),
    };
    let tags = labels("tags", p.tags.as_ref().unwrap_or(&cur.tags), MAX_TAGS)?;
    let categories = labels(
        "categories",
        p.categories.as_ref().unwrap_or(&cur.categories),
        MAX_APPLIES,
    )?;
    let asset_types = labels(
        "asset_types",
        p.asset_types.as_ref().unwrap_or(&cur.asset_types),
        MAX_APPLIES,
    )?;
    check_asset_types(store, &asset_types).await?;
    let lang = lang(p.lang.as_deref(), &cur.lang)?;
    let audience = audience(p.audience.as_deref(), &cur.audience)?;
    if from == ArticleState::Archived && to == ArticleState::Archived {
        return Err(StoreError::invalid(
            "state",
            "an archived article is made a draft again before it is changed",
        ));
    }
    article::may_move(
        from,
        to,
        actor.role.can_review_articles(),
        !body.trim().is_empty(),
    )
    .map_err(|r| StoreError::invalid(r.field, r.message))?;
    // A published article changed by someone who may not review it would reach clients
    // unreviewed: its text changes only through a reviewer.
    if from == ArticleState::Published
        && to == ArticleState::Published
        && !actor.role.can_review_articles()
    {
        return Err(StoreError::Forbidden(
            "a published article is changed by a reviewer (the desk or a service-level manager)",
        ));
    }
    let now = now_ms();
    let published = to == ArticleState::Published && from != ArticleState::Published;
    let reviewed = to == ArticleState::Published;
    let (tags, categories, asset_types) = (
        join_list(&tags),
        join_list(&categories),
        join_list(&asset_types),
    );
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE articles SET title = $1, body = $2, category = $3, tags = $4, categories = $5, asset_types = $6, \
         lang = $7, audience = $8, state = $9, version = version + 1, updated_at = $10, \
         reviewer_id = CASE WHEN $11 = 1 THEN $12 ELSE reviewer_id END, \
         reviewed_at = CASE WHEN $11 = 1 THEN $10 ELSE reviewed_at END, \
         published_at = CASE WHEN $13 = 1 THEN $10 ELSE published_at END \
         WHERE id = $14 AND version = $15",
    )
    .bind(title.clone())
    .bind(body.clone())
    .bind(category.clone())
    .bind(tags.clone())
    .bind(categories)
    .bind(asset_types)
    .bind(lang)
    .bind(audience)
    .bind(to.as_str())
    .bind(now)
    .bind(i64::from(reviewed))
    .bind(actor.audit_id())
    .bind(i64::from(published))
    .bind(id)
    .bind(p.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict {
            current: cur.version,
        });
    }
    revision(
        &mut tx,
        actor,
        id,
        p.version + 1,
        (&title, &body, to.as_str()),
        now,
    )
    .await?;
    search::reindex(
        &mut tx,
        store.backend(),
        id,
        &title,
        &body,
        &[&category, &tags],
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "article",
        id,
        "update",
        json!({"from": from.as_str(), "to": to.as_str(), "version": p.version + 1}),
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Every saved version, newest first (provider staff only).
pub async fn revisions(store: &Store, actor: &Actor, id: i64) -> Result<Vec<Revision>> {
    may_write_record(actor)?;
    get(store, actor, id).await?;
    let rows = sqlx::query(
        "SELECT v.version, v.title, v.body, v.state, u.display_name, v.edited_at FROM article_revisions v \
         LEFT JOIN users u ON u.id = v.edited_by WHERE v.article_id = $1 ORDER BY v.version DESC LIMIT 500",
    )
    .bind(id)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Revision {
                version: r.try_get(0)?,
                title: r.try_get(1)?,
                body: r.try_get(2)?,
                state: r.try_get(3)?,
                edited_by: r.try_get(4)?,
                edited_at: instant(r.try_get(5)?),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ArticleFilter {
    /// Search text: every word (Chinese by its two-character pieces) must match; best first.
    pub q: Option<String>,
    pub state: Option<String>,
    pub audience: Option<String>,
    pub lang: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub asset_type: Option<String>,
}

const LIST_COLS: &str = "SELECT a.id, a.title, a.body, a.category, a.tags, a.lang, a.audience, a.state, \
     a.version, a.updated_at";

fn hit(r: &sqlx::any::AnyRow, terms: &[String]) -> Result<ArticleHit> {
    let title: String = r.try_get("title")?;
    let body: String = r.try_get("body")?;
    let plain = article::plain_text(&body);
    let seg = |t: &str| {
        highlight(t, terms)
            .into_iter()
            .map(|(text, hit)| Segment { text, hit })
            .collect()
    };
    Ok(ArticleHit {
        id: r.try_get("id")?,
        title_highlight: seg(&title),
        snippet: seg(&article::snippet(&plain, terms, 120)),
        title,
        category: r.try_get("category")?,
        tags: split(&r.try_get::<String, _>("tags")?),
        lang: r.try_get("lang")?,
        audience: r.try_get("audience")?,
        state: r.try_get("state")?,
        version: r.try_get("version")?,
        updated_at: instant(r.try_get("updated_at")?),
    })
}

/// Articles a reader may see, newest first or, with `q`, best match first (title matches
/// weigh more), with highlights.
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &ArticleFilter,
    limit: i64,
    offset: i64,
) -> Result<Page<ArticleHit>> {
    let limit = limit.clamp(1, 100);
    let offset = offset.clamp(0, 10_000);
    let q = f.q.as_deref().unwrap_or("").trim();
    crate::orders::search::check_query(q)?;
    if let Some(st) = f.state.as_deref().filter(|s| !s.is_empty())
        && ArticleState::parse(st).is_none()
    {
        return Err(StoreError::invalid(
            "state",
            "must be one of: draft, published, archived",
        ));
    }
    if let Some(a) = f.audience.as_deref().filter(|s| !s.is_empty())
        && Audience::parse(a).is_none()
    {
        return Err(StoreError::invalid(
            "audience",
            "must be internal or clients",
        ));
    }
    let tokens = query_tokens(q);
    let build_as = |select: &str, how: Match| {
        let mut w = SqlBuf::new(select);
        let searched = search::from(store.backend(), &tokens, how, &mut w);
        w.push(" WHERE 1 = 1");
        let eq = |w: &mut SqlBuf, col: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
                w.push(&format!(" AND a.{col} = ")).bind(v.to_owned());
            }
        };
        eq(&mut w, "state", &f.state);
        eq(&mut w, "audience", &f.audience);
        eq(&mut w, "lang", &f.lang);
        eq(&mut w, "category", &f.category);
        let contains = |w: &mut SqlBuf, col: &str, v: &Option<String>| {
            if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
                w.push(&format!(" AND a.{col} LIKE ")).bind(format!(
                    "%,{},%",
                    v.trim().to_lowercase().replace(['%', '_'], "")
                ));
            }
        };
        contains(&mut w, "tags", &f.tag);
        contains(&mut w, "asset_types", &f.asset_type);
        scope(&mut w, actor);
        (w, searched)
    };
    let build = |select: &str| build_as(select, Match::All);
    if !q.is_empty() && tokens.is_empty() {
        return Ok(Page::new(Vec::new(), 0, offset));
    }
    // Counting stops past COUNT_CAP matches ("500+"): a common word would otherwise read every
    // match twice, once to count and once to rank.
    let (mut count, _) = build("SELECT count(*) FROM (SELECT 1");
    count.push(" LIMIT ").bind(COUNT_CAP + 1).push(") c");
    // A plain listing (no words) is not a search: it runs as any other query.
    let search = !tokens.is_empty();
    let total = count_of(store, &count, search).await?;
    let terms = highlight_terms(q);
    let terms = &terms;
    let fetch = |s: SqlBuf| async move {
        rows_of(store, &s, search)
            .await?
            .iter()
            .map(|r| hit(r, terms))
            .collect::<Result<Vec<_>>>()
    };
    if total > COUNT_CAP {
        // A common word: ranking every match reads every matching body (PostgreSQL scans them
        // all). The articles with every word in the title come first, ranked (titles are
        // short); then the rest, newest first, which the index walk finds after a handful.
        let (mut t, _) = build_as(LIST_COLS, Match::AllTitle);
        t.push(" ORDER BY s.srank, a.id DESC LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let mut items = fetch(t).await?;
        if (items.len() as i64) < limit {
            let (c, _) = build_as("SELECT count(*)", Match::AllTitle);
            let titled = count_of(store, &c, search).await?;
            let (mut b, _) = build_as(LIST_COLS, Match::AllBodyOnly);
            b.push(" ORDER BY a.id DESC LIMIT ")
                .bind(limit - items.len() as i64)
                .push(" OFFSET ")
                .bind((offset - titled).max(0));
            items.extend(fetch(b).await?);
        }
        return Ok(Page::at_least(items, COUNT_CAP, offset, limit));
    }
    let (mut s, searched) = build(LIST_COLS);
    if searched {
        s.push(" ORDER BY s.srank, a.id DESC");
    } else {
        s.push(" ORDER BY a.updated_at DESC, a.id DESC");
    }
    s.push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    Ok(Page::new(fetch(s).await?, total, offset))
}

/// The rows of an article search: on PostgreSQL with sequential scans priced out (see
/// [`search::pg_fetch`]).
async fn rows_of(store: &Store, w: &SqlBuf, search: bool) -> Result<Vec<sqlx::any::AnyRow>> {
    match store.backend() {
        Backend::Postgres if search => search::pg_fetch(store.reader(), w, true).await,
        _ => Ok(w.query().fetch_all(store.reader()).await?),
    }
}

/// The `count(*)` of an article search, as [`rows_of`] runs it.
async fn count_of(store: &Store, w: &SqlBuf, search: bool) -> Result<i64> {
    let rows = rows_of(store, w, search).await?;
    match rows.first() {
        Some(r) => Ok(r.try_get(0)?),
        None => Ok(0),
    }
}

/// A list counts at most this many articles (more: "at least").
pub const COUNT_CAP: i64 = 500;

/// Suggestions are at most this many.
pub const SUGGESTIONS: i64 = 5;

/// Published articles matching any of the words of `text` (a fault being typed, an order's
/// subject and description), best first; those for `asset_type` or `category` before the rest.
/// A client user gets client-visible ones only.
pub async fn suggest(
    store: &Store,
    actor: &Actor,
    text: &str,
    asset_type: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<ArticleHit>> {
    let tokens = search::suggestion_tokens(text);
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let mut w = SqlBuf::new(LIST_COLS);
    search::from(store.backend(), &tokens, Match::AnyTitle, &mut w);
    w.push(" WHERE a.state = 'published'");
    scope(&mut w, actor);
    w.push(" ORDER BY CASE WHEN a.asset_types LIKE ")
        .bind(format!(
            "%,{},%",
            asset_type.filter(|t| !t.is_empty()).unwrap_or("\u{1}")
        ))
        .push(" OR a.categories LIKE ")
        .bind(format!(
            "%,{},%",
            category.filter(|c| !c.is_empty()).unwrap_or("\u{1}")
        ))
        .push(" THEN 0 ELSE 1 END, s.srank, a.id DESC LIMIT ")
        .bind(SUGGESTIONS);
    let mut hits = rows_of(store, &w, true)
        .await?
        .iter()
        .map(|r| hit(r, &tokens))
        .collect::<Result<Vec<_>>>()?;
    if (hits.len() as i64) < SUGGESTIONS {
        let rows = match store.backend() {
            Backend::Sqlite => {
                let mut w = SqlBuf::new(LIST_COLS);
                search::from(store.backend(), &tokens, Match::AnyUnranked, &mut w);
                w.push(" WHERE a.state = 'published'");
                scope(&mut w, actor);
                w.push(" ORDER BY a.id DESC LIMIT ").bind(SUGGESTIONS * 2);
                w.query().fetch_all(store.reader()).await?
            }
            Backend::Postgres => pg_newest_matching(store, actor, &tokens).await?,
        };
        for r in rows {
            let h = hit(&r, &tokens)?;
            if (hits.len() as i64) < SUGGESTIONS && !hits.iter().any(|x| x.id == h.id) {
                hits.push(h);
            }
        }
    }
    Ok(hits)
}

/// How many of the newest published articles a suggestion's fill-up checks one by one before
/// it asks the index for older ones.
const FILL_WINDOW: i64 = 300;

/// PostgreSQL: the newest published articles (that the actor may read) holding any of the
/// tokens. Where matches are many, the newest [`FILL_WINDOW`] articles are checked one by one and
/// a handful is found at once; where they are few, the GIN index lists them. The planner cannot
/// tell the two apart (it guesses a fixed share for unknown words) and once walked 10,000
/// articles for four matches (87 ms).
async fn pg_newest_matching(
    store: &Store,
    actor: &Actor,
    tokens: &[String],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let want = SUGGESTIONS * 2;
    let mut win = SqlBuf::new(
        "SELECT count(*), min(w.id) FROM (SELECT a.id FROM articles a WHERE a.state = 'published'",
    );
    scope(&mut win, actor);
    win.push(" ORDER BY a.id DESC LIMIT ")
        .bind(FILL_WINDOW)
        .push(") w");
    let row = win.query().fetch_one(store.reader()).await?;
    let (in_window, oldest): (i64, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
    let Some(oldest) = oldest else {
        return Ok(Vec::new());
    };
    let q = search::pg_tsquery(tokens, Match::AnyUnranked);
    // A scalar subquery stays a per-row check (an EXISTS becomes a join the planner may run
    // over every match first).
    let mut w = SqlBuf::new(&format!(
        "{LIST_COLS} FROM (SELECT * FROM articles a WHERE a.state = 'published'"
    ));
    scope(&mut w, actor);
    w.push(" ORDER BY a.id DESC LIMIT ")
        .bind(FILL_WINDOW)
        .push(&format!(
            ") a WHERE (SELECT 1 FROM article_search s WHERE s.article_id = a.id AND s.doc @@ {q}) IS NOT NULL \
             ORDER BY a.id DESC LIMIT "
        ))
        .bind(want);
    let mut rows = w.query().fetch_all(store.reader()).await?;
    if (rows.len() as i64) < want && in_window == FILL_WINDOW {
        let ids = search::pg_any_ids(store.reader(), tokens, oldest, 200).await?;
        if !ids.is_empty() {
            let mut w = SqlBuf::new(&format!("{LIST_COLS} FROM articles a WHERE a.id IN "));
            w.bind_list(&ids).push(" AND a.state = 'published'");
            scope(&mut w, actor);
            w.push(" ORDER BY a.id DESC LIMIT ")
                .bind(want - rows.len() as i64);
            rows.extend(w.query().fetch_all(store.reader()).await?);
        }
    }
    Ok(rows)
}

/// The type of an order's asset, if it has one.
async fn asset_type_of(store: &Store, asset_id: Option<i64>) -> Result<Option<String>> {
    let Some(a) = asset_id else {
        return Ok(None);
    };
    Ok(
        sqlx::query_scalar("SELECT asset_type FROM assets WHERE id = $1")
            .bind(a)
            .fetch_optional(store.reader())
            .await?,
    )
}

/// The articles suggested on an order's page: matching its subject and description, those for
/// its asset's type and its category first.
pub async fn for_order(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<ArticleHit>> {
    let order = crate::orders::get(store, actor, order_id).await?;
    for_loaded_order(store, actor, &order).await
}

/// [`for_order`] for an order the caller has already read (the order page).
pub async fn for_loaded_order(
    store: &Store,
    actor: &Actor,
    order: &crate::orders::Order,
) -> Result<Vec<ArticleHit>> {
    let asset_type = asset_type_of(store, order.asset_id).await?;
    let text = format!("{} {}", order.subject, order.description);
    suggest(
        store,
        actor,
        &text,
        asset_type.as_deref(),
        Some(&order.category),
    )
    .await
}

/// Puts an article on an order as a comment with its link: public when clients may read the
/// article, internal otherwise.
pub async fn attach(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    article_id: i64,
) -> Result<crate::orders::Order> {
    // Another tenant's order is not found before anything else is said about it.
    crate::orders::get(store, actor, order_id).await?;
    may_write(actor)?;
    let a = get(store, actor, article_id)
        .await
        .map_err(|_| StoreError::invalid("article_id", "no such article"))?;
    if a.state != "published" {
        return Err(StoreError::invalid(
            "article_id",
            "only a published article is put on an order",
        ));
    }
    let public = a.audience == "clients";
    let c: crate::orders::Comment = serde_json::from_value(json!({
        "body": format!("知识库 / Knowledge base: {}\n/kb/{}", a.title, a.id),
        "public": public,
    }))
    .map_err(|e| StoreError::Format(e.to_string()))?;
    crate::orders::comment(store, actor, order_id, &c).await
}

/// A draft article from an order's resolution, in one action: the symptom from its subject and
/// description, the fix from its resolution, for its category and asset type.
pub async fn draft_from_order(store: &Store, actor: &Actor, order_id: i64) -> Result<Article> {
    let order = crate::orders::get(store, actor, order_id).await?;
    may_write(actor)?;
    if order.resolution.trim().is_empty() {
        return Err(StoreError::invalid(
            "resolution",
            "the order has no resolution to write up yet",
        ));
    }
    let asset_type = asset_type_of(store, order.asset_id).await?;
    let en = actor.locale.as_deref().is_some_and(|l| l.starts_with("en"));
    let (symptom, fix) = if en {
        ("## Symptom", "## Resolution")
    } else {
        ("## 现象", "## 处理方法")
    };
    let body: String = format!(
        "{symptom}\n\n{}\n\n{fix}\n\n{}\n",
        order.description.trim(),
        order.resolution.trim()
    )
    .chars()
    .take(MAX_BODY_CHARS)
    .collect();
    let new = NewArticle {
        title: order.subject.chars().take(MAX_TITLE_CHARS).collect(),
        body,
        categories: vec![order.category.clone()],
        asset_types: asset_type.into_iter().collect(),
        lang: Some(if en { "en" } else { "zh" }.into()),
        source_order_id: Some(order_id),
        ..NewArticle::default()
    };
    create(store, actor, &new).await
}

/// A draft article from a problem: its description as the symptom, the root cause, the
/// workaround and the permanent fix, for the categories and asset types of its orders.
pub async fn draft_from_problem(store: &Store, actor: &Actor, problem_id: i64) -> Result<Article> {
    let p = crate::problems::get(store, actor, problem_id).await?;
    may_write(actor)?;
    if p.fix.trim().is_empty() && p.workaround.trim().is_empty() {
        return Err(StoreError::invalid(
            "fix",
            "the problem has no workaround or fix to write up yet",
        ));
    }
    let en = actor.locale.as_deref().is_some_and(|l| l.starts_with("en"));
    let heads = if en {
        ["## Symptom", "## Cause", "## Workaround", "## Fix"]
    } else {
        ["## 现象", "## 原因", "## 临时解决办法", "## 解决方法"]
    };
    let symptom = if p.description.trim().is_empty() {
        p.title.clone()
    } else {
        p.description.clone()
    };
    let mut body = String::new();
    for (head, text) in heads
        .iter()
        .zip([&symptom, &p.root_cause, &p.workaround, &p.fix])
    {
        if !text.trim().is_empty() {
            body.push_str(&format!("{head}\n\n{}\n\n", text.trim()));
        }
    }
    let mut asset_types: Vec<String> = Vec::new();
    let mut categories: Vec<String> = Vec::new();
    let rows = sqlx::query(
        "SELECT DISTINCT o.category, a.asset_type FROM problem_orders po JOIN orders o ON o.id = po.order_id \
         LEFT JOIN assets a ON a.id = o.asset_id WHERE po.problem_id = $1 LIMIT 60",
    )
    .bind(problem_id)
    .fetch_all(store.reader())
    .await?;
    for r in rows {
        let c: String = r.try_get(0)?;
        if !categories.contains(&c) && categories.len() < MAX_APPLIES {
            categories.push(c);
        }
        if let Some(t) = r.try_get::<Option<String>, _>(1)?
            && !asset_types.contains(&t)
            && asset_types.len() < MAX_APPLIES
        {
            asset_types.push(t);
        }
    }
    let new = NewArticle {
        title: p.title.clone(),
        body: body.chars().take(MAX_BODY_CHARS).collect(),
        categories,
        asset_types,
        lang: Some(if en { "en" } else { "zh" }.into()),
        problem_id: Some(problem_id),
        ..NewArticle::default()
    };
    create(store, actor, &new).await
}

/// What a client user did after the portal showed them articles while reporting a fault.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewDeflection {
    /// The article that answered it (for `solved`).
    #[serde(default)]
    pub article_id: Option<i64>,
    /// `solved`: an article answered it and no order was reported; `reported`: reported anyway.
    pub outcome: String,
}

/// A client user records at most this many outcomes a day (the table is written by every
/// client user; a script must not fill it).
pub const DEFLECTIONS_PER_DAY: i64 = 50;

pub async fn record_deflection(store: &Store, actor: &Actor, d: &NewDeflection) -> Result<()> {
    let Some(client) = actor.client_scope() else {
        return Err(StoreError::Forbidden(
            "self-service outcomes are recorded for client users",
        ));
    };
    if !matches!(d.outcome.as_str(), "solved" | "reported") {
        return Err(StoreError::invalid("outcome", "must be solved or reported"));
    }
    if let Some(a) = d.article_id {
        get(store, actor, a)
            .await
            .map_err(|_| StoreError::invalid("article_id", "no such article"))?;
    }
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let today: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM kb_deflections WHERE user_id = $1 AND created_at >= $2",
    )
    .bind(actor.user_id)
    .bind(now - 24 * 3600 * 1000)
    .fetch_one(&mut *tx)
    .await?;
    if today >= DEFLECTIONS_PER_DAY {
        // Counted once is enough; the rest are not errors a user can act on.
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO kb_deflections (client_org_id, user_id, article_id, outcome, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(client)
    .bind(actor.user_id)
    .bind(d.article_id)
    .bind(d.outcome.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A client's self-service figures over `[from, to)` (epoch ms).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SelfService {
    /// Fault reports given up because an article answered them.
    pub solved: u64,
    /// Reports submitted after articles were shown.
    pub reported: u64,
    /// solved / (solved + reported), 2 places; absent with neither.
    pub percent: Option<String>,
}

pub async fn self_service(store: &Store, client: i64, from: i64, to: i64) -> Result<SelfService> {
    let rows = sqlx::query(
        "SELECT outcome, count(*) FROM kb_deflections WHERE client_org_id = $1 AND created_at >= $2 \
         AND created_at < $3 GROUP BY outcome",
    )
    .bind(client)
    .bind(from)
    .bind(to)
    .fetch_all(store.reader())
    .await?;
    let mut out = SelfService::default();
    for r in rows {
        let (k, n): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
        match k.as_str() {
            "solved" => out.solved = n.max(0) as u64,
            "reported" => out.reported = n.max(0) as u64,
            _ => {}
        }
    }
    let all = out.solved + out.reported;
    if all > 0 {
        let pct = rust_decimal::Decimal::from(out.solved * 100) / rust_decimal::Decimal::from(all);
        out.percent = Some(pct.round_dp(2).to_string());
    }
    Ok(out)
}
