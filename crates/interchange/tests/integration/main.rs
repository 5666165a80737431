//! rapport-interchange's integration tests in one test binary: contact CSVs and their edges,
//! export, orders and plans, vCard edges. The fixtures are in `tests/data/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod csv;
mod csv_edges;
mod export;
mod orders_and_plan;
mod vcard_edges;
