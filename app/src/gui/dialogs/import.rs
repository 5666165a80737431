//! The import window: a file path (a contacts CSV, vCard, orders CSV or any spreadsheet), the
//! worker's preview of what it would create and merge, which rows are bad and which values
//! were kept in the notes, then Import now (optionally skipping the bad rows). A spreadsheet
//! first shows its mapping step: a drop-down per column with its first rows, and what each
//! row becomes; a changed mapping is previewed again, and Import waits until every column
//! with values has a place. The dialog closes when the worker reports the import done.

use crate::gui::RapportApp;
use crate::gui::worker::{ImportPreview, Request};

/// The import dialog's state: the path typed, whether bad rows are skipped, the preview.
#[derive(Clone, Debug, Default)]
pub struct ImportDialog {
    path: String,
    skip_bad: bool,
    preview: Option<ImportPreview>,
    /// `COLUMN=FIELD` choices made in the mapping step, sent with the next preview.
    maps: Vec<String>,
    /// An encoding typed to override the guess.
    encoding: String,
}

impl ImportDialog {
    /// The dialog with `path` typed in.
    pub(crate) fn new(path: String, skip_bad: bool) -> Self {
        ImportDialog {
            path,
            skip_bad,
            preview: None,
            maps: Vec::new(),
            encoding: String::new(),
        }
    }

    /// The worker's preview of the file, once it arrived.
    pub fn preview(&self) -> Option<&ImportPreview> {
        self.preview.as_ref()
    }

    pub(crate) fn set_preview(&mut self, preview: ImportPreview) {
        self.preview = Some(preview);
    }

    /// Maps column `header` to `field` (a `--map` word), as the drop-down does.
    pub fn map_column(&mut self, header: &str, field: &str) {
        self.maps
            .retain(|m| m.split_once('=').is_none_or(|(h, _)| h != header));
        self.maps.push(format!("{header}={field}"));
    }

    /// What the next preview asks: the file, the column choices, the encoding typed.
    pub(crate) fn ask(&self) -> (std::path::PathBuf, Vec<String>, Option<String>) {
        let e = self.encoding.trim();
        (
            std::path::PathBuf::from(self.path.trim()),
            self.maps.clone(),
            (!e.is_empty()).then(|| e.to_string()),
        )
    }

    /// The choices made so far, as `COLUMN=FIELD` pairs.
    pub fn maps(&self) -> &[String] {
        &self.maps
    }
}

/// Draws the window while it is open: preview, import, cancel.
pub(crate) fn show(app: &mut RapportApp, ctx: &egui::Context) {
    let Some(dlg) = app.import.as_mut() else {
        return;
    };
    let mut preview_path = None;
    let mut remap_to = None;
    let mut confirm = None;
    let mut close = false;
    egui::Window::new("Import")
        .collapsible(false)
        .default_width(560.0)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| {
            ui.label("A contacts CSV (Google, Outlook, Thunderbird), a vCard file, an orders CSV, or any spreadsheet (CSV, TSV, XLSX, XLS, ODS).");
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
            ui.horizontal(|ui| {
                ui.label("Encoding");
                ui.add(
                    egui::TextEdit::singleline(&mut dlg.encoding)
                        .hint_text("guessed (e.g. gb18030, windows-1252)")
                        .desired_width(220.0),
                )
                .accessible_name("Encoding");
            });
            let mut remap = None;
            if let Some(m) = dlg.preview.as_ref().and_then(|p| p.mapping.as_ref()) {
                ui.separator();
                ui.strong(format!("Columns ({})", m.from));
                egui::ScrollArea::horizontal()
                    .id_salt("import-mapping")
                    .show(ui, |ui| {
                        egui::Grid::new("mapping").striped(true).show(ui, |ui| {
                            for (i, h) in m.headers.iter().enumerate() {
                                let header = ui.strong(h);
                                let now = m.targets.get(i).cloned().unwrap_or_default();
                                let shown = if now.is_empty() {
                                    "— choose —".to_string()
                                } else {
                                    now.clone()
                                };
                                let mut picked = now.clone();
                                egui::ComboBox::from_id_salt(("map", i))
                                    .selected_text(shown)
                                    .show_ui(ui, |ui| {
                                        for c in &m.choices {
                                            ui.selectable_value(&mut picked, c.clone(), c);
                                        }
                                    })
                                    .response
                                    .labelled_by(header.id);
                                if picked != now {
                                    remap = Some((h.clone(), picked));
                                }
                                for row in &m.sample {
                                    ui.label(row.get(i).map(String::as_str).unwrap_or(""));
                                }
                                ui.end_row();
                            }
                        });
                    });
                if !m.unplaced.is_empty() {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "Choose a field (or other, or ignore) for: {}",
                            m.unplaced.join(", ")
                        ),
                    );
                }
            }
            if let Some((h, f)) = remap {
                remap_to = Some((h, f));
            }
            if let Some(p) = &dlg.preview {
                ui.separator();
                ui.label(format!("Read as {}", p.encoding));
                for n in &p.notes {
                    ui.label(n);
                }
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
                        for w in p.warnings.iter().take(200) {
                            ui.colored_label(ui.visuals().warn_fg_color, w);
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
                let mapped = p.mapping.as_ref().is_none_or(|m| m.unplaced.is_empty());
                let can = (p.bad.is_empty() || dlg.skip_bad) && mapped;
                if ui.add_enabled(can, egui::Button::new("Import now")).clicked() {
                    confirm = Some(dlg.skip_bad);
                }
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    if let Some((h, f)) = remap_to {
        app.map_import_column(&h, &f);
    }
    if let Some(p) = preview_path {
        app.progress = Some("Reading the file…".into());
        let (_, maps, encoding) = app.import.as_ref().map(|d| d.ask()).unwrap_or_default();
        app.backend.send(Request::PreviewImport {
            path: p,
            maps,
            encoding,
        });
    }
    if let Some(skip_bad) = confirm {
        app.backend.send(Request::ConfirmImport { skip_bad });
    }
    if close {
        app.import = None;
    }
}
