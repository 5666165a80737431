//! Automatic local backups: a JSON backup ([`Store::backup`]) written beside the store every
//! so often, keeping the newest few, so a damaged store file (a disk error, a bad sector, a
//! crash of the file system) loses at most the time since the last one — and the team's other
//! devices hold the rest, which a restored device gets back at its next sync.
//!
//! Backups live in `<store dir>/backups/` as `rapport-YYYYMMDD-HHMMSS-NN.json`. Each is written to
//! a temporary name, flushed to disk, then renamed, so a crash never leaves a half backup under
//! a real name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::{Store, StoreError};

/// The folder under the store directory that holds backups.
pub const BACKUP_DIR: &str = "backups";
const PREFIX: &str = "rapport-";
const SUFFIX: &str = ".json";

/// How often to back up and how many backups to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupPolicy {
    /// A new backup is written when the newest is older than this.
    pub every: Duration,
    /// Older backups beyond this many are deleted.
    pub keep: usize,
}

impl Default for BackupPolicy {
    /// Daily, keeping a week.
    fn default() -> Self {
        BackupPolicy {
            every: Duration::from_secs(24 * 3600),
            keep: 7,
        }
    }
}

/// The backups of the store in `store_dir`, oldest first.
pub fn list(store_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(store_dir.join(BACKUP_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    // The names sort by time.
    out.sort();
    out
}

/// The newest backup of the store in `store_dir`, if any.
pub fn latest(store_dir: &Path) -> Option<PathBuf> {
    list(store_dir).pop()
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
        .full_disk(path)
    }
}

impl Store {
    /// Writes a backup now if the newest one is older than `policy.every` (or there is none),
    /// then deletes the oldest beyond `policy.keep`. Returns the new backup's path, if one was
    /// written. Reads one consistent snapshot of the store; edits may go on meanwhile.
    pub fn auto_backup(&self, policy: BackupPolicy) -> Result<Option<PathBuf>, StoreError> {
        let dir = self.dir().to_path_buf();
        if let Some(newest) = latest(&dir) {
            let age = std::fs::metadata(&newest)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .unwrap_or(Duration::MAX);
            if age < policy.every {
                return Ok(None);
            }
        }
        let path = self.write_backup()?;
        let all = list(&dir);
        let excess = all.len().saturating_sub(policy.keep.max(1));
        for old in &all[..excess] {
            if let Err(e) = std::fs::remove_file(old) {
                tracing::warn!(path = %old.display(), error = %e, "could not delete an old backup");
            }
        }
        Ok(Some(path))
    }

    /// Writes a backup into the backup folder now; returns its path.
    pub fn write_backup(&self) -> Result<PathBuf, StoreError> {
        let folder = self.dir().join(BACKUP_DIR);
        crate::private::create_dir(&folder).map_err(io(&folder))?;
        let stamp = (self.clock)().format("%Y%m%d-%H%M%S");
        // Names of one length, so they sort by time: `rapport-YYYYMMDD-HHMMSS-NN.json`, NN
        // after every backup of the same second (even one pruned meanwhile has no successor
        // that sorts before it).
        let same_second = format!("{PREFIX}{stamp}-");
        let n = list(self.dir())
            .iter()
            .filter_map(|p| {
                p.file_name()?
                    .to_str()?
                    .strip_prefix(&same_second)?
                    .strip_suffix(SUFFIX)?
                    .parse::<u32>()
                    .ok()
            })
            .max()
            .map_or(0, |m| m + 1);
        let path = folder.join(format!("{PREFIX}{stamp}-{n:02}{SUFFIX}"));
        let tmp = folder.join(format!(".writing-{}", std::process::id()));
        let result = (|| {
            let file = crate::private::create_file(&tmp).map_err(io(&tmp))?;
            let mut out = std::io::BufWriter::new(file);
            self.backup_inner(&mut out, true)?;
            out.flush().map_err(io(&tmp))?;
            let file = out.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
            file.sync_all().map_err(io(&tmp))?;
            std::fs::rename(&tmp, &path).map_err(io(&path))?;
            Ok(())
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        tracing::info!(path = %path.display(), "wrote a backup");
        Ok(path)
    }
}
