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
    /// A spreadsheet of the team's own (CSV, TSV, XLSX, XLS, ODS) through a column mapping.
    Sheet,
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
    /// A workbook: the customer list (with --tag, --tier, --search) with every field, custom
    /// field, tier and RFM; the value report; the contacts. `rapport import` reads it back.
    Xlsx,
}

/// The list filter `export --format xlsx` takes.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub tag: Option<String>,
    pub tier: Option<String>,
    pub search: Option<String>,
}

/// `rapport import`'s flags.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    pub file: std::path::PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub format: ImportFormat,
    /// The file's text encoding (utf-8, utf-16le, gb18030, gbk, big5, shift_jis, euc-kr,
    /// windows-1252, iso-8859-2...), when the guess is wrong.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// The workbook sheet to read, by name or number (default: the first with a table).
    #[arg(long, value_name = "NAME|N")]
    pub sheet: Option<String>,
    /// Map a spreadsheet column to a field: COLUMN=FIELD (repeatable). FIELD is one of
    /// customer, company, contact, first-name, last-name, title, phone, email, address,
    /// street, postcode, city, district, region, country, website, industry, owner, source,
    /// tags, notes, birthday, last-contact, next-visit, sales, sales-date, custom:NAME, other
    /// (kept in the notes) or ignore. COLUMN is the header or the column letter.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub maps: Vec<String>,
    /// Use the mapping remembered as NAME; with --map, remember this one as NAME.
    #[arg(long, value_name = "NAME")]
    pub mapping: Option<String>,
    /// Show what would be created, merged or left alone, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the good rows and list the bad ones (default: any bad row stops the import).
    #[arg(long)]
    pub skip_bad: bool,
    #[arg(long)]
    pub json: bool,
}

/// The file's modification date (local), which dates sales without a date of their own.
fn file_date(path: &std::path::Path) -> Option<chrono::NaiveDate> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(chrono::DateTime::<Local>::from(modified).date_naive())
}

/// `rapport import`: read and check the whole file, plan against the store, then write
/// everything in one transaction (or nothing, with `--dry-run`, on any bad row, or while a
/// spreadsheet has columns no field takes).
pub(super) fn import(cli: &Cli, a: &ImportArgs) -> Result<()> {
    use rapport_interchange::Action;
    let file = a.file.as_path();
    let (dry_run, skip_bad, json) = (a.dry_run, a.skip_bad, a.json);
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
    let path = crate::remote::client_path(file);
    let bytes = std::fs::read(&path).with_context(|| format!("could not read {shown}"))?;
    let store = open(cli, "import")?;
    let ask = crate::ops::import::ImportAsk {
        format: a.format,
        encoding: a.encoding.clone(),
        sheet: a.sheet.clone(),
        maps: a.maps.clone(),
        mapping: a.mapping.clone(),
        file_name: file.display().to_string(),
        file_date: file_date(&path),
    };
    let read = crate::ops::read_import(&bytes, &ask, &store.settings()?)
        .map_err(|e| anyhow!("{shown}: {e}"))?;
    let decoded_as = read.decoded_as().to_string();
    let mut sheet_info = None;
    // The JSON `layout` keeps the names it always had (scripts rely on them); `format` is the
    // detailed one (`Outlook (German)`, `sheet 客户名单`).
    let mut json_layout = "Sheet";
    let detail: String;
    let (layout, people, bad) = match read {
        crate::ops::ImportRead::Orders { orders, bad, .. } => {
            if let Some(b) = progress {
                b.finish_and_clear();
            }
            return import_orders(
                &store,
                file,
                orders,
                bad,
                (dry_run, skip_bad, json),
                &decoded_as,
            );
        }
        crate::ops::ImportRead::Contacts {
            layout,
            people,
            bad,
            ..
        } => {
            json_layout = match layout {
                rapport_interchange::Layout::Google => "Google",
                rapport_interchange::Layout::GoogleOld => "GoogleOld",
                rapport_interchange::Layout::Outlook(_) => "Outlook",
                rapport_interchange::Layout::Thunderbird => "Thunderbird",
                rapport_interchange::Layout::VCard => "VCard",
            };
            detail = layout.describe().to_string();
            (crate::ops::layout_name(layout).to_string(), people, bad)
        }
        crate::ops::ImportRead::Sheet(s) => {
            let s = *s;
            if !s.unplaced.is_empty() {
                if let Some(b) = progress {
                    b.finish_and_clear();
                }
                say_err!("{shown}: the proposed mapping ({}):", s.mapping_from);
                for pair in s.mapping.to_pairs() {
                    say_err!("  --map '{pair}'");
                }
                bail!(
                    "{shown}: line {} (the header row): {} column(s) could not be placed: {}; map each with --map 'COLUMN=FIELD' (a field, custom:NAME, other to keep it in the notes, or ignore); nothing imported",
                    s.sheet.header_line,
                    s.unplaced.len(),
                    s.unplaced
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let name = if s.sheet.sheet_name.is_empty() {
                format!("{:?}", s.sheet.format).to_lowercase()
            } else {
                format!("sheet `{}`", s.sheet.sheet_name)
            };
            detail = name.clone();
            let people = s.people;
            let bad = s.bad;
            sheet_info = Some((
                s.mapping,
                s.mapping_from,
                s.notes,
                s.sheet.header_line,
                s.sheet.warnings,
            ));
            (name, people, bad)
        }
    };
    if !skip_bad {
        refuse_bad_rows(file, &bad)?;
    }
    step(format!(
        "matching {} people against the store",
        people.len()
    ));
    let plan = crate::ops::plan_contacts(
        &store,
        &store.summaries()?,
        &people,
        Utc::now(),
        ask.file_date,
    )?;
    let unchanged = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Unchanged { .. }))
        .count();
    let mut warnings: Vec<rapport_interchange::RowError> = people
        .iter()
        .flat_map(|p| p.warnings.iter().cloned())
        .collect();
    if let Some((_, _, _, _, w)) = &sheet_info {
        warnings.extend(w.iter().cloned());
    }
    warnings.extend(plan.warnings.iter().cloned());
    warnings.sort_by_key(|w| w.line);
    let mut remembered = None;
    if !dry_run {
        step(format!(
            "writing {} new and {} merged customers",
            plan.created(),
            plan.merged()
        ));
        crate::ops::import::apply_contacts(&store, &plan)?;
        if let Some((m, ..)) = &sheet_info {
            remembered = Some(
                crate::ops::import::remember_mapping(&store, m, a.mapping.as_deref())
                    .map_err(|e| e.to_string()),
            );
        }
    }
    if let Some(b) = progress {
        b.finish_and_clear();
    }
    if json {
        return output::json(&serde_json::json!({
            "file": file,
            "layout": json_layout,
            "format": detail,
            "encoding": decoded_as,
            "mapping": sheet_info.as_ref().map(|(m, from, notes, header, _)| serde_json::json!({
                "columns": m.to_pairs(),
                "from": from,
                "notes": notes,
                "header_line": header,
            })),
            "dry_run": dry_run,
            "created": plan.created(),
            "merged": plan.merged(),
            "unchanged": unchanged,
            "skipped": bad,
            "warnings": warnings,
            "actions": plan.actions,
        }));
    }
    say!("reading {shown}: {layout}, {decoded_as}");
    if let Some((m, from, notes, header, _)) = &sheet_info {
        say!("mapping ({from}; header on line {header}):");
        for pair in m.to_pairs() {
            say!("  {pair}");
        }
        for n in notes {
            say!("  {n}");
        }
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
    for w in &warnings {
        say_err!("warning: {shown}:{w}");
    }
    for e in &bad {
        say!("skipped {shown}:{e}");
    }
    if let Some(Err(e)) = &remembered {
        say_err!("warning: the mapping was not remembered: {e}");
    }
    say!(
        "{}{} created, {} merged, {unchanged} unchanged, {} skipped, {} warning(s) ({layout}){}",
        if dry_run { "dry run: " } else { "" },
        plan.created(),
        plan.merged(),
        bad.len(),
        warnings.len(),
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
    store: &Store,
    file: &std::path::Path,
    orders: Vec<rapport_interchange::Order>,
    bad: Vec<rapport_interchange::RowError>,
    (dry_run, skip_bad, json): (bool, bool, bool),
    decoded_as: &str,
) -> Result<()> {
    let shown = file.display();
    let (edits, bad) = crate::ops::plan_orders(&orders, bad, &store.summaries()?);
    if !skip_bad {
        refuse_bad_rows(file, &bad)?;
    }
    // Which deals are new or different, for the report.
    let (added, same) = crate::ops::import::deal_changes(store, &edits)?;
    if !dry_run {
        crate::ops::import::apply_orders(store, &edits)?;
    }
    if json {
        return output::json(&serde_json::json!({
            "file": file,
            "layout": "Orders",
            "encoding": decoded_as,
            "dry_run": dry_run,
            "deals_added": added,
            "deals_unchanged": same,
            "customers": edits.len(),
            "skipped": bad,
        }));
    }
    say!("reading {shown}: orders, {decoded_as}");
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
    filter: &ListFilter,
) -> Result<()> {
    if format != crate::cli::ExportFormat::Xlsx
        && (filter.tag.is_some() || filter.tier.is_some() || filter.search.is_some())
    {
        bail!("--tag, --tier and --search filter the xlsx export only");
    }
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
        ExportFormat::Xlsx => {
            let tier = filter
                .tier
                .as_deref()
                .map(|t| match t.trim().to_ascii_lowercase().as_str() {
                    "unranked" => Ok(None),
                    other => Tier::parse(other).map(Some),
                })
                .transpose()?;
            let f = rapport_query::Filter {
                text: filter.search.clone().unwrap_or_default(),
                tier: tier.flatten(),
                tag: filter.tag.clone(),
                ..rapport_query::Filter::default()
            };
            let (bytes, n) = crate::ops::export::xlsx(&store, &f, tier == Some(None), today())?;
            tmp.as_file_mut().write_all(&bytes)?;
            (n, bytes.len() as u64)
        }
        other => {
            let mut all = Vec::new();
            for id in store.ids()? {
                all.push(store.customer(id)?);
            }
            let fields = crate::ops::fields::fields(&store)?;
            let text = match other {
                ExportFormat::Vcard => {
                    rapport_interchange::to_vcards_with_fields(&all, false, &fields)
                }
                ExportFormat::Vcard4 => {
                    rapport_interchange::to_vcards_with_fields(&all, true, &fields)
                }
                ExportFormat::Csv => rapport_interchange::to_google_csv_with_fields(&all, &fields)?,
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
