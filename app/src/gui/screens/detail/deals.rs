//! The deals tab: add a won or open deal, and the deals newest first (an open one can be
//! marked won or lost).

use rapport_model::{Currency, CustomerId, Deal, DealStatus, Edit, ItemId, Money};

use crate::gui::widgets::{base_currency, money};
use crate::gui::{Banner, RapportApp};

/// What is being typed in the deals tab.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub deal_title: String,
    pub deal_amount: String,
    pub deal_currency: String,
}

pub(super) fn show(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let clock = app.clock;
    let mut edits = Vec::new();
    let mut error = None;
    let base = base_currency(&app.snapshot);
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    let f = &mut state.forms.deals;
    if f.deal_currency.is_empty() {
        f.deal_currency = base.code().to_string();
    }
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut f.deal_title)
                .hint_text("title")
                .desired_width(140.0),
        )
        .accessible_name("Deal title");
        ui.add(
            egui::TextEdit::singleline(&mut f.deal_amount)
                .hint_text("amount")
                .desired_width(90.0),
        )
        .accessible_name("Deal amount");
        ui.add(egui::TextEdit::singleline(&mut f.deal_currency).desired_width(40.0))
            .accessible_name("Deal currency");
        for (label, status) in [("Add won", DealStatus::Won), ("Add open", DealStatus::Open)] {
            if ui.button(label).clicked() {
                let deal = Currency::parse(&f.deal_currency, "currency")
                    .and_then(|cur| Money::parse(&f.deal_amount, cur, "amount"))
                    .map(|amount| Deal {
                        title: f.deal_title.trim().to_string(),
                        amount,
                        status,
                        date: clock.today(),
                        probability: if status == DealStatus::Won { 100 } else { 50 },
                    });
                match deal {
                    Ok(d) => {
                        f.deal_title.clear();
                        f.deal_amount.clear();
                        edits.push(Edit::PutDeal(ItemId::new(), d));
                    }
                    Err(e) => error = Some(e.to_string()),
                }
            }
        }
    });
    ui.separator();
    let mut list: Vec<(&ItemId, &Deal)> = state.detail.customer.deals.iter().collect();
    list.sort_by_key(|(_, d)| std::cmp::Reverse(d.date));
    egui::Grid::new("deals")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for (did, d) in list {
                ui.label(d.date.to_string());
                ui.label(&d.title);
                ui.label(money(d.amount.minor, d.amount.currency));
                ui.label(format!("{} ({}%)", d.status, d.probability));
                ui.horizontal(|ui| {
                    if d.status == DealStatus::Open {
                        for (label, st) in [("Won", DealStatus::Won), ("Lost", DealStatus::Lost)] {
                            if ui.small_button(label).clicked() {
                                let mut nd = d.clone();
                                nd.status = st;
                                nd.probability = if st == DealStatus::Won { 100 } else { 0 };
                                nd.date = clock.today();
                                edits.push(Edit::PutDeal(*did, nd));
                            }
                        }
                    }
                });
                ui.end_row();
            }
        });
    if let Some(e) = error {
        app.banners.push(Banner::Error(e));
    }
    if !edits.is_empty() {
        app.edit(id, edits);
    }
}
