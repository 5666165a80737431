//! # rapport-interchange: what comes in from other tools, and goes out to them
//!
//! Pure: bytes in, plain records and customer edits out; the CLI reads files and the store
//! writes. Two steps:
//!
//! 1. [`read_vcards`] reads vCard 2.1, 3.0 and 4.0 files with `calcard`, and
//!    [`read_contacts_csv`] reads a Google Contacts CSV (current headers such as `First Name`,
//!    `Organization Name`, `E-mail 1 - Value`, `Labels` with ` ::: `; or the older `Given Name`
//!    / `Family Name` ones) or an Outlook CSV (with or without a UTF-8 BOM) into [`Person`]s,
//!    each with its line number. The layout is recognised from the header. Every value is
//!    checked with the model's rules; a bad value is a [`RowError`] naming the line and the
//!    column. CSV parsing is the `csv` crate's.
//! 2. [`plan`] matches the people against existing customers and each other, and says exactly
//!    what an import would do ([`Plan`]): people with an organisation become contacts of one
//!    company customer per organisation; people without one become person customers. A
//!    person already known (same normalised email, else same phone, else same name in the
//!    same organisation) is merged: missing emails, phones, tags and empty fields are added,
//!    nothing is overwritten. Importing the same file twice changes nothing the second time.
//!
//! Exports ([`to_vcards`], [`to_google_csv`], [`to_ics`]) write customers for phones,
//! spreadsheets and calendars.
//!
//! Orders ([`read_orders_csv`], [`plan_orders`]) become deals of existing customers, named by
//! id, email or name; each deal's id comes from the row's content, so a re-import adds
//! nothing.

mod csv_contacts;
pub mod decode;
mod export;
pub mod mapping;
mod orders;
mod plan;
pub mod sheet;
mod vcard;

pub use csv_contacts::{Layout, Person, ReadError, RowError, read_contacts_csv};
pub use export::{to_google_csv, to_ics, to_vcards};
pub use mapping::{Mapping, PeopleOptions, Target, people_from_sheet, suggest};
pub use orders::{Order, is_orders_header, plan_orders, read_orders_csv};
pub use plan::{Action, Existing, Plan, plan};
pub use sheet::{Cell, Sheet, SheetError, SheetOptions, read_sheet};
pub use vcard::read_vcards;

/// What kind of import file `bytes` is, from its first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// vCard (`BEGIN:VCARD`).
    VCard,
    /// Orders (`customer`, `date`, `amount` columns).
    Orders,
    /// A contacts CSV (Google or Outlook; the header tells which).
    ContactsCsv,
}

/// Recognises an import file from its start.
pub fn detect(bytes: &[u8]) -> FileKind {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).to_uppercase();
    if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("BEGIN:VCARD")
    {
        FileKind::VCard
    } else if is_orders_header(bytes) {
        FileKind::Orders
    } else {
        FileKind::ContactsCsv
    }
}

/// An email address as compared for duplicates: trimmed, lower case.
pub fn email_key(e: &str) -> String {
    e.trim().to_lowercase()
}

/// A phone number as compared for duplicates: its digits, with `+` for an international
/// number (`00` counts as `+`). Without a country we cannot turn a national number into
/// E.164, so `030 1234567` and `+49 30 1234567` stay different.
pub fn phone_key(p: &str) -> String {
    let t = p.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if t.starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else {
        digits
    }
}

/// A name or organisation as compared for duplicates: folded (case, width, spacing).
pub fn name_key(n: &str) -> String {
    rapport_model::text::fold(n)
}
