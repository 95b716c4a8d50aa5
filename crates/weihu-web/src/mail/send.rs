//! The sender job: claims due outbox rows, composes each in its recipient's language (with the
//! statement's or report's PDF), hands it to the SMTP relay and marks it sent, or queued again
//! after a backoff, or failed. Several instances may run it: claims are leases taken with
//! `SKIP LOCKED` on PostgreSQL. A row is marked sent right after the relay accepts it, so only a
//! crash in that instant can send a mail twice; its `Message-ID` stays the same, so a receiving
//! server that deduplicates sees one.

use std::sync::Arc;
use std::time::Duration;

use weihu_domain::mail::MailKind;
use weihu_mail::{Outgoing, Smtp};
use weihu_store::mail::outbox::{self, OutboxMail};
use weihu_store::{Actor, Store};

use super::compose::{Identity, compose};
use crate::i18n::{Lang, Tr};

/// The sender's settings.
#[derive(Clone)]
pub struct Sender {
    pub smtp: Smtp,
    /// `Weihu 维护 <desk@example.com>`.
    pub from: String,
    /// The domain of our `Message-ID`s (the from address's).
    pub domain: String,
    /// The public base URL for links.
    pub base: String,
    /// How long a claimed mail is this sender's before another may take it.
    pub lease: Duration,
    /// Mails sent at once (each on its own pooled SMTP connection).
    pub concurrency: usize,
    /// The pause when the outbox is empty.
    pub idle: Duration,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// Runs until the task is dropped.
pub async fn run(store: Store, sender: Arc<Sender>) {
    loop {
        match drain_once(&store, &sender).await {
            Ok(d) if d.sent + d.retried + d.failed > 0 => {
                tracing::info!(
                    sent = d.sent,
                    retried = d.retried,
                    failed = d.failed,
                    "outbox drained"
                );
            }
            Ok(_) => tokio::time::sleep(sender.idle).await,
            Err(e) => {
                tracing::warn!(error = %e, "outbox pass failed; retrying shortly");
                tokio::time::sleep(sender.idle).await;
            }
        }
    }
}

/// One batch: claimed, sent `concurrency` at a time, marked.
pub async fn drain_once(
    store: &Store,
    sender: &Arc<Sender>,
) -> Result<Drained, weihu_store::StoreError> {
    let lease = i64::try_from(sender.lease.as_millis()).unwrap_or(i64::MAX / 2);
    let batch = outbox::claim(store, (sender.concurrency * 8) as i64, lease).await?;
    let mut d = Drained::default();
    if batch.is_empty() {
        return Ok(d);
    }
    let mut lanes: Vec<Vec<OutboxMail>> =
        (0..sender.concurrency.max(1)).map(|_| Vec::new()).collect();
    for (i, m) in batch.into_iter().enumerate() {
        let n = lanes.len();
        lanes[i % n].push(m);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for lane in lanes.into_iter().filter(|l| !l.is_empty()) {
        let store = store.clone();
        let sender = sender.clone();
        tasks.spawn(async move {
            let mut d = Drained::default();
            for m in lane {
                match send_one(&store, &sender, &m).await {
                    Outcome::Sent => d.sent += 1,
                    Outcome::Retry => d.retried += 1,
                    Outcome::Failed => d.failed += 1,
                }
            }
            d
        });
    }
    while let Some(r) = tasks.join_next().await {
        if let Ok(x) = r {
            d.sent += x.sent;
            d.retried += x.retried;
            d.failed += x.failed;
        }
    }
    Ok(d)
}

enum Outcome {
    Sent,
    Retry,
    Failed,
}

async fn send_one(store: &Store, sender: &Sender, m: &OutboxMail) -> Outcome {
    let id = Identity {
        from: &sender.from,
        domain: &sender.domain,
        base: &sender.base,
    };
    let mut mail = match compose(m, &id) {
        Ok(c) => c.mail,
        Err(e) => return fail(store, m, true, &e).await,
    };
    if let Err((permanent, e)) = attach(store, m, &mut mail).await {
        return fail(store, m, permanent, &e).await;
    }
    match sender.smtp.send(&mail).await {
        Ok(()) => {
            metrics::counter!("weihu_mail_sent_total").increment(1);
            if let Err(e) = outbox::mark_sent(store, m.id).await {
                // The relay has it; the row is taken again when the lease ends (the one window
                // where a mail can go twice, with the same Message-ID).
                tracing::warn!(mail = m.id, error = %e, "mail sent but not marked");
            }
            Outcome::Sent
        }
        Err(e) => fail(store, m, e.permanent, &e.message).await,
    }
}

async fn fail(store: &Store, m: &OutboxMail, permanent: bool, error: &str) -> Outcome {
    metrics::counter!("weihu_mail_failed_total").increment(1);
    tracing::warn!(mail = m.id, to = %m.to_addr, permanent, error, "mail not sent");
    if let Err(e) = outbox::mark_failed(store, m, permanent, error).await {
        tracing::warn!(mail = m.id, error = %e, "mail failure not recorded");
    }
    let gives_up = permanent || weihu_domain::mail::retry_delay_ms(m.attempts).is_none();
    if gives_up {
        Outcome::Failed
    } else {
        Outcome::Retry
    }
}

/// The statement's or the report's PDF, as the client admin would download it. A document that
/// cannot be read any more (deleted, withdrawn) fails the mail for good; a busy renderer is
/// tried again.
async fn attach(store: &Store, m: &OutboxMail, mail: &mut Outgoing) -> Result<(), (bool, String)> {
    let kind = MailKind::parse(&m.kind);
    let Some(ref_id) = m.ref_id else {
        return Ok(());
    };
    let provider = weihu_store::organizations::provider(store)
        .await
        .map_err(|e| (false, e.to_string()))?
        .map(|(id, _)| id)
        .unwrap_or(0);
    let system = Actor::system(provider);
    let permanent = |e: weihu_store::StoreError| {
        (
            matches!(e, weihu_store::StoreError::NotFound),
            e.to_string(),
        )
    };
    let (bytes, name) = match kind {
        Some(MailKind::StatementIssued) => {
            let st = weihu_store::statements::get(store, &system, ref_id)
                .await
                .map_err(permanent)?;
            crate::documents::statement_pdf(store, &st).await
        }
        Some(MailKind::ReportPublished) => {
            let r = weihu_store::reports::get(store, &system, ref_id)
                .await
                .map_err(permanent)?;
            let tr = Tr(m
                .locale
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(Lang::Zh));
            crate::documents::service_report_pdf(store, &r, tr).await
        }
        _ => return Ok(()),
    }
    .map_err(|e| (false, format!("{e:?}")))?;
    mail.attachments
        .push((name, "application/pdf".into(), bytes));
    Ok(())
}
