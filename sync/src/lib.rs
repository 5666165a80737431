//! # rapport-sync: peer-to-peer sync (not built yet)
//!
//! This crate will move document changes between a team's devices over iroh, and nothing
//! else: it never interprets customers. What it will stand on is already in `rapport-store`:
//!
//! - `Store::heads()` lists every customer document with its heads, for a digest exchange
//!   that finds the documents two devices disagree on without sending all of them;
//! - `Store::document(id)` / `Store::apply_remote(id, bytes)` move and merge one document,
//!   refusing malformed data before it touches the store;
//! - `Store::settings_document()` / `Store::apply_remote_settings(bytes)` do the same for the
//!   team settings document;
//! - `Store::subscribe()` is the change feed that will push local edits to connected peers.
//!
//! Until the sync issue lands this crate is empty on purpose.
