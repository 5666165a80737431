//! # rapport (library part): the desktop app
//!
//! The `rapport` binary (`src/main.rs`) is a thin `main` over this library: the CLI ([`cli`]
//! parses and dispatches, one file per command family; [`output`] formats) and, with no
//! subcommand, the desktop app in [`gui`], two front ends over one operations layer ([`ops`]).
//! Both live in the library so that the app and `rapport serve` can run a CLI command for a
//! client on their own open store ([`remote`], over the [`control`] socket), and so the app's
//! tests can drive it headless with `egui_kittest`.
//!
//! Like the CLI, the app draws and dispatches only: rules live in `rapport-model`,
//! `rapport-value` and `rapport-query`, storage in `rapport-store`, networking in
//! `rapport-sync`.

pub mod autobackup;
pub mod cli;
pub mod control;
pub mod gui;
pub mod ops;
pub mod output;
pub mod remote;
pub mod vault;
