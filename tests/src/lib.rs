//! # rapport-tests: cross-crate integration tests
//!
//! The tests live in `tests/tests/*.rs`; this library is empty. They drive the real crates
//! together (model + store + demo) the way the app and sync do, without a network.
