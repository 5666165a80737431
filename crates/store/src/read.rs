//! Reads: documents and their bytes for sync, summaries, listing, the agenda, resolving a
//! customer by id or name, history and conflicts.
//!
//! Invariants: listing, sorting, filtering and the agenda read only the summary table and its
//! indexes, never a document; a document is loaded only to show one customer, its history or
//! conflicts, or to send its changes to a peer (with their signatures, see
//! [`Store::changes_since`]).

use std::collections::BTreeMap;

use automerge::{AutoCommit, ChangeHash, ROOT, ReadDoc};
use rapport_model::{Customer, CustomerId, CustomerSummary, text};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

use crate::tables::{
    AGENDA, BY_NAME, BY_TAG, CHANGES, DOCS, HEADS, SUMMARIES, decode_heads, decode_summary,
    load_doc,
};
use crate::{
    AgendaItem, ChangeMessage, HistoryEntry, ListQuery, Result, Store, StoreError, Visibility,
    authored, doc,
};

impl Store {
    /// The stored bytes of customer `id` (snapshot followed by change chunks), which
    /// automerge loads as one document; no automerge work. `None` if unknown.
    pub fn document_bytes(&self, id: CustomerId) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let docs = txn.open_table(DOCS)?;
        let Some(base) = docs.get(id.as_u128())? else {
            return Ok(None);
        };
        let mut out = base.value().to_vec();
        let changes = txn.open_table(CHANGES)?;
        let key = id.as_u128();
        for row in changes.range((key, 0)..=(key, u32::MAX))? {
            out.extend_from_slice(row?.1.value());
        }
        Ok(Some(out))
    }

    /// The customer's automerge document (for sync and for tests).
    pub fn document(&self, id: CustomerId) -> Result<AutoCommit> {
        let txn = self.db.begin_read()?;
        let docs = txn.open_table(DOCS)?;
        let changes = txn.open_table(CHANGES)?;
        load_doc(&docs, &changes, id)?
            .map(|(d, _)| d)
            .ok_or_else(|| StoreError::NotFound(id.to_string()))
    }

    /// The changes of customer `id` that a peer holding `have` lacks, as bytes for
    /// [`Store::apply_remote`]: an [`authored::Delivery`] of `save_after` the heads this store
    /// knows (or the whole document when it knows none of them) with the signatures of the
    /// changes in it, this device's voucher added where the author is not a current member.
    /// `None` if the store has no such document; empty bytes when the peer already has
    /// everything.
    pub fn changes_since(&self, id: CustomerId, have: &[ChangeHash]) -> Result<Option<Vec<u8>>> {
        let team = self.team_state()?;
        let key = id.as_u128();
        let txn = self.db.begin_read()?;
        let docs = txn.open_table(DOCS)?;
        let changes_t = txn.open_table(CHANGES)?;
        let rows = authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, key)?;
        let unsigned = txn.open_table(authored::UNSIGNED_DOCS)?.get(key)?.is_some();
        if have.is_empty() && !unsigned && authored::rows_suffice(team.as_deref(), &rows) {
            // Every change is signed by a current member: send the stored bytes as they are.
            let Some(base) = docs.get(key)? else {
                return Ok(None);
            };
            let mut bytes = base.value().to_vec();
            for row in changes_t.range((key, 0)..=(key, u32::MAX))? {
                bytes.extend_from_slice(row?.1.value());
            }
            let delivery = authored::Delivery {
                doc: bytes,
                sigs: authored::stored(&rows),
            };
            return Ok(Some(delivery.encode()));
        }
        let Some((mut doc, _)) = load_doc(&docs, &changes_t, id)? else {
            return Ok(None);
        };
        let known: Vec<ChangeHash> = have
            .iter()
            .filter(|h| doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        let changes = authored::infos(&mut doc, &known);
        if changes.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let sigs = authored::outgoing(team.as_deref(), &self.team_key(), key, &changes, &rows);
        let bytes = if known.is_empty() {
            doc.save()
        } else {
            doc.save_after(&known)
        };
        Ok(Some(authored::Delivery { doc: bytes, sigs }.encode()))
    }

    /// Whether this store holds every change named in `heads` for customer `id`.
    pub fn knows(&self, id: CustomerId, heads: &[ChangeHash]) -> Result<bool> {
        match self.document(id) {
            Ok(mut d) => Ok(heads.iter().all(|h| d.get_change_meta_by_hash(h).is_some())),
            Err(StoreError::NotFound(_)) => Ok(heads.is_empty()),
            Err(e) => Err(e),
        }
    }

    /// The full customer (loads and hydrates its document).
    pub fn customer(&self, id: CustomerId) -> Result<Customer> {
        let doc = self.document(id)?;
        doc::hydrate(&doc, id)
    }

    /// The stored summary row of `id`.
    pub fn summary(&self, id: CustomerId) -> Result<Option<CustomerSummary>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(SUMMARIES)?;
        t.get(id.as_u128())?
            .map(|g| decode_summary(g.value()))
            .transpose()
    }

    /// Every summary row (for value analysis and full scans), in id order.
    pub fn summaries(&self) -> Result<Vec<CustomerSummary>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(SUMMARIES)?;
        let mut out = Vec::with_capacity(usize::try_from(t.len()?).unwrap_or(0));
        for row in t.iter()? {
            out.push(decode_summary(row?.1.value())?);
        }
        Ok(out)
    }

    /// Number of customer documents (including archived and deleted ones).
    pub fn count(&self) -> Result<u64> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(DOCS)?.len()?)
    }

    /// Every customer id with its document heads (for sync's digest), in id order.
    pub fn heads(&self) -> Result<Vec<(CustomerId, Vec<ChangeHash>)>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(HEADS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            let (k, v) = row?;
            out.push((CustomerId::from_u128(k.value()), decode_heads(v.value())));
        }
        Ok(out)
    }

    /// Every document id, in id order.
    pub fn ids(&self) -> Result<Vec<CustomerId>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(DOCS)?;
        let mut out = Vec::new();
        for row in t.iter()? {
            out.push(CustomerId::from_u128(row?.0.value()));
        }
        Ok(out)
    }

    /// Customers in name order, from the summary table and its indexes only.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<CustomerSummary>> {
        let txn = self.db.begin_read()?;
        let sums = txn.open_table(SUMMARIES)?;
        let limit = q.limit.unwrap_or(usize::MAX);
        let text = q.text.as_deref().map(text::fold).filter(|t| !t.is_empty());
        let keep = |s: &CustomerSummary| {
            let vis = match q.visibility {
                Visibility::Active => !s.archived && !s.deleted,
                Visibility::WithArchived => !s.deleted,
                Visibility::Deleted => s.deleted,
            };
            vis && text.as_deref().is_none_or(|t| s.matches(t))
        };
        let get = |id: u128| -> Result<Option<CustomerSummary>> {
            sums.get(id)?.map(|g| decode_summary(g.value())).transpose()
        };
        let mut out = Vec::new();
        if let Some(tag) = &q.tag {
            let tag = text::fold(tag);
            let by_tag = txn.open_table(BY_TAG)?;
            let mut hits = Vec::new();
            for row in by_tag.range((tag.as_str(), 0)..=(tag.as_str(), u128::MAX))? {
                if let Some(s) = get(row?.0.value().1)?
                    && keep(&s)
                {
                    hits.push(s);
                }
            }
            hits.sort_by(|a, b| (&a.sort_key, a.id).cmp(&(&b.sort_key, b.id)));
            out = hits.into_iter().skip(q.offset).take(limit).collect();
        } else {
            let by_name = txn.open_table(BY_NAME)?;
            let mut skipped = 0;
            for row in by_name.iter()? {
                if out.len() >= limit {
                    break;
                }
                let id = row?.0.value().1;
                if let Some(s) = get(id)?
                    && keep(&s)
                {
                    if skipped < q.offset {
                        skipped += 1;
                    } else {
                        out.push(s);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Open follow-ups of active customers due up to and including `until` (all if `None`),
    /// earliest first, from the agenda index.
    pub fn agenda(&self, until: Option<chrono::NaiveDate>) -> Result<Vec<AgendaItem>> {
        let txn = self.db.begin_read()?;
        let agenda = txn.open_table(AGENDA)?;
        let sums = txn.open_table(SUMMARIES)?;
        // Due texts start with the date, so everything due on `until` sorts before `until`+1.
        let bound = until
            .and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string());
        let mut out = Vec::new();
        for row in agenda.iter()? {
            let row = row?;
            let (due, cid, fid) = row.0.value();
            if bound.as_deref().is_some_and(|b| due >= b) {
                break;
            }
            let Some(s) = sums
                .get(cid)?
                .map(|g| decode_summary(g.value()))
                .transpose()?
            else {
                continue;
            };
            if let Some(f) = s.open_followups.iter().find(|f| f.id.as_u128() == fid) {
                out.push(AgendaItem {
                    customer: s.id,
                    customer_name: s.name.clone(),
                    followup: f.clone(),
                });
            }
        }
        Ok(out)
    }

    /// Finds one customer by full id, unique id prefix (at least 4 hex digits) or exact name
    /// (case- and width-insensitive). Deleted customers are found too.
    pub fn resolve(&self, query: &str) -> Result<CustomerId> {
        let q = query.trim();
        if let Ok(id) = q.parse::<CustomerId>()
            && self.summary(id)?.is_some()
        {
            return Ok(id);
        }
        let txn = self.db.begin_read()?;
        let sums = txn.open_table(SUMMARIES)?;
        let is_hex = q.len() >= 4 && q.len() <= 32 && q.chars().all(|c| c.is_ascii_hexdigit());
        if is_hex {
            let shift = 4 * (32 - q.len() as u32);
            if let Ok(prefix) = u128::from_str_radix(q, 16) {
                let lo = prefix.checked_shl(shift).unwrap_or(0);
                let hi = lo | (u128::MAX.checked_shr(128 - shift).unwrap_or(0));
                let hits: Vec<u128> = sums
                    .range(lo..=hi)?
                    .take(6)
                    .map(|r| r.map(|(k, _)| k.value()))
                    .collect::<Result<_, _>>()?;
                match hits.as_slice() {
                    [one] => return Ok(CustomerId::from_u128(*one)),
                    [] => {}
                    many => {
                        return Err(StoreError::Ambiguous {
                            query: rapport_model::excerpt(q),
                            candidates: many
                                .iter()
                                .map(|k| CustomerId::from_u128(*k).to_string())
                                .collect(),
                        });
                    }
                }
            }
        }
        let folded = text::fold(q);
        let mut hits = Vec::new();
        for row in sums.iter()? {
            let s = decode_summary(row?.1.value())?;
            if text::fold(&s.name) == folded {
                hits.push(s);
            }
        }
        hits.sort_by_key(|s| s.deleted);
        let live: Vec<&CustomerSummary> = hits.iter().filter(|s| !s.deleted).collect();
        match (live.as_slice(), hits.as_slice()) {
            ([one], _) => Ok(one.id),
            ([], [one]) => Ok(one.id),
            ([], []) => Err(StoreError::NotFound(rapport_model::excerpt(q))),
            (many, _) if !many.is_empty() => Err(StoreError::Ambiguous {
                query: rapport_model::excerpt(q),
                candidates: many
                    .iter()
                    .map(|s| format!("{} ({})", s.id, s.name))
                    .collect(),
            }),
            (_, many) => Err(StoreError::Ambiguous {
                query: rapport_model::excerpt(q),
                candidates: many
                    .iter()
                    .map(|s| format!("{} ({})", s.id, s.name))
                    .collect(),
            }),
        }
    }

    /// Who changed what and when, oldest first.
    pub fn history(&self, id: CustomerId) -> Result<Vec<HistoryEntry>> {
        let mut doc = self.document(id)?;
        let team = self.team_state()?;
        let rows = {
            let txn = self.db.begin_read()?;
            authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, id.as_u128())?
        };
        // One read of the change metadata serves the attribution and the entry.
        let changes = authored::infos(&mut doc, &[]);
        let mut out = Vec::with_capacity(changes.len());
        for m in changes {
            let a = authored::attribution_of(team.as_deref(), &m, rows.get(&m.hash.0));
            let verified_device = a.device.and_then(|d| {
                team.as_deref()
                    .and_then(|st| st.devices.get(&d))
                    .map(|r| r.name.clone())
                    .filter(|n| !n.is_empty())
            });
            let arrived = rows
                .get(&m.hash.0)
                .map(|r| rapport_model::timestamp_from_millis(r.arrived_ms));
            let msg: Option<ChangeMessage> = m
                .message
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok());
            let (device, fields) = match msg {
                Some(msg) => (msg.device.chars().take(100).collect(), msg.fields),
                None => (String::from("(unknown device)"), Vec::new()),
            };
            let mut values = BTreeMap::new();
            for f in fields.iter().take(32) {
                if let Ok(Some((v, _))) = doc.get_at(ROOT, f.as_str(), &[m.hash])
                    && let automerge::Value::Scalar(_) = v
                {
                    values.insert(f.clone(), doc::render(&v));
                }
            }
            if fields.iter().any(|f| f == "notes")
                && let Ok(Some((_, notes))) = doc.get_at(ROOT, "notes", &[m.hash])
                && let Ok(text) = doc.text_at(&notes, &[m.hash])
            {
                values.insert("notes".into(), text);
            }
            out.push(HistoryEntry {
                at: chrono::DateTime::from_timestamp(m.time, 0)
                    .unwrap_or(chrono::DateTime::UNIX_EPOCH),
                device,
                actor: data_encoding::HEXLOWER.encode(&m.actor),
                fields,
                values,
                hash: m.hash.to_string(),
                device_id: a.device.map(|d| rapport_team::key_hex(&d)),
                verified_device,
                signed: a.signed,
                vouched_by: a.vouched_by.map(|d| rapport_team::key_hex(&d)),
                arrived,
            });
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    /// Fields two devices set concurrently: field → values, the shown one first.
    pub fn conflicts(&self, id: CustomerId) -> Result<BTreeMap<String, Vec<String>>> {
        let doc = self.document(id)?;
        Ok(doc::conflicts(&doc))
    }

    /// The stored signatures of customer `id`'s changes.
    pub(crate) fn signatures_of(&self, id: CustomerId) -> Result<Vec<([u8; 32], authored::Sig)>> {
        let txn = self.db.begin_read()?;
        let rows = authored::rows_of(&txn.open_table(authored::CHANGE_SIGS)?, id.as_u128())?;
        Ok(authored::stored(&rows))
    }
}
