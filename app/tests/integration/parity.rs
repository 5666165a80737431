//! The CLI and the app mean the same thing: on one store, `rapport customer list --search` /
//! `--tier` lists exactly the customers the app's list shows for that search or tier filter,
//! in the same order (fuzzy and pinyin search included), and `rapport followup list --week`
//! holds exactly the app agenda's overdue, today and this-week follow-ups (the week ends on
//! Sunday in both); a bad setting is refused by both with the same message
//! (`rapport::ops::change_setting`); an import preview counts the same creates, merges,
//! unchanged and bad rows as `import --dry-run` (`rapport::ops::read_import`, `plan_contacts`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::time::{Duration, Instant};

use crate::common;
use crate::common::{json, ok};
use egui_kittest::Harness;
use rapport::gui::RapportApp;
use rapport_model::Tier;
use rapport_query::Filter;

fn names(rows: &serde_json::Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

fn wait(h: &mut Harness<'static, RapportApp>, what: &str, done: impl Fn(&RapportApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

#[test]
fn the_cli_and_the_app_list_and_schedule_the_same_customers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["demo", "--customers", "80"]);
    for name in ["Bluewater Trading", "张伟贸易有限公司", "Blue Harbour"] {
        ok(d, &["customer", "add", "--name", name, "--kind", "company"]);
    }
    // Follow-ups on each of the next 9 days, so every week boundary is crossed whatever today is.
    let today = chrono::Local::now().date_naive();
    for n in 0..9u64 {
        let due = (today + chrono::Days::new(n)).to_string();
        ok(
            d,
            &[
                "followup",
                "add",
                "Blue Harbour",
                "--due",
                &due,
                "--subject",
                &format!("day {n}"),
            ],
        );
    }

    let searches = [
        "blwtr",
        "zwmy",
        "张伟",
        "blue",
        "trading blue",
        "an",
        "zz-nothing",
    ];
    let tiers = [
        ("vip", Tier::Vip),
        ("major", Tier::Major),
        ("common", Tier::Common),
        ("minor", Tier::Minor),
    ];
    let by_search: Vec<Vec<String>> = searches
        .iter()
        .map(|q| names(&json(d, &["customer", "list", "--search", q, "--json"])))
        .collect();
    let by_tier: Vec<Vec<String>> = tiers
        .iter()
        .map(|(t, _)| names(&json(d, &["customer", "list", "--tier", t, "--json"])))
        .collect();
    // The fuzzy and pinyin searches find what they should, not merely the same in both.
    assert!(
        by_search[0].contains(&"Bluewater Trading".to_string()),
        "{by_search:?}"
    );
    assert!(
        by_search[0].iter().all(|n| n.starts_with("Bluewater")),
        "{by_search:?}"
    );
    assert!(
        by_search[1].contains(&"张伟贸易有限公司".to_string()),
        "{by_search:?}"
    );
    assert!(by_search[6].is_empty());
    assert!(by_tier.iter().all(|t| !t.is_empty()), "{by_tier:?}");
    let week_rows = json(d, &["followup", "list", "--week", "--json"]);
    let week: Vec<String> = week_rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let ours = week_rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["customer_name"] == "Blue Harbour")
        .count();
    // A contacts file with a new person, one already here (merged), and a bad row.
    let file = d.join("contacts.csv");
    std::fs::write(
        &file,
        "Name,Given Name,Family Name,Organization 1 - Name,E-mail 1 - Value\n\
         Ana Lima,Ana,Lima,,ana@lima.example\n\
         Blue Harbour,,,Blue Harbour,office@blueharbour.example\n\
         Bad Row,Bad,Row,,not-an-email\n",
    )
    .unwrap();
    let dry = json(
        d,
        &[
            "import",
            file.to_str().unwrap(),
            "--dry-run",
            "--skip-bad",
            "--json",
        ],
    );
    let bad = common::rapport(d, &["settings", "set", "tier.vip", "90"]);
    assert_eq!(bad.status.code(), Some(1));
    let cli_refusal = String::from_utf8_lossy(&bad.stderr)
        .trim()
        .trim_start_matches("error: ")
        .to_string();
    let days_left = 6 - chrono::Datelike::weekday(&today).num_days_from_monday() as usize;

    let mut h = common::app_holding(d);
    wait(&mut h, "the app's list", |a| a.listed().len() >= 80);

    let listed = |a: &RapportApp| {
        a.listed()
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
    };
    for (q, cli) in searches.iter().zip(&by_search) {
        h.state_mut().set_filter(Filter {
            text: q.to_string(),
            ..Filter::default()
        });
        wait(
            &mut h,
            &format!("the app's list for {q:?} to be {cli:?}"),
            |a| listed(a) == *cli,
        );
    }
    for ((t, tier), cli) in tiers.iter().zip(&by_tier) {
        h.state_mut().set_filter(Filter {
            tier: Some(*tier),
            ..Filter::default()
        });
        wait(&mut h, &format!("the app's {t} list to be {cli:?}"), |a| {
            listed(a) == *cli
        });
    }
    // The same bad setting asked of the app: refused with the CLI's words, nothing written.
    h.state().set_team_setting("tier.vip", Some("90"));
    wait(&mut h, "the app's refusal", |a| {
        a.banners()
            .iter()
            .any(|b| matches!(b, rapport::gui::Banner::Error(e) if *e == cli_refusal))
    });
    // The same file previewed by the app.
    h.state_mut().preview_import(file.clone(), true);
    wait(&mut h, "the app's import preview", |a| {
        a.import().is_some_and(|i| i.preview().is_some())
    });
    let preview = h.state().import().unwrap().preview().cloned().unwrap();
    assert_eq!(
        preview.kind,
        dry["layout"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .replace("googleold", "google")
    );
    assert_eq!(preview.created as u64, dry["created"].as_u64().unwrap());
    assert_eq!(preview.merged as u64, dry["merged"].as_u64().unwrap());
    assert_eq!(preview.unchanged as u64, dry["unchanged"].as_u64().unwrap());
    assert_eq!(preview.bad.len(), dry["skipped"].as_array().unwrap().len());
    assert!(
        preview.created >= 1 && preview.merged + preview.unchanged >= 1,
        "{preview:?}"
    );
    // The odd email is kept in the notes with a warning, the same in the app and the CLI.
    assert_eq!(preview.bad.len(), 0, "{preview:?}");
    assert_eq!(
        preview.warnings.len(),
        dry["warnings"].as_array().unwrap().len()
    );
    assert_eq!(preview.warnings.len(), 1, "{preview:?}");
    let agenda = &h.state().snapshot().agenda;
    let mut app_week: Vec<String> = agenda
        .overdue
        .iter()
        .chain(&agenda.today)
        .chain(&agenda.this_week)
        .map(|e| e.followup.id.to_string())
        .collect();
    let mut cli_week = week.clone();
    app_week.sort();
    cli_week.sort();
    assert_eq!(app_week, cli_week);
    // Of ours: today's and the rest of this week's, up to Sunday, and not one day more.
    assert_eq!(ours, days_left + 1);
}

/// The name this device has in its own record and in the signed team, as the CLI reads them.
fn names_of_this_device(d: &std::path::Path) -> (String, String) {
    let device = json(d, &["device", "--json"]);
    let team = json(d, &["team", "--json"]);
    let me = team["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["this_device"] == true)
        .unwrap_or_else(|| panic!("this device is not in {team}"))
        .clone();
    (
        device["name"].as_str().unwrap().to_string(),
        me["name"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_rename_from_the_cli_or_the_app_reaches_the_store_and_the_team() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["team", "create", "--name", "Sales"]);
    ok(d, &["device", "rename", "Front desk"]);
    assert_eq!(
        names_of_this_device(d),
        ("Front desk".to_string(), "Front desk".to_string())
    );
    // The app's rename, read back through the running app and again with it closed.
    let mut h = common::app_holding(d);
    h.state().rename_device("Office PC");
    let start = Instant::now();
    while names_of_this_device(d).1 != "Office PC" {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the app did not rename"
        );
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    assert_eq!(names_of_this_device(d).0, "Office PC");
    // Closing the app closes the store: it opens here at once, with no wait for a worker.
    drop(h);
    drop(
        rapport_store::Store::open(d, rapport_store::OpenOptions::default())
            .expect("the store is free the moment the app is dropped"),
    );
    assert_eq!(
        names_of_this_device(d),
        ("Office PC".to_string(), "Office PC".to_string())
    );
}
