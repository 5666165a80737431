//! The new-customer window (Ctrl+N, the top bar's button, the palette): a name and a kind.
//! Create asks the worker; the app selects the customer when the worker reports it created.

use egui::Key;
use rapport_model::CustomerKind;

use crate::gui::{Banner, RapportApp};

/// What the window holds: the name typed and the kind chosen.
#[derive(Clone, Debug)]
pub struct NewCustomerDialog {
    name: String,
    kind: CustomerKind,
}

impl Default for NewCustomerDialog {
    fn default() -> Self {
        NewCustomerDialog {
            name: String::new(),
            kind: CustomerKind::Company,
        }
    }
}

/// Draws the window while it is open; creates the customer or closes it.
pub(crate) fn show(app: &mut RapportApp, ctx: &egui::Context) {
    let Some(NewCustomerDialog { name, kind }) = app.new_customer.as_mut() else {
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
        if let Some(NewCustomerDialog { name, kind }) = app.new_customer.take() {
            if name.trim().is_empty() {
                app.banners
                    .push(Banner::Error("a customer needs a name".into()));
                app.new_customer = Some(NewCustomerDialog { name, kind });
            } else {
                app.new_customer(name.trim().to_string(), kind);
            }
        }
    } else if cancel {
        app.new_customer = None;
    }
}
