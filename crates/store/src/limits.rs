//! Bounds on what a peer's document may cost this device, checked before the document is used.
//!
//! A peer is a team member who may be hostile or broken, so every document (or batch of
//! changes) a peer sends passes two checks, neither of which recurses:
//!
//! 1. [`check_bytes`], before automerge sees the bytes: at most [`MAX_DOC_BYTES`] of input and
//!    [`MAX_CHUNKS`] chunks, only the chunk kinds Rapport itself writes (documents, changes,
//!    and DEFLATE-compressed changes from other automerge implementations; never bundles), and
//!    at most [`MAX_INFLATED_BYTES`] once every DEFLATE-compressed part is inflated. The
//!    compressed parts are inflated here by streaming into a small buffer that is thrown
//!    away, stopping as soon as the budget is exceeded, so a document that inflates 1000:1
//!    costs at most the budget in CPU and never the inflated size in memory.
//! 2. [`check_loaded`], on the loaded (merged) document before anything hydrates it: at most
//!    [`MAX_OPS`] operations and [`MAX_CHANGES`] changes (automerge's own counts), and, over
//!    an explicit stack of the visible objects, at most [`MAX_NESTING`] levels of nesting and
//!    [`MAX_OBJECTS`] objects. Hydration (automerge's `hydrate` recurses once per level) is
//!    then bounded to a few stack frames per level.
//!
//! What is *not* bounded before loading: the number of operations that run-length encoded
//! columns expand to (a handful of bytes may describe millions of ops). That is caught after
//! the load by [`MAX_OPS`], so it costs the CPU and memory of loading such a document once,
//! within the decoded-size bound above.

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
        let size = match kind {
            CHUNK_CHANGE => len,
            CHUNK_DOCUMENT => document_size(data, budget)?,
            CHUNK_COMPRESSED => inflated_size(data, budget)?,
            other => return Err(format!("chunk type {other} is not accepted from peers")),
        };
        decoded = decoded.saturating_add(size);
        if decoded > MAX_INFLATED_BYTES {
            return Err(too_big());
        }
        rest = r.0;
    }
    Ok(())
}

fn too_big() -> String {
    format!("inflates to more than the {MAX_INFLATED_BYTES}-byte limit per document")
}

/// The decoded size of a document chunk's data: its bytes with compressed columns inflated.
fn document_size(data: &[u8], budget: usize) -> Result<usize, String> {
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
    for _ in 0..2 {
        let n = r.uleb()?;
        if n > MAX_COLUMNS {
            return Err(format!("a document chunk with {n} columns"));
        }
        for _ in 0..n {
            let spec = r.uleb()?;
            let len = usize::try_from(r.uleb()?).map_err(|_| "column length overflows")?;
            columns.push((spec & COLUMN_DEFLATE != 0, len));
        }
    }
    // Change columns then op columns, back to back; then the head indices.
    let mut size = data.len();
    for (deflated, len) in columns {
        let bytes = r.take(len)?;
        if deflated {
            let left = budget.saturating_sub(size);
            size = size
                .saturating_sub(len)
                .saturating_add(inflated_size(bytes, left)?);
        }
        if size > budget {
            return Err(too_big());
        }
    }
    Ok(size)
}

/// Inflates a raw DEFLATE stream into a small reused buffer, counting; refuses as soon as it
/// exceeds `budget` bytes. Memory stays at the buffer and the decoder's window.
fn inflated_size(compressed: &[u8], budget: usize) -> Result<usize, String> {
    use std::io::Read;
    let mut decoder = flate2::read::DeflateDecoder::new(compressed);
    let mut buf = [0u8; 16 * 1024];
    let mut total = 0usize;
    loop {
        let n = decoder
            .read(&mut buf)
            .map_err(|e| format!("a compressed part does not inflate: {e}"))?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
        if total > budget {
            return Err(too_big());
        }
    }
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
