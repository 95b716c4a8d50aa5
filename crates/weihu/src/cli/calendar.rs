//! `weihu calendar`: due times and business minutes from a calendar file, without a database.

use clap::Subcommand;
use jiff::{SignedDuration, Timestamp};
use weihu_domain::calendar::Calendar;
use weihu_domain::sla::{self, Due, Pause};

use super::Failure;

/// RFC 3339 with the calendar's offset (no bracketed zone name).
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%:z";

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Print the due instant (RFC 3339, in the calendar's zone).
    Due {
        #[arg(long)]
        calendar: std::path::PathBuf,
        /// Start instant, RFC 3339 (e.g. 2026-03-04T10:00:00+08:00).
        #[arg(long)]
        start: String,
        /// Target in business minutes.
        #[arg(long)]
        minutes: i64,
        /// A pause START/END (RFC 3339 each); END may be empty for a pause still open.
        #[arg(long = "pause")]
        pauses: Vec<String>,
    },
    /// Print the business minutes between two instants.
    Minutes {
        #[arg(long)]
        calendar: std::path::PathBuf,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// Validate a calendar file and list the next 14 days' service hours.
    Check {
        file: std::path::PathBuf,
        /// First day to list (default today in the calendar's zone).
        #[arg(long)]
        from: Option<String>,
    },
}

pub(super) fn load(path: &std::path::Path) -> Result<Calendar, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    Calendar::from_json(&text).map_err(|e| Failure::input(format!("{}: {e}", path.display())))
}

fn instant(field: &str, s: &str) -> Result<Timestamp, Failure> {
    s.parse::<Timestamp>()
        .map_err(|e| Failure::input(format!("{field}: not an RFC 3339 instant ({e})")))
}

/// On stderr (stdout stays the bare answer): the years between `a` and `b` that the calendar's
/// holiday data does not cover, which then count as years without public holidays.
fn warn_uncovered(cal: &Calendar, a: Timestamp, b: Timestamp) {
    let years = cal.uncovered_years(cal.local_date(a), cal.local_date(b));
    if years.is_empty() {
        return;
    }
    let list = years
        .iter()
        .map(i16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "warning: calendar {} has no holiday data for {list}: counted as if {list} had no public holidays. \
         Add the official notice to the calendar (\"holidays\"/\"workdays\", or import it on the calendar page: iCal/CSV).",
        cal.name()
    );
}

pub fn run(cmd: &CalendarCommand) -> Result<(), Failure> {
    match cmd {
        CalendarCommand::Due {
            calendar,
            start,
            minutes,
            pauses,
        } => {
            let cal = load(calendar)?;
            let start = instant("--start", start)?;
            if *minutes < 0 {
                return Err(Failure::input("--minutes: must not be negative"));
            }
            let mut ps = Vec::new();
            for p in pauses {
                let (a, b) = p
                    .split_once('/')
                    .ok_or_else(|| Failure::input(format!("--pause {p}: expected START/END")))?;
                let a = instant("--pause start", a)?;
                ps.push(if b.is_empty() {
                    Pause::open(a)
                } else {
                    Pause::closed(a, instant("--pause end", b)?)
                });
            }
            let due = sla::due(&cal, start, SignedDuration::from_mins(*minutes), &ps)
                .map_err(|e| Failure::input(e.to_string()))?;
            let end = match due {
                Due::At { due: t } => t,
                Due::Suspended { since } => since,
            };
            warn_uncovered(&cal, start, end);
            match due {
                Due::At { due: t } => println!(
                    "{}",
                    t.to_zoned_datetime(cal.time_zone().clone())
                        .strftime(RFC3339)
                ),
                Due::Suspended { since } => println!(
                    "paused since {} (no due time while paused)",
                    since
                        .to_zoned_datetime(cal.time_zone().clone())
                        .strftime(RFC3339)
                ),
            }
        }
        CalendarCommand::Minutes { calendar, from, to } => {
            let cal = load(calendar)?;
            let (from, to) = (instant("--from", from)?, instant("--to", to)?);
            let d =
                sla::business_time(&cal, from, to).map_err(|e| Failure::input(e.to_string()))?;
            warn_uncovered(&cal, from, to);
            println!("{}", d.as_secs() / 60);
        }
        CalendarCommand::Check { file, from } => {
            let cal = load(file)?;
            if !cal.has_service_hours() {
                return Err(Failure::input(format!(
                    "{}: the calendar has no service hours at all: no clock could ever run on it",
                    file.display()
                )));
            }
            let first = match from {
                Some(d) => d
                    .parse::<jiff::civil::Date>()
                    .map_err(|e| Failure::input(format!("--from: {e}")))?,
                None => cal.local_date(Timestamp::now()),
            };
            println!(
                "{}: valid ({}), {} business minutes a normal week",
                cal.name(),
                cal.time_zone_name(),
                cal.weekly_business_time().as_secs() / 60
            );
            let days = cal
                .service_days(first, 14)
                .map_err(|e| Failure::input(e.to_string()))?;
            for d in days {
                let tz = cal.time_zone();
                let windows: Vec<String> = d.windows.iter().map(|w| w.local_label(tz)).collect();
                let kind = match &d.kind {
                    weihu_domain::calendar::DayKind::Holiday { name } => {
                        format!("holiday {}", name.clone().unwrap_or_default())
                    }
                    weihu_domain::calendar::DayKind::MakeUpWorkday { as_weekday, .. } => {
                        format!("make-up day as {as_weekday:?}")
                    }
                    weihu_domain::calendar::DayKind::Regular => String::new(),
                    weihu_domain::calendar::DayKind::NoService => "no service".into(),
                };
                println!(
                    "{} {:<3} {:<28} {}",
                    d.date,
                    d.date.strftime("%a"),
                    if windows.is_empty() {
                        "—".to_owned()
                    } else {
                        windows.join(", ")
                    },
                    kind.trim()
                );
            }
        }
    }
    Ok(())
}
