//! Sealing the device's network secret in automatic local backups.
//!
//! A local backup carries the device's identity so a device restored over its own damaged
//! store stays the team member it was. The secret is sealed (ChaCha20-Poly1305, a random
//! nonce per backup, [`AAD`] as associated data) with the user's *device key*, so a backup
//! file copied off the machine (to a USB stick, a cloud folder) does not reveal it.
//!
//! The device key is 32 random bytes, one per user account and machine (not per store, so a
//! device restored into a new data directory on the same machine still opens its backups):
//! - in a [`KeyVault`] the application supplies (the OS keyring), when it works;
//! - else in a key file, 0600 in a 0700 folder: [`Keys::default_file`], outside the data
//!   directory so that a copy of the data directory (which holds `backups/`) does not carry it.
//!
//! The existing key is always preferred over making one (the key file first, then the vault);
//! a sealed backup is opened with whichever available key authenticates it, so a key that
//! moved between the two still opens older backups.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use data_encoding::BASE64;

use crate::StoreError;

/// Associated data of a sealed device secret (binds the ciphertext to its purpose).
pub const AAD: &[u8] = b"rapport device secret v1";
/// First byte of a sealed secret: its format version.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 12;
/// Version byte, nonce, 32-byte secret and 16-byte tag.
const SEALED_LEN: usize = 1 + NONCE_LEN + 32 + 16;
/// The first line of a key file names its format.
const KEY_FILE_HEADER: &str = "rapport-device-key-v1";
/// Environment variable naming the key file (overrides [`Keys::default_file`]).
pub const KEY_FILE_ENV: &str = "RAPPORT_KEY_FILE";

/// Where the application keeps the device key when it can (the OS keyring). Errors are
/// text: they are logged and the key file is used instead.
pub trait KeyVault: Send + Sync {
    /// What it is, for messages (`the OS keyring`).
    fn describe(&self) -> String;
    /// The stored key, `Ok(None)` when there is none.
    fn load(&self) -> Result<Option<[u8; 32]>, String>;
    /// Stores `key` (replacing nothing: only called when `load` found none).
    fn save(&self, key: &[u8; 32]) -> Result<(), String>;
}

/// The device keys this store may seal with and open with.
#[derive(Clone)]
pub struct Keys {
    vault: Option<Arc<dyn KeyVault>>,
    file: PathBuf,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("vault", &self.vault.as_ref().map(|v| v.describe()))
            .field("file", &self.file)
            .finish()
    }
}

impl Keys {
    /// Keys from `vault` (if any) and the key file `file`.
    pub fn new(vault: Option<Arc<dyn KeyVault>>, file: PathBuf) -> Keys {
        Keys { vault, file }
    }

    /// The key file when none is configured: `$RAPPORT_KEY_FILE`, else
    /// `$XDG_CONFIG_HOME/rapport/device.key`, else `~/.config/rapport/device.key` (on Windows
    /// `%APPDATA%\rapport\device.key`), else `device.key` in the data directory `data_dir`
    /// (no home directory known).
    pub fn default_file(data_dir: &Path) -> PathBuf {
        let env = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(f) = env(KEY_FILE_ENV) {
            return f;
        }
        let config = env("XDG_CONFIG_HOME")
            .or_else(|| env("APPDATA"))
            .or_else(|| env("HOME").map(|h| h.join(".config")));
        match config {
            Some(c) => c.join("rapport").join(crate::KEY_FILE),
            None => data_dir.join(crate::KEY_FILE),
        }
    }

    /// The key file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Where keys are looked for, for messages.
    pub fn describe(&self) -> String {
        match &self.vault {
            Some(v) => format!("{} and {}", v.describe(), self.file.display()),
            None => self.file.display().to_string(),
        }
    }

    fn read_file(&self) -> Result<Option<[u8; 32]>, StoreError> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StoreError::Io {
                    path: self.file.clone(),
                    source,
                });
            }
        };
        let mut lines = text.lines();
        let key = (lines.next() == Some(KEY_FILE_HEADER))
            .then(|| lines.next())
            .flatten()
            .and_then(|l| BASE64.decode(l.trim().as_bytes()).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok());
        match key {
            Some(k) => Ok(Some(k)),
            // Never replaced: it may be what opens the backups.
            None => Err(StoreError::Refused(format!(
                "the device key file {} is damaged (it is not a Rapport device key); move it aside to make a new one (backups sealed with it will then not restore this device's identity)",
                self.file.display()
            ))),
        }
    }

    fn vault_key(&self) -> Option<[u8; 32]> {
        let v = self.vault.as_ref()?;
        match v.load() {
            Ok(k) => k,
            Err(e) => {
                tracing::info!(vault = %v.describe(), error = %e, "device key: vault not available");
                None
            }
        }
    }

    /// Every key available here (to open a sealed secret with).
    pub fn available(&self) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut keys: Vec<[u8; 32]> = self.read_file()?.into_iter().collect();
        if let Some(k) = self.vault_key()
            && !keys.contains(&k)
        {
            keys.push(k);
        }
        Ok(keys)
    }

    /// The key to seal with: the existing one (key file, then vault), else a new one kept in
    /// the vault if it takes it and gives it back, else in a new key file (0600).
    pub fn sealing_key(&self) -> Result<[u8; 32], StoreError> {
        if let Some(k) = self.read_file()? {
            return Ok(k);
        }
        if let Some(k) = self.vault_key() {
            return Ok(k);
        }
        let key: [u8; 32] = rand::random();
        if let Some(v) = &self.vault {
            match v.save(&key).and_then(|()| v.load()) {
                Ok(Some(k)) if k == key => {
                    tracing::info!(vault = %v.describe(), "device key: made a new one");
                    return Ok(key);
                }
                Ok(_) => tracing::info!(vault = %v.describe(), "device key: vault did not keep it"),
                Err(e) => {
                    tracing::info!(vault = %v.describe(), error = %e, "device key: vault not available")
                }
            }
        }
        let io = |source| StoreError::Io {
            path: self.file.clone(),
            source,
        };
        if let Some(parent) = self.file.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private::create_dir(parent).map_err(io)?;
        }
        // Written under a temporary name and renamed: a crash never leaves half a key.
        let tmp = self
            .file
            .with_extension(format!("writing-{}", std::process::id()));
        let text = format!("{KEY_FILE_HEADER}\n{}\n", BASE64.encode(&key));
        let written = (|| {
            use std::io::Write;
            let mut f = crate::private::create_file(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            // Another process may have made one meanwhile: keep the first.
            std::fs::hard_link(&tmp, &self.file)
        })();
        let _ = std::fs::remove_file(&tmp);
        match written {
            Ok(()) => {
                tracing::info!(path = %self.file.display(), "device key: made a new key file");
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self
                .read_file()?
                .ok_or_else(|| io(std::io::Error::from(std::io::ErrorKind::NotFound))),
            Err(e) => Err(io(e)),
        }
    }
}

/// `secret` sealed with `key`: version byte, random nonce, ciphertext and tag.
pub(crate) fn seal(key: &[u8; 32], secret: &[u8; 32]) -> Result<Vec<u8>, StoreError> {
    let cipher = ChaCha20Poly1305::new(&Key::from(*key));
    let nonce_bytes: [u8; NONCE_LEN] = rand::random();
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce_bytes),
            Payload {
                msg: secret,
                aad: AAD,
            },
        )
        .map_err(|_| StoreError::Refused("could not seal the device secret".into()))?;
    let mut out = Vec::with_capacity(SEALED_LEN);
    out.push(SEALED_V1);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Whether `blob` has the shape of a sealed secret (checked before a restore writes anything).
pub(crate) fn well_formed(blob: &[u8]) -> bool {
    blob.len() == SEALED_LEN && blob.first() == Some(&SEALED_V1)
}

/// The secret in `blob`, if one of `keys` authenticates it.
pub(crate) fn unseal(keys: &[[u8; 32]], blob: &[u8]) -> Option<[u8; 32]> {
    if !well_formed(blob) {
        return None;
    }
    let (nonce, sealed) = blob.get(1..)?.split_at(NONCE_LEN);
    let nonce = Nonce::from(<[u8; NONCE_LEN]>::try_from(nonce).ok()?);
    keys.iter().find_map(|k| {
        ChaCha20Poly1305::new(&Key::from(*k))
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: AAD,
                },
            )
            .ok()
            .and_then(|p| <[u8; 32]>::try_from(p).ok())
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let (k1, k2, secret): ([u8; 32], [u8; 32], [u8; 32]) =
            (rand::random(), rand::random(), rand::random());
        let blob = seal(&k1, &secret).unwrap();
        assert!(well_formed(&blob));
        assert!(!blob.windows(32).any(|w| w == secret));
        // A second seal of the same secret differs (fresh nonce).
        assert_ne!(seal(&k1, &secret).unwrap(), blob);
        assert_eq!(unseal(&[k1], &blob), Some(secret));
        assert_eq!(unseal(&[k2, k1], &blob), Some(secret));
        assert_eq!(unseal(&[k2], &blob), None);
        assert_eq!(unseal(&[], &blob), None);
        // Any flipped bit is refused.
        for i in 1..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert_eq!(unseal(&[k1], &bad), None, "byte {i}");
        }
        assert_eq!(unseal(&[k1], &blob[..blob.len() - 1]), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_made_once_owner_only_and_never_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("conf").join("device.key");
        let keys = Keys::new(None, file.clone());
        assert!(keys.available().unwrap().is_empty());
        let k = keys.sealing_key().unwrap();
        assert_eq!(keys.sealing_key().unwrap(), k);
        assert_eq!(keys.available().unwrap(), vec![k]);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        // A damaged key file is an error, not silently replaced.
        std::fs::write(&file, "garbage").unwrap();
        let e = keys.sealing_key().unwrap_err().to_string();
        assert!(e.contains("damaged"), "{e}");
    }

    struct Memory(std::sync::Mutex<Option<[u8; 32]>>, bool);

    impl KeyVault for Memory {
        fn describe(&self) -> String {
            "a test vault".into()
        }
        fn load(&self) -> Result<Option<[u8; 32]>, String> {
            if self.1 {
                return Err("no secret service".into());
            }
            Ok(*self.0.lock().unwrap())
        }
        fn save(&self, key: &[u8; 32]) -> Result<(), String> {
            if self.1 {
                return Err("no secret service".into());
            }
            *self.0.lock().unwrap() = Some(*key);
            Ok(())
        }
    }

    #[test]
    fn a_working_vault_keeps_the_key_and_a_broken_one_falls_back_to_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let vault = Arc::new(Memory(std::sync::Mutex::new(None), false));
        let keys = Keys::new(Some(vault.clone()), tmp.path().join("a.key"));
        let k = keys.sealing_key().unwrap();
        assert_eq!(*vault.0.lock().unwrap(), Some(k));
        assert!(!tmp.path().join("a.key").exists());
        assert_eq!(keys.sealing_key().unwrap(), k);

        let broken = Arc::new(Memory(std::sync::Mutex::new(None), true));
        let keys = Keys::new(Some(broken), tmp.path().join("b.key"));
        let k = keys.sealing_key().unwrap();
        assert!(tmp.path().join("b.key").exists());
        assert_eq!(keys.available().unwrap(), vec![k]);
    }
}
