//! The shared team documents besides customers ([`Shared`]): the settings and the team
//! document, read, written locally, and merged from peers.
//!
//! Invariants: a local change is one durable transaction labelled with its fields; settings
//! changes are signed and, in a signed team, name the team heads they were made under so every
//! device checks the author's role the same way; a peer's shared document is bounded by the
//! [`limits`] and refused whole, leaving the document as it was (for sync it is quarantined
//! and the peer paused unless only dependencies were missing); setting keys and values are at
//! most [`MAX_SETTING_BYTES`] and free of control characters.

use std::collections::BTreeMap;

use automerge::{
    AutoCommit, ChangeHash, ROOT, ReadDoc,
    transaction::{CommitOptions, Transactable},
};
use redb::{ReadableDatabase, ReadableTable};

use crate::remote::{
    MISSING_DEPS, NewRows, check_changes, check_settings_roles, pause_in, quarantine_in,
};
use crate::tables::TEAM_DOCS;
use crate::{
    ChangeMessage, DocRef, Origin, Result, Shared, Store, StoreError, authored, hex, limits,
};

/// Longest setting key and value accepted (local or from a peer).
pub(crate) const MAX_SETTING_BYTES: usize = 4096;

impl Store {
    /// A shared team document (empty if none was ever written here).
    pub fn shared_document(&self, kind: Shared) -> Result<AutoCommit> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(TEAM_DOCS)?;
        load_shared(&t, kind)
    }

    /// The heads of a shared document.
    pub fn shared_heads(&self, kind: Shared) -> Result<Vec<ChangeHash>> {
        Ok(self.shared_document(kind)?.get_heads())
    }

    /// The changes of a shared document that a holder of `have` lacks (empty if none).
    ///
    /// Settings travel as an [`authored::Delivery`] (their changes are signed, and only
    /// admins' count); the team document as plain automerge bytes (its entries sign
    /// themselves).
    pub fn shared_changes_since(&self, kind: Shared, have: &[ChangeHash]) -> Result<Vec<u8>> {
        let mut doc = self.shared_document(kind)?;
        let known: Vec<ChangeHash> = have
            .iter()
            .filter(|h| doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        let changes = authored::infos(&mut doc, &known);
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = if known.is_empty() {
            doc.save()
        } else {
            doc.save_after(&known)
        };
        if kind == Shared::Team {
            return Ok(bytes);
        }
        let key = authored::shared_key(kind);
        let rows = {
            let txn = self.db.begin_read()?;
            authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, key)?
        };
        let team = self.team_state()?;
        let sigs = authored::outgoing(team.as_deref(), &self.team_key(), key, &changes, &rows);
        Ok(authored::Delivery { doc: bytes, sigs }.encode())
    }

    /// A shared document as automerge bytes (empty when it has no change yet).
    pub(crate) fn shared_saved(&self, kind: Shared) -> Result<Vec<u8>> {
        let mut doc = self.shared_document(kind)?;
        Ok(if doc.get_heads().is_empty() {
            Vec::new()
        } else {
            doc.save()
        })
    }

    /// Reads, changes and writes a shared document in one durable transaction. `change`
    /// returns whether it changed anything; the change is committed with `fields` as its label.
    pub(crate) fn update_shared(
        &self,
        kind: Shared,
        fields: &[&str],
        change: impl FnOnce(&mut AutoCommit) -> Result<bool>,
    ) -> Result<bool> {
        let now = self.now();
        let team_heads: Vec<String> = match (kind, self.team_id()?) {
            (Shared::Settings, Some(team)) => self
                .read_log()?
                .heads(&team)
                .iter()
                .map(|h| hex(h))
                .collect(),
            _ => Vec::new(),
        };
        let txn = self.begin_write()?;
        let heads = {
            let mut t = txn.open_table(TEAM_DOCS)?;
            let mut doc = load_shared(&t, kind)?;
            doc.set_actor(self.actor.clone());
            let before = doc.get_heads();
            if !change(&mut doc)? {
                return Ok(false);
            }
            let msg = serde_json::to_string(&ChangeMessage {
                device: self.device().name,
                fields: fields.iter().map(|f| f.to_string()).collect(),
                team: team_heads.clone(),
            })
            .unwrap_or_default();
            doc.commit_with(
                CommitOptions::default()
                    .with_message(msg)
                    .with_time(now.timestamp()),
            );
            t.insert(kind.key(), doc.save().as_slice())?;
            if kind == Shared::Settings {
                authored::record_local(
                    &mut txn.open_table(authored::CHANGE_SIGS)?,
                    &self.team_key(),
                    authored::shared_key(kind),
                    &mut doc,
                    &before,
                    now.timestamp_millis(),
                )?;
            }
            doc.get_heads()
        };
        self.commit(txn)?;
        self.notify(DocRef::Shared(kind), heads, Origin::Local);
        Ok(true)
    }

    /// Merges a peer's shared document (or changes to it). Returns whether anything changed.
    /// Entries of the wrong type or size from a peer are ignored when read; bytes or a merged
    /// document over the [`limits`], or that do not load, are refused with
    /// [`StoreError::BadRemote`] and nothing is written.
    pub fn apply_remote_shared(&self, kind: Shared, bytes: &[u8]) -> Result<bool> {
        self.apply_remote_shared_in(kind, bytes, None)
    }

    /// [`Store::apply_remote_shared`] for sync: a refused document is quarantined (with
    /// `peer`) and reported as `Ok(false)`, so one bad shared document does not end the session.
    pub fn apply_remote_shared_from(
        &self,
        peer: Option<&str>,
        kind: Shared,
        bytes: &[u8],
    ) -> Result<bool> {
        self.apply_remote_shared_in(kind, bytes, Some(peer))
    }

    /// `quarantine`: `None` to fail on a bad document, `Some(peer)` to quarantine it.
    fn apply_remote_shared_in(
        &self,
        kind: Shared,
        bytes: &[u8],
        quarantine: Option<Option<&str>>,
    ) -> Result<bool> {
        let now = self.now();
        let team = if kind == Shared::Settings {
            self.team_state()?
        } else {
            None
        };
        let log = match (&team, self.team_id()?) {
            (Some(_), Some(id)) => Some((self.read_log()?, id)),
            _ => None,
        };
        let txn = self.begin_write()?;
        let merged = {
            let mut t = txn.open_table(TEAM_DOCS)?;
            let mut doc = load_shared(&t, kind)?;
            let before = doc.get_heads();
            let delivery = authored::Delivery::decode(bytes).map_err(|e| {
                StoreError::BadRemote(format!("peer {} document refused: {e}", kind.key()))
            });
            match delivery.and_then(|d| Ok((merge_shared(doc, kind, &d.doc)?, d.sigs))) {
                Ok((None, _)) => return Ok(false),
                Ok((Some(mut doc), sigs)) => {
                    let rows = if kind == Shared::Settings {
                        check_changes(
                            team.as_deref(),
                            authored::shared_key(kind),
                            &mut doc,
                            &before,
                            &sigs,
                            now,
                        )
                        .and_then(|rows| {
                            if let Some((log, id)) = &log {
                                check_settings_roles(log, id, &mut doc, &before)?;
                            }
                            Ok(rows)
                        })
                        .map_err(|e| StoreError::BadRemote(format!("peer settings refused: {e}")))
                    } else {
                        Ok(NewRows {
                            rows: Vec::new(),
                            unsigned: false,
                        })
                    };
                    match rows {
                        Ok(rows) => {
                            if kind == Shared::Team {
                                self.absorb_team_log(&txn, &mut doc)?;
                            }
                            t.insert(kind.key(), doc.save().as_slice())?;
                            let mut sigs = txn.open_table(authored::CHANGE_SIGS)?;
                            let mut unsigned = txn.open_table(authored::UNSIGNED_DOCS)?;
                            rows.write(&mut sigs, &mut unsigned, authored::shared_key(kind))?;
                            Ok(doc.get_heads())
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            }
        };
        let heads = match (merged, quarantine) {
            (Ok(heads), _) => heads,
            (Err(e), None) => return Err(e),
            (Err(e), Some(peer)) => {
                tracing::warn!(doc = kind.key(), peer = peer.unwrap_or("?"), error = %e,
                    "refused a peer's shared document; quarantined it");
                quarantine_in(&txn, DocRef::Shared(kind), peer, &e, bytes, now)?;
                if !e.to_string().contains(MISSING_DEPS) {
                    pause_in(&txn, Some(peer), &e, now)?;
                }
                self.commit(txn)?;
                return Ok(false);
            }
        };
        self.commit(txn)?;
        if kind == Shared::Team {
            self.team_changed();
        }
        self.notify(DocRef::Shared(kind), heads, Origin::Remote);
        Ok(true)
    }

    /// The team settings as key → value text, read from the synced settings document. The
    /// store does not interpret them (`rapport-value` does). When two devices set a key
    /// concurrently, automerge's deterministic winner is returned on every device.
    pub fn settings(&self) -> Result<BTreeMap<String, String>> {
        Ok(settings_map(&self.shared_document(Shared::Settings)?))
    }

    /// Sets (or with `None` removes) one team setting, durably, as one change.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.may_change_settings()?;
        check_shared_text("setting key", key)?;
        check_shared_text("setting value", value.unwrap_or(""))?;
        self.update_shared(Shared::Settings, &[key], |doc| {
            match value {
                Some(v) => {
                    doc.put(ROOT, key, v)?;
                }
                None => {
                    if doc.get(ROOT, key)?.is_none() {
                        return Ok(false);
                    }
                    doc.delete(ROOT, key)?;
                }
            }
            Ok(true)
        })?;
        Ok(())
    }
}

pub(crate) fn load_shared(
    t: &impl ReadableTable<&'static str, &'static [u8]>,
    kind: Shared,
) -> Result<AutoCommit> {
    match t.get(kind.key())? {
        None => Ok(AutoCommit::new()),
        Some(g) => AutoCommit::load(g.value())
            .map_err(|e| StoreError::Decode(format!("{} document does not load: {e}", kind.key()))),
    }
}

/// Merges a peer's bytes into shared document `doc` within the [`limits`]; `None` if nothing
/// changed.
fn merge_shared(mut doc: AutoCommit, kind: Shared, bytes: &[u8]) -> Result<Option<AutoCommit>> {
    let refuse =
        |e: String| StoreError::BadRemote(format!("peer {} document refused: {e}", kind.key()));
    limits::check_bytes(bytes).map_err(refuse)?;
    let before = doc.get_heads();
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        doc.load_incremental(bytes)
            .map_err(|e| e.to_string())
            .map(|_| doc)
    }))
    .unwrap_or_else(|_| Err("the document decoder failed".into()));
    let mut doc = loaded.map_err(|e| {
        StoreError::BadRemote(format!("peer {} document does not load: {e}", kind.key()))
    })?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(StoreError::BadRemote(format!(
            "peer sent {} changes whose dependencies are missing",
            kind.key()
        )));
    }
    if doc.get_heads() == before {
        return Ok(None);
    }
    limits::check_loaded(&doc).map_err(refuse)?;
    Ok(Some(doc))
}

pub(crate) fn check_shared_text(what: &'static str, text: &str) -> Result<()> {
    if text.len() > MAX_SETTING_BYTES {
        return Err(StoreError::Invalid(
            rapport_model::ValidationError::TooLong {
                field: what,
                len: text.len(),
                max: MAX_SETTING_BYTES,
            },
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            rapport_model::ValidationError::ControlCharacter { field: what },
        ));
    }
    Ok(())
}

fn settings_map(doc: &AutoCommit) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for key in doc.keys(ROOT) {
        if key.len() > MAX_SETTING_BYTES {
            continue;
        }
        if let Ok(Some((automerge::Value::Scalar(v), _))) = doc.get(ROOT, key.as_str())
            && let automerge::ScalarValue::Str(s) = v.as_ref()
            && s.len() <= MAX_SETTING_BYTES
        {
            out.insert(key.clone(), s.to_string());
        }
    }
    out
}
