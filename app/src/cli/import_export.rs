//! `rapport import` and `rapport export`: the formats, the report of an import (read, plan
//! and write are [`crate::ops::import`]), and the export written beside its file.

use super::*;

/// Import formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// Recognise the layout from the header.
    Auto,
    /// Google Contacts CSV (current or older headers).
    Google,
    /// Outlook CSV.
    Outlook,
    /// vCard 2.1, 3.0 or 4.0 (one or many cards).
    Vcard,
    /// Orders or deals: customer (id, email or name), date, amount, currency, status, title.
    Orders,
}

/// Export formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// vCard 3.0: a card per company, contact and person.
    Vcard,
    /// vCard 4.0.
    Vcard4,
    /// CSV in Google Contacts' layout.
    Csv,
    /// iCalendar: open follow-ups as VTODO and as VEVENT with a reminder.
    Ics,
    /// A backup of the whole store: every customer (readable and as its automerge document),
    /// the team settings and the team.
    Json,
}

/// `rapport import`: read and check the whole file, plan against the store, then write
/// everything in one transaction (or nothing, with `--dry-run` or on any bad row).
pub(super) fn import(
    cli: &Cli,
    file: &std::path::Path,
    format: crate::cli::ImportFormat,
    dry_run: bool,
    skip_bad: bool,
    json: bool,
) -> Result<()> {
    use rapport_interchange::Action;
    let shown = file.display();
    // A spinner with the current step on a terminal (reading, matching, writing).
    let progress = output::stderr_is_terminal().then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let step = |msg: String| {
        if let Some(b) = &progress {
            b.set_message(msg);
        }
    };
    step(format!("reading {shown}"));
    let bytes = std::fs::read(crate::remote::client_path(file))
        .with_context(|| format!("could not read {shown}"))?;
    let (layout, people, bad) =
        match crate::ops::read_import(&bytes, format).map_err(|e| anyhow!("{shown}: {e}"))? {
            crate::ops::ImportRead::Orders { orders, bad } => {
                return import_orders(cli, file, orders, bad, dry_run, skip_bad, json);
            }
            crate::ops::ImportRead::Contacts {
                layout,
                people,
                bad,
            } => (layout, people, bad),
        };
    if !skip_bad {
        refuse_bad_rows(file, &bad)?;
    }
    let store = open(cli, "import")?;
    step(format!(
        "matching {} people against the store",
        people.len()
    ));
    let plan = crate::ops::plan_contacts(&store, &store.summaries()?, &people, Utc::now())?;
    let unchanged = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Unchanged { .. }))
        .count();
    if !dry_run {
        step(format!(
            "writing {} new and {} merged customers",
            plan.created(),
            plan.merged()
        ));
        crate::ops::import::apply_contacts(&store, &plan)?;
    }
    if let Some(b) = progress {
        b.finish_and_clear();
    }
    if json {
        return output::json(&serde_json::json!({
            "file": file,
            "layout": layout,
            "dry_run": dry_run,
            "created": plan.created(),
            "merged": plan.merged(),
            "unchanged": unchanged,
            "skipped": bad,
            "actions": plan.actions,
        }));
    }
    for a in &plan.actions {
        let lines = |l: &[u64]| l.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
        match a {
            Action::Create {
                name,
                kind,
                lines: l,
                contacts,
                ..
            } => say!(
                "create  {kind:<7} {name} (line {}{})",
                lines(l),
                if *contacts > 0 {
                    format!(", {contacts} contact(s)")
                } else {
                    String::new()
                }
            ),
            Action::Merge {
                name,
                lines: l,
                adds,
                ..
            } => say!(
                "merge   {name} (line {}): adds {}",
                lines(l),
                adds.join(", ")
            ),
            Action::Unchanged { name, lines: l, .. } => {
                say!("same    {name} (line {}): already here", lines(l))
            }
        }
    }
    for e in &bad {
        say!("skipped {shown}:{e}");
    }
    say!(
        "{}{} created, {} merged, {unchanged} unchanged, {} skipped ({} layout){}",
        if dry_run { "dry run: " } else { "" },
        plan.created(),
        plan.merged(),
        bad.len(),
        crate::ops::layout_name(layout),
        if dry_run { "; nothing written" } else { "" }
    );
    Ok(())
}

/// Any bad row refuses the whole import (without `--skip-bad`): each named by file, line and
/// column, the first 20 of them.
pub(super) fn refuse_bad_rows(
    file: &std::path::Path,
    bad: &[rapport_interchange::RowError],
) -> Result<()> {
    if bad.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = bad
        .iter()
        .take(20)
        .map(|e| format!("{}:{e}", file.display()))
        .collect();
    bail!(
        "{} bad row(s), nothing imported (use --skip-bad to import the rest): {}",
        bad.len(),
        list.join("; ")
    );
}

/// `rapport import` of an orders CSV: each row a deal of an existing customer.
pub(super) fn import_orders(
    cli: &Cli,
    file: &std::path::Path,
    orders: Vec<rapport_interchange::Order>,
    bad: Vec<rapport_interchange::RowError>,
    dry_run: bool,
    skip_bad: bool,
    json: bool,
) -> Result<()> {
    let shown = file.display();
    let store = open(cli, "import")?;
    let (edits, bad) = crate::ops::plan_orders(&orders, bad, &store.summaries()?);
    if !skip_bad {
        refuse_bad_rows(file, &bad)?;
    }
    // Which deals are new or different, for the report.
    let (added, same) = crate::ops::import::deal_changes(&store, &edits)?;
    if !dry_run {
        crate::ops::import::apply_orders(&store, &edits)?;
    }
    if json {
        return output::json(&serde_json::json!({
            "file": file,
            "layout": "Orders",
            "dry_run": dry_run,
            "deals_added": added,
            "deals_unchanged": same,
            "customers": edits.len(),
            "skipped": bad,
        }));
    }
    for e in &bad {
        say!("skipped {shown}:{e}");
    }
    say!(
        "{}{added} deals added or updated, {same} already there, for {} customers; {} skipped{}",
        if dry_run { "dry run: " } else { "" },
        edits.len(),
        bad.len(),
        if dry_run { "; nothing written" } else { "" }
    );
    Ok(())
}

/// `rapport export`: written to a temporary file beside FILE, renamed into place when complete,
/// so a failure never leaves half a file.
pub(super) fn export(
    cli: &Cli,
    format: crate::cli::ExportFormat,
    file: &std::path::Path,
) -> Result<()> {
    // Where the file goes (the client's directory for a relative path through a running
    // process); messages name it as given.
    let path = crate::remote::client_path(file);
    // The rename would replace whatever FILE is: only ever replace a regular file.
    if let Ok(m) = std::fs::metadata(&path) {
        if m.is_dir() {
            bail!("{} is a directory; give the path of a file", file.display());
        }
        if !m.is_file() {
            bail!(
                "{} is not a regular file (a device, pipe or socket); give the path of a file",
                file.display()
            );
        }
    }
    let store = open(cli, "export")?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("could not write in {}", dir.display()))?;
    use crate::cli::ExportFormat;
    let (customers, bytes) = match format {
        ExportFormat::Json => {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            let stats = store.backup(&mut w)?;
            w.flush()?;
            (stats.customers, stats.bytes)
        }
        other => {
            let mut all = Vec::new();
            for id in store.ids()? {
                all.push(store.customer(id)?);
            }
            let text = match other {
                ExportFormat::Vcard => rapport_interchange::to_vcards(&all, false),
                ExportFormat::Vcard4 => rapport_interchange::to_vcards(&all, true),
                ExportFormat::Csv => rapport_interchange::to_google_csv(&all)?,
                _ => rapport_interchange::to_ics(&all),
            };
            tmp.as_file_mut().write_all(text.as_bytes())?;
            (
                all.iter().filter(|c| !c.is_deleted()).count(),
                text.len() as u64,
            )
        }
    };
    tmp.as_file().sync_all()?;
    tmp.persist(&path)
        .with_context(|| format!("could not write {}", file.display()))?;
    say!(
        "wrote {customers} customers ({bytes} bytes) to {}",
        file.display()
    );
    Ok(())
}
