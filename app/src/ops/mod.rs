//! Operations both front ends call, so the CLI and the app cannot disagree about them. Each
//! returns a value or an error and never prints or draws (the helix-view role): [`crate::run`]
//! prints, [`crate::gui::worker`] sends updates to the window.
//!
//! What already has one home elsewhere and is called from both: listing, search and the
//! agenda (`rapport_query::select`, `agenda`, `end_of_week`), device rename
//! (`Store::rename_device`), whether a device is online (`rapport_sync::net::online`).

pub mod lists;

use rapport_store::Store;
use rapport_value::{SettingsError, ValueSettings};

/// Sets team setting `key` to `value`, or unsets it (`None`), after checking the whole set of
/// settings it would leave (strictly: a bad value, or tiers out of order, is refused and
/// nothing is written). Unsetting a key that is neither known nor set is refused too (a
/// typing mistake, not a no-op).
pub fn change_setting(store: &Store, key: &str, value: Option<&str>) -> anyhow::Result<()> {
    let current = store.settings()?;
    if value.is_none() && !ValueSettings::is_known_key(key) && !current.contains_key(key) {
        return Err(SettingsError::Unknown(rapport_model::excerpt(key)).into());
    }
    ValueSettings::check_change(&current, key, value)?;
    store.set_setting(key, value)?;
    Ok(())
}

/// An import file, read and checked against nothing yet (nothing written).
pub enum ImportRead {
    /// Orders or deals, one per row.
    Orders {
        orders: Vec<rapport_interchange::Order>,
        bad: Vec<rapport_interchange::RowError>,
    },
    /// People from a contacts CSV or a vCard file.
    Contacts {
        layout: rapport_interchange::Layout,
        people: Vec<rapport_interchange::Person>,
        bad: Vec<rapport_interchange::RowError>,
    },
}

/// A contacts layout's name, as `--format` and the app's import preview say it.
pub fn layout_name(layout: rapport_interchange::Layout) -> &'static str {
    use rapport_interchange::Layout;
    match layout {
        Layout::Google | Layout::GoogleOld => "google",
        Layout::Outlook => "outlook",
        Layout::VCard => "vcard",
    }
}

/// Reads an import file: orders, a vCard file or a contacts CSV, as detected from its first
/// bytes or as `format` insists (a CSV whose header is another layout than the one asked for
/// is refused). The error says what is wrong with the file, without its name.
pub fn read_import(bytes: &[u8], format: crate::cli::ImportFormat) -> Result<ImportRead, String> {
    use crate::cli::ImportFormat;
    use rapport_interchange::{FileKind, Layout};
    let kind = rapport_interchange::detect(bytes);
    if format == ImportFormat::Orders || (format == ImportFormat::Auto && kind == FileKind::Orders)
    {
        let (orders, bad) =
            rapport_interchange::read_orders_csv(bytes).map_err(|e| e.to_string())?;
        return Ok(ImportRead::Orders { orders, bad });
    }
    let (layout, people, bad) = if kind == FileKind::VCard || format == ImportFormat::Vcard {
        let (people, bad) = rapport_interchange::read_vcards(bytes).map_err(|e| e.to_string())?;
        (Layout::VCard, people, bad)
    } else {
        rapport_interchange::read_contacts_csv(bytes).map_err(|e| e.to_string())?
    };
    let wanted = match format {
        ImportFormat::Google => Some("google"),
        ImportFormat::Outlook => Some("outlook"),
        ImportFormat::Vcard => Some("vcard"),
        ImportFormat::Auto | ImportFormat::Orders => None,
    };
    let found = layout_name(layout);
    if let Some(w) = wanted
        && w != found
    {
        return Err(format!(
            "--format {w} was asked for, but the header is a {found} CSV"
        ));
    }
    Ok(ImportRead::Contacts {
        layout,
        people,
        bad,
    })
}

/// What importing `people` would do to the store: match each against the customers they may
/// be (by the summaries), merge into those, create the rest. Writes nothing.
pub fn plan_contacts<S: std::borrow::Borrow<rapport_model::CustomerSummary>>(
    store: &Store,
    summaries: &[S],
    people: &[rapport_interchange::Person],
    now: rapport_model::Timestamp,
) -> anyhow::Result<rapport_interchange::Plan> {
    let candidates = rapport_interchange::Existing::candidates(summaries, people);
    let mut customers = Vec::with_capacity(candidates.len());
    for id in candidates {
        customers.push(store.customer(id)?);
    }
    Ok(rapport_interchange::plan(
        people,
        rapport_interchange::Existing { customers },
        now,
    ))
}

/// The deal edits importing `orders` would make, and every row that cannot be placed (bad in
/// the file, or naming no known customer), by line.
pub fn plan_orders<S: std::borrow::Borrow<rapport_model::CustomerSummary>>(
    orders: &[rapport_interchange::Order],
    mut bad: Vec<rapport_interchange::RowError>,
    summaries: &[S],
) -> (
    Vec<(rapport_model::CustomerId, Vec<rapport_model::Edit>)>,
    Vec<rapport_interchange::RowError>,
) {
    let (edits, unmatched) = rapport_interchange::plan_orders(orders, summaries);
    bad.extend(unmatched);
    bad.sort_by_key(|e| e.line);
    (edits, bad)
}
