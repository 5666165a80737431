//! Checking and repairing the store: verification, rebuilding summaries, compaction.
//!
//! Invariants: verification only reads (redb's own integrity check aside) and reports
//! problems as text, never failing on a bad document; quarantine is not damage and is not
//! looked at; rebuilding summaries is one transaction (all rows or none), and compaction folds
//! every document's chunks in one transaction before redb compacts the file.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use rapport_model::{CustomerId, CustomerSummary};
use redb::ReadableTable;

use crate::tables::load_doc;
use crate::write::Writer;
use crate::{DB_FILE, Result, Shared, Store, StoreError, backups, doc};

impl Store {
    /// Recomputes every summary and index row from the documents (the migration path when the
    /// summary format changes; also a repair tool). Loads every document once.
    pub fn rebuild_summaries(&self) -> Result<u64> {
        let txn = self.begin_write()?;
        let mut n = 0;
        {
            let mut w = Writer::open(&txn)?;
            w.summaries.retain(|_, _| false)?;
            w.by_name.retain(|_, _| false)?;
            w.by_tag.retain(|_, _| false)?;
            w.agenda.retain(|_, _| false)?;
            w.derived.clear()?;
            w.derived.mark_current()?;
            let ids: Vec<u128> = w
                .docs
                .iter()?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for key in ids {
                let id = CustomerId::from_u128(key);
                if let Some((mut doc, _)) = load_doc(&w.docs, &w.changes, id)? {
                    w.finish(&mut doc, id, None)?;
                    n += 1;
                }
            }
        }
        self.commit(txn)?;
        Ok(n)
    }

    /// Folds every document's change chunks into one snapshot and compacts the file.
    pub fn compact(&mut self) -> Result<()> {
        let txn = self.begin_write()?;
        {
            let mut w = Writer::open(&txn)?;
            let ids: Vec<u128> = w
                .docs
                .iter()?
                .map(|r| r.map(|(k, _)| k.value()))
                .collect::<Result<_, _>>()?;
            for key in ids {
                let id = CustomerId::from_u128(key);
                if let Some((mut doc, chunks)) = load_doc(&w.docs, &w.changes, id)?
                    && chunks > 0
                {
                    w.docs.insert(key, doc.save().as_slice())?;
                    w.changes
                        .retain_in((key, 0)..=(key, u32::MAX), |_, _| false)?;
                }
            }
        }
        self.commit(txn)?;
        self.db.compact()?;
        Ok(())
    }

    /// Checks redb's checksums and that every summary matches its document.
    pub fn verify(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        if !self.db.check_integrity().map_err(|e| StoreError::Corrupt {
            path: self.dir.join(DB_FILE),
            detail: e.to_string(),
            backup: backups::latest(&self.dir),
        })? {
            problems.push("redb repaired the file on integrity check".to_string());
        }
        problems.extend(self.verify_documents()?);
        Ok(problems)
    }

    /// What [`Store::verify`] checks except redb's own file check (which needs the store to
    /// itself): every document loads, its heads match the heads table, it hydrates, and its
    /// summary matches. A running app or `serve` runs this for `rapport check`.
    pub fn verify_documents(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let heads: BTreeMap<CustomerId, Vec<ChangeHash>> = self.heads()?.into_iter().collect();
        let ids = self.ids()?;
        for id in &ids {
            let id = *id;
            let c = match self.document(id).and_then(|mut d| {
                let mut stored = d.get_heads();
                stored.sort();
                if heads.get(&id) != Some(&stored) {
                    problems.push(format!("{id}: heads row differs from document"));
                }
                doc::hydrate(&d, id)
            }) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("{id}: {e}"));
                    continue;
                }
            };
            let want = CustomerSummary::of(&c);
            match self.summary(id) {
                Ok(Some(s)) if s == want => {}
                Ok(Some(_)) => problems.push(format!("{id}: summary differs from document")),
                Ok(None) => problems.push(format!("{id}: summary missing")),
                Err(e) => problems.push(format!("{id}: summary: {e}")),
            }
        }
        if heads.len() != ids.len() {
            problems.push(format!(
                "{} heads rows for {} documents",
                heads.len(),
                ids.len()
            ));
        }
        let summaries = self.summaries().map(|s| s.len()).unwrap_or(usize::MAX);
        if summaries != ids.len() {
            problems.push(format!(
                "{summaries} summary rows for {} documents",
                ids.len()
            ));
        }
        for kind in [Shared::Settings, Shared::Team] {
            if let Err(e) = self.shared_document(kind) {
                problems.push(format!("{}: {e}", kind.key()));
            }
        }
        problems.extend(self.verify_team_log()?);
        problems.extend(self.verify_derived()?);
        Ok(problems)
    }
}
