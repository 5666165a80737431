//! # rapport-sync: moving document changes between devices
//!
//! This crate moves automerge document bytes between a team's devices and never interprets
//! customers: it sees ids, heads and bytes.
//!
//! - [`protocol`]: the `rapport/sync/2` many-document reconciliation as two IO-free state
//!   machines ([`protocol::Initiator`], [`protocol::Responder`]) exchanging [`protocol::Frame`]s.
//!   Unchanged stores cost one round trip of a few dozen bytes whatever their size; changed
//!   documents are found by descending a fingerprint trie and then exchange only missing
//!   changes.
//! - [`Replica`]: what the protocol needs from a store; implemented for
//!   [`rapport_store::Store`], whose `apply_remote` validates every document before it lands.
//! - [`sync_local`]: runs a whole session between two replicas in one process, encoding and
//!   decoding every frame as the network would (tests and the benchmark use it).
//!
//! - [`net`]: the iroh transport: a [`net::Node`] per device serving `rapport/sync/2`, with
//!   a handshake hook that admits only team [`net::Members`]; LAN discovery by mDNS, direct
//!   addresses from the team document, opt-in relays ([`net::NetConfig`]); live push after
//!   every change, and retry with backoff for peers that did not answer.
//!
//! - [`pair`]: invite tickets and the `rapport/pair/1` handshake that adds a device to the
//!   team document on both sides.
//!
//! The crate never reads a customer: the store validates what arrives
//! ([`rapport_store::Store::apply_remote_many`]) and the CLI and app drive [`net::Node`].

mod config;
mod discovery;
pub mod net;
mod node;
pub mod pair;
pub mod protocol;
mod session;
mod team;
mod wire;

use automerge::ChangeHash;
use rapport_model::CustomerId;
use rapport_store::{Quota, Shared, Store, StoreError};

pub use protocol::{Frame, Initiator, Responder, Stats};

/// A change hash as it travels.
pub type Hash = [u8; 32];

/// Why a session failed. The session ends; the stores stay consistent (every document write is
/// its own validated transaction).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("network: {0}")]
    Transport(String),
    #[error("invite: {0}")]
    Ticket(String),
    /// This device paused sync with the peer: it sent data that was refused (why).
    #[error(
        "sync with this device is paused: it sent data that was refused ({0}); resume with `rapport peers resume DEVICE` after looking, or revoke it"
    )]
    Paused(String),
}

/// What the protocol needs from a device's documents.
pub trait Replica {
    /// Every document id with its current heads.
    fn entries(&self) -> Result<Vec<protocol::Item>, SyncError>;
    /// Bytes a holder of `have` is missing for `id` (the whole document if `have` is empty
    /// or unknown here); empty if it is missing nothing; `None` if `id` is unknown here.
    fn changes_since(&self, id: u128, have: &[Hash]) -> Result<Option<Vec<u8>>, SyncError>;
    /// Whether every change in `heads` is known here for `id`.
    fn knows(&self, id: u128, heads: &[Hash]) -> Result<bool, SyncError>;
    /// Merges bytes from the peer; returns whether anything changed.
    fn apply(&self, id: u128, bytes: &[u8]) -> Result<bool, SyncError>;
    /// Heads of shared document `kind` (0 = settings, 1 = team).
    fn shared_heads(&self, kind: u8) -> Result<Vec<Hash>, SyncError>;
    /// Changes of shared document `kind` a holder of `have` lacks (empty if none).
    fn shared_changes_since(&self, kind: u8, have: &[Hash]) -> Result<Vec<u8>, SyncError>;
    /// Merges a peer's changes to shared document `kind`.
    fn apply_shared(&self, kind: u8, bytes: &[u8]) -> Result<bool, SyncError>;
    /// Merges a frame's worth of documents at once; returns how many changed. A store refuses
    /// (and quarantines) a bad document alone and applies the rest; an error here means the
    /// store itself failed, and ends the session.
    fn apply_many(&self, docs: &[protocol::Doc]) -> Result<u64, SyncError> {
        let mut n = 0;
        for d in docs {
            n += u64::from(self.apply(d.id, &d.bytes)?);
        }
        Ok(n)
    }
}

/// Store calls do disk IO; run them off the async worker without moving the borrow.
pub(crate) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn shared_kind(kind: u8) -> Result<Shared, SyncError> {
    match kind {
        0 => Ok(Shared::Settings),
        1 => Ok(Shared::Team),
        _ => Err(SyncError::Protocol(format!(
            "unknown shared document {kind}"
        ))),
    }
}

fn to_change_hashes(h: &[Hash]) -> Vec<ChangeHash> {
    h.iter().map(|b| ChangeHash(*b)).collect()
}

impl Replica for Store {
    fn entries(&self) -> Result<Vec<protocol::Item>, SyncError> {
        Ok(self
            .heads()?
            .into_iter()
            .map(|(id, heads)| protocol::Item {
                id: id.as_u128(),
                heads: heads.into_iter().map(|h| h.0).collect(),
            })
            .collect())
    }

    fn changes_since(&self, id: u128, have: &[Hash]) -> Result<Option<Vec<u8>>, SyncError> {
        Ok(Store::changes_since(
            self,
            CustomerId::from_u128(id),
            &to_change_hashes(have),
        )?)
    }

    fn knows(&self, id: u128, heads: &[Hash]) -> Result<bool, SyncError> {
        Ok(Store::knows(
            self,
            CustomerId::from_u128(id),
            &to_change_hashes(heads),
        )?)
    }

    fn apply(&self, id: u128, bytes: &[u8]) -> Result<bool, SyncError> {
        Ok(self.apply_remote(CustomerId::from_u128(id), bytes)?)
    }

    fn shared_heads(&self, kind: u8) -> Result<Vec<Hash>, SyncError> {
        Ok(Store::shared_heads(self, shared_kind(kind)?)?
            .into_iter()
            .map(|h| h.0)
            .collect())
    }

    fn shared_changes_since(&self, kind: u8, have: &[Hash]) -> Result<Vec<u8>, SyncError> {
        Ok(Store::shared_changes_since(
            self,
            shared_kind(kind)?,
            &to_change_hashes(have),
        )?)
    }

    fn apply_shared(&self, kind: u8, bytes: &[u8]) -> Result<bool, SyncError> {
        Ok(self.apply_remote_shared_from(None, shared_kind(kind)?, bytes)?)
    }

    fn apply_many(&self, docs: &[protocol::Doc]) -> Result<u64, SyncError> {
        apply_from(self, None, docs)
    }
}

fn apply_from(store: &Store, peer: Option<&str>, docs: &[protocol::Doc]) -> Result<u64, SyncError> {
    let batch: Vec<(CustomerId, &[u8])> = docs
        .iter()
        .map(|d| (CustomerId::from_u128(d.id), d.bytes.as_slice()))
        .collect();
    Ok(store.apply_remote_from(peer, &batch)?.changed as u64)
}

/// A store in a session with one peer: what it refuses is quarantined under the peer's id,
/// and what the peer sends is charged to one [`Quota`] for the session (new documents and
/// bytes, shared documents' bytes included); beyond it, documents are refused and quarantined.
pub struct FromPeer<'s> {
    pub store: &'s Store,
    /// The peer's network id.
    pub peer: String,
    quota: std::sync::Mutex<Quota>,
}

impl<'s> FromPeer<'s> {
    /// `store` in a session with `peer`, with one session's [`Quota::SESSION`].
    pub fn new(store: &'s Store, peer: String) -> Self {
        Self::with_quota(store, peer, Quota::SESSION)
    }

    pub fn with_quota(store: &'s Store, peer: String, quota: Quota) -> Self {
        FromPeer {
            store,
            peer,
            quota: std::sync::Mutex::new(quota),
        }
    }

    /// What the peer may still send in this session.
    pub fn quota_left(&self) -> Quota {
        self.quota.lock().map(|q| *q).unwrap_or(Quota {
            new_docs: 0,
            bytes: 0,
        })
    }

    fn quota(&self) -> Result<std::sync::MutexGuard<'_, Quota>, SyncError> {
        self.quota
            .lock()
            .map_err(|_| SyncError::Protocol("session quota lock poisoned".into()))
    }
}

impl Replica for FromPeer<'_> {
    fn entries(&self) -> Result<Vec<protocol::Item>, SyncError> {
        Replica::entries(self.store)
    }

    fn changes_since(&self, id: u128, have: &[Hash]) -> Result<Option<Vec<u8>>, SyncError> {
        Replica::changes_since(self.store, id, have)
    }

    fn knows(&self, id: u128, heads: &[Hash]) -> Result<bool, SyncError> {
        Replica::knows(self.store, id, heads)
    }

    fn apply(&self, id: u128, bytes: &[u8]) -> Result<bool, SyncError> {
        let doc = [protocol::Doc {
            id,
            bytes: bytes.to_vec(),
        }];
        Ok(self.apply_many(&doc)? > 0)
    }

    fn shared_heads(&self, kind: u8) -> Result<Vec<Hash>, SyncError> {
        Replica::shared_heads(self.store, kind)
    }

    fn shared_changes_since(&self, kind: u8, have: &[Hash]) -> Result<Vec<u8>, SyncError> {
        Replica::shared_changes_since(self.store, kind, have)
    }

    fn apply_shared(&self, kind: u8, bytes: &[u8]) -> Result<bool, SyncError> {
        let kind = shared_kind(kind)?;
        if let Err(why) = self.quota()?.charge(false, bytes.len()) {
            tracing::warn!(peer = %self.peer, doc = ?kind, "refused a shared document: {why}");
            return Ok(false);
        }
        Ok(self
            .store
            .apply_remote_shared_from(Some(&self.peer), kind, bytes)?)
    }

    fn apply_many(&self, docs: &[protocol::Doc]) -> Result<u64, SyncError> {
        let batch: Vec<(CustomerId, &[u8])> = docs
            .iter()
            .map(|d| (CustomerId::from_u128(d.id), d.bytes.as_slice()))
            .collect();
        let mut quota = self.quota()?;
        Ok(self
            .store
            .apply_remote_within(Some(&self.peer), &batch, &mut quota)?
            .changed as u64)
    }
}

/// Traffic of one [`sync_local`] session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Encoded bytes initiator → responder and back.
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub frames: u64,
    pub initiator: Stats,
    pub responder: Stats,
    /// How the peer was reached (`lan`, `direct`, `relay`); empty in process.
    pub via: &'static str,
}

/// Runs one whole session between `initiator` and `responder` in this process, encoding and
/// decoding each frame as the network would, and streaming as the network does: each frame
/// is handed over as soon as it is made, so neither side holds more than one frame of output.
pub fn sync_local(
    initiator: &impl Replica,
    responder: &impl Replica,
) -> Result<Traffic, SyncError> {
    let mut i = Initiator::new(initiator)?;
    let mut r = Responder::new(responder)?;
    let mut t = Traffic::default();
    for f in i.start()? {
        let bytes = f.encode()?;
        t.bytes_sent += bytes.len() as u64;
        t.frames += 1;
        r.accept(Frame::decode(&bytes)?)?;
    }
    while !i.is_done() {
        let mut replied = false;
        while let Some(f) = r.next_frame()? {
            replied = true;
            let bytes = f.encode()?;
            t.bytes_received += bytes.len() as u64;
            t.frames += 1;
            i.accept(Frame::decode(&bytes)?)?;
        }
        let mut asked = false;
        while let Some(f) = i.next_frame()? {
            asked = true;
            let bytes = f.encode()?;
            t.bytes_sent += bytes.len() as u64;
            t.frames += 1;
            r.accept(Frame::decode(&bytes)?)?;
        }
        if !replied && !asked && !i.is_done() {
            return Err(SyncError::Protocol("session stalled".into()));
        }
    }
    t.initiator = i.stats.clone();
    t.responder = r.stats.clone();
    Ok(t)
}
