//! Getting data back: backups (write one now, list them), the store check, restore from a
//! backup (optionally after setting a damaged store file aside), and undoing every change a
//! device made.
//!
//! Invariants: a restore writes all of the backup or nothing; a damaged store file is only
//! ever moved aside (renamed, never deleted), and only when it does not open or its check
//! finds problems; a check never writes. The storage rules are `rapport_store`'s (`backup`,
//! `backups`, `verify`, `undo`); this module is the one place both front ends call them from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rapport_store::Store;

/// Writes a backup of the store now; its path.
pub fn write_backup(store: &Store) -> Result<PathBuf> {
    Ok(store.write_backup()?)
}

/// One backup file beside a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupFile {
    pub path: PathBuf,
    /// Its size in bytes (0 if it cannot be read).
    pub bytes: u64,
}

/// The backups of the store in `dir`, as `rapport_store::backups::list` orders them.
pub fn list_backups(dir: &Path) -> Vec<BackupFile> {
    rapport_store::backups::list(dir)
        .into_iter()
        .map(|path| BackupFile {
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path,
        })
        .collect()
}

/// What a check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// Customers in the store.
    pub customers: u64,
    /// One line per problem (none: the store is clean).
    pub problems: Vec<String>,
}

/// Checks the store. The storage engine's own file check needs the store to itself: when
/// another holder shares it (a running process lending its store), every document is checked
/// instead.
pub fn check(store: &mut Arc<Store>) -> Result<CheckReport> {
    let problems = match Arc::get_mut(store) {
        Some(s) => s.verify()?,
        None => store.verify_documents()?,
    };
    Ok(CheckReport {
        customers: store.count()?,
        problems,
    })
}

/// The error a check with `problems` problems ends in: which file, and how to get the data
/// back.
pub fn damaged(store: &Store, problems: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "the store file {} has {} problems; {}",
        store.dir().join(rapport_store::DB_FILE).display(),
        problems,
        rapport_store::restore_hint(rapport_store::backups::latest(store.dir()).as_deref())
    )
}

/// Moves the store file in `dir` aside when it is damaged, so a restore can start from an
/// empty store; returns where it went (`None`: there was no store file). `open` opens the store
/// in `dir` for this process alone. Refuses if the store opens and checks clean (nothing to
/// replace).
pub fn set_aside_damaged(
    dir: &Path,
    open: impl FnOnce() -> Result<Store>,
) -> Result<Option<PathBuf>> {
    let file = dir.join(rapport_store::DB_FILE);
    if !file.exists() {
        return Ok(None);
    }
    match open() {
        Err(e) => match e.downcast_ref::<rapport_store::StoreError>() {
            Some(se) if se.is_damage() => {}
            _ => return Err(e),
        },
        Ok(mut store) => {
            let problems = store.verify().unwrap_or_else(|e| vec![e.to_string()]);
            if problems.is_empty() {
                bail!(
                    "the store at {} is not damaged (`rapport check` finds no problem); restore into a new --data-dir instead",
                    dir.display()
                );
            }
        }
    }
    let aside = dir.join(format!(
        "{}.damaged-{}",
        rapport_store::DB_FILE,
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    ));
    std::fs::rename(&file, &aside)
        .with_context(|| format!("could not move {} aside", file.display()))?;
    Ok(Some(aside))
}

/// Restores the backup `input` (read from `file`) into `store`: all of it or nothing. With
/// `as_device`, the store takes the backed-up device's identity again (after its damaged file
/// was set aside).
pub fn restore(
    store: &mut Store,
    input: std::fs::File,
    file: &Path,
    as_device: bool,
) -> Result<rapport_store::backup::BackupStats> {
    let input = std::io::BufReader::new(input);
    let result = if as_device {
        store.restore_as_device(input)
    } else {
        store.restore(input)
    };
    result.with_context(|| format!("{} was not restored (nothing was written)", file.display()))
}

/// Undoes (or with `dry_run` counts) every change the device named `device` made, since
/// `since` if given. The report says how much; none at all is for the caller to word.
pub fn undo_device(
    store: &Store,
    device: &str,
    since: Option<rapport_model::Timestamp>,
    dry_run: bool,
) -> Result<rapport_store::UndoReport> {
    Ok(store.undo_device(device, since, dry_run)?)
}
