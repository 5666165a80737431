//! A vCard file's bytes made into the UTF-8 property lines `calcard` parses.
//!
//! Phones and old programs write vCards in their own code page and say so per property
//! (`N;CHARSET=SHIFT_JIS:...`), often inside QUOTED-PRINTABLE (`ENCODING=QUOTED-PRINTABLE`,
//! soft line breaks `=` at the end of a line). In order:
//!
//! 1. UTF-16 (a byte order mark, or NULs in every other byte), or an encoding asked for
//!    that is UTF-16: the whole file is decoded first ([`decode::decode`]).
//! 2. Otherwise lines are joined at the byte level, before any decoding, so that a fold or a
//!    soft line break that splits a multi-byte character is joined first: a line starting
//!    with a space or a tab continues the one before it (the space is dropped), and a
//!    QUOTED-PRINTABLE line ending in `=` continues on the next line (the `=` is dropped).
//! 3. Each joined line is decoded: with the encoding asked for, when one is; as UTF-8 when
//!    the whole file is (or has a UTF-8 byte order mark); else with its own `CHARSET`
//!    parameter, and lines without one with the encoding guessed from those lines
//!    ([`decode::decode`]: `chardetng`).
//! 4. QUOTED-PRINTABLE values are decoded here, with their `CHARSET` (without one: UTF-8
//!    when the bytes are UTF-8, else the file's legacy encoding, else windows-1252), and
//!    written back as escaped plain text, so `calcard` never meets a charset it cannot
//!    decode. Bytes that do not fit the declared charset are replaced, with a warning.
//!
//! Pure: no IO.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use crate::decode::{self, DecodeError, How};

/// One property line, unfolded and decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// The line in the file where it starts (1-based).
    pub line: u64,
    pub text: String,
}

/// A vCard file's lines, how they were decoded, and what could not be decoded cleanly.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    pub lines: Vec<Line>,
    /// E.g. `UTF-8 (valid UTF-8)`, `Shift_JIS (CHARSET parameters)`,
    /// `UTF-8 (valid UTF-8), values in Shift_JIS (CHARSET parameters)`.
    pub decoded_as: String,
    /// `(line, property, reason)` for values whose bytes did not fit their charset.
    pub warnings: Vec<(u64, String, String)>,
}

/// How the raw bytes of a line become text.
enum Raw {
    /// The bytes are UTF-8 already (decoded from UTF-16 first).
    Text(String),
    /// Every line in this encoding, strictly.
    Strict(&'static Encoding, How),
    /// UTF-8 if the whole file is, else per line (CHARSET, else a guess).
    Auto,
}

/// The file's property lines (see the module documentation).
pub(crate) fn prepare(bytes: &[u8], asked: Option<&str>) -> Result<Prepared, DecodeError> {
    let (body, raw): (Cow<[u8]>, Raw) = if let Some(name) = asked {
        let enc = decode::encoding_for(name)?;
        if enc == UTF_16LE || enc == UTF_16BE {
            let d = decode::decode(bytes, asked)?;
            let describe = d.describe();
            (Cow::Owned(d.text.into_bytes()), Raw::Text(describe))
        } else {
            let body = match Encoding::for_bom(bytes) {
                Some((e, len)) if e == enc => &bytes[len..],
                _ => bytes,
            };
            (Cow::Borrowed(body), Raw::Strict(enc, How::Asked))
        }
    } else if let Some((enc, len)) = Encoding::for_bom(bytes) {
        if enc == UTF_8 {
            (
                Cow::Borrowed(&bytes[len..]),
                Raw::Strict(UTF_8, How::ByteOrderMark),
            )
        } else {
            let d = decode::decode(bytes, None)?;
            let describe = d.describe();
            (Cow::Owned(d.text.into_bytes()), Raw::Text(describe))
        }
    } else if bytes[..bytes.len().min(4096)].contains(&0) {
        match decode::decode(bytes, None) {
            Ok(d) if d.encoding == UTF_16LE || d.encoding == UTF_16BE => {
                let describe = d.describe();
                (Cow::Owned(d.text.into_bytes()), Raw::Text(describe))
            }
            _ => (Cow::Borrowed(bytes), Raw::Auto),
        }
    } else {
        (Cow::Borrowed(bytes), Raw::Auto)
    };
    let joined = unfold(&body);
    let (texts, raw_describe, legacy, tagged) = decode_lines(&joined, &raw)?;
    let mut out = Prepared::default();
    let mut qp_charsets: Vec<&'static str> = Vec::new();
    for ((line, _), text) in joined.iter().zip(texts) {
        let text = if is_quoted_printable(text.as_bytes()) {
            let (t, used, warning) = requote(&text, legacy);
            for enc in used.into_iter().filter(|e| *e != UTF_8) {
                if !qp_charsets.contains(&enc.name()) {
                    qp_charsets.push(enc.name());
                }
            }
            if let Some(reason) = warning {
                out.warnings.push((*line, property_name(&t), reason));
            }
            t
        } else {
            text
        };
        out.lines.push(Line { line: *line, text });
    }
    // Declared charsets of quoted-printable values not already named for the raw bytes.
    qp_charsets.retain(|c| !tagged.contains(c) && !raw_describe.starts_with(*c));
    out.decoded_as = if qp_charsets.is_empty() {
        raw_describe
    } else {
        format!(
            "{raw_describe}, values in {} (CHARSET parameters)",
            qp_charsets.join(", ")
        )
    };
    Ok(out)
}

/// Physical lines joined into property lines, each with the line it starts on. Folds (a
/// line starting with a space or a tab) and QUOTED-PRINTABLE soft line breaks are joined
/// at the byte level; `\r` before `\n` is dropped.
fn unfold(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut soft_break = false;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = i as u64 + 1;
        let l = raw.strip_suffix(b"\r").unwrap_or(raw);
        match out.last_mut() {
            Some(last) if soft_break && !is_card_boundary(l) => last.1.extend_from_slice(l),
            Some(last) if matches!(l.first(), Some(b' ' | b'\t')) && !soft_break => {
                last.1.extend_from_slice(&l[1..]);
            }
            _ => out.push((number, l.to_vec())),
        }
        soft_break = false;
        if let Some(last) = out.last_mut()
            && last.1.ends_with(b"=")
            && is_quoted_printable(&last.1)
        {
            last.1.pop();
            soft_break = true;
        }
    }
    out
}

fn is_card_boundary(l: &[u8]) -> bool {
    let t = l.trim_ascii();
    t.eq_ignore_ascii_case(b"END:VCARD") || t.eq_ignore_ascii_case(b"BEGIN:VCARD")
}

/// The part of a property line before its value: up to the first `:` outside quotes.
fn head(line: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, b) in line.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The parameters of a property line's head, split at `;` outside quotes (the first item
/// is the name, with its group).
fn split_params(head: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, b) in head.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                parts.push(&head[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&head[start..]);
    parts
}

/// Whether a parameter says QUOTED-PRINTABLE (`ENCODING=QUOTED-PRINTABLE`, `ENCODING=Q` or
/// vCard 2.1's bare `QUOTED-PRINTABLE`).
fn is_qp_param(p: &[u8]) -> bool {
    let p = p.trim_ascii();
    let value = match p.iter().position(|b| *b == b'=') {
        Some(eq) if p[..eq].trim_ascii().eq_ignore_ascii_case(b"ENCODING") => &p[eq + 1..],
        Some(_) => return false,
        None => p,
    };
    let v = value.trim_ascii();
    let v = v.strip_prefix(b"\"").unwrap_or(v);
    let v = v.strip_suffix(b"\"").unwrap_or(v);
    v.eq_ignore_ascii_case(b"QUOTED-PRINTABLE")
        || (p.contains(&b'=') && v.eq_ignore_ascii_case(b"Q"))
}

fn is_quoted_printable(line: &[u8]) -> bool {
    split_params(head(line))
        .iter()
        .skip(1)
        .any(|p| is_qp_param(p))
}

/// The value of a line's `CHARSET` parameter.
fn charset(line: &[u8]) -> Option<String> {
    split_params(head(line)).iter().skip(1).find_map(|p| {
        let eq = p.iter().position(|b| *b == b'=')?;
        if !p[..eq].trim_ascii().eq_ignore_ascii_case(b"CHARSET") {
            return None;
        }
        let v = String::from_utf8_lossy(p[eq + 1..].trim_ascii()).into_owned();
        Some(v.trim_matches('"').to_string())
    })
}

/// The property name of a line, upper case, without its group (`item1.TEL` is `TEL`).
pub(crate) fn property_name(line: &str) -> String {
    let h = head(line.as_bytes());
    let name = split_params(h).first().copied().unwrap_or_default();
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    match name.rsplit_once('.') {
        Some((_, n)) => n.trim().to_string(),
        None => name.trim().to_string(),
    }
}

/// The decoded lines, how the raw bytes were decoded, the file's legacy encoding (asked or
/// guessed; for QUOTED-PRINTABLE values without a CHARSET) and the declared charsets used.
#[allow(clippy::type_complexity)]
fn decode_lines(
    lines: &[(u64, Vec<u8>)],
    raw: &Raw,
) -> Result<
    (
        Vec<String>,
        String,
        Option<&'static Encoding>,
        Vec<&'static str>,
    ),
    DecodeError,
> {
    match raw {
        Raw::Text(describe) => Ok((
            lines
                .iter()
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .collect(),
            describe.clone(),
            None,
            Vec::new(),
        )),
        Raw::Strict(enc, how) => {
            let mut out = Vec::with_capacity(lines.len());
            for (line, b) in lines {
                match enc.decode_without_bom_handling_and_without_replacement(b) {
                    Some(t) => out.push(t.into_owned()),
                    None => {
                        return Err(DecodeError::Invalid {
                            line: *line,
                            encoding: enc.name(),
                        });
                    }
                }
            }
            let legacy = (*enc != UTF_8).then_some(*enc);
            Ok((
                out,
                format!("{} ({})", enc.name(), how.as_str()),
                legacy,
                Vec::new(),
            ))
        }
        Raw::Auto => {
            if lines.iter().all(|(_, b)| std::str::from_utf8(b).is_ok()) {
                let out = lines
                    .iter()
                    .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                    .collect();
                return Ok((
                    out,
                    format!("UTF-8 ({})", How::ValidUtf8.as_str()),
                    None,
                    Vec::new(),
                ));
            }
            decode_mixed(lines)
        }
    }
}

/// A file that is not UTF-8: each line with its own CHARSET, the others with a guess.
#[allow(clippy::type_complexity)]
fn decode_mixed(
    lines: &[(u64, Vec<u8>)],
) -> Result<
    (
        Vec<String>,
        String,
        Option<&'static Encoding>,
        Vec<&'static str>,
    ),
    DecodeError,
> {
    let mut out: Vec<Option<String>> = vec![None; lines.len()];
    let mut tagged: Vec<&'static str> = Vec::new();
    let mut untagged: Vec<usize> = Vec::new();
    for (i, (_, b)) in lines.iter().enumerate() {
        if b.is_ascii() {
            out[i] = Some(String::from_utf8_lossy(b).into_owned());
            continue;
        }
        let declared = charset(b).and_then(|c| decode::encoding_for(&c).ok());
        let text = declared.and_then(|enc| {
            enc.decode_without_bom_handling_and_without_replacement(b)
                .map(|t| (enc, t.into_owned()))
        });
        match text {
            Some((enc, t)) => {
                if !tagged.contains(&enc.name()) {
                    tagged.push(enc.name());
                }
                out[i] = Some(t);
            }
            None => untagged.push(i),
        }
    }
    let mut parts = Vec::new();
    if !tagged.is_empty() {
        parts.push(format!("{} (CHARSET parameters)", tagged.join(", ")));
    }
    let mut legacy = None;
    if !untagged.is_empty() {
        let joined = untagged
            .iter()
            .map(|i| lines[*i].1.as_slice())
            .collect::<Vec<_>>()
            .join(&b'\n');
        // Lines of the joined text are the untagged lines, in order.
        let at = |k: u64| {
            untagged
                .get((k.max(1) - 1) as usize)
                .map_or(1, |i| lines[*i].0)
        };
        let d = decode::decode(&joined, None).map_err(|e| match e {
            DecodeError::Unsure { line, guess } => DecodeError::Unsure {
                line: at(line),
                guess,
            },
            DecodeError::Invalid { line, encoding } => DecodeError::Invalid {
                line: at(line),
                encoding,
            },
            other => other,
        })?;
        for i in &untagged {
            let (t, _) = d.encoding.decode_without_bom_handling(&lines[*i].1);
            out[*i] = Some(t.into_owned());
        }
        if d.encoding != UTF_8 {
            legacy = Some(d.encoding);
        }
        parts.push(d.describe());
    }
    let texts = out.into_iter().map(Option::unwrap_or_default).collect();
    Ok((texts, parts.join(" and "), legacy, tagged))
}

/// A QUOTED-PRINTABLE line written back as plain, escaped UTF-8 text: its value decoded
/// with its CHARSET (see the module documentation), the ENCODING and CHARSET parameters
/// dropped. `;` and `,` between the encoded runs keep separating components, and a `\`
/// escape stays one. Returns the line, the charsets used for bytes outside ASCII, and a
/// warning when bytes had to be replaced.
fn requote(
    line: &str,
    legacy: Option<&'static Encoding>,
) -> (String, Vec<&'static Encoding>, Option<String>) {
    let h = head(line.as_bytes()).len();
    let (head_part, value) = (&line[..h], line.get(h + 1..).unwrap_or(""));
    let params = split_params(head_part.as_bytes());
    let mut declared: Option<String> = None;
    let mut kept: Vec<&[u8]> = Vec::new();
    for (i, p) in params.iter().enumerate() {
        if i == 0 {
            kept.push(*p);
            continue;
        }
        if is_qp_param(p) {
            continue;
        }
        if let Some(eq) = p.iter().position(|b| *b == b'=')
            && p[..eq].trim_ascii().eq_ignore_ascii_case(b"CHARSET")
        {
            let v = String::from_utf8_lossy(p[eq + 1..].trim_ascii()).into_owned();
            declared = Some(v.trim_matches('"').to_string());
            continue;
        }
        kept.push(*p);
    }
    let mut warning = None;
    let declared_enc = match declared.as_deref() {
        Some(name) => match decode::encoding_for(name) {
            Ok(e) => Some(e),
            Err(_) => {
                warning = Some(format!(
                    "CHARSET `{name}` is not an encoding we know; read as UTF-8 or windows-1252"
                ));
                None
            }
        },
        None => None,
    };
    let mut used: Vec<&'static Encoding> = Vec::new();
    let mut out = String::with_capacity(value.len());
    let mut run: Vec<u8> = Vec::new();
    let mut flush = |run: &mut Vec<u8>, out: &mut String| {
        if run.is_empty() {
            return;
        }
        let (text, enc, lossy) = decode_run(run, declared_enc, legacy);
        if !run.is_ascii() && !used.contains(&enc) {
            used.push(enc);
        }
        if lossy && warning.is_none() {
            warning = Some(format!(
                "bytes that are not {} were replaced by \u{fffd}",
                enc.name()
            ));
        }
        escape_into(&text, out);
        run.clear();
    };
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(h), Some(l)) => {
                    run.push((h << 4) | l);
                    i += 3;
                }
                _ => {
                    run.push(b'=');
                    i += 1;
                }
            },
            // A `\` right after the lead byte of a double-byte character is its trail byte
            // (Shift_JIS `ソ` is 83 5C), which quoted-printable leaves as it is.
            b'\\' if declared_enc.is_some_and(|e| ends_in_lead(&run, e)) => {
                run.push(b'\\');
                i += 1;
            }
            b'\\' => {
                flush(&mut run, &mut out);
                out.push('\\');
                let next = value.get(i + 1..).and_then(|r| r.chars().next());
                if let Some(c) = next {
                    out.push(c);
                    i += c.len_utf8();
                }
                i += 1;
            }
            b @ (b';' | b',') => {
                flush(&mut run, &mut out);
                out.push(char::from(b));
                i += 1;
            }
            b => {
                run.push(b);
                i += 1;
            }
        }
    }
    flush(&mut run, &mut out);
    let head_text = kept
        .iter()
        .map(|p| String::from_utf8_lossy(p))
        .collect::<Vec<_>>()
        .join(";");
    (format!("{head_text}:{out}"), used, warning)
}

/// Whether `run` ends with the lead byte of a double-byte character in `enc` (Shift_JIS,
/// GBK/GB18030, Big5), so that the next byte belongs to it.
fn ends_in_lead(run: &[u8], enc: &'static Encoding) -> bool {
    use encoding_rs::{BIG5, GB18030, GBK, SHIFT_JIS};
    let is_lead = |b: u8| {
        if enc == SHIFT_JIS {
            matches!(b, 0x81..=0x9F | 0xE0..=0xFC)
        } else if enc == GBK || enc == GB18030 || enc == BIG5 {
            matches!(b, 0x81..=0xFE)
        } else {
            false
        }
    };
    let mut i = 0;
    while i < run.len() {
        if is_lead(run[i]) {
            // GB18030's four-byte sequences have a digit second.
            let four = enc == GB18030 && run.get(i + 1).is_some_and(u8::is_ascii_digit);
            let len = if four { 4 } else { 2 };
            if i + len > run.len() {
                return true;
            }
            i += len;
        } else {
            i += 1;
        }
    }
    false
}

fn hex(b: Option<&u8>) -> Option<u8> {
    let c = char::from(*b?);
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Decoded bytes of a QUOTED-PRINTABLE run, the encoding used, and whether bytes were
/// replaced.
fn decode_run(
    run: &[u8],
    declared: Option<&'static Encoding>,
    legacy: Option<&'static Encoding>,
) -> (String, &'static Encoding, bool) {
    if let Some(enc) = declared
        && let Some(t) = enc.decode_without_bom_handling_and_without_replacement(run)
    {
        return (t.into_owned(), enc, false);
    }
    if let Ok(t) = std::str::from_utf8(run) {
        return (t.to_string(), UTF_8, false);
    }
    let enc = declared.or(legacy).unwrap_or(WINDOWS_1252);
    let (t, had_errors) = enc.decode_without_bom_handling(run);
    (t.into_owned(), enc, had_errors)
}

/// Text as a vCard value: `\`, `;` and `,` escaped, line breaks as `\n`.
fn escape_into(text: &str, out: &mut String) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(p: &Prepared) -> Vec<(u64, &str)> {
        p.lines.iter().map(|l| (l.line, l.text.as_str())).collect()
    }

    #[test]
    fn folds_and_soft_breaks_are_joined_before_decoding() {
        // 张 is E5 BC A0 in UTF-8: the fold splits it after two bytes.
        let mut bytes = b"BEGIN:VCARD\r\nFN:\xE5\xBC\r\n \xA0\xE4\xBC\x9F\r\n".to_vec();
        bytes.extend_from_slice(b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=\r\n");
        bytes.extend_from_slice(b"=A0, a=3Bb=0D=0Ac\r\nEND:VCARD\r\n");
        let p = prepare(&bytes, None).unwrap();
        assert_eq!(
            texts(&p),
            [
                (1, "BEGIN:VCARD"),
                (2, "FN:张伟"),
                (4, "NOTE:张, a\\;b\\nc"),
                (6, "END:VCARD"),
                (7, "")
            ]
        );
        assert_eq!(p.decoded_as, "UTF-8 (valid UTF-8)");
    }

    #[test]
    fn lines_are_decoded_with_their_own_charset() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("山田太郎");
        let (cp1252, _, _) = WINDOWS_1252.encode("Müller");
        let mut bytes = b"BEGIN:VCARD\nFN;CHARSET=SHIFT_JIS:".to_vec();
        bytes.extend_from_slice(&sjis);
        bytes.extend_from_slice(b"\nORG;CHARSET=windows-1252:");
        bytes.extend_from_slice(&cp1252);
        bytes.extend_from_slice(b"\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=SHIFT_JIS:");
        for b in sjis.iter() {
            bytes.extend_from_slice(format!("={b:02X}").as_bytes());
        }
        bytes.extend_from_slice(b"\nEND:VCARD\n");
        let p = prepare(&bytes, None).unwrap();
        assert_eq!(p.lines[1].text, "FN;CHARSET=SHIFT_JIS:山田太郎");
        assert_eq!(p.lines[2].text, "ORG;CHARSET=windows-1252:Müller");
        assert_eq!(p.lines[3].text, "NOTE:山田太郎");
        assert_eq!(p.decoded_as, "Shift_JIS, windows-1252 (CHARSET parameters)");
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn a_backslash_after_a_lead_byte_is_a_trail_byte() {
        // ソ表 in Shift_JIS is 83 5C 95 5C: quoted-printable leaves the 5C bytes as `\`; a
        // `\` after a whole character is still an escape.
        let p = prepare(
            b"ORG;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=83\\=95\\;a\\;b\n",
            None,
        )
        .unwrap();
        assert_eq!(p.lines[0].text, "ORG:ソ表;a\\;b");
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn quoted_printable_without_a_charset_and_bad_bytes() {
        let p = prepare(
            b"N;QUOTED-PRINTABLE:M=FCller;J=C3=BCrgen\nNOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:a=FFb\n",
            None,
        )
        .unwrap();
        assert_eq!(p.lines[0].text, "N:Müller;Jürgen");
        assert_eq!(p.lines[1].text, "NOTE:a\u{fffd}b");
        assert_eq!(
            p.warnings,
            [(
                2,
                "NOTE".to_string(),
                "bytes that are not UTF-8 were replaced by \u{fffd}".to_string()
            )]
        );
        assert_eq!(
            p.decoded_as,
            "UTF-8 (valid UTF-8), values in windows-1252 (CHARSET parameters)"
        );
    }

    #[test]
    fn untagged_lines_are_guessed_and_asked_encodings_are_strict() {
        let (cp1252, _, _) = WINDOWS_1252.encode("FN:José Müller\nNOTE:Bäckerei in Köln\n");
        let p = prepare(&cp1252, None).unwrap();
        assert_eq!(p.lines[0].text, "FN:José Müller");
        assert_eq!(p.decoded_as, "windows-1252 (guessed)");
        assert!(matches!(
            prepare(b"FN:a\nFN:\xff\xfe\n", Some("utf-8")),
            Err(DecodeError::Invalid { line: 2, .. })
        ));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("FN:張三\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let p = prepare(&utf16, None).unwrap();
        assert_eq!(p.lines[0].text, "FN:張三");
        assert_eq!(p.decoded_as, "UTF-16LE (byte order mark)");
    }

    #[test]
    fn property_names_lose_their_group() {
        assert_eq!(property_name("item1.TEL;type=CELL:+1"), "TEL");
        assert_eq!(property_name("email;type=\"a:b\":x@y"), "EMAIL");
    }
}
