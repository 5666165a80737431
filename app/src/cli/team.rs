//! `rapport team`: the team's devices with their roles, and the owner's commands (create or
//! adopt a team, roles, reinstate, recover). The rules themselves live in `rapport-team`; the
//! store signs and checks; this module only parses and prints.

use anyhow::Result;
use rapport_store::Store;

use super::net;
use crate::output::{self, say};

#[derive(clap::Subcommand, Debug)]
pub enum TeamCmd {
    /// Make this device the owner of a new team, or of this device's team if it has no owner
    /// yet (a team from Rapport 0.1: its devices and revocations carry over). Prints the
    /// recovery code once. The first `pair invite` does this by itself for a new device.
    Create {
        #[arg(long)]
        name: Option<String>,
    },
    /// Make a device (id, id prefix or name) an admin or a member again (owner only).
    Role { device: String, role: String },
    /// Undo a revocation, e.g. one a rogue admin made (owner only).
    Reinstate { device: String },
    /// Make this device the owner with the team's recovery code (the lost owner device is
    /// revoked).
    Recover { code: String },
}

#[derive(clap::Subcommand, Debug)]
pub enum PeersCmd {
    /// Sync again with a device (id, id prefix or name) that was paused because it sent
    /// data that was refused. What it sent stays set aside; what it sends next is checked.
    Resume { device: String },
}

#[derive(clap::Subcommand, Debug)]
pub enum PairCmd {
    /// Print an invite ticket (alone on the first line of stdout) and wait for the new device.
    Invite {
        /// Seconds to wait (1 to 86400); the ticket expires then too.
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        wait: u64,
        #[arg(long, default_value = "0.0.0.0:47810")]
        bind: std::net::SocketAddr,
        /// Admit the device that presents the ticket without asking (scripts and tests);
        /// otherwise this terminal shows its name and confirmation code and asks.
        #[arg(long)]
        yes: bool,
    },
    /// Join the team of the device that printed TICKET, and sync with it.
    Join {
        ticket: String,
        #[arg(long, default_value = "0.0.0.0:0")]
        bind: std::net::SocketAddr,
        /// Join even though this device already belongs to another team: its customers go
        /// to the new team too.
        #[arg(long)]
        merge_teams: bool,
    },
}

/// Runs `rapport team [ACTION] [--json]`.
pub fn run(store: &Store, action: Option<&TeamCmd>, json: bool) -> Result<()> {
    match action {
        None => list(store, json),
        Some(TeamCmd::Create { name }) => {
            let code = crate::ops::team::create(store, name.as_deref())?;
            net::print_recovery_code(&code.to_text());
            say!("this device ({}) is the team's owner", store.device().name);
            Ok(())
        }
        Some(TeamCmd::Role { device, role }) => {
            let (m, role) = crate::ops::team::set_role(store, device, role)?;
            say!("{} ({}) is now {role}", m.name, m.id);
            Ok(())
        }
        Some(TeamCmd::Reinstate { device }) => {
            let m = crate::ops::team::reinstate(store, device)?;
            say!("reinstated {} ({}) as a member", m.name, m.id);
            Ok(())
        }
        Some(TeamCmd::Recover { code }) => {
            crate::ops::team::recover(store, code)?;
            say!(
                "this device ({}) is now the team's owner; the old owner device is revoked",
                store.device().name
            );
            Ok(())
        }
    }
}

fn list(store: &Store, json: bool) -> Result<()> {
    let team = store.team()?;
    let signed = store.team_state()?;
    let me = store.device_id();
    let role = |m: &rapport_store::TeamMember| m.role.map(|r| r.as_str()).unwrap_or("unverified");
    if json {
        let devices: Vec<serde_json::Value> = team
            .iter()
            .map(|m| {
                serde_json::json!({
                    "id": m.id, "name": m.name, "role": m.role.map(|r| r.as_str()),
                    "revoked": m.revoked, "added_by": m.added_by, "this_device": m.id == me,
                })
            })
            .collect();
        return output::json(&serde_json::json!({
            "team": signed.as_ref().map(|s| data_encoding::HEXLOWER.encode(&s.team)),
            "name": signed.as_ref().map(|s| s.name.clone()),
            "devices": devices,
            "ignored": signed.as_ref().map(|s| s.ignored.len()).unwrap_or(0),
        }));
    }
    match &signed {
        Some(s) => say!(
            "team {} ({}): {} devices",
            rapport_team::clean_name(&s.name),
            &data_encoding::HEXLOWER.encode(&s.team)[..12],
            team.iter().filter(|m| !m.revoked).count()
        ),
        None => say!(
            "this team has no owner yet (a team from Rapport 0.1, or none): run `rapport team create` on the device that should own it, e.g. the office machine"
        ),
    }
    let name_of = |id: &str| {
        team.iter()
            .find(|m| m.id == id)
            .map(|m| rapport_team::clean_name(&m.name))
            .unwrap_or_else(|| id.chars().take(8).collect())
    };
    say!(
        "{:<10} {:<8} {:<24} {:<8} ADDED BY",
        "ID",
        "ROLE",
        "NAME",
        "STATE"
    );
    for m in &team {
        say!(
            "{:<10} {:<8} {:<24} {:<8} {}",
            m.id.chars().take(8).collect::<String>(),
            role(m),
            format!(
                "{}{}",
                rapport_team::clean_name(&m.name),
                if m.id == me { " (this device)" } else { "" }
            ),
            if m.revoked { "revoked" } else { "active" },
            m.added_by.as_deref().map(name_of).unwrap_or_default()
        );
    }
    if let Some(s) = &signed
        && !s.ignored.is_empty()
    {
        say!(
            "{} team entries were ignored (not allowed for their author, or not verifying)",
            s.ignored.len()
        );
    }
    if signed.is_none() && team.iter().all(|m| m.id == me) {
        say!("this device is in no team yet: `rapport pair invite` starts one");
    }
    Ok(())
}
