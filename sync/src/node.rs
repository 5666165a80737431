//! A device on the network ([`Node`]): its iroh endpoint, the router with one
//! [`ProtocolHandler`](iroh::protocol::ProtocolHandler) per versioned ALPN, the handshake hook
//! ([`TeamHook`]), and what drives sessions: dialling, `sync_all`, live push, announcing
//! itself, inviting and joining.
//!
//! Invariants: the endpoint's key is the store's device secret; [`TeamHook`] closes every
//! connection from a non-member right after the handshake, on every ALPN but pairing, before
//! any stream is accepted; the member set follows the team document as it changes (a
//! revocation that arrives by sync takes effect at once); store calls run in
//! `block_in_place`, so a multi-threaded runtime is needed; peers are dialled concurrently,
//! each under its own timeout, so one gone or slow never delays the others.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use iroh::endpoint::{AfterHandshakeOutcome, Connection, EndpointHooks, presets};
use iroh::protocol::Router;
use iroh::{Endpoint, EndpointAddr, EndpointId, SecretKey};
use rapport_store::{DocRef, Shared, Store, TeamMember};

use crate::config::NetConfig;
use crate::discovery::{Backoff, LanPeers, MDNS_SERVICE, candidates, watch_lan};
use crate::session::{
    LegacySyncHandler, SYNC_ALPN, SYNC_ALPN_V1, Sessions, SyncHandler, connect_error, run_session,
};
use crate::team::{CLOSE_NOT_MEMBER, Members};
use crate::wire::{CONNECT_TIMEOUT, Wire};
use crate::{SyncError, Traffic, blocking};

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
        match run_session(&self.store, &self.wire, &conn, peer_id).await {
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
    /// early at most once per failure (`Backoff::hint`), its backoff is never reset.
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
