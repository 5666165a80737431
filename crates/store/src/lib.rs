//! # rapport-store: customers as automerge documents in redb
//!
//! The store owns the on-disk state of one device: one automerge document per customer
//! (see [`doc`] for the layout and merge rules), persisted in a single redb file with summary
//! and index tables beside it.
//!
//! ## Invariants
//! - **One write transaction per edit.** [`Store::edit`] loads the document, applies the
//!   validated [`Edit`](rapport_model::Edit)s as one automerge change, appends the change's
//!   bytes, and rewrites the summary and index rows, all in one redb transaction committed with
//!   immediate durability. When the call returns the edit is on disk; if it fails, nothing was
//!   written.
//! - **Opening never loads documents.** Listing, sorting, filtering and the agenda read the
//!   [`CustomerSummary`](rapport_model::CustomerSummary) table and its indexes (`by_name`,
//!   `by_tag`, `agenda`). Documents are loaded only to show or edit one customer, and to
//!   rebuild summaries after an upgrade.
//! - **Summaries are derived**, by [`CustomerSummary::of`](rapport_model::CustomerSummary::of)
//!   from the hydrated document, so two devices holding the same merged document hold the same
//!   summary.
//! - **Documents are append-only on disk**: a base snapshot (`docs`) plus incremental change
//!   chunks (`changes`), folded into a new snapshot every [`COMPACT_AFTER`] chunks.
//! - **Remote data is checked before it lands**: [`Store::apply_remote`] bounds the peer's
//!   bytes and their inflated size before decoding ([`limits::check_bytes`]), merges into a
//!   copy, bounds its operations, changes, nesting and objects without recursing
//!   ([`limits::check_loaded`]), and hydrates it; a malformed document or one that claims
//!   another id is refused and the store is untouched.
//! - **A bad peer document is refused alone**: in a batch ([`Store::apply_remote_from`], what
//!   sync does with a frame) the other documents still land, and the refused one is recorded
//!   in the `quarantine` table ([`Store::quarantined`]): why, from which peer, when, its size,
//!   hash and first [`MAX_QUARANTINE_BYTES`] bytes. Quarantine is neither damage nor a block:
//!   later changes to the same document are checked afresh and land if they are good.
//! - **A peer's session is held to a [`Quota`]** ([`Store::apply_remote_within`]): at most
//!   [`MAX_NEW_DOCS_PER_SESSION`] new documents and [`MAX_BYTES_PER_SESSION`] bytes; beyond it
//!   documents are refused and quarantined, and an honest peer's next session brings the rest.
//!   Over all its sessions a peer is also held to [`Quota::DAY`] a day (UTC), counted in the
//!   `peer_day` table.
//! - **One process at a time.** redb's exclusive lock guards the file; a second process gets
//!   [`StoreError::InUse`] naming the holder (from the `rapport.lock` note beside the file).
//!
//! Every change carries the device's actor id, a timestamp and a message naming the device and
//! the fields touched, which is what [`Store::history`] reads back.
//!
//! ## Where things are
//! This file holds the public types and the [`Store`] itself (its transactions, clock and
//! change feed); [`Store`]'s methods are split by concept: `open` (opening, migrations),
//! `write` (local edits and the summary/index upkeep), `read` (documents, listing, agenda,
//! history), `remote` (peer documents: checks, quarantine, paused peers, quotas), `shared`
//! (the settings and team documents), `team` (membership and roles), `device` (this device's
//! name, identity and settings), `peers` (sync records and the change sequence), `verify`
//! (checks, rebuilding summaries, compaction), `undo`, `derived` (the list, value-input and
//! agenda rows written beside each summary, and the cached value analysis: what commands
//! read at 100k customers instead of every summary), and [`backup`]/[`backups`]; `tables`
//! lists every redb table (`derived` declares its own).

pub mod authored;
pub mod backup;
pub mod backups;
mod derived;
mod device;
pub mod doc;
mod error;
pub mod limits;
mod open;
mod peers;
pub mod private;
mod read;
mod remote;
pub mod seal;
mod search;
mod shared;
mod tables;
mod team;
mod undo;
mod verify;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{ActorId, ChangeHash};
pub use rapport_model::NewCustomer;
use rapport_model::{CustomerId, OpenFollowUp, Timestamp};
use redb::{Database, WriteTransaction};
use serde::{Deserialize, Serialize};

pub use derived::{
    AgendaRow, CACHE_FORMAT, DueEntry, LeftOutEntry, ListRow, ListRowRef, ValueCache,
};
use device::default_device_name;
pub use error::{StoreError, restore_hint};
pub use search::SearchRow;
pub use undo::UndoReport;

/// Result alias for store calls.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// On-disk layout version of the redb tables. Bump it with a migration in [`Store::open`].
///
/// - 1: the first released layout.
/// - 2: adds the `quarantine` table (created empty when a schema-1 store is opened).
/// - 3: customer changes are bound to the device key ([`authored`]): the actor becomes the
///   device's public key (the old one is kept as `legacy_actor` and declared to the team),
///   the `change_sigs` and `unsigned_docs` tables appear, and every document written before
///   is listed as unsigned.
pub const SCHEMA_VERSION: u64 = 3;
/// Version of the summary encoding; a mismatch rebuilds summaries from the documents.
pub const SUMMARY_VERSION: u64 = 3;
/// Change chunks kept per document before they are folded into a new snapshot.
pub const COMPACT_AFTER: u32 = 32;
/// File name of the database inside the data directory.
pub const DB_FILE: &str = "rapport.redb";
/// File name of the note that says which process holds the store.
pub const LOCK_NOTE: &str = "rapport.lock";
/// File name of the key that seals the device secret when no OS keyring is available.
pub const KEY_FILE: &str = "device.key";
/// Refused bytes kept per quarantined document (enough to read the change headers: actor,
/// sequence number, dependencies); the whole length and a BLAKE3 hash are kept too.
pub const MAX_QUARANTINE_BYTES: usize = 4096;
/// Quarantined documents kept at most; later refusals of other documents are only logged, so
/// a peer sending endless bad ids cannot fill the disk (worst case about 4,096 × 4.2 KB).
pub const MAX_QUARANTINE_ROWS: u64 = 4096;

/// This device, as recorded in the store.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Device {
    /// The automerge actor id (hex) that signs this device's changes.
    pub actor: String,
    /// A human name, e.g. "Li Na's laptop".
    pub name: String,
}

/// Where a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    Local,
    Remote,
}

/// The team-wide documents besides customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Shared {
    /// Key/value team settings (value tiers, cadence, rates...).
    Settings,
    /// Team membership: devices added and revoked.
    Team,
}

impl Shared {
    pub const ALL: [Shared; 2] = [Shared::Settings, Shared::Team];

    fn key(self) -> &'static str {
        match self {
            Shared::Settings => "settings",
            Shared::Team => "team",
        }
    }
}

/// A device of the team, as the team document says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    /// The device's network id (opaque text to the store).
    pub id: String,
    pub name: String,
    pub added_at: Option<Timestamp>,
    pub revoked: bool,
    /// Last known direct addresses (`ip:port`): in a signed team as the device itself last
    /// described them; in a version-1 team as last recorded by any device.
    pub addrs: Vec<String>,
    /// Its role in a signed team (`None` in a version-1 team, which has no roles).
    #[serde(default)]
    pub role: Option<rapport_team::Role>,
    /// The device that added it (signed teams; `None` for the owner).
    #[serde(default)]
    pub added_by: Option<String>,
}

/// What this device knows locally about syncing with a peer (not synced).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerState {
    pub last_attempt: Option<Timestamp>,
    pub last_synced: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Documents received in the last successful session.
    pub last_received: u64,
    /// This store's change sequence when the last session with the peer ended.
    pub synced_seq: u64,
    /// How the last successful session reached the peer (`lan`, `direct`, `relay`).
    pub address_kind: Option<String>,
}

/// Which document a change event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocRef {
    Customer(CustomerId),
    Shared(Shared),
}

/// A document changed (the change feed, for the UI and for sync).
#[derive(Clone, Debug)]
pub struct ChangeEvent {
    pub doc: DocRef,
    pub heads: Vec<ChangeHash>,
    pub origin: Origin,
}

/// One change in a customer's history.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: Timestamp,
    /// Name of the device that made the change (as it said in the change).
    pub device: String,
    /// The device's actor id (hex).
    pub actor: String,
    /// What the change touched (`name`, `notes`, `deals`, ...).
    pub fields: Vec<String>,
    /// New values of the scalar fields it set, as of that change.
    pub values: BTreeMap<String, String>,
    /// The change hash (hex).
    pub hash: String,
    /// The device the change is attributed to (its id): the key that signed it, or the
    /// device its pre-signing actor was declared for. `None`: not attributable.
    #[serde(default)]
    pub device_id: Option<String>,
    /// That device's name as the signed team knows it (not as the change claims).
    #[serde(default)]
    pub verified_device: Option<String>,
    /// Whether `device_id` signed the change itself (false: an earlier, unsigned change).
    #[serde(default)]
    pub signed: bool,
    /// The current member that vouched for it, when its author is not one (id).
    #[serde(default)]
    pub vouched_by: Option<String>,
    /// When the change arrived on this device (`None`: before changes were signed).
    #[serde(default)]
    pub arrived: Option<Timestamp>,
}

impl HistoryEntry {
    /// Who made the change, as people are shown it: the device's name in the signed team
    /// when the change is signed by it, otherwise what the change claims, marked as such.
    pub fn who(&self) -> String {
        let mut out = match (&self.verified_device, self.signed) {
            (Some(n), true) => n.clone(),
            (Some(n), false) => format!("{n} (unsigned, from before signing)"),
            (None, true) => self.device.clone(),
            (None, false) => format!("{} (unverified)", self.device),
        };
        if let Some(v) = &self.vouched_by {
            out.push_str(&format!(", vouched for by {}", &v[..v.len().min(8)]));
        }
        out
    }

    /// When it arrived here, if that is more than a minute away from the time it claims
    /// (clocks differ, the device was offline, or the time is false).
    pub fn arrived_apart(&self) -> Option<Timestamp> {
        self.arrived
            .filter(|a| (*a - self.at).num_seconds().abs() > 60)
    }
}

/// Which customers a listing includes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Visibility {
    /// Neither archived nor deleted.
    #[default]
    Active,
    /// Active and archived.
    WithArchived,
    /// Only deleted (tombstoned) customers.
    Deleted,
}

/// A listing request, ordered by name.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub tag: Option<String>,
    pub text: Option<String>,
    pub visibility: Visibility,
    pub offset: usize,
    pub limit: Option<usize>,
}

/// An open follow-up with its customer, as the agenda lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AgendaItem {
    pub customer: CustomerId,
    pub customer_name: String,
    pub followup: OpenFollowUp,
}

/// The clock the store stamps changes with (injectable for deterministic tests).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// How to open a store.
#[derive(Clone)]
pub struct OpenOptions {
    /// Device name written on first open (ignored afterwards).
    pub device_name: String,
    /// What this process is, for the "in use by" message other processes see.
    pub holder: String,
    pub clock: Clock,
    /// Where the device key that seals the identity in local backups is kept when it can be
    /// (the OS keyring, which the application supplies); see [`seal`].
    pub vault: Option<Arc<dyn seal::KeyVault>>,
    /// The device key file when the vault is absent or fails (default
    /// [`seal::Keys::default_file`]).
    pub key_file: Option<PathBuf>,
    /// Free space on the store's disk below which data from peers is refused, so a peer
    /// cannot take the room this device's own edits need (default [`MIN_FREE_FOR_PEERS`]).
    pub min_free_for_peers: u64,
    /// What one peer may bring in a day over all its sessions (default [`Quota::DAY`]).
    pub daily_quota: Quota,
}

/// Default [`OpenOptions::min_free_for_peers`]: 256 MiB.
pub const MIN_FREE_FOR_PEERS: u64 = 256 << 20;

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            device_name: default_device_name(),
            holder: "rapport".to_string(),
            clock: Arc::new(chrono::Utc::now),
            vault: None,
            key_file: None,
            min_free_for_peers: MIN_FREE_FOR_PEERS,
            daily_quota: Quota::DAY,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct ChangeMessage {
    #[serde(rename = "d")]
    device: String,
    #[serde(rename = "f")]
    fields: Vec<String>,
    /// Settings changes in a signed team: the team log's heads (hex) when the change was
    /// made, so every device checks the author's role as the author knew it.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    team: Vec<String>,
}

/// The device's store. `Sync`: share it behind an `Arc`; reads run concurrently, writes are
/// serialised by redb.
pub struct Store {
    db: Database,
    dir: PathBuf,
    /// This device: its actor and name (the name may change while the store is shared).
    device: std::sync::RwLock<Device>,
    actor: ActorId,
    secret: [u8; 32],
    /// The device keys local backups seal the identity with.
    keys: seal::Keys,
    clock: Clock,
    feed: tokio::sync::broadcast::Sender<ChangeEvent>,
    team_cache: std::sync::Mutex<team::TeamCache>,
    min_free_for_peers: u64,
    daily_quota: Quota,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("device", &self.device())
            .finish()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(LOCK_NOTE));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// New documents one peer may bring in one sync session. An honest first sync of a very large
/// team brings more and simply takes several sessions (what is refused is asked for again).
pub const MAX_NEW_DOCS_PER_SESSION: u64 = 50_000;
/// Document bytes one peer may send in one sync session (same remark).
pub const MAX_BYTES_PER_SESSION: u64 = 512 << 20;
/// New documents one peer may bring in a day (UTC), over all its sessions: an honest first
/// sync of a 100,000-customer team fits twice.
pub const MAX_NEW_DOCS_PER_DAY: u64 = 200_000;
/// Bytes one peer may bring in a day (UTC), over all its sessions.
pub const MAX_BYTES_PER_DAY: u64 = 2 << 30;

/// What a peer may still send ([`Store::apply_remote_within`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// Documents new to this store.
    pub new_docs: u64,
    /// Bytes, over all documents.
    pub bytes: u64,
}

impl Quota {
    /// One sync session's worth: [`MAX_NEW_DOCS_PER_SESSION`], [`MAX_BYTES_PER_SESSION`].
    pub const SESSION: Quota = Quota {
        new_docs: MAX_NEW_DOCS_PER_SESSION,
        bytes: MAX_BYTES_PER_SESSION,
    };
    /// One peer's day: [`MAX_NEW_DOCS_PER_DAY`], [`MAX_BYTES_PER_DAY`].
    pub const DAY: Quota = Quota {
        new_docs: MAX_NEW_DOCS_PER_DAY,
        bytes: MAX_BYTES_PER_DAY,
    };
    /// No limit.
    pub const UNLIMITED: Quota = Quota {
        new_docs: u64::MAX,
        bytes: u64::MAX,
    };

    /// Charges one document of `len` bytes (new here if `is_new`), or says why it is over.
    pub fn charge(&mut self, is_new: bool, len: usize) -> std::result::Result<(), String> {
        let len = len as u64;
        if len > self.bytes {
            self.bytes = 0;
            return Err("over the peer's byte quota for this session".into());
        }
        if is_new && self.new_docs == 0 {
            return Err("over the peer's quota of new documents for this session".into());
        }
        self.bytes -= len;
        if is_new {
            self.new_docs -= 1;
        }
        Ok(())
    }
}

/// What [`Store::apply_remote_from`] did with a batch of peer documents.
#[derive(Debug, Default)]
pub struct Applied {
    /// Documents that changed.
    pub changed: usize,
    /// Documents refused (and quarantined), with why.
    pub refused: Vec<(CustomerId, StoreError)>,
}

/// A peer document this store refused (see [`Store::quarantined`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quarantined {
    pub doc: DocRef,
    /// Why it was refused (the latest time).
    pub reason: String,
    /// The peer that sent it (its network id), when known.
    pub peer: Option<String>,
    /// When it was last refused.
    pub at: Timestamp,
    /// How many times it was refused.
    pub refusals: u64,
    /// Length of the refused bytes.
    pub len: u64,
    /// BLAKE3 of the refused bytes (hex).
    pub hash: String,
    /// The first [`MAX_QUARANTINE_BYTES`] of them.
    pub bytes: Vec<u8>,
}

/// Sync with a peer paused because it sent data that was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Paused {
    /// When it was paused (the latest refusal).
    pub at: Timestamp,
    /// Why the latest refused document was refused.
    pub reason: String,
}

impl Store {
    /// The directory holding the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Subscribes to the change feed. Slow receivers miss events (`Lagged`) rather than
    /// blocking writers; they should then re-read what they display.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChangeEvent> {
        self.feed.subscribe()
    }

    /// Tells subscribers (UI, sync) that a document changed. Having no subscriber is fine.
    fn notify(&self, doc: DocRef, heads: Vec<ChangeHash>, origin: Origin) {
        let _ = self.feed.send(ChangeEvent { doc, heads, origin });
    }

    /// The clock, truncated to the milliseconds documents store.
    fn now(&self) -> Timestamp {
        rapport_model::timestamp_from_millis((self.clock)().timestamp_millis())
    }

    fn begin_write(&self) -> Result<WriteTransaction> {
        self.db
            .begin_write()
            .map_err(|e| StoreError::from(e).with_path(&self.dir))
    }

    fn commit(&self, txn: WriteTransaction) -> Result<()> {
        txn.commit()
            .map_err(|e| StoreError::from(e).with_path(&self.dir))
    }
}
