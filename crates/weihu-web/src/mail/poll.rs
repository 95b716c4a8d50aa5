//! The IMAP poller: every interval, the instance that takes the mailbox's lease fetches its
//! unseen messages, hands each to the intake, and flags it `\Seen` once it is recorded. Two
//! instances never poll one mailbox at once (the lease), and a message fetched twice (a crash
//! before the flag) is taken once (the inbox's unique `Message-ID`).

use std::sync::Arc;
use std::time::Duration;

use weihu_mail::imap::{ImapUrl, Mailbox};
use weihu_store::Store;
use weihu_store::mail::inbox::{self, Arrived};

use super::intake::{self, Intake, Outcome};

#[derive(Debug, Clone)]
pub struct Poller {
    pub url: ImapUrl,
    pub mailbox: String,
    pub interval: Duration,
    pub intake: Intake,
    /// Messages taken per poll.
    pub batch: usize,
}

impl Poller {
    /// The mailbox's name in the lease table and on the admin page (no password).
    pub fn key(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.url.user, self.url.host, self.url.port, self.mailbox
        )
    }
}

pub async fn run(store: Store, p: Arc<Poller>) {
    let mut tick = tokio::time::interval(p.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match poll_once(&store, &p).await {
            Ok(outcomes) if !outcomes.is_empty() => {
                tracing::info!(mailbox = %p.key(), taken = outcomes.len(), "mailbox polled")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(mailbox = %p.key(), error = %e, "mailbox poll failed; retrying at the next tick")
            }
        }
    }
}

/// One poll; nothing when another instance holds the mailbox.
pub async fn poll_once(store: &Store, p: &Poller) -> Result<Vec<Outcome>, String> {
    let key = p.key();
    let lease = i64::try_from(p.interval.as_millis())
        .unwrap_or(60_000)
        .max(120_000)
        * 2;
    if !inbox::lease_poll(store, &key, lease)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(Vec::new());
    }
    let result = poll_leased(store, p).await;
    let error = result.as_ref().err().cloned().unwrap_or_default();
    inbox::end_poll(store, &key, &error)
        .await
        .map_err(|e| e.to_string())?;
    result
}

async fn poll_leased(store: &Store, p: &Poller) -> Result<Vec<Outcome>, String> {
    let mut mb = Mailbox::open(&p.url, &p.mailbox)
        .await
        .map_err(|e| e.to_string())?;
    let max = u32::try_from(p.intake.limits.max_bytes).unwrap_or(u32::MAX);
    let fetched = mb.unseen(p.batch, max).await.map_err(|e| e.to_string())?;
    let source = format!("imap:{}", p.mailbox);
    let mut out = Vec::new();
    for f in fetched {
        let outcome = if f.raw.is_empty() {
            let a = Arrived {
                message_id: None,
                source: source.clone(),
                from_addr: String::new(),
                from_name: String::new(),
                subject: String::new(),
                body: String::new(),
                raw: None,
            };
            let reason = format!(
                "larger than {} bytes: left in the mailbox unread by Weihu",
                p.intake.limits.max_bytes
            );
            let id = inbox::record(store, &a, "ignored", &reason)
                .await
                .map_err(|e| e.to_string())?;
            Outcome::Ignored {
                inbox: id.unwrap_or(0),
                reason,
            }
        } else {
            intake::receive(store, &p.intake, &f.raw, &source)
                .await
                .map_err(|e| e.to_string())?
        };
        mb.mark_seen(f.uid).await.map_err(|e| e.to_string())?;
        out.push(outcome);
    }
    mb.logout().await;
    Ok(out)
}
