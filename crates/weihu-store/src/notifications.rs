//! In-app notifications (assignment, client comments, at-risk and breached clocks), each with
//! its mail in the outbox when the kind has one (`weihu_domain::mail::MailKind`).

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use weihu_domain::mail::MailKind;

use crate::{Actor, Result, Store, StoreError, instant, now_ms};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub order_id: Option<i64>,
    pub kind: String,
    pub body: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<jiff::Timestamp>,
}

/// The actor's latest notifications, unread first.
pub async fn list(store: &Store, actor: &Actor, limit: i64) -> Result<Vec<Notification>> {
    let rows = sqlx::query(
        "SELECT id, order_id, kind, body, created_at, read_at FROM notifications WHERE user_id = $1 \
         ORDER BY (CASE WHEN read_at IS NULL THEN 0 ELSE 1 END), id DESC LIMIT $2",
    )
    .bind(actor.user_id)
    .bind(limit.clamp(1, 200))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notification {
                id: r.try_get("id")?,
                order_id: r.try_get("order_id")?,
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                created_at: instant(r.try_get("created_at")?),
                read_at: r.try_get::<Option<i64>, _>("read_at")?.map(instant),
            })
        })
        .collect()
}

pub async fn unread(store: &Store, actor: &Actor) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
    )
    .bind(actor.user_id)
    .fetch_one(&store.pool)
    .await?)
}

/// Marks one of the actor's notifications read.
pub async fn mark_read(store: &Store, actor: &Actor, id: i64) -> Result<()> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .bind(actor.user_id)
    .execute(&store.pool)
    .await?;
    if done.rows_affected() == 0 {
        let mine: i64 =
            sqlx::query_scalar("SELECT count(*) FROM notifications WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(actor.user_id)
                .fetch_one(&store.pool)
                .await?;
        if mine == 0 {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

/// Writes one notification inside the caller's transaction, and the mail that goes with it
/// (when its kind has one).
pub(crate) async fn notify(
    conn: &mut AnyConnection,
    user_id: i64,
    order_id: i64,
    kind: &str,
    body: &str,
) -> Result<()> {
    notify_with(conn, user_id, order_id, kind, body, "").await
}

/// [`notify`] with what the mail shows besides the order (a comment's text, a resolution).
pub(crate) async fn notify_with(
    conn: &mut AnyConnection,
    user_id: i64,
    order_id: i64,
    kind: &str,
    body: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO notifications (user_id, order_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(user_id)
        .bind(order_id)
        .bind(kind.to_owned())
        .bind(body.to_owned())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    if let Some(mail) = MailKind::of_notification(kind) {
        crate::mail::outbox::enqueue_user(conn, user_id, mail, Some(order_id), None, detail)
            .await?;
    }
    Ok(())
}

/// Notifies every active administrator of a client about something other than an order (a
/// published report, a change awaiting consent), in one statement.
/// `ref_id` is the record a mail carries (the report whose PDF is attached).
pub(crate) async fn notify_client_admins(
    conn: &mut AnyConnection,
    client: i64,
    kind: &str,
    body: &str,
    ref_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, body, created_at) \
         SELECT id, $2, $3, $4 FROM users WHERE org_id = $1 AND role = 'client_admin' AND active = 1",
    )
    .bind(client)
    .bind(kind.to_owned())
    .bind(body.to_owned())
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    if let Some(mail) = MailKind::of_notification(kind) {
        crate::mail::outbox::enqueue_client_admins(conn, client, mail, ref_id, body).await?;
    }
    Ok(())
}
