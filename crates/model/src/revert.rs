//! The edits that turn one version of a customer into another, field by field: what "undo
//! what that device did" applies on top of the current document (so the undo is an ordinary,
//! mergeable change that syncs, and history keeps both).

use std::collections::BTreeSet;

use crate::{Customer, Edit};

/// Every field label [`edits_between`] knows.
pub const FIELDS: &[&str] = &[
    "deleted",
    "name",
    "kind",
    "company",
    "industry",
    "address",
    "website",
    "fields",
    "owner",
    "source",
    "notes",
    "stage",
    "importance",
    "urgency",
    "referred_by",
    "tier_override",
    "archived",
    "tags",
    "emails",
    "phones",
    "contacts",
    "followups",
    "deals",
    "interactions",
];

/// The edits that make `from` equal to `to` in the fields named in `fields` (the labels of
/// [`Edit::label`]: `name`, `notes`, `contacts`, `deleted`, ...). Un-deleting comes first and
/// deleting last, so the list applies in one step. Interactions that `to` lacks cannot be
/// removed (the log is append-only); they are left.
pub fn edits_between(from: &Customer, to: &Customer, fields: &BTreeSet<&str>) -> Vec<Edit> {
    let mut out = Vec::new();
    let want = |f: &str| fields.contains(f);
    if want("deleted") && from.deleted_at.is_some() && to.deleted_at.is_none() {
        out.push(Edit::Restore);
    }
    macro_rules! scalar {
        ($label:literal, $field:ident, $edit:expr) => {
            if want($label) && from.$field != to.$field {
                out.push($edit(to.$field.clone()));
            }
        };
    }
    scalar!("name", name, Edit::Name);
    scalar!("kind", kind, Edit::Kind);
    scalar!("company", company, Edit::Company);
    scalar!("industry", industry, Edit::Industry);
    scalar!("address", address, Edit::Address);
    scalar!("website", website, Edit::Website);
    if want("fields") {
        for id in from.fields.keys().filter(|k| !to.fields.contains_key(*k)) {
            out.push(Edit::SetField(id.clone(), None));
        }
        for (id, v) in &to.fields {
            if from.fields.get(id) != Some(v) {
                out.push(Edit::SetField(id.clone(), Some(v.clone())));
            }
        }
    }
    scalar!("owner", owner, Edit::Owner);
    scalar!("source", source, Edit::Source);
    scalar!("notes", notes, Edit::Notes);
    scalar!("stage", stage, Edit::Stage);
    scalar!("importance", importance, Edit::Importance);
    scalar!("urgency", urgency, Edit::Urgency);
    scalar!("referred_by", referred_by, Edit::ReferredBy);
    scalar!("tier_override", tier_override, Edit::TierOverride);
    scalar!("archived", archived, Edit::Archive);
    if want("tags") {
        out.extend(from.tags.difference(&to.tags).cloned().map(Edit::RemoveTag));
        out.extend(to.tags.difference(&from.tags).cloned().map(Edit::AddTag));
    }
    let lists = [
        (
            "emails",
            &from.emails,
            &to.emails,
            Edit::RemoveEmail as fn(String) -> Edit,
            Edit::AddEmail as fn(String) -> Edit,
        ),
        (
            "phones",
            &from.phones,
            &to.phones,
            Edit::RemovePhone,
            Edit::AddPhone,
        ),
    ];
    for (label, a, b, remove, add) in lists {
        if want(label) {
            out.extend(a.iter().filter(|x| !b.contains(x)).cloned().map(remove));
            out.extend(b.iter().filter(|x| !a.contains(x)).cloned().map(add));
        }
    }
    if want("contacts") {
        for id in from
            .contacts
            .keys()
            .filter(|k| !to.contacts.contains_key(k))
        {
            out.push(Edit::RemoveContact(*id));
        }
        for (id, c) in &to.contacts {
            if from.contacts.get(id) != Some(c) {
                out.push(Edit::PutContact(*id, c.clone()));
            }
        }
    }
    if want("followups") {
        for id in from
            .followups
            .keys()
            .filter(|k| !to.followups.contains_key(k))
        {
            out.push(Edit::RemoveFollowUp(*id));
        }
        for (id, f) in &to.followups {
            if from.followups.get(id) != Some(f) {
                out.push(Edit::PutFollowUp(*id, f.clone()));
            }
        }
    }
    if want("deals") {
        for id in from.deals.keys().filter(|k| !to.deals.contains_key(k)) {
            out.push(Edit::RemoveDeal(*id));
        }
        for (id, d) in &to.deals {
            if from.deals.get(id) != Some(d) {
                out.push(Edit::PutDeal(*id, d.clone()));
            }
        }
    }
    if want("interactions") {
        for (id, i) in &to.interactions {
            if from.interactions.get(id) != Some(i) {
                out.push(Edit::LogInteraction(*id, i.clone()));
            }
        }
    }
    if want("deleted") && from.deleted_at.is_none() && to.deleted_at.is_some() {
        out.push(Edit::Delete);
    }
    out
}
