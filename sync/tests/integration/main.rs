//! rapport-sync's integration tests in one test binary: bounds, random and mutated frames,
//! hostile peers, the network node, the protocol, streaming. Run one file's tests with its
//! module name as the filter, e.g. `cargo test -p rapport-sync --test integration frames::`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod bounds;
mod common;
mod frames;
mod hostile;
mod net;
mod protocol;
mod streaming;
