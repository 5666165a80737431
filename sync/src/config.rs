//! How a device finds and reaches its peers ([`NetConfig`]), from its device settings.
//!
//! Invariants: mDNS is on by default and never used on a loopback-only bind (checked by the
//! node); n0's relays and DNS lookup are off unless the device opts in (central services);
//! `RAPPORT_LAN_DISCOVERY=off` turns mDNS off whatever the setting; a setting that is not
//! `on`/`off` is an error, not a default.

use std::net::SocketAddr;
use std::time::Duration;

use rapport_store::Store;

use crate::SyncError;
use crate::session::{MAX_SESSIONS, MAX_SESSIONS_PER_PEER, SESSION_TIMEOUT};
use crate::wire::FRAME_TIMEOUT;

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
    /// closed at once with [`CLOSE_BUSY`](crate::session::CLOSE_BUSY).
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
