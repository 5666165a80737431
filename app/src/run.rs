//! Dispatch: turns parsed commands into store calls and prints the results.
//! Input parsing goes through the model's validators; there is no business logic here.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Local, NaiveDateTime, TimeZone, Utc};
use rapport_model::{
    Contact, Currency, CustomerKind, Deal, DealStatus, Due, Edit, FollowUp, FollowUpKind,
    Importance, Interaction, InteractionKind, ItemId, LifecycleStage, Money, NewCustomer, Urgency,
};
use rapport_model::{Tier, TierOverride};
use rapport_store::{OpenOptions, Store};
use rapport_value::ValueSettings;

use crate::cli::{
    Cli, Command, ContactCmd, CustomerCmd, CustomerEdit, DealCmd, DeviceCmd, FollowUpCmd,
    InteractionCmd, PairCmd, SettingsCmd,
};
use crate::ops::lists;
use crate::output::{self, say, say_err};

/// The data directory: `--data-dir`, `RAPPORT_DATA_DIR`, or the platform's data dir.
pub fn data_dir(cli: &Cli) -> Result<PathBuf> {
    if let Some(d) = &cli.data_dir {
        return Ok(d.clone());
    }
    directories::ProjectDirs::from("", "", "Rapport")
        .map(|p| p.data_dir().to_path_buf())
        .ok_or_else(|| anyhow!("no home directory found; pass --data-dir DIR"))
}

/// The store: the running process's own when this command runs for a client of the app or
/// `serve` ([`crate::remote`]), else opened from the data directory.
fn open(cli: &Cli, holder: &str) -> Result<Arc<Store>> {
    if let Some(store) = crate::remote::attached_store() {
        return Ok(store);
    }
    Ok(Arc::new(open_here(cli, holder)?))
}

/// The store opened from the data directory by this process (for `restore`, which needs it
/// to itself).
fn open_here(cli: &Cli, holder: &str) -> Result<Store> {
    let dir = data_dir(cli)?;
    if dir.exists() && !dir.is_dir() {
        bail!(
            "the data directory {} is a file, not a directory (give --data-dir a directory)",
            dir.display()
        );
    }
    let opts = OpenOptions {
        holder: format!("rapport {holder}"),
        vault: crate::vault::os_keyring(),
        ..OpenOptions::default()
    };
    Ok(Store::open(&dir, opts)?)
}

/// `restore --replace-damaged`: moves a damaged store file aside so a restore can start from an
/// empty store ([`crate::ops::backup::set_aside_damaged`]). Refuses if the store opens and
/// checks clean (nothing to replace).
fn set_aside_damaged(cli: &Cli) -> Result<()> {
    let dir = data_dir(cli)?;
    if let Some(aside) = crate::ops::backup::set_aside_damaged(&dir, || open_here(cli, "restore"))?
    {
        say_err!("moved the damaged store file to {}", aside.display());
    }
    Ok(())
}

fn today() -> chrono::NaiveDate {
    lists::today()
}

/// The team's value settings, as the synced settings document says. A bad value merged from
/// a peer never fails the command: it is left at its default with one `warning:` line per
/// key on stderr (once per run) and a log entry.
fn value_settings(store: &Store) -> Result<ValueSettings> {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let (settings, problems) = ValueSettings::from_map_tolerant(&store.settings()?);
    let first = !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed);
    for p in &problems {
        let key = ValueSettings::problem_key(p);
        tracing::warn!(key, problem = %p, "ignored a team setting");
        if first {
            let fix = match p {
                rapport_value::SettingsError::TierOrder { .. } => {
                    "each raised to at least the one before"
                }
                _ => "using the default",
            };
            say_err!("warning: team setting `{key}`: {p}; {fix}");
        }
    }
    Ok(settings)
}

/// Value analysis of every customer as of today (the store's value cache; see
/// [`crate::ops::lists`]).
fn values(store: &Store) -> Result<lists::Values> {
    lists::values(store, &value_settings(store)?, today())
}

/// Adds an item (contact, follow-up, interaction, deal) to `customer` as one edit and prints
/// the new item's id.
fn add_item(
    cli: &Cli,
    holder: &str,
    customer: &str,
    make: impl FnOnce(ItemId, &Store) -> Edit,
) -> Result<()> {
    let store = open(cli, holder)?;
    let id = store.resolve(customer)?;
    let item = ItemId::new();
    store.edit(id, &[make(item, &store)])?;
    say!("{item}");
    Ok(())
}

fn item_edit<T>(v: Option<T>, f: impl FnOnce(T) -> Edit, out: &mut Vec<Edit>) {
    if let Some(v) = v {
        out.push(f(v));
    }
}

/// `rapport` with no subcommand: the desktop app, on the store or on demo data.
fn app(cli: &Cli) -> Result<()> {
    let mut options = crate::gui::Options::default();
    let mut _demo_dir = None;
    let dir = if cli.demo {
        let tmp = tempfile::Builder::new()
            .prefix("rapport-demo-")
            .tempdir()
            .context("could not create a temporary demo store")?;
        let path = tmp.path().to_path_buf();
        say_err!(
            "demo store in {} (deleted when the app closes)",
            path.display()
        );
        _demo_dir = Some(tmp);
        options.demo = Some(cli.demo_customers);
        // The demo store is not a team device: no sync.
        options.network = false;
        path
    } else {
        data_dir(cli)?
    };
    crate::gui::run(crate::gui::Source::Dir(dir), options)
}

/// `rapport import`: read and check the whole file, plan against the store, then write
/// everything in one transaction (or nothing, with `--dry-run` or on any bad row).
fn import(
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
fn refuse_bad_rows(file: &std::path::Path, bad: &[rapport_interchange::RowError]) -> Result<()> {
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
fn import_orders(
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
fn export(cli: &Cli, format: crate::cli::ExportFormat, file: &std::path::Path) -> Result<()> {
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

/// Runs one command. Errors bubble up to `main`, which prints one line and exits non-zero.
/// What `main` runs: the command, or, when the app or `serve` holds the store, the same
/// command sent to that process ([`crate::remote::forward`]); returns the exit code.
pub fn main_code(cli: Cli) -> i32 {
    let may_forward = !crate::remote::is_attached() && crate::remote::remotable(&cli).is_ok();
    let dir = data_dir(&cli).ok();
    let result = run(cli);
    if let (Err(e), true, Some(dir)) = (&result, may_forward, &dir)
        && e.chain().any(|c| {
            matches!(
                c.downcast_ref::<rapport_store::StoreError>(),
                Some(rapport_store::StoreError::InUse { .. })
            )
        })
    {
        match crate::remote::forward(dir) {
            Ok(code) => return code,
            // No socket, or it does not answer: the "in use" error stands.
            Err(f) => {
                tracing::debug!(error = %f, "could not send the command to the running process")
            }
        }
    }
    report(result)
}

/// Prints a command's error the way the CLI does (`error: ...` on one line) and returns its
/// exit code: 0, or 1 for an error. A closed pipe (`rapport customer list | head`) is not an
/// error.
pub fn report(result: Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return 0;
            }
            say_err!("error: {}", one_line(&e));
            1
        }
    }
}

/// The error and its causes on one line, skipping causes the message already contains.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
    }
    msg.replace('\n', " ")
}

/// Runs the command in `cli` in this process.
pub fn run(cli: Cli) -> Result<()> {
    run_command(&cli).map_err(|e| {
        // Damage found while reading (a row or document that no longer decodes): say which
        // file, and how to get the data back.
        let damage = e
            .chain()
            .filter_map(|c| c.downcast_ref::<rapport_store::StoreError>())
            .any(|se| se.is_damage() && !matches!(se, rapport_store::StoreError::Corrupt { .. }));
        match (damage, data_dir(&cli)) {
            (true, Ok(dir)) => e.context(format!(
                "the store file {} may be damaged (`rapport check` lists what); {}",
                dir.join(rapport_store::DB_FILE).display(),
                rapport_store::restore_hint(rapport_store::backups::latest(&dir).as_deref())
            )),
            _ => e,
        }
    })
}

fn run_command(cli: &Cli) -> Result<()> {
    let Some(command) = &cli.command else {
        return app(cli);
    };
    match command {
        Command::Customer(c) => customer(cli, c.as_ref()),
        Command::Contact(ContactCmd::Add {
            customer,
            name,
            title,
            email,
            phone,
            handle,
            birthday,
            notes,
        }) => {
            let contact = Contact {
                name: name.clone(),
                title: title.clone(),
                phones: phone.clone(),
                emails: email.clone(),
                handles: handle.clone(),
                birthday: birthday
                    .as_deref()
                    .map(|b| Due::parse(b, "birthday").map(|d| d.date))
                    .transpose()?,
                notes: notes.clone(),
            };
            add_item(cli, "contact add", customer, |id, _| {
                Edit::PutContact(id, contact)
            })
        }
        Command::FollowUp(f) => followup(cli, f),
        Command::Interaction(InteractionCmd::Log {
            customer,
            summary,
            kind,
            outcome,
            at,
            by,
        }) => {
            let at = match at {
                None => Utc::now(),
                Some(s) => parse_instant("at", s)?,
            };
            let kind = InteractionKind::parse(kind)?;
            add_item(cli, "interaction log", customer, |id, store| {
                Edit::LogInteraction(
                    id,
                    Interaction {
                        at,
                        kind,
                        summary: summary.clone(),
                        outcome: outcome.clone(),
                        by: by.clone().unwrap_or_else(|| store.device().name.clone()),
                    },
                )
            })
        }
        Command::Deal(d) => deal(cli, d),
        Command::History { customer, json } => {
            let store = open(cli, "history")?;
            let id = store.resolve(customer)?;
            let h = store.history(id)?;
            if *json {
                output::json(&h)
            } else {
                output::history(&h)
            }
        }
        Command::Demo { customers, seed } => demo(cli, *customers, *seed),
        Command::Value { json } => {
            let store = open(cli, "value")?;
            let v = values(&store)?;
            let left_out = v.left_out(|| lists::names(&store))?;
            let report = output::ValueReport::new(v.totals(), left_out);
            if *json {
                output::json(&report)
            } else {
                output::value_report(&report)
            }
        }
        Command::Settings { action, json } => settings(cli, action.as_ref(), *json),
        Command::Export { format, file } => export(cli, *format, file),
        Command::Import {
            file,
            format,
            dry_run,
            skip_bad,
            json,
        } => import(cli, file, *format, *dry_run, *skip_bad, *json),
        Command::Restore {
            file,
            replace_damaged,
        } => {
            let f = std::fs::File::open(file)
                .with_context(|| format!("could not open {}", file.display()))?;
            if *replace_damaged {
                set_aside_damaged(cli)?;
            }
            let mut store = open_here(cli, "restore")?;
            let stats = crate::ops::backup::restore(&mut store, f, file, *replace_damaged)?;
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
        Command::Backup { list } => {
            if *list {
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
        Command::Check { json } => {
            let mut store = open(cli, "check")?;
            let report = crate::ops::backup::check(&mut store)?;
            let problems = &report.problems;
            if *json {
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
        Command::Device { action, json } => {
            let store = open(cli, "device")?;
            match action {
                // The store, the signed team and the team document, as the app does.
                Some(DeviceCmd::Rename { name }) => store.rename_device(name)?,
                Some(DeviceCmd::Revoke { device }) => return crate::net::revoke(store, device),
                Some(DeviceCmd::Set { key, value }) => {
                    crate::ops::device::set_setting(&store, key, value)?
                }
                Some(DeviceCmd::Undo {
                    device,
                    since,
                    dry_run,
                }) => {
                    let since = since
                        .as_deref()
                        .map(|s| parse_instant("since", s))
                        .transpose()?;
                    let r = crate::ops::backup::undo_device(&store, device, since, *dry_run)?;
                    if r.changes == 0 {
                        bail!(
                            "no change by `{}` found{} (device names as `rapport history` shows them)",
                            rapport_model::excerpt(device),
                            if since.is_some() { " since then" } else { "" }
                        );
                    }
                    let verb = if *dry_run { "would undo" } else { "undid" };
                    if *json {
                        return output::json(&serde_json::json!({
                            "dry_run": dry_run, "changes": r.changes, "customers": r.customers,
                            "edits": r.edits, "kept": r.kept, "deleted": r.deleted,
                        }));
                    }
                    say!(
                        "{verb} {} changes by {device}: {} customers, {} edits ({} customers it created deleted); {} fields left as others changed them later",
                        r.changes,
                        r.customers,
                        r.edits,
                        r.deleted,
                        r.kept
                    );
                    return Ok(());
                }
                None => {}
            }
            let d = store.device().clone();
            let id = crate::net::device_id(&store);
            let settings = crate::ops::device::settings(&store)?;
            if *json {
                output::json(&serde_json::json!({
                    "id": id, "name": d.name, "actor": d.actor, "settings": settings,
                }))
            } else {
                say!("{id}  {}", d.name);
                for (k, v) in &settings {
                    say!("  {k:<14} {v}");
                }
                Ok(())
            }
        }
        Command::Serve { bind, interval } => {
            crate::net::serve(open(cli, "serve")?, *bind, *interval)
        }
        Command::Pair(PairCmd::Invite { wait, bind, yes }) => match open(cli, "pair invite") {
            Ok(store) => crate::net::invite(store, *bind, *wait, *yes),
            // A running `serve` holds the store: ask it to make the invite.
            Err(e)
                if e.downcast_ref::<rapport_store::StoreError>()
                    .is_some_and(|e| matches!(e, rapport_store::StoreError::InUse { .. })) =>
            {
                crate::net::invite_via_running_node(&data_dir(cli)?, *wait, *yes)
            }
            Err(e) => Err(e),
        },
        Command::Pair(PairCmd::Join {
            ticket,
            bind,
            merge_teams,
        }) => crate::net::join(open(cli, "pair join")?, *bind, ticket, *merge_teams),
        Command::Team { action, json } => {
            crate::team::run(&*open(cli, "team")?, action.as_ref(), *json)
        }
        Command::Sync { bind, .. } => crate::net::sync_once(open(cli, "sync")?, *bind),
        Command::Peers {
            action: Some(crate::cli::PeersCmd::Resume { device }),
            ..
        } => crate::net::resume(&*open(cli, "peers resume")?, device),
        Command::Peers {
            action: None,
            json,
            no_probe,
        } => crate::net::peers(open(cli, "peers")?, *json, !*no_probe),
    }
}

/// A time given as RFC 3339 or "YYYY-MM-DD HH:MM" (local), for the option named `field`.
fn parse_instant(field: &str, s: &str) -> Result<chrono::DateTime<Utc>> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .with_context(|| {
            format!(
                "{field}: `{}` is not a time (expected \"YYYY-MM-DD HH:MM\")",
                rapport_model::excerpt(s)
            )
        })?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| anyhow!("{field}: `{s}` does not exist in the local time zone"))
}

fn customer(cli: &Cli, cmd: &CustomerCmd) -> Result<()> {
    match cmd {
        CustomerCmd::Add(a) => {
            let kind = CustomerKind::parse(&a.kind)?;
            let mut nc = NewCustomer::new(a.name.clone(), kind);
            let e = &mut nc.edits;
            item_edit(a.company.clone(), Edit::Company, e);
            item_edit(a.industry.clone(), Edit::Industry, e);
            item_edit(a.address.clone(), Edit::Address, e);
            item_edit(a.owner.clone(), Edit::Owner, e);
            item_edit(a.source.clone(), Edit::Source, e);
            item_edit(a.notes.clone(), Edit::Notes, e);
            e.extend(a.email.iter().cloned().map(Edit::AddEmail));
            e.extend(a.phone.iter().cloned().map(Edit::AddPhone));
            e.extend(a.tag.iter().cloned().map(Edit::AddTag));
            let store = open(cli, "customer add")?;
            let id = store.create(nc)?;
            if a.json {
                let s = store
                    .summary(id)?
                    .ok_or_else(|| anyhow!("customer {id} vanished"))?;
                let v = values(&store)?;
                output::json(&output::CustomerRow::new(
                    &s,
                    v.get(id)?.as_ref(),
                    v.totals().settings.base_currency,
                ))
            } else {
                say!("{id}");
                Ok(())
            }
        }
        CustomerCmd::List(l) => {
            let store = open(cli, "customer list")?;
            let tier = l
                .tier
                .as_deref()
                .map(|t| match t.trim().to_ascii_lowercase().as_str() {
                    "unranked" => Ok(None),
                    other => Tier::parse(other).map(Some),
                })
                .transpose()?;
            let settings = value_settings(&store)?;
            let base = settings.base_currency;
            let rows: Vec<output::CustomerRow> = if l.deleted {
                // Deleted customers are listed only here (the app has a bin of its own).
                // They are never analysed: no value to show.
                lists::list_deleted(
                    &store,
                    l.tag.as_deref(),
                    l.search.as_deref(),
                    l.offset,
                    l.limit,
                )?
                .iter()
                .map(|s| output::CustomerRow::new(s, None, base))
                .collect()
            } else {
                // The app's list: the same search (fuzzy, pinyin), filters and order.
                let v = lists::values(&store, &settings, today())?;
                let filter = rapport_query::Filter {
                    text: l.search.clone().unwrap_or_default(),
                    tier: tier.flatten(),
                    tag: l.tag.clone(),
                    archived: l.archived,
                    ..rapport_query::Filter::default()
                };
                let ask = lists::ListAsk {
                    filter: &filter,
                    unranked: tier == Some(None),
                    offset: l.offset,
                    limit: l.limit,
                };
                lists::list_customers(&store, &v, &ask)?
                    .iter()
                    .map(|(s, value)| output::CustomerRow::new(s, value.as_ref(), base))
                    .collect()
            };
            if l.json {
                output::json(&rows)
            } else {
                output::customer_table(&rows)
            }
        }
        CustomerCmd::Show { customer, json } => {
            let store = open(cli, "customer show")?;
            let id = store.resolve(customer)?;
            let c = store.customer(id)?;
            let conflicts = store.conflicts(id)?;
            let v = values(&store)?;
            let value = v
                .get(id)?
                .map(|value| output::ValueView::new(&value, v.totals().settings.base_currency));
            if *json {
                output::json(&output::CustomerDetail {
                    customer: &c,
                    conflicts,
                    value,
                })
            } else {
                output::customer_detail(&c, &conflicts, value.as_ref())
            }
        }
        CustomerCmd::Edit(e) => {
            let store = open(cli, "customer edit")?;
            let id = store.resolve(&e.customer)?;
            let edits = edits_of(&store, e)?;
            if edits.is_empty() {
                bail!(
                    "nothing to change: give at least one field flag (see `rapport customer edit --help`)"
                );
            }
            store.edit(id, &edits)?;
            Ok(())
        }
        CustomerCmd::Archive { customer, undo } => {
            let store = open(cli, "customer archive")?;
            let id = store.resolve(customer)?;
            store.edit(id, &[Edit::Archive(!undo)])?;
            Ok(())
        }
        CustomerCmd::Delete { customer } => {
            let store = open(cli, "customer delete")?;
            let id = store.resolve(customer)?;
            store.edit(id, &[Edit::Delete])?;
            Ok(())
        }
        CustomerCmd::Restore { customer } => {
            let store = open(cli, "customer restore")?;
            let id = store.resolve(customer)?;
            store.edit(id, &[Edit::Restore])?;
            Ok(())
        }
    }
}

fn settings(cli: &Cli, action: Option<&SettingsCmd>, json: bool) -> Result<()> {
    let store = open(cli, "settings")?;
    match action {
        Some(SettingsCmd::Set { key, value }) => {
            crate::ops::change_setting(&store, key, Some(value))?
        }
        Some(SettingsCmd::Unset { key }) => crate::ops::change_setting(&store, key, None)?,
        None => {}
    }
    let explicit = store.settings()?;
    let effective = value_settings(&store)?.to_map();
    if json {
        output::json(
            &serde_json::json!({ "settings": effective, "set": explicit.keys().collect::<Vec<_>>() }),
        )
    } else if action.is_none() {
        for (k, v) in &effective {
            let note = if explicit.contains_key(k) {
                ""
            } else {
                "  (default)"
            };
            say!("{k} = {v}{note}");
        }
        say!();
        for (k, help) in rapport_value::KEYS {
            say!("  {k:<22} {help}");
        }
        Ok(())
    } else {
        Ok(())
    }
}

fn none_or<T>(s: &str, f: impl FnOnce(&str) -> Result<T>) -> Result<Option<T>> {
    if s.eq_ignore_ascii_case("none") {
        Ok(None)
    } else {
        f(s).map(Some)
    }
}

fn edits_of(store: &Store, e: &CustomerEdit) -> Result<Vec<Edit>> {
    let mut out = Vec::new();
    item_edit(e.name.clone(), Edit::Name, &mut out);
    if let Some(k) = &e.kind {
        out.push(Edit::Kind(CustomerKind::parse(k)?));
    }
    item_edit(e.company.clone(), Edit::Company, &mut out);
    item_edit(e.industry.clone(), Edit::Industry, &mut out);
    item_edit(e.address.clone(), Edit::Address, &mut out);
    item_edit(e.owner.clone(), Edit::Owner, &mut out);
    item_edit(e.source.clone(), Edit::Source, &mut out);
    item_edit(e.notes.clone(), Edit::Notes, &mut out);
    if let Some(s) = &e.stage {
        out.push(Edit::Stage(none_or(s, |s| Ok(LifecycleStage::parse(s)?))?));
    }
    if let Some(s) = &e.importance {
        out.push(Edit::Importance(Importance::parse(s)?));
    }
    if let Some(s) = &e.urgency {
        out.push(Edit::Urgency(Urgency::parse(s)?));
    }
    if let Some(t) = &e.tier {
        let tier = none_or(t, |t| Ok(Tier::parse(t)?))?;
        out.push(Edit::TierOverride(tier.map(|tier| TierOverride {
            tier,
            reason: e.tier_reason.clone().unwrap_or_default(),
        })));
    }
    if let Some(r) = &e.referred_by {
        out.push(Edit::ReferredBy(none_or(r, |r| Ok(store.resolve(r)?))?));
    }
    out.extend(e.add_tag.iter().cloned().map(Edit::AddTag));
    out.extend(e.remove_tag.iter().cloned().map(Edit::RemoveTag));
    out.extend(e.add_email.iter().cloned().map(Edit::AddEmail));
    out.extend(e.remove_email.iter().cloned().map(Edit::RemoveEmail));
    out.extend(e.add_phone.iter().cloned().map(Edit::AddPhone));
    out.extend(e.remove_phone.iter().cloned().map(Edit::RemovePhone));
    Ok(out)
}

/// Matches an item id given in full or as a unique hex prefix of at least 4 digits.
fn id_matches(id: &ItemId, query: &str) -> bool {
    let q = query.trim().to_ascii_lowercase().replace('-', "");
    q.len() >= 4 && id.to_string().starts_with(&q)
}

fn unique<T>(mut hits: Vec<T>, what: &str, query: &str) -> Result<T> {
    match hits.len() {
        0 => bail!("no {what} matches `{}`", rapport_model::excerpt(query)),
        1 => Ok(hits.remove(0)),
        n => bail!("`{query}` matches {n} {what}s; give more digits of the id"),
    }
}

fn followup(cli: &Cli, cmd: &FollowUpCmd) -> Result<()> {
    match cmd {
        FollowUpCmd::Add {
            customer,
            due,
            kind,
            subject,
            assignee,
        } => {
            let f = FollowUp {
                due: Due::parse(due, "due")?,
                kind: FollowUpKind::parse(kind)?,
                subject: subject.clone(),
                assignee: assignee.clone(),
                done_at: None,
                outcome: String::new(),
            };
            add_item(cli, "followup add", customer, |id, _| {
                Edit::PutFollowUp(id, f)
            })
        }
        FollowUpCmd::List {
            overdue,
            today: only_today,
            week,
            due_revisit,
            json,
        } => {
            let store = open(cli, "followup list")?;
            if *due_revisit {
                let v = values(&store)?;
                let today = v.totals().today;
                let rows: Vec<output::RevisitRow> = v
                    .due_for_revisit(|| lists::names(&store))?
                    .into_iter()
                    .map(|d| output::RevisitRow::new(d, today))
                    .collect();
                return if *json {
                    output::json(&rows)
                } else {
                    output::revisit_table(&rows)
                };
            }
            let now = Local::now().naive_local();
            let until = if *only_today || *overdue {
                Some(today())
            } else if *week {
                // This week ends on Sunday, as in the app's agenda.
                Some(rapport_query::end_of_week(today()))
            } else {
                None
            };
            let items = lists::agenda(&store, until, overdue.then_some(now))?;
            let rows: Vec<output::FollowUpRow> = items
                .iter()
                .map(|i| output::FollowUpRow::new(i, now))
                .collect();
            if *json {
                output::json(&rows)
            } else {
                output::followup_table(&rows)
            }
        }
        FollowUpCmd::Done { followup, outcome } => {
            let store = open(cli, "followup done")?;
            let hits: Vec<_> = lists::agenda(&store, None, None)?
                .into_iter()
                .filter(|i| id_matches(&i.followup.id, followup))
                .collect();
            let item = unique(hits, "open follow-up", followup)?;
            store.edit(
                item.customer,
                &[Edit::CompleteFollowUp {
                    id: item.followup.id,
                    at: Utc::now(),
                    outcome: outcome.clone(),
                }],
            )?;
            Ok(())
        }
    }
}

fn deal(cli: &Cli, cmd: &DealCmd) -> Result<()> {
    match cmd {
        DealCmd::Add {
            customer,
            amount,
            currency,
            status,
            date,
            title,
            probability,
        } => {
            let currency = Currency::parse(currency, "currency")?;
            let status = DealStatus::parse(status)?;
            let d = Deal {
                title: title.clone(),
                amount: Money::parse(amount, currency, "amount")?,
                status,
                date: Due::parse(date, "date")?.date,
                probability: probability.unwrap_or(match status {
                    DealStatus::Won => 100,
                    DealStatus::Lost => 0,
                    DealStatus::Open => 50,
                }),
            };
            add_item(cli, "deal add", customer, |id, _| Edit::PutDeal(id, d))
        }
        DealCmd::Edit {
            deal,
            amount,
            currency,
            status,
            date,
            title,
            probability,
        } => {
            let store = open(cli, "deal edit")?;
            let mut hits = Vec::new();
            for s in store.summaries()? {
                for d in &s.deals {
                    if id_matches(&d.id, deal) {
                        hits.push((s.id, d.id));
                    }
                }
            }
            let (cid, did) = unique(hits, "deal", deal)?;
            let c = store.customer(cid)?;
            let mut d = c
                .deals
                .get(&did)
                .cloned()
                .ok_or_else(|| anyhow!("deal {did} vanished"))?;
            if let Some(cur) = currency {
                d.amount.currency = Currency::parse(cur, "currency")?;
            }
            if let Some(a) = amount {
                d.amount = Money::parse(a, d.amount.currency, "amount")?;
            } else if currency.is_some() {
                // Re-check the stored amount against the new currency's precision.
                d.amount = Money::parse(&d.amount.decimal(), d.amount.currency, "amount")?;
            }
            if let Some(s) = status {
                d.status = DealStatus::parse(s)?;
            }
            if let Some(dt) = date {
                d.date = Due::parse(dt, "date")?.date;
            }
            if let Some(t) = title {
                d.title = t.clone();
            }
            if let Some(p) = probability {
                d.probability = *p;
            }
            store.edit(cid, &[Edit::PutDeal(did, d)])?;
            Ok(())
        }
    }
}

/// Generates demo data in batches of 500 customers per transaction. On a terminal it shows a
/// progress bar; otherwise it prints `committed N of M` after each durable batch (scripts and
/// the crash test rely on that line: every customer it counts is on disk).
fn demo(cli: &Cli, n: usize, seed: u64) -> Result<()> {
    const BATCH: usize = 500;
    let store = open(cli, "demo")?;
    let customers = rapport_demo::generate(n, seed, today());
    let tty = output::stderr_is_terminal();
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(n as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} customers ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut done = 0;
    let mut batches = customers.into_iter().peekable();
    while batches.peek().is_some() {
        let chunk: Vec<NewCustomer> = batches.by_ref().take(BATCH).collect();
        done += chunk.len();
        store.create_many(chunk)?;
        match &bar {
            Some(b) => b.set_position(done as u64),
            None => {
                let mut err = output::raw_stderr();
                let _ = writeln!(err, "committed {done} of {n}");
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    say!("created {done} demo customers in {}", store.dir().display());
    Ok(())
}
