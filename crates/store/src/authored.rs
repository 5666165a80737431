//! Changes you can attribute: every customer change is bound to a device key.
//!
//! - **Actor = device key.** A device writes customer changes with an actor made of its
//!   ed25519 public key (its device id) and a 4-byte incarnation ([`ACTOR_LEN`] bytes; a new
//!   incarnation whenever a store takes on an identity, so a restored device never reuses a
//!   sequence number), and signs each change's hash ([`sign_change`]). The signature is kept
//!   beside the document in the `change_sigs` table, one row per change with the time the
//!   change arrived here, and travels with the change: what [`crate::Store::changes_since`]
//!   returns is a [`Delivery`] (the automerge bytes plus the signatures of the changes in
//!   them).
//! - **A peer's change is checked before it lands** (`attribute`, in a signed team). The
//!   answer depends only on the team, the change and the signatures that travel with it, so
//!   every device decides the same way and honest devices converge:
//!   - a change whose actor names a device key must carry that device's valid signature, and
//!     the device must be in the team: a current member, or a revoked one if the change is
//!     dated before its revocation or a current member vouches for it (signs it too: "I
//!     took this while its author was a member");
//!   - an unsigned change (an earlier Rapport's random actor) counts if it builds on no
//!     signed change (earlier versions never saw one) and its actor was declared for a
//!     device of the team (a signed [`rapport_team::Op::LegacyActors`]; each upgraded device
//!     declares its own) or, for an actor nobody declared, an admin or the owner vouches for
//!     it;
//!   - team settings changes must also come from a device that was an admin (or the owner)
//!     in the team as it knew it: each settings change names the team log's heads it was
//!     made under, and the store checks the role there.
//!
//!   Anything else (a forged actor, a signature copied from another change, random actors, a
//!   stranger's key) refuses its document alone; the rest of the frame still lands.
//! - **Vouching.** When a current member sends a change whose author is not one (made before
//!   signing, or by a since-revoked device), it adds its own signature. History shows the
//!   voucher, and `device undo` of an admin covers the unsigned changes only it vouched for.
//! - **Documents without signature rows** (written before this version, restored from an old
//!   backup, or merged while the device was in no signed team) are listed in
//!   `unsigned_docs`; sending one loads it to find which changes need a voucher.
//!
//! The signing message is `"rapport-change-v1\0" ‖ document id (16 bytes, big-endian) ‖
//! change hash`, so a signature cannot be replayed onto another document.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ChangeHash};
use rapport_team::{PublicKey, Role, SecretKey, Signature, TeamState, key_hex};
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// Signatures per change: `(document, change hash)` → postcard [`SigRow`].
pub(crate) const CHANGE_SIGS: TableDefinition<(u128, [u8; 32]), &[u8]> =
    TableDefinition::new("change_sigs");
/// Documents that hold changes without a row in `change_sigs`.
pub(crate) const UNSIGNED_DOCS: TableDefinition<u128, ()> = TableDefinition::new("unsigned_docs");

/// The document key of a shared document in `change_sigs` (customers use their id).
pub(crate) fn shared_key(kind: crate::Shared) -> u128 {
    match kind {
        crate::Shared::Settings => u128::MAX,
        crate::Shared::Team => u128::MAX - 1,
    }
}

const CONTEXT: &[u8] = b"rapport-change-v1\0";
/// First bytes of a [`Delivery`] (automerge's own bytes start with `85 6f 4a 83`).
const MAGIC: &[u8; 4] = b"RPD1";
/// Signatures kept per change: its author's and up to three vouchers'.
pub const MAX_SIGS_PER_CHANGE: usize = 4;

/// One device's signature over a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sig {
    /// The signing device's key.
    pub by: [u8; 32],
    /// Its ed25519 signature (64 bytes).
    pub sig: Vec<u8>,
}

/// A stored change's signatures, with when it arrived here (Unix ms).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SigRow {
    pub arrived_ms: i64,
    /// The device key the change is signed by as its actor (`None`: an unsigned change).
    pub author: Option<[u8; 32]>,
    pub sigs: Vec<Sig>,
}

/// Automerge bytes with the signatures of the changes in them: what travels between devices.
///
/// On the wire a signature names its change by the first [`HASH_PREFIX`] bytes of the hash
/// (the signature covers the whole hash, so a prefix that matches two changes only fails
/// to verify for one) and its signer by an index into the delivery's list of keys: about 75
/// bytes a change instead of 130. A decoded delivery's hashes hold that prefix, zero-padded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub doc: Vec<u8>,
    pub sigs: Vec<([u8; 32], Sig)>,
}

/// Bytes of a change hash that name it in a [`Delivery`] on the wire.
pub const HASH_PREFIX: usize = 8;

#[derive(Serialize, Deserialize)]
struct WireDelivery {
    doc: Vec<u8>,
    keys: Vec<[u8; 32]>,
    sigs: Vec<([u8; HASH_PREFIX], u8, Vec<u8>)>,
}

/// The wire prefix of a change hash, zero-padded to a hash's length.
pub(crate) fn prefix_of(hash: &[u8; 32]) -> [u8; 32] {
    let mut p = [0u8; 32];
    p[..HASH_PREFIX].copy_from_slice(&hash[..HASH_PREFIX]);
    p
}

impl Delivery {
    /// The bytes that travel.
    pub fn encode(&self) -> Vec<u8> {
        let mut keys: Vec<[u8; 32]> = Vec::new();
        let mut sigs = Vec::with_capacity(self.sigs.len());
        for (h, s) in &self.sigs {
            let i = match keys.iter().position(|k| *k == s.by) {
                Some(i) => i,
                None if keys.len() < 256 => {
                    keys.push(s.by);
                    keys.len() - 1
                }
                None => continue,
            };
            let mut p = [0u8; HASH_PREFIX];
            p.copy_from_slice(&h[..HASH_PREFIX]);
            sigs.push((p, i as u8, s.sig.clone()));
        }
        let wire = WireDelivery {
            doc: self.doc.clone(),
            keys,
            sigs,
        };
        let mut out = MAGIC.to_vec();
        // Encoding plain vectors and arrays cannot fail.
        out.extend(postcard::to_stdvec(&wire).unwrap_or_default());
        out
    }

    /// Reads what a peer sent: a [`Delivery`] (hashes as wire prefixes), or plain automerge
    /// bytes (no signatures).
    pub fn decode(bytes: &[u8]) -> Result<Delivery, String> {
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Ok(Delivery {
                doc: bytes.to_vec(),
                sigs: Vec::new(),
            });
        };
        let wire: WireDelivery =
            postcard::from_bytes(rest).map_err(|e| format!("malformed signed delivery: {e}"))?;
        let mut sigs = Vec::with_capacity(wire.sigs.len());
        for (p, i, sig) in wire.sigs {
            let by = *wire
                .keys
                .get(usize::from(i))
                .ok_or("malformed signed delivery: a signer index out of range")?;
            let mut h = [0u8; 32];
            h[..HASH_PREFIX].copy_from_slice(&p);
            sigs.push((h, Sig { by, sig }));
        }
        Ok(Delivery {
            doc: wire.doc,
            sigs,
        })
    }
}

fn message(doc: u128, hash: &ChangeHash) -> Vec<u8> {
    let mut m = CONTEXT.to_vec();
    m.extend_from_slice(&doc.to_be_bytes());
    m.extend_from_slice(&hash.0);
    m
}

/// `key`'s signature over change `hash` of document `doc`.
pub fn sign_change(key: &SecretKey, doc: u128, hash: &ChangeHash) -> Sig {
    Sig {
        by: *key.public().as_bytes(),
        sig: key.sign(&message(doc, hash)).to_bytes().to_vec(),
    }
}

/// Whether `sig` is a valid signature over change `hash` of document `doc`.
pub fn verify_sig(doc: u128, hash: &ChangeHash, sig: &Sig) -> bool {
    let Ok(bytes) = <[u8; 64]>::try_from(sig.sig.as_slice()) else {
        return false;
    };
    let Ok(key) = PublicKey::from_bytes(&sig.by) else {
        return false;
    };
    key.verify(&message(doc, hash), &Signature::from_bytes(&bytes))
        .is_ok()
}

/// What the checks read of a change: its metadata, without decoding its operations.
#[derive(Clone, Debug)]
pub(crate) struct ChangeInfo {
    pub actor: Vec<u8>,
    pub hash: ChangeHash,
    /// Claimed time (Unix seconds).
    pub time: i64,
    pub deps: Vec<ChangeHash>,
    pub message: Option<String>,
}

impl ChangeInfo {
    pub(crate) fn of_change(c: &automerge::Change) -> Self {
        ChangeInfo {
            actor: c.actor_id().to_bytes().to_vec(),
            hash: c.hash(),
            time: c.timestamp(),
            deps: c.deps().to_vec(),
            message: c.message().map(str::to_string),
        }
    }
}

/// The changes of `doc` not in the history of `have` (all with `&[]`), oldest first, read
/// from automerge's change metadata (much cheaper than `get_changes`, which rebuilds each
/// change's operations).
pub(crate) fn infos(doc: &mut AutoCommit, have: &[ChangeHash]) -> Vec<ChangeInfo> {
    doc.get_changes_meta(have)
        .into_iter()
        .map(|m| ChangeInfo {
            actor: m.actor.to_bytes().to_vec(),
            hash: m.hash,
            time: m.timestamp,
            deps: m.deps,
            message: m.message.map(|m| m.into_owned()),
        })
        .collect()
}

/// Length of a device's actor: its key and a 4-byte incarnation.
pub const ACTOR_LEN: usize = 36;

/// A new actor for device `key`: the key and a random incarnation.
pub(crate) fn new_actor(key: &[u8; 32]) -> Vec<u8> {
    let mut a = key.to_vec();
    a.extend_from_slice(&rand::random::<[u8; 4]>());
    a
}

/// The next incarnation of device `key` after actor `previous` (a restore): derived, so the
/// same restore gives the same actor, and different from `previous`.
pub(crate) fn next_actor(key: &[u8; 32], previous: &[u8]) -> Vec<u8> {
    let mut h = blake3::Hasher::new();
    h.update(b"rapport-actor-incarnation\0");
    h.update(previous);
    h.update(key);
    let mut a = key.to_vec();
    a.extend_from_slice(&h.finalize().as_bytes()[..4]);
    a
}

/// The device key an actor names: its first 32 bytes, for an actor of 32 or [`ACTOR_LEN`]
/// bytes (`None`: an actor from before signing, or not a device's).
pub fn actor_key(actor: &[u8]) -> Option<[u8; 32]> {
    match actor.len() {
        32 | ACTOR_LEN => <[u8; 32]>::try_from(&actor[..32]).ok(),
        _ => None,
    }
}

/// Who a change is attributed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// The device that made it: the key it is signed with, or the device its (pre-signing)
    /// actor was declared for.
    pub device: Option<[u8; 32]>,
    /// Whether `device` signed it (false: declared legacy actor, unsigned).
    pub signed: bool,
    /// The current member that vouched for it, when its author is not one.
    pub vouched_by: Option<[u8; 32]>,
}

fn short(actor: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&actor[..actor.len().min(4)])
}

fn label(st: &TeamState, key: &[u8; 32]) -> String {
    match st.devices.get(key) {
        Some(d) if !d.name.is_empty() => format!("{} ({})", d.name, &key_hex(key)[..8]),
        _ => key_hex(key)[..8].to_string(),
    }
}

/// Whether `key` is a current member with at least role `need`.
fn current(st: &TeamState, key: &[u8; 32], need: Role) -> bool {
    st.role(key).is_some_and(|r| r >= need)
}

/// Whether `key`'s change dated `time_s` (Unix seconds) counts although `key` is no longer a
/// current member: it is dated before the device was revoked.
fn dated_before_revocation(st: &TeamState, key: &[u8; 32], time_s: i64) -> bool {
    st.devices.get(key).is_some_and(|d| {
        d.revoked_at
            .is_none_or(|at| time_s.saturating_mul(1000) <= at)
    })
}

/// Checks a peer's change `c` against team `st` with the signatures that came with it
/// (`sigs`, all already verified); `builds_on_signed` says whether `c` depends, directly or
/// not, on a change signed by a device key. (Settings changes are also checked for the
/// author's role, by the store.) Returns who it is attributed to, or why it is
/// refused. The answer depends only on the team, the change and its signatures, so every
/// device holding them decides the same way.
pub(crate) fn attribute(
    st: &TeamState,
    c: &ChangeInfo,
    sigs: &[Sig],
    builds_on_signed: bool,
) -> Result<Attribution, String> {
    let actor = c.actor.as_slice();
    let author = actor_key(actor);
    // A voucher: a current member other than the author, saying it holds the change (it took
    // it while the author still had standing, as far as it knew then).
    let voucher = || {
        sigs.iter()
            .find(|s| st.is_member(&s.by) && Some(s.by) != author)
            .map(|s| s.by)
    };
    if let Some(key) = author {
        if !st.devices.contains_key(&key) {
            return Err(format!(
                "a change by {}, which is not a device of this team",
                short(actor)
            ));
        }
        if !sigs.iter().any(|s| s.by == key) {
            return Err(format!(
                "a change that claims to be by {} without its signature (forged, or relayed without it)",
                label(st, &key)
            ));
        }
        if st.is_member(&key) || dated_before_revocation(st, &key, c.time) {
            return Ok(Attribution {
                device: Some(key),
                signed: true,
                vouched_by: None,
            });
        }
        return match voucher() {
            Some(v) => Ok(Attribution {
                device: Some(key),
                signed: true,
                vouched_by: Some(v),
            }),
            None => Err(format!(
                "a change by {}, which was revoked, dated after its revocation and vouched for by no current member",
                label(st, &key)
            )),
        };
    }
    // An unsigned change (an earlier Rapport's actor). Earlier versions never saw a signed
    // change, so one built on signed history is forged.
    if builds_on_signed {
        return Err(format!(
            "an unsigned change by actor {} built on signed changes (an earlier Rapport cannot have made it)",
            short(actor)
        ));
    }
    // Declared for a device (by itself, or by an admin): that device's earlier history.
    if let Some(owner) = st.legacy_owner(actor) {
        return Ok(Attribution {
            device: Some(owner),
            signed: false,
            vouched_by: None,
        });
    }
    // Nobody declared the actor: only an admin (or the owner) vouches for such history.
    let admin = sigs
        .iter()
        .find(|s| current(st, &s.by, Role::Admin))
        .map(|s| s.by);
    match admin {
        Some(v) => Ok(Attribution {
            device: None,
            signed: false,
            vouched_by: Some(v),
        }),
        None => Err(format!(
            "an unsigned change by actor {}, which no device of this team declared and no admin vouches for",
            short(actor)
        )),
    }
}

/// Attribution of a stored change from its row (no checks: it was checked when it landed).
pub(crate) fn attribution_of(
    st: Option<&TeamState>,
    c: &ChangeInfo,
    row: Option<&SigRow>,
) -> Attribution {
    let actor = c.actor.as_slice();
    let key = actor_key(actor);
    let signed = key.is_some() && row.is_some_and(|r| r.author == key);
    let device = match (key, st) {
        (Some(k), _) => Some(k),
        (None, Some(st)) => st.legacy_owner(actor),
        (None, None) => None,
    };
    let author_current = signed
        && match (device, st) {
            (Some(d), Some(st)) => st.is_member(&d),
            _ => true,
        };
    let vouched_by = if author_current {
        None
    } else {
        row.and_then(|r| r.sigs.iter().find(|s| Some(s.by) != key).map(|s| s.by))
    };
    Attribution {
        device,
        signed,
        vouched_by,
    }
}

/// Rows of document `doc`, by change hash.
pub(crate) fn rows_of(
    t: &impl ReadableTable<(u128, [u8; 32]), &'static [u8]>,
    doc: u128,
) -> Result<BTreeMap<[u8; 32], SigRow>, crate::StoreError> {
    let mut out = BTreeMap::new();
    for row in t.range((doc, [0u8; 32])..=(doc, [0xff; 32]))? {
        let (k, v) = row?;
        if let Ok(r) = postcard::from_bytes::<SigRow>(v.value()) {
            out.insert(k.value().1, r);
        }
    }
    Ok(out)
}

/// Signs this device's new changes of `doc` (everything after `old_heads`) and records them.
pub(crate) fn record_local(
    t: &mut redb::Table<'_, (u128, [u8; 32]), &'static [u8]>,
    key: &SecretKey,
    doc_key: u128,
    doc: &mut AutoCommit,
    old_heads: &[ChangeHash],
    now_ms: i64,
) -> Result<(), crate::StoreError> {
    let hashes: Vec<ChangeHash> = infos(doc, old_heads).iter().map(|c| c.hash).collect();
    for h in hashes {
        let row = SigRow {
            arrived_ms: now_ms,
            author: Some(*key.public().as_bytes()),
            sigs: vec![sign_change(key, doc_key, &h)],
        };
        t.insert((doc_key, h.0), postcard::to_stdvec(&row)?.as_slice())?;
    }
    Ok(())
}

/// Whether every change of a stored document can be sent with its stored signatures alone:
/// each has a row, signed by an author that is a current member.
pub(crate) fn rows_suffice(st: Option<&TeamState>, rows: &BTreeMap<[u8; 32], SigRow>) -> bool {
    rows.values().all(|r| match (r.author, st) {
        (Some(a), Some(st)) => st.is_member(&a),
        (Some(_), None) => true,
        (None, _) => false,
    })
}

/// The stored signatures of every row (what goes with a whole document when
/// [`rows_suffice`]).
pub(crate) fn stored(rows: &BTreeMap<[u8; 32], SigRow>) -> Vec<([u8; 32], Sig)> {
    rows.iter()
        .flat_map(|(h, r)| r.sigs.iter().map(|s| (*h, s.clone())))
        .collect()
}

/// The signatures that go with the changes `changes` of `doc` when this device sends them:
/// the stored ones, plus this device's voucher for a change whose author is not a current
/// member (or that has no row).
pub(crate) fn outgoing(
    st: Option<&TeamState>,
    me: &SecretKey,
    doc: u128,
    changes: &[ChangeInfo],
    rows: &BTreeMap<[u8; 32], SigRow>,
) -> Vec<([u8; 32], Sig)> {
    let my_key = *me.public().as_bytes();
    // Any current member vouches for what it holds (the receiver decides what counts).
    let i_may = st.is_none_or(|st| st.is_member(&my_key));
    let mut out = Vec::new();
    for c in changes {
        let h = c.hash;
        let row = rows.get(&h.0);
        if let Some(r) = row {
            out.extend(r.sigs.iter().map(|s| (h.0, s.clone())));
        }
        let a = attribution_of(st, c, row);
        let author_current = a.signed
            && a.device
                .is_some_and(|d| st.is_none_or(|st| st.is_member(&d)));
        let mine_already = row.is_some_and(|r| r.sigs.iter().any(|s| s.by == my_key));
        if !author_current && i_may && !mine_already {
            out.push((h.0, sign_change(me, doc, &h)));
        }
    }
    out
}
