//! Each user's choice of optional mail: the kinds they turned off. Mandatory kinds
//! ([`MailKind::mandatory`]) cannot be.

use weihu_domain::mail::MailKind;

use crate::{Actor, Result, Store, StoreError};

fn parse(stored: &str) -> Vec<MailKind> {
    stored.split(',').filter_map(MailKind::parse).collect()
}

/// The kinds the actor turned off.
pub async fn mail_off(store: &Store, actor: &Actor) -> Result<Vec<MailKind>> {
    let stored: Option<String> = sqlx::query_scalar("SELECT mail_off FROM users WHERE id = $1")
        .bind(actor.user_id)
        .fetch_optional(&store.pool)
        .await?;
    Ok(parse(&stored.unwrap_or_default()))
}

/// Turns off exactly `kinds` for the actor (everything else is on).
pub async fn set_mail_off(store: &Store, actor: &Actor, kinds: &[String]) -> Result<Vec<MailKind>> {
    if kinds.len() > MailKind::ALL.len() * 2 {
        return Err(StoreError::invalid("off", "too many kinds"));
    }
    let mut off = Vec::new();
    for k in kinds {
        let kind = MailKind::parse(k.trim()).ok_or_else(|| {
            let all: Vec<&str> = MailKind::optional().map(MailKind::as_str).collect();
            StoreError::invalid("off", format!("must be one of: {}", all.join(", ")))
        })?;
        if kind.mandatory() {
            return Err(StoreError::invalid(
                "off",
                format!("{} is mandatory and cannot be turned off", kind.as_str()),
            ));
        }
        if !off.contains(&kind) {
            off.push(kind);
        }
    }
    let stored = if off.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = off.iter().map(|k| k.as_str()).collect();
        format!(",{},", names.join(","))
    };
    let done = sqlx::query("UPDATE users SET mail_off = $1 WHERE id = $2")
        .bind(stored)
        .bind(actor.user_id)
        .execute(&store.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(off)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_lists_read_back_and_ignore_unknown_kinds() {
        assert_eq!(
            super::parse(",comment,nope,assigned,"),
            vec![
                weihu_domain::mail::MailKind::Comment,
                weihu_domain::mail::MailKind::Assigned
            ]
        );
        assert!(super::parse("").is_empty());
    }
}
