//! Cross-crate integration tests in one test binary: a bad peer, merges, undo after delete.
//! The long simulation (`tests/simulation.rs`, with an ignored long run) stays a binary of
//! its own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod bad_peer;
mod common;
mod merge;
mod undo_after_delete;
