//! Mail settings shared by `serve` and `weihu mail …`, and the mail subcommands: `receive` (one
//! message on standard input, for an MTA that delivers to a command), `send` (drain the outbox
//! once), `poll` (the IMAP mailbox once) and `bench` (how fast the outbox drains).

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use weihu_mail::imap::ImapUrl;
use weihu_mail::{Limits, Smtp};
use weihu_store::Store;
use weihu_web::mail::intake::Intake;
use weihu_web::mail::poll::Poller;
use weihu_web::mail::send::Sender;
use weihu_web::mail::{MailStatus, without_credentials};

use super::{Failure, open};
use crate::config::Settings;

/// How Weihu sends and receives mail. Without `--smtp-url` mail is off: mails are queued in the
/// outbox (the administrator's Mail page shows them) and nothing is sent.
#[derive(Args, Debug, Clone, Default)]
pub struct MailArgs {
    /// The SMTP relay in lettre's URL form: smtps://user:pass@host:465,
    /// smtp://user:pass@host:587?tls=required, or smtp://127.0.0.1:25 for a local relay.
    #[arg(long, env = "WEIHU_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of every mail, e.g. "Weihu 维护 <desk@example.com>"; its domain names our
    /// Message-IDs, which is how replies find their order.
    #[arg(long, env = "WEIHU_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// The support mailbox to poll: imaps://user:pass@host:993 (or imap://… for a local server).
    #[arg(long, env = "WEIHU_IMAP_URL")]
    pub imap_url: Option<String>,
    /// The folder polled.
    #[arg(long, env = "WEIHU_IMAP_MAILBOX", default_value = "INBOX")]
    pub imap_mailbox: String,
    /// Seconds between polls.
    #[arg(long, env = "WEIHU_IMAP_INTERVAL", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(5..=86_400))]
    pub imap_interval: u64,
    /// Largest message taken, in bytes (larger ones are recorded and left alone).
    #[arg(long, env = "WEIHU_MAIL_MAX_BYTES", default_value_t = 25 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(10_000..=200 * 1024 * 1024))]
    pub mail_max_bytes: u64,
    /// Mails sent at once.
    #[arg(long, env = "WEIHU_MAIL_CONCURRENCY", default_value_t = 4,
          value_parser = clap::value_parser!(u64).range(1..=32))]
    pub mail_concurrency: u64,
    /// Seconds a claimed mail stays with its sender before another instance may take it (a
    /// sender killed mid-send leaves its mails for this long).
    #[arg(long, env = "WEIHU_MAIL_LEASE_SECONDS", default_value_t = 120, hide = true,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub mail_lease_seconds: u64,
}

const DEFAULT_FROM: &str = "Weihu 维护 <weihu@localhost>";

impl MailArgs {
    pub fn from(&self) -> String {
        self.mail_from
            .clone()
            .filter(|f| !f.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_FROM.to_owned())
    }

    pub fn domain(&self) -> String {
        weihu_mail::domain_of(&self.from()).to_owned()
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_bytes: usize::try_from(self.mail_max_bytes).unwrap_or(usize::MAX),
            ..Limits::default()
        }
    }

    pub fn status(&self) -> MailStatus {
        MailStatus {
            relay: self
                .smtp_url
                .as_deref()
                .filter(|u| !u.is_empty())
                .map(without_credentials),
            from: self.from(),
            imap: self
                .imap_url
                .as_deref()
                .filter(|u| !u.is_empty())
                .map(|u| format!("{} ({})", without_credentials(u), self.imap_mailbox)),
        }
    }

    pub fn intake(&self) -> Intake {
        Intake::new(self.domain(), self.limits())
    }

    /// Checks the settings before anything starts: a bad URL or sender is said at once.
    pub fn check(&self) -> Result<(), Failure> {
        if let Some(u) = self.smtp_url.as_deref().filter(|u| !u.is_empty()) {
            Smtp::from_url(u).map_err(|e| Failure::input(format!("--smtp-url: {e}")))?;
        }
        let probe = weihu_mail::Outgoing {
            from: self.from(),
            to: "probe@example.com".into(),
            to_name: String::new(),
            subject: String::new(),
            text: String::new(),
            html: String::new(),
            message_id: "<probe@example.com>".into(),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
            language: "en".into(),
        };
        probe
            .to_message()
            .map_err(|e| Failure::input(format!("--mail-from: {e}")))?;
        if let Some(u) = self.imap_url.as_deref().filter(|u| !u.is_empty()) {
            ImapUrl::parse(u).map_err(|e| Failure::input(format!("--imap-url: {e}")))?;
        }
        Ok(())
    }

    /// The sender, when an SMTP relay is set.
    pub fn sender(&self, public_url: Option<&str>) -> Result<Option<Arc<Sender>>, Failure> {
        let Some(url) = self.smtp_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let smtp = Smtp::from_url(url).map_err(|e| Failure::input(format!("--smtp-url: {e}")))?;
        Ok(Some(Arc::new(Sender {
            smtp,
            from: self.from(),
            domain: self.domain(),
            base: public_url
                .unwrap_or("http://localhost:8080")
                .trim_end_matches('/')
                .to_owned(),
            lease: Duration::from_secs(self.mail_lease_seconds),
            concurrency: usize::try_from(self.mail_concurrency).unwrap_or(4),
            idle: Duration::from_secs(2),
        })))
    }

    /// The IMAP poller, when a mailbox is set.
    pub fn poller(&self) -> Result<Option<Arc<Poller>>, Failure> {
        let Some(url) = self.imap_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let url = ImapUrl::parse(url).map_err(|e| Failure::input(format!("--imap-url: {e}")))?;
        Ok(Some(Arc::new(Poller {
            url,
            mailbox: self.imap_mailbox.clone(),
            interval: Duration::from_secs(self.imap_interval),
            intake: self.intake(),
            batch: 50,
        })))
    }
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Take one RFC 5322 message from standard input (for an MTA that delivers to a command):
    /// a new order, a comment, the review queue, or recorded only (auto-replies, bounces).
    Receive {
        #[command(flatten)]
        mail: MailArgs,
        /// Where it came from, as the inbox shows it.
        #[arg(long, default_value = "command")]
        source: String,
    },
    /// Send every due mail in the outbox now, then exit.
    Send {
        #[command(flatten)]
        mail: MailArgs,
        /// The public base URL for links in mails.
        #[arg(long, env = "WEIHU_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Poll the IMAP mailbox once, then exit.
    Poll {
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Queue COUNT mails to one address and time the outbox draining them through the relay.
    Bench {
        #[command(flatten)]
        mail: MailArgs,
        /// The address every test mail goes to.
        #[arg(long)]
        to: String,
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        count: u64,
        /// Only queue them (a running `weihu serve` sends them).
        #[arg(long)]
        no_drain: bool,
    },
}

pub async fn run(settings: &Settings, c: MailCommand) -> Result<(), Failure> {
    match c {
        MailCommand::Receive { mail, source } => {
            mail.check()?;
            let limits = mail.limits();
            let mut raw = Vec::new();
            // One byte past the limit is enough to know it is too big.
            std::io::stdin()
                .take(limits.max_bytes as u64 + 1)
                .read_to_end(&mut raw)?;
            let store = open(settings).await?;
            let outcome =
                weihu_web::mail::intake::receive(&store, &mail.intake(), &raw, &source).await?;
            println!("{}", outcome.describe());
            Ok(())
        }
        MailCommand::Send { mail, public_url } => {
            mail.check()?;
            let store = open(settings).await?;
            let sender = mail.sender(public_url.as_deref())?.ok_or_else(|| {
                Failure::input("--smtp-url (or WEIHU_SMTP_URL) is needed to send")
            })?;
            let (sent, retried, failed, took) = drain(&store, &sender).await?;
            println!(
                "sent {sent}, to retry {retried}, failed {failed} in {:.1} s",
                took.as_secs_f64()
            );
            Ok(())
        }
        MailCommand::Poll { mail } => {
            mail.check()?;
            let store = open(settings).await?;
            let poller = mail.poller()?.ok_or_else(|| {
                Failure::input("--imap-url (or WEIHU_IMAP_URL) is needed to poll")
            })?;
            let outcomes = weihu_web::mail::poll::poll_once(&store, &poller)
                .await
                .map_err(|e| Failure {
                    code: 1,
                    message: e,
                })?;
            for o in &outcomes {
                println!("{}", o.describe());
            }
            println!("{} messages taken", outcomes.len());
            Ok(())
        }
        MailCommand::Bench {
            mail,
            to,
            count,
            no_drain,
        } => {
            mail.check()?;
            let store = open(settings).await?;
            if no_drain {
                let queued = weihu_store::mail::outbox::enqueue_bench(
                    &store,
                    &to,
                    i64::try_from(count).unwrap_or(1000),
                )
                .await?;
                println!("queued {queued} mails to {to}");
                return Ok(());
            }
            let sender = mail.sender(None)?.ok_or_else(|| {
                Failure::input("--smtp-url (or WEIHU_SMTP_URL) is needed to send")
            })?;
            let queued = weihu_store::mail::outbox::enqueue_bench(
                &store,
                &to,
                i64::try_from(count).unwrap_or(1000),
            )
            .await?;
            println!(
                "queued {queued} mails to {to}; draining through {}",
                without_credentials(mail.smtp_url.as_deref().unwrap_or(""))
            );
            let (sent, retried, failed, took) = drain(&store, &sender).await?;
            println!(
                "sent {sent} (to retry {retried}, failed {failed}) in {:.2} s: {:.0} mails/s with {} at once",
                took.as_secs_f64(),
                sent as f64 / took.as_secs_f64().max(0.001),
                sender.concurrency
            );
            Ok(())
        }
    }
}

/// Drains until nothing is due, with a progress line every second.
async fn drain(
    store: &Store,
    sender: &Arc<Sender>,
) -> Result<(usize, usize, usize, Duration), Failure> {
    let start = Instant::now();
    let mut last = Instant::now();
    let (mut sent, mut retried, mut failed) = (0, 0, 0);
    loop {
        let d = weihu_web::mail::send::drain_once(store, sender).await?;
        if d.sent + d.retried + d.failed == 0 {
            break;
        }
        sent += d.sent;
        retried += d.retried;
        failed += d.failed;
        if last.elapsed() >= Duration::from_secs(1) {
            eprintln!("  … {sent} sent, {retried} to retry, {failed} failed");
            last = Instant::now();
        }
    }
    Ok((sent, retried, failed, start.elapsed()))
}
