//! The read commands answer from the store's derived rows and value cache exactly what they
//! answered from every summary: each command's output (table and JSON) is byte for byte the
//! same with `RAPPORT_DERIVED=off` (the old path), on a store with archived, deleted,
//! tagged, overridden and follow-up-laden customers, before and after edits that do and do
//! not move value; and `rapport check` is clean and finds a damaged cache.

use std::path::Path;
use std::process::Command;

use crate::common::{json, ok};

fn run(dir: &Path, args: &[&str], derived: bool) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("RAPPORT_DATA_DIR")
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .env("RAPPORT_DERIVED", if derived { "on" } else { "off" })
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code(),
    )
}

fn same_both_ways(dir: &Path, commands: &[Vec<&str>]) {
    for args in commands {
        // The derived path first, so its cache is the one computed after the last edit.
        let new = run(dir, args, true);
        let old = run(dir, args, false);
        assert_eq!(new, old, "rapport {args:?}");
        assert_eq!(new.2, Some(0), "rapport {args:?}: {}", new.1);
    }
}

#[test]
fn read_commands_say_the_same_from_derived_rows_as_from_every_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["demo", "--customers", "150"]);
    for name in ["Bluewater Trading", "张伟贸易有限公司", "Blue Harbour"] {
        ok(
            d,
            &[
                "customer", "add", "--name", name, "--kind", "company", "--tag", "fair",
            ],
        );
    }
    let rows = json(d, &["customer", "list", "--json"]);
    let id = |i: usize| rows[i]["id"].as_str().unwrap().to_string();
    let (a, b, c, e) = (id(3), id(7), id(11), id(20));
    ok(d, &["customer", "archive", &a]);
    ok(d, &["customer", "delete", &b]);
    ok(
        d,
        &[
            "customer",
            "edit",
            &c,
            "--tier",
            "vip",
            "--tier-reason",
            "strategic",
        ],
    );
    let today = chrono::Local::now().date_naive();
    for n in [0u64, 1, 3, 8] {
        let due = (today + chrono::Days::new(n)).to_string();
        ok(
            d,
            &[
                "followup",
                "add",
                &e,
                "--due",
                &due,
                "--kind",
                "call",
                "--subject",
                "Call back",
            ],
        );
    }
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["customer", "list"],
        vec!["customer", "list", "--json"],
        vec!["customer", "list", "--limit", "7", "--offset", "5"],
        vec!["customer", "list", "--archived", "--json"],
        vec!["customer", "list", "--tag", "fair", "--json"],
        vec!["customer", "list", "--search", "blwtr", "--json"],
        vec!["customer", "list", "--search", "zw", "--json"],
        vec![
            "customer", "list", "--search", "blue", "--limit", "1", "--offset", "1",
        ],
        vec!["customer", "list", "--search", "a", "--json"],
        vec!["customer", "list", "--deleted", "--json"],
        vec!["value"],
        vec!["value", "--json"],
        vec!["followup", "list"],
        vec!["followup", "list", "--json"],
        vec!["followup", "list", "--today", "--json"],
        vec!["followup", "list", "--overdue"],
        vec!["followup", "list", "--week", "--json"],
        vec!["followup", "list", "--due-revisit"],
        vec!["followup", "list", "--due-revisit", "--json"],
        vec![
            "followup", "list", "--limit", "9", "--offset", "4", "--json",
        ],
        vec!["followup", "list", "--today", "--limit", "3"],
        vec!["followup", "list", "--week", "--limit", "20", "--json"],
        vec![
            "followup",
            "list",
            "--overdue",
            "--limit",
            "2",
            "--offset",
            "1",
        ],
        vec![
            "followup",
            "list",
            "--due-revisit",
            "--limit",
            "5",
            "--offset",
            "2",
        ],
    ];
    for tier in ["vip", "major", "common", "minor", "unranked"] {
        commands.push(vec!["customer", "list", "--tier", tier, "--json"]);
        commands.push(vec![
            "customer", "list", "--tier", tier, "--search", "an", "--limit", "3",
        ]);
    }
    let shows: Vec<String> = [0, 3, 11, 20, 60].iter().map(|&i| id(i)).collect();
    for s in &shows {
        commands.push(vec!["customer", "show", s.as_str()]);
        commands.push(vec!["customer", "show", s.as_str(), "--json"]);
    }
    same_both_ways(d, &commands);
    // And what they say is not empty where it must not be.
    let found = json(d, &["customer", "list", "--search", "blwtr", "--json"]);
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "Bluewater Trading"),
        "{found}"
    );
    assert!(
        !json(d, &["customer", "list", "--tier", "vip", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        !json(d, &["followup", "list", "--due-revisit", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        json(d, &["customer", "list", "--deleted", "--json"])[0]["id"],
        b.as_str()
    );

    // A page of any follow-up list is that slice of the whole list, across days.
    for mode in [
        None,
        Some("--today"),
        Some("--week"),
        Some("--overdue"),
        Some("--due-revisit"),
    ] {
        let mut all = vec!["followup", "list", "--json"];
        all.extend(mode);
        let whole = json(d, &all);
        let whole = whole.as_array().unwrap();
        assert!(whole.len() >= 3, "{mode:?}: {}", whole.len());
        for (offset, limit) in [
            (0, 1),
            (1, 2),
            (2, 1000),
            (whole.len() - 1, 5),
            (whole.len(), 5),
        ] {
            let (o, l) = (offset.to_string(), limit.to_string());
            let mut args = all.clone();
            args.extend(["--offset", o.as_str(), "--limit", l.as_str()]);
            let page = json(d, &args);
            let end = (offset + limit).min(whole.len());
            assert_eq!(page.as_array().unwrap(), &whole[offset..end], "{args:?}");
        }
    }

    // A won deal moves value (the cache is computed again); a note does not (it is kept).
    let date = today.to_string();
    ok(
        d,
        &[
            "deal",
            "add",
            &e,
            "--title",
            "Big",
            "--amount",
            "9000000",
            "--currency",
            "CNY",
            "--status",
            "won",
            "--date",
            &date,
        ],
    );
    same_both_ways(d, &commands);
    ok(d, &["customer", "edit", &e, "--notes", "prefers mornings"]);
    same_both_ways(d, &commands);
    // So does a team setting.
    ok(d, &["settings", "set", "tier.vip_percent", "3"]);
    same_both_ways(d, &commands);

    let check = json(d, &["check", "--json"]);
    assert_eq!(check["problems"], serde_json::json!([]), "{check}");
}

/// A process that holds the store (`serve`, the app) keeps the value cache current: after a
/// change that moves value (a won deal), the analysis is computed again in the background, so
/// the next command reads it instead of computing it.
#[test]
fn a_running_process_keeps_the_value_cache_current() {
    use rapport_model::{Currency, Deal, DealStatus, Edit, ItemId, Money};
    use rapport_store::{OpenOptions, Store};
    use rapport_value::ValueSettings;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["demo", "--customers", "60"]);
    let id = json(d, &["customer", "list", "--json"])[5]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let store = std::sync::Arc::new(Store::open(d, OpenOptions::default()).unwrap());
    let settings = ValueSettings::from_map_tolerant(&store.settings().unwrap()).0;
    let today = rapport::ops::lists::today();
    let current = || store.value_cache_current(&settings, today).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut services = rapport::ops::node::Services::new(store.clone());
    let wait_current = |what: &str| {
        let start = std::time::Instant::now();
        while !current() {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "the value cache did not become current ({what})"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    rt.block_on(async { services.start_values() });
    // Computed once at start.
    wait_current("at start");

    let deal = Deal {
        title: "Big order".into(),
        amount: Money::parse(
            "9000000",
            Currency::parse("CNY", "currency").unwrap(),
            "amount",
        )
        .unwrap(),
        status: DealStatus::Won,
        date: today,
        probability: 100,
    };
    store
        .edit(id, &[Edit::PutDeal(ItemId::new(), deal)])
        .unwrap();
    assert!(
        !current(),
        "a won deal moves value inputs: the cache is stale"
    );
    wait_current("after a won deal");
    // And what it holds is the analysis of the store as it is now.
    let cached = store.value_cache(&settings, today).unwrap();
    let fresh = rapport_value::analyse(&store.summaries().unwrap(), &settings, today);
    assert_eq!(cached.totals.ranked, fresh.ranked);
    assert_eq!(cached.totals.total_revenue, fresh.total_revenue);
    assert_eq!(
        cached.get(id).unwrap().map(|v| v.window_revenue),
        fresh.get(id).map(|v| v.window_revenue)
    );
    rt.block_on(services.stop());
}
