//! `rapport backup`, `check` and `restore` (the work is [`crate::ops::backup`]).

use super::*;

/// `restore --replace-damaged`: moves a damaged store file aside so a restore can start from an
/// empty store ([`crate::ops::backup::set_aside_damaged`]). Refuses if the store opens and
/// checks clean (nothing to replace).
pub(super) fn set_aside_damaged(cli: &Cli) -> Result<()> {
    let dir = data_dir(cli)?;
    if let Some(aside) = crate::ops::backup::set_aside_damaged(&dir, || open_here(cli, "restore"))?
    {
        say_err!("moved the damaged store file to {}", aside.display());
    }
    Ok(())
}

/// `rapport restore FILE [--replace-damaged]`.
pub(super) fn restore(cli: &Cli, file: &std::path::Path, replace_damaged: bool) -> Result<()> {
    let f =
        std::fs::File::open(file).with_context(|| format!("could not open {}", file.display()))?;
    if replace_damaged {
        set_aside_damaged(cli)?;
    }
    let mut store = open_here(cli, "restore")?;
    let stats = crate::ops::backup::restore(&mut store, f, file, replace_damaged)?;
    if stats.identity {
        say!(
            "this device is again `{}` to its team: sync to get back what changed since the backup",
            store.device().name
        );
    }
    say!(
        "restored {} customers from {} into {}",
        stats.customers,
        file.display(),
        store.dir().display()
    );
    Ok(())
}

/// `rapport backup [--list]`.
pub(super) fn backup(cli: &Cli, list: bool) -> Result<()> {
    if list {
        let dir = data_dir(cli)?;
        for b in crate::ops::backup::list_backups(&dir) {
            say!("{}  {} KiB", b.path.display(), b.bytes / 1024);
        }
        return Ok(());
    }
    let store = open(cli, "backup")?;
    let path = crate::ops::backup::write_backup(&store)?;
    say!("{}", path.display());
    Ok(())
}

/// `rapport check [--json]`.
pub(super) fn check(cli: &Cli, json: bool) -> Result<()> {
    let mut store = open(cli, "check")?;
    let report = crate::ops::backup::check(&mut store)?;
    let problems = &report.problems;
    if json {
        output::json(&serde_json::json!({
            "customers": report.customers,
            "problems": problems,
        }))?;
    } else {
        for p in problems {
            say!("{p}");
        }
        say!(
            "{} customers checked, {} problems",
            report.customers,
            problems.len()
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(crate::ops::backup::damaged(&store, problems.len()))
    }
}
