//! The screens: each draws from the app's latest snapshot and dispatches actions.

use std::collections::BTreeMap;

use chrono::Local;
use egui::{Key, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};
use rapport_model::{
    Contact, Currency, CustomerId, CustomerKind, Deal, DealStatus, Due, Edit, FollowUp,
    FollowUpKind, Importance, Interaction, InteractionKind, ItemId, LifecycleStage, Money, Tier,
    TierOverride, Urgency,
};
use rapport_query::Column;
use rapport_team::Role;
use rapport_value::Segment;

use super::backend::{Detail, Request};
use super::{Banner, DetailState, RapportApp, View};

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

/// The small forms inside the customer panel.
#[derive(Clone, Debug, Default)]
pub struct Forms {
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// Contact being edited: name, title, phones and emails (comma-separated).
    pub editing_contact: Option<(ItemId, (String, String, String, String))>,
    pub followup_due: String,
    pub followup_subject: String,
    pub followup_kind: Option<FollowUpKind>,
    /// Follow-up being completed → outcome text and the next follow-up's due date.
    pub completing: Option<(ItemId, String, String)>,
    pub rescheduling: Option<(ItemId, String)>,
    pub interaction_summary: String,
    pub deal_title: String,
    pub deal_amount: String,
    pub deal_currency: String,
    pub tag: String,
    pub email: String,
    pub phone: String,
    pub tier_reason: String,
}

const FIELDS: [&str; 7] = [
    "name", "company", "industry", "address", "owner", "source", "notes",
];

fn field_value(c: &rapport_model::Customer, f: &str) -> String {
    match f {
        "name" => c.name.clone(),
        "company" => c.company.clone(),
        "industry" => c.industry.clone(),
        "address" => c.address.clone(),
        "owner" => c.owner.clone(),
        "source" => c.source.clone(),
        "notes" => c.notes.clone(),
        _ => String::new(),
    }
}

fn field_edit(f: &str, v: String) -> Option<Edit> {
    Some(match f {
        "name" => Edit::Name(v),
        "company" => Edit::Company(v),
        "industry" => Edit::Industry(v),
        "address" => Edit::Address(v),
        "owner" => Edit::Owner(v),
        "source" => Edit::Source(v),
        "notes" => Edit::Notes(v),
        _ => return None,
    })
}

/// The panel state for `detail`, keeping what the user is typing in fields the update did
/// not change underneath.
pub fn detail_state(detail: Detail, old: Option<DetailState>) -> DetailState {
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

/// The invite ticket as a QR code texture.
pub fn qr_texture(ctx: &egui::Context, ticket: &str) -> Option<egui::TextureHandle> {
    let code = qrcode::QrCode::new(ticket.as_bytes()).ok()?;
    let width = code.width();
    let quiet = 2;
    let size = width + 2 * quiet;
    let mut pixels = vec![255u8; size * size];
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            pixels[y * size + x] = 0;
        }
    }
    Some(ctx.load_texture(
        "invite-qr",
        egui::ColorImage::from_gray([size, size], &pixels),
        egui::TextureOptions::NEAREST,
    ))
}

/// Money in minor units of `currency`, with thousands separators.
pub fn money(minor: i64, currency: Currency) -> String {
    let m = Money { minor, currency };
    let dec = m.decimal();
    let (int, frac) = match dec.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (dec.clone(), String::new()),
    };
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d.to_string()),
        None => ("", int),
    };
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{} {sign}{grouped}{frac}", currency.code())
}

fn tier_text(t: Option<Tier>) -> &'static str {
    match t {
        Some(Tier::Vip) => "VIP",
        Some(Tier::Major) => "Major",
        Some(Tier::Common) => "Common",
        Some(Tier::Minor) => "Minor",
        None => "–",
    }
}

fn tier_color(t: Option<Tier>) -> egui::Color32 {
    match t {
        Some(Tier::Vip) => egui::Color32::from_rgb(200, 140, 0),
        Some(Tier::Major) => egui::Color32::from_rgb(60, 120, 200),
        Some(Tier::Common) => egui::Color32::from_rgb(90, 150, 90),
        _ => egui::Color32::GRAY,
    }
}

fn base_currency(app: &RapportApp) -> Currency {
    app.snapshot
        .analysis
        .as_ref()
        .map(|a| a.settings.base_currency)
        .unwrap_or_else(|| rapport_value::ValueSettings::default().base_currency)
}

fn combo<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut Option<T>,
    all: &[T],
    name: impl Fn(T) -> String,
) -> bool {
    let mut changed = false;
    let text = value.map(&name).unwrap_or_else(|| "Any".into());
    egui::ComboBox::from_label(label)
        .selected_text(text)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(value, None, "Any").changed();
            for v in all {
                changed |= ui.selectable_value(value, Some(*v), name(*v)).changed();
            }
        });
    changed
}

/// The customers screen: filters on the left, the table, the open customer on the right.
pub fn customers(app: &mut RapportApp, ui: &mut egui::Ui, focus_search: bool) {
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
                    .show(ui, |ui| detail(app, ui));
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
    let cols = [
        (Column::Name, 0.24),
        (Column::Company, 0.13),
        (Column::Tier, 0.10),
        (Column::Revenue, 0.17),
        (Column::Stage, 0.11),
        (Column::NextDue, 0.18),
    ];
    let width = ui.available_width();
    ui.horizontal(|ui| {
        for (c, w) in cols {
            let mut label = c.label().to_string();
            if app.persisted.sort.column == c {
                label.push_str(if app.persisted.sort.descending {
                    " ↓"
                } else {
                    " ↑"
                });
            }
            let b = egui::Button::new(RichText::new(label).strong()).frame(false);
            if ui.add_sized([width * w - 8.0, 20.0], b).clicked() {
                if app.persisted.sort.column == c {
                    app.persisted.sort.descending = !app.persisted.sort.descending;
                } else {
                    app.persisted.sort.column = c;
                    app.persisted.sort.descending = matches!(c, Column::Revenue | Column::Updated);
                }
                app.query();
            }
        }
    });
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let rows = app.rows.clone();
    let snap = app.snapshot.clone();
    let currency = base_currency(app);
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

fn cell(ui: &mut egui::Ui, w: f32, text: &str) {
    cell_rich(ui, w, RichText::new(text));
}

/// A left-aligned table cell of width `w`, truncated with an ellipsis.
fn cell_rich(ui: &mut egui::Ui, w: f32, text: RichText) {
    let h = ui.available_height();
    ui.allocate_ui_with_layout(
        egui::vec2(w - 8.0, h),
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(w - 8.0);
            ui.add(egui::Label::new(text).truncate());
        },
    );
}

/// A due time as people read it: `2026-11-24` or `2026-11-24 09:00`.
pub fn due_text(d: Due) -> String {
    d.to_string().replace('T', " ")
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

fn detail(app: &mut RapportApp, ui: &mut egui::Ui) {
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
        DetailTab::Overview => overview(app, ui, id),
        DetailTab::FollowUps => followups(app, ui, id),
        DetailTab::Activity => activity(app, ui, id),
        DetailTab::Deals => deals(app, ui, id),
        DetailTab::Value => value_panel(app, ui, id, v.as_ref()),
        DetailTab::History => history(app, ui, id),
    }
}

fn overview(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let mut edits = Vec::new();
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    egui::Grid::new("fields").num_columns(2).show(ui, |ui| {
        for f in FIELDS {
            let label = ui.label(capitalise(f));
            let Some((draft, base)) = state.drafts.get_mut(f) else {
                ui.end_row();
                continue;
            };
            let te = if f == "notes" || f == "address" {
                egui::TextEdit::multiline(draft).desired_rows(if f == "notes" { 5 } else { 2 })
            } else {
                egui::TextEdit::singleline(draft)
            };
            let r = ui
                .add(te.desired_width(f32::INFINITY))
                .labelled_by(label.id);
            if r.lost_focus() && draft != base {
                if let Some(e) = field_edit(f, draft.clone()) {
                    edits.push(e);
                }
                *base = draft.clone();
            }
            ui.end_row();
        }
    });
    let c = state.detail.customer.clone();
    ui.horizontal_wrapped(|ui| {
        let mut stage = c.stage;
        if combo(ui, "Stage (manual)", &mut stage, LifecycleStage::ALL, |s| {
            s.as_str().into()
        }) {
            edits.push(Edit::Stage(stage));
        }
        let mut kind = Some(c.kind);
        if combo(ui, "Kind", &mut kind, CustomerKind::ALL, |k| {
            k.as_str().into()
        }) && let Some(k) = kind
        {
            edits.push(Edit::Kind(k));
        }
    });
    ui.horizontal_wrapped(|ui| {
        let mut importance = Some(c.importance);
        if combo(ui, "Importance", &mut importance, Importance::ALL, |i| {
            i.as_str().replace('_', " ")
        }) && let Some(i) = importance
        {
            edits.push(Edit::Importance(i));
        }
        let mut urgency = Some(c.urgency);
        if combo(ui, "Urgency", &mut urgency, Urgency::ALL, |u| {
            u.as_str().replace('_', " ")
        }) && let Some(u) = urgency
        {
            edits.push(Edit::Urgency(u));
        }
    });
    if let Some(r) = &state.detail.referrer {
        ui.horizontal(|ui| {
            ui.label(format!("Referred by {r}"));
            if ui.small_button("Clear").clicked() {
                edits.push(Edit::ReferredBy(None));
            }
        });
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Tags:");
        for t in &c.tags {
            if ui
                .small_button(format!("{t} ×"))
                .on_hover_text("Remove tag")
                .clicked()
            {
                edits.push(Edit::RemoveTag(t.clone()));
            }
        }
        let r = ui.add(
            egui::TextEdit::singleline(&mut state.forms.tag)
                .hint_text("add tag")
                .desired_width(100.0),
        );
        let r = r.accessible_name("Add tag");
        if r.lost_focus()
            && ui.input(|i| i.key_pressed(Key::Enter))
            && !state.forms.tag.trim().is_empty()
        {
            edits.push(Edit::AddTag(std::mem::take(&mut state.forms.tag)));
        }
    });
    list_editor(
        ui,
        "Emails",
        &c.emails,
        &mut state.forms.email,
        &mut edits,
        Edit::AddEmail,
        Edit::RemoveEmail,
    );
    list_editor(
        ui,
        "Phones",
        &c.phones,
        &mut state.forms.phone,
        &mut edits,
        Edit::AddPhone,
        Edit::RemovePhone,
    );
    ui.separator();
    ui.strong(format!("Contacts ({})", c.contacts.len()));
    for (cid, ct) in &c.contacts {
        // A contact being edited: its fields as text, saved as one change.
        if let Some((eid, draft)) = state.forms.editing_contact.as_mut()
            && eid == cid
        {
            let (mut save, mut cancel) = (false, false);
            ui.horizontal_wrapped(|ui| {
                for (label, text) in [
                    ("Contact name", &mut draft.0),
                    ("Contact title", &mut draft.1),
                    ("Contact phones", &mut draft.2),
                    ("Contact emails", &mut draft.3),
                ] {
                    ui.add(egui::TextEdit::singleline(text).desired_width(110.0))
                        .accessible_name(label)
                        .on_hover_text(label);
                }
                save = ui.small_button("Save").clicked();
                cancel = ui.small_button("Cancel").clicked();
            });
            if save {
                let split = |s: &str| -> Vec<String> {
                    s.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_string)
                        .collect()
                };
                let mut updated = ct.clone();
                updated.name = draft.0.trim().to_string();
                updated.title = draft.1.trim().to_string();
                updated.phones = split(&draft.2);
                updated.emails = split(&draft.3);
                edits.push(Edit::PutContact(*cid, updated));
            }
            if save || cancel {
                state.forms.editing_contact = None;
            }
            continue;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&ct.name).strong());
            if !ct.title.is_empty() {
                ui.label(&ct.title);
            }
            for p in &ct.phones {
                ui.label(p);
            }
            for e in &ct.emails {
                ui.label(e);
            }
            if ui.small_button("Edit").clicked() {
                state.forms.editing_contact = Some((
                    *cid,
                    (
                        ct.name.clone(),
                        ct.title.clone(),
                        ct.phones.join(", "),
                        ct.emails.join(", "),
                    ),
                ));
            }
            if ui.small_button("Remove").clicked() {
                edits.push(Edit::RemoveContact(*cid));
            }
        });
    }
    ui.horizontal(|ui| {
        let f = &mut state.forms;
        ui.add(
            egui::TextEdit::singleline(&mut f.contact_name)
                .hint_text("name")
                .desired_width(110.0),
        )
        .accessible_name("Contact name");
        ui.add(
            egui::TextEdit::singleline(&mut f.contact_phone)
                .hint_text("phone")
                .desired_width(100.0),
        )
        .accessible_name("Contact phone");
        ui.add(
            egui::TextEdit::singleline(&mut f.contact_email)
                .hint_text("email")
                .desired_width(140.0),
        )
        .accessible_name("Contact email");
        if ui.button("Add contact").clicked() && !f.contact_name.trim().is_empty() {
            let contact = Contact {
                name: std::mem::take(&mut f.contact_name).trim().to_string(),
                phones: non_empty(std::mem::take(&mut f.contact_phone)),
                emails: non_empty(std::mem::take(&mut f.contact_email)),
                ..Contact::default()
            };
            edits.push(Edit::PutContact(ItemId::new(), contact));
        }
    });
    ui.separator();
    ui.horizontal(|ui| {
        if ui
            .button(if c.archived { "Unarchive" } else { "Archive" })
            .clicked()
        {
            edits.push(Edit::Archive(!c.archived));
        }
        if ui
            .button("Delete")
            .on_hover_text("Every device can restore it later")
            .clicked()
        {
            edits.push(Edit::Delete);
        }
    });
    if !edits.is_empty() {
        app.edit(id, edits);
    }
}

fn non_empty(s: String) -> Vec<String> {
    let t = s.trim();
    if t.is_empty() {
        Vec::new()
    } else {
        vec![t.to_string()]
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn list_editor(
    ui: &mut egui::Ui,
    label: &str,
    items: &[String],
    draft: &mut String,
    edits: &mut Vec<Edit>,
    add: impl Fn(String) -> Edit,
    remove: impl Fn(String) -> Edit,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{label}:"));
        for it in items {
            if ui
                .small_button(format!("{it} ×"))
                .on_hover_text("Remove")
                .clicked()
            {
                edits.push(remove(it.clone()));
            }
        }
        let r = ui
            .add(egui::TextEdit::singleline(draft).desired_width(160.0))
            .accessible_name(format!("Add {}", label.to_lowercase()));
        if r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && !draft.trim().is_empty() {
            edits.push(add(std::mem::take(draft).trim().to_string()));
        }
    });
}

fn followups(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let clock = app.clock;
    let mut edits = Vec::new();
    let mut error = None;
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    let c = state.detail.customer.clone();
    let f = &mut state.forms;
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
            s.forms.completing = None;
            s.forms.rescheduling = None;
        }
        if error.is_none() {
            app.edit(id, edits);
        }
    }
    if let Some(e) = error {
        app.banners.push(Banner::Error(e));
    }
}

fn activity(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let clock = app.clock;
    let mut edits = Vec::new();
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(&mut state.forms.interaction_summary)
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
                        summary: std::mem::take(&mut state.forms.interaction_summary)
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

fn deals(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let clock = app.clock;
    let mut edits = Vec::new();
    let mut error = None;
    let base = base_currency(app);
    let Some(state) = app.detail.as_mut() else {
        return;
    };
    let f = &mut state.forms;
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

fn value_panel(
    app: &mut RapportApp,
    ui: &mut egui::Ui,
    id: CustomerId,
    v: Option<&rapport_value::CustomerValue>,
) {
    let base = base_currency(app);
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
            egui::TextEdit::singleline(&mut state.forms.tier_reason)
                .hint_text("reason")
                .desired_width(140.0),
        )
        .accessible_name("Tier reason");
        for t in Tier::ALL {
            if ui.small_button(tier_text(Some(*t))).clicked() {
                edits.push(Edit::TierOverride(Some(TierOverride {
                    tier: *t,
                    reason: state.forms.tier_reason.trim().to_string(),
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

fn history(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
    let mut restore = None;
    let Some(state) = app.detail.as_ref() else {
        return;
    };
    ui.label("Every change, newest first: when, which device, what it set.");
    for h in &state.detail.history {
        ui.group(|ui| {
            ui.horizontal_wrapped(|ui| {
                ui.weak(
                    h.at.with_timezone(&Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                );
                ui.strong(h.who());
                ui.label(h.fields.join(", "));
                if let Some(a) = h.arrived_apart() {
                    ui.weak(format!(
                        "(arrived here {})",
                        a.with_timezone(&Local).format("%Y-%m-%d %H:%M")
                    ));
                }
            });
            for (k, val) in &h.values {
                ui.horizontal_wrapped(|ui| {
                    let short: String = val.chars().take(80).collect();
                    ui.label(format!("{k} = “{short}”"));
                    let current = field_value(&state.detail.customer, k);
                    if field_edit(k, String::new()).is_some()
                        && current != *val
                        && ui.small_button("Restore").clicked()
                    {
                        restore = field_edit(k, val.clone());
                    }
                });
            }
        });
    }
    if let Some(e) = restore {
        app.edit(id, vec![e]);
    }
}

/// Whether a device with role `me` may revoke one with role `them`, as the team's rules
/// allow: the owner revokes anyone, an admin members, a member nobody (a team without an
/// owner: as version 1 did).
fn may_revoke(me: Option<Role>, them: Option<Role>) -> bool {
    match (me, them) {
        (None, _) => true,
        (Some(Role::Owner), _) => them != Some(Role::Owner),
        (Some(Role::Admin), Some(Role::Member)) => true,
        _ => false,
    }
}

/// The agenda: overdue, today, this week; customers due for a revisit.
pub fn agenda(app: &mut RapportApp, ui: &mut egui::Ui) {
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

/// The value screen: tiers, Pareto curve, RFM grid, revenue over time, pipeline.
pub fn value(app: &mut RapportApp, ui: &mut egui::Ui) {
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

/// The sync screen: this device, the team, invite / join / revoke, what arrived.
pub fn sync(app: &mut RapportApp, ui: &mut egui::Ui) {
    let Some(s) = app.sync.clone() else {
        ui.label("Starting…");
        return;
    };
    egui::ScrollArea::vertical().id_salt("sync").show(ui, |ui| {
        ui.heading("This device");
        ui.label(format!("{} — {}", s.device_name, s.device_id));
        match s.role {
            Some(role) => ui.label(format!("Role in the team: {role}")),
            None if s.peers.is_empty() => ui.weak(
                "Not in a team yet: “Invite a device” starts one, with this device as its owner.",
            ),
            None => ui.weak(
                "The team has no owner yet (`rapport team create` on the device that should own it).",
            ),
        };
        ui.weak(&s.status);
        let may_admin = s.role.is_none_or(|r| r >= Role::Admin);
        ui.horizontal(|ui| {
            if ui.button("Sync now").clicked() {
                app.send(Request::SyncNow);
            }
            if may_admin && ui.button("Invite a device").clicked() {
                app.send(Request::Invite);
            }
        });
        if let Some((id, name, code)) = app.join_request.clone() {
            ui.group(|ui| {
                ui.strong(format!("{name} wants to join the team"));
                ui.label(format!(
                    "Admit it only if its screen shows the confirmation code {code} (device {}).",
                    id.chars().take(8).collect::<String>()
                ));
                ui.horizontal(|ui| {
                    if ui.button("Admit").clicked() {
                        app.send(Request::Admit(true));
                        app.join_request = None;
                    }
                    if ui.button("Refuse").clicked() {
                        app.send(Request::Admit(false));
                        app.join_request = None;
                    }
                });
            });
        }
        let mut cancel = false;
        if let Some((ticket, tex)) = app.ticket.clone() {
            ui.group(|ui| {
                ui.label(
                    "On the new device: Sync → Join, paste this ticket (valid 10 minutes, once; you will be asked to admit it):",
                );
                ui.horizontal(|ui| {
                    ui.add(egui::Label::new(RichText::new(&ticket).monospace()).wrap());
                });
                ui.horizontal(|ui| {
                    if ui.button("Copy ticket").clicked() {
                        ui.ctx().copy_text(ticket.clone());
                        app.copied = Some(ticket.clone());
                    }
                    if ui.button("Cancel invite").clicked() {
                        app.send(Request::CancelInvite);
                        cancel = true;
                    }
                });
                if let Some(t) = &tex {
                    ui.add(
                        egui::Image::new(t)
                            .fit_to_exact_size(egui::vec2(220.0, 220.0))
                            .alt_text("Invite QR code"),
                    );
                }
            });
        }
        if cancel {
            app.ticket = None;
        }
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut app.join_text)
                    .hint_text("paste a ticket (rapport1…)")
                    .desired_width(320.0),
            )
            .accessible_name("Ticket");
            if ui.button("Join").clicked() && !app.join_text.trim().is_empty() {
                let ticket = std::mem::take(&mut app.join_text).trim().to_string();
                app.send(Request::Join(ticket));
            }
        });
        ui.separator();
        ui.heading(format!("Team devices ({})", s.peers.len()));
        if s.peers.is_empty() {
            ui.weak("No other device yet: invite one.");
        }
        egui::Grid::new("peers")
            .striped(true)
            .num_columns(7)
            .show(ui, |ui| {
                for h in ["Device", "Role", "State", "Reached by", "Last sync", "Pending", ""] {
                    ui.strong(h);
                }
                ui.end_row();
                for p in &s.peers {
                    ui.label(&p.name).on_hover_text(&p.id);
                    ui.label(p.role.map(|r| r.as_str()).unwrap_or("—"));
                    // Only what this device's role allows.
                    let may_revoke = may_revoke(s.role, p.role);
                    ui.label(if p.revoked {
                        "revoked"
                    } else if p.online {
                        "online"
                    } else {
                        "offline"
                    });
                    ui.label(&p.address_kind).on_hover_text(p.addrs.join(", "));
                    ui.label(
                        p.last_synced
                            .map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
                            .unwrap_or_else(|| "never".into()),
                    )
                    .on_hover_text(p.last_error.clone().unwrap_or_default());
                    ui.label(p.pending.to_string());
                    ui.horizontal(|ui| {
                        if !p.revoked && may_revoke && ui.small_button("Revoke").clicked() {
                            app.send(Request::Revoke(p.id.clone()));
                        }
                        if ui
                            .small_button("Undo its changes…")
                            .on_hover_text(
                                "Restore every customer this device deleted or overwrote",
                            )
                            .clicked()
                        {
                            app.confirm_undo = Some(p.name.clone());
                        }
                    });
                    ui.end_row();
                }
            });
        for p in s.peers.iter().filter(|p| !p.revoked) {
            if let Some(reason) = &p.paused {
                ui.horizontal_wrapped(|ui| {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "{} sent data that was refused; sync with {} is paused ({reason}).",
                            p.name, p.name
                        ),
                    );
                    if ui
                        .button("Resume sync")
                        .on_hover_text("After you asked its person: what it sends next is checked again")
                        .clicked()
                    {
                        app.send(Request::ResumePeer(p.id.clone()));
                    }
                    if may_revoke(s.role, p.role) && ui.button("Revoke it").clicked() {
                        app.send(Request::Revoke(p.id.clone()));
                    }
                });
            } else if let Some((n, reason)) = &p.refused {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{} sent data that was refused ({n} documents kept aside; last: {reason}). Ask its person; if it is not theirs, revoke it.",
                        p.name
                    ),
                );
            }
        }
        if let Some(name) = app.confirm_undo.clone() {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "Undo every change {name} made? Deleted customers come back and overwritten fields get their earlier values; fields others changed since are kept. It is a new change, synced to the team, and history keeps both."
                    ),
                );
                if ui.button("Undo them").clicked() {
                    app.send(Request::UndoDevice(name.clone()));
                    app.confirm_undo = None;
                }
                if ui.button("Cancel").clicked() {
                    app.confirm_undo = None;
                }
            });
        }
        ui.separator();
        ui.heading("Just arrived from peers");
        if s.arrivals.is_empty() {
            ui.weak("Nothing yet.");
        }
        let mut open = None;
        for a in s.arrivals.iter().take(20) {
            ui.horizontal(|ui| {
                ui.weak(a.at.format("%H:%M:%S").to_string());
                if ui.link(&a.name).clicked() {
                    open = Some(a.customer);
                }
            });
        }
        if let Some(id) = open {
            app.switch(View::Customers);
            app.open(id);
        }
    });
}

/// Settings: device name and network, team value settings.
pub fn settings(app: &mut RapportApp, ui: &mut egui::Ui) {
    egui::ScrollArea::vertical()
        .id_salt("settings")
        .show(ui, |ui| {
            ui.heading("This device");
            if let Some(s) = app.sync.clone() {
                let mut draft = app
                    .device_name_draft
                    .take()
                    .unwrap_or_else(|| s.device_name.clone());
                ui.horizontal(|ui| {
                    let l = ui.label("Device name");
                    ui.add(egui::TextEdit::singleline(&mut draft).desired_width(200.0))
                        .labelled_by(l.id);
                    if ui.button("Rename").clicked() {
                        app.send(Request::SetDeviceName(draft.clone()));
                    }
                });
                app.device_name_draft = Some(draft);
                for (key, _, about) in rapport_sync::net::DEVICE_SETTINGS {
                    let mut on = s.device_settings.get(key).copied().unwrap_or(false);
                    if ui.checkbox(&mut on, format!("{about} ({key})")).changed() {
                        app.send(Request::SetDeviceSetting {
                            key: key.to_string(),
                            on,
                        });
                    }
                }
            }
            ui.separator();
            ui.heading("Team settings (shared by every device)");
            if let Some(e) = &app.snapshot.settings_error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            let current = app.snapshot.settings.clone();
            let defaults = app
                .snapshot
                .analysis
                .as_ref()
                .map(|a| a.settings.to_map())
                .unwrap_or_default();
            let mut keys: Vec<String> = rapport_value::KEYS
                .iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !k.contains("XXX"))
                .collect();
            keys.extend(current.keys().filter(|k| k.starts_with("rate.")).cloned());
            keys.sort();
            keys.dedup();
            let mut set = None;
            egui::Grid::new("team-settings")
                .num_columns(3)
                .show(ui, |ui| {
                    for k in &keys {
                        let about = rapport_value::KEYS
                            .iter()
                            .find(|(key, _)| key == k)
                            .map(|(_, a)| *a)
                            .unwrap_or("exchange rate into the base currency");
                        let l = ui.label(k).on_hover_text(about);
                        let draft = app.settings_drafts.entry(k.clone()).or_insert_with(|| {
                            current
                                .get(k)
                                .or_else(|| defaults.get(k))
                                .cloned()
                                .unwrap_or_default()
                        });
                        ui.add(egui::TextEdit::singleline(draft).desired_width(120.0))
                            .labelled_by(l.id);
                        if ui.small_button("Save").clicked() {
                            set = Some((k.clone(), Some(draft.trim().to_string())));
                        }
                        ui.end_row();
                    }
                });
            ui.horizontal(|ui| {
                ui.label("Add a rate:");
                let draft = app.settings_drafts.entry("new-rate".into()).or_default();
                ui.add(
                    egui::TextEdit::singleline(draft)
                        .hint_text("EUR=7.85")
                        .desired_width(120.0),
                )
                .accessible_name("New rate");
                if ui.button("Add").clicked()
                    && let Some((c, r)) = draft.split_once('=')
                {
                    set = Some((
                        format!("rate.{}", c.trim().to_uppercase()),
                        Some(r.trim().to_string()),
                    ));
                }
            });
            if let Some((k, v)) = set {
                app.settings_drafts.remove(&k);
                app.send(Request::SetSetting { key: k, value: v });
            }
        });
}

/// A bar chart of `(label, minor units)` pairs, labels on the x axis, values divided by
/// `scale` (minor units per major unit).
fn labelled_bars(
    ui: &mut egui::Ui,
    id: &str,
    name: &str,
    data: &[(String, i64)],
    scale: f64,
    color: egui::Color32,
) {
    let bars: Vec<Bar> = data
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            Bar::new(i as f64, *v as f64 / scale)
                .name(label)
                .fill(color)
        })
        .collect();
    let labels: Vec<String> = data.iter().map(|(l, _)| l.clone()).collect();
    static_plot(id)
        .x_axis_formatter(move |m, _| label_at(&labels, m.value))
        .height(200.0)
        .show(ui, |p| p.bar_chart(BarChart::new(name, bars)));
}

/// The name of the bar at integer position `x`, for an axis label ("" between bars).
fn label_at(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

/// A plot that shows, without zooming, dragging or scrolling (clicks still register).
fn static_plot<'a>(id: &str) -> Plot<'a> {
    Plot::new(id)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
}
