//! vCard 2.1, 3.0 and 4.0 files, read into [`Person`]s with `calcard` (Stalwart's parser:
//! folded lines, QUOTED-PRINTABLE, CHARSET, escaped commas and newlines, `item1.` groups,
//! several TEL/EMAIL with types, `KIND:org`, many cards per file).

use calcard::vcard::{VCard, VCardKind, VCardProperty, VCardValue};
use calcard::{Entry, Parser};
use chrono::NaiveDate;
use rapport_model::{check_date, check_email, check_phone, excerpt};

use crate::csv_contacts::display_name;
use crate::{Person, ReadError, RowError};

fn texts(v: &VCard, prop: &VCardProperty) -> Vec<String> {
    v.properties(prop)
        .flat_map(|e| e.values.iter())
        .flat_map(|val| match val {
            VCardValue::Component(parts) => parts.clone(),
            other => other.as_text().map(str::to_string).into_iter().collect(),
        })
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The components of the first `prop` (N, ADR, ORG are structured).
fn components(v: &VCard, prop: &VCardProperty) -> Vec<String> {
    v.property(prop)
        .map(|e| {
            e.values
                .iter()
                .flat_map(|val| match val {
                    VCardValue::Component(parts) => parts.clone(),
                    other => vec![other.as_text().unwrap_or_default().to_string()],
                })
                .map(|s| s.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn first(v: &VCard, prop: &VCardProperty) -> String {
    v.property(prop)
        .and_then(|e| e.values.first())
        .map(|val| match val {
            VCardValue::Component(parts) => parts.join(" "),
            other => other.as_text().unwrap_or_default().to_string(),
        })
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The birthday: none when the card has none, or only a partial one (`--0312`) or free text
/// (vCard 4 allows `BDAY;VALUE=text:circa 1800`); an error for a date that does not exist or
/// whose year is out of range.
fn birthday(v: &VCard) -> Result<Option<NaiveDate>, String> {
    let Some(val) = v
        .property(&VCardProperty::Bday)
        .and_then(|e| e.values.first())
    else {
        return Ok(None);
    };
    let date = match val {
        VCardValue::PartialDateTime(d) => {
            let (Some(y), Some(m), Some(day)) = (d.year, d.month, d.day) else {
                return Ok(None);
            };
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day))
                .ok_or_else(|| format!("`{y:04}-{m:02}-{day:02}` is not a date"))?
        }
        other => {
            let Some(t) = other.as_text().map(str::trim) else {
                return Ok(None);
            };
            let parsed = NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(t, "%Y%m%d"));
            let looks_like_a_date = t.chars().filter(char::is_ascii_digit).count() >= 8
                && t.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+'));
            match parsed {
                Ok(d) => d,
                Err(_) if looks_like_a_date => {
                    return Err(format!(
                        "`{}` is not a date (YYYY-MM-DD or YYYYMMDD)",
                        excerpt(t)
                    ));
                }
                Err(_) => return Ok(None),
            }
        }
    };
    check_date("birthday", date).map_err(|e| e.to_string())?;
    Ok(Some(date))
}

/// Reads every card of a vCard file. Returns the people and the cards that could not be read
/// (each named by the line its `BEGIN:VCARD` is on).
pub fn read_vcards(bytes: &[u8]) -> Result<(Vec<Person>, Vec<RowError>), ReadError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|c| **c == b'\n')
                .count();
            return Err(ReadError::NotUtf8 { line: line as u64 });
        }
    };
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    // Where each card starts, for messages (calcard does not report positions). A line that
    // starts with a space or a tab continues the line before it (folding), as calcard reads
    // it: ` END:VCARD` is text of the previous property, not the card's end.
    let starts: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            l.trim_start_matches('\u{feff}')
                .trim_end()
                .eq_ignore_ascii_case("BEGIN:VCARD")
        })
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let ends: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().eq_ignore_ascii_case("END:VCARD"))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    // A card is complete when an END:VCARD comes before the next BEGIN:VCARD (calcard itself
    // forgives a missing one, but then the card may have lost its last lines).
    let complete: Vec<bool> = starts
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let next = starts.get(k + 1).copied().unwrap_or(u64::MAX);
            ends.iter().any(|e| e > s && *e < next)
        })
        .collect();
    if starts.is_empty() {
        return Err(ReadError::Csv {
            line: 1,
            reason: "no BEGIN:VCARD: this is not a vCard file".into(),
        });
    }
    // Each card is parsed on its own (the lines from its BEGIN to the next one), so a card
    // cut short never swallows the cards after it.
    let lines: Vec<&str> = text.lines().collect();
    let mut people = Vec::new();
    let mut bad = Vec::new();
    for (k, &line) in starts.iter().enumerate() {
        if !complete.get(k).copied().unwrap_or(true) {
            bad.push(RowError {
                line,
                column: "END:VCARD".into(),
                reason: "the card that starts here has no END:VCARD (is the file cut short?)"
                    .into(),
            });
            continue;
        }
        let from = (line - 1) as usize;
        let to = starts
            .get(k + 1)
            .map_or(lines.len(), |next| (*next - 1) as usize);
        let segment = lines.get(from..to).unwrap_or_default().join("\n");
        // A segment holds one BEGIN:VCARD, so at most one card.
        let mut parser = Parser::new(&segment);
        loop {
            match parser.entry() {
                Entry::VCard(v) => match person(&v, line) {
                    Ok(p) => people.push(p),
                    Err(e) => bad.push(e),
                },
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
    Ok((people, bad))
}

fn person(v: &VCard, line: u64) -> Result<Person, RowError> {
    let err = |column: &str, reason: String| RowError {
        line,
        column: column.to_string(),
        reason,
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
    let mut p = Person {
        line,
        ..Person::default()
    };
    let org = components(v, &VCardProperty::Org);
    p.organization = org.first().cloned().unwrap_or_default();
    let fn_name = first(v, &VCardProperty::Fn);
    if is_org {
        // A card for the organisation itself.
        if p.organization.is_empty() {
            p.organization = fn_name;
        }
    } else {
        let n = components(v, &VCardProperty::N);
        let get = |i: usize| n.get(i).map(String::as_str).unwrap_or("");
        p.name = if fn_name.is_empty() {
            display_name(get(1), get(2), get(0))
        } else {
            fn_name
        };
    }
    p.title = first(v, &VCardProperty::Title);
    for e in texts(v, &VCardProperty::Email) {
        check_email("email", &e).map_err(|x| err("EMAIL", x.to_string()))?;
        if !p.emails.contains(&e) {
            p.emails.push(e);
        }
    }
    for t in texts(v, &VCardProperty::Tel) {
        let t = t.strip_prefix("tel:").unwrap_or(&t).to_string();
        check_phone("phone", &t).map_err(|x| err("TEL", x.to_string()))?;
        if !p.phones.contains(&t) {
            p.phones.push(t);
        }
    }
    let adr = components(v, &VCardProperty::Adr);
    p.address = adr
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    p.notes = texts(v, &VCardProperty::Note)
        .join("\n")
        .replace("\r\n", "\n");
    p.labels = texts(v, &VCardProperty::Categories);
    p.birthday = birthday(v).map_err(|r| err("BDAY", r))?;
    if p.name.is_empty() && p.organization.is_empty() {
        match p.emails.first() {
            Some(e) => p.name = e.clone(),
            None => return Err(err("FN", "no name, organisation or email".into())),
        }
    }
    crate::csv_contacts::check_sizes(&p).map_err(|(col, reason)| err(col, reason))?;
    for (col, val) in [
        ("FN", &p.name),
        ("TITLE", &p.title),
        ("ORG", &p.organization),
    ] {
        if val.chars().any(char::is_control) {
            return Err(err(col, "contains control characters".into()));
        }
    }
    Ok(p)
}
