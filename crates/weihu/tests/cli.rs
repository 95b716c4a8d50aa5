//! The operator's command line, run as a real process: calendar tools (SPEC §4 worked examples),
//! backup / restore / export / import that never lose or overwrite data, admin users and tokens,
//! `--help`, and the same demo data on PostgreSQL as on SQLite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use weihu_store::{Backend, testing};

/// A fresh, empty directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "weihu-cli-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }

    fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `weihu ARGS` in `cwd` with no Weihu settings from the environment (so neither a developer's
/// `DATABASE_URL` nor a stray weihu.toml leaks in), plus `env`.
fn weihu_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weihu"));
    cmd.args(args).current_dir(cwd);
    for var in [
        "DATABASE_URL",
        "WEIHU_CONFIG",
        "WEIHU_DATA_DIR",
        "WEIHU_BIND",
        "WEIHU_SECURE_COOKIES",
        "WEIHU_LOG_FORMAT",
        "WEIHU_ADMIN_PASSWORD",
        "WEIHU_NEW_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the weihu binary")
}

fn weihu(cwd: &Path, args: &[&str]) -> Output {
    weihu_in(cwd, args, &[])
}

fn describe(args: &[&str], out: &Output) -> String {
    format!(
        "weihu {}: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `weihu ARGS` and requires success; returns stdout.
#[track_caller]
fn ok(cwd: &Path, args: &[&str]) -> String {
    let out = weihu(cwd, args);
    assert!(out.status.success(), "{}", describe(args, &out));
    String::from_utf8(out.stdout).expect("UTF-8 stdout")
}

/// Runs `weihu ARGS` and requires exit code `code`; returns stderr.
#[track_caller]
fn fails_with(cwd: &Path, args: &[&str], code: i32) -> String {
    let out = weihu(cwd, args);
    assert_eq!(out.status.code(), Some(code), "{}", describe(args, &out));
    String::from_utf8(out.stderr).expect("UTF-8 stderr")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temp path")
}

// ---- calendar tools ---------------------------------------------------------------------

/// SPEC §4's calendar: Mon–Fri 09:00–17:00, Asia/Shanghai, China 2026 holidays.
const CAL_5X8: &str = r#"{"name": "5x8", "time_zone": "Asia/Shanghai",
  "week": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
           "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [], "sun": []},
  "holiday_sets": ["cn-2026"]}"#;

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write a file");
    p
}

#[test]
fn calendar_due_reproduces_spec_examples() {
    let dir = TempDir::new("due");
    let cal = write(&dir, "5x8.json", CAL_5X8);
    let cal = path(&cal);
    // (start, minutes, pause, due) — SPEC §4 examples 1–6.
    let examples: [(&str, &str, Option<&str>, &str); 6] = [
        (
            "2026-03-04T10:00:00+08:00",
            "120",
            None,
            "2026-03-04T12:00:00+08:00",
        ),
        (
            "2026-03-06T16:00:00+08:00",
            "120",
            None,
            "2026-03-09T10:00:00+08:00",
        ),
        (
            "2026-03-07T11:00:00+08:00",
            "60",
            None,
            "2026-03-09T10:00:00+08:00",
        ),
        (
            "2026-03-06T16:00:00+08:00",
            "60",
            None,
            "2026-03-06T17:00:00+08:00",
        ),
        (
            "2026-09-30T15:00:00+08:00",
            "480",
            None,
            "2026-10-08T15:00:00+08:00",
        ),
        (
            "2026-03-04T10:00:00+08:00",
            "240",
            Some("2026-03-04T11:00:00+08:00/2026-03-05T10:00:00+08:00"),
            "2026-03-05T13:00:00+08:00",
        ),
    ];
    for (i, (start, minutes, pause, want)) in examples.iter().enumerate() {
        let mut args = vec![
            "calendar",
            "due",
            "--calendar",
            cal,
            "--start",
            start,
            "--minutes",
            minutes,
        ];
        if let Some(p) = pause {
            args.extend(["--pause", p]);
        }
        let out = ok(&dir.0, &args);
        assert_eq!(
            out,
            format!("{want}\n"),
            "example {}: plain RFC 3339 with +08:00 and nothing else",
            i + 1
        );
    }
    // A start given in UTC answers in the calendar's offset.
    let out = ok(
        &dir.0,
        &[
            "calendar",
            "due",
            "--calendar",
            cal,
            "--start",
            "2026-03-04T02:00:00Z",
            "--minutes",
            "120",
        ],
    );
    assert_eq!(out, "2026-03-04T12:00:00+08:00\n");
    // Without the pause, example 6 is due Wed 14:00.
    let out = ok(
        &dir.0,
        &[
            "calendar",
            "due",
            "--calendar",
            cal,
            "--start",
            "2026-03-04T10:00:00+08:00",
            "--minutes",
            "240",
        ],
    );
    assert_eq!(out, "2026-03-04T14:00:00+08:00\n");
}

#[test]
fn calendar_minutes_and_bad_input() {
    let dir = TempDir::new("minutes");
    let cal = write(&dir, "5x8.json", CAL_5X8);
    let cal = path(&cal);
    let out = ok(
        &dir.0,
        &[
            "calendar",
            "minutes",
            "--calendar",
            cal,
            "--from",
            "2026-09-30T15:00:00+08:00",
            "--to",
            "2026-10-08T15:00:00+08:00",
        ],
    );
    assert_eq!(out, "480\n", "2 h on Wed, holidays, 6 h on Thu Oct 8");
    let out = ok(
        &dir.0,
        &[
            "calendar",
            "minutes",
            "--calendar",
            cal,
            "--from",
            "2026-03-04T11:00:00+08:00",
            "--to",
            "2026-03-05T10:00:00+08:00",
        ],
    );
    assert_eq!(out, "420\n", "example 6's pause is 7 business hours");

    // A bad instant names its flag.
    let err = fails_with(
        &dir.0,
        &[
            "calendar",
            "due",
            "--calendar",
            cal,
            "--start",
            "yesterday",
            "--minutes",
            "60",
        ],
        2,
    );
    assert!(err.contains("--start"), "stderr names --start: {err}");

    // `check` on a valid file lists 14 days.
    let out = ok(&dir.0, &["calendar", "check", cal, "--from", "2026-09-28"]);
    assert!(out.contains("valid"), "{out}");
    assert!(out.contains("2026-10-01"), "{out}");
    assert!(out.contains("2026-10-11"), "{out}");

    // A bad file: exit 2 and the field on stderr.
    let bad = write(
        &dir,
        "overlap.json",
        r#"{"name": "x", "week": {"mon": [["09:00","12:00"],["11:00","17:00"]]}}"#,
    );
    let err = fails_with(&dir.0, &["calendar", "check", path(&bad)], 2);
    assert!(err.contains("week.mon"), "stderr names week.mon: {err}");
    let bad = write(
        &dir,
        "zone.json",
        r#"{"name": "x", "time_zone": "Mars/Base", "week": {"mon": [["09:00","17:00"]]}}"#,
    );
    let err = fails_with(&dir.0, &["calendar", "check", path(&bad)], 2);
    assert!(err.contains("time_zone"), "stderr names time_zone: {err}");
    let bad = write(
        &dir,
        "date.json",
        r#"{"name": "x", "week": {"mon": [["09:00","17:00"]]}, "holidays": ["2026-02-30"]}"#,
    );
    let err = fails_with(&dir.0, &["calendar", "check", path(&bad)], 2);
    assert!(
        err.contains("holidays[0]"),
        "stderr names holidays[0]: {err}"
    );
    let err = fails_with(
        &dir.0,
        &["calendar", "check", path(&dir.join("missing.json"))],
        2,
    );
    assert!(err.contains("missing.json"), "{err}");

    // A calendar with no service hours can never be due.
    let never = write(
        &dir,
        "never.json",
        r#"{"name": "never", "week": {"mon": [], "sat": []}}"#,
    );
    let err = fails_with(
        &dir.0,
        &[
            "calendar",
            "due",
            "--calendar",
            path(&never),
            "--start",
            "2026-03-04T10:00:00+08:00",
            "--minutes",
            "60",
        ],
        2,
    );
    assert!(
        err.contains("no service hours"),
        "stderr explains why: {err}"
    );
    // Checking it says so too, with the input exit code.
    let err = fails_with(&dir.0, &["calendar", "check", path(&never)], 2);
    assert!(
        err.contains("no service hours"),
        "check explains why: {err}"
    );
    // Counting minutes on it is fine: there are none.
    let out = ok(
        &dir.0,
        &[
            "calendar",
            "minutes",
            "--calendar",
            path(&never),
            "--from",
            "2026-03-04T10:00:00+08:00",
            "--to",
            "2026-03-05T10:00:00+08:00",
        ],
    );
    assert_eq!(out, "0\n");
}

// ---- data safety ------------------------------------------------------------------------

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// Exports the data dir `data` to a new file in `dir` and returns its bytes.
fn export(dir: &TempDir, data: &Path, name: &str) -> Vec<u8> {
    let out = dir.join(name);
    ok(
        &dir.0,
        &["--data-dir", path(data), "export", "--out", path(&out)],
    );
    read(&out)
}

/// Rows per table of a portable export.
fn row_counts(export: &[u8]) -> BTreeMap<String, u64> {
    let text = std::str::from_utf8(export).expect("UTF-8 export");
    let mut counts = BTreeMap::new();
    let mut end_rows = None;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if let Some(t) = v["table"].as_str() {
            *counts.entry(t.to_owned()).or_insert(0) += 1;
        } else if v["end"] == true {
            end_rows = v["rows"].as_u64();
        }
    }
    assert_eq!(
        end_rows,
        Some(counts.values().sum()),
        "the end line counts every row"
    );
    counts
}

#[test]
fn backup_restore_export_import_lose_nothing() {
    let dir = TempDir::new("data");
    let (d, d2, d3) = (dir.join("d"), dir.join("d2"), dir.join("d3"));
    ok(&dir.0, &["--data-dir", path(&d), "demo"]);
    // The demo's maintenance plans generate their inspections, so these tables travel too.
    ok(&dir.0, &["--data-dir", path(&d), "maintenance", "generate"]);
    let backup = dir.join("backup.db");
    ok(
        &dir.0,
        &["--data-dir", path(&d), "backup", "--out", path(&backup)],
    );
    ok(
        &dir.0,
        &["--data-dir", path(&d2), "restore", "--from", path(&backup)],
    );
    let e1 = export(&dir, &d, "e1.jsonl");
    let e2 = export(&dir, &d2, "e2.jsonl");
    assert!(
        e1 == e2,
        "the restored backup exports byte for byte like the original"
    );
    let counts = row_counts(&e1);
    assert!(
        counts.get("users").copied().unwrap_or(0) >= 10,
        "{counts:?}"
    );
    assert!(
        counts.get("calendars").copied().unwrap_or(0) >= 3,
        "{counts:?}"
    );

    // Export never overwrites.
    let err = fails_with(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "export",
            "--out",
            path(&dir.join("e1.jsonl")),
        ],
        2,
    );
    assert!(err.contains("exists"), "{err}");
    assert_eq!(read(&dir.join("e1.jsonl")), e1);

    // Restore into a data dir that has data refuses, for both kinds of backup, and changes
    // nothing.
    for from in [&backup, &dir.join("e1.jsonl")] {
        let out = weihu(
            &dir.0,
            &["--data-dir", path(&d2), "restore", "--from", path(from)],
        );
        assert!(
            !out.status.success(),
            "restore into a non-empty dir must fail: {}",
            describe(&["restore", "--from", path(from)], &out)
        );
    }
    assert!(
        export(&dir, &d2, "e2-after.jsonl") == e1,
        "refused restores changed nothing"
    );
    assert_eq!(read(&backup), read(&backup), "the backup file is intact");

    // Import into a fresh dir works; a second import fails and changes nothing.
    ok(
        &dir.0,
        &[
            "--data-dir",
            path(&d3),
            "import",
            "--from",
            path(&dir.join("e1.jsonl")),
        ],
    );
    let e3 = export(&dir, &d3, "e3.jsonl");
    assert_eq!(row_counts(&e3), counts, "the import holds every row");
    assert!(
        e3 == e1,
        "an imported export exports byte for byte the same"
    );
    let out = weihu(
        &dir.0,
        &[
            "--data-dir",
            path(&d3),
            "import",
            "--from",
            path(&dir.join("e1.jsonl")),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a second import is the operator's mistake (exit 2): {}",
        describe(&["import"], &out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already holds data"),
        "and says so: {}",
        describe(&["import"], &out)
    );
    assert!(
        export(&dir, &d3, "e3-after.jsonl") == e3,
        "the failed import changed nothing"
    );

    // A truncated export is refused as a whole.
    let half = &e1[..e1.len() / 2];
    let cut = write(&dir, "half.jsonl", &String::from_utf8_lossy(half));
    let d4 = dir.join("d4");
    let out = weihu(
        &dir.0,
        &["--data-dir", path(&d4), "import", "--from", path(&cut)],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a truncated import is refused as a bad file (exit 2): {}",
        describe(&["import"], &out)
    );
    let e4 = export(&dir, &d4, "e4.jsonl");
    let c4 = row_counts(&e4);
    assert!(
        c4.get("service_orders").copied().unwrap_or(0) == 0
            && c4.get("calendars").copied().unwrap_or(0) == 0,
        "nothing of the truncated import was written: {c4:?}"
    );
}

#[test]
fn admin_tokens_and_users() {
    let dir = TempDir::new("admin");
    let d = dir.join("d");
    ok(&dir.0, &["--data-dir", path(&d), "demo"]);
    let args = [
        "--data-dir",
        path(&d),
        "admin",
        "token",
        "create",
        "--user",
        "wang.fang",
    ];
    let out = ok(&dir.0, &args);
    let token = out.trim();
    assert!(
        token.starts_with("wh_") && !token.contains(char::is_whitespace),
        "stdout is the token alone: {out:?}"
    );
    let second = ok(&dir.0, &args);
    assert_ne!(second.trim(), token, "every token is new");

    let list = ok(&dir.0, &["--data-dir", path(&d), "admin", "user", "list"]);
    assert!(
        list.lines().any(|l| l.contains("wang.fang")),
        "admin user list shows wang.fang: {list}"
    );
    let tokens = ok(&dir.0, &["--data-dir", path(&d), "admin", "token", "list"]);
    assert!(!tokens.contains(token), "token list never shows secrets");

    let err = fails_with(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "admin",
            "token",
            "create",
            "--user",
            "nobody.here",
        ],
        2,
    );
    assert!(err.contains("nobody.here"), "{err}");
}

#[test]
fn serve_refuses_an_unknown_time_zone_before_it_starts() {
    let dir = TempDir::new("tz");
    let d = dir.join("data");
    let err = fails_with(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--time-zone",
            "Mars/Olympus_Mons",
        ],
        2,
    );
    assert!(
        err.contains("--time-zone") && err.contains("Mars/Olympus_Mons"),
        "names the option and the value: {err}"
    );
}

#[test]
fn help_mentions_every_documented_option() {
    let dir = TempDir::new("help");
    let out = ok(&dir.0, &["--help"]);
    for opt in ["--data-dir", "--database-url", "--log-format", "--config"] {
        assert!(out.contains(opt), "--help mentions {opt}:\n{out}");
    }
    // Options that mean something only to the server are offered only there.
    let serve = ok(&dir.0, &["serve", "--help"]);
    for opt in [
        "--bind",
        "--secure-cookies",
        "--public-url",
        "--time-zone",
        "--login-lock-minutes",
    ] {
        assert!(serve.contains(opt), "serve --help mentions {opt}:\n{serve}");
        assert!(!out.contains(opt), "--help does not offer {opt}:\n{out}");
    }
    let generate = ok(&dir.0, &["generate", "--help"]);
    assert!(
        !generate.contains("--bind") && !generate.contains("--secure-cookies"),
        "generate offers no server options:\n{generate}"
    );
    for cmd in [
        "serve", "migrate", "demo", "admin", "backup", "restore", "export", "import", "calendar",
    ] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(cmd)),
            "--help lists the {cmd} subcommand:\n{out}"
        );
    }
}

#[test]
fn postgres_demo_exports_like_sqlite() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(url) = runtime.block_on(testing::fresh_database(Backend::Postgres)) else {
        return;
    };
    let dir = TempDir::new("pg");
    let pg_env = [("DATABASE_URL", url.as_str())];
    let run = |args: &[&str]| {
        let out = weihu_in(&dir.0, args, &pg_env);
        assert!(out.status.success(), "{}", describe(args, &out));
    };
    run(&["demo"]);
    let pg_export = dir.join("pg.jsonl");
    run(&["export", "--out", path(&pg_export)]);

    let sqlite = dir.join("sqlite");
    ok(&dir.0, &["--data-dir", path(&sqlite), "demo"]);
    let sqlite_export = export(&dir, &sqlite, "sqlite.jsonl");

    let pg_counts = row_counts(&read(&pg_export));
    let sqlite_counts = row_counts(&sqlite_export);
    assert_eq!(
        pg_counts, sqlite_counts,
        "demo rows per table, PostgreSQL vs SQLite"
    );

    // The PostgreSQL export imports into a fresh SQLite dir with the same counts.
    let moved = dir.join("moved");
    ok(
        &dir.0,
        &[
            "--data-dir",
            path(&moved),
            "import",
            "--from",
            path(&pg_export),
        ],
    );
    assert_eq!(
        row_counts(&export(&dir, &moved, "moved.jsonl")),
        pg_counts,
        "PostgreSQL → SQLite keeps every row"
    );
}

// ---- fresh install without --demo (issue #11) -------------------------------------------

/// Two instances bootstrap an empty database at once (`weihu admin user list` bootstraps like
/// `serve`); then there is one built-in calendar and one default policy, a new order gets its
/// clocks, and the demo still loads on top, reusing them. `migrate_first`: two processes
/// migrating one new SQLite file at the same moment is a separate (migration) race, so on SQLite
/// the schema is created first and only the bootstrap runs concurrently.
fn fresh_install_starts_clocks(url: &str, migrate_first: bool) {
    let dir = TempDir::new("fresh");
    let env = [("DATABASE_URL", url)];
    if migrate_first {
        let out = weihu_in(&dir.0, &["migrate"], &env);
        assert!(out.status.success(), "{}", describe(&["migrate"], &out));
    }
    let args = ["admin", "user", "list"];
    let outs: Vec<Output> = std::thread::scope(|s| {
        let a = s.spawn(|| weihu_in(&dir.0, &args, &env));
        let b = s.spawn(|| weihu_in(&dir.0, &args, &env));
        [a, b]
            .into_iter()
            .map(|h| h.join().expect("a bootstrap thread"))
            .collect()
    });
    for out in &outs {
        assert!(out.status.success(), "{}", describe(&args, out));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let store = weihu_store::Store::connect(url).await.expect("connect");
        let count = |sql: &'static str| {
            let store = store.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(store.pool())
                    .await
                    .expect("count")
            }
        };
        assert_eq!(count("SELECT count(*) FROM sla_policies").await, 1);
        assert_eq!(
            count("SELECT count(*) FROM sla_policies WHERE is_default = 1").await,
            1
        );
        assert_eq!(count("SELECT count(*) FROM calendars").await, 1);
        let (provider, _) = weihu_store::organizations::provider(&store)
            .await
            .expect("provider")
            .expect("the provider exists");
        let system = weihu_store::Actor::system(provider);
        let policies = weihu_store::calendars::list_policies(&store, &system, &Default::default())
            .await
            .expect("policies");
        let policy = &policies.items[0];
        assert_eq!(policy.name, weihu_store::calendars::BUILTIN_POLICY);
        assert_eq!(
            policy.definition["targets"]["P3"]["resolution"]["minutes"], 480,
            "SPEC §4 targets: {}",
            policy.definition
        );
        let client = weihu_store::organizations::create(
            &store,
            &system,
            &weihu_store::organizations::NewOrganization {
                code: "FRESH".into(),
                name: "新装客户".into(),
                ..Default::default()
            },
        )
        .await
        .expect("a client");
        let new: weihu_store::orders::NewOrder = serde_json::from_value(serde_json::json!({
            "client_org_id": client.id, "requester_name": "张三", "category": "network",
            "urgency": "high", "impact": "high", "subject": "新装后的第一张工单"}))
        .expect("a new order");
        let order = weihu_store::orders::create(&store, &system, &new)
            .await
            .expect("create an order");
        let kinds: Vec<&str> = order.clocks.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["response", "resolution"], "{:?}", order.clocks);
        assert!(
            order
                .clocks
                .iter()
                .all(|c| c.calendar == weihu_store::calendars::BUILTIN_CALENDAR
                    && c.due_at.is_some())
        );
        store.close().await;
    });
    // The demo loads on top and reuses the built-in policy as its default.
    let out = weihu_in(&dir.0, &["demo"], &env);
    assert!(out.status.success(), "{}", describe(&["demo"], &out));
    runtime.block_on(async {
        let store = weihu_store::Store::connect(url).await.expect("connect");
        let defaults: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sla_policies WHERE is_default = 1")
                .fetch_all(store.pool())
                .await
                .expect("defaults");
        assert_eq!(defaults, [weihu_store::calendars::BUILTIN_POLICY]);
        store.close().await;
    });
}

#[test]
fn fresh_install_without_demo_starts_clocks_sqlite() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let url = runtime
        .block_on(testing::fresh_database(Backend::Sqlite))
        .expect("a SQLite database");
    fresh_install_starts_clocks(&url, true);
}

#[test]
fn fresh_install_without_demo_starts_clocks_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(url) = runtime.block_on(testing::fresh_database(Backend::Postgres)) else {
        return;
    };
    fresh_install_starts_clocks(&url, false);
}

/// `calendar due` past the last year of holiday data says so on stderr; stdout stays the due.
#[test]
fn calendar_due_warns_beyond_holiday_years() {
    let dir = TempDir::new("years");
    let cal = write(&dir, "5x8.json", CAL_5X8);
    let args = [
        "calendar",
        "due",
        "--calendar",
        path(&cal),
        "--start",
        "2026-12-31T16:00:00+08:00",
        "--minutes",
        "120",
    ];
    let out = weihu(&dir.0, &args);
    assert!(out.status.success(), "{}", describe(&args, &out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "2027-01-01T10:00:00+08:00",
        "without 2027 data, Jan 1 counts as a working day"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning") && err.contains("2027") && err.contains("import"),
        "{err}"
    );
    // Inside 2026: no warning.
    let inside = weihu(
        &dir.0,
        &[
            "calendar",
            "due",
            "--calendar",
            path(&cal),
            "--start",
            "2026-03-04T10:00:00+08:00",
            "--minutes",
            "120",
        ],
    );
    assert!(inside.stderr.is_empty(), "{}", describe(&args, &inside));
}

#[test]
fn reports_draft_every_client_and_refuse_a_bad_month() {
    let dir = TempDir::new("reports");
    let d = dir.join("d");
    ok(&dir.0, &["--data-dir", path(&d), "demo"]);
    let out = ok(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "reports",
            "draft",
            "--month",
            "2026-03",
        ],
    );
    // The demo's four clients, none with a report of March yet.
    assert!(
        out.contains("2026-03: 4 reports drafted, 0 failed"),
        "summary: {out}"
    );
    let again = ok(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "reports",
            "draft",
            "--month",
            "2026-03",
        ],
    );
    assert!(
        again.contains("0 reports drafted"),
        "drafts are refreshed, not doubled: {again}"
    );
    let err = fails_with(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "reports",
            "draft",
            "--month",
            "March",
        ],
        2,
    );
    assert!(err.contains("month"), "names the argument: {err}");
    let err = fails_with(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "reports",
            "build",
            "--client",
            "999999",
            "--month",
            "2026-03",
        ],
        2,
    );
    assert!(err.contains("--client"), "names the argument: {err}");
}

/// `weihu maintenance generate` runs the plans' job once: the demo's plans generate their
/// inspections, a second run generates nothing more, and `week` lists and times them.
#[test]
fn maintenance_generate_is_idempotent_and_week_lists_them() {
    let dir = TempDir::new("maintenance");
    let d = dir.join("d");
    ok(&dir.0, &["--data-dir", path(&d), "demo"]);
    let created = |out: &str| -> u64 {
        out.split("inspections created: ")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("a summary: {out}"))
    };
    let first = ok(&dir.0, &["--data-dir", path(&d), "maintenance", "generate"]);
    assert!(
        created(&first) >= 5,
        "every demo plan has an inspection ahead: {first}"
    );
    let again = ok(&dir.0, &["--data-dir", path(&d), "maintenance", "generate"]);
    assert_eq!(created(&again), 0, "{again}");
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").expect("zone"))
        .date()
        .to_string();
    let week = ok(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "maintenance",
            "week",
            "--from",
            &today,
            "--runs",
            "2",
        ],
    );
    assert!(
        week.contains("run 2:") && week.contains("inspections from"),
        "{week}"
    );
    let bad = weihu(
        &dir.0,
        &[
            "--data-dir",
            path(&d),
            "maintenance",
            "generate",
            "--today",
            "2026-13-01",
        ],
    );
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        describe(&["maintenance"], &bad)
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--today"));
}
