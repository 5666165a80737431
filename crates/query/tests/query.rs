//! Search, filters, sorting and the agenda over real summaries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use rapport_model::{
    Currency, CustomerKind, CustomerSummary, Deal, DealStatus, Due, Edit, FollowUp, FollowUpKind,
    Interaction, InteractionKind, ItemId, LifecycleStage, Money, NewCustomer, Tier,
    timestamp_from_millis,
};
use rapport_query::{
    Agenda, Candidate, Column, Filter, Search, Sort, Tags, agenda, fell_due, select,
};
use rapport_value::{Analysis, Segment, ValueSettings, analyse};

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

fn owned(name: &str, owner: &str, edits: Vec<Edit>) -> CustomerSummary {
    let mut all = vec![Edit::Owner(owner.into())];
    all.extend(edits);
    summary(name, "", all)
}

fn contacted(date: &str) -> Edit {
    Edit::LogInteraction(
        ItemId::new(),
        Interaction {
            at: NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()
                .and_utc(),
            kind: InteractionKind::Call,
            summary: "call".into(),
            outcome: String::new(),
            by: String::new(),
        },
    )
}

fn listed(all: &[CustomerSummary], a: Option<&Analysis>, f: &Filter) -> Vec<String> {
    names(all, &select(all, a, f, Sort::default()))
}

#[test]
fn each_filter_keeps_exactly_the_customers_that_match() {
    // As of 2026-11-24: Li Na is the one VIP, contacted yesterday and marked as declining by
    // hand; Wang Fang bought once (formation, Minor), never contacted; Chen Jie never bought
    // (exploration, prospect, Minor), never contacted.
    let all = vec![
        owned(
            "Li Na",
            "Li Na",
            vec![
                won("500", "2026-10-01"),
                contacted("2026-11-23"),
                Edit::Stage(Some(LifecycleStage::Decline)),
            ],
        ),
        owned("Wang Fang", "wang fang", vec![won("100", "2026-10-02")]),
        owned("Chen Jie", "Li Na", vec![]),
    ];
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let a = analyse(&all, &ValueSettings::default(), today);
    let a = Some(&a);

    let owner = |o: &str| Filter {
        owner: Some(o.into()),
        ..Filter::default()
    };
    assert_eq!(listed(&all, a, &owner("  LI   na ")), ["Chen Jie", "Li Na"]);
    assert_eq!(listed(&all, a, &owner("Wang Fang")), ["Wang Fang"]);
    assert!(listed(&all, a, &owner("Zhao")).is_empty());

    let tier = |t| Filter {
        tier: Some(t),
        ..Filter::default()
    };
    assert_eq!(listed(&all, a, &tier(Tier::Vip)), ["Li Na"]);
    assert_eq!(
        listed(&all, a, &tier(Tier::Minor)),
        ["Chen Jie", "Wang Fang"]
    );
    assert!(listed(&all, a, &tier(Tier::Major)).is_empty());
    assert!(
        listed(&all, None, &tier(Tier::Minor)).is_empty(),
        "no analysis: no tier to match"
    );

    let stage = |st| Filter {
        stage: Some(st),
        ..Filter::default()
    };
    assert_eq!(
        listed(&all, a, &stage(LifecycleStage::Decline)),
        ["Li Na"],
        "the manual stage"
    );
    assert_eq!(
        listed(&all, a, &stage(LifecycleStage::Exploration)),
        ["Chen Jie"],
        "the inferred stage"
    );
    assert_eq!(
        listed(&all, a, &stage(LifecycleStage::Formation)),
        ["Wang Fang"]
    );
    assert!(listed(&all, a, &stage(LifecycleStage::Stability)).is_empty());
    assert_eq!(
        listed(&all, None, &stage(LifecycleStage::Decline)),
        ["Li Na"]
    );
    assert!(
        listed(&all, None, &stage(LifecycleStage::Exploration)).is_empty(),
        "without an analysis only manual stages are known"
    );

    let segment = |g| Filter {
        segment: Some(g),
        ..Filter::default()
    };
    assert_eq!(listed(&all, a, &segment(Segment::Prospect)), ["Chen Jie"]);
    // Of the two buyers Li Na bought longer ago and less: lost; Wang Fang is about to sleep.
    assert_eq!(listed(&all, a, &segment(Segment::Lost)), ["Li Na"]);
    assert_eq!(
        listed(&all, a, &segment(Segment::AboutToSleep)),
        ["Wang Fang"]
    );
    assert!(listed(&all, a, &segment(Segment::Champions)).is_empty());
    assert!(listed(&all, None, &segment(Segment::Prospect)).is_empty());

    let due = Filter {
        due_for_revisit: true,
        ..Filter::default()
    };
    assert_eq!(listed(&all, a, &due), ["Chen Jie", "Wang Fang"]);
    assert!(listed(&all, None, &due).is_empty());

    // Filters combine: all must hold.
    let both = Filter {
        owner: Some("li na".into()),
        tier: Some(Tier::Minor),
        ..Filter::default()
    };
    assert_eq!(listed(&all, a, &both), ["Chen Jie"]);
    let both = Filter {
        tier: Some(Tier::Minor),
        stage: Some(LifecycleStage::Formation),
        due_for_revisit: true,
        ..Filter::default()
    };
    assert_eq!(listed(&all, a, &both), ["Wang Fang"]);
    let none = Filter {
        tier: Some(Tier::Vip),
        segment: Some(Segment::Prospect),
        ..Filter::default()
    };
    assert!(listed(&all, a, &none).is_empty());
    let none = Filter {
        segment: Some(Segment::Prospect),
        due_for_revisit: true,
        stage: Some(LifecycleStage::Decline),
        ..Filter::default()
    };
    assert!(listed(&all, a, &none).is_empty());
}

/// Five customers whose name order differs from every other column's order.
fn table() -> Vec<CustomerSummary> {
    let mut all = vec![
        summary(
            "Anna",
            "Zeta",
            vec![
                Edit::Owner("zed".into()),
                won("100", "2026-10-01"),
                Edit::Stage(Some(LifecycleStage::Decline)),
            ],
        ),
        summary(
            "Bert",
            "华创",
            vec![
                Edit::Owner("Mia".into()),
                won("500", "2026-10-01"),
                followup("2026-12-05", "b"),
            ],
        ),
        summary(
            "Cleo",
            "acme",
            vec![
                Edit::Owner("bob".into()),
                won("300", "2026-10-01"),
                Edit::Stage(Some(LifecycleStage::Exploration)),
                followup("2026-12-01", "c"),
            ],
        ),
        summary(
            "Emil",
            "",
            vec![
                won("200", "2026-10-01"),
                Edit::Stage(Some(LifecycleStage::Formation)),
                followup("2026-12-01T09:00", "e"),
            ],
        ),
        // Last, so that an analysis of the first four leaves it out.
        summary(
            "Dora",
            "Mo",
            vec![
                Edit::Owner("Amy".into()),
                Edit::Stage(Some(LifecycleStage::Stability)),
            ],
        ),
    ];
    for (s, ms) in all.iter_mut().zip([3, 1, 2, 3, 0]) {
        s.updated_at = timestamp_from_millis(1_790_000_000_000 + ms * 1000);
    }
    all
}

#[test]
fn every_column_sorts_by_its_own_key_then_by_name() {
    let all = table();
    // 20 / 40 / 60 %: of the four ranked customers one is VIP, one Major, one Common; Dora
    // is not in the analysis at all.
    let settings = ValueSettings::from_map(&BTreeMap::from([
        ("tier.vip_percent".to_string(), "20".to_string()),
        ("tier.major_percent".to_string(), "40".to_string()),
        ("tier.common_percent".to_string(), "60".to_string()),
    ]))
    .unwrap();
    let a = analyse(
        &all[..4],
        &settings,
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
    );
    let tier_of = |i: usize| a.get(all[i].id).unwrap().effective_tier;
    assert_eq!(
        [tier_of(0), tier_of(1), tier_of(2), tier_of(3)],
        [
            Some(Tier::Minor),
            Some(Tier::Vip),
            Some(Tier::Major),
            Some(Tier::Common)
        ]
    );
    let sorted = |a: Option<&Analysis>, column, descending| {
        let sort = Sort { column, descending };
        names(&all, &select(&all, a, &Filter::default(), sort))
    };
    let a = Some(&a);
    assert_eq!(
        sorted(a, Column::Name, false),
        ["Anna", "Bert", "Cleo", "Dora", "Emil"]
    );
    assert_eq!(
        sorted(a, Column::Tier, false),
        ["Bert", "Cleo", "Emil", "Anna", "Dora"],
        "best tier first, customers without a tier last"
    );
    assert_eq!(
        sorted(a, Column::Tier, true),
        ["Dora", "Anna", "Emil", "Cleo", "Bert"]
    );
    assert_eq!(
        sorted(a, Column::Revenue, false),
        ["Dora", "Anna", "Emil", "Cleo", "Bert"]
    );
    assert_eq!(
        sorted(None, Column::Stage, false),
        ["Cleo", "Emil", "Dora", "Anna", "Bert"],
        "stage order, customers without a stage last"
    );
    assert_eq!(
        sorted(None, Column::Stage, true),
        ["Bert", "Anna", "Dora", "Emil", "Cleo"]
    );
    assert_eq!(
        sorted(a, Column::Stage, false),
        ["Cleo", "Bert", "Emil", "Dora", "Anna"],
        "Bert's inferred stage (formation) ties with Emil's manual one"
    );
    assert_eq!(
        sorted(a, Column::Company, false),
        ["Emil", "Cleo", "Bert", "Dora", "Anna"],
        "empty first, 华创 as hua chuang, case-insensitive"
    );
    assert_eq!(
        sorted(a, Column::Company, true),
        ["Anna", "Dora", "Bert", "Cleo", "Emil"]
    );
    assert_eq!(
        sorted(a, Column::Owner, false),
        ["Emil", "Dora", "Cleo", "Bert", "Anna"],
        "owners compared folded: amy, bob, mia, zed"
    );
    assert_eq!(
        sorted(a, Column::NextDue, false),
        ["Cleo", "Emil", "Bert", "Anna", "Dora"],
        "a date alone is due at its start; no follow-up goes last"
    );
    assert_eq!(
        sorted(a, Column::NextDue, true),
        ["Anna", "Dora", "Bert", "Emil", "Cleo"],
        "descending keeps ties in name order"
    );
    assert_eq!(
        sorted(a, Column::Updated, false),
        ["Dora", "Bert", "Cleo", "Anna", "Emil"]
    );
    assert_eq!(
        sorted(a, Column::Updated, true),
        ["Anna", "Emil", "Cleo", "Bert", "Dora"]
    );
}

#[test]
fn fuzzy_matching_needs_three_letters_and_a_close_match() {
    let all = vec![
        summary("Bluewater Ltd", "", vec![]),
        summary("Northwind Trading Company", "", vec![]),
        summary("Kim", "Acme GmbH", vec![]),
    ];
    let find = |q: &str| {
        let f = Filter {
            text: q.into(),
            ..Filter::default()
        };
        names(&all, &select(&all, None, &f, Sort::default()))
    };
    assert_eq!(find("blw"), ["Bluewater Ltd"], "three letters are enough");
    assert!(find("bw").is_empty(), "two letters are not matched fuzzily");
    // nucleo scores `ria` in "Northwind Trading Company" exactly at the threshold (3 x 12)
    // and `ooa` at 28: scattered letters do not count.
    assert_eq!(find("ria"), ["Northwind Trading Company"]);
    assert!(find("ooa").is_empty());
    assert_eq!(find("agh"), ["Kim"], "the company is matched too");
}

#[test]
fn filter_and_column_basics() {
    assert!(!Filter::default().is_filtered());
    assert!(
        !Filter {
            text: "acme".into(),
            ..Filter::default()
        }
        .is_filtered(),
        "search text alone is not a filter"
    );
    let set = [
        Filter {
            tier: Some(Tier::Vip),
            ..Filter::default()
        },
        Filter {
            stage: Some(LifecycleStage::Decline),
            ..Filter::default()
        },
        Filter {
            segment: Some(Segment::Lost),
            ..Filter::default()
        },
        Filter {
            tag: Some("vip".into()),
            ..Filter::default()
        },
        Filter {
            owner: Some("li".into()),
            ..Filter::default()
        },
        Filter {
            due_for_revisit: true,
            ..Filter::default()
        },
        Filter {
            archived: true,
            ..Filter::default()
        },
    ];
    for f in &set {
        assert!(f.is_filtered(), "{f:?}");
    }
    let labels: Vec<&str> = Column::ALL.iter().map(|c| c.label()).collect();
    assert_eq!(
        labels,
        [
            "Name",
            "Company",
            "Tier",
            "Revenue",
            "Stage",
            "Owner",
            "Next follow-up",
            "Updated"
        ]
    );
    assert!(Search::new("").is_empty());
    assert!(Search::new(" \t ").is_empty());
    assert!(!Search::new("x").is_empty());
}

#[test]
fn agenda_counts_and_fell_due_edges() {
    let now = NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap());
    assert_eq!(Agenda::default().len(), 0);
    assert!(Agenda::default().is_empty());
    let all = vec![
        summary(
            "B",
            "",
            vec![
                followup("2026-11-24T09:00", "nine"),
                followup("2026-11-24T08:00", "eight"),
                followup("2026-11-26", "thursday"),
                followup("2026-11-24", "today"),
                followup("2026-12-24", "later"),
            ],
        ),
        summary("A", "", vec![followup("2026-11-24T09:00", "nine too")]),
        summary(
            "Gone",
            "",
            vec![followup("2026-11-24T09:00", "deleted"), Edit::Delete],
        ),
        summary(
            "Old",
            "",
            vec![
                followup("2026-11-24T09:00", "archived"),
                Edit::Archive(true),
            ],
        ),
    ];
    let ag = agenda(&all, now);
    assert_eq!(
        (
            ag.overdue.len(),
            ag.today.len(),
            ag.this_week.len(),
            ag.later
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(ag.len(), 5, "later ones are only counted");
    assert!(!ag.is_empty());
    let only_later = agenda(&[summary("C", "", vec![followup("2027-01-01", "x")])], now);
    assert_eq!(only_later.later, 1);
    assert_eq!(only_later.len(), 0);
    assert!(only_later.is_empty());

    // `since` is exclusive, `now` inclusive; deleted and archived customers never announce.
    let at = |h, m| {
        now.date()
            .and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap())
    };
    let subjects = |v: Vec<rapport_query::AgendaEntry>| -> Vec<String> {
        v.into_iter().map(|e| e.followup.subject).collect()
    };
    // Same due time: by customer id (ids are random here).
    let nines = if all[0].id < all[1].id {
        ["nine", "nine too"]
    } else {
        ["nine too", "nine"]
    };
    assert_eq!(subjects(fell_due(&all, at(8, 0), at(9, 0))), nines);
    assert_eq!(
        subjects(fell_due(&all, at(7, 59), at(9, 0))),
        ["eight", nines[0], nines[1]]
    );
    assert!(fell_due(&all, at(9, 0), at(9, 30)).is_empty());
    assert_eq!(
        subjects(fell_due(
            &all,
            at(0, 0) - chrono::Duration::minutes(1),
            at(0, 0)
        )),
        ["today"],
        "a date alone falls due at midnight"
    );
}

#[test]
fn search_matches_a_whole_summary_like_its_three_texts() {
    let all = sample();
    let mut zw = Search::new("zw");
    assert!(zw.matches(&all[0]), "pinyin initials of 张伟");
    assert!(!zw.matches(&all[1]));
    let mut fuzzy = Search::new("blwtr");
    assert!(fuzzy.matches(&all[1]), "fuzzy subsequence of Bluewater Ltd");
    assert!(!fuzzy.matches(&all[2]));
    for s in &all {
        assert_eq!(
            Search::new("acme").matches(s),
            Search::new("acme").matches_text(&s.name, &s.company, &s.search),
            "{}",
            s.name
        );
    }
}

#[test]
fn needs_value_exactly_for_tier_segment_revisit_and_stage() {
    let without = [
        Filter::default(),
        Filter {
            text: "acme".into(),
            tag: Some("vip".into()),
            owner: Some("li".into()),
            archived: true,
            ..Filter::default()
        },
    ];
    for f in &without {
        assert!(!f.needs_value(), "{f:?}");
    }
    let with = [
        Filter {
            tier: Some(Tier::Vip),
            ..Filter::default()
        },
        Filter {
            segment: Some(Segment::Lost),
            ..Filter::default()
        },
        Filter {
            due_for_revisit: true,
            ..Filter::default()
        },
        Filter {
            stage: Some(LifecycleStage::Decline),
            ..Filter::default()
        },
    ];
    for f in &with {
        assert!(f.needs_value(), "{f:?}");
    }
}

#[test]
fn tags_as_a_list_or_a_set_contain_the_same() {
    let list = ["key account", "vip"];
    let set: std::collections::BTreeSet<String> = list.iter().map(|t| t.to_string()).collect();
    for tags in [Tags::List(&list), Tags::Set(&set)] {
        assert!(tags.contains("vip"), "{tags:?}");
        assert!(tags.contains("key account"), "{tags:?}");
        assert!(!tags.contains("vi"), "{tags:?}: whole tags only");
        assert!(
            !tags.contains("Key Account"),
            "{tags:?}: tags are stored folded"
        );
    }
    assert!(!Tags::List(&[]).contains(""));
}

#[test]
fn admits_from_list_parts_agrees_with_select() {
    let all = vec![
        owned(
            "Li Na",
            "Li Na",
            vec![
                won("500", "2026-10-01"),
                contacted("2026-11-23"),
                Edit::Stage(Some(LifecycleStage::Decline)),
            ],
        ),
        owned("Wang Fang", "wang fang", vec![won("100", "2026-10-02")]),
        owned(
            "Chen Jie",
            "Li Na",
            vec![Edit::AddTag("Key Account".into())],
        ),
        owned(
            "Zhou Archived",
            "Li Na",
            vec![Edit::AddTag("Key Account".into()), Edit::Archive(true)],
        ),
        owned("Gone", "Li Na", vec![Edit::Delete]),
    ];
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let analysis = analyse(&all, &ValueSettings::default(), today);
    let filters = [
        Filter::default(),
        Filter {
            archived: true,
            ..Filter::default()
        },
        Filter {
            text: "li".into(),
            ..Filter::default()
        },
        Filter {
            text: "wng fng".into(),
            ..Filter::default()
        },
        Filter {
            tag: Some("Key Account".into()),
            ..Filter::default()
        },
        Filter {
            tag: Some("key account".into()),
            archived: true,
            ..Filter::default()
        },
        Filter {
            owner: Some(" LI NA".into()),
            ..Filter::default()
        },
        Filter {
            tier: Some(Tier::Minor),
            ..Filter::default()
        },
        Filter {
            tier: Some(Tier::Vip),
            ..Filter::default()
        },
        Filter {
            segment: Some(Segment::Prospect),
            ..Filter::default()
        },
        Filter {
            due_for_revisit: true,
            ..Filter::default()
        },
        Filter {
            stage: Some(LifecycleStage::Decline),
            ..Filter::default()
        },
        Filter {
            stage: Some(LifecycleStage::Exploration),
            ..Filter::default()
        },
        Filter {
            owner: Some("li na".into()),
            tier: Some(Tier::Minor),
            text: "chen".into(),
            ..Filter::default()
        },
    ];
    // Each candidate is built from separately held parts, as the store's compact list rows
    // give them: the tags as a list, the texts as their own strings.
    let tag_lists: Vec<Vec<String>> = all
        .iter()
        .map(|s| s.tags.iter().cloned().collect())
        .collect();
    let mut admitted_somewhere = 0;
    let mut refused_somewhere = 0;
    for f in &filters {
        for a in [Some(&analysis), None] {
            let selected = select(&all, a, f, Sort::default());
            let mut compiled = f.compile();
            for (i, s) in all.iter().enumerate() {
                let tags: Vec<&str> = tag_lists[i].iter().map(String::as_str).collect();
                let name = s.name.clone();
                let company = s.company.clone();
                let search = s.search.clone();
                let owner = s.owner.clone();
                let c = Candidate {
                    id: s.id,
                    name: &name,
                    company: &company,
                    search: &search,
                    tags: Tags::List(&tags),
                    owner: &owner,
                    stage: s.stage,
                    archived: s.archived,
                    deleted: s.deleted,
                    fields: Some(&s.fields),
                };
                let v = a.and_then(|a| a.get(s.id)).map(|v| v.facts());
                let admitted = compiled.admits(c, v);
                assert_eq!(
                    admitted,
                    selected.contains(&i),
                    "{f:?} {} with analysis: {}",
                    s.name,
                    a.is_some()
                );
                assert_eq!(
                    admitted,
                    compiled.admits(Candidate::from(s), v),
                    "list parts and the summary are read alike"
                );
                if !f.needs_value() {
                    assert_eq!(
                        admitted,
                        compiled.admits(c, None),
                        "{f:?}: the value is ignored"
                    );
                }
                if admitted {
                    admitted_somewhere += 1;
                } else {
                    refused_somewhere += 1;
                }
            }
        }
    }
    assert!(admitted_somewhere > 0 && refused_somewhere > 0);

    // What the cases above mean, spelled out for the list parts.
    let listed = |f: &Filter| names(&all, &select(&all, Some(&analysis), f, Sort::default()));
    assert_eq!(listed(&filters[0]), ["Chen Jie", "Li Na", "Wang Fang"]);
    assert_eq!(
        listed(&filters[1]),
        ["Chen Jie", "Li Na", "Wang Fang", "Zhou Archived"],
        "archived only when asked; deleted never"
    );
    assert_eq!(listed(&filters[4]), ["Chen Jie"], "the tag is folded");
    assert_eq!(listed(&filters[5]), ["Chen Jie", "Zhou Archived"]);
    assert_eq!(listed(&filters[13]), ["Chen Jie"]);
}

#[test]
fn value_may_pass_is_what_admits_asks_of_the_value() {
    let tags = std::collections::BTreeSet::new();
    let c = Candidate {
        id: rapport_model::CustomerId::new(),
        name: "Acme",
        company: "",
        search: "acme",
        tags: Tags::Set(&tags),
        owner: "",
        stage: None,
        archived: false,
        deleted: false,
        fields: None,
    };
    let tiers = [None, Some(Tier::Vip), Some(Tier::Major), Some(Tier::Minor)];
    let segments = [Segment::Champions, Segment::Lost, Segment::Prospect];
    let mut filters = vec![Filter::default()];
    for t in tiers.iter().flatten() {
        filters.push(Filter {
            tier: Some(*t),
            ..Filter::default()
        });
    }
    for g in segments {
        filters.push(Filter {
            segment: Some(g),
            due_for_revisit: true,
            ..Filter::default()
        });
    }
    filters.push(Filter {
        tier: Some(Tier::Vip),
        segment: Some(Segment::Champions),
        ..Filter::default()
    });
    let mut passed = 0;
    for f in &filters {
        let mut compiled = f.compile();
        for effective_tier in tiers {
            for segment in segments {
                for due_for_revisit in [false, true] {
                    let v = rapport_value::ValueFacts {
                        effective_tier,
                        segment,
                        due_for_revisit,
                        stage: LifecycleStage::Formation,
                    };
                    let may = f.value_may_pass(&v);
                    assert_eq!(may, compiled.admits(c, Some(v)), "{f:?} {v:?}");
                    passed += usize::from(may);
                }
            }
        }
    }
    // Neither always nor never.
    assert!(passed > 0 && passed < filters.len() * 24, "{passed}");
}

/// Custom field tests: equal (folded), at least, at most, set; a row without field values
/// (a store list row) never passes one; ranges compare dates and amounts by their numbers.
#[test]
fn custom_field_tests_compare_by_the_fields_kind() {
    use rapport_model::{Currency, FieldDef, FieldKind};
    use rapport_query::{FieldFilter, FieldTest};
    let expiry = FieldDef::new("e1", "Contract expiry", FieldKind::Date, vec![]).unwrap();
    let credit = FieldDef::new("c1", "Credit limit", FieldKind::Money, vec![]).unwrap();
    let region = FieldDef::new(
        "r1",
        "Region",
        FieldKind::Choice,
        vec!["North".into(), "South".into()],
    )
    .unwrap();
    let cny = Currency::parse("CNY", "c").unwrap();
    let mut rows = Vec::new();
    for (name, e, c, r) in [
        ("A", Some("2027-01-31"), Some("50000"), Some("North")),
        ("B", Some("2026-06-30"), Some("900"), Some("South")),
        ("C", None, Some("120000"), None),
    ] {
        let mut cu = rapport_model::Customer::new(
            rapport_model::CustomerId::new(),
            name,
            rapport_model::CustomerKind::Company,
            chrono::Utc::now(),
        );
        for (def, v) in [(&expiry, e), (&credit, c), (&region, r)] {
            if let Some(v) = v {
                cu.fields
                    .insert(def.id.clone(), def.parse(v, cny).unwrap().unwrap());
            }
        }
        rows.push(CustomerSummary::of(&cu));
    }
    let names = |tests: Vec<FieldFilter>| {
        let f = Filter {
            fields: tests,
            ..Filter::default()
        };
        let mut c = f.compile();
        rows.iter()
            .filter(|s| c.admits(Candidate::from(*s), None))
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    let t = |field: &FieldDef, test: FieldTest| FieldFilter {
        field: field.clone(),
        test,
    };
    assert_eq!(
        names(vec![t(&region, FieldTest::Equals("north".into()))]),
        ["A"]
    );
    assert_eq!(
        names(vec![t(&expiry, FieldTest::AtMost("2026-12-31".into()))]),
        ["B"]
    );
    assert_eq!(
        names(vec![t(&credit, FieldTest::AtLeast("1000.00 CNY".into()))]),
        ["A", "C"]
    );
    assert_eq!(
        names(vec![
            t(&credit, FieldTest::AtLeast("1000.00 CNY".into())),
            t(&expiry, FieldTest::IsSet)
        ]),
        ["A"]
    );
    assert_eq!(
        names(vec![t(&credit, FieldTest::AtLeast("lots".into()))]),
        Vec::<String>::new()
    );
    // A row without field values never passes a field test.
    let f = Filter {
        fields: vec![t(&region, FieldTest::IsSet)],
        ..Filter::default()
    };
    let mut c = f.compile();
    let mut without = Candidate::from(&rows[0]);
    without.fields = None;
    assert!(!c.admits(without, None));
    assert!(f.needs_fields() && f.is_filtered());
}

/// A custom field column sorts by the field's kind: numbers, amounts and dates as numbers
/// (not as text: 900 before 50000, 2026-06 before 2027-01), text folded and Chinese by
/// pinyin, a choice in the order of its options, yes/no with no first; customers without a
/// value (or with one their field's kind cannot read) last in both directions; ties by name.
#[test]
fn a_custom_field_column_sorts_by_the_fields_kind_with_blanks_last() {
    use rapport_model::{FieldDef, FieldKind};
    let number = FieldDef::new("n1", "Machines", FieldKind::Number, vec![]).unwrap();
    let credit = FieldDef::new("c1", "Credit limit", FieldKind::Money, vec![]).unwrap();
    let expiry = FieldDef::new("e1", "Contract expiry", FieldKind::Date, vec![]).unwrap();
    let note = FieldDef::new("t1", "Machine model", FieldKind::Text, vec![]).unwrap();
    let size = FieldDef::new(
        "s1",
        "Size",
        FieldKind::Choice,
        vec!["Small".into(), "Medium".into(), "Large".into()],
    )
    .unwrap();
    let key = FieldDef::new("k1", "Key account", FieldKind::YesNo, vec![]).unwrap();
    let set = |def: &FieldDef, v: &str| Edit::SetField(def.id.clone(), Some(v.into()));
    let all = vec![
        summary(
            "Anna",
            "",
            vec![
                set(&number, "12"),
                set(&credit, "50000.00 CNY"),
                set(&expiry, "2027-01-31"),
                set(&note, "zeta-9"),
                set(&size, "Large"),
                set(&key, "yes"),
            ],
        ),
        summary(
            "Bert",
            "",
            vec![
                set(&number, "9"),
                set(&credit, "900.00 CNY"),
                set(&expiry, "2026-06-30"),
                set(&note, "Alpha 2"),
                set(&size, "Small"),
                set(&key, "no"),
            ],
        ),
        // No values at all.
        summary("Cleo", "", vec![]),
        summary(
            "Dora",
            "",
            vec![
                set(&number, "-3.5"),
                set(&credit, "120000.00 EUR"),
                set(&expiry, "2026-06-30"),
                set(&note, "北京"),
                set(&size, "Medium"),
                set(&key, "yes"),
            ],
        ),
        // Values their fields cannot read: a number field holding text (kept from before a
        // kind change) and an option the field no longer has.
        summary(
            "Emil",
            "",
            vec![
                set(&number, "lots"),
                set(&size, "Huge"),
                set(&note, "alpha 1"),
            ],
        ),
    ];
    let sorted = |def: &FieldDef, descending| {
        let sort = Sort {
            column: Column::Field(def.clone()),
            descending,
        };
        names(&all, &select(&all, None, &Filter::default(), sort))
    };
    assert_eq!(
        sorted(&number, false),
        ["Dora", "Bert", "Anna", "Cleo", "Emil"],
        "numerically, unreadable with the blanks, ties by name"
    );
    assert_eq!(
        sorted(&number, true),
        ["Anna", "Bert", "Dora", "Cleo", "Emil"],
        "blanks stay last descending"
    );
    assert_eq!(
        sorted(&credit, false),
        ["Bert", "Anna", "Dora", "Cleo", "Emil"]
    );
    assert_eq!(
        sorted(&expiry, false),
        ["Bert", "Dora", "Anna", "Cleo", "Emil"],
        "same date: by name"
    );
    assert_eq!(
        sorted(&expiry, true),
        ["Anna", "Bert", "Dora", "Cleo", "Emil"],
        "ties stay in name order descending"
    );
    assert_eq!(
        sorted(&note, false),
        ["Emil", "Bert", "Dora", "Anna", "Cleo"],
        "folded: alpha 1, Alpha 2, 北京 as bei jing, zeta-9"
    );
    assert_eq!(
        sorted(&size, false),
        ["Bert", "Dora", "Anna", "Emil", "Cleo"],
        "option order; an option the field lost after every option"
    );
    assert_eq!(
        sorted(&size, true),
        ["Emil", "Anna", "Dora", "Bert", "Cleo"]
    );
    assert_eq!(
        sorted(&key, false),
        ["Bert", "Anna", "Dora", "Cleo", "Emil"],
        "no before yes"
    );
    assert_eq!(sorted(&key, true), ["Anna", "Dora", "Bert", "Cleo", "Emil"]);
    assert_eq!(Column::Field(size.clone()).label(), "Size");
    assert_eq!(Column::Field(size.clone()).field(), Some(&size));
    assert_eq!(Column::Revenue.field(), None);
}

/// A kept sort by a custom field takes the field's definition as it is now, and falls back
/// to name order when the field was removed or is unknown.
#[test]
fn a_kept_field_sort_follows_the_fields_current_definition() {
    use rapport_model::{FieldDef, FieldKind, Fields};
    let old = FieldDef::new(
        "s1",
        "Size",
        FieldKind::Choice,
        vec!["Small".into(), "Large".into()],
    )
    .unwrap();
    let mut now = old.clone();
    now.name = "Company size".into();
    now.options.insert(1, "Medium".into());
    let kept = Sort {
        column: Column::Field(old.clone()),
        descending: true,
    };
    let fields = Fields(vec![now.clone()]);
    assert_eq!(
        kept.refreshed(&fields),
        Sort {
            column: Column::Field(now.clone()),
            descending: true
        }
    );
    let mut removed = now.clone();
    removed.removed = true;
    assert_eq!(kept.refreshed(&Fields(vec![removed])), Sort::default());
    assert_eq!(kept.refreshed(&Fields::default()), Sort::default());
    let by_revenue = Sort {
        column: Column::Revenue,
        descending: true,
    };
    assert_eq!(by_revenue.refreshed(&Fields::default()), by_revenue);
}

mod index_prefilters {
    //! What a search index may skip: the prefilters must let through every row that matches.
    use proptest::prelude::*;
    use rapport_query::{Search, fuzzy_mask};

    /// Whether `search` would be judged possible for a row with this name, company and
    /// folded search text by the index's two prefilters.
    fn passes(search: &Search, name: &str, company: &str, text: &str) -> bool {
        let words = search.words().iter().all(|w| text.contains(w.as_str()));
        let fuzzy = search
            .fuzzy_bits()
            .is_some_and(|b| (fuzzy_mask(name) | fuzzy_mask(company)) & b == b);
        words || fuzzy
    }

    #[test]
    fn the_prefilters_keep_the_known_matches() {
        for (query, name) in [
            ("blwtr", "Bluewater Trading"),
            ("muller", "Müller GmbH"),
            ("MUELL", "Müller Mueller"),
            ("acme", "ＡＣＭＥ Corp"),
            ("zhang", "张伟 Zhang"),
            ("k9x", "K9X"),
        ] {
            let mut s = Search::new(query);
            let text = rapport_model::text::search_terms(name);
            if s.matches_text(name, "", &text) {
                assert!(passes(&s, name, "", &text), "{query} in {name}");
            }
        }
        // And they do skip rows that lack a letter.
        let s = Search::new("blwtr");
        assert!(!passes(&s, "Harbour Foods", "", "harbour foods"));
        assert!(
            Search::new("ab").fuzzy_bits().is_none(),
            "too short to match fuzzily"
        );
    }

    #[test]
    fn masks_have_one_bit_per_letter_and_digit() {
        assert_eq!(fuzzy_mask("a"), 1);
        assert_eq!(fuzzy_mask("Z"), 1 << 25);
        assert_eq!(fuzzy_mask("0"), 1 << 26);
        assert_eq!(fuzzy_mask("9"), 1 << 35);
        assert_eq!(fuzzy_mask("Ä-é 张"), 1 | (1 << 4));
        // A letter twice is one bit, never none.
        let aab = Search::new("aab").fuzzy_bits().unwrap();
        assert_eq!(aab, 0b11);
        assert_eq!(Search::new("k9x").fuzzy_bits(), Some(fuzzy_mask("K9X")));
        assert_ne!(fuzzy_mask("K9X") & (1 << 35), 0);
    }

    #[test]
    fn only_a_search_and_archived_are_text_only() {
        use rapport_query::Filter;
        let text = Filter {
            text: "wang".into(),
            archived: true,
            ..Filter::default()
        };
        assert!(text.text_only());
        assert!(!text.needs_fields());
        let field = rapport_model::FieldDef {
            id: "f1".into(),
            name: "Region".into(),
            kind: rapport_model::FieldKind::Text,
            options: vec![],
            removed: false,
        };
        let others: Vec<Filter> = vec![
            Filter {
                tier: Some(rapport_model::Tier::Vip),
                ..text.clone()
            },
            Filter {
                stage: Some(rapport_model::LifecycleStage::Stability),
                ..text.clone()
            },
            Filter {
                segment: Some(rapport_value::Segment::Champions),
                ..text.clone()
            },
            Filter {
                tag: Some("fair".into()),
                ..text.clone()
            },
            Filter {
                owner: Some("li".into()),
                ..text.clone()
            },
            Filter {
                due_for_revisit: true,
                ..text.clone()
            },
            Filter {
                fields: vec![rapport_query::FieldFilter {
                    field: field.clone(),
                    test: rapport_query::FieldTest::IsSet,
                }],
                ..text.clone()
            },
        ];
        for (i, f) in others.iter().enumerate() {
            assert!(!f.text_only(), "filter {i}");
        }
        assert!(others[6].needs_fields());
    }

    proptest! {
        #[test]
        fn a_row_that_matches_passes_the_prefilters(
            name in "[a-zA-Z0-9 äöüÄÖÜéèçñßøÅ张伟王芳ＡＢ.\\-]{0,24}",
            company in "[a-zA-Z0-9 äöüéÉñ李娜.]{0,16}",
            query in "[a-zA-Z0-9 äöüé张王]{1,8}",
        ) {
            let mut s = Search::new(&query);
            let text = format!(
                "{}\n{}",
                rapport_model::text::search_terms(&name),
                rapport_model::text::search_terms(&company)
            );
            if s.matches_text(&name, &company, &text) {
                prop_assert!(passes(&s, &name, &company, &text));
            }
        }

        /// Queries made of the name's own letters (in order, some dropped, case and
        /// accents changed), so that many of them match fuzzily.
        #[test]
        fn a_subsequence_query_that_matches_passes_the_prefilters(
            name in "[a-zA-Z0-9 äöüÄÖÜéÉèçñøÅ张伟]{3,24}",
            keep in proptest::collection::vec(any::<bool>(), 24),
            upper in any::<bool>(),
        ) {
            let picked: String = name
                .chars()
                .zip(keep.iter().cycle())
                .filter(|(_, k)| **k)
                .map(|(c, _)| c)
                .collect();
            let query = if upper { picked.to_uppercase() } else { picked.to_lowercase() };
            let mut s = Search::new(&query);
            let text = rapport_model::text::search_terms(&name);
            if s.matches_text(&name, "", &text) {
                prop_assert!(passes(&s, &name, "", &text), "{query:?} in {name:?}");
            }
        }
    }
}
