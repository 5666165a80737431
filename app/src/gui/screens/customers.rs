//! The customers screen: the filter panel on the left, the virtualised customer table with
//! its search box and sortable columns, and the open customer's panel on the right
//! ([`super::detail`]). Arrow keys in the search box move the selection.

use egui::{Key, RichText};
use rapport_model::{LifecycleStage, Tier};
use rapport_query::Column;
use rapport_value::Segment;

use super::detail;
use crate::gui::RapportApp;
use crate::gui::widgets::{
    base_currency, cell, cell_rich, combo, due_text, money, tier_color, tier_text,
};

/// The customers screen: filters on the left, the table, the open customer on the right.
pub(crate) fn show(app: &mut RapportApp, ui: &mut egui::Ui, focus_search: bool) {
    egui::Panel::left("filters")
        .resizable(true)
        .default_size(190.0)
        .show(ui, |ui| filters(app, ui));
    if app.detail.is_some() {
        egui::Panel::right("customer")
            .resizable(true)
            .default_size(460.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("detail-scroll")
                    .show(ui, |ui| detail::show(app, ui));
            });
    }
    egui::CentralPanel::default().show(ui, |ui| table(app, ui, focus_search));
}

fn filters(app: &mut RapportApp, ui: &mut egui::Ui) {
    ui.heading("Filters");
    let mut changed = false;
    let f = &mut app.filter;
    changed |= combo(ui, "Tier", &mut f.tier, Tier::ALL, |t| {
        tier_text(Some(t)).into()
    });
    changed |= combo(ui, "Stage", &mut f.stage, LifecycleStage::ALL, |s| {
        s.as_str().into()
    });
    let segments: Vec<Segment> = app
        .snapshot
        .analysis
        .as_ref()
        .map(|a| a.segments.keys().copied().collect())
        .unwrap_or_default();
    changed |= combo(ui, "Segment", &mut f.segment, &segments, |s| {
        s.as_str().into()
    });
    let tags: Vec<String> = app.snapshot.tags.clone();
    let tag_text = f.tag.clone().unwrap_or_else(|| "Any".into());
    egui::ComboBox::from_label("Tag")
        .selected_text(tag_text)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(&mut f.tag, None, "Any").changed();
            for t in &tags {
                changed |= ui
                    .selectable_value(&mut f.tag, Some(t.clone()), t.as_str())
                    .changed();
            }
        });
    let owners = app.snapshot.owners.clone();
    let owner_text = f.owner.clone().unwrap_or_else(|| "Any".into());
    egui::ComboBox::from_label("Owner")
        .selected_text(owner_text)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(&mut f.owner, None, "Any").changed();
            for o in &owners {
                changed |= ui
                    .selectable_value(&mut f.owner, Some(o.clone()), o.as_str())
                    .changed();
            }
        });
    // The team's choice and yes/no fields filter by option (the CLI's `--field` has ranges).
    let defs = rapport_model::Fields::from_settings(&app.snapshot.settings);
    for def in defs.active().filter(|d| {
        matches!(
            d.kind,
            rapport_model::FieldKind::Choice | rapport_model::FieldKind::YesNo
        )
    }) {
        let options: Vec<String> = if def.kind == rapport_model::FieldKind::YesNo {
            vec!["yes".into(), "no".into()]
        } else {
            def.options.clone()
        };
        let now = f.fields.iter().find_map(|t| match &t.test {
            rapport_query::FieldTest::Equals(v) if t.field.id == def.id => Some(v.clone()),
            _ => None,
        });
        let mut picked = now.clone();
        egui::ComboBox::from_label(&def.name)
            .selected_text(picked.clone().unwrap_or_else(|| "Any".into()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut picked, None, "Any");
                for o in &options {
                    ui.selectable_value(&mut picked, Some(o.clone()), o.as_str());
                }
            });
        if picked != now {
            f.fields.retain(|t| t.field.id != def.id);
            if let Some(v) = picked {
                f.fields.push(rapport_query::FieldFilter {
                    field: def.clone(),
                    test: rapport_query::FieldTest::Equals(v),
                });
            }
            changed = true;
        }
    }
    changed |= ui
        .checkbox(&mut f.due_for_revisit, "Due for a revisit")
        .changed();
    changed |= ui.checkbox(&mut f.archived, "Include archived").changed();
    if f.is_filtered() && ui.button("Clear filters").clicked() {
        let text = std::mem::take(&mut f.text);
        *f = rapport_query::Filter {
            text,
            ..Default::default()
        };
        changed = true;
    }
    if changed {
        app.query();
    }
}

fn table(app: &mut RapportApp, ui: &mut egui::Ui, focus_search: bool) {
    ui.horizontal(|ui| {
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut app.filter.text)
                    .hint_text(
                        "Search name, company, contacts, phones, emails, tags, notes (Ctrl+F)",
                    )
                    .desired_width(ui.available_width() - 160.0),
            )
            .accessible_name("Search");
        if focus_search {
            r.request_focus();
        }
        if r.changed() {
            app.query();
        }
        // Arrow keys move through the results while the search box has focus.
        if r.has_focus() {
            let (down, up, enter) = ui.input(|i| {
                (
                    i.key_pressed(Key::ArrowDown),
                    i.key_pressed(Key::ArrowUp),
                    i.key_pressed(Key::Enter),
                )
            });
            move_selection(app, down, up, enter);
        }
        ui.label(format!("{} customers", app.rows.len()));
    });
    if !app.filter.text.is_empty() || app.filter.is_filtered() {
        ui.small(format!(
            "{} of {} match",
            app.rows.len(),
            app.snapshot.summaries.iter().filter(|s| !s.deleted).count()
        ));
    }
    ui.separator();
    // The built-in columns' shares of the width, and the custom field columns the user
    // chose (fields in use, in the team's order), which take their share from them.
    let builtin = [
        (Column::Name, 0.24),
        (Column::Company, 0.13),
        (Column::Tier, 0.10),
        (Column::Revenue, 0.17),
        (Column::Stage, 0.11),
        (Column::NextDue, 0.18),
    ];
    let defs = rapport_model::Fields::from_settings(&app.snapshot.settings);
    let shown: Vec<rapport_model::FieldDef> = defs
        .active()
        .filter(|d| app.persisted.field_columns.contains(&d.id))
        .cloned()
        .collect();
    let total: f32 = builtin.iter().map(|(_, w)| w).sum();
    let field_w = if shown.is_empty() {
        0.0
    } else {
        (0.36 / shown.len() as f32).min(0.12)
    };
    let scale = (total - field_w * shown.len() as f32) / total;
    let cols: Vec<(Column, f32)> = builtin
        .into_iter()
        .map(|(c, w)| (c, w * scale))
        .chain(shown.iter().map(|d| (Column::Field(d.clone()), field_w)))
        .collect();
    let width = ui.available_width();
    let mut hide = None;
    ui.horizontal(|ui| {
        for (c, w) in &cols {
            let mut label = c.label().to_string();
            // A field column is the sorted one by its id (the kept sort may hold an older
            // copy of the definition).
            let sorted = match (c, &app.persisted.sort.column) {
                (Column::Field(a), Column::Field(b)) => a.id == b.id,
                (a, b) => a == b,
            };
            if sorted {
                label.push_str(if app.persisted.sort.descending {
                    " ↓"
                } else {
                    " ↑"
                });
            }
            let b = egui::Button::new(RichText::new(label).strong()).frame(false);
            if ui.add_sized([width * w - 8.0, 20.0], b).clicked() {
                if sorted {
                    app.persisted.sort.descending = !app.persisted.sort.descending;
                } else {
                    app.persisted.sort.column = c.clone();
                    app.persisted.sort.descending = matches!(c, Column::Revenue | Column::Updated);
                }
                app.query();
            }
        }
        if defs.active().next().is_some() {
            columns_menu(app, ui, &defs, &mut hide);
        }
    });
    // Hiding the column the list is sorted by goes back to name order.
    if let Some(id) = hide
        && app
            .persisted
            .sort
            .column
            .field()
            .is_some_and(|f| f.id == id)
    {
        app.persisted.sort = rapport_query::Sort::default();
        app.query();
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let rows = app.rows.clone();
    let snap = app.snapshot.clone();
    let currency = base_currency(&app.snapshot);
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt("customer-table")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, rows.len(), |ui, range| {
            for &i in &rows[range] {
                let Some(s) = snap.summaries.get(i) else {
                    continue;
                };
                let v = snap.value(s.id);
                let selected = app.selected == Some(s.id);
                let resp = ui
                    .horizontal(|ui| {
                        ui.set_height(row_h);
                        let name = if s.archived {
                            format!("{} (archived)", s.name)
                        } else {
                            s.name.clone()
                        };
                        let r = ui
                            .allocate_ui_with_layout(
                                egui::vec2(width * cols[0].1 - 8.0, row_h),
                                egui::Layout::left_to_right(egui::Align::Center),
                                |ui| {
                                    ui.set_min_width(width * cols[0].1 - 8.0);
                                    ui.add(egui::Button::selectable(selected, name).truncate())
                                },
                            )
                            .inner;
                        cell(ui, width * cols[1].1, &s.company);
                        let tier = v.and_then(|v| v.effective_tier);
                        cell_rich(
                            ui,
                            width * cols[2].1,
                            RichText::new(tier_text(tier)).color(tier_color(tier)),
                        );
                        let rev = v.map(|v| v.window_revenue).unwrap_or(0);
                        cell(
                            ui,
                            width * cols[3].1,
                            &if rev > 0 {
                                money(rev, currency)
                            } else {
                                String::new()
                            },
                        );
                        let stage = s
                            .stage
                            .or_else(|| v.map(|v| v.stage))
                            .map(|s| s.as_str())
                            .unwrap_or("");
                        cell(ui, width * cols[4].1, stage);
                        cell(
                            ui,
                            width * cols[5].1,
                            &s.next_due().map(due_text).unwrap_or_default(),
                        );
                        for def in &shown {
                            let text = s
                                .fields
                                .get(&def.id)
                                .map(|v| def.display(v))
                                .unwrap_or_default();
                            cell(ui, width * field_w, &text);
                        }
                        r
                    })
                    .inner;
                if resp.clicked() {
                    clicked = Some(s.id);
                }
            }
        });
    if let Some(id) = clicked {
        app.open(id);
    }
}

/// The "Columns" menu: a check box per custom field in use, showing or hiding its column
/// (the choice persists with the app's other view state). `hide` is set to the field id
/// just hidden.
fn columns_menu(
    app: &mut RapportApp,
    ui: &mut egui::Ui,
    defs: &rapport_model::Fields,
    hide: &mut Option<String>,
) {
    use egui::containers::menu::{MenuButton, MenuConfig};
    MenuButton::new("Columns")
        .config(MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside))
        .ui(ui, |ui| {
            ui.label("Custom fields shown as columns:");
            for def in defs.active() {
                let mut on = app.persisted.field_columns.contains(&def.id);
                if ui.checkbox(&mut on, &def.name).changed() {
                    if on {
                        app.persisted.field_columns.push(def.id.clone());
                    } else {
                        app.persisted.field_columns.retain(|id| *id != def.id);
                        *hide = Some(def.id.clone());
                    }
                }
            }
        });
}

fn move_selection(app: &mut RapportApp, down: bool, up: bool, enter: bool) {
    if !(down || up || enter) || app.rows.is_empty() {
        return;
    }
    let pos = app.selected.and_then(|id| {
        app.rows
            .iter()
            .position(|&i| app.snapshot.summaries.get(i).map(|s| s.id) == Some(id))
    });
    let next = match (pos, down, up) {
        (None, _, _) => 0,
        (Some(p), true, _) => (p + 1).min(app.rows.len() - 1),
        (Some(p), _, true) => p.saturating_sub(1),
        (Some(p), _, _) => p,
    };
    if let Some(s) = app.snapshot.summaries.get(app.rows[next]) {
        let id = s.id;
        app.selected = Some(id);
        if enter || app.detail.is_some() {
            app.open(id);
        }
    }
}
