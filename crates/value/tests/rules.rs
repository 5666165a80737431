//! Hand-computed cases for every rule in the crate docs, and properties over random bases.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rapport_model::{
    Currency, Customer, CustomerId, CustomerKind, CustomerSummary, Deal, DealStatus, Edit,
    Interaction, InteractionKind, ItemId, LifecycleStage, Money, Tier, TierOverride,
    timestamp_from_millis,
};
use rapport_value::{Segment, ValueSettings, analyse};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn days_ago(n: u64) -> NaiveDate {
    today() - Days::new(n)
}

fn cur(c: &str) -> Currency {
    Currency::parse(c, "currency").unwrap()
}

struct C {
    c: Customer,
}

impl C {
    fn new(n: u128) -> Self {
        let created = timestamp_from_millis(1_700_000_000_000);
        C {
            c: Customer::new(
                CustomerId::from_u128(n),
                format!("c{n}"),
                CustomerKind::Company,
                created,
            ),
        }
    }
    fn edit(mut self, e: Edit) -> Self {
        e.apply(&mut self.c, timestamp_from_millis(0));
        self
    }
    fn deal(self, date: NaiveDate, minor: i64, currency: &str, status: DealStatus, p: u8) -> Self {
        self.edit(Edit::PutDeal(
            ItemId::new(),
            Deal {
                title: String::new(),
                amount: Money {
                    minor,
                    currency: cur(currency),
                },
                status,
                date,
                probability: p,
            },
        ))
    }
    fn won(self, date: NaiveDate, minor: i64) -> Self {
        self.deal(date, minor, "CNY", DealStatus::Won, 100)
    }
    fn contacted(self, date: NaiveDate) -> Self {
        self.edit(Edit::LogInteraction(
            ItemId::new(),
            Interaction {
                at: date.and_hms_opt(10, 0, 0).unwrap().and_utc(),
                kind: InteractionKind::Call,
                summary: "call".into(),
                outcome: String::new(),
                by: String::new(),
            },
        ))
    }
    fn s(self) -> CustomerSummary {
        CustomerSummary::of(&self.c)
    }
}

/// `n` customers with distinct positive revenue (customer i earns i+1 units).
fn distinct(n: u128) -> Vec<CustomerSummary> {
    (0..n)
        .map(|i| C::new(i + 1).won(days_ago(10), (i as i64 + 1) * 100).s())
        .collect()
}

fn counts(s: &[CustomerSummary]) -> [u32; 4] {
    let a = analyse(s, &ValueSettings::default(), today());
    let get = |t| a.tiers.iter().find(|x| x.tier == t).unwrap().customers;
    [
        get(Tier::Vip),
        get(Tier::Major),
        get(Tier::Common),
        get(Tier::Minor),
    ]
}

#[test]
fn tier_slots_round_up() {
    assert_eq!(counts(&distinct(150)), [2, 6, 22, 120]);
    assert_eq!(counts(&distinct(100)), [1, 4, 15, 80]);
    assert_eq!(counts(&distinct(10)), [1, 0, 1, 8]);
    assert_eq!(counts(&distinct(3)), [1, 0, 0, 2]);
    assert_eq!(counts(&distinct(1)), [1, 0, 0, 0]);
    assert_eq!(counts(&[]), [0, 0, 0, 0]);
    // The best customer is the VIP.
    let a = analyse(&distinct(150), &ValueSettings::default(), today());
    assert_eq!(
        a.get(CustomerId::from_u128(150)).unwrap().tier,
        Some(Tier::Vip)
    );
    assert_eq!(a.get(CustomerId::from_u128(150)).unwrap().rank, Some(1));
    assert_eq!(
        a.get(CustomerId::from_u128(1)).unwrap().tier,
        Some(Tier::Minor)
    );
}

#[test]
fn ties_at_a_boundary_get_the_better_tier() {
    // 150 customers, 2 VIP slots; the 2nd and 3rd earn the same.
    let mut s = distinct(147);
    s.push(C::new(1001).won(days_ago(5), 1_000_000).s());
    s.push(C::new(1002).won(days_ago(5), 900_000).s());
    s.push(C::new(1003).won(days_ago(5), 900_000).s());
    let a = analyse(&s, &ValueSettings::default(), today());
    for id in [1001, 1002, 1003] {
        assert_eq!(
            a.get(CustomerId::from_u128(id)).unwrap().tier,
            Some(Tier::Vip),
            "{id}"
        );
    }
    assert_eq!(a.get(CustomerId::from_u128(1002)).unwrap().rank, Some(2));
    assert_eq!(a.get(CustomerId::from_u128(1003)).unwrap().rank, Some(2));
    assert_eq!(counts(&s)[0], 3);
}

#[test]
fn zero_revenue_is_always_minor() {
    let mut s: Vec<CustomerSummary> = (1..=9).map(|i| C::new(i).s()).collect();
    s.push(C::new(10).won(days_ago(1), 500).s());
    assert_eq!(counts(&s), [1, 0, 0, 9]);
}

#[test]
fn window_edges_by_date() {
    // Window: 2025-11-23 ..= 2026-11-22.
    let a = analyse(
        &[
            C::new(1)
                .won(NaiveDate::from_ymd_opt(2025, 11, 23).unwrap(), 100)
                .s(),
            C::new(2)
                .won(NaiveDate::from_ymd_opt(2025, 11, 22).unwrap(), 100)
                .s(),
            C::new(3).won(today(), 100).s(),
            C::new(4).won(today() + Days::new(1), 100).s(),
        ],
        &ValueSettings::default(),
        today(),
    );
    assert_eq!(
        a.window_start,
        NaiveDate::from_ymd_opt(2025, 11, 23).unwrap()
    );
    let rev = |n| a.get(CustomerId::from_u128(n)).unwrap().window_revenue;
    assert_eq!([rev(1), rev(2), rev(3), rev(4)], [100, 0, 100, 0]);
    let realised = |n| a.get(CustomerId::from_u128(n)).unwrap().realised;
    assert_eq!(realised(2), 100, "older deals are realised value");
    assert_eq!(realised(4), 0, "future-dated deals are not");
}

#[test]
fn other_currencies_are_converted_or_left_out_never_added_silently() {
    let s = vec![
        C::new(1).won(days_ago(3), 100_000).s(), // 1000.00 CNY
        C::new(2)
            .deal(days_ago(3), 10_000, "EUR", DealStatus::Won, 100)
            .s(), // 100.00 EUR
        C::new(3)
            .deal(days_ago(3), 1_000, "JPY", DealStatus::Won, 100)
            .s(), // 1000 JPY
        C::new(4)
            .deal(days_ago(400), 10_000, "USD", DealStatus::Won, 100)
            .won(days_ago(2), 50)
            .s(),
    ];
    let a = analyse(&s, &ValueSettings::default(), today());
    let v = |n| a.get(CustomerId::from_u128(n)).unwrap();
    assert_eq!(v(2).tier, None, "EUR without a rate: left out");
    assert_eq!(v(2).left_out, vec![cur("EUR")]);
    assert_eq!(v(3).tier, None);
    assert_eq!(
        v(4).tier,
        Some(Tier::Minor),
        "an unconvertible deal outside the window does not block ranking"
    );
    assert_eq!(v(4).left_out, vec![cur("USD")], "but it is reported");
    assert_eq!(v(4).realised, 50);
    assert_eq!(a.ranked, 2);
    assert_eq!(a.left_out().count(), 2);

    let mut m = BTreeMap::new();
    m.insert("rate.EUR".to_string(), "7.85".to_string());
    m.insert("rate.JPY".to_string(), "0.05".to_string());
    let settings = ValueSettings::from_map(&m).unwrap();
    let a = analyse(&s, &settings, today());
    let v = |n| a.get(CustomerId::from_u128(n)).unwrap();
    assert_eq!(
        v(2).window_revenue,
        78_500,
        "100.00 EUR x 7.85 = 785.00 CNY"
    );
    assert_eq!(v(3).window_revenue, 5_000, "1000 JPY x 0.05 = 50.00 CNY");
    assert_eq!(a.ranked, 4);
    assert_eq!(v(1).tier, Some(Tier::Vip));
}

#[test]
fn rfm_scores_by_quintile_and_segments() {
    // Five buyers: customer k bought k times in the window, most recently 10*k days ago,
    // for k*1000 each.
    let mut s = Vec::new();
    for k in 1..=5u128 {
        let mut c = C::new(k);
        for j in 0..k {
            c = c.won(days_ago(10 * k as u64 + j as u64 * 30), 1000);
        }
        s.push(c.s());
    }
    s.push(C::new(6).s());
    let a = analyse(&s, &ValueSettings::default(), today());
    let r = |n| {
        a.get(CustomerId::from_u128(n))
            .unwrap()
            .rfm
            .clone()
            .unwrap()
    };
    assert_eq!((r(1).r, r(1).f, r(1).m), (5, 1, 1));
    assert_eq!((r(5).r, r(5).f, r(5).m), (1, 5, 5));
    assert_eq!((r(3).r, r(3).f, r(3).m), (3, 3, 3));
    assert_eq!(r(2).recency_days, 20);
    assert_eq!(r(4).frequency, 4);
    assert_eq!(r(4).monetary, 4000);
    assert_eq!(
        a.get(CustomerId::from_u128(1)).unwrap().segment,
        Segment::New
    );
    assert_eq!(
        a.get(CustomerId::from_u128(5)).unwrap().segment,
        Segment::CantLose
    );
    assert_eq!(
        a.get(CustomerId::from_u128(3)).unwrap().segment,
        Segment::NeedAttention
    );
    assert_eq!(
        a.get(CustomerId::from_u128(6)).unwrap().segment,
        Segment::Prospect
    );
    assert!(a.get(CustomerId::from_u128(6)).unwrap().rfm.is_none());
    assert_eq!(a.segments[&Segment::Prospect], 1);

    // The table, corner by corner.
    assert_eq!(Segment::of(5, 5, 5), Segment::Champions);
    assert_eq!(Segment::of(4, 3, 2), Segment::PotentialLoyalist);
    assert_eq!(Segment::of(3, 5, 4), Segment::Loyal);
    assert_eq!(Segment::of(3, 1, 1), Segment::AboutToSleep);
    assert_eq!(Segment::of(2, 3, 3), Segment::AtRisk);
    assert_eq!(Segment::of(2, 1, 2), Segment::Hibernating);
    assert_eq!(Segment::of(1, 5, 4), Segment::CantLose);
    assert_eq!(Segment::of(1, 3, 2), Segment::Lost);
}

#[test]
fn lifetime_potential_and_influence() {
    let a_id = 1;
    let s = vec![
        // 120,000.00 CNY in the window over 4 orders.
        C::new(a_id)
            .won(days_ago(10), 3_000_000)
            .won(days_ago(100), 3_000_000)
            .won(days_ago(200), 3_000_000)
            .won(days_ago(300), 3_000_000)
            .deal(
                today() + Days::new(30),
                1_000_000,
                "CNY",
                DealStatus::Open,
                40,
            )
            .deal(days_ago(30), 5_000_000, "CNY", DealStatus::Lost, 0)
            .s(),
        C::new(2)
            .edit(Edit::ReferredBy(Some(CustomerId::from_u128(a_id))))
            .won(days_ago(500), 50_000)
            .s(),
    ];
    let a = analyse(&s, &ValueSettings::default(), today());
    let v = a.get(CustomerId::from_u128(a_id)).unwrap();
    assert_eq!(v.clv.average_order, 3_000_000);
    assert!((v.clv.orders_per_year - 4.0).abs() < 1e-9);
    // 12,000,000 x 0.30 x (1/1.1 + 1/1.21 + 1/1.331) = 8,952,667.17
    assert_eq!(v.clv.value, 8_952_667);
    assert_eq!(v.realised, 12_000_000);
    assert_eq!(v.potential, 400_000, "10,000.00 at 40 %");
    assert_eq!(v.influence.referrals, 1);
    assert_eq!(v.influence.revenue, 50_000);
}

#[test]
fn lifecycle_stages_inferred_and_overridden() {
    let s = vec![
        C::new(1).s(),
        C::new(2).won(days_ago(60), 100).s(),
        C::new(3).won(days_ago(60), 100).won(days_ago(400), 100).s(),
        C::new(4)
            .won(days_ago(60), 100)
            .won(days_ago(400), 1000)
            .s(),
        C::new(5).won(days_ago(1200), 1000).s(),
        C::new(6).won(days_ago(400), 1000).s(),
        C::new(7)
            .won(days_ago(400), 1000)
            .edit(Edit::Stage(Some(LifecycleStage::Stability)))
            .s(),
    ];
    let a = analyse(&s, &ValueSettings::default(), today());
    let st = |n| a.get(CustomerId::from_u128(n)).unwrap();
    assert_eq!(st(1).stage, LifecycleStage::Exploration);
    assert_eq!(st(2).stage, LifecycleStage::Formation);
    assert_eq!(st(3).stage, LifecycleStage::Stability);
    assert_eq!(
        st(4).stage,
        LifecycleStage::Decline,
        "100 now vs 1000 before"
    );
    assert_eq!(
        st(5).stage,
        LifecycleStage::Decline,
        "nothing for over two years"
    );
    assert_eq!(
        st(6).stage,
        LifecycleStage::Decline,
        "bought last year, not this year"
    );
    assert_eq!(st(7).stage_inferred, LifecycleStage::Decline);
    assert_eq!(
        st(7).stage,
        LifecycleStage::Stability,
        "the manual stage wins"
    );
}

#[test]
fn revisit_cadence_follows_the_effective_tier() {
    let mut s = distinct(100); // ids 1..=100; 100 is the VIP
    s.retain(|c| c.id != CustomerId::from_u128(100) && c.id != CustomerId::from_u128(99));
    s.push(
        C::new(100)
            .won(days_ago(5), 1_000_000)
            .contacted(days_ago(10))
            .s(),
    );
    s.push(
        C::new(99)
            .won(days_ago(5), 2_000_000)
            .contacted(days_ago(20))
            .s(),
    );
    s.push(
        C::new(200)
            .contacted(days_ago(20))
            .edit(Edit::TierOverride(Some(TierOverride {
                tier: Tier::Vip,
                reason: "strategic".into(),
            })))
            .s(),
    );
    let a = analyse(&s, &ValueSettings::default(), today());
    let v = |n| a.get(CustomerId::from_u128(n)).unwrap();
    assert_eq!(v(99).tier, Some(Tier::Vip));
    assert!(v(99).due_for_revisit, "VIP not contacted for 20 > 14 days");
    assert_eq!(v(99).next_revisit, days_ago(6));
    assert_eq!(v(100).tier, Some(Tier::Vip), "101 customers: two VIP slots");
    assert!(!v(100).due_for_revisit, "VIP contacted 10 < 14 days ago");
    assert_eq!(v(98).tier, Some(Tier::Major));
    assert_eq!(v(200).tier, Some(Tier::Minor));
    assert_eq!(v(200).effective_tier, Some(Tier::Vip), "the override wins");
    assert!(v(200).due_for_revisit, "with the VIP cadence");
    assert!(v(1).due_for_revisit, "never contacted: due");
    let due: Vec<u128> = a.due_for_revisit().iter().map(|c| c.id.as_u128()).collect();
    assert_eq!(&due[..2], &[99, 200], "most valuable first");
}

#[test]
fn pareto_curve_runs_from_zero_to_all() {
    let a = analyse(&distinct(1000), &ValueSettings::default(), today());
    assert_eq!(a.pareto.len(), 101);
    assert_eq!(a.pareto[0].revenue_share, 0.0);
    let last = a.pareto.last().unwrap();
    assert_eq!((last.customer_share, last.revenue_share), (1.0, 1.0));
    assert!(
        a.pareto
            .windows(2)
            .all(|w| w[0].revenue_share <= w[1].revenue_share)
    );
    // Top 20 % of a linear base earn 36 % (sum of the top 200 of 1..=1000 / total).
    let p20 = a.pareto[20];
    assert!((p20.customer_share - 0.2).abs() < 1e-9);
    assert!((p20.revenue_share - 180_100.0 / 500_500.0).abs() < 1e-9);
    let share: f64 = a.tiers.iter().map(|t| t.revenue_share).sum();
    assert!((share - 1.0).abs() < 1e-9);
}

fn base() -> impl Strategy<Value = Vec<CustomerSummary>> {
    prop::collection::vec((0i64..2000, 0u64..900, any::<bool>()), 0..300).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (amount, ago, archived))| {
                let mut c = C::new(i as u128 + 1);
                if amount > 0 {
                    c = c.won(days_ago(ago), amount * 10);
                }
                if archived && i % 7 == 0 {
                    c = c.edit(Edit::Archive(true));
                }
                c.s()
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tiers_partition_and_match_the_percentages(s in base()) {
        let a = analyse(&s, &ValueSettings::default(), today());
        let active = s.iter().filter(|c| !c.archived).count();
        prop_assert_eq!(a.customers.len(), active);
        let total: u32 = a.tiers.iter().map(|t| t.customers).sum();
        prop_assert_eq!(total as usize, active, "every ranked customer has exactly one tier");
        // Without ties or zero revenue, tier sizes are exactly the rounded-up slots; with
        // them, the better tiers can only grow by ties, and zero revenue only adds Minors.
        let n = a.ranked as usize;
        let paying: Vec<i64> = a.customers.iter().map(|c| c.window_revenue).filter(|r| *r > 0).collect();
        let mut uniq = paying.clone();
        uniq.sort_unstable();
        uniq.dedup();
        let vip = a.tiers[0].customers as usize;
        if uniq.len() == paying.len() && paying.len() == n {
            prop_assert_eq!(vip, n.div_ceil(100));
            prop_assert_eq!(vip + a.tiers[1].customers as usize, (5 * n).div_ceil(100));
            prop_assert_eq!(vip + a.tiers[1].customers as usize + a.tiers[2].customers as usize, (20 * n).div_ceil(100));
        }
        for c in &a.customers {
            if c.window_revenue == 0 {
                prop_assert_eq!(c.tier, Some(Tier::Minor));
            }
        }
        // No customer ranks below one that earned less.
        let order = |t: Option<Tier>| t.map(|t| t as u8);
        for x in &a.customers {
            for y in a.customers.iter().take(50) {
                if x.window_revenue > y.window_revenue {
                    prop_assert!(order(x.tier) <= order(y.tier));
                }
            }
        }
    }

    #[test]
    fn result_is_independent_of_input_order(s in base(), seed in any::<u64>()) {
        let mut shuffled = s.clone();
        let len = shuffled.len();
        if len > 1 {
            let mut x = seed | 1;
            for i in (1..len).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
        }
        let a = analyse(&s, &ValueSettings::default(), today());
        let b = analyse(&shuffled, &ValueSettings::default(), today());
        prop_assert_eq!(a, b);
    }
}

/// Amounts and rates at the edge of what fits (documents synced from elsewhere may hold
/// anything an `i64` can) saturate instead of overflowing: no panic, no wrap-around.
#[test]
fn huge_amounts_and_rates_saturate() {
    let s: Vec<CustomerSummary> = (1..=3)
        .map(|n| {
            C::new(n)
                .won(days_ago(3), i64::MAX)
                .deal(days_ago(3), i64::MAX, "EUR", DealStatus::Won, 100)
                .deal(days_ago(3), i64::MAX, "EUR", DealStatus::Open, 100)
                .s()
        })
        .collect();
    let mut m = BTreeMap::new();
    m.insert("rate.EUR".to_string(), "1000000000".to_string());
    let settings = ValueSettings::from_map(&m).unwrap();
    let a = analyse(&s, &settings, today());
    assert_eq!(a.total_revenue, i64::MAX);
    assert!(a.tiers.iter().all(|t| t.revenue >= 0));
    let v = a.get(CustomerId::from_u128(1)).unwrap();
    assert_eq!(v.window_revenue, i64::MAX);
    assert!(v.potential > 0);
    assert!(
        rapport_value::revenue_by_month(&s, &settings, today(), 3)
            .iter()
            .all(|(_, r)| *r >= 0)
    );
    assert!(
        rapport_value::pipeline_by_stage(&s, &a)
            .iter()
            .all(|(_, r)| *r >= 0)
    );
}

fn settings(pairs: &[(&str, &str)]) -> ValueSettings {
    let m: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ValueSettings::from_map(&m).unwrap()
}

#[test]
fn segment_table_and_names() {
    // Every cell of the table in the crate docs (FM = ceil((F + M) / 2)).
    let cases = [
        ((5, 4, 5), Segment::Champions),
        ((4, 4, 3), Segment::Champions),
        ((4, 2, 3), Segment::PotentialLoyalist),
        ((5, 3, 3), Segment::PotentialLoyalist),
        ((4, 1, 1), Segment::New),
        ((5, 1, 1), Segment::New),
        ((3, 4, 4), Segment::Loyal),
        ((3, 2, 2), Segment::NeedAttention),
        ((3, 3, 2), Segment::NeedAttention),
        ((3, 1, 1), Segment::AboutToSleep),
        ((2, 3, 2), Segment::AtRisk),
        ((2, 5, 5), Segment::AtRisk),
        ((2, 2, 2), Segment::Hibernating),
        ((2, 1, 1), Segment::Hibernating),
        ((1, 4, 4), Segment::CantLose),
        ((1, 5, 5), Segment::CantLose),
        ((1, 2, 3), Segment::Lost),
        ((1, 1, 1), Segment::Lost),
    ];
    for ((r, f, m), want) in cases {
        assert_eq!(Segment::of(r, f, m), want, "{r} {f} {m}");
    }
    let names: Vec<&str> = Segment::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "champions",
            "loyal",
            "potential_loyalist",
            "new",
            "need_attention",
            "about_to_sleep",
            "at_risk",
            "cant_lose",
            "hibernating",
            "lost",
            "prospect"
        ]
    );
}

#[test]
fn rfm_ties_score_alike() {
    // Ten buyers in two groups of five: recent single small orders, and older double ones.
    let mut s = Vec::new();
    for k in 1..=5u128 {
        s.push(C::new(k).won(days_ago(10), 1000).s());
    }
    for k in 6..=10u128 {
        s.push(
            C::new(k)
                .won(days_ago(100), 1000)
                .won(days_ago(130), 1000)
                .s(),
        );
    }
    let a = analyse(&s, &ValueSettings::default(), today());
    let scores = |n| {
        let v = a.get(CustomerId::from_u128(n)).unwrap();
        let r = v.rfm.clone().unwrap();
        (r.r, r.f, r.m, v.segment)
    };
    // Half the customers are strictly worse: 1 + 5 x 5 / 10 = 3; the worse half scores 1.
    for k in 1..=5 {
        assert_eq!(scores(k), (3, 1, 1, Segment::AboutToSleep), "{k}");
    }
    for k in 6..=10 {
        assert_eq!(scores(k), (1, 3, 3, Segment::Lost), "{k}");
    }
    assert_eq!(a.segments[&Segment::AboutToSleep], 5);
    assert_eq!(a.segments[&Segment::Lost], 5);
}

#[test]
fn conversion_rounds_half_up_and_saturates() {
    let eur = cur("EUR");
    let half = settings(&[("rate.EUR", "0.5")]);
    let to_base = |minor, s: &ValueSettings| rapport_value::to_base_currency(minor, eur, s);
    assert_eq!(to_base(1, &half), Some(1), "0.005 CNY rounds up");
    assert_eq!(to_base(3, &half), Some(2), "0.015 CNY rounds up");
    assert_eq!(to_base(4, &half), Some(2));
    let below = settings(&[("rate.EUR", "0.49")]);
    assert_eq!(to_base(1, &below), Some(0), "0.0049 CNY rounds down");
    assert_eq!(
        rapport_value::to_base_currency(7, cur("CNY"), &half),
        Some(7),
        "the base currency needs no rate"
    );
    assert_eq!(
        rapport_value::to_base_currency(7, cur("USD"), &half),
        None,
        "no rate"
    );
    let huge = settings(&[("rate.EUR", "1000000000")]);
    assert_eq!(to_base(i64::MAX, &huge), Some(i64::MAX));
    assert_eq!(
        to_base(i64::MIN, &huge),
        Some(i64::MIN),
        "a negative amount from a foreign document saturates downwards"
    );
}

#[test]
fn shares_without_revenue_or_customers_are_zero() {
    let none: Vec<CustomerSummary> = Vec::new();
    let a = analyse(&none, &ValueSettings::default(), today());
    assert_eq!(a.pareto.len(), 1);
    for t in &a.tiers {
        assert_eq!(
            (t.customers, t.revenue_share, t.customer_share),
            (0, 0.0, 0.0)
        );
    }

    let idle: Vec<CustomerSummary> = (1..=3).map(|n| C::new(n).s()).collect();
    let a = analyse(&idle, &ValueSettings::default(), today());
    assert_eq!(a.total_revenue, 0);
    let shares: Vec<(f64, f64)> = a
        .pareto
        .iter()
        .map(|p| (p.customer_share, p.revenue_share))
        .collect();
    assert_eq!(
        shares,
        [(0.0, 0.0), (1.0 / 3.0, 0.0), (2.0 / 3.0, 0.0), (1.0, 0.0)]
    );
    let minor = a.tiers.iter().find(|t| t.tier == Tier::Minor).unwrap();
    assert_eq!(
        (minor.customers, minor.revenue_share, minor.customer_share),
        (3, 0.0, 1.0)
    );

    let a = analyse(&distinct(10), &ValueSettings::default(), today());
    let share: Vec<f64> = a.tiers.iter().map(|t| t.customer_share).collect();
    assert_eq!(share, [0.1, 0.0, 0.1, 0.8]);
    // 10 of 55 units are VIP revenue.
    assert!((a.tiers[0].revenue_share - 10.0 / 55.0).abs() < 1e-12);
    let p = a.pareto[3];
    assert!((p.customer_share - 0.3).abs() < 1e-12);
    assert!((p.revenue_share - 27.0 / 55.0).abs() < 1e-12);
}

#[test]
fn lifecycle_boundaries() {
    // Window 2025-11-23 ..= 2026-11-22; the period before it starts on 2024-11-23.
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let s = vec![
        // A (zero-amount) purchase on the first day of the period before: not stale yet.
        C::new(1).won(d(2024, 11, 23), 0).s(),
        // One day earlier: older than two windows.
        C::new(2).won(d(2024, 11, 22), 0).s(),
        // Exactly half of the period before is not below half.
        C::new(3).won(days_ago(60), 50).won(days_ago(400), 100).s(),
        C::new(4).won(days_ago(60), 49).won(days_ago(400), 100).s(),
        // First purchase on the window's first day: formation.
        C::new(5).won(d(2025, 11, 23), 10).s(),
        C::new(6).won(d(2025, 11, 22), 10).won(days_ago(1), 10).s(),
    ];
    let a = analyse(&s, &ValueSettings::default(), today());
    let st = |n| a.get(CustomerId::from_u128(n)).unwrap().stage;
    assert_eq!(st(1), LifecycleStage::Stability);
    assert_eq!(st(2), LifecycleStage::Decline);
    assert_eq!(st(3), LifecycleStage::Stability);
    assert_eq!(st(4), LifecycleStage::Decline);
    assert_eq!(st(5), LifecycleStage::Formation);
    assert_eq!(st(6), LifecycleStage::Stability);
}

#[test]
fn revenue_by_month_counts_won_deals_of_active_customers_in_the_base_currency() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let today = d(2026, 2, 15);
    let s = vec![
        C::new(1)
            .won(d(2025, 12, 5), 100)
            .won(d(2026, 1, 31), 200)
            .won(d(2026, 1, 1), 5)
            .won(d(2025, 11, 30), 7)
            .deal(d(2026, 2, 1), 999, "CNY", DealStatus::Open, 50)
            .deal(d(2026, 2, 2), 999, "CNY", DealStatus::Lost, 0)
            .deal(d(2026, 2, 3), 999, "USD", DealStatus::Won, 100)
            .deal(d(2026, 2, 4), 100, "EUR", DealStatus::Won, 100)
            .s(),
        C::new(2)
            .won(d(2026, 2, 1), 1000)
            .edit(Edit::Archive(true))
            .s(),
        C::new(3).won(d(2026, 2, 1), 1000).edit(Edit::Delete).s(),
    ];
    let settings = settings(&[("rate.EUR", "2")]);
    assert_eq!(
        rapport_value::revenue_by_month(&s, &settings, today, 3),
        vec![((2025, 12), 100), ((2026, 1), 205), ((2026, 2), 200)]
    );
    let months: Vec<(i32, u32)> = rapport_value::revenue_by_month(&s, &settings, today, 14)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(months.len(), 14);
    assert_eq!(
        (months[0], months[1], months[13]),
        ((2025, 1), (2025, 2), (2026, 2))
    );
    assert!(rapport_value::revenue_by_month(&s, &settings, today, 0).is_empty());
}

#[test]
fn pipeline_by_stage_weights_open_deals_by_probability() {
    let open = |c: C, minor, p| c.deal(today() + Days::new(30), minor, "CNY", DealStatus::Open, p);
    let s = vec![
        // Exploration: never bought.
        open(C::new(1), 1000, 50).s(),
        // Formation: bought this year; its won and lost deals are not pipeline.
        open(C::new(2).won(days_ago(10), 5000), 2000, 25)
            .deal(days_ago(5), 7000, "CNY", DealStatus::Lost, 0)
            .s(),
        // Decline by hand.
        open(C::new(3), 100, 100)
            .edit(Edit::Stage(Some(LifecycleStage::Decline)))
            .s(),
        // Archived: not analysed, not counted.
        open(C::new(4), 100_000, 100).edit(Edit::Archive(true)).s(),
    ];
    let a = analyse(&s, &ValueSettings::default(), today());
    assert_eq!(
        rapport_value::pipeline_by_stage(&s, &a),
        vec![
            (LifecycleStage::Exploration, 500),
            (LifecycleStage::Formation, 500),
            (LifecycleStage::Stability, 0),
            (LifecycleStage::Decline, 100),
        ]
    );
}

#[test]
fn every_cadence_key_sets_its_own_tier() {
    let s = settings(&[
        ("cadence.vip_days", "7"),
        ("cadence.major_days", "21"),
        ("cadence.common_days", "45"),
        ("cadence.minor_days", "120"),
    ]);
    assert_eq!(
        [
            s.cadence(Some(Tier::Vip)),
            s.cadence(Some(Tier::Major)),
            s.cadence(Some(Tier::Common)),
            s.cadence(Some(Tier::Minor)),
            s.cadence(None),
        ],
        [7, 21, 45, 120, 120]
    );
    for (key, tier) in [
        ("cadence.vip_days", Tier::Vip),
        ("cadence.major_days", Tier::Major),
        ("cadence.common_days", Tier::Common),
        ("cadence.minor_days", Tier::Minor),
    ] {
        let s = settings(&[(key, "33")]);
        for t in [Tier::Vip, Tier::Major, Tier::Common, Tier::Minor] {
            let default = ValueSettings::default().cadence(Some(t));
            let want = if t == tier { 33 } else { default };
            assert_eq!(s.cadence(Some(t)), want, "{key}: {t}");
        }
    }
    assert_eq!(
        rapport_value::Rate::parse("1.123456"),
        Some(rapport_value::Rate(1_123_456)),
        "six decimals are allowed"
    );
    // Only digits: no sign before or after the point (which `i64::from_str` would take).
    assert_eq!(rapport_value::Rate::parse("+5"), None);
    assert_eq!(rapport_value::Rate::parse("1.+5"), None);
    assert_eq!(
        rapport_value::Rate::parse(" 7.1 "),
        Some(rapport_value::Rate(7_100_000))
    );
}

#[test]
fn lifetime_value_scales_with_the_window_length() {
    // Four orders of 10.00 in a two-year window: two orders a year, 20.00 a year.
    let s = vec![
        C::new(1)
            .won(days_ago(10), 1000)
            .won(days_ago(200), 1000)
            .won(days_ago(400), 1000)
            .won(days_ago(600), 1000)
            .s(),
    ];
    let a = analyse(&s, &settings(&[("value.window_months", "24")]), today());
    let v = a.get(CustomerId::from_u128(1)).unwrap();
    assert_eq!(v.window_revenue, 4000);
    assert_eq!(v.clv.average_order, 1000);
    assert!((v.clv.orders_per_year - 2.0).abs() < 1e-9);
    // 2000 x 0.30 x (1/1.1 + 1/1.21 + 1/1.331) = 1492.11
    assert_eq!(v.clv.value, 1492);
}
