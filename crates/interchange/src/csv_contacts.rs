//! Google Contacts and Outlook CSV files, read into [`Person`]s.

use std::collections::HashMap;

use chrono::NaiveDate;
use rapport_model::{check_date, check_email, check_line, check_phone, check_text, excerpt};
use serde::Serialize;

/// A CSV layout we recognise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Layout {
    /// Google Contacts, current headers (`First Name`, `E-mail 1 - Value`...).
    Google,
    /// Google Contacts, older headers (`Given Name`, `Family Name`...).
    GoogleOld,
    /// Outlook (`E-mail Address`, `Mobile Phone`, `Company`...).
    Outlook,
    /// vCard 2.1, 3.0 or 4.0 (read by [`crate::read_vcards`]).
    VCard,
}

/// One person from a contacts file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Line in the file where the record starts (the header is line 1).
    pub line: u64,
    /// Display name: "given family" for Latin names, "familygiven" for CJK ones.
    pub name: String,
    pub organization: String,
    pub title: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub address: String,
    pub notes: String,
    /// Labels or categories (system labels such as `* myContacts` dropped).
    pub labels: Vec<String>,
    pub birthday: Option<NaiveDate>,
    /// Websites (vCard `URL`, a "Web Page" or "Website" column).
    pub websites: Vec<String>,
    /// Nickname (vCard `NICKNAME`).
    pub nickname: String,
    /// Role (vCard `ROLE`), kept beside the title.
    pub role: String,
    /// The customer's industry (行业), when the file has one.
    pub industry: String,
    /// The salesperson who owns the relationship (负责人), when the file has one.
    pub owner: String,
    /// How the customer came (来源), when the file has one.
    pub source: String,
    /// Values with no field of their own, kept as `(label, value)`: a phone that says `pager`,
    /// an "email" that is not one, a column mapped to nothing in particular. The import writes
    /// them into the customer's notes (visible and searchable) and warns about each.
    pub other: Vec<(String, String)>,
    /// Custom field values by field name (a spreadsheet column mapped to a team field, or an
    /// `X-RAPPORT-FIELD` of our own vCards).
    pub fields: Vec<(String, String)>,
    /// A "next revisit" date: the import adds an open follow-up due then.
    pub next_followup: Option<NaiveDate>,
    /// A "last visit" or "last contact" date: the import logs an interaction then, so revisit
    /// cadence works at once.
    pub last_contact: Option<NaiveDate>,
    /// A sales or revenue amount: the import adds a won deal of it, dated by `sales_date` (or
    /// the file's date when the row has none).
    pub sales: Option<rapport_model::Money>,
    pub sales_date: Option<NaiveDate>,
    /// Labels of phones and emails, as `(value, label)`: vCard TYPEs (`work`, `cell`) and
    /// Apple's `X-ABLabel`s (`Assistant`). Labels beyond the usual ones are kept in notes.
    pub value_labels: Vec<(String, String)>,
    /// What was kept somewhere else than asked, or could not be read but did not stop the
    /// person (each names the line and the column).
    pub warnings: Vec<RowError>,
}

/// A row that cannot be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}, column `{column}`: {reason}")]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "line 1: not a Google or Outlook contacts CSV header (it has no `E-mail 1 - Value` or `E-mail Address` column; first columns: {0})"
    )]
    UnknownLayout(String),
    #[error("line {line}: {reason}")]
    Csv { line: u64, reason: String },
    #[error("line {line}: the file is not UTF-8 text (save it as UTF-8 and try again)")]
    NotUtf8 { line: u64 },
}

struct Columns(HashMap<String, usize>);

impl Columns {
    fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> &'r str {
        self.0
            .get(name)
            .and_then(|&i| row.get(i))
            .map(str::trim)
            .unwrap_or("")
    }

    fn first<'r>(&self, row: &'r csv::StringRecord, names: &[&str]) -> &'r str {
        names
            .iter()
            .map(|n| self.get(row, n))
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }
}

fn is_cjk(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            matches!(c as u32,
                0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
        })
}

/// "given family", or "familygiven" when both are CJK.
pub(crate) fn display_name(given: &str, middle: &str, family: &str) -> String {
    if is_cjk(given) && is_cjk(family) {
        return format!("{family}{given}");
    }
    [given, middle, family]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Dates as the exporters write them: `1985-03-12`, `--03-12` (no year: dropped), Outlook's
/// `3/12/1985`; Outlook's `0/0/00` means none. The year must have four digits.
fn parse_birthday(s: &str) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    if s.is_empty() || s == "0/0/00" || s.starts_with("--") {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%m/%d/%Y"))
        .map_err(|_| format!("`{}` is not a date (YYYY-MM-DD or M/D/YYYY)", excerpt(s)))?;
    check_date("birthday", d).map_err(|e| e.to_string())?;
    Ok(Some(d))
}

fn layout_of(headers: &csv::StringRecord) -> Option<Layout> {
    let has = |h: &str| headers.iter().any(|x| x.trim() == h);
    if has("E-mail 1 - Value") && (has("Given Name") || has("Family Name")) {
        Some(Layout::GoogleOld)
    } else if has("E-mail 1 - Value") || has("Phone 1 - Value") {
        Some(Layout::Google)
    } else if has("E-mail Address") || has("Mobile Phone") {
        Some(Layout::Outlook)
    } else {
        None
    }
}

/// Reads a contacts CSV. Returns the layout, the people, and the rows that could not be read
/// (each with its line and column); the caller decides whether any bad row stops the import.
pub fn read_contacts_csv(bytes: &[u8]) -> Result<(Layout, Vec<Person>, Vec<RowError>), ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(csv_error(&e)),
    };
    let layout = layout_of(&headers).ok_or_else(|| {
        ReadError::UnknownLayout(
            headers
                .iter()
                .take(5)
                .map(|h| format!("`{}`", excerpt(h)))
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let cols = Columns(
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_string(), i))
            .collect(),
    );
    let mut people = Vec::new();
    let mut bad = Vec::new();
    each_record(&mut reader, bytes, |row, line| {
        match person(layout, &cols, &headers, row, line) {
            Ok(p) => people.push(p),
            Err(e) => bad.push(e),
        }
    })?;
    Ok((layout, people, bad))
}

/// Calls `each` with every non-blank record and the line it starts on; a CSV error (bad
/// quoting, not UTF-8) ends the read with its line.
pub(crate) fn each_record(
    reader: &mut csv::Reader<&[u8]>,
    bytes: &[u8],
    mut each: impl FnMut(&csv::StringRecord, u64),
) -> Result<(), ReadError> {
    let mut lines = Lines::new(bytes);
    let mut last_start = None;
    for row in reader.records() {
        let row = row.map_err(|e| csv_error(&e))?;
        last_start = row.position().map(|p| p.byte() as usize);
        let line = lines.of(&row);
        if !row.iter().all(|f| f.trim().is_empty()) {
            each(&row, line);
        }
    }
    // The csv crate takes a quote that is never closed to run to the end of the file, which
    // silently turns the rest of the file into one field: refuse it, naming where it opens.
    if let Some(open) = last_start.and_then(|s| unclosed_quote(bytes, s)) {
        let line = 1 + bytes[..open].iter().filter(|b| **b == b'\n').count() as u64;
        return Err(ReadError::Csv {
            line,
            reason: "a quoted field starts here and is never closed (a `\"` is missing)".into(),
        });
    }
    Ok(())
}

/// Where the quoted field that is still open at the end of `bytes` starts, reading the record
/// that starts at `start` as the csv crate does (a quote opens a field only at its start; `""`
/// inside quotes is a quote).
fn unclosed_quote(bytes: &[u8], start: usize) -> Option<usize> {
    let mut open = None;
    let mut field_start = true;
    let mut i = start.min(bytes.len());
    while i < bytes.len() {
        let b = bytes[i];
        if open.is_some() {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    open = None;
                }
            }
        } else if b == b'"' && field_start {
            open = Some(i);
            field_start = false;
        } else {
            field_start = matches!(b, b',' | b'\n' | b'\r');
        }
        i += 1;
    }
    open
}

/// Line numbers of records, from their byte offsets: with CRLF line ends the csv crate's own
/// line count lands one line early (a record "starts" at the `\n` of the previous `\r\n`).
struct Lines<'a> {
    bytes: &'a [u8],
    seen_byte: usize,
    seen_line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            seen_byte: 0,
            seen_line: 1,
        }
    }

    /// The line `row` starts on (records must come in file order).
    fn of(&mut self, row: &csv::StringRecord) -> u64 {
        let mut start = row
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(self.bytes.len());
        if self.bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let from = self.seen_byte.min(start);
        self.seen_line += self.bytes[from..start]
            .iter()
            .filter(|c| **c == b'\n')
            .count() as u64;
        self.seen_byte = start;
        self.seen_line
    }
}

/// Refuses values the model would refuse when the import is written (larger than it stores,
/// control characters in notes, address or labels), naming the field, before anything is
/// planned.
pub(crate) fn check_sizes(p: &Person) -> Result<(), (&'static str, String)> {
    let max = rapport_model::MAX_FIELD_BYTES;
    for (col, v) in [
        ("name", &p.name),
        ("organization", &p.organization),
        ("title", &p.title),
        ("notes", &p.notes),
        ("address", &p.address),
    ] {
        if v.len() > max {
            return Err((
                col,
                format!("{} bytes is more than the {max} a field may hold", v.len()),
            ));
        }
    }
    for (col, v) in [("notes", &p.notes), ("address", &p.address)] {
        check_text(col, v).map_err(|e| (col, e.to_string()))?;
    }
    for l in &p.labels {
        check_line("labels", l).map_err(|e| ("labels", e.to_string()))?;
    }
    Ok(())
}

pub(crate) fn csv_error(e: &csv::Error) -> ReadError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => ReadError::NotUtf8 { line },
        _ => ReadError::Csv {
            line,
            reason: e.to_string(),
        },
    }
}

fn person(
    layout: Layout,
    cols: &Columns,
    headers: &csv::StringRecord,
    row: &csv::StringRecord,
    line: u64,
) -> Result<Person, RowError> {
    let err = |column: &str, reason: String| RowError {
        line,
        column: column.to_string(),
        reason,
    };
    let mut p = Person {
        line,
        ..Person::default()
    };
    let (given, middle, family) = match layout {
        Layout::GoogleOld => (
            cols.get(row, "Given Name"),
            cols.get(row, "Additional Name"),
            cols.get(row, "Family Name"),
        ),
        _ => (
            cols.get(row, "First Name"),
            cols.get(row, "Middle Name"),
            cols.get(row, "Last Name"),
        ),
    };
    p.name = display_name(given, middle, family);
    if p.name.is_empty() {
        p.name = cols
            .first(row, &["Name", "File As", "Nickname"])
            .to_string();
    }
    // Multi-valued cells: Google joins values with " ::: ".
    let mut emails: Vec<(String, String)> = Vec::new();
    let mut phones: Vec<(String, String)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        let v = row.get(i).map(str::trim).unwrap_or("");
        if v.is_empty() {
            continue;
        }
        let is_email = match layout {
            Layout::Outlook => h.starts_with("E-mail") && h.ends_with("Address"),
            _ => h.starts_with("E-mail") && h.ends_with("- Value"),
        };
        let is_phone = match layout {
            Layout::Outlook => h.ends_with("Phone") || h.ends_with("Phone 2"),
            _ => h.starts_with("Phone") && h.ends_with("- Value"),
        };
        for part in v.split(":::").map(str::trim).filter(|x| !x.is_empty()) {
            if is_email {
                emails.push((h.to_string(), part.to_string()));
            } else if is_phone {
                phones.push((h.to_string(), part.to_string()));
            }
        }
    }
    for (col, e) in emails {
        check_email("email", &e).map_err(|x| err(&col, x.to_string()))?;
        if !p.emails.contains(&e) {
            p.emails.push(e);
        }
    }
    for (col, ph) in phones {
        check_phone("phone", &ph).map_err(|x| err(&col, x.to_string()))?;
        if !p.phones.contains(&ph) {
            p.phones.push(ph);
        }
    }
    match layout {
        Layout::Outlook => {
            p.organization = cols.get(row, "Company").to_string();
            p.title = cols.get(row, "Job Title").to_string();
            let parts: Vec<&str> = [
                "Business Street",
                "Business City",
                "Business State",
                "Business Postal Code",
                "Business Country/Region",
            ]
            .iter()
            .map(|c| cols.get(row, c))
            .filter(|v| !v.is_empty())
            .collect();
            p.address = parts.join(", ");
            if p.address.is_empty() {
                let home: Vec<&str> = [
                    "Home Street",
                    "Home City",
                    "Home State",
                    "Home Postal Code",
                    "Home Country/Region",
                ]
                .iter()
                .map(|c| cols.get(row, c))
                .filter(|v| !v.is_empty())
                .collect();
                p.address = home.join(", ");
            }
            p.labels = cols
                .get(row, "Categories")
                .split(';')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
        }
        Layout::Google | Layout::GoogleOld | Layout::VCard => {
            p.organization = cols
                .first(row, &["Organization Name", "Organization 1 - Name"])
                .to_string();
            p.title = cols
                .first(row, &["Organization Title", "Organization 1 - Title"])
                .to_string();
            p.address = cols.get(row, "Address 1 - Formatted").to_string();
            p.labels = cols
                .first(row, &["Labels", "Group Membership"])
                .split(":::")
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('*'))
                .map(str::to_string)
                .collect();
        }
    }
    p.notes = cols.get(row, "Notes").to_string();
    p.birthday = parse_birthday(cols.get(row, "Birthday")).map_err(|r| err("Birthday", r))?;
    // A row with only an organisation describes the company itself (its name stays empty).
    if p.name.is_empty() {
        match (p.emails.first(), p.organization.is_empty()) {
            (_, false) => {}
            (Some(e), true) => p.name = e.clone(),
            (None, true) => {
                return Err(err(
                    "First Name",
                    "no name, organisation or email: nothing to import".into(),
                ));
            }
        }
    }
    check_sizes(&p).map_err(|(col, reason)| err(col, reason))?;
    for (col, v) in [
        ("name", &p.name),
        ("title", &p.title),
        ("organization", &p.organization),
    ] {
        if v.chars().any(char::is_control) {
            return Err(err(col, "contains control characters".into()));
        }
    }
    Ok(p)
}
