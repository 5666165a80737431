//! The contact fixtures in `tests/data/` (Google and Outlook CSV exports, vCard 3.0 and 4.0)
//! read and imported, duplicates merged, bad rows named by line and column.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::{read_csv, read_orders, read_vcf};
use std::path::PathBuf;

use rapport_interchange::{Action, Existing, Language, Layout, ReadError, plan};
use rapport_store::{OpenOptions, Store};

/// A `(label, value)` of `Person::other`.
type Pair = (String, String);

/// Warnings as (line, column).
type Lines<'a> = Vec<(u64, &'a str)>;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Imports `bytes` into `store` as the CLI does; returns the plan's actions.
fn import(store: &Store, bytes: &[u8]) -> Vec<Action> {
    let (_, people, bad) = read_csv(bytes).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let ids = Existing::candidates(&store.summaries().unwrap(), &people);
    let customers = ids.iter().map(|id| store.customer(*id).unwrap()).collect();
    let p = plan(&people, Existing { customers }, chrono::Utc::now());
    store.write_batch(p.creates, p.merges).unwrap();
    p.actions
}

fn contacts_of(store: &Store, name: &str) -> Vec<(String, String, Vec<String>, Vec<String>)> {
    let id = store.resolve(name).unwrap();
    store
        .customer(id)
        .unwrap()
        .contacts
        .values()
        .map(|c| {
            (
                c.name.clone(),
                c.title.clone(),
                c.emails.clone(),
                c.phones.clone(),
            )
        })
        .collect()
}

#[test]
fn google_fixture_reads_every_person_with_names_intact() {
    let (layout, people, bad) = read_csv(&fixture("google-contacts.csv")).unwrap();
    assert_eq!(layout, Layout::Google);
    assert!(bad.is_empty(), "{bad:?}");
    let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["张伟", "Maria José García", "Tom O'Neil", "", "山田花子"]
    );
    let zhang = &people[0];
    assert_eq!(zhang.line, 2);
    assert_eq!(zhang.organization, "华创商务有限公司");
    assert_eq!(zhang.title, "采购经理");
    assert_eq!(zhang.emails, ["zhang.wei@huachuang.example"]);
    assert_eq!(zhang.phones, ["+86 138 0013 8000", "028-8512 3456"]);
    assert_eq!(zhang.notes, "Met at the Chengdu fair.\nPrefers WeChat.");
    assert!(zhang.address.starts_with("建设南路160号\n成都市"));
    assert_eq!(zhang.labels, ["Customers"], "system labels are dropped");
    assert_eq!(zhang.birthday, chrono::NaiveDate::from_ymd_opt(1985, 3, 12));
    // Multi-line quoted cells do not shift later line numbers.
    assert_eq!(people[1].line, 6);
    assert_eq!(
        people[1].birthday, None,
        "a birthday without a year is dropped"
    );
    assert_eq!(people[2].organization, "Acme, Inc.");
    assert_eq!(people[2].notes, "Quoted \"notes\", with a comma");
    assert_eq!(people[2].labels, ["Customers", "Prospects"]);
    assert_eq!(people[3].organization, "Northwind Traders");
    let yamada = &people[4];
    assert_eq!(yamada.organization, "株式会社ヤマダ商事");
    assert_eq!(yamada.title, "営業部長");
    assert_eq!(yamada.labels, ["Customers", "関西"]);
    assert_eq!(yamada.phones, ["+81 6-6123-4567"]);
    assert!(yamada.address.contains("大阪市北区"), "{}", yamada.address);
    assert_eq!(
        yamada.birthday,
        chrono::NaiveDate::from_ymd_opt(1979, 11, 3)
    );
}

#[test]
fn outlook_fixture_with_a_bom_reads_every_person() {
    let bytes = fixture("outlook-contacts.csv");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "the fixture has a BOM");
    let (layout, people, bad) = read_csv(&bytes).unwrap();
    assert_eq!(layout, Layout::Outlook(Language::English));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(people.len(), 3);
    assert_eq!(people[0].name, "Anna Schmidt");
    assert_eq!(people[0].organization, "Brauhaus Schmidt GmbH");
    assert_eq!(people[0].title, "Geschäftsführerin");
    assert!(people[0].address.contains("München"));
    assert_eq!(people[0].labels, ["Customers", "VIP"]);
    assert_eq!(people[1].name, "李娜");
    assert_eq!(people[1].organization, "上海贸易公司");
    assert_eq!(people[1].notes, "长期客户");
    let lucia = &people[2];
    assert_eq!(lucia.name, "Lucía Fernández Ruiz");
    assert_eq!(lucia.organization, "Aceites del Sur S.A.");
    assert_eq!(
        lucia.notes,
        "Distribuidora para Andalucía; pide presupuesto en euros."
    );
    assert!(lucia.address.contains("Sevilla"), "{}", lucia.address);
    assert_eq!(lucia.labels, ["Customers", "Andalucía"]);
}

#[test]
fn import_creates_companies_with_contacts_and_a_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    let first = import(&store, &fixture("google-contacts.csv"));
    assert_eq!(first.len(), 5);
    assert!(first.iter().all(|a| matches!(a, Action::Create { .. })));
    assert_eq!(
        contacts_of(&store, "华创商务有限公司"),
        [(
            "张伟".to_string(),
            "采购经理".to_string(),
            vec!["zhang.wei@huachuang.example".to_string()],
            vec!["+8613800138000".to_string(), "028-8512 3456".to_string()]
        )]
    );
    // The organisation-only row describes the company itself.
    let northwind = store
        .customer(store.resolve("Northwind Traders").unwrap())
        .unwrap();
    assert!(northwind.contacts.is_empty());
    assert_eq!(northwind.emails, ["orders@northwind.example"]);
    assert_eq!(store.count().unwrap(), 5);

    let again = import(&store, &fixture("google-contacts.csv"));
    assert!(
        again.iter().all(|a| matches!(a, Action::Unchanged { .. })),
        "{again:?}"
    );
    assert_eq!(store.count().unwrap(), 5);

    // Outlook adds three more companies; the same person with a new phone is merged.
    import(&store, &fixture("outlook-contacts.csv"));
    assert_eq!(store.count().unwrap(), 8);
    let text = String::from_utf8(fixture("google-contacts.csv")).unwrap();
    let changed = text.replacen("028-8512 3456", "028-8512 9999", 1);
    let merged = import(&store, changed.as_bytes());
    let adds: Vec<&Action> = merged
        .iter()
        .filter(|a| matches!(a, Action::Merge { .. }))
        .collect();
    assert_eq!(adds.len(), 1, "{merged:?}");
    assert_eq!(store.count().unwrap(), 8);
    let zhang = &contacts_of(&store, "华创商务有限公司")[0];
    assert_eq!(
        zhang.3.len(),
        3,
        "the new phone is added, none lost: {zhang:?}"
    );
}

#[test]
fn bad_rows_and_bad_files_say_where() {
    let csv = "First Name,Last Name,E-mail 1 - Value,Phone 1 - Value\n\
               Anna,Jansen,anna@example.com,+31 20 1234567\n\
               Bad,Email,not-an-email,\n\
               Bad,Phone,,call me maybe\n";
    // A value that is not an email or a phone does not drop the person: it is kept in
    // `other`, with a warning naming the line and the column.
    let (_, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let kept: Vec<(&str, &[Pair], Lines)> = people
        .iter()
        .map(|p| {
            let w = p
                .warnings
                .iter()
                .map(|w| (w.line, w.column.as_str()))
                .collect();
            (p.name.as_str(), p.other.as_slice(), w)
        })
        .collect();
    let pair = |l: &str, v: &str| vec![(l.to_string(), v.to_string())];
    assert_eq!(
        kept,
        [
            ("Anna Jansen", &[][..], vec![]),
            (
                "Bad Email",
                &pair("email", "not-an-email")[..],
                vec![(3, "E-mail 1 - Value")]
            ),
            (
                "Bad Phone",
                &pair("phone", "call me maybe")[..],
                vec![(4, "Phone 1 - Value")]
            ),
        ]
    );
    assert_eq!(
        people[1].warnings[0].reason,
        "email: `not-an-email` is not a valid email address; kept as \"email\" in the notes"
    );
    // Nothing to identify a row: that row is refused.
    let (_, people, bad) = read_csv(b"First Name,E-mail 1 - Value,Notes\n,,just a note\n").unwrap();
    assert!(people.is_empty());
    assert_eq!((bad[0].line, bad[0].column.as_str()), (2, "First Name"));
    assert!(matches!(read_csv(b""), Err(ReadError::Empty)));
    assert!(matches!(
        read_csv(b"Name,Foo\nx,y\n"),
        Err(ReadError::UnknownLayout(_))
    ));
    // Not UTF-8: decoded with the guess, not refused.
    let mut latin1 = b"First Name,E-mail 1 - Value\n".to_vec();
    latin1.extend_from_slice(b"J\xfcrgen M\xfcller,j@example.com\n");
    let read = rapport_interchange::read_contacts_csv(&latin1, None).unwrap();
    assert_eq!(read.people[0].name, "J\u{fc}rgen M\u{fc}ller");
    assert_eq!(read.decoded_as, "windows-1252 (guessed)");
    // Asked for UTF-8, the same bytes are an error naming the line.
    assert!(matches!(
        rapport_interchange::read_contacts_csv(&latin1, Some("utf-8")),
        Err(ReadError::Decode(
            rapport_interchange::DecodeError::Invalid { line: 2, .. }
        ))
    ));
    assert!(read_csv(&[0u8, 159, 146, 150, 0, 1, 2]).is_err());
}

#[test]
fn vcard_3_and_4_fixtures_read_every_card() {
    let (people, bad) = read_vcf(&fixture("contacts-v3.vcf")).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(people.len(), 4);
    let zhang = &people[0];
    assert_eq!((zhang.line, zhang.name.as_str()), (1, "张伟"));
    assert_eq!(zhang.organization, "华创商务有限公司");
    assert_eq!(zhang.title, "采购经理");
    assert_eq!(zhang.phones, ["+86 138 0013 8000", "028-8512 3456"]);
    assert_eq!(
        zhang.notes,
        "Met at the Chengdu fair. This note is long enough that the exporter folded it onto a \
         second line, and it has an escaped comma and a newline\nhere."
    );
    assert_eq!(zhang.labels, ["Customers", "Sichuan"]);
    // QUOTED-PRINTABLE with CHARSET=UTF-8.
    let juergen = &people[1];
    assert_eq!(juergen.name, "Jürgen Müller");
    assert_eq!(juergen.organization, "Müller & Söhne KG");
    assert_eq!(
        juergen.birthday,
        chrono::NaiveDate::from_ymd_opt(1970, 1, 31)
    );
    let carmen = &people[2];
    assert_eq!(carmen.line, 24, "CRLF lines counted once");
    assert_eq!(carmen.name, "Carmen Núñez Ibáñez");
    assert_eq!(carmen.organization, "Bodegas Peñalba S.L.");
    assert!(carmen.address.contains("Logroño"), "{}", carmen.address);
    let sato = &people[3];
    assert_eq!(sato.name, "佐藤健");
    assert_eq!(sato.organization, "株式会社サトウ精機");
    assert_eq!(sato.emails, ["k.sato@sato-seiki.example"]);
    assert_eq!(sato.notes, "見積もりは月末までに送付。");

    let (people, bad) = read_vcf(&fixture("contacts-v4.vcf")).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(people[0].name, "Aiko Tanaka");
    assert_eq!(
        people[0].emails,
        ["aiko@sakura.example", "aiko.t@mail.example"]
    );
    assert_eq!(people[0].phones, ["+81-90-1234-5678"], "tel: URIs are read");
    assert!(people[0].address.contains("Ginza"));
    // KIND:org describes the organisation itself.
    assert_eq!(people[1].name, "");
    assert_eq!(people[1].organization, "Northwind Traders");
    assert_eq!(people.len(), 5);
    assert_eq!(people[2].name, "王芳");
    assert_eq!(people[2].organization, "深圳市星河电子有限公司");
    assert_eq!(people[2].phones, ["+86-135-0000-1234"]);
    assert_eq!(people[2].labels, ["Customers", "华南"]);
    assert_eq!(people[3].name, "Björn Weißmann");
    assert_eq!(
        people[3].birthday,
        chrono::NaiveDate::from_ymd_opt(1975, 8, 22),
        "a basic-format BDAY"
    );
    assert_eq!(people[4].name, "José Luis Peña Ortega");
    assert_eq!(
        people[4].notes,
        "Llamar por la mañana, habla también inglés."
    );
}

#[test]
fn the_same_person_from_a_vcard_and_a_csv_is_one_contact() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    let (people, _) = read_vcf(&fixture("contacts-v3.vcf")).unwrap();
    let p = plan(&people, Existing::default(), chrono::Utc::now());
    store.write_batch(p.creates, p.merges).unwrap();
    import(&store, &fixture("google-contacts.csv"));
    let contacts = contacts_of(&store, "华创商务有限公司");
    assert_eq!(contacts.len(), 1, "merged by email: {contacts:?}");
    let (people, _) = read_vcf(&fixture("contacts-v4.vcf")).unwrap();
    let ids = Existing::candidates(&store.summaries().unwrap(), &people);
    let customers = ids.iter().map(|id| store.customer(*id).unwrap()).collect();
    let p = plan(&people, Existing { customers }, chrono::Utc::now());
    // Northwind (a CSV company row and a vCard KIND:org) is the same customer.
    assert!(
        p.actions.iter().any(|a| matches!(a, Action::Merge { name, .. } | Action::Unchanged { name, .. } if name == "Northwind Traders")),
        "{:?}",
        p.actions
    );
}

#[test]
fn broken_vcards_say_where() {
    let missing_end = "BEGIN:VCARD\nVERSION:3.0\nFN:Ok Person\nEMAIL:ok@example.com\nEND:VCARD\n\
                       BEGIN:VCARD\nVERSION:3.0\nFN:Never Ends\n";
    let (people, bad) = read_vcf(missing_end.as_bytes()).unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(bad.len(), 1);
    assert_eq!((bad[0].line, bad[0].column.as_str()), (6, "END:VCARD"));
    let bad_email = "BEGIN:VCARD\nVERSION:3.0\nFN:X\nEMAIL:nope\nEND:VCARD\n";
    let (people, bad) = read_vcf(bad_email.as_bytes()).unwrap();
    assert!(bad.is_empty());
    assert_eq!(people[0].other, [("email".to_string(), "nope".to_string())]);
    let w = &people[0].warnings[0];
    assert_eq!(
        (w.line, w.column.as_str()),
        (4, "EMAIL"),
        "the property's own line"
    );
    let nothing = "BEGIN:VCARD\nVERSION:3.0\nEMAIL:nope\nEND:VCARD\n";
    let (people, bad) = read_vcf(nothing.as_bytes()).unwrap();
    assert!(people.is_empty());
    assert_eq!((bad[0].line, bad[0].column.as_str()), (1, "FN"));
    assert!(matches!(
        rapport_interchange::read_vcards(b"BEGIN:VCARD\nFN:J\xfcrgen\nEND:VCARD\n", Some("utf-8")),
        Err(ReadError::Decode(
            rapport_interchange::DecodeError::Invalid { line: 2, .. }
        ))
    ));
    assert!(read_vcf(b"hello").is_err());
    assert!(matches!(read_vcf(b" \n"), Err(ReadError::Empty)));
}

#[test]
fn a_huge_field_is_left_out_with_a_warning_and_a_large_file_reads_fully() {
    let big = "x".repeat(rapport_model::MAX_FIELD_BYTES + 1);
    let csv = format!(
        "First Name,Notes,E-mail 1 - Value\nOk,fine,ok@example.com\nHuge,{big},h@example.com\n"
    );
    let (_, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty());
    assert_eq!(
        (people[1].name.as_str(), people[1].notes.as_str()),
        ("Huge", "")
    );
    let w = &people[1].warnings[0];
    assert_eq!((w.line, w.column.as_str()), (3, "notes"));
    assert!(w.reason.contains("left out"), "{}", w.reason);
    let card = format!("BEGIN:VCARD\nVERSION:3.0\nFN:Huge\nNOTE:{big}\nEND:VCARD\n");
    let (people, _) = read_vcf(card.as_bytes()).unwrap();
    assert_eq!(people[0].warnings[0].column, "notes");
    assert!(people[0].notes.is_empty());

    // 100k rows: every one read, line numbers right to the end.
    let mut csv = String::from("First Name,Last Name,E-mail 1 - Value,Phone 1 - Value\n");
    for i in 0..100_000 {
        csv.push_str(&format!(
            "Name{i},Family{i},p{i}@example.com,+49 30 {i:07}\n"
        ));
    }
    let (_, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty());
    assert_eq!(people.len(), 100_000);
    assert_eq!(people[99_999].line, 100_001);
}

#[test]
fn older_google_headers_and_vcard_2_1_read_too() {
    let old = "Name,Given Name,Additional Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Organization 1 - Name,Organization 1 - Title\n\
               Lukas Weber,Lukas,,Weber,* myContacts ::: Lieferanten,* Work,lukas@weber.example ::: l.weber@mail.example,Mobile,+49 151 2345678,Weber Logistik GmbH,Einkauf\n";
    let (layout, people, bad) = read_csv(old.as_bytes()).unwrap();
    assert_eq!(layout, Layout::GoogleOld);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(people[0].name, "Lukas Weber");
    assert_eq!(people[0].organization, "Weber Logistik GmbH");
    assert_eq!(people[0].title, "Einkauf");
    assert_eq!(
        people[0].emails,
        ["lukas@weber.example", "l.weber@mail.example"],
        "` ::: ` separates values in one cell"
    );
    assert_eq!(people[0].labels, ["Lieferanten"]);

    // vCard 2.1: bare TYPE params, QUOTED-PRINTABLE soft line breaks, Latin-1 CHARSET,
    // an `item1.` group.
    let v21 = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Garc=EDa;Mar=EDa\r\n\
               FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Mar=EDa Garc=EDa\r\n\
               ORG:Distribuciones Sur S.L.\r\nTEL;WORK;VOICE:+34 91 555 0199\r\nTEL;CELL:+34 600 123 456\r\n\
               item1.EMAIL;INTERNET:maria@sur.example\r\nitem1.X-ABLabel:trabajo\r\n\
               NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Primera l=C3=ADnea=0D=0ASegunda =\r\nl=C3=ADnea\r\nEND:VCARD\r\n";
    let (people, bad) = read_vcf(v21.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let m = &people[0];
    assert_eq!(m.name, "María García");
    assert_eq!(m.organization, "Distribuciones Sur S.L.");
    assert_eq!(m.phones, ["+34 91 555 0199", "+34 600 123 456"]);
    assert_eq!(m.emails, ["maria@sur.example"]);
    assert_eq!(m.notes, "Primera línea\nSegunda línea");
}

/// What the store would refuse at write time is cleaned or kept elsewhere here, with a
/// warning naming its line and column, and a quote that is never closed is a bad file, not
/// one huge field.
#[test]
fn out_of_range_input_is_a_warning_and_unclosed_input_is_refused() {
    let csv = "First Name,Last Name,E-mail 1 - Value,Birthday,Labels,Address 1 - Formatted\n\
               Year,Zero,y@example.com,0000-01-01,,\n\
               Two,Digits,t@example.com,3/12/85,,\n\
               Ctrl,Label,c@example.com,,\"a\u{1}b\",\n\
               Ctrl,Address,a@example.com,,,\"x\u{7}y\"\n\
               Good,Row,g@example.com,1985-03-12,VIP,\"Line 1\nLine 2\"\n";
    let (_, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let at: Vec<(u64, &str)> = people
        .iter()
        .flat_map(|p| p.warnings.iter().map(|e| (e.line, e.column.as_str())))
        .collect();
    assert_eq!(
        at,
        [
            (2, "Birthday"),
            (3, "Birthday"),
            (4, "labels"),
            (5, "address")
        ]
    );
    assert!(
        people[0].warnings[0].reason.contains("out of range"),
        "{}",
        people[0].warnings[0].reason
    );
    assert_eq!(
        people[0].other,
        [("birthday".to_string(), "0000-01-01".to_string())]
    );
    assert_eq!(people[2].labels, ["ab"]);
    assert_eq!(people[3].address, "xy");

    let unclosed = "First Name,Last Name,E-mail 1 - Value\n\
                    Good,Row,g@example.com\n\
                    \"Open,Quote,o@example.com\n\
                    Swallowed,Row,s@example.com\n";
    match read_csv(unclosed.as_bytes()) {
        Err(ReadError::Csv { line: 3, reason }) => assert!(reason.contains("never closed")),
        other => panic!("{other:?}"),
    }
    let quoted = "First Name,Last Name,E-mail 1 - Value,Notes\n\
                  \"Q\",\"R \"\"S\"\"\",q@example.com,\"multi\nline\"\n\
                  5\" screen,T,t@example.com,\n";
    let (_, people, bad) = read_csv(quoted.as_bytes()).unwrap();
    assert_eq!((people.len(), bad.len()), (2, 0), "{bad:?}");

    let orders = "customer,date,amount,currency,status,title\n\
                  Acme,+99999-01-01,5,CNY,won,\n\
                  Acme,2026-01-01,92233720368547758.07,CNY,won,\n\
                  Acme,2026-01-01,5,CNY,won,\"a\u{1}b\"\n\
                  Acme,2026-01-01,5,CNY,won,ok\n";
    let (ok, bad) = read_orders(orders.as_bytes()).unwrap();
    assert_eq!(ok.len(), 1);
    let at: Vec<(u64, &str)> = bad.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(at, [(2, "date"), (3, "amount"), (4, "title")]);

    let vcf = "BEGIN:VCARD\nVERSION:3.0\nFN:Bad Day\nBDAY:2026-13-40\nEND:VCARD\n\
               BEGIN:VCARD\nVERSION:4.0\nFN:Free Text\nBDAY;VALUE=text:circa 1980\nEND:VCARD\n";
    let (people, bad) = read_vcf(vcf.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let kept: Vec<(&[Pair], u64, &str)> = people
        .iter()
        .map(|p| {
            (
                p.other.as_slice(),
                p.warnings[0].line,
                p.warnings[0].column.as_str(),
            )
        })
        .collect();
    let pair = |v: &str| vec![("birthday".to_string(), v.to_string())];
    assert_eq!(
        kept,
        [
            (&pair("2026-13-40")[..], 4, "BDAY"),
            (&pair("circa 1980")[..], 9, "BDAY")
        ]
    );
}
