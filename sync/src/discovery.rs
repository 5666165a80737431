//! Finding peers on the LAN (mDNS) and retrying peers that did not answer.
//!
//! Invariants: mDNS is unauthenticated, so an announcement is only a hint: only team members'
//! announcements are kept, their addresses are added as candidates after the recorded ones
//! (at most [`MAX_LAN_ADDRS`] per device, never replacing any), and an announcement never
//! resets a peer's backoff: only a session's outcome changes the failure count, and a peer in
//! backoff gets at most one early retry per failure. The wait doubles from [`BACKOFF_START`]
//! up to [`BACKOFF_MAX`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use iroh::EndpointId;

use crate::team::Members;

/// mDNS service name: `_rapport-v1._udp.local`.
pub const MDNS_SERVICE: &str = "rapport-v1";
/// First retry delay after a failed session; doubles per failure up to [`BACKOFF_MAX`].
pub const BACKOFF_START: Duration = Duration::from_secs(2);
/// Longest wait between retries of an unreachable peer.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);
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
pub(crate) struct Backoff(Mutex<HashMap<EndpointId, Retry>>);

impl Backoff {
    pub(crate) fn due(&self, id: &EndpointId) -> bool {
        self.0
            .lock()
            .map(|m| m.get(id).is_none_or(|r| Instant::now() >= r.next))
            .unwrap_or(true)
    }

    pub(crate) fn failed(&self, id: EndpointId) {
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
    pub(crate) fn reset(&self, id: &EndpointId) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(id);
        }
    }

    /// The peer was announced on the LAN (an unauthenticated hint). A peer not in backoff
    /// (its last session worked, or none was tried) is untouched. One in backoff may be tried
    /// once early, at the next round, without its failure count being cleared: a failed
    /// early try backs off further, and announcements repeated meanwhile do nothing more.
    /// Returns whether the retry moved forward.
    pub(crate) fn hint(&self, id: &EndpointId) -> bool {
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
pub(crate) fn candidates(recorded: &[String], lan: &[SocketAddr]) -> Vec<SocketAddr> {
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
pub(crate) struct LanPeers(pub(crate) Arc<RwLock<HashMap<EndpointId, Vec<SocketAddr>>>>);

impl LanPeers {
    pub(crate) fn get(&self, id: &EndpointId) -> Vec<SocketAddr> {
        self.0
            .read()
            .ok()
            .and_then(|m| m.get(id).cloned())
            .unwrap_or_default()
    }

    /// Adds announced addresses as candidates for `id` (none is replaced; beyond
    /// [`MAX_LAN_ADDRS`] the oldest go). Returns whether `id` was not seen before.
    pub(crate) fn add(&self, id: EndpointId, addrs: &[SocketAddr]) -> bool {
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

/// Follows mDNS: remembers where team devices are on the LAN and reports each one newly seen.
pub(crate) async fn watch_lan(
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

    use iroh::SecretKey;

    use super::*;

    fn peer(n: u8) -> EndpointId {
        SecretKey::from_bytes(&[n; 32]).public()
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
