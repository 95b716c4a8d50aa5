//! The subcommands. Each prints a summary; errors go to stderr with a non-zero exit code
//! (2 for bad input, 1 for everything else).

mod admin;
mod bench;
mod calendar;
mod data;
mod generate;
pub mod mail;
mod maintenance;
mod reports;
mod serve;
mod sla;
mod statements;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};
use weihu_store::Store;

use crate::config::{FileConfig, Settings};

#[derive(Parser, Debug)]
#[command(
    name = "weihu",
    version,
    about = "Weihu (维护): a self-hosted service desk for IT maintenance providers and their clients",
    long_about = "Weihu (维护): a self-hosted service desk for IT maintenance providers and their clients.\n\n\
        Settings come from flags, then WEIHU_* environment variables, then weihu.toml (or --config), then defaults.\n\
        By default data lives in SQLite under ./data; set DATABASE_URL=postgres://… to run on PostgreSQL."
)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand understands.
#[derive(ClapArgs, Debug, Default, Clone)]
pub struct Common {
    /// Settings file (TOML); default ./weihu.toml when present.
    #[arg(long, global = true, env = "WEIHU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded SQLite database (default ./data).
    #[arg(long, global = true, env = "WEIHU_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data dir).
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "WEIHU_LOG_FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (creates and migrates the database on first start).
    Serve(serve::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo dataset (idempotent).
    Demo,
    /// Manage users and API tokens from the command line.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Take a consistent online backup (SQLite: a database file; PostgreSQL: the portable format).
    Backup {
        /// Where to write the backup.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into an empty database.
    Restore {
        /// A file written by `weihu backup` or `weihu export`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Export all data in the portable format (JSON lines), readable by either backend.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Import a portable export into an empty database (all or nothing).
    Import {
        #[arg(long)]
        from: PathBuf,
    },
    /// Business calendars and SLA due times.
    #[command(subcommand)]
    Calendar(calendar::CalendarCommand),
    /// Bulk realistic orders (clients, timelines, clocks, search rows) for load tests.
    Generate(generate::GenerateArgs),
    /// HTTP load test against a running server on this machine.
    Bench(bench::BenchArgs),
    /// Monthly statements.
    #[command(subcommand)]
    Statements(statements::StatementsCommand),
    /// Monthly service-level reports: draft a month's, or build and time one.
    #[command(subcommand)]
    Reports(reports::ReportsCommand),
    /// Service-level figures (availability) from a calendar file, without a database.
    #[command(subcommand)]
    Sla(sla::SlaCommand),
    /// Maintenance plans: their inspection dates from a calendar file (without a database), and
    /// the generation of inspections.
    #[command(subcommand)]
    Maintenance(maintenance::MaintenanceCommand),
    /// Mail: take a message from standard input, send the outbox, poll the mailbox, benchmark.
    #[command(subcommand)]
    Mail(mail::MailCommand),
}

/// A failed command: what to print and which exit code to use.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn input(message: impl Into<String>) -> Failure {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<weihu_store::StoreError> for Failure {
    fn from(e: weihu_store::StoreError) -> Self {
        // An operator's mistake (a bad file, a database that is not empty) exits 2 with what
        // happened; only what the operator cannot fix exits 1.
        let code = if e.is_operator_mistake() { 2 } else { 1 };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure {
            code: 1,
            message: e.to_string(),
        }
    }
}

pub async fn run(args: Args) -> ExitCode {
    // Calendar tools need neither settings nor a database.
    if let Command::Calendar(c) = &args.command {
        return finish(calendar::run(c));
    }
    if let Command::Sla(c) = &args.command {
        return finish(sla::run(c));
    }
    if let Command::Maintenance(c) = &args.command
        && c.is_offline()
    {
        return finish(maintenance::run(c));
    }
    if matches!(&args.command, Command::Bench(b) if !b.commits)
        && let Command::Bench(b) = args.command
    {
        return finish(bench::run(b).await);
    }
    let file = match FileConfig::load(args.common.config.as_deref()) {
        Ok(f) => f,
        Err(e) => return finish(Err(Failure::input(format!("config: {e}")))),
    };
    let settings = Settings::resolve(&args.common, file);
    init_logging(&settings.log_format);
    let result = match args.command {
        Command::Serve(s) => serve::run(&settings, s).await,
        Command::Migrate => open(&settings).await.map(|store| {
            println!(
                "database is at schema version {}",
                store.known_schema_version()
            );
        }),
        Command::Demo => match open(&settings).await {
            Ok(store) => serve::load_demo(&store).await,
            Err(e) => Err(e),
        },
        Command::Admin(c) => match open(&settings).await {
            Ok(store) => admin::run(&store, c).await,
            Err(e) => Err(e),
        },
        Command::Backup { out } => data::backup(&settings, &out).await,
        Command::Restore { from } => data::restore(&settings, &from).await,
        Command::Export { out } => data::export(&settings, &out).await,
        Command::Import { from } => data::import(&settings, &from).await,
        Command::Generate(g) => generate::run(&settings, g).await,
        Command::Statements(c) => statements::run(&settings, c).await,
        Command::Reports(c) => reports::run(&settings, c).await,
        Command::Maintenance(c) => maintenance::run_on(&settings, c).await,
        Command::Bench(b) => bench::commits(&settings, b).await,
        Command::Mail(c) => mail::run(&settings, c).await,
        Command::Calendar(_) | Command::Sla(_) => Ok(()),
    };
    finish(result)
}

fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEIHU_LOG")
        // usvg warns on every chart that names web fonts the PDF's embedded fonts do not have;
        // the PDF falls back to the embedded CJK font, so the warning is noise.
        .unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info,usvg=error")
        });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}

/// Connects (creating the SQLite data dir if needed) and migrates.
pub async fn open(settings: &Settings) -> Result<Store, Failure> {
    if settings.is_sqlite() {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            Failure::input(format!(
                "cannot create data dir {}: {e}",
                settings.data_dir.display()
            ))
        })?;
    }
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    Ok(store)
}
