//! rapport-model's integration tests in one test binary: revert, summaries, validation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

mod fields;
mod phone_data;
mod revert;
mod summary;
mod validation;
