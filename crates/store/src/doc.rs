//! The automerge layout of one customer document, and the mapping between it and
//! [`rapport_model::Customer`].
//!
//! ```text
//! ROOT
//!   schema: 1              id: "<32 hex>"          name, kind, company, industry, address,
//!   owner, source, importance, urgency, tier_reason: str
//!   stage, referred_by, tier_override: str | null
//!   notes: Text            archived: bool          created_at, updated_at: timestamp
//!   emails, phones: [str]  tags: { tag: true }   website: str
//!   field.<field id>: str  a custom field's value (at the root, not in a map of its own, so
//!                          the first values set concurrently on a document from before
//!                          custom fields cannot put two competing maps there)
//!   deletions: { key: timestamp }     deleted iff non-empty (see below)
//!   contacts | followups | interactions | deals: { item id: { field: value } }
//! ```
//!
//! Merge rules that follow from this layout (tested in `tests/`):
//! - Different fields edited on two devices: both edits kept.
//! - The same scalar field: automerge's deterministic winner is shown on every device, and the
//!   losing value stays visible through [`conflicts`].
//! - Notes: a text CRDT; concurrent edits interleave character by character.
//! - Items (contacts, follow-ups, ...) are maps keyed by random ids, so concurrent adds never
//!   collide; editing an item writes only the fields that changed.
//! - Tags are a map used as a set: a concurrent add and remove of the same tag keeps the tag.
//! - Delete adds a fresh key to `deletions`; restore removes the keys it has seen. A delete
//!   concurrent with a restore therefore survives, and a device that never saw the delete
//!   cannot undo it by syncing older state: deletes are never silently resurrected.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{
    AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable,
};
use chrono::NaiveDate;
use rapport_model::{
    Contact, Currency, Customer, CustomerId, CustomerKind, Deal, DealStatus, Due, Edit, FollowUp,
    FollowUpKind, Importance, Interaction, InteractionKind, ItemId, LifecycleStage, Money, Tier,
    TierOverride, Timestamp, Urgency, timestamp_from_millis,
};

use crate::StoreError;

/// Root keys of custom field values start with this.
pub const FIELD_KEY: &str = "field.";

/// Layout version written at `schema`.
pub const DOC_SCHEMA: i64 = 1;

type AmResult<T> = Result<T, automerge::AutomergeError>;

fn ts(t: Timestamp) -> ScalarValue {
    ScalarValue::Timestamp(t.timestamp_millis())
}

/// Writes a fresh document holding all of `c`, as one batch of ops (an order of magnitude
/// faster than one `put` per field, which matters for imports and demo data). `doc` must be
/// empty. Reading it back with [`hydrate`] gives `c` again (a property test checks it).
pub fn create(doc: &mut AutoCommit, c: &Customer) -> AmResult<()> {
    use automerge::hydrate::{Map, Value as H};
    let enc = doc.text_encoding();
    let s = |v: &str| H::scalar(v);
    let opt = |v: Option<String>| v.map_or(H::scalar(ScalarValue::Null), H::scalar);
    let list = |v: &[String]| {
        H::List(
            v.iter()
                .map(|x| H::scalar(x.as_str()))
                .collect::<Vec<_>>()
                .into(),
        )
    };
    let map = |entries: Vec<(String, H)>| {
        H::Map(Map::from(
            entries
                .into_iter()
                .collect::<std::collections::HashMap<String, H>>(),
        ))
    };
    let tsv = |t: Timestamp| H::scalar(ts(t));
    let coll = |entries: Vec<(String, H)>| map(entries);
    let mut root: Vec<(String, H)> = vec![
        ("schema".into(), H::scalar(DOC_SCHEMA)),
        ("id".into(), s(&c.id.to_string())),
        ("created_at".into(), tsv(c.created_at)),
        ("updated_at".into(), tsv(c.updated_at)),
        ("name".into(), s(c.name.trim())),
        ("kind".into(), s(c.kind.as_str())),
        ("company".into(), s(c.company.trim())),
        ("industry".into(), s(c.industry.trim())),
        ("address".into(), s(&c.address)),
        ("website".into(), s(c.website.trim())),
        ("owner".into(), s(c.owner.trim())),
        ("source".into(), s(c.source.trim())),
        ("importance".into(), s(c.importance.as_str())),
        ("urgency".into(), s(c.urgency.as_str())),
        ("stage".into(), opt(c.stage.map(|x| x.as_str().to_string()))),
        (
            "referred_by".into(),
            opt(c.referred_by.map(|r| r.to_string())),
        ),
        (
            "tier_override".into(),
            opt(c
                .tier_override
                .as_ref()
                .map(|o| o.tier.as_str().to_string())),
        ),
        (
            "tier_reason".into(),
            s(c.tier_override.as_ref().map_or("", |o| o.reason.trim())),
        ),
        ("archived".into(), H::scalar(c.archived)),
        ("notes".into(), H::text(enc, &c.notes)),
        ("emails".into(), list(&c.emails)),
        ("phones".into(), list(&c.phones)),
        (
            "tags".into(),
            coll(
                c.tags
                    .iter()
                    .map(|t| (rapport_model::text::fold(t), H::scalar(true)))
                    .collect(),
            ),
        ),
        (
            "deletions".into(),
            coll(
                c.deleted_at
                    .map(|t| (ItemId::new().to_string(), tsv(t)))
                    .into_iter()
                    .collect(),
            ),
        ),
        (
            "contacts".into(),
            coll(
                c.contacts
                    .iter()
                    .map(|(id, k)| {
                        (
                            id.to_string(),
                            map(vec![
                                ("name".into(), s(k.name.trim())),
                                ("title".into(), s(k.title.trim())),
                                ("phones".into(), list(&k.phones)),
                                ("emails".into(), list(&k.emails)),
                                ("handles".into(), list(&k.handles)),
                                ("birthday".into(), opt(k.birthday.map(date_str))),
                                ("notes".into(), s(&k.notes)),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "followups".into(),
            coll(
                c.followups
                    .iter()
                    .map(|(id, f)| {
                        (
                            id.to_string(),
                            map(vec![
                                ("due".into(), s(&f.due.to_string())),
                                ("kind".into(), s(f.kind.as_str())),
                                ("subject".into(), s(f.subject.trim())),
                                ("assignee".into(), s(f.assignee.trim())),
                                (
                                    "done_at".into(),
                                    f.done_at.map_or(H::scalar(ScalarValue::Null), tsv),
                                ),
                                ("outcome".into(), s(&f.outcome)),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "interactions".into(),
            coll(
                c.interactions
                    .iter()
                    .map(|(id, i)| {
                        (
                            id.to_string(),
                            map(vec![
                                ("at".into(), tsv(i.at)),
                                ("kind".into(), s(i.kind.as_str())),
                                ("summary".into(), s(i.summary.trim())),
                                ("outcome".into(), s(&i.outcome)),
                                ("by".into(), s(i.by.trim())),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
        (
            "deals".into(),
            coll(
                c.deals
                    .iter()
                    .map(|(id, d)| {
                        (
                            id.to_string(),
                            map(vec![
                                ("title".into(), s(d.title.trim())),
                                ("amount".into(), H::scalar(d.amount.minor)),
                                ("currency".into(), s(d.amount.currency.code())),
                                ("status".into(), s(d.status.as_str())),
                                ("date".into(), s(&date_str(d.date))),
                                ("probability".into(), H::scalar(i64::from(d.probability))),
                            ]),
                        )
                    })
                    .collect(),
            ),
        ),
    ];
    root.extend(
        c.fields
            .iter()
            .map(|(id, v)| (format!("{FIELD_KEY}{id}"), s(v.trim()))),
    );
    let root = Map::from(
        root.into_iter()
            .collect::<std::collections::HashMap<String, H>>(),
    );
    doc.init_root_from_hydrate(&root)
}

/// The object at `key` of `parent`, created with `ty` if missing (or of another type).
fn obj(doc: &mut AutoCommit, parent: &ObjId, key: &str, ty: ObjType) -> AmResult<ObjId> {
    if let Some((Value::Object(t), id)) = doc.get(parent, key)?
        && t == ty
    {
        return Ok(id);
    }
    doc.put_object(parent, key, ty)
}

fn get_obj(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(_), id))) => Some(id),
        _ => None,
    }
}

fn get_str(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<String> {
    match doc.get(parent, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Ok(Some((Value::Object(ObjType::Text), id))) => doc.text(&id).ok(),
        _ => None,
    }
}

fn get_i64(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<i64> {
    match doc.get(parent, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Some(*i),
            ScalarValue::Uint(u) => i64::try_from(*u).ok(),
            _ => None,
        },
        _ => None,
    }
}

fn get_bool(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<bool> {
    match doc.get(parent, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Boolean(b) => Some(*b),
            _ => None,
        },
        _ => None,
    }
}

fn get_list(doc: &AutoCommit, parent: &ObjId, key: &str) -> Vec<String> {
    let Some(list) = get_obj(doc, parent, key) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for i in 0..doc.length(&list) {
        if let Ok(Some((Value::Scalar(s), _))) = doc.get(&list, i)
            && let ScalarValue::Str(s) = s.as_ref()
            && !out.iter().any(|x| x == s.as_str())
        {
            out.push(s.to_string());
        }
    }
    out
}

/// Whether two devices set `key` concurrently and both values are still there.
fn in_conflict(doc: &AutoCommit, parent: &ObjId, key: &str) -> bool {
    doc.get_all(parent, key).is_ok_and(|v| v.len() > 1)
}

/// Puts `value` at `key` only if it differs from what is there or the key is in conflict, so
/// an unchanged field makes no op (and cannot win a conflict it was not part of), while
/// setting a conflicted field, even to the value shown, resolves the conflict.
fn put_str(doc: &mut AutoCommit, parent: &ObjId, key: &str, value: &str) -> AmResult<()> {
    if get_str(doc, parent, key).as_deref() != Some(value) || in_conflict(doc, parent, key) {
        doc.put(parent, key, value)?;
    }
    Ok(())
}

fn put_opt_str(
    doc: &mut AutoCommit,
    parent: &ObjId,
    key: &str,
    value: Option<&str>,
) -> AmResult<()> {
    match value {
        Some(v) => put_str(doc, parent, key, v),
        None => {
            let is_null =
                matches!(doc.get(parent, key)?, Some((Value::Scalar(s), _)) if s.is_null());
            if !is_null || in_conflict(doc, parent, key) {
                doc.put(parent, key, ScalarValue::Null)?;
            }
            Ok(())
        }
    }
}

fn put_i64(doc: &mut AutoCommit, parent: &ObjId, key: &str, value: i64) -> AmResult<()> {
    if get_i64(doc, parent, key) != Some(value) || in_conflict(doc, parent, key) {
        doc.put(parent, key, value)?;
    }
    Ok(())
}

fn put_opt_ts(
    doc: &mut AutoCommit,
    parent: &ObjId,
    key: &str,
    value: Option<Timestamp>,
) -> AmResult<()> {
    match value {
        Some(t) => {
            if get_i64(doc, parent, key) != Some(t.timestamp_millis())
                || in_conflict(doc, parent, key)
            {
                doc.put(parent, key, ts(t))?;
            }
            Ok(())
        }
        None => put_opt_str(doc, parent, key, None),
    }
}

/// Replaces a list's content if it differs.
fn put_list(doc: &mut AutoCommit, parent: &ObjId, key: &str, values: &[String]) -> AmResult<()> {
    if get_list(doc, parent, key) == values {
        return Ok(());
    }
    let list = obj(doc, parent, key, ObjType::List)?;
    for i in (0..doc.length(&list)).rev() {
        doc.delete(&list, i)?;
    }
    for (i, v) in values.iter().enumerate() {
        doc.insert(&list, i, v.as_str())?;
    }
    Ok(())
}

fn list_add(doc: &mut AutoCommit, key: &str, value: &str) -> AmResult<()> {
    if get_list(doc, &ROOT, key).iter().any(|x| x == value) {
        return Ok(());
    }
    let list = obj(doc, &ROOT, key, ObjType::List)?;
    let len = doc.length(&list);
    doc.insert(&list, len, value)?;
    Ok(())
}

fn list_remove(doc: &mut AutoCommit, key: &str, value: &str) -> AmResult<()> {
    let Some(list) = get_obj(doc, &ROOT, key) else {
        return Ok(());
    };
    for i in (0..doc.length(&list)).rev() {
        if let Some((Value::Scalar(s), _)) = doc.get(&list, i)?
            && matches!(s.as_ref(), ScalarValue::Str(x) if x.as_str() == value)
        {
            doc.delete(&list, i)?;
        }
    }
    Ok(())
}

fn item(doc: &mut AutoCommit, coll: &str, id: ItemId) -> AmResult<ObjId> {
    let map = obj(doc, &ROOT, coll, ObjType::Map)?;
    obj(doc, &map, &id.to_string(), ObjType::Map)
}

fn remove_item(doc: &mut AutoCommit, coll: &str, id: ItemId) -> AmResult<()> {
    if let Some(map) = get_obj(doc, &ROOT, coll) {
        let key = id.to_string();
        if doc.get(&map, key.as_str())?.is_some() {
            doc.delete(&map, key.as_str())?;
        }
    }
    Ok(())
}

fn date_str(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Applies validated edits to the document. `now` stamps deletions.
pub fn apply(doc: &mut AutoCommit, edits: &[Edit], now: Timestamp) -> AmResult<()> {
    for e in edits {
        match e {
            Edit::Name(s) => put_str(doc, &ROOT, "name", s.trim())?,
            Edit::Kind(k) => put_str(doc, &ROOT, "kind", k.as_str())?,
            Edit::Company(s) => put_str(doc, &ROOT, "company", s.trim())?,
            Edit::Industry(s) => put_str(doc, &ROOT, "industry", s.trim())?,
            Edit::Address(s) => put_str(doc, &ROOT, "address", s)?,
            Edit::Website(s) => put_str(doc, &ROOT, "website", s.trim())?,
            Edit::SetField(id, v) => {
                let key = format!("{FIELD_KEY}{id}");
                match v {
                    Some(v) => put_str(doc, &ROOT, &key, v.trim())?,
                    None => {
                        if doc.get(&ROOT, key.as_str())?.is_some() {
                            doc.delete(&ROOT, key.as_str())?;
                        }
                    }
                }
            }
            Edit::Owner(s) => put_str(doc, &ROOT, "owner", s.trim())?,
            Edit::Source(s) => put_str(doc, &ROOT, "source", s.trim())?,
            Edit::Notes(s) => {
                let notes = obj(doc, &ROOT, "notes", ObjType::Text)?;
                doc.update_text(&notes, s)?;
            }
            Edit::Stage(s) => put_opt_str(doc, &ROOT, "stage", s.map(LifecycleStage::as_str))?,
            Edit::Importance(i) => put_str(doc, &ROOT, "importance", i.as_str())?,
            Edit::Urgency(u) => put_str(doc, &ROOT, "urgency", u.as_str())?,
            Edit::ReferredBy(r) => put_opt_str(
                doc,
                &ROOT,
                "referred_by",
                r.map(|r| r.to_string()).as_deref(),
            )?,
            Edit::TierOverride(o) => {
                put_opt_str(
                    doc,
                    &ROOT,
                    "tier_override",
                    o.as_ref().map(|o| o.tier.as_str()),
                )?;
                put_str(
                    doc,
                    &ROOT,
                    "tier_reason",
                    o.as_ref().map_or("", |o| o.reason.trim()),
                )?;
            }
            Edit::AddTag(t) => {
                let tags = obj(doc, &ROOT, "tags", ObjType::Map)?;
                let t = rapport_model::text::fold(t);
                if doc.get(&tags, t.as_str())?.is_none() {
                    doc.put(&tags, t.as_str(), true)?;
                }
            }
            Edit::RemoveTag(t) => {
                if let Some(tags) = get_obj(doc, &ROOT, "tags") {
                    let t = rapport_model::text::fold(t);
                    if doc.get(&tags, t.as_str())?.is_some() {
                        doc.delete(&tags, t.as_str())?;
                    }
                }
            }
            Edit::AddEmail(s) => list_add(doc, "emails", s.trim())?,
            Edit::RemoveEmail(s) => list_remove(doc, "emails", s.trim())?,
            Edit::AddPhone(s) => list_add(doc, "phones", s.trim())?,
            Edit::RemovePhone(s) => list_remove(doc, "phones", s.trim())?,
            Edit::Archive(a) => {
                if get_bool(doc, &ROOT, "archived") != Some(*a)
                    || in_conflict(doc, &ROOT, "archived")
                {
                    doc.put(ROOT, "archived", *a)?;
                }
            }
            Edit::Delete => {
                let dels = obj(doc, &ROOT, "deletions", ObjType::Map)?;
                if doc.length(&dels) == 0 {
                    doc.put(&dels, ItemId::new().to_string(), ts(now))?;
                }
            }
            Edit::Restore => {
                if let Some(dels) = get_obj(doc, &ROOT, "deletions") {
                    let keys: Vec<String> = doc.keys(&dels).collect();
                    for k in keys {
                        doc.delete(&dels, k.as_str())?;
                    }
                }
            }
            Edit::PutContact(id, c) => {
                let o = item(doc, "contacts", *id)?;
                put_str(doc, &o, "name", c.name.trim())?;
                put_str(doc, &o, "title", c.title.trim())?;
                put_list(doc, &o, "phones", &c.phones)?;
                put_list(doc, &o, "emails", &c.emails)?;
                put_list(doc, &o, "handles", &c.handles)?;
                put_opt_str(doc, &o, "birthday", c.birthday.map(date_str).as_deref())?;
                put_str(doc, &o, "notes", &c.notes)?;
            }
            Edit::RemoveContact(id) => remove_item(doc, "contacts", *id)?,
            Edit::PutFollowUp(id, f) => {
                let o = item(doc, "followups", *id)?;
                put_str(doc, &o, "due", &f.due.to_string())?;
                put_str(doc, &o, "kind", f.kind.as_str())?;
                put_str(doc, &o, "subject", f.subject.trim())?;
                put_str(doc, &o, "assignee", f.assignee.trim())?;
                put_opt_ts(doc, &o, "done_at", f.done_at)?;
                put_str(doc, &o, "outcome", &f.outcome)?;
            }
            Edit::CompleteFollowUp { id, at, outcome } => {
                let o = item(doc, "followups", *id)?;
                put_opt_ts(doc, &o, "done_at", Some(*at))?;
                put_str(doc, &o, "outcome", outcome)?;
            }
            Edit::RemoveFollowUp(id) => remove_item(doc, "followups", *id)?,
            Edit::LogInteraction(id, i) => {
                let o = item(doc, "interactions", *id)?;
                put_opt_ts(doc, &o, "at", Some(i.at))?;
                put_str(doc, &o, "kind", i.kind.as_str())?;
                put_str(doc, &o, "summary", i.summary.trim())?;
                put_str(doc, &o, "outcome", &i.outcome)?;
                put_str(doc, &o, "by", i.by.trim())?;
            }
            Edit::PutDeal(id, d) => {
                let o = item(doc, "deals", *id)?;
                put_str(doc, &o, "title", d.title.trim())?;
                put_i64(doc, &o, "amount", d.amount.minor)?;
                put_str(doc, &o, "currency", d.amount.currency.code())?;
                put_str(doc, &o, "status", d.status.as_str())?;
                put_str(doc, &o, "date", &date_str(d.date))?;
                put_i64(doc, &o, "probability", i64::from(d.probability))?;
            }
            Edit::RemoveDeal(id) => remove_item(doc, "deals", *id)?,
        }
    }
    Ok(())
}

/// Stamps `updated_at`.
pub fn touch(doc: &mut AutoCommit, now: Timestamp) -> AmResult<()> {
    doc.put(ROOT, "updated_at", ts(now))?;
    Ok(())
}

fn parse_or<T: Copy>(s: Option<String>, parse: impl Fn(&str) -> Option<T>, default: T) -> T {
    s.as_deref().and_then(parse).unwrap_or(default)
}

use automerge::hydrate::{Map as HMap, Value as HValue};

/// Readers over one bulk-hydrated map (a single pass over the document, about 3x faster than
/// one `get` per field).
fn h_str(m: &HMap, key: &str) -> Option<String> {
    match m.get(key)? {
        HValue::Scalar(ScalarValue::Str(s)) => Some(s.to_string()),
        HValue::Text(t) => Some(String::from(t)),
        _ => None,
    }
}

fn h_i64(m: &HMap, key: &str) -> Option<i64> {
    match m.get(key)? {
        HValue::Scalar(ScalarValue::Int(i) | ScalarValue::Timestamp(i)) => Some(*i),
        HValue::Scalar(ScalarValue::Uint(u)) => i64::try_from(*u).ok(),
        _ => None,
    }
}

fn h_bool(m: &HMap, key: &str) -> Option<bool> {
    match m.get(key)? {
        HValue::Scalar(ScalarValue::Boolean(b)) => Some(*b),
        _ => None,
    }
}

fn h_ts(m: &HMap, key: &str) -> Option<Timestamp> {
    h_i64(m, key).map(timestamp_from_millis)
}

fn h_map<'a>(m: &'a HMap, key: &str) -> Option<&'a HMap> {
    match m.get(key)? {
        HValue::Map(x) => Some(x),
        _ => None,
    }
}

fn h_list(m: &HMap, key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(HValue::List(list)) = m.get(key) {
        for item in list.iter() {
            if let HValue::Scalar(ScalarValue::Str(s)) = &item.value
                && !out.iter().any(|x| x == s.as_str())
            {
                out.push(s.to_string());
            }
        }
    }
    out
}

fn h_items<T>(
    root: &HMap,
    coll: &str,
    what: &'static str,
    read: impl Fn(&HMap) -> Option<T>,
) -> BTreeMap<ItemId, T> {
    let mut out = BTreeMap::new();
    let Some(map) = h_map(root, coll) else {
        return out;
    };
    for (key, v) in map.iter() {
        let parsed = match (&v.value, key.parse::<ItemId>()) {
            (HValue::Map(o), Ok(id)) => read(o).map(|x| (id, x)),
            _ => None,
        };
        match parsed {
            Some((id, x)) => {
                out.insert(id, x);
            }
            None => tracing::warn!(item = %key, "skipping malformed {what} in document"),
        }
    }
    out
}

/// Reads the customer out of the document. Tolerant: a field of the wrong type reads as its
/// default and a malformed item is skipped (with a warning), so a broken or hostile peer's
/// document can never crash the reader. A missing or mismatched `id` is an error, and so is
/// nesting or an object count beyond [`crate::limits`] (checked first, without recursion).
pub fn hydrate(doc: &AutoCommit, expect: CustomerId) -> Result<Customer, StoreError> {
    let bad = |reason: String| StoreError::BadDocument { id: expect, reason };
    // automerge's hydrate recurses once per level of nesting: bound the nesting first, with a
    // walk that does not recurse, so no document can overflow the stack.
    crate::limits::check_shape(doc).map_err(|e| bad(format!("refused: {e}")))?;
    let root = match doc.hydrate(&ROOT, None) {
        Ok(HValue::Map(m)) => m,
        Ok(_) => return Err(bad("root is not a map".into())),
        Err(e) => return Err(bad(format!("does not read: {e}"))),
    };
    let r = &root;
    let id = h_str(r, "id")
        .and_then(|s| s.parse::<CustomerId>().ok())
        .ok_or_else(|| bad("missing or malformed `id`".into()))?;
    if id != expect {
        return Err(bad(format!("document says it is customer {id}")));
    }
    let created_at = h_ts(r, "created_at").unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let mut c = Customer::new(
        id,
        h_str(r, "name").unwrap_or_default(),
        parse_or(
            h_str(r, "kind"),
            |s| CustomerKind::parse(s).ok(),
            CustomerKind::Company,
        ),
        created_at,
    );
    c.updated_at = h_ts(r, "updated_at").unwrap_or(created_at);
    c.company = h_str(r, "company").unwrap_or_default();
    c.industry = h_str(r, "industry").unwrap_or_default();
    c.address = h_str(r, "address").unwrap_or_default();
    c.website = h_str(r, "website").unwrap_or_default();
    c.fields = r
        .iter()
        .filter_map(|(k, _)| {
            let id = k.strip_prefix(FIELD_KEY)?;
            rapport_model::fields::check_field_id(id).ok()?;
            Some((id.to_string(), h_str(r, k)?))
        })
        .collect();
    c.owner = h_str(r, "owner").unwrap_or_default();
    c.source = h_str(r, "source").unwrap_or_default();
    c.notes = h_str(r, "notes").unwrap_or_default();
    c.emails = h_list(r, "emails");
    c.phones = h_list(r, "phones");
    c.stage = h_str(r, "stage").and_then(|s| LifecycleStage::parse(&s).ok());
    c.importance = parse_or(
        h_str(r, "importance"),
        |s| Importance::parse(s).ok(),
        Importance::default(),
    );
    c.urgency = parse_or(
        h_str(r, "urgency"),
        |s| Urgency::parse(s).ok(),
        Urgency::default(),
    );
    c.referred_by = h_str(r, "referred_by").and_then(|s| s.parse().ok());
    c.tier_override = h_str(r, "tier_override")
        .and_then(|t| Tier::parse(&t).ok())
        .map(|tier| TierOverride {
            tier,
            reason: h_str(r, "tier_reason").unwrap_or_default(),
        });
    c.archived = h_bool(r, "archived").unwrap_or(false);
    c.tags = h_map(r, "tags")
        .map(|t| {
            t.iter()
                .map(|(k, _)| k.clone())
                .collect::<BTreeSet<String>>()
        })
        .unwrap_or_default();
    c.deleted_at = h_map(r, "deletions").and_then(|d| {
        d.iter()
            .filter_map(|(_, v)| match v.value {
                HValue::Scalar(ScalarValue::Timestamp(t) | ScalarValue::Int(t)) => {
                    Some(timestamp_from_millis(t))
                }
                _ => None,
            })
            .min()
    });
    c.contacts = h_items(r, "contacts", "contact", |o| {
        Some(Contact {
            name: h_str(o, "name")?,
            title: h_str(o, "title").unwrap_or_default(),
            phones: h_list(o, "phones"),
            emails: h_list(o, "emails"),
            handles: h_list(o, "handles"),
            birthday: h_str(o, "birthday")
                .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()),
            notes: h_str(o, "notes").unwrap_or_default(),
        })
    });
    c.followups = h_items(r, "followups", "follow-up", |o| {
        Some(FollowUp {
            due: Due::parse(&h_str(o, "due")?, "due").ok()?,
            kind: parse_or(
                h_str(o, "kind"),
                |s| FollowUpKind::parse(s).ok(),
                FollowUpKind::Other,
            ),
            subject: h_str(o, "subject").unwrap_or_default(),
            assignee: h_str(o, "assignee").unwrap_or_default(),
            done_at: h_ts(o, "done_at"),
            outcome: h_str(o, "outcome").unwrap_or_default(),
        })
    });
    c.interactions = h_items(r, "interactions", "interaction", |o| {
        Some(Interaction {
            at: h_ts(o, "at")?,
            kind: parse_or(
                h_str(o, "kind"),
                |s| InteractionKind::parse(s).ok(),
                InteractionKind::Other,
            ),
            summary: h_str(o, "summary").unwrap_or_default(),
            outcome: h_str(o, "outcome").unwrap_or_default(),
            by: h_str(o, "by").unwrap_or_default(),
        })
    });
    c.deals = h_items(r, "deals", "deal", |o| {
        let minor = h_i64(o, "amount").filter(|m| *m >= 0)?;
        let currency = Currency::parse(&h_str(o, "currency")?, "currency").ok()?;
        Some(Deal {
            title: h_str(o, "title").unwrap_or_default(),
            amount: Money { minor, currency },
            status: DealStatus::parse(&h_str(o, "status")?).ok()?,
            date: NaiveDate::parse_from_str(&h_str(o, "date")?, "%Y-%m-%d").ok()?,
            probability: h_i64(o, "probability")
                .and_then(|p| u8::try_from(p).ok())
                .filter(|p| *p <= 100)
                .unwrap_or(0),
        })
    });
    Ok(c)
}

/// Scalar top-level fields that two devices set concurrently: field → every value, winner
/// first.
pub fn conflicts(doc: &AutoCommit) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for key in doc.keys(ROOT).collect::<Vec<_>>() {
        if let Ok(values) = doc.get_all(ROOT, key.as_str())
            && values.len() > 1
        {
            let winner = doc.get(ROOT, key.as_str()).ok().flatten().map(|(_, id)| id);
            let mut vals: Vec<(bool, String)> = values
                .iter()
                .map(|(v, id)| (Some(id) != winner.as_ref(), render(v)))
                .collect();
            vals.sort();
            out.insert(key, vals.into_iter().map(|(_, v)| v).collect());
        }
    }
    out
}

/// A short text rendering of a value for history and conflicts.
pub fn render(v: &Value<'_>) -> String {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Null => "(none)".to_string(),
            ScalarValue::Timestamp(t) => timestamp_from_millis(*t).to_rfc3339(),
            other => other.to_string(),
        },
        Value::Object(t) => format!("({t:?})"),
    }
}
