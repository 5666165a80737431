//! The `rapport/sync/2` reconciliation protocol, as two IO-free state machines.
//!
//! Both sides index their documents as a sorted set of `(id, heads)` entries and fingerprint
//! it as a 16-ary trie over the id's hex digits: a node's fingerprint is the wrapping sum of
//! its entries' 128-bit BLAKE3 digests, plus their count. The [`Initiator`] drives:
//!
//! 1. it sends the root node's fingerprint;
//! 2. the [`Responder`] answers every node whose fingerprint differs from its own with, in
//!    order of preference: all its documents under the node (when the initiator has none
//!    there), its item list `(id, heads)` (when either side has at most [`LEAF`] entries
//!    there), or its 16 children's fingerprints;
//! 3. the initiator descends into differing children, and for every item list compares both
//!    sides' heads: it *pushes* the changes the responder lacks (`save_after` the responder's
//!    heads, or the whole document) and *wants* what it lacks (sending its own heads, so only
//!    missing changes come back);
//! 4. when a round produces nothing to ask or push, the initiator sends [`Frame::Done`].
//!
//! With nothing changed this is one round trip of a few dozen bytes, whatever the number of
//! documents; with `d` changed documents among `n` it is about `log16(n / LEAF)` round trips
//! carrying `O(d × 16 × log16 n)` fingerprints plus the changes themselves.
//!
//! Every frame is length-checked ([`MAX_FRAME`]) and validated on decode (prefix depth, 16
//! children, bounded heads); replies may only answer prefixes that were asked about. Large
//! batches of documents are split over several frames (`more: true`), each under
//! [`FRAME_BUDGET`]. Every frame received counts toward the session's limit, continuation
//! frames included ([`frame_allowance`]): [`MAX_ROUNDS`] plus two per [`FRAME_BUDGET`] of
//! documents received.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::{Hash, Replica, SyncError};

/// Protocol version, also the ALPN suffix (`rapport/sync/2`). Version 2 has version 1's
/// frames; what changed is the document bytes, which now carry their changes' signatures.
pub const PROTOCOL_VERSION: u16 = 2;
/// A node with at most this many entries on either side is compared item by item.
pub const LEAF: u64 = 24;
/// Frames larger than this are refused (and the session closed).
pub const MAX_FRAME: usize = 16 << 20;
/// Documents are packed into frames of about this many bytes.
pub const FRAME_BUDGET: usize = 1 << 20;
/// Heads per document accepted from a peer.
pub const MAX_HEADS: usize = 256;
/// Rounds a session may take before it is cut off. An honest session descends at most
/// `MAX_DEPTH` levels of the trie plus a round for the shared documents; a peer that keeps
/// asking is cut off here rather than running forever.
///
/// Continuation frames (`more: true`) count too: each side accepts at most
/// [`frame_allowance`] frames, `MAX_ROUNDS` plus two per [`FRAME_BUDGET`] of documents received,
/// so a peer cannot keep a session going with empty or nearly empty continuation frames.
pub const MAX_ROUNDS: u32 = 2 * MAX_DEPTH as u32 + 8;
const MAX_DEPTH: u8 = 32;

/// Frames a side accepts in one session after receiving `doc_bytes` of documents (each
/// document's bytes plus 24, as frames are packed): [`MAX_ROUNDS`] plus two per [`FRAME_BUDGET`]. An honest sender never
/// needs more: it closes a frame only when the next document would overflow the budget, so
/// any two consecutive frames of one batch carry more than [`FRAME_BUDGET`].
pub fn frame_allowance(doc_bytes: u64) -> u64 {
    u64::from(MAX_ROUNDS).saturating_add(doc_bytes.saturating_mul(2) / FRAME_BUDGET as u64)
}

/// Bytes of `docs` as an [`Outbox`] counts them when it fills a frame.
fn doc_bytes(docs: &[Doc]) -> u64 {
    docs.iter().map(|d| d.bytes.len() as u64 + 24).sum()
}

/// Counts one more frame received, with its documents; refuses it beyond [`frame_allowance`].
fn count_frame(frames: &mut u64, bytes: &mut u64, docs: &[Doc]) -> Result<(), SyncError> {
    *frames += 1;
    *bytes = bytes.saturating_add(doc_bytes(docs));
    if *frames > frame_allowance(*bytes) {
        return Err(SyncError::Protocol(format!(
            "the peer sent more than {} frames in one session ({MAX_ROUNDS} rounds and its \
             documents' worth of continuation frames)",
            frame_allowance(*bytes)
        )));
    }
    Ok(())
}

/// A node of the id trie: the first `depth` hex digits of an id, right-aligned in `bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Prefix {
    pub depth: u8,
    pub bits: u128,
}

impl Prefix {
    pub const ROOT: Prefix = Prefix { depth: 0, bits: 0 };

    fn valid(self) -> bool {
        self.depth <= MAX_DEPTH
            && (self.depth == MAX_DEPTH || self.bits >> (4 * u32::from(self.depth)) == 0)
    }

    /// The ids under this prefix.
    fn bounds(self) -> (u128, u128) {
        if self.depth == 0 {
            return (0, u128::MAX);
        }
        let shift = 128 - 4 * u32::from(self.depth);
        let lo = self.bits.checked_shl(shift).unwrap_or(0);
        let span = u128::MAX
            .checked_shr(4 * u32::from(self.depth))
            .unwrap_or(0);
        (lo, lo | span)
    }

    fn child(self, nibble: u8) -> Prefix {
        Prefix {
            depth: self.depth + 1,
            bits: (self.bits << 4) | u128::from(nibble & 0xf),
        }
    }

    fn contains(self, id: u128) -> bool {
        let (lo, hi) = self.bounds();
        (lo..=hi).contains(&id)
    }
}

/// A node's fingerprint as the sender sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSum {
    pub prefix: Prefix,
    pub fp: u128,
    pub count: u64,
}

/// One document as the reconciliation sees it: its id and heads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: u128,
    pub heads: Vec<Hash>,
}

/// The responder's items under a prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Items {
    pub prefix: Prefix,
    pub items: Vec<Item>,
}

/// The responder's 16 child fingerprints `(fp, count)` under a prefix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Children {
    pub prefix: Prefix,
    pub nodes: Vec<(u128, u64)>,
}

/// Document bytes (a whole saved document or changes) for [`Replica::apply`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub id: u128,
    pub bytes: Vec<u8>,
}

/// A request for the changes of `id` that a holder of `have` lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Want {
    pub id: u128,
    pub have: Vec<Hash>,
}

/// A shared team document (0 = settings, 1 = team) in a session: the sender's heads when it
/// wants the other side's missing changes back, and the changes it thinks the other side lacks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedState {
    pub kind: u8,
    pub heads: Option<Vec<Hash>>,
    pub changes: Vec<u8>,
}

/// Kinds of shared documents the protocol carries, in the order they are applied: the team
/// (1) before the settings (0), whose changes are checked against it.
pub const SHARED_KINDS: [u8; 2] = [1, 0];

/// What goes over the wire (postcard-encoded, length-delimited by the transport).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frame {
    Request {
        nodes: Vec<NodeSum>,
        push: Vec<Doc>,
        want: Vec<Want>,
        shared: Vec<SharedState>,
        /// More frames of this request follow.
        more: bool,
    },
    Reply {
        children: Vec<Children>,
        items: Vec<Items>,
        docs: Vec<Doc>,
        shared: Vec<SharedState>,
        more: bool,
    },
    Done,
}

impl Frame {
    /// Encodes a frame.
    pub fn encode(&self) -> Result<Vec<u8>, SyncError> {
        let bytes = postcard::to_stdvec(self).map_err(|e| SyncError::Protocol(e.to_string()))?;
        if bytes.len() > MAX_FRAME {
            return Err(SyncError::Protocol(format!(
                "frame of {} bytes exceeds the {MAX_FRAME}-byte limit",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// Decodes and validates a frame from a peer.
    pub fn decode(bytes: &[u8]) -> Result<Frame, SyncError> {
        if bytes.len() > MAX_FRAME {
            return Err(SyncError::Protocol(format!(
                "frame of {} bytes exceeds the {MAX_FRAME}-byte limit",
                bytes.len()
            )));
        }
        let frame: Frame = postcard::from_bytes(bytes)
            .map_err(|e| SyncError::Protocol(format!("malformed frame: {e}")))?;
        frame.validate()?;
        Ok(frame)
    }

    fn validate(&self) -> Result<(), SyncError> {
        let bad = |what: &str| Err(SyncError::Protocol(what.to_string()));
        let heads_ok = |h: &[Hash]| h.len() <= MAX_HEADS;
        let shared_ok = |s: &[SharedState]| {
            s.len() <= SHARED_KINDS.len()
                && s.iter().enumerate().all(|(i, x)| {
                    SHARED_KINDS.contains(&x.kind)
                        && x.heads.as_deref().is_none_or(heads_ok)
                        && s[..i].iter().all(|y| y.kind != x.kind)
                })
        };
        match self {
            Frame::Request { shared, .. } | Frame::Reply { shared, .. } if !shared_ok(shared) => {
                return bad("invalid shared document state");
            }
            Frame::Request { nodes, want, .. } => {
                if nodes.iter().any(|n| !n.prefix.valid()) {
                    return bad("invalid prefix in request");
                }
                if want.iter().any(|w| !heads_ok(&w.have)) {
                    return bad("too many heads in a want");
                }
            }
            Frame::Reply {
                children, items, ..
            } => {
                if children.iter().any(|c| {
                    !c.prefix.valid() || c.prefix.depth >= MAX_DEPTH || c.nodes.len() != 16
                }) {
                    return bad("invalid children in reply");
                }
                for it in items {
                    if !it.prefix.valid() {
                        return bad("invalid prefix in reply");
                    }
                    if it
                        .items
                        .iter()
                        .any(|i| !it.prefix.contains(i.id) || !heads_ok(&i.heads))
                    {
                        return bad("item outside its prefix, or too many heads");
                    }
                }
            }
            Frame::Done => {}
        }
        Ok(())
    }
}

/// The fingerprint of one entry.
fn digest(id: u128, heads: &[Hash]) -> u128 {
    let mut h = blake3::Hasher::new();
    h.update(&id.to_be_bytes());
    let mut sorted: Vec<&Hash> = heads.iter().collect();
    sorted.sort();
    for x in sorted {
        h.update(x);
    }
    let out = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&out.as_bytes()[..16]);
    u128::from_be_bytes(first)
}

/// A side's entries, sorted by id, with their digests.
pub struct Index {
    ids: Vec<u128>,
    digests: Vec<u128>,
    heads: Vec<Vec<Hash>>,
}

impl Index {
    /// Builds the index from `(id, heads)` entries in any order (later duplicates dropped).
    pub fn new(mut entries: Vec<Item>) -> Index {
        entries.sort_by_key(|e| e.id);
        entries.dedup_by_key(|e| e.id);
        Index {
            digests: entries.iter().map(|e| digest(e.id, &e.heads)).collect(),
            ids: entries.iter().map(|e| e.id).collect(),
            heads: entries.into_iter().map(|e| e.heads).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn span(&self, p: Prefix) -> Range<usize> {
        let (lo, hi) = p.bounds();
        let start = self.ids.partition_point(|x| *x < lo);
        let end = self.ids.partition_point(|x| *x <= hi);
        start..end
    }

    /// `(fingerprint, count)` of a prefix.
    pub fn node(&self, p: Prefix) -> (u128, u64) {
        let r = self.span(p);
        let fp = self.digests[r.clone()]
            .iter()
            .fold(0u128, |a, d| a.wrapping_add(*d));
        (fp, r.len() as u64)
    }

    fn children(&self, p: Prefix) -> Vec<(u128, u64)> {
        (0..16).map(|n| self.node(p.child(n))).collect()
    }

    fn items(&self, p: Prefix) -> Vec<Item> {
        self.span(p)
            .map(|i| Item {
                id: self.ids[i],
                heads: self.heads[i].clone(),
            })
            .collect()
    }

    fn ids_in(&self, p: Prefix) -> &[u128] {
        &self.ids[self.span(p)]
    }
}

/// The documents one side still has to send in the current round, fetched from the replica
/// one at a time as frames fill, so a side holds at most one frame and one document of its
/// output in memory, however large the round (a new device's first sync sends everything).
///
/// Frames are closed the way a batch was always packed: only when the next document would
/// take the frame past [`FRAME_BUDGET`] (a frame holds at least one document), so any two
/// consecutive frames of one batch carry more than [`FRAME_BUDGET`] (see [`frame_allowance`]).
#[derive(Default)]
struct Outbox {
    /// Documents to fetch: the id and the heads the other side has (empty: everything).
    queue: std::collections::VecDeque<(u128, Vec<Hash>)>,
    /// Ids queued this round, so a document goes out at most once per round.
    queued: BTreeSet<u128>,
    /// The next document to send, already fetched.
    carry: Option<Doc>,
}

impl Outbox {
    /// Queues `id` unless it is queued already this round.
    fn push(&mut self, id: u128, have: Vec<Hash>) {
        if self.queued.insert(id) {
            self.queue.push_back((id, have));
        }
    }

    /// Fetches ahead until a document to send is at hand; whether one is. Documents the
    /// replica does not hold, or whose changes the other side has all, are skipped.
    fn ready<R: Replica>(&mut self, replica: &R) -> Result<bool, SyncError> {
        while self.carry.is_none() {
            let Some((id, have)) = self.queue.pop_front() else {
                self.queued.clear();
                return Ok(false);
            };
            if let Some(bytes) = replica.changes_since(id, &have)?
                && !bytes.is_empty()
            {
                self.carry = Some(Doc { id, bytes });
            }
        }
        Ok(true)
    }

    /// The next frame's documents, and whether more follow.
    fn fill<R: Replica>(&mut self, replica: &R) -> Result<(Vec<Doc>, bool), SyncError> {
        let mut docs = Vec::new();
        let mut size = 0;
        while self.ready(replica)? {
            let n = self.carry.as_ref().map_or(0, |d| d.bytes.len() + 24);
            if size + n > FRAME_BUDGET && !docs.is_empty() {
                return Ok((docs, true));
            }
            size += n;
            docs.extend(self.carry.take());
        }
        Ok((docs, false))
    }
}

/// Counters of one session, from one side's point of view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub rounds: u32,
    pub docs_sent: u64,
    pub docs_received: u64,
    pub docs_changed: u64,
}

/// The side that opens a session.
pub struct Initiator<'r, R: Replica> {
    replica: &'r R,
    index: Index,
    asked: BTreeSet<Prefix>,
    reply: (Vec<Children>, Vec<Items>),
    shared_out: Vec<SharedState>,
    done: bool,
    continuing: bool,
    /// Frames and document bytes received (see [`frame_allowance`]).
    frames: u64,
    bytes: u64,
    /// The next frame to send, without its documents, while a request is being sent.
    head: Option<Frame>,
    out: Outbox,
    pub stats: Stats,
}

impl<'r, R: Replica> Initiator<'r, R> {
    /// Snapshots the replica's entries.
    pub fn new(replica: &'r R) -> Result<Self, SyncError> {
        Ok(Initiator {
            index: Index::new(replica.entries()?),
            replica,
            asked: BTreeSet::new(),
            reply: (Vec::new(), Vec::new()),
            shared_out: Vec::new(),
            done: false,
            continuing: false,
            frames: 0,
            bytes: 0,
            head: None,
            out: Outbox::default(),
            stats: Stats::default(),
        })
    }

    /// The first frame: the root fingerprint and the shared documents' heads.
    pub fn start(&mut self) -> Result<Vec<Frame>, SyncError> {
        let (fp, count) = self.index.node(Prefix::ROOT);
        self.asked.insert(Prefix::ROOT);
        self.stats.rounds = 1;
        let shared = SHARED_KINDS
            .iter()
            .map(|k| {
                Ok(SharedState {
                    kind: *k,
                    heads: Some(self.replica.shared_heads(*k)?),
                    changes: Vec::new(),
                })
            })
            .collect::<Result<_, SyncError>>()?;
        Ok(vec![Frame::Request {
            nodes: vec![NodeSum {
                prefix: Prefix::ROOT,
                fp,
                count,
            }],
            push: Vec::new(),
            want: Vec::new(),
            shared,
            more: false,
        }])
    }

    /// Whether the session is over (the initiator sent `Done`).
    pub fn is_done(&self) -> bool {
        self.done && self.head.is_none()
    }

    /// Takes a frame from the responder and returns every frame to send next. This holds
    /// the whole request in memory; [`Initiator::accept`] with [`Initiator::next_frame`]
    /// streams it.
    pub fn receive(&mut self, frame: Frame) -> Result<Vec<Frame>, SyncError> {
        self.accept(frame)?;
        let mut out = Vec::new();
        while let Some(f) = self.next_frame()? {
            out.push(f);
        }
        Ok(out)
    }

    /// The next frame to send, its documents fetched now; `None` when the request is sent
    /// (then read the responder's next frame). Call it until `None` after each
    /// [`Initiator::accept`].
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SyncError> {
        let Some(head) = self.head.take() else {
            return Ok(None);
        };
        let Frame::Request {
            nodes,
            want,
            shared,
            ..
        } = head
        else {
            return Ok(Some(head));
        };
        let (push, more) = self.out.fill(self.replica)?;
        self.stats.docs_sent += push.len() as u64;
        if more {
            self.head = Some(Frame::Request {
                nodes: Vec::new(),
                push: Vec::new(),
                want: Vec::new(),
                shared: Vec::new(),
                more: false,
            });
        }
        Ok(Some(Frame::Request {
            nodes,
            push,
            want,
            shared,
            more,
        }))
    }

    /// Takes a frame from the responder; the frames to send next come from
    /// [`Initiator::next_frame`].
    pub fn accept(&mut self, frame: Frame) -> Result<(), SyncError> {
        if self.head.is_some() {
            return Err(SyncError::Protocol(
                "a frame was taken before the last request was sent".into(),
            ));
        }
        let Frame::Reply {
            children,
            items,
            docs,
            shared,
            more,
        } = frame
        else {
            return Err(SyncError::Protocol("expected a reply".into()));
        };
        count_frame(&mut self.frames, &mut self.bytes, &docs)?;
        for c in &children {
            if !self.asked.contains(&c.prefix) {
                return Err(SyncError::Protocol(
                    "reply about a prefix nobody asked for".into(),
                ));
            }
        }
        for i in &items {
            if !self.asked.contains(&i.prefix) {
                return Err(SyncError::Protocol(
                    "reply about a prefix nobody asked for".into(),
                ));
            }
        }
        // Only documents may continue over several frames; what to compare comes in the first
        // frame. This bounds what a peer can make us hold to one frame's worth.
        if self.continuing && !(children.is_empty() && items.is_empty() && shared.is_empty()) {
            return Err(SyncError::Protocol(
                "a continuation frame carries more than documents".into(),
            ));
        }
        self.continuing = more;
        self.stats.docs_received += docs.len() as u64;
        // Shared documents first: a change by a device the team just added is checked
        // against the team that includes it.
        for sh in shared {
            if !sh.changes.is_empty() {
                self.replica.apply_shared(sh.kind, &sh.changes)?;
            }
            if let Some(their_heads) = sh.heads {
                let changes = self.replica.shared_changes_since(sh.kind, &their_heads)?;
                if !changes.is_empty() {
                    self.shared_out.push(SharedState {
                        kind: sh.kind,
                        heads: None,
                        changes,
                    });
                }
            }
        }
        self.stats.docs_changed += self.replica.apply_many(&docs)?;
        self.reply.0.extend(children);
        self.reply.1.extend(items);
        if more {
            return Ok(());
        }
        let (children, items) = std::mem::take(&mut self.reply);
        self.asked.clear();
        let mut nodes = Vec::new();
        let mut want = Vec::new();
        for c in children {
            for (n, theirs) in c.nodes.iter().enumerate() {
                let child = c.prefix.child(n as u8);
                let mine = self.index.node(child);
                if mine == *theirs {
                    continue;
                }
                if theirs.1 == 0 {
                    for id in self.index.ids_in(child) {
                        self.out.push(*id, Vec::new());
                    }
                } else {
                    self.asked.insert(child);
                    nodes.push(NodeSum {
                        prefix: child,
                        fp: mine.0,
                        count: mine.1,
                    });
                }
            }
        }
        for it in items {
            let mine: BTreeMap<u128, Vec<Hash>> = self
                .index
                .items(it.prefix)
                .into_iter()
                .map(|i| (i.id, i.heads))
                .collect();
            let theirs: BTreeMap<u128, Vec<Hash>> =
                it.items.into_iter().map(|i| (i.id, i.heads)).collect();
            for (id, my_heads) in &mine {
                match theirs.get(id) {
                    None => self.out.push(*id, Vec::new()),
                    Some(their_heads) if sorted(their_heads) != sorted(my_heads) => {
                        self.out.push(*id, their_heads.clone());
                        if !self.replica.knows(*id, their_heads)? {
                            want.push(Want {
                                id: *id,
                                have: my_heads.clone(),
                            });
                        }
                    }
                    Some(_) => {}
                }
            }
            for id in theirs.keys().filter(|id| !mine.contains_key(id)) {
                want.push(Want {
                    id: *id,
                    have: Vec::new(),
                });
            }
        }
        let shared = std::mem::take(&mut self.shared_out);
        // Fetching ahead tells whether there is anything to push at all.
        if nodes.is_empty()
            && want.is_empty()
            && shared.is_empty()
            && !self.out.ready(self.replica)?
        {
            self.done = true;
            self.head = Some(Frame::Done);
            return Ok(());
        }
        self.stats.rounds += 1;
        if self.stats.rounds > MAX_ROUNDS {
            return Err(SyncError::Protocol(format!(
                "the peer did not finish the session within {MAX_ROUNDS} rounds"
            )));
        }
        self.head = Some(Frame::Request {
            nodes,
            push: Vec::new(),
            want,
            shared,
            more: false,
        });
        Ok(())
    }
}

fn sorted(h: &[Hash]) -> Vec<Hash> {
    let mut v = h.to_vec();
    v.sort();
    v
}

/// The side that accepts a session.
pub struct Responder<'r, R: Replica> {
    replica: &'r R,
    index: Index,
    request: (Vec<NodeSum>, Vec<Want>),
    shared_out: Vec<SharedState>,
    done: bool,
    continuing: bool,
    /// Frames and document bytes received (see [`frame_allowance`]).
    frames: u64,
    bytes: u64,
    /// The next frame to send, without its documents, while a reply is being sent.
    head: Option<Frame>,
    out: Outbox,
    pub stats: Stats,
}

impl<'r, R: Replica> Responder<'r, R> {
    /// Snapshots the replica's entries.
    pub fn new(replica: &'r R) -> Result<Self, SyncError> {
        Ok(Responder {
            index: Index::new(replica.entries()?),
            replica,
            request: (Vec::new(), Vec::new()),
            shared_out: Vec::new(),
            done: false,
            continuing: false,
            frames: 0,
            bytes: 0,
            head: None,
            out: Outbox::default(),
            stats: Stats::default(),
        })
    }

    /// Whether the initiator said `Done`.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Takes a frame from the initiator and returns every frame to send back. This holds the
    /// whole reply in memory; [`Responder::accept`] with [`Responder::next_frame`] streams it.
    pub fn receive(&mut self, frame: Frame) -> Result<Vec<Frame>, SyncError> {
        self.accept(frame)?;
        let mut out = Vec::new();
        while let Some(f) = self.next_frame()? {
            out.push(f);
        }
        Ok(out)
    }

    /// The next frame of the reply, its documents fetched now; `None` when the reply is sent
    /// (or none is due, after a continuation frame or `Done`). Call it until `None` after
    /// each [`Responder::accept`].
    pub fn next_frame(&mut self) -> Result<Option<Frame>, SyncError> {
        let Some(Frame::Reply {
            children,
            items,
            shared,
            ..
        }) = self.head.take()
        else {
            return Ok(None);
        };
        let (docs, more) = self.out.fill(self.replica)?;
        self.stats.docs_sent += docs.len() as u64;
        if more {
            self.head = Some(Frame::Reply {
                children: Vec::new(),
                items: Vec::new(),
                docs: Vec::new(),
                shared: Vec::new(),
                more: false,
            });
        }
        Ok(Some(Frame::Reply {
            children,
            items,
            docs,
            shared,
            more,
        }))
    }

    /// Takes a frame from the initiator; the reply comes from [`Responder::next_frame`].
    pub fn accept(&mut self, frame: Frame) -> Result<(), SyncError> {
        if self.head.is_some() {
            return Err(SyncError::Protocol(
                "a frame was taken before the last reply was sent".into(),
            ));
        }
        let (nodes, push, want, more) = match frame {
            Frame::Done => {
                self.done = true;
                return Ok(());
            }
            Frame::Reply { .. } => return Err(SyncError::Protocol("expected a request".into())),
            Frame::Request {
                nodes,
                push,
                want,
                shared,
                more,
            } => {
                count_frame(&mut self.frames, &mut self.bytes, &push)?;
                // Only documents may continue over several frames; what to compare comes in
                // the first frame. This bounds what a peer can make us hold to one frame.
                if self.continuing && !(nodes.is_empty() && want.is_empty() && shared.is_empty()) {
                    return Err(SyncError::Protocol(
                        "a continuation frame carries more than documents".into(),
                    ));
                }
                self.continuing = more;
                for sh in shared {
                    if !sh.changes.is_empty() {
                        self.replica.apply_shared(sh.kind, &sh.changes)?;
                    }
                    if let Some(their_heads) = sh.heads {
                        self.shared_out.push(SharedState {
                            kind: sh.kind,
                            heads: Some(self.replica.shared_heads(sh.kind)?),
                            changes: self.replica.shared_changes_since(sh.kind, &their_heads)?,
                        });
                    }
                }
                (nodes, push, want, more)
            }
        };
        self.stats.docs_received += push.len() as u64;
        self.stats.docs_changed += self.replica.apply_many(&push)?;
        self.request.0.extend(nodes);
        self.request.1.extend(want);
        if more {
            return Ok(());
        }
        self.stats.rounds += 1;
        if self.stats.rounds > MAX_ROUNDS {
            return Err(SyncError::Protocol(format!(
                "the peer did not finish the session within {MAX_ROUNDS} rounds"
            )));
        }
        let (mut nodes, mut want) = std::mem::take(&mut self.request);
        // A prefix or document asked about twice is answered once (no amplification), and
        // every document goes out at most once per reply, however the request overlaps.
        nodes.sort_by_key(|n| n.prefix);
        nodes.dedup_by_key(|n| n.prefix);
        want.sort_by_key(|w| w.id);
        want.dedup_by_key(|w| w.id);
        for w in want {
            self.out.push(w.id, w.have);
        }
        let mut children = Vec::new();
        let mut items = Vec::new();
        for n in nodes {
            let mine = self.index.node(n.prefix);
            if mine == (n.fp, n.count) {
                continue;
            }
            if n.count == 0 {
                for id in self.index.ids_in(n.prefix) {
                    self.out.push(*id, Vec::new());
                }
                // Still answer the prefix, so the initiator knows it was handled.
                items.push(Items {
                    prefix: n.prefix,
                    items: Vec::new(),
                });
            } else if mine.1 <= LEAF || n.count <= LEAF || n.prefix.depth >= MAX_DEPTH {
                items.push(Items {
                    prefix: n.prefix,
                    items: self.index.items(n.prefix),
                });
            } else {
                children.push(Children {
                    prefix: n.prefix,
                    nodes: self.index.children(n.prefix),
                });
            }
        }
        self.head = Some(Frame::Reply {
            children,
            items,
            docs: Vec::new(),
            shared: std::mem::take(&mut self.shared_out),
            more: false,
        });
        Ok(())
    }
}
