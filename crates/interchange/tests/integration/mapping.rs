//! Sheets to people: the suggested mapping of each fixture, and the exact people, warnings
//! and refused rows it gives.

use rapport_interchange::mapping::{
    DateOrder, Mapping, PeopleOptions, Target, customer_is_company, people_from_sheet, suggest,
};
use rapport_interchange::sheet::read_sheet;
use rapport_interchange::{Person, RowError};
use rapport_model::{Currency, Money};

use crate::sheet::{corpus, csv_sheet, date, opts};

fn cur(c: &str) -> Currency {
    Currency::parse(c, "t").unwrap()
}

fn money(minor: i64, c: &str) -> Option<Money> {
    Some(Money {
        minor,
        currency: cur(c),
    })
}

fn people_opts(default: &str) -> PeopleOptions {
    PeopleOptions {
        default_currency: cur(default),
        file_date: Some(date(2026, 12, 1)),
        date_order: None,
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn warning(line: u64, column: &str, reason: &str) -> RowError {
    RowError {
        line,
        column: column.into(),
        reason: reason.into(),
    }
}

#[test]
fn chinese_team_workbook() {
    let s = read_sheet(&corpus("chinese-team.xlsx"), &opts()).unwrap();
    let m = suggest(&s.headers, &[]);
    assert_eq!(
        m.to_pairs(),
        strs(&[
            "客户名称=customer",
            "联系人=contact",
            "手机=phone",
            "邮箱=email",
            "销售员=owner",
            "最近拜访=last-contact",
            "下次回访=next-visit",
            "销售额（元）=sales",
            "提成=other",
            "标签=tags",
            "备注=notes",
        ])
    );
    assert_eq!(
        m.unplaced()
            .iter()
            .map(|c| c.header.as_str())
            .collect::<Vec<_>>(),
        vec!["提成"]
    );
    assert!(customer_is_company(&s, &m));
    // The default currency is EUR, but the header says 元.
    let (people, bad) = people_from_sheet(&s, &m, &people_opts("EUR"));
    assert_eq!(
        bad,
        vec![warning(
            9,
            "客户名称",
            "a total row (`合计`), not a customer: left out"
        )]
    );
    assert_eq!(people.len(), 4);
    assert_eq!(
        people[0],
        Person {
            line: 4,
            name: "张伟".into(),
            organization: "上海华东贸易有限公司".into(),
            phones: strs(&["13812345678"]),
            emails: strs(&["zhangwei@huadong.cn"]),
            owner: "王芳".into(),
            last_contact: Some(date(2026, 11, 20)),
            next_followup: Some(date(2026, 12, 3)),
            sales: money(123_400, "CNY"),
            labels: strs(&["重点", "华东"]),
            notes: "老客户".into(),
            other: pairs(&[("提成", "61.7")]),
            ..Person::default()
        }
    );
    let p = &people[1];
    assert_eq!((p.line, p.name.as_str()), (5, "李娜"));
    assert_eq!(p.phones, strs(&["139-9876-5432"]));
    assert!(p.emails.is_empty());
    assert_eq!(p.owner, "王芳");
    assert_eq!(p.next_followup, Some(date(2026, 12, 10)));
    assert_eq!(p.sales, money(2_580_000, "CNY"));
    assert_eq!(p.labels, strs(&["新客户", "北京"]));
    assert_eq!(
        p.other,
        pairs(&[("邮箱", "lina.xinke.com"), ("提成", "1290")])
    );
    assert_eq!(
        p.warnings,
        vec![warning(
            5,
            "邮箱",
            "`lina.xinke.com` is not an email address: kept in the notes"
        )]
    );
    let p = &people[2];
    assert_eq!(p.organization, "深圳明达电子厂");
    assert_eq!(p.owner, "王芳");
    assert_eq!(p.phones, strs(&["0755-8888 6666"]));
    assert_eq!(p.emails, strs(&["chenming@mingda.com", "sales@mingda.com"]));
    assert_eq!(p.last_contact, Some(date(2026, 9, 15)));
    assert_eq!(p.next_followup, None);
    assert_eq!(p.sales, money(300_050, "CNY"));
    assert_eq!(p.notes, "备注：需要报价");
    assert_eq!(p.other, pairs(&[("下次回访", "下周")]));
    assert_eq!(
        p.warnings,
        vec![
            warning(6, "下次回访", "`下周` is not a date: kept in the notes"),
            warning(
                6,
                "提成",
                "the formula's result is an error (#DIV/0!): left out"
            ),
        ]
    );
    let p = &people[3];
    assert_eq!((p.name.as_str(), p.owner.as_str()), ("周杰", "刘强"));
    assert_eq!(p.phones, strs(&["13600001111"]));
    assert_eq!((p.sales, p.sales_date), (None, None));
}

#[test]
fn spanish_ods_is_day_first_in_euros() {
    let s = read_sheet(&corpus("spanish-team.ods"), &opts()).unwrap();
    let m = suggest(&s.headers, &[]);
    assert!(m.unplaced().is_empty(), "{:?}", m.unplaced());
    let (people, bad) = people_from_sheet(&s, &m, &people_opts("EUR"));
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(
        people[0],
        Person {
            line: 4,
            name: "Lucía Fernández".into(),
            organization: "Distribuciones Ibéricas S.L.".into(),
            phones: strs(&["+34 91 123 45 67"]),
            emails: strs(&["lucia@ibericas.es"]),
            owner: "Marta Ruiz".into(),
            last_contact: Some(date(2026, 11, 20)),
            next_followup: Some(date(2026, 12, 3)),
            sales: money(123_456, "EUR"),
            labels: strs(&["mayorista", "Madrid"]),
            notes: "Cliente desde 2019".into(),
            ..Person::default()
        }
    );
    let p = &people[1];
    assert_eq!(
        (p.owner.as_str(), p.next_followup),
        ("Marta Ruiz", Some(date(2026, 12, 15)))
    );
    assert_eq!(p.sales, money(123_456, "EUR"));
    assert_eq!(p.other, pairs(&[("Correo", "jorge(at)levante.es")]));
    let p = &people[2];
    assert_eq!(p.next_followup, Some(date(2026, 12, 25)));
    assert_eq!(p.sales, None);
    assert_eq!(
        p.warnings,
        vec![warning(
            6,
            "Ventas",
            "the formula's result is an error (#DIV/0!): left out"
        )]
    );
}

#[test]
fn french_xls() {
    let s = read_sheet(&corpus("french-team.xls"), &opts()).unwrap();
    let m = suggest(&s.headers, &[]);
    assert!(m.unplaced().is_empty(), "{:?}", m.unplaced());
    let (people, bad) = people_from_sheet(&s, &m, &people_opts("EUR"));
    assert!(bad.is_empty());
    let got: Vec<_> = people
        .iter()
        .map(|p| {
            (
                p.organization.as_str(),
                p.name.as_str(),
                p.owner.as_str(),
                p.last_contact,
                p.next_followup,
                p.sales,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "Dupont SARL",
                "Marie Dupont",
                "Claire Martin",
                Some(date(2026, 11, 20)),
                Some(date(2026, 12, 3)),
                money(12_500_000, "EUR")
            ),
            (
                "Boulangerie Petit SAS",
                "Paul Petit",
                "Claire Martin",
                Some(date(2026, 10, 1)),
                Some(date(2026, 12, 15)),
                money(123_456, "EUR")
            ),
            (
                "Café Lumière",
                "Sophie Leroy",
                "Luc Bernard",
                Some(date(2026, 9, 5)),
                None,
                money(98_050, "EUR")
            ),
        ]
    );
    assert_eq!(people[0].phones, strs(&["01 23 45 67 89"]));
    assert_eq!(people[0].labels, strs(&["grossiste", "Paris"]));
}

#[test]
fn german_csv_us_pipe_and_japanese_tsv() {
    let csv = "Firma;Ansprechpartner;Telefon;E-Mail;Straße;PLZ;Ort;Letzter Besuch;Umsatz\r\nBäckerei Müller GmbH;Jürgen Weiß;0711 1234567;j.weiss@mueller-baeckerei.de;Hauptstraße 5;70173;Stuttgart;03.12.2026;1.234,56\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(csv);
    let s = read_sheet(&bytes, &opts()).unwrap();
    let m = suggest(&s.headers, &[]);
    let (people, _) = people_from_sheet(&s, &m, &people_opts("EUR"));
    let p = &people[0];
    assert_eq!(p.organization, "Bäckerei Müller GmbH");
    assert_eq!(p.name, "Jürgen Weiß");
    assert_eq!(p.address, "Hauptstraße 5, 70173 Stuttgart");
    assert_eq!(p.last_contact, Some(date(2026, 12, 3)));
    assert_eq!(p.sales, money(123_456, "EUR"));

    let pipe = "Company|Contact|Phone|Email|Owner|Last contact|Next visit|Sales|Tags\nAcme Inc.|Sarah Lee|(415) 555-0100|sarah@acme.com|Tom|11/20/2026|12/3/2026|$1,200|vip, west\n";
    let s = csv_sheet(pipe);
    let m = suggest(&s.headers, &[]);
    let (people, _) = people_from_sheet(&s, &m, &people_opts("EUR"));
    let p = &people[0];
    assert_eq!(p.last_contact, Some(date(2026, 11, 20)));
    assert_eq!(p.next_followup, Some(date(2026, 12, 3)));
    assert_eq!(p.sales, money(120_000, "USD"));
    assert_eq!(p.labels, strs(&["vip", "west"]));

    let tsv = "会社名\t担当者\t電話番号\tメール\t担当営業\t次回訪問日\t売上\tタグ\t備考\n株式会社山田製作所\t山田太郎\t03-1234-5678\tyamada@yamada.co.jp\t佐藤\t2026/12/3\t¥5,000\t重要、関東\t定期訪問\n";
    let s = csv_sheet(tsv);
    let m = suggest(&s.headers, &[]);
    assert!(m.unplaced().is_empty());
    // Japanese headers: ¥ is yen, whatever the default.
    let (people, _) = people_from_sheet(&s, &m, &people_opts("CNY"));
    assert_eq!(
        people[0],
        Person {
            line: 2,
            name: "山田太郎".into(),
            organization: "株式会社山田製作所".into(),
            phones: strs(&["03-1234-5678"]),
            emails: strs(&["yamada@yamada.co.jp"]),
            owner: "佐藤".into(),
            next_followup: Some(date(2026, 12, 3)),
            sales: money(5_000, "JPY"),
            labels: strs(&["重要", "関東"]),
            notes: "定期訪問".into(),
            ..Person::default()
        }
    );
}

#[test]
fn day_first_is_decided_by_the_sheets_dates_or_its_language() {
    // English headers, but one date with 25 first: the whole column is day first.
    let s = csv_sheet("Name,Email,Last visit\nAna,a@x.es,03/12/2026\nBo,b@x.es,25/11/2026\n");
    let m = suggest(&s.headers, &[]);
    let (people, _) = people_from_sheet(&s, &m, &people_opts("EUR"));
    assert_eq!(people[0].last_contact, Some(date(2026, 12, 3)));
    // English and ambiguous: month first.
    let s = csv_sheet("Name,Email,Last visit\nAna,a@x.es,03/12/2026\n");
    let (people, _) = people_from_sheet(&s, &suggest(&s.headers, &[]), &people_opts("EUR"));
    assert_eq!(people[0].last_contact, Some(date(2026, 3, 12)));
    // French headers and ambiguous: day first; forced month first wins.
    let s = csv_sheet("Nom,Courriel,Dernière visite\nAna,a@x.es,03/12/2026\n");
    let m = suggest(&s.headers, &[]);
    let (people, _) = people_from_sheet(&s, &m, &people_opts("EUR"));
    assert_eq!(people[0].last_contact, Some(date(2026, 12, 3)));
    let forced = PeopleOptions {
        date_order: Some(DateOrder::Mdy),
        ..people_opts("EUR")
    };
    let (people, _) = people_from_sheet(&s, &m, &forced);
    assert_eq!(people[0].last_contact, Some(date(2026, 3, 12)));
}

#[test]
fn person_customers_custom_fields_and_rows_without_identity() {
    // No contact column and person names: person customers.
    let s = csv_sheet(
        "客户名称,手机,机型,Kundennr.,生日\n张伟,13812345678,X-200,K-1,1985-03-12\n,,X-300,K-2,\n华东贸易有限公司,,,K-3,\n李娜,13998765432,,,\n",
    );
    let mut m = suggest(&s.headers, &["Machine model".into()]);
    assert!(!customer_is_company(&s, &m));
    m.apply_pairs(&["机型=custom:Machine model", "Kundennr.=ignore"])
        .unwrap();
    let (people, bad) = people_from_sheet(&s, &m, &people_opts("CNY"));
    assert_eq!(people.len(), 3);
    assert_eq!(
        (people[0].name.as_str(), people[0].organization.as_str()),
        ("张伟", "")
    );
    assert_eq!(people[0].fields, pairs(&[("Machine model", "X-200")]));
    assert_eq!(people[0].birthday, Some(date(1985, 3, 12)));
    // Not a company list: a company-looking name is still this row's name.
    assert_eq!(people[1].name, "华东贸易有限公司");
    assert_eq!(
        bad,
        vec![warning(
            3,
            "客户名称",
            "nothing identifies the customer (no name, company, email or phone)"
        )]
    );
    // A row with only an email is named by it; a mapping read back from JSON is the same.
    let s = csv_sheet("Name,Email\n,solo@x.es\n");
    let m = suggest(&s.headers, &[]);
    let back: Mapping = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    let (people, _) = people_from_sheet(&s, &back, &people_opts("EUR"));
    assert_eq!(people[0].name, "solo@x.es");
    assert_eq!(m.target(0), Some(&Target::Contact));
}

#[test]
fn a_company_list_without_contacts_and_dates_without_a_year() {
    let s = csv_sheet(
        "客户名称,电话,最近联系,下次回访\n华东贸易有限公司,021-1234567,11月20日,1月5日\n新科技术有限公司,010-7654321,,\n张伟,13812345678,,\n",
    );
    let m = suggest(&s.headers, &[]);
    assert!(customer_is_company(&s, &m));
    let (people, _) = people_from_sheet(&s, &m, &people_opts("CNY"));
    assert_eq!(people[0].organization, "华东贸易有限公司");
    assert_eq!(people[0].name, "");
    // The file is of 2026-12-01: 11月20日 was this year, 1月5日 is next year's.
    assert_eq!(people[0].last_contact, Some(date(2026, 11, 20)));
    assert_eq!(people[0].next_followup, Some(date(2027, 1, 5)));
    assert_eq!(people[2].organization, "张伟");
    let no_date = PeopleOptions {
        file_date: None,
        ..people_opts("CNY")
    };
    let (people, _) = people_from_sheet(&s, &m, &no_date);
    assert_eq!(people[0].last_contact, None);
    assert_eq!(
        people[0].warnings[0],
        warning(2, "最近联系", "`11月20日` has no year: kept in the notes")
    );
}
