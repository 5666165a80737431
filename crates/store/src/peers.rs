//! This device's own record of syncing with each peer, and the local change sequence that
//! says how many documents a peer has not seen yet.
//!
//! Invariants: nothing here is synced; every customer document write (local or merged) takes
//! the next sequence number ([`crate::write::Writer`]), and numbers never repeat.

use redb::{ReadableDatabase, ReadableTable};

use crate::tables::{BY_SEQ, PEERS};
use crate::{PeerState, Result, Store};

impl Store {
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
}
