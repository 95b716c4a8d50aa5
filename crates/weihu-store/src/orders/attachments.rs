//! Attachments of an order: photos of the fault and log files, size-limited, their type sniffed
//! from the bytes (a declared type that lies is refused), names reduced to a safe file name.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::{get, timeline};
use crate::{Actor, Result, Store, StoreError, audit, instant, now_ms};

/// The largest attachment accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub order_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Internal attachments are for provider staff only.
    pub public: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

/// The content type of `data`, from its first bytes; `None` for anything we do not take.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    const KINDS: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
    ];
    if let Some((_, t)) = KINDS.iter().find(|(magic, _)| data.starts_with(magic)) {
        return Some(t);
    }
    if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    // Plain text (logs): valid UTF-8 without NUL.
    if std::str::from_utf8(data).is_ok() && !data.contains(&0) {
        return Some("text/plain");
    }
    None
}

/// The last path component of `name`, without control characters or leading dots.
pub fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    let cleaned: String = cleaned.chars().take(120).collect();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

fn declared_matches(declared: &str, sniffed: &str) -> bool {
    let d = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    d.is_empty()
        || d == "application/octet-stream"
        || d == sniffed
        || (sniffed == "text/plain"
            && (d.starts_with("text/") || d == "application/json" || d == "application/x-log"))
        || (sniffed == "image/jpeg" && d == "image/jpg")
        || (sniffed == "application/zip" && d == "application/x-zip-compressed")
}

/// Checks a file before it is stored: not empty, within the size limit, of a type we take,
/// declared truthfully. Returns the sniffed type. A form that sends several files checks them
/// all before it writes anything.
pub fn check(declared_type: &str, data: &[u8]) -> Result<&'static str> {
    if data.is_empty() {
        return Err(StoreError::invalid("file", "is empty"));
    }
    if data.len() > MAX_ATTACHMENT_BYTES {
        return Err(StoreError::invalid(
            "file",
            format!("must be at most {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
        ));
    }
    let sniffed = sniff(data).ok_or_else(|| {
        StoreError::invalid(
            "file",
            "only images (PNG, JPEG, GIF, WebP), PDF, ZIP and text files are accepted",
        )
    })?;
    if !declared_matches(declared_type, sniffed) {
        return Err(StoreError::invalid(
            "file",
            format!("declared as {declared_type} but the content is {sniffed}"),
        ));
    }
    Ok(sniffed)
}

/// Stores an attachment. Client-side users' attachments are always public.
pub async fn add(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    filename: &str,
    declared_type: &str,
    data: &[u8],
    public: bool,
) -> Result<Attachment> {
    let order = get(store, actor, order_id).await?;
    super::access::require(store, actor, &order, super::OrderAction::Attach).await?;
    let sniffed = check(declared_type, data)?;
    let name = safe_filename(filename);
    let public = public || actor.is_client();
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    sqlx::query("UPDATE orders SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
    let id: i64 = sqlx::query(
        "INSERT INTO order_attachments (order_id, filename, content_type, size, data, public, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(order_id)
    .bind(name.clone())
    .bind(sniffed)
    .bind(data.len() as i64)
    .bind(STANDARD.encode(data))
    .bind(i64::from(public))
    .bind(actor.audit_id())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    timeline::record(
        &mut tx,
        actor,
        order_id,
        "attachment",
        public,
        &name,
        json!({"attachment": id, "size": data.len()}),
    )
    .await?;
    audit::record(
        &mut tx,
        actor,
        Some(order.client_org_id),
        "order",
        order_id,
        "attachment",
        json!({"attachment": id, "filename": name}),
    )
    .await?;
    tx.commit().await?;
    list(store, actor, order_id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(StoreError::NotFound)
}

pub async fn list(store: &Store, actor: &Actor, order_id: i64) -> Result<Vec<Attachment>> {
    get(store, actor, order_id).await?;
    let public_only = if actor.is_client() {
        " AND public = 1"
    } else {
        ""
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, order_id, filename, content_type, size, public, created_at FROM order_attachments \
         WHERE order_id = $1{public_only} ORDER BY id"
    )))
    .bind(order_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Attachment {
                id: r.try_get("id")?,
                order_id: r.try_get("order_id")?,
                filename: r.try_get("filename")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                public: r.try_get::<i64, _>("public")? != 0,
                created_at: instant(r.try_get("created_at")?),
            })
        })
        .collect()
}

/// An attachment and its bytes, if the actor may see it.
pub async fn download(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    id: i64,
) -> Result<(Attachment, Vec<u8>)> {
    let meta = list(store, actor, order_id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(StoreError::NotFound)?;
    let data: String =
        sqlx::query_scalar("SELECT data FROM order_attachments WHERE id = $1 AND order_id = $2")
            .bind(id)
            .bind(order_id)
            .fetch_one(&store.pool)
            .await?;
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| StoreError::Format(e.to_string()))?;
    Ok((meta, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_sniffed_and_lies_refused() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
        assert_eq!(
            sniff("2026-11-25 ERROR 打印队列".as_bytes()),
            Some("text/plain")
        );
        assert_eq!(
            sniff(b"MZ\x90\x00\x03\x00"),
            None,
            "executables are refused"
        );
        assert!(declared_matches("image/png", "image/png"));
        assert!(
            !declared_matches("image/png", "text/plain"),
            "a text file posing as an image"
        );
        assert!(!declared_matches("text/html", "image/png"));
    }

    #[test]
    fn names_cannot_traverse_paths() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\\\Windows\\\\evil.exe"), "evil.exe");
        assert_eq!(safe_filename(".."), "attachment");
        assert_eq!(safe_filename("打印机 照片.jpg"), "打印机 照片.jpg");
        assert_eq!(safe_filename("a\u{0}b<script>.png"), "abscript.png");
    }
}
