//! rapport-interchange's integration tests in one test binary: contact CSVs and their edges,
//! export, orders and plans, vCard edges, spreadsheets and their column mappings. The
//! fixtures are in `tests/data/` and `tests/corpus/sheets/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod csv;
mod csv_edges;
mod export;
mod mapping;
mod orders_and_plan;
mod sheet;
mod vcard_edges;
