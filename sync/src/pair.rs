//! Pairing: how a new device joins the team (`rapport/pair/1`).
//!
//! 1. A team device makes an [`Invite`]: its endpoint id and direct addresses, a one-time
//!    16-byte secret and an expiry (default 10 minutes), printed as text (`rapport1...`).
//! 2. The new device dials the inviter on [`PAIR_ALPN`] (the one protocol a non-member may
//!    reach) and sends the secret with its name.
//! 3. The inviter accepts a secret once, before it expires: it adds the joiner to the team
//!    document and answers with its own name; the joiner adds the inviter. The joiner then runs
//!    a first sync, which brings it the whole team document (so every other member becomes
//!    known to it) and every customer.
//!
//! The secret travels inside the encrypted QUIC connection; the ALPN (clear text) carries only
//! the protocol version. A wrong, reused or expired secret gets a `Refused` answer with the
//! reason, and the stranger stays a stranger: it can reach no other protocol.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use iroh::EndpointAddr;
use iroh::endpoint::Connection;
use iroh::protocol::{AcceptError, ProtocolHandler};
use rapport_store::Store;
use serde::{Deserialize, Serialize};

use crate::SyncError;
use crate::net::{CONNECT_TIMEOUT, Members, Wire};

/// ALPN of the pairing protocol, version 1.
pub const PAIR_ALPN: &[u8] = b"rapport/pair/1";
/// Default lifetime of an invite.
pub const INVITE_TTL: Duration = Duration::from_secs(600);
/// The longest an invite lasts, whatever was asked.
pub const INVITE_TTL_MAX: Duration = Duration::from_secs(3600);
const TICKET_PREFIX: &str = "rapport1";
const MAX_PAIR_MSG: usize = 4096;

/// An invitation to join the team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub inviter: EndpointAddr,
    pub inviter_name: String,
    pub secret: [u8; 16],
    /// Unix seconds after which the inviter refuses it.
    pub expires: i64,
    /// The signed team the inviter belongs to (its genesis hash), which the joiner then
    /// trusts; `None` for a version-1 team without an owner.
    pub team: Option<[u8; 32]>,
}

impl Invite {
    /// The ticket text: `rapport1` and the invite in lowercase base32.
    pub fn encode(&self) -> Result<String, SyncError> {
        let bytes = postcard::to_stdvec(self).map_err(|e| SyncError::Protocol(e.to_string()))?;
        Ok(format!(
            "{TICKET_PREFIX}{}",
            data_encoding::BASE32_NOPAD
                .encode(&bytes)
                .to_ascii_lowercase()
        ))
    }

    /// Parses ticket text (surrounding whitespace is ignored).
    pub fn decode(text: &str) -> Result<Invite, SyncError> {
        let bad = |why: &str| SyncError::Ticket(why.to_string());
        // Case-insensitive throughout: a QR code's alphanumeric mode gives `RAPPORT1...`.
        let text = text.trim();
        let body = text
            .get(..TICKET_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(TICKET_PREFIX))
            .and_then(|_| text.get(TICKET_PREFIX.len()..))
            .ok_or_else(|| bad("it does not start with `rapport1`"))?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|_| bad("it is not valid base32 (was it cut or mistyped?)"))?;
        postcard::from_bytes(&bytes).map_err(|_| bad("it does not hold an invite"))
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

#[derive(Debug)]
struct Pending {
    expires: i64,
    used: bool,
}

/// The invites a device has handed out and not yet seen used.
#[derive(Clone, Debug, Default)]
pub struct Invites(Arc<Mutex<HashMap<[u8; 16], Pending>>>);

impl Invites {
    /// A new invite from `inviter`, valid for `ttl` (at most [`INVITE_TTL_MAX`]). Only one
    /// invite is open at a time: a new one cancels the others.
    pub fn create(
        &self,
        inviter: EndpointAddr,
        inviter_name: &str,
        ttl: Duration,
        team: Option<[u8; 32]>,
    ) -> Invite {
        let secret: [u8; 16] = rand::random();
        let ttl = ttl.min(INVITE_TTL_MAX);
        let expires = now_secs() + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        if let Ok(mut m) = self.0.lock() {
            m.clear();
            m.insert(
                secret,
                Pending {
                    expires,
                    used: false,
                },
            );
        }
        Invite {
            inviter,
            inviter_name: inviter_name.to_string(),
            secret,
            expires,
            team,
        }
    }

    /// Accepts `secret` once, before it expires.
    fn redeem(&self, secret: &[u8; 16]) -> Result<(), &'static str> {
        let mut m = self.0.lock().map_err(|_| "internal error")?;
        let p = m.get_mut(secret).ok_or("unknown invite")?;
        if p.used {
            return Err("this invite was already used");
        }
        if p.expires <= now_secs() {
            return Err("this invite has expired");
        }
        p.used = true;
        Ok(())
    }
}

/// A `rapport/pair/1` message (postcard-encoded, length-delimited by the transport). Public so
/// the decoder can be fuzzed (`sync/fuzz`); only this module sends and receives them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairMsg {
    Join { secret: [u8; 16], name: String },
    Welcome { name: String },
    Refused { reason: String },
}

impl PairMsg {
    /// Decodes a message from a peer (what [`PAIR_ALPN`]'s reader does with every message).
    pub fn decode(bytes: &[u8]) -> Result<PairMsg, SyncError> {
        postcard::from_bytes(bytes)
            .map_err(|e| SyncError::Protocol(format!("malformed pairing message: {e}")))
    }
}

async fn send_msg(
    wire: &Wire,
    send: &mut iroh::endpoint::SendStream,
    msg: &PairMsg,
) -> Result<(), SyncError> {
    let bytes = postcard::to_stdvec(msg).map_err(|e| SyncError::Protocol(e.to_string()))?;
    wire.write(send, &bytes).await.map(|_| ())
}

async fn read_msg(
    wire: &Wire,
    recv: &mut iroh::endpoint::RecvStream,
) -> Result<PairMsg, SyncError> {
    let buf = wire.read(recv, MAX_PAIR_MSG).await?;
    PairMsg::decode(&buf)
}

/// Serves `rapport/pair/1`.
#[derive(Debug, Clone)]
pub struct PairHandler {
    pub(crate) store: Arc<Store>,
    pub(crate) invites: Invites,
    pub(crate) members: Members,
    pub(crate) wire: Wire,
}

impl PairHandler {
    async fn serve(&self, conn: &Connection) -> Result<(), SyncError> {
        let (mut send, mut recv) = self.wire.accept_bi(conn).await?;
        let PairMsg::Join { secret, name } = read_msg(&self.wire, &mut recv).await? else {
            return Err(SyncError::Protocol("expected a join request".into()));
        };
        let answer = match self.invites.redeem(&secret) {
            Err(reason) => {
                tracing::warn!(peer = %conn.remote_id(), reason, "refused a pairing attempt");
                PairMsg::Refused {
                    reason: reason.to_string(),
                }
            }
            Ok(()) => {
                let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
                let store = self.store.clone();
                let id = conn.remote_id().to_string();
                tokio::task::block_in_place(|| store.team_add(&id, &name))?;
                self.members.refresh_from(&self.store)?;
                tracing::info!(peer = %id, %name, "paired a new device");
                PairMsg::Welcome {
                    name: self.store.device().name.clone(),
                }
            }
        };
        send_msg(&self.wire, &mut send, &answer).await?;
        send.finish()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        Ok(())
    }
}

impl ProtocolHandler for PairHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        if let Err(e) = self.serve(&conn).await {
            tracing::warn!(peer = %conn.remote_id(), error = %e, "pairing failed");
            conn.close(1u32.into(), e.to_string().as_bytes());
            return Ok(());
        }
        conn.closed().await;
        Ok(())
    }
}

/// The joining side: proves the invite's secret. Returns the inviter's name.
pub(crate) async fn join(
    endpoint: &iroh::Endpoint,
    wire: &Wire,
    invite: &Invite,
    my_name: &str,
) -> Result<String, SyncError> {
    if invite.expires <= now_secs() {
        return Err(SyncError::Ticket(
            "this invite has expired; ask for a new one".into(),
        ));
    }
    let conn = tokio::time::timeout(
        CONNECT_TIMEOUT,
        endpoint.connect(invite.inviter.clone(), PAIR_ALPN),
    )
    .await
    .map_err(|_| SyncError::Transport(format!("no connection within {CONNECT_TIMEOUT:?}")))?
    .map_err(|e| SyncError::Transport(e.to_string()))?;
    let (mut send, mut recv) = conn
        .open_bi()
        .await
        .map_err(|e| SyncError::Transport(e.to_string()))?;
    send_msg(
        wire,
        &mut send,
        &PairMsg::Join {
            secret: invite.secret,
            name: my_name.to_string(),
        },
    )
    .await?;
    let _ = send.finish();
    let answer = read_msg(wire, &mut recv).await?;
    conn.close(0u32.into(), b"paired");
    match answer {
        PairMsg::Welcome { name } => Ok(name),
        PairMsg::Refused { reason } => {
            Err(SyncError::Ticket(format!("the inviter refused: {reason}")))
        }
        PairMsg::Join { .. } => Err(SyncError::Protocol("unexpected join request".into())),
    }
}
