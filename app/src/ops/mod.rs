//! Operations both front ends call, so the CLI and the app cannot disagree about them. Each
//! returns a value or an error and never prints or draws (the helix-view role): the CLI
//! ([`crate::cli`]) prints through [`crate::output`],
//! [`crate::gui::worker`] sends updates to the window.
//!
//! What lives where:
//! - this file: team settings ([`change_setting`]);
//! - [`lists`]: the customer list, deleted customers, values (the value cache), the agenda;
//! - [`import`]: reading an import file, planning it against the store, writing the plan
//!   (re-exported here: [`read_import`], [`plan_contacts`], [`plan_orders`], ...);
//! - [`node`]: the sync node's lifecycle (bind, announce, push, periodic sync, control socket,
//!   automatic backups, shutdown) for `serve`, the app and the one-shot network commands;
//! - [`backup`]: backups, the store check, restore (and setting a damaged file aside), undoing
//!   a device's changes;
//! - [`team`]: finding a team device, revoke, resume a paused peer, roles, reinstate, create,
//!   recover;
//! - [`pair`]: opening an invite and joining with a ticket (the confirmation code first);
//! - [`device`]: this device's network settings;
//! - [`export`]: the filtered customer list, the value report and contacts as XLSX;
//! - [`fields`]: custom field definitions and values, and the team's phone region.
//!
//! What already has one home elsewhere and is called from both: search and the agenda's
//! rules (`rapport_query::select`, `agenda`, `end_of_week`), device rename
//! (`Store::rename_device`), whether a device is online (`rapport_sync::net::online`).

pub mod backup;
pub mod device;
pub mod export;
pub mod fields;
pub mod import;
pub mod lists;
pub mod node;
pub mod pair;
pub mod team;

pub use import::{ImportRead, layout_name, plan_contacts, plan_orders, read_import};

use rapport_store::Store;
use rapport_value::{SettingsError, ValueSettings};

/// Sets team setting `key` to `value`, or unsets it (`None`), after checking the whole set of
/// settings it would leave (strictly: a bad value, or tiers out of order, is refused and
/// nothing is written). Unsetting a key that is neither known nor set is refused too (a
/// typing mistake, not a no-op).
pub fn change_setting(store: &Store, key: &str, value: Option<&str>) -> anyhow::Result<()> {
    if key == fields::PHONE_REGION_KEY {
        let region = value
            .map(rapport_model::phone::Region::parse)
            .transpose()?
            .map(|r| r.as_str().to_string());
        store.set_setting(key, region.as_deref())?;
        return Ok(());
    }
    if let Some(prefix) = rapport_value::OTHER_KEYS
        .iter()
        .find(|p| key.starts_with(*p))
    {
        anyhow::bail!(
            "`{}` settings are not set by hand (custom fields: `rapport field`; import mappings: `rapport import --map`)",
            prefix.trim_end_matches('.')
        );
    }
    let current = store.settings()?;
    if value.is_none() && !ValueSettings::is_known_key(key) && !current.contains_key(key) {
        return Err(SettingsError::Unknown(rapport_model::excerpt(key)).into());
    }
    ValueSettings::check_change(&current, key, value)?;
    store.set_setting(key, value)?;
    Ok(())
}
