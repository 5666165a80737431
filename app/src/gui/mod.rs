//! # The desktop app (egui/eframe)
//!
//! [`RapportApp`] draws and dispatches; it holds no business logic. Data comes from the
//! [`backend`] worker thread (store, sync node, queries, value analysis) as
//! [`backend::Update`]s; user actions go back as [`backend::Request`]s. The UI thread never
//! does IO and never waits on the worker: it drains the update channel at the start of each
//! frame, and the worker calls `request_repaint` after sending.
//!
//! Screens: customers (virtualised table with search and filters, detail panel), agenda,
//! value (plots), sync, settings. Window size, panel layout, the current screen, sort,
//! filters (not the search text) and theme persist through eframe's storage; customer data
//! never goes there.

pub mod backend;
mod screens;

use std::sync::Arc;

use backend::{Backend, Detail, Request, Snapshot, SyncView, Update};
use egui::{Key, KeyboardShortcut, Modifiers};
use rapport_model::{CustomerId, CustomerKind, Edit};
use rapport_query::{AgendaEntry, Filter, Sort};
use serde::{Deserialize, Serialize};

pub use backend::{Clock, Options, Source};

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

/// The open customer and the text being edited in its fields.
pub struct DetailState {
    pub detail: Detail,
    /// Field → (text being edited, the value it started from).
    pub drafts: std::collections::BTreeMap<&'static str, (String, String)>,
    pub tab: screens::DetailTab,
    pub forms: screens::Forms,
}

/// The app.
pub struct RapportApp {
    backend: Backend,
    pub persisted: Persisted,
    pub filter: Filter,
    generation: u64,
    pub snapshot: Arc<Snapshot>,
    pub rows: Arc<Vec<usize>>,
    pub progress: Option<String>,
    pub detail: Option<DetailState>,
    pub selected: Option<CustomerId>,
    pub sync: Option<SyncView>,
    pub ticket: Option<(String, Option<egui::TextureHandle>)>,
    /// A device asking to join: (id, name, confirmation code), until the person answers.
    pub join_request: Option<(String, String, String)>,
    pub join_text: String,
    /// A team device whose changes the user asked to undo, awaiting confirmation.
    pub confirm_undo: Option<String>,
    pub banners: Vec<Banner>,
    pub palette: Option<String>,
    pub new_customer: Option<(String, CustomerKind)>,
    focus_search: bool,
    /// Set when a customer was created from the UI, to open it when it arrives.
    awaiting_created: bool,
    pub settings_drafts: std::collections::BTreeMap<String, String>,
    pub device_name_draft: Option<String>,
    /// Whether the last copy-to-clipboard happened (tests read it).
    pub copied: Option<String>,
    pub clock: Clock,
    /// The import dialog: the path typed, whether bad rows are skipped, the preview.
    pub import: Option<ImportDialog>,
    /// The command palette's customer matches: for which text, and the matches.
    palette_results: (String, Vec<(CustomerId, String)>),
}

/// The import dialog's state.
#[derive(Clone, Debug, Default)]
pub struct ImportDialog {
    pub path: String,
    pub skip_bad: bool,
    pub preview: Option<backend::ImportPreview>,
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
            ticket: None,
            join_request: None,
            join_text: String::new(),
            confirm_undo: None,
            banners: Vec::new(),
            palette: None,
            new_customer: None,
            focus_search: false,
            awaiting_created: false,
            settings_drafts: Default::default(),
            device_name_draft: None,
            copied: None,
            clock,
            import: None,
            palette_results: Default::default(),
        };
        app.query();
        app
    }

    /// Sends the current filter and sort to the worker.
    pub fn query(&mut self) {
        self.generation += 1;
        self.persisted.tier = self.filter.tier;
        self.persisted.stage = self.filter.stage;
        self.persisted.due_for_revisit = self.filter.due_for_revisit;
        self.persisted.show_archived = self.filter.archived;
        self.backend.send(Request::Query {
            filter: self.filter.clone(),
            sort: self.persisted.sort,
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

    pub fn send(&self, r: Request) {
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

    pub fn close_detail(&mut self) {
        self.detail = None;
        self.backend.send(Request::Close);
    }

    /// Applies `edits` to the open customer at once (validated by the model) and asks the
    /// worker to make them durable. An invalid edit is refused here with its reason.
    pub fn edit(&mut self, id: CustomerId, edits: Vec<Edit>) {
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

    pub fn new_customer(&mut self, name: String, kind: CustomerKind) {
        self.awaiting_created = true;
        self.backend.send(Request::Create { name, kind });
    }

    pub fn switch(&mut self, view: View) {
        self.persisted.view = view;
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
                    self.detail = Some(screens::detail_state(*d, keep));
                }
                Update::Created(id) => {
                    if self.awaiting_created {
                        self.awaiting_created = false;
                        self.selected = Some(id);
                        self.persisted.view = View::Customers;
                    }
                }
                Update::Sync(s) => self.sync = Some(*s),
                Update::Ticket(t) => {
                    let tex = screens::qr_texture(ctx, &t);
                    self.ticket = Some((t, tex));
                }
                Update::JoinRequest { id, name, code } => {
                    self.join_request = Some((id, name, code));
                    self.persisted.view = View::Sync;
                }
                Update::PaletteResults(text, hits) => {
                    if self.palette_results.0 == text {
                        self.palette_results.1 = hits;
                    }
                }
                Update::ImportPreview(p) => {
                    self.progress = None;
                    if let Some(dlg) = self.import.as_mut() {
                        dlg.preview = Some(*p);
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
                Update::Error(e) => self.banners.push(Banner::Error(e)),
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
                self.new_customer = Some((String::new(), CustomerKind::Company));
            }
            if i.consume_shortcut(&FIND) || (!typing && i.consume_key(Modifiers::NONE, Key::Slash))
            {
                self.persisted.view = View::Customers;
                self.focus_search = true;
            }
            if i.consume_shortcut(&PALETTE) {
                self.palette = Some(String::new());
            }
            if i.consume_key(Modifiers::NONE, Key::Escape) {
                if self.palette.is_some() {
                    self.palette = None;
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

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.strong("Rapport");
            ui.separator();
            for v in View::ALL {
                let label = match v {
                    View::Agenda if !self.snapshot.agenda.overdue.is_empty() => {
                        format!("Agenda ({})", self.snapshot.agenda.overdue.len())
                    }
                    _ => v.label().to_string(),
                };
                if ui
                    .selectable_label(self.persisted.view == v, label)
                    .clicked()
                {
                    self.persisted.view = v;
                }
            }
            ui.separator();
            if ui.button("New customer").on_hover_text("Ctrl+N").clicked() {
                self.new_customer = Some((String::new(), CustomerKind::Company));
            }
            if ui
                .button("Import…")
                .on_hover_text("Google or Outlook CSV, vCard, orders CSV")
                .clicked()
            {
                self.import = Some(ImportDialog::default());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let theme = if self.persisted.dark {
                    "Light theme"
                } else {
                    "Dark theme"
                };
                if ui.button(theme).clicked() {
                    self.persisted.dark = !self.persisted.dark;
                    apply_theme(ui.ctx(), self.persisted.dark);
                }
                if let Some(s) = &self.sync {
                    let online = s.peers.iter().filter(|p| p.online).count();
                    let total = s.peers.iter().filter(|p| !p.revoked).count();
                    ui.label(format!("{online}/{total} devices online"));
                }
                if let Some(p) = &self.progress {
                    ui.spinner();
                    ui.label(p);
                }
            });
        });
    }

    fn banners(&mut self, ui: &mut egui::Ui) {
        let mut close = None;
        let mut open = None;
        for (i, b) in self.banners.iter().enumerate() {
            ui.horizontal_wrapped(|ui| {
                match b {
                    Banner::Notice(n) => {
                        ui.label(n);
                    }
                    Banner::Error(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    Banner::Due(entries) => {
                        ui.strong(format!("{} follow-up(s) due now:", entries.len()));
                        for e in entries.iter().take(5) {
                            if ui
                                .link(format!("{} — {}", e.customer_name, e.followup.subject))
                                .clicked()
                            {
                                open = Some(e.customer);
                            }
                        }
                    }
                }
                if ui.small_button("Dismiss").clicked() {
                    close = Some(i);
                }
            });
        }
        if let Some(i) = close {
            self.banners.remove(i);
        }
        if let Some(id) = open {
            self.persisted.view = View::Customers;
            self.open(id);
        }
    }

    fn new_customer_window(&mut self, ctx: &egui::Context) {
        let Some((name, kind)) = self.new_customer.as_mut() else {
            return;
        };
        let mut create = false;
        let mut cancel = false;
        egui::Window::new("New customer")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
            .show(ctx, |ui| {
                let r = ui.add(
                    egui::TextEdit::singleline(name)
                        .hint_text("Name")
                        .desired_width(280.0),
                );
                let r = r.accessible_name("New customer name");
                if !r.has_focus() && name.is_empty() {
                    r.request_focus();
                }
                if r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    create = true;
                }
                ui.horizontal(|ui| {
                    ui.selectable_value(kind, CustomerKind::Company, "Company");
                    ui.selectable_value(kind, CustomerKind::Person, "Person");
                });
                ui.horizontal(|ui| {
                    if ui.button("Create").clicked() {
                        create = true;
                    }
                    if ui.button("Cancel").clicked() {
                        cancel = true;
                    }
                });
            });
        if create {
            if let Some((name, kind)) = self.new_customer.take() {
                if name.trim().is_empty() {
                    self.banners
                        .push(Banner::Error("a customer needs a name".into()));
                    self.new_customer = Some((name, kind));
                } else {
                    self.new_customer(name.trim().to_string(), kind);
                }
            }
        } else if cancel {
            self.new_customer = None;
        }
    }

    fn import_window(&mut self, ctx: &egui::Context) {
        let Some(dlg) = self.import.as_mut() else {
            return;
        };
        let mut preview_path = None;
        let mut confirm = None;
        let mut close = false;
        egui::Window::new("Import")
            .collapsible(false)
            .default_width(560.0)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
            .show(ctx, |ui| {
                ui.label("A Google or Outlook contacts CSV, a vCard file, or an orders CSV (customer, date, amount, currency, status, title).");
                ui.horizontal(|ui| {
                    ui.add(
                        egui::TextEdit::singleline(&mut dlg.path)
                            .hint_text("/path/to/contacts.csv")
                            .desired_width(380.0),
                    )
                    .accessible_name("File to import");
                    if ui.button("Preview").clicked() && !dlg.path.trim().is_empty() {
                        preview_path = Some(std::path::PathBuf::from(dlg.path.trim()));
                    }
                });
                if let Some(p) = &dlg.preview {
                    ui.separator();
                    ui.strong(format!(
                        "{} ({}): {} to create, {} to merge, {} already here, {} bad row(s)",
                        p.file,
                        p.kind,
                        p.created,
                        p.merged,
                        p.unchanged,
                        p.bad.len()
                    ));
                    egui::ScrollArea::vertical()
                        .id_salt("import-preview")
                        .max_height(280.0)
                        .show(ui, |ui| {
                            for b in &p.bad {
                                ui.colored_label(ui.visuals().error_fg_color, b);
                            }
                            for l in p.lines.iter().take(500) {
                                ui.label(l);
                            }
                            if p.lines.len() > 500 {
                                ui.weak(format!("… and {} more", p.lines.len() - 500));
                            }
                        });
                    if !p.bad.is_empty() {
                        ui.checkbox(&mut dlg.skip_bad, "Skip bad rows and import the rest");
                    }
                    let can = p.bad.is_empty() || dlg.skip_bad;
                    if ui.add_enabled(can, egui::Button::new("Import now")).clicked() {
                        confirm = Some(dlg.skip_bad);
                    }
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        if let Some(p) = preview_path {
            self.progress = Some("Reading the file…".into());
            self.backend.send(Request::PreviewImport(p));
        }
        if let Some(skip_bad) = confirm {
            self.backend.send(Request::ConfirmImport { skip_bad });
        }
        if close {
            self.import = None;
        }
    }

    fn palette_window(&mut self, ctx: &egui::Context) {
        let Some(query) = self.palette.as_mut() else {
            return;
        };
        let mut chosen: Option<PaletteAction> = None;
        let q = rapport_model::text::fold(query);
        egui::Window::new("Command palette")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
            .show(ctx, |ui| {
                let r = ui
                    .add(
                        egui::TextEdit::singleline(query)
                            .hint_text("Go to, new customer, sync now, or a customer's name")
                            .desired_width(360.0),
                    )
                    .accessible_name("Command");
                if !r.has_focus() {
                    r.request_focus();
                }
                let mut actions: Vec<(String, PaletteAction)> = View::ALL
                    .iter()
                    .map(|v| (format!("Go to {}", v.label()), PaletteAction::Go(*v)))
                    .collect();
                actions.push(("New customer".into(), PaletteAction::NewCustomer));
                actions.push(("Sync now".into(), PaletteAction::SyncNow));
                actions.push(("Invite a device".into(), PaletteAction::Invite));
                actions.push(("Import a file".into(), PaletteAction::Import));
                actions.push(("Toggle dark theme".into(), PaletteAction::Theme));
                let mut shown = 0;
                for (label, a) in actions {
                    if q.is_empty() || rapport_model::text::fold(&label).contains(&q) {
                        shown += 1;
                        if ui.button(label).clicked() {
                            chosen = Some(a);
                        }
                    }
                }
                if !q.is_empty() {
                    // Customers come from the worker (searching 100k rows takes too long for a
                    // frame); ask again when the text changed.
                    if self.palette_results.0 != q {
                        self.palette_results = (q.clone(), Vec::new());
                        self.backend.send(Request::PaletteSearch(q.clone()));
                    }
                    for (id, name) in &self.palette_results.1 {
                        shown += 1;
                        if ui.button(format!("Open {name}")).clicked() {
                            chosen = Some(PaletteAction::Open(*id));
                        }
                    }
                }
                if shown == 0 {
                    ui.weak("Nothing matches");
                }
            });
        if let Some(a) = chosen {
            self.palette = None;
            match a {
                PaletteAction::Go(v) => self.persisted.view = v,
                PaletteAction::NewCustomer => {
                    self.new_customer = Some((String::new(), CustomerKind::Company))
                }
                PaletteAction::SyncNow => self.send(Request::SyncNow),
                PaletteAction::Invite => {
                    self.persisted.view = View::Sync;
                    self.send(Request::Invite);
                }
                PaletteAction::Import => self.import = Some(ImportDialog::default()),
                PaletteAction::Theme => {
                    self.persisted.dark = !self.persisted.dark;
                    apply_theme(ctx, self.persisted.dark);
                }
                PaletteAction::Open(id) => {
                    self.persisted.view = View::Customers;
                    self.open(id);
                }
            }
        }
    }
}

fn apply_theme(ctx: &egui::Context, dark: bool) {
    ctx.set_theme(if dark {
        egui::ThemePreference::Dark
    } else {
        egui::ThemePreference::Light
    });
}

#[derive(Clone, Copy, Debug)]
enum PaletteAction {
    Go(View),
    NewCustomer,
    SyncNow,
    Invite,
    Import,
    Theme,
    Open(CustomerId),
}

impl eframe::App for RapportApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.apply_updates(ctx);
        self.shortcuts(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("top_bar").show(ui, |ui| {
            self.top_bar(ui);
            if !self.banners.is_empty() {
                self.banners(ui);
            }
        });
        match self.persisted.view {
            View::Customers => {
                let focus = std::mem::take(&mut self.focus_search);
                screens::customers(self, ui, focus);
            }
            View::Agenda => {
                egui::CentralPanel::default().show(ui, |ui| screens::agenda(self, ui));
            }
            View::Value => {
                egui::CentralPanel::default().show(ui, |ui| screens::value(self, ui));
            }
            View::Sync => {
                egui::CentralPanel::default().show(ui, |ui| screens::sync(self, ui));
            }
            View::Settings => {
                egui::CentralPanel::default().show(ui, |ui| screens::settings(self, ui));
            }
        }
        self.new_customer_window(&ctx);
        self.import_window(&ctx);
        self.palette_window(&ctx);
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
