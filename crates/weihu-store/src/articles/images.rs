//! Images in articles, stored like order attachments: the type sniffed from the content and
//! checked against the declared one, at most [`MAX_IMAGES`] per article. An image is shown to
//! whoever may read its article; the Markdown refers to it by its path on this site.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::orders::attachments::{check, safe_filename};
use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

/// Images per article at most.
pub const MAX_IMAGES: i64 = 30;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleImage {
    pub id: i64,
    pub article_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// The path to put in the article's Markdown: `![description](path)`.
    pub path: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

pub async fn add(
    store: &Store,
    actor: &Actor,
    article_id: i64,
    filename: &str,
    declared_type: &str,
    data: &[u8],
) -> Result<ArticleImage> {
    super::get(store, actor, article_id).await?;
    super::may_write_record(actor)?;
    let sniffed = check(declared_type, data)?;
    if !sniffed.starts_with("image/") {
        return Err(StoreError::invalid(
            "file",
            "only images (PNG, JPEG, GIF, WebP) go into an article",
        ));
    }
    let name = safe_filename(filename);
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM article_images WHERE article_id = $1")
        .bind(article_id)
        .fetch_one(&mut *tx)
        .await?;
    if n >= MAX_IMAGES {
        return Err(StoreError::invalid(
            "file",
            format!("an article holds at most {MAX_IMAGES} images"),
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO article_images (article_id, filename, content_type, size, data, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(article_id)
    .bind(name.clone())
    .bind(sniffed)
    .bind(data.len() as i64)
    .bind(STANDARD.encode(data))
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        None,
        "article",
        article_id,
        "image",
        json!({"image": id, "filename": name}),
    )
    .await?;
    tx.commit().await?;
    Ok(ArticleImage {
        id,
        article_id,
        filename: name,
        content_type: sniffed.to_owned(),
        size: data.len() as i64,
        path: format!("/kb/{article_id}/images/{id}"),
        created_at: instant(now),
    })
}

/// The images of an article the actor may read.
pub async fn list(store: &Store, actor: &Actor, article_id: i64) -> Result<Vec<ArticleImage>> {
    super::get(store, actor, article_id).await?;
    let rows = sqlx::query(
        "SELECT id, filename, content_type, size, created_at FROM article_images WHERE article_id = $1 ORDER BY id",
    )
    .bind(article_id)
    .fetch_all(store.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            Ok(ArticleImage {
                id,
                article_id,
                filename: r.try_get("filename")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                path: format!("/kb/{article_id}/images/{id}"),
                created_at: instant(r.try_get("created_at")?),
            })
        })
        .collect()
}

/// One image and its bytes, for whoever may read its article.
pub async fn download(
    store: &Store,
    actor: &Actor,
    article_id: i64,
    id: i64,
) -> Result<(ArticleImage, Vec<u8>)> {
    let meta = list(store, actor, article_id)
        .await?
        .into_iter()
        .find(|i| i.id == id)
        .ok_or(StoreError::NotFound)?;
    let data: String =
        sqlx::query_scalar("SELECT data FROM article_images WHERE id = $1 AND article_id = $2")
            .bind(id)
            .bind(article_id)
            .fetch_one(store.reader())
            .await?;
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok((meta, bytes))
}
