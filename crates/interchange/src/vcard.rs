//! vCard 2.1, 3.0 and 4.0 files, read into [`Person`]s with `calcard` (Stalwart's parser:
//! escaped commas and newlines, `item1.` groups, several TEL/EMAIL with types, `KIND:org`,
//! many cards per file), after [`crate::vcard_lines`] has made the bytes into UTF-8 lines
//! (encodings, CHARSET parameters, QUOTED-PRINTABLE, folds).
//!
//! What a card carries is kept: FN/N (name), ORG (its first component; units go to
//! `other` as `department`), TITLE, ROLE, NICKNAME, EMAIL, TEL (with `;ext=` extensions),
//! URL (websites), ADR (the first as the address, others in `other`), BDAY, NOTE,
//! CATEGORIES (labels). TEL/EMAIL/URL/ADR types and Apple's `itemN.X-ABLabel` labels
//! (`_$!<Assistant>!$_` is `Assistant`) become [`Person::value_labels`]. Anniversaries,
//! related names, IM handles, Evolution's spouse/manager/assistant and other `X-`
//! properties go into [`Person::other`]; machine data (VERSION, PRODID, REV, UID, PHOTO,
//! LOGO, SOUND, KEY, phonetic names, X-ABUID...) is left out.
//!
//! A value that does not fit its field (an EMAIL that is not an address, a TEL that says
//! `pager`, a BDAY that is no full date) goes into `other` with a warning naming its line
//! and property; only a card with no name, organisation, email or phone is refused.
//!
//! Custom fields travel as `X-RAPPORT-FIELD;NAME=<field name>:<value>`, e.g.
//! `X-RAPPORT-FIELD;NAME=Contract expiry:2027-03-31`. The name is a parameter value (quote
//! it, `NAME="Size, cm"`, when it holds `,`, `;` or `:`); the value is vCard text
//! (`\,`, `\;`, `\n` escapes). They are read into [`Person::fields`] as `(name, value)`.

use std::collections::HashMap;

use calcard::vcard::{VCard, VCardEntry, VCardKind, VCardParameterName, VCardProperty, VCardValue};
use calcard::{Entry, Parser};
use chrono::NaiveDate;
use rapport_model::{check_date, excerpt};

use crate::csv_contacts::display_name;
use crate::values::{ab_label, finish};
use crate::vcard_lines::{self, Line, property_name};
use crate::{ContactsRead, Layout, Person, ReadError, RowError};

/// Reads every card of a vCard file, in the encoding `encoding` names or else the one found
/// (see [`crate::vcard_lines`]). Returns the people, the cards that could not be read (each
/// named by the line its `BEGIN:VCARD` is on) and how the file was decoded.
pub fn read_vcards(bytes: &[u8], encoding: Option<&str>) -> Result<ContactsRead, ReadError> {
    let prepared = vcard_lines::prepare(bytes, encoding)?;
    let lines = &prepared.lines;
    if lines
        .iter()
        .all(|l| l.text.trim_matches('\u{feff}').trim().is_empty())
    {
        return Err(ReadError::Empty);
    }
    let is = |l: &Line, what: &str| {
        l.text
            .trim_start_matches('\u{feff}')
            .trim()
            .eq_ignore_ascii_case(what)
    };
    // Cards by the index of their BEGIN line; a card is complete when an END:VCARD comes
    // before the next BEGIN:VCARD (calcard itself forgives a missing one, but then the card
    // may have lost its last lines).
    let starts: Vec<usize> = (0..lines.len())
        .filter(|i| is(&lines[*i], "BEGIN:VCARD"))
        .collect();
    if starts.is_empty() {
        return Err(ReadError::Csv {
            line: 1,
            reason: "no BEGIN:VCARD: this is not a vCard file".into(),
        });
    }
    let mut people = Vec::new();
    let mut bad = Vec::new();
    for (k, &from) in starts.iter().enumerate() {
        let to = starts.get(k + 1).copied().unwrap_or(lines.len());
        let segment = &lines[from..to];
        let line = segment.first().map_or(1, |l| l.line);
        if !segment.iter().skip(1).any(|l| is(l, "END:VCARD")) {
            bad.push(RowError {
                line,
                column: "END:VCARD".into(),
                reason: "the card that starts here has no END:VCARD (is the file cut short?)"
                    .into(),
            });
            continue;
        }
        let next_line = lines.get(to).map_or(u64::MAX, |l| l.line);
        let decode_warnings: Vec<RowError> = prepared
            .warnings
            .iter()
            .filter(|(at, _, _)| *at >= line && *at < next_line)
            .map(|(at, column, reason)| RowError {
                line: *at,
                column: column.clone(),
                reason: reason.clone(),
            })
            .collect();
        let text = segment
            .iter()
            .map(|l| l.text.trim_start_matches('\u{feff}'))
            .collect::<Vec<_>>()
            .join("\n");
        // A segment holds one BEGIN:VCARD, so at most one card.
        let mut parser = Parser::new(&text);
        loop {
            match parser.entry() {
                Entry::VCard(v) => {
                    let mut p = person(&v, line, segment);
                    p.warnings.extend(decode_warnings.iter().cloned());
                    match finish(p, "FN") {
                        Ok(p) => people.push(p),
                        Err(e) => bad.push(e),
                    }
                }
                Entry::Eof => break,
                Entry::UnterminatedComponent(what) => {
                    bad.push(RowError {
                        line,
                        column: "END:VCARD".into(),
                        reason: format!(
                            "the card that starts here never ends ({what} without END)"
                        ),
                    });
                    break;
                }
                Entry::InvalidLine(l) => bad.push(RowError {
                    line,
                    column: "line".into(),
                    reason: format!(
                        "`{}` is not a vCard line",
                        l.chars().take(60).collect::<String>()
                    ),
                }),
                _ => bad.push(RowError {
                    line,
                    column: "BEGIN".into(),
                    reason: "not a vCard component".into(),
                }),
            }
        }
    }
    Ok(ContactsRead {
        layout: Layout::VCard,
        people,
        bad,
        decoded_as: prepared.decoded_as,
    })
}

/// The property name as written in files: `EMAIL`, `X-ABLabel`.
fn name_of(e: &VCardEntry) -> String {
    e.name.as_str().to_string()
}

/// The file line of each entry: the n-th `TEL` entry is on the n-th `TEL` line of the
/// segment (calcard keeps the order but not the positions); the card's line when the
/// counts do not match.
fn entry_lines(v: &VCard, card_line: u64, segment: &[Line]) -> Vec<u64> {
    let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
    for l in segment {
        by_name
            .entry(property_name(&l.text))
            .or_default()
            .push(l.line);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    v.entries
        .iter()
        .map(|e| {
            let name = name_of(e).to_ascii_uppercase();
            let n = seen.entry(name.clone()).or_insert(0);
            let at = by_name.get(&name).and_then(|ls| ls.get(*n)).copied();
            *n += 1;
            at.unwrap_or(card_line)
        })
        .collect()
}

/// The texts of an entry's values (components of structured values each on their own).
fn value_texts(e: &VCardEntry) -> Vec<String> {
    e.values
        .iter()
        .flat_map(|val| match val {
            VCardValue::Component(parts) => parts.clone(),
            VCardValue::PartialDateTime(d) => vec![date_text(d)],
            VCardValue::Binary(_) => Vec::new(),
            other => other.as_text().map(str::to_string).into_iter().collect(),
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// An entry's value as one text: structured parts joined with `, ` (empty ones left out).
fn joined(e: &VCardEntry) -> String {
    value_texts(e).join(", ")
}

/// The components of a structured value (N, ADR, ORG), empty ones kept in place.
fn components(e: &VCardEntry) -> Vec<String> {
    e.values
        .iter()
        .flat_map(|val| match val {
            VCardValue::Component(parts) => parts.clone(),
            other => vec![other.as_text().unwrap_or_default().to_string()],
        })
        .map(|s| s.trim().to_string())
        .collect()
}

fn date_text(d: &calcard::common::PartialDateTime) -> String {
    match (d.year, d.month, d.day) {
        (Some(y), Some(m), Some(day)) => format!("{y:04}-{m:02}-{day:02}"),
        (None, Some(m), Some(day)) => format!("--{m:02}-{day:02}"),
        (Some(y), Some(m), None) => format!("{y:04}-{m:02}"),
        (Some(y), None, None) => format!("{y:04}"),
        (None, None, Some(day)) => format!("---{day:02}"),
        _ => String::new(),
    }
}

/// The label of a value: Apple's `X-ABLabel` of its group, else its TYPE parameters
/// (`work`, `cell`, `home, fax`; `pref`, `voice` and `internet` say nothing).
fn label_of(e: &VCardEntry, group_labels: &HashMap<String, String>) -> Option<String> {
    if let Some(l) = e
        .group
        .as_ref()
        .and_then(|g| group_labels.get(&g.to_ascii_lowercase()))
    {
        return Some(l.clone());
    }
    let mut types: Vec<String> = Vec::new();
    for v in e.parameters(&VCardParameterName::Type) {
        let Some(t) = v.as_text() else { continue };
        for t in t.split(',') {
            let t = t.trim().to_ascii_lowercase();
            if t.is_empty() || matches!(t.as_str(), "pref" | "voice" | "internet" | "x400") {
                continue;
            }
            if !types.contains(&t) {
                types.push(t);
            }
        }
    }
    (!types.is_empty()).then(|| types.join(", "))
}

/// The label of a value kept in `other`: Apple's `X-ABLabel` of its group (`Spouse`), else
/// the property's own name with its TYPE (`AIM (home)`).
fn other_value_label(
    e: &VCardEntry,
    group_labels: &HashMap<String, String>,
    name: String,
) -> String {
    if let Some(l) = e
        .group
        .as_ref()
        .and_then(|g| group_labels.get(&g.to_ascii_lowercase()))
    {
        return l.clone();
    }
    match label_of(e, &HashMap::new()) {
        Some(t) => format!("{name} ({t})"),
        None => name,
    }
}

/// What a BDAY says: a date, or the text it holds and why that is not one.
fn birthday(e: &VCardEntry) -> Option<Result<NaiveDate, (String, String)>> {
    let val = e.values.first()?;
    let date = match val {
        VCardValue::PartialDateTime(d) => {
            let text = date_text(d);
            let (Some(y), Some(m), Some(day)) = (d.year, d.month, d.day) else {
                return Some(Err((text, "a birthday without a year".into())));
            };
            match NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day)) {
                Some(date) => date,
                None => return Some(Err((text.clone(), format!("`{text}` is not a date")))),
            }
        }
        other => {
            let t = other.as_text().map(str::trim).unwrap_or_default();
            if t.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"))
            {
                Ok(d) => d,
                Err(_) => {
                    return Some(Err((
                        t.to_string(),
                        format!("`{}` is not a date (YYYY-MM-DD or YYYYMMDD)", excerpt(t)),
                    )));
                }
            }
        }
    };
    match check_date("birthday", date) {
        Ok(()) => Some(Ok(date)),
        Err(x) => Some(Err((date.format("%Y-%m-%d").to_string(), x.to_string()))),
    }
}

/// Properties that are machine data or already read elsewhere: left out.
fn is_ignored(upper: &str) -> bool {
    matches!(
        upper,
        "X-ABLABEL"
            | "X-ABUID"
            | "X-ABSHOWAS"
            | "X-ABADR"
            | "X-ABPERSONFLAG"
            | "X-EVOLUTION-FILE-AS"
            | "X-EVOLUTION-LIST"
            | "X-EVOLUTION-LIST-SHOW-ADDRESSES"
            | "X-EVOLUTION-E164"
            | "X-MS-CARDPICTURE"
            | "X-WAB-GENDER"
            | "X-GENERATOR"
            | "X-ACCOUNT"
            | "X-IRMC-LUID"
            | "LABEL"
            | "NAME"
            | "PROFILE"
            | "MAILER"
            | "CLASS"
            | "SORT-STRING"
            | "AGENT"
    ) || [
        "X-PHONETIC-",
        "X-MOZILLA-",
        "X-COUCHDB-",
        "X-MS-OL-",
        "X-ANDROID-",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
}

/// A readable label for properties kept in `other`.
fn other_label(upper: &str, written: &str) -> String {
    match upper {
        "X-EVOLUTION-SPOUSE" | "X-SPOUSE" | "X-MS-SPOUSE" => "spouse",
        "X-EVOLUTION-MANAGER" | "X-MANAGER" | "X-MS-MANAGER" => "manager",
        "X-EVOLUTION-ASSISTANT" | "X-ASSISTANT" | "X-MS-ASSISTANT" => "assistant",
        "X-EVOLUTION-ANNIVERSARY" | "X-ANNIVERSARY" | "X-MS-ANNIVERSARY" | "ANNIVERSARY" => {
            "anniversary"
        }
        "X-ABDATE" => "date",
        "X-ABRELATEDNAMES" | "RELATED" => "related",
        "IMPP" | "X-MS-IMADDRESS" => "IM",
        "X-AIM" => "AIM",
        "X-ICQ" => "ICQ",
        "X-JABBER" => "Jabber",
        "X-MSN" => "MSN",
        "X-YAHOO" => "Yahoo",
        "X-SKYPE" | "X-SKYPE-USERNAME" => "Skype",
        "X-QQ" => "QQ",
        "X-GADUGADU" => "Gadu-Gadu",
        "X-GROUPWISE" => "GroupWise",
        "X-GOOGLE-TALK" | "X-GTALK" => "Google Talk",
        "X-TWITTER" => "Twitter",
        "X-SOCIALPROFILE" | "SOCIALPROFILE" => "social profile",
        "GENDER" => "gender",
        _ => return written.to_string(),
    }
    .to_string()
}

fn person(v: &VCard, line: u64, segment: &[Line]) -> Person {
    let at = entry_lines(v, line, segment);
    let mut p = Person {
        line,
        ..Person::default()
    };
    let is_org = v
        .property(&VCardProperty::Kind)
        .and_then(|e| e.values.first())
        .is_some_and(|val| matches!(val, VCardValue::Kind(VCardKind::Org)))
        || v.entries.iter().any(|e| {
            matches!(&e.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case("X-ABSHOWAS"))
                && e.values
                    .first()
                    .and_then(|x| x.as_text())
                    .is_some_and(|t| t.eq_ignore_ascii_case("COMPANY"))
        });
    let group_labels: HashMap<String, String> = v
        .entries
        .iter()
        .filter(
            |e| matches!(&e.name, VCardProperty::Other(n) if n.eq_ignore_ascii_case("X-ABLABEL")),
        )
        .filter_map(|e| {
            let g = e.group.as_ref()?.to_ascii_lowercase();
            let l = ab_label(e.values.first()?.as_text()?);
            (!l.is_empty()).then_some((g, l))
        })
        .collect();
    let mut fn_name = String::new();
    let mut n_name = String::new();
    for (i, e) in v.entries.iter().enumerate() {
        let line = at.get(i).copied().unwrap_or(line);
        let column = name_of(e);
        let label = label_of(e, &group_labels);
        match &e.name {
            VCardProperty::Fn => {
                if fn_name.is_empty() {
                    fn_name = joined(e);
                }
            }
            VCardProperty::N => {
                if n_name.is_empty() {
                    let n = components(e);
                    let get = |i: usize| n.get(i).map(String::as_str).unwrap_or("");
                    n_name = display_name(get(1), get(2), get(0));
                }
            }
            VCardProperty::Org => {
                let org = components(e);
                let units: Vec<&str> = org
                    .iter()
                    .skip(1)
                    .map(String::as_str)
                    .filter(|s| !s.is_empty())
                    .collect();
                let name = org.first().cloned().unwrap_or_default();
                if p.organization.is_empty() {
                    p.organization = name;
                } else if !name.is_empty() && name != p.organization {
                    p.keep_other("organization", &name);
                }
                if !units.is_empty() {
                    p.keep_other("department", &units.join(", "));
                }
            }
            VCardProperty::Title => {
                for t in value_texts(e) {
                    if p.title.is_empty() {
                        p.title = t;
                    } else if t != p.title {
                        p.keep_other("title", &t);
                    }
                }
            }
            VCardProperty::Role => {
                for t in value_texts(e) {
                    if p.role.is_empty() {
                        p.role = t;
                    } else if t != p.role {
                        p.keep_other("role", &t);
                    }
                }
            }
            VCardProperty::Nickname => {
                for t in value_texts(e) {
                    if p.nickname.is_empty() {
                        p.nickname = t;
                    } else if !p.nickname.split(", ").any(|x| x == t) {
                        p.nickname = format!("{}, {t}", p.nickname);
                    }
                }
            }
            VCardProperty::Email => {
                for t in value_texts(e) {
                    if let Err(why) = p.add_email(&t, label.as_deref()) {
                        p.misfit(line, &column, "email", &t, &why);
                    }
                }
            }
            VCardProperty::Tel => {
                for t in value_texts(e) {
                    if let Err(why) = p.add_phone(&t, label.as_deref()) {
                        p.misfit(line, &column, "phone", &t, &why);
                    }
                }
            }
            VCardProperty::Url => {
                for t in value_texts(e) {
                    p.add_website(&t, label.as_deref());
                }
            }
            VCardProperty::Adr => {
                let a = components(e)
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                if a.is_empty() {
                } else if p.address.is_empty() {
                    p.address = a.clone();
                    p.label_value(&a, label.as_deref());
                } else if a != p.address {
                    p.keep_other("address", &a);
                    p.label_value(&a, label.as_deref());
                }
            }
            VCardProperty::Note => {
                for t in value_texts(e) {
                    let t = t.replace("\r\n", "\n");
                    if p.notes.is_empty() {
                        p.notes = t;
                    } else {
                        p.notes = format!("{}\n{t}", p.notes);
                    }
                }
            }
            VCardProperty::Categories => {
                for t in value_texts(e) {
                    if !p.labels.contains(&t) {
                        p.labels.push(t);
                    }
                }
            }
            VCardProperty::Bday => match birthday(e) {
                Some(Ok(d)) if p.birthday.is_none() => p.birthday = Some(d),
                Some(Ok(d)) if p.birthday != Some(d) => {
                    p.keep_other("birthday", &d.format("%Y-%m-%d").to_string());
                }
                Some(Ok(_)) => {}
                Some(Err((text, why))) => p.misfit(line, &column, "birthday", &text, &why),
                None => {}
            },
            VCardProperty::Begin
            | VCardProperty::End
            | VCardProperty::Version
            | VCardProperty::Prodid
            | VCardProperty::Rev
            | VCardProperty::Uid
            | VCardProperty::Photo
            | VCardProperty::Logo
            | VCardProperty::Sound
            | VCardProperty::Key
            | VCardProperty::Clientpidmap
            | VCardProperty::Source
            | VCardProperty::Kind
            | VCardProperty::Tz
            | VCardProperty::Geo
            | VCardProperty::Xml
            | VCardProperty::Member
            | VCardProperty::Lang
            | VCardProperty::Created
            | VCardProperty::Jsprop
            | VCardProperty::Gramgender
            | VCardProperty::Language => {}
            VCardProperty::Other(name) => {
                let upper = name.to_ascii_uppercase();
                let value = joined(e);
                if value.is_empty() || is_ignored(&upper) {
                    if upper == "X-ANDROID-CUSTOM" {
                        android_custom(&mut p, e);
                    }
                    continue;
                }
                match upper.as_str() {
                    "X-RAPPORT-FIELD" => {
                        let field: Vec<&str> = e
                            .params
                            .iter()
                            .filter(|x| x.name.as_str().eq_ignore_ascii_case("NAME"))
                            .filter_map(|x| x.value.as_text())
                            .collect();
                        let field = field.join(",");
                        if field.trim().is_empty() {
                            p.misfit(
                                line,
                                &column,
                                "X-RAPPORT-FIELD",
                                &value,
                                "a custom field without a NAME parameter",
                            );
                        } else {
                            p.fields.push((field.trim().to_string(), value));
                        }
                    }
                    "X-EVOLUTION-BLOG-URL" | "X-EVOLUTION-VIDEO-URL" => {
                        p.add_website(&value, label.as_deref());
                    }
                    _ => {
                        let l = other_value_label(e, &group_labels, other_label(&upper, name));
                        p.keep_other(&l, &value);
                    }
                }
            }
            other => {
                let value = joined(e);
                let upper = other.as_str().to_ascii_uppercase();
                let l =
                    other_value_label(e, &group_labels, other_label(&upper, &upper.to_lowercase()));
                p.keep_other(&l, &value);
            }
        }
    }
    let name = if fn_name.is_empty() { n_name } else { fn_name };
    if is_org {
        // A card for the organisation itself.
        if p.organization.is_empty() {
            p.organization = name;
        }
    } else {
        p.name = name;
    }
    p
}

/// Android's own rows: `X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Johnny;...`.
fn android_custom(p: &mut Person, e: &VCardEntry) {
    let value = value_texts(e).join(";");
    let mut parts = value.split(';');
    let kind = parts.next().unwrap_or_default();
    let first = parts.next().unwrap_or_default().trim();
    if first.is_empty() {
        return;
    }
    match kind.rsplit('/').next().unwrap_or_default() {
        "nickname" if p.nickname.is_empty() => p.nickname = first.to_string(),
        "relation" => p.keep_other("related", first),
        "contact_event" => p.keep_other("date", first),
        _ => {}
    }
}
