//! Mail through real servers (issue #17): Debian's postfix (SMTP) and dovecot (IMAP), started by
//! `scripts/ensure-mail`. A notification goes out through SMTP and is read back over IMAP
//! (subject with the number, language, link, threading headers); a new fault and a reply go in
//! through the desk's IMAP mailbox; the statement reaches the client admin with its PDF.
//! SQLite only: the two backends share these mailboxes, and the store's side of mail runs on
//! both in `mail.rs`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use weihu_mail::imap::{ImapUrl, Mailbox};
use weihu_mail::{Limits, Smtp};
use weihu_web::mail::intake::{Intake, Outcome};
use weihu_web::mail::poll::Poller;
use weihu_web::mail::send::{Sender, drain_once};

use crate::helpers::TestApp;

struct MailEnv {
    smtp: String,
    host: String,
    port: u16,
    domain: String,
    password: String,
}

impl MailEnv {
    /// The servers from `eval "$(scripts/ensure-mail)"`; in CI they must be there.
    fn from_env() -> Option<MailEnv> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (
            var("WEIHU_TEST_SMTP_URL"),
            var("WEIHU_TEST_IMAP_HOST"),
            var("WEIHU_TEST_IMAP_PORT"),
        ) {
            (Some(smtp), Some(host), Some(port)) => Some(MailEnv {
                smtp,
                host,
                port: port.parse().expect("WEIHU_TEST_IMAP_PORT is a port"),
                domain: var("WEIHU_TEST_MAIL_DOMAIN").unwrap_or_else(|| "weihu.test".into()),
                password: var("WEIHU_TEST_MAIL_PASSWORD").unwrap_or_else(|| "weihu-test".into()),
            }),
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but no mail servers: run eval \"$(scripts/ensure-mail)\" first"
                );
                eprintln!("skipped: no WEIHU_TEST_SMTP_URL (run eval \"$(scripts/ensure-mail)\")");
                None
            }
        }
    }

    fn address(&self, user: &str) -> String {
        format!("{user}@{}", self.domain)
    }

    fn imap(&self, user: &str) -> ImapUrl {
        ImapUrl {
            tls: false,
            host: self.host.clone(),
            port: self.port,
            user: self.address(user),
            password: self.password.clone(),
        }
    }
}

/// Waits (up to 30 s) for a message in `user`'s mailbox whose subject contains `marker` or whose
/// `Message-ID` is `marker`.
async fn wait_for(env: &MailEnv, user: &str, marker: &str) -> (Vec<u8>, weihu_mail::Incoming) {
    for _ in 0..60 {
        let mut mb = Mailbox::open(&env.imap(user), "INBOX")
            .await
            .expect("IMAP sign-in");
        let all = mb.all().await.expect("IMAP fetch");
        mb.logout().await;
        for f in all.into_iter().rev() {
            if let Ok(m) = weihu_mail::parse(&f.raw, &Limits::default())
                && (m.subject.contains(marker) || m.message_id.as_deref() == Some(marker))
            {
                return (f.raw, m);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("no mail with {marker:?} reached {user}");
}

async fn drain(app: &TestApp, sender: &Arc<Sender>) {
    for _ in 0..100 {
        let d = drain_once(&app.store, sender)
            .await
            .expect("drain the outbox");
        if d.sent + d.retried + d.failed == 0 {
            return;
        }
    }
    panic!("the outbox did not drain");
}

async fn me(app: &TestApp, user: &str, patch: Value) {
    let version = app.get_ok("/api/v1/me", user).await["version"].clone();
    let mut body = patch;
    body["version"] = version;
    let (status, out) = app.patch("/api/v1/me", Some(user), &body).await;
    assert_eq!(status, 200, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_and_replies_through_real_servers() {
    let Some(env) = MailEnv::from_env() else {
        return;
    };
    let Some(app) = TestApp::spawn(weihu_store::Backend::Sqlite).await else {
        return;
    };
    let token = weihu_store::credentials::random_token(6).expect("random");
    let client = env.address("client");
    me(&app, "wu.li", json!({"email": client, "locale": "en"})).await;
    // The administrator of the hospital, whose November statement waits to be issued.
    me(&app, "qian.min", json!({"email": env.address("other")})).await;
    let sender = Arc::new(Sender {
        smtp: Smtp::from_url(&env.smtp).expect("SMTP URL"),
        from: format!("Weihu Desk <{}>", env.address("desk")),
        domain: env.domain.clone(),
        base: app.base.clone(),
        lease: Duration::from_secs(60),
        concurrency: 4,
        idle: Duration::from_millis(200),
    });

    // Out: "order received" to the requester, in English, threaded under the order.
    let (status, o) = app
        .post(
            "/api/v1/orders",
            Some("wu.li"),
            &json!({"category": "hardware", "urgency": "medium", "impact": "medium",
                    "subject": format!("Printer jammed {token}"), "description": "3rd floor"}),
        )
        .await;
    assert_eq!(status, 201, "{o}");
    let oid = o["id"].as_i64().expect("id");
    let number = o["number"].as_str().expect("number").to_owned();
    drain(&app, &sender).await;
    let (raw, m) = wait_for(&env, "client", &token).await;
    let raw = String::from_utf8_lossy(&raw).to_string();
    assert_eq!(
        m.subject,
        format!("[{number}] Received: Printer jammed {token}")
    );
    assert_eq!(
        m.in_reply_to,
        vec![weihu_mail::order_thread_id(oid, &env.domain)]
    );
    assert_eq!(
        m.references,
        vec![weihu_mail::order_thread_id(oid, &env.domain)]
    );
    let notification_id = m.message_id.clone().expect("a Message-ID");
    assert!(
        matches!(
            weihu_mail::our_id(&notification_id, &env.domain),
            Some(weihu_mail::OurId::Outbox(_))
        ),
        "{notification_id}"
    );
    assert!(raw.contains("Content-Language: en"), "{raw}");
    assert!(raw.contains("text/html"), "an HTML alternative: {raw}");
    assert!(
        m.text.contains(&format!("{}/orders/{oid}", app.base)),
        "link: {}",
        m.text
    );
    assert!(
        m.text.contains("We have received your fault report"),
        "English: {}",
        m.text
    );
    let sent = app
        .get_ok(&format!("/api/v1/mail/outbox?order_id={oid}"), "it.admin")
        .await;
    assert_eq!(sent["items"][0]["state"], "sent", "{sent}");

    // In: a reply to that mail (In-Reply-To only, no number in the subject) and a new fault,
    // both sent by the client's mail program to the desk's mailbox and taken by the poller.
    let relay = Smtp::from_url(&env.smtp).expect("SMTP URL");
    let desk = env.address("desk");
    let reply = format!(
        "From: Wu Li <{client}>\r\nTo: {desk}\r\nSubject: Re: still broken\r\nMessage-ID: <reply-{token}@{d}>\r\n\
         In-Reply-To: {notification_id}\r\nReferences: {notification_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Still jammed after new paper.\r\n\r\nOn Wed, Weihu Desk <{desk}> wrote:\r\n> We have received your fault report.\r\n",
        d = env.domain
    );
    relay
        .send_raw(&client, &desk, reply.as_bytes())
        .await
        .expect("send the reply");
    let fresh = format!(
        "From: Wu Li <{client}>\r\nTo: {desk}\r\nSubject: =?UTF-8?B?{}?=\r\nMessage-ID: <new-{token}@{d}>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe scanner on floor 2 shows E05.\r\n",
        base64_utf8(&format!("扫描仪故障 {token}")),
        d = env.domain
    );
    relay
        .send_raw(&client, &desk, fresh.as_bytes())
        .await
        .expect("send the new fault");
    let poller = Poller {
        url: env.imap("desk"),
        mailbox: "INBOX".into(),
        interval: Duration::from_secs(60),
        intake: Intake::new(env.domain.clone(), Limits::default()),
        batch: 50,
    };
    let mut outcomes = Vec::new();
    for _ in 0..60 {
        outcomes.extend(
            weihu_web::mail::poll::poll_once(&app.store, &poller)
                .await
                .expect("poll"),
        );
        let comment = outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Comment { order_id, .. } if *order_id == oid));
        let order = outcomes.iter().any(|o| matches!(o, Outcome::Order { .. }));
        if comment && order {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, events) = app
        .get(&format!("/api/v1/orders/{oid}/events"), Some("wang.fang"))
        .await;
    let comments: Vec<&str> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "comment")
        .filter_map(|e| e["body"].as_str())
        .collect();
    assert_eq!(
        comments,
        vec!["Still jammed after new paper."],
        "{outcomes:?}"
    );
    let new_order = outcomes
        .iter()
        .find_map(|o| match o {
            Outcome::Order { order_id, .. } => Some(*order_id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a new order: {outcomes:?}"));
    let n = app
        .get_ok(&format!("/api/v1/orders/{new_order}"), "wang.fang")
        .await;
    assert_eq!(n["subject"], format!("扫描仪故障 {token}"));
    assert_eq!(n["channel"], "email");
    // Polled again: nothing new (the messages are flagged seen, and taken once anyway).
    let again = weihu_web::mail::poll::poll_once(&app.store, &poller)
        .await
        .expect("poll");
    assert!(
        again
            .iter()
            .all(|o| !matches!(o, Outcome::Order { .. } | Outcome::Comment { .. })),
        "{again:?}"
    );

    // The statement reaches the client's administrator with its PDF.
    let client_org = app.get_ok("/api/v1/me", "qian.min").await["org_id"]
        .as_i64()
        .expect("org");
    let st = issue_statement(&app, client_org).await;
    // And the month's service-level report, published.
    let (status, r) = app
        .post(
            "/api/v1/service-level-reports",
            Some("zhao.min"),
            &json!({"client_org_id": client_org, "month": last_month()}),
        )
        .await;
    assert!(status == 201 || status == 200, "{r}");
    let rid = r["id"].as_i64().expect("report id");
    let (status, p) = app
        .post(
            &format!("/api/v1/service-level-reports/{rid}/publish"),
            Some("zhao.min"),
            &json!({"version": r["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    drain(&app, &sender).await;
    // The mailbox keeps earlier runs' mails (numbers repeat in a fresh database): these are
    // found by this run's Message-IDs.
    let statement_mail = sent_id(&app, "statement_issued", &env).await;
    let (_, m) = wait_for(&env, "other", &statement_mail).await;
    assert!(m.subject.contains(&st), "{}", m.subject);
    let pdf = m
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("a PDF attachment");
    assert!(pdf.bytes.starts_with(b"%PDF"), "a PDF");
    assert!(m.text.contains("对账单"), "zh-CN by default: {}", m.text);
    let report_mail = sent_id(&app, "report_published", &env).await;
    let (_, m) = wait_for(&env, "other", &report_mail).await;
    assert!(m.subject.contains("服务水平报告已发布"), "{}", m.subject);
    let pdf = m
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("the report's PDF attached");
    assert!(pdf.bytes.starts_with(b"%PDF"), "a PDF");
}

/// The `Message-ID` of this run's latest sent mail of `kind` to the `other` mailbox.
async fn sent_id(app: &TestApp, kind: &str, env: &MailEnv) -> String {
    let row: (i64, i64, String) = sqlx::query_as(
        "SELECT id, created_at, state FROM mail_outbox WHERE kind = $1 AND to_addr = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(env.address("other"))
    .fetch_one(app.store.pool())
    .await
    .unwrap_or_else(|e| panic!("a {kind} mail in the outbox: {e}"));
    assert_eq!(row.2, "sent", "the {kind} mail went out");
    weihu_mail::outbox_message_id(row.0, row.1, &env.domain)
}

fn last_month() -> String {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    today
        .first_of_month()
        .checked_sub(jiff::Span::new().days(1))
        .expect("last month")
        .strftime("%Y-%m")
        .to_string()
}

fn base64_utf8(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// Issues a statement of `client` (last month's, generated when there is none) and returns its
/// number.
async fn issue_statement(app: &TestApp, client: i64) -> String {
    let month = last_month();
    let (status, sum) = app
        .post(
            "/api/v1/statements/generate",
            Some("liu.yang"),
            &json!({"month": month}),
        )
        .await;
    assert_eq!(status, 200, "{sum}");
    let list = app.get_ok("/api/v1/statements?limit=100", "liu.yang").await;
    let s = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| {
            s["client_org_id"] == client && (s["state"] == "draft" || s["state"] == "reviewed")
        })
        .cloned()
        .unwrap_or_else(|| panic!("a statement of client {client} to issue: {list}"));
    let id = s["id"].as_i64().expect("id");
    let mut version = s["version"].clone();
    if s["state"] == "draft" {
        let (status, r) = app
            .post(
                &format!("/api/v1/statements/{id}/review"),
                Some("liu.yang"),
                &json!({"version": version}),
            )
            .await;
        assert_eq!(status, 200, "{r}");
        version = r["version"].clone();
    }
    let (status, issued) = app
        .post(
            &format!("/api/v1/statements/{id}/issue"),
            Some("liu.yang"),
            &json!({"version": version}),
        )
        .await;
    assert_eq!(status, 200, "{issued}");
    issued["number"].as_str().expect("number").to_owned()
}
