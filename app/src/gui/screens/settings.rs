//! The settings screen: this device's name and network settings, and the team's value
//! settings (shared by every device) with exchange rates. It owns the text being typed.

use std::collections::BTreeMap;

use crate::gui::worker::{Backend, Request, Snapshot, SyncView};

/// The settings screen's own state: the text being typed.
#[derive(Default)]
pub struct SettingsScreen {
    /// Team setting key (or `new-rate`) → the text in its field.
    drafts: BTreeMap<String, String>,
    /// The device name being typed (`None` until the screen is first drawn).
    device_name_draft: Option<String>,
}

impl SettingsScreen {
    /// Draws the screen: device name and network, team value settings.
    pub(crate) fn show(
        &mut self,
        ui: &mut egui::Ui,
        sync: Option<&SyncView>,
        snapshot: &Snapshot,
        backend: &Backend,
    ) {
        egui::ScrollArea::vertical()
            .id_salt("settings")
            .show(ui, |ui| {
                ui.heading("This device");
                if let Some(s) = sync {
                    let mut draft = self
                        .device_name_draft
                        .take()
                        .unwrap_or_else(|| s.device_name.clone());
                    ui.horizontal(|ui| {
                        let l = ui.label("Device name");
                        ui.add(egui::TextEdit::singleline(&mut draft).desired_width(200.0))
                            .labelled_by(l.id);
                        if ui.button("Rename").clicked() {
                            backend.send(Request::SetDeviceName(draft.clone()));
                        }
                    });
                    self.device_name_draft = Some(draft);
                    for (key, _, about) in rapport_sync::net::DEVICE_SETTINGS {
                        let mut on = s.device_settings.get(key).copied().unwrap_or(false);
                        if ui.checkbox(&mut on, format!("{about} ({key})")).changed() {
                            backend.send(Request::SetDeviceSetting {
                                key: key.to_string(),
                                on,
                            });
                        }
                    }
                }
                ui.separator();
                ui.heading("Team settings (shared by every device)");
                if let Some(e) = &snapshot.settings_error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                let current = snapshot.settings.clone();
                let defaults = snapshot
                    .analysis
                    .as_ref()
                    .map(|a| a.settings.to_map())
                    .unwrap_or_default();
                let mut keys: Vec<String> = rapport_value::KEYS
                    .iter()
                    .map(|(k, _)| k.to_string())
                    .filter(|k| !k.contains("XXX"))
                    .collect();
                keys.extend(current.keys().filter(|k| k.starts_with("rate.")).cloned());
                keys.sort();
                keys.dedup();
                let mut set = None;
                egui::Grid::new("team-settings")
                    .num_columns(3)
                    .show(ui, |ui| {
                        for k in &keys {
                            let about = rapport_value::KEYS
                                .iter()
                                .find(|(key, _)| key == k)
                                .map(|(_, a)| *a)
                                .unwrap_or("exchange rate into the base currency");
                            let l = ui.label(k).on_hover_text(about);
                            let draft = self.drafts.entry(k.clone()).or_insert_with(|| {
                                current
                                    .get(k)
                                    .or_else(|| defaults.get(k))
                                    .cloned()
                                    .unwrap_or_default()
                            });
                            ui.add(egui::TextEdit::singleline(draft).desired_width(120.0))
                                .labelled_by(l.id);
                            if ui.small_button("Save").clicked() {
                                set = Some((k.clone(), Some(draft.trim().to_string())));
                            }
                            ui.end_row();
                        }
                    });
                ui.horizontal(|ui| {
                    ui.label("Add a rate:");
                    let draft = self.drafts.entry("new-rate".into()).or_default();
                    ui.add(
                        egui::TextEdit::singleline(draft)
                            .hint_text("EUR=7.85")
                            .desired_width(120.0),
                    )
                    .accessible_name("New rate");
                    if ui.button("Add").clicked()
                        && let Some((c, r)) = draft.split_once('=')
                    {
                        set = Some((
                            format!("rate.{}", c.trim().to_uppercase()),
                            Some(r.trim().to_string()),
                        ));
                    }
                });
                if let Some((k, v)) = set {
                    self.drafts.remove(&k);
                    backend.send(Request::SetSetting { key: k, value: v });
                }
            });
    }
}
