//! Writes the fixture documents and the seed corpora of the fuzz targets.
//!
//! `cargo run --example gen_seeds` (from `sync/fuzz`) writes:
//!
//! - `seeds/fixture.bin`: what every store-backed target loads into its store at start
//!   (postcard `Fixture`): a signed team (its id and its team document: an owner and eleven
//!   admins, the devices the seed sessions are recorded with), 40 demo customers, some
//!   edited, as signed deliveries (`Store::changes_since`), and 8 more the store does not
//!   hold, so `apply_remote` seeds can create them. The fuzz store joins that team, so every
//!   input goes through the signature and authorship checks of a real team member. The
//!   targets embed it with `include_bytes!`, so a reproducer behaves the same on any machine.
//! - `seeds/<target>/*`: real inputs recorded from sessions between stores built from the
//!   fixture, so the fuzzers start from valid frames, documents, tickets and messages.
//!
//! Rerunning it makes a new fixture (actors and change times differ), which makes the
//! recorded sessions fit it again: regenerate all seeds together, never the fixture alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a generator may panic

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rapport_model::{CustomerId, CustomerKind, Edit, NewCustomer};
use rapport_store::{OpenOptions, Shared, Store};
use rapport_sync::pair::{Invite, PairMsg};
use rapport_sync::protocol::{Frame, Initiator, Responder};
use serde::{Deserialize, Serialize};
use tempfile::TempDir;

/// Same layout as `fuzz_targets/common/mod.rs`.
#[derive(Serialize, Deserialize)]
struct Fixture {
    docs: Vec<(u128, Vec<u8>)>,
    extra: Vec<(u128, Vec<u8>)>,
    team_id: [u8; 32],
    team: Vec<u8>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

fn demo(n: usize, seed: u64) -> Vec<NewCustomer> {
    rapport_demo::generate(n, seed, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap())
}

fn open(name: &str) -> (Store, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path(),
        OpenOptions {
            device_name: name.into(),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    (store, dir)
}

/// `s`, a device of the fixture's team, holding `docs` (what the fuzz targets start from).
fn with_docs((s, d): (Store, TempDir), docs: &[(u128, Vec<u8>)]) -> (Store, TempDir) {
    let batch: Vec<(CustomerId, &[u8])> = docs
        .iter()
        .map(|(id, b)| (CustomerId::from_u128(*id), b.as_slice()))
        .collect();
    s.apply_remote_many(&batch).unwrap();
    (s, d)
}

/// Makes `s` a device of the fixture's team (as the fuzz targets' store is).
fn join(s: &Store, f: &Fixture) {
    s.team_join(f.team_id, false).unwrap();
    s.apply_remote_shared_from(None, Shared::Team, &f.team)
        .unwrap();
}

/// Runs a session like `sync_local`, keeping every encoded frame: (requests, replies).
fn record(initiator: &Store, responder: &Store) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let mut i = Initiator::new(initiator).unwrap();
    let mut r = Responder::new(responder).unwrap();
    let (mut requests, mut replies) = (Vec::new(), Vec::new());
    let mut to_r = i.start().unwrap();
    loop {
        let mut to_i = Vec::new();
        for f in to_r.drain(..) {
            let b = f.encode().unwrap();
            to_i.extend(r.receive(Frame::decode(&b).unwrap()).unwrap());
            requests.push(b);
        }
        if i.is_done() {
            break;
        }
        for f in to_i {
            let b = f.encode().unwrap();
            to_r.extend(i.receive(Frame::decode(&b).unwrap()).unwrap());
            replies.push(b);
        }
        assert!(!to_r.is_empty() || i.is_done(), "session stalled");
    }
    (requests, replies)
}

/// Frames as the `responder` / `initiator` targets read them: u32 LE length, then bytes.
fn delimited(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.extend_from_slice(&u32::try_from(f.len()).unwrap().to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = root().join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

/// Edits some customers, adds some, and touches the shared documents: a device that worked
/// offline.
fn diverge(s: &Store, ids: &[CustomerId], seed: u64) {
    for (n, id) in ids.iter().enumerate().skip(seed as usize % 3).step_by(7) {
        s.edit(
            *id,
            &[
                Edit::AddTag(format!("t{seed}-{n}")),
                Edit::Notes(format!("offline note {seed} {n}")),
            ],
        )
        .unwrap();
    }
    if let Some(id) = ids.get(11) {
        s.edit(*id, &[Edit::Delete]).unwrap();
    }
    s.create_many(vec![NewCustomer::new(
        format!("Only here {seed}"),
        CustomerKind::Company,
    )])
    .unwrap();
    s.set_setting(&format!("currency{seed}"), Some("EUR"))
        .unwrap();
    let key = iroh::SecretKey::from_bytes(&[40 + seed as u8; 32]).public();
    let id: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    s.team_add(&id, &format!("Device {seed}")).unwrap();
}

fn main() {
    let out = root();
    for t in [
        "frame",
        "responder",
        "initiator",
        "apply_remote",
        "delivery",
        "ticket",
        "pair_msg",
    ] {
        let _ = fs::remove_dir_all(out.join(t));
    }
    fs::create_dir_all(&out).unwrap();

    // The team: the origin creates it and admits, as admins, the devices the seed sessions
    // are recorded with (so their changes, settings and team entries are ones a member takes).
    let (origin, _d0) = open("origin");
    origin.team_create("Fuzz team").unwrap();
    let team_id = origin.team_id().unwrap().unwrap();
    let mut pool: Vec<(Store, TempDir)> = (0..11).map(|n| open(&format!("Peer {n}"))).collect();
    for (n, (p, _)) in pool.iter().enumerate() {
        origin
            .team_add(&p.device_id(), &format!("Peer {n}"))
            .unwrap();
        origin
            .team_set_role(&p.device_id(), rapport_team::Role::Admin)
            .unwrap();
    }

    // The fixture: 40 customers (more than LEAF = 24, so sessions descend the trie), a few
    // edited so their documents hold several changes, and 8 the targets' store lacks.
    let ids = origin.create_many(demo(48, 7)).unwrap();
    for id in ids.iter().step_by(5) {
        origin
            .edit(
                *id,
                &[Edit::AddTag("vip".into()), Edit::Industry("Tea".into())],
            )
            .unwrap();
    }
    let bytes =
        |s: &Store, id: &CustomerId| (id.as_u128(), s.changes_since(*id, &[]).unwrap().unwrap());
    let fixture = Fixture {
        docs: ids[..40].iter().map(|id| bytes(&origin, id)).collect(),
        extra: ids[40..].iter().map(|id| bytes(&origin, id)).collect(),
        team_id,
        team: origin.shared_changes_since(Shared::Team, &[]).unwrap(),
    };
    fs::write(
        out.join("fixture.bin"),
        postcard::to_stdvec(&fixture).unwrap(),
    )
    .unwrap();
    let fixture_ids: Vec<CustomerId> = ids[..40].to_vec();
    // Each peer joins the team as a ticket would make it, and reads the team document.
    for (p, _) in &pool {
        p.team_join(team_id, false).unwrap();
        p.apply_remote_shared_from(None, Shared::Team, &fixture.team)
            .unwrap();
    }
    let mut peer = || pool.pop().expect("enough peers in the pool");

    let mut all_frames: Vec<Vec<u8>> = Vec::new();

    // Requests a fixture responder receives, from various initiators.
    let sessions: Vec<(&str, Box<dyn Fn((Store, TempDir)) -> (Store, TempDir)>)> = vec![
        ("empty", Box::new(|p| p)),
        (
            "diverged",
            Box::new(|p| {
                let (s, d) = with_docs(p, &fixture.docs);
                diverge(&s, &fixture_ids, 1);
                (s, d)
            }),
        ),
        ("subset", Box::new(|p| with_docs(p, &fixture.docs[..17]))),
        (
            "superset",
            Box::new(|p| {
                let (s, d) = with_docs(p, &fixture.docs);
                s.create_many(demo(30, 99)).unwrap();
                (s, d)
            }),
        ),
        ("same", Box::new(|p| with_docs(p, &fixture.docs))),
    ];
    for (name, make) in &sessions {
        // Responder side: the peer is the initiator.
        let (them, _dp) = make(peer());
        let (me, _dm) = with_docs(open("R"), &fixture.docs);
        join(&me, &fixture);
        let (requests, replies) = record(&them, &me);
        write("responder", name, &delimited(&requests));
        all_frames.extend(requests);
        all_frames.extend(replies);
        // Initiator side: the peer is the responder.
        let (them, _dp) = make(peer());
        let (me, _dm) = with_docs(open("I"), &fixture.docs);
        join(&me, &fixture);
        let (requests, replies) = record(&me, &them);
        write("initiator", name, &delimited(&replies));
        all_frames.extend(requests);
        all_frames.extend(replies);
    }
    all_frames.sort();
    all_frames.dedup();
    for (n, f) in all_frames.iter().enumerate() {
        if f.len() <= 64 << 10 {
            write("frame", &format!("f{n:03}"), f);
        }
    }
    write("frame", "done", &Frame::Done.encode().unwrap());

    // apply_remote: [selector][bytes]; selector < 40 picks a fixture customer, 40..48 one
    // the store lacks (see common::target_id).
    for (n, (_, doc)) in fixture.docs.iter().enumerate().step_by(6) {
        write(
            "apply_remote",
            &format!("same{n:02}"),
            &[&[n as u8][..], doc].concat(),
        );
    }
    for (n, (_, doc)) in fixture.extra.iter().enumerate() {
        let sel = 40 + n as u8;
        write(
            "apply_remote",
            &format!("new{n}"),
            &[&[sel][..], doc].concat(),
        );
    }
    // Changes on top of fixture documents, as sync sends them: signed by a member
    // (`changes_since` its earlier heads), and the same changes bare (`save_after`, no
    // signatures: refused by a team member).
    let (edited, _de) = with_docs(peer(), &fixture.docs);
    for (n, id) in fixture_ids.iter().enumerate().step_by(4) {
        let before = edited.document(*id).unwrap().get_heads();
        edited
            .edit(
                *id,
                &[
                    Edit::AddTag(format!("edited{n}")),
                    Edit::Address(format!("{n} Fuzz Street")),
                ],
            )
            .unwrap();
        let bare = edited.document(*id).unwrap().save_after(&before);
        write(
            "apply_remote",
            &format!("bare{n:02}"),
            &[&[n as u8][..], &bare].concat(),
        );
        let signed = edited.changes_since(*id, &before).unwrap().unwrap();
        write(
            "apply_remote",
            &format!("changes{n:02}"),
            &[&[n as u8][..], &signed].concat(),
        );
        write("delivery", &format!("changes{n:02}"), &signed);
        let whole = edited.changes_since(*id, &[]).unwrap().unwrap();
        write(
            "apply_remote",
            &format!("whole{n:02}"),
            &[&[n as u8][..], &whole].concat(),
        );
        write("delivery", &format!("whole{n:02}"), &whole);
    }
    // A document sent under another customer's id (must be refused).
    write(
        "apply_remote",
        "wrong_id",
        &[&[3u8][..], &fixture.docs[4].1].concat(),
    );

    // Tickets.
    let key = iroh::SecretKey::from_bytes(&[7u8; 32]).public();
    let invites = [
        iroh::EndpointAddr::new(key),
        iroh::EndpointAddr::from_parts(
            key,
            [
                iroh::TransportAddr::Ip("192.0.2.7:4433".parse().unwrap()),
                iroh::TransportAddr::Ip("[2001:db8::1]:4433".parse().unwrap()),
            ],
        ),
        iroh::EndpointAddr::from_parts(
            key,
            [iroh::TransportAddr::Relay(
                "https://relay.example.org./"
                    .parse::<iroh::RelayUrl>()
                    .unwrap(),
            )],
        ),
    ];
    for (n, addr) in invites.into_iter().enumerate() {
        let invite = Invite {
            inviter: addr,
            inviter_name: ["Büro", "办公室 laptop", ""][n].to_string(),
            secret: [n as u8; 16],
            expires: 1_800_000_000 + n as i64,
            team: (n == 1).then_some([n as u8; 32]),
        };
        write(
            "ticket",
            &format!("t{n}"),
            invite.encode().unwrap().as_bytes(),
        );
    }

    // Pairing messages.
    let msgs = [
        PairMsg::Join {
            secret: [9; 16],
            name: "New laptop".into(),
        },
        PairMsg::Welcome {
            name: "王的电脑".into(),
        },
        PairMsg::Refused {
            reason: "this invite was already used".into(),
        },
    ];
    for (n, m) in msgs.iter().enumerate() {
        write(
            "pair_msg",
            &format!("m{n}"),
            &postcard::to_stdvec(m).unwrap(),
        );
    }
    eprintln!("seeds written under {}", out.display());
}
