//! Pairing: how a new device joins the team (`rapport/pair/2`).
//!
//! 1. An admin or the owner makes an [`Invite`]: its endpoint id and direct addresses, a
//!    one-time 16-byte secret, an expiry (default 10 minutes, at most an hour) and the team's
//!    id, printed as text (`rapport1...`). One invite is open at a time; a new one, or
//!    [`Invites::cancel`], ends the last.
//! 2. The new device dials the inviter on [`PAIR_ALPN`] and sends the secret with its name.
//!    The pairing protocol answers only while an invite is open: otherwise the connection is
//!    closed before any stream.
//! 3. Both sides show the same **confirmation code** ([`confirmation_code`], six digits
//!    derived from the secret and both devices' keys). The inviter's person admits the device
//!    ([`Admit::Ask`]: a terminal prompt, a button in the app) or scripts pass `--yes`
//!    ([`Admit::Auto`]). Whoever steals a ticket and presents it first is not admitted
//!    unless a person, seeing an unknown name and a code that does not match the joiner's
//!    screen, says yes.
//! 4. Admitted: the inviter adds the joiner to the team and answers with its own name; the
//!    joiner then runs a first sync, which brings it the signed team and every customer.
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
use crate::team::Members;
use crate::wire::{CONNECT_TIMEOUT, Wire};

/// ALPN of the pairing protocol, version 2 (version 1 admitted without confirmation).
pub const PAIR_ALPN: &[u8] = b"rapport/pair/2";
/// How long the joiner waits for the inviter's person to admit it.
pub const ADMIT_TIMEOUT: Duration = Duration::from_secs(300);
/// Default lifetime of an invite.
pub const INVITE_TTL: Duration = Duration::from_secs(600);
/// The longest an invite lasts, whatever was asked.
pub const INVITE_TTL_MAX: Duration = Duration::from_secs(3600);
const TICKET_PREFIX: &str = "rapport1";
/// QUIC close code when pairing is dialled with no invite open.
pub const CLOSE_NO_INVITE: u32 = 404;
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

/// The code both sides show: six digits from the invite's secret and both devices' keys, so
/// a device that presents a stolen secret shows a different code than the joiner the person
/// is talking to (whose key differs).
pub fn confirmation_code(
    secret: &[u8; 16],
    inviter: &iroh::EndpointId,
    joiner: &iroh::EndpointId,
) -> String {
    let mut h = blake3::Hasher::new_derive_key("rapport pairing confirmation code v1");
    h.update(secret);
    h.update(inviter.as_bytes());
    h.update(joiner.as_bytes());
    let bytes = h.finalize();
    let n = u32::from_le_bytes([
        bytes.as_bytes()[0],
        bytes.as_bytes()[1],
        bytes.as_bytes()[2],
        bytes.as_bytes()[3],
    ]) % 1_000_000;
    format!("{:03} {:03}", n / 1000, n % 1000)
}

impl Invite {
    /// The confirmation code this invite gives for joiner `joiner` (what the joiner shows).
    pub fn confirmation_code(&self, joiner: &iroh::EndpointId) -> String {
        confirmation_code(&self.secret, &self.inviter.id, joiner)
    }
}

/// How the inviter admits the device that presents an invite's secret.
#[derive(Clone, Debug)]
pub enum Admit {
    /// At once: `--yes`, for scripts and tests.
    Auto,
    /// Ask a person: each request arrives here; its answer admits (`true`) or refuses.
    Ask(tokio::sync::mpsc::Sender<JoinRequest>),
}

/// A device asking to join, waiting for a person's answer.
#[derive(Debug)]
pub struct JoinRequest {
    /// The joiner's endpoint id.
    pub id: String,
    /// The name it gave (control characters removed).
    pub name: String,
    /// The confirmation code both screens must show.
    pub code: String,
    /// Send `true` to admit, `false` (or drop it) to refuse.
    pub answer: tokio::sync::oneshot::Sender<bool>,
}

#[derive(Debug)]
struct Pending {
    expires: i64,
    used: bool,
    admit: Admit,
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
        admit: Admit,
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
                    admit,
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

    /// Accepts `secret` once, before it expires; returns how to admit its device.
    fn redeem(&self, secret: &[u8; 16]) -> Result<Admit, &'static str> {
        let mut m = self.0.lock().map_err(|_| "internal error")?;
        let p = m.get_mut(secret).ok_or("unknown invite")?;
        if p.used {
            return Err("this invite was already used");
        }
        if p.expires <= now_secs() {
            return Err("this invite has expired");
        }
        p.used = true;
        Ok(p.admit.clone())
    }

    /// Whether an invite is open (not used, not expired): only then does pairing answer.
    pub fn any_open(&self) -> bool {
        self.0
            .lock()
            .map(|m| m.values().any(|p| !p.used && p.expires > now_secs()))
            .unwrap_or(false)
    }

    /// Cancels every open invite.
    pub fn cancel(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }
}

/// A `rapport/pair/2` message (postcard-encoded, length-delimited by the transport). Public so
/// the decoder can be fuzzed (`sync/fuzz`); only this module sends and receives them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PairMsg {
    Join {
        secret: [u8; 16],
        name: String,
    },
    Welcome {
        name: String,
    },
    Refused {
        reason: String,
    },
    /// The inviter's person is being asked to admit the joiner.
    Pending,
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
            Ok(admit) => {
                let name = rapport_team::clean_name(&name);
                let admitted = match admit {
                    Admit::Auto => true,
                    Admit::Ask(ask) => {
                        send_msg(&self.wire, &mut send, &PairMsg::Pending).await?;
                        let (tx, rx) = tokio::sync::oneshot::channel();
                        let request = JoinRequest {
                            id: conn.remote_id().to_string(),
                            name: name.clone(),
                            code: confirmation_code(&secret, &self.store_id(), &conn.remote_id()),
                            answer: tx,
                        };
                        ask.send(request).await.is_ok()
                            && matches!(tokio::time::timeout(ADMIT_TIMEOUT, rx).await, Ok(Ok(true)))
                    }
                };
                if !admitted {
                    tracing::warn!(peer = %conn.remote_id(), %name, "the device was not admitted");
                    send_msg(
                        &self.wire,
                        &mut send,
                        &PairMsg::Refused {
                            reason: "the inviting device did not admit this one".into(),
                        },
                    )
                    .await?;
                    send.finish()
                        .map_err(|e| SyncError::Transport(e.to_string()))?;
                    return Ok(());
                }
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

/// Answers version-1 joiners (`rapport/pair/1`, which admitted without confirmation) with a
/// refusal they can read: version 1's `Refused` is encoded as this version's.
#[derive(Debug, Clone)]
pub struct LegacyPairHandler {
    pub(crate) wire: Wire,
}

/// What a version-1 device is told.
pub const UPDATE_NEEDED: &str =
    "update Rapport on this device: the team uses a newer pairing (confirmation codes)";

impl ProtocolHandler for LegacyPairHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        tracing::warn!(peer = %conn.remote_id(), "a device running an older Rapport tried to pair; it is told to update");
        if let Ok((mut send, mut recv)) = self.wire.accept_bi(&conn).await
            && read_msg(&self.wire, &mut recv).await.is_ok()
        {
            let _ = send_msg(
                &self.wire,
                &mut send,
                &PairMsg::Refused {
                    reason: UPDATE_NEEDED.into(),
                },
            )
            .await;
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
        }
        Ok(())
    }
}

/// ALPN of the first pairing protocol, answered only to say "update".
pub const PAIR_ALPN_V1: &[u8] = b"rapport/pair/1";

impl PairHandler {
    fn store_id(&self) -> iroh::EndpointId {
        crate::team::device_id(&self.store)
    }
}

impl ProtocolHandler for PairHandler {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        if !self.invites.any_open() {
            // No invite open: nothing to pair with; close before any stream.
            conn.close(CLOSE_NO_INVITE.into(), b"no invite is open");
            return Ok(());
        }
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
    let exchange = async {
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
        let mut answer = read_msg(wire, &mut recv).await?;
        if answer == PairMsg::Pending {
            // A person on the inviting device is deciding; wait for them.
            let buf = wire
                .read_within(&mut recv, MAX_PAIR_MSG, ADMIT_TIMEOUT)
                .await?;
            answer = PairMsg::decode(&buf)?;
        }
        Ok(answer)
    };
    let answer = match exchange.await {
        Ok(a) => a,
        // The inviter closed the connection (no invite open): say why, not "connection lost".
        Err(SyncError::Transport(e)) => {
            let why = match tokio::time::timeout(Duration::from_secs(2), conn.closed()).await {
                Ok(reason) => reason.to_string(),
                Err(_) => e,
            };
            return Err(SyncError::Transport(why));
        }
        Err(e) => return Err(e),
    };
    conn.close(0u32.into(), b"paired");
    match answer {
        PairMsg::Welcome { name } => Ok(name),
        PairMsg::Refused { reason } => {
            Err(SyncError::Ticket(format!("the inviter refused: {reason}")))
        }
        PairMsg::Join { .. } | PairMsg::Pending => {
            Err(SyncError::Protocol("unexpected pairing message".into()))
        }
    }
}
