//! The team's devices: finding one by what a person types, revoking one, resuming sync with a
//! paused one, and the owner's commands (create or adopt a team, roles, reinstate, recover).
//!
//! Invariants: a device never revokes itself (another team device must); a role given here is
//! only ever `admin` or `member` (ownership moves only by recovery). Who may do what is
//! `rapport-team`'s rule, which the store enforces when it signs; this module resolves names
//! and returns what changed, for the front end to word.

use anyhow::{Result, anyhow, bail};
use rapport_store::{Store, TeamMember};
use rapport_team::{RecoveryCode, Role};

/// This device's network id (its public key), derived from the store's device secret.
pub fn device_id(store: &Store) -> String {
    rapport_sync::net::device_id(store).to_string()
}

/// The team device `query` names: its id, a unique id prefix (4+ digits) or its name.
pub fn find_device<'a>(team: &'a [TeamMember], query: &str) -> Result<&'a TeamMember> {
    let q = query.trim().to_lowercase();
    let hits: Vec<_> = team
        .iter()
        .filter(|m| {
            m.id == q || (q.len() >= 4 && m.id.starts_with(&q)) || m.name.to_lowercase() == q
        })
        .collect();
    let shown = rapport_model::excerpt(query);
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => bail!("no team device matches `{shown}` (see `rapport team`)"),
        _ => bail!("`{shown}` matches several devices; give more of the id"),
    }
}

/// The team device `query` names ([`find_device`]), as the store has it now.
pub fn find(store: &Store, query: &str) -> Result<TeamMember> {
    let team = store.team()?;
    Ok(find_device(&team, query)?.clone())
}

/// Revokes the device of id `id`: team devices refuse it once they have synced with this one.
/// Refused for this device itself.
pub fn revoke(store: &Store, id: &str) -> Result<()> {
    if id == device_id(store) {
        return Err(anyhow!(
            "this is this device; revoke it from another team device"
        ));
    }
    store.team_revoke(id)?;
    Ok(())
}

/// Syncs again with the device of id `id`, paused because it sent data that was refused;
/// whether it was paused.
pub fn resume(store: &Store, id: &str) -> Result<bool> {
    Ok(store.resume_peer(id)?)
}

/// Gives the device `query` names the role `role` (`admin` or `member`); the device and its
/// new role.
pub fn set_role(store: &Store, query: &str, role: &str) -> Result<(TeamMember, Role)> {
    let role = Role::parse_assignable(role).ok_or_else(|| {
        anyhow!(
            "`{}` is not a role: admin or member",
            rapport_model::excerpt(role)
        )
    })?;
    let m = find(store, query)?;
    store.team_set_role(&m.id, role)?;
    Ok((m, role))
}

/// Takes the device `query` names back into the team as a member; the device.
pub fn reinstate(store: &Store, query: &str) -> Result<TeamMember> {
    let m = find(store, query)?;
    store.team_reinstate(&m.id)?;
    Ok(m)
}

/// Makes this device the owner of a new signed team named `name` (this device's name if
/// none); its recovery code, to be shown once.
pub fn create(store: &Store, name: Option<&str>) -> Result<RecoveryCode> {
    let name = name
        .map(str::to_string)
        .unwrap_or_else(|| store.device().name.clone());
    Ok(store.team_create(&name)?)
}

/// Makes this device the team's owner with the recovery code `code` (the old owner device is
/// revoked).
pub fn recover(store: &Store, code: &str) -> Result<()> {
    let code = RecoveryCode::parse(code)
        .ok_or_else(|| anyhow!("that is not a recovery code (8 groups of 4 letters and digits)"))?;
    store.team_recover(&code)?;
    Ok(())
}
