//! Every message that arrived by mail, and what became of it: an order, a comment, ignored (a
//! program wrote it), or the review queue, where a dispatcher accepts it as an order of a
//! client or rejects it. A message is recorded before anything is done with it, under its
//! unique `Message-ID`, so a message fetched twice (two instances, a crash before the mailbox
//! was told) is taken once, and one whose handling was cut short stays in the queue.

use serde::Serialize;
use sqlx::Row;
use weihu_domain::mail::{Sender, Target};
use weihu_domain::order::OrderState;

use crate::page::Page;
use crate::sql::SqlBuf;
use crate::{Actor, Result, Store, StoreError, instant, now_ms};

/// A message as it arrived, already read into text.
#[derive(Debug, Clone)]
pub struct Arrived {
    pub message_id: Option<String>,
    /// `command` (`weihu mail receive`) or `imap:<mailbox>`.
    pub source: String,
    pub from_addr: String,
    pub from_name: String,
    pub subject: String,
    pub body: String,
    /// The raw message, base64, kept while it waits for review (its attachments go with it
    /// when it is accepted).
    pub raw: Option<String>,
}

pub const STATES: [&str; 6] = [
    "order", "comment", "review", "accepted", "rejected", "ignored",
];

/// Records a message in `state` (`review` while it is being handled). `None` when a message
/// with this `Message-ID` was recorded before.
pub async fn record(store: &Store, a: &Arrived, state: &str, reason: &str) -> Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO mail_inbox (message_id, source, from_addr, from_name, subject, body, raw, state, reason, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO NOTHING RETURNING id",
    )
    .bind(a.message_id.clone())
    .bind(a.source.clone())
    .bind(a.from_addr.clone())
    .bind(a.from_name.clone())
    .bind(a.subject.clone())
    .bind(a.body.clone())
    .bind(a.raw.clone())
    .bind(state.to_owned())
    .bind(reason.to_owned())
    .bind(now_ms())
    .fetch_optional(&store.pool)
    .await?;
    Ok(id)
}

/// What became of a recorded message. The raw message is dropped unless it stays for review.
pub async fn settle(
    store: &Store,
    id: i64,
    state: &str,
    reason: &str,
    user_id: Option<i64>,
    order_id: Option<i64>,
    client_org_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE mail_inbox SET state = $1, reason = $2, user_id = $3, order_id = $4, client_org_id = $5, \
         raw = CASE WHEN $1 = 'review' THEN raw ELSE NULL END WHERE id = $6",
    )
    .bind(state.to_owned())
    .bind(reason.to_owned())
    .bind(user_id)
    .bind(order_id)
    .bind(client_org_id)
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Who an address belongs to: the one active user with it (case-insensitive). Several users
/// sharing an address are as good as none: the desk cannot tell which of them wrote.
pub async fn sender(store: &Store, address: &str) -> Result<(Sender, Option<i64>)> {
    let rows = sqlx::query(
        "SELECT u.id, u.org_id, o.kind FROM users u JOIN organizations o ON o.id = u.org_id \
         WHERE lower(u.email) = $1 AND u.active = 1 LIMIT 2",
    )
    .bind(address.trim().to_lowercase())
    .fetch_all(&store.pool)
    .await?;
    if rows.len() != 1 {
        return Ok((Sender::Unknown, None));
    }
    let r = &rows[0];
    let id: i64 = r.try_get("id")?;
    let org: i64 = r.try_get("org_id")?;
    let kind: String = r.try_get("kind")?;
    Ok((
        if kind == "client" {
            Sender::Client(org)
        } else {
            Sender::Staff
        },
        Some(id),
    ))
}

async fn target_where(
    store: &Store,
    column: &str,
    value: crate::sql::Arg,
) -> Result<Option<Target>> {
    let mut s = SqlBuf::new(&format!(
        "SELECT id, client_org_id, state, resolved_at FROM orders WHERE {column} = "
    ));
    s.bind(value);
    let Some(r) = s.query().fetch_optional(&store.pool).await? else {
        return Ok(None);
    };
    let state: String = r.try_get("state")?;
    Ok(Some(Target {
        id: r.try_get("id")?,
        client_org_id: r.try_get("client_org_id")?,
        state: OrderState::parse(&state)
            .ok_or_else(|| StoreError::Format(format!("order state {state}")))?,
        resolved_at_ms: r.try_get("resolved_at")?,
    }))
}

/// The order a reply names by its number.
pub async fn target_by_number(store: &Store, number: &str) -> Result<Option<Target>> {
    target_where(store, "number", number.to_owned().into()).await
}

/// The order a reply names by our `Message-ID` (the order's thread).
pub async fn target_by_id(store: &Store, id: i64) -> Result<Option<Target>> {
    target_where(store, "id", id.into()).await
}

/// The order an outbox mail was about (a reply's `In-Reply-To`).
pub async fn order_of_outbox(store: &Store, outbox_id: i64) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT order_id FROM mail_outbox WHERE id = $1")
            .bind(outbox_id)
            .fetch_optional(&store.pool)
            .await?
            .flatten(),
    )
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxMail {
    pub id: i64,
    pub message_id: Option<String>,
    pub source: String,
    pub from_addr: String,
    pub from_name: String,
    pub subject: String,
    pub body: String,
    /// order, comment, review, accepted, rejected, ignored.
    pub state: String,
    pub reason: String,
    pub user_id: Option<i64>,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub client_org_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<jiff::Timestamp>,
    /// Whether the raw message (with its attachments) is still kept.
    pub has_raw: bool,
}

const SELECT: &str = "SELECT m.id, m.message_id, m.source, m.from_addr, m.from_name, m.subject, m.body, \
     m.state, m.reason, m.user_id, m.order_id, o.number, m.client_org_id, m.received_at, m.decided_at, \
     CASE WHEN m.raw IS NULL THEN 0 ELSE 1 END AS has_raw FROM mail_inbox m LEFT JOIN orders o ON o.id = m.order_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<InboxMail> {
    Ok(InboxMail {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        source: r.try_get("source")?,
        from_addr: r.try_get("from_addr")?,
        from_name: r.try_get("from_name")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        state: r.try_get("state")?,
        reason: r.try_get("reason")?,
        user_id: r.try_get("user_id")?,
        order_id: r.try_get("order_id")?,
        order_number: r.try_get("number")?,
        client_org_id: r.try_get("client_org_id")?,
        received_at: instant(r.try_get("received_at")?),
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(instant),
        has_raw: r.try_get::<i64, _>("has_raw")? == 1,
    })
}

/// Messages that arrived, newest first; `state` narrows (`review` is the queue).
pub async fn list(
    store: &Store,
    actor: &Actor,
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Page<InboxMail>> {
    super::may_review(actor)?;
    let state = state.filter(|s| !s.is_empty());
    if let Some(st) = state
        && !STATES.contains(&st)
    {
        return Err(StoreError::invalid(
            "state",
            format!("must be one of: {}", STATES.join(", ")),
        ));
    }
    let limit = limit.clamp(1, 200);
    let offset = offset.clamp(0, 1_000_000);
    let filtered = |base: &str| {
        let mut w = SqlBuf::new(base);
        if let Some(st) = state {
            w.push(" WHERE m.state = ").bind(st.to_owned());
        }
        w
    };
    let total: i64 = filtered("SELECT count(*) FROM mail_inbox m")
        .query()
        .fetch_one(&store.pool)
        .await?
        .try_get(0)?;
    let mut s = filtered(SELECT);
    s.push(" ORDER BY m.id DESC LIMIT ")
        .bind(limit)
        .push(" OFFSET ")
        .bind(offset);
    let items = s
        .query()
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page::new(items, total, offset))
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<InboxMail> {
    super::may_review_record(actor)?;
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE m.id = "));
    s.bind(id);
    from_row(
        &s.query()
            .fetch_optional(&store.pool)
            .await?
            .ok_or(StoreError::NotFound)?,
    )
}

/// The raw message of one waiting for review (base64), for accepting it with its attachments.
pub async fn raw(store: &Store, actor: &Actor, id: i64) -> Result<Option<String>> {
    super::may_review_record(actor)?;
    Ok(
        sqlx::query_scalar("SELECT raw FROM mail_inbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&store.pool)
            .await?
            .flatten(),
    )
}

/// Takes a message out of the review queue (`accepted` or `rejected`), once: a second decision,
/// or one on a message not in review, is refused.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    state: &str,
    reason: &str,
    client_org_id: Option<i64>,
) -> Result<()> {
    super::may_review_record(actor)?;
    let reason: String = reason.trim().chars().take(500).collect();
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE mail_inbox SET state = $1, reason = CASE WHEN $2 = '' THEN reason ELSE $2 END, client_org_id = $3, \
         decided_by = $4, decided_at = $5 WHERE id = $6 AND state = 'review'",
    )
    .bind(state.to_owned())
    .bind(reason.clone())
    .bind(client_org_id)
    .bind(actor.audit_id())
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(super::refusal(
            &mut tx,
            "mail_inbox",
            id,
            "this message was already decided",
        )
        .await?);
    }
    crate::audit::record(
        &mut tx,
        actor,
        client_org_id,
        "mail",
        id,
        state,
        serde_json::json!({"reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Back into the queue (accepting failed: the client has no contract, the text is refused).
pub async fn undecide(store: &Store, id: i64, reason: &str) -> Result<()> {
    sqlx::query(
        "UPDATE mail_inbox SET state = 'review', reason = $1, decided_by = NULL, decided_at = NULL WHERE id = $2",
    )
    .bind(reason.chars().take(500).collect::<String>())
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// The accepted message's order, and the raw message dropped.
pub async fn accepted(store: &Store, id: i64, order_id: i64) -> Result<()> {
    sqlx::query("UPDATE mail_inbox SET order_id = $1, raw = NULL WHERE id = $2")
        .bind(order_id)
        .bind(id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// How many messages wait for review, for the intake's cap (no actor: the intake is the system).
pub async fn waiting_count(store: &Store) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM mail_inbox WHERE state = 'review'")
            .fetch_one(&store.pool)
            .await?,
    )
}

/// How many messages wait for review (the dispatcher's badge).
pub async fn waiting(store: &Store, actor: &Actor) -> Result<i64> {
    super::may_review(actor)?;
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM mail_inbox WHERE state = 'review'")
            .fetch_one(&store.pool)
            .await?,
    )
}

/// Takes the poll lease of an IMAP mailbox for `lease_ms`: true when this instance holds it.
pub async fn lease_poll(store: &Store, mailbox: &str, lease_ms: i64) -> Result<bool> {
    let now = now_ms();
    sqlx::query("INSERT INTO mail_polls (mailbox, locked_until) VALUES ($1, 0) ON CONFLICT (mailbox) DO NOTHING")
        .bind(mailbox.to_owned())
        .execute(&store.pool)
        .await?;
    let done = sqlx::query(
        "UPDATE mail_polls SET locked_until = $1 WHERE mailbox = $2 AND locked_until <= $3",
    )
    .bind(now + lease_ms)
    .bind(mailbox.to_owned())
    .bind(now)
    .execute(&store.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a poll: the lease is given back and the outcome kept for the admin page.
pub async fn end_poll(store: &Store, mailbox: &str, error: &str) -> Result<()> {
    sqlx::query("UPDATE mail_polls SET locked_until = 0, last_poll_at = $1, last_error = $2 WHERE mailbox = $3")
        .bind(now_ms())
        .bind(error.chars().take(500).collect::<String>())
        .bind(mailbox.to_owned())
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Each polled mailbox: when it was last polled and the last error, if any.
pub async fn polls(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<(String, Option<jiff::Timestamp>, String)>> {
    super::may_manage(actor)?;
    let rows =
        sqlx::query("SELECT mailbox, last_poll_at, last_error FROM mail_polls ORDER BY mailbox")
            .fetch_all(&store.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("mailbox")?,
                r.try_get::<Option<i64>, _>("last_poll_at")?.map(instant),
                r.try_get("last_error")?,
            ))
        })
        .collect()
}
