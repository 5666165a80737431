//! # rapport-demo: realistic, deterministic demo data
//!
//! [`generate`] produces customers as [`NewCustomer`]s (pure data: the store writes them):
//!
//! - a mix of companies (Chinese, German, Spanish, Japanese, English names) and person
//!   customers (Chinese and Latin names), with 1–3 contacts per company;
//! - won, open and lost deals over the three years before `today`, with a long-tailed
//!   (Pareto, α ≈ 1.16, the "80/20" shape) customer size, mostly in CNY with some EUR and USD;
//! - interactions over the last year, follow-ups around `today` (some overdue, some done);
//! - tags, owners, sources, importance and urgency marks, and referrals between customers.
//!
//! The same `(n, seed, today)` always gives the same data (ChaCha8, portable across platforms).

use chrono::{Days, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use rapport_model::{
    Contact, Currency, CustomerId, CustomerKind, Deal, DealStatus, Due, Edit, FollowUp,
    FollowUpKind, Importance, Interaction, InteractionKind, ItemId, Money, NewCustomer, Urgency,
};
use uuid::Uuid;

const CN_SURNAMES: &[&str] = &[
    "张", "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const CN_GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀英", "建华", "志强", "晓明", "海燕", "子涵",
];
const LATIN_FIRST: &[&str] = &[
    "Anna", "Jonas", "María", "Carlos", "Sophie", "Lukas", "Lucía", "Javier", "Emma", "Oliver",
    "Chloé", "Mateo", "Hannah", "Noah", "Yuki", "Kenji", "Sarah", "David", "Élodie", "Björn",
];
const LATIN_LAST: &[&str] = &[
    "Schmidt",
    "Müller",
    "García",
    "López",
    "Martin",
    "Weber",
    "Fernández",
    "Dubois",
    "Smith",
    "Johnson",
    "Tanaka",
    "Suzuki",
    "Rossi",
    "Novak",
    "Kowalski",
    "Jansen",
    "Andersson",
    "O'Brien",
];
const CN_CITY: &[&str] = &[
    "深圳", "上海", "北京", "广州", "杭州", "苏州", "成都", "武汉",
];
const CN_CORE: &[&str] = &[
    "华创", "腾达", "恒信", "鼎盛", "瑞丰", "宏远", "金桥", "启明", "天成", "博雅", "星海", "万通",
];
const CN_TRADE: &[&str] = &[
    "科技",
    "商务",
    "贸易",
    "电子",
    "机械",
    "物流",
    "包装",
    "医疗器械",
];
const CN_FORM: &[&str] = &["有限公司", "股份有限公司", "集团"];
const DE_CORE: &[&str] = &[
    "Müller",
    "Schneider",
    "Becker",
    "Hoffmann",
    "Wagner",
    "Krüger",
];
const DE_TRADE: &[&str] = &[
    "Maschinenbau",
    "Logistik",
    "Elektrotechnik",
    "Verpackung",
    "Feinmechanik",
];
const ES_CORE: &[&str] = &["García", "Martínez", "Sánchez", "Romero", "Navarro"];
const ES_TRADE: &[&str] = &["Distribuciones", "Suministros", "Importaciones", "Talleres"];
const JP_CORE: &[&str] = &["山田", "佐藤", "高橋", "中村", "小林"];
const JP_TRADE: &[&str] = &["商事", "工業", "電機", "精機"];
const EN_CORE: &[&str] = &[
    "Northwind",
    "Bluewater",
    "Summit",
    "Redwood",
    "Harbor",
    "Evergreen",
];
const EN_TRADE: &[&str] = &["Traders", "Supply", "Systems", "Industries", "Partners"];
const INDUSTRIES: &[&str] = &[
    "manufacturing",
    "retail",
    "logistics",
    "electronics",
    "healthcare",
    "construction",
    "food & beverage",
    "textiles",
];
const TAGS: &[&str] = &[
    "wholesale",
    "retail",
    "export",
    "trade-fair-2025",
    "key-account",
    "重点客户",
    "华南",
    "dach",
    "referral",
    "newsletter",
];
const OWNERS: &[&str] = &["李娜", "王芳", "Jonas Weber", "María López", "陈杰"];
const SOURCES: &[&str] = &[
    "referral",
    "trade fair",
    "website",
    "cold call",
    "partner",
    "展会",
];
const TITLES: &[&str] = &[
    "采购经理",
    "总经理",
    "Einkaufsleiter",
    "Geschäftsführer",
    "Director de compras",
    "CEO",
    "Purchasing Manager",
    "部長",
    "Office Manager",
];
const DEAL_TITLES: &[&str] = &[
    "Annual supply contract",
    "Spare parts order",
    "年度框架合同",
    "设备采购",
    "Service renewal",
    "Pilot order",
    "Ersatzteile",
    "Pedido trimestral",
];
const SUBJECTS: &[&str] = &[
    "Follow up on quote",
    "回访",
    "Discuss renewal",
    "Send samples",
    "确认交货时间",
    "Termin vereinbaren",
    "Presentar catálogo",
    "Check satisfaction",
];

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from.choose(rng).copied().unwrap_or("")
}

fn ascii_slug(rng: &mut ChaCha8Rng) -> String {
    const SYL: &[&str] = &[
        "li", "wang", "zhang", "chen", "mei", "hua", "tech", "trade", "star", "jin",
    ];
    format!(
        "{}{}{}",
        pick(rng, SYL),
        pick(rng, SYL),
        rng.random_range(1..99)
    )
}

fn person_name(rng: &mut ChaCha8Rng) -> (String, bool) {
    if rng.random_bool(0.5) {
        (
            format!("{}{}", pick(rng, CN_SURNAMES), pick(rng, CN_GIVEN)),
            true,
        )
    } else {
        (
            format!("{} {}", pick(rng, LATIN_FIRST), pick(rng, LATIN_LAST)),
            false,
        )
    }
}

fn company_name(rng: &mut ChaCha8Rng) -> (String, &'static str) {
    match rng.random_range(0..100) {
        0..45 => (
            format!(
                "{}{}{}{}",
                pick(rng, CN_CITY),
                pick(rng, CN_CORE),
                pick(rng, CN_TRADE),
                pick(rng, CN_FORM)
            ),
            "cn",
        ),
        45..62 => (
            format!("{} {} GmbH", pick(rng, DE_CORE), pick(rng, DE_TRADE)),
            "de",
        ),
        62..74 => (
            format!("{} {} S.L.", pick(rng, ES_TRADE), pick(rng, ES_CORE)),
            "es",
        ),
        74..82 => (
            format!("{}{}株式会社", pick(rng, JP_CORE), pick(rng, JP_TRADE)),
            "jp",
        ),
        _ => (
            format!("{} {} Ltd", pick(rng, EN_CORE), pick(rng, EN_TRADE)),
            "en",
        ),
    }
}

fn phone(rng: &mut ChaCha8Rng, region: &str) -> String {
    match region {
        "cn" => format!(
            "+86 13{} {:04} {:04}",
            rng.random_range(0..10),
            rng.random_range(0..10000),
            rng.random_range(0..10000)
        ),
        "de" => format!("+49 30 {:08}", rng.random_range(0..100_000_000)),
        "es" => format!(
            "+34 91 {:03} {:04}",
            rng.random_range(0..1000),
            rng.random_range(0..10000)
        ),
        "jp" => format!(
            "+81 3 {:04} {:04}",
            rng.random_range(0..10000),
            rng.random_range(0..10000)
        ),
        _ => format!(
            "+44 20 {:04} {:04}",
            rng.random_range(0..10000),
            rng.random_range(0..10000)
        ),
    }
}

fn email(rng: &mut ChaCha8Rng, region: &str) -> String {
    let tld = match region {
        "cn" => "cn",
        "de" => "de",
        "es" => "es",
        "jp" => "jp",
        _ => "com",
    };
    format!("{}@{}.{}", ascii_slug(rng), ascii_slug(rng), tld)
}

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    Uuid::from_u128(rng.random::<u128>() & !(0xF << 76) | (0x4 << 76))
}

/// `n` demo customers, deterministic for `(n, seed, today)`.
pub fn generate(n: usize, seed: u64, today: NaiveDate) -> Vec<NewCustomer> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let currencies = ["CNY", "EUR", "USD"].map(|c| Currency::parse(c, "currency"));
    let [Ok(cny), Ok(eur), Ok(usd)] = currencies else {
        return Vec::new();
    };
    let mut out: Vec<NewCustomer> = Vec::with_capacity(n);
    for i in 0..n {
        let is_company = rng.random_bool(0.7);
        let (name, region) = if is_company {
            company_name(&mut rng)
        } else {
            let (name, cn) = person_name(&mut rng);
            (name, if cn { "cn" } else { "de" })
        };
        let kind = if is_company {
            CustomerKind::Company
        } else {
            CustomerKind::Person
        };
        let mut nc = NewCustomer {
            id: CustomerId(uuid(&mut rng)),
            name,
            kind,
            edits: Vec::new(),
        };
        let e = &mut nc.edits;
        e.push(Edit::Industry(pick(&mut rng, INDUSTRIES).into()));
        e.push(Edit::Owner(pick(&mut rng, OWNERS).into()));
        e.push(Edit::Source(pick(&mut rng, SOURCES).into()));
        for _ in 0..rng.random_range(0..3) {
            e.push(Edit::AddTag(pick(&mut rng, TAGS).into()));
        }
        if rng.random_bool(0.2) {
            e.push(Edit::Importance(Importance::Important));
        }
        if rng.random_bool(0.15) {
            e.push(Edit::Urgency(
                *[Urgency::Urgent, Urgency::Soon]
                    .choose(&mut rng)
                    .unwrap_or(&Urgency::Soon),
            ));
        }
        if is_company {
            e.push(Edit::Address(match region {
                "cn" => format!(
                    "{}市南山区科技园{}号",
                    pick(&mut rng, CN_CITY),
                    rng.random_range(1..300)
                ),
                "de" => format!("Industriestraße {}, 10115 Berlin", rng.random_range(1..200)),
                "es" => format!("Calle Mayor {}, 28013 Madrid", rng.random_range(1..200)),
                "jp" => format!(
                    "東京都港区{}-{}",
                    rng.random_range(1..9),
                    rng.random_range(1..30)
                ),
                _ => format!("{} High Street, London", rng.random_range(1..200)),
            }));
            for _ in 0..rng.random_range(1..=3) {
                let (cname, _) = person_name(&mut rng);
                e.push(Edit::PutContact(
                    ItemId(uuid(&mut rng)),
                    Contact {
                        name: cname,
                        title: pick(&mut rng, TITLES).into(),
                        phones: vec![phone(&mut rng, region)],
                        emails: vec![email(&mut rng, region)],
                        handles: if region == "cn" && rng.random_bool(0.5) {
                            vec![format!("wechat:{}", ascii_slug(&mut rng))]
                        } else {
                            Vec::new()
                        },
                        birthday: None,
                        notes: String::new(),
                    },
                ));
            }
        } else {
            e.push(Edit::AddEmail(email(&mut rng, region)));
            e.push(Edit::AddPhone(phone(&mut rng, region)));
            if rng.random_bool(0.4) {
                e.push(Edit::Company(company_name(&mut rng).0));
            }
        }
        if rng.random_bool(0.3) {
            e.push(Edit::Notes(
                [
                    "Prefers WeChat over email. 每季度初下单。",
                    "Met at the Canton Fair; interested in the premium line.",
                    "Zahlt pünktlich, verlangt aber immer Skonto.",
                    "Decision maker is the CFO; budget cycle starts in October.",
                ]
                .choose(&mut rng)
                .copied()
                .unwrap_or_default()
                .to_string(),
            ));
        }
        if i > 10 && rng.random_bool(0.08) {
            let j = rng.random_range(0..i);
            if let Some(referrer) = out.get(j) {
                e.push(Edit::ReferredBy(Some(referrer.id)));
            }
        }

        // Long-tailed size: Pareto(α = 1.16), scale 2,000 CNY.
        let u: f64 = rng.random_range(0.0001..1.0);
        let size = (2_000.0 * u.powf(-1.0 / 1.16)).min(5_000_000.0);
        let currency = match rng.random_range(0..100) {
            0..85 => cny,
            85..93 => eur,
            _ => usd,
        };
        let rate = if currency == cny { 1.0 } else { 0.13 };
        let n_won = if rng.random_bool(0.12) {
            0
        } else {
            1 + (size.log10() * rng.random_range(0.5..2.0)) as u32
        };
        for _ in 0..n_won {
            let days_ago = rng.random_range(0..3 * 365);
            let amount = (size * rate * rng.random_range(0.3..1.7) * 100.0) as i64;
            e.push(Edit::PutDeal(
                ItemId(uuid(&mut rng)),
                Deal {
                    title: pick(&mut rng, DEAL_TITLES).into(),
                    amount: Money {
                        minor: amount.max(100),
                        currency,
                    },
                    status: DealStatus::Won,
                    date: today - Days::new(days_ago),
                    probability: 100,
                },
            ));
        }
        if rng.random_bool(0.3) {
            let amount = (size * rate * rng.random_range(0.5..2.0) * 100.0) as i64;
            let (status, date, probability) = if rng.random_bool(0.7) {
                (
                    DealStatus::Open,
                    today + Days::new(rng.random_range(7..120)),
                    rng.random_range(1..10) * 10,
                )
            } else {
                (
                    DealStatus::Lost,
                    today - Days::new(rng.random_range(0..700)),
                    0,
                )
            };
            e.push(Edit::PutDeal(
                ItemId(uuid(&mut rng)),
                Deal {
                    title: pick(&mut rng, DEAL_TITLES).into(),
                    amount: Money {
                        minor: amount.max(100),
                        currency,
                    },
                    status,
                    date,
                    probability,
                },
            ));
        }
        for _ in 0..rng.random_range(0..4) {
            let day = today - Days::new(rng.random_range(1..365));
            let at = Utc.from_utc_datetime(&day.and_time(
                NaiveTime::from_hms_opt(rng.random_range(8..18), 0, 0).unwrap_or_default(),
            ));
            e.push(Edit::LogInteraction(
                ItemId(uuid(&mut rng)),
                Interaction {
                    at,
                    kind: *[
                        InteractionKind::Call,
                        InteractionKind::Visit,
                        InteractionKind::Email,
                        InteractionKind::Meeting,
                    ]
                    .choose(&mut rng)
                    .unwrap_or(&InteractionKind::Call),
                    summary: pick(&mut rng, SUBJECTS).into(),
                    outcome: String::new(),
                    by: pick(&mut rng, OWNERS).into(),
                },
            ));
        }
        for _ in 0..rng.random_range(0..3) {
            let offset: i64 = rng.random_range(-20..30);
            let date = if offset < 0 {
                today - Days::new(offset.unsigned_abs())
            } else {
                today + Days::new(offset.unsigned_abs())
            };
            let time = rng
                .random_bool(0.5)
                .then(|| NaiveTime::from_hms_opt(rng.random_range(9..17), 0, 0))
                .flatten();
            let done = offset < 0 && rng.random_bool(0.4);
            e.push(Edit::PutFollowUp(
                ItemId(uuid(&mut rng)),
                FollowUp {
                    due: Due { date, time },
                    kind: *FollowUpKind::ALL
                        .choose(&mut rng)
                        .unwrap_or(&FollowUpKind::Call),
                    subject: pick(&mut rng, SUBJECTS).into(),
                    assignee: pick(&mut rng, OWNERS).into(),
                    done_at: done.then(|| {
                        Utc.from_utc_datetime(
                            &date.and_time(NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default()),
                        )
                    }),
                    outcome: if done { "Done".into() } else { String::new() },
                },
            ));
        }
        out.push(nc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    #[test]
    fn deterministic_and_valid() {
        let a = generate(300, 7, today());
        let b = generate(300, 7, today());
        assert_eq!(a, b);
        assert_ne!(a, generate(300, 8, today()));
        for c in &a {
            assert!(Edit::Name(c.name.clone()).validate(None).is_ok());
            for e in &c.edits {
                e.validate(None)
                    .unwrap_or_else(|err| panic!("{}: {err}", c.name));
            }
        }
    }

    #[test]
    fn mixed_scripts_and_long_tail() {
        let a = generate(2000, 1, today());
        let han = a
            .iter()
            .filter(|c| {
                c.name
                    .chars()
                    .any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))
            })
            .count();
        let latin = a
            .iter()
            .filter(|c| {
                c.name.chars().all(|ch| {
                    ch.is_ascii() || ch.is_alphabetic() && !('\u{4e00}'..='\u{9fff}').contains(&ch)
                })
            })
            .count();
        assert!(han > 400 && latin > 400, "han {han} latin {latin}");
        // Revenue per customer in CNY won deals: top 20% should hold well over half.
        let mut rev: Vec<i64> = a
            .iter()
            .map(|c| {
                c.edits
                    .iter()
                    .filter_map(|e| match e {
                        Edit::PutDeal(_, d)
                            if d.status == DealStatus::Won && d.amount.currency.code() == "CNY" =>
                        {
                            Some(d.amount.minor)
                        }
                        _ => None,
                    })
                    .sum()
            })
            .collect();
        rev.sort_unstable_by(|a, b| b.cmp(a));
        let total: i64 = rev.iter().sum();
        let top: i64 = rev.iter().take(rev.len() / 5).sum();
        assert!(
            top * 10 > total * 6,
            "top 20% share {}",
            top as f64 / total as f64
        );
        let overdue = a
            .iter()
            .flat_map(|c| &c.edits)
            .filter(|e| matches!(e, Edit::PutFollowUp(_, f) if f.done_at.is_none() && f.due.date < today()))
            .count();
        assert!(overdue > 50);
    }
}
