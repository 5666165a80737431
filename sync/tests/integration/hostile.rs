//! Hostile and broken peers on loopback (relays and address lookup off, direct addresses),
//! with assertions on the bytes actually exchanged:
//!
//! - a stranger, a revoked device and a device speaking another protocol version are refused
//!   at the handshake: they receive no stream byte, and the inviter's handlers read and write
//!   nothing (`Node::wire_bytes`);
//! - a replayed invite ticket gets one short refusal and nothing else;
//! - a member that goes silent mid-frame, or never opens a stream, is dropped after the
//!   silence timeout, while an honest member syncs meanwhile without waiting;
//! - a member that keeps a session going forever is cut off after [`MAX_ROUNDS`];
//! - through all of it the inviter's store is untouched.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use iroh::endpoint::Connection;
use rapport_store::Store;
use rapport_sync::net::{CLOSE_NOT_MEMBER, SYNC_ALPN};
use rapport_sync::pair::Admit;
use rapport_sync::protocol::{Frame, MAX_ROUNDS, NodeSum, Prefix};

use crate::common::{pair, peer, peer_with};

fn demo(n: usize, seed: u64) -> Vec<rapport_model::NewCustomer> {
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

fn root_request(fp: u128) -> Vec<u8> {
    let f = Frame::Request {
        nodes: vec![NodeSum {
            prefix: Prefix::ROOT,
            fp,
            count: 1,
        }],
        push: Vec::new(),
        want: Vec::new(),
        shared: Vec::new(),
        more: false,
    };
    let body = f.encode().unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend(body);
    out
}

/// Tries a whole session's opening on `conn` (open a stream, send a request, read), ignoring
/// errors, then waits for the connection to close. Returns the STREAM frames received.
async fn attempt(conn: &Connection) -> u64 {
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        if let Ok((mut send, mut recv)) = conn.open_bi().await {
            let _ = send.write_all(&root_request(1)).await;
            let _ = send.finish();
            let _ = recv.read_to_end(1 << 20).await;
        }
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
    conn.stats().frame_rx.stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_devices_exchange_no_stream_byte() {
    let a = peer("A").await;
    a.store.create_many(demo(25, 1)).unwrap();
    let before = state(&a.store);

    // A stranger: handshake, then closed with 403 before any stream is accepted.
    let stranger = peer("Stranger").await;
    let conn = stranger
        .node
        .endpoint()
        .connect(a.node.addr(), SYNC_ALPN)
        .await;
    if let Ok(conn) = conn {
        assert_eq!(attempt(&conn).await, 0, "a stranger received stream data");
        let reason = conn
            .close_reason()
            .map(|r| r.to_string())
            .unwrap_or_default();
        assert!(
            reason.contains(&CLOSE_NOT_MEMBER.to_string()) || reason.contains("not a team member"),
            "{reason}"
        );
    }
    assert_eq!(a.node.wire_bytes(), (0, 0), "A read or wrote stream bytes");

    // A member syncs (bytes flow), is revoked, and from then on gets nothing.
    let b = peer("B").await;
    pair(&a, &b).await;
    b.node.sync_with(a.node.addr()).await.unwrap();
    let after_sync = a.node.wire_bytes();
    assert!(after_sync.0 > 0 && after_sync.1 > 0);
    a.store
        .team_revoke(&b.node.endpoint().id().to_string())
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.store.create_many(demo(3, 2)).unwrap();
    let before = (state(&a.store), before.1, before.2);
    if let Ok(conn) = b.node.endpoint().connect(a.node.addr(), SYNC_ALPN).await {
        assert_eq!(
            attempt(&conn).await,
            0,
            "a revoked device received stream data"
        );
    }
    assert_eq!(
        a.node.wire_bytes(),
        after_sync,
        "A exchanged bytes with B after revoking it"
    );
    assert_eq!(
        b.store.count().unwrap(),
        25,
        "nothing new reached the revoked device"
    );

    // Another protocol version: the handshake fails at once; nothing is exchanged.
    let c = peer("C").await;
    pair(&a, &c).await;
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        c.node.endpoint().connect(a.node.addr(), b"rapport/sync/9"),
    )
    .await
    .expect("refused promptly");
    assert!(r.is_err());
    assert_eq!(a.node.wire_bytes(), after_sync);
    // A's customers and team are as they were, but for its own revocation and C.
    assert!(
        a.store.summaries().unwrap() == before.0.0,
        "A's customers changed"
    );
}

/// A member still running sync protocol 1 dials `rapport/sync/1`: the connection is closed at
/// once with a reason that says to update, and not one stream byte is exchanged (never half a
/// sync, never a hang).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_member_is_told_to_update_and_gets_no_data() {
    use rapport_sync::net::{CLOSE_UPDATE_NEEDED, SYNC_ALPN_V1, SYNC_UPDATE_NEEDED};
    let a = peer("Office").await;
    a.store.create_many(demo(10, 4)).unwrap();
    let old = peer("Old laptop").await;
    pair(&a, &old).await;
    let before = a.node.wire_bytes();
    let count = old.store.count().unwrap();
    let conn = tokio::time::timeout(
        Duration::from_secs(10),
        old.node.endpoint().connect(a.node.addr(), SYNC_ALPN_V1),
    )
    .await
    .expect("answered promptly")
    .expect("the version-1 ALPN is still answered");
    let stream_frames = attempt(&conn).await;
    assert_eq!(stream_frames, 0, "no stream data for a version-1 device");
    let reason = conn
        .close_reason()
        .map(|r| r.to_string())
        .unwrap_or_default();
    assert!(
        reason.contains(SYNC_UPDATE_NEEDED) && reason.contains(&CLOSE_UPDATE_NEEDED.to_string()),
        "closed for another reason: {reason}"
    );
    assert_eq!(
        a.node.wire_bytes(),
        before,
        "the office read and wrote nothing"
    );
    assert_eq!(old.store.count().unwrap(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_ticket_gets_one_short_refusal_and_nothing_else() {
    let a = peer("A").await;
    a.store.create_many(demo(10, 3)).unwrap();
    let invite = a.node.invite(Duration::from_secs(600), Admit::Auto);
    let b = peer("B").await;
    b.node.join(&invite).await.unwrap();
    let team_after_join = a.store.team().unwrap();
    let bytes_after_join = a.node.wire_bytes();

    // C replays B's ticket. No invite is open any more, so pairing closes the connection
    // before any stream: A reads and writes nothing.
    let c = peer("C").await;
    let err = c.node.join(&invite).await.unwrap_err().to_string();
    assert!(err.contains("no invite is open"), "{err}");
    let (read, written) = a.node.wire_bytes();
    let (read, written) = (read - bytes_after_join.0, written - bytes_after_join.1);
    assert_eq!(
        (read, written),
        (0, 0),
        "A read {read} and wrote {written} bytes"
    );
    // With another invite open, the used secret gets one short refusal.
    let _open = a.node.invite(Duration::from_secs(600), Admit::Auto);
    let err = c.node.join(&invite).await.unwrap_err().to_string();
    assert!(err.contains("unknown invite"), "{err}");
    let (read, written) = a.node.wire_bytes();
    let (read, written) = (read - bytes_after_join.0, written - bytes_after_join.1);
    assert!(read > 0 && read < 200, "A read {read} bytes");
    assert!(written > 0 && written < 64, "A wrote {written} bytes");
    assert_eq!(a.store.team().unwrap(), team_after_join, "C was not added");
    assert_eq!(c.store.count().unwrap(), 0);
    // And C, still a stranger, can get nothing by sync either.
    c.store
        .team_add(&a.node.endpoint().id().to_string(), "A")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(c.node.sync_with(a.node.addr()).await.is_err());
    assert_eq!(a.node.wire_bytes().1 - bytes_after_join.1, written);
    assert_eq!(c.store.count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_dropped_and_never_stalls_an_honest_one() {
    let timeout = Duration::from_secs(2);
    let a = peer_with("A", timeout).await;
    let slow = peer("Slow").await;
    let idle = peer("Idle").await;
    let honest = peer("Honest").await;
    pair(&a, &slow).await;
    pair(&a, &idle).await;
    pair(&a, &honest).await;
    a.store.create_many(demo(40, 4)).unwrap();

    // Slow announces a frame and sends only part of it; Idle connects and opens no stream.
    let slow_conn = slow
        .node
        .endpoint()
        .connect(a.node.addr(), SYNC_ALPN)
        .await
        .unwrap();
    let (mut send, mut recv) = slow_conn.open_bi().await.unwrap();
    let frame = root_request(1);
    send.write_all(&frame[..frame.len() / 2]).await.unwrap();
    let idle_conn = idle
        .node
        .endpoint()
        .connect(a.node.addr(), SYNC_ALPN)
        .await
        .unwrap();
    let stalled_at = Instant::now();

    // Meanwhile an honest member syncs at once.
    let t = honest.node.sync_with(a.node.addr()).await.unwrap();
    assert!(
        stalled_at.elapsed() < timeout,
        "the honest session waited for the silent ones"
    );
    assert_eq!(t.initiator.docs_changed, 40);
    assert_eq!(honest.store.count().unwrap(), 40);
    // (The honest session merged Honest's team document into A's; nothing else changes.)
    let before = state(&a.store);

    // The silent ones are dropped after the timeout, with nothing sent to them.
    let got = tokio::time::timeout(timeout * 5, recv.read_to_end(1 << 20))
        .await
        .expect("the slow peer was dropped");
    assert!(got.map(|b| b.is_empty()).unwrap_or(true));
    tokio::time::timeout(timeout * 5, idle_conn.closed())
        .await
        .expect("the idle peer was dropped");
    let waited = stalled_at.elapsed();
    // A's silence timer started a moment before `stalled_at` was taken (when the stream
    // opened), so allow that moment.
    assert!(
        waited + Duration::from_millis(100) >= timeout,
        "dropped before the timeout: {waited:?}"
    );
    assert_eq!(slow_conn.stats().frame_rx.stream, 0);
    assert_eq!(idle_conn.stats().frame_rx.stream, 0);
    assert!(state(&a.store) == before, "A's store changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_never_ends_is_cut_off() {
    let a = peer("A").await;
    let b = peer("B").await;
    pair(&a, &b).await;
    a.store.create_many(demo(30, 5)).unwrap();
    let before = state(&a.store);

    // B keeps asking about the root with a fingerprint that never matches.
    let conn = b
        .node
        .endpoint()
        .connect(a.node.addr(), SYNC_ALPN)
        .await
        .unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    let mut replies = 0u32;
    let ended = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if send
                .write_all(&root_request(u128::from(replies)))
                .await
                .is_err()
            {
                return;
            }
            let mut len = [0u8; 4];
            if recv.read_exact(&mut len).await.is_err() {
                return;
            }
            let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
            if recv.read_exact(&mut body).await.is_err() {
                return;
            }
            assert!(matches!(Frame::decode(&body), Ok(Frame::Reply { .. })));
            replies += 1;
        }
    })
    .await;
    assert!(ended.is_ok(), "the session was never cut off");
    assert_eq!(
        replies, MAX_ROUNDS,
        "cut off after exactly {MAX_ROUNDS} rounds"
    );
    assert!(state(&a.store) == before, "A's store changed");
    // An honest session works afterwards.
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(b.store.count().unwrap(), 30);
}

/// A ticket that leaked (a photo of the screen, a forwarded chat) is presented by a stranger
/// first. The inviter's person sees a name and a confirmation code that the device they are
/// talking to does not show, and refuses: the stranger gets no customer byte and is no
/// member. The honest device, with a fresh invite and matching codes, is admitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leaked_ticket_that_the_inviter_does_not_admit_gets_nothing() {
    let a = peer("Office").await;
    a.store.create_many(demo(20, 5)).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let invite = a
        .node
        .invite(Duration::from_secs(600), Admit::Ask(tx.clone()));
    let thief = peer("Laptop B").await;
    let before = a.node.wire_bytes();
    let thief_id = thief.node.endpoint().id();
    let (joined, ()) = tokio::join!(thief.node.join(&invite), async {
        let r = rx.recv().await.unwrap();
        assert_eq!(r.name, "Laptop B", "the name is whatever the stranger says");
        assert_eq!(r.code, invite.confirmation_code(&thief_id));
        r.answer.send(false).unwrap();
    });
    let err = joined.unwrap_err().to_string();
    assert!(err.contains("did not admit"), "{err}");
    let written = a.node.wire_bytes().1 - before.1;
    assert!(
        written < 128,
        "A wrote {written} bytes: the pending note and the refusal"
    );
    assert_eq!(thief.store.count().unwrap(), 0, "no customer reached it");
    assert!(
        !a.store
            .team()
            .unwrap()
            .iter()
            .any(|m| m.id == thief_id.to_string())
    );
    assert!(thief.node.sync_with(a.node.addr()).await.is_err());
    assert_eq!(thief.store.count().unwrap(), 0);

    // The honest device: another invite, codes compared, admitted.
    let honest = peer("Laptop B (real)").await;
    let invite = a.node.invite(Duration::from_secs(600), Admit::Ask(tx));
    let shown = invite.confirmation_code(&honest.node.endpoint().id());
    assert_ne!(
        shown,
        invite.confirmation_code(&thief_id),
        "codes differ per device"
    );
    let (joined, ()) = tokio::join!(honest.node.join(&invite), async {
        let r = rx.recv().await.unwrap();
        r.answer.send(r.code == shown).unwrap();
    });
    joined.unwrap();
    assert_eq!(honest.store.count().unwrap(), 20);
}

/// With no invite open, the pairing protocol closes every connection before any stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_answers_only_while_an_invite_is_open() {
    let a = peer("Office").await;
    let stranger = peer("Stranger").await;
    let conn = stranger
        .node
        .endpoint()
        .connect(a.node.addr(), rapport_sync::pair::PAIR_ALPN)
        .await
        .unwrap();
    let err = conn.closed().await;
    assert!(err.to_string().contains("no invite is open"), "{err}");
    assert_eq!(a.node.wire_bytes(), (0, 0));
    // Once an invite is open and then cancelled, the same.
    let invite = a.node.invite(Duration::from_secs(600), Admit::Auto);
    a.node.cancel_invite();
    let e = stranger.node.join(&invite).await.unwrap_err().to_string();
    assert!(e.contains("no invite is open"), "{e}");
    assert_eq!(a.node.wire_bytes(), (0, 0));
}

/// A device still running version 1 dials the version-1 pairing protocol and sends its join
/// request exactly as version 1 encodes it: it gets a refusal that tells it to update, and
/// nothing else, never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_joiner_is_told_to_update() {
    use rapport_sync::pair::{PAIR_ALPN_V1, PairMsg, UPDATE_NEEDED};
    let a = peer("Office").await;
    let invite = a.node.invite(Duration::from_secs(600), Admit::Auto);
    let old = peer("Old laptop").await;
    let conn = old
        .node
        .endpoint()
        .connect(a.node.addr(), PAIR_ALPN_V1)
        .await
        .unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    // Version 1's message: `Join { secret, name }`, variant 0, postcard, length-delimited.
    let msg = postcard::to_stdvec(&PairMsg::Join {
        secret: invite.secret,
        name: "Old laptop".into(),
    })
    .unwrap();
    send.write_all(&(msg.len() as u32).to_be_bytes())
        .await
        .unwrap();
    send.write_all(&msg).await.unwrap();
    send.finish().unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), recv.read_to_end(4096))
        .await
        .expect("an answer, not a hang")
        .unwrap();
    let reply = PairMsg::decode(&answer[4..]).unwrap();
    assert_eq!(
        reply,
        PairMsg::Refused {
            reason: UPDATE_NEEDED.into()
        }
    );
    assert!(
        !a.store
            .team()
            .unwrap()
            .iter()
            .any(|m| m.name == "Old laptop")
    );
}
