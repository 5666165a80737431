//! Helpers shared by the sync tests: a device's store, and a device on the network.

#![allow(dead_code)] // each test file uses its own subset

use std::sync::Arc;
use std::time::Duration;

use rapport_store::{OpenOptions, Store};
use rapport_sync::net::{FRAME_TIMEOUT, NetConfig, Node};
use tempfile::TempDir;

/// A store in a temporary directory that lives as long as it does.
pub struct Device {
    pub store: Store,
    pub _dir: TempDir,
}

/// A device whose store signs its changes with `name`.
pub fn device(name: &str) -> Device {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(
        dir.path(),
        OpenOptions {
            device_name: name.into(),
            ..OpenOptions::default()
        },
    )
    .expect("open store");
    Device { store, _dir: dir }
}

/// A device on loopback: its node (direct addresses only) and its store.
pub struct Peer {
    pub node: Node,
    pub store: Arc<Store>,
    pub _dir: TempDir,
}

/// A peer on `127.0.0.1` that drops a silent peer after `frame_timeout`.
pub async fn peer_with(name: &str, frame_timeout: Duration) -> Peer {
    let Device { store, _dir } = device(name);
    let store = Arc::new(store);
    let config = NetConfig {
        frame_timeout,
        ..NetConfig::direct("127.0.0.1:0".parse().expect("address"))
    };
    let node = Node::spawn_configured(store.clone(), config)
        .await
        .expect("spawn node");
    Peer { node, store, _dir }
}

/// A peer on `127.0.0.1` with the default timeouts.
pub async fn peer(name: &str) -> Peer {
    peer_with(name, FRAME_TIMEOUT).await
}

/// Makes `a` and `b` members of each other's (version-1) team, as pairing does, and gives
/// their nodes a moment to re-read it.
pub async fn pair(a: &Peer, b: &Peer) {
    a.store
        .team_add(&b.node.endpoint().id().to_string(), "B")
        .expect("team_add");
    b.store
        .team_add(&a.node.endpoint().id().to_string(), "A")
        .expect("team_add");
    tokio::time::sleep(Duration::from_millis(200)).await;
}
