//! rapport-interchange's integration tests in one test binary: contact CSVs and their edges,
//! export, orders and plans, vCard edges, the corpus of files real programs write,
//! spreadsheets and their column mappings. The fixtures are in `tests/data/`, the corpus in
//! `tests/corpus/` and `tests/corpus/sheets/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod corpus;
mod csv;
mod csv_edges;
mod export;
mod mapping;
mod orders_and_plan;
mod sheet;
mod vcard_edges;

use rapport_interchange::{Layout, Order, Person, ReadError, RowError};

/// A contacts CSV read without an encoding asked for, as (layout, people, bad rows).
pub fn read_csv(bytes: &[u8]) -> Result<(Layout, Vec<Person>, Vec<RowError>), ReadError> {
    rapport_interchange::read_contacts_csv(bytes, None).map(|r| (r.layout, r.people, r.bad))
}

/// A vCard file read without an encoding asked for, as (people, bad cards).
pub fn read_vcf(bytes: &[u8]) -> Result<(Vec<Person>, Vec<RowError>), ReadError> {
    rapport_interchange::read_vcards(bytes, None).map(|r| (r.people, r.bad))
}

/// An orders CSV read without an encoding asked for, as (orders, bad rows).
pub fn read_orders(bytes: &[u8]) -> Result<(Vec<Order>, Vec<RowError>), ReadError> {
    rapport_interchange::read_orders_csv(bytes, None).map(|r| (r.orders, r.bad))
}
