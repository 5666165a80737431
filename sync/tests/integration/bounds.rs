//! Bounds on what a peer can make a device do in a session, on real iroh nodes on loopback
//! (relays and address lookup off, direct addresses) and on the protocol machines in process:
//!
//! - continuation frames count toward the session's frame limit: 10,000 empty ones are cut
//!   off after exactly [`MAX_ROUNDS`] (both sides), while frames that carry documents earn
//!   their way (an honest large batch is never cut);
//! - a session that goes past its deadline is cut off, even if the peer keeps talking;
//! - 50 parallel sessions from one member: at most the per-peer cap are served, the others are
//!   refused with [`CLOSE_BUSY`], and an honest member syncs meanwhile;
//! - a document of 500 nested maps pushed in a session (on tokio workers with a 1 MiB stack,
//!   which recursive hydration would overflow) is quarantined, the device survives, and an
//!   honest session works afterwards;
//! - a frame with one forged document (a real author's actor and sequence number) and two
//!   honest ones: the honest ones land, the forged one is quarantined under the sender's id,
//!   and the author's later edit still reaches the receiver in a later session;
//! - a peer is held to its session quota of new documents; the rest arrive in a later session;
//! - 200,000 tiny documents in one session meet that quota: 50,000 land, the rest are refused
//!   unparsed, the quarantine stays capped and the device keeps working.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::time::{Duration, Instant};

use automerge::{AutoCommit, ROOT, transaction::Transactable};
use chrono::NaiveDate;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use rapport_model::{CustomerId, CustomerKind, Edit, NewCustomer};
use rapport_store::{DocRef, Store};
use rapport_sync::net::{CLOSE_BUSY, MAX_SESSIONS_PER_PEER, NetConfig, Node, SYNC_ALPN};
use rapport_sync::protocol::{
    Doc, FRAME_BUDGET, Frame, Initiator, Item, MAX_ROUNDS, NodeSum, Prefix, Responder,
};
use rapport_sync::{Hash, Replica, SyncError};

use crate::common::{Peer, device, pair, peer, peer_with};

fn demo(n: usize, seed: u64) -> Vec<NewCustomer> {
    rapport_demo::generate(n, seed, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap())
}

/// Everything a device holds that a peer could change.
fn state(s: &Store) -> (Vec<rapport_model::CustomerSummary>, Vec<u8>, Vec<u8>) {
    use rapport_store::Shared;
    (
        s.summaries().unwrap(),
        s.shared_changes_since(Shared::Settings, &[]).unwrap(),
        s.shared_changes_since(Shared::Team, &[]).unwrap(),
    )
}

fn request(nodes: Vec<NodeSum>, push: Vec<Doc>, more: bool) -> Frame {
    Frame::Request {
        nodes,
        push,
        want: Vec::new(),
        shared: Vec::new(),
        more,
    }
}

fn reply(docs: Vec<Doc>, more: bool) -> Frame {
    Frame::Reply {
        children: Vec::new(),
        items: Vec::new(),
        docs,
        shared: Vec::new(),
        more,
    }
}

/// A frame as it goes on the wire: 4-byte big-endian length, then the postcard bytes.
fn delimited(f: &Frame) -> Vec<u8> {
    let body = f.encode().unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

async fn read_frame(recv: &mut RecvStream) -> Option<Frame> {
    let mut len = [0u8; 4];
    recv.read_exact(&mut len).await.ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    recv.read_exact(&mut body).await.ok()?;
    Frame::decode(&body).ok()
}

async fn open(from: &Peer, to: &Peer) -> (Connection, SendStream, RecvStream) {
    let conn = from
        .node
        .endpoint()
        .connect(to.node.addr(), SYNC_ALPN)
        .await
        .unwrap();
    let (send, recv) = conn.open_bi().await.unwrap();
    (conn, send, recv)
}

fn close_reason(conn: &Connection) -> String {
    conn.close_reason()
        .map(|r| r.to_string())
        .unwrap_or_default()
}

/// A replica that holds nothing and accepts everything (to drive the protocol alone).
struct Null;

impl Replica for Null {
    fn entries(&self) -> Result<Vec<Item>, SyncError> {
        Ok(Vec::new())
    }
    fn changes_since(&self, _: u128, _: &[Hash]) -> Result<Option<Vec<u8>>, SyncError> {
        Ok(None)
    }
    fn knows(&self, _: u128, _: &[Hash]) -> Result<bool, SyncError> {
        Ok(false)
    }
    fn apply(&self, _: u128, _: &[u8]) -> Result<bool, SyncError> {
        Ok(false)
    }
    fn shared_heads(&self, _: u8) -> Result<Vec<Hash>, SyncError> {
        Ok(Vec::new())
    }
    fn shared_changes_since(&self, _: u8, _: &[Hash]) -> Result<Vec<u8>, SyncError> {
        Ok(Vec::new())
    }
    fn apply_shared(&self, _: u8, _: &[u8]) -> Result<bool, SyncError> {
        Ok(false)
    }
}

/// The number (from 1) of the first frame `receive` refuses, if any.
fn first_refused(
    frames: impl IntoIterator<Item = Frame>,
    mut receive: impl FnMut(Frame) -> Result<Vec<Frame>, SyncError>,
) -> Option<usize> {
    for (i, f) in frames.into_iter().enumerate() {
        if receive(f).is_err() {
            return Some(i + 1);
        }
    }
    None
}

#[test]
fn continuation_frames_count_toward_the_limit_unless_they_carry_documents() {
    let limit = MAX_ROUNDS as usize;
    // Responder: 10,000 empty continuation frames are refused at frame MAX_ROUNDS + 1.
    let mut r = Responder::new(&Null).unwrap();
    let empty = (0..10_000).map(|_| request(Vec::new(), Vec::new(), true));
    assert_eq!(first_refused(empty, |f| r.receive(f)), Some(limit + 1));
    // Initiator: the same with replies.
    let mut i = Initiator::new(&Null).unwrap();
    i.start().unwrap();
    let empty = (0..10_000).map(|_| reply(Vec::new(), true));
    assert_eq!(first_refused(empty, |f| i.receive(f)), Some(limit + 1));

    // Frames as an honest sender packs them (one document over half the budget each) are
    // accepted well past MAX_ROUNDS, on either side.
    let big = |n: u128| Doc {
        id: n,
        bytes: vec![0u8; FRAME_BUDGET / 2 + 1],
    };
    let frames = 3 * limit;
    let mut r = Responder::new(&Null).unwrap();
    let batch = (0..frames).map(|n| request(Vec::new(), vec![big(n as u128)], n + 1 < frames));
    assert_eq!(first_refused(batch, |f| r.receive(f)), None);
    let mut i = Initiator::new(&Null).unwrap();
    i.start().unwrap();
    let batch = (0..frames).map(|n| reply(vec![big(n as u128)], n + 1 < frames));
    assert_eq!(first_refused(batch, |f| i.receive(f)), None);
    // But tiny documents do not buy a frame each.
    let tiny = |n: u128| Doc {
        id: n,
        bytes: vec![0u8; 10],
    };
    let mut r = Responder::new(&Null).unwrap();
    let batch = (0..10_000).map(|n| request(Vec::new(), vec![tiny(n as u128)], true));
    assert_eq!(first_refused(batch, |f| r.receive(f)), Some(limit + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_empty_continuation_frames_are_cut_off() {
    let a = peer("A").await;
    let b = peer("B").await;
    pair(&a, &b).await;
    a.store.create_many(demo(10, 1)).unwrap();
    let before = state(&a.store);
    let read_before = a.node.wire_bytes().0;

    let (conn, mut send, _recv) = open(&b, &a).await;
    let frame = delimited(&request(Vec::new(), Vec::new(), true));
    let all: Vec<u8> = (0..10_000).flat_map(|_| frame.clone()).collect();
    let _ = send.write_all(&all).await;
    tokio::time::timeout(Duration::from_secs(20), conn.closed())
        .await
        .expect("the session was cut off");
    let reason = close_reason(&conn);
    assert!(reason.contains("frames in one session"), "{reason}");
    // A read exactly MAX_ROUNDS + 1 frames, the last of which it refused.
    let read = a.node.wire_bytes().0 - read_before;
    assert_eq!(read, (u64::from(MAX_ROUNDS) + 1) * frame.len() as u64);
    assert!(state(&a.store) == before, "A's store changed");
    // An honest session works afterwards.
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(b.store.count().unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_past_its_deadline_is_cut_off() {
    let deadline = Duration::from_secs(2);
    let a = {
        let d = device("A");
        let store = std::sync::Arc::new(d.store);
        let config = NetConfig {
            session_timeout: deadline,
            ..NetConfig::direct("127.0.0.1:0".parse().unwrap())
        };
        let node = Node::spawn_configured(store.clone(), config).await.unwrap();
        Peer {
            node,
            store,
            _dir: d._dir,
        }
    };
    let b = peer("B").await;
    pair(&a, &b).await;
    a.store.create_many(demo(30, 2)).unwrap();

    // B keeps the session alive with a valid request every 300 ms, well within the frame
    // timeout and far from MAX_ROUNDS.
    let (conn, mut send, mut recv) = open(&b, &a).await;
    let started = Instant::now();
    let mut replies = 0;
    let talk = async {
        for n in 0u128.. {
            let root = NodeSum {
                prefix: Prefix::ROOT,
                fp: n,
                count: 1,
            };
            if send
                .write_all(&delimited(&request(vec![root], Vec::new(), false)))
                .await
                .is_err()
            {
                return;
            }
            if read_frame(&mut recv).await.is_none() {
                return;
            }
            replies += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), talk)
        .await
        .expect("the session was cut off");
    let took = started.elapsed();
    assert!(took >= deadline && took < deadline * 3, "{took:?}");
    assert!(replies > 2 && replies < MAX_ROUNDS, "{replies} replies");
    let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
    let reason = close_reason(&conn);
    assert!(reason.contains("did not finish within"), "{reason}");
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(b.store.count().unwrap(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_sessions_from_one_member_are_capped() {
    let a = peer_with("A", Duration::from_secs(10)).await;
    let m = peer("Many").await;
    let h = peer("Honest").await;
    pair(&a, &m).await;
    pair(&a, &h).await;
    a.store.create_many(demo(20, 3)).unwrap();

    // 50 sessions at once, each sending a first request and then staying silent, holding its
    // slot until A's frame timeout.
    // (Each keeps its connection and streams to the end, so a served one holds its slot.)
    let attempt = || async {
        let Ok(conn) = m.node.endpoint().connect(a.node.addr(), SYNC_ALPN).await else {
            return (false, String::new(), None);
        };
        let Ok((mut send, mut recv)) = conn.open_bi().await else {
            return (false, close_reason(&conn), None);
        };
        let root = NodeSum {
            prefix: Prefix::ROOT,
            fp: 1,
            count: 1,
        };
        let _ = send
            .write_all(&delimited(&request(vec![root], Vec::new(), false)))
            .await;
        let served = tokio::time::timeout(Duration::from_secs(8), read_frame(&mut recv))
            .await
            .ok()
            .flatten()
            .is_some();
        (served, close_reason(&conn), Some((conn, send, recv)))
    };
    let sessions = n0_future::join_all((0..50).map(|_| attempt()));
    // Meanwhile the honest member syncs.
    let honest = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        h.node.sync_with(a.node.addr()).await
    };
    let (results, honest) = tokio::join!(sessions, honest);
    let t = honest.expect("the honest member synced");
    assert_eq!(t.initiator.docs_changed, 20);
    let served = results.iter().filter(|(s, _, _)| *s).count();
    let busy = results
        .iter()
        .filter(|(_, r, _)| {
            r.contains(&CLOSE_BUSY.to_string()) || r.contains("too many sync sessions")
        })
        .count();
    assert!(
        (1..=MAX_SESSIONS_PER_PEER).contains(&served),
        "{served} sessions served"
    );
    assert_eq!(served + busy, 50, "every other session was refused as busy");
    assert_eq!(h.store.count().unwrap(), 20);
}

/// A document claiming to be customer `id`, with `depth` maps nested under its root.
fn deep_doc(id: CustomerId, depth: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "id", id.to_string()).unwrap();
    let mut obj = ROOT;
    for _ in 0..depth {
        obj = doc.put_object(&obj, "x", automerge::ObjType::Map).unwrap();
    }
    doc.save()
}

#[test]
fn a_deeply_nested_document_in_a_session_is_quarantined_on_small_stacks() {
    // Tokio workers with half their default stack: automerge's recursive hydrate of 500
    // nested maps overflows it (see crates/store/tests/integration/bounds.rs), and an
    // overflow aborts.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(1024 * 1024)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let a = peer("A").await;
        let m = peer("Mallory").await;
        pair(&a, &m).await;
        a.store.create_many(demo(10, 4)).unwrap();
        let before = state(&a.store);
        let id = CustomerId::new();
        let (conn, mut send, mut recv) = open(&m, &a).await;
        let push = vec![Doc {
            id: id.as_u128(),
            bytes: deep_doc(id, 500),
        }];
        send.write_all(&delimited(&request(Vec::new(), push, false)))
            .await
            .unwrap();
        assert!(
            matches!(read_frame(&mut recv).await, Some(Frame::Reply { .. })),
            "A answered the frame and kept the session"
        );
        send.write_all(&delimited(&Frame::Done)).await.unwrap();
        let _ = send.finish();
        let _ = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(64)).await;
        conn.close(0u32.into(), b"done");
        assert!(state(&a.store) == before, "A's store changed");
        let q = a.store.quarantined().unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].doc, DocRef::Customer(id));
        assert_eq!(
            q[0].peer.as_deref(),
            Some(m.node.endpoint().id().to_string().as_str())
        );
        assert!(q[0].reason.contains("nested"), "{}", q[0].reason);
        // A paused sync with the sender; once a person resumes it, A is alive and a session
        // works.
        let mallory = m.node.endpoint().id().to_string();
        assert!(a.store.peer_paused(&mallory).unwrap().is_some());
        assert!(m.node.sync_with(a.node.addr()).await.is_err());
        a.store.resume_peer(&mallory).unwrap();
        m.node.sync_with(a.node.addr()).await.unwrap();
        assert_eq!(m.store.count().unwrap(), 10);
    });
}

/// A change to `doc` that claims to be its author's next change after `heads` (same actor,
/// same sequence number as the author's real one).
fn forge(doc: &mut AutoCommit, heads: &[automerge::ChangeHash], name: &str) -> Vec<u8> {
    let actor = doc.get_changes(&[])[0].actor_id().clone();
    let mut f = doc.fork_at(heads).unwrap();
    f.set_actor(actor);
    f.put(ROOT, "name", name).unwrap();
    f.commit();
    f.save_after(heads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_document_is_quarantined_and_later_sessions_keep_working() {
    let a = peer("Author").await;
    let b = peer("Receiver").await;
    let m = peer("Mallory").await;
    pair(&a, &b).await;
    pair(&b, &m).await;
    let v = a
        .store
        .create(NewCustomer::new("Victim", CustomerKind::Company))
        .unwrap();
    a.node.sync_with(b.node.addr()).await.unwrap();
    let heads0 = a.store.document(v).unwrap().get_heads();
    a.store.edit(v, &[Edit::Name("Real".into())]).unwrap();
    a.node.sync_with(b.node.addr()).await.unwrap();
    assert_eq!(b.store.customer(v).unwrap().name, "Real");

    // Mallory forges the author's change and sends it with two honest new customers.
    let forged = forge(&mut a.store.document(v).unwrap(), &heads0, "Forged");
    let x = m
        .store
        .create(NewCustomer::new("X", CustomerKind::Company))
        .unwrap();
    let y = m
        .store
        .create(NewCustomer::new("Y", CustomerKind::Person))
        .unwrap();
    let doc = |id: CustomerId, bytes: Vec<u8>| Doc {
        id: id.as_u128(),
        bytes,
    };
    let push = vec![
        doc(v, forged),
        doc(x, m.store.document_bytes(x).unwrap().unwrap()),
        doc(y, m.store.document_bytes(y).unwrap().unwrap()),
    ];
    let (conn, mut send, mut recv) = open(&m, &b).await;
    send.write_all(&delimited(&request(Vec::new(), push, false)))
        .await
        .unwrap();
    assert!(matches!(
        read_frame(&mut recv).await,
        Some(Frame::Reply { .. })
    ));
    send.write_all(&delimited(&Frame::Done)).await.unwrap();
    let _ = send.finish();
    let _ = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(64)).await;
    conn.close(0u32.into(), b"done");

    assert_eq!(b.store.customer(x).unwrap(), m.store.customer(x).unwrap());
    assert_eq!(b.store.customer(y).unwrap(), m.store.customer(y).unwrap());
    assert_eq!(b.store.customer(v).unwrap().name, "Real");
    let q = b.store.quarantined().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].doc, DocRef::Customer(v));
    assert_eq!(
        q[0].peer.as_deref(),
        Some(m.node.endpoint().id().to_string().as_str())
    );
    assert!(
        q[0].reason.contains("both claim to be change"),
        "{}",
        q[0].reason
    );

    // Later sessions between the honest devices keep working, and the author's next edit of
    // the victim reaches the receiver.
    a.store.edit(v, &[Edit::Name("Real 2".into())]).unwrap();
    a.node.sync_with(b.node.addr()).await.unwrap();
    assert_eq!(b.store.customer(v).unwrap().name, "Real 2");
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(a.store.customer(x).unwrap(), m.store.customer(x).unwrap());
    assert_eq!(a.store.customer(v).unwrap(), b.store.customer(v).unwrap());

    // Sync with the sender is paused, both ways, until a person resumes it.
    let mallory = m.node.endpoint().id().to_string();
    let paused = b.store.peer_paused(&mallory).unwrap().expect("paused");
    assert!(
        paused.reason.contains("both claim to be change"),
        "{}",
        paused.reason
    );
    let err = b
        .node
        .sync_with(m.node.addr())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("paused"), "{err}");
    let before = b.node.wire_bytes();
    let err = m
        .node
        .sync_with(b.node.addr())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("paused"), "{err}");
    assert_eq!(
        b.node.wire_bytes(),
        before,
        "a paused peer gets no stream byte"
    );
    assert!(b.store.resume_peer(&mallory).unwrap());
    m.node.sync_with(b.node.addr()).await.unwrap();
    assert_eq!(m.store.customer(v).unwrap().name, "Real 2");
}

#[test]
fn a_peer_is_held_to_its_session_quota() {
    let a = device("A");
    let b = device("B");
    let ids = a.store.create_many(demo(5, 6)).unwrap();
    let push: Vec<Doc> = ids
        .iter()
        .map(|id| Doc {
            id: id.as_u128(),
            bytes: a.store.document_bytes(*id).unwrap().unwrap(),
        })
        .collect();
    let quota = rapport_store::Quota {
        new_docs: 3,
        bytes: u64::MAX,
    };
    let session = rapport_sync::FromPeer::with_quota(&b.store, "peer-a".into(), quota);
    let mut r = Responder::new(&session).unwrap();
    // One frame with five new documents: three land, two are refused, the session goes on.
    assert!(r.receive(request(Vec::new(), push, false)).is_ok());
    assert_eq!(r.stats.docs_changed, 3);
    assert_eq!(b.store.count().unwrap(), 3);
    assert_eq!(session.quota_left().new_docs, 0);
    let q = b.store.quarantined().unwrap();
    assert_eq!(q.len(), 2);
    assert!(q.iter().all(|q| q.peer.as_deref() == Some("peer-a")));
    assert!(q[0].reason.contains("quota"), "{}", q[0].reason);
    // A later session (a fresh quota) brings the rest.
    rapport_sync::sync_local(&b.store, &a.store).unwrap();
    assert_eq!(b.store.count().unwrap(), 5);
}

/// 200,000 tiny (valid) documents pushed in one session by one member, as automerge makes
/// them: the session's quota lets [`MAX_NEW_DOCS_PER_SESSION`] in and refuses the rest before
/// parsing them, the quarantine stays within its cap, nobody is paused (an honest first sync
/// can be this big), the session still ends normally, and the device keeps working.
#[test]
fn two_hundred_thousand_tiny_documents_meet_the_session_quota() {
    use rapport_store::{MAX_NEW_DOCS_PER_SESSION, MAX_QUARANTINE_ROWS};
    const N: u128 = 200_000;
    let now = rapport_model::timestamp_from_millis(1_764_590_400_000);
    let make = |range: std::ops::Range<u128>| -> Vec<Doc> {
        range
            .map(|n| {
                let id = CustomerId::from_u128(
                    n.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835) | 1,
                );
                let mut doc = AutoCommit::new();
                let c = rapport_model::Customer::new(id, "x", CustomerKind::Person, now);
                rapport_store::doc::create(&mut doc, &c).unwrap();
                Doc {
                    id: id.as_u128(),
                    bytes: doc.save(),
                }
            })
            .collect()
    };
    let docs: Vec<Doc> = std::thread::scope(|s| {
        let halves = [s.spawn(|| make(0..N / 2)), s.spawn(|| make(N / 2..N))];
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let sent: u64 = docs.iter().map(|d| d.bytes.len() as u64).sum();
    let started = Instant::now();

    let b = device("B");
    let hostile = rapport_sync::FromPeer::new(&b.store, "hostile".into());
    let mut r = Responder::new(&hostile).unwrap();
    // Frames packed as an honest sender packs them.
    let mut frames: Vec<Vec<Doc>> = vec![Vec::new()];
    let mut size = 0;
    for d in docs {
        if size + d.bytes.len() + 24 > FRAME_BUDGET {
            frames.push(Vec::new());
            size = 0;
        }
        size += d.bytes.len() + 24;
        frames.last_mut().unwrap().push(d);
    }
    let last = frames.len() - 1;
    for (i, push) in frames.into_iter().enumerate() {
        // The first frame also asks about the root, as a session's first request does.
        let nodes = if i == 0 {
            vec![NodeSum {
                prefix: Prefix::ROOT,
                fp: 0,
                count: 0,
            }]
        } else {
            Vec::new()
        };
        r.receive(request(nodes, push, i != last))
            .expect("the session goes on");
    }
    r.receive(Frame::Done).unwrap();
    assert!(r.is_done());
    assert_eq!(r.stats.docs_received, N as u64);
    assert_eq!(r.stats.docs_changed, MAX_NEW_DOCS_PER_SESSION);
    assert_eq!(b.store.count().unwrap(), MAX_NEW_DOCS_PER_SESSION);
    assert_eq!(hostile.quota_left().new_docs, 0);
    let q = b.store.quarantined().unwrap();
    assert!(
        !q.is_empty() && q.len() as u64 <= MAX_QUARANTINE_ROWS,
        "{}",
        q.len()
    );
    assert!(q.iter().all(|q| q.reason.contains("quota")));
    assert!(b.store.paused_peers().unwrap().is_empty());
    let file = std::fs::metadata(b._dir.path().join("rapport.redb"))
        .unwrap()
        .len();
    eprintln!(
        "200,000 tiny documents ({sent} bytes): {} landed, {} quarantine records, store file {file} bytes, {:?}",
        b.store.count().unwrap(),
        q.len(),
        started.elapsed()
    );
    // The device keeps working: its own edit, and an honest member's session.
    b.store
        .create(NewCustomer::new("Mine", CustomerKind::Company))
        .unwrap();
    let a = device("A");
    a.store.create_many(demo(20, 8)).unwrap();
    rapport_sync::sync_local(&a.store, &b.store).unwrap();
    assert_eq!(b.store.count().unwrap(), MAX_NEW_DOCS_PER_SESSION + 21);
}
