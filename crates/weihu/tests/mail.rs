//! The outbox survives `kill -9` (issue #17): a server killed while it drains a queue of mails
//! to a real postfix, then started again, delivers every queued mail, read back over IMAP from
//! dovecot, once. The one mail that can arrive twice is one the relay accepted in the instant
//! before the kill, before its row was marked sent; it is resent with the same `Message-ID`.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use weihu_mail::Limits;
use weihu_mail::imap::{ImapUrl, Mailbox};

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn weihu(dir: &std::path::Path, args: &[&str], vars: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weihu"));
    cmd.args(args).current_dir(dir);
    for var in [
        "DATABASE_URL",
        "WEIHU_CONFIG",
        "WEIHU_DATA_DIR",
        "WEIHU_BIND",
        "WEIHU_SMTP_URL",
        "WEIHU_IMAP_URL",
        "WEIHU_MAIL_FROM",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

async fn count(store: &weihu_store::Store, to: &str, states: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM mail_outbox WHERE to_addr = $1 AND state IN ({states})"
    )))
    .bind(to.to_owned())
    .fetch_one(store.pool())
    .await
    .expect("count the outbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_queue_sends_every_mail_after_restart() {
    let (Some(smtp), Some(host), Some(port)) = (
        env("WEIHU_TEST_SMTP_URL"),
        env("WEIHU_TEST_IMAP_HOST"),
        env("WEIHU_TEST_IMAP_PORT"),
    ) else {
        assert!(
            env("CI").as_deref() != Some("true"),
            "CI=true but no mail servers: run eval \"$(scripts/ensure-mail)\""
        );
        eprintln!("skipped: no WEIHU_TEST_SMTP_URL");
        return;
    };
    let domain = env("WEIHU_TEST_MAIL_DOMAIN").unwrap_or_else(|| "weihu.test".into());
    let password = env("WEIHU_TEST_MAIL_PASSWORD").unwrap_or_else(|| "weihu-test".into());
    let token = weihu_store::credentials::random_token(8)
        .expect("random")
        .to_lowercase();
    // Our Message-IDs carry this run's domain, so earlier runs' mails in the mailbox are told apart.
    let run_domain = format!("run{token}.{domain}");
    let to = format!("other@{domain}");
    let dir = std::env::temp_dir().join(format!("weihu-mail-kill-{token}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let vars = vec![
        ("WEIHU_DATA_DIR", dir.join("data").display().to_string()),
        ("WEIHU_SMTP_URL", smtp.clone()),
        ("WEIHU_MAIL_FROM", format!("Weihu <desk@{run_domain}>")),
        ("WEIHU_MAIL_LEASE_SECONDS", "2".into()),
        ("WEIHU_MAIL_CONCURRENCY", "1".into()),
        ("WEIHU_LOG", "warn".into()),
    ];
    const N: i64 = 400;
    let demo = weihu(&dir, &["demo"], &vars).output().expect("weihu demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let q = weihu(
        &dir,
        &[
            "mail",
            "bench",
            "--to",
            &to,
            "--count",
            &N.to_string(),
            "--no-drain",
        ],
        &vars,
    )
    .output()
    .expect("queue mails");
    assert!(q.status.success(), "{}", String::from_utf8_lossy(&q.stderr));
    let store =
        weihu_store::Store::connect(&weihu_store::Store::sqlite_url_for_dir(&dir.join("data")))
            .await
            .expect("open the database");

    let serve = || {
        weihu(&dir, &["serve", "--bind", "127.0.0.1:0"], &vars)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start weihu serve")
    };
    // Kill -9 once a few dozen are out.
    let mut first = Server(serve());
    let start = Instant::now();
    while count(&store, &to, "'sent'").await < 40 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the sender did not start sending"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.0.kill().expect("kill -9");
    let _ = first.0.wait();
    let sent_at_kill = count(&store, &to, "'sent'").await;
    assert!(
        sent_at_kill < N,
        "killed mid-queue ({sent_at_kill} of {N} sent)"
    );

    // Started again: the rest goes out (claims of the killed sender end with their lease).
    let _second = Server(serve());
    let start = Instant::now();
    while count(&store, &to, "'queued', 'sending'").await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the outbox did not drain after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        count(&store, &to, "'sent'").await,
        N,
        "every mail marked sent"
    );

    // Read back: every mail arrived; at most the one in flight at the kill arrived twice.
    let url = ImapUrl {
        tls: false,
        host,
        port: port.parse().expect("port"),
        user: to.clone(),
        password,
    };
    let start = Instant::now();
    let by_id = loop {
        let mut mb = Mailbox::open(&url, "INBOX").await.expect("IMAP sign-in");
        let all = mb.all().await.expect("IMAP fetch");
        mb.logout().await;
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for f in all {
            if let Ok(m) = weihu_mail::parse(&f.raw, &Limits::default())
                && let Some(id) = m.message_id
                && id.ends_with(&format!("@{run_domain}>"))
            {
                *by_id.entry(id).or_default() += 1;
            }
        }
        if by_id.len() as i64 >= N || start.elapsed() > Duration::from_secs(60) {
            break by_id;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(by_id.len() as i64, N, "every queued mail arrived");
    let twice: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.len() <= 1 && twice.iter().all(|(_, n)| **n == 2),
        "sent more than once: {twice:?}"
    );
    eprintln!(
        "{N} mails, {sent_at_kill} sent before kill -9, {} resent (in flight at the kill)",
        twice.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
