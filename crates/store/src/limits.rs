//! Bounds on what a peer's document may cost this device, checked before the document is used.
//!
//! A peer is a team member who may be hostile or broken, so every document (or batch of
//! changes) a peer sends passes two checks, neither of which recurses:
//!
//! 1. [`check_bytes`], before automerge sees the bytes: at most [`MAX_DOC_BYTES`] of input and
//!    [`MAX_CHUNKS`] chunks, only the chunk kinds Rapport itself writes (documents, changes,
//!    and DEFLATE-compressed changes from other automerge implementations; never bundles), and
//!    at most [`MAX_INFLATED_BYTES`] once every DEFLATE-compressed part is inflated. Each
//!    compressed part is inflated here once, stopping as soon as the budget is exceeded, so
//!    a document that inflates 1000:1 costs at most the budget in CPU and memory, never the
//!    inflated size; its run lengths are then read from the inflated bytes.
//! 2. [`check_loaded`], on the loaded (merged) document before anything hydrates it: at most
//!    [`MAX_OPS`] operations and [`MAX_CHANGES`] changes (automerge's own counts), and, over
//!    an explicit stack of the visible objects, at most [`MAX_NESTING`] levels of nesting and
//!    [`MAX_OBJECTS`] objects. Hydration (automerge's `hydrate` recurses once per level) is
//!    then bounded to a few stack frames per level.
//!
//!
//! Run-length encoding is bounded before loading too: a handful of bytes may describe a
//! billion operations, which automerge would expand one by one. [`check_bytes`] reads every
//! column's run lengths (document chunks: the change and operation columns; change chunks:
//! their header, then their operation columns) and refuses a document whose columns describe
//! more than [`MAX_OPS`] operations or [`MAX_CHANGES`] changes, or whose group columns (an
//! operation's successors, a change's dependencies) add up to more than [`MAX_OPS`] entries.
//! Automerge never iterates more rows than its longest column has, so these counts bound
//! what loading can cost. Reading run lengths costs one pass over the (bounded) decoded
//! bytes and holds at most one inflated part.

use automerge::{AutoCommit, ROOT, ReadDoc, Value};

/// Largest peer document (or batch of changes to one document) accepted, in bytes as received.
/// Equal to the sync protocol's frame limit: nothing larger can arrive in one frame anyway.
pub const MAX_DOC_BYTES: usize = 16 << 20;
/// Largest decoded size of a peer document: its bytes with every compressed part inflated.
/// A heavy customer (thousands of interactions) decodes to a few MiB.
pub const MAX_INFLATED_BYTES: usize = 64 << 20;
/// Most chunks (a snapshot plus change chunks) in one peer document.
pub const MAX_CHUNKS: usize = 100_000;
/// Deepest nesting of objects accepted. The customer layout needs 3 (root → `contacts` →
/// contact → `phones`) and the team document 1; 8 leaves room for the layout to grow.
pub const MAX_NESTING: usize = 8;
/// Most visible objects (maps, lists, texts) in one document. One per contact, follow-up,
/// interaction or deal, plus a few lists each: 100,000 is far beyond a real customer.
pub const MAX_OBJECTS: usize = 100_000;
/// Most operations in one document (every character ever typed in notes is one, and so is
/// every field set): a customer edited every working day for 30 years makes well under 1M.
pub const MAX_OPS: u64 = 10_000_000;
/// Most changes in one document (one per edit or import; a merge adds none).
pub const MAX_CHANGES: u64 = 1_000_000;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Chunk types of automerge's storage format.
const CHUNK_DOCUMENT: u8 = 0;
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;
/// Columns per set (change columns, op columns) in a document chunk: automerge writes about
/// a dozen of each; more is refused before they are listed.
const MAX_COLUMNS: u64 = 64;
/// Bit of a column spec that says the column is DEFLATE-compressed.
const COLUMN_DEFLATE: u64 = 0b1000;
/// The low three bits of a column spec: how the column is encoded.
const COLUMN_TYPE: u64 = 0b111;
/// Column encodings (automerge's `ColumnType`) whose rows are read differently.
const TYPE_GROUP: u64 = 0;
const TYPE_DELTA: u64 = 3;
const TYPE_BOOLEAN: u64 = 4;
const TYPE_STRING: u64 = 5;
const TYPE_VALUE: u64 = 7;

/// What a chunk's columns describe: operations and changes.
#[derive(Default)]
struct Rows {
    ops: u64,
    changes: u64,
}

/// Checks peer bytes before automerge decodes them (see the module doc). The error says why
/// they are refused.
pub fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() > MAX_DOC_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_DOC_BYTES}-byte limit per document",
            bytes.len()
        ));
    }
    let mut rest = bytes;
    let mut chunks = 0usize;
    let mut decoded = 0usize;
    let mut rows = Rows::default();
    while !rest.is_empty() {
        chunks += 1;
        if chunks > MAX_CHUNKS {
            return Err(format!("more than {MAX_CHUNKS} chunks"));
        }
        let mut r = Reader(rest);
        if r.take(4)? != MAGIC {
            return Err("not automerge data (bad magic bytes)".into());
        }
        r.take(4)?; // checksum, verified by automerge
        let kind = r.take(1)?[0];
        let len = usize::try_from(r.uleb()?).map_err(|_| "chunk length overflows")?;
        let data = r.take(len)?;
        let budget = MAX_INFLATED_BYTES.saturating_sub(decoded);
        let (size, counted) = match kind {
            CHUNK_CHANGE => (len, change_rows(data)?),
            CHUNK_DOCUMENT => document_size(data, budget)?,
            CHUNK_COMPRESSED => {
                let inflated = inflate_within(data, budget)?;
                (inflated.len(), change_rows(&inflated)?)
            }
            other => return Err(format!("chunk type {other} is not accepted from peers")),
        };
        decoded = decoded.saturating_add(size);
        if decoded > MAX_INFLATED_BYTES {
            return Err(too_big());
        }
        rows.ops = rows.ops.saturating_add(counted.ops);
        rows.changes = rows.changes.saturating_add(counted.changes);
        check_rows(&rows)?;
        rest = r.0;
    }
    Ok(())
}

fn too_big() -> String {
    format!("inflates to more than the {MAX_INFLATED_BYTES}-byte limit per document")
}

fn check_rows(rows: &Rows) -> Result<(), String> {
    if rows.ops > MAX_OPS {
        return Err(format!(
            "its columns describe more than {MAX_OPS} operations (run-length encoded)"
        ));
    }
    if rows.changes > MAX_CHANGES {
        return Err(format!(
            "its columns describe more than {MAX_CHANGES} changes (run-length encoded)"
        ));
    }
    Ok(())
}

/// The decoded size of a document chunk's data (its bytes with compressed columns inflated),
/// and the changes and operations its columns describe.
fn document_size(data: &[u8], budget: usize) -> Result<(usize, Rows), String> {
    let mut r = Reader(data);
    let actors = r.uleb()?;
    for _ in 0..actors {
        let n = usize::try_from(r.uleb()?).map_err(|_| "actor length overflows")?;
        r.take(n)?;
    }
    let heads = r.uleb()?;
    for _ in 0..heads {
        r.take(32)?;
    }
    let mut columns = Vec::new();
    for set in 0..2 {
        let n = r.uleb()?;
        if n > MAX_COLUMNS {
            return Err(format!("a document chunk with {n} columns"));
        }
        for _ in 0..n {
            let spec = r.uleb()?;
            let len = usize::try_from(r.uleb()?).map_err(|_| "column length overflows")?;
            columns.push((set == 0, spec, len));
        }
    }
    // Change columns then op columns, back to back; then the head indices.
    let mut size = data.len();
    let mut rows = Rows::default();
    for (of_changes, spec, len) in columns {
        let bytes = r.take(len)?;
        let (n, grouped) = if spec & COLUMN_DEFLATE != 0 {
            // Inflated once, within what is left of the budget, then read for its rows.
            let left = budget.saturating_sub(size);
            let inflated = inflate_within(bytes, left)?;
            size = size.saturating_sub(len).saturating_add(inflated.len());
            if size > budget {
                return Err(too_big());
            }
            column_rows(spec, &inflated)?
        } else {
            column_rows(spec, bytes)?
        };
        if of_changes {
            rows.changes = rows.changes.max(n);
        } else {
            rows.ops = rows.ops.max(n);
        }
        // A group column's values are the rows of the columns it groups.
        rows.ops = rows.ops.max(grouped);
        check_rows(&rows)?;
    }
    Ok((size, rows))
}

/// The operations a change chunk's data (after its header) describes; one change.
fn change_rows(data: &[u8]) -> Result<Rows, String> {
    let mut r = Reader(data);
    let deps = r.uleb()?;
    for _ in 0..deps {
        r.take(32)?;
    }
    let actor = usize::try_from(r.uleb()?).map_err(|_| "actor length overflows")?;
    r.take(actor)?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    let message = usize::try_from(r.uleb()?).map_err(|_| "message length overflows")?;
    r.take(message)?;
    let others = r.uleb()?;
    for _ in 0..others {
        let n = usize::try_from(r.uleb()?).map_err(|_| "actor length overflows")?;
        r.take(n)?;
    }
    let n = r.uleb()?;
    if n > MAX_COLUMNS {
        return Err(format!("a change chunk with {n} columns"));
    }
    let mut columns = Vec::new();
    for _ in 0..n {
        let spec = r.uleb()?;
        let len = usize::try_from(r.uleb()?).map_err(|_| "column length overflows")?;
        columns.push((spec, len));
    }
    let mut rows = Rows { ops: 0, changes: 1 };
    for (spec, len) in columns {
        // Automerge refuses compressed columns in a change; counting them raw is harmless.
        let (n, grouped) = column_rows(spec, r.take(len)?)?;
        rows.ops = rows.ops.max(n).max(grouped);
        check_rows(&rows)?;
    }
    Ok(rows)
}

/// The rows a column describes, and for a group column the sum of its values (the rows of
/// the columns it groups); refuses as soon as either passes [`MAX_OPS`]. Raw value columns
/// have no rows of their own (their lengths are in the metadata column).
fn column_rows(spec: u64, data: &[u8]) -> Result<(u64, u64), String> {
    let kind = spec & COLUMN_TYPE;
    let over = || format!("a column describes more than {MAX_OPS} rows (run-length encoded)");
    let mut r = Reader(data);
    let mut rows = 0u64;
    let mut grouped = 0u64;
    match kind {
        TYPE_VALUE => {}
        TYPE_BOOLEAN => {
            // Alternating run lengths of false and true.
            while !r.0.is_empty() {
                rows = rows.saturating_add(r.uleb()?);
                if rows > MAX_OPS {
                    return Err(over());
                }
            }
        }
        _ => {
            // Runs: n > 0 copies of one value, n < 0 literal values, or 0 then a null run.
            let value = |r: &mut Reader<'_>| -> Result<u64, String> {
                match kind {
                    TYPE_DELTA => r.sleb().map(|_| 0),
                    TYPE_STRING => {
                        let n =
                            usize::try_from(r.uleb()?).map_err(|_| "string length overflows")?;
                        r.take(n).map(|_| 0)
                    }
                    _ => r.uleb(),
                }
            };
            while !r.0.is_empty() {
                let n = r.sleb()?;
                if n > 0 {
                    let v = value(&mut r)?;
                    rows = rows.saturating_add(n as u64);
                    if kind == TYPE_GROUP {
                        grouped = grouped.saturating_add((n as u64).saturating_mul(v));
                    }
                } else if n < 0 {
                    for _ in 0..n.unsigned_abs() {
                        let v = value(&mut r)?;
                        rows = rows.saturating_add(1);
                        if kind == TYPE_GROUP {
                            grouped = grouped.saturating_add(v);
                        }
                        if rows > MAX_OPS || grouped > MAX_OPS {
                            return Err(over());
                        }
                    }
                } else {
                    rows = rows.saturating_add(r.uleb()?);
                }
                if rows > MAX_OPS || grouped > MAX_OPS {
                    return Err(over());
                }
            }
        }
    }
    Ok((rows, grouped))
}

/// Inflates a raw DEFLATE stream, refusing as soon as it passes `budget` bytes: memory stays
/// within the budget however far the stream would inflate.
fn inflate_within(compressed: &[u8], budget: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(compressed)
        .take(budget as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("a compressed part does not inflate: {e}"))?;
    if out.len() > budget {
        return Err(too_big());
    }
    Ok(out)
}

/// A cursor over bytes whose reads fail (never panic) past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.0.len() {
            return Err("truncated chunk".into());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, String> {
        let mut out = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            out |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err("malformed number in chunk".into())
    }

    fn sleb(&mut self) -> Result<i64, String> {
        let mut out = 0i64;
        let mut shift = 0u32;
        loop {
            let b = self.take(1)?[0];
            if shift >= 64 {
                return Err("malformed number in chunk".into());
            }
            out |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    out |= -1i64 << shift;
                }
                return Ok(out);
            }
        }
    }
}

/// Checks a loaded document's size and shape before anything reads it (see the module doc).
pub fn check_loaded(doc: &AutoCommit) -> Result<(), String> {
    let stats = doc.stats();
    if stats.num_ops > MAX_OPS {
        return Err(format!(
            "{} operations, more than the limit of {MAX_OPS}",
            stats.num_ops
        ));
    }
    if stats.num_changes > MAX_CHANGES {
        return Err(format!(
            "{} changes, more than the limit of {MAX_CHANGES}",
            stats.num_changes
        ));
    }
    check_shape(doc)
}

/// Walks the visible objects with an explicit stack: at most [`MAX_NESTING`] levels below the
/// root and [`MAX_OBJECTS`] objects.
pub fn check_shape(doc: &AutoCommit) -> Result<(), String> {
    let mut stack = vec![(ROOT, 0usize)];
    let mut objects = 0usize;
    while let Some((obj, depth)) = stack.pop() {
        for (value, id) in doc.values(&obj) {
            let Value::Object(_) = value else { continue };
            objects += 1;
            if objects > MAX_OBJECTS {
                return Err(format!("more than {MAX_OBJECTS} objects"));
            }
            if depth + 1 > MAX_NESTING {
                return Err(format!(
                    "objects nested more than {MAX_NESTING} levels deep"
                ));
            }
            stack.push((id, depth + 1));
        }
    }
    Ok(())
}
