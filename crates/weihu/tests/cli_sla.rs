//! `weihu sla availability`: SPEC §9 availability from a calendar file and outages, no database.

use std::path::PathBuf;
use std::process::{Command, Output};

const CAL_5X8: &str = r#"{"name": "5x8", "time_zone": "Asia/Shanghai",
  "week": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
           "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [], "sun": []},
  "holiday_sets": ["cn-2026"]}"#;

/// A calendar file in a fresh temporary directory (removed with the returned guard).
struct Cal(PathBuf);

impl Cal {
    fn new(tag: &str) -> Cal {
        let dir = std::env::temp_dir().join(format!("weihu-sla-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("5x8.json");
        std::fs::write(&file, CAL_5X8).expect("write the calendar");
        Cal(file)
    }
    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for Cal {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn sla(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weihu"))
        .arg("sla")
        .arg("availability")
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run weihu")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = sla(args);
    assert!(
        out.status.success(),
        "weihu sla availability {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn refused(args: &[&str], names: &str) {
    let out = sla(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?} exits 2: {err}");
    assert!(err.contains(names), "{args:?}: stderr names {names}: {err}");
}

#[test]
fn march_with_overlapping_excluded_and_night_outages() {
    let cal = Cal::new("march");
    // March 2026: 22 working days × 8 h = 633,600 s agreed.
    let v = json(&[
        "--calendar",
        cal.path(),
        "--from",
        "2026-03-01T00:00:00+08:00",
        "--to",
        "2026-04-01T00:00:00+08:00",
        // 10:00–12:00 and 11:00–13:00 overlap: 3 h down, two interruptions.
        "--outage",
        "2026-03-04T10:00:00+08:00/2026-03-04T12:00:00+08:00",
        "--outage",
        "2026-03-04T11:00:00+08:00/2026-03-04T13:00:00+08:00",
        // Force majeure: not counted.
        "--outage",
        "2026-03-05T10:00:00+08:00/2026-03-05T16:00:00+08:00/excluded",
        // Over night: 16:00–17:00 and 09:00–10:00 are service time, 2 h.
        "--outage",
        "2026-03-10T16:00:00+08:00/2026-03-11T10:00:00+08:00",
    ]);
    assert_eq!(v["agreed_seconds"], 633_600);
    assert_eq!(v["downtime_seconds"], 5 * 3600);
    // (633600 − 18000) ÷ 633600 = 97.1590909… → 97.1591
    assert_eq!(v["availability_percent"], "97.1591");
    assert_eq!(v["interruptions"], 3);
    assert_eq!(v["excluded"], 1);
    assert_eq!(v["longest_restore_seconds"], 2 * 3600);
}

#[test]
fn an_ongoing_outage_over_the_national_day_holiday() {
    let cal = Cal::new("october");
    // From Sep 30 16:00, still down: Sep 30 costs 1 h, Oct 1–7 nothing, Oct 8 until 12:00 costs 3 h.
    let v = json(&[
        "--calendar",
        cal.path(),
        "--from",
        "2026-09-30T00:00:00+08:00",
        "--to",
        "2026-10-08T12:00:00+08:00",
        "--outage",
        "2026-09-30T16:00:00+08:00/",
    ]);
    assert_eq!(v["downtime_seconds"], 4 * 3600);
    assert_eq!(v["agreed_seconds"], 11 * 3600);
    assert_eq!(v["availability_percent"], "63.6364");
    assert_eq!(v["longest_restore_seconds"], 4 * 3600);
}

#[test]
fn bad_input_names_the_argument() {
    let cal = Cal::new("bad");
    let c = cal.path();
    let from = "2026-03-01T00:00:00+08:00";
    let to = "2026-04-01T00:00:00+08:00";
    refused(
        &["--calendar", c, "--from", "yesterday", "--to", to],
        "--from",
    );
    refused(&["--calendar", c, "--from", to, "--to", from], "--to");
    refused(
        &[
            "--calendar",
            c,
            "--from",
            from,
            "--to",
            to,
            "--outage",
            "2026-03-04T10:00:00+08:00",
        ],
        "--outage #1",
    );
    refused(
        &[
            "--calendar",
            c,
            "--from",
            from,
            "--to",
            to,
            "--outage",
            "2026-03-04T10:00:00+08:00/2026-03-04T09:00:00+08:00",
        ],
        "--outage #1",
    );
    refused(
        &[
            "--calendar",
            c,
            "--from",
            from,
            "--to",
            to,
            "--outage",
            "2026-03-04T10:00:00+08:00/2026-03-04T11:00:00+08:00/maybe",
        ],
        "excluded",
    );
    refused(
        &[
            "--calendar",
            "/nonexistent/cal.json",
            "--from",
            from,
            "--to",
            to,
        ],
        "/nonexistent/cal.json",
    );
}
