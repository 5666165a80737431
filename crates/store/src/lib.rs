//! # rapport-store: customers as automerge documents in redb
//!
//! The store owns the on-disk state of one device: one automerge document per customer
//! (see [`doc`] for the layout and merge rules), persisted in a single redb file with summary
//! and index tables beside it.
//!
//! ## Invariants
//! - **One write transaction per edit.** [`Store::edit`] loads the document, applies the
//!   validated [`Edit`]s as one automerge change, appends the change's bytes, and rewrites the
//!   summary and index rows, all in one redb transaction committed with immediate durability.
//!   When the call returns the edit is on disk; if it fails, nothing was written.
//! - **Opening never loads documents.** Listing, sorting, filtering and the agenda read the
//!   [`CustomerSummary`] table and its indexes (`by_name`, `by_tag`, `agenda`). Documents are
//!   loaded only to show or edit one customer, and to rebuild summaries after an upgrade.
//! - **Summaries are derived**, by [`CustomerSummary::of`] from the hydrated document, so two
//!   devices holding the same merged document hold the same summary.
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

pub mod authored;
pub mod backup;
pub mod backups;
mod derived;
pub mod doc;
mod error;
pub mod limits;
pub mod private;
pub mod seal;
mod team;
mod undo;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{
    ActorId, AutoCommit, ChangeHash, ROOT, ReadDoc,
    transaction::{CommitOptions, Transactable},
};
pub use rapport_model::NewCustomer;
use rapport_model::{Customer, CustomerId, CustomerSummary, Edit, OpenFollowUp, Timestamp, text};
use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use serde::{Deserialize, Serialize};

pub use derived::{
    AgendaRow, CACHE_FORMAT, DueEntry, LeftOutEntry, ListRow, ListRowRef, ValueCache,
};
pub use error::{StoreError, restore_hint};
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
pub const SUMMARY_VERSION: u64 = 2;
/// Change chunks kept per document before they are folded into a new snapshot.
pub const COMPACT_AFTER: u32 = 32;
/// File name of the database inside the data directory.
pub const DB_FILE: &str = "rapport.redb";
/// File name of the note that says which process holds the store.
pub const LOCK_NOTE: &str = "rapport.lock";
/// File name of the key that seals the device secret when no OS keyring is available.
pub const KEY_FILE: &str = "device.key";

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const DOCS: TableDefinition<u128, &[u8]> = TableDefinition::new("docs");
const CHANGES: TableDefinition<(u128, u32), &[u8]> = TableDefinition::new("changes");
const SUMMARIES: TableDefinition<u128, &[u8]> = TableDefinition::new("summaries");
const HEADS: TableDefinition<u128, &[u8]> = TableDefinition::new("heads");
const BY_NAME: TableDefinition<(&str, u128), ()> = TableDefinition::new("by_name");
const BY_TAG: TableDefinition<(&str, u128), ()> = TableDefinition::new("by_tag");
const AGENDA: TableDefinition<(&str, u128, u128), ()> = TableDefinition::new("agenda");
/// Team-wide documents by name (`settings`; team membership will join it).
const TEAM_DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("team_docs");
/// This device's own record of sync sessions per peer id (postcard `PeerState`); not synced.
const PEERS: TableDefinition<&str, &[u8]> = TableDefinition::new("peers");
/// Local change sequence: each customer document's sequence number at its latest write
/// (local edit or merge from a peer). Not synced; it lets "pending changes" for a peer be
/// counted as documents written since the last session with it.
const SEQ_OF: TableDefinition<u128, u64> = TableDefinition::new("seq_of");
/// The same, by sequence number (the newest write is the last row).
const BY_SEQ: TableDefinition<u64, u128> = TableDefinition::new("by_seq");
/// Settings of this device only (network options...); not synced.
const DEVICE_SETTINGS: TableDefinition<&str, &str> = TableDefinition::new("device_settings");
/// Longest setting key and value accepted (local or from a peer).
const MAX_SETTING_BYTES: usize = 4096;
/// Peer documents this device refused: document key (a customer id in hex, or
/// `shared/settings`, `shared/team`) → postcard `QuarantineRow`. Not synced; not damage.
const QUARANTINE: TableDefinition<&str, &[u8]> = TableDefinition::new("quarantine");
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

fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this device".to_string())
}

#[derive(Serialize, Deserialize)]
struct LockNote {
    pid: u32,
    holder: String,
    since: String,
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

fn decode_summary(bytes: &[u8]) -> Result<CustomerSummary> {
    Ok(postcard::from_bytes(bytes)?)
}

fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok().map(ChangeHash))
        .collect()
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

/// What each peer brought today (not synced): peer id → postcard [`DayUse`].
const PEER_DAY: TableDefinition<&str, &[u8]> = TableDefinition::new("peer_day");

#[derive(Serialize, Deserialize, Default)]
struct DayUse {
    /// Days since 1970-01-01 (UTC).
    day: i64,
    new_docs: u64,
    bytes: u64,
}

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

#[derive(Serialize, Deserialize)]
struct QuarantineRow {
    reason: String,
    peer: Option<String>,
    at_ms: i64,
    refusals: u64,
    len: u64,
    hash: String,
    bytes: Vec<u8>,
}

fn quarantine_key(doc: DocRef) -> String {
    match doc {
        DocRef::Customer(id) => id.to_string(),
        DocRef::Shared(kind) => format!("shared/{}", kind.key()),
    }
}

fn quarantine_doc(key: &str) -> Option<DocRef> {
    match key.strip_prefix("shared/") {
        Some(k) => Shared::ALL
            .into_iter()
            .find(|s| s.key() == k)
            .map(DocRef::Shared),
        None => key.parse().ok().map(DocRef::Customer),
    }
}

/// Records in `txn` that `doc`'s `bytes` from `peer` were refused for `why`, replacing an
/// earlier record of the same document. Beyond [`MAX_QUARANTINE_ROWS`] documents the refusal
/// is only logged.
/// Why a peer's document is refused when its changes' dependencies are missing (which an
/// honest peer's interrupted session can cause: it does not pause sync).
const MISSING_DEPS: &str = "peer sent changes whose dependencies are missing";

/// Peers whose sync is paused because they sent data that was refused: peer id → postcard
/// [`PausedRow`]. Not synced.
const PAUSED: TableDefinition<&str, &[u8]> = TableDefinition::new("paused_peers");

#[derive(Serialize, Deserialize)]
struct PausedRow {
    at_ms: i64,
    reason: String,
}

/// Sync with a peer paused because it sent data that was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Paused {
    /// When it was paused (the latest refusal).
    pub at: Timestamp,
    /// Why the latest refused document was refused.
    pub reason: String,
}

/// Pauses sync with `peer` (when known) after it sent data that was refused.
fn pause_in(
    txn: &WriteTransaction,
    peer: Option<Option<&str>>,
    why: &StoreError,
    now: Timestamp,
) -> Result<()> {
    let Some(Some(peer)) = peer else {
        return Ok(());
    };
    let row = PausedRow {
        at_ms: now.timestamp_millis(),
        reason: why.to_string().chars().take(1000).collect(),
    };
    let key: String = peer.chars().take(200).collect();
    txn.open_table(PAUSED)?
        .insert(key.as_str(), postcard::to_stdvec(&row)?.as_slice())?;
    Ok(())
}

fn quarantine_in(
    txn: &WriteTransaction,
    doc: DocRef,
    peer: Option<&str>,
    why: &StoreError,
    bytes: &[u8],
    now: Timestamp,
) -> Result<()> {
    let mut t = txn.open_table(QUARANTINE)?;
    let key = quarantine_key(doc);
    let old: Option<QuarantineRow> = match t.get(key.as_str())? {
        Some(g) => postcard::from_bytes(g.value()).ok(),
        None => None,
    };
    if old.is_none() && t.len()? >= MAX_QUARANTINE_ROWS {
        tracing::warn!(doc = %key, "quarantine is full; the refusal is not recorded");
        return Ok(());
    }
    let row = QuarantineRow {
        reason: why.to_string().chars().take(1000).collect(),
        peer: peer.map(|p| p.chars().take(200).collect()),
        at_ms: now.timestamp_millis(),
        refusals: old.map_or(0, |o| o.refusals).saturating_add(1),
        len: bytes.len() as u64,
        hash: blake3::hash(bytes).to_hex().to_string(),
        bytes: bytes[..bytes.len().min(MAX_QUARANTINE_BYTES)].to_vec(),
    };
    t.insert(key.as_str(), postcard::to_stdvec(&row)?.as_slice())?;
    Ok(())
}

/// A peer's bytes merged into a document, checked, not yet written.
struct Merged {
    doc: AutoCommit,
    chunks: u32,
    old_heads: Vec<ChangeHash>,
    is_new: bool,
    /// New here and loaded strictly: store the peer's bytes as they are.
    verbatim: bool,
    customer: Customer,
}

/// Merges `bytes` from a peer into the `existing` document (or a new one) and hydrates the
/// result, which is the check: bytes over the [`limits`] are refused before automerge decodes
/// them, a merged document over them before it is hydrated, and a malformed document fails
/// hydration, all before any write. `None` if nothing changed.
fn merge_remote(
    existing: Option<(AutoCommit, u32)>,
    id: CustomerId,
    bytes: &[u8],
) -> Result<Option<Merged>> {
    let refuse = |reason: String| StoreError::BadDocument {
        id,
        reason: format!("peer data refused: {reason}"),
    };
    limits::check_bytes(bytes).map_err(refuse)?;
    // A document new here that loads strictly can be stored exactly as received (no re-save);
    // anything else is merged incrementally and saved by us.
    let mut verbatim = false;
    let (mut doc, chunks, old_heads, is_new) = match existing {
        Some((mut d, n)) => {
            let h = d.get_heads();
            (d, n, h, false)
        }
        None => match AutoCommit::load(bytes) {
            Ok(d) => {
                verbatim = true;
                (d, 0, Vec::new(), true)
            }
            Err(_) => (AutoCommit::new(), 0, Vec::new(), true),
        },
    };
    if !verbatim {
        doc.load_incremental(bytes).map_err(|e| StoreError::BadDocument {
            id,
            reason: match e {
                automerge::AutomergeError::DuplicateSeqNumber(seq, actor) => format!(
                    "two different changes both claim to be change {seq} by device {}: that device's data directory has probably been copied to a second computer and both copies were used. Keep one copy; on the other, move its data directory away and pair it as a new device",
                    actor.to_hex_string().chars().take(8).collect::<String>()
                ),
                e => format!("peer data does not load: {e}"),
            },
        })?;
    }
    if doc.get_heads() == old_heads {
        return Ok(None);
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(StoreError::BadDocument {
            id,
            reason: MISSING_DEPS.into(),
        });
    }
    limits::check_loaded(&doc).map_err(refuse)?;
    let customer = doc::hydrate(&doc, id)?;
    Ok(Some(Merged {
        doc,
        chunks,
        old_heads,
        is_new,
        verbatim,
        customer,
    }))
}

/// Signature rows for a peer's new changes, to write beside the merged document.
struct NewRows {
    rows: Vec<([u8; 32], authored::SigRow)>,
    /// Some change has no author signature (merged outside a signed team).
    unsigned: bool,
}

impl NewRows {
    fn write(
        self,
        sigs: &mut redb::Table<'_, (u128, [u8; 32]), &'static [u8]>,
        unsigned: &mut redb::Table<'_, u128, ()>,
        key: u128,
    ) -> Result<()> {
        for (h, row) in self.rows {
            sigs.insert((key, h), postcard::to_stdvec(&row)?.as_slice())?;
        }
        if self.unsigned {
            unsigned.insert(key, ())?;
        }
        Ok(())
    }
}

/// Checks who made each of the peer's new changes in `m` ([`authored::attribute`]) when this
/// device is in a signed team `team`; refuses the document if one does not count. Returns the
/// rows to record (with each change's verified signatures and its arrival time).
fn check_authors(
    team: Option<&rapport_team::TeamState>,
    id: CustomerId,
    m: &mut Merged,
    sigs: &[([u8; 32], authored::Sig)],
    now: Timestamp,
) -> Result<NewRows> {
    check_changes(team, id.as_u128(), &mut m.doc, &m.old_heads, sigs, now)
        .map_err(|reason| StoreError::BadDocument { id, reason })
}

/// [`check_authors`] for any document (`key` in `change_sigs`).
fn check_changes(
    team: Option<&rapport_team::TeamState>,
    key: u128,
    doc: &mut AutoCommit,
    old_heads: &[ChangeHash],
    sigs: &[([u8; 32], authored::Sig)],
    now: Timestamp,
) -> std::result::Result<NewRows, String> {
    let changes = authored::infos(doc, old_heads);
    // Signatures by the wire prefix of the hash they name; each is verified against the
    // whole hash of a change with that prefix.
    let mut by_prefix: BTreeMap<[u8; 32], Vec<&authored::Sig>> = BTreeMap::new();
    for (h, s) in sigs {
        let v = by_prefix.entry(authored::prefix_of(h)).or_default();
        if v.len() < 4 * authored::MAX_SIGS_PER_CHANGE {
            v.push(s);
        }
    }
    let mut by_hash: BTreeMap<[u8; 32], Vec<authored::Sig>> = BTreeMap::new();
    for c in &changes {
        let Some(candidates) = by_prefix.get(&authored::prefix_of(&c.hash.0)) else {
            continue;
        };
        let v = by_hash.entry(c.hash.0).or_default();
        for s in candidates {
            if v.len() < authored::MAX_SIGS_PER_CHANGE
                && !v.iter().any(|x| x.by == s.by)
                && authored::verify_sig(key, &c.hash, s)
            {
                v.push((*s).clone());
            }
        }
    }
    let mut out = NewRows {
        rows: Vec::with_capacity(changes.len()),
        unsigned: false,
    };
    // Which changes build on signed history (computed only if an unsigned change came).
    let mut signed_era: Option<std::collections::HashSet<ChangeHash>> = None;
    for c in &changes {
        let h = c.hash;
        let valid = by_hash.remove(&h.0).unwrap_or_default();
        let unsigned_actor = authored::actor_key(&c.actor).is_none();
        if team.is_some() && unsigned_actor && signed_era.is_none() {
            let all = authored::infos(doc, &[]);
            let mut era = std::collections::HashSet::new();
            // Until nothing more joins (whatever order the metadata comes in).
            loop {
                let before = era.len();
                for x in &all {
                    if !era.contains(&x.hash)
                        && (authored::actor_key(&x.actor).is_some()
                            || x.deps.iter().any(|d| era.contains(d)))
                    {
                        era.insert(x.hash);
                    }
                }
                if era.len() == before {
                    break;
                }
            }
            signed_era = Some(era);
        }
        let builds_on_signed = signed_era
            .as_ref()
            .is_some_and(|era| c.deps.iter().any(|d| era.contains(d)));
        let author = authored::actor_key(&c.actor).filter(|k| valid.iter().any(|s| s.by == *k));
        if let Some(st) = team {
            authored::attribute(st, c, &valid, builds_on_signed).map_err(|why| {
                format!(
                    "refused {why} (change {} of {})",
                    &h.to_string()[..12],
                    data_encoding::HEXLOWER.encode(&c.actor[..c.actor.len().min(4)])
                )
            })?;
        } else if author.is_none() {
            out.unsigned = true;
        }
        out.rows.push((
            h.0,
            authored::SigRow {
                arrived_ms: now.timestamp_millis(),
                author,
                sigs: valid,
            },
        ));
    }
    Ok(out)
}

/// Checks that each new signed settings change's author was an admin (or the owner) in the
/// team as it knew it: the team log's heads its message names ([`ChangeMessage::team`]).
/// Deciding by the author's knowledge, not by this device's, is what makes every device
/// decide the same way, whatever order the team and the settings arrived in.
fn check_settings_roles(
    log: &rapport_team::Log,
    team: &rapport_team::Hash,
    doc: &mut AutoCommit,
    old_heads: &[ChangeHash],
) -> std::result::Result<(), String> {
    for c in authored::infos(doc, old_heads) {
        let Some(author) = authored::actor_key(&c.actor) else {
            continue; // unsigned history: checked by `check_changes`
        };
        let heads: Vec<rapport_team::Hash> = c
            .message
            .as_deref()
            .and_then(|m| serde_json::from_str::<ChangeMessage>(m).ok())
            .map(|m| {
                m.team
                    .iter()
                    .take(rapport_team::MAX_DEPS)
                    .filter_map(|h| rapport_team::parse_key(h))
                    .collect()
            })
            .unwrap_or_default();
        let admin = log
            .state_at(team, &heads)
            .and_then(|st| st.role(&author))
            .is_some_and(|r| r >= rapport_team::Role::Admin);
        if !admin {
            return Err(format!(
                "refused a settings change by {}, which was not an admin in the team it names (change {})",
                &rapport_team::key_hex(&author)[..8],
                &c.hash.to_string()[..12]
            ));
        }
    }
    Ok(())
}

/// Loads a document from its snapshot and change chunks. `None` if the store has no such
/// document. The chunks are concatenated and loaded in one go, which is several times faster
/// than replaying each with `load_incremental`.
fn load_doc(
    docs: &impl ReadableTable<u128, &'static [u8]>,
    changes: &impl ReadableTable<(u128, u32), &'static [u8]>,
    id: CustomerId,
) -> Result<Option<(AutoCommit, u32)>> {
    let key = id.as_u128();
    let Some(base) = docs.get(key)? else {
        return Ok(None);
    };
    let mut bytes = base.value().to_vec();
    let mut chunks = 0u32;
    for row in changes.range((key, 0)..=(key, u32::MAX))? {
        let (_, chunk) = row?;
        bytes.extend_from_slice(chunk.value());
        chunks += 1;
    }
    let doc = AutoCommit::load(&bytes).map_err(|e| StoreError::BadDocument {
        id,
        reason: format!("stored document does not load: {e}"),
    })?;
    Ok(Some((doc, chunks)))
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: impl AsRef<Path>, opts: OpenOptions) -> Result<Store> {
        let dir = dir.as_ref().to_path_buf();
        private::create_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        // Stores written before modes were set have default ones: make them owner-only.
        private::tighten_dir(&dir);
        let path = dir.join(DB_FILE);
        // redb can panic on a file whose structure is damaged; that is damage, not a crash.
        let opened =
            std::panic::catch_unwind(|| Database::builder().create(&path)).unwrap_or_else(|_| {
                Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(
                    "its internal structure is inconsistent".into(),
                )))
            });
        let db = match opened {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::InUse {
                    path: dir.clone(),
                    holder: describe_holder(&dir),
                });
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail))) => {
                return Err(StoreError::Corrupt {
                    path,
                    detail,
                    backup: backups::latest(&dir),
                });
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
                if e.kind() == std::io::ErrorKind::InvalidData
                    || e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                return Err(StoreError::Corrupt {
                    path,
                    detail: e.to_string(),
                    backup: backups::latest(&dir),
                });
            }
            Err(e) => {
                let err: redb::Error = e.into();
                return Err(match err {
                    redb::Error::Corrupted(detail) => StoreError::Corrupt {
                        path,
                        detail,
                        backup: backups::latest(&dir),
                    },
                    redb::Error::UpgradeRequired(v) => StoreError::Corrupt {
                        path,
                        detail: format!("unsupported redb file format {v}"),
                        backup: backups::latest(&dir),
                    },
                    other => StoreError::Db(other).with_path(&dir),
                });
            }
        };
        let note = LockNote {
            pid: std::process::id(),
            holder: opts.holder.clone(),
            since: chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
        };
        if let Ok(json) = serde_json::to_vec(&note) {
            let _ = private::write_file(&dir.join(LOCK_NOTE), &json);
        }
        // redb created a new file with the default mode.
        if let Err(e) = private::restrict(&path, private::FILE_MODE) {
            tracing::warn!(path = %path.display(), error = %e, "could not make owner-only");
        }

        let (device, actor, secret, rebuild) = Self::init_meta(&db, &dir, &opts)?;
        let (feed, _) = tokio::sync::broadcast::channel(1024);
        let key_file = opts
            .key_file
            .clone()
            .unwrap_or_else(|| seal::Keys::default_file(&dir));
        let store = Store {
            db,
            dir,
            device: std::sync::RwLock::new(device),
            actor,
            secret,
            keys: seal::Keys::new(opts.vault.clone(), key_file),
            clock: opts.clock,
            feed,
            team_cache: Default::default(),
            min_free_for_peers: opts.min_free_for_peers,
            daily_quota: opts.daily_quota,
        };
        if rebuild {
            tracing::info!("summary format changed: rebuilding summaries from documents");
            store.rebuild_summaries()?;
        }
        store.ensure_derived()?;
        // An upgraded device tells its team which actor its earlier changes carry.
        if let Err(e) = store.declare_legacy_actor() {
            tracing::warn!(error = %e, "could not declare this device's earlier actor to the team");
        }
        Ok(store)
    }

    /// Reads or writes the meta rows; returns the device and whether summaries need rebuilding.
    #[allow(clippy::type_complexity)]
    fn init_meta(
        db: &Database,
        dir: &Path,
        opts: &OpenOptions,
    ) -> Result<(Device, ActorId, [u8; 32], bool)> {
        let txn = db.begin_write()?;
        let out;
        {
            let mut meta = txn.open_table(META)?;
            let read_u64 = |v: Option<redb::AccessGuard<'_, &[u8]>>| {
                v.and_then(|g| <[u8; 8]>::try_from(g.value()).ok().map(u64::from_le_bytes))
            };
            let schema = read_u64(meta.get("schema")?);
            match schema {
                None => {
                    meta.insert("schema", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                }
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(StoreError::NewerSchema {
                        path: dir.join(DB_FILE),
                        found: v,
                        supported: SCHEMA_VERSION,
                    });
                }
                Some(v) if v < SCHEMA_VERSION => {
                    // Migrations from older layouts, in order. 1 → 2: the `quarantine` table,
                    // created (empty) below with every other table. 2 → 3: the key actor and
                    // the signature tables, below.
                    tracing::info!(
                        from = v,
                        to = SCHEMA_VERSION,
                        "migrating the store's layout"
                    );
                    meta.insert("schema", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                }
                Some(_) => {}
            }
            let summary_version = read_u64(meta.get("summary_version")?);
            let rebuild = summary_version.is_some_and(|v| v != SUMMARY_VERSION);
            meta.insert("summary_version", SUMMARY_VERSION.to_le_bytes().as_slice())?;

            let stored_secret = meta
                .get("device_secret")?
                .and_then(|g| <[u8; 32]>::try_from(g.value()).ok());
            let secret = match stored_secret {
                Some(s) => s,
                None => {
                    let s: [u8; 32] = rand::random();
                    meta.insert("device_secret", s.as_slice())?;
                    s
                }
            };
            // Changes are written with the device's key as actor ([`authored`]): the key and
            // a 4-byte incarnation, new whenever the store takes on an identity, so a device
            // restored from a backup never reuses a sequence number its old store used. A
            // store from before (schema < 3) had a random actor: it is kept as
            // `legacy_actor`, declared to the team, and every document it holds is listed as
            // unsigned.
            let key = *rapport_team::SecretKey::from_bytes(&secret)
                .public()
                .as_bytes();
            let stored_actor = meta.get("device_actor")?.map(|g| g.value().to_vec());
            let actor_bytes = match stored_actor {
                Some(a) if authored::actor_key(&a) == Some(key) => a,
                old => {
                    if let Some(old) = old.filter(|a| a.len() == rapport_team::LEGACY_ACTOR_LEN) {
                        meta.insert("legacy_actor", old.as_slice())?;
                        let ids: Vec<u128> = txn
                            .open_table(DOCS)?
                            .iter()?
                            .map(|r| r.map(|(k, _)| k.value()))
                            .collect::<std::result::Result<_, _>>()?;
                        let mut unsigned = txn.open_table(authored::UNSIGNED_DOCS)?;
                        for id in &ids {
                            unsigned.insert(*id, ())?;
                        }
                        tracing::info!(
                            documents = ids.len(),
                            "changes are now signed with the device key; earlier documents are vouched for when sent"
                        );
                    }
                    let a = authored::new_actor(&key);
                    meta.insert("device_actor", a.as_slice())?;
                    a
                }
            };
            let stored_name = meta
                .get("device_name")?
                .map(|g| String::from_utf8_lossy(g.value()).into_owned());
            let name = match stored_name {
                Some(n) => n,
                None => {
                    meta.insert("device_name", opts.device_name.as_bytes())?;
                    opts.device_name.clone()
                }
            };
            let actor = ActorId::from(actor_bytes.as_slice());
            out = (
                Device {
                    actor: hex(&actor_bytes),
                    name,
                },
                actor,
                secret,
                rebuild,
            );
            // Make sure every table exists so read transactions never miss one.
            txn.open_table(DOCS)?;
            txn.open_table(CHANGES)?;
            txn.open_table(SUMMARIES)?;
            txn.open_table(HEADS)?;
            txn.open_table(BY_NAME)?;
            txn.open_table(BY_TAG)?;
            txn.open_table(AGENDA)?;
            txn.open_table(TEAM_DOCS)?;
            txn.open_table(PEERS)?;
            txn.open_table(SEQ_OF)?;
            txn.open_table(BY_SEQ)?;
            txn.open_table(DEVICE_SETTINGS)?;
            txn.open_table(QUARANTINE)?;
            txn.open_table(PAUSED)?;
            txn.open_table(PEER_DAY)?;
            txn.open_table(authored::CHANGE_SIGS)?;
            txn.open_table(authored::UNSIGNED_DOCS)?;
            // Signed team entries (older stores gain the table here; it starts empty and
            // fills from the team document at the next merge or write).
            txn.open_table(team::TEAM_LOG)?;
        }
        txn.commit()?;
        Ok(out)
    }

    /// The directory holding the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// This device (a copy: its name can change while the store is shared).
    pub fn device(&self) -> Device {
        match self.device.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_device(&self, change: impl FnOnce(&mut Device)) {
        match self.device.write() {
            Ok(mut d) => change(&mut d),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// Renames this device (recorded in later changes).
    pub fn set_device_name(&mut self, name: &str) -> Result<()> {
        check_device_name(name)?;
        let txn = self.begin_write()?;
        txn.open_table(META)?
            .insert("device_name", name.trim().as_bytes())?;
        self.commit(txn)?;
        self.set_device(|d| d.name = name.trim().to_string());
        Ok(())
    }

    /// Records a new name for this device, on a shared store too: later changes carry it.
    pub fn save_device_name(&self, name: &str) -> Result<()> {
        check_device_name(name)?;
        let txn = self.begin_write()?;
        txn.open_table(META)?
            .insert("device_name", name.trim().as_bytes())?;
        self.commit(txn)?;
        self.set_device(|d| d.name = name.trim().to_string());
        Ok(())
    }

    /// Subscribes to the change feed. Slow receivers miss events (`Lagged`) rather than
    /// blocking writers; they should then re-read what they display.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ChangeEvent> {
        self.feed.subscribe()
    }

    /// The clock, truncated to the milliseconds documents store.
    /// Tells subscribers (UI, sync) that a document changed. Having no subscriber is fine.
    fn notify(&self, doc: DocRef, heads: Vec<ChangeHash>, origin: Origin) {
        let _ = self.feed.send(ChangeEvent { doc, heads, origin });
    }

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

    fn message(&self, edits: &[Edit]) -> String {
        let mut fields: Vec<String> = edits.iter().map(|e| e.label().to_string()).collect();
        fields.sort();
        fields.dedup();
        serde_json::to_string(&ChangeMessage {
            device: self.device().name,
            fields,
            team: Vec::new(),
        })
        .unwrap_or_default()
    }

    /// Creates a customer; returns its id. Durable when it returns.
    pub fn create(&self, new: NewCustomer) -> Result<CustomerId> {
        let ids = self.create_many(vec![new])?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::Decode("no id returned".into()))
    }

    /// Creates many customers in one transaction (import, demo data): all or nothing.
    pub fn create_many(&self, news: Vec<NewCustomer>) -> Result<Vec<CustomerId>> {
        Ok(self.write_batch(news, Vec::new())?.0)
    }

    /// Creates `news` and applies each `(id, edits)` as one change to an existing customer,
    /// all in one durable transaction (an import): everything is validated first, and if
    /// anything fails nothing is written. Returns the new ids and how many existing customers
    /// changed.
    pub fn write_batch(
        &self,
        news: Vec<NewCustomer>,
        edits: Vec<(CustomerId, Vec<Edit>)>,
    ) -> Result<(Vec<CustomerId>, usize)> {
        let now = self.now();
        // Validate the new customers before touching the database.
        let mut prepared = Vec::with_capacity(news.len());
        for n in news {
            rapport_model::Edit::Name(n.name.clone()).validate(None)?;
            let mut c = Customer::new(n.id, n.name.trim(), n.kind, now);
            for e in &n.edits {
                e.validate(Some(&c))?;
                e.apply(&mut c, now);
            }
            let mut labels = vec![rapport_model::Edit::Name(c.name.clone())];
            labels.extend(n.edits);
            prepared.push((c, labels));
        }
        let prepared_ids: Vec<CustomerId> = prepared.iter().map(|(c, _)| c.id).collect();
        let txn = self.begin_write()?;
        let mut events = Vec::with_capacity(prepared.len() + edits.len());
        let mut changed = 0;
        {
            let mut w = Writer::open(&txn)?;
            for (c, labels) in prepared {
                if w.docs.get(c.id.as_u128())?.is_some() {
                    return Err(StoreError::AlreadyExists(c.id));
                }
                let mut doc = AutoCommit::new().with_actor(self.actor.clone());
                doc::create(&mut doc, &c)?;
                doc.commit_with(
                    CommitOptions::default()
                        .with_message(self.message(&labels))
                        .with_time(now.timestamp()),
                );
                let bytes = doc.save();
                w.docs.insert(c.id.as_u128(), bytes.as_slice())?;
                authored::record_local(
                    &mut w.sigs,
                    &self.team_key(),
                    c.id.as_u128(),
                    &mut doc,
                    &[],
                    now.timestamp_millis(),
                )?;
                let heads = w.index(&mut doc, &c, None)?;
                w.bump_seq(c.id.as_u128())?;
                events.push(ChangeEvent {
                    doc: DocRef::Customer(c.id),
                    heads,
                    origin: Origin::Local,
                });
            }
            for (id, e) in &edits {
                if let (_, Some(heads)) = self.edit_in(&mut w, *id, e, now)? {
                    changed += 1;
                    events.push(ChangeEvent {
                        doc: DocRef::Customer(*id),
                        heads,
                        origin: Origin::Local,
                    });
                }
            }
        }
        self.commit(txn)?;
        for e in events {
            self.notify(e.doc, e.heads, e.origin);
        }
        Ok((prepared_ids, changed))
    }

    /// Applies `edits` to customer `id` as one change, in one durable transaction, and
    /// returns the customer as it now is. Nothing is written if any edit is invalid.
    pub fn edit(&self, id: CustomerId, edits: &[Edit]) -> Result<Customer> {
        let now = self.now();
        let txn = self.begin_write()?;
        let (customer, heads) = {
            let mut w = Writer::open(&txn)?;
            self.edit_in(&mut w, id, edits, now)?
        };
        let Some(heads) = heads else {
            // Nothing changed (e.g. setting a field to its current value): nothing to commit.
            return Ok(customer);
        };
        self.commit(txn)?;
        self.notify(DocRef::Customer(id), heads, Origin::Local);
        Ok(customer)
    }

    /// [`Store::edit`] inside a write transaction: the customer after the edits, and its new
    /// heads if anything changed.
    fn edit_in(
        &self,
        w: &mut Writer<'_>,
        id: CustomerId,
        edits: &[Edit],
        now: Timestamp,
    ) -> Result<(Customer, Option<Vec<ChangeHash>>)> {
        let (mut doc, chunks) = load_doc(&w.docs, &w.changes, id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        doc.set_actor(self.actor.clone());
        let before = doc::hydrate(&doc, id)?;
        let only_restore = edits.iter().all(|e| matches!(e, Edit::Restore));
        if before.is_deleted() && !only_restore {
            return Err(StoreError::Deleted(id));
        }
        for e in edits {
            e.validate(Some(&before))?;
        }
        let old_heads = doc.get_heads();
        doc::apply(&mut doc, edits, now)?;
        if doc.pending_ops() == 0 {
            return Ok((before, None));
        }
        doc::touch(&mut doc, now)?;
        doc.commit_with(
            CommitOptions::default()
                .with_message(self.message(edits))
                .with_time(now.timestamp()),
        );
        w.store_changes(&mut doc, id, &old_heads, chunks)?;
        authored::record_local(
            &mut w.sigs,
            &self.team_key(),
            id.as_u128(),
            &mut doc,
            &old_heads,
            now.timestamp_millis(),
        )?;
        let after = doc::hydrate(&doc, id)?;
        let old = w.summary(id)?;
        let heads = w.index(&mut doc, &after, old.as_ref())?;
        w.bump_seq(id.as_u128())?;
        Ok((after, Some(heads)))
    }

    /// Merges bytes from a peer (a whole saved document or incremental changes) into customer
    /// `id`, creating it if unknown. Returns whether anything changed. The merged document is
    /// checked before it is written: one over the [`limits`], a malformed one, or one that
    /// claims another id, is refused (and quarantined, see [`Store::quarantined`]) and the
    /// store's documents are left as they were.
    pub fn apply_remote(&self, id: CustomerId, bytes: &[u8]) -> Result<bool> {
        let mut applied = self.apply_remote_from(None, &[(id, bytes)])?;
        match applied.refused.pop() {
            Some((_, e)) => Err(e),
            None => Ok(applied.changed > 0),
        }
    }

    /// [`Store::apply_remote_from`] with no peer named: returns how many documents changed.
    pub fn apply_remote_many(&self, docs: &[(CustomerId, &[u8])]) -> Result<usize> {
        Ok(self.apply_remote_from(None, docs)?.changed)
    }

    /// Refuses data from peers when the store's disk has less than
    /// [`OpenOptions::min_free_for_peers`] free: this device's own edits keep the room.
    fn check_room_for_peers(&self) -> Result<()> {
        let free = available_bytes(&self.dir);
        if free < self.min_free_for_peers {
            return Err(StoreError::Refused(format!(
                "refused data from peers: the disk holding {} has {} MiB free, less than the {} MiB kept for this device's own edits; free some space and sync again",
                self.dir.display(),
                free >> 20,
                self.min_free_for_peers >> 20
            )));
        }
        Ok(())
    }

    /// Merges many peer documents in one durable transaction (what sync does with each frame
    /// it receives). Each document is checked on its own: a bad one is refused alone and
    /// recorded in the quarantine (with `peer`, when known), the others land. Only a failure of
    /// the store itself (disk, damage) fails the call, and then nothing is written.
    pub fn apply_remote_from(
        &self,
        peer: Option<&str>,
        docs: &[(CustomerId, &[u8])],
    ) -> Result<Applied> {
        let mut unlimited = Quota::UNLIMITED;
        self.apply_remote_batch(peer, docs, false, &mut unlimited, false)
    }

    /// [`Store::apply_remote_from`] within what `quota` has left (what sync does: one quota
    /// per session). A document that is new here when no new document is left, or whose bytes
    /// exceed the bytes left, is refused and quarantined like a bad one; `quota` is charged
    /// for every document tried.
    pub fn apply_remote_within(
        &self,
        peer: Option<&str>,
        docs: &[(CustomerId, &[u8])],
        quota: &mut Quota,
    ) -> Result<Applied> {
        self.apply_remote_batch(peer, docs, false, quota, true)
    }

    /// All of `docs` or none (restoring a backup): the first bad document fails the call and
    /// nothing is written or quarantined.
    pub(crate) fn apply_remote_all(&self, docs: &[(CustomerId, &[u8])]) -> Result<usize> {
        let mut unlimited = Quota::UNLIMITED;
        Ok(self
            .apply_remote_batch(None, docs, true, &mut unlimited, false)?
            .changed)
    }

    fn apply_remote_batch(
        &self,
        peer: Option<&str>,
        docs: &[(CustomerId, &[u8])],
        strict: bool,
        quota: &mut Quota,
        daily: bool,
    ) -> Result<Applied> {
        if !strict {
            self.check_room_for_peers()?;
        }
        let now = self.now();
        // A restore (strict) brings this device's own data back: it is not checked against
        // the team, only listed as unsigned.
        let team = if strict { None } else { self.team_state()? };
        let txn = self.begin_write()?;
        let mut events = Vec::new();
        let mut refused = Vec::new();
        {
            let mut w = Writer::open(&txn)?;
            // A sync session is also held to the peer's day, over all its sessions.
            let day_key = peer
                .filter(|_| daily)
                .map(|p| p.chars().take(200).collect::<String>());
            let today = now.timestamp().div_euclid(86_400);
            let mut used = match &day_key {
                Some(k) => txn
                    .open_table(PEER_DAY)?
                    .get(k.as_str())?
                    .and_then(|g| postcard::from_bytes::<DayUse>(g.value()).ok())
                    .filter(|u| u.day == today)
                    .unwrap_or(DayUse {
                        day: today,
                        ..DayUse::default()
                    }),
                None => DayUse::default(),
            };
            let mut day_left = Quota {
                new_docs: self.daily_quota.new_docs.saturating_sub(used.new_docs),
                bytes: self.daily_quota.bytes.saturating_sub(used.bytes),
            };
            for (id, bytes) in docs {
                let id = *id;
                let existing = load_doc(&w.docs, &w.changes, id)?;
                let mut over_quota = quota.charge(existing.is_none(), bytes.len());
                if over_quota.is_ok() && day_key.is_some() {
                    over_quota = day_left
                        .charge(existing.is_none(), bytes.len())
                        .map_err(|e| e.replace("for this session", "for today (UTC)"));
                    if over_quota.is_ok() {
                        used.bytes += bytes.len() as u64;
                        used.new_docs += u64::from(existing.is_none());
                    }
                }
                let merge = match over_quota.clone() {
                    Err(reason) => Err(StoreError::BadDocument { id, reason }),
                    // Peer bytes go through automerge's decoder and our hydration: a panic in
                    // either on hostile input must refuse the data, not take the device down.
                    Ok(()) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let delivery = authored::Delivery::decode(bytes)
                            .map_err(|reason| StoreError::BadDocument { id, reason })?;
                        let Some(mut m) = merge_remote(existing, id, &delivery.doc)? else {
                            return Ok(None);
                        };
                        let rows = check_authors(team.as_deref(), id, &mut m, &delivery.sigs, now)?;
                        Ok(Some((m, rows, delivery.doc)))
                    }))
                    .unwrap_or_else(|_| {
                        Err(StoreError::BadDocument {
                            id,
                            reason: "peer data made the document decoder fail".into(),
                        })
                    }),
                };
                let merge = match merge {
                    Ok(m) => m,
                    Err(e) if strict => return Err(e),
                    Err(e) => {
                        tracing::warn!(customer = %id, peer = peer.unwrap_or("?"), error = %e,
                            "refused a peer's document; quarantined it");
                        quarantine_in(&txn, DocRef::Customer(id), peer, &e, bytes, now)?;
                        // Over the quota, or changes whose dependencies went missing, can
                        // happen to an honest peer; anything else pauses sync with it.
                        if over_quota.is_ok() && !e.to_string().contains(MISSING_DEPS) {
                            pause_in(&txn, Some(peer), &e, now)?;
                        }
                        refused.push((id, e));
                        continue;
                    }
                };
                let Some((
                    Merged {
                        mut doc,
                        chunks,
                        old_heads,
                        is_new,
                        verbatim,
                        customer: merged,
                    },
                    rows,
                    raw,
                )) = merge
                else {
                    continue;
                };
                rows.write(&mut w.sigs, &mut w.unsigned, id.as_u128())?;
                if verbatim {
                    w.docs.insert(id.as_u128(), raw.as_slice())?;
                } else if is_new {
                    w.docs.insert(id.as_u128(), doc.save().as_slice())?;
                } else {
                    w.store_changes(&mut doc, id, &old_heads, chunks)?;
                }
                let old = w.summary(id)?;
                let heads = w.index(&mut doc, &merged, old.as_ref())?;
                w.bump_seq(id.as_u128())?;
                events.push((id, heads));
            }
            if let Some(k) = &day_key {
                txn.open_table(PEER_DAY)?
                    .insert(k.as_str(), postcard::to_stdvec(&used)?.as_slice())?;
            }
        }
        if events.is_empty() && refused.is_empty() {
            return Ok(Applied::default());
        }
        self.commit(txn)?;
        let changed = events.len();
        for (id, heads) in events {
            self.notify(DocRef::Customer(id), heads, Origin::Remote);
        }
        Ok(Applied { changed, refused })
    }

    /// The peer documents this store refused, newest refusal last. Quarantine is a record, not
    /// a block and not damage: [`Store::verify`] ignores it, and later changes to the same
    /// document are checked afresh.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(QUARANTINE)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let Some(doc) = quarantine_doc(k.value()) else {
                continue;
            };
            let r: QuarantineRow = postcard::from_bytes(v.value())?;
            out.push(Quarantined {
                doc,
                reason: r.reason,
                peer: r.peer,
                at: rapport_model::timestamp_from_millis(r.at_ms),
                refusals: r.refusals,
                len: r.len,
                hash: r.hash,
                bytes: r.bytes,
            });
        }
        out.sort_by_key(|q| q.at);
        Ok(out)
    }

    /// The peers whose sync is paused because they sent data that was refused, by peer id.
    /// Sync with them stays paused, both ways, until [`Store::resume_peer`] (or they are
    /// revoked).
    pub fn paused_peers(&self) -> Result<BTreeMap<String, Paused>> {
        let txn = self.db.begin_read()?;
        let mut out = BTreeMap::new();
        let Ok(t) = txn.open_table(PAUSED) else {
            return Ok(out); // a store from before pausing, opened read-only
        };
        for row in t.iter()? {
            let (k, v) = row?;
            if let Ok(r) = postcard::from_bytes::<PausedRow>(v.value()) {
                out.insert(
                    k.value().to_string(),
                    Paused {
                        at: rapport_model::timestamp_from_millis(r.at_ms),
                        reason: r.reason,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Whether sync with `peer` is paused, and why.
    pub fn peer_paused(&self, peer: &str) -> Result<Option<Paused>> {
        Ok(self.paused_peers()?.remove(peer))
    }

    /// Resumes sync with `peer` (a person looked at why it was paused). Returns whether it
    /// was paused. What it sent stays in quarantine; anything it sends again is checked anew.
    pub fn resume_peer(&self, peer: &str) -> Result<bool> {
        let txn = self.begin_write()?;
        let had = txn.open_table(PAUSED)?.remove(peer)?.is_some();
        self.commit(txn)?;
        Ok(had)
    }

    /// Forgets the quarantine record of `doc` (after someone looked at it). Returns whether
    /// there was one.
    pub fn release_quarantined(&self, doc: DocRef) -> Result<bool> {
        let txn = self.begin_write()?;
        let had = txn
            .open_table(QUARANTINE)?
            .remove(quarantine_key(doc).as_str())?
            .is_some();
        self.commit(txn)?;
        Ok(had)
    }

    /// The stored bytes of customer `id` (snapshot followed by change chunks), which
    /// automerge loads as one document; no automerge work. `None` if unknown.
    pub fn document_bytes(&self, id: CustomerId) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let docs = txn.open_table(DOCS)?;
        let Some(base) = docs.get(id.as_u128())? else {
            return Ok(None);
        };
        let mut out = base.value().to_vec();
        let changes = txn.open_table(CHANGES)?;
        let key = id.as_u128();
        for row in changes.range((key, 0)..=(key, u32::MAX))? {
            out.extend_from_slice(row?.1.value());
        }
        Ok(Some(out))
    }

    /// The customer's automerge document (for sync and for tests).
    pub fn document(&self, id: CustomerId) -> Result<AutoCommit> {
        let txn = self.db.begin_read()?;
        let docs = txn.open_table(DOCS)?;
        let changes = txn.open_table(CHANGES)?;
        load_doc(&docs, &changes, id)?
            .map(|(d, _)| d)
            .ok_or_else(|| StoreError::NotFound(id.to_string()))
    }

    /// The changes of customer `id` that a peer holding `have` lacks, as bytes for
    /// [`Store::apply_remote`]: an [`authored::Delivery`] of `save_after` the heads this store
    /// knows (or the whole document when it knows none of them) with the signatures of the
    /// changes in it, this device's voucher added where the author is not a current member.
    /// `None` if the store has no such document; empty bytes when the peer already has
    /// everything.
    pub fn changes_since(&self, id: CustomerId, have: &[ChangeHash]) -> Result<Option<Vec<u8>>> {
        let team = self.team_state()?;
        let key = id.as_u128();
        let txn = self.db.begin_read()?;
        let docs = txn.open_table(DOCS)?;
        let changes_t = txn.open_table(CHANGES)?;
        let rows = authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, key)?;
        let unsigned = txn.open_table(authored::UNSIGNED_DOCS)?.get(key)?.is_some();
        if have.is_empty() && !unsigned && authored::rows_suffice(team.as_deref(), &rows) {
            // Every change is signed by a current member: send the stored bytes as they are.
            let Some(base) = docs.get(key)? else {
                return Ok(None);
            };
            let mut bytes = base.value().to_vec();
            for row in changes_t.range((key, 0)..=(key, u32::MAX))? {
                bytes.extend_from_slice(row?.1.value());
            }
            let delivery = authored::Delivery {
                doc: bytes,
                sigs: authored::stored(&rows),
            };
            return Ok(Some(delivery.encode()));
        }
        let Some((mut doc, _)) = load_doc(&docs, &changes_t, id)? else {
            return Ok(None);
        };
        let known: Vec<ChangeHash> = have
            .iter()
            .filter(|h| doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        let changes = authored::infos(&mut doc, &known);
        if changes.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let sigs = authored::outgoing(team.as_deref(), &self.team_key(), key, &changes, &rows);
        let bytes = if known.is_empty() {
            doc.save()
        } else {
            doc.save_after(&known)
        };
        Ok(Some(authored::Delivery { doc: bytes, sigs }.encode()))
    }

    /// Whether this store holds every change named in `heads` for customer `id`.
    pub fn knows(&self, id: CustomerId, heads: &[ChangeHash]) -> Result<bool> {
        match self.document(id) {
            Ok(mut d) => Ok(heads.iter().all(|h| d.get_change_meta_by_hash(h).is_some())),
            Err(StoreError::NotFound(_)) => Ok(heads.is_empty()),
            Err(e) => Err(e),
        }
    }

    /// The full customer (loads and hydrates its document).
    pub fn customer(&self, id: CustomerId) -> Result<Customer> {
        let doc = self.document(id)?;
        doc::hydrate(&doc, id)
    }

    /// The stored summary row of `id`.
    pub fn summary(&self, id: CustomerId) -> Result<Option<CustomerSummary>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(SUMMARIES)?;
        t.get(id.as_u128())?
            .map(|g| decode_summary(g.value()))
            .transpose()
    }

    /// Every summary row (for value analysis and full scans), in id order.
    pub fn summaries(&self) -> Result<Vec<CustomerSummary>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(SUMMARIES)?;
        let mut out = Vec::with_capacity(usize::try_from(t.len()?).unwrap_or(0));
        for row in t.iter()? {
            out.push(decode_summary(row?.1.value())?);
        }
        Ok(out)
    }

    /// Number of customer documents (including archived and deleted ones).
    pub fn count(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(DOCS)?.len()?)
    }

    /// Every customer id with its document heads (for sync's digest), in id order.
    pub fn heads(&self) -> Result<Vec<(CustomerId, Vec<ChangeHash>)>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(HEADS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push((CustomerId::from_u128(k.value()), decode_heads(v.value())));
        }
        Ok(out)
    }

    /// Every document id, in id order.
    pub fn ids(&self) -> Result<Vec<CustomerId>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DOCS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            out.push(CustomerId::from_u128(row?.0.value()));
        }
        Ok(out)
    }

    /// Customers in name order, from the summary table and its indexes only.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<CustomerSummary>> {
        let txn = self.db.begin_read()?;
        let sums = txn.open_table(SUMMARIES)?;
        let limit = q.limit.unwrap_or(usize::MAX);
        let text = q.text.as_deref().map(text::fold).filter(|t| !t.is_empty());
        let keep = |s: &CustomerSummary| {
            let vis = match q.visibility {
                Visibility::Active => !s.archived && !s.deleted,
                Visibility::WithArchived => !s.deleted,
                Visibility::Deleted => s.deleted,
            };
            vis && text.as_deref().is_none_or(|t| s.matches(t))
        };
        let get = |id: u128| -> Result<Option<CustomerSummary>> {
            sums.get(id)?.map(|g| decode_summary(g.value())).transpose()
        };
        let mut out = Vec::new();
        if let Some(tag) = &q.tag {
            let tag = text::fold(tag);
            let by_tag = txn.open_table(BY_TAG)?;
            let mut hits = Vec::new();
            for row in by_tag.range((tag.as_str(), 0)..=(tag.as_str(), u128::MAX))? {
                if let Some(s) = get(row?.0.value().1)?
                    && keep(&s)
                {
                    hits.push(s);
                }
            }
            hits.sort_by(|a, b| (&a.sort_key, a.id).cmp(&(&b.sort_key, b.id)));
            out = hits.into_iter().skip(q.offset).take(limit).collect();
        } else {
            let by_name = txn.open_table(BY_NAME)?;
            let mut skipped = 0;
            for row in by_name.iter()? {
                if out.len() >= limit {
                    break;
                }
                let id = row?.0.value().1;
                if let Some(s) = get(id)?
                    && keep(&s)
                {
                    if skipped < q.offset {
                        skipped += 1;
                    } else {
                        out.push(s);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Open follow-ups of active customers due up to and including `until` (all if `None`),
    /// earliest first, from the agenda index.
    pub fn agenda(&self, until: Option<chrono::NaiveDate>) -> Result<Vec<AgendaItem>> {
        let txn = self.db.begin_read()?;
        let agenda = txn.open_table(AGENDA)?;
        let sums = txn.open_table(SUMMARIES)?;
        // Due texts start with the date, so everything due on `until` sorts before `until`+1.
        let bound = until
            .and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string());
        let mut out = Vec::new();
        for row in agenda.iter()? {
            let row = row?;
            let (due, cid, fid) = row.0.value();
            if bound.as_deref().is_some_and(|b| due >= b) {
                break;
            }
            let Some(s) = sums
                .get(cid)?
                .map(|g| decode_summary(g.value()))
                .transpose()?
            else {
                continue;
            };
            if let Some(f) = s.open_followups.iter().find(|f| f.id.as_u128() == fid) {
                out.push(AgendaItem {
                    customer: s.id,
                    customer_name: s.name.clone(),
                    followup: f.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Finds one customer by full id, unique id prefix (at least 4 hex digits) or exact name
    /// (case- and width-insensitive). Deleted customers are found too.
    pub fn resolve(&self, query: &str) -> Result<CustomerId> {
        let q = query.trim();
        if let Ok(id) = q.parse::<CustomerId>()
            && self.summary(id)?.is_some()
        {
            return Ok(id);
        }
        let txn = self.db.begin_read()?;
        let sums = txn.open_table(SUMMARIES)?;
        let is_hex = q.len() >= 4 && q.len() <= 32 && q.chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            let shift = 4 * (32 - q.len() as u32);
            if let Ok(prefix) = u128::from_str_radix(q, 16) {
                let lo = prefix.checked_shl(shift).unwrap_or(0);
                let hi = lo | (u128::MAX.checked_shr(128 - shift).unwrap_or(0));
                let hits: Vec<u128> = sums
                    .range(lo..=hi)?
                    .take(6)
                    .map(|r| r.map(|(k, _)| k.value()))
                    .collect::<Result<_, _>>()?;
                match hits.as_slice() {
                    [one] => return Ok(CustomerId::from_u128(*one)),
                    [] => {}
                    many => {
                        return Err(StoreError::Ambiguous {
                            query: rapport_model::excerpt(q),
                            candidates: many
                                .iter()
                                .map(|k| CustomerId::from_u128(*k).to_string())
                                .collect(),
                        });
                    }
                }
            }
        }
        let folded = text::fold(q);
        let mut hits = Vec::new();
        for row in sums.iter()? {
            let s = decode_summary(row?.1.value())?;
            if text::fold(&s.name) == folded {
                hits.push(s);
            }
        }
        hits.sort_by_key(|s| s.deleted);
        let live: Vec<&CustomerSummary> = hits.iter().filter(|s| !s.deleted).collect();
        match (live.as_slice(), hits.as_slice()) {
            ([one], _) => Ok(one.id),
            ([], [one]) => Ok(one.id),
            ([], []) => Err(StoreError::NotFound(rapport_model::excerpt(q))),
            (many, _) if !many.is_empty() => Err(StoreError::Ambiguous {
                query: rapport_model::excerpt(q),
                candidates: many
                    .iter()
                    .map(|s| format!("{} ({})", s.id, s.name))
                    .collect(),
            }),
            (_, many) => Err(StoreError::Ambiguous {
                query: rapport_model::excerpt(q),
                candidates: many
                    .iter()
                    .map(|s| format!("{} ({})", s.id, s.name))
                    .collect(),
            }),
        }
    }

    /// Who changed what and when, oldest first.
    pub fn history(&self, id: CustomerId) -> Result<Vec<HistoryEntry>> {
        let mut doc = self.document(id)?;
        let team = self.team_state()?;
        let rows = {
            let txn = self.db.begin_read()?;
            authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, id.as_u128())?
        };
        // One read of the change metadata serves the attribution and the entry.
        let changes = authored::infos(&mut doc, &[]);
        let mut out = Vec::with_capacity(changes.len());
        for m in changes {
            let a = authored::attribution_of(team.as_deref(), &m, rows.get(&m.hash.0));
            let verified_device = a.device.and_then(|d| {
                team.as_deref()
                    .and_then(|st| st.devices.get(&d))
                    .map(|r| r.name.clone())
                    .filter(|n| !n.is_empty())
            });
            let arrived = rows
                .get(&m.hash.0)
                .map(|r| rapport_model::timestamp_from_millis(r.arrived_ms));
            let msg: Option<ChangeMessage> = m
                .message
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok());
            let (device, fields) = match msg {
                Some(msg) => (msg.device.chars().take(100).collect(), msg.fields),
                None => (String::from("(unknown device)"), Vec::new()),
            };
            let mut values = BTreeMap::new();
            for f in fields.iter().take(32) {
                if let Ok(Some((v, _))) = doc.get_at(ROOT, f.as_str(), &[m.hash])
                    && let automerge::Value::Scalar(_) = v
                {
                    values.insert(f.clone(), doc::render(&v));
                }
            }
            if fields.iter().any(|f| f == "notes")
                && let Ok(Some((_, notes))) = doc.get_at(ROOT, "notes", &[m.hash])
                && let Ok(text) = doc.text_at(&notes, &[m.hash])
            {
                values.insert("notes".into(), text);
            }
            out.push(HistoryEntry {
                at: chrono::DateTime::from_timestamp(m.time, 0)
                    .unwrap_or(chrono::DateTime::UNIX_EPOCH),
                device,
                actor: data_encoding::HEXLOWER.encode(&m.actor),
                fields,
                values,
                hash: m.hash.to_string(),
                device_id: a.device.map(|d| rapport_team::key_hex(&d)),
                verified_device,
                signed: a.signed,
                vouched_by: a.vouched_by.map(|d| rapport_team::key_hex(&d)),
                arrived,
            });
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    /// Fields two devices set concurrently: field → values, the shown one first.
    pub fn conflicts(&self, id: CustomerId) -> Result<BTreeMap<String, Vec<String>>> {
        let doc = self.document(id)?;
        Ok(doc::conflicts(&doc))
    }

    /// A shared team document (empty if none was ever written here).
    pub fn shared_document(&self, kind: Shared) -> Result<AutoCommit> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(TEAM_DOCS)?;
        load_shared(&t, kind)
    }

    /// The heads of a shared document.
    pub fn shared_heads(&self, kind: Shared) -> Result<Vec<ChangeHash>> {
        Ok(self.shared_document(kind)?.get_heads())
    }

    /// The changes of a shared document that a holder of `have` lacks (empty if none).
    ///
    /// Settings travel as an [`authored::Delivery`] (their changes are signed, and only
    /// admins' count); the team document as plain automerge bytes (its entries sign
    /// themselves).
    pub fn shared_changes_since(&self, kind: Shared, have: &[ChangeHash]) -> Result<Vec<u8>> {
        let mut doc = self.shared_document(kind)?;
        let known: Vec<ChangeHash> = have
            .iter()
            .filter(|h| doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        let changes = authored::infos(&mut doc, &known);
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = if known.is_empty() {
            doc.save()
        } else {
            doc.save_after(&known)
        };
        if kind == Shared::Team {
            return Ok(bytes);
        }
        let key = authored::shared_key(kind);
        let rows = {
            let txn = self.db.begin_read()?;
            authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, key)?
        };
        let team = self.team_state()?;
        let sigs = authored::outgoing(team.as_deref(), &self.team_key(), key, &changes, &rows);
        Ok(authored::Delivery { doc: bytes, sigs }.encode())
    }

    /// A shared document as automerge bytes (empty when it has no change yet).
    pub(crate) fn shared_saved(&self, kind: Shared) -> Result<Vec<u8>> {
        let mut doc = self.shared_document(kind)?;
        Ok(if doc.get_heads().is_empty() {
            Vec::new()
        } else {
            doc.save()
        })
    }

    /// The stored signatures of customer `id`'s changes.
    pub(crate) fn signatures_of(&self, id: CustomerId) -> Result<Vec<([u8; 32], authored::Sig)>> {
        let txn = self.db.begin_read()?;
        let rows = authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, id.as_u128())?;
        Ok(authored::stored(&rows))
    }

    /// Reads, changes and writes a shared document in one durable transaction. `change`
    /// returns whether it changed anything; the change is committed with `fields` as its label.
    fn update_shared(
        &self,
        kind: Shared,
        fields: &[&str],
        change: impl FnOnce(&mut AutoCommit) -> Result<bool>,
    ) -> Result<bool> {
        let now = self.now();
        let team_heads: Vec<String> = match (kind, self.team_id()?) {
            (Shared::Settings, Some(team)) => self
                .read_log()?
                .heads(&team)
                .iter()
                .map(|h| hex(h))
                .collect(),
            _ => Vec::new(),
        };
        let txn = self.begin_write()?;
        let heads = {
            let mut t = txn.open_table(TEAM_DOCS)?;
            let mut doc = load_shared(&t, kind)?;
            doc.set_actor(self.actor.clone());
            let before = doc.get_heads();
            if !change(&mut doc)? {
                return Ok(false);
            }
            let msg = serde_json::to_string(&ChangeMessage {
                device: self.device().name,
                fields: fields.iter().map(|f| f.to_string()).collect(),
                team: team_heads.clone(),
            })
            .unwrap_or_default();
            doc.commit_with(
                CommitOptions::default()
                    .with_message(msg)
                    .with_time(now.timestamp()),
            );
            t.insert(kind.key(), doc.save().as_slice())?;
            if kind == Shared::Settings {
                authored::record_local(
                    &mut txn.open_table(authored::CHANGE_SIGS)?,
                    &self.team_key(),
                    authored::shared_key(kind),
                    &mut doc,
                    &before,
                    now.timestamp_millis(),
                )?;
            }
            doc.get_heads()
        };
        self.commit(txn)?;
        self.notify(DocRef::Shared(kind), heads, Origin::Local);
        Ok(true)
    }

    /// Merges a peer's shared document (or changes to it). Returns whether anything changed.
    /// Entries of the wrong type or size from a peer are ignored when read; bytes or a merged
    /// document over the [`limits`], or that do not load, are refused with
    /// [`StoreError::BadRemote`] and nothing is written.
    pub fn apply_remote_shared(&self, kind: Shared, bytes: &[u8]) -> Result<bool> {
        self.apply_remote_shared_in(kind, bytes, None)
    }

    /// [`Store::apply_remote_shared`] for sync: a refused document is quarantined (with
    /// `peer`) and reported as `Ok(false)`, so one bad shared document does not end the session.
    pub fn apply_remote_shared_from(
        &self,
        peer: Option<&str>,
        kind: Shared,
        bytes: &[u8],
    ) -> Result<bool> {
        self.apply_remote_shared_in(kind, bytes, Some(peer))
    }

    /// `quarantine`: `None` to fail on a bad document, `Some(peer)` to quarantine it.
    fn apply_remote_shared_in(
        &self,
        kind: Shared,
        bytes: &[u8],
        quarantine: Option<Option<&str>>,
    ) -> Result<bool> {
        let now = self.now();
        let team = if kind == Shared::Settings {
            self.team_state()?
        } else {
            None
        };
        let log = match (&team, self.team_id()?) {
            (Some(_), Some(id)) => Some((self.read_log()?, id)),
            _ => None,
        };
        let txn = self.begin_write()?;
        let merged = {
            let mut t = txn.open_table(TEAM_DOCS)?;
            let mut doc = load_shared(&t, kind)?;
            let before = doc.get_heads();
            let delivery = authored::Delivery::decode(bytes).map_err(|e| {
                StoreError::BadRemote(format!("peer {} document refused: {e}", kind.key()))
            });
            match delivery.and_then(|d| Ok((merge_shared(doc, kind, &d.doc)?, d.sigs))) {
                Ok((None, _)) => return Ok(false),
                Ok((Some(mut doc), sigs)) => {
                    let rows = if kind == Shared::Settings {
                        check_changes(
                            team.as_deref(),
                            authored::shared_key(kind),
                            &mut doc,
                            &before,
                            &sigs,
                            now,
                        )
                        .and_then(|rows| {
                            if let Some((log, id)) = &log {
                                check_settings_roles(log, id, &mut doc, &before)?;
                            }
                            Ok(rows)
                        })
                        .map_err(|e| StoreError::BadRemote(format!("peer settings refused: {e}")))
                    } else {
                        Ok(NewRows {
                            rows: Vec::new(),
                            unsigned: false,
                        })
                    };
                    match rows {
                        Ok(rows) => {
                            if kind == Shared::Team {
                                self.absorb_team_log(&txn, &mut doc)?;
                            }
                            t.insert(kind.key(), doc.save().as_slice())?;
                            let mut sigs = txn.open_table(authored::CHANGE_SIGS)?;
                            let mut unsigned = txn.open_table(authored::UNSIGNED_DOCS)?;
                            rows.write(&mut sigs, &mut unsigned, authored::shared_key(kind))?;
                            Ok(doc.get_heads())
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            }
        };
        let heads = match (merged, quarantine) {
            (Ok(heads), _) => heads,
            (Err(e), None) => return Err(e),
            (Err(e), Some(peer)) => {
                tracing::warn!(doc = kind.key(), peer = peer.unwrap_or("?"), error = %e,
                    "refused a peer's shared document; quarantined it");
                quarantine_in(&txn, DocRef::Shared(kind), peer, &e, bytes, now)?;
                if !e.to_string().contains(MISSING_DEPS) {
                    pause_in(&txn, Some(peer), &e, now)?;
                }
                self.commit(txn)?;
                return Ok(false);
            }
        };
        self.commit(txn)?;
        if kind == Shared::Team {
            self.team_changed();
        }
        self.notify(DocRef::Shared(kind), heads, Origin::Remote);
        Ok(true)
    }

    /// The team settings as key → value text, read from the synced settings document. The
    /// store does not interpret them (`rapport-value` does). When two devices set a key
    /// concurrently, automerge's deterministic winner is returned on every device.
    pub fn settings(&self) -> Result<BTreeMap<String, String>> {
        Ok(settings_map(&self.shared_document(Shared::Settings)?))
    }

    /// Sets (or with `None` removes) one team setting, durably, as one change.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.may_change_settings()?;
        check_shared_text("setting key", key)?;
        check_shared_text("setting value", value.unwrap_or(""))?;
        self.update_shared(Shared::Settings, &[key], |doc| {
            match value {
                Some(v) => {
                    doc.put(ROOT, key, v)?;
                }
                None => {
                    if doc.get(ROOT, key)?.is_none() {
                        return Ok(false);
                    }
                    doc.delete(ROOT, key)?;
                }
            }
            Ok(true)
        })?;
        Ok(())
    }

    /// This device's record of syncing with `peer`.
    pub fn peer_state(&self, peer: &str) -> Result<PeerState> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(PEERS)?;
        Ok(match t.get(peer)? {
            Some(g) => postcard::from_bytes(g.value()).unwrap_or_default(),
            None => PeerState::default(),
        })
    }

    /// Records the outcome of a sync session with `peer`: on success, the number of documents
    /// received and how the peer was reached (`lan`, `direct`, `relay`).
    pub fn record_sync(
        &self,
        peer: &str,
        outcome: std::result::Result<(u64, &str), String>,
    ) -> Result<()> {
        let mut state = self.peer_state(peer)?;
        let now = self.now();
        state.last_attempt = Some(now);
        match outcome {
            Ok((received, kind)) => {
                state.last_synced = Some(now);
                state.last_error = None;
                state.last_received = received;
                state.synced_seq = self.change_seq()?;
                state.address_kind = Some(kind.to_string());
            }
            Err(e) => state.last_error = Some(e.chars().take(500).collect()),
        }
        let bytes = postcard::to_stdvec(&state)?;
        let txn = self.begin_write()?;
        txn.open_table(PEERS)?.insert(peer, bytes.as_slice())?;
        self.commit(txn)
    }

    /// The local change sequence: the number of the latest customer document write.
    pub fn change_seq(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(BY_SEQ)?;
        Ok(t.last()?.map(|(k, _)| k.value()).unwrap_or(0))
    }

    /// How many customer documents were written here (edited locally or merged from any
    /// peer) after change sequence `seq`: what a peer last synced at `seq` has not seen yet.
    pub fn changed_since(&self, seq: u64) -> Result<u64> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(BY_SEQ)?;
        let mut n = 0;
        for row in t.range(seq.saturating_add(1)..)? {
            row?;
            n += 1;
        }
        Ok(n)
    }

    /// Changes pending for `peer`: documents written here since the last session with it
    /// (all of them if it never synced).
    pub fn pending_for(&self, peer: &str) -> Result<u64> {
        let state = self.peer_state(peer)?;
        if state.last_synced.is_none() {
            return self.count();
        }
        self.changed_since(state.synced_seq)
    }

    /// A setting of this device only (not synced), e.g. `lan.discovery`.
    pub fn device_setting(&self, key: &str) -> Result<Option<String>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DEVICE_SETTINGS)?;
        Ok(t.get(key)?.map(|g| g.value().to_string()))
    }

    /// Every setting of this device.
    pub fn device_settings(&self) -> Result<BTreeMap<String, String>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DEVICE_SETTINGS)?;
        let mut out = BTreeMap::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.insert(k.value().to_string(), v.value().to_string());
        }
        Ok(out)
    }

    /// Sets (or with `None` removes) a setting of this device. The caller validates values.
    pub fn set_device_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        if key.len() > MAX_SETTING_BYTES || value.is_some_and(|v| v.len() > MAX_SETTING_BYTES) {
            return Err(StoreError::Refused(format!(
                "device setting `{}` is longer than {MAX_SETTING_BYTES} bytes",
                key.chars().take(40).collect::<String>()
            )));
        }
        let txn = self.begin_write()?;
        {
            let mut t = txn.open_table(DEVICE_SETTINGS)?;
            match value {
                Some(v) => {
                    t.insert(key, v)?;
                }
                None => {
                    t.remove(key)?;
                }
            }
        }
        self.commit(txn)
    }

    /// Takes over a device identity (its network secret and name) from a backup of this
    /// device's earlier store. Only an empty store may do this.
    pub(crate) fn adopt_identity(&mut self, secret: [u8; 32], name: &str) -> Result<()> {
        let actor = authored::next_actor(
            rapport_team::SecretKey::from_bytes(&secret)
                .public()
                .as_bytes(),
            self.actor.to_bytes(),
        );
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert("device_secret", secret.as_slice())?;
            meta.insert("device_name", name.as_bytes())?;
            // A new incarnation of the same key: never a sequence number the old store used.
            meta.insert("device_actor", actor.as_slice())?;
        }
        self.commit(txn)?;
        self.secret = secret;
        self.set_device(|d| {
            d.name = name.to_string();
            d.actor = hex(&actor);
        });
        self.actor = ActorId::from(actor.as_slice());
        Ok(())
    }

    /// This device's 32-byte secret (for its network identity), created on first open.
    pub fn device_secret(&self) -> [u8; 32] {
        self.secret
    }

    /// The device keys local backups seal the identity with (and restores open it with).
    pub fn keys(&self) -> &seal::Keys {
        &self.keys
    }

    /// Recomputes every summary and index row from the documents (the migration path when the
    /// summary format changes; also a repair tool). Loads every document once.
    pub fn rebuild_summaries(&self) -> Result<u64> {
        let txn = self.begin_write()?;
        let mut n = 0;
        {
            let mut w = Writer::open(&txn)?;
            w.summaries.retain(|_, _| false)?;
            w.by_name.retain(|_, _| false)?;
            w.by_tag.retain(|_, _| false)?;
            w.agenda.retain(|_, _| false)?;
            w.derived.clear()?;
            w.derived.mark_current()?;
            let ids: Vec<u128> = w
                .docs
                .iter()?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for key in ids {
                let id = CustomerId::from_u128(key);
                if let Some((mut doc, _)) = load_doc(&w.docs, &w.changes, id)? {
                    w.finish(&mut doc, id, None)?;
                    n += 1;
                }
            }
        }
        self.commit(txn)?;
        Ok(n)
    }

    /// Folds every document's change chunks into one snapshot and compacts the file.
    pub fn compact(&mut self) -> Result<()> {
        let txn = self.begin_write()?;
        {
            let mut w = Writer::open(&txn)?;
            let ids: Vec<u128> = w
                .docs
                .iter()?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for key in ids {
                let id = CustomerId::from_u128(key);
                if let Some((mut doc, chunks)) = load_doc(&w.docs, &w.changes, id)?
                    && chunks > 0
                {
                    w.docs.insert(key, doc.save().as_slice())?;
                    w.changes
                        .retain_in((key, 0)..=(key, u32::MAX), |_, _| false)?;
                }
            }
        }
        self.commit(txn)?;
        self.db.compact()?;
        Ok(())
    }

    /// Checks redb's checksums and that every summary matches its document.
    pub fn verify(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        if !self.db.check_integrity().map_err(|e| StoreError::Corrupt {
            path: self.dir.join(DB_FILE),
            detail: e.to_string(),
            backup: backups::latest(&self.dir),
        })? {
            problems.push("redb repaired the file on integrity check".to_string());
        }
        problems.extend(self.verify_documents()?);
        Ok(problems)
    }

    /// What [`Store::verify`] checks except redb's own file check (which needs the store to
    /// itself): every document loads, its heads match the heads table, it hydrates, and its
    /// summary matches. A running app or `serve` runs this for `rapport check`.
    pub fn verify_documents(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let heads: BTreeMap<CustomerId, Vec<ChangeHash>> = self.heads()?.into_iter().collect();
        let ids = self.ids()?;
        for id in &ids {
            let id = *id;
            let c = match self.document(id).and_then(|mut d| {
                let mut stored = d.get_heads();
                stored.sort();
                if heads.get(&id) != Some(&stored) {
                    problems.push(format!("{id}: heads row differs from document"));
                }
                doc::hydrate(&d, id)
            }) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("{id}: {e}"));
                    continue;
                }
            };
            let want = CustomerSummary::of(&c);
            match self.summary(id) {
                Ok(Some(s)) if s == want => {}
                Ok(Some(_)) => problems.push(format!("{id}: summary differs from document")),
                Ok(None) => problems.push(format!("{id}: summary missing")),
                Err(e) => problems.push(format!("{id}: summary: {e}")),
            }
        }
        if heads.len() != ids.len() {
            problems.push(format!(
                "{} heads rows for {} documents",
                heads.len(),
                ids.len()
            ));
        }
        let summaries = self.summaries().map(|s| s.len()).unwrap_or(usize::MAX);
        if summaries != ids.len() {
            problems.push(format!(
                "{summaries} summary rows for {} documents",
                ids.len()
            ));
        }
        for kind in [Shared::Settings, Shared::Team] {
            if let Err(e) = self.shared_document(kind) {
                problems.push(format!("{}: {e}", kind.key()));
            }
        }
        problems.extend(self.verify_team_log()?);
        problems.extend(self.verify_derived()?);
        Ok(problems)
    }
}

/// Bytes an unprivileged writer may still use on the disk holding `dir` (`u64::MAX` where
/// that cannot be known).
fn available_bytes(dir: &Path) -> u64 {
    #[cfg(unix)]
    {
        match rustix::fs::statvfs(dir) {
            Ok(v) => v.f_bavail.saturating_mul(v.f_frsize),
            Err(_) => u64::MAX,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        u64::MAX
    }
}

fn load_shared(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
    kind: Shared,
) -> Result<AutoCommit> {
    match t.get(kind.key())? {
        None => Ok(AutoCommit::new()),
        Some(g) => AutoCommit::load(g.value())
            .map_err(|e| StoreError::Decode(format!("{} document does not load: {e}", kind.key()))),
    }
}

/// Merges a peer's bytes into shared document `doc` within the [`limits`]; `None` if nothing
/// changed.
fn merge_shared(mut doc: AutoCommit, kind: Shared, bytes: &[u8]) -> Result<Option<AutoCommit>> {
    let refuse =
        |e: String| StoreError::BadRemote(format!("peer {} document refused: {e}", kind.key()));
    limits::check_bytes(bytes).map_err(refuse)?;
    let before = doc.get_heads();
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.load_incremental(bytes)
            .map_err(|e| e.to_string())
            .map(|_| doc)
    }))
    .unwrap_or_else(|_| Err("the document decoder failed".into()));
    let mut doc = loaded.map_err(|e| {
        StoreError::BadRemote(format!("peer {} document does not load: {e}", kind.key()))
    })?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(StoreError::BadRemote(format!(
            "peer sent {} changes whose dependencies are missing",
            kind.key()
        )));
    }
    if doc.get_heads() == before {
        return Ok(None);
    }
    limits::check_loaded(&doc).map_err(refuse)?;
    Ok(Some(doc))
}

fn check_shared_text(what: &'static str, text: &str) -> Result<()> {
    if text.len() > MAX_SETTING_BYTES {
        return Err(StoreError::Invalid(
            rapport_model::ValidationError::TooLong {
                field: what,
                len: text.len(),
                max: MAX_SETTING_BYTES,
            },
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            rapport_model::ValidationError::ControlCharacter { field: what },
        ));
    }
    Ok(())
}

/// The longest device name (bytes): the team document shows at most 200 characters of it, and
/// a longer name would only be cut there.
const MAX_DEVICE_NAME_BYTES: usize = 200;

/// A device name: what a customer name may be, and at most [`MAX_DEVICE_NAME_BYTES`].
fn check_device_name(name: &str) -> Result<()> {
    rapport_model::Edit::Name(name.to_string()).validate(None)?;
    let len = name.trim().len();
    if len > MAX_DEVICE_NAME_BYTES {
        return Err(StoreError::Invalid(
            rapport_model::ValidationError::TooLong {
                field: "device name",
                len,
                max: MAX_DEVICE_NAME_BYTES,
            },
        ));
    }
    Ok(())
}

fn settings_map(doc: &AutoCommit) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for key in doc.keys(ROOT) {
        if key.len() > MAX_SETTING_BYTES {
            continue;
        }
        if let Ok(Some((automerge::Value::Scalar(v), _))) = doc.get(ROOT, key.as_str())
            && let automerge::ScalarValue::Str(s) = v.as_ref()
            && s.len() <= MAX_SETTING_BYTES
        {
            out.insert(key.clone(), s.to_string());
        }
    }
    out
}

fn describe_holder(dir: &Path) -> String {
    match std::fs::read(dir.join(LOCK_NOTE))
        .ok()
        .and_then(|b| serde_json::from_slice::<LockNote>(&b).ok())
    {
        Some(n) => format!("`{}` (pid {}, since {})", n.holder, n.pid, n.since),
        None => "another process".to_string(),
    }
}

/// The tables one write transaction touches, with the summary/index bookkeeping.
struct Writer<'t> {
    docs: redb::Table<'t, u128, &'static [u8]>,
    changes: redb::Table<'t, (u128, u32), &'static [u8]>,
    summaries: redb::Table<'t, u128, &'static [u8]>,
    heads: redb::Table<'t, u128, &'static [u8]>,
    by_name: redb::Table<'t, (&'static str, u128), ()>,
    by_tag: redb::Table<'t, (&'static str, u128), ()>,
    agenda: redb::Table<'t, (&'static str, u128, u128), ()>,
    seq_of: redb::Table<'t, u128, u64>,
    by_seq: redb::Table<'t, u64, u128>,
    sigs: redb::Table<'t, (u128, [u8; 32]), &'static [u8]>,
    unsigned: redb::Table<'t, u128, ()>,
    derived: derived::Tables<'t>,
}

impl<'t> Writer<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self> {
        Ok(Writer {
            docs: txn.open_table(DOCS)?,
            changes: txn.open_table(CHANGES)?,
            summaries: txn.open_table(SUMMARIES)?,
            heads: txn.open_table(HEADS)?,
            by_name: txn.open_table(BY_NAME)?,
            by_tag: txn.open_table(BY_TAG)?,
            agenda: txn.open_table(AGENDA)?,
            seq_of: txn.open_table(SEQ_OF)?,
            by_seq: txn.open_table(BY_SEQ)?,
            sigs: txn.open_table(authored::CHANGE_SIGS)?,
            unsigned: txn.open_table(authored::UNSIGNED_DOCS)?,
            derived: derived::Tables::open(txn)?,
        })
    }

    fn summary(&self, id: CustomerId) -> Result<Option<CustomerSummary>> {
        self.summaries
            .get(id.as_u128())?
            .map(|g| decode_summary(g.value()))
            .transpose()
    }

    /// Appends the changes since `old_heads` as a chunk, or folds everything into a new
    /// snapshot once the document has [`COMPACT_AFTER`] chunks.
    fn store_changes(
        &mut self,
        doc: &mut AutoCommit,
        id: CustomerId,
        old_heads: &[ChangeHash],
        chunks: u32,
    ) -> Result<()> {
        let key = id.as_u128();
        if chunks + 1 >= COMPACT_AFTER {
            self.docs.insert(key, doc.save().as_slice())?;
            self.changes
                .retain_in((key, 0)..=(key, u32::MAX), |_, _| false)?;
        } else {
            let next = match self.changes.range((key, 0)..=(key, u32::MAX))?.next_back() {
                Some(row) => row?.0.value().1 + 1,
                None => 0,
            };
            let bytes = doc.save_after(old_heads);
            self.changes.insert((key, next), bytes.as_slice())?;
        }
        Ok(())
    }

    /// Rewrites the summary, index and heads rows of `id` from the document.
    fn finish(
        &mut self,
        doc: &mut AutoCommit,
        id: CustomerId,
        old: Option<&CustomerSummary>,
    ) -> Result<Vec<ChangeHash>> {
        let customer = doc::hydrate(doc, id)?;
        self.index(doc, &customer, old)
    }

    /// Rewrites the summary, index and heads rows from `customer`, which must be what `doc`
    /// hydrates to.
    fn index(
        &mut self,
        doc: &mut AutoCommit,
        customer: &Customer,
        old: Option<&CustomerSummary>,
    ) -> Result<Vec<ChangeHash>> {
        let key = customer.id.as_u128();
        let new = CustomerSummary::of(customer);
        if let Some(old) = old {
            self.by_name.remove((old.sort_key.as_str(), key))?;
            for t in &old.tags {
                self.by_tag.remove((t.as_str(), key))?;
            }
            for f in &old.open_followups {
                self.agenda
                    .remove((f.due.to_string().as_str(), key, f.id.as_u128()))?;
            }
        }
        self.by_name.insert((new.sort_key.as_str(), key), ())?;
        for t in &new.tags {
            self.by_tag.insert((t.as_str(), key), ())?;
        }
        if !new.deleted && !new.archived {
            for f in &new.open_followups {
                self.agenda
                    .insert((f.due.to_string().as_str(), key, f.id.as_u128()), ())?;
            }
        }
        self.derived.index(&new, old)?;
        let bytes = postcard::to_stdvec(&new)?;
        self.summaries.insert(key, bytes.as_slice())?;
        let mut heads = doc.get_heads();
        heads.sort();
        self.heads.insert(key, encode_heads(&heads).as_slice())?;
        Ok(heads)
    }

    /// Gives document `key` the next change sequence number (it was just written).
    fn bump_seq(&mut self, key: u128) -> Result<()> {
        // Take the next number before removing this document's old row, so numbers never
        // repeat even when this document held the newest one.
        let next = self
            .by_seq
            .last()?
            .map(|(k, _)| k.value())
            .unwrap_or(0)
            .saturating_add(1);
        let old = self.seq_of.insert(key, next)?.map(|g| g.value());
        if let Some(old) = old {
            self.by_seq.remove(old)?;
        }
        self.by_seq.insert(next, key)?;
        Ok(())
    }
}
