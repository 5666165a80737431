//! The control socket of the process that holds the store (the app or `rapport serve`; redb
//! allows one process per store): every CLI command works while it runs, through it.
//!
//! A small request/response protocol of JSON lines ([`Control`]):
//! - `{"run":{"args":[...],"cwd":"..."}}`: the process runs that CLI command on its own open
//!   store (and node), exactly as the CLI would ([`crate::remote::execute`]), and answers one
//!   `{"output":{"stdout":...,"stderr":...,"code":N}}` that the client prints and exits with;
//! - `{"invite":{"ttl":600}}`: `rapport pair invite`, which is a conversation: the ticket out,
//!   a `confirm` per device that presents it and the person's `answer`, then `paired` or
//!   `expired`.
//!
//! The socket is `rapport.sock` in the data directory (0700), itself 0600, and every caller's
//! uid is checked with `SO_PEERCRED` (tokio's `peer_cred`): a caller that is not the user
//! running the process is refused before it says anything, even where the modes were loosened
//! by hand.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use rapport_store::Store;
use rapport_sync::net::Node;
use serde::{Deserialize, Serialize};

/// File name of the running node's control socket inside the data directory.
pub const CONTROL_SOCKET: &str = "rapport.sock";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    /// Client → process: run this CLI command (the arguments after the program name), with
    /// relative paths taken from `cwd`, the client's working directory.
    Run { args: Vec<String>, cwd: String },
    /// Process → client: what the command printed, and its exit code.
    Output {
        stdout: String,
        stderr: String,
        code: i32,
    },
    /// Client → node: make an invite valid for this many seconds; `yes` admits without asking.
    Invite {
        ttl: u64,
        #[serde(default)]
        yes: bool,
    },
    /// Node → client: a device presented the ticket; ask the person.
    Confirm {
        id: String,
        name: String,
        code: String,
    },
    /// Client → node: the person's answer.
    Answer { admit: bool },
    /// Node → client: the ticket to print.
    Ticket { ticket: String },
    /// Node → client: a new device joined.
    Paired { id: String, name: String },
    /// Node → client: nobody joined in time.
    Expired,
    /// Node → client: this device may not invite (the reason names the admins).
    Refused { reason: String },
    /// Node → client: the invite created the team; its recovery code, shown once.
    Recovery { code: String },
}

/// Waits until a device not in `known` appears in the team, or `ttl` passes.
pub async fn wait_for_new_member(
    store: &Store,
    known: &std::collections::HashSet<String>,
    ttl: Duration,
) -> Result<Option<rapport_store::TeamMember>> {
    let mut feed = store.subscribe();
    let deadline = tokio::time::Instant::now() + ttl;
    loop {
        if let Some(m) = store.team()?.into_iter().find(|m| !known.contains(&m.id)) {
            return Ok(Some(m));
        }
        match tokio::time::timeout_at(deadline, feed.recv()).await {
            Err(_) | Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => return Ok(None),
            Ok(_) => {}
        }
    }
}

/// Whether a caller with uid `caller` may use the socket of a node run by `owner`: only the
/// same user (root included: root running the node does not open it to everyone, and another
/// user's node is not root's to drive through this socket).
pub fn caller_allowed(caller: Option<u32>, owner: u32) -> bool {
    caller == Some(owner)
}

/// Serves the control socket of the process that holds `store`: CLI commands for clients
/// ([`Control::Run`]), and `pair invite` when there is a `node` (sync on). The socket lives
/// in the data directory, is 0600, and refuses callers of another uid.
#[cfg(unix)]
pub fn control_socket(
    store: &Arc<Store>,
    node: Option<Arc<Node>>,
) -> Result<tokio::task::JoinHandle<()>> {
    use std::os::unix::fs::MetadataExt;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let path = store.dir().join(CONTROL_SOCKET);
    // Bound under a temporary name, made owner-only, then renamed into place: the socket is
    // never reachable under its name with the default mode.
    let fresh = store
        .dir()
        .join(format!("{CONTROL_SOCKET}.{}", std::process::id()));
    let _ = std::fs::remove_file(&fresh);
    let listener = tokio::net::UnixListener::bind(&fresh)
        .with_context(|| format!("could not create {}", fresh.display()))?;
    rapport_store::private::restrict(&fresh, rapport_store::private::FILE_MODE)
        .with_context(|| format!("could not make {} owner-only", fresh.display()))?;
    std::fs::rename(&fresh, &path)
        .with_context(|| format!("could not create {}", path.display()))?;
    // The socket file was just created by this process: its owner is our effective uid.
    let owner = std::fs::metadata(&path)
        .with_context(|| format!("could not read {}", path.display()))?
        .uid();
    let store = store.clone();
    Ok(tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let caller = stream.peer_cred().ok().map(|c| c.uid());
            if !caller_allowed(caller, owner) {
                tracing::warn!(
                    ?caller,
                    owner,
                    "refused a control socket caller of another user"
                );
                drop(stream);
                continue;
            }
            let store = store.clone();
            let node = node.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut reader = BufReader::new(read);
                let mut line = String::new();
                if reader.read_line(&mut line).await.is_err() {
                    return;
                }
                let send = |c: &Control| serde_json::to_string(c).map(|s| s + "\n");
                match serde_json::from_str(line.trim()) {
                    Ok(Control::Run { args, cwd }) => {
                        let attached = crate::remote::Attached {
                            store,
                            node,
                            runtime: tokio::runtime::Handle::current(),
                        };
                        let done = tokio::task::spawn_blocking(move || {
                            crate::remote::execute(&attached, args, cwd.into())
                        })
                        .await;
                        let answer = match done {
                            Ok(out) => Control::Output {
                                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                                code: out.code,
                            },
                            Err(e) => Control::Output {
                                stdout: String::new(),
                                stderr: format!(
                                    "error: the command failed in the running process: {e}\n"
                                ),
                                code: 101,
                            },
                        };
                        if let Ok(msg) = send(&answer) {
                            let _ = write.write_all(msg.as_bytes()).await;
                        }
                    }
                    Ok(Control::Invite { ttl, yes }) => match node {
                        Some(node) => invite(&store, node, ttl, yes, reader, write).await,
                        None => {
                            let refused = Control::Refused {
                                reason: "sync is off in the running app, so it cannot invite"
                                    .into(),
                            };
                            if let Ok(msg) = send(&refused) {
                                let _ = write.write_all(msg.as_bytes()).await;
                            }
                        }
                    },
                    _ => {}
                }
            });
        }
    }))
}

/// One `pair invite` conversation with a client.
#[cfg(unix)]
async fn invite(
    store: &Arc<Store>,
    node: Arc<Node>,
    ttl: u64,
    yes: bool,
    mut reader: tokio::io::BufReader<tokio::net::unix::OwnedReadHalf>,
    mut write: tokio::net::unix::OwnedWriteHalf,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let send = |c: &Control| serde_json::to_string(c).map(|s| s + "\n");
    let (admit, mut asks) = if yes {
        (rapport_sync::pair::Admit::Auto, None)
    } else {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        (rapport_sync::pair::Admit::Ask(tx), Some(rx))
    };
    // As `pair invite --wait` allows: a larger one would overflow the deadline.
    let ttl = ttl.clamp(1, 86_400);
    let known: std::collections::HashSet<String> = match store.team() {
        Ok(t) => t.into_iter().map(|m| m.id).collect(),
        Err(_) => return,
    };
    let (invite, code) = match node.open_invite(Duration::from_secs(ttl), admit) {
        Ok(x) => x,
        Err(e) => {
            if let Ok(msg) = send(&Control::Refused {
                reason: e.to_string(),
            }) {
                let _ = write.write_all(msg.as_bytes()).await;
            }
            return;
        }
    };
    if let Some(code) = code
        && let Ok(msg) = send(&Control::Recovery {
            code: code.to_text(),
        })
        && write.write_all(msg.as_bytes()).await.is_err()
    {
        return;
    }
    let Ok(ticket) = invite.encode() else {
        return;
    };
    if let Ok(msg) = send(&Control::Ticket { ticket })
        && write.write_all(msg.as_bytes()).await.is_err()
    {
        return;
    }
    let joined = wait_for_new_member(store, &known, Duration::from_secs(ttl));
    tokio::pin!(joined);
    let answer = loop {
        let ask = async {
            match asks.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            m = &mut joined => break match m {
                Ok(Some(m)) => Control::Paired { id: m.id, name: m.name },
                _ => Control::Expired,
            },
            Some(request) = ask => {
                // The person at the client's terminal decides.
                let confirm = Control::Confirm {
                    id: request.id.clone(),
                    name: request.name.clone(),
                    code: request.code.clone(),
                };
                let Ok(msg) = send(&confirm) else { return };
                if write.write_all(msg.as_bytes()).await.is_err() {
                    return;
                }
                let mut line = String::new();
                let admit = reader.read_line(&mut line).await.is_ok()
                    && matches!(
                        serde_json::from_str(line.trim()),
                        Ok(Control::Answer { admit: true })
                    );
                let _ = request.answer.send(admit);
            }
        }
    };
    if let Ok(msg) = send(&answer) {
        let _ = write.write_all(msg.as_bytes()).await;
    }
}

#[cfg(not(unix))]
pub fn control_socket(_: &Arc<Store>, _: Option<Arc<Node>>) -> Result<tokio::task::JoinHandle<()>> {
    Ok(tokio::spawn(async {}))
}
