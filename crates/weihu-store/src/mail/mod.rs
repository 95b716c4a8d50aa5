//! Mail's tables: the outbox (written in the transaction of the event that causes a mail,
//! drained by the sender job), the inbox (every message that arrived, and the review queue),
//! the IMAP poll leases, and each user's choice of optional mail.

pub mod inbox;
pub mod outbox;
pub mod prefs;

use crate::{Actor, Result, StoreError};

/// The outbox and the mail settings are the administrator's.
pub(crate) fn may_manage(actor: &Actor) -> Result<()> {
    if actor.role.can_manage_mail() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "the mail outbox is the administrator's",
        ))
    }
}

/// The review queue is the dispatchers' (and the administrator's).
pub(crate) fn may_review(actor: &Actor) -> Result<()> {
    if actor.role.can_review_mail() {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "the mail review queue is the dispatchers'",
        ))
    }
}

/// [`may_manage`] for one record: a client-side user is told it does not exist (as for every
/// other tenant's record), never that it is forbidden.
pub(crate) fn may_manage_record(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    may_manage(actor)
}

/// [`may_review`] for one record, likewise.
pub(crate) fn may_review_record(actor: &Actor) -> Result<()> {
    if actor.is_client() {
        return Err(StoreError::NotFound);
    }
    may_review(actor)
}

/// Why a conditional update of one row touched none: the row is missing (not found), or it is
/// not in a state for the change (`why`, on the `state` field).
pub(crate) async fn refusal(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    id: i64,
    why: &str,
) -> Result<StoreError> {
    let exists: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {table} WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(if exists == 0 {
        StoreError::NotFound
    } else {
        StoreError::invalid("state", why)
    })
}
