//! The value screen: tiers with their revenue share, the Pareto curve, tier bars, RFM
//! segments, revenue per month and the weighted pipeline; a click on a tier or segment lists
//! those customers on the customers screen.

use egui::RichText;
use egui_plot::{Bar, BarChart, Legend, Line, PlotPoints};
use rapport_model::Tier;

use crate::gui::widgets::{label_at, labelled_bars, money, static_plot, tier_color, tier_text};
use crate::gui::{RapportApp, View};

/// The value screen: tiers, Pareto curve, RFM grid, revenue over time, pipeline.
pub(crate) fn show(app: &mut RapportApp, ui: &mut egui::Ui) {
    let snap = app.snapshot.clone();
    let Some(a) = snap.analysis.clone() else {
        ui.label("Computing…");
        return;
    };
    let base = a.settings.base_currency;
    let mut filter_tier = None;
    let mut filter_segment = None;
    egui::ScrollArea::vertical()
        .id_salt("value")
        .show(ui, |ui| {
            ui.heading("Customer value tiers");
            ui.label(format!(
                "{} ranked customers, {} revenue in the last {} months (since {}).",
                a.ranked,
                money(a.total_revenue, base),
                a.settings.window_months,
                a.window_start
            ));
            egui::Grid::new("tiers")
                .striped(true)
                .num_columns(4)
                .show(ui, |ui| {
                    ui.strong("Tier");
                    ui.strong("Customers");
                    ui.strong("Revenue");
                    ui.strong("Share of revenue");
                    ui.end_row();
                    for t in &a.tiers {
                        if ui
                            .button(
                                RichText::new(tier_text(Some(t.tier)))
                                    .color(tier_color(Some(t.tier))),
                            )
                            .on_hover_text("Show these customers")
                            .clicked()
                        {
                            filter_tier = Some(t.tier);
                        }
                        ui.label(t.customers.to_string());
                        ui.label(money(t.revenue, base));
                        ui.label(format!("{:.1}%", t.revenue_share * 100.0));
                        ui.end_row();
                    }
                });
            ui.add_space(8.0);
            ui.columns(2, |cols| {
                cols[0].strong("Pareto curve: share of revenue by share of customers");
                let pts: PlotPoints = a
                    .pareto
                    .iter()
                    .map(|p| [p.customer_share * 100.0, p.revenue_share * 100.0])
                    .collect();
                static_plot("pareto")
                    .x_axis_formatter(|m, _| format!("{}% of customers", m.value))
                    .y_axis_formatter(|m, _| format!("{}%", m.value))
                    .height(220.0)
                    .include_y(100.0)
                    .show(&mut cols[0], |p| p.line(Line::new("revenue share %", pts)));
                cols[1].strong("Tiers (click a bar to list them)");
                let bars: Vec<Bar> = a
                    .tiers
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        Bar::new(i as f64, t.revenue_share * 100.0)
                            .name(tier_text(Some(t.tier)))
                            .fill(tier_color(Some(t.tier)))
                    })
                    .collect();
                let tiers: Vec<Tier> = a.tiers.iter().map(|t| t.tier).collect();
                let names: Vec<String> = tiers
                    .iter()
                    .map(|t| tier_text(Some(*t)).to_string())
                    .collect();
                let r = static_plot("tier-bars")
                    .x_axis_formatter(move |m, _| label_at(&names, m.value))
                    .y_axis_formatter(|m, _| format!("{}%", m.value))
                    .height(220.0)
                    .legend(Legend::default())
                    .show(&mut cols[1], |p| {
                        p.bar_chart(BarChart::new("revenue share %", bars));
                        if p.response().clicked() {
                            p.pointer_coordinate()
                        } else {
                            None
                        }
                    });
                if let Some(pt) = r.inner {
                    let i = pt.x.round();
                    if i >= 0.0 && (i as usize) < tiers.len() && (pt.x - i).abs() <= 0.3 {
                        filter_tier = Some(tiers[i as usize]);
                    }
                }
            });
            ui.add_space(8.0);
            ui.heading("RFM segments (click to list)");
            ui.horizontal_wrapped(|ui| {
                for (seg, n) in &a.segments {
                    if ui.button(format!("{} ({n})", seg.as_str())).clicked() {
                        filter_segment = Some(*seg);
                    }
                }
            });
            ui.add_space(8.0);
            ui.columns(2, |cols| {
                let scale = 10f64.powi(i32::from(base.exponent()));
                cols[0].strong(format!("Revenue per month ({})", base.code()));
                labelled_bars(
                    &mut cols[0],
                    "revenue",
                    "won revenue",
                    &snap.revenue_by_month,
                    scale,
                    egui::Color32::from_rgb(90, 150, 90),
                );
                cols[1].strong(format!("Weighted open pipeline by stage ({})", base.code()));
                labelled_bars(
                    &mut cols[1],
                    "pipeline",
                    "pipeline",
                    &snap.pipeline_by_stage,
                    scale,
                    egui::Color32::from_rgb(60, 120, 200),
                );
            });
        });
    if filter_tier.is_some() || filter_segment.is_some() {
        app.filter = rapport_query::Filter {
            tier: filter_tier,
            segment: filter_segment,
            ..Default::default()
        };
        app.switch(View::Customers);
        app.query();
    }
}
