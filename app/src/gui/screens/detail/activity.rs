//! The activity tab: log a call or a visit, and the timeline of interactions, follow-ups,
//! deals and creation, newest first.

use chrono::Local;
use rapport_model::{CustomerId, Edit, Interaction, InteractionKind, ItemId};

use crate::gui::RapportApp;
use crate::gui::widgets::money;

/// What is being typed in the activity tab.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub interaction_summary: String,
}

pub(super) fn show(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let clock = app.clock;
    let mut edits = Vec::new();
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut state.forms.activity.interaction_summary)
                .hint_text("what happened")
                .desired_width(260.0),
        )
        .accessible_name("Interaction summary");
        for (label, kind) in [
            ("Log call", InteractionKind::Call),
            ("Log visit", InteractionKind::Visit),
        ] {
            if ui.button(label).clicked() {
                edits.push(Edit::LogInteraction(
                    ItemId::new(),
                    Interaction {
                        at: clock.utc(),
                        kind,
                        summary: std::mem::take(&mut state.forms.activity.interaction_summary)
                            .trim()
                            .to_string(),
                        outcome: String::new(),
                        by: String::new(),
                    },
                ));
            }
        }
    });
    ui.separator();
    // The timeline: interactions, follow-ups and deals, newest first.
    let c = &state.detail.customer;
    let mut events: Vec<(chrono::NaiveDateTime, String)> = Vec::new();
    for i in c.interactions.values() {
        events.push((
            i.at.with_timezone(&Local).naive_local(),
            format!("{}: {} {}", i.kind, i.summary, i.outcome),
        ));
    }
    for f in c.followups.values() {
        let when = f
            .done_at
            .map(|t| t.with_timezone(&Local).naive_local())
            .unwrap_or(f.due.at());
        let state = if f.done_at.is_some() { "done" } else { "due" };
        events.push((
            when,
            format!("follow-up {state}: {} {}", f.subject, f.outcome),
        ));
    }
    for d in c.deals.values() {
        events.push((
            d.date.and_time(chrono::NaiveTime::MIN),
            format!(
                "deal {}: {} {}",
                d.status,
                d.title,
                money(d.amount.minor, d.amount.currency)
            ),
        ));
    }
    events.push((
        c.created_at.with_timezone(&Local).naive_local(),
        "created".into(),
    ));
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (at, text) in events.iter().take(200) {
        ui.horizontal_wrapped(|ui| {
            ui.weak(at.format("%Y-%m-%d %H:%M").to_string());
            ui.label(text);
        });
    }
    if !edits.is_empty() {
        app.edit(id, edits);
    }
}
