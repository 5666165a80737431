//! This device: its name, its identity (secret, actor, sealing keys) and its own settings.
//!
//! Invariants: a device name is what a customer name may be and at most
//! [`MAX_DEVICE_NAME_BYTES`]; device settings are never synced and bounded like team
//! settings; adopting an identity (restoring a backup) takes a new actor incarnation of the
//! same key, so no sequence number the old store used is reused.

use std::collections::BTreeMap;

use automerge::ActorId;
use redb::{ReadableDatabase, ReadableTable};

use crate::shared::MAX_SETTING_BYTES;
use crate::tables::{DEVICE_SETTINGS, META};
use crate::{Device, Result, Store, StoreError, authored, hex, seal};

pub(crate) fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this device".to_string())
}

impl Store {
    /// This device (a copy: its name can change while the store is shared).
    pub fn device(&self) -> Device {
        match self.device.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_device(&self, change: impl FnOnce(&mut Device)) {
        match self.device.write() {
            Ok(mut d) => change(&mut d),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// Renames this device (recorded in later changes).
    pub fn set_device_name(&mut self, name: &str) -> Result<()> {
        check_device_name(name)?;
        let txn = self.begin_write()?;
        txn.open_table(META)?
            .insert("device_name", name.trim().as_bytes())?;
        self.commit(txn)?;
        self.set_device(|d| d.name = name.trim().to_string());
        Ok(())
    }

    /// Records a new name for this device, on a shared store too: later changes carry it.
    pub fn save_device_name(&self, name: &str) -> Result<()> {
        check_device_name(name)?;
        let txn = self.begin_write()?;
        txn.open_table(META)?
            .insert("device_name", name.trim().as_bytes())?;
        self.commit(txn)?;
        self.set_device(|d| d.name = name.trim().to_string());
        Ok(())
    }

    /// A setting of this device only (not synced), e.g. `lan.discovery`.
    pub fn device_setting(&self, key: &str) -> Result<Option<String>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DEVICE_SETTINGS)?;
        Ok(t.get(key)?.map(|g| g.value().to_string()))
    }

    /// Every setting of this device.
    pub fn device_settings(&self) -> Result<BTreeMap<String, String>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DEVICE_SETTINGS)?;
        let mut out = BTreeMap::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.insert(k.value().to_string(), v.value().to_string());
        }
        Ok(out)
    }

    /// Sets (or with `None` removes) a setting of this device. The caller validates values.
    pub fn set_device_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        if key.len() > MAX_SETTING_BYTES || value.is_some_and(|v| v.len() > MAX_SETTING_BYTES) {
            return Err(StoreError::Refused(format!(
                "device setting `{}` is longer than {MAX_SETTING_BYTES} bytes",
                key.chars().take(40).collect::<String>()
            )));
        }
        let txn = self.begin_write()?;
        {
            let mut t = txn.open_table(DEVICE_SETTINGS)?;
            match value {
                Some(v) => {
                    t.insert(key, v)?;
                }
                None => {
                    t.remove(key)?;
                }
            }
        }
        self.commit(txn)
    }

    /// Takes over a device identity (its network secret and name) from a backup of this
    /// device's earlier store. Only an empty store may do this.
    pub(crate) fn adopt_identity(&mut self, secret: [u8; 32], name: &str) -> Result<()> {
        let actor = authored::next_actor(
            rapport_team::SecretKey::from_bytes(&secret)
                .public()
                .as_bytes(),
            self.actor.to_bytes(),
        );
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert("device_secret", secret.as_slice())?;
            meta.insert("device_name", name.as_bytes())?;
            // A new incarnation of the same key: never a sequence number the old store used.
            meta.insert("device_actor", actor.as_slice())?;
        }
        self.commit(txn)?;
        self.secret = secret;
        self.set_device(|d| {
            d.name = name.to_string();
            d.actor = hex(&actor);
        });
        self.actor = ActorId::from(actor.as_slice());
        Ok(())
    }

    /// This device's 32-byte secret (for its network identity), created on first open.
    pub fn device_secret(&self) -> [u8; 32] {
        self.secret
    }

    /// The device keys local backups seal the identity with (and restores open it with).
    pub fn keys(&self) -> &seal::Keys {
        &self.keys
    }
}

/// The longest device name (bytes): the team document shows at most 200 characters of it, and
/// a longer name would only be cut there.
const MAX_DEVICE_NAME_BYTES: usize = 200;

/// A device name: what a customer name may be, and at most [`MAX_DEVICE_NAME_BYTES`].
pub(crate) fn check_device_name(name: &str) -> Result<()> {
    rapport_model::Edit::Name(name.to_string()).validate(None)?;
    let len = name.trim().len();
    if len > MAX_DEVICE_NAME_BYTES {
        return Err(StoreError::Invalid(
            rapport_model::ValidationError::TooLong {
                field: "device name",
                len,
                max: MAX_DEVICE_NAME_BYTES,
            },
        ));
    }
    Ok(())
}
