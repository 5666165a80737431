//! The export window: the file to write, then the customer list as it is filtered now (tag,
//! tier, search, archived) written as XLSX by the worker ([`crate::ops::export`], the same
//! workbook as `rapport export --format xlsx`). The window closes when the worker has written
//! the file.

use crate::gui::RapportApp;

/// The export dialog's state: the path typed.
#[derive(Clone, Debug, Default)]
pub struct ExportDialog {
    pub(crate) path: String,
}

/// Draws the window while it is open.
pub(crate) fn show(app: &mut RapportApp, ctx: &egui::Context) {
    let Some(dlg) = app.export.as_mut() else {
        return;
    };
    let mut go = None;
    let mut close = false;
    egui::Window::new("Export list")
        .collapsible(false)
        .default_width(480.0)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| {
            ui.label("The customers listed now, with every field, custom field, tier and RFM, the value report and the contacts, as an Excel workbook.");
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut dlg.path)
                        .hint_text("/path/to/customers.xlsx")
                        .desired_width(340.0),
                )
                .accessible_name("File to write");
                if ui.button("Export").clicked() && !dlg.path.trim().is_empty() {
                    go = Some(std::path::PathBuf::from(dlg.path.trim()));
                }
            });
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    if let Some(path) = go {
        app.export_list(path);
    }
    if close {
        app.export = None;
    }
}
