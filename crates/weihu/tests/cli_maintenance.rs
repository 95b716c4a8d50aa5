//! `weihu maintenance dates`: a plan's inspection dates from a calendar file and a rule, no
//! database (issue #15's examples: the second working day of each month over 调休, the last
//! Friday, every other week, a shift back into the range, and bad input named).

use std::path::PathBuf;
use std::process::{Command, Output};

/// 中国 5×8 with the 2026 holidays and make-up days, plus a company shutdown on 2026-12-31.
const CAL_5X8: &str = r#"{"name": "5x8", "time_zone": "Asia/Shanghai",
  "week": {"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]], "wed": [["09:00","17:00"]],
           "thu": [["09:00","17:00"]], "fri": [["09:00","17:00"]], "sat": [], "sun": []},
  "holiday_sets": ["cn-2026"], "holidays": [{"date": "2026-12-31", "name": "年终停机"}]}"#;

struct Cal(PathBuf);

impl Cal {
    fn new(tag: &str) -> Cal {
        let dir = std::env::temp_dir().join(format!("weihu-pm-{tag}-{}", std::process::id()));
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

fn run(cal: &Cal, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weihu"))
        .args(["maintenance", "dates", "--calendar", cal.path()])
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run weihu")
}

fn lines(cal: &Cal, args: &[&str]) -> Vec<String> {
    let out = run(cal, args);
    assert!(
        out.status.success(),
        "weihu maintenance dates {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_examples_of_the_issue() {
    let cal = Cal::new("ok");
    // 每月第二个工作日 over the National Day holiday (1–7 October; Saturday the 10th worked).
    assert_eq!(
        lines(
            &cal,
            &[
                "--rule",
                "FREQ=MONTHLY;X-WORKDAY=2",
                "--from",
                "2026-09-01",
                "--to",
                "2026-11-30"
            ]
        ),
        ["2026-09-02", "2026-10-09", "2026-11-03"]
    );
    // The last working day of the month, counted back past the shutdown on the 31st.
    assert_eq!(
        lines(
            &cal,
            &[
                "--rule",
                "FREQ=MONTHLY;X-WORKDAY=-1",
                "--from",
                "2026-11-01",
                "--to",
                "2026-12-31"
            ]
        ),
        ["2026-11-30", "2026-12-30"]
    );
    // The first Thursday: 1 October is a holiday, so it moves (next by default, or back).
    let rule = [
        "--rule",
        "FREQ=MONTHLY;BYDAY=1TH",
        "--from",
        "2026-09-01",
        "--to",
        "2026-10-31",
    ];
    assert_eq!(lines(&cal, &rule), ["2026-09-03", "2026-10-08"]);
    let mut back = rule.to_vec();
    back.extend(["--shift", "previous"]);
    assert_eq!(lines(&cal, &back), ["2026-09-03", "2026-09-30"]);
    let mut stay = rule.to_vec();
    stay.extend(["--shift", "none"]);
    assert_eq!(lines(&cal, &stay), ["2026-09-03", "2026-10-01"]);
    // Every other week on Monday, across the year end.
    assert_eq!(
        lines(
            &cal,
            &[
                "--rule",
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
                "--from",
                "2026-12-14",
                "--to",
                "2027-01-31"
            ]
        ),
        ["2026-12-14", "2026-12-28", "2027-01-11", "2027-01-25"]
    );
    // Nothing in the range prints nothing, successfully.
    assert!(
        lines(
            &cal,
            &[
                "--rule",
                "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=30",
                "--from",
                "2026-07-01",
                "--to",
                "2026-12-31"
            ]
        )
        .is_empty()
    );
}

#[test]
fn bad_input_exits_2_naming_the_argument() {
    let cal = Cal::new("bad");
    for (args, names) in [
        (
            vec![
                "--rule",
                "FREQ=DAILY",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
            ],
            "--rule",
        ),
        (
            vec![
                "--rule",
                "FREQ=MONTHLY;BYSECOND=1",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
            ],
            "BYSECOND",
        ),
        (
            vec![
                "--rule",
                "FREQ=MONTHLY",
                "--from",
                "1 Jan",
                "--to",
                "2026-02-01",
            ],
            "--from",
        ),
        (
            vec![
                "--rule",
                "FREQ=MONTHLY",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-30",
            ],
            "--to",
        ),
        (
            vec![
                "--rule",
                "FREQ=MONTHLY",
                "--from",
                "2026-03-01",
                "--to",
                "2026-02-01",
            ],
            "--to",
        ),
        (
            vec![
                "--rule",
                "FREQ=MONTHLY",
                "--from",
                "2000-01-01",
                "--to",
                "2099-12-31",
            ],
            "--to",
        ),
        (
            vec![
                "--rule",
                "FREQ=MONTHLY",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
                "--shift",
                "sideways",
            ],
            "--shift",
        ),
    ] {
        let out = run(&cal, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} exits 2: {err}");
        assert!(err.contains(names), "{args:?}: stderr names {names}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} prints no dates");
    }
    let missing = Cal(std::env::temp_dir().join("weihu-pm-none/none.json"));
    let out = run(
        &missing,
        &[
            "--rule",
            "FREQ=MONTHLY",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--calendar"));
}
