//! Local writes: creating and editing customers, and the [`Writer`] that keeps the summary,
//! index, heads and change-sequence rows in step with each document.
//!
//! Invariants: one redb transaction per call, committed with immediate durability, so every
//! edit is durable when the call returns and nothing is written if it fails; edits are
//! validated before anything is written; every change carries the device's actor, the time
//! and a [`ChangeMessage`] naming the device and fields, and is signed
//! ([`authored::record_local`]); summaries are always derived from the hydrated document.

use automerge::{
    AutoCommit, ChangeHash,
    transaction::{CommitOptions, Transactable},
};
use rapport_model::{Customer, CustomerId, CustomerSummary, Edit, Timestamp};
use redb::{ReadableTable, WriteTransaction};

use crate::tables::{
    AGENDA, BY_NAME, BY_SEQ, BY_TAG, CHANGES, DOCS, HEADS, SEQ_OF, SUMMARIES, decode_summary,
    encode_heads, load_doc,
};
use crate::{
    COMPACT_AFTER, ChangeEvent, ChangeMessage, DocRef, NewCustomer, Origin, Result, Store,
    StoreError, authored, doc,
};

impl Store {
    fn message(&self, edits: &[Edit]) -> String {
        let mut fields: Vec<String> = edits.iter().map(|e| e.label().to_string()).collect();
        fields.sort();
        fields.dedup();
        serde_json::to_string(&ChangeMessage {
            device: self.device().name,
            fields,
            team: Vec::new(),
        })
        .unwrap_or_default()
    }

    /// Creates a customer; returns its id. Durable when it returns.
    pub fn create(&self, new: NewCustomer) -> Result<CustomerId> {
        let ids = self.create_many(vec![new])?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::Decode("no id returned".into()))
    }

    /// Creates many customers in one transaction (import, demo data): all or nothing.
    pub fn create_many(&self, news: Vec<NewCustomer>) -> Result<Vec<CustomerId>> {
        Ok(self.write_batch(news, Vec::new())?.0)
    }

    /// Creates `news` and applies each `(id, edits)` as one change to an existing customer,
    /// all in one durable transaction (an import): everything is validated first, and if
    /// anything fails nothing is written. Returns the new ids and how many existing customers
    /// changed.
    pub fn write_batch(
        &self,
        news: Vec<NewCustomer>,
        edits: Vec<(CustomerId, Vec<Edit>)>,
    ) -> Result<(Vec<CustomerId>, usize)> {
        // A full disk can surface from any write in the transaction (a table that grows the
        // file), not only from its commit.
        self.write_batch_unmapped(news, edits)
            .map_err(|e| e.with_path(&self.dir))
    }

    fn write_batch_unmapped(
        &self,
        news: Vec<NewCustomer>,
        edits: Vec<(CustomerId, Vec<Edit>)>,
    ) -> Result<(Vec<CustomerId>, usize)> {
        let now = self.now();
        // Validate the new customers before touching the database.
        let mut prepared = Vec::with_capacity(news.len());
        for n in news {
            rapport_model::Edit::Name(n.name.clone()).validate(None)?;
            let mut c = Customer::new(n.id, n.name.trim(), n.kind, now);
            for e in &n.edits {
                e.validate(Some(&c))?;
                e.apply(&mut c, now);
            }
            let mut labels = vec![rapport_model::Edit::Name(c.name.clone())];
            labels.extend(n.edits);
            prepared.push((c, labels));
        }
        let prepared_ids: Vec<CustomerId> = prepared.iter().map(|(c, _)| c.id).collect();
        let txn = self.begin_write()?;
        let mut events = Vec::with_capacity(prepared.len() + edits.len());
        let mut changed = 0;
        {
            let mut w = Writer::open(&txn)?;
            for (c, labels) in prepared {
                if w.docs.get(c.id.as_u128())?.is_some() {
                    return Err(StoreError::AlreadyExists(c.id));
                }
                let mut doc = AutoCommit::new().with_actor(self.actor.clone());
                doc::create(&mut doc, &c)?;
                doc.commit_with(
                    CommitOptions::default()
                        .with_message(self.message(&labels))
                        .with_time(now.timestamp()),
                );
                let bytes = doc.save();
                w.docs.insert(c.id.as_u128(), bytes.as_slice())?;
                authored::record_local(
                    &mut w.sigs,
                    &self.team_key(),
                    c.id.as_u128(),
                    &mut doc,
                    &[],
                    now.timestamp_millis(),
                )?;
                let heads = w.index(&mut doc, &c, None)?;
                w.bump_seq(c.id.as_u128())?;
                events.push(ChangeEvent {
                    doc: DocRef::Customer(c.id),
                    heads,
                    origin: Origin::Local,
                });
            }
            for (id, e) in &edits {
                if let (_, Some(heads)) = self.edit_in(&mut w, *id, e, now)? {
                    changed += 1;
                    events.push(ChangeEvent {
                        doc: DocRef::Customer(*id),
                        heads,
                        origin: Origin::Local,
                    });
                }
            }
        }
        self.commit(txn)?;
        for e in events {
            self.notify(e.doc, e.heads, e.origin);
        }
        Ok((prepared_ids, changed))
    }

    /// Applies `edits` to customer `id` as one change, in one durable transaction, and
    /// returns the customer as it now is. Nothing is written if any edit is invalid.
    pub fn edit(&self, id: CustomerId, edits: &[Edit]) -> Result<Customer> {
        self.edit_unmapped(id, edits)
            .map_err(|e| e.with_path(&self.dir))
    }

    fn edit_unmapped(&self, id: CustomerId, edits: &[Edit]) -> Result<Customer> {
        let now = self.now();
        let txn = self.begin_write()?;
        let (customer, heads) = {
            let mut w = Writer::open(&txn)?;
            self.edit_in(&mut w, id, edits, now)?
        };
        let Some(heads) = heads else {
            // Nothing changed (e.g. setting a field to its current value): nothing to commit.
            return Ok(customer);
        };
        self.commit(txn)?;
        self.notify(DocRef::Customer(id), heads, Origin::Local);
        Ok(customer)
    }

    /// [`Store::edit`] inside a write transaction: the customer after the edits, and its new
    /// heads if anything changed.
    pub(crate) fn edit_in(
        &self,
        w: &mut Writer<'_>,
        id: CustomerId,
        edits: &[Edit],
        now: Timestamp,
    ) -> Result<(Customer, Option<Vec<ChangeHash>>)> {
        let (mut doc, chunks) = load_doc(&w.docs, &w.changes, id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        doc.set_actor(self.actor.clone());
        let before = doc::hydrate(&doc, id)?;
        let only_restore = edits.iter().all(|e| matches!(e, Edit::Restore));
        if before.is_deleted() && !only_restore {
            return Err(StoreError::Deleted(id));
        }
        for e in edits {
            e.validate(Some(&before))?;
        }
        let old_heads = doc.get_heads();
        doc::apply(&mut doc, edits, now)?;
        if doc.pending_ops() == 0 {
            return Ok((before, None));
        }
        doc::touch(&mut doc, now)?;
        doc.commit_with(
            CommitOptions::default()
                .with_message(self.message(edits))
                .with_time(now.timestamp()),
        );
        w.store_changes(&mut doc, id, &old_heads, chunks)?;
        authored::record_local(
            &mut w.sigs,
            &self.team_key(),
            id.as_u128(),
            &mut doc,
            &old_heads,
            now.timestamp_millis(),
        )?;
        let after = doc::hydrate(&doc, id)?;
        let old = w.summary(id)?;
        let heads = w.index(&mut doc, &after, old.as_ref())?;
        w.bump_seq(id.as_u128())?;
        Ok((after, Some(heads)))
    }
}

/// The tables one write transaction touches, with the summary/index bookkeeping.
pub(crate) struct Writer<'t> {
    pub(crate) docs: redb::Table<'t, u128, &'static [u8]>,
    pub(crate) changes: redb::Table<'t, (u128, u32), &'static [u8]>,
    pub(crate) summaries: redb::Table<'t, u128, &'static [u8]>,
    pub(crate) heads: redb::Table<'t, u128, &'static [u8]>,
    pub(crate) by_name: redb::Table<'t, (&'static str, u128), ()>,
    pub(crate) by_tag: redb::Table<'t, (&'static str, u128), ()>,
    pub(crate) agenda: redb::Table<'t, (&'static str, u128, u128), ()>,
    pub(crate) seq_of: redb::Table<'t, u128, u64>,
    pub(crate) by_seq: redb::Table<'t, u64, u128>,
    pub(crate) sigs: redb::Table<'t, (u128, [u8; 32]), &'static [u8]>,
    pub(crate) unsigned: redb::Table<'t, u128, ()>,
    pub(crate) derived: crate::derived::Tables<'t>,
}

impl<'t> Writer<'t> {
    pub(crate) fn open(txn: &'t WriteTransaction) -> Result<Self> {
        Ok(Writer {
            docs: txn.open_table(DOCS)?,
            changes: txn.open_table(CHANGES)?,
            summaries: txn.open_table(SUMMARIES)?,
            heads: txn.open_table(HEADS)?,
            by_name: txn.open_table(BY_NAME)?,
            by_tag: txn.open_table(BY_TAG)?,
            agenda: txn.open_table(AGENDA)?,
            seq_of: txn.open_table(SEQ_OF)?,
            by_seq: txn.open_table(BY_SEQ)?,
            sigs: txn.open_table(authored::CHANGE_SIGS)?,
            unsigned: txn.open_table(authored::UNSIGNED_DOCS)?,
            derived: crate::derived::Tables::open(txn)?,
        })
    }

    pub(crate) fn summary(&self, id: CustomerId) -> Result<Option<CustomerSummary>> {
        self.summaries
            .get(id.as_u128())?
            .map(|g| decode_summary(g.value()))
            .transpose()
    }

    /// Appends the changes since `old_heads` as a chunk, or folds everything into a new
    /// snapshot once the document has [`COMPACT_AFTER`] chunks.
    pub(crate) fn store_changes(
        &mut self,
        doc: &mut AutoCommit,
        id: CustomerId,
        old_heads: &[ChangeHash],
        chunks: u32,
    ) -> Result<()> {
        let key = id.as_u128();
        if chunks + 1 >= COMPACT_AFTER {
            self.docs.insert(key, doc.save().as_slice())?;
            self.changes
                .retain_in((key, 0)..=(key, u32::MAX), |_, _| false)?;
        } else {
            let next = match self.changes.range((key, 0)..=(key, u32::MAX))?.next_back() {
                Some(row) => row?.0.value().1 + 1,
                None => 0,
            };
            let bytes = doc.save_after(old_heads);
            self.changes.insert((key, next), bytes.as_slice())?;
        }
        Ok(())
    }

    /// Rewrites the summary, index and heads rows of `id` from the document.
    pub(crate) fn finish(
        &mut self,
        doc: &mut AutoCommit,
        id: CustomerId,
        old: Option<&CustomerSummary>,
    ) -> Result<Vec<ChangeHash>> {
        let customer = doc::hydrate(doc, id)?;
        self.index(doc, &customer, old)
    }

    /// Rewrites the summary, index and heads rows from `customer`, which must be what `doc`
    /// hydrates to.
    pub(crate) fn index(
        &mut self,
        doc: &mut AutoCommit,
        customer: &Customer,
        old: Option<&CustomerSummary>,
    ) -> Result<Vec<ChangeHash>> {
        let key = customer.id.as_u128();
        let new = CustomerSummary::of(customer);
        if let Some(old) = old {
            self.by_name.remove((old.sort_key.as_str(), key))?;
            for t in &old.tags {
                self.by_tag.remove((t.as_str(), key))?;
            }
            for f in &old.open_followups {
                self.agenda
                    .remove((f.due.to_string().as_str(), key, f.id.as_u128()))?;
            }
        }
        self.by_name.insert((new.sort_key.as_str(), key), ())?;
        for t in &new.tags {
            self.by_tag.insert((t.as_str(), key), ())?;
        }
        if !new.deleted && !new.archived {
            for f in &new.open_followups {
                self.agenda
                    .insert((f.due.to_string().as_str(), key, f.id.as_u128()), ())?;
            }
        }
        self.derived.index(&new, old)?;
        let bytes = postcard::to_stdvec(&new)?;
        self.summaries.insert(key, bytes.as_slice())?;
        let mut heads = doc.get_heads();
        heads.sort();
        self.heads.insert(key, encode_heads(&heads).as_slice())?;
        Ok(heads)
    }

    /// Gives document `key` the next change sequence number (it was just written).
    pub(crate) fn bump_seq(&mut self, key: u128) -> Result<()> {
        // Take the next number before removing this document's old row, so numbers never
        // repeat even when this document held the newest one.
        let next = self
            .by_seq
            .last()?
            .map(|(k, _)| k.value())
            .unwrap_or(0)
            .saturating_add(1);
        let old = self.seq_of.insert(key, next)?.map(|g| g.value());
        if let Some(old) = old {
            self.by_seq.remove(old)?;
        }
        self.by_seq.insert(next, key)?;
        Ok(())
    }
}
