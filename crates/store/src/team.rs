//! The team: which devices may sync, with which role.
//!
//! The team document (a shared automerge document, [`Shared::Team`]) carries two layouts:
//!
//! - **Signed** (this version): root keys `log/<hash>` whose values are signed
//!   [`rapport_team`] entries. Nothing in the document is trusted as such: every entry is
//!   verified (signature, hash = key) and copied into the local `team_log` table, which only
//!   grows, so a member that deletes or rewrites keys in the document changes nothing here
//!   (and entries missing from the document are put back). The team is derived from that
//!   table by [`rapport_team::Log::state`] for the team this device belongs to (`meta.team_id`,
//!   set when it created, adopted or joined the team) and cached until the table changes.
//! - **Legacy** (version 1, unsigned): `member/<id>` (a map with `name` and `added_at`),
//!   `revoked/<id>` and `addrs/<id>`. A device without a signed team reads membership from
//!   these, as version 1 did; every device keeps writing them, so version-1 devices still see
//!   who joined. Once the device belongs to a signed team they no longer count.
//!
//! An existing (legacy) team gets an owner when a person runs `rapport team create` on the
//! device that should own it: the genesis entry carries the legacy members and revocations
//! over. Devices that join afterwards learn the team's id from their invite ticket.

use std::sync::Arc;

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, transaction::Transactable};
use rapport_team::{Denied, Hash, Log, Op, RecoveryCode, Role, SecretKey, TeamState};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::shared::{MAX_SETTING_BYTES, check_shared_text, load_shared};
use crate::tables::{META, TEAM_DOCS};
use crate::{Origin, Result, Shared, Store, StoreError, TeamMember};

/// Verified signed team entries, by hash (never deleted).
pub(crate) const TEAM_LOG: TableDefinition<&[u8], &[u8]> = TableDefinition::new("team_log");
const LOG_PREFIX: &str = "log/";

/// The derived team, cached by the generation of the `team_log` table it was read from.
#[derive(Debug, Default)]
pub(crate) struct TeamCache {
    generation: u64,
    state: Option<(u64, Option<Arc<TeamState>>)>,
}

fn hex(h: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(h)
}

/// A device id (64 hex digits) as its key bytes; anything else is refused, naming it.
fn device_key(id: &str) -> Result<[u8; 32]> {
    rapport_team::parse_key(id)
        .ok_or_else(|| StoreError::Refused(format!("`{id}` is not a device id")))
}

fn denied(d: Denied) -> StoreError {
    StoreError::Refused(d.to_string())
}

impl Store {
    pub(crate) fn team_key(&self) -> SecretKey {
        SecretKey::from_bytes(&self.secret)
    }

    /// This device's id in the team: its public key (its iroh endpoint id), as hex.
    pub fn device_id(&self) -> String {
        hex(self.team_key().public().as_bytes())
    }

    /// The signed team this device belongs to, if any.
    pub fn team_id(&self) -> Result<Option<Hash>> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta
            .get("team_id")?
            .and_then(|g| <[u8; 32]>::try_from(g.value()).ok()))
    }

    pub(crate) fn read_log(&self) -> Result<Log> {
        let txn = self.db.begin_read()?;
        let mut log = Log::new();
        let Ok(t) = txn.open_table(TEAM_LOG) else {
            return Ok(log); // a store from before signed teams, opened read-only
        };
        for row in t.iter()? {
            let (_, v) = row?;
            // Rows were verified when they were written; one that no longer verifies is
            // damage, and is left out rather than failing the whole team.
            if let Err(e) = log.insert(v.value()) {
                tracing::warn!(error = %e, "a stored team entry does not verify");
            }
        }
        Ok(log)
    }

    /// The signed team as this device derives it (`None`: this device belongs to no signed
    /// team yet, or has not received its genesis).
    pub fn team_state(&self) -> Result<Option<Arc<TeamState>>> {
        let generation = match self.team_cache.lock() {
            Ok(c) => match &c.state {
                Some((g, st)) if *g == c.generation => return Ok(st.clone()),
                _ => c.generation,
            },
            Err(_) => 0,
        };
        let st = match self.team_id()? {
            None => None,
            Some(team) => self.read_log()?.state(&team).map(Arc::new),
        };
        if let Ok(mut c) = self.team_cache.lock()
            && c.generation == generation
        {
            c.state = Some((generation, st.clone()));
        }
        Ok(st)
    }

    pub(crate) fn team_changed(&self) {
        if let Ok(mut c) = self.team_cache.lock() {
            c.generation += 1;
            c.state = None;
        }
    }

    /// The team: every device ever added, with its role (signed teams) and whether it was
    /// revoked.
    pub fn team(&self) -> Result<Vec<TeamMember>> {
        if let Some(st) = self.team_state()? {
            // Addresses are hints (iroh authenticates every peer by its key): a device's own
            // signed ones first, then those other devices or a ticket recorded.
            let legacy = self.legacy_team()?;
            return Ok(st
                .devices
                .values()
                .map(|d| {
                    let id = hex(&d.id);
                    let mut addrs = d.addrs.clone();
                    for a in legacy.iter().filter(|m| m.id == id).flat_map(|m| &m.addrs) {
                        if !addrs.contains(a) && addrs.len() < rapport_team::MAX_ADDRS {
                            addrs.push(a.clone());
                        }
                    }
                    TeamMember {
                        id,
                        name: d.name.clone(),
                        added_at: Some(rapport_model::timestamp_from_millis(d.added_at)),
                        revoked: d.revoked,
                        addrs,
                        role: Some(d.role),
                        added_by: d.added_by.map(|k| hex(&k)),
                    }
                })
                .collect());
        }
        self.legacy_team()
    }

    /// The version-1 (unsigned) membership of the team document.
    pub fn legacy_team(&self) -> Result<Vec<TeamMember>> {
        let doc = self.shared_document(Shared::Team)?;
        let scalar = |obj: &automerge::ObjId, key: &str| -> Option<automerge::ScalarValue> {
            match doc.get(obj, key) {
                Ok(Some((automerge::Value::Scalar(v), _))) => Some(v.into_owned()),
                _ => None,
            }
        };
        let keys: Vec<String> = doc
            .keys(ROOT)
            .filter(|k| k.len() <= MAX_SETTING_BYTES)
            .collect();
        let revoked: std::collections::BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| k.strip_prefix("revoked/"))
            .collect();
        let mut out = Vec::new();
        for id in keys.iter().filter_map(|k| k.strip_prefix("member/")) {
            let (name, added_at) = match doc.get(ROOT, format!("member/{id}")) {
                Ok(Some((automerge::Value::Object(ObjType::Map), m))) => (
                    match scalar(&m, "name") {
                        Some(automerge::ScalarValue::Str(s)) => rapport_team::clean_name(&s),
                        _ => String::new(),
                    },
                    match scalar(&m, "added_at") {
                        Some(automerge::ScalarValue::Timestamp(t)) => {
                            Some(rapport_model::timestamp_from_millis(t))
                        }
                        _ => None,
                    },
                ),
                _ => (String::new(), None),
            };
            let addrs = match scalar(&ROOT, &format!("addrs/{id}")) {
                Some(automerge::ScalarValue::Str(s)) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .take(16)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            out.push(TeamMember {
                revoked: revoked.contains(id),
                id: id.to_string(),
                name,
                added_at,
                addrs,
                role: None,
                added_by: None,
            });
        }
        Ok(out)
    }

    /// `rapport check`: every stored team entry still verifies under its hash, and this
    /// device's team (if any) has its genesis.
    pub(crate) fn verify_team_log(&self) -> Result<Vec<String>> {
        let txn = self.db.begin_read()?;
        let mut problems = Vec::new();
        let Ok(t) = txn.open_table(TEAM_LOG) else {
            return Ok(problems);
        };
        for row in t.iter()? {
            let (k, v) = row?;
            match rapport_team::Entry::verify(v.value()) {
                Ok((h, _)) if h.as_slice() == k.value() => {}
                Ok(_) => problems.push(format!(
                    "team entry {} is stored under the wrong hash",
                    hex(k.value())
                )),
                Err(e) => problems.push(format!("team entry {}: {e}", hex(k.value()))),
            }
        }
        if let Some(team) = self.team_id()?
            && t.get(team.as_slice())?.is_none()
        {
            // A joiner before its first sync has no genesis yet: not damage, but say it.
            tracing::info!("this device has not received its team's genesis yet");
        }
        Ok(problems)
    }

    /// This device's role in its signed team (`None`: no signed team yet).
    pub fn my_role(&self) -> Result<Option<Role>> {
        let me = self.team_key().public();
        Ok(self.team_state()?.and_then(|st| st.role(me.as_bytes())))
    }

    /// Whether this device may invite (admins and the owner of a signed team; anyone in a
    /// team without an owner yet, as in version 1). The error names the admins.
    pub fn may_invite(&self) -> Result<()> {
        let Some(st) = self.team_state()? else {
            return Ok(());
        };
        let me = self.team_key().public();
        match st.role(me.as_bytes()) {
            Some(Role::Owner | Role::Admin) => Ok(()),
            Some(Role::Member) => Err(StoreError::Refused(format!(
                "only an admin or the owner can invite a device; ask {}",
                st.admins_text()
            ))),
            None => Err(denied(Denied::NotMember)),
        }
    }

    /// Whether this device may change the team settings: admins and the owner of a signed
    /// team (members see them read-only); anyone in a team without an owner yet.
    pub fn may_change_settings(&self) -> Result<()> {
        if self.team_id()?.is_some() && self.team_state()?.is_none() {
            return Err(StoreError::Refused(
                "this device has not received its team yet, so it cannot show its role to the others; sync first".into(),
            ));
        }
        match (self.team_state()?, self.my_role()?) {
            (Some(st), Some(Role::Member) | None) => Err(StoreError::Refused(format!(
                "only an admin or the owner can change the team settings; ask {}",
                st.admins_text()
            ))),
            _ => Ok(()),
        }
    }

    /// Creates a signed team with this device as its owner, or adopts the existing unsigned
    /// team (its members and revocations carry over). Returns the recovery code, which the
    /// caller shows once: it is not stored anywhere.
    pub fn team_create(&self, name: &str) -> Result<RecoveryCode> {
        if let Some(team) = self.team_id()? {
            return Err(StoreError::Refused(format!(
                "this device already belongs to team {}",
                &hex(&team)[..12]
            )));
        }
        let me = self.device_id();
        let legacy = self.legacy_team()?;
        let parse = |id: &str| rapport_team::parse_key(id);
        let members: Vec<([u8; 32], String)> = legacy
            .iter()
            .filter(|m| m.id != me && !m.revoked)
            .filter_map(|m| Some((parse(&m.id)?, m.name.clone())))
            .collect();
        let revoked: Vec<([u8; 32], String)> = legacy
            .iter()
            .filter(|m| m.id != me && m.revoked)
            .filter_map(|m| Some((parse(&m.id)?, m.name.clone())))
            .collect();
        let code = RecoveryCode::from_bytes(rand::random());
        let at = self.now().timestamp_millis();
        let (team, bytes) =
            rapport_team::genesis(&self.team_key(), name, &code, members, revoked, at)
                .map_err(|e| StoreError::Refused(e.to_string()))?;
        self.write_entries(&[(team, bytes)], Some(team))?;
        let name = self.device().name;
        let addrs = legacy
            .iter()
            .find(|m| m.id == me)
            .map(|m| m.addrs.clone())
            .unwrap_or_default();
        self.sign_team(Op::Describe { name, addrs })?;
        self.declare_legacy_actor()?;
        Ok(code)
    }

    /// Records that this device belongs to signed team `team` (what a joiner learns from its
    /// ticket). Refused if it already belongs to another team, unless `merge`.
    pub fn team_join(&self, team: Hash, merge: bool) -> Result<()> {
        match self.team_id()? {
            Some(t) if t == team => Ok(()),
            Some(t) if !merge => Err(StoreError::Refused(format!(
                "this device already belongs to team {}; joining another would merge the two teams' customers (pass --merge-teams to do it anyway)",
                &hex(&t)[..12]
            ))),
            _ => {
                let txn = self.begin_write()?;
                txn.open_table(META)?.insert("team_id", team.as_slice())?;
                self.commit(txn)?;
                self.team_changed();
                Ok(())
            }
        }
    }

    /// After this device was restored from a backup of itself: it belongs to the one signed
    /// team in the restored log that lists it as a current member (none: it stays as it is).
    pub fn team_settle_after_restore(&self) -> Result<()> {
        if self.team_id()?.is_some() {
            return Ok(());
        }
        let log = self.read_log()?;
        let me = self.team_key().public();
        let teams: Vec<Hash> = log
            .geneses()
            .into_iter()
            .map(|(h, _)| h)
            .filter(|h| log.state(h).is_some_and(|st| st.is_member(me.as_bytes())))
            .collect();
        if let [team] = teams.as_slice() {
            self.team_join(*team, false)?;
        }
        Ok(())
    }

    /// Signs `op` as this device, after checking that its role allows it.
    fn sign_team(&self, op: Op) -> Result<()> {
        let Some(team) = self.team_id()? else {
            return Err(StoreError::Refused(
                "this device belongs to no signed team".into(),
            ));
        };
        let st = self.team_state()?.ok_or_else(|| {
            StoreError::Refused("this device has not received its team yet; sync first".into())
        })?;
        let key = self.team_key();
        let at = self.now().timestamp_millis();
        st.check(key.public().as_bytes(), at, &op).map_err(denied)?;
        let log = self.read_log()?;
        let entry = log
            .make(&team, &key, at, op)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        self.write_entries(&[entry], None)
    }

    /// The actor this device wrote customer changes with before they were signed (a store
    /// upgraded from an earlier Rapport), if any.
    pub fn legacy_actor(&self) -> Result<Option<Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta
            .get("legacy_actor")?
            .map(|g| g.value().to_vec())
            .filter(|a| a.len() == rapport_team::LEGACY_ACTOR_LEN))
    }

    /// Declares this device's pre-signing actor to its signed team ([`Op::LegacyActors`]), so
    /// its earlier changes are attributed to it and any member may vouch for them. Does
    /// nothing when there is none, it is declared already, or this device is not a current
    /// member.
    pub fn declare_legacy_actor(&self) -> Result<()> {
        let Some(actor) = self.legacy_actor()? else {
            return Ok(());
        };
        let Some(st) = self.team_state()? else {
            return Ok(());
        };
        let me = *self.team_key().public().as_bytes();
        if !st.is_member(&me) || st.legacy_owner(&actor).is_some() {
            return Ok(());
        }
        self.sign_team(Op::LegacyActors {
            actors: vec![(me, actor)],
        })
    }

    /// Signs a recovery with the team's recovery code: this device becomes the owner and
    /// the old owner device is revoked.
    pub fn team_recover(&self, code: &RecoveryCode) -> Result<()> {
        let team = self
            .team_id()?
            .ok_or_else(|| StoreError::Refused("this device belongs to no signed team".into()))?;
        let st = self
            .team_state()?
            .ok_or_else(|| StoreError::Refused("sync with the team first".into()))?;
        let key = code.key();
        let op = Op::Recover {
            device: *self.team_key().public().as_bytes(),
            name: self.device().name,
        };
        let at = self.now().timestamp_millis();
        st.check(key.public().as_bytes(), at, &op)
            .map_err(|_| StoreError::Refused("that is not this team's recovery code".into()))?;
        let entry = self
            .read_log()?
            .make(&team, &key, at, op)
            .map_err(|e| StoreError::Refused(e.to_string()))?;
        self.write_entries(&[entry], None)
    }

    /// Adds a device to the team as a member (no effect on a current member; a revoked one
    /// needs [`Store::team_reinstate`] by the owner in a signed team).
    pub fn team_add(&self, id: &str, name: &str) -> Result<()> {
        check_shared_text("device id", id)?;
        check_shared_text("device name", name)?;
        if let Some(st) = self.team_state()?
            && id != self.device_id()
        {
            let device = device_key(id)?;
            if !st.is_member(&device) {
                self.sign_team(Op::Add {
                    device,
                    name: name.to_string(),
                    role: Role::Member,
                })?;
            }
        }
        let now = self.now();
        let key = format!("member/{id}");
        self.update_shared(Shared::Team, &["members"], |doc| {
            if doc.get(ROOT, key.as_str())?.is_some() {
                return Ok(false);
            }
            let m = doc.put_object(ROOT, key.as_str(), ObjType::Map)?;
            doc.put(&m, "name", name)?;
            doc.put(
                &m,
                "added_at",
                automerge::ScalarValue::Timestamp(now.timestamp_millis()),
            )?;
            Ok(true)
        })?;
        Ok(())
    }

    /// Revokes a device for the whole team. In a signed team only admins (members) and the
    /// owner (admins too) may; the error names who can.
    pub fn team_revoke(&self, id: &str) -> Result<()> {
        check_shared_text("device id", id)?;
        if self.team_state()?.is_some() {
            let device = device_key(id)?;
            self.sign_team(Op::Revoke { device })?;
        }
        let now = self.now();
        let key = format!("revoked/{id}");
        self.update_shared(Shared::Team, &["revoked"], |doc| {
            if doc.get(ROOT, key.as_str())?.is_some() {
                return Ok(false);
            }
            doc.put(
                ROOT,
                key.as_str(),
                automerge::ScalarValue::Timestamp(now.timestamp_millis()),
            )?;
            Ok(true)
        })?;
        Ok(())
    }

    /// Undoes a revocation (the owner of a signed team only).
    pub fn team_reinstate(&self, id: &str) -> Result<()> {
        let device = device_key(id)?;
        self.sign_team(Op::Reinstate { device })
    }

    /// Makes a device an admin or a member (the owner of a signed team only).
    pub fn team_set_role(&self, id: &str, role: Role) -> Result<()> {
        let device = device_key(id)?;
        self.sign_team(Op::SetRole { device, role })
    }

    /// Renames this device everywhere its name is kept: the store (later changes carry it),
    /// its signed description in a signed team (only a device describes itself), and the
    /// team document's member entry. Works on a shared store (the app's, `serve`'s): the open
    /// store's own copy of the name ([`Store::device`]) changes at the next open, or at once
    /// through [`Store::set_device_name`] for a store held alone.
    pub fn rename_device(&self, name: &str) -> Result<()> {
        crate::device::check_device_name(name)?;
        let name = name.trim().to_string();
        self.save_device_name(&name)?;
        let id = self.device_id();
        if let Some(st) = self.team_state()? {
            let me = self.team_key().public();
            if let Some(d) = st.devices.get(me.as_bytes())
                && !d.revoked
                && d.name != name
            {
                self.sign_team(Op::Describe {
                    name: name.clone(),
                    addrs: d.addrs.clone(),
                })?;
            }
        }
        let key = format!("member/{id}");
        self.update_shared(Shared::Team, &["members"], |doc| {
            let Some((automerge::Value::Object(_), m)) = doc.get(ROOT, key.as_str())? else {
                return Ok(false);
            };
            let same = matches!(
                doc.get(&m, "name")?,
                Some((automerge::Value::Scalar(v), _))
                    if matches!(v.as_ref(), automerge::ScalarValue::Str(s) if s.as_str() == name)
            );
            if same {
                return Ok(false);
            }
            doc.put(&m, "name", name.as_str())?;
            Ok(true)
        })?;
        Ok(())
    }

    /// Records the direct addresses (`ip:port`) at which device `id` was last reachable. For
    /// this device in a signed team, also a signed description (name and addresses) when
    /// they changed: only a device describes itself.
    pub fn team_set_addrs(&self, id: &str, addrs: &[String]) -> Result<()> {
        let joined = addrs.join(",");
        check_shared_text("device id", id)?;
        check_shared_text("addresses", &joined)?;
        if id == self.device_id()
            && let Some(st) = self.team_state()?
        {
            let me = self.team_key().public();
            let current = st.devices.get(me.as_bytes());
            let name = self.device().name;
            if current.is_some_and(|d| !d.revoked && (d.addrs != addrs || d.name != name)) {
                self.sign_team(Op::Describe {
                    name,
                    addrs: addrs.to_vec(),
                })?;
            }
            self.declare_legacy_actor()?;
        }
        let key = format!("addrs/{id}");
        self.update_shared(Shared::Team, &["addrs"], |doc| {
            let same = matches!(
                doc.get(ROOT, key.as_str())?,
                Some((automerge::Value::Scalar(v), _))
                    if matches!(v.as_ref(), automerge::ScalarValue::Str(s) if s.as_str() == joined)
            );
            if same {
                return Ok(false);
            }
            doc.put(ROOT, key.as_str(), joined.as_str())?;
            Ok(true)
        })?;
        Ok(())
    }

    /// Writes signed entries into the local log and the team document in one transaction
    /// (and, with `team`, records that this device belongs to that team).
    fn write_entries(&self, entries: &[(Hash, Vec<u8>)], team: Option<Hash>) -> Result<()> {
        let txn = self.begin_write()?;
        let heads = {
            let mut docs = txn.open_table(TEAM_DOCS)?;
            let mut doc = load_shared(&docs, Shared::Team)?;
            doc.set_actor(self.actor.clone());
            let mut log = txn.open_table(TEAM_LOG)?;
            for (h, bytes) in entries {
                log.insert(h.as_slice(), bytes.as_slice())?;
                doc.put(
                    ROOT,
                    format!("{LOG_PREFIX}{}", hex(h)),
                    automerge::ScalarValue::Bytes(bytes.clone()),
                )?;
            }
            if let Some(team) = team {
                txn.open_table(META)?.insert("team_id", team.as_slice())?;
            }
            self.commit_team_doc(&mut doc, &["log"]);
            docs.insert(Shared::Team.key(), doc.save().as_slice())?;
            doc.get_heads()
        };
        self.commit(txn)?;
        self.team_changed();
        self.notify(crate::DocRef::Shared(Shared::Team), heads, Origin::Local);
        Ok(())
    }

    fn commit_team_doc(&self, doc: &mut AutoCommit, fields: &[&str]) {
        let msg = serde_json::to_string(&crate::ChangeMessage {
            device: self.device().name,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            team: Vec::new(),
        })
        .unwrap_or_default();
        doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(msg)
                .with_time(self.now().timestamp()),
        );
    }

    /// After merging a peer's team document: keeps every entry that verifies (its hash is its
    /// key and its signature holds) in the local log, and puts back into the document any
    /// entry it lacks (a member that deleted entries changes nothing). Returns whether the
    /// local log grew.
    pub(crate) fn absorb_team_log(
        &self,
        txn: &redb::WriteTransaction,
        doc: &mut AutoCommit,
    ) -> Result<bool> {
        let mut log = txn.open_table(TEAM_LOG)?;
        let mut grew = false;
        let mut seen = std::collections::HashSet::new();
        let keys: Vec<String> = doc
            .keys(ROOT)
            .filter(|k| k.starts_with(LOG_PREFIX) && k.len() == LOG_PREFIX.len() + 64)
            .collect();
        for k in keys {
            let Some(want) = rapport_team::parse_key(&k[LOG_PREFIX.len()..]) else {
                continue;
            };
            seen.insert(want);
            if log.get(want.as_slice())?.is_some() {
                continue;
            }
            let Ok(Some((automerge::Value::Scalar(v), _))) = doc.get(ROOT, k.as_str()) else {
                continue;
            };
            let automerge::ScalarValue::Bytes(bytes) = v.as_ref() else {
                continue;
            };
            match rapport_team::Entry::verify(bytes) {
                Ok((h, _)) if h == want => {
                    if log.len()? >= rapport_team::MAX_ENTRIES as u64 {
                        tracing::warn!("the team log is full; a peer's entry was not kept");
                        continue;
                    }
                    log.insert(h.as_slice(), bytes.as_slice())?;
                    grew = true;
                }
                Ok(_) => tracing::warn!(key = %k, "a team entry under the wrong key was ignored"),
                Err(e) => tracing::warn!(key = %k, error = %e, "a team entry was ignored"),
            }
        }
        let missing: Vec<(Vec<u8>, Vec<u8>)> = log
            .iter()?
            .filter_map(|r| r.ok())
            .filter(|(k, _)| <[u8; 32]>::try_from(k.value()).is_ok_and(|h| !seen.contains(&h)))
            .map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
            .collect();
        if !missing.is_empty() {
            doc.set_actor(self.actor.clone());
            for (k, v) in missing {
                doc.put(
                    ROOT,
                    format!("{LOG_PREFIX}{}", hex(&k)),
                    automerge::ScalarValue::Bytes(v),
                )?;
            }
            self.commit_team_doc(doc, &["log"]);
        }
        Ok(grew)
    }
}
