//! Undoing what one device did: the recovery for a paired device that went bad (wiped,
//! confused, or malicious) and synced deletes and overwrites to the whole team.
//!
//! For every customer the device changed (since a given time), the store rebuilds the
//! document without that device's changes — and without any change built on top of them — and
//! writes, as an ordinary new change by this device, the edits that bring the fields the bad
//! device touched back to those values ([`rapport_model::edits_between`]). Nothing is
//! rewritten: the bad changes stay in history, the undo syncs like any edit, and it can itself
//! be undone. A field that another device changed after it had received the bad change is left
//! as it is (a person fixed it already) and counted in [`UndoReport::kept`].

use std::collections::{BTreeMap, BTreeSet, HashSet};

use automerge::{AutoCommit, ChangeHash};
use rapport_model::{CustomerId, Edit, Timestamp};
use rapport_team::TeamState;
use redb::ReadableTable;

use crate::authored::{self, SigRow};
use crate::tables::load_doc;
use crate::write::Writer;
use crate::{ChangeMessage, DocRef, Origin, Result, Store, StoreError, doc};

/// What [`Store::undo_device`] did (or would do, on a dry run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UndoReport {
    /// Changes by the device that were found.
    pub changes: usize,
    /// Customers given an undo change.
    pub customers: usize,
    /// Edits written in all.
    pub edits: usize,
    /// Fields left alone because another device changed them after the bad one.
    pub kept: usize,
    /// Customers the device created, now deleted (tombstones, restorable).
    pub deleted: usize,
    /// Customers left as they are: deleted by someone else after the device changed them, or
    /// whose undo edits were refused (a value the rules no longer accept).
    pub skipped: usize,
}

/// Whether change `meta` was made by `who` (a device name as it signs its changes, or an
/// actor id or a prefix of at least 8 hex digits) at or after `since` (Unix seconds).
fn by(who: &str, since: i64, actor: &str, message: Option<&str>, time: i64) -> bool {
    if time < since {
        return false;
    }
    let who_lower = who.to_lowercase();
    if who.len() >= 8 && actor.starts_with(&who_lower) {
        return true;
    }
    message
        .and_then(|m| serde_json::from_str::<ChangeMessage>(m).ok())
        .is_some_and(|m| m.device == who)
}

fn fields_of(message: Option<&str>) -> Vec<String> {
    message
        .and_then(|m| serde_json::from_str::<ChangeMessage>(m).ok())
        .map(|m| m.fields)
        .unwrap_or_default()
}

/// How to undo one document.
struct Plan {
    /// The device's changes found.
    changes: usize,
    edits: Vec<Edit>,
    /// Fields left because others changed them later.
    kept: usize,
    /// The device created the customer.
    created: bool,
    /// Someone else deleted the customer later: it stays deleted.
    stays_deleted: bool,
}

/// Which changes are the device's: by what it claims (a store in no signed team), or by
/// the signed attribution (in a signed team).
enum Who<'a> {
    Claimed(&'a str),
    Device([u8; 32]),
}

impl Who<'_> {
    /// Whether change `c` (with its signature row) is the device's and counts from `since`.
    /// Signed changes are timed by when they arrived here, not by the time they claim, so a
    /// backdated change is not missed.
    fn made(
        &self,
        st: Option<&TeamState>,
        c: &automerge::Change,
        row: Option<&SigRow>,
        since: i64,
    ) -> bool {
        match self {
            Who::Claimed(who) => by(
                who,
                since,
                &c.actor_id().to_hex_string(),
                c.message(),
                c.timestamp(),
            ),
            Who::Device(d) => {
                let a = authored::attribution_of(st, &authored::ChangeInfo::of_change(c), row);
                let time = row.map_or(c.timestamp(), |r| r.arrived_ms.div_euclid(1000));
                // An unsigned change nobody declared is the voucher's (an admin's) to answer for.
                time >= since
                    && (a.device == Some(*d) || (a.device.is_none() && a.vouched_by == Some(*d)))
            }
        }
    }
}

/// The edits that undo `who`'s changes to one document (`None` if it has none).
fn plan(
    doc: &mut AutoCommit,
    id: CustomerId,
    who: &Who<'_>,
    st: Option<&TeamState>,
    rows: &BTreeMap<[u8; 32], SigRow>,
    since: i64,
) -> Result<Option<Plan>> {
    let changes: Vec<automerge::Change> = doc.get_changes(&[]);
    let mut excluded: HashSet<ChangeHash> = HashSet::new();
    let mut bad = 0;
    let mut bad_fields: BTreeSet<String> = BTreeSet::new();
    let mut revert_all = false;
    for c in &changes {
        let msg = c.message();
        if who.made(st, c, rows.get(&c.hash().0), since) {
            bad += 1;
            // What a change says it touched is its author's claim: a signed device's changes,
            // and any change without that claim, are undone in every field they changed
            // (the difference with the document rebuilt without them), not only the claimed.
            let claimed = fields_of(msg);
            revert_all |= claimed.is_empty() || matches!(who, Who::Device(_));
            bad_fields.extend(claimed);
            excluded.insert(c.hash());
        }
    }
    if bad == 0 {
        return Ok(None);
    }
    // A change built on an excluded one (made by someone who had seen it) is excluded too;
    // repeat until nothing more is, whatever order the changes come in.
    let mut later: BTreeSet<String> = BTreeSet::new();
    loop {
        let mut grew = false;
        for c in &changes {
            if !excluded.contains(&c.hash()) && c.deps().iter().any(|d| excluded.contains(d)) {
                excluded.insert(c.hash());
                // Fields someone changed after seeing the bad change are theirs now.
                later.extend(fields_of(c.message()));
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let kept = bad_fields.iter().filter(|f| later.contains(*f)).count();
    let fields: BTreeSet<&str> = if revert_all {
        rapport_model::FIELDS
            .iter()
            .copied()
            .filter(|f| !later.contains(*f))
            .collect()
    } else {
        bad_fields
            .iter()
            .filter(|f| !later.contains(*f))
            .map(String::as_str)
            .collect()
    };
    let now = doc::hydrate(doc, id)?;
    let good: Vec<automerge::Change> = changes
        .into_iter()
        .filter(|c| !excluded.contains(&c.hash()))
        .collect();
    if good.is_empty() {
        // The device created this customer: undoing it is deleting it (a tombstone).
        let edits = if now.deleted_at.is_none() {
            vec![Edit::Delete]
        } else {
            Vec::new()
        };
        return Ok(Some(Plan {
            changes: bad,
            edits,
            kept,
            created: true,
            stays_deleted: false,
        }));
    }
    let mut without = AutoCommit::new();
    without.apply_changes(good)?;
    let before = doc::hydrate(&without, id)?;
    let edits = rapport_model::edits_between(&now, &before, &fields);
    // Deleted now, and not by the device being undone: someone decided that later; the
    // customer stays deleted (it can be restored by hand, history intact).
    if now.deleted_at.is_some() && !edits.iter().any(|e| matches!(e, Edit::Restore)) {
        return Ok(Some(Plan {
            changes: bad,
            edits: Vec::new(),
            kept,
            created: false,
            stays_deleted: true,
        }));
    }
    Ok(Some(Plan {
        changes: bad,
        edits,
        kept,
        created: false,
        stays_deleted: false,
    }))
}

impl Store {
    /// Undoes every change that device `who` made at or after `since`, in one durable
    /// transaction; with `dry_run`, only reports what it would do. Loads every document once.
    ///
    /// In a signed team `who` is a device id (or an 8+ digit prefix, or its name in the team)
    /// and its changes are those it signed or vouched for ([`authored`]), timed by when they
    /// arrived here: fresh actors, a laundering change relayed under another actor and
    /// backdated times do not hide any. Otherwise `who` is the name a device signs its
    /// changes with, or its actor id or an 8+ digit prefix of it.
    pub fn undo_device(
        &self,
        who: &str,
        since: Option<Timestamp>,
        dry_run: bool,
    ) -> Result<UndoReport> {
        if who.trim().is_empty() {
            return Err(StoreError::Invalid(rapport_model::ValidationError::Empty {
                field: "device",
            }));
        }
        // The same rule as `by`: an actor prefix counts from 8 digits on (a
        // one-letter name like `B` is not this device because its actor starts with `b`).
        let actor_prefix = who.len() >= 8 && self.device().actor.starts_with(&who.to_lowercase());
        if who == self.device().name || actor_prefix {
            return Err(StoreError::Refused(format!(
                "`{who}` is this device; undo another device's changes"
            )));
        }
        // In a signed team the device is found by id (or its signed name), and its changes
        // by signature, not by what they claim.
        let team = self.team_state()?;
        let target = team.as_deref().and_then(|st| {
            let w = who.trim().to_lowercase();
            st.devices
                .values()
                .find(|d| rapport_team::key_hex(&d.id) == w)
                .or_else(|| {
                    (w.len() >= 8)
                        .then(|| {
                            st.devices
                                .values()
                                .find(|d| rapport_team::key_hex(&d.id).starts_with(&w))
                        })
                        .flatten()
                })
                .or_else(|| st.devices.values().find(|d| d.name.to_lowercase() == w))
                .map(|d| d.id)
        });
        if target.is_some_and(|t| rapport_team::key_hex(&t) == self.device_id()) {
            return Err(StoreError::Refused(format!(
                "`{who}` is this device; undo another device's changes"
            )));
        }
        let who_is = match target {
            Some(d) => Who::Device(d),
            None => Who::Claimed(who),
        };
        let since = since.map_or(i64::MIN, |t| t.timestamp());
        let now = self.now();
        let mut report = UndoReport::default();
        let txn = self.begin_write()?;
        let mut events = Vec::new();
        {
            let mut w = Writer::open(&txn)?;
            let ids: Vec<u128> = w
                .docs
                .iter()?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<std::result::Result<_, _>>()?;
            for key in ids {
                let id = CustomerId::from_u128(key);
                let Some((mut doc, _)) = load_doc(&w.docs, &w.changes, id)? else {
                    continue;
                };
                let Some(Plan {
                    changes,
                    edits,
                    kept,
                    created,
                    stays_deleted,
                }) = plan(
                    &mut doc,
                    id,
                    &who_is,
                    team.as_deref(),
                    &authored::rows_of(&w.sigs, key)?,
                    since,
                )?
                else {
                    continue;
                };
                report.changes += changes;
                report.kept += kept;
                report.skipped += usize::from(stays_deleted);
                if edits.is_empty() {
                    continue;
                }
                report.customers += 1;
                report.edits += edits.len();
                report.deleted += usize::from(created);
                if dry_run {
                    continue;
                }
                // Un-deleting is its own change: a deleted customer takes no other edit.
                let (restore, rest): (Vec<Edit>, Vec<Edit>) =
                    edits.into_iter().partition(|e| matches!(e, Edit::Restore));
                for step in [restore, rest] {
                    if step.is_empty() {
                        continue;
                    }
                    // A refused edit is refused before anything of it is written: skip this
                    // customer, undo the others.
                    match self.edit_in(&mut w, id, &step, now) {
                        Ok((_, Some(heads))) => events.push((id, heads)),
                        Ok((_, None)) => {}
                        Err(StoreError::Invalid(e)) => {
                            tracing::warn!(%id, error = %e, "undo: edit refused, customer skipped");
                            report.skipped += 1;
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        if dry_run || events.is_empty() {
            return Ok(report);
        }
        self.commit(txn)?;
        for (id, heads) in events {
            self.notify(DocRef::Customer(id), heads, Origin::Local);
        }
        Ok(report)
    }
}
