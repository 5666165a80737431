//! The command line: the clap definitions (each command family's in its own file, re-exported
//! here), dispatch ([`run_command`]) and the glue every command shares (the data directory,
//! opening the store, errors on one line, exit codes). Handlers parse through the model's
//! validators, call `rapport-store` or [`crate::ops`], and print through [`crate::output`];
//! there is no business logic here.
//!
//! - [`customer`]: customers, contacts, interactions; [`followup`]; [`deal`];
//! - [`import_export`]: import and export; [`settings`]: team settings; [`field`]: custom
//!   fields; [`demo`];
//! - [`device`]: this device, revoke, undo; [`backup`]: backup, check, restore;
//! - [`team`]: `team` and its owner commands, and the clap types of `pair` and `peers`;
//! - [`net`]: the network commands (`serve`, `pair invite|join`, `sync --once`, `peers`).

pub mod backup;
pub mod customer;
pub mod deal;
pub mod demo;
pub mod device;
pub mod field;
pub mod followup;
pub mod import_export;
pub mod net;
pub mod settings;
pub mod team;

pub use customer::{
    ContactCmd, CustomerAdd, CustomerCmd, CustomerEdit, CustomerList, InteractionCmd,
};
pub use deal::DealCmd;
pub use device::DeviceCmd;
pub use field::FieldCmd;
pub use followup::FollowUpCmd;
pub use import_export::{ExportFormat, ImportArgs, ImportFormat};
pub use settings::SettingsCmd;
pub use team::{PairCmd, PeersCmd, TeamCmd};

use clap::{Args, Parser, Subcommand};

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

use crate::ops::lists;
use crate::output::{self, say, say_err};

/// Rapport: a local-first CRM for field sales teams.
#[derive(Parser, Debug)]
#[command(name = "rapport", version, about, long_about = None)]
pub struct Cli {
    /// Where the store lives (default: the platform data directory).
    #[arg(long, global = true, env = "RAPPORT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Open the app on generated demo data in a temporary store (no subcommand).
    #[arg(long)]
    pub demo: bool,

    /// How many demo customers `--demo` generates (1 to 1000000).
    #[arg(long, default_value_t = 2000, requires = "demo", value_parser = demo_count)]
    pub demo_customers: usize,

    /// Without a subcommand, `rapport` opens the desktop app.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Customers: add, list, show, edit, archive, delete, restore.
    #[command(subcommand)]
    Customer(Box<CustomerCmd>),
    /// Contacts (people at a customer).
    #[command(subcommand)]
    Contact(ContactCmd),
    /// Follow-ups: the agenda.
    #[command(subcommand, name = "followup")]
    FollowUp(FollowUpCmd),
    /// The interaction log.
    #[command(subcommand)]
    Interaction(InteractionCmd),
    /// Deals, orders and payments.
    #[command(subcommand)]
    Deal(DealCmd),
    /// Who changed what, when, from which device.
    History {
        /// Customer id, id prefix or exact name.
        customer: String,
        #[arg(long)]
        json: bool,
    },
    /// Fill the store with realistic generated customers.
    Demo {
        /// How many (1 to 1000000).
        #[arg(long, default_value_t = 500, value_parser = demo_count)]
        customers: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Customer value: tiers and revenue share, the Pareto curve, RFM segments.
    Value {
        #[arg(long)]
        json: bool,
    },
    /// The team's custom fields: add, list, rename, remove, restore; they sync.
    #[command(subcommand)]
    Field(FieldCmd),
    /// Team settings (tiers, window, cadence, currency rates, lifetime value, phone.region);
    /// they sync.
    Settings {
        #[command(subcommand)]
        action: Option<SettingsCmd>,
        #[arg(long)]
        json: bool,
    },
    /// Import customers and contacts: a Google, Outlook (English, German, French, Spanish) or
    /// Thunderbird contacts CSV, a vCard file, an orders CSV, or any spreadsheet (CSV, TSV,
    /// XLSX, XLS, ODS) through a column mapping, in any encoding. People with an organisation
    /// become contacts of one company customer per organisation; the others become person
    /// customers; people already known are merged (nothing overwritten).
    Import(Box<ImportArgs>),
    /// Write customers to FILE: vCard, CSV (Google layout), iCalendar (follow-ups), or `json`,
    /// a backup that `rapport restore` reads back losing nothing.
    Export {
        #[arg(long, value_enum, default_value = "vcard")]
        format: ExportFormat,
        file: PathBuf,
        /// xlsx: only customers with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// xlsx: only customers of this effective tier (vip, major, common, minor, unranked).
        #[arg(long)]
        tier: Option<String>,
        /// xlsx: only customers matching this text (as `customer list --search`).
        #[arg(long)]
        search: Option<String>,
    },
    /// Restore a JSON backup (`rapport export --format json`, or one of the automatic backups
    /// in the store's `backups/` folder) into an empty store.
    Restore {
        file: PathBuf,
        /// The store file is damaged: keep it aside (renamed `rapport.redb.damaged-TIME`) and
        /// restore into a new one. Refused if the store opens and checks clean.
        #[arg(long)]
        replace_damaged: bool,
    },
    /// Write a backup into the store's `backups/` folder now (the app and `rapport serve` do
    /// it daily, keeping 7), or list the backups.
    Backup {
        #[arg(long)]
        list: bool,
    },
    /// Check the store: file checksums and that every summary matches its document.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// This device: show it, rename it, or revoke another device for the whole team.
    Device {
        #[command(subcommand)]
        action: Option<DeviceCmd>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// The team: its devices with their roles (owner, admin, member), who added them and
    /// whether they were revoked; give a team an owner, set roles, reinstate, recover.
    Team {
        #[command(subcommand)]
        action: Option<TeamCmd>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Run as an always-on peer (e.g. an office machine): serve sync and pairing, and sync
    /// with every team device at an interval, until interrupted.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "0.0.0.0:47810")]
        bind: std::net::SocketAddr,
        /// Seconds between rounds of syncing with the team (1 to 86400).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        interval: u64,
    },
    /// Pair a new device into the team.
    #[command(subcommand)]
    Pair(PairCmd),
    /// Sync with every reachable team device, then exit (`--once` is required: the app and
    /// `rapport serve` sync continuously).
    Sync {
        #[arg(long, required = true)]
        once: bool,
        #[arg(long, default_value = "0.0.0.0:0")]
        bind: std::net::SocketAddr,
    },
    /// The team's devices, with their addresses and when they last synced with this one;
    /// a device that sent data that was refused is shown paused.
    Peers {
        #[command(subcommand)]
        action: Option<PeersCmd>,
        #[arg(long)]
        json: bool,
        /// Don't try to reach each device to tell whether it is online.
        #[arg(long)]
        no_probe: bool,
    },
}

/// The most customers `demo` generates at once (they are built in memory before writing).
pub const MAX_DEMO_CUSTOMERS: usize = 1_000_000;

/// A demo customer count: 1 to [`MAX_DEMO_CUSTOMERS`].
fn demo_count(s: &str) -> Result<usize, String> {
    let n: u128 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_DEMO_CUSTOMERS).contains(n))
        .ok_or_else(|| format!("{n} is out of range (1 to {MAX_DEMO_CUSTOMERS})"))
}

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
    let edits = crate::ops::fields::stored_edits(&store, vec![make(item, &store)])?;
    store.edit(id, &edits)?;
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
        Command::Customer(c) => customer::customer(cli, c.as_ref()),
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
        Command::FollowUp(f) => followup::followup(cli, f),
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
        Command::Deal(d) => deal::deal(cli, d),
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
        Command::Demo { customers, seed } => demo::demo(cli, *customers, *seed),
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
        Command::Settings { action, json } => settings::settings(cli, action.as_ref(), *json),
        Command::Field(f) => field::field(cli, f),
        Command::Export {
            format,
            file,
            tag,
            tier,
            search,
        } => import_export::export(
            cli,
            *format,
            file,
            &import_export::ListFilter {
                tag: tag.clone(),
                tier: tier.clone(),
                search: search.clone(),
            },
        ),
        Command::Import(a) => import_export::import(cli, a),
        Command::Restore {
            file,
            replace_damaged,
        } => backup::restore(cli, file, *replace_damaged),
        Command::Backup { list } => backup::backup(cli, *list),
        Command::Check { json } => backup::check(cli, *json),
        Command::Device { action, json } => device::device(cli, action.as_ref(), *json),
        Command::Serve { bind, interval } => net::serve(open(cli, "serve")?, *bind, *interval),
        Command::Pair(PairCmd::Invite { wait, bind, yes }) => match open(cli, "pair invite") {
            Ok(store) => net::invite(store, *bind, *wait, *yes),
            // A running `serve` holds the store: ask it to make the invite.
            Err(e)
                if e.downcast_ref::<rapport_store::StoreError>()
                    .is_some_and(|e| matches!(e, rapport_store::StoreError::InUse { .. })) =>
            {
                net::invite_via_running_node(&data_dir(cli)?, *wait, *yes)
            }
            Err(e) => Err(e),
        },
        Command::Pair(PairCmd::Join {
            ticket,
            bind,
            merge_teams,
        }) => net::join(open(cli, "pair join")?, *bind, ticket, *merge_teams),
        Command::Team { action, json } => team::run(&*open(cli, "team")?, action.as_ref(), *json),
        Command::Sync { bind, .. } => net::sync_once(open(cli, "sync")?, *bind),
        Command::Peers {
            action: Some(PeersCmd::Resume { device }),
            ..
        } => net::resume(&*open(cli, "peers resume")?, device),
        Command::Peers {
            action: None,
            json,
            no_probe,
        } => net::peers(open(cli, "peers")?, *json, !*no_probe),
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
