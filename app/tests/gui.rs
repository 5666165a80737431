//! The desktop app driven headless through AccessKit (egui_kittest): the real `RapportApp`
//! with its real background worker on a temporary store, no network.
//!
//! CJK text renders through the system font provider, as in the app itself; the README's
//! test command installs `fonts-noto-cjk` for it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rapport::gui::{Clock, Options, RapportApp, Source, View};
use rapport_store::{OpenOptions, Store};

fn open_store(dir: &std::path::Path, name: &str) -> Arc<Store> {
    Arc::new(
        Store::open(
            dir,
            OpenOptions {
                device_name: name.into(),
                ..OpenOptions::default()
            },
        )
        .unwrap(),
    )
}

fn harness(store: Arc<Store>) -> Harness<'static, RapportApp> {
    harness_at(store, Clock::default())
}

/// The app on `store` with no network, its clock at `clock`, CJK text from the system fonts.
fn harness_at(store: Arc<Store>, clock: Clock) -> Harness<'static, RapportApp> {
    harness_with(store, clock, None)
}

/// [`harness_at`], with the view state restored from `storage` if given.
fn harness_with(
    store: Arc<Store>,
    clock: Clock,
    storage: Option<MemoryStorage>,
) -> Harness<'static, RapportApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(50)
        .with_context_setup(|ctx| {
            ctx.add_font_provider(Arc::new(
                egui_system_font_provider::SystemFontProvider::new(),
            ));
        })
        .build_eframe(move |cc| {
            RapportApp::new(
                &cc.egui_ctx,
                storage.as_ref().map(|s| s as &dyn eframe::Storage),
                Source::Open(store),
                Options {
                    network: false,
                    clock,
                    ..Options::default()
                },
            )
        })
}

/// Steps the app until `done` holds (the worker answers on its own thread), or fails after
/// 20 s with `what`.
fn wait(h: &mut Harness<'static, RapportApp>, what: &str, done: impl Fn(&RapportApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.step();
}

fn listed_names(app: &RapportApp) -> Vec<String> {
    app.listed().iter().map(|s| s.name.clone()).collect()
}

/// Replaces the text of the field labelled `label` with `text`.
fn fill(h: &mut Harness<'static, RapportApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

#[test]
fn a_salesperson_day_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    let mut h = harness(store.clone());
    wait(&mut h, "the first snapshot", |a| a.progress().is_none());

    // Ctrl+N, type a Chinese company name, create.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    h.step();
    fill(&mut h, "New customer name", "张伟贸易有限公司");
    h.get_by_role_and_label(Role::Button, "Create").click();
    h.step();
    wait(&mut h, "the new customer in the list", |a| {
        listed_names(a) == ["张伟贸易有限公司"]
    });
    // A second customer, so the search has something to leave out.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    h.step();
    fill(&mut h, "New customer name", "Bluewater Ltd");
    h.get_by_role_and_label(Role::Button, "Create").click();
    h.step();
    wait(&mut h, "two customers", |a| a.listed().len() == 2);

    // Find it by typing part of its Chinese name, then by pinyin initials.
    fill(&mut h, "Search", "张伟");
    wait(&mut h, "the search result", |a| {
        listed_names(a) == ["张伟贸易有限公司"]
    });
    fill(&mut h, "Search", "zwmy");
    wait(&mut h, "the pinyin search result", |a| {
        listed_names(a) == ["张伟贸易有限公司"]
    });
    h.get_by_role_and_label(Role::Button, "张伟贸易有限公司")
        .click();
    h.step();
    wait(&mut h, "the customer panel", |a| a.detail().is_some());

    // Add a follow-up due today; it shows in the agenda.
    h.get_by_role_and_label(Role::Button, "Follow-ups").click();
    h.step();
    let today = chrono::Local::now().date_naive().to_string();
    fill(&mut h, "Due", &today);
    fill(&mut h, "Follow-up subject", "Send the catalogue");
    h.get_by_role_and_label(Role::Button, "Add follow-up")
        .click();
    h.step();
    wait(&mut h, "the follow-up in today's agenda", |a| {
        a.snapshot()
            .agenda
            .today
            .iter()
            .chain(&a.snapshot().agenda.overdue)
            .any(|e| e.followup.subject == "Send the catalogue")
    });
    h.get_by_role_and_label(Role::Button, "Agenda").click();
    h.step();
    assert_eq!(h.state().view(), View::Agenda);
    h.get_by_label_contains("Send the catalogue");
    // Complete it from the agenda.
    h.get_by_role_and_label(Role::Button, "Done").click();
    h.step();
    wait(&mut h, "the agenda to empty", |a| {
        a.snapshot().agenda.is_empty()
    });
    assert!(h.query_by_label_contains("Send the catalogue").is_none());
    let c = store.customer(h.state().selected().unwrap()).unwrap();
    let f = c.followups.values().next().unwrap();
    assert!(f.done_at.is_some(), "completed in the store, durably");

    // A won deal makes it the VIP; the value screen shows the tier, and its button filters.
    h.get_by_role_and_label(Role::Button, "Customers").click();
    h.step();
    h.get_by_role_and_label(Role::Button, "Deals").click();
    h.step();
    fill(&mut h, "Deal title", "First order");
    fill(&mut h, "Deal amount", "12000");
    h.get_by_role_and_label(Role::Button, "Add won").click();
    h.step();
    wait(&mut h, "the analysis to rank the customer", |a| {
        a.snapshot().analysis.as_ref().is_some_and(|an| {
            an.tiers
                .iter()
                .any(|t| t.tier == rapport_model::Tier::Vip && t.customers == 1)
        })
    });
    h.get_by_role_and_label(Role::Button, "Value").click();
    h.step();
    h.get_by_role_and_label(Role::Button, "VIP").click();
    h.step();
    wait(&mut h, "the VIP filter", |a| {
        a.view() == View::Customers && listed_names(a) == ["张伟贸易有限公司"]
    });

    // A change from another device arrives while the app runs and appears without a click.
    h.get_by_role_and_label(Role::Button, "Clear filters")
        .click();
    h.step();
    let other_dir = tempfile::tempdir().unwrap();
    let other = open_store(other_dir.path(), "Laptop B");
    other
        .create(rapport_model::NewCustomer::new(
            "Müller Maschinenbau",
            rapport_model::CustomerKind::Company,
        ))
        .unwrap();
    rapport_sync::sync_local(other.as_ref(), store.as_ref()).unwrap();
    wait(&mut h, "the remote customer in the list", |a| {
        listed_names(a).contains(&"Müller Maschinenbau".to_string())
    });
    assert!(
        h.query_all_by_label("Müller Maschinenbau").next().is_some(),
        "drawn in the table"
    );
}

/// Each main screen on the same demo data at a fixed moment, drawn by kittest's wgpu renderer
/// (a software Vulkan driver, Mesa's lavapipe, is enough) and compared with the reviewed
/// images in `tests/snapshots/` (the README shows them). After a deliberate change to the
/// UI: `UPDATE_SNAPSHOTS=1 cargo test -p rapport --test gui`, look at the new images, commit.
///
/// The sync screen shows this device's random network id, so its image may differ by that
/// one line.
#[test]
fn snapshots_of_each_screen_on_demo_data() {
    let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let fixed = now.and_utc();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        Store::open(
            dir.path(),
            OpenOptions {
                device_name: "Li Na's laptop".into(),
                clock: Arc::new(move || fixed),
                ..OpenOptions::default()
            },
        )
        .unwrap(),
    );
    store
        .create_many(rapport_demo::generate(600, 42, now.date()))
        .unwrap();
    let mut h = harness_at(store, Clock(Some(now)));
    wait(&mut h, "the demo customers", |a| {
        a.progress().is_none() && a.listed().len() == 600
    });
    let fourth = h.state().listed()[3].id;
    h.state_mut().open(fourth);
    wait(&mut h, "the customer panel", |a| a.detail().is_some());
    let mut results = egui_kittest::SnapshotResults::new();
    for (view, name) in [
        (View::Customers, "customers"),
        (View::Agenda, "agenda"),
        (View::Value, "value"),
        (View::Settings, "settings"),
    ] {
        h.state_mut().switch(view);
        h.run_steps(4);
        results.add(h.try_snapshot(name));
    }
    // The sync screen shows this store's random device id (one line of text); anything
    // beyond that many pixels is a real change.
    h.state_mut().switch(View::Sync);
    h.run_steps(4);
    results.add(h.try_snapshot_options(
        "sync",
        &egui_kittest::SnapshotOptions::new().max_failed_pixels(6_000),
    ));
}

#[test]
fn import_a_contacts_file_with_a_preview_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    let mut h = harness(store.clone());
    wait(&mut h, "the first snapshot", |a| a.progress().is_none());
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/interchange/tests/data/google-contacts.csv");
    h.get_by_role_and_label(Role::Button, "Import…").click();
    h.run_steps(2);
    fill(&mut h, "File to import", file.to_str().unwrap());
    h.get_by_role_and_label(Role::Button, "Preview").click();
    h.step();
    wait(&mut h, "the preview", |a| {
        a.import().is_some_and(|d| d.preview().is_some())
    });
    h.get_by_label_contains("5 to create, 0 to merge");
    h.get_by_label_contains("create company 华创商务有限公司 with 1 contact(s)");
    assert_eq!(store.count().unwrap(), 0, "a preview writes nothing");
    h.get_by_role_and_label(Role::Button, "Import now").click();
    h.step();
    wait(&mut h, "the imported customers", |a| a.listed().len() == 5);
    assert_eq!(store.count().unwrap(), 5);
    assert!(h.state().import().is_none(), "the dialog closes");
}

/// A spreadsheet shows its mapping step first: each column with a drop-down and its first
/// rows; Import waits until the column no field takes (`提成`) is given one, then the
/// preview is made again and the import writes the customers.
#[test]
fn a_spreadsheet_is_mapped_in_the_import_window_before_it_imports() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    let mut h = harness(store.clone());
    wait(&mut h, "the first snapshot", |a| a.progress().is_none());
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/interchange/tests/corpus/sheets/chinese-team.xlsx");
    h.get_by_role_and_label(Role::Button, "Import…").click();
    h.run_steps(2);
    fill(&mut h, "File to import", file.to_str().unwrap());
    h.get_by_role_and_label(Role::Button, "Preview").click();
    h.step();
    wait(&mut h, "the preview", |a| {
        a.import().is_some_and(|d| d.preview().is_some())
    });
    h.get_by_label_contains("Columns (suggested from the headers)");
    h.get_by_label_contains("Choose a field (or other, or ignore) for: 提成");
    // The first rows are shown under their columns.
    h.get_by_label("上海华东贸易有限公司");
    h.get_by_label_contains("create company 上海华东贸易有限公司 with 1 contact(s)");
    assert!(
        {
            use egui_kittest::kittest::NodeT as _;
            h.get_by_role_and_label(Role::Button, "Import now")
                .accesskit_node()
                .is_disabled()
        },
        "import waits for the mapping"
    );
    // The drop-down is there for the column; choosing in it is what `map_import_column`
    // does (kittest's click on a popup's option does not reach egui's combo box).
    h.get_by_role_and_label(Role::ComboBox, "提成");
    h.state_mut().map_import_column("提成", "ignore");
    h.step();
    wait(&mut h, "the preview with the new mapping", |a| {
        a.import().is_some_and(|d| {
            d.maps() == ["提成=ignore"]
                && d.preview()
                    .and_then(|p| p.mapping.as_ref())
                    .is_some_and(|m| m.unplaced.is_empty())
        })
    });
    assert_eq!(store.count().unwrap(), 0, "a preview writes nothing");
    h.get_by_role_and_label(Role::Button, "Import now").click();
    h.step();
    wait(&mut h, "the imported customers", |a| a.listed().len() == 4);
    assert_eq!(store.count().unwrap(), 4);
}

/// The app exports the list as filtered now: the workbook holds exactly the listed customers.
#[test]
fn the_app_exports_the_filtered_list_as_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    for (name, tag) in [
        ("Acme Optik GmbH", "vip"),
        ("Bluewater Ltd", "lead"),
        ("华东贸易", "vip"),
    ] {
        let mut c = rapport_model::NewCustomer::new(name, rapport_model::CustomerKind::Company);
        c.edits.push(rapport_model::Edit::AddTag(tag.into()));
        store.create(c).unwrap();
    }
    let mut h = harness(store);
    wait(&mut h, "the customers", |a| a.listed().len() == 3);
    h.state_mut().set_filter(rapport_query::Filter {
        tag: Some("vip".into()),
        ..rapport_query::Filter::default()
    });
    wait(&mut h, "the filtered list", |a| a.listed().len() == 2);
    h.get_by_role_and_label(Role::Button, "Export…").click();
    h.run_steps(2);
    let file = dir.path().join("vip.xlsx");
    fill(&mut h, "File to write", file.to_str().unwrap());
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.step();
    wait(&mut h, "the export", |_| file.exists());
    let bytes = std::fs::read(&file).unwrap();
    let sheet = rapport_interchange::read_sheet(&bytes, &Default::default()).unwrap();
    let mut names: Vec<String> = sheet.rows.iter().map(|r| r.get(0).text()).collect();
    names.sort();
    assert_eq!(names, ["Acme Optik GmbH", "华东贸易"]);
    assert_eq!(sheet.sheet_names, ["Customers", "Value report", "Contacts"]);
}

/// A choice field filters the list in the app, from its own drop-down in the filters.
#[test]
fn a_custom_choice_field_filters_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    let region = rapport_model::FieldDef::new(
        "r1",
        "Region",
        rapport_model::FieldKind::Choice,
        vec!["North".into(), "South".into()],
    )
    .unwrap();
    store
        .set_setting(&region.key(), Some(&region.to_setting()))
        .unwrap();
    for (name, r) in [
        ("Acme", "North"),
        ("Bluewater", "South"),
        ("华东贸易", "North"),
    ] {
        let mut c = rapport_model::NewCustomer::new(name, rapport_model::CustomerKind::Company);
        c.edits
            .push(rapport_model::Edit::SetField("r1".into(), Some(r.into())));
        store.create(c).unwrap();
    }
    let mut h = harness(store);
    wait(&mut h, "the customers", |a| a.listed().len() == 3);
    h.get_by_role_and_label(Role::ComboBox, "Region");
    h.state_mut().set_filter(rapport_query::Filter {
        fields: vec![rapport_query::FieldFilter {
            field: region,
            test: rapport_query::FieldTest::Equals("North".into()),
        }],
        ..rapport_query::Filter::default()
    });
    wait(&mut h, "the filtered list", |a| a.listed().len() == 2);
    let mut names: Vec<String> = h.state().listed().iter().map(|s| s.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["Acme", "华东贸易"]);
}

/// eframe's storage in memory: what the app saves at exit, for the next start.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.into(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// The app on `store`, restoring its view state from `storage`.
fn harness_restored(store: Arc<Store>, storage: MemoryStorage) -> Harness<'static, RapportApp> {
    harness_with(store, Clock::default(), Some(storage))
}

/// Steps until the UI has a node labelled `label` with `role`, or fails after 20 s.
fn wait_for_node(h: &mut Harness<'static, RapportApp>, role: Role, label: &str) {
    let start = Instant::now();
    while h.query_by_role_and_label(role, label).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {role:?} `{label}`"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

/// A custom field shown as a column from the table's "Columns" menu: its values readable
/// (money with its currency), its header sorting the list like a built-in column's
/// (customers without a value last both ways), and the choice and the sort kept for the
/// next start.
#[test]
fn a_custom_field_column_is_shown_and_sorts_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    let credit = rapport_model::FieldDef::new(
        "c1",
        "Credit limit",
        rapport_model::FieldKind::Money,
        vec![],
    )
    .unwrap();
    store
        .set_setting(&credit.key(), Some(&credit.to_setting()))
        .unwrap();
    for (name, limit) in [
        ("Acme", Some("50000.00 CNY")),
        ("Bluewater", Some("900.00 CNY")),
        ("华东贸易", None),
        ("Delta", Some("120000.00 CNY")),
    ] {
        let mut c = rapport_model::NewCustomer::new(name, rapport_model::CustomerKind::Company);
        if let Some(l) = limit {
            c.edits
                .push(rapport_model::Edit::SetField("c1".into(), Some(l.into())));
        }
        store.create(c).unwrap();
    }
    let mut h = harness(store.clone());
    wait(&mut h, "the customers", |a| a.listed().len() == 4);
    assert!(
        h.query_by_role_and_label(Role::Button, "Credit limit")
            .is_none(),
        "no field column until asked for"
    );
    h.get_by_role_and_label(Role::Button, "Columns").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::CheckBox, "Credit limit")
        .click();
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    wait_for_node(&mut h, Role::Button, "Credit limit");
    // Money reads with its currency and thousands separators.
    h.get_by_label("CNY 50,000.00");
    h.get_by_role_and_label(Role::Button, "Credit limit")
        .click();
    wait(&mut h, "the list by credit limit", |a| {
        listed_names(a) == ["Bluewater", "Acme", "Delta", "华东贸易"]
    });
    h.get_by_role_and_label(Role::Button, "Credit limit ↑")
        .click();
    wait(&mut h, "the list by credit limit, highest first", |a| {
        listed_names(a) == ["Delta", "Acme", "Bluewater", "华东贸易"]
    });
    // The column and the sort come back at the next start.
    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    drop(h);
    let mut h = harness_restored(store, storage);
    wait(&mut h, "the list as it was left", |a| {
        listed_names(a) == ["Delta", "Acme", "Bluewater", "华东贸易"]
    });
    wait_for_node(&mut h, Role::Button, "Credit limit ↓");
}

#[test]
fn the_command_palette_opens_a_customer_found_by_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path(), "Laptop A");
    store
        .create(rapport_model::NewCustomer::new(
            "北京鼎盛物流有限公司",
            rapport_model::CustomerKind::Company,
        ))
        .unwrap();
    let mut h = harness(store);
    wait(&mut h, "the customer", |a| a.listed().len() == 1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    h.run_steps(2);
    fill(&mut h, "Command", "ding sheng");
    let start = Instant::now();
    while h.query_by_label("Open 北京鼎盛物流有限公司").is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no palette result"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.get_by_label("Open 北京鼎盛物流有限公司").click();
    h.step();
    wait(&mut h, "the customer panel", |a| a.detail().is_some());
    assert!(!h.state().is_palette_open(), "the palette closes");
}

/// A team device wiped its customers and synced; on the sync screen, "Undo its changes…" and
/// the confirmation bring them back.
#[test]
fn undoing_a_wiped_device_from_the_sync_screen() {
    let office_dir = tempfile::tempdir().unwrap();
    let laptop_dir = tempfile::tempdir().unwrap();
    let office = open_store(office_dir.path(), "Office");
    let laptop = open_store(laptop_dir.path(), "Wiped laptop");
    office
        .create_many(rapport_demo::generate(
            12,
            5,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        ))
        .unwrap();
    rapport_sync::sync_local(office.as_ref(), laptop.as_ref()).unwrap();
    let laptop_id = rapport_sync::net::device_id(&laptop).to_string();
    office.team_add(&laptop_id, "Wiped laptop").unwrap();
    for id in laptop.ids().unwrap() {
        laptop.edit(id, &[rapport_model::Edit::Delete]).unwrap();
    }
    rapport_sync::sync_local(laptop.as_ref(), office.as_ref()).unwrap();

    let mut h = harness(office.clone());
    wait(&mut h, "the store read", |a| a.progress().is_none());
    assert!(h.state().listed().is_empty(), "every customer was deleted");
    h.state_mut().switch(View::Sync);
    wait(&mut h, "the team's devices", |a| {
        a.sync().is_some_and(|s| !s.peers.is_empty())
    });
    h.run_steps(2);
    h.get_by_label("Undo its changes…").click();
    h.run_steps(2);
    h.get_by_label("Undo them").click();
    wait(&mut h, "the customers back", |a| a.listed().len() == 12);
    assert_eq!(office.list(&Default::default()).unwrap().len(), 12);
}

/// The sync screen offers only what this device's role allows: a member sees the roles but
/// no Invite and no Revoke; the owner sees both.
#[test]
fn the_sync_screen_offers_only_what_the_role_allows() {
    let (od, md) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let owner = open_store(od.path(), "Office");
    let member = open_store(md.path(), "Laptop B");
    owner.team_create("Sales").unwrap();
    owner.team_add(&member.device_id(), "Laptop B").unwrap();
    member
        .team_join(owner.team_id().unwrap().unwrap(), false)
        .unwrap();
    rapport_sync::sync_local(member.as_ref(), owner.as_ref()).unwrap();

    let mut h = harness(member.clone());
    wait(&mut h, "the store read", |a| a.progress().is_none());
    h.state_mut().switch(View::Sync);
    wait(&mut h, "the team's devices", |a| {
        a.sync().is_some_and(|s| !s.peers.is_empty())
    });
    h.run_steps(2);
    h.get_by_label("Role in the team: member");
    h.get_by_label("owner");
    assert!(h.query_by_label("Invite a device").is_none());
    assert!(h.query_by_label("Revoke").is_none());

    let mut h = harness(owner.clone());
    wait(&mut h, "the store read", |a| a.progress().is_none());
    h.state_mut().switch(View::Sync);
    wait(&mut h, "the team's devices", |a| {
        a.sync().is_some_and(|s| !s.peers.is_empty())
    });
    h.run_steps(2);
    h.get_by_label("Role in the team: owner");
    h.get_by_label("Invite a device");
    h.get_by_label("Revoke");
}
