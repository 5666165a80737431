//! The follow-ups tab: schedule one, complete an open one (with its outcome and, optionally,
//! the next one's due date), reschedule, and the last done ones.

use egui::RichText;
use rapport_model::{CustomerId, Due, Edit, FollowUp, FollowUpKind, ItemId};

use crate::gui::widgets::due_text;
use crate::gui::{Banner, RapportApp};

/// What is being typed in the follow-ups tab.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub followup_due: String,
    pub followup_subject: String,
    pub followup_kind: Option<FollowUpKind>,
    /// Follow-up being completed → outcome text and the next follow-up's due date.
    pub completing: Option<(ItemId, String, String)>,
    pub rescheduling: Option<(ItemId, String)>,
}

pub(super) fn show(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let clock = app.clock;
    let mut edits = Vec::new();
    let mut error = None;
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    let c = state.detail.customer.clone();
    let f = &mut state.forms.followups;
    ui.strong("Schedule a follow-up");
    ui.horizontal(|ui| {
        if f.followup_due.is_empty() {
            f.followup_due = (clock.today() + chrono::Days::new(1)).to_string();
        }
        ui.add(egui::TextEdit::singleline(&mut f.followup_due).desired_width(120.0))
            .accessible_name("Due")
            .on_hover_text("YYYY-MM-DD or YYYY-MM-DD HH:MM");
        ui.add(
            egui::TextEdit::singleline(&mut f.followup_subject)
                .hint_text("subject")
                .desired_width(180.0),
        )
        .accessible_name("Follow-up subject");
        let kind = f.followup_kind.get_or_insert(FollowUpKind::Call);
        egui::ComboBox::from_id_salt("followup-kind")
            .selected_text(kind.as_str())
            .show_ui(ui, |ui| {
                for k in FollowUpKind::ALL {
                    ui.selectable_value(kind, *k, k.as_str());
                }
            });
        if ui.button("Add follow-up").clicked() {
            match Due::parse(&f.followup_due, "due") {
                Ok(due) => {
                    edits.push(Edit::PutFollowUp(
                        ItemId::new(),
                        FollowUp {
                            due,
                            kind: f.followup_kind.unwrap_or(FollowUpKind::Call),
                            subject: std::mem::take(&mut f.followup_subject).trim().to_string(),
                            assignee: String::new(),
                            done_at: None,
                            outcome: String::new(),
                        },
                    ));
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
    });
    ui.separator();
    let mut open: Vec<(&ItemId, &FollowUp)> = c
        .followups
        .iter()
        .filter(|(_, f)| f.done_at.is_none())
        .collect();
    open.sort_by_key(|(_, f)| f.due.at());
    ui.strong(format!("Open ({})", open.len()));
    for (fid, fu) in open {
        ui.horizontal_wrapped(|ui| {
            let overdue = fu.due.is_overdue(clock.local());
            let due = RichText::new(due_text(fu.due));
            ui.label(if overdue {
                due.color(ui.visuals().error_fg_color)
            } else {
                due
            });
            ui.label(format!("{} — {}", fu.kind, fu.subject));
            if ui.small_button("Complete").clicked() {
                f.completing = Some((*fid, String::new(), String::new()));
            }
            if ui.small_button("Reschedule").clicked() {
                f.rescheduling = Some((*fid, fu.due.to_string()));
            }
        });
        if let Some((cid, outcome, next)) = f.completing.as_mut().filter(|(c, _, _)| c == fid) {
            let cid = *cid;
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(outcome)
                        .hint_text("outcome")
                        .desired_width(160.0),
                )
                .accessible_name("Outcome");
                ui.add(
                    egui::TextEdit::singleline(next)
                        .hint_text("next due (optional)")
                        .desired_width(120.0),
                )
                .accessible_name("Next follow-up due");
                if ui.button("Done").clicked() {
                    edits.push(Edit::CompleteFollowUp {
                        id: cid,
                        at: clock.utc(),
                        outcome: outcome.trim().to_string(),
                    });
                    if !next.trim().is_empty() {
                        match Due::parse(next, "next due") {
                            Ok(due) => edits.push(Edit::PutFollowUp(
                                ItemId::new(),
                                FollowUp {
                                    due,
                                    kind: fu.kind,
                                    subject: fu.subject.clone(),
                                    assignee: fu.assignee.clone(),
                                    done_at: None,
                                    outcome: String::new(),
                                },
                            )),
                            Err(e) => error = Some(e.to_string()),
                        }
                    }
                }
            });
        }
        if let Some((rid, due)) = f.rescheduling.as_mut().filter(|(r, _)| r == fid) {
            let rid = *rid;
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(due).desired_width(140.0))
                    .accessible_name("New due");
                if ui.button("Move").clicked() {
                    match Due::parse(due, "due") {
                        Ok(d) => {
                            let mut moved = fu.clone();
                            moved.due = d;
                            edits.push(Edit::PutFollowUp(rid, moved));
                        }
                        Err(e) => error = Some(e.to_string()),
                    }
                }
            });
        }
    }
    let mut done: Vec<&FollowUp> = c
        .followups
        .values()
        .filter(|f| f.done_at.is_some())
        .collect();
    done.sort_by_key(|f| std::cmp::Reverse(f.done_at));
    if !done.is_empty() {
        ui.separator();
        ui.strong(format!("Done ({})", done.len()));
        for fu in done.iter().take(20) {
            ui.weak(format!(
                "{} {} — {}: {}",
                fu.due, fu.kind, fu.subject, fu.outcome
            ));
        }
    }
    if !edits.is_empty() {
        if let Some(s) = app.detail.as_mut() {
            s.forms.followups.completing = None;
            s.forms.followups.rescheduling = None;
        }
        if error.is_none() {
            app.edit(id, edits);
        }
    }
    if let Some(e) = error {
        app.banners.push(Banner::Error(e));
    }
}
