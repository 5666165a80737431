//! What a peer's document may cost the device, and what happens to one that is refused:
//!
//! - a document of 500 nested maps (under 4 KB) is refused on a thread with a 1 MiB stack
//!   (half a tokio worker's), where hydrating it recursively overflows; the store is unchanged and an
//!   honest document applies afterwards (customer and shared documents);
//! - chunk kinds and layouts peers may not send (bundles, unknown types, truncated chunks, too
//!   many columns, a document chunk whose compressed column inflates to 1 GiB) are refused
//!   before automerge decodes them;
//! - a compressed change that inflates from about 1 MiB to 1 GiB is refused, in a child
//!   process whose address space is limited to 384 MiB (a second child shows that automerge
//!   alone tries to inflate all of it and runs out of memory under that limit);
//! - one bad document in a batch (a forged change reusing the author's actor and sequence
//!   number) is refused alone and quarantined, the honest ones land, and the author's later
//!   change still applies; quarantine is not damage;
//! - a session quota: new documents and bytes beyond it are refused and quarantined;
//! - a store written with the schema-1 layout (no quarantine table) opens, migrates and keeps
//!   working.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic
// One `setrlimit` call in a child process, to bound its memory.
#![allow(unsafe_code)]

use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use rapport_model::{CustomerId, CustomerKind, Edit, NewCustomer};
use rapport_store::{DocRef, OpenOptions, Quota, Shared, Store, StoreError, limits};

fn opts(name: &str) -> OpenOptions {
    OpenOptions {
        device_name: name.to_string(),
        holder: format!("test {name}"),
        ..OpenOptions::default()
    }
}

fn store(name: &str) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path(), opts(name)).unwrap();
    (s, dir)
}

/// A document claiming to be customer `id`, with `depth` maps nested under its root.
fn deep_doc(id: CustomerId, depth: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "id", id.to_string()).unwrap();
    doc.put(ROOT, "name", "Deep").unwrap();
    let mut obj = ROOT;
    for _ in 0..depth {
        obj = doc.put_object(&obj, "x", automerge::ObjType::Map).unwrap();
    }
    doc.save()
}

/// Half a tokio worker's default stack. Honest loading needs a few hundred KiB in a debug
/// build (zlib-rs keeps its inflate state on the stack); automerge's recursive hydrate of 500
/// nested maps needs more than this (`RAPPORT_BOUNDS_PROVE_OVERFLOW=1` shows it: that run
/// aborts).
const SMALL_STACK: usize = 1024 * 1024;

/// Runs `f` on a thread with a [`SMALL_STACK`].
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_deeply_nested_document_is_refused_without_recursing() {
    on_small_stack(|| {
        let (a, _da) = store("A");
        let (b, _db) = store("B");
        let honest = a
            .create(NewCustomer::new("Honest", CustomerKind::Company))
            .unwrap();
        assert!(
            b.apply_remote(honest, &a.document_bytes(honest).unwrap().unwrap())
                .unwrap()
        );
        let before = b.summaries().unwrap();
        let honest_before = b.customer(honest).unwrap();
        let id = CustomerId::new();
        let deep = deep_doc(id, 500);
        assert!(deep.len() < 4096, "{} bytes", deep.len());
        if std::env::var("RAPPORT_BOUNDS_PROVE_OVERFLOW").is_ok() {
            // What the store did before: hydrate recursively. This aborts the process.
            let doc = AutoCommit::load(&deep).unwrap();
            let _ = doc.hydrate(&ROOT, None);
            panic!("hydrating 500 levels fit in {SMALL_STACK} bytes of stack");
        }

        // As a new customer, as changes to a known one, and as a shared document.
        let err = b.apply_remote(id, &deep).unwrap_err();
        assert!(matches!(err, StoreError::BadDocument { .. }), "{err}");
        assert!(err.to_string().contains("nested"), "{err}");
        assert!(!err.is_damage());
        let known = b.apply_remote(honest, &deep).unwrap_err();
        assert!(matches!(known, StoreError::BadDocument { .. }), "{known}");
        let settings_before = b.settings().unwrap();
        let shared = b.apply_remote_shared(Shared::Settings, &deep).unwrap_err();
        assert!(matches!(shared, StoreError::BadRemote(_)), "{shared}");
        assert!(shared.to_string().contains("nested"), "{shared}");
        assert!(
            !b.apply_remote_shared_from(Some("peer"), Shared::Team, &deep)
                .unwrap()
        );

        assert_eq!(b.summaries().unwrap(), before, "no customer changed");
        assert_eq!(b.count().unwrap(), 1);
        assert_eq!(b.customer(honest).unwrap(), honest_before);
        assert_eq!(b.settings().unwrap(), settings_before);
        let q: Vec<DocRef> = b
            .quarantined()
            .unwrap()
            .into_iter()
            .map(|q| q.doc)
            .collect();
        assert!(q.contains(&DocRef::Customer(id)), "{q:?}");
        assert!(q.contains(&DocRef::Shared(Shared::Team)), "{q:?}");

        // Honest changes still land, and within the limit of nesting a document is fine.
        a.edit(honest, &[Edit::Name("Honest 2".into())]).unwrap();
        assert!(
            b.apply_remote(honest, &a.document_bytes(honest).unwrap().unwrap())
                .unwrap()
        );
        assert_eq!(b.customer(honest).unwrap().name, "Honest 2");
        let shallow = CustomerId::new();
        assert!(
            b.apply_remote(shallow, &deep_doc(shallow, limits::MAX_NESTING))
                .unwrap()
        );
        assert_eq!(b.customer(shallow).unwrap().name, "Deep");
        let mut b = b;
        assert!(b.verify().unwrap().is_empty());
    });
}

/// A raw DEFLATE stream that inflates to `total` zero bytes: one compressed MiB of zeros
/// repeated (each flushed block refers only to the zeros before it), so the stream is about
/// `total / 1000` bytes.
fn deflate_bomb(total: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mib = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut segment = |input: &[u8], flush| {
        let mut out = Vec::with_capacity(1 << 20);
        c.compress_vec(input, &mut out, flush).unwrap();
        out
    };
    let first = segment(&mib, FlushCompress::Sync);
    let next = segment(&mib, FlushCompress::Sync);
    let last = segment(&[], FlushCompress::Finish);
    let mut data = first;
    for _ in 1..total / mib.len() {
        data.extend_from_slice(&next);
    }
    data.extend_from_slice(&last);
    data
}

fn uleb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// An automerge chunk of type `kind` around `data` (checksum left zero: the checks here come
/// before automerge's checksum, as automerge's own inflation does).
fn chunk(kind: u8, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, kind];
    uleb(data.len() as u64, &mut out);
    out.extend_from_slice(data);
    out
}

/// A compressed change chunk (type 2) inflating to `total` bytes.
fn inflation_bomb(total: usize) -> Vec<u8> {
    chunk(2, &deflate_bomb(total))
}

/// A document chunk (type 0) with one DEFLATE-compressed column inflating to `total` bytes.
fn document_bomb(total: usize) -> Vec<u8> {
    let column = deflate_bomb(total);
    let mut data = Vec::new();
    uleb(0, &mut data); // actors
    uleb(0, &mut data); // heads
    uleb(1, &mut data); // change columns: one, deflated
    uleb(0b1000 | (1 << 4), &mut data);
    uleb(column.len() as u64, &mut data);
    uleb(0, &mut data); // op columns
    data.extend(column);
    chunk(0, &data)
}

#[test]
fn chunks_peers_may_not_send_are_refused_before_decoding() {
    let refused = |bytes: &[u8], why: &str| {
        let e = limits::check_bytes(bytes).unwrap_err();
        assert!(e.contains(why), "{e}");
    };
    refused(&document_bomb(1 << 30), "inflates to more than");
    refused(&chunk(3, &[0; 16]), "chunk type 3");
    refused(&chunk(7, &[0; 16]), "chunk type 7");
    let mut columns = Vec::new();
    uleb(0, &mut columns);
    uleb(0, &mut columns);
    uleb(65, &mut columns);
    refused(&chunk(0, &columns), "65 columns");
    let whole = chunk(1, &[0; 100]);
    refused(&whole[..50], "truncated");
    refused(b"not a document", "magic");
    // A document chunk's bomb is caught within the budget, not after a gigabyte.
    let (s, _d) = store("S");
    let id = CustomerId::new();
    let err = s.apply_remote(id, &document_bomb(1 << 30)).unwrap_err();
    assert!(err.to_string().contains("inflates to more than"), "{err}");
}

const CHILD: &str = "RAPPORT_BOUNDS_CHILD";
/// The child's address-space limit: well under the bomb's inflated size.
const CHILD_MEMORY: u64 = 384 << 20;

/// Not a test by itself: the body of the child processes that
/// `an_inflation_bomb_is_refused_within_a_memory_limit` starts.
#[test]
fn inflation_child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let limit = libc::rlimit {
        rlim_cur: CHILD_MEMORY,
        rlim_max: CHILD_MEMORY,
    };
    if mode != "unlimited" {
        // SAFETY: setrlimit with a valid, initialised struct; it only lowers this process's
        // own limit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
    }
    let bomb = inflation_bomb(1 << 30);
    println!("bomb: {} bytes", bomb.len());
    match mode.as_str() {
        "store" => {
            let (s, _d) = store("child");
            let id = CustomerId::new();
            let err = s.apply_remote(id, &bomb).unwrap_err();
            println!("refused: {err}");
            assert!(err.to_string().contains("inflates to more than"), "{err}");
            let err = s.apply_remote_shared(Shared::Settings, &bomb).unwrap_err();
            assert!(err.to_string().contains("inflates to more than"), "{err}");
            assert_eq!(s.count().unwrap(), 0);
            println!("child survived");
        }
        _ => {
            // What automerge alone does with it ("raw": under the limit; "unlimited": without).
            match AutoCommit::load(&bomb) {
                Ok(_) => println!("automerge loaded it"),
                Err(e) => println!("automerge failed: {e:?}"),
            }
            let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
            // SAFETY: getrusage fills the struct it is given.
            let usage = unsafe {
                libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
                usage.assume_init()
            };
            println!("peak memory: {} KiB", usage.ru_maxrss);
        }
    }
}

fn run_child(mode: &str) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            // The name the test has in this binary (`tests/integration/main.rs`).
            "bounds::inflation_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, mode)
        .env("MALLOC_ARENA_MAX", "1")
        .output()
        .unwrap()
}

#[test]
fn an_inflation_bomb_is_refused_within_a_memory_limit() {
    let bomb = inflation_bomb(1 << 30);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let out = run_child("store");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child survived"),
        "{}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // Without the check, automerge inflates everything before parsing: under the same limit
    // it runs out of memory while inflating (std's `read_to_end` reports the failed allocation
    // as an error, which automerge returns as a DEFLATE error). Without a limit it peaks at
    // about 3 GiB (`RAPPORT_BOUNDS_CHILD=unlimited`, run by hand: 90 s in a debug build).
    let raw = run_child("raw");
    let stdout = String::from_utf8_lossy(&raw.stdout);
    assert!(
        stdout.contains("automerge failed: Load(Parse(Error(Deflate)))"),
        "automerge decoded the bomb within {CHILD_MEMORY} bytes: {stdout}"
    );
}

#[test]
fn honest_documents_with_compressed_columns_pass_the_byte_check() {
    let (a, _d) = store("A");
    let id = a
        .create(NewCustomer::new("Big", CustomerKind::Company))
        .unwrap();
    let notes = "The quick brown fox jumps over the lazy dog. ".repeat(2_000);
    a.edit(id, &[Edit::Notes(notes.clone())]).unwrap();
    let mut doc = a.document(id).unwrap();
    let saved = doc.save();
    limits::check_bytes(&saved).unwrap();
    limits::check_loaded(&doc).unwrap();
    let (b, _e) = store("B");
    assert!(b.apply_remote(id, &saved).unwrap());
    assert_eq!(b.customer(id).unwrap().notes, notes);
    // Beyond the per-document input limit, refused before decoding.
    let mut huge = saved.clone();
    huge.resize(limits::MAX_DOC_BYTES + 1, 0);
    assert!(limits::check_bytes(&huge).is_err());
    // Anything but automerge chunks is refused too.
    assert!(limits::check_bytes(b"not a document").is_err());
}

/// A change to `victim` that claims to be its author's next change (same actor, same sequence
/// number as the author's real one), made from the document as it was at `heads`.
fn forge(doc: &mut AutoCommit, heads: &[automerge::ChangeHash], name: &str) -> Vec<u8> {
    let actor = doc.get_changes(&[])[0].actor_id().clone();
    let mut f = doc.fork_at(heads).unwrap();
    f.set_actor(actor);
    f.put(ROOT, "name", name).unwrap();
    f.commit();
    f.save_after(heads)
}

#[test]
fn a_forged_document_is_quarantined_alone_and_the_author_still_gets_through() {
    let (a, _da) = store("A");
    let (mut b, _db) = store("B");
    let v = a
        .create(NewCustomer::new("Victim", CustomerKind::Company))
        .unwrap();
    b.apply_remote(v, &a.document_bytes(v).unwrap().unwrap())
        .unwrap();
    let heads0 = a.document(v).unwrap().get_heads();
    a.edit(v, &[Edit::Name("Real".into())]).unwrap();
    let real = a.changes_since(v, &heads0).unwrap().unwrap();
    assert!(b.apply_remote(v, &real).unwrap());
    let forged = forge(&mut a.document(v).unwrap(), &heads0, "Forged");

    let x = a
        .create(NewCustomer::new("X", CustomerKind::Company))
        .unwrap();
    let y = a
        .create(NewCustomer::new("Y", CustomerKind::Person))
        .unwrap();
    let xb = a.document_bytes(x).unwrap().unwrap();
    let yb = a.document_bytes(y).unwrap().unwrap();
    let b_v_before = b.customer(v).unwrap();
    let applied = b
        .apply_remote_from(
            Some("mallory"),
            &[
                (v, forged.as_slice()),
                (x, xb.as_slice()),
                (y, yb.as_slice()),
            ],
        )
        .unwrap();
    assert_eq!(applied.changed, 2, "the honest documents landed");
    assert_eq!(applied.refused.len(), 1);
    assert_eq!(applied.refused[0].0, v);
    let why = applied.refused[0].1.to_string();
    assert!(why.contains("both claim to be change"), "{why}");
    assert_eq!(b.customer(x).unwrap(), a.customer(x).unwrap());
    assert_eq!(b.customer(y).unwrap(), a.customer(y).unwrap());
    assert_eq!(
        b.customer(v).unwrap(),
        b_v_before,
        "the victim is untouched"
    );

    let q = b.quarantined().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].doc, DocRef::Customer(v));
    assert_eq!(q[0].peer.as_deref(), Some("mallory"));
    assert!(
        q[0].reason.contains("both claim to be change"),
        "{}",
        q[0].reason
    );
    assert_eq!(q[0].len, forged.len() as u64);
    assert_eq!(q[0].bytes, forged);
    assert_eq!(q[0].refusals, 1);
    assert!(b.verify().unwrap().is_empty(), "quarantine is not damage");

    // The same forged frame again: refused again, counted, nothing else changes.
    let again = b.apply_remote_from(Some("mallory"), &[(v, forged.as_slice())]);
    assert_eq!(again.unwrap().changed, 0);
    assert_eq!(b.quarantined().unwrap()[0].refusals, 2);

    // The author's next change still reaches B.
    let heads1 = a.document(v).unwrap().get_heads();
    a.edit(v, &[Edit::Name("Real 2".into())]).unwrap();
    let next = a.changes_since(v, &heads1).unwrap().unwrap();
    assert!(b.apply_remote(v, &next).unwrap());
    assert_eq!(b.customer(v).unwrap().name, "Real 2");
    assert_eq!(b.customer(v).unwrap(), a.customer(v).unwrap());

    // Released after review.
    assert!(b.release_quarantined(DocRef::Customer(v)).unwrap());
    assert!(b.quarantined().unwrap().is_empty());
}

#[test]
fn when_the_forgery_arrives_first_the_real_change_is_quarantined_and_the_rest_lands() {
    // The same happens honestly when a data directory is copied to a second laptop and both
    // edit: two different changes with one (actor, seq). Whichever arrives second is refused.
    let (a, _da) = store("A");
    let (c, _dc) = store("C");
    let v = a
        .create(NewCustomer::new("Victim", CustomerKind::Company))
        .unwrap();
    c.apply_remote(v, &a.document_bytes(v).unwrap().unwrap())
        .unwrap();
    let heads0 = a.document(v).unwrap().get_heads();
    let forged = forge(&mut a.document(v).unwrap(), &heads0, "Forged");
    assert!(c.apply_remote(v, &forged).unwrap());
    a.edit(v, &[Edit::Name("Real".into())]).unwrap();
    let x = a
        .create(NewCustomer::new("X", CustomerKind::Company))
        .unwrap();
    let real = a.changes_since(v, &heads0).unwrap().unwrap();
    let xb = a.document_bytes(x).unwrap().unwrap();
    let applied = c
        .apply_remote_from(Some("a"), &[(v, real.as_slice()), (x, xb.as_slice())])
        .unwrap();
    assert_eq!(applied.changed, 1);
    assert_eq!(applied.refused.len(), 1);
    assert_eq!(c.customer(x).unwrap(), a.customer(x).unwrap());
    assert_eq!(c.quarantined().unwrap()[0].doc, DocRef::Customer(v));
    let mut c = c;
    assert!(c.verify().unwrap().is_empty());
}

#[test]
fn a_schema_1_store_opens_migrates_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let s = Store::open(dir.path(), opts("old")).unwrap();
        s.create(NewCustomer::new("Old", CustomerKind::Company))
            .unwrap()
    };
    // Turn the file into what schema 1 wrote: no quarantine table, `schema` = 1.
    {
        let db = redb::Database::create(dir.path().join(rapport_store::DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        let q: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("quarantine");
        assert!(txn.delete_table(q).unwrap());
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        txn.open_table(meta)
            .unwrap()
            .insert("schema", 1u64.to_le_bytes().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let mut s = Store::open(dir.path(), opts("old")).unwrap();
    assert_eq!(s.customer(id).unwrap().name, "Old");
    assert!(s.quarantined().unwrap().is_empty());
    assert!(s.verify().unwrap().is_empty());
    let bad = CustomerId::new();
    assert!(s.apply_remote(bad, &deep_doc(bad, 100)).is_err());
    assert_eq!(s.quarantined().unwrap().len(), 1);
    s.edit(id, &[Edit::Name("Still here".into())]).unwrap();
    drop(s);
    let db = redb::Database::create(dir.path().join(rapport_store::DB_FILE)).unwrap();
    let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
    let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
    let schema = txn
        .open_table(meta)
        .unwrap()
        .get("schema")
        .unwrap()
        .unwrap();
    assert_eq!(schema.value(), rapport_store::SCHEMA_VERSION.to_le_bytes());
    assert_eq!(rapport_store::SCHEMA_VERSION, 3);
}

#[test]
fn a_session_quota_refuses_new_documents_and_bytes_beyond_it() {
    let (a, _da) = store("A");
    let (b, _db) = store("B");
    let ids: Vec<CustomerId> = (0..3)
        .map(|n| {
            a.create(NewCustomer::new(format!("C{n}"), CustomerKind::Company))
                .unwrap()
        })
        .collect();
    let bytes: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| a.document_bytes(*id).unwrap().unwrap())
        .collect();
    let batch: Vec<(CustomerId, &[u8])> = ids
        .iter()
        .zip(&bytes)
        .map(|(id, b)| (*id, b.as_slice()))
        .collect();

    // Two new documents allowed: the third is refused and quarantined.
    let mut quota = Quota {
        new_docs: 2,
        bytes: u64::MAX,
    };
    let applied = b
        .apply_remote_within(Some("p"), &batch, &mut quota)
        .unwrap();
    assert_eq!(applied.changed, 2);
    assert_eq!(applied.refused.len(), 1);
    assert_eq!(applied.refused[0].0, ids[2]);
    assert!(applied.refused[0].1.to_string().contains("quota"));
    assert_eq!(quota.new_docs, 0);
    assert_eq!(b.count().unwrap(), 2);
    assert_eq!(b.quarantined().unwrap()[0].doc, DocRef::Customer(ids[2]));

    // Changes to a document already here are not new documents.
    let heads = a.document(ids[0]).unwrap().get_heads();
    a.edit(ids[0], &[Edit::Name("C0 renamed".into())]).unwrap();
    let change = a.changes_since(ids[0], &heads).unwrap().unwrap();
    let applied = b
        .apply_remote_within(Some("p"), &[(ids[0], change.as_slice())], &mut quota)
        .unwrap();
    assert_eq!(applied.changed, 1);
    assert_eq!(b.customer(ids[0]).unwrap().name, "C0 renamed");

    // A byte quota: a document larger than what is left is refused.
    let mut small = Quota {
        new_docs: 10,
        bytes: bytes[2].len() as u64 - 1,
    };
    let applied = b
        .apply_remote_within(Some("p"), &batch[2..], &mut small)
        .unwrap();
    assert_eq!(applied.changed, 0);
    assert!(applied.refused[0].1.to_string().contains("byte quota"));
    // Being over a quota is what an honest peer's big first sync does: it pauses nothing.
    assert!(b.paused_peers().unwrap().is_empty());
    // The next session's quota lets it in.
    let mut next = Quota::SESSION;
    let applied = b
        .apply_remote_within(Some("p"), &batch[2..], &mut next)
        .unwrap();
    assert_eq!(applied.changed, 1);
    assert_eq!(b.count().unwrap(), 3);
}

#[test]
fn a_peer_is_held_to_a_daily_quota_over_all_its_sessions() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    let (a, _da) = store("A");
    let ids = a
        .create_many(
            (0..5)
                .map(|i| NewCustomer::new(format!("C{i}"), CustomerKind::Company))
                .collect(),
        )
        .unwrap();
    let bytes: Vec<Vec<u8>> = ids
        .iter()
        .map(|id| a.changes_since(*id, &[]).unwrap().unwrap())
        .collect();
    let batch = |r: std::ops::Range<usize>| -> Vec<(CustomerId, &[u8])> {
        r.map(|i| (ids[i], bytes[i].as_slice())).collect()
    };
    let now = Arc::new(AtomicI64::new(1_764_590_400_000)); // 2025-12-01 12:00 UTC
    let clock = now.clone();
    let dir = tempfile::tempdir().unwrap();
    let b = Store::open(
        dir.path(),
        OpenOptions {
            clock: Arc::new(move || {
                rapport_model::timestamp_from_millis(clock.load(Ordering::Relaxed))
            }),
            daily_quota: Quota {
                new_docs: 3,
                bytes: u64::MAX,
            },
            ..opts("B")
        },
    )
    .unwrap();
    // Two sessions the same day, each well within a session's quota: the day allows 3.
    let mut s1 = Quota::SESSION;
    let first = b
        .apply_remote_within(Some("p"), &batch(0..2), &mut s1)
        .unwrap();
    assert_eq!(first.changed, 2);
    let mut s2 = Quota::SESSION;
    let second = b
        .apply_remote_within(Some("p"), &batch(2..5), &mut s2)
        .unwrap();
    assert_eq!(second.changed, 1);
    assert_eq!(second.refused.len(), 2);
    assert!(
        second.refused[0].1.to_string().contains("for today"),
        "{}",
        second.refused[0].1
    );
    // Another peer has its own day; a quota refusal pauses nobody.
    let mut s3 = Quota::SESSION;
    assert_eq!(
        b.apply_remote_within(Some("q"), &batch(3..4), &mut s3)
            .unwrap()
            .changed,
        1
    );
    assert!(b.paused_peers().unwrap().is_empty());
    // The next day (UTC) the first peer brings the rest.
    now.fetch_add(86_400_000, Ordering::Relaxed);
    let mut s4 = Quota::SESSION;
    assert_eq!(
        b.apply_remote_within(Some("p"), &batch(4..5), &mut s4)
            .unwrap()
            .changed,
        1
    );
    assert_eq!(b.count().unwrap(), 5);
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A change chunk, written by hand in automerge's format, whose run-length encoded columns
/// say `n` operations: `n` sets of key "a" of the root map to null. About 100 bytes
/// whatever `n`.
fn rle_change(n: u64) -> Vec<u8> {
    use sha2::Digest;
    let mut data = Vec::new();
    uleb(0, &mut data); // dependencies
    uleb(16, &mut data);
    data.extend([7u8; 16]); // actor
    uleb(1, &mut data); // seq
    uleb(1, &mut data); // start op
    sleb(&mut data, 0); // time
    uleb(0, &mut data); // message
    uleb(0, &mut data); // other actors
    let null_run = |out: &mut Vec<u8>| {
        out.push(0);
        uleb(n, out);
    };
    let run = |out: &mut Vec<u8>, value: &[u8]| {
        sleb(out, n as i64);
        out.extend(value);
    };
    let mut columns: Vec<(u64, Vec<u8>)> = Vec::new();
    for spec in [0x01, 0x02, 0x11, 0x13] {
        let mut c = Vec::new();
        null_run(&mut c); // object: the root; key actor and counter: none
        columns.push((spec, c));
    }
    let mut key = Vec::new();
    run(&mut key, &[1, b'a']); // key "a"
    columns.push((0x15, key));
    let mut insert = Vec::new();
    uleb(n, &mut insert); // n times false
    columns.push((0x34, insert));
    let mut action = Vec::new();
    run(&mut action, &[1]); // set
    columns.push((0x42, action));
    let mut meta = Vec::new();
    run(&mut meta, &[0]); // null, no bytes
    columns.push((0x56, meta));
    let mut pred = Vec::new();
    run(&mut pred, &[0]); // no predecessors
    columns.push((0x70, pred));
    uleb(columns.len() as u64, &mut data);
    for (spec, c) in &columns {
        uleb(*spec, &mut data);
        uleb(c.len() as u64, &mut data);
    }
    for (_, c) in &columns {
        data.extend(c);
    }
    let mut header = vec![1u8]; // a change chunk
    uleb(data.len() as u64, &mut header);
    let hash = sha2::Sha256::new()
        .chain_update(&header)
        .chain_update(&data)
        .finalize();
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83];
    out.extend(&hash[..4]);
    out.extend(header);
    out.extend(data);
    out
}

/// Run-length encoding is bounded before automerge loads anything: the same hand-made change
/// that automerge loads as 100 operations is refused, unloaded, when its columns say two
/// billion (which automerge would expand one by one), through the store too.
#[test]
fn run_length_encoded_operations_are_counted_before_loading() {
    let small = rle_change(100);
    let doc = AutoCommit::load(&small).expect("automerge reads the hand-made change");
    assert_eq!(doc.stats().num_ops, 100);
    assert_eq!(doc.get_all(ROOT, "a").unwrap().len(), 100);
    assert!(limits::check_bytes(&small).is_ok());

    let bomb = rle_change(2_000_000_000);
    assert!(bomb.len() < 128, "{} bytes", bomb.len());
    let err = limits::check_bytes(&bomb).unwrap_err();
    assert!(err.contains("run-length"), "{err}");
    // Just over the limit is refused, at the limit is not (counting, not guessing).
    let at = rle_change(limits::MAX_OPS);
    assert!(limits::check_bytes(&at).is_ok());
    assert!(limits::check_bytes(&rle_change(limits::MAX_OPS + 1)).is_err());

    let (s, _d) = store("B");
    let id = CustomerId::new();
    let started = std::time::Instant::now();
    let mut quota = Quota::SESSION;
    let applied = s
        .apply_remote_within(Some("p"), &[(id, bomb.as_slice())], &mut quota)
        .unwrap();
    assert_eq!(applied.changed, 0);
    assert!(
        applied.refused[0].1.to_string().contains("run-length"),
        "{}",
        applied.refused[0].1
    );
    eprintln!("a 2-billion-op change refused in {:?}", started.elapsed());
    assert_eq!(s.count().unwrap(), 0);
}
