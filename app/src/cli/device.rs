//! `rapport device [rename|revoke|set|undo]`: this device, and undoing another's changes.

use super::*;

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// Rename this device.
    Rename { name: String },
    /// Revoke a device (id, id prefix or name) for the whole team; every device that learns it
    /// refuses the revoked one from then on.
    Revoke { device: String },
    /// Undo every change a device made (since a time): the recovery for a paired device that
    /// deleted or overwrote customers. Writes ordinary new changes that sync to the team;
    /// fields someone changed after that device are left as they are. DEVICE is the name the
    /// device signs its changes with (see `rapport history`) or its actor id.
    Undo {
        device: String,
        /// Only changes made at or after this time ("YYYY-MM-DD HH:MM", local time, or RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Say what would change, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Set a setting of this device only: `lan.discovery` (find team devices on the LAN by
    /// mDNS, default on), `lan.advertise` (announce this device on the LAN, default on),
    /// `net.relays` (public relays and DNS lookup, default off). Values: on, off.
    Set { key: String, value: String },
}

/// `rapport device [ACTION] [--json]`.
pub(super) fn device(cli: &Cli, action: Option<&DeviceCmd>, json: bool) -> Result<()> {
    let store = open(cli, "device")?;
    match action {
        // The store, the signed team and the team document, as the app does.
        Some(DeviceCmd::Rename { name }) => store.rename_device(name)?,
        Some(DeviceCmd::Revoke { device }) => return super::net::revoke(store, device),
        Some(DeviceCmd::Set { key, value }) => crate::ops::device::set_setting(&store, key, value)?,
        Some(DeviceCmd::Undo {
            device,
            since,
            dry_run,
        }) => {
            let since = since
                .as_deref()
                .map(|s| parse_instant("since", s))
                .transpose()?;
            let r = crate::ops::backup::undo_device(&store, device, since, *dry_run)?;
            if r.changes == 0 {
                bail!(
                    "no change by `{}` found{} (device names as `rapport history` shows them)",
                    rapport_model::excerpt(device),
                    if since.is_some() { " since then" } else { "" }
                );
            }
            let verb = if *dry_run { "would undo" } else { "undid" };
            if json {
                return output::json(&serde_json::json!({
                    "dry_run": dry_run, "changes": r.changes, "customers": r.customers,
                    "edits": r.edits, "kept": r.kept, "deleted": r.deleted,
                }));
            }
            say!(
                "{verb} {} changes by {device}: {} customers, {} edits ({} customers it created deleted); {} fields left as others changed them later",
                r.changes,
                r.customers,
                r.edits,
                r.deleted,
                r.kept
            );
            return Ok(());
        }
        None => {}
    }
    let d = store.device().clone();
    let id = super::net::device_id(&store);
    let settings = crate::ops::device::settings(&store)?;
    if json {
        output::json(&serde_json::json!({
            "id": id, "name": d.name, "actor": d.actor, "settings": settings,
        }))
    } else {
        say!("{id}  {}", d.name);
        for (k, v) in &settings {
            say!("  {k:<14} {v}");
        }
        Ok(())
    }
}
