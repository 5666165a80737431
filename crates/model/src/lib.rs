//! # rapport-model: the CRM's domain, pure
//!
//! Types and rules for what Rapport manages, with no IO, no async and no UI:
//!
//! - [`Customer`] (a company or a person) with its [`Contact`]s, [`FollowUp`]s,
//!   [`Interaction`]s and [`Deal`]s. Every collection is keyed by an [`ItemId`] (a map, never a
//!   positional list), so two devices that add items concurrently never collide.
//! - [`Edit`]: the closed set of changes a user or an importer can make to a customer. Each edit
//!   is validated ([`Edit::validate`]) before anything is written, and has a pure
//!   [`Edit::apply`] that defines its meaning; the store's automerge mapping must agree with it
//!   (a property test in `rapport-store` checks that it does).
//! - [`Money`]: integer minor units plus an ISO 4217 currency; amounts are parsed from decimal
//!   text exactly, never through floating point.
//! - [`CustomerSummary`]: the small, derived row the store keeps per customer so that listing,
//!   sorting and filtering never open a document. It is computed by [`CustomerSummary::of`] from
//!   a customer and nothing else, so every device derives the same summary from the same
//!   merged document.
//! - [`fields`]: the team's custom fields ([`FieldDef`]: id, name, kind, options), defined in
//!   its settings; values in each customer's document, keyed by the field's id.
//! - [`phone`]: one phone number however it is written (E.164 with the team's default region,
//!   extensions kept), for storing, matching and display.
//! - [`text`]: folding for search and a collation key that sorts Chinese names by pinyin
//!   among Latin ones (张伟 sorts as "zhang wei").
//!
//! Deletion is a tombstone ([`Customer::deleted_at`]): a deleted customer keeps its document so
//! that it can be restored and so that a peer that still holds an older copy cannot bring it back.

mod customer;
mod edit;
mod error;
pub mod fields;
mod ids;
mod money;
pub mod phone;
mod revert;
mod summary;
pub mod text;

pub use customer::{
    Contact, Customer, CustomerKind, Deal, DealStatus, Due, FollowUp, FollowUpKind, Importance,
    Interaction, InteractionKind, LifecycleStage, Tier, TierOverride, Urgency,
};
pub use edit::{
    Edit, MAX_FIELD_BYTES, NewCustomer, YEARS, check_date, check_email, check_line, check_phone,
    check_text, check_website, normalize_tag,
};
pub use error::{ValidationError, excerpt};
pub use fields::{FieldDef, FieldKind, Fields};
pub use ids::{CustomerId, IdParseError, ItemId};
pub use money::{Currency, Money};
pub use revert::{FIELDS, edits_between};
pub use summary::{CustomerSummary, DealFact, OpenFollowUp};

/// A point in time, in UTC, with millisecond precision as stored in documents.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Converts milliseconds since the Unix epoch to a [`Timestamp`] (clamped to the valid range).
pub fn timestamp_from_millis(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or(chrono::DateTime::UNIX_EPOCH)
}
