//! rapport-store's integration tests in one test binary: authored changes, bounds on what a
//! store accepts, sealed (encrypted) stores, and the store itself.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod authored;
mod bounds;
mod derived;
mod sealed;
mod search;
mod store;
