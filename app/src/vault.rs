//! The OS keyring as the store's device-key vault ([`rapport_store::seal::KeyVault`]): the
//! macOS Keychain, the Windows Credential Manager or the Secret Service (GNOME Keyring,
//! KWallet) through the `keyring` crate, entry `device-key` of service `rapport`. Where there
//! is none (a headless Linux without a Secret Service) the store falls back to its key file.
//! `RAPPORT_KEYRING=off` skips the keyring.

use std::sync::Arc;

use rapport_store::seal::KeyVault;

const SERVICE: &str = "rapport";
const ENTRY: &str = "device-key";
/// Environment variable that turns the keyring off (`off`).
pub const KEYRING_ENV: &str = "RAPPORT_KEYRING";

/// The OS keyring.
pub struct OsKeyring;

impl KeyVault for OsKeyring {
    fn describe(&self) -> String {
        format!("the OS keyring (service `{SERVICE}`, entry `{ENTRY}`)")
    }

    fn load(&self) -> Result<Option<[u8; 32]>, String> {
        let entry = keyring::Entry::new(SERVICE, ENTRY).map_err(|e| e.to_string())?;
        match entry.get_secret() {
            Ok(bytes) => <[u8; 32]>::try_from(bytes)
                .map(Some)
                .map_err(|b| format!("the keyring entry holds {} bytes, not 32", b.len())),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn save(&self, key: &[u8; 32]) -> Result<(), String> {
        keyring::Entry::new(SERVICE, ENTRY)
            .and_then(|e| e.set_secret(key))
            .map_err(|e| e.to_string())
    }
}

/// The vault to open stores with: the OS keyring unless `RAPPORT_KEYRING=off`.
pub fn os_keyring() -> Option<Arc<dyn KeyVault>> {
    let off = std::env::var(KEYRING_ENV)
        .ok()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("off"));
    (!off).then(|| Arc::new(OsKeyring) as Arc<dyn KeyVault>)
}
