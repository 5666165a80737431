//! Owner-only file modes: the data directory and its folders are 0700, every file Rapport
//! writes there (store file, lock note, backups, the control socket, the key file) is 0600.
//!
//! New files are created with the mode; [`tighten_dir`] brings a data directory written by an
//! older Rapport (default modes, typically 0755/0644) to the same modes when the store opens.
//! Elsewhere than Unix these are no-ops: the platform's own ACLs apply.

use std::fs::File;
use std::io;
use std::path::Path;

/// Mode of folders Rapport creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of files Rapport creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `path` (and its parents) if needed, then makes `path` itself owner-only.
pub fn create_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(path)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(path)?;
    restrict(path, DIR_MODE)
}

/// Creates (or truncates) `path` for writing, owner-only from the start.
pub fn create_file(path: &Path) -> io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE);
    }
    let f = o.open(path)?;
    // An existing file keeps its mode through `open`: tighten it too.
    restrict(path, FILE_MODE)?;
    Ok(f)
}

/// Writes `bytes` to `path` (created owner-only).
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    create_file(path)?.write_all(bytes)
}

/// Sets `path`'s permission bits to `mode` if they differ (Unix; a no-op elsewhere).
/// Never follows a symlink's target: a link is left alone.
pub fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        if meta.permissions().mode() & 0o7777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Makes a data directory written by an older Rapport owner-only: the directory 0700, the
/// files Rapport keeps there (`rapport.*`: store, lock note, socket, set-aside damaged files;
/// `device.key`) 0600, the `backups/` folder 0700 and the files in it 0600. Other files a user
/// keeps in the directory are left alone. Failures are logged, not fatal: a store on a file
/// system without Unix modes still opens.
pub fn tighten_dir(dir: &Path) {
    let warn = |p: &Path, e: io::Error| {
        tracing::warn!(path = %p.display(), error = %e, "could not make owner-only");
    };
    if let Err(e) = restrict(dir, DIR_MODE) {
        warn(dir, e);
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && name == crate::backups::BACKUP_DIR {
            if let Err(e) = restrict(&path, DIR_MODE) {
                warn(&path, e);
            }
            for f in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                if f.file_type().is_ok_and(|t| t.is_file())
                    && let Err(e) = restrict(&f.path(), FILE_MODE)
                {
                    warn(&f.path(), e);
                }
            }
        } else if (kind.is_file() || is_socket(&kind))
            && (name.starts_with("rapport.") || name == crate::KEY_FILE)
            && let Err(e) = restrict(&path, FILE_MODE)
        {
            warn(&path, e);
        }
    }
}

fn is_socket(kind: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        kind.is_socket()
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0)
    }

    #[test]
    fn new_and_old_files_become_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("new");
        write_file(&f, b"x").unwrap();
        assert_eq!(mode(&f), 0o600);

        // What an older Rapport left: default modes everywhere.
        let old = dir.join("rapport.redb");
        std::fs::write(&old, b"x").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        let sub = dir.join("backups");
        std::fs::create_dir(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        let inner = sub.join("b.json");
        let mine = dir.join("notes.txt");
        std::fs::write(&mine, b"x").unwrap();
        std::fs::set_permissions(&mine, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::write(&inner, b"x").unwrap();
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o664)).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Rewriting an existing 0644 file through `create_file` tightens it as well.
        let rewritten = dir.join("rewritten");
        std::fs::write(&rewritten, b"x").unwrap();
        std::fs::set_permissions(&rewritten, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_file(&rewritten, b"y").unwrap();
        assert_eq!(mode(&rewritten), 0o600);

        tighten_dir(&dir);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&old), 0o600);
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&inner), 0o600);
        // A file that is not Rapport's keeps its mode.
        assert_eq!(mode(&mine), 0o644);
    }
}
