//! Backup, restore, export and import, with progress on stderr and a summary at the end.

use std::io::{BufReader, BufWriter, Read};
use std::path::Path;
use std::time::Instant;

use weihu_store::{Backend, Store, portable};

use super::{Failure, open};
use crate::config::Settings;

fn progress(table: &str, rows: u64) {
    eprintln!("  {table:<16} {rows:>10} rows");
}

pub async fn export(settings: &Settings, out: &Path) -> Result<(), Failure> {
    if out.exists() {
        return Err(Failure::input(format!(
            "{} exists; refusing to overwrite",
            out.display()
        )));
    }
    let store = open(settings).await?;
    let started = Instant::now();
    let tmp = out.with_extension("partial");
    let file = std::fs::File::create(&tmp)?;
    let mut w = BufWriter::new(file);
    eprintln!(
        "exporting {} database to {}",
        store.backend().name(),
        out.display()
    );
    let summary = portable::export(&store, &mut w, &mut |t, n| progress(t, n)).await?;
    drop(w);
    std::fs::rename(&tmp, out)?;
    println!(
        "exported {} rows in {:.1} s to {}",
        summary.rows,
        started.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(())
}

pub async fn import(settings: &Settings, from: &Path) -> Result<(), Failure> {
    let store = open(settings).await?;
    import_into(&store, from).await
}

async fn import_into(store: &Store, from: &Path) -> Result<(), Failure> {
    let started = Instant::now();
    let file = std::fs::File::open(from)
        .map_err(|e| Failure::input(format!("{}: {e}", from.display())))?;
    let mut r = BufReader::new(file);
    eprintln!(
        "importing {} into the {} database",
        from.display(),
        store.backend().name()
    );
    let summary = portable::import(store, &mut r, &mut |t, n| progress(t, n))
        .await
        .map_err(|e| Failure {
            code: 2,
            message: e.to_string(),
        })?;
    println!(
        "imported {} rows in {:.1} s; nothing was written unless all of it was",
        summary.rows,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn is_sqlite_file(path: &Path) -> bool {
    let mut magic = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| &magic == b"SQLite format 3\0")
        .unwrap_or(false)
}

pub async fn backup(settings: &Settings, out: &Path) -> Result<(), Failure> {
    let store = open(settings).await?;
    let started = Instant::now();
    match store.backend() {
        Backend::Sqlite => {
            eprintln!(
                "copying the live SQLite database (VACUUM INTO) to {}",
                out.display()
            );
            store.sqlite_snapshot(out).await?;
            let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
            println!(
                "backup written: {} ({:.1} MB) in {:.1} s; restore with `weihu restore --from {}`",
                out.display(),
                size as f64 / 1e6,
                started.elapsed().as_secs_f64(),
                out.display()
            );
            Ok(())
        }
        Backend::Postgres => {
            drop(store);
            export(settings, out).await
        }
    }
}

pub async fn restore(settings: &Settings, from: &Path) -> Result<(), Failure> {
    if !from.exists() {
        return Err(Failure::input(format!("{} does not exist", from.display())));
    }
    if is_sqlite_file(from) {
        if !settings.is_sqlite() {
            return Err(Failure::input(
                "a SQLite backup restores into the SQLite data dir; to move it to PostgreSQL, restore it, then `weihu export` and `weihu import` with DATABASE_URL",
            ));
        }
        let target = settings.data_dir.join("weihu.db");
        if target.exists() {
            return Err(Failure::input(format!(
                "{} exists; move it away first (restore never overwrites data)",
                target.display()
            )));
        }
        std::fs::create_dir_all(&settings.data_dir)?;
        std::fs::copy(from, &target)?;
        let store = open(settings).await?;
        println!(
            "restored {} to {} (schema version {})",
            from.display(),
            target.display(),
            store.known_schema_version()
        );
        return Ok(());
    }
    let store = open(settings).await?;
    import_into(&store, from).await
}
