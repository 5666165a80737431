//! Opening a store: the redb file, its lock note, the meta rows and schema migrations.
//!
//! Invariants: one process at a time (redb's exclusive lock; a second one gets
//! [`StoreError::InUse`] naming the holder from the [`LOCK_NOTE`]); a damaged file is reported
//! as [`StoreError::Corrupt`] with the latest backup, never a panic; a newer schema is refused,
//! an older one migrated in the same transaction that creates every table; opening never
//! loads documents (except to rebuild summaries when their encoding changed).

use std::path::Path;

use automerge::ActorId;
use redb::{Database, ReadableTable};
use serde::{Deserialize, Serialize};

use crate::tables::{
    AGENDA, BY_NAME, BY_SEQ, BY_TAG, CHANGES, DEVICE_SETTINGS, DOCS, HEADS, META, PAUSED, PEER_DAY,
    PEERS, QUARANTINE, SEQ_OF, SUMMARIES, TEAM_DOCS,
};
use crate::{
    DB_FILE, Device, LOCK_NOTE, OpenOptions, Result, SCHEMA_VERSION, SUMMARY_VERSION, Store,
    StoreError, authored, backups, hex, private, seal, team,
};

#[derive(Serialize, Deserialize)]
struct LockNote {
    pid: u32,
    holder: String,
    since: String,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: impl AsRef<Path>, opts: OpenOptions) -> Result<Store> {
        let dir = dir.as_ref().to_path_buf();
        private::create_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        // Stores written before modes were set have default ones: make them owner-only.
        private::tighten_dir(&dir);
        let path = dir.join(DB_FILE);
        // redb can panic on a file whose structure is damaged; that is damage, not a crash.
        let opened =
            std::panic::catch_unwind(|| Database::builder().create(&path)).unwrap_or_else(|_| {
                Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(
                    "its internal structure is inconsistent".into(),
                )))
            });
        let db = match opened {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::InUse {
                    path: dir.clone(),
                    holder: describe_holder(&dir),
                });
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail))) => {
                return Err(StoreError::Corrupt {
                    path,
                    detail,
                    backup: backups::latest(&dir),
                });
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
                if e.kind() == std::io::ErrorKind::InvalidData
                    || e.kind() == std::io::ErrorKind::UnexpectedEof =>
            {
                return Err(StoreError::Corrupt {
                    path,
                    detail: e.to_string(),
                    backup: backups::latest(&dir),
                });
            }
            Err(e) => {
                let err: redb::Error = e.into();
                return Err(match err {
                    redb::Error::Corrupted(detail) => StoreError::Corrupt {
                        path,
                        detail,
                        backup: backups::latest(&dir),
                    },
                    redb::Error::UpgradeRequired(v) => StoreError::Corrupt {
                        path,
                        detail: format!("unsupported redb file format {v}"),
                        backup: backups::latest(&dir),
                    },
                    other => StoreError::Db(other).with_path(&dir),
                });
            }
        };
        let note = LockNote {
            pid: std::process::id(),
            holder: opts.holder.clone(),
            since: chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
        };
        if let Ok(json) = serde_json::to_vec(&note) {
            let _ = private::write_file(&dir.join(LOCK_NOTE), &json);
        }
        // redb created a new file with the default mode.
        if let Err(e) = private::restrict(&path, private::FILE_MODE) {
            tracing::warn!(path = %path.display(), error = %e, "could not make owner-only");
        }

        let (device, actor, secret, rebuild) =
            Self::init_meta(&db, &dir, &opts).map_err(|e| e.with_path(&dir))?;
        let (feed, _) = tokio::sync::broadcast::channel(1024);
        let key_file = opts
            .key_file
            .clone()
            .unwrap_or_else(|| seal::Keys::default_file(&dir));
        let store = Store {
            db,
            dir,
            device: std::sync::RwLock::new(device),
            actor,
            secret,
            keys: seal::Keys::new(opts.vault.clone(), key_file),
            clock: opts.clock,
            feed,
            team_cache: Default::default(),
            min_free_for_peers: opts.min_free_for_peers,
            daily_quota: opts.daily_quota,
        };
        if rebuild {
            tracing::info!("summary format changed: rebuilding summaries from documents");
            store.rebuild_summaries()?;
        }
        store.ensure_derived()?;
        // An upgraded device tells its team which actor its earlier changes carry.
        if let Err(e) = store.declare_legacy_actor() {
            tracing::warn!(error = %e, "could not declare this device's earlier actor to the team");
        }
        Ok(store)
    }

    /// Reads or writes the meta rows; returns the device and whether summaries need rebuilding.
    #[allow(clippy::type_complexity)]
    fn init_meta(
        db: &Database,
        dir: &Path,
        opts: &OpenOptions,
    ) -> Result<(Device, ActorId, [u8; 32], bool)> {
        let txn = db.begin_write()?;
        // Opening a store that is as it should be writes nothing (so it opens, and reads
        // work, on a full disk): whether anything changed decides commit or abort.
        let tables_before = txn.list_tables()?.count();
        let mut changed = false;
        let out;
        {
            let mut meta = txn.open_table(META)?;
            let read_u64 = |v: Option<redb::AccessGuard<'_, &[u8]>>| {
                v.and_then(|g| <[u8; 8]>::try_from(g.value()).ok().map(u64::from_le_bytes))
            };
            let schema = read_u64(meta.get("schema")?);
            match schema {
                None => {
                    meta.insert("schema", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                    changed = true;
                }
                Some(v) if v > SCHEMA_VERSION => {
                    return Err(StoreError::NewerSchema {
                        path: dir.join(DB_FILE),
                        found: v,
                        supported: SCHEMA_VERSION,
                    });
                }
                Some(v) if v < SCHEMA_VERSION => {
                    // Migrations from older layouts, in order. 1 → 2: the `quarantine` table,
                    // created (empty) below with every other table. 2 → 3: the key actor and
                    // the signature tables, below.
                    tracing::info!(
                        from = v,
                        to = SCHEMA_VERSION,
                        "migrating the store's layout"
                    );
                    meta.insert("schema", SCHEMA_VERSION.to_le_bytes().as_slice())?;
                    changed = true;
                }
                Some(_) => {}
            }
            let summary_version = read_u64(meta.get("summary_version")?);
            let rebuild = summary_version.is_some_and(|v| v != SUMMARY_VERSION);
            if summary_version != Some(SUMMARY_VERSION) {
                meta.insert("summary_version", SUMMARY_VERSION.to_le_bytes().as_slice())?;
                changed = true;
            }

            let stored_secret = meta
                .get("device_secret")?
                .and_then(|g| <[u8; 32]>::try_from(g.value()).ok());
            let secret = match stored_secret {
                Some(s) => s,
                None => {
                    let s: [u8; 32] = rand::random();
                    meta.insert("device_secret", s.as_slice())?;
                    changed = true;
                    s
                }
            };
            // Changes are written with the device's key as actor ([`authored`]): the key and
            // a 4-byte incarnation, new whenever the store takes on an identity, so a device
            // restored from a backup never reuses a sequence number its old store used. A
            // store from before (schema < 3) had a random actor: it is kept as
            // `legacy_actor`, declared to the team, and every document it holds is listed as
            // unsigned.
            let key = *rapport_team::SecretKey::from_bytes(&secret)
                .public()
                .as_bytes();
            let stored_actor = meta.get("device_actor")?.map(|g| g.value().to_vec());
            let actor_bytes = match stored_actor {
                Some(a) if authored::actor_key(&a) == Some(key) => a,
                old => {
                    if let Some(old) = old.filter(|a| a.len() == rapport_team::LEGACY_ACTOR_LEN) {
                        meta.insert("legacy_actor", old.as_slice())?;
                        let ids: Vec<u128> = txn
                            .open_table(DOCS)?
                            .iter()?
                            .map(|r| r.map(|(k, _)| k.value()))
                            .collect::<std::result::Result<_, _>>()?;
                        let mut unsigned = txn.open_table(authored::UNSIGNED_DOCS)?;
                        for id in &ids {
                            unsigned.insert(*id, ())?;
                        }
                        tracing::info!(
                            documents = ids.len(),
                            "changes are now signed with the device key; earlier documents are vouched for when sent"
                        );
                    }
                    let a = authored::new_actor(&key);
                    meta.insert("device_actor", a.as_slice())?;
                    changed = true;
                    a
                }
            };
            let stored_name = meta
                .get("device_name")?
                .map(|g| String::from_utf8_lossy(g.value()).into_owned());
            let name = match stored_name {
                Some(n) => n,
                None => {
                    meta.insert("device_name", opts.device_name.as_bytes())?;
                    changed = true;
                    opts.device_name.clone()
                }
            };
            let actor = ActorId::from(actor_bytes.as_slice());
            out = (
                Device {
                    actor: hex(&actor_bytes),
                    name,
                },
                actor,
                secret,
                rebuild,
            );
            // Make sure every table exists so read transactions never miss one.
            txn.open_table(DOCS)?;
            txn.open_table(CHANGES)?;
            txn.open_table(SUMMARIES)?;
            txn.open_table(HEADS)?;
            txn.open_table(BY_NAME)?;
            txn.open_table(BY_TAG)?;
            txn.open_table(AGENDA)?;
            txn.open_table(TEAM_DOCS)?;
            txn.open_table(PEERS)?;
            txn.open_table(SEQ_OF)?;
            txn.open_table(BY_SEQ)?;
            txn.open_table(DEVICE_SETTINGS)?;
            txn.open_table(QUARANTINE)?;
            txn.open_table(PAUSED)?;
            txn.open_table(PEER_DAY)?;
            txn.open_table(authored::CHANGE_SIGS)?;
            txn.open_table(authored::UNSIGNED_DOCS)?;
            // Signed team entries (older stores gain the table here; it starts empty and
            // fills from the team document at the next merge or write).
            txn.open_table(team::TEAM_LOG)?;
        }
        if changed || txn.list_tables()?.count() != tables_before {
            txn.commit()?;
        } else {
            txn.abort()?;
        }
        Ok(out)
    }
}

fn describe_holder(dir: &Path) -> String {
    match std::fs::read(dir.join(LOCK_NOTE))
        .ok()
        .and_then(|b| serde_json::from_slice::<LockNote>(&b).ok())
    {
        Some(n) => format!("`{}` (pid {}, since {})", n.holder, n.pid, n.since),
        None => "another process".to_string(),
    }
}
