//! The sync node's lifecycle, for `rapport serve`, the app's worker and the one-shot network
//! commands: bind the iroh node as this device's settings say, record its addresses
//! (announce), push what arrives on to the other peers, sync with the team periodically, serve
//! the control socket, write automatic backups, and shut all of it down again.
//!
//! [`Services`] owns every task it starts; [`Services::stop`] ends them in one order (control
//! socket, backups, periodic sync, then the node), removes the control socket file, and shuts
//! the node down once nothing else holds it. The two long-running front ends differ only in
//! [`Mode`]: `serve` fails on anything that does not start, the app starts what it can (a
//! taken port falls back to any port; a failed announce or control socket is logged) and says
//! why sync is off. Nothing here prints: `serve` prints its banner, the worker shows a status.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rapport_store::Store;
use rapport_sync::net::{NetConfig, Node};
use tokio::task::JoinHandle;

use crate::control::{CONTROL_SOCKET, control_socket};

/// Per-peer timeout of one sync session.
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a change waits before it is pushed to the other peers (changes within it go
/// together).
const PUSH_DELAY: Duration = Duration::from_millis(250);

/// Binds this device's node as its settings say (mDNS, relays); the error names the address
/// it could not bind. For the one-shot commands (`pair`, `sync --once`) and `serve`.
pub async fn listen(store: &Arc<Store>, bind: SocketAddr) -> Result<Node> {
    let config = NetConfig::from_store(store, bind)?;
    Node::spawn_configured(store.clone(), config)
        .await
        .with_context(|| format!("could not listen on {bind}"))
}

/// How strictly [`Services::start_node`] starts the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `rapport serve`: every failure (binding, announcing) is an error.
    Serve,
    /// The app: when the port is taken (another Rapport?) any port will do; a failed announce
    /// is logged; the error, if it still cannot listen, is the node's own (the status line
    /// says "sync is off: ..." with it).
    App,
}

/// The long-running parts of a process that holds the store: the node, its periodic sync, the
/// control socket and automatic backups. Each starts separately (the app runs the control
/// socket and backups without a node); [`Services::stop`] ends whatever was started.
pub struct Services {
    store: Arc<Store>,
    node: Option<Arc<Node>>,
    periodic: Option<JoinHandle<()>>,
    control: Option<JoinHandle<()>>,
    backups: Option<JoinHandle<()>>,
    values: Option<JoinHandle<()>>,
    /// Held while the value analysis is computed on a blocking thread, so `stop` can wait
    /// for it (aborting the task does not stop a blocking thread that holds the store).
    values_busy: Arc<std::sync::Mutex<()>>,
}

/// How long the change feed must be quiet before the value analysis is computed again (a
/// sync or an import lands many changes; one computation follows them).
const VALUES_QUIET: Duration = Duration::from_secs(2);

impl Services {
    /// Nothing running yet, for `store`.
    pub fn new(store: Arc<Store>) -> Self {
        Services {
            store,
            node: None,
            periodic: None,
            control: None,
            backups: None,
            values: None,
            values_busy: Arc::default(),
        }
    }

    /// Keeps the value cache current in the background: once now, again after each burst of
    /// changes (once the feed has been quiet for [`VALUES_QUIET`]) and when the date changes.
    /// A CLI command sent to this process, or run beside it later, then reads the analysis
    /// instead of computing it (`Store::value_cache` returns the stored one when its key
    /// still holds, so a change that moves no value input costs a key check).
    pub fn start_values(&mut self) {
        if self.values.is_some() {
            return;
        }
        let store = self.store.clone();
        let busy = self.values_busy.clone();
        let mut feed = store.subscribe();
        self.values = Some(tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            let mut day = crate::ops::lists::today();
            let mut dirty = true;
            loop {
                if dirty {
                    // Wait for a quiet feed.
                    loop {
                        match tokio::time::timeout(VALUES_QUIET, feed.recv()).await {
                            Err(_) => break,
                            Ok(Err(RecvError::Closed)) => return,
                            Ok(_) => {}
                        }
                    }
                    let (store, busy) = (store.clone(), busy.clone());
                    let done = tokio::task::spawn_blocking(move || {
                        let held = busy.lock();
                        let r = refresh_values(&store);
                        drop(store);
                        drop(held);
                        r
                    })
                    .await;
                    match done {
                        Ok(Ok(())) => tracing::debug!("value cache current"),
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "could not compute the value analysis")
                        }
                        Err(e) => tracing::warn!(error = %e, "the value analysis stopped"),
                    }
                    dirty = false;
                }
                tokio::select! {
                    r = feed.recv() => match r {
                        Err(RecvError::Closed) => return,
                        // A lagged feed missed changes: compute again to be sure.
                        _ => dirty = true,
                    },
                    _ = tokio::time::sleep(Duration::from_secs(60)) => {
                        let now = crate::ops::lists::today();
                        if now != day {
                            day = now;
                            dirty = true;
                        }
                    }
                }
            }
        }));
    }

    /// Starts the node: binds it (see [`Mode`]), records its addresses, pushes whatever
    /// arrives from one peer on to the others, and syncs with every team device at once and
    /// then every `sync_every` (the task holds the node weakly and ends with it). Call it on
    /// the tokio runtime that will run the node.
    pub async fn start_node(
        &mut self,
        mode: Mode,
        bind: SocketAddr,
        sync_every: Duration,
    ) -> Result<Arc<Node>> {
        let node = match mode {
            Mode::Serve => {
                let node = listen(&self.store, bind).await?;
                node.announce()?;
                node
            }
            Mode::App => {
                let config = NetConfig::from_store(&self.store, bind)?;
                let mut spawned = Node::spawn_configured(self.store.clone(), config.clone()).await;
                if spawned.is_err() {
                    // The usual port is taken (another Rapport?): any port will do.
                    let mut any = config;
                    any.bind.set_port(0);
                    spawned = Node::spawn_configured(self.store.clone(), any).await;
                }
                let node = spawned?;
                if let Err(e) = node.announce() {
                    tracing::warn!(error = %e, "could not record this device's addresses");
                }
                node
            }
        };
        let node = Arc::new(node);
        node.enable_push(PUSH_DELAY);
        let weak = Arc::downgrade(&node);
        self.periodic = Some(tokio::spawn(async move {
            let mut every = tokio::time::interval(sync_every.max(Duration::from_secs(1)));
            loop {
                every.tick().await;
                let Some(node) = weak.upgrade() else { break };
                for (m, r) in node.sync_all(SESSION_TIMEOUT).await {
                    match r {
                        Ok(t) => {
                            tracing::info!(peer = %m.name, changed = t.initiator.docs_changed, "synced")
                        }
                        Err(e) => tracing::info!(peer = %m.name, error = %e, "not reachable"),
                    }
                }
            }
        }));
        self.node = Some(node.clone());
        Ok(node)
    }

    /// Serves the control socket: CLI commands run in this process from now on (and
    /// `pair invite` through the node, if one is running). Once; a second call does nothing.
    pub fn start_control(&mut self) -> Result<()> {
        if self.control.is_none() {
            self.control = Some(control_socket(&self.store, self.node.clone())?);
        }
        Ok(())
    }

    /// Starts automatic backups ([`crate::autobackup`]).
    pub fn start_backups(&mut self) {
        if self.backups.is_none() {
            self.backups = Some(crate::autobackup::spawn(&self.store));
        }
    }

    /// The running node, if one started.
    pub fn node(&self) -> Option<&Arc<Node>> {
        self.node.as_ref()
    }

    /// Whether the control socket is being served.
    pub fn has_control(&self) -> bool {
        self.control.is_some()
    }

    /// The addresses the node listens on (none without a node).
    pub fn listening(&self) -> Vec<String> {
        self.node
            .as_ref()
            .map(|n| n.addr().ip_addrs().map(|a| a.to_string()).collect())
            .unwrap_or_default()
    }

    /// Ends everything that was started: the control socket (and its file), backups, the
    /// periodic sync, then the node (shut down cleanly if nothing else holds it).
    pub async fn stop(mut self) {
        if let Some(task) = self.control.take() {
            task.abort();
            let _ = std::fs::remove_file(self.store.dir().join(CONTROL_SOCKET));
            let _ = task.await;
        }
        for task in [
            self.backups.take(),
            self.periodic.take(),
            self.values.take(),
        ]
        .into_iter()
        .flatten()
        {
            task.abort();
            // Until it is gone it may hold the node.
            let _ = task.await;
        }
        // A computation already on a blocking thread finishes (and lets go of the store).
        let busy = self.values_busy.clone();
        let _ = tokio::task::spawn_blocking(move || drop(busy.lock())).await;
        if let Some(node) = self.node.take()
            && let Ok(node) = Arc::try_unwrap(node)
        {
            node.shutdown().await;
        }
    }
}

/// Brings the value cache up to date with the store's inputs, its settings and today's date,
/// as a command would read it (the same settings, read tolerantly, and the same date).
fn refresh_values(store: &Store) -> Result<()> {
    let (settings, _) = rapport_value::ValueSettings::from_map_tolerant(&store.settings()?);
    store.value_cache(&settings, crate::ops::lists::today())?;
    Ok(())
}
