//! Customer documents from peers: merging them, checking them, and what happens to the bad
//! ones (quarantine, paused peers) and to too many (quotas, free disk space).
//!
//! Invariants: remote data is checked before it lands: bytes bounded before decoding, merged
//! into a copy, bounded again ([`limits`]), authors checked against the signed team, hydrated;
//! a panic in the decoder refuses the data. A bad peer document is refused alone into
//! quarantine while the rest of its batch lands, and sync with that peer is paused (unless it
//! was only over quota or missing dependencies, which an honest peer can cause). Each session
//! is held to a [`Quota`], each peer to [`Quota::DAY`] a day, and peers get nothing once free
//! space falls below
//! [`OpenOptions::min_free_for_peers`](crate::OpenOptions::min_free_for_peers).

use std::collections::BTreeMap;
use std::path::Path;

use automerge::{AutoCommit, ChangeHash};
use rapport_model::{Customer, CustomerId, Timestamp};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::tables::{PAUSED, PEER_DAY, QUARANTINE, load_doc};
use crate::write::Writer;
use crate::{
    Applied, ChangeMessage, DocRef, MAX_QUARANTINE_BYTES, MAX_QUARANTINE_ROWS, Origin, Paused,
    Quarantined, Quota, Result, Shared, Store, StoreError, authored, doc, limits,
};

#[derive(Serialize, Deserialize, Default)]
struct DayUse {
    /// Days since 1970-01-01 (UTC).
    day: i64,
    new_docs: u64,
    bytes: u64,
}

#[derive(Serialize, Deserialize)]
struct QuarantineRow {
    reason: String,
    peer: Option<String>,
    at_ms: i64,
    refusals: u64,
    len: u64,
    hash: String,
    bytes: Vec<u8>,
}

fn quarantine_key(doc: DocRef) -> String {
    match doc {
        DocRef::Customer(id) => id.to_string(),
        DocRef::Shared(kind) => format!("shared/{}", kind.key()),
    }
}

fn quarantine_doc(key: &str) -> Option<DocRef> {
    match key.strip_prefix("shared/") {
        Some(k) => Shared::ALL
            .into_iter()
            .find(|s| s.key() == k)
            .map(DocRef::Shared),
        None => key.parse().ok().map(DocRef::Customer),
    }
}

/// Why a peer's document is refused when its changes' dependencies are missing (which an
/// honest peer's interrupted session can cause: it does not pause sync).
pub(crate) const MISSING_DEPS: &str = "peer sent changes whose dependencies are missing";

#[derive(Serialize, Deserialize)]
struct PausedRow {
    at_ms: i64,
    reason: String,
}

/// Pauses sync with `peer` (when known) after it sent data that was refused.
pub(crate) fn pause_in(
    txn: &WriteTransaction,
    peer: Option<Option<&str>>,
    why: &StoreError,
    now: Timestamp,
) -> Result<()> {
    let Some(Some(peer)) = peer else {
        return Ok(());
    };
    let row = PausedRow {
        at_ms: now.timestamp_millis(),
        reason: why.to_string().chars().take(1000).collect(),
    };
    let key: String = peer.chars().take(200).collect();
    txn.open_table(PAUSED)?
        .insert(key.as_str(), postcard::to_stdvec(&row)?.as_slice())?;
    Ok(())
}

/// Records in `txn` that `doc`'s `bytes` from `peer` were refused for `why`, replacing an
/// earlier record of the same document. Beyond [`MAX_QUARANTINE_ROWS`] documents the refusal
/// is only logged.
pub(crate) fn quarantine_in(
    txn: &WriteTransaction,
    doc: DocRef,
    peer: Option<&str>,
    why: &StoreError,
    bytes: &[u8],
    now: Timestamp,
) -> Result<()> {
    let mut t = txn.open_table(QUARANTINE)?;
    let key = quarantine_key(doc);
    let old: Option<QuarantineRow> = match t.get(key.as_str())? {
        Some(g) => postcard::from_bytes(g.value()).ok(),
        None => None,
    };
    if old.is_none() && t.len()? >= MAX_QUARANTINE_ROWS {
        tracing::warn!(doc = %key, "quarantine is full; the refusal is not recorded");
        return Ok(());
    }
    let row = QuarantineRow {
        reason: why.to_string().chars().take(1000).collect(),
        peer: peer.map(|p| p.chars().take(200).collect()),
        at_ms: now.timestamp_millis(),
        refusals: old.map_or(0, |o| o.refusals).saturating_add(1),
        len: bytes.len() as u64,
        hash: blake3::hash(bytes).to_hex().to_string(),
        bytes: bytes[..bytes.len().min(MAX_QUARANTINE_BYTES)].to_vec(),
    };
    t.insert(key.as_str(), postcard::to_stdvec(&row)?.as_slice())?;
    Ok(())
}

/// A peer's bytes merged into a document, checked, not yet written.
struct Merged {
    doc: AutoCommit,
    chunks: u32,
    old_heads: Vec<ChangeHash>,
    is_new: bool,
    /// New here and loaded strictly: store the peer's bytes as they are.
    verbatim: bool,
    customer: Customer,
}

/// Merges `bytes` from a peer into the `existing` document (or a new one) and hydrates the
/// result, which is the check: bytes over the [`limits`] are refused before automerge decodes
/// them, a merged document over them before it is hydrated, and a malformed document fails
/// hydration, all before any write. `None` if nothing changed.
fn merge_remote(
    existing: Option<(AutoCommit, u32)>,
    id: CustomerId,
    bytes: &[u8],
) -> Result<Option<Merged>> {
    let refuse = |reason: String| StoreError::BadDocument {
        id,
        reason: format!("peer data refused: {reason}"),
    };
    limits::check_bytes(bytes).map_err(refuse)?;
    // A document new here that loads strictly can be stored exactly as received (no re-save);
    // anything else is merged incrementally and saved by us.
    let mut verbatim = false;
    let (mut doc, chunks, old_heads, is_new) = match existing {
        Some((mut d, n)) => {
            let h = d.get_heads();
            (d, n, h, false)
        }
        None => match AutoCommit::load(bytes) {
            Ok(d) => {
                verbatim = true;
                (d, 0, Vec::new(), true)
            }
            Err(_) => (AutoCommit::new(), 0, Vec::new(), true),
        },
    };
    if !verbatim {
        doc.load_incremental(bytes).map_err(|e| StoreError::BadDocument {
            id,
            reason: match e {
                automerge::AutomergeError::DuplicateSeqNumber(seq, actor) => format!(
                    "two different changes both claim to be change {seq} by device {}: that device's data directory has probably been copied to a second computer and both copies were used. Keep one copy; on the other, move its data directory away and pair it as a new device",
                    actor.to_hex_string().chars().take(8).collect::<String>()
                ),
                e => format!("peer data does not load: {e}"),
            },
        })?;
    }
    if doc.get_heads() == old_heads {
        return Ok(None);
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(StoreError::BadDocument {
            id,
            reason: MISSING_DEPS.into(),
        });
    }
    limits::check_loaded(&doc).map_err(refuse)?;
    let customer = doc::hydrate(&doc, id)?;
    Ok(Some(Merged {
        doc,
        chunks,
        old_heads,
        is_new,
        verbatim,
        customer,
    }))
}

/// Signature rows for a peer's new changes, to write beside the merged document.
pub(crate) struct NewRows {
    pub(crate) rows: Vec<([u8; 32], authored::SigRow)>,
    /// Some change has no author signature (merged outside a signed team).
    pub(crate) unsigned: bool,
}

impl NewRows {
    pub(crate) fn write(
        self,
        sigs: &mut redb::Table<'_, (u128, [u8; 32]), &'static [u8]>,
        unsigned: &mut redb::Table<'_, u128, ()>,
        key: u128,
    ) -> Result<()> {
        for (h, row) in self.rows {
            sigs.insert((key, h), postcard::to_stdvec(&row)?.as_slice())?;
        }
        if self.unsigned {
            unsigned.insert(key, ())?;
        }
        Ok(())
    }
}

/// Checks who made each of the peer's new changes in `m` ([`authored::attribute`]) when this
/// device is in a signed team `team`; refuses the document if one does not count. Returns the
/// rows to record (with each change's verified signatures and its arrival time).
fn check_authors(
    team: Option<&rapport_team::TeamState>,
    id: CustomerId,
    m: &mut Merged,
    sigs: &[([u8; 32], authored::Sig)],
    now: Timestamp,
) -> Result<NewRows> {
    check_changes(team, id.as_u128(), &mut m.doc, &m.old_heads, sigs, now)
        .map_err(|reason| StoreError::BadDocument { id, reason })
}

/// [`check_authors`] for any document (`key` in `change_sigs`).
pub(crate) fn check_changes(
    team: Option<&rapport_team::TeamState>,
    key: u128,
    doc: &mut AutoCommit,
    old_heads: &[ChangeHash],
    sigs: &[([u8; 32], authored::Sig)],
    now: Timestamp,
) -> std::result::Result<NewRows, String> {
    let changes = authored::infos(doc, old_heads);
    // Signatures by the wire prefix of the hash they name; each is verified against the
    // whole hash of a change with that prefix.
    let mut by_prefix: BTreeMap<[u8; 32], Vec<&authored::Sig>> = BTreeMap::new();
    for (h, s) in sigs {
        let v = by_prefix.entry(authored::prefix_of(h)).or_default();
        if v.len() < 4 * authored::MAX_SIGS_PER_CHANGE {
            v.push(s);
        }
    }
    let mut by_hash: BTreeMap<[u8; 32], Vec<authored::Sig>> = BTreeMap::new();
    for c in &changes {
        let Some(candidates) = by_prefix.get(&authored::prefix_of(&c.hash.0)) else {
            continue;
        };
        let v = by_hash.entry(c.hash.0).or_default();
        for s in candidates {
            if v.len() < authored::MAX_SIGS_PER_CHANGE
                && !v.iter().any(|x| x.by == s.by)
                && authored::verify_sig(key, &c.hash, s)
            {
                v.push((*s).clone());
            }
        }
    }
    let mut out = NewRows {
        rows: Vec::with_capacity(changes.len()),
        unsigned: false,
    };
    // Which changes build on signed history (computed only if an unsigned change came).
    let mut signed_era: Option<std::collections::HashSet<ChangeHash>> = None;
    for c in &changes {
        let h = c.hash;
        let valid = by_hash.remove(&h.0).unwrap_or_default();
        let unsigned_actor = authored::actor_key(&c.actor).is_none();
        if team.is_some() && unsigned_actor && signed_era.is_none() {
            let all = authored::infos(doc, &[]);
            let mut era = std::collections::HashSet::new();
            // Until nothing more joins (whatever order the metadata comes in).
            loop {
                let before = era.len();
                for x in &all {
                    if !era.contains(&x.hash)
                        && (authored::actor_key(&x.actor).is_some()
                            || x.deps.iter().any(|d| era.contains(d)))
                    {
                        era.insert(x.hash);
                    }
                }
                if era.len() == before {
                    break;
                }
            }
            signed_era = Some(era);
        }
        let builds_on_signed = signed_era
            .as_ref()
            .is_some_and(|era| c.deps.iter().any(|d| era.contains(d)));
        let author = authored::actor_key(&c.actor).filter(|k| valid.iter().any(|s| s.by == *k));
        if let Some(st) = team {
            authored::attribute(st, c, &valid, builds_on_signed).map_err(|why| {
                format!(
                    "refused {why} (change {} of {})",
                    &h.to_string()[..12],
                    data_encoding::HEXLOWER.encode(&c.actor[..c.actor.len().min(4)])
                )
            })?;
        } else if author.is_none() {
            out.unsigned = true;
        }
        out.rows.push((
            h.0,
            authored::SigRow {
                arrived_ms: now.timestamp_millis(),
                author,
                sigs: valid,
            },
        ));
    }
    Ok(out)
}

/// Checks that each new signed settings change's author was an admin (or the owner) in the
/// team as it knew it: the team log's heads its message names ([`ChangeMessage::team`]).
/// Deciding by the author's knowledge, not by this device's, is what makes every device
/// decide the same way, whatever order the team and the settings arrived in.
pub(crate) fn check_settings_roles(
    log: &rapport_team::Log,
    team: &rapport_team::Hash,
    doc: &mut AutoCommit,
    old_heads: &[ChangeHash],
) -> std::result::Result<(), String> {
    for c in authored::infos(doc, old_heads) {
        let Some(author) = authored::actor_key(&c.actor) else {
            continue; // unsigned history: checked by `check_changes`
        };
        let heads: Vec<rapport_team::Hash> = c
            .message
            .as_deref()
            .and_then(|m| serde_json::from_str::<ChangeMessage>(m).ok())
            .map(|m| {
                m.team
                    .iter()
                    .take(rapport_team::MAX_DEPS)
                    .filter_map(|h| rapport_team::parse_key(h))
                    .collect()
            })
            .unwrap_or_default();
        let admin = log
            .state_at(team, &heads)
            .and_then(|st| st.role(&author))
            .is_some_and(|r| r >= rapport_team::Role::Admin);
        if !admin {
            return Err(format!(
                "refused a settings change by {}, which was not an admin in the team it names (change {})",
                &rapport_team::key_hex(&author)[..8],
                &c.hash.to_string()[..12]
            ));
        }
    }
    Ok(())
}

impl Store {
    /// Merges bytes from a peer (a whole saved document or incremental changes) into customer
    /// `id`, creating it if unknown. Returns whether anything changed. The merged document is
    /// checked before it is written: one over the [`limits`], a malformed one, or one that
    /// claims another id, is refused (and quarantined, see [`Store::quarantined`]) and the
    /// store's documents are left as they were.
    pub fn apply_remote(&self, id: CustomerId, bytes: &[u8]) -> Result<bool> {
        let mut applied = self.apply_remote_from(None, &[(id, bytes)])?;
        match applied.refused.pop() {
            Some((_, e)) => Err(e),
            None => Ok(applied.changed > 0),
        }
    }

    /// [`Store::apply_remote_from`] with no peer named: returns how many documents changed.
    pub fn apply_remote_many(&self, docs: &[(CustomerId, &[u8])]) -> Result<usize> {
        Ok(self.apply_remote_from(None, docs)?.changed)
    }

    /// Refuses data from peers when the store's disk has less than
    /// [`OpenOptions::min_free_for_peers`](crate::OpenOptions::min_free_for_peers) free: this
    /// device's own edits keep the room.
    fn check_room_for_peers(&self) -> Result<()> {
        let free = available_bytes(&self.dir);
        if free < self.min_free_for_peers {
            return Err(StoreError::Refused(format!(
                "refused data from peers: the disk holding {} has {} MiB free, less than the {} MiB kept for this device's own edits; free some space and sync again",
                self.dir.display(),
                free >> 20,
                self.min_free_for_peers >> 20
            )));
        }
        Ok(())
    }

    /// Merges many peer documents in one durable transaction (what sync does with each frame
    /// it receives). Each document is checked on its own: a bad one is refused alone and
    /// recorded in the quarantine (with `peer`, when known), the others land. Only a failure of
    /// the store itself (disk, damage) fails the call, and then nothing is written.
    pub fn apply_remote_from(
        &self,
        peer: Option<&str>,
        docs: &[(CustomerId, &[u8])],
    ) -> Result<Applied> {
        let mut unlimited = Quota::UNLIMITED;
        self.apply_remote_batch(peer, docs, false, &mut unlimited, false)
    }

    /// [`Store::apply_remote_from`] within what `quota` has left (what sync does: one quota
    /// per session). A document that is new here when no new document is left, or whose bytes
    /// exceed the bytes left, is refused and quarantined like a bad one; `quota` is charged
    /// for every document tried.
    pub fn apply_remote_within(
        &self,
        peer: Option<&str>,
        docs: &[(CustomerId, &[u8])],
        quota: &mut Quota,
    ) -> Result<Applied> {
        self.apply_remote_batch(peer, docs, false, quota, true)
    }

    /// All of `docs` or none (restoring a backup): the first bad document fails the call and
    /// nothing is written or quarantined.
    pub(crate) fn apply_remote_all(&self, docs: &[(CustomerId, &[u8])]) -> Result<usize> {
        let mut unlimited = Quota::UNLIMITED;
        Ok(self
            .apply_remote_batch(None, docs, true, &mut unlimited, false)?
            .changed)
    }

    fn apply_remote_batch(
        &self,
        peer: Option<&str>,
        docs: &[(CustomerId, &[u8])],
        strict: bool,
        quota: &mut Quota,
        daily: bool,
    ) -> Result<Applied> {
        if !strict {
            self.check_room_for_peers()?;
        }
        let now = self.now();
        // A restore (strict) brings this device's own data back: it is not checked against
        // the team, only listed as unsigned.
        let team = if strict { None } else { self.team_state()? };
        let txn = self.begin_write()?;
        let mut events = Vec::new();
        let mut refused = Vec::new();
        {
            let mut w = Writer::open(&txn)?;
            // A sync session is also held to the peer's day, over all its sessions.
            let day_key = peer
                .filter(|_| daily)
                .map(|p| p.chars().take(200).collect::<String>());
            let today = now.timestamp().div_euclid(86_400);
            let mut used = match &day_key {
                Some(k) => txn
                    .open_table(PEER_DAY)?
                    .get(k.as_str())?
                    .and_then(|g| postcard::from_bytes::<DayUse>(g.value()).ok())
                    .filter(|u| u.day == today)
                    .unwrap_or(DayUse {
                        day: today,
                        ..DayUse::default()
                    }),
                None => DayUse::default(),
            };
            let mut day_left = Quota {
                new_docs: self.daily_quota.new_docs.saturating_sub(used.new_docs),
                bytes: self.daily_quota.bytes.saturating_sub(used.bytes),
            };
            for (id, bytes) in docs {
                let id = *id;
                let existing = load_doc(&w.docs, &w.changes, id)?;
                let mut over_quota = quota.charge(existing.is_none(), bytes.len());
                if over_quota.is_ok() && day_key.is_some() {
                    over_quota = day_left
                        .charge(existing.is_none(), bytes.len())
                        .map_err(|e| e.replace("for this session", "for today (UTC)"));
                    if over_quota.is_ok() {
                        used.bytes += bytes.len() as u64;
                        used.new_docs += u64::from(existing.is_none());
                    }
                }
                let merge = match over_quota.clone() {
                    Err(reason) => Err(StoreError::BadDocument { id, reason }),
                    // Peer bytes go through automerge's decoder and our hydration: a panic in
                    // either on hostile input must refuse the data, not take the device down.
                    Ok(()) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let delivery = authored::Delivery::decode(bytes)
                            .map_err(|reason| StoreError::BadDocument { id, reason })?;
                        let Some(mut m) = merge_remote(existing, id, &delivery.doc)? else {
                            return Ok(None);
                        };
                        let rows = check_authors(team.as_deref(), id, &mut m, &delivery.sigs, now)?;
                        Ok(Some((m, rows, delivery.doc)))
                    }))
                    .unwrap_or_else(|_| {
                        Err(StoreError::BadDocument {
                            id,
                            reason: "peer data made the document decoder fail".into(),
                        })
                    }),
                };
                let merge = match merge {
                    Ok(m) => m,
                    Err(e) if strict => return Err(e),
                    Err(e) => {
                        tracing::warn!(customer = %id, peer = peer.unwrap_or("?"), error = %e,
                            "refused a peer's document; quarantined it");
                        quarantine_in(&txn, DocRef::Customer(id), peer, &e, bytes, now)?;
                        // Over the quota, or changes whose dependencies went missing, can
                        // happen to an honest peer; anything else pauses sync with it.
                        if over_quota.is_ok() && !e.to_string().contains(MISSING_DEPS) {
                            pause_in(&txn, Some(peer), &e, now)?;
                        }
                        refused.push((id, e));
                        continue;
                    }
                };
                let Some((
                    Merged {
                        mut doc,
                        chunks,
                        old_heads,
                        is_new,
                        verbatim,
                        customer: merged,
                    },
                    rows,
                    raw,
                )) = merge
                else {
                    continue;
                };
                rows.write(&mut w.sigs, &mut w.unsigned, id.as_u128())?;
                if verbatim {
                    w.docs.insert(id.as_u128(), raw.as_slice())?;
                } else if is_new {
                    w.docs.insert(id.as_u128(), doc.save().as_slice())?;
                } else {
                    w.store_changes(&mut doc, id, &old_heads, chunks)?;
                }
                let old = w.summary(id)?;
                let heads = w.index(&mut doc, &merged, old.as_ref())?;
                w.bump_seq(id.as_u128())?;
                events.push((id, heads));
            }
            if let Some(k) = &day_key {
                txn.open_table(PEER_DAY)?
                    .insert(k.as_str(), postcard::to_stdvec(&used)?.as_slice())?;
            }
        }
        if events.is_empty() && refused.is_empty() {
            return Ok(Applied::default());
        }
        self.commit(txn)?;
        let changed = events.len();
        for (id, heads) in events {
            self.notify(DocRef::Customer(id), heads, Origin::Remote);
        }
        Ok(Applied { changed, refused })
    }

    /// The peer documents this store refused, newest refusal last. Quarantine is a record, not
    /// a block and not damage: [`Store::verify`] ignores it, and later changes to the same
    /// document are checked afresh.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(QUARANTINE)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            let Some(doc) = quarantine_doc(k.value()) else {
                continue;
            };
            let r: QuarantineRow = postcard::from_bytes(v.value())?;
            out.push(Quarantined {
                doc,
                reason: r.reason,
                peer: r.peer,
                at: rapport_model::timestamp_from_millis(r.at_ms),
                refusals: r.refusals,
                len: r.len,
                hash: r.hash,
                bytes: r.bytes,
            });
        }
        out.sort_by_key(|q| q.at);
        Ok(out)
    }

    /// The peers whose sync is paused because they sent data that was refused, by peer id.
    /// Sync with them stays paused, both ways, until [`Store::resume_peer`] (or they are
    /// revoked).
    pub fn paused_peers(&self) -> Result<BTreeMap<String, Paused>> {
        let txn = self.db.begin_read()?;
        let mut out = BTreeMap::new();
        let Ok(t) = txn.open_table(PAUSED) else {
            return Ok(out); // a store from before pausing, opened read-only
        };
        for row in t.iter()? {
            let (k, v) = row?;
            if let Ok(r) = postcard::from_bytes::<PausedRow>(v.value()) {
                out.insert(
                    k.value().to_string(),
                    Paused {
                        at: rapport_model::timestamp_from_millis(r.at_ms),
                        reason: r.reason,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Whether sync with `peer` is paused, and why.
    pub fn peer_paused(&self, peer: &str) -> Result<Option<Paused>> {
        Ok(self.paused_peers()?.remove(peer))
    }

    /// Resumes sync with `peer` (a person looked at why it was paused). Returns whether it
    /// was paused. What it sent stays in quarantine; anything it sends again is checked anew.
    pub fn resume_peer(&self, peer: &str) -> Result<bool> {
        let txn = self.begin_write()?;
        let had = txn.open_table(PAUSED)?.remove(peer)?.is_some();
        self.commit(txn)?;
        Ok(had)
    }

    /// Forgets the quarantine record of `doc` (after someone looked at it). Returns whether
    /// there was one.
    pub fn release_quarantined(&self, doc: DocRef) -> Result<bool> {
        let txn = self.begin_write()?;
        let had = txn
            .open_table(QUARANTINE)?
            .remove(quarantine_key(doc).as_str())?
            .is_some();
        self.commit(txn)?;
        Ok(had)
    }
}

/// Bytes an unprivileged writer may still use on the disk holding `dir` (`u64::MAX` where
/// that cannot be known).
fn available_bytes(dir: &Path) -> u64 {
    #[cfg(unix)]
    {
        match rustix::fs::statvfs(dir) {
            Ok(v) => v.f_bavail.saturating_mul(v.f_frsize),
            Err(_) => u64::MAX,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        u64::MAX
    }
}
