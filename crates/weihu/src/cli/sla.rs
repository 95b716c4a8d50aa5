//! `weihu sla`: service-level figures from a calendar file and outages, without a database, so
//! operators and tests can check what a report will say (SPEC §9).

use clap::Subcommand;
use jiff::Timestamp;
use weihu_domain::availability::{Outage, availability};

use super::Failure;
use super::calendar::load;

/// Outages one command takes at most: a year of a service failing every hour is ~8,800.
const MAX_OUTAGES: usize = 10_000;

#[derive(Subcommand, Debug)]
pub enum SlaCommand {
    /// Availability of a service over a period: agreed service time is the calendar's business
    /// time, downtime the union of counted outages within service hours. Prints one JSON object.
    Availability {
        /// The service's calendar (the JSON format of `weihu calendar due`).
        #[arg(long)]
        calendar: std::path::PathBuf,
        /// Start of the period, RFC 3339 (e.g. 2026-03-01T00:00:00+08:00).
        #[arg(long)]
        from: String,
        /// End of the period (exclusive), RFC 3339.
        #[arg(long)]
        to: String,
        /// An outage START/END, RFC 3339 each; END may be empty while it is still ongoing; a
        /// third part `excluded` marks force majeure or a third party's fault (not counted).
        #[arg(long = "outage")]
        outages: Vec<String>,
    },
}

fn instant(field: &str, s: &str) -> Result<Timestamp, Failure> {
    s.parse::<Timestamp>()
        .map_err(|e| Failure::input(format!("{field}: not an RFC 3339 instant ({e})")))
}

/// `START/END[/excluded]`; the error names the argument and its position.
fn outage(n: usize, text: &str) -> Result<Outage, Failure> {
    let field = format!("--outage #{n} ({text:?})");
    let mut parts = text.splitn(3, '/');
    let start = parts.next().unwrap_or_default();
    let end = parts
        .next()
        .ok_or_else(|| Failure::input(format!("{field}: expected START/END[/excluded]")))?;
    let excluded = match parts.next() {
        None => false,
        Some("excluded") => true,
        Some(other) => {
            return Err(Failure::input(format!(
                "{field}: the third part must be `excluded`, not {other:?}"
            )));
        }
    };
    let start = instant(&format!("{field} start"), start)?;
    let end = if end.is_empty() {
        None
    } else {
        Some(instant(&format!("{field} end"), end)?)
    };
    if end.is_some_and(|e| e < start) {
        return Err(Failure::input(format!("{field}: ends before it starts")));
    }
    Ok(Outage {
        start,
        end,
        force_majeure: excluded,
        third_party: false,
    })
}

pub fn run(cmd: &SlaCommand) -> Result<(), Failure> {
    match cmd {
        SlaCommand::Availability {
            calendar,
            from,
            to,
            outages,
        } => {
            let cal = load(calendar)?;
            let (from, to) = (instant("--from", from)?, instant("--to", to)?);
            if to <= from {
                return Err(Failure::input("--to: must be after --from"));
            }
            if outages.len() > MAX_OUTAGES {
                return Err(Failure::input(format!(
                    "--outage: at most {MAX_OUTAGES} outages, got {}",
                    outages.len()
                )));
            }
            let list = outages
                .iter()
                .enumerate()
                .map(|(i, o)| outage(i + 1, o))
                .collect::<Result<Vec<_>, _>>()?;
            let a = availability(&cal, from, to, &list)
                .map_err(|e| Failure::input(format!("--from/--to: {e}")))?;
            let tz = cal.time_zone().clone();
            let local = |t: Timestamp| {
                t.to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            };
            let out = serde_json::json!({
                "calendar": cal.name(),
                "time_zone": cal.time_zone_name(),
                "from": local(from),
                "to": local(to),
                "agreed_seconds": a.agreed.as_secs(),
                "downtime_seconds": a.downtime.as_secs(),
                "availability_percent": format!("{:.4}", a.percent_to(4)),
                "interruptions": a.interruptions,
                "excluded": a.excluded,
                "longest_restore_seconds": a.longest_restore.as_secs(),
            });
            println!("{out}");
        }
    }
    Ok(())
}
