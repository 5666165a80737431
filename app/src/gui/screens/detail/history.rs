//! The history tab: every change, newest first (when, which device, what it set), with a
//! per-field restore of an earlier value.

use chrono::Local;
use rapport_model::CustomerId;

use super::{field_edit, field_value};
use crate::gui::RapportApp;

pub(super) fn show(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let mut restore = None;
    let Some(state) = app.detail.as_ref() else {
        return;
    };
    ui.label("Every change, newest first: when, which device, what it set.");
    for h in &state.detail.history {
        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.weak(
                    h.at.with_timezone(&Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                );
                ui.strong(h.who());
                ui.label(h.fields.join(", "));
                if let Some(a) = h.arrived_apart() {
                    ui.weak(format!(
                        "(arrived here {})",
                        a.with_timezone(&Local).format("%Y-%m-%d %H:%M")
                    ));
                }
            });
            for (k, val) in &h.values {
                ui.horizontal_wrapped(|ui| {
                    let short: String = val.chars().take(80).collect();
                    ui.label(format!("{k} = “{short}”"));
                    let current = field_value(&state.detail.customer, k);
                    if field_edit(k, String::new()).is_some()
                        && current != *val
                        && ui.small_button("Restore").clicked()
                    {
                        restore = field_edit(k, val.clone());
                    }
                });
            }
        });
    }
    if let Some(e) = restore {
        app.edit(id, vec![e]);
    }
}
