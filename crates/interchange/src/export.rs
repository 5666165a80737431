//! What goes out to phones, calendars and spreadsheets: vCard (written by `calcard`),
//! CSV in Google Contacts' layout (the `csv` crate) and iCalendar (the `icalendar` crate).
//!
//! - vCard: a company customer is a card for the organisation (`KIND:org` in 4.0,
//!   `X-ABShowAs:COMPANY` in 3.0) and each of its contacts a card with `ORG` set to the
//!   company; a person customer is one card. `UID` is the customer's or contact's id, so a
//!   phone that re-imports the file updates rather than duplicates.
//! - CSV: a row for each company (organisation columns only), each contact and each person.
//!   The customer's own row (the company's, the person's) carries its website as
//!   `Website 1 - Value` and its custom fields as Google's `Custom Field N - Label` /
//!   `Custom Field N - Value` pairs (one pair per field in use that some customer has, the
//!   value as stored), which the contacts CSV reader places back into fields of that name.
//! - iCalendar: each open follow-up twice, as a `VTODO` and as a `VEVENT` with a `VALARM`
//!   (Google Calendar ignores `VTODO`). UIDs are `<follow-up id>-todo@rapport` and
//!   `-event@rapport`, stable across exports; `SEQUENCE` is the customer's last change in
//!   minutes since 2024, so it grows whenever the customer changed and a calendar that
//!   re-imports the file updates the entry.

use calcard::vcard::{
    VCard, VCardEntry, VCardKind, VCardParameter, VCardParameterName, VCardParameterValue,
    VCardProperty, VCardValue, VCardVersion,
};
use icalendar::{Alarm, Calendar, Component, Event, EventLike, Todo};
use rapport_model::{Customer, CustomerKind};

fn entry(name: VCardProperty, value: &str) -> VCardEntry {
    VCardEntry {
        group: None,
        name,
        params: Vec::new(),
        values: vec![VCardValue::Text(value.to_string())],
    }
}

fn typed(name: VCardProperty, value: &str, ty: &str) -> VCardEntry {
    let mut e = entry(name, value);
    e.params.push(VCardParameter {
        name: VCardParameterName::Type,
        value: VCardParameterValue::Text(ty.to_string()),
    });
    e
}

/// A structured property (N, ADR, ORG): each part its own `;`-separated value.
fn structured(name: VCardProperty, parts: Vec<String>) -> VCardEntry {
    VCardEntry {
        group: None,
        name,
        params: Vec::new(),
        values: parts.into_iter().map(VCardValue::Text).collect(),
    }
}

fn write(card: &VCard, v4: bool, out: &mut String) {
    let version = if v4 {
        VCardVersion::V4_0
    } else {
        VCardVersion::V3_0
    };
    // Writing into a String cannot fail.
    let _ = card.write_to(out, version);
}

/// Every customer (not deleted) as vCards, 3.0 or 4.0 (no custom fields).
pub fn to_vcards(customers: &[Customer], v4: bool) -> String {
    to_vcards_with_fields(customers, v4, &rapport_model::Fields::default())
}

/// Every customer (not deleted) as vCards, 3.0 or 4.0, with the website as `URL` and each
/// custom field in use as `X-RAPPORT-FIELD;NAME=<name>:<value>` (which our importer reads
/// back into the same field).
pub fn to_vcards_with_fields(
    customers: &[Customer],
    v4: bool,
    fields: &rapport_model::Fields,
) -> String {
    use calcard::vcard::{VCardParameter, VCardParameterName, VCardParameterValue};
    let mut out = String::new();
    for c in customers.iter().filter(|c| !c.is_deleted()) {
        let mut card = VCard::default();
        card.entries
            .push(entry(VCardProperty::Uid, &c.id.to_string()));
        card.entries.push(entry(VCardProperty::Fn, &c.name));
        match c.kind {
            CustomerKind::Company => {
                if v4 {
                    card.entries.push(VCardEntry {
                        group: None,
                        name: VCardProperty::Kind,
                        params: Vec::new(),
                        values: vec![VCardValue::Kind(VCardKind::Org)],
                    });
                } else {
                    card.entries
                        .push(entry(VCardProperty::Other("X-ABShowAs".into()), "COMPANY"));
                }
                card.entries
                    .push(structured(VCardProperty::Org, vec![c.name.clone()]));
            }
            CustomerKind::Person => {
                card.entries.push(structured(
                    VCardProperty::N,
                    vec![
                        String::new(),
                        c.name.clone(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ],
                ));
                if !c.company.is_empty() {
                    card.entries
                        .push(structured(VCardProperty::Org, vec![c.company.clone()]));
                }
            }
        }
        for e in &c.emails {
            card.entries.push(typed(VCardProperty::Email, e, "work"));
        }
        for p in &c.phones {
            card.entries.push(typed(VCardProperty::Tel, p, "work"));
        }
        if !c.address.is_empty() {
            card.entries.push(structured(
                VCardProperty::Adr,
                vec![
                    String::new(),
                    String::new(),
                    c.address.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ],
            ));
        }
        if !c.notes.is_empty() {
            card.entries.push(entry(VCardProperty::Note, &c.notes));
        }
        if !c.website.is_empty() {
            card.entries.push(entry(VCardProperty::Url, &c.website));
        }
        for f in fields.active() {
            if let Some(v) = c.fields.get(&f.id) {
                let mut e = entry(VCardProperty::Other("X-RAPPORT-FIELD".into()), v);
                e.params.push(VCardParameter {
                    name: VCardParameterName::Other("NAME".into()),
                    value: VCardParameterValue::Text(f.name.clone()),
                });
                card.entries.push(e);
            }
        }
        if !c.tags.is_empty() {
            card.entries.push(VCardEntry {
                group: None,
                name: VCardProperty::Categories,
                params: Vec::new(),
                values: c.tags.iter().map(|t| VCardValue::Text(t.clone())).collect(),
            });
        }
        write(&card, v4, &mut out);
        if c.kind == CustomerKind::Company {
            for (id, k) in &c.contacts {
                let mut card = VCard::default();
                card.entries
                    .push(entry(VCardProperty::Uid, &id.to_string()));
                card.entries.push(entry(VCardProperty::Fn, &k.name));
                card.entries.push(structured(
                    VCardProperty::N,
                    vec![
                        String::new(),
                        k.name.clone(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ],
                ));
                card.entries
                    .push(structured(VCardProperty::Org, vec![c.name.clone()]));
                if !k.title.is_empty() {
                    card.entries.push(entry(VCardProperty::Title, &k.title));
                }
                for e in &k.emails {
                    card.entries.push(typed(VCardProperty::Email, e, "work"));
                }
                for p in &k.phones {
                    card.entries.push(typed(VCardProperty::Tel, p, "work"));
                }
                if let Some(b) = k.birthday {
                    card.entries.push(entry(
                        VCardProperty::Bday,
                        &b.format("%Y-%m-%d").to_string(),
                    ));
                }
                if !k.notes.is_empty() {
                    card.entries.push(entry(VCardProperty::Note, &k.notes));
                }
                write(&card, v4, &mut out);
            }
        }
    }
    out
}

/// Google Contacts' CSV columns that Rapport fills (then the custom field pairs).
const GOOGLE_HEADER: [&str; 13] = [
    "First Name",
    "Last Name",
    "Organization Name",
    "Organization Title",
    "Birthday",
    "Notes",
    "Labels",
    "E-mail 1 - Value",
    "E-mail 2 - Value",
    "Phone 1 - Value",
    "Phone 2 - Value",
    "Address 1 - Formatted",
    "Website 1 - Value",
];

/// Every customer (not deleted) as a CSV in Google Contacts' layout (extra emails and
/// phones of one person joined with ` ::: ` in the second column, as Google does), without
/// custom fields.
pub fn to_google_csv(customers: &[Customer]) -> Result<String, csv::Error> {
    to_google_csv_with_fields(customers, &rapport_model::Fields::default())
}

/// [`to_google_csv`] with each custom field in use that some exported customer has as a
/// `Custom Field N - Label` / `Custom Field N - Value` pair of columns (the label is the
/// field's name, filled on the rows that have a value).
pub fn to_google_csv_with_fields(
    customers: &[Customer],
    fields: &rapport_model::Fields,
) -> Result<String, csv::Error> {
    let exported: Vec<&Customer> = customers.iter().filter(|c| !c.is_deleted()).collect();
    let used: Vec<&rapport_model::FieldDef> = fields
        .active()
        .filter(|f| exported.iter().any(|c| c.fields.contains_key(&f.id)))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = GOOGLE_HEADER.iter().map(|h| h.to_string()).collect();
    for n in 1..=used.len() {
        header.push(format!("Custom Field {n} - Label"));
        header.push(format!("Custom Field {n} - Value"));
    }
    w.write_record(&header)?;
    let multi = |v: &[String], i: usize| -> String {
        if i == 0 {
            v.first().cloned().unwrap_or_default()
        } else {
            v.get(1..).map(|r| r.join(" ::: ")).unwrap_or_default()
        }
    };
    for c in exported {
        let labels = c.tags.iter().cloned().collect::<Vec<_>>().join(" ::: ");
        let (first, org) = match c.kind {
            CustomerKind::Company => (String::new(), c.name.clone()),
            CustomerKind::Person => (c.name.clone(), c.company.clone()),
        };
        let mut row: Vec<String> = vec![
            first,
            String::new(),
            org,
            String::new(),
            String::new(),
            c.notes.clone(),
            labels.clone(),
            multi(&c.emails, 0),
            multi(&c.emails, 1),
            multi(&c.phones, 0),
            multi(&c.phones, 1),
            c.address.clone(),
            c.website.clone(),
        ];
        for f in &used {
            match c.fields.get(&f.id) {
                Some(v) => row.extend([f.name.clone(), v.clone()]),
                None => row.extend([String::new(), String::new()]),
            }
        }
        w.write_record(&row)?;
        if c.kind == CustomerKind::Company {
            for k in c.contacts.values() {
                let bday = k
                    .birthday
                    .map(|b| b.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                let mut row: Vec<String> = vec![
                    k.name.clone(),
                    String::new(),
                    c.name.clone(),
                    k.title.clone(),
                    bday,
                    k.notes.clone(),
                    labels.clone(),
                    multi(&k.emails, 0),
                    multi(&k.emails, 1),
                    multi(&k.phones, 0),
                    multi(&k.phones, 1),
                    String::new(),
                    String::new(),
                ];
                row.resize(header.len(), String::new());
                w.write_record(&row)?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Every open follow-up of active customers as a VTODO and a VEVENT with a reminder.
pub fn to_ics(customers: &[Customer]) -> String {
    let epoch = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .map(|d| d.to_utc())
        .unwrap_or_default();
    let mut cal = Calendar::new();
    cal.name("Rapport follow-ups");
    for c in customers.iter().filter(|c| !c.is_deleted() && !c.archived) {
        let sequence =
            u32::try_from((c.updated_at - epoch).num_minutes().max(0)).unwrap_or(u32::MAX);
        for (id, f) in c.followups.iter().filter(|(_, f)| f.done_at.is_none()) {
            let title = if f.subject.is_empty() {
                format!("{} {}", f.kind, c.name)
            } else {
                format!("{}: {}", c.name, f.subject)
            };
            let about = format!("{} with {} (Rapport follow-up)", f.kind, c.name);
            let mut todo = Todo::new();
            todo.uid(&format!("{id}-todo@rapport"))
                .summary(&title)
                .description(&about)
                .sequence(sequence)
                .timestamp(c.updated_at);
            let mut event = Event::new();
            event
                .uid(&format!("{id}-event@rapport"))
                .summary(&title)
                .description(&about)
                .sequence(sequence)
                .timestamp(c.updated_at)
                .alarm(Alarm::display(&title, -chrono::Duration::minutes(15)));
            match f.due.time {
                Some(t) => {
                    let at = f.due.date.and_time(t);
                    todo.due(at);
                    event.starts(at).ends(at + chrono::Duration::minutes(30));
                }
                None => {
                    todo.due(f.due.date);
                    event.all_day(f.due.date);
                }
            }
            cal.push(todo.done());
            cal.push(event.done());
        }
    }
    cal.done().to_string()
}
