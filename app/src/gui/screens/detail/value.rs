//! The customer value tab: tier (computed or set by hand), revenue, RFM, segment, lifetime
//! value, realised and potential value, influence, stage and next revisit; setting the tier
//! by hand with a reason.

use rapport_model::{CustomerId, Edit, Tier, TierOverride};

use crate::gui::RapportApp;
use crate::gui::widgets::{base_currency, money, tier_text};

/// What is being typed in the customer value tab.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub tier_reason: String,
}

pub(super) fn show(
    app: &mut RapportApp,
    ui: &mut egui::Ui,
    id: CustomerId,
    v: Option<&rapport_value::CustomerValue>,
) {
    let base = base_currency(&app.snapshot);
    let Some(v) = v else {
        ui.label("No value analysis yet.");
        return;
    };
    egui::Grid::new("value").num_columns(2).show(ui, |ui| {
        ui.label("Tier");
        ui.label(format!(
            "{}{}",
            tier_text(v.effective_tier),
            match (&v.tier_override, v.rank) {
                (Some(o), _) => format!(
                    " (set by hand: {}; computed {})",
                    o.reason,
                    tier_text(v.tier)
                ),
                (None, Some(r)) => format!(" (rank {r})"),
                (None, None) => String::new(),
            }
        ));
        ui.end_row();
        ui.label("Revenue in window");
        ui.label(money(v.window_revenue, base));
        ui.end_row();
        if let Some(r) = &v.rfm {
            ui.label("RFM");
            ui.label(format!(
                "R{} F{} M{} — {} days since last purchase, {} orders",
                r.r, r.f, r.m, r.recency_days, r.frequency
            ));
            ui.end_row();
        }
        ui.label("Segment");
        ui.label(v.segment.as_str());
        ui.end_row();
        ui.label("Lifetime value");
        ui.label(money(v.clv.value, base)).on_hover_text(format!(
            "average order {} × {:.1} orders/year × {}% margin × {} years, discounted {}%/year",
            money(v.clv.average_order, base),
            v.clv.orders_per_year,
            v.clv.margin_percent,
            v.clv.lifetime_years,
            v.clv.discount_percent
        ));
        ui.end_row();
        ui.label("Realised / potential");
        ui.label(format!(
            "{} / {}",
            money(v.realised, base),
            money(v.potential, base)
        ));
        ui.end_row();
        ui.label("Influence");
        ui.label(format!(
            "{} referrals bringing {}",
            v.influence.referrals,
            money(v.influence.revenue, base)
        ));
        ui.end_row();
        ui.label("Lifecycle stage");
        ui.label(format!("{} (inferred {})", v.stage, v.stage_inferred));
        ui.end_row();
        ui.label("Next revisit");
        ui.label(format!(
            "{}{}",
            v.next_revisit,
            if v.due_for_revisit { " — due" } else { "" }
        ));
        ui.end_row();
    });
    ui.separator();
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    let mut edits = Vec::new();
    ui.horizontal(|ui| {
        ui.label("Set tier by hand:");
        ui.add(
            egui::TextEdit::singleline(&mut state.forms.value.tier_reason)
                .hint_text("reason")
                .desired_width(140.0),
        )
        .accessible_name("Tier reason");
        for t in Tier::ALL {
            if ui.small_button(tier_text(Some(*t))).clicked() {
                edits.push(Edit::TierOverride(Some(TierOverride {
                    tier: *t,
                    reason: state.forms.value.tier_reason.trim().to_string(),
                })));
            }
        }
        if v.tier_override.is_some() && ui.small_button("Automatic").clicked() {
            edits.push(Edit::TierOverride(None));
        }
    });
    if !edits.is_empty() {
        app.edit(id, edits);
    }
}
