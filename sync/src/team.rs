//! The team as the network sees it: which endpoint ids may connect ([`Members`]), the
//! device and member addresses derived from the store, and whether a device is [`online`].
//!
//! Invariants: [`Members`] is the team document's current, non-revoked devices (refreshed
//! whenever the team document changes); a connection from anyone else is closed with
//! [`CLOSE_NOT_MEMBER`] (at the handshake by the node's hook, again by each handler); a
//! revoked device is never online.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use iroh::{EndpointAddr, EndpointId, SecretKey};
use rapport_store::{Store, TeamMember};

use crate::SyncError;

/// QUIC close code for a device that is not (or no longer) a team member.
pub const CLOSE_NOT_MEMBER: u32 = 403;

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
}
