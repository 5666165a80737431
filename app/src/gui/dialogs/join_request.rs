//! The join request: a device asking to join the team, shown on the sync screen with its
//! confirmation code until the person admits or refuses it.

/// A device asking to join: its id, name and the confirmation code both screens show.
#[derive(Clone, Debug)]
pub struct JoinRequest {
    pub id: String,
    pub name: String,
    pub code: String,
}

impl JoinRequest {
    /// Draws the question; `Some(true)` when the person admits the device, `Some(false)` when
    /// they refuse it.
    pub(crate) fn show(&self, ui: &mut egui::Ui) -> Option<bool> {
        let JoinRequest { id, name, code } = self;
        let mut answer = None;
        ui.group(|ui| {
            ui.strong(format!("{name} wants to join the team"));
            ui.label(format!(
                "Admit it only if its screen shows the confirmation code {code} (device {}).",
                id.chars().take(8).collect::<String>()
            ));
            ui.horizontal(|ui| {
                if ui.button("Admit").clicked() {
                    answer = Some(true);
                }
                if ui.button("Refuse").clicked() {
                    answer = Some(false);
                }
            });
        });
        answer
    }
}
