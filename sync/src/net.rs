//! The iroh transport: one endpoint per device, one [`ProtocolHandler`] per versioned ALPN,
//! and access control at the handshake.
//!
//! - [`SYNC_ALPN`] (`rapport/sync/2`) carries one reconciliation session per bi-directional
//!   stream: frames are a 4-byte big-endian length and a postcard [`Frame`], each at most
//!   [`MAX_FRAME`] bytes and read under [`FRAME_TIMEOUT`]. Version 2 carries signed changes
//!   (the store's `Delivery`); a device still on version 1 that dials [`SYNC_ALPN_V1`] is
//!   closed at once with [`SYNC_UPDATE_NEEDED`], and one that this device dials fails the
//!   ALPN negotiation at once, reported as "update Rapport on that device" (no hang, never
//!   half a sync).
//! - [`TeamHook`] closes every connection whose endpoint id is not a current member
//!   ([`Members`]) right after the handshake, before any stream is accepted, so a stranger
//!   reads and writes nothing.
//! - Finding peers ([`NetConfig`]): direct `ip:port` addresses that every device records in
//!   the team document; mDNS on the local network (service `_rapport-v1._udp.local`, so
//!   other iroh apps stay out), on by default, advertising optional; n0's public relays and
//!   DNS lookup only when the device opts in (they are central services). A team device seen
//!   on the LAN is synced with at once, so devices resync when they meet again.
//! - A peer that did not answer is retried with exponential backoff ([`BACKOFF_MAX`]), so an
//!   absent laptop costs nothing and a returning one is picked up within minutes (soon on the
//!   LAN).
//! - mDNS is unauthenticated (anyone on the LAN can announce any endpoint id at any address),
//!   so an announcement is only a hint: its addresses are added as candidates beside the
//!   recorded ones (at most [`MAX_LAN_ADDRS`] per device, never replacing any), and it never
//!   resets a peer's backoff. A peer whose last session worked is not in backoff at all; one
//!   that is gets at most one early retry per failure ([`Backoff::hint`]). A spoofed address
//!   can only fail the handshake (the endpoint id is the peer's key), never impersonate.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use iroh::endpoint::{
    AfterHandshakeOutcome, Connection, EndpointHooks, RecvStream, SendStream, presets,
};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr, EndpointId, SecretKey};
use rapport_store::{DocRef, Shared, Store, TeamMember};

use crate::protocol::{Frame, Initiator, MAX_FRAME, Responder};
use crate::{SyncError, Traffic};

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
fn connect_error(e: impl std::fmt::Display) -> SyncError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    if lower.contains("application protocol") || lower.contains("alpn") {
        return SyncError::Transport(format!(
            "the peer runs an older Rapport (sync protocol 1): update Rapport on that device ({text})"
        ));
    }
    SyncError::Transport(text)
}
/// Dialling a peer gives up after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A peer that sends nothing for this long is dropped.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(30);
/// QUIC close code for a device that is not (or no longer) a team member.
pub const CLOSE_NOT_MEMBER: u32 = 403;
/// QUIC close code for a session refused because the peer (or everyone together) already has
/// as many sessions open as [`NetConfig::max_sessions_per_peer`] ([`NetConfig::max_sessions`]).
pub const CLOSE_BUSY: u32 = 429;
/// A whole session, either side, is cut off after this long. An honest session of a big
/// initial sync moves tens of MiB in seconds on a LAN; a relay is slower, but not minutes.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(300);
/// Sessions one peer may have open at once on this device (its push and a manual sync).
pub const MAX_SESSIONS_PER_PEER: usize = 2;
/// Sessions all peers together may have open at once on this device (each holds a store
/// snapshot of `(id, heads)` and up to a frame of documents).
pub const MAX_SESSIONS: usize = 16;
/// mDNS service name: `_rapport-v1._udp.local`.
pub const MDNS_SERVICE: &str = "rapport-v1";
/// First retry delay after a failed session; doubles per failure up to [`BACKOFF_MAX`].
pub const BACKOFF_START: Duration = Duration::from_secs(2);
/// Longest wait between retries of an unreachable peer.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Device setting: find team devices on the local network (`on`/`off`, default `on`).
pub const SETTING_LAN_DISCOVERY: &str = "lan.discovery";
/// Device setting: announce this device on the local network (`on`/`off`, default `on`).
pub const SETTING_LAN_ADVERTISE: &str = "lan.advertise";
/// Device setting: use n0's public relays and DNS lookup (`on`/`off`, default `off`).
pub const SETTING_INTERNET: &str = "net.relays";
/// The device settings this crate reads, with their defaults.
pub const DEVICE_SETTINGS: [(&str, bool, &str); 3] = [
    (
        SETTING_LAN_DISCOVERY,
        true,
        "find team devices on the local network (mDNS)",
    ),
    (
        SETTING_LAN_ADVERTISE,
        true,
        "announce this device on the local network (its id and addresses)",
    ),
    (
        SETTING_INTERNET,
        false,
        "use public relays and DNS lookup to reach devices across the internet",
    ),
];

/// How a device finds and reaches its peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetConfig {
    /// Where to listen (`0.0.0.0:0` for any port on every interface).
    pub bind: SocketAddr,
    /// Find team devices on the LAN by mDNS. Never on a loopback-only bind.
    pub lan_discovery: bool,
    /// Announce this device on the LAN (with `lan_discovery`).
    pub lan_advertise: bool,
    /// n0's public relays and DNS address lookup (central services: opt-in).
    pub internet: bool,
    /// A peer that sends nothing for this long (no stream opened, or a frame not finished)
    /// is dropped ([`FRAME_TIMEOUT`] by default).
    pub frame_timeout: Duration,
    /// A whole session is cut off after this long ([`SESSION_TIMEOUT`] by default).
    pub session_timeout: Duration,
    /// Sessions one peer may have open at once here ([`MAX_SESSIONS_PER_PEER`]); more are
    /// closed at once with [`CLOSE_BUSY`].
    pub max_sessions_per_peer: usize,
    /// Sessions all peers together may have open at once here ([`MAX_SESSIONS`]).
    pub max_sessions: usize,
}

impl NetConfig {
    /// Direct addresses only: no mDNS, no relays (tests, probes).
    pub fn direct(bind: SocketAddr) -> Self {
        NetConfig {
            bind,
            lan_discovery: false,
            lan_advertise: false,
            internet: false,
            frame_timeout: FRAME_TIMEOUT,
            session_timeout: SESSION_TIMEOUT,
            max_sessions_per_peer: MAX_SESSIONS_PER_PEER,
            max_sessions: MAX_SESSIONS,
        }
    }

    /// This device's configuration from its settings (see [`DEVICE_SETTINGS`]). The
    /// environment variable `RAPPORT_LAN_DISCOVERY=off` turns mDNS off whatever the setting
    /// (scripts, tests).
    pub fn from_store(store: &Store, bind: SocketAddr) -> Result<Self, SyncError> {
        let flag = |key: &str, default: bool| -> Result<bool, SyncError> {
            match store.device_setting(key)? {
                None => Ok(default),
                Some(v) => parse_flag(&v).ok_or_else(|| {
                    SyncError::Protocol(format!(
                        "device setting `{key}` is `{v}`; expected on or off"
                    ))
                }),
            }
        };
        let env_off =
            std::env::var("RAPPORT_LAN_DISCOVERY").is_ok_and(|v| parse_flag(&v) == Some(false));
        Ok(NetConfig {
            bind,
            lan_discovery: flag(SETTING_LAN_DISCOVERY, true)? && !env_off,
            lan_advertise: flag(SETTING_LAN_ADVERTISE, true)?,
            internet: flag(SETTING_INTERNET, false)?,
            frame_timeout: FRAME_TIMEOUT,
            session_timeout: SESSION_TIMEOUT,
            max_sessions_per_peer: MAX_SESSIONS_PER_PEER,
            max_sessions: MAX_SESSIONS,
        })
    }
}

/// `on`/`off` (also `true`/`false`, `yes`/`no`, `1`/`0`).
pub fn parse_flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Most LAN addresses kept per device (the newest; mDNS announcements are unauthenticated).
pub const MAX_LAN_ADDRS: usize = 8;

/// Retry state of one peer that did not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Retry {
    /// Failed sessions in a row.
    failures: u32,
    /// Not dialled again before this.
    next: Instant,
    /// An mDNS hint already moved `next` forward during this wait.
    hinted: bool,
}

/// Retry state of peers that did not answer. Only a session's outcome changes the failure
/// count: a successful one clears it ([`Backoff::reset`]), a failed one doubles the wait.
#[derive(Debug, Default)]
struct Backoff(Mutex<HashMap<EndpointId, Retry>>);

impl Backoff {
    fn due(&self, id: &EndpointId) -> bool {
        self.0
            .lock()
            .map(|m| m.get(id).is_none_or(|r| Instant::now() >= r.next))
            .unwrap_or(true)
    }

    fn failed(&self, id: EndpointId) {
        if let Ok(mut m) = self.0.lock() {
            let n = m.get(&id).map_or(0, |r| r.failures);
            let wait = BACKOFF_START
                .saturating_mul(1u32 << n.min(16))
                .min(BACKOFF_MAX);
            m.insert(
                id,
                Retry {
                    failures: n.saturating_add(1),
                    next: Instant::now() + wait,
                    hinted: false,
                },
            );
        }
    }

    /// A session with the peer worked.
    fn reset(&self, id: &EndpointId) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(id);
        }
    }

    /// The peer was announced on the LAN (an unauthenticated hint). A peer not in backoff
    /// (its last session worked, or none was tried) is untouched. One in backoff may be tried
    /// once early, at the next round, without its failure count being cleared: a failed
    /// early try backs off further, and announcements repeated meanwhile do nothing more.
    /// Returns whether the retry moved forward.
    fn hint(&self, id: &EndpointId) -> bool {
        let Ok(mut m) = self.0.lock() else {
            return false;
        };
        match m.get_mut(id) {
            Some(r) if !r.hinted => {
                r.hinted = true;
                r.next = r.next.min(Instant::now());
                true
            }
            _ => false,
        }
    }
}

/// The addresses to dial a member at: the recorded ones (team document) first, then LAN
/// hints not among them.
fn candidates(recorded: &[String], lan: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut addrs: Vec<SocketAddr> = recorded.iter().filter_map(|a| a.parse().ok()).collect();
    for a in lan {
        if !addrs.contains(a) {
            addrs.push(*a);
        }
    }
    addrs
}

/// Team devices currently seen on the LAN, with the addresses they announced.
#[derive(Clone, Debug, Default)]
struct LanPeers(Arc<RwLock<HashMap<EndpointId, Vec<SocketAddr>>>>);

impl LanPeers {
    fn get(&self, id: &EndpointId) -> Vec<SocketAddr> {
        self.0
            .read()
            .ok()
            .and_then(|m| m.get(id).cloned())
            .unwrap_or_default()
    }

    /// Adds announced addresses as candidates for `id` (none is replaced; beyond
    /// [`MAX_LAN_ADDRS`] the oldest go). Returns whether `id` was not seen before.
    fn add(&self, id: EndpointId, addrs: &[SocketAddr]) -> bool {
        let Ok(mut m) = self.0.write() else {
            return false;
        };
        let new = !m.contains_key(&id);
        let known = m.entry(id).or_default();
        for a in addrs {
            if !known.contains(a) {
                known.push(*a);
            }
        }
        let excess = known.len().saturating_sub(MAX_LAN_ADDRS);
        known.drain(..excess);
        new
    }
}

/// The devices allowed to connect, by endpoint id. Shared and updatable while running.
#[derive(Clone, Debug, Default)]
pub struct Members(Arc<RwLock<HashSet<EndpointId>>>);

impl Members {
    pub fn new(ids: impl IntoIterator<Item = EndpointId>) -> Self {
        Members(Arc::new(RwLock::new(ids.into_iter().collect())))
    }

    pub fn contains(&self, id: &EndpointId) -> bool {
        self.0.read().map(|m| m.contains(id)).unwrap_or(false)
    }

    pub fn insert(&self, id: EndpointId) {
        if let Ok(mut m) = self.0.write() {
            m.insert(id);
        }
    }

    pub fn remove(&self, id: &EndpointId) {
        if let Ok(mut m) = self.0.write() {
            m.remove(id);
        }
    }

    /// Replaces the set with the team document's current, non-revoked devices.
    pub fn refresh_from(&self, store: &Store) -> Result<(), SyncError> {
        let ids: HashSet<EndpointId> = store
            .team()?
            .into_iter()
            .filter(|m| !m.revoked)
            .filter_map(|m| m.id.parse::<EndpointId>().ok())
            .collect();
        if let Ok(mut m) = self.0.write() {
            *m = ids;
        }
        Ok(())
    }
}

/// Closes connections from non-members right after the handshake, on every ALPN.
#[derive(Debug)]
pub struct TeamHook {
    members: Members,
}

impl EndpointHooks for TeamHook {
    async fn after_handshake<'a>(&'a self, conn: &'a Connection) -> AfterHandshakeOutcome {
        let id = conn.remote_id();
        // Pairing is the one protocol a stranger may speak; it reads nothing but an invite
        // (version 1's is answered only with "update Rapport").
        let pairing =
            conn.alpn() == crate::pair::PAIR_ALPN || conn.alpn() == crate::pair::PAIR_ALPN_V1;
        if self.members.contains(&id) || pairing {
            AfterHandshakeOutcome::accept()
        } else {
            tracing::warn!(peer = %id, "refused a device that is not a team member");
            AfterHandshakeOutcome::Reject {
                error_code: CLOSE_NOT_MEMBER.into(),
                reason: b"not a team member".to_vec(),
            }
        }
    }
}

/// What a node's protocol handlers share about the wire: how long a peer may stay silent,
/// and how many stream bytes they have read from and written to peers (so tests can assert
/// that a refused peer exchanged nothing).
#[derive(Clone, Debug)]
pub(crate) struct Wire {
    pub(crate) timeout: Duration,
    read: Arc<AtomicU64>,
    written: Arc<AtomicU64>,
}

impl Wire {
    pub(crate) fn new(timeout: Duration) -> Self {
        Wire {
            timeout,
            read: Arc::default(),
            written: Arc::default(),
        }
    }

    /// Accepts the peer's bi-directional stream, or gives up after the timeout.
    pub(crate) async fn accept_bi(
        &self,
        conn: &Connection,
    ) -> Result<(SendStream, RecvStream), SyncError> {
        tokio::time::timeout(self.timeout, conn.accept_bi())
            .await
            .map_err(|_| {
                SyncError::Transport(format!("peer opened no stream within {:?}", self.timeout))
            })?
            .map_err(|e| SyncError::Transport(e.to_string()))
    }

    pub(crate) async fn write(
        &self,
        send: &mut SendStream,
        bytes: &[u8],
    ) -> Result<u64, SyncError> {
        let n = write_delimited(send, bytes).await?;
        self.written.fetch_add(n, Ordering::Relaxed);
        Ok(n)
    }

    pub(crate) async fn read(
        &self,
        recv: &mut RecvStream,
        max: usize,
    ) -> Result<Vec<u8>, SyncError> {
        self.read_within(recv, max, self.timeout).await
    }

    /// [`Wire::read`] with another silence timeout (a pairing waits for a person).
    pub(crate) async fn read_within(
        &self,
        recv: &mut RecvStream,
        max: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, SyncError> {
        let buf = read_delimited(recv, max, timeout).await?;
        self.read.fetch_add(buf.len() as u64 + 4, Ordering::Relaxed);
        Ok(buf)
    }
}

/// Writes one length-delimited message: a 4-byte big-endian length, then the bytes. Returns
/// the bytes written.
async fn write_delimited(send: &mut SendStream, bytes: &[u8]) -> Result<u64, SyncError> {
    let len =
        u32::try_from(bytes.len()).map_err(|_| SyncError::Protocol("message too large".into()))?;
    send.write_all(&len.to_be_bytes())
        .await
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    send.write_all(bytes)
        .await
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    Ok(bytes.len() as u64 + 4)
}

/// Reads one length-delimited message of at most `max` bytes, within `timeout` for the whole
/// message (a peer trickling bytes is cut off too). A larger announced length is refused
/// before anything is allocated.
async fn read_delimited(
    recv: &mut RecvStream,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, SyncError> {
    let read = async {
        let mut len = [0u8; 4];
        recv.read_exact(&mut len)
            .await
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        let len = u32::from_be_bytes(len) as usize;
        if len > max {
            return Err(SyncError::Protocol(format!(
                "peer announced a {len}-byte message (limit {max})"
            )));
        }
        let mut buf = vec![0u8; len];
        recv.read_exact(&mut buf)
            .await
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        Ok(buf)
    };
    tokio::time::timeout(timeout, read).await.map_err(|_| {
        SyncError::Transport(format!(
            "peer did not send a whole message within {timeout:?}"
        ))
    })?
}

async fn write_frame(wire: &Wire, send: &mut SendStream, frame: &Frame) -> Result<u64, SyncError> {
    wire.write(send, &frame.encode()?).await
}

async fn read_frame(wire: &Wire, recv: &mut RecvStream) -> Result<(Frame, u64), SyncError> {
    let buf = wire.read(recv, MAX_FRAME).await?;
    Ok((Frame::decode(&buf)?, buf.len() as u64 + 4))
}

/// Store calls do disk IO; run them off the async worker without moving the borrow.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The sessions open on the responder side: per peer and in total, capped.
#[derive(Debug, Clone)]
struct Sessions {
    open: Arc<Mutex<HashMap<EndpointId, usize>>>,
    per_peer: usize,
    total: usize,
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

/// How recently a session with a device must have succeeded for it to count as online.
pub const ONLINE_WINDOW: Duration = Duration::from_secs(90);

/// Whether a team device is online: the one definition the app's sync screen and `rapport
/// peers` share. A revoked device never is; otherwise it is when it answered a probe just now
/// (`probed`, if one was made), or a session with it succeeded within [`ONLINE_WINDOW`] of
/// `now` without an error since, or it announces itself on the LAN (`on_lan`). `None`: no
/// evidence either way (not probed, not seen lately).
pub fn online(
    revoked: bool,
    state: &rapport_store::PeerState,
    on_lan: bool,
    probed: Option<bool>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<bool> {
    if revoked {
        return Some(false);
    }
    let window = chrono::Duration::from_std(ONLINE_WINDOW).unwrap_or_default();
    let recent = state.last_error.is_none()
        && state
            .last_synced
            .is_some_and(|t| now.signed_duration_since(t) < window);
    if probed == Some(true) || recent || on_lan {
        Some(true)
    } else {
        probed
    }
}

/// Serves `rapport/sync/2`: runs a [`Responder`] for each incoming stream.
#[derive(Debug, Clone)]
pub struct SyncHandler {
    store: Arc<Store>,
    members: Members,
    served: Arc<AtomicU64>,
    wire: Wire,
    sessions: Sessions,
    session_timeout: Duration,
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

/// A device on the network: its endpoint, the sync and pairing handlers, and the team's
/// members. Needs a multi-threaded tokio runtime: store calls (disk IO) run in
/// `block_in_place` so they never stall other connections.
pub struct Node {
    router: Router,
    store: Arc<Store>,
    members: Members,
    invites: crate::pair::Invites,
    served: Arc<AtomicU64>,
    wire: Wire,
    watcher: tokio::task::JoinHandle<()>,
    push_slot: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    config: NetConfig,
    lan: LanPeers,
    lan_task: Option<tokio::task::JoinHandle<()>>,
    /// Team devices newly seen on the LAN (the push task syncs with them at once).
    met: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<EndpointId>>>,
    backoff: Backoff,
}

impl Node {
    /// Binds this device's endpoint (its key is the store's device secret) on `bind`
    /// (e.g. `0.0.0.0:0`), relays and address lookup off. It admits the devices the team
    /// document lists and has not revoked, and follows that document as it changes (a
    /// revocation that arrives by sync takes effect at once).
    pub async fn spawn(store: Arc<Store>, bind: SocketAddr) -> Result<Node, SyncError> {
        Self::spawn_configured(store, NetConfig::direct(bind)).await
    }

    /// Like [`Node::spawn`], finding peers as `config` says (mDNS, relays).
    pub async fn spawn_configured(store: Arc<Store>, config: NetConfig) -> Result<Node, SyncError> {
        let members = Members::default();
        members.refresh_from(&store)?;
        let secret = SecretKey::from_bytes(&store.device_secret());
        let mut node = Self::spawn_inner(store.clone(), secret, config, members.clone()).await?;
        let mut feed = store.subscribe();
        let weak = Arc::downgrade(&store);
        node.watcher = tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let refresh = match feed.recv().await {
                    Ok(ev) => ev.doc == DocRef::Shared(Shared::Team),
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => break,
                };
                if refresh {
                    let Some(store) = weak.upgrade() else { break };
                    if let Err(e) = members.refresh_from(&store) {
                        tracing::warn!(error = %e, "could not re-read the team");
                    }
                }
            }
        });
        Ok(node)
    }

    /// Like [`Node::spawn`] with an explicit key and member set (tests, tools).
    pub async fn spawn_with(
        store: Arc<Store>,
        secret: SecretKey,
        bind: SocketAddr,
        members: Members,
    ) -> Result<Node, SyncError> {
        Self::spawn_inner(store, secret, NetConfig::direct(bind), members).await
    }

    async fn spawn_inner(
        store: Arc<Store>,
        secret: SecretKey,
        config: NetConfig,
        members: Members,
    ) -> Result<Node, SyncError> {
        let transport = |e: &dyn std::fmt::Display| SyncError::Transport(e.to_string());
        let builder = if config.internet {
            Endpoint::builder(presets::N0)
        } else {
            Endpoint::builder(presets::Minimal)
        };
        let endpoint = builder
            .secret_key(secret)
            .clear_ip_transports()
            .bind_addr(config.bind)
            .map_err(|e| transport(&e))?
            .hooks(TeamHook {
                members: members.clone(),
            })
            .bind()
            .await
            .map_err(|e| transport(&e))?;
        let lan = LanPeers::default();
        let (met_tx, met_rx) = tokio::sync::mpsc::unbounded_channel();
        let lan_task = if config.lan_discovery && !config.bind.ip().is_loopback() {
            let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
                .service_name(MDNS_SERVICE)
                .advertise(config.lan_advertise)
                .build(endpoint.id())
                .map_err(|e| transport(&e))?;
            endpoint
                .address_lookup()
                .map_err(|e| transport(&e))?
                .add(mdns.clone());
            Some(tokio::spawn(watch_lan(
                mdns,
                lan.clone(),
                members.clone(),
                met_tx,
            )))
        } else {
            None
        };
        let invites = crate::pair::Invites::default();
        let served = Arc::new(AtomicU64::new(0));
        let wire = Wire::new(config.frame_timeout);
        let router = Router::builder(endpoint)
            .accept(
                SYNC_ALPN,
                SyncHandler {
                    store: store.clone(),
                    members: members.clone(),
                    served: served.clone(),
                    wire: wire.clone(),
                    sessions: Sessions {
                        open: Arc::default(),
                        per_peer: config.max_sessions_per_peer,
                        total: config.max_sessions,
                    },
                    session_timeout: config.session_timeout,
                },
            )
            .accept(SYNC_ALPN_V1, LegacySyncHandler)
            .accept(
                crate::pair::PAIR_ALPN_V1,
                crate::pair::LegacyPairHandler { wire: wire.clone() },
            )
            .accept(
                crate::pair::PAIR_ALPN,
                crate::pair::PairHandler {
                    store: store.clone(),
                    invites: invites.clone(),
                    members: members.clone(),
                    wire: wire.clone(),
                },
            )
            .spawn();
        Ok(Node {
            router,
            store,
            members,
            invites,
            served,
            wire,
            watcher: tokio::spawn(async {}),
            push_slot: std::sync::Mutex::new(None),
            config,
            lan,
            lan_task,
            met: std::sync::Mutex::new(Some(met_rx)),
            backoff: Backoff::default(),
        })
    }

    /// How this node finds its peers.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Team devices currently seen on the LAN.
    pub fn lan_peers(&self) -> Vec<EndpointId> {
        self.lan
            .0
            .read()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Where to dial team member `m`: the addresses in the team document, then any seen on
    /// the LAN (candidates only); with only an id when an address lookup (mDNS, DNS) may find
    /// it.
    pub fn dial_addr(&self, m: &TeamMember) -> Option<EndpointAddr> {
        let id: EndpointId = m.id.parse().ok()?;
        let addrs = candidates(&m.addrs, &self.lan.get(&id));
        let lookup = self.lan_task.is_some() || self.config.internet;
        if addrs.is_empty() && !lookup {
            return None;
        }
        Some(EndpointAddr::from_parts(
            id,
            addrs.into_iter().map(iroh::TransportAddr::Ip),
        ))
    }

    pub fn endpoint(&self) -> &Endpoint {
        self.router.endpoint()
    }

    /// This device's id and the direct addresses it can be reached at: the sockets it is
    /// bound to, or, when bound to an unspecified address (`0.0.0.0`), the interface addresses
    /// the endpoint found.
    pub fn addr(&self) -> EndpointAddr {
        let ep = self.endpoint();
        let mut addrs: Vec<SocketAddr> = ep
            .bound_sockets()
            .into_iter()
            .filter(|a| !a.ip().is_unspecified())
            .collect();
        if addrs.is_empty() {
            addrs = ep.addr().ip_addrs().copied().collect();
        }
        EndpointAddr::from_parts(ep.id(), addrs.into_iter().map(iroh::TransportAddr::Ip))
    }

    /// Records this device in its own team document, with its current direct addresses, so
    /// peers learn where to find it when they sync.
    pub fn announce(&self) -> Result<(), SyncError> {
        let id = self.endpoint().id().to_string();
        let addrs: Vec<String> = self.addr().ip_addrs().map(|a| a.to_string()).collect();
        let store = self.store.clone();
        blocking(|| {
            store.team_add(&id, &store.device().name)?;
            store.team_set_addrs(&id, &addrs)
        })?;
        Ok(())
    }

    /// Syncs once with every team device (not revoked, not this one) whose address is known
    /// and whose retry time has come, all concurrently, each under `timeout`, and records
    /// each outcome in the store.
    pub async fn sync_all(
        &self,
        timeout: Duration,
    ) -> Vec<(TeamMember, Result<Traffic, SyncError>)> {
        let me = self.endpoint().id();
        let team = match self.store.team() {
            Ok(t) => t,
            Err(e) => return vec![(TeamMember::default(), Err(e.into()))],
        };
        let targets: Vec<(TeamMember, EndpointAddr)> = team
            .into_iter()
            .filter(|m| !m.revoked)
            .filter_map(|m| self.dial_addr(&m).map(|a| (m, a)))
            .filter(|(_, a)| a.id != me && self.backoff.due(&a.id))
            .collect();
        // All peers at once: one that is gone or slow never delays the others.
        let sessions = targets.into_iter().map(|(m, addr)| async move {
            let peer = addr.id;
            let r = match tokio::time::timeout(timeout, self.sync_with(addr)).await {
                Ok(r) => r,
                Err(_) => Err(SyncError::Transport(format!(
                    "no answer within {timeout:?}"
                ))),
            };
            match &r {
                Ok(_) => self.backoff.reset(&peer),
                Err(_) => self.backoff.failed(peer),
            }
            let outcome = match &r {
                Ok(t) => Ok((t.initiator.docs_changed, t.via)),
                Err(e) => Err(e.to_string()),
            };
            let store = self.store.clone();
            let id = m.id.clone();
            if let Err(e) = blocking(|| store.record_sync(&id, outcome)) {
                tracing::warn!(error = %e, "could not record the sync outcome");
            }
            (m, r)
        });
        n0_future::join_all(sessions).await
    }

    pub fn members(&self) -> &Members {
        &self.members
    }

    /// How many sync sessions this node has served to peers.
    pub fn sessions_served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    /// Stream bytes this node has read from and written to peers, on every protocol and in
    /// both roles (length prefixes included).
    pub fn wire_bytes(&self) -> (u64, u64) {
        (
            self.wire.read.load(Ordering::Relaxed),
            self.wire.written.load(Ordering::Relaxed),
        )
    }

    /// Whether `peer` answers a connection within `timeout` (and admits this device).
    pub async fn probe(&self, peer: EndpointAddr, timeout: Duration) -> bool {
        match tokio::time::timeout(timeout, self.endpoint().connect(peer, SYNC_ALPN)).await {
            Ok(Ok(conn)) => {
                let ok = tokio::time::timeout(timeout, conn.open_bi())
                    .await
                    .is_ok_and(|r| r.is_ok());
                conn.close(0u32.into(), b"probe");
                ok
            }
            _ => false,
        }
    }

    /// Makes a one-time invite to this device, valid for `ttl` (at most
    /// [`crate::pair::INVITE_TTL_MAX`]), for the team this device belongs to. Only admins and
    /// the owner should hand these out: front ends use [`Node::open_invite`], which checks.
    pub fn invite(&self, ttl: Duration, admit: crate::pair::Admit) -> crate::pair::Invite {
        let team = self.store.team_id().ok().flatten();
        self.invites
            .create(self.addr(), &self.store.device().name, ttl, team, admit)
    }

    /// Cancels the open invite, if any: its ticket is refused from now on.
    pub fn cancel_invite(&self) {
        self.invites.cancel();
    }

    /// What the front ends call to invite: a device in no team yet first creates one and
    /// becomes its owner (the recovery code is returned, once, for the person to write down);
    /// a plain member is refused with the names of the admins. A device of a version-1 team
    /// without an owner invites as before (`rapport team create` gives the team an owner).
    pub fn open_invite(
        &self,
        ttl: Duration,
        admit: crate::pair::Admit,
    ) -> Result<(crate::pair::Invite, Option<rapport_team::RecoveryCode>), SyncError> {
        let store = self.store.clone();
        let code = blocking(|| -> Result<_, SyncError> {
            let mut code = None;
            if store.team_id()?.is_none() {
                let me = store.device_id();
                let others = store
                    .legacy_team()?
                    .iter()
                    .any(|m| m.id != me && !m.revoked);
                if !others {
                    code = Some(store.team_create(&store.device().name)?);
                }
            }
            store.may_invite()?;
            Ok(code)
        })?;
        Ok((self.invite(ttl, admit), code))
    }

    /// Joins the team of `invite`'s inviter: proves the secret, records the inviter, and runs
    /// a first sync. Returns the inviter's name and the sync's traffic.
    pub async fn join(&self, invite: &crate::pair::Invite) -> Result<(String, Traffic), SyncError> {
        self.join_team(invite, false).await
    }

    /// [`Node::join`]; a device that already belongs to another team is refused before
    /// anything is sent, unless `merge_teams` (its customers would go to the new team).
    pub async fn join_team(
        &self,
        invite: &crate::pair::Invite,
        merge_teams: bool,
    ) -> Result<(String, Traffic), SyncError> {
        let store = self.store.clone();
        let inviter = invite.inviter.id.to_string();
        blocking(|| -> Result<(), SyncError> {
            let current = store.team_id()?;
            let me = store.device_id();
            let in_legacy_team = current.is_none()
                && store
                    .legacy_team()?
                    .iter()
                    .any(|m| m.id != me && m.id != inviter && !m.revoked);
            let other_team = match (current, invite.team) {
                (Some(a), Some(b)) => a != b,
                (Some(_), None) => true,
                (None, _) => in_legacy_team,
            };
            if other_team && !merge_teams {
                return Err(SyncError::Ticket(
                    "this device already belongs to a team; joining this one would send it every customer here (pass --merge-teams to merge the two teams)".into(),
                ));
            }
            Ok(())
        })?;
        let name = crate::pair::join(
            self.endpoint(),
            &self.wire,
            invite,
            &self.store.device().name,
        )
        .await?;
        let store = self.store.clone();
        let id = invite.inviter.id.to_string();
        let label = name.clone();
        let inviter_addrs: Vec<String> = invite.inviter.ip_addrs().map(|a| a.to_string()).collect();
        let team = invite.team;
        blocking(|| {
            if let Some(team) = team {
                store.team_join(team, true)?;
            }
            store.team_add(&id, &label)?;
            store.team_set_addrs(&id, &inviter_addrs)
        })?;
        self.announce()?;
        self.members.refresh_from(&self.store)?;
        let traffic = self.sync_with(invite.inviter.clone()).await?;
        let store = self.store.clone();
        let received = traffic.initiator.docs_changed;
        blocking(|| store.record_sync(&id, Ok((received, traffic.via))))?;
        Ok((name, traffic))
    }

    /// Runs one session with `peer` as the initiator, within [`NetConfig::session_timeout`].
    pub async fn sync_with(&self, peer: EndpointAddr) -> Result<Traffic, SyncError> {
        let limit = self.config.session_timeout;
        tokio::time::timeout(limit, self.sync_session(peer))
            .await
            .unwrap_or_else(|_| {
                Err(SyncError::Transport(format!(
                    "the session did not finish within {limit:?}"
                )))
            })
    }

    async fn sync_session(&self, peer: EndpointAddr) -> Result<Traffic, SyncError> {
        if !self.members.contains(&peer.id) {
            return Err(SyncError::Transport(format!(
                "{} is not a team member",
                peer.id
            )));
        }
        if let Some(p) = self.store.peer_paused(&peer.id.to_string())? {
            return Err(SyncError::Paused(p.reason));
        }
        let peer_id = peer.id;
        let conn = tokio::time::timeout(CONNECT_TIMEOUT, self.endpoint().connect(peer, SYNC_ALPN))
            .await
            .map_err(|_| SyncError::Transport(format!("no connection within {CONNECT_TIMEOUT:?}")))?
            .map_err(connect_error)?;
        let via = self.path_kind(&conn, &peer_id);
        match self.run_session(&conn, peer_id).await {
            Ok(mut traffic) => {
                traffic.via = via;
                Ok(traffic)
            }
            // The peer closed the connection on purpose (paused, busy, not a member, update
            // needed): say why it did, not only that the stream broke.
            Err(SyncError::Transport(e)) => {
                let closed = tokio::time::timeout(Duration::from_millis(500), conn.closed()).await;
                match closed {
                    Ok(iroh::endpoint::ConnectionError::ApplicationClosed(c))
                        if !c.reason.is_empty() =>
                    {
                        Err(SyncError::Transport(format!(
                            "closed by peer: {} (code {})",
                            String::from_utf8_lossy(&c.reason),
                            c.error_code
                        )))
                    }
                    _ => Err(SyncError::Transport(e)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// One initiator session on `conn`.
    async fn run_session(
        &self,
        conn: &Connection,
        peer_id: EndpointId,
    ) -> Result<Traffic, SyncError> {
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        let store = crate::FromPeer::new(self.store.as_ref(), peer_id.to_string());
        let mut initiator = blocking(|| Initiator::new(&store))?;
        let mut traffic = Traffic::default();
        for f in initiator.start()? {
            traffic.bytes_sent += write_frame(&self.wire, &mut send, &f).await?;
            traffic.frames += 1;
        }
        while !initiator.is_done() {
            let (frame, n) = read_frame(&self.wire, &mut recv).await?;
            traffic.bytes_received += n;
            traffic.frames += 1;
            blocking(|| initiator.accept(frame))?;
            // Pushes are streamed: each frame's documents are read only when it is sent.
            while let Some(f) = blocking(|| initiator.next_frame())? {
                traffic.bytes_sent += write_frame(&self.wire, &mut send, &f).await?;
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

    /// How `conn` reaches the peer: through a relay, or directly at an address the peer
    /// announced on the LAN, or directly at another address.
    fn path_kind(&self, conn: &Connection, peer: &EndpointId) -> &'static str {
        let paths = conn.paths();
        let selected = paths
            .iter()
            .find(|p| p.is_selected())
            .or_else(|| paths.iter().next());
        match selected {
            Some(p) if p.is_relay() => "relay",
            Some(p) => {
                let lan = self.lan.get(peer);
                match p.remote_addr() {
                    iroh::TransportAddr::Ip(a) if lan.contains(a) => "lan",
                    _ => "direct",
                }
            }
            None => "direct",
        }
    }

    /// Pushes changes as they happen: after any change to the store (a local edit, or
    /// documents received from one peer), waits `debounce` for more, then syncs with every
    /// reachable team device. Sessions that bring nothing new raise no further event, so this
    /// settles once the team has converged.
    ///
    /// A team device newly seen on the LAN triggers a round at once; one in backoff is tried
    /// early at most once per failure ([`Backoff::hint`]), its backoff is never reset.
    pub fn enable_push(self: &Arc<Self>, debounce: Duration) {
        let mut feed = self.store.subscribe();
        let mut met = self.met.lock().ok().and_then(|mut m| m.take());
        let node = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let lan_meet = async {
                    match met.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    ev = feed.recv() => match ev {
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => break,
                    },
                    id = lan_meet => match id {
                        Some(id) => {
                            if let Some(node) = node.upgrade() {
                                node.backoff.hint(&id);
                            }
                        }
                        None => met = None,
                    },
                }
                tokio::time::sleep(debounce).await;
                // Everything that arrived meanwhile is covered by the session below.
                while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) =
                    feed.try_recv()
                {}
                let Some(node) = node.upgrade() else { break };
                for (m, r) in node.sync_all(Duration::from_secs(60)).await {
                    if let Err(e) = r {
                        tracing::debug!(peer = %m.name, error = %e, "push: not reachable");
                    }
                }
            }
        });
        if let Ok(mut slot) = self.push_slot.lock()
            && let Some(old) = slot.replace(task)
        {
            old.abort();
        }
    }

    /// Stops accepting and closes the endpoint.
    pub async fn shutdown(self) {
        self.watcher.abort();
        if let Some(t) = &self.lan_task {
            t.abort();
        }
        if let Ok(mut slot) = self.push_slot.lock()
            && let Some(t) = slot.take()
        {
            t.abort();
        }
        if let Err(e) = self.router.shutdown().await {
            tracing::warn!(error = %e, "router shutdown");
        }
    }
}

/// The endpoint address of a team member, from the team document (`None` without a valid id
/// or any address).
pub fn member_addr(m: &TeamMember) -> Option<EndpointAddr> {
    let id: EndpointId = m.id.parse().ok()?;
    let addrs: Vec<SocketAddr> = m.addrs.iter().filter_map(|a| a.parse().ok()).collect();
    if addrs.is_empty() {
        return None;
    }
    Some(EndpointAddr::from_parts(
        id,
        addrs.into_iter().map(iroh::TransportAddr::Ip),
    ))
}

/// This device's network id: the public key of the store's device secret.
pub fn device_id(store: &Store) -> EndpointId {
    SecretKey::from_bytes(&store.device_secret()).public()
}

/// A fresh device key.
pub fn new_secret_key() -> SecretKey {
    SecretKey::generate()
}

/// Follows mDNS: remembers where team devices are on the LAN and reports each one newly seen.
async fn watch_lan(
    mdns: iroh_mdns_address_lookup::MdnsAddressLookup,
    lan: LanPeers,
    members: Members,
    met: tokio::sync::mpsc::UnboundedSender<EndpointId>,
) {
    use iroh_mdns_address_lookup::DiscoveryEvent;
    use n0_future::StreamExt;
    let mut events = mdns.subscribe().await;
    while let Some(ev) = events.next().await {
        match ev {
            DiscoveryEvent::Discovered { endpoint_info, .. } => {
                let id = endpoint_info.endpoint_id;
                if !members.contains(&id) {
                    continue;
                }
                let addrs: Vec<SocketAddr> = endpoint_info.ip_addrs().copied().collect();
                if lan.add(id, &addrs) {
                    tracing::info!(peer = %id, "team device seen on the LAN");
                    let _ = met.send(id);
                }
            }
            DiscoveryEvent::Expired { endpoint_id } => {
                if let Ok(mut m) = lan.0.write() {
                    m.remove(&endpoint_id);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn online_has_one_definition() {
        use rapport_store::PeerState;
        let now = chrono::Utc::now();
        let synced = |secs_ago: i64, error: bool| PeerState {
            last_synced: Some(now - chrono::Duration::seconds(secs_ago)),
            last_error: error.then(|| "unreachable".to_string()),
            ..PeerState::default()
        };
        let never = PeerState::default();
        // No evidence: unknown; a probe decides.
        assert_eq!(online(false, &never, false, None, now), None);
        assert_eq!(online(false, &never, false, Some(false), now), Some(false));
        assert_eq!(online(false, &never, false, Some(true), now), Some(true));
        // A session that succeeded within the window, and not after it.
        assert_eq!(
            online(false, &synced(89, false), false, None, now),
            Some(true)
        );
        assert_eq!(online(false, &synced(91, false), false, None, now), None);
        assert_eq!(
            online(false, &synced(91, false), false, Some(false), now),
            Some(false)
        );
        // An error since the last success: that success no longer counts.
        assert_eq!(online(false, &synced(5, true), false, None, now), None);
        // Seen on the LAN.
        assert_eq!(online(false, &never, true, Some(false), now), Some(true));
        // Revoked: never, whatever else is known.
        assert_eq!(
            online(true, &synced(1, false), true, Some(true), now),
            Some(false)
        );
    }

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

    fn failures(b: &Backoff, id: &EndpointId) -> u32 {
        b.0.lock().unwrap().get(id).map_or(0, |r| r.failures)
    }

    #[test]
    fn an_announcement_never_resets_backoff() {
        let b = Backoff::default();
        let working = peer(1);
        // A device whose last session worked (or none was tried) is untouched by any number
        // of announcements: no retry state is made for it, it stays due.
        b.failed(working);
        b.reset(&working);
        for _ in 0..100 {
            assert!(!b.hint(&working));
        }
        assert!(b.0.lock().unwrap().get(&working).is_none());
        assert!(b.due(&working));

        // A device in backoff: one early try per failure, the count is kept.
        let away = peer(2);
        b.failed(away);
        b.failed(away);
        assert!(!b.due(&away));
        assert!(b.hint(&away));
        assert!(b.due(&away));
        assert_eq!(failures(&b, &away), 2);
        // Spam changes nothing more; the early try failing backs off further.
        for _ in 0..100 {
            assert!(!b.hint(&away));
        }
        b.failed(away);
        assert_eq!(failures(&b, &away), 3);
        assert!(!b.due(&away));
        // Only a working session clears it.
        b.reset(&away);
        assert!(b.due(&away) && failures(&b, &away) == 0);
    }

    #[test]
    fn announced_addresses_are_only_added_as_candidates() {
        let lan = LanPeers::default();
        let id = peer(3);
        let real: SocketAddr = "192.168.1.20:47810".parse().unwrap();
        let spoofed: SocketAddr = "192.168.1.66:47810".parse().unwrap();
        assert!(lan.add(id, &[real]));
        // A second announcement (a spoofer's) adds, never replaces.
        assert!(!lan.add(id, &[spoofed]));
        assert_eq!(lan.get(&id), vec![real, spoofed]);
        // Bounded: a flood keeps only the newest few.
        for port in 1..=50u16 {
            lan.add(id, &[SocketAddr::from(([10, 0, 0, 1], port))]);
        }
        assert_eq!(lan.get(&id).len(), MAX_LAN_ADDRS);

        // The recorded address is dialled first, hints after it, without duplicates.
        let recorded = vec!["203.0.113.5:47810".to_string(), "not an address".into()];
        let dial = candidates(
            &recorded,
            &[real, spoofed, "203.0.113.5:47810".parse().unwrap()],
        );
        assert_eq!(
            dial,
            vec!["203.0.113.5:47810".parse().unwrap(), real, spoofed]
        );
    }
}
