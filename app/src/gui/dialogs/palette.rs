//! The command palette (Ctrl+K): go to a screen, new customer, sync now, invite, import,
//! toggle the theme, or open a customer by name. Customer matches come from the worker
//! (searching 100k rows takes too long for a frame); the last matches are kept for the text
//! they answer, also while the palette is closed.

use rapport_model::CustomerId;

use super::import::ImportDialog;
use super::new_customer::NewCustomerDialog;
use crate::gui::worker::Request;
use crate::gui::{RapportApp, View, apply_theme};

/// The palette's state.
#[derive(Debug, Default)]
pub struct CommandPalette {
    /// The text typed, while the palette is open.
    query: Option<String>,
    /// The customer matches: for which text, and the matches.
    results: (String, Vec<(CustomerId, String)>),
}

impl CommandPalette {
    /// Opens the palette with no text.
    pub(crate) fn open(&mut self) {
        self.query = Some(String::new());
    }

    pub(crate) fn close(&mut self) {
        self.query = None;
    }

    pub(crate) fn is_open(&self) -> bool {
        self.query.is_some()
    }

    /// The worker's customer matches for `text`; kept only if they answer the latest text.
    pub(crate) fn receive(&mut self, text: String, hits: Vec<(CustomerId, String)>) {
        if self.results.0 == text {
            self.results.1 = hits;
        }
    }
}

/// Draws the palette while it is open and runs the chosen action.
pub(crate) fn show(app: &mut RapportApp, ctx: &egui::Context) {
    let Some(query) = app.palette.query.as_mut() else {
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
                if app.palette.results.0 != q {
                    app.palette.results = (q.clone(), Vec::new());
                    app.backend.send(Request::PaletteSearch(q.clone()));
                }
                for (id, name) in &app.palette.results.1 {
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
        app.palette.close();
        match a {
            PaletteAction::Go(v) => app.persisted.view = v,
            PaletteAction::NewCustomer => app.new_customer = Some(NewCustomerDialog::default()),
            PaletteAction::SyncNow => app.send(Request::SyncNow),
            PaletteAction::Invite => {
                app.persisted.view = View::Sync;
                app.send(Request::Invite);
            }
            PaletteAction::Import => app.import = Some(ImportDialog::default()),
            PaletteAction::Theme => {
                app.persisted.dark = !app.persisted.dark;
                apply_theme(ctx, app.persisted.dark);
            }
            PaletteAction::Open(id) => {
                app.persisted.view = View::Customers;
                app.open(id);
            }
        }
    }
}

/// What a palette entry does.
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
