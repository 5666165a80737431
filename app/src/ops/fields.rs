//! Custom fields and phone numbers as the team set them up: defining, renaming, removing and
//! restoring fields (definitions are team settings, `field.<id>`), turning `FIELD=VALUE`
//! assignments into edits, and the team's phone region (`phone.region`) that phone numbers
//! are stored and shown by.
//!
//! Invariants: a definition is written only after it checks ([`FieldDef::check`]); two fields
//! in use never share a name (folded); removing a field keeps its values in every document,
//! and restoring it shows them again; a value is stored only as its kind's canonical text.

use anyhow::{Result, anyhow, bail};
use rapport_model::phone::{self, Region};
use rapport_model::{Currency, Customer, Edit, FieldDef, FieldKind, Fields};
use rapport_store::Store;

/// The setting that names the team's default phone region.
pub const PHONE_REGION_KEY: &str = "phone.region";

/// The team's field definitions (removed ones included).
pub fn fields(store: &Store) -> Result<Fields> {
    Ok(Fields::from_settings(&store.settings()?))
}

/// The team's default phone region, if set (a damaged value counts as none).
pub fn phone_region(store: &Store) -> Result<Option<Region>> {
    Ok(region_in(&store.settings()?))
}

/// The phone region named in team settings already read (a damaged value counts as none).
pub fn region_in(settings: &std::collections::BTreeMap<String, String>) -> Option<Region> {
    settings
        .get(PHONE_REGION_KEY)
        .and_then(|r| Region::parse(r).ok())
}

/// A fresh field id: 12 hex digits of a random id.
fn new_id() -> String {
    rapport_model::ItemId::new().to_string()[..12].to_string()
}

/// Defines a new field. Its name must not be one in use.
pub fn add_field(
    store: &Store,
    name: &str,
    kind: FieldKind,
    options: Vec<String>,
) -> Result<FieldDef> {
    let all = fields(store)?;
    if let Some(f) = all.find(name) {
        bail!("a field named `{}` exists already ({})", f.name, f.kind);
    }
    if kind != FieldKind::Choice && !options.is_empty() {
        bail!("--option is for choice fields only");
    }
    let def = FieldDef::new(new_id(), name, kind, options)?;
    store.set_setting(&def.key(), Some(&def.to_setting()))?;
    Ok(def)
}

/// Renames a field in use; its values stay (they are keyed by its id).
pub fn rename_field(store: &Store, name: &str, new_name: &str) -> Result<FieldDef> {
    let all = fields(store)?;
    let mut def = all
        .find(name)
        .cloned()
        .ok_or_else(|| anyhow!("no field named `{name}` (rapport field list)"))?;
    if let Some(other) = all.find(new_name)
        && other.id != def.id
    {
        bail!("a field named `{}` exists already", other.name);
    }
    def.name = new_name.trim().to_string();
    def.check()?;
    store.set_setting(&def.key(), Some(&def.to_setting()))?;
    Ok(def)
}

/// Hides a field (`removed`), or with `restore` shows a removed one again.
pub fn remove_field(store: &Store, name: &str, restore: bool) -> Result<FieldDef> {
    let all = fields(store)?;
    let found = if restore {
        all.0
            .iter()
            .find(|f| {
                f.removed && rapport_model::text::fold(&f.name) == rapport_model::text::fold(name)
            })
            .or_else(|| all.0.iter().find(|f| f.removed && f.id == name.trim()))
    } else {
        all.find(name)
    };
    let mut def = found.cloned().ok_or_else(|| {
        if restore {
            anyhow!("no removed field named `{name}`")
        } else {
            anyhow!("no field named `{name}` in use (rapport field list)")
        }
    })?;
    if restore && let Some(other) = all.find(&def.name) {
        bail!(
            "a field named `{}` is in use; rename it before restoring this one",
            other.name
        );
    }
    def.removed = !restore;
    store.set_setting(&def.key(), Some(&def.to_setting()))?;
    Ok(def)
}

/// The edits that `FIELD=VALUE` assignments make (an empty value clears the field), each
/// checked against its field's kind.
pub fn field_edits(
    fields: &Fields,
    assignments: &[String],
    currency: Currency,
) -> Result<Vec<Edit>> {
    let mut out = Vec::new();
    for a in assignments {
        let (name, value) = a
            .split_once('=')
            .ok_or_else(|| anyhow!("--set `{a}`: write FIELD=VALUE"))?;
        let def = fields.find(name).ok_or_else(|| {
            anyhow!(
                "--set `{a}`: no field named `{}` (rapport field list)",
                name.trim()
            )
        })?;
        let v = def
            .parse(value, currency)
            .map_err(|e| anyhow!("--set `{a}`: {} is a {} field: {e}", def.name, def.kind))?;
        out.push(Edit::SetField(def.id.clone(), v));
    }
    Ok(out)
}

/// A customer's custom field values by field name, for the fields in use (sorted by name).
pub fn values_by_name(fields: &Fields, c: &Customer) -> Vec<(String, String)> {
    fields
        .active()
        .filter_map(|f| c.fields.get(&f.id).map(|v| (f.name.clone(), v.clone())))
        .collect()
}

/// The stored form of phone numbers typed or imported (E.164 with the team's region).
pub fn canonical_phones(region: Option<Region>, phones: &[String]) -> Vec<String> {
    phones.iter().map(|p| phone::canonical(p, region)).collect()
}

/// The number `c` stores that `typed` is (however either is written), for removal.
pub fn stored_phone(c: &Customer, region: Option<Region>, typed: &str) -> String {
    let k = phone::key(typed, region);
    c.phones
        .iter()
        .find(|p| phone::key(p, region) == k)
        .cloned()
        .unwrap_or_else(|| typed.trim().to_string())
}

/// Edits as they are stored: phone numbers added (to the customer or a contact) in the
/// team's canonical form, whatever front end typed them.
pub fn stored_edits(store: &Store, edits: Vec<Edit>) -> Result<Vec<Edit>> {
    let has_phone = |e: &Edit| match e {
        Edit::AddPhone(_) => true,
        Edit::PutContact(_, c) => !c.phones.is_empty(),
        _ => false,
    };
    if !edits.iter().any(has_phone) {
        return Ok(edits);
    }
    let region = phone_region(store)?;
    Ok(edits
        .into_iter()
        .map(|e| match e {
            Edit::AddPhone(p) => Edit::AddPhone(phone::canonical(&p, region)),
            Edit::PutContact(id, mut c) => {
                c.phones = canonical_phones(region, &c.phones);
                Edit::PutContact(id, c)
            }
            other => other,
        })
        .collect())
}

/// A custom field test as the CLI writes it: `NAME=VALUE` (equal; an option of a choice),
/// `NAME>=VALUE` and `NAME<=VALUE` (numbers, amounts and dates), `NAME=*` (set to anything).
/// The value is read by the field's kind, so `Credit limit>=1,000` and `Region=north` work.
pub fn field_filter(
    fields: &Fields,
    test: &str,
    currency: Currency,
) -> Result<rapport_query::FieldFilter> {
    use rapport_query::FieldTest;
    let (name, op, value) = if let Some((n, v)) = test.split_once(">=") {
        (n, ">=", v)
    } else if let Some((n, v)) = test.split_once("<=") {
        (n, "<=", v)
    } else if let Some((n, v)) = test.split_once('=') {
        (n, "=", v)
    } else {
        bail!("--field `{test}`: write NAME=VALUE, NAME>=VALUE, NAME<=VALUE or NAME=*");
    };
    let def = fields.find(name).ok_or_else(|| {
        anyhow!(
            "--field `{test}`: no field named `{}` (rapport field list)",
            name.trim()
        )
    })?;
    if op == "=" && value.trim() == "*" {
        return Ok(rapport_query::FieldFilter {
            field: def.clone(),
            test: FieldTest::IsSet,
        });
    }
    let v = def
        .parse(value, currency)
        .map_err(|e| {
            anyhow!(
                "--field `{test}`: {} is a {} field: {e}",
                def.name,
                def.kind
            )
        })?
        .ok_or_else(|| anyhow!("--field `{test}`: give a value (or * for any)"))?;
    let ranged = matches!(
        def.kind,
        FieldKind::Number | FieldKind::Money | FieldKind::Date
    );
    let test = match op {
        ">=" if ranged => FieldTest::AtLeast(v),
        "<=" if ranged => FieldTest::AtMost(v),
        "=" => FieldTest::Equals(v),
        _ => bail!(
            "--field `{test}`: {} is a {} field; ranges are for number, money and date fields",
            def.name,
            def.kind
        ),
    };
    Ok(rapport_query::FieldFilter {
        field: def.clone(),
        test,
    })
}
