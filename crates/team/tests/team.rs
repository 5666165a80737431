//! The membership rules, attack by attack, on logs built from real signed entries: what a
//! member, a revoked device, a rogue admin and a stranger can and cannot do, and that devices
//! holding the same entries derive the same team whatever they received first.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use proptest::prelude::*;
use rapport_team::{
    ADMIN_REVOKES_PER_DAY, Denied, Entry, EntryError, Hash, Log, Op, RecoveryCode, Role, SecretKey,
    genesis,
};

const T0: i64 = 1_780_000_000_000;

fn key(n: u8) -> SecretKey {
    SecretKey::from_bytes(&[n; 32])
}
fn id(n: u8) -> [u8; 32] {
    *key(n).public().as_bytes()
}

/// One device's copy of the log.
struct Dev {
    key: SecretKey,
    log: Log,
    team: Hash,
}

impl Dev {
    fn id(&self) -> [u8; 32] {
        *self.key.public().as_bytes()
    }
    /// Signs `op` if the team allows it (as the store does), and holds it.
    fn try_do(&mut self, at: i64, op: Op) -> Result<Vec<u8>, Denied> {
        let st = self.log.state(&self.team).unwrap();
        st.check(&self.id(), at, &op)?;
        Ok(self.force(at, op))
    }
    /// Signs `op` whatever the rules say: what a hostile, modified client can do.
    fn force(&mut self, at: i64, op: Op) -> Vec<u8> {
        let (_, bytes) = self.log.make(&self.team, &self.key, at, op).unwrap();
        self.log.insert(&bytes).unwrap();
        remember(&bytes);
        bytes
    }
    fn receive(&mut self, from: &Log) {
        for b in all_bytes(from) {
            self.log.insert(&b).unwrap();
        }
    }
    fn role(&self, of: [u8; 32]) -> Option<Role> {
        self.log.state(&self.team).unwrap().role(&of)
    }
}

/// The signed bytes of every entry `log` holds (a `Log` keeps decoded entries; the tests keep
/// the bytes that travel, as the team document does).
fn all_bytes(log: &Log) -> Vec<Vec<u8>> {
    SENT.with(|s| {
        s.borrow()
            .iter()
            .filter(|(h, _)| log.contains(h))
            .map(|(_, b)| b.clone())
            .collect()
    })
}

thread_local! {
    static SENT: std::cell::RefCell<Vec<(Hash, Vec<u8>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn remember(bytes: &[u8]) {
    let (h, _) = Entry::verify(bytes).unwrap();
    SENT.with(|s| s.borrow_mut().push((h, bytes.to_vec())));
}

/// A team made by device 1 (owner) with devices 2..=n added as members by the owner; every
/// device holds the same log.
fn team(n: u8) -> (Vec<Dev>, RecoveryCode) {
    SENT.with(|s| s.borrow_mut().clear());
    let code = RecoveryCode::from_bytes([9; 20]);
    let (team, g) = genesis(&key(1), "Sales", &code, vec![], vec![], T0).unwrap();
    remember(&g);
    let mut owner = Dev {
        key: key(1),
        log: Log::new(),
        team,
    };
    owner.log.insert(&g).unwrap();
    for i in 2..=n {
        let b = owner
            .try_do(
                T0 + i64::from(i),
                Op::Add {
                    device: id(i),
                    name: format!("Laptop {i}"),
                    role: Role::Member,
                },
            )
            .unwrap();
        remember(&b);
    }
    let mut devs = vec![owner];
    for i in 2..=n {
        let mut d = Dev {
            key: key(i),
            log: Log::new(),
            team,
        };
        d.receive(&devs[0].log);
        devs.push(d);
    }
    (devs, code)
}

/// The owner (device 1) makes device `n` an admin, and every device hears of it.
fn appoint_admin(devs: &mut [Dev], n: u8, at: i64) {
    devs[0]
        .try_do(
            at,
            Op::SetRole {
                device: id(n),
                role: Role::Admin,
            },
        )
        .unwrap();
    sync_all(devs);
}

fn sync_all(devs: &mut [Dev]) {
    let mut union = Log::new();
    for d in devs.iter() {
        for b in all_bytes(&d.log) {
            union.insert(&b).unwrap();
        }
    }
    for d in devs.iter_mut() {
        d.receive(&union);
    }
}

#[test]
fn a_member_cannot_revoke_anyone_even_with_a_modified_client() {
    let (mut devs, _) = team(4);
    // The honest client refuses and names the admins.
    let err = devs[3]
        .try_do(T0 + 100, Op::Revoke { device: id(1) })
        .unwrap_err();
    assert!(matches!(err, Denied::NeedsAdmin { .. }), "{err}");
    assert!(err.to_string().contains("ask"), "{err}");
    // A modified client signs revocations of everyone anyway.
    for victim in [1, 2, 3] {
        let b = devs[3].force(T0 + 100, Op::Revoke { device: id(victim) });
        remember(&b);
    }
    sync_all(&mut devs);
    for d in &devs {
        let st = d.log.state(&d.team).unwrap();
        for v in [1, 2, 3, 4] {
            assert!(st.is_member(&id(v)), "device {v} still a member");
        }
        assert_eq!(
            st.ignored.len(),
            3,
            "the three revocations are ignored: {:?}",
            st.ignored
        );
    }
}

#[test]
fn unsigned_or_forged_entries_never_admit_a_stranger() {
    let (mut devs, _) = team(2);
    let stranger = id(66);
    // An entry claiming the owner as author but signed by someone else.
    let forged = Entry {
        team: devs[0].team,
        deps: devs[0].log.heads(&devs[0].team),
        author: id(1),
        at: T0 + 50,
        op: Op::Add {
            device: stranger,
            name: "Stranger".into(),
            role: Role::Admin,
        },
    };
    let (_, bytes) = forged.sign(&key(2)).unwrap();
    assert_eq!(
        devs[1].log.insert(&bytes),
        Err(EntryError::BadSignature),
        "a forged signature is refused outright"
    );
    // Junk bytes.
    assert!(devs[1].log.insert(b"member/stranger").is_err());
    // A stranger's own signed entry adding itself.
    let mut s = Dev {
        key: key(66),
        log: Log::new(),
        team: devs[0].team,
    };
    s.receive(&devs[0].log);
    let b = s.force(
        T0 + 60,
        Op::Add {
            device: stranger,
            name: "me".into(),
            role: Role::Admin,
        },
    );
    devs[1].log.insert(&b).unwrap();
    let st = devs[1].log.state(&devs[1].team).unwrap();
    assert!(!st.is_member(&stranger));
    assert_eq!(st.ignored[0].reason, Denied::NotMember.to_string());
    // Another team's genesis and entries do not change this team.
    let (other, g) = genesis(
        &key(66),
        "Evil",
        &RecoveryCode::from_bytes([1; 20]),
        vec![(id(1), "x".into())],
        vec![],
        T0,
    )
    .unwrap();
    devs[1].log.insert(&g).unwrap();
    assert_ne!(other, devs[1].team);
    assert_eq!(devs[1].log.state(&devs[1].team).unwrap().devices.len(), 2);
}

#[test]
fn a_revoked_device_cannot_re_add_itself_or_sign_behind_its_revocation() {
    let (mut devs, _) = team(3);
    appoint_admin(&mut devs, 2, T0 + 10);
    // Device 2 (admin) goes rogue. Before it hears of its revocation, it adds an accomplice
    // (concurrently with the revocation: its entry's past does not hold the revocation).
    // Concurrent entries are ordered by hash: make sure the fork sorts before the revocation,
    // so that only the voiding rule (not the order) can keep the accomplice out.
    let r = devs[0]
        .try_do(T0 + 20, Op::Revoke { device: id(2) })
        .unwrap();
    let (r_hash, _) = Entry::verify(&r).unwrap();
    let mut accomplice = None;
    for n in 70..120u8 {
        let (h, bytes) = devs[1]
            .log
            .make(
                &devs[1].team,
                &key(2),
                T0 + 30,
                Op::Add {
                    device: id(n),
                    name: "Accomplice".into(),
                    role: Role::Member,
                },
            )
            .unwrap();
        if h < r_hash {
            devs[1].log.insert(&bytes).unwrap();
            remember(&bytes);
            accomplice = Some(id(n));
            break;
        }
    }
    let accomplice = accomplice.expect("a fork that sorts first");
    sync_all(&mut devs);
    // After seeing its revocation it signs its own reinstatement and a re-add.
    for op in [
        Op::Reinstate { device: id(2) },
        Op::Add {
            device: id(2),
            name: "Back".into(),
            role: Role::Admin,
        },
    ] {
        let b = devs[1].force(T0 + 40, op);
        remember(&b);
    }
    sync_all(&mut devs);
    for d in &devs {
        let st = d.log.state(&d.team).unwrap();
        assert!(!st.is_member(&id(2)), "the rogue admin stays revoked");
        assert!(
            !st.is_member(&accomplice),
            "what it signed concurrently with its revocation is void"
        );
        assert!(st.is_member(&id(3)));
    }
}

#[test]
fn the_owner_reinstates_devices_a_rogue_admin_revoked_and_five_devices_converge() {
    let (mut devs, _) = team(5);
    appoint_admin(&mut devs, 2, T0 + 10);
    // The rogue admin revokes members as fast as the rules let it, then more.
    let mut refused = 0;
    for (i, v) in [3u8, 4, 5].into_iter().enumerate() {
        match devs[1].try_do(T0 + 100 + i as i64, Op::Revoke { device: id(v) }) {
            Ok(b) => remember(&b),
            Err(_) => refused += 1,
        }
    }
    assert_eq!(
        refused, 0,
        "an admin may revoke {ADMIN_REVOKES_PER_DAY} a day"
    );
    // It cannot revoke the owner, nor (modified client) a fourth device the same day.
    assert!(
        devs[1]
            .try_do(T0 + 200, Op::Revoke { device: id(1) })
            .is_err()
    );
    // Meanwhile, offline, device 3 renames itself.
    let b = devs[2].force(
        T0 + 150,
        Op::Describe {
            name: "Field laptop".into(),
            addrs: vec!["10.0.0.3:47810".into()],
        },
    );
    remember(&b);
    sync_all(&mut devs);
    assert_eq!(devs[0].role(id(3)), None, "revoked by the admin");
    // The owner revokes the rogue admin and reinstates its victims.
    let b = devs[0]
        .try_do(T0 + 300, Op::Revoke { device: id(2) })
        .unwrap();
    remember(&b);
    for v in [3u8, 4, 5] {
        let b = devs[0]
            .try_do(T0 + 301, Op::Reinstate { device: id(v) })
            .unwrap();
        remember(&b);
    }
    // Each device receives the entries in a different order: the team is the same.
    let all: Vec<Vec<u8>> = all_bytes(&devs[0].log);
    let mut states = Vec::new();
    for (i, d) in devs.iter_mut().enumerate() {
        let mut order = all.clone();
        order.rotate_left(i * 3 % all.len());
        if i % 2 == 1 {
            order.reverse();
        }
        d.log = Log::new();
        for b in &order {
            d.log.insert(b).unwrap();
        }
        states.push(d.log.state(&d.team).unwrap());
    }
    for s in &states[1..] {
        assert_eq!(s, &states[0]);
    }
    let st = &states[0];
    for v in [3u8, 4, 5] {
        assert_eq!(st.role(&id(v)), Some(Role::Member), "device {v} is back");
    }
    assert!(!st.is_member(&id(2)));
    assert_eq!(st.devices[&id(3)].name, "Field laptop");
}

#[test]
fn an_admin_revoking_many_devices_in_a_day_needs_the_owner() {
    let (mut devs, _) = team(8);
    appoint_admin(&mut devs, 2, T0 + 1);
    for v in 3..(3 + ADMIN_REVOKES_PER_DAY as u8) {
        devs[1]
            .try_do(T0 + 10, Op::Revoke { device: id(v) })
            .unwrap();
    }
    let err = devs[1]
        .try_do(T0 + 20, Op::Revoke { device: id(7) })
        .unwrap_err();
    assert!(matches!(err, Denied::NeedsOwner { .. }), "{err}");
    // A modified client signing it anyway is ignored everywhere.
    devs[1].force(T0 + 20, Op::Revoke { device: id(7) });
    let st = devs[1].log.state(&devs[1].team).unwrap();
    assert!(st.is_member(&id(7)));
    // Backdating does not get around the limit: times may not go backwards.
    devs[1].force(T0 - DAY, Op::Revoke { device: id(8) });
    assert!(devs[1].log.state(&devs[1].team).unwrap().is_member(&id(8)));
    // A day later it may again.
    devs[1]
        .try_do(T0 + 20 + DAY, Op::Revoke { device: id(8) })
        .unwrap();
    // The owner is not limited.
    sync_all(&mut devs);
    devs[0]
        .try_do(T0 + 30 + DAY, Op::Revoke { device: id(7) })
        .unwrap();
}

const DAY: i64 = 24 * 3600 * 1000;

#[test]
fn only_the_owner_appoints_admins_and_an_admin_cannot_revoke_an_admin() {
    let (mut devs, _) = team(4);
    let err = devs[1]
        .try_do(
            T0 + 5,
            Op::SetRole {
                device: id(2),
                role: Role::Admin,
            },
        )
        .unwrap_err();
    assert!(matches!(err, Denied::NeedsOwner { .. }));
    for d in [2u8, 3] {
        let b = devs[0]
            .try_do(
                T0 + 6,
                Op::SetRole {
                    device: id(d),
                    role: Role::Admin,
                },
            )
            .unwrap();
        remember(&b);
    }
    sync_all(&mut devs);
    assert!(matches!(
        devs[1].try_do(T0 + 7, Op::Revoke { device: id(3) }),
        Err(Denied::NeedsOwner { .. })
    ));
    // An admin adds members but cannot add an admin.
    assert!(matches!(
        devs[1].try_do(
            T0 + 8,
            Op::Add {
                device: id(9),
                name: "x".into(),
                role: Role::Admin
            }
        ),
        Err(Denied::NeedsOwner { .. })
    ));
    devs[1]
        .try_do(
            T0 + 8,
            Op::Add {
                device: id(9),
                name: "New laptop".into(),
                role: Role::Member,
            },
        )
        .unwrap();
    let st = devs[1].log.state(&devs[1].team).unwrap();
    assert_eq!(st.devices[&id(9)].added_by, Some(id(2)));
    // A member may leave (revoke itself), and a device may only describe itself.
    devs[3]
        .try_do(T0 + 9, Op::Revoke { device: id(4) })
        .unwrap();
    assert!(!devs[3].log.state(&devs[3].team).unwrap().is_member(&id(4)));
}

#[test]
fn the_recovery_code_replaces_a_lost_owner_device() {
    let (mut devs, code) = team(3);
    let text = code.to_text();
    assert_eq!(text.len(), 8 * 4 + 7, "{text}");
    let typed = RecoveryCode::parse(&text.to_lowercase().replace('-', " ")).unwrap();
    assert_eq!(typed, code);
    assert!(RecoveryCode::parse("not a code").is_none());
    // The owner's laptop is stolen. Device 2 recovers ownership with the printed code.
    let team = devs[1].team;
    let (_, b) = devs[1]
        .log
        .make(
            &team,
            &typed.key(),
            T0 + 100,
            Op::Recover {
                device: id(2),
                name: "Office".into(),
            },
        )
        .unwrap();
    devs[1].log.insert(&b).unwrap();
    remember(&b);
    // The thief, offline, tries to revoke device 2 with the stolen owner key.
    let thief = devs[0].force(T0 + 200, Op::Revoke { device: id(2) });
    remember(&thief);
    sync_all(&mut devs);
    for d in &devs {
        let st = d.log.state(&d.team).unwrap();
        assert_eq!(st.owner, id(2));
        assert_eq!(st.role(&id(2)), Some(Role::Owner));
        assert!(!st.is_member(&id(1)), "the lost owner device is revoked");
        assert!(st.is_member(&id(3)));
    }
    // A wrong code cannot.
    let wrong = RecoveryCode::from_bytes([8; 20]);
    let (_, b) = devs[2]
        .log
        .make(
            &team,
            &wrong.key(),
            T0 + 300,
            Op::Recover {
                device: id(3),
                name: "x".into(),
            },
        )
        .unwrap();
    devs[2].log.insert(&b).unwrap();
    assert_eq!(devs[2].log.state(&team).unwrap().owner, id(2));
}

#[test]
fn an_adopted_legacy_team_keeps_its_members_and_revocations() {
    let code = RecoveryCode::from_bytes([3; 20]);
    let (team, g) = genesis(
        &key(1),
        "Legacy",
        &code,
        vec![
            (id(2), "B".into()),
            (id(3), "C".into()),
            (id(1), "A".into()),
        ],
        vec![
            (id(3), "C".into()),
            (id(1), "A".into()),
            (id(4), "D".into()),
        ],
        T0,
    )
    .unwrap();
    let mut log = Log::new();
    log.insert(&g).unwrap();
    let st = log.state(&team).unwrap();
    assert_eq!(
        st.role(&id(1)),
        Some(Role::Owner),
        "the adopter cannot revoke itself"
    );
    assert_eq!(st.role(&id(2)), Some(Role::Member));
    assert!(!st.is_member(&id(3)));
    assert!(
        st.devices[&id(4)].revoked,
        "a device only ever seen revoked is listed as such"
    );
    assert!(log.state(&[7; 32]).is_none(), "an unknown team");
}

#[test]
fn names_lose_control_characters_and_entries_have_bounds() {
    let (mut devs, _) = team(2);
    devs[1].force(
        T0 + 5,
        Op::Describe {
            name: "Evil\u{1b}[2J\u{202e}name".into(),
            addrs: vec!["1.2.3.4:1".into(), "bad addr\u{7}".into()],
        },
    );
    let st = devs[1].log.state(&devs[1].team).unwrap();
    assert_eq!(st.devices[&id(2)].name, "Evil[2Jname");
    assert_eq!(st.devices[&id(2)].addrs, ["1.2.3.4:1"]);
    let huge = Op::Describe {
        name: "x".repeat(20_000),
        addrs: vec![],
    };
    let (_, b) = devs[1].log.make(&devs[1].team, &key(2), T0, huge).unwrap();
    assert!(matches!(
        devs[0].log.insert(&b),
        Err(EntryError::TooLarge(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random operations by random devices, honest or forced, delivered in random order to
    /// two devices: both derive the same team; members never changed membership; the owner
    /// is always there.
    #[test]
    fn random_histories_converge_and_members_never_administer(
        ops in proptest::collection::vec((0u8..5, 0u8..6, 0u8..6, any::<bool>()), 1..40),
        seed in any::<u64>(),
    ) {
        use rand::seq::SliceRandom;
        let (mut devs, _) = team(5);
        let mut at = T0 + 1000;
        for (author, kind, target, sync) in ops {
            at += 1000;
            let target = id(target + 1);
            let op = match kind {
                0 => Op::Revoke { device: target },
                1 => Op::Reinstate { device: target },
                2 => Op::SetRole { device: target, role: Role::Admin },
                3 => Op::SetRole { device: target, role: Role::Member },
                4 => Op::Add { device: target, name: "n".into(), role: Role::Member },
                _ => Op::Describe { name: format!("d{at}"), addrs: vec![] },
            };
            let a = author as usize;
            let before = devs[a].log.state(&devs[a].team).unwrap();
            let member = before.role(&devs[a].id()) == Some(Role::Member);
            let b = devs[a].force(at, op.clone());
            remember(&b);
            let after = devs[a].log.state(&devs[a].team).unwrap();
            if member && !matches!(op, Op::Describe { .. } | Op::Revoke { .. }) {
                prop_assert_eq!(
                    before.devices.values().map(|d| (d.role, d.revoked)).collect::<Vec<_>>(),
                    after.devices.values().map(|d| (d.role, d.revoked)).collect::<Vec<_>>()
                );
            }
            prop_assert_eq!(after.role(&id(1)), Some(Role::Owner));
            if sync {
                sync_all(&mut devs);
            }
        }
        sync_all(&mut devs);
        let mut bytes = all_bytes(&devs[0].log);
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(seed);
        bytes.shuffle(&mut rng);
        let mut fresh = Log::new();
        for b in &bytes {
            fresh.insert(b).unwrap();
        }
        let team = devs[0].team;
        let want = devs[0].log.state(&team).unwrap();
        prop_assert_eq!(&fresh.state(&team).unwrap(), &want);
        for d in &devs[1..] {
            prop_assert_eq!(&d.log.state(&team).unwrap(), &want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Entries with random bytes flipped, cut or spliced (what a hostile peer may put under a
    /// `log/` key) never panic; whatever is accepted verifies and leaves a team that still
    /// derives, with the owner in it.
    #[test]
    fn mutated_entries_never_panic_and_never_forge(
        which in 0usize..8,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        cut in any::<Option<usize>>(),
        junk in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let (mut devs, _) = team(4);
        devs[1].force(T0 + 10, Op::Revoke { device: id(3) });
        devs[0].force(T0 + 11, Op::SetRole { device: id(2), role: Role::Admin });
        let bytes = all_bytes(&devs[0].log);
        let mut b = bytes[which % bytes.len()].clone();
        for (at, x) in flips {
            if !b.is_empty() {
                let n = b.len();
                b[at % n] ^= x;
            }
        }
        if let Some(c) = cut {
            b.truncate(c % (b.len() + 1));
        }
        b.extend_from_slice(&junk);
        let mut log = Log::new();
        for good in &bytes {
            log.insert(good).unwrap();
        }
        let team = devs[0].team;
        let before = log.state(&team).unwrap();
        if let Ok(h) = log.insert(&b) {
            // Accepted: it is one of the real entries (same bytes) or a valid signature of
            // its claimed author over what it says.
            let (h2, e) = Entry::verify(&b).unwrap();
            prop_assert_eq!(h, h2);
            prop_assert!(bytes.contains(&b), "a changed entry was accepted: {e:?}");
        }
        let after = log.state(&team).unwrap();
        prop_assert_eq!(after.owner, before.owner);
        prop_assert!(after.is_member(&id(1)));
    }
}
