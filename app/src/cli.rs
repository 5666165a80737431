//! Command-line definitions (clap derive). Parsing only; `run.rs` dispatches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Team settings (tiers, window, cadence, currency rates, lifetime value); they sync.
    Settings {
        #[command(subcommand)]
        action: Option<SettingsCmd>,
        #[arg(long)]
        json: bool,
    },
    /// Import contacts from a Google Contacts or Outlook CSV export or a vCard file. People with an
    /// organisation become contacts of one company customer per organisation; the others
    /// become person customers; people already known are merged (nothing overwritten).
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "auto")]
        format: ImportFormat,
        /// Show what would be created, merged or left alone, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows and list the bad ones (default: any bad row stops the import).
        #[arg(long)]
        skip_bad: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write customers to FILE: vCard, CSV (Google layout), iCalendar (follow-ups), or `json`,
    /// a backup that `rapport restore` reads back losing nothing.
    Export {
        #[arg(long, value_enum, default_value = "vcard")]
        format: ExportFormat,
        file: PathBuf,
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

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// Rename this device.
    Rename { name: String },
    /// Revoke a device (id, id prefix or name) for the whole team; every device that learns it
    /// refuses the revoked one from then on.
    Revoke { device: String },
    /// Undo every change a device made (since a time): the recovery for a paired device that
    /// deleted or overwrote customers. Writes ordinary new changes that sync to the team;
    /// fields someone changed after that device are left as they are. DEVICE is the name the
    /// device signs its changes with (see `rapport history`) or its actor id.
    Undo {
        device: String,
        /// Only changes made at or after this time ("YYYY-MM-DD HH:MM", local time, or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Say what would change, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Set a setting of this device only: `lan.discovery` (find team devices on the LAN by
    /// mDNS, default on), `lan.advertise` (announce this device on the LAN, default on),
    /// `net.relays` (public relays and DNS lookup, default off). Values: on, off.
    Set { key: String, value: String },
}

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    /// Make this device the owner of a new team, or of this device's team if it has no owner
    /// yet (a team from Rapport 0.1: its devices and revocations carry over). Prints the
    /// recovery code once. The first `pair invite` does this by itself for a new device.
    Create {
        #[arg(long)]
        name: Option<String>,
    },
    /// Make a device (id, id prefix or name) an admin or a member again (owner only).
    Role { device: String, role: String },
    /// Undo a revocation, e.g. one a rogue admin made (owner only).
    Reinstate { device: String },
    /// Make this device the owner with the team's recovery code (the lost owner device is
    /// revoked).
    Recover { code: String },
}

#[derive(Subcommand, Debug)]
pub enum PeersCmd {
    /// Sync again with a device (id, id prefix or name) that was paused because it sent
    /// data that was refused. What it sent stays set aside; what it sends next is checked.
    Resume { device: String },
}

#[derive(Subcommand, Debug)]
pub enum PairCmd {
    /// Print an invite ticket (alone on the first line of stdout) and wait for the new device.
    Invite {
        /// Seconds to wait (1 to 86400); the ticket expires then too.
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        wait: u64,
        #[arg(long, default_value = "0.0.0.0:47810")]
        bind: std::net::SocketAddr,
        /// Admit the device that presents the ticket without asking (scripts and tests);
        /// otherwise this terminal shows its name and confirmation code and asks.
        #[arg(long)]
        yes: bool,
    },
    /// Join the team of the device that printed TICKET, and sync with it.
    Join {
        ticket: String,
        #[arg(long, default_value = "0.0.0.0:0")]
        bind: std::net::SocketAddr,
        /// Join even though this device already belongs to another team: its customers go
        /// to the new team too.
        #[arg(long)]
        merge_teams: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCmd {
    /// Set a team setting, e.g. `settings set rate.EUR 7.85`.
    Set { key: String, value: String },
    /// Remove a team setting (back to its default).
    Unset { key: String },
}

#[derive(Subcommand, Debug)]
pub enum CustomerCmd {
    /// Add a customer; prints its id.
    Add(CustomerAdd),
    /// List customers by name.
    List(CustomerList),
    /// Show one customer in full.
    Show {
        customer: String,
        #[arg(long)]
        json: bool,
    },
    /// Change fields of a customer.
    Edit(Box<CustomerEdit>),
    /// Archive a customer (hidden from lists and the agenda, kept).
    Archive {
        customer: String,
        /// Un-archive instead.
        #[arg(long)]
        undo: bool,
    },
    /// Delete a customer (a tombstone on every device; restorable).
    Delete { customer: String },
    /// Restore a deleted customer.
    Restore { customer: String },
}

#[derive(Args, Debug)]
pub struct CustomerAdd {
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "company")]
    pub kind: String,
    /// For a person: the organisation they belong to.
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub email: Vec<String>,
    #[arg(long)]
    pub phone: Vec<String>,
    #[arg(long)]
    pub tag: Vec<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CustomerList {
    /// Only customers with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Only customers of this effective tier: vip, major, common, minor or unranked.
    #[arg(long)]
    pub tier: Option<String>,
    /// Only customers matching this text (name, company, contacts, phones, emails, tags,
    /// notes; Chinese names also by pinyin).
    #[arg(long)]
    pub search: Option<String>,
    /// Include archived customers.
    #[arg(long)]
    pub archived: bool,
    /// List deleted customers (only).
    #[arg(long, conflicts_with = "archived")]
    pub deleted: bool,
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CustomerEdit {
    pub customer: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub company: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub notes: Option<String>,
    /// exploration, formation, stability, decline, or `none` to infer it.
    #[arg(long)]
    pub stage: Option<String>,
    #[arg(long)]
    pub importance: Option<String>,
    #[arg(long)]
    pub urgency: Option<String>,
    /// The customer who referred this one, or `none`.
    #[arg(long)]
    pub referred_by: Option<String>,
    /// Set the value tier by hand (vip, major, common, minor), or `none` to use the computed one.
    #[arg(long)]
    pub tier: Option<String>,
    /// Why the tier was set by hand (with --tier).
    #[arg(long, requires = "tier")]
    pub tier_reason: Option<String>,
    #[arg(long)]
    pub add_tag: Vec<String>,
    #[arg(long)]
    pub remove_tag: Vec<String>,
    #[arg(long)]
    pub add_email: Vec<String>,
    #[arg(long)]
    pub remove_email: Vec<String>,
    #[arg(long)]
    pub add_phone: Vec<String>,
    #[arg(long)]
    pub remove_phone: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ContactCmd {
    /// Add a contact to a customer; prints its id.
    Add {
        customer: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long)]
        email: Vec<String>,
        #[arg(long)]
        phone: Vec<String>,
        /// Messaging handle, e.g. wechat:zhangwei88.
        #[arg(long)]
        handle: Vec<String>,
        /// YYYY-MM-DD.
        #[arg(long)]
        birthday: Option<String>,
        #[arg(long, default_value = "")]
        notes: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum FollowUpCmd {
    /// Plan a follow-up; prints its id.
    Add {
        customer: String,
        /// YYYY-MM-DD or "YYYY-MM-DD HH:MM" (local time).
        #[arg(long)]
        due: String,
        /// call, visit, email, meeting or other.
        #[arg(long, default_value = "call")]
        kind: String,
        #[arg(long)]
        subject: String,
        #[arg(long, default_value = "")]
        assignee: String,
    },
    /// Open follow-ups, earliest first.
    List {
        /// Only those already overdue.
        #[arg(long, group = "window")]
        overdue: bool,
        /// Due today or overdue.
        #[arg(long, group = "window")]
        today: bool,
        /// Due this week (up to Sunday, as in the app) or overdue.
        #[arg(long, group = "window")]
        week: bool,
        /// Customers due for a revisit by their tier's cadence, most valuable first.
        #[arg(long, group = "window")]
        due_revisit: bool,
        #[arg(long)]
        json: bool,
    },
    /// Mark a follow-up done.
    Done {
        /// The follow-up's id (or a unique prefix of at least 4 hex digits).
        followup: String,
        #[arg(long, default_value = "")]
        outcome: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InteractionCmd {
    /// Record something that happened; prints its id.
    Log {
        customer: String,
        #[arg(long)]
        summary: String,
        /// call, visit, email, meeting, message or other.
        #[arg(long, default_value = "call")]
        kind: String,
        #[arg(long, default_value = "")]
        outcome: String,
        /// When (RFC 3339 or "YYYY-MM-DD HH:MM" local); default now.
        #[arg(long)]
        at: Option<String>,
        /// Who; default this device's name.
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DealCmd {
    /// Record a deal, order or payment; prints its id.
    Add {
        customer: String,
        /// Decimal amount, e.g. 1234.50.
        #[arg(long, allow_hyphen_values = true)]
        amount: String,
        /// ISO 4217 code, e.g. CNY.
        #[arg(long)]
        currency: String,
        /// open, won or lost.
        #[arg(long)]
        status: String,
        /// YYYY-MM-DD: close date (won/lost) or expected close (open).
        #[arg(long)]
        date: String,
        #[arg(long, default_value = "")]
        title: String,
        /// 0-100; default 100 for won, 0 for lost, 50 for open.
        #[arg(long)]
        probability: Option<u8>,
    },
    /// Change a deal.
    Edit {
        /// The deal's id (or a unique prefix of at least 4 hex digits).
        deal: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        probability: Option<u8>,
    },
}
