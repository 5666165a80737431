//! Values as the contact readers keep them: phones with their extensions, emails, Apple's
//! labels, and the last step every record goes through ([`finish`]).
//!
//! A value that does not fit its field is never a reason to drop the person: it is kept in
//! [`Person::other`] as `(label, value)` with a warning naming the line and the column
//! ([`Person::misfit`]). Only a record with nothing to identify it (no name, organisation,
//! email or phone) is refused. Text the model cannot store (control characters, more than
//! [`rapport_model::MAX_FIELD_BYTES`]) is cleaned or left out, with a warning.

use rapport_model::{MAX_FIELD_BYTES, check_email, check_phone, excerpt};

use crate::{Person, RowError};

impl Person {
    /// Records a warning about this person.
    pub(crate) fn warn(&mut self, line: u64, column: &str, reason: String) {
        self.warnings.push(RowError {
            line,
            column: column.to_string(),
            reason,
        });
    }

    /// Keeps `value` in [`Person::other`] as `(label, value)` (once).
    pub(crate) fn keep_other(&mut self, label: &str, value: &str) {
        let (label, value) = (label.trim(), value.trim());
        if value.is_empty() {
            return;
        }
        if !self.other.iter().any(|(l, v)| l == label && v == value) {
            self.other.push((label.to_string(), value.to_string()));
        }
    }

    /// A value that does not fit its field: kept in `other` under `label`, and a warning.
    pub(crate) fn misfit(&mut self, line: u64, column: &str, label: &str, value: &str, why: &str) {
        self.keep_other(label, value);
        self.warn(
            line,
            column,
            format!("{why}; kept as \"{label}\" in the notes"),
        );
    }

    /// Adds an email (once) with its label; `Err` with the reason when it is not one.
    pub(crate) fn add_email(&mut self, raw: &str, label: Option<&str>) -> Result<(), String> {
        let e = email(raw)?;
        if !self.emails.contains(&e) {
            self.emails.push(e.clone());
        }
        self.label_value(&e, label);
        Ok(())
    }

    /// Adds a phone (once, extension kept) with its label; `Err` with the reason when it is
    /// not one.
    pub(crate) fn add_phone(&mut self, raw: &str, label: Option<&str>) -> Result<(), String> {
        let p = phone(raw)?;
        if !self.phones.contains(&p) {
            self.phones.push(p.clone());
        }
        self.label_value(&p, label);
        Ok(())
    }

    /// Adds a website (once) with its label.
    pub(crate) fn add_website(&mut self, raw: &str, label: Option<&str>) {
        let w = raw.trim();
        if w.is_empty() {
            return;
        }
        if !self.websites.iter().any(|x| x == w) {
            self.websites.push(w.to_string());
        }
        self.label_value(w, label);
    }

    /// Records `(value, label)` in [`Person::value_labels`] (once; empty labels are none).
    pub(crate) fn label_value(&mut self, value: &str, label: Option<&str>) {
        let Some(label) = label.map(str::trim).filter(|l| !l.is_empty()) else {
            return;
        };
        let pair = (value.to_string(), label.to_string());
        if !self.value_labels.contains(&pair) {
            self.value_labels.push(pair);
        }
    }
}

/// An email address: trimmed, a `mailto:` prefix dropped, checked with the model's rule.
pub(crate) fn email(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    let t = strip_prefix_ci(t, "mailto:").unwrap_or(t).trim();
    check_email("email", t).map_err(|e| e.to_string())?;
    Ok(t.to_string())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A phone number with its extension written the one way the model knows:
/// `+1-418-656-9254 ext. 102`, from a `tel:` URI's `;ext=102`, or a trailing `x102`,
/// `ext 102`, `ext. 102`, `extension 102`, `#102` or `转102`. The number part is checked with the
/// model's rule; the extension is digits.
pub(crate) fn phone(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    let (number, ext) = match strip_prefix_ci(t, "tel:") {
        Some(uri) => {
            // RFC 3966: number, then `;name=value` parameters.
            let mut parts = uri.split(';');
            let number = parts.next().unwrap_or_default().trim();
            let ext = parts.find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim().eq_ignore_ascii_case("ext").then(|| v.trim())
            });
            match ext {
                Some(e) => (number, Some(e)),
                None => split_extension(number),
            }
        }
        None => split_extension(t),
    };
    let bad = || format!("`{}` is not a phone number", excerpt(t));
    check_phone("phone", number).map_err(|_| bad())?;
    match ext {
        Some(e) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(format!("{number} ext. {e}"))
        }
        Some(_) => Err(bad()),
        None => Ok(number.to_string()),
    }
}

/// `("+1 555 0100", Some("102"))` from `+1 555 0100 x102` and the other ways of writing an
/// extension; the text itself and `None` when it has none.
fn split_extension(s: &str) -> (&str, Option<&str>) {
    let t = s.trim();
    let digits = t.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits == t.len() {
        return (t, None);
    }
    let (before, ext) = t.split_at(t.len() - digits);
    let before = before.trim_end();
    let lower = before.to_ascii_lowercase();
    for marker in ["extension", "ext.", "ext", "x", "#", "转"] {
        let Some(rest) = lower.strip_suffix(marker) else {
            continue;
        };
        // A marker is a word of its own: `box 5` or `fax 5` is not an extension.
        if rest.chars().last().is_some_and(char::is_alphabetic) {
            continue;
        }
        let number = before[..rest.len()].trim_end().trim_end_matches([',', ';']);
        let number = number.trim_end();
        if number.bytes().filter(u8::is_ascii_digit).count() >= 3 {
            return (number, Some(ext));
        }
    }
    (t, None)
}

/// Apple's built-in labels are written `_$!<Mobile>!$_`; custom ones as they are.
pub(crate) fn ab_label(s: &str) -> String {
    let t = s.trim();
    t.strip_prefix("_$!<")
        .and_then(|r| r.strip_suffix(">!$_"))
        .unwrap_or(t)
        .to_string()
}

/// Removes what the model cannot store from `value`: control characters (line breaks and
/// tabs are kept in multi-line fields; a tab becomes a space in single-line ones), or the
/// whole value when it is longer than [`MAX_FIELD_BYTES`]. Returns why, when it changed.
fn clean(value: &mut String, multi_line: bool) -> Option<String> {
    if value.len() > MAX_FIELD_BYTES {
        let len = value.len();
        value.clear();
        return Some(format!(
            "{len} bytes is more than the {MAX_FIELD_BYTES} a field may hold; left out"
        ));
    }
    let allowed = |c: char| !c.is_control() || (multi_line && matches!(c, '\n' | '\r' | '\t'));
    if value.chars().all(allowed) {
        return None;
    }
    *value = value
        .chars()
        .map(|c| if c == '\t' && !multi_line { ' ' } else { c })
        .filter(|c| allowed(*c))
        .collect::<String>()
        .trim()
        .to_string();
    Some("contains control characters; they were removed".into())
}

/// The last step of every record: cleans what the model cannot store (with warnings),
/// names a person who has only an email or a phone by it, and refuses a record with nothing
/// to identify it, naming `name_column`.
pub(crate) fn finish(mut p: Person, name_column: &str) -> Result<Person, RowError> {
    let line = p.line;
    for v in [&mut p.notes, &mut p.address]
        .into_iter()
        .chain(p.other.iter_mut().map(|(_, v)| v))
        .chain(p.fields.iter_mut().map(|(_, v)| v))
    {
        if v.contains('\r') {
            *v = v.replace("\r\n", "\n");
        }
    }
    let mut warnings = Vec::new();
    {
        let mut check = |field: &str, v: &mut String, multi: bool| {
            if let Some(reason) = clean(v, multi) {
                warnings.push(RowError {
                    line,
                    column: field.to_string(),
                    reason,
                });
            }
        };
        check("name", &mut p.name, false);
        check("organization", &mut p.organization, false);
        check("title", &mut p.title, false);
        check("nickname", &mut p.nickname, false);
        check("role", &mut p.role, false);
        check("industry", &mut p.industry, false);
        check("owner", &mut p.owner, false);
        check("source", &mut p.source, false);
        check("notes", &mut p.notes, true);
        check("address", &mut p.address, true);
        for l in &mut p.labels {
            check("labels", l, false);
        }
        for w in &mut p.websites {
            check("websites", w, false);
        }
        for (k, v) in p.other.iter_mut().chain(p.fields.iter_mut()) {
            check("other", k, false);
            check("other", v, true);
        }
        for (v, l) in &mut p.value_labels {
            check("labels", v, true);
            check("labels", l, false);
        }
    }
    p.labels.retain(|l| !l.is_empty());
    p.websites.retain(|w| !w.is_empty());
    p.other.retain(|(_, v)| !v.is_empty());
    p.fields.retain(|(k, _)| !k.is_empty());
    p.value_labels
        .retain(|(v, l)| !v.is_empty() && !l.is_empty());
    p.warnings.extend(warnings);
    p.warnings.sort_by_key(|w| w.line);
    if p.name.is_empty() && p.organization.is_empty() {
        match p.emails.first().or(p.phones.first()) {
            Some(id) => p.name = id.clone(),
            None => {
                return Err(RowError {
                    line,
                    column: name_column.to_string(),
                    reason: "no name, organisation, email or phone: nothing to import".into(),
                });
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_written_one_way() {
        for (raw, want) in [
            ("tel:+1-418-656-9254;ext=102", "+1-418-656-9254 ext. 102"),
            ("+1 555 0100 x102", "+1 555 0100 ext. 102"),
            ("+1 555 0100 X 7", "+1 555 0100 ext. 7"),
            ("+1 555 0100 ext 102", "+1 555 0100 ext. 102"),
            ("+1 555 0100 ext. 102", "+1 555 0100 ext. 102"),
            ("+1 555 0100, ext.102", "+1 555 0100 ext. 102"),
            ("+1 555 0100 extension 9", "+1 555 0100 ext. 9"),
            ("(030) 1234567#12", "(030) 1234567 ext. 12"),
            ("010-62345678转801", "010-62345678 ext. 801"),
            ("tel:+49-30-1234567", "+49-30-1234567"),
            ("+49 30 1234567", "+49 30 1234567"),
        ] {
            assert_eq!(phone(raw).as_deref(), Ok(want), "{raw}");
        }
        assert!(phone("pager").is_err());
        assert!(phone("call me x12").is_err());
        assert_eq!(
            phone("tel:+1-555-0100;ext=ab").unwrap_err(),
            "`tel:+1-555-0100;ext=ab` is not a phone number"
        );
    }

    #[test]
    fn emails_lose_mailto_and_apple_labels_their_wrapper() {
        assert_eq!(email(" MAILTO:a@b.example "), Ok("a@b.example".into()));
        assert!(email("call me").is_err());
        assert_eq!(ab_label("_$!<Assistant>!$_"), "Assistant");
        assert_eq!(ab_label("AssistantPhone"), "AssistantPhone");
    }

    #[test]
    fn finish_names_by_email_or_phone_and_refuses_nothing_to_identify() {
        let p = Person {
            line: 3,
            phones: vec!["+1 555 0100".into()],
            ..Person::default()
        };
        assert_eq!(finish(p, "FN").unwrap().name, "+1 555 0100");
        let p = Person {
            line: 4,
            other: vec![("email".into(), "call me".into())],
            ..Person::default()
        };
        let e = finish(p, "FN").unwrap_err();
        assert_eq!((e.line, e.column.as_str()), (4, "FN"));
        let p = Person {
            line: 5,
            name: "A\u{7}na\tLima".into(),
            notes: "one\ntwo\u{1}".into(),
            ..Person::default()
        };
        let p = finish(p, "FN").unwrap();
        assert_eq!(
            (p.name.as_str(), p.notes.as_str()),
            ("Ana Lima", "one\ntwo")
        );
        let cols: Vec<&str> = p.warnings.iter().map(|w| w.column.as_str()).collect();
        assert_eq!(cols, ["name", "notes"]);
    }
}
