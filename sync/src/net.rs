//! The iroh transport: one endpoint per device, one
//! [`ProtocolHandler`](iroh::protocol::ProtocolHandler) per versioned ALPN, and access control
//! at the handshake.
//!
//! - [`SYNC_ALPN`] (`rapport/sync/2`) carries one reconciliation session per bi-directional
//!   stream: frames are a 4-byte big-endian length and a postcard
//!   [`Frame`](crate::protocol::Frame), each at most
//!   [`MAX_FRAME`](crate::protocol::MAX_FRAME) bytes and read under [`FRAME_TIMEOUT`].
//!   Version 2 carries signed changes (the store's `Delivery`); a device still on version 1
//!   that dials [`SYNC_ALPN_V1`] is closed at once with [`SYNC_UPDATE_NEEDED`], and one that
//!   this device dials fails the ALPN negotiation at once, reported as "update Rapport on that
//!   device" (no hang, never half a sync).
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
//!   that is gets at most one early retry per failure (`Backoff::hint`). A spoofed address
//!   can only fail the handshake (the endpoint id is the peer's key), never impersonate.
//!
//! ## Modules
//! This module is the transport's public face; the code lives in private modules, each
//! depending only on those before it (no cycle):
//!
//! - `wire`: length-delimited messages on a stream, bounded in size and time (`Wire`, which
//!   is crate-internal), [`CONNECT_TIMEOUT`], [`FRAME_TIMEOUT`].
//! - `team` (depends on none): [`Members`], who may connect; [`online`], [`member_addr`],
//!   [`device_id`].
//! - `session` (wire, team, [`protocol`](crate::protocol)): one sync session on a connection,
//!   both sides ([`SyncHandler`] serves, `run_session` initiates for the node), session caps,
//!   ALPN versions.
//! - `config` (wire, session): [`NetConfig`] from the device settings.
//! - `discovery` (team): mDNS peers on the LAN and retry backoff.
//! - [`pair`](crate::pair) (wire, team): invites and the pairing handshake.
//! - `node` (all of the above): [`Node`] and its [`TeamHook`].

pub use crate::config::{
    DEVICE_SETTINGS, NetConfig, SETTING_INTERNET, SETTING_LAN_ADVERTISE, SETTING_LAN_DISCOVERY,
    parse_flag,
};
pub use crate::discovery::{BACKOFF_MAX, BACKOFF_START, MAX_LAN_ADDRS, MDNS_SERVICE};
pub use crate::node::{Node, TeamHook};
pub use crate::session::{
    CLOSE_BUSY, CLOSE_PAUSED, CLOSE_UPDATE_NEEDED, LegacySyncHandler, MAX_SESSIONS,
    MAX_SESSIONS_PER_PEER, SESSION_TIMEOUT, SYNC_ALPN, SYNC_ALPN_V1, SYNC_UPDATE_NEEDED,
    SyncHandler,
};
pub use crate::team::{
    CLOSE_NOT_MEMBER, Members, ONLINE_WINDOW, device_id, member_addr, new_secret_key, online,
};
pub use crate::wire::{CONNECT_TIMEOUT, FRAME_TIMEOUT};
