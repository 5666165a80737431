//! The open customer's panel (right of the customers screen): its header (name, tier, close),
//! restore for a deleted customer, the conflict picker, and one tab per file: overview,
//! follow-ups, activity, deals, customer value, history. [`DetailState`] is the panel's
//! state: the customer as the worker sent it, the field drafts, the tab and each tab's form.

mod activity;
mod deals;
mod followups;
mod history;
mod overview;
mod value;

use std::collections::BTreeMap;

use egui::RichText;
use rapport_model::Edit;

use crate::gui::RapportApp;
use crate::gui::widgets::{tier_color, tier_text};
use crate::gui::worker::Detail;

/// The open customer and the text being edited in its fields.
pub struct DetailState {
    pub detail: Detail,
    /// Field → (text being edited, the value it started from).
    pub drafts: BTreeMap<&'static str, (String, String)>,
    pub tab: DetailTab,
    pub forms: Forms,
}

/// Tabs of the customer panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DetailTab {
    #[default]
    Overview,
    FollowUps,
    Activity,
    Deals,
    Value,
    History,
}

/// The small forms inside the customer panel, one per tab that has one.
#[derive(Clone, Debug, Default)]
pub struct Forms {
    pub overview: overview::Form,
    pub followups: followups::Form,
    pub activity: activity::Form,
    pub deals: deals::Form,
    pub value: value::Form,
}

/// The customer's text fields, by name: the overview edits them, history restores them.
const FIELDS: [&str; 8] = [
    "name", "company", "industry", "address", "website", "owner", "source", "notes",
];

/// The current text of field `f`.
fn field_value(c: &rapport_model::Customer, f: &str) -> String {
    match f {
        "name" => c.name.clone(),
        "company" => c.company.clone(),
        "industry" => c.industry.clone(),
        "address" => c.address.clone(),
        "website" => c.website.clone(),
        "owner" => c.owner.clone(),
        "source" => c.source.clone(),
        "notes" => c.notes.clone(),
        _ => String::new(),
    }
}

/// The edit that sets field `f` to `v` (`None` for a name that is not a text field).
fn field_edit(f: &str, v: String) -> Option<Edit> {
    Some(match f {
        "name" => Edit::Name(v),
        "company" => Edit::Company(v),
        "industry" => Edit::Industry(v),
        "address" => Edit::Address(v),
        "website" => Edit::Website(v),
        "owner" => Edit::Owner(v),
        "source" => Edit::Source(v),
        "notes" => Edit::Notes(v),
        _ => return None,
    })
}

/// The panel state for `detail`, keeping what the user is typing in fields the update did
/// not change underneath.
pub(crate) fn detail_state(detail: Detail, old: Option<DetailState>) -> DetailState {
    let (mut drafts, tab, forms) = match old {
        Some(o) => (o.drafts, o.tab, o.forms),
        None => (BTreeMap::new(), DetailTab::default(), Forms::default()),
    };
    for f in FIELDS {
        let now = field_value(&detail.customer, f);
        let keep = drafts
            .get(f)
            .is_some_and(|(draft, base)| draft != base && *base == now);
        if !keep {
            drafts.insert(f, (now.clone(), now));
        }
    }
    DetailState {
        detail,
        drafts,
        tab,
        forms,
    }
}

/// Draws the open customer's panel (nothing when none is open).
pub(crate) fn show(app: &mut RapportApp, ui: &mut egui::Ui) {
    let Some(state) = app.detail.as_ref() else {
        return;
    };
    let id = state.detail.customer.id;
    let name = state.detail.customer.name.clone();
    let deleted = state.detail.customer.is_deleted();
    let conflicts = state.detail.conflicts.clone();
    let v = app.snapshot.value(id).cloned();
    let mut close = false;
    ui.horizontal(|ui| {
        ui.heading(&name);
        let tier = v.as_ref().and_then(|v| v.effective_tier);
        ui.label(
            RichText::new(tier_text(tier))
                .color(tier_color(tier))
                .strong(),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            close = ui.button("Close").clicked();
        });
    });
    if close {
        app.close_detail();
        return;
    }
    if deleted {
        ui.colored_label(ui.visuals().warn_fg_color, "This customer was deleted.");
        if ui.button("Restore").clicked() {
            app.edit(id, vec![Edit::Restore]);
        }
        return;
    }
    if !conflicts.is_empty() {
        let mut pick = None;
        ui.group(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Two devices changed these fields at the same time:",
            );
            for (field, values) in &conflicts {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(field);
                    for (i, val) in values.iter().enumerate() {
                        let label = if i == 0 {
                            format!("“{val}” (shown)")
                        } else {
                            format!("“{val}”")
                        };
                        if ui.button(label).on_hover_text("Keep this value").clicked() {
                            pick = field_edit(field, val.clone());
                        }
                    }
                });
            }
        });
        if let Some(e) = pick {
            app.edit(id, vec![e]);
        }
    }
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    ui.horizontal(|ui| {
        for (t, label) in [
            (DetailTab::Overview, "Overview"),
            (DetailTab::FollowUps, "Follow-ups"),
            (DetailTab::Activity, "Activity"),
            (DetailTab::Deals, "Deals"),
            (DetailTab::Value, "Customer value"),
            (DetailTab::History, "History"),
        ] {
            ui.selectable_value(&mut state.tab, t, label);
        }
    });
    ui.separator();
    let tab = state.tab;
    match tab {
        DetailTab::Overview => overview::show(app, ui, id),
        DetailTab::FollowUps => followups::show(app, ui, id),
        DetailTab::Activity => activity::show(app, ui, id),
        DetailTab::Deals => deals::show(app, ui, id),
        DetailTab::Value => value::show(app, ui, id, v.as_ref()),
        DetailTab::History => history::show(app, ui, id),
    }
}
