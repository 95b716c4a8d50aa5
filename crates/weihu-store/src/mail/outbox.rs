//! The outbox: one row per mail to one person. Rows are written inside the transaction of the
//! event that causes them (an order created, assigned, commented, a statement issued), so a mail
//! exists exactly when its event does. The sender job claims due rows, sends them and marks
//! them; on PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`, so several instances never take
//! the same row, and a claim is a lease: a row whose sender died is taken again when the lease
//! ends.

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use weihu_domain::mail::{MailKind, STALE_AFTER_MS, retry_delay_ms};

use crate::page::Page;
use crate::sql::SqlBuf;
use crate::{Actor, Backend, Result, Store, StoreError, instant, now_ms};

/// The columns of a new row, filled from `users u` (and the caller's values): a user without an
/// address gets a `skipped` row, so the outbox shows who was not told and why.
const FROM_USER: &str = "CASE WHEN u.email = '' THEN 'skipped' ELSE 'queued' END, \
     CASE WHEN u.email = '' THEN 'no e-mail address' ELSE '' END, u.id, u.email, u.display_name, u.locale";

fn off_filter(kind: MailKind) -> String {
    // Mandatory kinds ignore the user's choice; `mail_off` never holds them, but the rule is
    // the domain's, not the column's.
    if kind.mandatory() {
        String::new()
    } else {
        format!(" AND u.mail_off NOT LIKE '%,{},%'", kind.as_str())
    }
}

/// Queues one mail to one user, inside the caller's transaction. Nothing for an inactive user or
/// one who turned this kind off.
pub(crate) async fn enqueue_user(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: MailKind,
    order_id: Option<i64>,
    ref_id: Option<i64>,
    detail: &str,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO mail_outbox (kind, order_id, ref_id, detail, next_attempt_at, created_at, \
         state, last_error, user_id, to_addr, to_name, locale) \
         SELECT $1, $2, $3, $4, $5, $5, {FROM_USER} FROM users u WHERE u.id = $6 AND u.active = 1{}",
        off_filter(kind)
    )))
    .bind(kind.as_str())
    .bind(order_id)
    .bind(ref_id)
    .bind(cut(detail))
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues one mail to every active administrator of a client.
pub(crate) async fn enqueue_client_admins(
    conn: &mut AnyConnection,
    client: i64,
    kind: MailKind,
    ref_id: Option<i64>,
    detail: &str,
) -> Result<()> {
    let now = now_ms();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO mail_outbox (kind, order_id, ref_id, detail, next_attempt_at, created_at, \
         state, last_error, user_id, to_addr, to_name, locale) \
         SELECT $1, NULL, $2, $3, $4, $4, {FROM_USER} FROM users u \
         WHERE u.org_id = $5 AND u.role = 'client_admin' AND u.active = 1{}",
        off_filter(kind)
    )))
    .bind(kind.as_str())
    .bind(ref_id)
    .bind(cut(detail))
    .bind(now)
    .bind(client)
    .execute(conn)
    .await?;
    Ok(())
}

/// "Order received" to the requester of each new order (fault reports; inspections have no
/// requester), one statement for a whole group-committed batch.
pub(crate) async fn enqueue_received(conn: &mut AnyConnection, order_ids: &[i64]) -> Result<()> {
    if order_ids.is_empty() {
        return Ok(());
    }
    let kind = MailKind::OrderReceived;
    let mut s = SqlBuf::new(&format!(
        "INSERT INTO mail_outbox (kind, order_id, ref_id, detail, next_attempt_at, created_at, \
         state, last_error, user_id, to_addr, to_name, locale) \
         SELECT '{}', o.id, NULL, '', o.created_at, o.created_at, {FROM_USER} \
         FROM orders o JOIN users u ON u.id = o.requester_id \
         WHERE u.active = 1{} AND o.id IN ",
        kind.as_str(),
        off_filter(kind)
    ));
    s.bind_list(order_ids);
    s.query().execute(conn).await?;
    Ok(())
}

/// Details (a comment, a resolution) are kept to what a mail shows.
fn cut(s: &str) -> String {
    match s.char_indices().nth(4000) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// One mail as the sender and the outbox page see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub to_addr: String,
    pub to_name: String,
    pub locale: Option<String>,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub order_subject: Option<String>,
    /// The statement or service-level report a mail carries.
    pub ref_id: Option<i64>,
    pub detail: String,
    /// queued, sending, sent, failed, skipped (no address), expired (too old to send).
    pub state: String,
    pub attempts: i64,
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: jiff::Timestamp,
    pub last_error: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<jiff::Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    /// Milliseconds, for the stable `Message-ID`.
    #[serde(skip)]
    pub created_ms: i64,
}

const SELECT: &str = "SELECT m.id, m.kind, m.user_id, m.to_addr, m.to_name, m.locale, m.order_id, \
     o.number, o.subject, m.ref_id, m.detail, m.state, m.attempts, m.next_attempt_at, m.last_error, \
     m.sent_at, m.created_at FROM mail_outbox m LEFT JOIN orders o ON o.id = m.order_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<OutboxMail> {
    let created: i64 = r.try_get("created_at")?;
    Ok(OutboxMail {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        user_id: r.try_get("user_id")?,
        to_addr: r.try_get("to_addr")?,
        to_name: r.try_get("to_name")?,
        locale: r.try_get("locale")?,
        order_id: r.try_get("order_id")?,
        order_number: r.try_get("number")?,
        order_subject: r.try_get("subject")?,
        ref_id: r.try_get("ref_id")?,
        detail: r.try_get("detail")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: instant(r.try_get("next_attempt_at")?),
        last_error: r.try_get("last_error")?,
        sent_at: r.try_get::<Option<i64>, _>("sent_at")?.map(instant),
        created_at: instant(created),
        created_ms: created,
    })
}

/// Claims up to `limit` due mails for `lease_ms`: they are this sender's until it marks them or
/// the lease ends. Mails older than [`STALE_AFTER_MS`] are expired instead of returned. Each
/// claim counts as an attempt, so a mail that kills its sender is not tried forever.
pub async fn claim(store: &Store, limit: i64, lease_ms: i64) -> Result<Vec<OutboxMail>> {
    let now = now_ms();
    let lock = if store.backend() == Backend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let mut tx = store.pool.begin().await?;
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM mail_outbox WHERE state IN ('queued', 'sending') AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2{lock}"
    )))
    .bind(now)
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *tx)
    .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut s = SqlBuf::new("UPDATE mail_outbox SET state = CASE WHEN created_at < ");
    s.bind(now - STALE_AFTER_MS)
        .push(" THEN 'expired' ELSE 'sending' END, last_error = CASE WHEN created_at < ")
        .bind(now - STALE_AFTER_MS)
        .push(" THEN 'not sent: queued for more than 3 days' ELSE last_error END, attempts = attempts + 1, next_attempt_at = ")
        .bind(now + lease_ms)
        .push(" WHERE id IN ")
        .bind_list(&ids);
    s.query().execute(&mut *tx).await?;
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE m.state = 'sending' AND m.id IN "));
    s.bind_list(&ids).push(" ORDER BY m.id");
    let rows = s.query().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter().map(from_row).collect()
}

/// The relay took it.
pub async fn mark_sent(store: &Store, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE mail_outbox SET state = 'sent', sent_at = $1, last_error = '' WHERE id = $2 AND state = 'sending'",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// The relay refused it or could not be reached: queued again after the backoff, or failed for
/// good when the refusal is permanent or the tries are used up.
pub async fn mark_failed(
    store: &Store,
    mail: &OutboxMail,
    permanent: bool,
    error: &str,
) -> Result<()> {
    let error: String = error.chars().take(500).collect();
    let retry = (!permanent)
        .then(|| retry_delay_ms(mail.attempts))
        .flatten();
    let (state, next) = match retry {
        Some(d) => ("queued", now_ms() + d),
        None => ("failed", now_ms()),
    };
    sqlx::query(
        "UPDATE mail_outbox SET state = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4 AND state = 'sending'",
    )
    .bind(state)
    .bind(next)
    .bind(error)
    .bind(mail.id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub state: Option<String>,
    pub order_id: Option<i64>,
}

pub const STATES: [&str; 6] = ["queued", "sending", "sent", "failed", "skipped", "expired"];

/// The outbox, newest first (the administrator's).
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &OutboxFilter,
    limit: i64,
    offset: i64,
) -> Result<Page<OutboxMail>> {
    super::may_manage(actor)?;
    let limit = limit.clamp(1, 200);
    let offset = offset.clamp(0, 1_000_000);
    if let Some(st) = filter.state.as_deref().filter(|s| !s.is_empty())
        && !STATES.contains(&st)
    {
        return Err(StoreError::invalid(
            "state",
            format!("must be one of: {}", STATES.join(", ")),
        ));
    }
    let filtered = |base: &str| {
        let mut w = SqlBuf::new(base);
        w.push(" WHERE 1 = 1");
        if let Some(st) = filter.state.as_deref().filter(|s| !s.is_empty()) {
            w.push(" AND m.state = ").bind(st.to_owned());
        }
        if let Some(o) = filter.order_id {
            w.push(" AND m.order_id = ").bind(o);
        }
        w
    };
    let total: i64 = filtered("SELECT count(*) FROM mail_outbox m")
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

/// How many mails are in each state (the outbox page's header and the admin's warning).
pub async fn counts(store: &Store, actor: &Actor) -> Result<Vec<(String, i64)>> {
    super::may_manage(actor)?;
    let rows = sqlx::query("SELECT state, count(*) AS n FROM mail_outbox GROUP BY state")
        .fetch_all(&store.pool)
        .await?;
    let mut out: Vec<(String, i64)> = STATES.iter().map(|s| ((*s).to_owned(), 0)).collect();
    for r in rows {
        let st: String = r.try_get("state")?;
        let n: i64 = r.try_get("n")?;
        if let Some(slot) = out.iter_mut().find(|(s, _)| *s == st) {
            slot.1 = n;
        }
    }
    Ok(out)
}

/// Sends a failed or expired mail again (after the administrator fixed the address or the relay).
pub async fn retry(store: &Store, actor: &Actor, id: i64) -> Result<OutboxMail> {
    super::may_manage_record(actor)?;
    let mut tx = store.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE mail_outbox SET state = 'queued', attempts = 0, next_attempt_at = $1, created_at = \
         CASE WHEN state = 'expired' THEN $1 ELSE created_at END, last_error = '' \
         WHERE id = $2 AND state IN ('failed', 'expired')",
    )
    .bind(now_ms())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(super::refusal(
            &mut tx,
            "mail_outbox",
            id,
            "only a failed or expired mail is sent again",
        )
        .await?);
    }
    crate::audit::record(
        &mut tx,
        actor,
        None,
        "mail",
        id,
        "retry",
        serde_json::json!({}),
    )
    .await?;
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE m.id = "));
    s.bind(id);
    let row = s.query().fetch_one(&mut *tx).await?;
    tx.commit().await?;
    from_row(&row)
}

/// Mails about one order, for its page (staff) — who was told what and whether it went out.
pub async fn for_order(store: &Store, order_id: i64) -> Result<Vec<OutboxMail>> {
    let mut s = SqlBuf::new(&format!("{SELECT} WHERE m.order_id = "));
    s.bind(order_id).push(" ORDER BY m.id DESC LIMIT 50");
    s.query()
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// A reply by mail reached a resolved order: the sender is told it may be reopened.
pub async fn offer_reopen(store: &Store, user_id: i64, order_id: i64, reply: &str) -> Result<()> {
    let mut tx = store.pool.begin().await?;
    enqueue_user(
        &mut tx,
        user_id,
        MailKind::ReopenOffer,
        Some(order_id),
        None,
        reply,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `weihu mail bench`: `count` comment mails about the newest order, all to `to`, due now.
pub async fn enqueue_bench(store: &Store, to: &str, count: i64) -> Result<i64> {
    let order: Option<i64> = sqlx::query_scalar("SELECT max(id) FROM orders")
        .fetch_one(&store.pool)
        .await?;
    let order = order.ok_or_else(|| {
        StoreError::invalid("orders", "the bench needs one order (load the demo data)")
    })?;
    let now = now_ms();
    let mut tx = store.pool.begin().await?;
    for chunk in (0..count.clamp(1, 100_000)).collect::<Vec<_>>().chunks(500) {
        let mut s = SqlBuf::new(
            "INSERT INTO mail_outbox (kind, to_addr, to_name, locale, order_id, detail, state, next_attempt_at, created_at) VALUES ",
        );
        for (i, n) in chunk.iter().enumerate() {
            if i > 0 {
                s.push(", ");
            }
            s.push("('comment', ")
                .bind(to.to_owned())
                .push(", 'Bench', ")
                .bind(if n % 2 == 0 { "zh-CN" } else { "en" })
                .push(", ")
                .bind(order)
                .push(", ")
                .bind(format!("bench mail {n}"))
                .push(", 'queued', ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
        }
        s.query().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(count.clamp(1, 100_000))
}
