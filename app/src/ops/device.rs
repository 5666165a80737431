//! This device's own network settings (mDNS, relays; see `rapport_sync::net::DEVICE_SETTINGS`):
//! read with their defaults filled in, and set.
//!
//! Invariants: only known keys are ever written, always as `on` or `off`; the settings are
//! this device's (not synced) and take effect when the node next starts.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use rapport_store::Store;
use rapport_sync::net::{DEVICE_SETTINGS, parse_flag};

/// Sets device setting `key` from text (`on`, `off` and their synonyms); unknown keys and
/// values are refused, naming the known ones.
pub fn set_setting(store: &Store, key: &str, value: &str) -> Result<()> {
    if !DEVICE_SETTINGS.iter().any(|(k, _, _)| *k == key) {
        let known: Vec<&str> = DEVICE_SETTINGS.iter().map(|(k, _, _)| *k).collect();
        bail!(
            "unknown device setting `{}` (known: {})",
            rapport_model::excerpt(key),
            known.join(", ")
        );
    }
    let on = parse_flag(value).ok_or_else(|| {
        anyhow!(
            "device setting `{key}`: `{}` is not on or off",
            rapport_model::excerpt(value)
        )
    })?;
    set_flag(store, key, on)
}

/// Turns device setting `key` on or off.
pub fn set_flag(store: &Store, key: &str, on: bool) -> Result<()> {
    store.set_device_setting(key, Some(if on { "on" } else { "off" }))?;
    Ok(())
}

/// This device's network settings as stored, with defaults filled in, in a stable order.
pub fn settings(store: &Store) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (key, default, _) in DEVICE_SETTINGS {
        let v = store
            .device_setting(key)?
            .unwrap_or_else(|| if default { "on" } else { "off" }.to_string());
        out.insert(key.to_string(), v);
    }
    Ok(out)
}

/// This device's network settings as flags: a value that is not on or off, or one that
/// cannot be read, counts as the default.
pub fn flags(store: &Store) -> BTreeMap<String, bool> {
    DEVICE_SETTINGS
        .iter()
        .map(|&(key, default, _)| {
            let v = store
                .device_setting(key)
                .ok()
                .flatten()
                .and_then(|v| parse_flag(&v))
                .unwrap_or(default);
            (key.to_string(), v)
        })
        .collect()
}
