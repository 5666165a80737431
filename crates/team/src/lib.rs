//! # rapport-team: a team membership that verifies itself
//!
//! A team is a set of **signed entries**. Each entry is authored by a device (its ed25519
//! key, the same key that is its iroh endpoint id), names the entries its author had seen
//! (`deps`, so the set forms a causal graph rooted at the team's genesis), and carries one
//! [`Op`]: add a device, revoke one, reinstate one, set a role, describe oneself (name and
//! addresses), or recover ownership with the team's recovery code. The set travels inside the
//! team's automerge document, but nothing in it is trusted for what the document says: every
//! device decodes each entry, checks its signature, and derives the team ([`TeamState`]) with
//! [`Log::state`], a pure function of the set of entries. Devices holding the same entries
//! derive the same team, whatever order they received them in.
//!
//! ## Rules (checked against the author's role at that point of the history)
//!
//! - The device that creates the team ([`Op::Genesis`]) is its **owner**. The team's id is the
//!   hash of its genesis entry; entries of another team are ignored.
//! - **Admins** add members and revoke members. Only the owner appoints admins
//!   ([`Op::SetRole`]), revokes an admin, reinstates a revoked device, or revokes more than
//!   [`ADMIN_REVOKES_PER_DAY`] devices within 24 hours. **Members** can only describe
//!   themselves and leave (revoke themselves).
//! - A revoked device's entries count only if its revocation had seen them: anything it signs
//!   concurrently with or after its revocation is void, and so is everything that depended
//!   on it (a device it added is not a member).
//! - The owner's lost device is replaced with the **recovery code** printed when the team was
//!   made: [`Op::Recover`], signed by the recovery key, makes another device the owner and
//!   revokes the old one.
//! - A device may declare the actors it wrote customer changes with before changes were
//!   signed ([`Op::LegacyActors`], at most [`MAX_LEGACY_ACTORS`]); an admin may declare them
//!   for a device that will never upgrade. An actor belongs to the first device it was
//!   declared for.
//! - Claimed times must not go backwards along the history (an entry's time is at least each
//!   of its dependencies'); the rate limit reads them.
//! - Entries are ordered by a topological sort of the causal graph, ties broken by hash, so
//!   concurrent conflicting entries resolve the same way everywhere.
//!
//! Entries that do not verify (bad signature, unknown team, missing dependencies, an author
//! without the right) are kept out of the team and listed in [`TeamState::ignored`] with the
//! reason, for the app to show.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet};

pub use iroh_base::{PublicKey, SecretKey, Signature};
use serde::{Deserialize, Serialize};

/// A hash: of a signed entry, or a team's id (its genesis entry's hash).
pub type Hash = [u8; 32];

/// The largest signed entry accepted (bytes).
pub const MAX_ENTRY_BYTES: usize = 16 * 1024;
/// The most dependencies one entry may name.
pub const MAX_DEPS: usize = 64;
/// The most entries a team may hold; later ones are refused by [`Log::insert`].
pub const MAX_ENTRIES: usize = 50_000;
/// How many devices an admin may revoke within 24 hours (claimed times); more needs the owner.
pub const ADMIN_REVOKES_PER_DAY: usize = 3;
/// The longest device name kept (characters); control characters are dropped.
pub const MAX_NAME_CHARS: usize = 100;
/// The most addresses a device may describe.
pub const MAX_ADDRS: usize = 16;
/// The most legacy (pre-signing) actors one device may have declared.
pub const MAX_LEGACY_ACTORS: usize = 4;
/// Length of a legacy actor id (a random UUID, as earlier Rapport versions made them).
pub const LEGACY_ACTOR_LEN: usize = 16;
const DAY_MS: i64 = 24 * 3600 * 1000;
const SIGNING_CONTEXT: &[u8] = b"rapport-team-entry-v1\0";

/// A device's role in the team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    /// `owner`, `admin` or `member`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Parses `admin` or `member` (the roles the owner can give).
    pub fn parse_assignable(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an entry does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Creates the team with its author as owner. `members` and `revoked` carry an existing
    /// (unsigned, version 1) team over when its owner adopts it; a new team has none.
    Genesis {
        name: String,
        recovery: [u8; 32],
        members: Vec<([u8; 32], String)>,
        revoked: Vec<([u8; 32], String)>,
    },
    /// Adds a device as member or admin.
    Add {
        device: [u8; 32],
        name: String,
        role: Role,
    },
    /// Revokes a device for the whole team.
    Revoke { device: [u8; 32] },
    /// Undoes a revocation (owner only); the device comes back as a member.
    Reinstate { device: [u8; 32] },
    /// Appoints an admin or makes an admin a member again (owner only).
    SetRole { device: [u8; 32], role: Role },
    /// The author's own name and direct addresses.
    Describe { name: String, addrs: Vec<String> },
    /// Signed by the team's recovery key: `device` becomes the owner, the old owner is revoked.
    Recover { device: [u8; 32], name: String },
    /// Names the automerge actors a device signed its customer changes with before changes
    /// were bound to device keys (a store upgraded from an earlier Rapport): `(device, actor)`.
    /// A member declares its own; an admin or the owner may also declare those of devices
    /// that will never upgrade. Each device keeps at most [`MAX_LEGACY_ACTORS`], and an actor
    /// belongs to the first device it was declared for.
    LegacyActors { actors: Vec<([u8; 32], Vec<u8>)> },
}

/// An entry before signing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The team's id; all zeros in its genesis entry.
    pub team: Hash,
    /// The entries the author had seen (the log's heads then); empty only for a genesis.
    pub deps: Vec<Hash>,
    /// The signing key: a device, or the recovery key for [`Op::Recover`].
    pub author: [u8; 32],
    /// Claimed time, Unix milliseconds.
    pub at: i64,
    pub op: Op,
}

#[derive(Serialize, Deserialize)]
struct Signed {
    entry: Vec<u8>,
    sig: Vec<u8>,
}

/// Why an entry's bytes were refused outright.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("the entry is {0} bytes; at most {MAX_ENTRY_BYTES} are accepted")]
    TooLarge(usize),
    #[error("the entry does not decode: {0}")]
    Malformed(String),
    #[error("the entry's signature does not verify")]
    BadSignature,
    #[error("the team already holds {MAX_ENTRIES} entries")]
    Full,
}

/// Why this device may not make a change (the CLI prints it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("this device is not a member of the team")]
    NotMember,
    #[error("this device was revoked")]
    Revoked,
    #[error("only an admin or the owner can do that; ask {admins}")]
    NeedsAdmin { admins: String },
    #[error("only the team's owner ({owner}) can do that")]
    NeedsOwner { owner: String },
    #[error("{0}")]
    Invalid(String),
}

fn hash_of(bytes: &[u8]) -> Hash {
    *blake3::hash(bytes).as_bytes()
}

impl Entry {
    /// Signs the entry with `key` (whose public key must be `author`); returns the bytes that
    /// travel and their hash.
    pub fn sign(&self, key: &SecretKey) -> Result<(Hash, Vec<u8>), EntryError> {
        let entry = postcard::to_stdvec(self).map_err(|e| EntryError::Malformed(e.to_string()))?;
        let mut msg = SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(&entry);
        let sig = key.sign(&msg).to_bytes().to_vec();
        let bytes = postcard::to_stdvec(&Signed { entry, sig })
            .map_err(|e| EntryError::Malformed(e.to_string()))?;
        Ok((hash_of(&bytes), bytes))
    }

    /// Decodes signed bytes and checks the signature against the claimed author.
    pub fn verify(bytes: &[u8]) -> Result<(Hash, Entry), EntryError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let signed: Signed =
            postcard::from_bytes(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        let entry: Entry = postcard::from_bytes(&signed.entry)
            .map_err(|e| EntryError::Malformed(e.to_string()))?;
        // Exactly one encoding per entry (no trailing bytes, no overlong lengths): another
        // encoding of the same entry would get another hash.
        let canonical = postcard::to_stdvec(&entry).ok() == Some(signed.entry.clone())
            && postcard::to_stdvec(&signed).ok().as_deref() == Some(bytes);
        if !canonical {
            return Err(EntryError::Malformed(
                "not in its canonical encoding".into(),
            ));
        }
        if entry.deps.len() > MAX_DEPS {
            return Err(EntryError::Malformed(format!(
                "{} dependencies; at most {MAX_DEPS}",
                entry.deps.len()
            )));
        }
        let sig: [u8; 64] = signed
            .sig
            .as_slice()
            .try_into()
            .map_err(|_| EntryError::BadSignature)?;
        let author = PublicKey::from_bytes(&entry.author).map_err(|_| EntryError::BadSignature)?;
        let mut msg = SIGNING_CONTEXT.to_vec();
        msg.extend_from_slice(&signed.entry);
        author
            .verify(&msg, &iroh_base::Signature::from_bytes(&sig))
            .map_err(|_| EntryError::BadSignature)?;
        Ok((hash_of(bytes), entry))
    }
}

/// A device name as kept: control characters dropped, at most [`MAX_NAME_CHARS`].
pub fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .take(MAX_NAME_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A device id as text (lowercase hex of its public key, as iroh prints endpoint ids).
pub fn key_hex(key: &[u8; 32]) -> String {
    data_encoding::HEXLOWER.encode(key)
}

/// Parses a device id (64 hex digits).
pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim().as_bytes())
        .ok()?;
    bytes.try_into().ok()
}

/// The team's recovery code: 20 random bytes, shown as 8 groups of 4 base32 letters. The
/// recovery key is derived from it, so the code alone can sign [`Op::Recover`].
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode([u8; 20]);

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(…)")
    }
}

impl RecoveryCode {
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        RecoveryCode(bytes)
    }

    /// The code as printed: `ABCD-EFGH-…` (8 groups).
    pub fn to_text(&self) -> String {
        let s = data_encoding::BASE32_NOPAD.encode(&self.0);
        s.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Parses a typed code: case, spaces and dashes do not matter.
    pub fn parse(text: &str) -> Option<Self> {
        let clean: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).ok()?;
        Some(RecoveryCode(bytes.try_into().ok()?))
    }

    /// The key that signs a recovery.
    pub fn key(&self) -> SecretKey {
        SecretKey::from_bytes(&blake3::derive_key("rapport team recovery key v1", &self.0))
    }
}

/// One device as the team sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: [u8; 32],
    pub name: String,
    pub role: Role,
    pub revoked: bool,
    /// Who added it (`None` for the owner at genesis).
    pub added_by: Option<[u8; 32]>,
    /// Who revoked it, when revoked.
    pub revoked_by: Option<[u8; 32]>,
    /// Claimed time it was added (Unix ms).
    pub added_at: i64,
    /// Claimed time of the entry that revoked it, when revoked (Unix ms).
    pub revoked_at: Option<i64>,
    pub addrs: Vec<String>,
    /// Actors it wrote customer changes with before changes were signed ([`Op::LegacyActors`]).
    pub legacy_actors: Vec<Vec<u8>>,
}

impl DeviceRecord {
    /// A current member added by `by` at claimed time `at`.
    fn member(id: [u8; 32], name: &str, by: [u8; 32], at: i64) -> Self {
        DeviceRecord {
            id,
            name: clean_name(name),
            role: Role::Member,
            revoked: false,
            added_by: Some(by),
            revoked_by: None,
            added_at: at,
            revoked_at: None,
            addrs: Vec::new(),
            legacy_actors: Vec::new(),
        }
    }
}

/// An entry kept out of the team, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignored {
    pub hash: Hash,
    pub author: [u8; 32],
    pub reason: String,
}

/// The team derived from a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamState {
    pub team: Hash,
    /// Claimed time of the genesis entry (ms): when the team got its owner.
    pub founded_at: i64,
    pub name: String,
    pub owner: [u8; 32],
    pub recovery: [u8; 32],
    pub devices: BTreeMap<[u8; 32], DeviceRecord>,
    pub ignored: Vec<Ignored>,
    /// Revocations that counted, by author and claimed time (for the rate limit).
    admin_revokes: HashMap<[u8; 32], Vec<i64>>,
}

impl TeamState {
    /// Whether `id` is a current (not revoked) member of any role.
    pub fn is_member(&self, id: &[u8; 32]) -> bool {
        self.devices.get(id).is_some_and(|d| !d.revoked)
    }

    /// The device a legacy (pre-signing) actor was declared for, current or former.
    pub fn legacy_owner(&self, actor: &[u8]) -> Option<[u8; 32]> {
        self.devices
            .values()
            .find(|d| d.legacy_actors.iter().any(|a| a == actor))
            .map(|d| d.id)
    }

    /// `id`'s role, if it is a current member.
    pub fn role(&self, id: &[u8; 32]) -> Option<Role> {
        self.devices.get(id).filter(|d| !d.revoked).map(|d| d.role)
    }

    fn label(&self, id: &[u8; 32]) -> String {
        match self.devices.get(id) {
            Some(d) if !d.name.is_empty() => format!("{} ({})", d.name, &key_hex(id)[..8]),
            _ => key_hex(id)[..8].to_string(),
        }
    }

    /// The current admins and the owner, as "name (id)" for messages.
    pub fn admins_text(&self) -> String {
        let v: Vec<String> = self
            .devices
            .values()
            .filter(|d| !d.revoked && d.role >= Role::Admin)
            .map(|d| self.label(&d.id))
            .collect();
        v.join(", ")
    }

    /// Whether `author` may make `op` at claimed time `at` now: the same rule
    /// [`Log::state`] applies to every entry.
    pub fn check(&self, author: &[u8; 32], at: i64, op: &Op) -> Result<(), Denied> {
        let needs_admin = || Denied::NeedsAdmin {
            admins: self.admins_text(),
        };
        let needs_owner = || Denied::NeedsOwner {
            owner: self.label(&self.owner),
        };
        if let Op::Recover { device, .. } = op {
            if author != &self.recovery {
                return Err(Denied::Invalid(
                    "not signed by the team's recovery key".into(),
                ));
            }
            if device == &self.owner {
                return Err(Denied::Invalid("that device is already the owner".into()));
            }
            return Ok(());
        }
        if matches!(op, Op::Genesis { .. }) {
            return Err(Denied::Invalid("a team has one genesis".into()));
        }
        let me = match self.devices.get(author) {
            None => return Err(Denied::NotMember),
            Some(d) if d.revoked => return Err(Denied::Revoked),
            Some(d) => d,
        };
        let target = |device: &[u8; 32]| {
            self.devices
                .get(device)
                .ok_or_else(|| Denied::Invalid(format!("{} is not in the team", key_hex(device))))
        };
        match op {
            Op::Genesis { .. } | Op::Recover { .. } => Ok(()),
            Op::Describe { .. } => Ok(()),
            Op::LegacyActors { actors } => {
                if actors.is_empty() || actors.len() > MAX_LEGACY_ACTORS * 16 {
                    return Err(Denied::Invalid(
                        "a legacy-actor entry names 1 to 64 actors".into(),
                    ));
                }
                for (device, actor) in actors {
                    if device != author && me.role < Role::Admin {
                        return Err(needs_admin());
                    }
                    target(device)?;
                    if actor.len() != LEGACY_ACTOR_LEN {
                        return Err(Denied::Invalid(format!(
                            "a legacy actor is {LEGACY_ACTOR_LEN} bytes, not {}",
                            actor.len()
                        )));
                    }
                }
                Ok(())
            }
            Op::Add { device, role, .. } => {
                if me.role < Role::Admin {
                    return Err(needs_admin());
                }
                match role {
                    Role::Owner => return Err(Denied::Invalid("a team has one owner".into())),
                    Role::Admin if me.role != Role::Owner => return Err(needs_owner()),
                    _ => {}
                }
                match self.devices.get(device) {
                    Some(d) if d.revoked => Err(Denied::Invalid(format!(
                        "{} was revoked; only the owner can reinstate it",
                        self.label(device)
                    ))),
                    Some(_) => Err(Denied::Invalid(format!(
                        "{} is already a member",
                        self.label(device)
                    ))),
                    None => Ok(()),
                }
            }
            Op::Revoke { device } => {
                if device != author && me.role == Role::Member {
                    return Err(needs_admin());
                }
                let t = target(device)?;
                if t.revoked {
                    return Err(Denied::Invalid(format!(
                        "{} is already revoked",
                        self.label(device)
                    )));
                }
                if t.role == Role::Owner {
                    return Err(Denied::Invalid(
                        "the owner cannot be revoked (recover ownership with the recovery code)"
                            .into(),
                    ));
                }
                if device == author {
                    return Ok(()); // leaving the team
                }
                match me.role {
                    Role::Owner | Role::Member => Ok(()),
                    Role::Admin => {
                        if t.role == Role::Admin {
                            return Err(needs_owner());
                        }
                        let recent = self
                            .admin_revokes
                            .get(author)
                            .map(|v| v.iter().filter(|t| **t > at - DAY_MS).count())
                            .unwrap_or(0);
                        if recent >= ADMIN_REVOKES_PER_DAY {
                            return Err(Denied::NeedsOwner {
                                owner: format!(
                                    "{}; an admin revokes at most {ADMIN_REVOKES_PER_DAY} devices a day",
                                    self.label(&self.owner)
                                ),
                            });
                        }
                        Ok(())
                    }
                }
            }
            Op::Reinstate { device } => {
                if me.role != Role::Owner {
                    return Err(needs_owner());
                }
                if !target(device)?.revoked {
                    return Err(Denied::Invalid(format!(
                        "{} is not revoked",
                        self.label(device)
                    )));
                }
                Ok(())
            }
            Op::SetRole { device, role } => {
                if me.role != Role::Owner {
                    return Err(needs_owner());
                }
                let t = target(device)?;
                if t.revoked || t.role == Role::Owner || *role == Role::Owner {
                    return Err(Denied::Invalid(
                        "the owner can make a current device admin or member".into(),
                    ));
                }
                Ok(())
            }
        }
    }

    fn apply(&mut self, author: &[u8; 32], at: i64, op: &Op) {
        match op {
            Op::Genesis { .. } => {}
            Op::Add { device, name, role } => {
                let mut d = DeviceRecord::member(*device, name, *author, at);
                d.role = *role;
                self.devices.insert(*device, d);
            }
            Op::Revoke { device } => {
                if self.role(author) == Some(Role::Admin) && author != device {
                    self.admin_revokes.entry(*author).or_default().push(at);
                }
                if let Some(d) = self.devices.get_mut(device) {
                    d.revoked = true;
                    d.revoked_by = Some(*author);
                    d.revoked_at = Some(at);
                }
            }
            Op::Reinstate { device } => {
                if let Some(d) = self.devices.get_mut(device) {
                    d.revoked = false;
                    d.revoked_by = None;
                    d.revoked_at = None;
                    d.role = Role::Member;
                }
            }
            Op::SetRole { device, role } => {
                if let Some(d) = self.devices.get_mut(device) {
                    d.role = *role;
                }
            }
            Op::Describe { name, addrs } => {
                if let Some(d) = self.devices.get_mut(author) {
                    let name = clean_name(name);
                    if !name.is_empty() {
                        d.name = name;
                    }
                    d.addrs = clean_addrs(addrs);
                }
            }
            Op::Recover { device, name } => {
                let old = self.owner;
                if let Some(d) = self.devices.get_mut(&old) {
                    d.revoked = true;
                    d.revoked_by = Some(*author);
                    d.revoked_at = Some(at);
                    d.role = Role::Member;
                }
                let d = self
                    .devices
                    .entry(*device)
                    .or_insert_with(|| DeviceRecord::member(*device, name, *author, at));
                d.role = Role::Owner;
                d.revoked = false;
                d.revoked_by = None;
                d.revoked_at = None;
                self.owner = *device;
            }
            Op::LegacyActors { actors } => {
                for (device, actor) in actors {
                    if self.legacy_owner(actor).is_some() {
                        continue; // an actor belongs to the first device it was declared for
                    }
                    if let Some(d) = self.devices.get_mut(device)
                        && d.legacy_actors.len() < MAX_LEGACY_ACTORS
                    {
                        d.legacy_actors.push(actor.clone());
                    }
                }
            }
        }
    }
}

fn clean_addrs(addrs: &[String]) -> Vec<String> {
    addrs
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty() && a.len() <= 64 && a.chars().all(|c| c.is_ascii_graphic()))
        .take(MAX_ADDRS)
        .map(str::to_string)
        .collect()
}

/// The verified entries a device holds (of any team), by hash.
#[derive(Clone, Debug, Default)]
pub struct Log {
    entries: BTreeMap<Hash, Entry>,
}

impl Log {
    pub fn new() -> Self {
        Log::default()
    }

    /// Verifies and adds signed entry bytes; returns its hash (already held: the same hash).
    pub fn insert(&mut self, bytes: &[u8]) -> Result<Hash, EntryError> {
        if bytes.len() <= MAX_ENTRY_BYTES {
            let hash = hash_of(bytes);
            if self.entries.contains_key(&hash) {
                return Ok(hash);
            }
        }
        let (hash, entry) = Entry::verify(bytes)?;
        if !self.entries.contains_key(&hash) {
            if self.entries.len() >= MAX_ENTRIES {
                return Err(EntryError::Full);
            }
            self.entries.insert(hash, entry);
        }
        Ok(hash)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, hash: &Hash) -> bool {
        self.entries.contains_key(hash)
    }

    pub fn get(&self, hash: &Hash) -> Option<&Entry> {
        self.entries.get(hash)
    }

    /// The genesis entries held, by hash (normally one: this device's team).
    pub fn geneses(&self) -> Vec<(Hash, &Entry)> {
        self.entries
            .iter()
            .filter(|(_, e)| matches!(e.op, Op::Genesis { .. }) && e.deps.is_empty())
            .map(|(h, e)| (*h, e))
            .collect()
    }

    /// The entries of `team` that no other entry of it depends on: what a new entry names
    /// as its `deps`.
    pub fn heads(&self, team: &Hash) -> Vec<Hash> {
        let of_team: Vec<(&Hash, &Entry)> = self
            .entries
            .iter()
            .filter(|(h, e)| *h == team || e.team == *team)
            .collect();
        let referenced: HashSet<&Hash> = of_team.iter().flat_map(|(_, e)| &e.deps).collect();
        let mut heads: Vec<Hash> = of_team
            .iter()
            .filter(|(h, _)| !referenced.contains(h))
            .map(|(h, _)| **h)
            .collect();
        heads.truncate(MAX_DEPS);
        heads
    }

    /// The latest claimed time among `deps` (a new entry's time is at least that).
    pub fn max_time(&self, deps: &[Hash]) -> i64 {
        deps.iter()
            .filter_map(|d| self.entries.get(d))
            .map(|e| e.at)
            .max()
            .unwrap_or(i64::MIN)
    }

    /// Makes and signs a new entry of `team` by `key` on top of the current heads.
    pub fn make(
        &self,
        team: &Hash,
        key: &SecretKey,
        at: i64,
        op: Op,
    ) -> Result<(Hash, Vec<u8>), EntryError> {
        let deps = self.heads(team);
        let entry = Entry {
            team: *team,
            at: at.max(self.max_time(&deps)),
            deps,
            author: *key.public().as_bytes(),
            op,
        };
        entry.sign(key)
    }

    /// Team `team` as it was at `heads` (only those entries and what they depend on), which
    /// is what the author of a change made with those heads knew. `None` if an entry named
    /// is not held, or the genesis is not.
    pub fn state_at(&self, team: &Hash, heads: &[Hash]) -> Option<TeamState> {
        let mut keep: HashSet<Hash> = HashSet::new();
        for h in heads {
            if !self.entries.contains_key(h) {
                return None;
            }
            keep.insert(*h);
            keep.extend(self.ancestors(h));
        }
        keep.insert(*team);
        let sub = Log {
            entries: self
                .entries
                .iter()
                .filter(|(h, _)| keep.contains(*h))
                .map(|(h, e)| (*h, e.clone()))
                .collect(),
        };
        sub.state(team)
    }

    /// Derives team `team` from the entries held. `None` if its genesis is not held.
    pub fn state(&self, team: &Hash) -> Option<TeamState> {
        let genesis = self.entries.get(team)?;
        let Op::Genesis {
            name,
            recovery,
            members,
            revoked,
        } = &genesis.op
        else {
            return None;
        };
        if !genesis.deps.is_empty() || genesis.team != [0; 32] {
            return None;
        }
        let order = self.order(team);
        let mut voided: HashSet<Hash> = HashSet::new();
        // Voiding can only grow; each round voids at least one more entry or stops.
        for _ in 0..=order.len() {
            let mut st = TeamState {
                team: *team,
                founded_at: genesis.at,
                name: clean_name(name),
                owner: genesis.author,
                recovery: *recovery,
                devices: BTreeMap::new(),
                ignored: Vec::new(),
                admin_revokes: HashMap::new(),
            };
            st.devices.insert(
                genesis.author,
                DeviceRecord {
                    id: genesis.author,
                    name: String::new(),
                    role: Role::Owner,
                    revoked: false,
                    added_by: None,
                    revoked_by: None,
                    added_at: genesis.at,
                    revoked_at: None,
                    addrs: Vec::new(),
                    legacy_actors: Vec::new(),
                },
            );
            for (id, n) in members.iter().take(10_000) {
                st.devices
                    .entry(*id)
                    .or_insert_with(|| DeviceRecord::member(*id, n, genesis.author, genesis.at));
            }
            for (id, n) in revoked.iter().take(10_000) {
                let d = st
                    .devices
                    .entry(*id)
                    .or_insert_with(|| DeviceRecord::member(*id, n, genesis.author, genesis.at));
                if d.role != Role::Owner {
                    d.revoked = true;
                    d.revoked_by = Some(genesis.author);
                    d.revoked_at = Some(genesis.at);
                }
            }
            // Which entry revoked each device (the first that counted).
            let mut revoked_by: BTreeMap<[u8; 32], Hash> = BTreeMap::new();
            for h in &order {
                let Some(e) = self.entries.get(h) else {
                    continue;
                };
                let ignore = |st: &mut TeamState, reason: String| {
                    st.ignored.push(Ignored {
                        hash: *h,
                        author: e.author,
                        reason,
                    })
                };
                if voided.contains(h) {
                    ignore(
                        &mut st,
                        "its author was revoked by an entry that had not seen it".into(),
                    );
                    continue;
                }
                if e.at < self.max_time(&e.deps) {
                    ignore(
                        &mut st,
                        "its time is earlier than an entry it depends on".into(),
                    );
                    continue;
                }
                if let Err(d) = st.check(&e.author, e.at, &e.op) {
                    ignore(&mut st, d.to_string());
                    continue;
                }
                let was_owner = st.owner;
                st.apply(&e.author, e.at, &e.op);
                match &e.op {
                    Op::Revoke { device } => {
                        revoked_by.entry(*device).or_insert(*h);
                    }
                    Op::Recover { .. } => {
                        revoked_by.entry(was_owner).or_insert(*h);
                    }
                    Op::Reinstate { device } => {
                        revoked_by.remove(device);
                    }
                    _ => {}
                }
            }
            // Entries by a revoked device that its revocation had not seen are void.
            let mut more = Vec::new();
            for (device, r) in &revoked_by {
                if !st.devices.get(device).is_some_and(|d| d.revoked) {
                    continue;
                }
                let seen = self.ancestors(r);
                for h in &order {
                    if let Some(e) = self.entries.get(h)
                        && e.author == *device
                        && !seen.contains(h)
                        && h != r
                        && !voided.contains(h)
                    {
                        more.push(*h);
                    }
                }
            }
            if more.is_empty() {
                return Some(st);
            }
            voided.extend(more);
        }
        None
    }

    /// Every entry `h` depends on, directly or not.
    fn ancestors(&self, h: &Hash) -> HashSet<Hash> {
        let mut seen = HashSet::new();
        let mut stack: Vec<Hash> = self
            .entries
            .get(h)
            .map(|e| e.deps.clone())
            .unwrap_or_default();
        while let Some(d) = stack.pop() {
            if seen.insert(d)
                && let Some(e) = self.entries.get(&d)
            {
                stack.extend(e.deps.iter().copied());
            }
        }
        seen
    }

    /// The entries of `team` whose whole past is held, in a deterministic topological order
    /// (dependencies first, ties by hash), without the genesis.
    fn order(&self, team: &Hash) -> Vec<Hash> {
        let members: BTreeMap<&Hash, &Entry> = self
            .entries
            .iter()
            .filter(|(h, e)| e.team == *team && *h != team && !e.deps.is_empty())
            .collect();
        let mut waiting: HashMap<Hash, usize> = HashMap::new();
        let mut children: HashMap<Hash, Vec<Hash>> = HashMap::new();
        let mut ready = BinaryHeap::new();
        for (h, e) in &members {
            let deps: BTreeSet<&Hash> = e.deps.iter().collect();
            let mut n = 0;
            for d in deps {
                if d == team {
                    continue;
                }
                if !members.contains_key(d) {
                    n = usize::MAX; // a dependency this device does not hold
                    break;
                }
                children.entry(*d).or_default().push(**h);
                n += 1;
            }
            if n == 0 {
                ready.push(std::cmp::Reverse(**h));
            } else if n != usize::MAX {
                waiting.insert(**h, n);
            }
        }
        let mut out = Vec::new();
        while let Some(std::cmp::Reverse(h)) = ready.pop() {
            out.push(h);
            for c in children.get(&h).into_iter().flatten() {
                if let Some(n) = waiting.get_mut(c) {
                    *n -= 1;
                    if *n == 0 {
                        waiting.remove(c);
                        ready.push(std::cmp::Reverse(*c));
                    }
                }
            }
        }
        out
    }
}

/// Makes a new team's genesis entry, signed by the owner's key.
pub fn genesis(
    owner: &SecretKey,
    name: &str,
    recovery: &RecoveryCode,
    members: Vec<([u8; 32], String)>,
    revoked: Vec<([u8; 32], String)>,
    at: i64,
) -> Result<(Hash, Vec<u8>), EntryError> {
    Entry {
        team: [0; 32],
        deps: Vec::new(),
        author: *owner.public().as_bytes(),
        at,
        op: Op::Genesis {
            name: clean_name(name),
            recovery: *recovery.key().public().as_bytes(),
            members,
            revoked,
        },
    }
    .sign(owner)
}
