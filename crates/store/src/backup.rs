//! The JSON backup of a whole store, and restoring it into an empty store.
//!
//! ```json
//! {
//!   "format": "rapport-backup", "version": 1, "created_at": "2026-11-24T10:00:00Z",
//!   "device": "Li Na's laptop",
//!   "settings": {"tier.vip_percent": "2"},
//!   "customers": [ {"customer": {...every field, contact, follow-up, interaction, deal...},
//!                   "automerge": "<base64 of the document>"} ],
//!   "shared": {"settings": "<base64>", "team": "<base64>"}
//! }
//! ```
//!
//! The automatic local backups also hold the device's identity, `"identity": {"sealed":
//! "<base64>", "name": "..."}`: its network secret sealed with the device key (see
//! [`crate::seal`]), so the file alone does not reveal it. Those are version 2; exports, which
//! never hold it, stay version 1. Backups written before sealing (`"identity": {"secret":
//! "<base64>"}`, version 1) still restore.
//!
//! Each customer is there twice: readable (`customer`, the model's serde form, for people and
//! other tools) and as its automerge document (`automerge`), which is what a restore loads, so
//! the restored store keeps every change, its history and its conflicts, and syncs with the
//! team as the same documents. A restore checks that each document reads back exactly as its
//! readable copy says (an edited or damaged file is refused, naming the entry), and writes
//! everything in one transaction: all or nothing.

use std::io::{Read, Write};

use data_encoding::BASE64;
use rapport_model::{Customer, CustomerId};
use serde::{Deserialize, Serialize};

use crate::{Shared, Store, StoreError};

/// The `format` field of a backup.
pub const FORMAT: &str = "rapport-backup";
/// The newest backup version this build writes and reads: 2 has the sealed identity.
pub const VERSION: u32 = 2;
/// The version of backups without an identity (exports), readable by every Rapport.
const VERSION_PLAIN: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Entry {
    customer: Customer,
    automerge: String,
    /// The signatures of the document's changes (base64 of postcard `[(hash, Sig)]`), so a
    /// restored device can still pass on changes other devices signed. Absent in backups
    /// written before changes were signed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    signatures: String,
}

#[derive(Serialize, Deserialize, Default)]
struct SharedDocs {
    #[serde(default)]
    settings: String,
    #[serde(default)]
    team: String,
}

/// The device's network identity, only in the automatic local backups (never in
/// `export --format json`, which a user may hand around): with it, a device restored over its
/// own damaged store is still the team member it was. The secret is `sealed` with the device
/// key; backups written before sealing hold it as plain base64 in `secret`.
#[derive(Serialize, Deserialize)]
struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
    name: String,
    /// The signed team the device belongs to (hex; not a secret), so a device restored from a
    /// backup made before it received its team's genesis still knows its team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    team: Option<String>,
}

/// A backup's identity, opened: the device secret, name and signed team.
type OpenedIdentity = ([u8; 32], String, Option<[u8; 32]>);

#[derive(Deserialize)]
struct Backup {
    format: String,
    version: u32,
    #[serde(default)]
    identity: Option<Identity>,
    #[serde(default)]
    customers: Vec<Entry>,
    #[serde(default)]
    shared: SharedDocs,
}

/// What a backup or restore covered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupStats {
    pub customers: usize,
    pub bytes: u64,
    /// The restore took over the backed-up device's identity.
    pub identity: bool,
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::BadBackup(format!("writing the backup: {e}"))
}

impl Store {
    /// Writes the whole store as a JSON backup to `out`, one customer at a time.
    pub fn backup(&self, out: &mut impl Write) -> Result<BackupStats, StoreError> {
        self.backup_inner(out, false)
    }

    /// [`Store::backup`], with the device's network identity when `identity` (local backups).
    pub(crate) fn backup_inner(
        &self,
        out: &mut impl Write,
        identity: bool,
    ) -> Result<BackupStats, StoreError> {
        let mut counted = Counting { inner: out, n: 0 };
        let w = &mut counted;
        let mut header = serde_json::json!({
            "format": FORMAT,
            "version": if identity { VERSION } else { VERSION_PLAIN },
            "created_at": (self.clock)().to_rfc3339(),
            "device": self.device().name,
            "settings": self.settings()?,
        });
        if identity {
            let key = self.keys().sealing_key()?;
            let sealed = crate::seal::seal(&key, &self.device_secret())?;
            header["identity"] = serde_json::to_value(Identity {
                secret: None,
                sealed: Some(BASE64.encode(&sealed)),
                name: self.device().name.clone(),
                team: self.team_id()?.map(|t| data_encoding::HEXLOWER.encode(&t)),
            })?;
        }
        let header = serde_json::to_string(&header)?;
        // The header object without its closing brace, then the customers array.
        let open = header.strip_suffix('}').unwrap_or(&header);
        write!(w, "{open},\n\"customers\": [").map_err(io)?;
        let mut n = 0;
        for id in self.ids()? {
            let Some(bytes) = self.document_bytes(id)? else {
                continue;
            };
            let sigs = self.signatures_of(id)?;
            let entry = Entry {
                customer: self.customer(id)?,
                automerge: BASE64.encode(&bytes),
                signatures: if sigs.is_empty() {
                    String::new()
                } else {
                    BASE64.encode(&postcard::to_stdvec(&sigs)?)
                },
            };
            if n > 0 {
                write!(w, ",").map_err(io)?;
            }
            write!(w, "\n  ").map_err(io)?;
            serde_json::to_writer(&mut *w, &entry)?;
            n += 1;
        }
        let shared = SharedDocs {
            settings: BASE64.encode(&self.shared_saved(Shared::Settings)?),
            team: BASE64.encode(&self.shared_saved(Shared::Team)?),
        };
        write!(w, "\n],\n\"shared\": ").map_err(io)?;
        serde_json::to_writer(&mut *w, &shared)?;
        writeln!(w, "\n}}").map_err(io)?;
        w.flush().map_err(io)?;
        Ok(BackupStats {
            customers: n,
            bytes: counted.n,
            identity,
        })
    }

    /// Restores a JSON backup into this store, which must hold no customer yet. Every entry is
    /// checked before anything is written; then all of it is written in one transaction.
    pub fn restore(&self, input: impl Read) -> Result<BackupStats, StoreError> {
        self.restore_inner(input, false).map(|(stats, _)| stats)
    }

    /// [`Store::restore`] into the store that replaces this device's damaged one: when the
    /// backup holds the device's identity (the automatic local backups do), the store takes it
    /// over, so the team still knows this device. Its automerge actor stays new, so changes
    /// made after the restore never collide with changes the old store made after the backup.
    ///
    /// A sealed identity is opened with the device keys of this machine (user account); one
    /// sealed with a key this machine lacks is refused before anything is written.
    pub fn restore_as_device(&mut self, input: impl Read) -> Result<BackupStats, StoreError> {
        let (mut stats, identity) = self.restore_inner(input, true)?;
        if let Some((secret, name, team)) = identity {
            self.adopt_identity(secret, &name)?;
            match team {
                Some(team) => self.team_join(team, false)?,
                None => self.team_settle_after_restore()?,
            }
            stats.identity = true;
        }
        Ok(stats)
    }

    /// The identity's secret: sealed (opened with this machine's device keys when `open`) or,
    /// in backups written before sealing, plain. `Ok(None)` when it need not be opened.
    fn identity_secret(&self, id: &Identity, open: bool) -> Result<Option<[u8; 32]>, StoreError> {
        let bad = |what: &str| StoreError::BadBackup(what.to_string());
        let decode = |text: &str, what: &str| {
            BASE64
                .decode(text.as_bytes())
                .map_err(|_| bad(&format!("{what} is malformed")))
        };
        match (&id.sealed, &id.secret) {
            (Some(sealed), _) => {
                let blob = decode(sealed, "identity.sealed")?;
                if !crate::seal::well_formed(&blob) {
                    return Err(bad("identity.sealed is malformed"));
                }
                if !open {
                    return Ok(None);
                }
                crate::seal::unseal(&self.keys().available()?, &blob)
                    .map(Some)
                    .ok_or_else(|| {
                        bad(&format!(
                            "the device identity in it is sealed with a device key this machine does not have (looked in {}); copy that key back to restore this device's identity, or restore without --replace-damaged into a new --data-dir and pair the device again",
                            self.keys().describe()
                        ))
                    })
            }
            (None, Some(plain)) => {
                let secret = <[u8; 32]>::try_from(decode(plain, "identity.secret")?)
                    .map_err(|_| bad("identity.secret is malformed"))?;
                Ok(open.then_some(secret))
            }
            (None, None) => Err(bad("identity has neither `sealed` nor `secret`")),
        }
    }

    /// Checks and writes a backup; with `as_device`, also opens its identity (before anything
    /// is written) and returns it.
    fn restore_inner(
        &self,
        input: impl Read,
        as_device: bool,
    ) -> Result<(BackupStats, Option<OpenedIdentity>), StoreError> {
        let bad = |what: String| StoreError::BadBackup(what);
        if self.count()? > 0 {
            return Err(bad(format!(
                "the store at {} already holds {} customers; restore into an empty store (a new --data-dir)",
                self.dir().display(),
                self.count()?
            )));
        }
        let backup: Backup = serde_json::from_reader(input)
            .map_err(|e| bad(format!("not a Rapport backup: {e}")))?;
        if backup.format != FORMAT {
            return Err(bad(format!(
                "format is `{}`, not `{FORMAT}`",
                backup.format
            )));
        }
        if backup.version > VERSION {
            return Err(bad(format!(
                "version {} was written by a newer Rapport (this one reads up to {VERSION})",
                backup.version
            )));
        }
        // The identity is checked before anything is written too: a restore over a damaged
        // store takes it over only after the customers are written.
        let mut identity = None;
        if let Some(id) = &backup.identity {
            crate::device::check_device_name(&id.name)
                .map_err(|e| bad(format!("identity.name: {e}")))?;
            let team = match &id.team {
                None => None,
                Some(t) => Some(
                    rapport_team::parse_key(t)
                        .ok_or_else(|| bad("identity.team is malformed".into()))?,
                ),
            };
            if let Some(secret) = self.identity_secret(id, as_device)? {
                identity = Some((secret, id.name.clone(), team));
            }
        }
        let mut docs: Vec<(CustomerId, Vec<u8>)> = Vec::with_capacity(backup.customers.len());
        let mut seen = std::collections::HashSet::new();
        for (i, e) in backup.customers.iter().enumerate() {
            let id = e.customer.id;
            let name = rapport_model::excerpt(&e.customer.name);
            let at = |why: &str| bad(format!("customers[{i}] ({id}, {name}): {why}"));
            if !seen.insert(id) {
                return Err(at("appears twice"));
            }
            let bytes = BASE64
                .decode(e.automerge.as_bytes())
                .map_err(|_| at("`automerge` is not base64"))?;
            let doc = automerge::AutoCommit::load(&bytes)
                .map_err(|err| at(&format!("the document does not load: {err}")))?;
            let read = crate::doc::hydrate(&doc, id).map_err(|err| at(&err.to_string()))?;
            if read != e.customer {
                return Err(at(
                    "the document and the readable copy differ (was the file edited?)",
                ));
            }
            let sigs: Vec<([u8; 32], crate::authored::Sig)> = if e.signatures.is_empty() {
                Vec::new()
            } else {
                BASE64
                    .decode(e.signatures.as_bytes())
                    .ok()
                    .and_then(|b| postcard::from_bytes(&b).ok())
                    .ok_or_else(|| at("`signatures` is malformed"))?
            };
            // Restored as a delivery: the signatures that verify are kept with their changes.
            docs.push((id, crate::authored::Delivery { doc: bytes, sigs }.encode()));
        }
        // The shared documents are checked before anything is written too: a bad one must not
        // leave the customers restored while the error says nothing was.
        let mut shared = Vec::new();
        for (kind, text) in [
            (Shared::Settings, &backup.shared.settings),
            (Shared::Team, &backup.shared.team),
        ] {
            if text.is_empty() {
                continue;
            }
            let bytes = BASE64
                .decode(text.as_bytes())
                .map_err(|_| bad(format!("shared.{} is not base64", kind.key())))?;
            if bytes.is_empty() {
                continue;
            }
            let mut doc = automerge::AutoCommit::new();
            doc.load_incremental(&bytes).map_err(|e| {
                bad(format!(
                    "shared.{}: the document does not load: {e}",
                    kind.key()
                ))
            })?;
            if !doc.get_missing_deps(&[]).is_empty() {
                return Err(bad(format!(
                    "shared.{}: the document is incomplete (changes whose dependencies are missing)",
                    kind.key()
                )));
            }
            shared.push((kind, bytes));
        }
        let batch: Vec<(CustomerId, &[u8])> =
            docs.iter().map(|(id, b)| (*id, b.as_slice())).collect();
        self.apply_remote_all(&batch)?;
        for (kind, bytes) in shared {
            self.apply_remote_shared(kind, &bytes)?;
        }
        Ok((
            BackupStats {
                customers: docs.len(),
                bytes: docs.iter().map(|(_, b)| b.len() as u64).sum(),
                identity: false,
            },
            identity,
        ))
    }
}

/// Counts the bytes written through it.
struct Counting<'a, W: Write> {
    inner: &'a mut W,
    n: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
