//! # The desktop app (egui/eframe)
//!
//! [`RapportApp`] draws and dispatches; it holds no business logic. Data comes from the
//! [`worker`] thread (store, sync node, queries, value analysis) as [`worker::Update`]s;
//! user actions go back as [`worker::Request`]s. The UI thread never does IO and never waits
//! on the worker: it drains the update channel at the start of each frame, and the worker
//! calls `request_repaint` after sending.
//!
//! This module owns the app's state, applies the worker's updates, handles the keyboard
//! shortcuts and lays out a frame. The pieces it draws: `top_bar` (with the banners),
//! `screens` (customers with the customer panel, agenda, value, sync, settings),
//! `dialogs` (new customer, import, command palette, the sync screen's prompts), and the
//! shared `widgets`. Window size, panel layout, the current screen, sort, filters (not
//! the search text), the custom field columns shown and theme persist through eframe's storage; customer data never goes
//! there.

mod dialogs;
mod screens;
mod top_bar;
mod widgets;
pub mod worker;

use std::sync::Arc;

use dialogs::join_request::JoinRequest;
use dialogs::new_customer::NewCustomerDialog;
use dialogs::palette::CommandPalette;
use egui::{Key, KeyboardShortcut, Modifiers};
use rapport_model::{CustomerId, CustomerKind, Edit};
use rapport_query::{AgendaEntry, Filter, Sort};
use screens::detail::{self, DetailState};
use screens::settings::SettingsScreen;
use screens::sync::SyncScreen;
use serde::{Deserialize, Serialize};
use worker::{Backend, Detail, Request, Snapshot, SyncView, Update};

pub use dialogs::import::ImportDialog;
pub use worker::{Clock, Options, Source};

/// The screens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    #[default]
    Customers,
    Agenda,
    Value,
    Sync,
    Settings,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Customers,
        View::Agenda,
        View::Value,
        View::Sync,
        View::Settings,
    ];

    pub fn label(self) -> &'static str {
        match self {
            View::Customers => "Customers",
            View::Agenda => "Agenda",
            View::Value => "Value",
            View::Sync => "Sync",
            View::Settings => "Settings",
        }
    }
}

/// What persists between runs (no customer data).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub view: View,
    pub sort: Sort,
    pub dark: bool,
    pub tier: Option<rapport_model::Tier>,
    pub stage: Option<rapport_model::LifecycleStage>,
    pub due_for_revisit: bool,
    pub show_archived: bool,
    /// The custom fields shown as columns of the customer table, by field id.
    pub field_columns: Vec<String>,
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            view: View::Customers,
            sort: Sort::default(),
            dark: false,
            tier: None,
            stage: None,
            due_for_revisit: false,
            show_archived: false,
            field_columns: Vec::new(),
        }
    }
}

/// A message shown at the top until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub enum Banner {
    Notice(String),
    Error(String),
    Due(Vec<AgendaEntry>),
}

/// The app. Its state is private: tests and the UI benchmark read it through the accessors
/// below and act through a few intent methods (open, switch, set the search text).
pub struct RapportApp {
    backend: Backend,
    persisted: Persisted,
    filter: Filter,
    generation: u64,
    snapshot: Arc<Snapshot>,
    rows: Arc<Vec<usize>>,
    progress: Option<String>,
    detail: Option<DetailState>,
    selected: Option<CustomerId>,
    sync: Option<SyncView>,
    banners: Vec<Banner>,
    focus_search: bool,
    /// Set when a customer was created from the UI, to open it when it arrives.
    awaiting_created: bool,
    clock: Clock,
    /// The new-customer window, while open.
    new_customer: Option<NewCustomerDialog>,
    /// The export window, while open.
    pub(crate) export: Option<dialogs::export::ExportDialog>,
    /// The import dialog, while open.
    import: Option<ImportDialog>,
    palette: CommandPalette,
    sync_screen: SyncScreen,
    settings: SettingsScreen,
}

impl RapportApp {
    /// Creates the app with its worker. `storage` restores the persisted view state.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        source: Source,
        options: Options,
    ) -> Self {
        let persisted: Persisted = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        apply_theme(ctx, persisted.dark);
        let clock = options.clock;
        let repaint_ctx = ctx.clone();
        let backend = Backend::start(source, options, move || repaint_ctx.request_repaint());
        let filter = Filter {
            tier: persisted.tier,
            stage: persisted.stage,
            due_for_revisit: persisted.due_for_revisit,
            archived: persisted.show_archived,
            ..Filter::default()
        };
        let mut app = RapportApp {
            backend,
            persisted,
            filter,
            generation: 0,
            snapshot: Arc::new(Snapshot::default()),
            rows: Arc::new(Vec::new()),
            progress: Some("Starting…".into()),
            detail: None,
            selected: None,
            sync: None,
            banners: Vec::new(),
            focus_search: false,
            awaiting_created: false,
            clock,
            new_customer: None,
            import: None,
            export: None,
            palette: CommandPalette::default(),
            sync_screen: SyncScreen::default(),
            settings: SettingsScreen::default(),
        };
        app.query();
        app
    }

    /// Sends the current filter and sort to the worker.
    pub(crate) fn query(&mut self) {
        self.generation += 1;
        self.persisted.tier = self.filter.tier;
        self.persisted.stage = self.filter.stage;
        self.persisted.due_for_revisit = self.filter.due_for_revisit;
        self.persisted.show_archived = self.filter.archived;
        self.backend.send(Request::Query {
            filter: self.filter.clone(),
            sort: self.persisted.sort.clone(),
            generation: self.generation,
        });
    }

    /// The customers the table currently lists, in order.
    pub fn listed(&self) -> Vec<&rapport_model::CustomerSummary> {
        self.rows
            .iter()
            .filter_map(|&i| self.snapshot.summaries.get(i).map(|s| s.as_ref()))
            .collect()
    }

    pub(crate) fn send(&self, r: Request) {
        self.backend.send(r);
    }

    /// Opens customer `id` in the detail panel.
    pub fn open(&mut self, id: CustomerId) {
        self.selected = Some(id);
        if self.detail.as_ref().map(|d| d.detail.customer.id) != Some(id) {
            self.detail = None;
        }
        self.backend.send(Request::Open(id));
    }

    pub(crate) fn close_detail(&mut self) {
        self.detail = None;
        self.backend.send(Request::Close);
    }

    /// Applies `edits` to the open customer at once (validated by the model) and asks the
    /// worker to make them durable. An invalid edit is refused here with its reason.
    pub(crate) fn edit(&mut self, id: CustomerId, edits: Vec<Edit>) {
        if let Some(d) = self.detail.as_mut().filter(|d| d.detail.customer.id == id) {
            let now = self.clock.utc();
            let mut preview = d.detail.customer.clone();
            for e in &edits {
                if let Err(err) = e.validate(Some(&preview)) {
                    self.banners.push(Banner::Error(err.to_string()));
                    return;
                }
                e.apply(&mut preview, now);
            }
            d.detail.customer = preview;
        }
        self.backend.send(Request::Edit { id, edits });
    }

    /// Asks the worker to create a customer, and selects it when it arrives.
    pub(crate) fn new_customer(&mut self, name: String, kind: CustomerKind) {
        self.awaiting_created = true;
        self.backend.send(Request::Create { name, kind });
    }

    /// Shows screen `view`.
    pub fn switch(&mut self, view: View) {
        self.persisted.view = view;
    }

    /// Replaces the search text and sends the query, as typing it in the search box does.
    pub fn set_search_text(&mut self, text: impl Into<String>) {
        self.filter.text = text.into();
        self.query();
    }

    /// Replaces the whole filter (search text included) and sends the query, as the filter
    /// panel does.
    pub fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.query();
    }

    /// Asks the worker to set team setting `key` (`None` removes it), as the settings
    /// screen's Save does; a refusal comes back as an error banner.
    /// Renames this device, as the settings screen's Save does.
    pub fn rename_device(&self, name: &str) {
        self.send(Request::SetDeviceName(name.to_string()));
    }

    pub fn set_team_setting(&self, key: &str, value: Option<&str>) {
        self.send(Request::SetSetting {
            key: key.to_string(),
            value: value.map(str::to_string),
        });
    }

    /// Opens the import dialog on `path` and asks the worker for its preview, as typing the
    /// path and pressing Preview does.
    pub fn preview_import(&mut self, path: std::path::PathBuf, skip_bad: bool) {
        self.import = Some(ImportDialog::new(path.display().to_string(), skip_bad));
        self.progress = Some("Reading the file…".into());
        self.send(Request::PreviewImport {
            path,
            maps: Vec::new(),
            encoding: None,
        });
    }

    /// Writes the customer list as filtered now to `path` as XLSX (in the worker), as the
    /// export window's Export does.
    pub fn export_list(&mut self, path: std::path::PathBuf) {
        self.progress = Some("Exporting…".into());
        self.send(Request::ExportXlsx {
            path,
            filter: self.filter.clone(),
        });
    }

    /// Opens the export window.
    pub fn open_export(&mut self) {
        self.export = Some(dialogs::export::ExportDialog::default());
    }

    /// Maps a column of the previewed spreadsheet to a field (a `--map` word) and previews
    /// again, as choosing in the column's drop-down does.
    pub fn map_import_column(&mut self, header: &str, field: &str) {
        let Some(d) = self.import.as_mut() else {
            return;
        };
        d.map_column(header, field);
        let (path, maps, encoding) = d.ask();
        self.progress = Some("Reading the file…".into());
        self.send(Request::PreviewImport {
            path,
            maps,
            encoding,
        });
    }

    /// The screen shown.
    pub fn view(&self) -> View {
        self.persisted.view
    }

    /// What the worker reports it is doing (`None` when idle).
    pub fn progress(&self) -> Option<&str> {
        self.progress.as_deref()
    }

    /// The worker's latest snapshot of every customer, the analysis and the agenda.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    /// The table's rows (indices into the snapshot's summaries) for the current query.
    pub fn rows(&self) -> &Arc<Vec<usize>> {
        &self.rows
    }

    /// The text in the search box.
    pub fn search_text(&self) -> &str {
        &self.filter.text
    }

    /// The customer selected in the table.
    pub fn selected(&self) -> Option<CustomerId> {
        self.selected
    }

    /// The customer open in the panel, as the worker last sent it.
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_ref().map(|d| &d.detail)
    }

    /// This device and its team, as the worker last sent them.
    pub fn sync(&self) -> Option<&SyncView> {
        self.sync.as_ref()
    }

    /// The banners shown under the top bar, oldest first.
    pub fn banners(&self) -> &[Banner] {
        &self.banners
    }

    /// The import dialog, while open.
    pub fn import(&self) -> Option<&ImportDialog> {
        self.import.as_ref()
    }

    /// Whether the command palette is open.
    pub fn is_palette_open(&self) -> bool {
        self.palette.is_open()
    }

    /// The text last copied to the clipboard (the invite ticket).
    pub fn copied(&self) -> Option<&str> {
        self.sync_screen.copied()
    }

    fn apply_updates(&mut self, ctx: &egui::Context) {
        for u in self.backend.poll() {
            match u {
                Update::Progress(p) => self.progress = Some(p),
                Update::View {
                    snapshot,
                    rows,
                    generation,
                } => {
                    self.progress = None;
                    self.snapshot = snapshot;
                    if generation == self.generation {
                        self.rows = rows;
                    }
                }
                Update::Detail(d) => {
                    let keep = self
                        .detail
                        .take()
                        .filter(|old| old.detail.customer.id == d.customer.id);
                    self.detail = Some(detail::detail_state(*d, keep));
                }
                Update::Created(id) => {
                    if self.awaiting_created {
                        self.awaiting_created = false;
                        self.selected = Some(id);
                        self.persisted.view = View::Customers;
                    }
                }
                Update::Sync(s) => self.sync = Some(*s),
                Update::Ticket(t) => self.sync_screen.set_ticket(ctx, t),
                Update::JoinRequest { id, name, code } => {
                    self.sync_screen
                        .ask_to_admit(JoinRequest { id, name, code });
                    self.persisted.view = View::Sync;
                }
                Update::PaletteResults(text, hits) => self.palette.receive(text, hits),
                Update::ImportPreview(p) => {
                    self.progress = None;
                    if let Some(dlg) = self.import.as_mut() {
                        dlg.set_preview(*p);
                    }
                }
                Update::Due(d) => self.banners.push(Banner::Due(d)),
                Update::Notice(n) => {
                    if n.starts_with("Imported") {
                        self.import = None;
                        self.progress = None;
                    }
                    self.banners.push(Banner::Notice(n))
                }
                Update::Exported(n) => {
                    self.export = None;
                    self.progress = None;
                    self.banners.push(Banner::Notice(n))
                }
                Update::Error(e) => {
                    if self.export.is_some() {
                        self.progress = None;
                    }
                    self.banners.push(Banner::Error(e))
                }
            }
        }
        if self.banners.len() > 5 {
            let extra = self.banners.len() - 5;
            self.banners.drain(..extra);
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        const NEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
        const FIND: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
        const PALETTE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
        let typing = ctx.memory(|m| m.focused().is_some());
        ctx.input_mut(|i| {
            if i.consume_shortcut(&NEW) {
                self.new_customer = Some(NewCustomerDialog::default());
            }
            if i.consume_shortcut(&FIND) || (!typing && i.consume_key(Modifiers::NONE, Key::Slash))
            {
                self.persisted.view = View::Customers;
                self.focus_search = true;
            }
            if i.consume_shortcut(&PALETTE) {
                self.palette.open();
            }
            if i.consume_key(Modifiers::NONE, Key::Escape) {
                if self.palette.is_open() {
                    self.palette.close();
                } else if self.import.is_some() {
                    self.import = None;
                } else if self.new_customer.is_some() {
                    self.new_customer = None;
                } else if self.detail.is_some() {
                    self.close_detail();
                } else if !self.filter.text.is_empty() {
                    self.filter.text.clear();
                    self.query();
                }
            }
        });
    }
}

fn apply_theme(ctx: &egui::Context, dark: bool) {
    ctx.set_theme(if dark {
        egui::ThemePreference::Dark
    } else {
        egui::ThemePreference::Light
    });
}

impl eframe::App for RapportApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.apply_updates(ctx);
        self.shortcuts(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("top_bar").show(ui, |ui| top_bar::show(self, ui));
        match self.persisted.view {
            View::Customers => {
                let focus = std::mem::take(&mut self.focus_search);
                screens::customers::show(self, ui, focus);
            }
            View::Agenda => {
                egui::CentralPanel::default().show(ui, |ui| screens::agenda::show(self, ui));
            }
            View::Value => {
                egui::CentralPanel::default().show(ui, |ui| screens::value::show(self, ui));
            }
            View::Sync => {
                egui::CentralPanel::default().show(ui, |ui| {
                    let open = self.sync_screen.show(ui, self.sync.as_ref(), &self.backend);
                    if let Some(id) = open {
                        self.switch(View::Customers);
                        self.open(id);
                    }
                });
            }
            View::Settings => {
                egui::CentralPanel::default().show(ui, |ui| {
                    self.settings
                        .show(ui, self.sync.as_ref(), &self.snapshot, &self.backend)
                });
            }
        }
        dialogs::new_customer::show(self, &ctx);
        dialogs::import::show(self, &ctx);
        dialogs::export::show(self, &ctx);
        dialogs::palette::show(self, &ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted);
    }
}

/// Opens the app window: on the store in `dir`, or on fresh demo data in a temporary store.
pub fn run(source: Source, options: Options) -> anyhow::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Rapport")
            .with_app_id("rapport")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0]),
        ..Default::default()
    };
    eframe::run_native(
        "rapport",
        native,
        Box::new(move |cc| {
            Ok(Box::new(RapportApp::new(
                &cc.egui_ctx,
                cc.storage,
                source,
                options,
            )))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
