//! Search, filters, sorting and the agenda over real summaries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, NaiveTime};
use rapport_model::{
    Currency, CustomerKind, CustomerSummary, Deal, DealStatus, Due, Edit, FollowUp, FollowUpKind,
    ItemId, Money, NewCustomer, timestamp_from_millis,
};
use rapport_query::{Column, Filter, Sort, agenda, fell_due, select};
use rapport_value::{ValueSettings, analyse};

fn summary(name: &str, company: &str, edits: Vec<Edit>) -> CustomerSummary {
    let now = timestamp_from_millis(1_790_000_000_000);
    let n = NewCustomer::new(name, CustomerKind::Company);
    let mut c = rapport_model::Customer::new(n.id, name, CustomerKind::Company, now);
    let mut all = vec![Edit::Company(company.into())];
    all.extend(edits);
    for e in &all {
        e.validate(Some(&c)).unwrap();
        e.apply(&mut c, now);
    }
    CustomerSummary::of(&c)
}

fn won(amount: &str, date: &str) -> Edit {
    Edit::PutDeal(
        ItemId::new(),
        Deal {
            title: "order".into(),
            amount: Money::parse(amount, Currency::parse("CNY", "c").unwrap(), "amount").unwrap(),
            status: DealStatus::Won,
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            probability: 100,
        },
    )
}

fn followup(due: &str, subject: &str) -> Edit {
    Edit::PutFollowUp(
        ItemId::new(),
        FollowUp {
            due: Due::parse(due, "due").unwrap(),
            kind: FollowUpKind::Call,
            subject: subject.into(),
            assignee: String::new(),
            done_at: None,
            outcome: String::new(),
        },
    )
}

fn names(all: &[CustomerSummary], idx: &[usize]) -> Vec<String> {
    idx.iter().map(|&i| all[i].name.clone()).collect()
}

fn sample() -> Vec<CustomerSummary> {
    vec![
        summary("张伟", "华创商务", vec![won("900", "2026-10-01")]),
        summary("Bluewater Ltd", "", vec![won("100", "2026-09-01")]),
        summary(
            "Acme GmbH",
            "Acme",
            vec![Edit::AddTag("Key Account".into())],
        ),
        summary("Zeta Optics", "", vec![Edit::Archive(true)]),
        summary("Deleted One", "", vec![Edit::Delete]),
    ]
}

#[test]
fn search_finds_cjk_by_characters_pinyin_and_initials_and_fuzzy_latin() {
    let all = sample();
    let find = |q: &str| {
        let f = Filter {
            text: q.into(),
            ..Filter::default()
        };
        names(&all, &select(&all, None, &f, Sort::default()))
    };
    assert_eq!(find("张"), vec!["张伟"]);
    assert_eq!(find("zhang wei"), vec!["张伟"]);
    assert_eq!(find("zw"), vec!["张伟"]);
    assert_eq!(find("华创"), vec!["张伟"], "company text is searched");
    assert_eq!(find("key acc"), vec!["Acme GmbH"], "tags are searched");
    assert_eq!(
        find("blwtr"),
        vec!["Bluewater Ltd"],
        "fuzzy subsequence of the name"
    );
    assert!(find("qqqq").is_empty());
    // Archived and deleted customers are not listed by default.
    assert_eq!(find(""), vec!["Acme GmbH", "Bluewater Ltd", "张伟"]);
    assert!(find("zeta").is_empty());
}

#[test]
fn filters_and_sorts_use_the_value_analysis() {
    let all = sample();
    let a = analyse(
        &all,
        &ValueSettings::default(),
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    );
    let by_revenue = Sort {
        column: Column::Revenue,
        descending: true,
    };
    let idx = select(&all, Some(&a), &Filter::default(), by_revenue);
    assert_eq!(
        names(&all, &idx),
        vec!["张伟", "Bluewater Ltd", "Acme GmbH"]
    );
    let vip = a.get(all[0].id).unwrap().effective_tier.unwrap();
    let f = Filter {
        tier: Some(vip),
        ..Filter::default()
    };
    assert_eq!(
        names(&all, &select(&all, Some(&a), &f, Sort::default())),
        vec!["张伟"]
    );
    let f = Filter {
        tag: Some("Key Account".into()),
        ..Filter::default()
    };
    assert_eq!(
        names(&all, &select(&all, Some(&a), &f, Sort::default())),
        vec!["Acme GmbH"]
    );
    let f = Filter {
        archived: true,
        ..Filter::default()
    };
    assert_eq!(select(&all, Some(&a), &f, Sort::default()).len(), 4);
    // Name order is pinyin-aware; descending reverses it.
    let desc = Sort {
        column: Column::Name,
        descending: true,
    };
    assert_eq!(
        names(&all, &select(&all, None, &Filter::default(), desc)),
        vec!["张伟", "Bluewater Ltd", "Acme GmbH"]
    );
}

#[test]
fn agenda_buckets_by_due_time() {
    // Tuesday 2026-11-24, 10:00.
    let now = NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap());
    let all = vec![
        summary(
            "A",
            "",
            vec![
                followup("2026-11-23", "yesterday"),
                followup("2026-11-24T09:00", "this morning"),
                followup("2026-11-24T15:00", "this afternoon"),
                followup("2026-11-24", "today, no time"),
            ],
        ),
        summary(
            "B",
            "",
            vec![
                followup("2026-11-29", "sunday"),
                followup("2026-11-30", "next monday"),
            ],
        ),
        summary(
            "C",
            "",
            vec![followup("2026-11-20", "archived"), Edit::Archive(true)],
        ),
    ];
    let ag = agenda(&all, now);
    let subjects = |v: &[rapport_query::AgendaEntry]| -> Vec<String> {
        v.iter().map(|e| e.followup.subject.clone()).collect()
    };
    assert_eq!(subjects(&ag.overdue), vec!["yesterday", "this morning"]);
    assert_eq!(
        subjects(&ag.today),
        vec!["today, no time", "this afternoon"]
    );
    assert_eq!(subjects(&ag.this_week), vec!["sunday"]);
    assert_eq!(ag.later, 1);
    // Between 14:59 and 15:00 exactly one follow-up falls due.
    let before = now
        .date()
        .and_time(NaiveTime::from_hms_opt(14, 59, 0).unwrap());
    let at = now
        .date()
        .and_time(NaiveTime::from_hms_opt(15, 0, 0).unwrap());
    let due = fell_due(&all, before, at);
    assert_eq!(subjects(&due), vec!["this afternoon"]);
    assert_eq!(due[0].customer, all[0].id);
}
