//! `problemfirst backup` and `problemfirst restore`: the whole store to one file and back. The
//! file format, how a backup is pinned to one moment while the store is in use, and how a
//! restore is checked live in `storage::backup`; this module finds the data directory, opens the
//! store and says what happened.
//!
//! A store can be open in one process at a time. When a running bot has it, `backup` asks that
//! bot to take the backup (`POST /backup` on the admin socket in the data directory, which the
//! bot opens in either mode) and moves the file to `--out`.

use super::{DataArgs, Failure};
use crate::storage::backup::{self, BackupError, BackupSummary};
use crate::storage::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the running bot may take over a backup it is asked for (large stores take a while
/// to write).
const ASK_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Where to write the backup (replaced only once the new one is complete).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup file to restore.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Replace the store in a data directory that already holds one.
    #[arg(long)]
    force: bool,
}

/// The data directory: `data_dir` from the settings (`--data`, the environment, the file).
fn data_dir(args: &DataArgs) -> Result<PathBuf, Failure> {
    Ok(args.load()?.data_dir)
}

pub fn run_backup(args: BackupArgs) -> Result<(), Failure> {
    let dir = data_dir(&args.data)?;
    if !backup::looks_like_store(&dir) {
        return Err(Failure::Usage(format!(
            "there is no problemfirst store in {} to back up; point --data (or PROBLEMFIRST_DATA_DIR) \
             at the bot's data directory",
            dir.display()
        )));
    }
    let store = match Store::open(&dir) {
        Ok(store) => store,
        Err(StoreError::Locked { .. }) => {
            let line = ask_running_bot(&args, &dir)?;
            println!("{line}");
            return Ok(());
        }
        Err(e) => return Err(Failure::Usage(e.to_string())),
    };
    let line = backup_running(&store, &args.out).map_err(Failure::Usage)?;
    println!("{line}");
    Ok(())
}

/// Has the bot that holds the store take the backup, through its admin socket in the data
/// directory, then moves it to `--out`.
fn ask_running_bot(args: &BackupArgs, dir: &Path) -> Result<String, Failure> {
    let locked = |why: &str| {
        Failure::Usage(format!(
            "the store in {} is open in a running problemfirst, and a store can be open in one \
             process only, so this command can't read it; {why}. Stop the bot, run backup, and \
             start the bot again",
            dir.display()
        ))
    };
    // The bot names the file after --out when that is a plain name, else after the time.
    let name = args
        .out
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| backup::is_plain_name(n));
    let path = match name {
        Some(n) => format!("/backup?name={n}"),
        None => "/backup".to_string(),
    };
    let socket = dir.join(crate::ops::ADMIN_SOCKET);
    let (status, body) = ask_admin_socket(&socket, &path).map_err(|e| {
        locked(&format!(
            "nor did it answer on its admin socket {} ({e})",
            socket.display()
        ))
    })?;
    if status != 200 {
        return Err(Failure::Usage(format!(
            "the running bot could not take the backup: {}",
            body.trim()
        )));
    }
    let mut lines = body.lines();
    let taken = PathBuf::from(lines.next().unwrap_or_default());
    let what = lines.next().unwrap_or_default();
    if taken != args.out {
        move_file(&taken, &args.out).map_err(|e| {
            Failure::Usage(format!(
                "the running bot took the backup as {}, but it could not be moved to {}: {e}",
                taken.display(),
                args.out.display()
            ))
        })?;
    }
    Ok(format!(
        "the running bot backed up its store to {} ({what})",
        args.out.display()
    ))
}

#[cfg(unix)]
fn ask_admin_socket(socket: &Path, path: &str) -> Result<(u16, String), super::ask::AskError> {
    super::ask::post_unix(socket, path, ASK_WAIT)
}

#[cfg(not(unix))]
fn ask_admin_socket(_: &Path, _: &str) -> Result<(u16, String), super::ask::AskError> {
    Err(super::ask::AskError::Failed(
        "admin sockets need a Unix system".into(),
    ))
}

/// Renames, or copies and removes across file systems.
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)?;
    std::fs::remove_file(from)
}

/// Backs up a store that this process has open (a running bot's own handle, or the one
/// `backup` opened) to `out`, and says what was written in one line.
pub fn backup_running(store: &Store, out: &Path) -> Result<String, String> {
    let BackupSummary {
        trees,
        pairs,
        ideas,
        bytes,
        replayed,
    } = store.backup_to(out).map_err(|e| e.to_string())?;
    let meanwhile = match replayed {
        0 => String::new(),
        n => format!("; {n} entries written meanwhile are in as they were at the end"),
    };
    Ok(format!(
        "backed up {} to {} ({ideas} ideas filed; {trees} trees, {pairs} entries, {bytes} \
         bytes{meanwhile})",
        store.dir().display(),
        out.display()
    ))
}

pub fn run_restore(args: RestoreArgs) -> Result<(), Failure> {
    let dir = data_dir(&args.data)?;
    let summary = backup::restore(&args.file, &dir, args.force).map_err(|e| match e {
        BackupError::Store(StoreError::Locked { dir }) => Failure::Usage(format!(
            "the store in {} is open in a running problemfirst; stop it before restoring over it",
            dir.display()
        )),
        e => Failure::Usage(e.to_string()),
    })?;
    let c = &summary.consistency;
    println!(
        "restored {} into {} (taken {}; {} ideas filed, next is IDEA-{}; {} trees, {} entries)",
        args.file.display(),
        dir.display(),
        summary.created,
        c.counter,
        c.counter.saturating_add(1),
        summary.trees,
        summary.pairs,
    );
    if c.is_consistent() {
        println!(
            "consistency check: ok ({} ideas, {} index entries)",
            c.ideas, c.index_entries
        );
        return Ok(());
    }
    let problems: Vec<String> = c.problems.iter().map(|p| format!("  - {p}")).collect();
    Err(Failure::Usage(format!(
        "the restored store is not consistent; the backup was taken from a damaged store:\n{}",
        problems.join("\n")
    )))
}
