//! The top bar (screen tabs, new customer, import, theme, devices online, progress) and the
//! banners under it (notices, errors, follow-ups due now), until dismissed.

use super::dialogs::import::ImportDialog;
use super::dialogs::new_customer::NewCustomerDialog;
use super::{Banner, RapportApp, View, apply_theme};

/// Draws the top bar, and the banners when there are any.
pub(crate) fn show(app: &mut RapportApp, ui: &mut egui::Ui) {
    top_bar(app, ui);
    if !app.banners.is_empty() {
        banners(app, ui);
    }
}

fn top_bar(app: &mut RapportApp, ui: &mut egui::Ui) {
    ui.horizontal(|ui| {
        ui.strong("Rapport");
        ui.separator();
        for v in View::ALL {
            let label = match v {
                View::Agenda if !app.snapshot.agenda.overdue.is_empty() => {
                    format!("Agenda ({})", app.snapshot.agenda.overdue.len())
                }
                _ => v.label().to_string(),
            };
            if ui
                .selectable_label(app.persisted.view == v, label)
                .clicked()
            {
                app.persisted.view = v;
            }
        }
        ui.separator();
        if ui.button("New customer").on_hover_text("Ctrl+N").clicked() {
            app.new_customer = Some(NewCustomerDialog::default());
        }
        if ui
            .button("Import…")
            .on_hover_text("Contacts CSV, vCard, orders CSV, or any spreadsheet")
            .clicked()
        {
            app.import = Some(ImportDialog::default());
        }
        if ui
            .button("Export…")
            .on_hover_text("The list as filtered now, as an Excel workbook")
            .clicked()
        {
            app.open_export();
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let theme = if app.persisted.dark {
                "Light theme"
            } else {
                "Dark theme"
            };
            if ui.button(theme).clicked() {
                app.persisted.dark = !app.persisted.dark;
                apply_theme(ui.ctx(), app.persisted.dark);
            }
            if let Some(s) = &app.sync {
                let online = s.peers.iter().filter(|p| p.online).count();
                let total = s.peers.iter().filter(|p| !p.revoked).count();
                ui.label(format!("{online}/{total} devices online"));
            }
            if let Some(p) = &app.progress {
                ui.spinner();
                ui.label(p);
            }
        });
    });
}

fn banners(app: &mut RapportApp, ui: &mut egui::Ui) {
    let mut close = None;
    let mut open = None;
    for (i, b) in app.banners.iter().enumerate() {
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
        app.banners.remove(i);
    }
    if let Some(id) = open {
        app.persisted.view = View::Customers;
        app.open(id);
    }
}
