//! Contact CSV edges: which header is which layout, mixed-script names, escaped quotes in the
//! last record (where an unclosed quote is looked for), field sizes, Outlook columns; and the
//! optional vCard properties of an export.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::read_csv;
use rapport_interchange::{Language, Layout, ReadError, to_vcards};
use rapport_model::{Customer, CustomerId, CustomerKind, Edit, MAX_FIELD_BYTES};

#[test]
fn layouts_are_recognised_from_any_one_of_their_columns() {
    let layout = |csv: &str| read_csv(csv.as_bytes()).map(|(l, p, _)| (l, p));
    let (l, p) = layout("Given Name,E-mail 1 - Value\nAnna,anna@example.com\n").unwrap();
    assert_eq!((l, p[0].name.as_str()), (Layout::GoogleOld, "Anna"));
    let (l, p) = layout("Family Name,E-mail 1 - Value\nJansen,anna@example.com\n").unwrap();
    assert_eq!((l, p[0].name.as_str()), (Layout::GoogleOld, "Jansen"));
    let (l, _) = layout("First Name,Phone 1 - Value\nAnna,+31 20 1234567\n").unwrap();
    assert_eq!(l, Layout::Google);
    let (l, p) = layout("First Name,E-mail Address\nAnna,anna@example.com\n").unwrap();
    assert_eq!(l, Layout::Outlook(Language::English));
    assert_eq!(p[0].emails, ["anna@example.com"]);
    let (l, p) = layout("First Name,Mobile Phone\nAnna,+31 6 12345678\n").unwrap();
    assert_eq!(l, Layout::Outlook(Language::English));
    assert_eq!(p[0].phones, ["+31 6 12345678"]);
    assert!(matches!(
        layout("First Name,Email\nAnna,anna@example.com\n"),
        Err(ReadError::UnknownLayout(_))
    ));
}

#[test]
fn family_name_first_only_when_both_parts_are_cjk() {
    let csv = "First Name,Last Name,E-mail 1 - Value\n\
               伟,张,zw@example.com\n\
               伟,Smith,ws@example.com\n\
               Wei,张,wz@example.com\n";
    let (_, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["张伟", "伟 Smith", "Wei 张"]);
}

#[test]
fn escaped_quotes_in_the_last_record_are_not_an_unclosed_quote() {
    // The last field ends in `",`: read pair by pair, its closing quote closes it.
    let csv = "First Name,E-mail 1 - Value,Notes\n\
               Anna,anna@example.com,\"Says \"\"hi\"\",\"\n";
    let (_, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(people[0].notes, "Says \"hi\",");
    let open = "First Name,E-mail 1 - Value,Notes\n\
                Anna,anna@example.com,\"Says \"\"hi\"\",\n";
    assert!(matches!(
        read_csv(open.as_bytes()),
        Err(ReadError::Csv { line: 2, .. })
    ));
}

#[test]
fn a_field_may_hold_exactly_the_largest_size() {
    let row = |name: &str| format!("First Name,E-mail 1 - Value\n{name},a@example.com\n");
    let (_, people, bad) = read_csv(row(&"x".repeat(MAX_FIELD_BYTES)).as_bytes()).unwrap();
    assert_eq!((people.len(), bad.len()), (1, 0), "{bad:?}");
    // One byte more: the name is left out (with a warning) and the email names the person.
    let (_, people, bad) = read_csv(row(&"x".repeat(MAX_FIELD_BYTES + 1)).as_bytes()).unwrap();
    assert!(bad.is_empty());
    assert_eq!(people[0].name, "a@example.com");
    let w = &people[0].warnings[0];
    assert_eq!((w.line, w.column.as_str()), (2, "name"));
}

#[test]
fn outlook_columns() {
    let csv = "First Name,Last Name,E-mail Address,E-mail Display Name,Home Address,\
               Business Phone,Home Phone 2,Home Street,Home City,Business City,Categories\n\
               Anna,Jansen,anna@example.com,Anna Jansen (anna@example.com),somewhere,\
               +31 20 1234567,+31 20 7654321,Kerkstraat 1,,Amsterdam,VIP; ;Fair\n\
               Kim,Lee,kim@example.com,,,,,Hauptstr. 2,,,\n";
    let (layout, people, bad) = read_csv(csv.as_bytes()).unwrap();
    assert_eq!(layout, Layout::Outlook(Language::English));
    assert!(bad.is_empty(), "{bad:?}");
    let anna = &people[0];
    assert_eq!(
        anna.emails,
        ["anna@example.com"],
        "only `E-mail ... Address` columns"
    );
    assert_eq!(anna.phones, ["+31 20 1234567", "+31 20 7654321"]);
    assert_eq!(anna.address, "Amsterdam", "the business address wins");
    assert_eq!(anna.labels, ["VIP", "Fair"]);
    assert_eq!(
        people[1].address, "Hauptstr. 2",
        "else the home address, empty parts left out"
    );
}

#[test]
fn vcard_export_writes_optional_properties_only_when_set() {
    let now = rapport_model::timestamp_from_millis(1_790_000_000_000);
    let mut full = Customer::new(CustomerId::new(), "Anna Jansen", CustomerKind::Person, now);
    for e in [
        Edit::Company("Acme".into()),
        Edit::Address("Kerkstraat 1".into()),
        Edit::Notes("likes tea".into()),
        Edit::AddTag("vip".into()),
    ] {
        e.apply(&mut full, now);
    }
    let bare = Customer::new(CustomerId::new(), "Kim Lee", CustomerKind::Person, now);
    for v4 in [false, true] {
        let out = to_vcards(std::slice::from_ref(&full), v4);
        assert!(out.contains("ORG:Acme"), "{out}");
        assert!(out.contains("Kerkstraat 1"), "{out}");
        assert!(out.contains("NOTE:likes tea"), "{out}");
        assert!(out.contains("CATEGORIES:vip"), "{out}");
        let out = to_vcards(std::slice::from_ref(&bare), v4);
        for absent in ["ORG", "ADR", "NOTE", "CATEGORIES"] {
            assert!(
                !out.lines().any(|l| l.starts_with(absent)),
                "{absent}: {out}"
            );
        }
    }
}

#[test]
fn contact_cards_carry_title_and_notes_only_when_set() {
    let now = rapport_model::timestamp_from_millis(1_790_000_000_000);
    let mut acme = Customer::new(CustomerId::new(), "Acme", CustomerKind::Company, now);
    for (n, title, notes) in [(1, "Buyer", "likes tea"), (2, "", "")] {
        Edit::PutContact(
            rapport_model::ItemId::from_u128(n),
            rapport_model::Contact {
                name: format!("Contact {n}"),
                title: title.into(),
                notes: notes.into(),
                ..rapport_model::Contact::default()
            },
        )
        .apply(&mut acme, now);
    }
    let out = to_vcards(&[acme], true);
    let cards: Vec<&str> = out.split("END:VCARD").collect();
    let second = cards.iter().find(|c| c.contains("FN:Contact 1")).unwrap();
    assert!(
        second.contains("TITLE:Buyer") && second.contains("NOTE:likes tea"),
        "{out}"
    );
    let third = cards.iter().find(|c| c.contains("FN:Contact 2")).unwrap();
    assert!(
        !third
            .lines()
            .any(|l| l.starts_with("TITLE") || l.starts_with("NOTE")),
        "{out}"
    );
}

#[test]
fn delimiters_come_from_the_header_line() {
    for d in [",", ";", "\t", "|"] {
        let csv = format!(
            "First Name{d}Last Name{d}E-mail Address{d}Notes\nAnna{d}Jansen{d}anna@example.com{d}\"a, b; c\"\n"
        );
        let (l, p, bad) = read_csv(csv.as_bytes()).unwrap();
        assert!(bad.is_empty(), "{d:?}: {bad:?}");
        assert_eq!(l, Layout::Outlook(Language::English));
        assert_eq!(
            (
                p[0].name.as_str(),
                p[0].emails[0].as_str(),
                p[0].notes.as_str()
            ),
            ("Anna Jansen", "anna@example.com", "a, b; c"),
            "{d:?}"
        );
    }
    // A quote never closed is found with any delimiter.
    let open = "Vorname;Nachname;E-Mail-Adresse\nAnna;\"Jansen;anna@example.com\n";
    assert!(matches!(
        read_csv(open.as_bytes()),
        Err(ReadError::Csv { line: 2, .. })
    ));
}

#[test]
fn spanish_outlook_headers() {
    let csv = "Tratamiento,Nombre,Segundo nombre,Apellidos,Organización,Puesto,Calle del trabajo,\
               Ciudad de trabajo,Código postal del trabajo,País o región del trabajo,\
               Teléfono del trabajo,Móvil,Dirección de correo electrónico,\
               Tipo de correo electrónico,Cumpleaños,Categorías,Notas,Página web,Prioridad,Sexo\n\
               Sra.,Lucía,,Fernández Ruiz,Aceites del Sur S.A.,Directora de Compras,Calle Sierpes 12,\
               Sevilla,41004,España,+34 954 123 456,+34 600 111 222,lucia@aceites.example,SMTP,\
               3/4/1980,Clientes;Andalucía,Pide presupuesto en euros.,https://aceites.example,Normal,Sin especificar\n";
    let (l, p, bad) = read_csv(csv.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(l, Layout::Outlook(Language::Spanish));
    let lucia = &p[0];
    assert_eq!(lucia.name, "Lucía Fernández Ruiz");
    assert_eq!(
        (lucia.organization.as_str(), lucia.title.as_str()),
        ("Aceites del Sur S.A.", "Directora de Compras")
    );
    assert_eq!(lucia.emails, ["lucia@aceites.example"]);
    assert_eq!(lucia.phones, ["+34 954 123 456", "+34 600 111 222"]);
    assert_eq!(lucia.address, "Calle Sierpes 12, Sevilla, 41004, España");
    assert_eq!(
        lucia.birthday,
        chrono::NaiveDate::from_ymd_opt(1980, 4, 3),
        "day first"
    );
    assert_eq!(lucia.labels, ["Clientes", "Andalucía"]);
    assert_eq!(lucia.websites, ["https://aceites.example"]);
    assert_eq!(
        lucia.other,
        [("Tratamiento".to_string(), "Sra.".to_string())],
        "program defaults and the email type are not kept"
    );
}

#[test]
fn orders_files_are_decoded_and_may_use_semicolons() {
    let text = "customer;date;amount;currency;title\n张伟;2026-01-05;1200.50;CNY;首单\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    assert_eq!(
        rapport_interchange::detect(&bytes),
        rapport_interchange::FileKind::Orders
    );
    let r = rapport_interchange::read_orders_csv(&bytes, Some("gbk")).unwrap();
    assert!(r.bad.is_empty(), "{:?}", r.bad);
    assert_eq!(r.decoded_as, "GBK (as asked)");
    assert_eq!(r.orders[0].customer, "张伟");
    assert_eq!(r.orders[0].deal.title, "首单");
    assert_eq!(r.orders[0].deal.amount.minor, 120_050);
}
