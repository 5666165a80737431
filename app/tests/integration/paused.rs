//! A device that sent data that was refused is shown paused by `rapport peers`, in text and
//! JSON, and `rapport peers resume` resumes it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::common::{json, ok, rapport};
use rapport_model::{CustomerId, CustomerKind, NewCustomer};
use rapport_store::{OpenOptions, Store};

fn opts(name: &str) -> OpenOptions {
    OpenOptions {
        device_name: name.to_string(),
        holder: format!("test {name}"),
        ..OpenOptions::default()
    }
}

#[test]
fn a_peer_that_sent_refused_data_is_shown_paused_until_resumed() {
    let office = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let bad_id;
    {
        let a = Store::open(office.path(), opts("Office")).unwrap();
        let m = Store::open(other.path(), opts("Mallory")).unwrap();
        a.team_create("Sales").unwrap();
        a.team_add(&m.device_id(), "Mallory").unwrap();
        // Mallory's document, stripped of its signatures: the office refuses it.
        let id = m
            .create(NewCustomer::new("Unsigned", CustomerKind::Company))
            .unwrap();
        let raw = m.document_bytes(id).unwrap().unwrap();
        let applied = a
            .apply_remote_from(Some(&m.device_id()), &[(id, raw.as_slice())])
            .unwrap();
        assert_eq!(applied.refused.len(), 1);
        bad_id = (m.device_id(), id);
    }
    let (mallory, id): (String, CustomerId) = bad_id;
    let text = ok(office.path(), &["peers", "--no-probe"]);
    assert!(
        text.contains("Mallory sent data that was refused; sync with Mallory is paused"),
        "{text}"
    );
    assert!(text.contains("without its signature"), "{text}");
    assert!(
        text.contains(&format!("rapport peers resume {}", &mallory[..12])),
        "{text}"
    );
    let rows = json(office.path(), &["peers", "--no-probe", "--json"]);
    let row = &rows.as_array().unwrap()[0];
    assert_eq!(row["id"], mallory);
    assert!(
        row["paused"]["reason"]
            .as_str()
            .unwrap()
            .contains("signature")
    );
    assert_eq!(row["refused"], 1);

    let out = ok(office.path(), &["peers", "resume", "Mallory"]);
    assert!(out.contains("sync with Mallory resumes"), "{out}");
    let rows = json(office.path(), &["peers", "--no-probe", "--json"]);
    assert!(rows[0]["paused"].is_null());
    // Nothing of what it sent landed.
    let shown = rapport(office.path(), &["customer", "show", &id.to_string()]);
    assert_eq!(shown.status.code(), Some(1));
    // Resuming a device that is not paused says so; an unknown one is an error.
    assert!(ok(office.path(), &["peers", "resume", "Mallory"]).contains("was not paused"));
    assert_eq!(
        rapport(office.path(), &["peers", "resume", "nobody"])
            .status
            .code(),
        Some(1)
    );
}
