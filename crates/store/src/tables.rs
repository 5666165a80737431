//! The on-disk layout: every redb table of the store and how its rows encode.
//!
//! Customer documents are a base snapshot (`docs`) plus change chunks (`changes`), which
//! [`load_doc`] concatenates and loads in one go. `summaries`, `heads` and the indexes
//! (`by_name`, `by_tag`, `agenda`) are derived from the documents and rewritten in the same
//! transaction as them ([`crate::write::Writer`]). Every table here is created when the store
//! opens ([`Store::open`](crate::Store::open)), so read transactions never miss one; the
//! signature tables live in [`crate::authored`] and the team log in `team`.

use automerge::{AutoCommit, ChangeHash};
use rapport_model::{CustomerId, CustomerSummary};
use redb::{ReadableTable, TableDefinition};

use crate::{Result, StoreError};

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const DOCS: TableDefinition<u128, &[u8]> = TableDefinition::new("docs");
pub(crate) const CHANGES: TableDefinition<(u128, u32), &[u8]> = TableDefinition::new("changes");
pub(crate) const SUMMARIES: TableDefinition<u128, &[u8]> = TableDefinition::new("summaries");
pub(crate) const HEADS: TableDefinition<u128, &[u8]> = TableDefinition::new("heads");
pub(crate) const BY_NAME: TableDefinition<(&str, u128), ()> = TableDefinition::new("by_name");
pub(crate) const BY_TAG: TableDefinition<(&str, u128), ()> = TableDefinition::new("by_tag");
pub(crate) const AGENDA: TableDefinition<(&str, u128, u128), ()> = TableDefinition::new("agenda");

/// Team-wide documents by name (`settings`; team membership will join it).
pub(crate) const TEAM_DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("team_docs");
/// This device's own record of sync sessions per peer id (postcard `PeerState`); not synced.
pub(crate) const PEERS: TableDefinition<&str, &[u8]> = TableDefinition::new("peers");
/// Local change sequence: each customer document's sequence number at its latest write
/// (local edit or merge from a peer). Not synced; it lets "pending changes" for a peer be
/// counted as documents written since the last session with it.
pub(crate) const SEQ_OF: TableDefinition<u128, u64> = TableDefinition::new("seq_of");
/// The same, by sequence number (the newest write is the last row).
pub(crate) const BY_SEQ: TableDefinition<u64, u128> = TableDefinition::new("by_seq");
/// Settings of this device only (network options...); not synced.
pub(crate) const DEVICE_SETTINGS: TableDefinition<&str, &str> =
    TableDefinition::new("device_settings");
/// Peer documents this device refused: document key (a customer id in hex, or
/// `shared/settings`, `shared/team`) → postcard `QuarantineRow`. Not synced; not damage.
pub(crate) const QUARANTINE: TableDefinition<&str, &[u8]> = TableDefinition::new("quarantine");
/// What each peer brought today (not synced): peer id → postcard `DayUse`.
pub(crate) const PEER_DAY: TableDefinition<&str, &[u8]> = TableDefinition::new("peer_day");
/// Peers whose sync is paused because they sent data that was refused: peer id → postcard
/// `PausedRow`. Not synced.
pub(crate) const PAUSED: TableDefinition<&str, &[u8]> = TableDefinition::new("paused_peers");

pub(crate) fn decode_summary(bytes: &[u8]) -> Result<CustomerSummary> {
    Ok(postcard::from_bytes(bytes)?)
}

pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

pub(crate) fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok().map(ChangeHash))
        .collect()
}

/// Loads a document from its snapshot and change chunks. `None` if the store has no such
/// document. The chunks are concatenated and loaded in one go, which is several times faster
/// than replaying each with `load_incremental`.
pub(crate) fn load_doc(
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
