//! Operations both front ends call, so the CLI and the app cannot disagree about them. Each
//! returns a value or an error and never prints or draws (the helix-view role): [`crate::run`]
//! prints, [`crate::gui::backend`] sends updates to the window.
//!
//! What already has one home elsewhere and is called from both: listing, search and the
//! agenda (`rapport_query::select`, `agenda`, `end_of_week`), device rename
//! (`Store::rename_device`), whether a device is online (`rapport_sync::net::online`).

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
