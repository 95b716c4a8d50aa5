//! `weihu reports draft --month YYYY-MM`: drafts every active client's service-level report of a
//! month, as the month-end job does, with progress and a summary. `weihu reports build --client N
//! --month YYYY-MM [--pdf FILE]`: builds one client's report as the API does and says how long
//! the figures and the PDF took (the measurement behind BENCHMARKS.md).

use std::time::Instant;

use clap::Subcommand;
use weihu_store::{Actor, reports};

use super::{Failure, open};
use crate::config::Settings;

#[derive(Subcommand, Debug)]
pub enum ReportsCommand {
    /// Draft (or refresh the drafts of) every active client's report of one month.
    Draft {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
    },
    /// Build one client's report now and time it; optionally write its PDF.
    Build {
        /// The client organisation's id.
        #[arg(long)]
        client: i64,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Also render the PDF (in Chinese) to this file.
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
    },
}

pub async fn run(settings: &Settings, cmd: ReportsCommand) -> Result<(), Failure> {
    let store = open(settings).await?;
    let system = Actor::system(0);
    let result = match cmd {
        ReportsCommand::Draft { month } => {
            let started = Instant::now();
            let mut last = Instant::now();
            let sum = reports::draft_all_with(&store, &system, &month, |done, all| {
                if last.elapsed().as_secs() >= 2 || done == all {
                    eprintln!("  {done}/{all} clients");
                    last = Instant::now();
                }
            })
            .await?;
            println!(
                "{}: {} reports drafted, {} failed in {:.2} s",
                sum.month,
                sum.created,
                sum.failed.len(),
                started.elapsed().as_secs_f64()
            );
            for (c, e) in &sum.failed {
                eprintln!("  client {c}: {e}");
            }
            Ok(())
        }
        ReportsCommand::Build { client, month, pdf } => {
            let started = Instant::now();
            let r = reports::current(&store, &system, client, &month)
                .await
                .map_err(|e| match e {
                    weihu_store::StoreError::NotFound => {
                        Failure::input(format!("--client: no client organisation {client}"))
                    }
                    e => e.into(),
                })?;
            let built = started.elapsed();
            let json = serde_json::to_vec(&r).map_err(|e| Failure {
                code: 1,
                message: e.to_string(),
            })?;
            println!(
                "{} {}: figures built in {} ms ({} bytes of JSON; {} breaches, {} incidents, {} clocks)",
                r.report.client_name,
                r.report.month,
                built.as_millis(),
                json.len(),
                r.report.breaches.len(),
                r.report.failures.total,
                r.report.attainment.overall.total
            );
            if let Some(path) = pdf {
                let started = Instant::now();
                let tr = weihu_web::i18n::Tr(weihu_web::i18n::Lang::Zh);
                let (bytes, _) = weihu_web::documents::service_report_pdf(&store, &r, tr)
                    .await
                    .map_err(|e| Failure {
                        code: 1,
                        message: format!("{e:?}"),
                    })?;
                std::fs::write(&path, &bytes).map_err(|e| Failure {
                    code: 1,
                    message: format!("{}: {e}", path.display()),
                })?;
                println!(
                    "PDF rendered in {} ms ({} bytes) to {}",
                    started.elapsed().as_millis(),
                    bytes.len(),
                    path.display()
                );
            }
            Ok(())
        }
    };
    store.close().await;
    result
}
