//! The import window: a file path (Google or Outlook contacts CSV, vCard, orders CSV), the
//! worker's preview of what it would create and merge and which rows are bad, then Import
//! now (optionally skipping the bad rows). The dialog closes when the worker reports the
//! import done.

use crate::gui::RapportApp;
use crate::gui::worker::{ImportPreview, Request};

/// The import dialog's state: the path typed, whether bad rows are skipped, the preview.
#[derive(Clone, Debug, Default)]
pub struct ImportDialog {
    path: String,
    skip_bad: bool,
    preview: Option<ImportPreview>,
}

impl ImportDialog {
    /// The dialog with `path` typed in.
    pub(crate) fn new(path: String, skip_bad: bool) -> Self {
        ImportDialog {
            path,
            skip_bad,
            preview: None,
        }
    }

    /// The worker's preview of the file, once it arrived.
    pub fn preview(&self) -> Option<&ImportPreview> {
        self.preview.as_ref()
    }

    pub(crate) fn set_preview(&mut self, preview: ImportPreview) {
        self.preview = Some(preview);
    }
}

/// Draws the window while it is open: preview, import, cancel.
pub(crate) fn show(app: &mut RapportApp, ctx: &egui::Context) {
    let Some(dlg) = app.import.as_mut() else {
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
        app.progress = Some("Reading the file…".into());
        app.backend.send(Request::PreviewImport(p));
    }
    if let Some(skip_bad) = confirm {
        app.backend.send(Request::ConfirmImport { skip_bad });
    }
    if close {
        app.import = None;
    }
}
