//! Changes you can attribute: in a signed team every customer change is bound to the device
//! key that made it, and a change that does not verify refuses its own document alone.
//!
//! Each test is one attack by a member (or one honest accident) against stores in one team,
//! moving bytes as sync does (`changes_since` → `apply_remote_from`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use automerge::{ActorId, AutoCommit, ROOT, transaction::CommitOptions, transaction::Transactable};
use rapport_model::{CustomerId, CustomerKind, Edit, NewCustomer};
use rapport_store::authored::{Delivery, sign_change};
use rapport_store::{DocRef, OpenOptions, Shared, Store};
use rapport_team::{Role, SecretKey};

fn opts(name: &str) -> OpenOptions {
    OpenOptions {
        device_name: name.to_string(),
        holder: format!("test {name}"),
        ..OpenOptions::default()
    }
}

fn open(name: &str) -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let s = Store::open(d.path(), opts(name)).unwrap();
    (d, s)
}

/// Merges `from`'s team document into `to` (what a session does with it).
fn team_sync(from: &Store, to: &Store) {
    to.apply_remote_shared(
        Shared::Team,
        &from.shared_document(Shared::Team).unwrap().save(),
    )
    .unwrap();
}

/// A signed team: the first store creates it (owner), the others join as members.
fn team(names: &[&str]) -> Vec<(tempfile::TempDir, Store)> {
    let stores: Vec<(tempfile::TempDir, Store)> = names.iter().map(|n| open(n)).collect();
    let owner = &stores[0].1;
    owner.team_create("Sales").unwrap();
    for (_, s) in &stores[1..] {
        owner.team_add(&s.device_id(), &s.device().name).unwrap();
    }
    for (_, s) in &stores[1..] {
        s.team_join(owner.team_id().unwrap().unwrap(), false)
            .unwrap();
        team_sync(owner, s);
    }
    stores
}

/// Sends what `to` lacks of customer `id` from `from`, as sync does; returns whether `to`
/// refused it (and why).
fn send(from: &Store, to: &Store, id: CustomerId) -> Option<String> {
    let have = to
        .document(id)
        .map(|mut d| d.get_heads())
        .unwrap_or_default();
    let bytes = from.changes_since(id, &have).unwrap().unwrap();
    if bytes.is_empty() {
        return None;
    }
    push(to, from, id, &bytes)
}

fn push(to: &Store, from: &Store, id: CustomerId, bytes: &[u8]) -> Option<String> {
    let applied = to
        .apply_remote_from(Some(&from.device_id()), &[(id, bytes)])
        .unwrap();
    applied.refused.first().map(|(_, e)| e.to_string())
}

fn key(s: &Store) -> SecretKey {
    SecretKey::from_bytes(&s.device_secret())
}

/// `bytes` as a delivery from `signer`, which signs each of `hashes` (of document `doc_key`)
/// with its own key: what a modified client sends.
fn signed_by(
    signer: &Store,
    doc_key: u128,
    bytes: Vec<u8>,
    hashes: &[automerge::ChangeHash],
) -> Vec<u8> {
    Delivery {
        doc: bytes,
        sigs: hashes
            .iter()
            .map(|h| (h.0, sign_change(&key(signer), doc_key, h)))
            .collect(),
    }
    .encode()
}

/// A change to `id` made by hand from `doc` with `actor` and claimed time `time` (seconds),
/// setting the name; returns the bytes after `doc`'s heads and the change's hash.
fn hand_change(
    doc: &mut AutoCommit,
    actor: &[u8],
    name: &str,
    time: i64,
) -> (Vec<u8>, automerge::ChangeHash) {
    let heads = doc.get_heads();
    let mut f = doc.fork();
    f.set_actor(ActorId::from(actor));
    f.put(ROOT, "name", name).unwrap();
    f.commit_with(CommitOptions::default().with_time(time));
    let h = f.get_heads()[0];
    (f.save_after(&heads), h)
}

#[test]
fn a_change_carries_its_authors_signature_and_history_shows_the_verified_device() {
    let t = team(&["Office", "Laptop B"]);
    let (a, b) = (&t[0].1, &t[1].1);
    let id = a
        .create(NewCustomer::new("Bluewater", CustomerKind::Company))
        .unwrap();
    a.edit(id, &[Edit::Name("Bluewater Ltd".into())]).unwrap();
    assert_eq!(send(a, b, id), None);
    let h = b.history(id).unwrap();
    assert_eq!(h.len(), 2);
    for e in &h {
        assert_eq!(e.device_id.as_deref(), Some(a.device_id().as_str()));
        assert_eq!(e.verified_device.as_deref(), Some("Office"));
        assert!(e.signed);
        assert_eq!(e.vouched_by, None);
        let arrived = e.arrived.expect("arrival time recorded");
        assert!(arrived >= e.at, "arrived {arrived} before claimed {}", e.at);
    }
    // The actor is the device key itself.
    assert!(a.device().actor.starts_with(&a.device_id()));
    // B's own edit goes back to A the same way.
    b.edit(id, &[Edit::Name("Bluewater plc".into())]).unwrap();
    assert_eq!(send(b, a, id), None);
    assert_eq!(a.customer(id).unwrap().name, "Bluewater plc");
}

#[test]
fn a_forged_actor_and_seq_is_refused_and_the_victims_next_edit_still_lands() {
    let t = team(&["Office", "Laptop B", "Mallory"]);
    let (a, b, m) = (&t[0].1, &t[1].1, &t[2].1);
    let v = a
        .create(NewCustomer::new("Victim", CustomerKind::Company))
        .unwrap();
    let other = a
        .create(NewCustomer::new("Other", CustomerKind::Person))
        .unwrap();
    send(a, m, v);
    send(a, b, v);
    // Mallory writes a change under the owner's actor, as its next change, and signs it with
    // its own key (it has no other).
    let (bytes, hash) = hand_change(
        &mut m.document(v).unwrap(),
        &rapport_team::parse_key(&a.device_id()).unwrap(),
        "Forged",
        chrono::Utc::now().timestamp(),
    );
    let forged = signed_by(m, v.as_u128(), bytes, &[hash]);
    // In one frame with an honest document: only the forged one is refused.
    let honest = a.changes_since(other, &[]).unwrap().unwrap();
    let applied = b
        .apply_remote_from(Some("mallory"), &[(v, &forged), (other, &honest)])
        .unwrap();
    assert_eq!(applied.changed, 1);
    assert_eq!(applied.refused.len(), 1);
    let why = applied.refused[0].1.to_string();
    assert!(why.contains("without its signature"), "{why}");
    assert!(why.contains("Office"), "names the device it claims: {why}");
    assert_eq!(b.customer(v).unwrap().name, "Victim");
    assert!(
        b.quarantined()
            .unwrap()
            .iter()
            .any(|q| q.doc == DocRef::Customer(v))
    );
    // Sync with the sender is paused until a person resumes it.
    let paused = b.peer_paused("mallory").unwrap().expect("paused");
    assert!(
        paused.reason.contains("without its signature"),
        "{}",
        paused.reason
    );
    assert!(b.resume_peer("mallory").unwrap());
    assert!(b.paused_peers().unwrap().is_empty());
    // The owner's real edit (the same actor and sequence number) still reaches B.
    a.edit(v, &[Edit::Name("Real".into())]).unwrap();
    assert_eq!(send(a, b, v), None);
    assert_eq!(b.customer(v).unwrap().name, "Real");
    // A signature copied from another change does not help either.
    let (bytes, hash2) = hand_change(
        &mut m.document(v).unwrap(),
        &rapport_team::parse_key(&a.device_id()).unwrap(),
        "Forged again",
        chrono::Utc::now().timestamp(),
    );
    let stolen = b.changes_since(v, &[]).unwrap().unwrap();
    let stolen = Delivery::decode(&stolen).unwrap().sigs;
    let replay = Delivery {
        doc: bytes,
        sigs: stolen.into_iter().map(|(_, s)| (hash2.0, s)).collect(),
    }
    .encode();
    assert!(
        push(b, m, v, &replay)
            .unwrap()
            .contains("without its signature")
    );
}

#[test]
fn a_thousand_random_actors_from_a_member_are_refused() {
    let t = team(&["Office", "Laptop B", "Mallory"]);
    let (a, b, m) = (&t[0].1, &t[1].1, &t[2].1);
    let v = a
        .create(NewCustomer::new("Target", CustomerKind::Company))
        .unwrap();
    send(a, m, v);
    send(a, b, v);
    let mut doc = m.document(v).unwrap();
    let before = doc.get_heads();
    let now = chrono::Utc::now().timestamp();
    let mut sigs = Vec::new();
    for i in 0..1000u32 {
        // Old-style 16-byte actors and key-sized ones, each vouched for by Mallory.
        let actor: Vec<u8> = if i % 2 == 0 {
            rand::random::<[u8; 16]>().to_vec()
        } else {
            rand::random::<[u8; 32]>().to_vec()
        };
        let (bytes, h) = hand_change(&mut doc, &actor, &format!("junk {i}"), now);
        doc.load_incremental(&bytes).unwrap();
        sigs.push((h.0, sign_change(&key(m), v.as_u128(), &h)));
    }
    let bytes = Delivery {
        doc: doc.save_after(&before),
        sigs,
    }
    .encode();
    let why = push(b, m, v, &bytes).expect("refused");
    // The first junk change is refused for what it is: a random key is no device of the team;
    // an unsigned actor cannot build on the signed history of a customer made after signing.
    assert!(
        why.contains("not a device of this team") || why.contains("built on signed changes"),
        "{why}"
    );
    assert_eq!(b.customer(v).unwrap().name, "Target");
    // A whole new customer made by hand under a random unsigned actor (as if by an earlier
    // Rapport), dated now: no device declared that actor and it is younger than the team.
    let fake = CustomerId::new();
    let c = rapport_model::Customer::new(fake, "Fake", CustomerKind::Company, chrono::Utc::now());
    let mut d = AutoCommit::new().with_actor(ActorId::from(rand::random::<[u8; 16]>().as_slice()));
    rapport_store::doc::create(&mut d, &c).unwrap();
    d.commit_with(CommitOptions::default().with_time(now + 60));
    let h = d.get_heads()[0];
    let bytes = signed_by(m, fake.as_u128(), d.save(), &[h]);
    let why = push(b, m, fake, &bytes).expect("refused");
    assert!(why.contains("no device of this team declared"), "{why}");
    assert!(b.document(fake).is_err());
    // The honest owner keeps syncing with B.
    a.edit(v, &[Edit::Name("Target plc".into())]).unwrap();
    assert_eq!(send(a, b, v), None);
    assert_eq!(b.customer(v).unwrap().name, "Target plc");
}

#[test]
fn fresh_actors_a_laundering_change_and_backdated_times_do_not_dodge_device_undo() {
    let t = team(&["Office", "Laptop B", "Rogue admin"]);
    let (a, b, r) = (&t[0].1, &t[1].1, &t[2].1);
    a.team_set_role(&r.device_id(), Role::Admin).unwrap();
    team_sync(a, b);
    team_sync(a, r);
    let v = a
        .create(NewCustomer::new("Kowalski GmbH", CustomerKind::Company))
        .unwrap();
    send(a, r, v);
    send(a, b, v);
    let rogue = rapport_team::parse_key(&r.device_id()).unwrap();
    // The rogue admin renames the customer with its own key, backdated to 2020 ...
    let mut doc = r.document(v).unwrap();
    let before = doc.get_heads();
    let (c1, h1) = hand_change(&mut doc, &rogue, "Gone", 1_577_836_800);
    doc.load_incremental(&c1).unwrap();
    // ... then again under a fresh actor of its key (another incarnation), so the second
    // rename looks like another device's later edit, which undo would keep.
    let mut fresh = rogue.to_vec();
    fresh.extend_from_slice(&rand::random::<[u8; 4]>());
    let (c2, h2) = hand_change(&mut doc, &fresh, "Gone for good", 1_577_836_900);
    doc.load_incremental(&c2).unwrap();
    let bytes = signed_by(r, v.as_u128(), doc.save_after(&before), &[h1, h2]);
    assert_eq!(push(b, r, v, &bytes), None, "its own signed changes land");
    assert_eq!(b.customer(v).unwrap().name, "Gone for good");
    // A laundering change under an unsigned actor, vouched for by the rogue: refused, since an
    // earlier Rapport could not have built on signed changes.
    let (c3, h3) = hand_change(
        &mut b.document(v).unwrap(),
        &rand::random::<[u8; 16]>(),
        "Laundered",
        1_577_836_950,
    );
    let laundering = signed_by(r, v.as_u128(), c3, &[h3]);
    let why = push(b, r, v, &laundering).expect("refused");
    assert!(why.contains("built on signed changes"), "{why}");
    // History: both changes are the rogue's, with the claimed 2020 times beside the arrival.
    let h = b.history(v).unwrap();
    for hash in [h1, h2] {
        let e = h.iter().find(|e| e.hash == hash.to_string()).unwrap();
        assert_eq!(e.device_id.as_deref(), Some(r.device_id().as_str()));
        assert_eq!(e.verified_device.as_deref(), Some("Rogue admin"));
        assert!(e.at.timestamp() < 1_600_000_000);
        assert!(
            e.arrived.unwrap() > e.at,
            "arrival time beside the claimed one"
        );
    }
    // Undo by device id, since an hour ago: both changes are the rogue's, whatever actor or
    // time they claim, and neither claimed which fields it touched.
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let report = b.undo_device(&r.device_id(), Some(since), false).unwrap();
    assert_eq!(report.changes, 2, "{report:?}");
    assert_eq!(b.customer(v).unwrap().name, "Kowalski GmbH");
    // By the rogue's name in the team, the same (nothing left to undo now).
    assert_eq!(
        b.undo_device("Rogue admin", Some(since), true)
            .unwrap()
            .edits,
        0
    );
}

#[test]
fn a_revoked_devices_late_changes_are_refused_and_its_earlier_ones_still_reach_new_devices() {
    let t = team(&["Office", "Laptop B", "Leaver", "New laptop"]);
    let (a, b, l, n) = (&t[0].1, &t[1].1, &t[2].1, &t[3].1);
    let v = a
        .create(NewCustomer::new("Acme", CustomerKind::Company))
        .unwrap();
    send(a, l, v);
    // The leaver's honest edit reaches the office before it leaves.
    l.edit(v, &[Edit::Name("Acme Ltd".into())]).unwrap();
    assert_eq!(send(l, a, v), None);
    a.team_revoke(&l.device_id()).unwrap();
    team_sync(a, b);
    team_sync(a, n);
    // Afterwards it keeps editing (its own signature, dated after the revocation) and the
    // bytes reach B somehow: refused.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    l.edit(v, &[Edit::Name("Acme (mine now)".into())]).unwrap();
    let late = l.changes_since(v, &[]).unwrap().unwrap();
    let why = push(b, l, v, &late).expect("refused");
    assert!(why.contains("revoked"), "{why}");
    assert!(b.document(v).is_err(), "nothing of it landed");
    // The office vouches for the leaver's earlier change when it sends the document to a
    // new device: it lands, attributed to the leaver and vouched for by the office.
    assert_eq!(send(a, n, v), None);
    assert_eq!(n.customer(v).unwrap().name, "Acme Ltd");
    let h = n.history(v).unwrap();
    let leaver = h
        .iter()
        .find(|e| e.device_id.as_deref() == Some(l.device_id().as_str()))
        .unwrap();
    assert!(leaver.signed);
    assert_eq!(leaver.vouched_by.as_deref(), Some(a.device_id().as_str()));
    // ... and the new device, a member, relays it onwards the same way.
    assert_eq!(send(n, b, v), None);
    assert_eq!(b.customer(v).unwrap().name, "Acme Ltd");
}

#[test]
fn only_admins_settings_changes_count() {
    let t = team(&["Office", "Laptop B"]);
    let (a, b) = (&t[0].1, &t[1].1);
    a.set_setting("tier.gold.min", Some("10000")).unwrap();
    let have = b.shared_heads(Shared::Settings).unwrap();
    b.apply_remote_shared_from(
        Some("office"),
        Shared::Settings,
        &a.shared_changes_since(Shared::Settings, &have).unwrap(),
    )
    .unwrap();
    assert_eq!(b.settings().unwrap()["tier.gold.min"], "10000");
    // The member writes the settings document by hand (its store refuses `set_setting`) and
    // signs its change properly: the owner's device ignores it.
    assert!(b.set_setting("tier.gold.min", Some("1")).is_err());
    let mut doc = b.shared_document(Shared::Settings).unwrap();
    let heads = doc.get_heads();
    let mut f = doc.fork();
    f.set_actor(ActorId::from(
        rapport_team::parse_key(&b.device_id()).unwrap().as_slice(),
    ));
    f.put(ROOT, "tier.gold.min", "1").unwrap();
    f.commit();
    let h = f.get_heads()[0];
    let key_of_settings = u128::MAX; // the settings document's key in the signature table
    let bytes = signed_by(b, key_of_settings, f.save_after(&heads), &[h]);
    assert!(
        !a.apply_remote_shared_from(Some("b"), Shared::Settings, &bytes)
            .unwrap()
    );
    assert_eq!(a.settings().unwrap()["tier.gold.min"], "10000");
    let q = a.quarantined().unwrap();
    assert!(
        q.iter()
            .any(|q| q.doc == DocRef::Shared(Shared::Settings) && q.reason.contains("admin")),
        "{q:?}"
    );
}

#[test]
fn a_copied_data_directory_used_on_two_laptops_is_explained_not_a_wedge() {
    let t = team(&["Office", "Laptop B"]);
    let (a, b) = (&t[0].1, &t[1].1);
    let v = a
        .create(NewCustomer::new("Shared", CustomerKind::Company))
        .unwrap();
    let w = a
        .create(NewCustomer::new("Untouched", CustomerKind::Company))
        .unwrap();
    send(a, b, v);
    // Laptop B's folder is copied to a second laptop, and both copies are used.
    let copy_dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(t[1].0.path()).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), copy_dir.path().join(f.file_name())).unwrap();
        }
    }
    let copy = Store::open(copy_dir.path(), opts("Laptop B")).unwrap();
    assert_eq!(
        copy.device_id(),
        b.device_id(),
        "the copy is the same device"
    );
    b.edit(v, &[Edit::Name("Edited on B".into())]).unwrap();
    copy.edit(v, &[Edit::Name("Edited on the copy".into())])
        .unwrap();
    assert_eq!(send(b, a, v), None);
    let why = send(&copy, a, v).expect("the second copy's change is refused");
    assert!(why.contains("copied to a second computer"), "{why}");
    assert_eq!(a.customer(v).unwrap().name, "Edited on B");
    // Not a wedge: the office and B keep syncing, that document included.
    b.edit(v, &[Edit::Name("Later on B".into())]).unwrap();
    assert_eq!(send(b, a, v), None);
    assert_eq!(a.customer(v).unwrap().name, "Later on B");
    a.edit(w, &[Edit::Name("Untouched plc".into())]).unwrap();
    assert_eq!(send(a, b, w), None);
}

/// A store as an earlier Rapport left it: schema 2, a random 16-byte actor, customer
/// documents whose changes carry that actor, and no signature tables.
fn make_schema_2_store(
    dir: &std::path::Path,
    names: &[&str],
    in_team: bool,
) -> (Vec<CustomerId>, [u8; 16]) {
    let actor: [u8; 16] = rand::random();
    let s = Store::open(dir, opts("Old office")).unwrap();
    let mut ids = Vec::new();
    for name in names {
        let id = CustomerId::new();
        let c = rapport_model::Customer::new(id, *name, CustomerKind::Company, chrono::Utc::now());
        let mut old = AutoCommit::new().with_actor(ActorId::from(actor.as_slice()));
        rapport_store::doc::create(&mut old, &c).unwrap();
        old.commit_with(CommitOptions::default().with_time(c.created_at.timestamp()));
        // Outside any team the store takes it as it is (what the old version wrote).
        assert!(s.apply_remote(id, &old.save()).unwrap());
        ids.push(id);
    }
    // Today's main already had signed teams (their entries are signed with the device key,
    // which the upgrade keeps).
    if in_team {
        s.team_create("Sales").unwrap();
    }
    drop(s);
    let db = redb::Database::create(dir.join(rapport_store::DB_FILE)).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        let mut m = txn.open_table(meta).unwrap();
        m.insert("schema", 2u64.to_le_bytes().as_slice()).unwrap();
        m.insert("device_actor", actor.as_slice()).unwrap();
    }
    txn.delete_table(redb::TableDefinition::<(u128, [u8; 32]), &[u8]>::new(
        "change_sigs",
    ))
    .unwrap();
    txn.delete_table(redb::TableDefinition::<u128, ()>::new("unsigned_docs"))
        .unwrap();
    txn.commit().unwrap();
    (ids, actor)
}

#[test]
fn an_upgraded_store_declares_its_earlier_actor_and_vouches_for_its_earlier_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (ids, old_actor) = make_schema_2_store(dir.path(), &["Müller AG", "王芳"], false);
    let mut a = Store::open(dir.path(), opts("Old office")).unwrap();
    assert_eq!(
        a.legacy_actor().unwrap().as_deref(),
        Some(old_actor.as_slice())
    );
    assert!(
        a.device().actor.starts_with(&a.device_id()),
        "new changes use the key"
    );
    assert!(a.verify().unwrap().is_empty());
    // It creates its team: the earlier actor is declared, signed, in the team.
    a.team_create("Sales").unwrap();
    let st = a.team_state().unwrap().unwrap();
    assert_eq!(
        st.legacy_owner(&old_actor),
        Some(rapport_team::parse_key(&a.device_id()).unwrap())
    );
    let (_db, b) = open("Laptop B");
    let (_dc, c) = open("Laptop C");
    for s in [&b, &c] {
        a.team_add(&s.device_id(), &s.device().name).unwrap();
        s.team_join(a.team_id().unwrap().unwrap(), false).unwrap();
    }
    team_sync(&a, &b);
    team_sync(&a, &c);
    for id in &ids {
        assert_eq!(send(&a, &b, *id), None);
        assert_eq!(b.customer(*id).unwrap().name, a.customer(*id).unwrap().name);
        let h = b.history(*id).unwrap();
        assert_eq!(h[0].device_id.as_deref(), Some(a.device_id().as_str()));
        assert!(!h[0].signed, "an earlier change is unsigned");
        assert_eq!(h[0].vouched_by.as_deref(), Some(a.device_id().as_str()));
        // A member relays it onwards (the actor is declared, so any member may vouch).
        assert_eq!(send(&b, &c, *id), None);
    }
    // Edits after the upgrade are signed.
    a.edit(ids[0], &[Edit::Name("Müller & Söhne AG".into())])
        .unwrap();
    assert_eq!(send(&a, &c, ids[0]), None);
    assert!(c.history(ids[0]).unwrap().last().unwrap().signed);
}

#[test]
fn a_store_already_in_a_signed_team_declares_its_earlier_actor_when_it_opens_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let (ids, old_actor) = make_schema_2_store(dir.path(), &["Kowalski GmbH"], true);
    let a = Store::open(dir.path(), opts("Old office")).unwrap();
    let me = rapport_team::parse_key(&a.device_id()).unwrap();
    // Opening did it: no command, and the team is the one it had.
    let st = a.team_state().unwrap().unwrap();
    assert_eq!(st.owner, me, "still the owner of its team");
    assert_eq!(st.legacy_owner(&old_actor), Some(me));
    drop(a);
    // Declared once: opening again signs nothing more.
    let a = Store::open(dir.path(), opts("Old office")).unwrap();
    let entries = a.team_state().unwrap().unwrap();
    assert_eq!(entries.devices[&me].legacy_actors.len(), 1);
    // A device that joins after the upgrade takes the earlier customers.
    let (_db, b) = open("Laptop B");
    a.team_add(&b.device_id(), "Laptop B").unwrap();
    b.team_join(a.team_id().unwrap().unwrap(), false).unwrap();
    team_sync(&a, &b);
    assert_eq!(send(&a, &b, ids[0]), None);
    assert_eq!(b.customer(ids[0]).unwrap().name, "Kowalski GmbH");
    assert_eq!(
        b.history(ids[0]).unwrap()[0].device_id.as_deref(),
        Some(a.device_id().as_str())
    );
}
