//! The iroh transport on loopback only: relays and address lookup off, direct addresses.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rapport_sync::net::{Node, SYNC_ALPN};
use rapport_sync::pair::Admit;

use crate::common::{Peer, peer};

/// Lets the nodes' team watchers see the latest team document.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// What pairing will do: each device records the other in its team document.
async fn pair(a: &Peer, b: &Peer) {
    a.store
        .team_add(&b.node.endpoint().id().to_string(), "B")
        .unwrap();
    b.store
        .team_add(&a.node.endpoint().id().to_string(), "A")
        .unwrap();
    settle().await;
}

fn demo(n: usize, seed: u64) -> Vec<rapport_model::NewCustomer> {
    rapport_demo::generate(n, seed, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_sync_over_loopback() {
    let a = peer("A").await;
    let b = peer("B").await;
    pair(&a, &b).await;
    a.store.create_many(demo(150, 1)).unwrap();
    b.store.create_many(demo(40, 2)).unwrap();

    let t = a.node.sync_with(b.node.addr()).await.unwrap();
    assert!(t.bytes_sent > 0 && t.bytes_received > 0);
    assert_eq!(a.store.count().unwrap(), 190);
    assert_eq!(b.store.count().unwrap(), 190);
    assert_eq!(a.store.summaries().unwrap(), b.store.summaries().unwrap());

    // Again, from the other side: nothing to do.
    let t = b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(t.initiator.rounds, 1);
    assert!(t.bytes_sent + t.bytes_received < 200, "{t:?}");
    a.node.shutdown().await;
    b.node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_is_refused_and_gets_no_customer_bytes() {
    let a = peer("A").await;
    let stranger = peer("Stranger").await;
    a.store.create_many(demo(30, 3)).unwrap();
    // The stranger trusts A, but A does not know the stranger.
    stranger
        .store
        .team_add(&a.node.endpoint().id().to_string(), "A")
        .unwrap();
    settle().await;
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        stranger.node.sync_with(a.node.addr()),
    )
    .await
    .expect("refused promptly, not a hang");
    assert!(r.is_err(), "{r:?}");
    assert_eq!(
        stranger.store.count().unwrap(),
        0,
        "no customer reached the stranger"
    );
    assert_eq!(a.store.count().unwrap(), 30);

    // Removing a member (revocation) has the same effect from then on.
    let b = peer("B").await;
    pair(&a, &b).await;
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(b.store.count().unwrap(), 30);
    a.store.create_many(demo(5, 4)).unwrap();
    a.store
        .team_revoke(&b.node.endpoint().id().to_string())
        .unwrap();
    settle().await;
    assert!(b.node.sync_with(a.node.addr()).await.is_err());
    assert_eq!(b.store.count().unwrap(), 30, "nothing new after revocation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_protocol_version_fails_fast_and_garbage_closes_the_stream() {
    let a = peer("A").await;
    let b = peer("B").await;
    pair(&a, &b).await;
    a.store.create_many(demo(10, 5)).unwrap();
    let before = a.store.summaries().unwrap();

    // A future version's ALPN: the handshake itself fails, promptly.
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        b.node.endpoint().connect(a.node.addr(), b"rapport/sync/9"),
    )
    .await
    .expect("no hang");
    assert!(r.is_err(), "unknown version must be refused");

    // A member sending garbage and an oversized frame: the stream is closed, nothing changes.
    for payload in [
        b"\x00\x00\x00\x05hello".to_vec(),
        (u32::MAX).to_be_bytes().to_vec(),
    ] {
        let conn = b
            .node
            .endpoint()
            .connect(a.node.addr(), SYNC_ALPN)
            .await
            .unwrap();
        let (mut send, mut recv) = conn.open_bi().await.unwrap();
        send.write_all(&payload).await.unwrap();
        let _ = send.finish();
        let got = tokio::time::timeout(Duration::from_secs(20), recv.read_to_end(1 << 20))
            .await
            .expect("closed promptly");
        assert!(
            got.map(|b| b.is_empty()).unwrap_or(true),
            "no reply to garbage"
        );
    }
    assert_eq!(a.store.summaries().unwrap(), before);
    // And a proper session still works afterwards.
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert_eq!(b.store.count().unwrap(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_learned_by_sync_locks_the_device_out_everywhere() {
    let a = peer("A").await;
    let b = peer("B").await;
    let c = peer("C").await;
    pair(&a, &b).await;
    pair(&a, &c).await;
    pair(&b, &c).await;
    a.store.create_many(demo(8, 7)).unwrap();
    b.node.sync_with(a.node.addr()).await.unwrap();
    c.node.sync_with(b.node.addr()).await.unwrap();
    assert_eq!(c.store.count().unwrap(), 8, "C got A's customers through B");

    // A revokes C; B learns it by syncing with A, and from then on refuses C too.
    a.store
        .team_revoke(&c.node.endpoint().id().to_string())
        .unwrap();
    b.node.sync_with(a.node.addr()).await.unwrap();
    settle().await;
    a.store.create_many(demo(3, 8)).unwrap();
    b.node.sync_with(a.node.addr()).await.unwrap();
    assert!(c.node.sync_with(b.node.addr()).await.is_err());
    assert!(c.node.sync_with(a.node.addr()).await.is_err());
    assert_eq!(c.store.count().unwrap(), 8, "nothing new reached C");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_with_an_invite_then_refusing_reuse_expiry_and_strangers() {
    use rapport_sync::pair::Invite;
    let a = peer("A").await;
    let b = peer("B").await;
    a.store.create_many(demo(12, 9)).unwrap();
    a.store.set_setting("rate.EUR", Some("7.85")).unwrap();

    let invite = a.node.invite(Duration::from_secs(600), Admit::Auto);
    let ticket = invite.encode().unwrap();
    assert!(ticket.starts_with("rapport1"));
    let parsed = Invite::decode(&format!("  {ticket}\n")).unwrap();
    assert_eq!(parsed, invite);
    // As a QR code's alphanumeric mode gives it back: all upper case.
    assert_eq!(
        Invite::decode(&ticket.to_ascii_uppercase()).unwrap(),
        invite
    );
    let (name, _) = b.node.join(&parsed).await.unwrap();
    assert_eq!(name, "A");
    // Both record each other, and the first sync brought everything.
    let a_id = a.node.endpoint().id().to_string();
    let b_id = b.node.endpoint().id().to_string();
    assert!(
        a.store
            .team()
            .unwrap()
            .iter()
            .any(|m| m.id == b_id && m.name == "B")
    );
    assert!(
        b.store
            .team()
            .unwrap()
            .iter()
            .any(|m| m.id == a_id && m.name == "A")
    );
    assert_eq!(b.store.count().unwrap(), 12);
    assert_eq!(b.store.settings().unwrap(), a.store.settings().unwrap());
    // From now on they sync either way.
    b.store.create_many(demo(2, 10)).unwrap();
    a.node.sync_with(b.node.addr()).await.unwrap();
    assert_eq!(a.store.count().unwrap(), 14);

    // The same ticket a second time: refused, and the third device stays a stranger.
    let c = peer("C").await;
    let err = c.node.join(&parsed).await.unwrap_err().to_string();
    assert!(err.contains("no invite is open"), "{err}");
    assert_eq!(c.store.count().unwrap(), 0);
    assert!(
        !a.store
            .team()
            .unwrap()
            .iter()
            .any(|m| m.id == c.node.endpoint().id().to_string())
    );

    // An expired ticket: refused by the joiner before dialling, and by the inviter if forced.
    let expired = a.node.invite(Duration::from_secs(0), Admit::Auto);
    let err = c.node.join(&expired).await.unwrap_err().to_string();
    assert!(err.contains("expired"), "{err}");
    // A made-up secret.
    let mut forged = a.node.invite(Duration::from_secs(600), Admit::Auto);
    forged.secret = [7; 16];
    let err = c.node.join(&forged).await.unwrap_err().to_string();
    assert!(err.contains("unknown invite"), "{err}");
    assert_eq!(c.store.count().unwrap(), 0);

    // Garbage tickets are explained.
    assert!(
        Invite::decode("hello")
            .unwrap_err()
            .to_string()
            .contains("rapport1")
    );
    assert!(
        Invite::decode("rapport1!!!")
            .unwrap_err()
            .to_string()
            .contains("base32")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_edits_are_pushed_and_relayed() {
    // A laptop, the office machine and another laptop; the laptops only know the office.
    let a = peer("A").await;
    let office = peer("Office").await;
    let c = peer("C").await;
    // A syncs with the office before C pairs, so A has never heard of C.
    pair(&a, &office).await;
    a.node.announce().unwrap();
    office.node.announce().unwrap();
    a.node.sync_with(office.node.addr()).await.unwrap();
    pair(&c, &office).await;
    c.node.announce().unwrap();
    c.node.sync_with(office.node.addr()).await.unwrap();
    let c_id = c.node.endpoint().id().to_string();
    assert!(
        !a.store.team().unwrap().iter().any(|m| m.id == c_id),
        "A does not know C yet"
    );
    let nodes: Vec<Arc<Node>> = vec![Arc::new(a.node), Arc::new(office.node), Arc::new(c.node)];
    for n in &nodes {
        n.enable_push(Duration::from_millis(50));
    }
    // An edit on A shows up on C without anyone asking: A pushes to the office (the only
    // device it knows), which relays to C.
    let started = std::time::Instant::now();
    let id = a
        .store
        .create(rapport_model::NewCustomer::new(
            "Pushed Ltd",
            rapport_model::CustomerKind::Company,
        ))
        .unwrap();
    let deadline = started + Duration::from_secs(20);
    while c.store.summary(id).unwrap().is_none() || office.store.summary(id).unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the edit never reached C and the office"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("A -> office -> C in {:?}", started.elapsed());
}
