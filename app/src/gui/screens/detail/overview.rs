//! The overview tab: the customer's text fields (saved when a field loses focus), stage,
//! kind, importance and urgency, referrer, tags, emails and phones, contacts (add, edit,
//! remove), archive and delete.

use egui::{Key, RichText};
use rapport_model::{
    Contact, CustomerId, CustomerKind, Edit, Importance, ItemId, LifecycleStage, Urgency,
};

use super::{FIELDS, field_edit};
use crate::gui::RapportApp;
use crate::gui::widgets::{combo, list_editor};

/// What is being typed in the overview tab.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    /// Contact being edited: name, title, phones and emails (comma-separated).
    pub editing_contact: Option<(ItemId, (String, String, String, String))>,
    pub tag: String,
    pub email: String,
    pub phone: String,
    /// Custom field values being typed, by field id: (draft, value when typing began).
    pub fields: std::collections::BTreeMap<String, (String, String)>,
    /// Why the last custom field value was refused (field name, reason).
    pub field_error: Option<(String, String)>,
}

pub(super) fn show(app: &mut RapportApp, ui: &mut egui::Ui, id: CustomerId) {
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
    custom_fields(ui, state, &mut edits);
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
            egui::TextEdit::singleline(&mut state.forms.overview.tag)
                .hint_text("add tag")
                .desired_width(100.0),
        );
        let r = r.accessible_name("Add tag");
        if r.lost_focus()
            && ui.input(|i| i.key_pressed(Key::Enter))
            && !state.forms.overview.tag.trim().is_empty()
        {
            edits.push(Edit::AddTag(std::mem::take(&mut state.forms.overview.tag)));
        }
    });
    list_editor(
        ui,
        "Emails",
        &c.emails,
        &mut state.forms.overview.email,
        &mut edits,
        Edit::AddEmail,
        Edit::RemoveEmail,
    );
    let region = state.detail.region;
    let phones: Vec<String> = c
        .phones
        .iter()
        .map(|p| rapport_model::phone::display(p, region))
        .collect();
    let before = edits.len();
    list_editor(
        ui,
        "Phones",
        &phones,
        &mut state.forms.overview.phone,
        &mut edits,
        Edit::AddPhone,
        Edit::RemovePhone,
    );
    // A phone is removed as it is stored, whatever style it is shown in.
    for e in &mut edits[before..] {
        if let Edit::RemovePhone(shown) = e
            && let Some(i) = phones.iter().position(|p| p == shown)
            && let Some(stored) = c.phones.get(i)
        {
            *shown = stored.clone();
        }
    }
    ui.separator();
    ui.strong(format!("Contacts ({})", c.contacts.len()));
    for (cid, ct) in &c.contacts {
        // A contact being edited: its fields as text, saved as one change.
        if let Some((eid, draft)) = state.forms.overview.editing_contact.as_mut()
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
                state.forms.overview.editing_contact = None;
            }
            continue;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&ct.name).strong());
            if !ct.title.is_empty() {
                ui.label(&ct.title);
            }
            for p in &ct.phones {
                ui.label(rapport_model::phone::display(p, region));
            }
            for e in &ct.emails {
                ui.label(e);
            }
            if ui.small_button("Edit").clicked() {
                state.forms.overview.editing_contact = Some((
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
        let f = &mut state.forms.overview;
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

/// The team's custom fields: a text box per field (a drop-down for a choice or yes/no),
/// saved when it loses focus; a value its kind refuses is not sent and the reason is shown.
fn custom_fields(ui: &mut egui::Ui, state: &mut super::DetailState, edits: &mut Vec<Edit>) {
    if state.detail.fields.is_empty() {
        return;
    }
    let form = &mut state.forms.overview;
    let currency = state.detail.currency;
    ui.separator();
    ui.strong("Custom fields");
    egui::Grid::new("custom fields")
        .num_columns(2)
        .show(ui, |ui| {
            for (def, value) in &state.detail.fields {
                let label = ui.label(&def.name);
                let now = value.clone().unwrap_or_default();
                match def.kind {
                    rapport_model::FieldKind::Choice | rapport_model::FieldKind::YesNo => {
                        let options: Vec<String> = if def.kind == rapport_model::FieldKind::YesNo {
                            vec!["yes".into(), "no".into()]
                        } else {
                            def.options.clone()
                        };
                        let mut picked = value.clone();
                        egui::ComboBox::from_id_salt(("field", &def.id))
                            .selected_text(picked.clone().unwrap_or_else(|| "—".into()))
                            .show_ui(ui, |ui| {
                                ui.selectable_value(&mut picked, None, "—");
                                for o in &options {
                                    ui.selectable_value(&mut picked, Some(o.clone()), o);
                                }
                            });
                        if picked != *value {
                            edits.push(Edit::SetField(def.id.clone(), picked));
                        }
                    }
                    _ => {
                        let entry = form
                            .fields
                            .entry(def.id.clone())
                            .or_insert_with(|| (now.clone(), now.clone()));
                        // The value changed underneath (sync, another window) while not typing.
                        if entry.0 == entry.1 && entry.1 != now {
                            *entry = (now.clone(), now.clone());
                        }
                        let hint = match def.kind {
                            rapport_model::FieldKind::Date => "YYYY-MM-DD",
                            rapport_model::FieldKind::Money => "1200 or 1200.50 EUR",
                            rapport_model::FieldKind::Number => "a number",
                            _ => "",
                        };
                        let r = ui
                            .add(egui::TextEdit::singleline(&mut entry.0).hint_text(hint))
                            .labelled_by(label.id);
                        if r.lost_focus() && entry.0 != entry.1 {
                            match def.parse(&entry.0, currency) {
                                Ok(v) => {
                                    edits.push(Edit::SetField(def.id.clone(), v));
                                    form.field_error = None;
                                    entry.1 = entry.0.clone();
                                }
                                Err(e) => {
                                    form.field_error = Some((def.name.clone(), e.to_string()));
                                }
                            }
                        }
                    }
                }
                ui.end_row();
            }
        });
    if let Some((name, why)) = &form.field_error {
        ui.colored_label(ui.visuals().error_fg_color, format!("{name}: {why}"));
    }
}
