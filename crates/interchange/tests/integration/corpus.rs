//! The corpus in `tests/corpus/`: contact files as real programs write them (Apple, Android,
//! Outlook in three languages, Gmail, Evolution, Thunderbird, ownCloud, Japanese and
//! Taiwanese phones, Excel), each in its own encoding and line ends; `README.md` there says
//! where each comes from. Every person of every file is checked: names, emails and phones
//! exactly, the layout and encoding reported, and the warnings (line and column) for the
//! values that were kept elsewhere.

use std::path::PathBuf;

use chrono::NaiveDate;
use rapport_interchange::{ContactsRead, FileKind, Language, Layout, detect};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn bytes(name: &str) -> Vec<u8> {
    let p = corpus_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A corpus file read as the CLI reads it: the kind from `detect`, no encoding asked for.
fn read(name: &str) -> ContactsRead {
    read_as(name, None)
}

fn read_as(name: &str, encoding: Option<&str>) -> ContactsRead {
    let b = bytes(name);
    let r = match detect(&b) {
        FileKind::VCard => rapport_interchange::read_vcards(&b, encoding),
        FileKind::ContactsCsv => rapport_interchange::read_contacts_csv(&b, encoding),
        FileKind::Orders => panic!("{name} is detected as an orders file"),
    };
    r.unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// One person: line, name, emails, phones.
type Who = (
    u64,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

struct Case {
    file: &'static str,
    layout: Layout,
    decoded_as: &'static str,
    people: &'static [Who],
    /// Warnings of all people, as (line, column).
    warnings: &'static [(u64, &'static str)],
}

const EN: Layout = Layout::Outlook(Language::English);

const CORPUS: &[Case] = &[
    Case {
        file: "android-text-in-email.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                1,
                "Petra Novak",
                &["petra.novak@brod.example"],
                &["+385 91 234 5678"],
            ),
            (9, "Ivan Šimić", &[], &["+385 1 4567 890"]),
            (18, "+385 98 765 4321", &[], &["+385 98 765 4321"]),
        ],
        warnings: &[(6, "EMAIL"), (13, "TEL"), (15, "EMAIL")],
    },
    Case {
        file: "android-v21-quoted-printable.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                1,
                "张伟",
                &["zhang.wei@huachuang.example"],
                &["+86 138 0013 8000", "028-8512 3456"],
            ),
            (
                19,
                "José García Pérez",
                &["pepe.garcia@correo.example"],
                &["+34 600 123 456", "+34 91 555 0142"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "excel-gbk.csv",
        layout: Layout::Google,
        decoded_as: "GBK (guessed)",
        people: &[
            (
                2,
                "张伟",
                &["zhangwei@huadong.example"],
                &["13812345678", "021-62345678 ext. 801"],
            ),
            (3, "李娜", &["lina@xinke.example"], &["13998765432"]),
            // The organisation's own row: no person's name.
            (4, "", &["sales@xinghe.example"], &["0755-8888 6666"]),
        ],
        warnings: &[],
    },
    Case {
        file: "excel-unicode-text-utf16le.txt",
        layout: Layout::Google,
        decoded_as: "UTF-16LE (byte order mark)",
        people: &[
            (
                2,
                "鈴木美咲",
                &["misaki@suzuki-shokai.example"],
                &["+81 90-1111-2222"],
            ),
            (
                3,
                "Oğuz Yılmaz",
                &["oguz@yilmaz.example"],
                &["+90 212 555 01 01"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "ezvcard-evolution.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[(
            1,
            "Mr. John Richter, James Doe Sr.",
            &["john.doe@ibm.com"],
            &["905-666-1234", "905-555-1234"],
        )],
        warnings: &[],
    },
    Case {
        file: "ezvcard-gmail-list.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (1, "Arnold Smith", &["asmithk@gmail.com"], &[]),
            (7, "Chris Beatle", &["chrisy55d@yahoo.com"], &[]),
            (13, "Doug White", &["dwhite@gmail.com"], &[]),
        ],
        warnings: &[],
    },
    Case {
        file: "ezvcard-gmail-single2.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[(
            1,
            "VCard Test",
            &[
                "email@example.com",
                "homeemail@example.com",
                "workemail@example.com",
                "otheremail@example.com",
                "customcategory@example.com",
            ],
            &[
                "5555551111",
                "5555551112",
                "5555551113",
                "5555551114",
                "5555551115",
                "5555551116",
                "5555551117",
                "5555551118",
                "5555551119",
                "5555551120",
                "5555551121",
            ],
        )],
        warnings: &[],
    },
    Case {
        file: "ezvcard-mac-address-book.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[(
            1,
            "Mr. John Richter,James Doe Sr.",
            &["john.doe@ibm.com"],
            &[
                "905-777-1234",
                "905-666-1234",
                "905-555-1234",
                "905-888-1234",
                "905-999-1234",
                "905-111-1234",
                "905-222-1234",
            ],
        )],
        warnings: &[],
    },
    Case {
        file: "feature-phone-shift_jis.vcf",
        layout: Layout::VCard,
        decoded_as: "Shift_JIS (CHARSET parameters)",
        people: &[
            (
                1,
                "山田太郎",
                &["taro.yamada@docomo.example"],
                &["090-1234-5678", "03-3123-4567"],
            ),
            (
                15,
                "佐藤花子",
                &["hanako@ezweb.example"],
                &["080-9876-5432"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "gmail.csv",
        layout: Layout::Google,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                2,
                "Priya Raman",
                &[
                    "priya@ramantextiles.example",
                    "priya.raman@mail.example",
                    "pri@alt.example",
                ],
                &["+91 98450 12345", "+91 80 2345 6789 ext. 204"],
            ),
            (5, "Kwame Mensah", &["kwame.mensah@accra.example"], &[]),
        ],
        warnings: &[(5, "Birthday")],
    },
    Case {
        file: "google-legacy-utf16le.csv",
        layout: Layout::GoogleOld,
        decoded_as: "UTF-16LE (byte order mark)",
        people: &[
            (
                2,
                "Lukas Weber",
                &["lukas@weber-logistik.example"],
                &["+49 151 2345678"],
            ),
            (3, "Søren Kierkegaard", &["soren@kbh.example"], &[]),
        ],
        warnings: &[(2, "Phone 2 - Value")],
    },
    Case {
        file: "ios-contacts.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                1,
                "Mei Lin",
                &["mei.lin@harbour.example", "meimei@mail.example"],
                &[
                    "+852 9123 4567",
                    "+852 2345 6789",
                    "+852 2345 6700 ext. 218",
                ],
            ),
            // X-ABShowAs:COMPANY: the card is the company itself.
            (28, "", &["orders@pacifictea.example"], &["+852 2111 2222"]),
            (
                38,
                "王小明",
                &[],
                &["+86 139 1234 5678", "+86 21 6123 4567"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "outlook-2003-windows-1252.csv",
        layout: EN,
        decoded_as: "windows-1252 (guessed)",
        people: &[
            (
                2,
                "José Müller",
                &["jose.mueller@mueller-logistik.example"],
                &["+49 171 2345678", "+49 40 1234567"],
            ),
            (
                3,
                "Zoë Lefèvre",
                &["zoe.lefevre@cafe-noir.example"],
                &["+33 1 42 68 53 00"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "outlook-2016-exchange.csv",
        layout: EN,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                2,
                "Grace Hopper",
                &["grace.hopper@contoso.example"],
                &["+1 425 555 0100 ext. 102"],
            ),
            (
                3,
                "Alan Turing",
                &["alan.turing@contoso.example"],
                &["+44 7700 900123", "+44 20 7946 0000 ext. 7"],
            ),
        ],
        warnings: &[(2, "E-mail Address")],
    },
    Case {
        file: "outlook-2019-v21-windows-1252.vcf",
        layout: Layout::VCard,
        decoded_as: "windows-1252 (CHARSET parameters)",
        people: &[(
            1,
            "Herr Jürgen Müller",
            &["juergen.mueller@baeckerei-mueller.example"],
            &["+49 89 1234567-12", "+49 170 1234567", "+49 89 1234567-99"],
        )],
        warnings: &[],
    },
    Case {
        file: "outlook-french.csv",
        layout: Layout::Outlook(Language::French),
        decoded_as: "windows-1252 (guessed)",
        people: &[
            (
                2,
                "François Lefèvre",
                &["f.lefevre@chateau-lefevre.example"],
                &["+33 5 56 00 00 00", "+33 6 12 34 56 78"],
            ),
            (
                3,
                "Hélène Dubois-Gauthier",
                &["helene@epicerie-gauthier.example"],
                &["+32 2 512 34 56"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "outlook-german.csv",
        layout: Layout::Outlook(Language::German),
        decoded_as: "windows-1252 (guessed)",
        people: &[
            (
                2,
                "Jürgen Weiß",
                &["j.weiss@weiss-soehne.example"],
                &["+49 711 123456-0", "+49 172 9876543"],
            ),
            // The first row's notes hold a line break.
            (
                4,
                "Anna Schäfer",
                &["anna.schaefer@gruen.example"],
                &["030 1234567"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "owncloud.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                1,
                "Ingrid Bergström",
                &[
                    "ingrid@nordlicht.example",
                    "ingrid.bergstrom@posten.example",
                ],
                &["+46 8 123 456 78", "+46 70 123 45 67"],
            ),
            (20, "admin", &[], &[]),
        ],
        warnings: &[],
    },
    Case {
        file: "phone-big5.vcf",
        layout: Layout::VCard,
        decoded_as: "Big5 (guessed)",
        people: &[
            (
                1,
                "陳美玲",
                &["meiling.chen@taipei-trade.example"],
                &["0912-345-678", "02-2345-6789"],
            ),
            (
                13,
                "林志明",
                &["zhiming.lin@kaohsiung-precision.example"],
                &["0933-222-111"],
            ),
        ],
        warnings: &[],
    },
    Case {
        file: "rapport-custom-fields.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[(1, "Ana Lima", &["ana@lima.example"], &[])],
        warnings: &[(8, "X-RAPPORT-FIELD")],
    },
    Case {
        file: "rfc6350-example.vcf",
        layout: Layout::VCard,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[(
            1,
            "Simon Perreault",
            &["simon.perreault@viagenie.ca"],
            &["+1-418-656-9254 ext. 102", "+1-418-262-6501"],
        )],
        warnings: &[(5, "BDAY")],
    },
    Case {
        file: "thunderbird.csv",
        layout: Layout::Thunderbird,
        decoded_as: "UTF-8 (valid UTF-8)",
        people: &[
            (
                2,
                "Ada Lovelace",
                &["ada@analytical.example", "countess@lovelace.example"],
                &["+44 20 7946 0958 ext. 12", "+44 7700 900456"],
            ),
            // Ada's notes hold a line break.
            (4, "Björk", &["bjork@reykjavik.example"], &["+354 551 2345"]),
            (5, "Support desk", &["support@helpdesk.example"], &[]),
        ],
        warnings: &[(5, "Pager Number")],
    },
    Case {
        file: "utf16le-no-bom.csv",
        layout: EN,
        decoded_as: "UTF-16LE (UTF-16 without a byte order mark)",
        people: &[
            (
                2,
                "Дмитрий Иванов",
                &["d.ivanov@sever.example"],
                &["+7 916 123-45-67", "+7 495 123-45-67"],
            ),
            (
                3,
                "Νίκος Παπαδόπουλος",
                &["nikos@aigaio.example"],
                &["+30 694 123 4567"],
            ),
        ],
        warnings: &[],
    },
];

/// What a file read gives, in the shape of a [`Case`].
type Seen = (
    Layout,
    String,
    Vec<(u64, String, Vec<String>, Vec<String>)>,
    Vec<(u64, String)>,
    usize,
);

fn seen(r: &ContactsRead) -> Seen {
    (
        r.layout,
        r.decoded_as.clone(),
        r.people
            .iter()
            .map(|p| (p.line, p.name.clone(), p.emails.clone(), p.phones.clone()))
            .collect(),
        r.people
            .iter()
            .flat_map(|p| p.warnings.iter().map(|w| (w.line, w.column.clone())))
            .collect(),
        r.bad.len(),
    )
}

fn wanted(c: &Case) -> Seen {
    let strings = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    (
        c.layout,
        c.decoded_as.to_string(),
        c.people
            .iter()
            .map(|(l, n, e, p)| (*l, n.to_string(), strings(e), strings(p)))
            .collect(),
        c.warnings
            .iter()
            .map(|(l, c)| (*l, c.to_string()))
            .collect(),
        0,
    )
}

/// The files in the corpus directory (not its README or generator).
fn files_on_disk() -> Vec<String> {
    // Files only: `sheets/` has the spreadsheet fixtures, tested in `sheet.rs`.
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".md") && !n.ends_with(".py"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_corpus_file_reads_every_person_exactly() {
    let mut wrong = Vec::new();
    for c in CORPUS {
        let got = seen(&read(c.file));
        let want = wanted(c);
        if got != want {
            wrong.push(format!("{}:\n  got  {got:?}\n  want {want:?}", c.file));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The per-file result: how many files import with every name and email intact, no record
/// refused and no character replaced. All of them.
#[test]
fn the_whole_corpus_imports_intact() {
    let on_disk = files_on_disk();
    let listed: Vec<&str> = CORPUS.iter().map(|c| c.file).collect();
    assert_eq!(
        on_disk, listed,
        "every corpus file has its case, in file-name order"
    );
    assert!(on_disk.len() >= 20, "{} files", on_disk.len());
    let intact = CORPUS
        .iter()
        .filter(|c| {
            let r = read(c.file);
            let names_and_emails = |people: Vec<(u64, String, Vec<String>, Vec<String>)>| {
                people
                    .into_iter()
                    .map(|(_, n, e, _)| (n, e))
                    .collect::<Vec<_>>()
            };
            let text = format!("{:?}", r.people);
            r.bad.is_empty()
                && !text.contains('\u{fffd}')
                && names_and_emails(seen(&r).2) == names_and_emails(wanted(c).2)
        })
        .count();
    assert_eq!((intact, CORPUS.len()), (23, 23));
}

fn pairs(xs: &[(&str, &str)]) -> Vec<(String, String)> {
    xs.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn the_rfc_6350_card_keeps_its_extension_url_labels_and_the_rest() {
    let r = read("rfc6350-example.vcf");
    let simon = &r.people[0];
    assert_eq!(simon.organization, "Viagenie");
    assert_eq!(simon.websites, ["http://nomis80.org"]);
    assert_eq!(
        simon.address, "Suite D2-630, 2875 Laurier, Quebec, QC, G1V 2M2, Canada",
        "ADR folded after `Laurier;`"
    );
    assert_eq!(simon.birthday, None);
    assert_eq!(
        simon.other,
        pairs(&[
            ("birthday", "--02-03"),
            ("anniversary", "2009-08-08"),
            ("gender", "M")
        ])
    );
    assert_eq!(
        simon.warnings[0].reason,
        "a birthday without a year; kept as \"birthday\" in the notes"
    );
    assert_eq!(
        simon.value_labels,
        pairs(&[
            (
                "Suite D2-630, 2875 Laurier, Quebec, QC, G1V 2M2, Canada",
                "work"
            ),
            ("+1-418-656-9254 ext. 102", "work"),
            ("+1-418-262-6501", "work, cell, video, text"),
            ("simon.perreault@viagenie.ca", "work"),
            ("http://nomis80.org", "home"),
        ])
    );
}

#[test]
fn apple_labels_groups_and_company_cards() {
    let r = read("ios-contacts.vcf");
    let mei = &r.people[0];
    assert_eq!(
        mei.value_labels,
        pairs(&[
            ("mei.lin@harbour.example", "Other"),
            ("meimei@mail.example", "home"),
            ("+852 9123 4567", "cell"),
            ("+852 2345 6789", "Assistant"),
            ("+852 2345 6700 ext. 218", "work"),
            ("8 Harbour Road, Wan Chai, Hong Kong", "work"),
            ("https://harbour.example", "HomePage"),
        ])
    );
    assert_eq!(
        mei.other,
        pairs(&[
            ("department", "Procurement"),
            ("Anniversary", "2015-05-20"),
            ("Spouse", "Daniel Lin"),
            (
                "social profile (linkedin)",
                "http://www.linkedin.com/in/meilin"
            ),
        ])
    );
    assert_eq!(
        mei.notes,
        "Prefers WhatsApp, not calls.\nMet at the Canton Fair."
    );
    assert_eq!(mei.labels, ["Suppliers"]);
    assert_eq!(mei.birthday, NaiveDate::from_ymd_opt(1988, 9, 14));
    assert_eq!(r.people[1].organization, "Pacific Tea Co.");
    assert_eq!(
        r.people[2].value_labels[1],
        ("+86 21 6123 4567".to_string(), "秘书".to_string())
    );

    let mac = &read("ezvcard-mac-address-book.vcf").people[0];
    assert!(
        mac.value_labels
            .contains(&("905-222-1234".to_string(), "AssistantPhone".to_string()))
    );
    assert_eq!(mac.websites, ["http://www.ibm.com"]);
    assert_eq!(mac.nickname, "Johny");
    assert_eq!(
        mac.other,
        pairs(&[
            ("department", "Accounting"),
            (
                "address",
                "Street4\nBuilding 6\nFloor 8, New York, 12345, USA"
            ),
            ("Spouse", "Jenny"),
        ])
    );
}

#[test]
fn evolution_and_gmail_cards_keep_their_other_properties() {
    let john = &read("ezvcard-evolution.vcf").people[0];
    assert_eq!(
        (john.title.as_str(), john.nickname.as_str()),
        ("Money Counter", "Johny")
    );
    assert_eq!(
        john.websites,
        ["http://www.ibm.com"],
        "folded in the middle"
    );
    assert_eq!(john.labels, ["VIP"]);
    assert_eq!(
        john.other,
        pairs(&[
            ("AIM (home)", "johnny5@aol.com"),
            ("spouse", "Maria"),
            ("department", "Accounting, Dungeon"),
            ("manager", "Big Blue"),
            ("assistant", "Little Red"),
            ("anniversary", "1980-03-22"),
        ])
    );
    let g = &read("ezvcard-gmail-single2.vcf").people[0];
    assert_eq!(g.websites.len(), 6);
    assert!(g.other.contains(&("Skype".to_string(), "IM5".to_string())));
    assert!(
        g.other
            .contains(&("Assistant".to_string(), "Name12".to_string()))
    );
    assert!(
        g.value_labels
            .contains(&("5555551117".to_string(), "home, fax".to_string()))
    );
}

#[test]
fn legacy_encodings_decode_per_line_and_as_asked() {
    let r = read("feature-phone-shift_jis.vcf");
    let taro = &r.people[0];
    // ソ and 表 carry a 0x5C byte: not an escape.
    assert_eq!(taro.organization, "ソフト表示株式会社");
    assert_eq!(taro.other, pairs(&[("department", "営業部")]));
    assert_eq!(taro.address, "東京都港区芝公園４－２－８, 105-0011, 日本");
    assert_eq!(
        taro.notes,
        "ソニー製品の担当。表計算の資料を毎月送付。能登の出身。"
    );
    assert_eq!(
        r.people[1].notes, "大阪支店の窓口。電話は午前中が良い。",
        "a fold inside a two-byte character is joined first"
    );
    // Asked for by name, the same file reads the same.
    let asked = read_as("feature-phone-shift_jis.vcf", Some("sjis"));
    assert_eq!(asked.people, r.people);
    assert_eq!(asked.decoded_as, "Shift_JIS (as asked)");

    let big5 = read("phone-big5.vcf");
    assert_eq!(
        big5.people[0].notes,
        "每月初寄送報價單，喜歡用電子郵件聯絡。"
    );
    assert_eq!(big5.people[0].address, "信義路五段7號, 台北市, 110, 台灣");

    let outlook = &read("outlook-2019-v21-windows-1252.vcf").people[0];
    assert_eq!(outlook.organization, "Bäckerei Müller & Söhne GmbH");
    assert_eq!(
        outlook.notes,
        "Liefert jeden Dienstag Brötchen für das Café."
    );
    assert_eq!(outlook.other, pairs(&[("IM", "juergen@jabber.example")]));

    let gbk = read_as("excel-gbk.csv", Some("gb18030"));
    assert_eq!(gbk.people[0].name, "张伟");
    assert_eq!(gbk.decoded_as, "gb18030 (as asked)");
    // The wrong encoding asked for is an error naming the line, not mojibake.
    let wrong = rapport_interchange::read_contacts_csv(
        &bytes("outlook-2003-windows-1252.csv"),
        Some("utf-8"),
    );
    assert!(
        matches!(
            wrong,
            Err(rapport_interchange::ReadError::Decode(
                rapport_interchange::DecodeError::Invalid { line: 2, .. }
            ))
        ),
        "{wrong:?}"
    );
}

#[test]
fn android_quoted_printable_cut_inside_characters_is_joined() {
    let r = read("android-v21-quoted-printable.vcf");
    let zhang = &r.people[0];
    assert_eq!(
        (
            zhang.organization.as_str(),
            zhang.title.as_str(),
            zhang.nickname.as_str()
        ),
        ("华创商务有限公司", "采购经理", "Wei")
    );
    assert_eq!(
        zhang.notes,
        "成都展会上认识。喜欢用微信联系，不要打电话。下个月再跟进报价。"
    );
    assert_eq!(zhang.birthday, NaiveDate::from_ymd_opt(1985, 3, 12));
    let jose = &r.people[1];
    assert_eq!(jose.address, "Calle de Alcalá 42, Madrid, 28014, España");
    assert_eq!(jose.websites, ["https://garcia.example"]);
}

#[test]
fn values_that_do_not_fit_are_kept_with_a_warning() {
    let r = read("android-text-in-email.vcf");
    assert_eq!(r.people[0].other, pairs(&[("email", "call after 6pm")]));
    assert_eq!(
        r.people[0].warnings[0].reason,
        "email: `call after 6pm` is not a valid email address; kept as \"email\" in the notes"
    );
    assert_eq!(
        r.people[1].other,
        pairs(&[
            ("phone", "pager"),
            ("email", "ured u prizemlju, pitati Željka")
        ])
    );
    let lukas = &read("google-legacy-utf16le.csv").people[0];
    assert_eq!(lukas.other, pairs(&[("phone", "pager")]));
    assert_eq!(
        lukas.warnings[0].reason,
        "`pager` is not a phone number; kept as \"phone\" in the notes"
    );
    let grace = &read("outlook-2016-exchange.csv").people[0];
    assert_eq!(
        grace.other,
        pairs(&[
            ("Title", "Dr."),
            (
                "email",
                "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper"
            ),
            ("Office Location", "Building 4"),
        ])
    );
    let desk = &read("thunderbird.csv").people[2];
    assert_eq!(desk.other, pairs(&[("phone", "beeper only")]));
}

#[test]
fn csv_layouts_keep_every_column_they_do_not_place() {
    let de = read("outlook-german.csv");
    let j = &de.people[0];
    assert_eq!(j.title, "Einkaufsleiter");
    assert_eq!(j.birthday, NaiveDate::from_ymd_opt(1970, 3, 31));
    assert_eq!(j.address, "Königstraße 27, Stuttgart, 70173, Deutschland");
    assert_eq!(j.websites, ["https://weiss-soehne.example"]);
    assert_eq!(j.labels, ["Lieferanten", "Süd"]);
    assert_eq!(j.notes, "Bevorzugt Termine am Vormittag.\nRabatt: 3 %");
    assert_eq!(
        j.other,
        pairs(&[("Anrede", "Frau"), ("Abteilung", "Einkauf")]),
        "defaults (Normal, Aus, 0.0.00, Nicht angegeben), display names and initials are not kept"
    );
    assert_eq!(
        j.value_labels,
        pairs(&[
            ("+49 711 123456-0", "Telefon geschäftlich"),
            ("+49 172 9876543", "Mobiltelefon")
        ])
    );
    assert_eq!(de.people[1].other, pairs(&[("Hobby", "Rudern")]));
    assert_eq!(de.people[1].address, "Müllerstraße 5, Berlin, 13353");

    let fr = read("outlook-french.csv");
    let f = &fr.people[0];
    assert_eq!(f.title, "Directeur commercial", "the second `Titre`");
    assert_eq!(
        f.birthday,
        NaiveDate::from_ymd_opt(1975, 7, 14),
        "day first"
    );
    assert_eq!(f.other, pairs(&[("Titre", "M."), ("Service", "Export")]));
    assert_eq!(f.websites, ["https://chateau-lefevre.example"]);

    let tb = read("thunderbird.csv");
    let ada = &tb.people[0];
    assert_eq!(ada.birthday, NaiveDate::from_ymd_opt(1815, 12, 10));
    assert_eq!(ada.nickname, "Ada");
    assert_eq!(ada.organization, "Analytical Engines, Ltd.");
    assert_eq!(
        ada.address,
        "12 St James's Square, London, SW1Y 4JH, United Kingdom"
    );
    assert_eq!(
        ada.other,
        pairs(&[
            ("Screen Name", "ada_l"),
            ("Custom 1", "Met at the Royal Society")
        ])
    );
    assert_eq!(
        tb.people[1].other,
        pairs(&[("name", "Björk Guðmundsdóttir")]),
        "the display name is the name; first and last name are kept"
    );

    let g = read("gmail.csv");
    let priya = &g.people[0];
    assert_eq!(priya.labels, ["Suppliers"], "system labels are dropped");
    assert_eq!(priya.other, pairs(&[("Spouse", "Arjun")]));
    assert_eq!(
        priya.fields,
        pairs(&[("GSTIN", "29ABCDE1234F1Z5")]),
        "a Google custom field is a custom field, by its label"
    );
    assert_eq!(
        priya.address,
        "14 MG Road\nBengaluru, Karnataka 560001\nIndia"
    );
    assert_eq!(
        &priya.value_labels[..3],
        pairs(&[
            ("priya@ramantextiles.example", "Work"),
            ("priya.raman@mail.example", "Home"),
            ("pri@alt.example", "Home")
        ])
        .as_slice()
    );
    assert_eq!(g.people[1].other, pairs(&[("birthday", "--08-14")]));

    let en = read("outlook-2003-windows-1252.csv");
    assert_eq!(en.people[0].birthday, NaiveDate::from_ymd_opt(1979, 5, 17));
    assert_eq!(en.people[1].other, pairs(&[("Spouse", "Théo")]));
    assert_eq!(en.people[1].websites, ["http://cafe-noir.example"]);
}

#[test]
fn our_custom_fields_come_back_as_fields() {
    let ana = &read("rapport-custom-fields.vcf").people[0];
    assert_eq!(
        ana.fields,
        pairs(&[("Contract expiry", "2027-03-31"), ("Size, cm", "120, 80")])
    );
    assert_eq!(ana.other, pairs(&[("X-RAPPORT-FIELD", "no name")]));
}

#[test]
fn layouts_have_stable_names() {
    let names: Vec<&str> = [
        Layout::Google,
        Layout::GoogleOld,
        EN,
        Layout::Outlook(Language::German),
        Layout::Outlook(Language::French),
        Layout::Outlook(Language::Spanish),
        Layout::Thunderbird,
        Layout::VCard,
    ]
    .iter()
    .map(|l| l.name())
    .collect();
    assert_eq!(
        names,
        [
            "google",
            "google_old",
            "outlook",
            "outlook_de",
            "outlook_fr",
            "outlook_es",
            "thunderbird",
            "vcard"
        ]
    );
    assert_eq!(
        serde_json::to_string(&Layout::Outlook(Language::German)).unwrap(),
        "\"outlook_de\""
    );
}
