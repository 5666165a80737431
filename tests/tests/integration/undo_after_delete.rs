//! Regression test: `Store::undo_device` used to fail as a whole (`customer ... is deleted`,
//! nothing undone) when a customer the undone device changed was deleted afterwards by another
//! device. Found while adding undo to the simulation (`simulation.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use rapport_model::{CustomerKind, Edit, NewCustomer};
use rapport_store::{OpenOptions, Store};

fn open(dir: &std::path::Path, name: &str) -> Store {
    Store::open(
        dir,
        OpenOptions {
            device_name: name.into(),
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

fn push(from: &Store, to: &Store) {
    for id in from.ids().unwrap() {
        to.apply_remote(id, &from.document(id).unwrap().save())
            .unwrap();
    }
}

#[test]
fn undoing_a_device_works_when_someone_later_deleted_a_customer_it_changed() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = open(da.path(), "A");
    let b = open(db.path(), "B");
    let acme = a
        .create(NewCustomer::new("Acme", CustomerKind::Company))
        .unwrap();
    let other = a
        .create(NewCustomer::new("Other", CustomerKind::Company))
        .unwrap();
    push(&a, &b);
    // B (the device to undo) changes both customers; A then deletes one of them.
    b.edit(acme, &[Edit::Industry("wrong".into())]).unwrap();
    b.edit(other, &[Edit::Industry("wrong".into())]).unwrap();
    push(&b, &a);
    a.edit(acme, &[Edit::Delete]).unwrap();

    // Undoing B restores `other` and leaves the deleted customer deleted.
    let report = a.undo_device("B", None, false);
    assert!(report.is_ok(), "undo_device failed: {:?}", report.err());
    assert_eq!(a.customer(other).unwrap().industry, "");
    assert!(a.customer(acme).unwrap().is_deleted());

    // A one-letter device name is never taken for this device's actor prefix (the actor is
    // random hex: 1 in 16 stores started with `b` and refused to undo device `B`).
    let first = a.device().actor[..1].to_string();
    let r = a.undo_device(&first, None, true);
    assert!(
        !matches!(&r, Err(rapport_store::StoreError::Refused(m)) if m.contains("is this device")),
        "{r:?}"
    );
}
