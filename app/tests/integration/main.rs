//! The rapport binary's integration tests in one test binary (linking one binary per file
//! dominated test time): the CLI, the store at rest, backups, bad input, crashes, damage,
//! import, CLI/app parity, paused peers, the remote control socket, sync and undo. Run one
//! file's tests with its module name as the filter, e.g.
//! `cargo test -p rapport --test integration crash::`. The UI tests (`tests/gui.rs`, wgpu)
//! stay a binary of their own.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod at_rest;
mod backup;
mod bad_input;
mod cli;
mod common;
mod crash;
mod damage;
mod derived;
mod fields;
mod import;
mod parity;
mod paused;
mod remote;
mod sheets;
mod sync;
mod undo;
