//! The pure parts without a store: file detection, duplicate keys, orders attached to
//! customers, and what the import plan merges into existing customers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::read_orders;
use rapport_interchange::{
    Action, Existing, FileKind, Person, detect, email_key, is_orders_header, name_key, phone_key,
    plan, plan_orders,
};
use rapport_model::{
    Contact, Customer, CustomerId, CustomerKind, CustomerSummary, DealStatus, Edit, Timestamp,
    timestamp_from_millis,
};

fn now() -> Timestamp {
    timestamp_from_millis(1_790_000_000_000)
}

fn customer(name: &str, kind: CustomerKind, edits: Vec<Edit>) -> Customer {
    let mut c = Customer::new(CustomerId::new(), name, kind, now());
    for e in edits {
        e.validate(Some(&c)).unwrap();
        e.apply(&mut c, now());
    }
    c
}

#[test]
fn files_are_recognised_from_their_start() {
    assert_eq!(
        detect(b"\xEF\xBB\xBF  begin:vcard\r\nVERSION:3.0\r\n"),
        FileKind::VCard
    );
    assert_eq!(
        detect(b"\"Customer\",\"Date\",\"Amount\"\nAcme,2026-01-01,5\n"),
        FileKind::Orders
    );
    assert_eq!(
        detect(b"First Name,E-mail 1 - Value\nAnna,a@example.com\n"),
        FileKind::ContactsCsv
    );
    assert!(is_orders_header(b"\xEF\xBB\xBFdate, amount ,customer\n"));
    assert!(!is_orders_header(b"customer,amount\n2026-01-01,date\n"));
    assert!(!is_orders_header(b"customer,date\n"));
}

#[test]
fn duplicate_keys() {
    assert_eq!(
        email_key("  Zhang.Wei@HuaChuang.CN "),
        "zhang.wei@huachuang.cn"
    );
    assert_eq!(phone_key(" +86 (138) 0013-8000 "), "+8613800138000");
    assert_eq!(phone_key("0049 30 1234567"), "+49301234567");
    assert_eq!(phone_key("030 1234567"), "0301234567");
    assert_eq!(name_key("  ACME   Gmbh "), "acme gmbh");
}

fn summary(name: &str, edits: Vec<Edit>) -> CustomerSummary {
    CustomerSummary::of(&customer(name, CustomerKind::Company, edits))
}

#[test]
fn orders_attach_by_id_email_or_name_and_group_per_customer() {
    let csv = "customer,date,amount,currency,status,title,probability\n\
               Acme GmbH,2026-01-05,100.50,CNY,,first,\n\
               BUYER@northwind.example,2026-02-01,20,EUR,open,,\n\
               Acme GmbH,2026-03-01,7,CNY,lost,,\n\
               Twin,2026-03-02,1,CNY,,,\n\
               Nobody,2026-03-03,1,CNY,,,\n\
               Gone Ltd,2026-03-04,1,CNY,,,\n\
               Acme GmbH,2026-03-05,1,CNY,open,,100\n";
    let (orders, bad) = read_orders(csv.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    let first = &orders[0];
    assert_eq!((first.line, first.customer.as_str()), (2, "Acme GmbH"));
    assert_eq!(first.deal.amount.minor, 10_050);
    assert_eq!(first.deal.title, "first");
    let status: Vec<(DealStatus, u8)> = orders
        .iter()
        .map(|o| (o.deal.status, o.deal.probability))
        .collect();
    assert_eq!(
        status[..3],
        [
            (DealStatus::Won, 100),
            (DealStatus::Open, 50),
            (DealStatus::Lost, 0)
        ],
        "the default probability follows the status"
    );
    assert_eq!(status[6], (DealStatus::Open, 100));

    let acme = summary("Acme GmbH", vec![]);
    let northwind = summary(
        "Northwind",
        vec![Edit::AddEmail("buyer@northwind.example".into())],
    );
    let twins = [summary("Twin", vec![]), summary("twin", vec![])];
    let gone = summary("Gone Ltd", vec![Edit::Delete]);
    let all = vec![
        acme.clone(),
        northwind.clone(),
        twins[0].clone(),
        twins[1].clone(),
        gone,
    ];
    let (edits, bad) = plan_orders(&orders, &all);
    let per: Vec<(CustomerId, usize)> = edits.iter().map(|(id, e)| (*id, e.len())).collect();
    assert_eq!(per, [(acme.id, 3), (northwind.id, 1)]);
    let why: Vec<(u64, &str)> = bad.iter().map(|e| (e.line, e.reason.as_str())).collect();
    assert_eq!(
        why,
        [
            (5, "`Twin` matches 2 customers; use the customer's id"),
            (6, "no customer matches `Nobody`"),
            (7, "no customer matches `Gone Ltd`"),
        ]
    );
    assert!(bad.iter().all(|e| e.column == "customer"));

    // An id names one customer even when the name is ambiguous; the same row gives the same
    // deal id every time, different rows different ones.
    let by_id = format!(
        "customer,date,amount,currency\n{},2026-03-02,1,CNY\n{},2026-03-02,1,CNY\n{},2026-03-02,2,CNY\n",
        twins[1].id.to_string().to_uppercase(),
        twins[1].id,
        twins[1].id,
    );
    let (orders, _) = read_orders(by_id.as_bytes()).unwrap();
    let (edits, bad) = plan_orders(&orders, &all);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].0, twins[1].id);
    let ids: Vec<_> = edits[0]
        .1
        .iter()
        .map(|e| match e {
            Edit::PutDeal(id, _) => *id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
}

#[test]
fn bad_order_rows_name_the_column() {
    let csv = "name,date,amount,currency,status,probability\n\
               ,2026-01-01,5,CNY,,\n\
               Acme,2026-1-1x,5,CNY,,\n\
               Acme,2026-01-01,5,QQQ,,\n\
               Acme,2026-01-01,five,CNY,,\n\
               Acme,2026-01-01,5,CNY,maybe,\n\
               Acme,2026-01-01,5,CNY,open,101\n\
               Acme,2026-01-01,5,CNY,open,100\n\
               ,,,,,\n";
    let (ok, bad) = read_orders(csv.as_bytes()).unwrap();
    assert_eq!(ok.len(), 1, "{ok:?} {bad:?}");
    assert_eq!(ok[0].line, 8);
    let at: Vec<(u64, &str)> = bad.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        at,
        [
            (2, "name"),
            (3, "date"),
            (4, "currency"),
            (5, "amount"),
            (6, "status"),
            (7, "probability")
        ]
    );
    assert!(read_orders(b"date,amount\n2026-01-01,5\n").is_err());
    assert!(read_orders(b" \n ").is_err());
}

fn person(line: u64, name: &str, org: &str) -> Person {
    Person {
        line,
        name: name.into(),
        organization: org.into(),
        ..Person::default()
    }
}

#[test]
fn merging_adds_what_is_missing_and_overwrites_nothing() {
    let kept = Contact {
        name: "张伟".into(),
        title: "Buyer".into(),
        emails: vec!["zhang@acme.example".into()],
        ..Contact::default()
    };
    let acme = customer(
        "Acme",
        CustomerKind::Company,
        vec![
            Edit::AddTag("customers".into()),
            Edit::Address("1 Main St".into()),
            Edit::PutContact(rapport_model::ItemId::from_u128(1), kept.clone()),
        ],
    );
    let anna = customer(
        "Anna Jansen",
        CustomerKind::Person,
        vec![
            Edit::AddEmail("anna@example.com".into()),
            Edit::AddPhone("+31 20 1234567".into()),
            Edit::Notes("known".into()),
        ],
    );
    let people = vec![
        // The same contact by email (other case), with a new phone and a new title that does
        // not replace the old one.
        Person {
            emails: vec!["ZHANG@acme.example".into()],
            phones: vec!["+86 138 0013 8000".into()],
            title: "Manager".into(),
            labels: vec!["Customers".into(), "Fair 2026".into()],
            address: "2 Side St".into(),
            ..person(2, "Zhang Wei", "ACME")
        },
        // Anna by phone (written differently): adds her second email only.
        Person {
            emails: vec!["anna@example.com".into(), "a.jansen@example.com".into()],
            phones: vec!["0031 20 1234567".into()],
            notes: "new notes".into(),
            ..person(3, "A. Jansen", "")
        },
        // Already there, nothing new.
        Person {
            emails: vec!["anna@example.com".into()],
            ..person(4, "Anna Jansen", "")
        },
    ];
    let p = plan(
        &people,
        Existing {
            customers: vec![acme.clone(), anna.clone()],
        },
        now(),
    );
    assert_eq!((p.created(), p.merged()), (0, 2));
    assert_eq!(
        p.actions,
        [
            Action::Merge {
                id: acme.id,
                name: "Acme".into(),
                lines: vec![2],
                adds: vec![
                    "tag fair 2026".into(),
                    "details of contact Zhang Wei".into()
                ],
            },
            Action::Merge {
                id: anna.id,
                name: "Anna Jansen".into(),
                lines: vec![3, 4],
                adds: vec!["email a.jansen@example.com".into()],
            },
        ]
    );
    let (_, edits) = &p.merges[0];
    let Some(Edit::PutContact(id, c)) = edits.last() else {
        panic!("{edits:?}");
    };
    assert_eq!(id.as_u128(), 1, "the existing contact is updated");
    assert_eq!(c.name, "张伟");
    assert_eq!(c.title, "Buyer");
    assert_eq!(c.emails, ["zhang@acme.example"]);
    assert_eq!(c.phones, ["+8613800138000"], "stored as E.164");

    // Importing the result again changes nothing.
    let mut after = vec![acme, anna];
    for ((id, edits), c) in p.merges.iter().zip(after.iter_mut()) {
        assert_eq!(*id, c.id);
        for e in edits {
            e.apply(c, now());
        }
    }
    let again = plan(&people, Existing { customers: after }, now());
    assert_eq!((again.created(), again.merged()), (0, 0));
    assert!(
        again
            .actions
            .iter()
            .all(|a| matches!(a, Action::Unchanged { .. }))
    );
}

#[test]
fn new_people_become_customers_and_deleted_ones_are_not_matched() {
    let gone = customer("Bert Berg", CustomerKind::Person, vec![Edit::Delete]);
    let people = vec![
        Person {
            title: "CEO".into(),
            notes: "met at the fair".into(),
            address: "Kerkstraat 1".into(),
            emails: vec!["bert@example.com".into()],
            ..person(2, "Bert Berg", "")
        },
        Person {
            title: "CTO".into(),
            ..person(3, "Cleo", "")
        },
        person(4, "Dora", "Northwind"),
        person(5, "Emil", "northwind"),
        person(6, "", "Southwind"),
    ];
    let p = plan(
        &people,
        Existing {
            customers: vec![gone.clone()],
        },
        now(),
    );
    assert_eq!((p.created(), p.merged()), (4, 0));
    let shape: Vec<(String, CustomerKind, Vec<u64>, usize)> = p
        .actions
        .iter()
        .map(|a| match a {
            Action::Create {
                name,
                kind,
                lines,
                contacts,
                id,
            } => {
                assert_ne!(*id, gone.id);
                (name.clone(), *kind, lines.clone(), *contacts)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("Bert Berg".into(), CustomerKind::Person, vec![2], 0),
            ("Cleo".into(), CustomerKind::Person, vec![3], 0),
            ("Northwind".into(), CustomerKind::Company, vec![4, 5], 2),
            ("Southwind".into(), CustomerKind::Company, vec![6], 0),
        ]
    );
    let bert = &p.creates[0].edits;
    assert!(bert.contains(&Edit::AddEmail("bert@example.com".into())));
    assert!(bert.contains(&Edit::Address("Kerkstraat 1".into())));
    assert_eq!(
        bert.last(),
        Some(&Edit::Notes("met at the fair\nTitle: CEO".into())),
        "a person's title is kept in the notes"
    );
    assert_eq!(p.creates[1].edits, [Edit::Notes("Title: CTO".into())]);
}

#[test]
fn candidates_come_from_names_emails_and_phones() {
    let by_name = summary("Northwind", vec![]);
    let by_email = summary(
        "Other",
        vec![Edit::PutContact(
            rapport_model::ItemId::new(),
            Contact {
                name: "Kim".into(),
                emails: vec!["kim@south.example".into()],
                ..Contact::default()
            },
        )],
    );
    let by_phone = summary("Third", vec![Edit::AddPhone("+1 206 555 0100".into())]);
    let unrelated = summary("Unrelated", vec![Edit::AddPhone("+1 999".into())]);
    let deleted = summary("Gone", vec![Edit::Delete]);
    let people = vec![
        person(2, "Someone", "NORTHWIND"),
        Person {
            emails: vec!["Kim@South.example".into()],
            phones: vec!["001 206 555 0100".into()],
            ..person(3, "Gone", "")
        },
    ];
    let all = [
        by_name.clone(),
        by_email.clone(),
        by_phone.clone(),
        unrelated,
        deleted,
    ];
    assert_eq!(
        Existing::candidates(&all, &people),
        [by_name.id, by_email.id, by_phone.id]
    );
}

#[test]
fn actions_follow_the_file_order() {
    // The existing customer is touched only by the second row: it comes second.
    let known = customer("Northwind", CustomerKind::Company, vec![]);
    let people = vec![
        person(2, "Anna", "Southwind"),
        person(3, "Kim", "Northwind"),
    ];
    let p = plan(
        &people,
        Existing {
            customers: vec![known.clone()],
        },
        now(),
    );
    let names: Vec<(&str, &str)> = p
        .actions
        .iter()
        .map(|a| match a {
            Action::Create { name, .. } => ("create", name.as_str()),
            Action::Merge { name, .. } => ("merge", name.as_str()),
            Action::Unchanged { name, .. } => ("unchanged", name.as_str()),
        })
        .collect();
    assert_eq!(names, [("create", "Southwind"), ("merge", "Northwind")]);
    assert_eq!(p.merges[0].0, known.id);
}

#[test]
fn a_title_goes_into_the_notes_of_a_new_person_only() {
    let anna = customer(
        "Anna Jansen",
        CustomerKind::Person,
        vec![Edit::AddEmail("anna@example.com".into())],
    );
    let people = vec![
        Person {
            emails: vec!["anna@example.com".into()],
            title: "CFO".into(),
            ..person(2, "Anna Jansen", "")
        },
        person(3, "Dana", ""),
        Person {
            title: "Head office".into(),
            ..person(4, "", "Southwind")
        },
    ];
    let p = plan(
        &people,
        Existing {
            customers: vec![anna.clone()],
        },
        now(),
    );
    assert!(
        matches!(&p.actions[0], Action::Unchanged { id, .. } if *id == anna.id),
        "an existing person's notes are left alone: {:?}",
        p.actions
    );
    let created: Vec<(&str, &[Edit])> = p
        .creates
        .iter()
        .map(|c| (c.name.as_str(), c.edits.as_slice()))
        .collect();
    assert_eq!(
        created,
        [("Dana", &[][..]), ("Southwind", &[][..])],
        "no title, or not a person: no notes"
    );
}

/// Custom field values from a file: placed by name in the team's base currency; a value its
/// field refuses, or one for a field the team does not have, is kept in the notes, never
/// dropped, and a second import adds nothing.
#[test]
fn custom_field_values_are_placed_or_kept_in_the_notes() {
    use rapport_model::{Currency, FieldDef, FieldKind, Fields};
    let credit = FieldDef::new("c1", "Credit limit", FieldKind::Money, vec![]).unwrap();
    let expiry = FieldDef::new("e1", "Contract expiry", FieldKind::Date, vec![]).unwrap();
    let opts = rapport_interchange::PlanOptions {
        fields: Fields(vec![credit, expiry]),
        currency: Some(Currency::parse("EUR", "c").unwrap()),
        ..Default::default()
    };
    let mut p = person(2, "Anna", "");
    p.fields = vec![
        ("credit limit".into(), "5000".into()),
        ("Contract expiry".into(), "next spring".into()),
        ("Machine model".into(), "X-200".into()),
    ];
    let plan = rapport_interchange::plan_with(
        &[p.clone()],
        rapport_interchange::Existing::default(),
        chrono::Utc::now(),
        &opts,
    );
    let mut c = rapport_model::Customer::new(
        plan.creates[0].id,
        "Anna",
        rapport_model::CustomerKind::Person,
        chrono::Utc::now(),
    );
    for e in &plan.creates[0].edits {
        e.apply(&mut c, chrono::Utc::now());
    }
    assert_eq!(c.fields["c1"], "5000.00 EUR");
    assert!(!c.fields.contains_key("e1"));
    assert!(
        c.notes.contains("Contract expiry: next spring"),
        "{}",
        c.notes
    );
    assert!(c.notes.contains("Machine model: X-200"), "{}", c.notes);
    let again = rapport_interchange::plan_with(
        &[p],
        rapport_interchange::Existing { customers: vec![c] },
        chrono::Utc::now(),
        &opts,
    );
    assert!(again.merges.is_empty(), "{:?}", again.merges);
}
