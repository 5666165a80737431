//! # rapport (library part): the desktop app
//!
//! The `rapport` binary is the CLI (`src/main.rs`, `cli`, `run`, `net`, `output`) and, with no
//! subcommand, the desktop app in [`gui`]. The app lives in this library so its tests can
//! drive it headless with `egui_kittest`.
//!
//! Like the CLI, the app draws and dispatches only: rules live in `rapport-model`,
//! `rapport-value` and `rapport-query`, storage in `rapport-store`, networking in
//! `rapport-sync`.

pub mod autobackup;
pub mod control;
pub mod gui;
pub mod vault;
