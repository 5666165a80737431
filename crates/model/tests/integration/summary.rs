//! The summary row derived from a customer, and the text folding it is built on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rapport_model::{
    Currency, Customer, CustomerId, CustomerKind, CustomerSummary, Deal, DealStatus, Due, Edit,
    FollowUp, FollowUpKind, ItemId, Money, Timestamp, text, timestamp_from_millis,
};

fn now() -> Timestamp {
    timestamp_from_millis(1_790_000_000_000)
}

fn deal(date: &str, status: DealStatus) -> Edit {
    Edit::PutDeal(
        ItemId::new(),
        Deal {
            title: "order".into(),
            amount: Money {
                minor: 100,
                currency: Currency::parse("CNY", "currency").unwrap(),
            },
            status,
            date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
            probability: 50,
        },
    )
}

fn followup(id: ItemId, due: &str, done: bool) -> Edit {
    Edit::PutFollowUp(
        id,
        FollowUp {
            due: Due::parse(due, "due").unwrap(),
            kind: FollowUpKind::Visit,
            subject: format!("visit {due}"),
            assignee: String::new(),
            done_at: done.then(now),
            outcome: String::new(),
        },
    )
}

fn customer(edits: Vec<Edit>) -> CustomerSummary {
    let mut c = Customer::new(CustomerId::new(), "Acme", CustomerKind::Company, now());
    for e in edits {
        e.apply(&mut c, now());
    }
    CustomerSummary::of(&c)
}

#[test]
fn last_purchase_is_the_latest_won_deal_only() {
    let s = customer(vec![
        deal("2026-03-01", DealStatus::Won),
        deal("2026-05-01", DealStatus::Won),
        deal("2026-06-01", DealStatus::Open),
        deal("2026-07-01", DealStatus::Lost),
    ]);
    assert_eq!(s.last_purchase, NaiveDate::from_ymd_opt(2026, 5, 1));
    assert_eq!(s.deals.len(), 4);
    assert!(s.deals.windows(2).all(|w| w[0].date <= w[1].date));
    assert_eq!(
        customer(vec![deal("2026-06-01", DealStatus::Open)]).last_purchase,
        None
    );
}

#[test]
fn next_due_is_the_earliest_open_follow_up() {
    let s = customer(vec![
        followup(ItemId::new(), "2026-12-03", false),
        followup(ItemId::new(), "2026-12-01", true),
        followup(ItemId::new(), "2026-12-02T15:00", false),
        followup(ItemId::new(), "2026-12-02", false),
    ]);
    assert_eq!(s.open_followups.len(), 3, "done ones are not open");
    assert_eq!(s.next_due(), Some(Due::parse("2026-12-02", "due").unwrap()));
    assert_eq!(
        s.last_contact,
        Some(now()),
        "a completed follow-up is a contact"
    );
    assert_eq!(customer(vec![]).next_due(), None);
}

#[test]
fn search_text_skips_empty_fields_and_matches_every_word() {
    let s = customer(vec![
        Edit::Company("Huachuang".into()),
        Edit::AddTag("Key Account".into()),
    ]);
    // Name, company and tag, one line each; the empty industry adds no blank line.
    assert_eq!(s.search, "acme\nhuachuang\nkey account");
    assert!(s.matches("ACME key"));
    assert!(!s.matches("acme siemens"));
}

#[test]
fn folding_and_pinyin_readings() {
    assert_eq!(text::fold(" \t Ａcme \n GmbH "), "acme gmbh");
    assert_eq!(text::fold(""), "");
    assert_eq!(text::pinyin_reading("张伟").as_deref(), Some("zhang wei"));
    assert_eq!(
        text::pinyin_reading("Li张伟").as_deref(),
        Some("li zhang wei")
    );
    assert_eq!(text::pinyin_reading("Acme"), None);
    assert_eq!(text::sort_key("Acme"), "acme\0acme");
    assert_eq!(text::sort_key("张伟"), "zhang wei\0张伟");
    assert_eq!(text::search_terms("华创"), "华创 hua chuang hc");
}
