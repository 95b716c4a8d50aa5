//! `weihu maintenance`: a maintenance plan's inspection dates from a calendar file and a rule,
//! without a database, so operators and tests can check a plan before it is saved (SPEC §8);
//! and, on the database, the generation and overdue jobs run once by hand.

use clap::Subcommand;
use jiff::civil::Date;
use weihu_domain::maintenance::{Rule, Shift, dates};

use super::Failure;
use super::calendar::load;

#[derive(Subcommand, Debug)]
pub enum MaintenanceCommand {
    /// Print a plan's dates, one YYYY-MM-DD per line in order: the rule's occurrences from
    /// --from (the series start), each shifted off a non-working day, within --from..--to.
    Dates {
        /// The plan's calendar (the JSON format of `weihu calendar due`).
        #[arg(long)]
        calendar: std::path::PathBuf,
        /// An RRULE subset: FREQ=WEEKLY|MONTHLY|YEARLY, INTERVAL, BYDAY (2TU, -1FR), BYMONTHDAY
        /// (-1 = the last), BYMONTH, BYSETPOS, and X-WORKDAY=N (the N-th working day of the
        /// month; negative from its end), e.g. FREQ=MONTHLY;X-WORKDAY=2.
        #[arg(long)]
        rule: String,
        /// The series start and first day printed, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// The last day printed, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        /// A date on a non-working day moves to the next or previous working day, or stays.
        #[arg(long, default_value = "next")]
        shift: String,
    },
    /// Generate every plan's inspections up to its horizon now (the server does it every ten
    /// minutes), then flag the overdue ones; prints what it did.
    Generate {
        /// The day to generate from, YYYY-MM-DD (default today in the provider's zone).
        #[arg(long)]
        today: Option<String>,
    },
    /// Time the dispatcher's "inspections this week" (the list the Maintenance page and
    /// `GET /api/v1/inspections` answer) from a day: prints the count and each run's time.
    Week {
        /// The first day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Runs (the first warms the cache).
        #[arg(long, default_value_t = 5)]
        runs: u32,
    },
}

impl MaintenanceCommand {
    /// Whether the command runs without settings or a database.
    pub fn is_offline(&self) -> bool {
        matches!(self, MaintenanceCommand::Dates { .. })
    }
}

/// The commands that work on the database.
pub async fn run_on(
    settings: &crate::config::Settings,
    cmd: MaintenanceCommand,
) -> Result<(), Failure> {
    match cmd {
        MaintenanceCommand::Dates { .. } => run(&cmd),
        MaintenanceCommand::Week { from, runs } => {
            date("--from", &from)?;
            let store = super::open(settings).await?;
            let actor = weihu_store::Actor::system(0);
            let filter = weihu_store::maintenance::inspections::InspectionFilter {
                from: Some(from.clone()),
                ..Default::default()
            };
            for run in 1..=runs.clamp(1, 100) {
                let t = std::time::Instant::now();
                let rows =
                    weihu_store::maintenance::inspections::list(&store, &actor, &filter).await?;
                println!(
                    "run {run}: {} inspections from {from} in {:.1} ms",
                    rows.len(),
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
            Ok(())
        }
        MaintenanceCommand::Generate { today } => {
            let today = today.map(|t| date("--today", &t)).transpose()?;
            let store = super::open(settings).await?;
            let started = std::time::Instant::now();
            let sum = weihu_store::maintenance::inspections::generate(&store, today).await?;
            let flagged = weihu_store::maintenance::inspections::flag_overdue(&store, None).await?;
            println!(
                "plans: {}, inspections created: {}, updated: {}, cancelled: {}, skipped: {}, failed: {}, overdue flagged: {} ({:.1} s)",
                sum.plans,
                sum.created,
                sum.updated,
                sum.cancelled,
                sum.skipped,
                sum.failed.len(),
                flagged,
                started.elapsed().as_secs_f64()
            );
            for f in &sum.failed {
                eprintln!("plan {}: {}", f.plan_id, f.error);
            }
            if sum.failed.is_empty() {
                Ok(())
            } else {
                Err(Failure {
                    code: 1,
                    message: format!("{} plan(s) failed", sum.failed.len()),
                })
            }
        }
    }
}

fn date(field: &str, s: &str) -> Result<Date, Failure> {
    s.trim()
        .parse::<Date>()
        .map_err(|e| Failure::input(format!("{field}: not a YYYY-MM-DD date ({e})")))
}

pub fn run(cmd: &MaintenanceCommand) -> Result<(), Failure> {
    match cmd {
        MaintenanceCommand::Dates {
            calendar,
            rule,
            from,
            to,
            shift,
        } => {
            let rule = Rule::parse(rule).map_err(|e| Failure::input(format!("--rule: {e}")))?;
            let shift = Shift::parse(shift).ok_or_else(|| {
                Failure::input(format!(
                    "--shift: must be one of: next, previous, none (not {shift:?})"
                ))
            })?;
            let (from, to) = (date("--from", from)?, date("--to", to)?);
            let cal =
                load(calendar).map_err(|f| Failure::input(format!("--calendar: {}", f.message)))?;
            let list = dates(&rule, &cal, from, to, shift)
                .map_err(|e| Failure::input(format!("--{}: {}", e.field, e.message)))?;
            let mut out = String::with_capacity(list.len() * 11);
            for d in list {
                out.push_str(&d.to_string());
                out.push('\n');
            }
            print!("{out}");
            Ok(())
        }
        MaintenanceCommand::Generate { .. } | MaintenanceCommand::Week { .. } => {
            Err(Failure::input("needs the database"))
        }
    }
}
