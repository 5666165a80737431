//! The agenda screen: follow-ups overdue, due today and this week (done, move to tomorrow,
//! log a call), and the customers due for a revisit.

use egui::RichText;
use rapport_model::{CustomerId, Edit, FollowUp, Interaction, InteractionKind, ItemId};

use crate::gui::widgets::{due_text, tier_color, tier_text};
use crate::gui::{RapportApp, View};

/// The agenda: overdue, today, this week; customers due for a revisit.
pub(crate) fn show(app: &mut RapportApp, ui: &mut egui::Ui) {
    let clock = app.clock;
    let snap = app.snapshot.clone();
    let mut open = None;
    let mut edits: Vec<(CustomerId, Vec<Edit>)> = Vec::new();
    egui::ScrollArea::vertical()
        .id_salt("agenda")
        .show(ui, |ui| {
            for (title, list) in [
                ("Overdue", &snap.agenda.overdue),
                ("Today", &snap.agenda.today),
                ("This week", &snap.agenda.this_week),
            ] {
                ui.heading(format!("{title} ({})", list.len()));
                if list.is_empty() {
                    ui.weak("Nothing.");
                }
                for e in list.iter().take(300) {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(due_text(e.followup.due));
                        if ui.link(&e.customer_name).clicked() {
                            open = Some(e.customer);
                        }
                        ui.label(format!("{} — {}", e.followup.kind, e.followup.subject));
                        if ui.small_button("Done").clicked() {
                            edits.push((
                                e.customer,
                                vec![Edit::CompleteFollowUp {
                                    id: e.followup.id,
                                    at: clock.utc(),
                                    outcome: String::new(),
                                }],
                            ));
                        }
                        if ui.small_button("Tomorrow").clicked() {
                            let mut moved = FollowUp {
                                due: e.followup.due,
                                kind: e.followup.kind,
                                subject: e.followup.subject.clone(),
                                assignee: e.followup.assignee.clone(),
                                done_at: None,
                                outcome: String::new(),
                            };
                            moved.due.date = clock.today() + chrono::Days::new(1);
                            edits.push((e.customer, vec![Edit::PutFollowUp(e.followup.id, moved)]));
                        }
                        if ui.small_button("Log call").clicked() {
                            edits.push((
                                e.customer,
                                vec![Edit::LogInteraction(
                                    ItemId::new(),
                                    Interaction {
                                        at: clock.utc(),
                                        kind: InteractionKind::Call,
                                        summary: e.followup.subject.clone(),
                                        outcome: String::new(),
                                        by: String::new(),
                                    },
                                )],
                            ));
                        }
                    });
                }
                ui.add_space(8.0);
            }
            if snap.agenda.later > 0 {
                ui.weak(format!("{} more later.", snap.agenda.later));
            }
            ui.separator();
            ui.heading(format!("Due for a revisit ({})", snap.revisits.len()));
            for cid in snap.revisits.iter().take(100) {
                let (Some(s), Some(v)) = (snap.summary(*cid), snap.value(*cid)) else {
                    continue;
                };
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(tier_text(v.effective_tier))
                            .color(tier_color(v.effective_tier)),
                    );
                    if ui.link(&s.name).clicked() {
                        open = Some(*cid);
                    }
                    ui.weak(match v.last_contact {
                        Some(d) => format!("last contact {d}"),
                        None => "never contacted".into(),
                    });
                    if ui.small_button("Log visit").clicked() {
                        edits.push((
                            *cid,
                            vec![Edit::LogInteraction(
                                ItemId::new(),
                                Interaction {
                                    at: clock.utc(),
                                    kind: InteractionKind::Visit,
                                    summary: "revisit".into(),
                                    outcome: String::new(),
                                    by: String::new(),
                                },
                            )],
                        ));
                    }
                });
            }
        });
    for (id, e) in edits {
        app.edit(id, e);
    }
    if let Some(id) = open {
        app.switch(View::Customers);
        app.open(id);
    }
}
