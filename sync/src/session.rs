//! One sync session over a QUIC connection: the responder side ([`SyncHandler`], with the
//! caps on open sessions), the initiator side (`run_session`), and the ALPN versions.
//!
//! Invariants: a session is one bi-directional stream driving a [`Responder`] or an
//! [`Initiator`] frame by frame, each frame streamed as soon as it is made; a responder
//! refuses non-members ([`CLOSE_NOT_MEMBER`]), paused peers ([`CLOSE_PAUSED`]) and sessions
//! over [`MAX_SESSIONS_PER_PEER`] or [`MAX_SESSIONS`] ([`CLOSE_BUSY`]) before reading
//! anything, and cuts off a session at its timeout ([`SESSION_TIMEOUT`] by default); what a
//! peer sends is applied through [`crate::FromPeer`], so the store checks and quarantines it
//! under the session's quota. A version-1 peer is told to update, never half synced.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::EndpointId;
use iroh::endpoint::Connection;
use iroh::protocol::{AcceptError, ProtocolHandler};
use rapport_store::Store;

use crate::protocol::{Initiator, Responder};
use crate::team::{CLOSE_NOT_MEMBER, Members};
use crate::wire::{Wire, read_frame, write_frame};
use crate::{SyncError, Traffic, blocking};

/// ALPN of the sync protocol, version 2 (changes travel with their signatures).
pub const SYNC_ALPN: &[u8] = b"rapport/sync/2";
/// ALPN of the first sync protocol, answered only to say "update".
pub const SYNC_ALPN_V1: &[u8] = b"rapport/sync/1";
/// QUIC close code for a peer whose sync this device paused (it sent data that was refused).
pub const CLOSE_PAUSED: u32 = 423;
/// QUIC close code for a peer that must update.
pub const CLOSE_UPDATE_NEEDED: u32 = 426;
/// The reason a version-1 device reads when it dials.
pub const SYNC_UPDATE_NEEDED: &str =
    "update Rapport on this device: the team's devices now sign their changes (sync protocol 2)";

/// Answers version-1 sync with a close whose reason says to update.
#[derive(Debug, Clone)]
pub struct LegacySyncHandler;

impl ProtocolHandler for LegacySyncHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        tracing::warn!(peer = %conn.remote_id(), "a device running an older Rapport tried to sync; it is told to update");
        conn.close(CLOSE_UPDATE_NEEDED.into(), SYNC_UPDATE_NEEDED.as_bytes());
        Ok(())
    }
}

/// A connect error, with "update Rapport there" when the peer speaks only an older protocol.
pub(crate) fn connect_error(e: impl std::fmt::Display) -> SyncError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("application protocol") || lower.contains("alpn") {
        return SyncError::Transport(format!(
            "the peer runs an older Rapport (sync protocol 1): update Rapport on that device ({text})"
        ));
    }
    SyncError::Transport(text)
}

/// QUIC close code for a session refused because the peer (or everyone together) already has
/// as many sessions open as
/// [`NetConfig::max_sessions_per_peer`](crate::config::NetConfig::max_sessions_per_peer)
/// ([`NetConfig::max_sessions`](crate::config::NetConfig::max_sessions)).
pub const CLOSE_BUSY: u32 = 429;
/// A whole session, either side, is cut off after this long. An honest session of a big
/// initial sync moves tens of MiB in seconds on a LAN; a relay is slower, but not minutes.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(300);
/// Sessions one peer may have open at once on this device (its push and a manual sync).
pub const MAX_SESSIONS_PER_PEER: usize = 2;
/// Sessions all peers together may have open at once on this device (each holds a store
/// snapshot of `(id, heads)` and up to a frame of documents).
pub const MAX_SESSIONS: usize = 16;

/// The sessions open on the responder side: per peer and in total, capped.
#[derive(Debug, Clone)]
pub(crate) struct Sessions {
    pub(crate) open: Arc<Mutex<HashMap<EndpointId, usize>>>,
    pub(crate) per_peer: usize,
    pub(crate) total: usize,
}

/// A session slot; given back when dropped.
struct Slot {
    open: Arc<Mutex<HashMap<EndpointId, usize>>>,
    peer: EndpointId,
}

impl Sessions {
    /// A slot for `peer`, or `None` when it or everyone together is at the cap.
    fn acquire(&self, peer: EndpointId) -> Option<Slot> {
        let mut open = self.open.lock().ok()?;
        let total: usize = open.values().sum();
        let mine = open.get(&peer).copied().unwrap_or(0);
        if mine >= self.per_peer || total >= self.total {
            return None;
        }
        open.insert(peer, mine + 1);
        Some(Slot {
            open: self.open.clone(),
            peer,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock()
            && let Some(n) = open.get_mut(&self.peer)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

/// Serves `rapport/sync/2`: runs a [`Responder`] for each incoming stream.
#[derive(Debug, Clone)]
pub struct SyncHandler {
    pub(crate) store: Arc<Store>,
    pub(crate) members: Members,
    pub(crate) served: Arc<AtomicU64>,
    pub(crate) wire: Wire,
    pub(crate) sessions: Sessions,
    pub(crate) session_timeout: Duration,
}

impl SyncHandler {
    async fn serve(&self, conn: &Connection) -> Result<(), SyncError> {
        let (mut send, mut recv) = self.wire.accept_bi(conn).await?;
        let store = crate::FromPeer::new(self.store.as_ref(), conn.remote_id().to_string());
        let mut responder = blocking(|| Responder::new(&store))?;
        while !responder.is_done() {
            let (frame, _) = read_frame(&self.wire, &mut recv).await?;
            blocking(|| responder.accept(frame))?;
            // The reply is streamed: each frame's documents are read only when it is sent.
            while let Some(f) = blocking(|| responder.next_frame())? {
                write_frame(&self.wire, &mut send, &f).await?;
            }
        }
        send.finish()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        Ok(())
    }
}

impl ProtocolHandler for SyncHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let peer = conn.remote_id();
        // The handshake hook already refuses strangers; check again in case membership
        // changed in between.
        if !self.members.contains(&peer) {
            conn.close(CLOSE_NOT_MEMBER.into(), b"not a team member");
            return Ok(());
        }
        if let Ok(Some(p)) = self.store.peer_paused(&peer.to_string()) {
            tracing::warn!(%peer, reason = %p.reason, "refused a sync session: sync with this device is paused");
            conn.close(CLOSE_PAUSED.into(), b"sync with this device is paused");
            return Ok(());
        }
        let Some(slot) = self.sessions.acquire(peer) else {
            tracing::warn!(%peer, "refused a sync session: too many open");
            conn.close(CLOSE_BUSY.into(), b"too many sync sessions open");
            return Ok(());
        };
        let served = tokio::time::timeout(self.session_timeout, self.serve(&conn))
            .await
            .unwrap_or_else(|_| {
                Err(SyncError::Transport(format!(
                    "the session did not finish within {:?}",
                    self.session_timeout
                )))
            });
        drop(slot);
        match served {
            Ok(()) => {
                self.served.fetch_add(1, Ordering::Relaxed);
                tracing::info!(%peer, "sync session served");
                conn.closed().await;
            }
            Err(e) => {
                tracing::warn!(%peer, error = %e, "closing sync connection");
                conn.close(1u32.into(), e.to_string().as_bytes());
            }
        }
        Ok(())
    }
}

/// One initiator session on `conn`.
pub(crate) async fn run_session(
    store: &Store,
    wire: &Wire,
    conn: &Connection,
    peer_id: EndpointId,
) -> Result<Traffic, SyncError> {
    let (mut send, mut recv) = conn
        .open_bi()
        .await
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    let store = crate::FromPeer::new(store, peer_id.to_string());
    let mut initiator = blocking(|| Initiator::new(&store))?;
    let mut traffic = Traffic::default();
    for f in initiator.start()? {
        traffic.bytes_sent += write_frame(wire, &mut send, &f).await?;
        traffic.frames += 1;
    }
    while !initiator.is_done() {
        let (frame, n) = read_frame(wire, &mut recv).await?;
        traffic.bytes_received += n;
        traffic.frames += 1;
        blocking(|| initiator.accept(frame))?;
        // Pushes are streamed: each frame's documents are read only when it is sent.
        while let Some(f) = blocking(|| initiator.next_frame())? {
            traffic.bytes_sent += write_frame(wire, &mut send, &f).await?;
            traffic.frames += 1;
        }
    }
    send.finish()
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    // Let the responder see `Done` and finish its side before we close.
    let _ = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(64)).await;
    conn.close(0u32.into(), b"done");
    traffic.initiator = initiator.stats.clone();
    Ok(traffic)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use iroh::SecretKey;

    use super::*;

    fn peer(n: u8) -> EndpointId {
        SecretKey::from_bytes(&[n; 32]).public()
    }

    /// The total cap holds across peers (the default: 16 in all, 2 per peer), and a slot
    /// given back is free again.
    #[test]
    fn sessions_are_capped_per_peer_and_in_total() {
        let s = Sessions {
            open: Arc::default(),
            per_peer: MAX_SESSIONS_PER_PEER,
            total: MAX_SESSIONS,
        };
        let mut held = Vec::new();
        // Nine members each open as many as they may: the 17th and 18th are refused.
        for n in 0..9u8 {
            for _ in 0..MAX_SESSIONS_PER_PEER {
                if let Some(slot) = s.acquire(peer(n)) {
                    held.push(slot);
                }
            }
        }
        assert_eq!(held.len(), MAX_SESSIONS);
        assert!(s.acquire(peer(8)).is_none(), "over the total");
        assert!(
            s.acquire(peer(20)).is_none(),
            "a new peer too, while the total is reached"
        );
        // One peer is held to its own cap even with room in total.
        held.truncate(MAX_SESSIONS - 4);
        assert!(s.acquire(peer(0)).is_none(), "peer 0 still holds its two");
        let back = s.acquire(peer(20));
        assert!(back.is_some(), "room again once slots are given back");
        drop(held);
        drop(back);
        assert!(s.open.lock().unwrap().is_empty());
    }
}
