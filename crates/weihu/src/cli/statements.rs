//! `weihu statements generate --month YYYY-MM`: drafts (or refreshes) a month's statements for
//! every contract in force, as the month-end job does, and prints what it did and how long it
//! took. Issued statements never change.

use std::time::Instant;

use clap::Subcommand;
use weihu_store::{Actor, statements};

use super::{Failure, open};
use crate::config::Settings;

#[derive(Subcommand, Debug)]
pub enum StatementsCommand {
    /// Draft or refresh the statements of one month.
    Generate {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
    },
}

pub async fn run(settings: &Settings, cmd: StatementsCommand) -> Result<(), Failure> {
    let StatementsCommand::Generate { month } = cmd;
    let store = open(settings).await?;
    let provider = weihu_store::organizations::provider(&store)
        .await?
        .map(|(id, _)| id)
        .ok_or_else(|| {
            Failure::input("no provider organisation: run `weihu serve` or `weihu demo` first")
        })?;
    let started = Instant::now();
    eprintln!("pricing every contract in force during {month}…");
    let sum = statements::generate(&store, &Actor::system(provider), &month, None).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}: {} statements drafted, {} refreshed, {} unchanged, {} failed in {secs:.2} s",
        sum.month,
        sum.created,
        sum.updated,
        sum.unchanged,
        sum.failed.len()
    );
    for f in &sum.failed {
        eprintln!("  failed: {f}");
    }
    store.close().await;
    if sum.failed.is_empty() {
        Ok(())
    } else {
        Err(Failure {
            code: 1,
            message: format!("{} contracts could not be priced", sum.failed.len()),
        })
    }
}
