//! The confirmation before undoing every change a team device made ("Undo its changes…" on
//! the sync screen): what it will do, and Undo them / Cancel.

/// The device whose changes the person asked to undo.
#[derive(Clone, Debug)]
pub struct ConfirmUndo {
    pub device: String,
}

impl ConfirmUndo {
    /// Draws the question; `Some(true)` to undo, `Some(false)` when cancelled.
    pub(crate) fn show(&self, ui: &mut egui::Ui) -> Option<bool> {
        let name = &self.device;
        let mut answer = None;
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "Undo every change {name} made? Deleted customers come back and overwritten fields get their earlier values; fields others changed since are kept. It is a new change, synced to the team, and history keeps both."
                ),
            );
            if ui.button("Undo them").clicked() {
                answer = Some(true);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(false);
            }
        });
        answer
    }
}
