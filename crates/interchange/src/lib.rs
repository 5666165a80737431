//! # rapport-interchange: what comes in from other tools, and goes out to them
//!
//! Pure: bytes in, plain records and customer edits out; the CLI reads files and the store
//! writes. Two steps:
//!
//! 1. Readers turn a file's bytes into [`Person`]s, each with its line number:
//!    - [`read_vcards`]`(bytes, encoding)` reads vCard 2.1, 3.0 and 4.0 (with `calcard`):
//!      per-property `CHARSET`s, QUOTED-PRINTABLE, folds joined before decoding, phone
//!      extensions, URLs, roles, nicknames, Apple's `X-ABLabel`s, our `X-RAPPORT-FIELD`s.
//!    - [`read_contacts_csv`]`(bytes, encoding)` reads Google Contacts CSVs (current and
//!      older headers), Outlook CSVs in English, German, French or Spanish, and Thunderbird
//!      CSVs, `,` `;` tab or `|` separated; the [`Layout`] is recognised from the header.
//!
//!    Both return a [`ContactsRead`]: the layout, the people, the records that could not be
//!    read at all ([`RowError`], naming the line and the column) and `decoded_as`, how the
//!    bytes were decoded (`"windows-1252 (guessed)"`, `"UTF-16LE (byte order mark)"`,
//!    `"Shift_JIS (CHARSET parameters)"`). `encoding` is the CLI's `--encoding NAME`; without
//!    it the encoding is found as [`decode`] says (byte order marks, UTF-16 without one,
//!    UTF-8, a `chardetng` guess). A file that cannot be decoded is
//!    [`ReadError::Decode`], naming the line.
//!
//!    Readers are lenient and lossless: a person is never dropped because one value is
//!    unusable. A value that does not fit its field (an email that is not one, a phone that
//!    says `pager`, a birthday that is no date) is kept in [`Person::other`] as
//!    `(label, value)` with a warning in [`Person::warnings`]; a column or property with no
//!    field of its own goes into `other` too. Only a record with no name, organisation,
//!    email or phone is a bad row.
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
//! Orders ([`read_orders_csv`]`(bytes, encoding)` into an [`OrdersRead`], [`plan_orders`])
//! become deals of existing customers, named by id, email or name; each deal's id comes
//! from the row's content, so a re-import adds nothing.

mod csv_contacts;
pub mod decode;
mod export;
pub mod mapping;
mod orders;
mod plan;
pub mod sheet;
mod values;
mod vcard;
mod vcard_lines;
pub mod xlsx;

pub use csv_contacts::{Language, Layout, Person, ReadError, RowError, read_contacts_csv};
pub use decode::DecodeError;
pub use export::{
    to_google_csv, to_google_csv_with_fields, to_ics, to_vcards, to_vcards_with_fields,
};
pub use mapping::{Mapping, PeopleOptions, Target, people_from_sheet, suggest};
pub use orders::{Order, OrdersRead, is_orders_header, plan_orders, read_orders_csv};
pub use plan::{Action, Existing, Plan, PlanOptions, plan, plan_with};
pub use sheet::{Cell, Sheet, SheetError, SheetOptions, read_sheet};
pub use vcard::read_vcards;
pub use xlsx::{Table, XCell, to_xlsx};

/// What a contacts reader found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactsRead {
    /// The layout recognised ([`Layout::VCard`] for vCard files).
    pub layout: Layout,
    /// The people read, in file order, each with its warnings.
    pub people: Vec<Person>,
    /// The records that could not be read (nothing to identify them, a card without an
    /// end), each naming its line and column.
    pub bad: Vec<RowError>,
    /// How the bytes were decoded, for previews: [`decode::Decoded::describe`]
    /// (`UTF-8 (valid UTF-8)`, `windows-1252 (guessed)`), or for vCards also
    /// `Shift_JIS (CHARSET parameters)` when lines say their own charset.
    pub decoded_as: String,
}

/// The text of the start of a file, decoded as well as it can be (for [`detect`]).
fn head_text(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(4096)];
    match decode::decode(bytes, None) {
        Ok(d) => d.text.chars().take(4096).collect(),
        Err(_) => String::from_utf8_lossy(head).into_owned(),
    }
}

/// What kind of import file `bytes` is, from its first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// vCard (`BEGIN:VCARD`).
    VCard,
    /// Orders (`customer`, `date`, `amount` columns).
    Orders,
    /// A contacts CSV (Google, Outlook or Thunderbird; the header tells which).
    ContactsCsv,
}

/// Recognises an import file from its start.
pub fn detect(bytes: &[u8]) -> FileKind {
    let head = head_text(bytes).to_uppercase();
    if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("BEGIN:VCARD")
    {
        FileKind::VCard
    } else if orders::is_orders_text(&head) {
        FileKind::Orders
    } else {
        FileKind::ContactsCsv
    }
}

/// An email address as compared for duplicates: trimmed, lower case.
pub fn email_key(e: &str) -> String {
    e.trim().to_lowercase()
}

/// A phone number as compared for duplicates without a region: its digits, with `+` for an
/// international number (`00` counts as `+`), or E.164 when it is one
/// ([`rapport_model::phone::key`]; the plan uses the team's region).
pub fn phone_key(p: &str) -> String {
    rapport_model::phone::key(p, None)
}

/// A name or organisation as compared for duplicates: folded (case, width, spacing).
pub fn name_key(n: &str) -> String {
    rapport_model::text::fold(n)
}
