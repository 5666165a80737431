//! `rapport settings [set|unset]`: the team's settings.

use super::*;

#[derive(Subcommand, Debug)]
pub enum SettingsCmd {
    /// Set a team setting, e.g. `settings set rate.EUR 7.85`.
    Set { key: String, value: String },
    /// Remove a team setting (back to its default).
    Unset { key: String },
}

pub(super) fn settings(cli: &Cli, action: Option<&SettingsCmd>, json: bool) -> Result<()> {
    let store = open(cli, "settings")?;
    match action {
        Some(SettingsCmd::Set { key, value }) => {
            crate::ops::change_setting(&store, key, Some(value))?
        }
        Some(SettingsCmd::Unset { key }) => crate::ops::change_setting(&store, key, None)?,
        None => {}
    }
    let explicit: std::collections::BTreeMap<String, String> = store
        .settings()?
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with(rapport_model::fields::FIELD_KEY_PREFIX) && !k.starts_with("import.")
        })
        .collect();
    let mut effective = value_settings(&store)?.to_map();
    let region_key = crate::ops::fields::PHONE_REGION_KEY;
    if let Some(r) = explicit.get(region_key) {
        effective.insert(region_key.to_string(), r.clone());
    }
    if json {
        output::json(
            &serde_json::json!({ "settings": effective, "set": explicit.keys().collect::<Vec<_>>() }),
        )
    } else if action.is_none() {
        for (k, v) in &effective {
            let note = if explicit.contains_key(k) {
                ""
            } else {
                "  (default)"
            };
            say!("{k} = {v}{note}");
        }
        say!();
        for (k, help) in rapport_value::KEYS {
            say!("  {k:<22} {help}");
        }
        say!(
            "  {region_key:<22} country of phone numbers written without +, e.g. CN or DE (stored as +86..., shown nationally)"
        );
        Ok(())
    } else {
        Ok(())
    }
}
