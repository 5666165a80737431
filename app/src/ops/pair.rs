//! Pairing, the same from the CLI (`rapport pair invite|join`) and the app's sync screen: an
//! invite is a ticket (and, when this device founds the team with it, the recovery code), and
//! joining shows this side's confirmation code before anything is sent, so the person at the
//! inviting device can compare it with the one its screen shows before admitting.

use std::time::Duration;

use anyhow::Result;
use rapport_sync::net::Node;
use rapport_sync::pair::{Admit, Invite};
use rapport_team::RecoveryCode;

/// An open invite: its ticket text, and the new team's recovery code when opening it made
/// this device a team's owner (shown once, then never again).
pub struct OpenInvite {
    pub ticket: String,
    pub recovery: Option<RecoveryCode>,
}

/// Opens an invite on `node` for `ttl`; `admit` says who decides on a device that presents it.
pub fn invite(node: &Node, ttl: Duration, admit: Admit) -> Result<OpenInvite> {
    let (invite, recovery) = node.open_invite(ttl, admit)?;
    Ok(OpenInvite {
        ticket: invite.encode()?,
        recovery,
    })
}

/// A ticket read and ready to join with.
pub struct Joining {
    invite: Invite,
    /// The code the inviting device shows for this device: the person there admits this
    /// device only if they are the same.
    pub code: String,
}

/// What joining brought.
pub struct Joined {
    /// The inviting device's name.
    pub inviter: String,
    /// Documents the first sync brought.
    pub documents: u64,
}

impl Joining {
    /// Reads `ticket` (the error says what is wrong with it) for `node` to join with.
    pub fn new(node: &Node, ticket: &str) -> Result<Joining> {
        let invite = Invite::decode(ticket.trim())?;
        let code = invite.confirmation_code(&node.endpoint().id());
        Ok(Joining { invite, code })
    }

    /// What to tell the person while the inviting device's person decides.
    pub fn prompt(&self) -> String {
        format!(
            "confirmation code {}: the inviting device shows the same code if this is the device its person admits",
            self.code
        )
    }

    /// Joins the inviting device's team and runs the first sync. A device that already
    /// belongs to another team is refused before anything is sent, unless `merge_teams`.
    pub async fn join(self, node: &Node, merge_teams: bool) -> Result<Joined> {
        let (inviter, traffic) = node.join_team(&self.invite, merge_teams).await?;
        Ok(Joined {
            inviter,
            documents: traffic.initiator.docs_changed,
        })
    }
}
