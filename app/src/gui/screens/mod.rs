//! The five screens, one module each: [`customers`] (with the open customer's panel,
//! [`detail`]), [`agenda`], [`value`], [`sync`] and [`settings`]. Each draws from the app's
//! latest snapshot and dispatches actions; a screen with text of its own to keep between
//! frames is a struct that [`RapportApp`](super::RapportApp) owns.

pub mod agenda;
pub mod customers;
pub mod detail;
pub mod settings;
pub mod sync;
pub mod value;
