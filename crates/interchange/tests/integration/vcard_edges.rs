//! The vCard reader's edges: which birthday texts are dates, errors or just not a birthday;
//! which line a broken card is reported at, when cards are cut short in the middle of a file;
//! and which cards are organisations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::read_vcf;
use chrono::NaiveDate;

fn card(body: &str) -> String {
    format!("BEGIN:VCARD\nVERSION:3.0\nFN:Ana Lima\n{body}END:VCARD\n")
}

/// The birthday of a one-card file, or the warning its BDAY gave: a BDAY that is no full
/// date never refuses the card; its text is kept in `other` as `birthday`, with a warning on
/// the BDAY line.
fn read_birthday(text: &str, bday_line: u64) -> Result<Option<NaiveDate>, (String, String)> {
    let (people, bad) = read_vcf(text.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let p = &people[0];
    match p.warnings.as_slice() {
        [] => {
            assert!(p.other.is_empty(), "{:?}", p.other);
            Ok(p.birthday)
        }
        [w] => {
            assert_eq!((w.line, w.column.as_str()), (bday_line, "BDAY"));
            assert_eq!(p.birthday, None);
            let [(label, kept)] = p.other.as_slice() else {
                panic!("one value kept: {:?}", p.other)
            };
            assert_eq!(label, "birthday");
            let reason = w
                .reason
                .strip_suffix("; kept as \"birthday\" in the notes")
                .unwrap_or(&w.reason);
            Err((kept.clone(), reason.to_string()))
        }
        other => panic!("at most one warning, not {other:?}"),
    }
}

fn birthday(bday: &str) -> Result<Option<NaiveDate>, (String, String)> {
    read_birthday(&card(&format!("BDAY:{bday}\n")), 4)
}

/// A vCard 4 BDAY given as text (`VALUE=text`), which calcard does not parse itself.
fn text_birthday(bday: &str) -> Result<Option<NaiveDate>, (String, String)> {
    read_birthday(
        &format!("BEGIN:VCARD\nVERSION:4.0\nFN:Ana Lima\nBDAY;VALUE=text:{bday}\nEND:VCARD\n"),
        4,
    )
}

fn kept(text: &str, reason: &str) -> Result<Option<NaiveDate>, (String, String)> {
    Err((text.to_string(), reason.to_string()))
}

#[test]
fn a_birthday_given_as_text_is_a_date_or_kept_with_a_warning() {
    let d = |y, m, day| Ok(Some(NaiveDate::from_ymd_opt(y, m, day).unwrap()));
    assert_eq!(text_birthday("1985-04-15"), d(1985, 4, 15));
    assert_eq!(text_birthday("19850415"), d(1985, 4, 15));
    for t in [
        "20261340",
        "1985+0415",
        "123-4567",
        "x12345678",
        "circa 1800",
    ] {
        assert_eq!(
            text_birthday(t),
            kept(t, &format!("`{t}` is not a date (YYYY-MM-DD or YYYYMMDD)"))
        );
    }
    assert_eq!(
        text_birthday("0000-01-01"),
        kept(
            "0000-01-01",
            "birthday: `0000-01-01` is out of range (the year must be 1000 to 9999)"
        )
    );
}

#[test]
fn birthdays_are_dates_or_kept_with_a_warning() {
    let d = |y, m, day| Ok(Some(NaiveDate::from_ymd_opt(y, m, day).unwrap()));
    assert_eq!(birthday("1985-04-15"), d(1985, 4, 15));
    assert_eq!(birthday("19850415"), d(1985, 4, 15));
    // Eight digits that are no date, parsed by calcard as one.
    assert_eq!(
        birthday("20261340"),
        kept("2026-13-40", "`2026-13-40` is not a date")
    );
    assert_eq!(
        birthday("2026-13-40"),
        kept("2026-13-40", "`2026-13-40` is not a date")
    );
    // No year: a valid vCard value our field cannot hold.
    assert_eq!(
        birthday("--0415"),
        kept("--04-15", "a birthday without a year")
    );
    for t in ["born 19850415", "spring"] {
        assert_eq!(
            birthday(t),
            kept(t, &format!("`{t}` is not a date (YYYY-MM-DD or YYYYMMDD)"))
        );
    }
}

#[test]
fn a_card_cut_short_in_the_middle_is_reported_at_its_begin_line() {
    // Card 1 (line 1) is whole, card 2 (line 5) has no END before card 3 (line 8), which is
    // whole: only card 2 is refused, at line 5, and the others are read with their lines.
    let text = "BEGIN:VCARD\nVERSION:3.0\nFN:First\nEND:VCARD\n\
                BEGIN:VCARD\nVERSION:3.0\nFN:Second\n\
                BEGIN:VCARD\nVERSION:3.0\nFN:Third\nEND:VCARD\n";
    let (people, bad) = read_vcf(text.as_bytes()).unwrap();
    let names: Vec<(&str, u64)> = people.iter().map(|p| (p.name.as_str(), p.line)).collect();
    assert_eq!(names, [("First", 1), ("Third", 8)]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].line, bad[0].column.as_str()), (5, "END:VCARD"));
}

#[test]
fn the_last_card_without_an_end_is_reported_once_and_the_rest_is_read() {
    let text = "BEGIN:VCARD\nVERSION:3.0\nFN:First\nEND:VCARD\n\
                BEGIN:VCARD\nVERSION:3.0\nFN:Second\nEND:VCARD\n\
                BEGIN:VCARD\nVERSION:3.0\nFN:Third\n";
    let (people, bad) = read_vcf(text.as_bytes()).unwrap();
    let lines: Vec<u64> = people.iter().map(|p| p.line).collect();
    assert_eq!(lines, [1, 5]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].line, bad[0].column.as_str()), (9, "END:VCARD"));
}

#[test]
fn organisation_cards_are_told_from_people() {
    let read = |body: &str| {
        let text = format!("BEGIN:VCARD\nVERSION:3.0\nFN:Lima Imports\n{body}END:VCARD\n");
        let (people, bad) = read_vcf(text.as_bytes()).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        let p = people.into_iter().next().unwrap();
        (p.name, p.organization)
    };
    // Apple's marker for a company card: the card is the organisation, not a person in it.
    assert_eq!(
        read("X-ABShowAs:COMPANY\n"),
        (String::new(), "Lima Imports".to_string())
    );
    // The same property with another value, or another property with that value: a person.
    assert_eq!(
        read("X-ABShowAs:PERSON\n"),
        ("Lima Imports".to_string(), String::new())
    );
    assert_eq!(
        read("X-OTHER:COMPANY\n"),
        ("Lima Imports".to_string(), String::new())
    );
    // vCard 4's KIND:org is an organisation too.
    let text = "BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:Lima Imports\nEND:VCARD\n";
    let (people, _) = read_vcf(text.as_bytes()).unwrap();
    assert_eq!(people[0].organization, "Lima Imports");
    assert!(people[0].name.is_empty());
}

#[test]
fn an_end_right_after_its_begin_still_closes_the_card() {
    // Card 1 is empty (END on the line after BEGIN), card 2 has only FN (END two lines after
    // BEGIN): both are complete. The empty one is refused for having no name, not for a
    // missing END; the other is read.
    let text = "BEGIN:VCARD\nEND:VCARD\nBEGIN:VCARD\nFN:Ana Lima\nEND:VCARD\n";
    let (people, bad) = read_vcf(text.as_bytes()).unwrap();
    let names: Vec<(&str, u64)> = people.iter().map(|p| (p.name.as_str(), p.line)).collect();
    assert_eq!(names, [("Ana Lima", 3)]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].line, bad[0].column.as_str()), (1, "FN"));
}

#[test]
fn what_follows_a_cards_end_is_reported_at_its_begin_line() {
    let read = |tail: &str| {
        let text = format!("VERSION:3.0\nBEGIN:VCARD\nVERSION:3.0\nFN:Ana Lima\nEND:VCARD\n{tail}");
        let (people, bad) = read_vcf(text.as_bytes()).unwrap();
        let names: Vec<(String, u64)> = people.into_iter().map(|p| (p.name, p.line)).collect();
        assert_eq!(
            names,
            [("Ana Lima".to_string(), 2)],
            "the card itself is read"
        );
        let bad: Vec<(u64, String, String)> = bad
            .into_iter()
            .map(|e| (e.line, e.column, e.reason))
            .collect();
        bad
    };
    assert_eq!(read(""), []);
    assert_eq!(
        read("garbage here\n"),
        [(
            2,
            "line".to_string(),
            "`garbage here` is not a vCard line".to_string()
        )]
    );
    assert_eq!(
        read("BEGIN:VEVENT\nEND:VEVENT\n"),
        [(2, "BEGIN".to_string(), "not a vCard component".to_string())]
    );
}

#[test]
fn a_folded_end_line_does_not_end_the_card() {
    // ` END:VCARD` (a leading space) continues the FN line: that card has no end of its own
    // and is refused at its BEGIN line, rather than read with "END:VCARD" in its name; the
    // card after it is read.
    let text = "BEGIN:VCARD\nVERSION:3.0\nFN:Ana Lima\n END:VCARD\n\
                BEGIN:VCARD\nVERSION:3.0\nFN:Bo Chen\nEND:VCARD\r\n";
    let (people, bad) = read_vcf(text.as_bytes()).unwrap();
    let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Bo Chen"]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!((bad[0].line, bad[0].column.as_str()), (1, "END:VCARD"));
}

#[test]
fn calcard_alone_does_not_decode_legacy_charsets_in_quoted_printable() {
    // Why `vcard_lines` decodes QUOTED-PRINTABLE itself: calcard decodes QP, and its
    // CHARSET with mail-parser, which without its `full_encoding` feature turns Shift_JIS
    // (山田 = 8E 52 93 63) into replacement characters. Latin-1 it does decode.
    let text = "BEGIN:VCARD\nVERSION:2.1\nFN;CHARSET=SHIFT_JIS;ENCODING=QUOTED-PRINTABLE:=8ER=93c\n\
                NOTE;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller\nEND:VCARD\n";
    let mut parser = calcard::Parser::new(text);
    let calcard::Entry::VCard(v) = parser.entry() else {
        panic!("a card")
    };
    let value = |p: &calcard::vcard::VCardProperty| {
        v.property(p)
            .and_then(|e| e.values.first())
            .and_then(|x| x.as_text())
            .unwrap_or_default()
            .to_string()
    };
    assert_ne!(value(&calcard::vcard::VCardProperty::Fn), "山田");
    assert!(value(&calcard::vcard::VCardProperty::Fn).contains('\u{fffd}'));
    assert_eq!(value(&calcard::vcard::VCardProperty::Note), "Müller");
    // Read by us, both are right.
    let (people, _) = read_vcf(text.as_bytes()).unwrap();
    assert_eq!(
        (people[0].name.as_str(), people[0].notes.as_str()),
        ("山田", "Müller")
    );
}

#[test]
fn undecodable_values_and_unguessable_lines_say_where() {
    // A QP value whose bytes are not its CHARSET: read with replacement characters and a
    // warning on its line; an unknown CHARSET name: the bytes read as UTF-8 if they are.
    let text = "BEGIN:VCARD\nFN:Ana Lima\nNOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:caf=E9\n\
                TITLE;CHARSET=klingon;ENCODING=QUOTED-PRINTABLE:Chef=C3=A9\nEND:VCARD\n";
    let (people, bad) = read_vcf(text.as_bytes()).unwrap();
    assert!(bad.is_empty());
    let ana = &people[0];
    assert_eq!(
        (ana.notes.as_str(), ana.title.as_str()),
        ("caf\u{fffd}", "Chefé")
    );
    let w: Vec<(u64, &str, &str)> = ana
        .warnings
        .iter()
        .map(|w| (w.line, w.column.as_str(), w.reason.as_str()))
        .collect();
    assert_eq!(
        w,
        [
            (
                3,
                "NOTE",
                "bytes that are not UTF-8 were replaced by \u{fffd}"
            ),
            (
                4,
                "TITLE",
                "CHARSET `klingon` is not an encoding we know; read as UTF-8 or windows-1252"
            )
        ]
    );
    // Bytes no encoding reads as text, on an untagged line: an error naming that line.
    let mut bytes = b"BEGIN:VCARD\nFN:Ana\nNOTE:".to_vec();
    bytes.extend((0..200u32).map(|i| [0x81u8, 0x00, 0xff, 0x9f, 0x01][(i % 5) as usize]));
    bytes.extend_from_slice(b"\nEND:VCARD\n");
    match rapport_interchange::read_vcards(&bytes, None) {
        Err(rapport_interchange::ReadError::Decode(e)) => {
            assert!(e.to_string().starts_with("line 3:"), "{e}");
            assert!(e.to_string().contains("--encoding"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn utf16_vcards_are_detected_and_read() {
    let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ng\r\nTEL:+65 6123 4567 x9\r\nEND:VCARD\r\n";
    for bom in [true, false] {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            rapport_interchange::detect(&bytes),
            rapport_interchange::FileKind::VCard
        );
        let r = rapport_interchange::read_vcards(&bytes, None).unwrap();
        assert_eq!(r.people[0].name, "Zoë Ng");
        assert_eq!(r.people[0].phones, ["+65 6123 4567 ext. 9"]);
        assert_eq!(
            r.decoded_as,
            if bom {
                "UTF-16LE (byte order mark)"
            } else {
                "UTF-16LE (UTF-16 without a byte order mark)"
            }
        );
    }
}
