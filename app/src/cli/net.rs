//! The network commands: `serve`, `pair invite|join`, `sync --once`, `peers`, `device revoke`.
//! Each builds a small tokio runtime; the work is in `rapport-sync`.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rapport_store::Store;
use rapport_sync::net::{Node, member_addr};
use rapport_sync::pair::Invite;
use serde::Serialize;

use crate::control::{CONTROL_SOCKET, Control};
use crate::output::{self, say, say_err};

use crate::ops::node::{SESSION_TIMEOUT, listen as spawn_node};

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

pub use crate::ops::team::{device_id, find_device};

/// `rapport serve`: the node ([`crate::ops::node`]) until Ctrl-C.
pub fn serve(store: Arc<Store>, bind: SocketAddr, interval: u64) -> Result<()> {
    use crate::ops::node::{Mode, Services};
    runtime()?.block_on(async move {
        let mut services = Services::new(store.clone());
        let started = services
            .start_node(Mode::Serve, bind, Duration::from_secs(interval))
            .await;
        let node = match started {
            Ok(node) => node,
            Err(e) => {
                services.stop().await;
                return Err(e);
            }
        };
        // The control socket first: "serving as" means commands can come through it.
        if let Err(e) = services.start_control() {
            drop(node);
            services.stop().await;
            return Err(e);
        }
        say!(
            "serving as {} ({}) on {}",
            node.endpoint().id(),
            store.device().name,
            services.listening().join(", ")
        );
        drop(node);
        let _ = std::io::stdout().flush();
        services.start_backups();
        services.start_values();
        let _ = tokio::signal::ctrl_c().await;
        say_err!("stopping");
        services.stop().await;
        Ok(())
    })
}

/// `rapport pair invite` while `serve` holds the store: asks it through its control socket.
#[cfg(unix)]
pub fn invite_via_running_node(dir: &std::path::Path, wait: u64, yes: bool) -> Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let path = dir.join(CONTROL_SOCKET);
    need_a_person(yes)?;
    runtime()?.block_on(async move {
        let stream = tokio::net::UnixStream::connect(&path)
            .await
            .with_context(|| format!("the store is in use and {} does not answer", path.display()))?;
        let (read, mut write) = stream.into_split();
        let req = serde_json::to_string(&Control::Invite { ttl: wait, yes })? + "\n";
        write.write_all(req.as_bytes()).await?;
        let mut lines = BufReader::new(read).lines();
        let mut ticket_seen = false;
        while let Some(line) = lines.next_line().await? {
            match serde_json::from_str::<Control>(&line)? {
                Control::Ticket { ticket } => {
                    say!("{ticket}");
                    let _ = std::io::stdout().flush();
                    say_err!("waiting up to {wait} s (through the running `rapport serve`): on the new device run `rapport pair join <ticket>`");
                    ticket_seen = true;
                }
                Control::Paired { id, name } => {
                    say!("paired with {name} ({id})");
                    return Ok(());
                }
                Control::Expired => bail!("nobody joined within {wait} s; the ticket has expired"),
                Control::Refused { reason } => bail!("{reason}"),
                Control::Recovery { code } => print_recovery_code(&code),
                Control::Confirm { id, name, code } => {
                    let admit = tokio::task::spawn_blocking(move || ask_to_admit(&name, &id, &code))
                        .await
                        .unwrap_or(false);
                    let msg = serde_json::to_string(&Control::Answer { admit })? + "\n";
                    write.write_all(msg.as_bytes()).await?;
                }
                Control::Invite { .. }
                | Control::Answer { .. }
                | Control::Run { .. }
                | Control::Output { .. } => {}
            }
        }
        if ticket_seen {
            bail!("the running node stopped before anyone joined")
        }
        bail!("the running node gave no ticket")
    })
}

#[cfg(not(unix))]
pub fn invite_via_running_node(_: &std::path::Path, _: u64, _: bool) -> Result<()> {
    bail!("the store is in use; stop the running Rapport first")
}

/// Without `--yes`, a person at this terminal admits the new device.
fn need_a_person(yes: bool) -> Result<()> {
    use std::io::IsTerminal;
    if !yes && !std::io::stdin().is_terminal() {
        bail!(
            "`pair invite` asks a person to admit the new device; run it in a terminal, or pass --yes in a script"
        );
    }
    Ok(())
}

/// Asks the person at this terminal whether to admit a device (stdin, `y` or `yes`).
pub fn ask_to_admit(name: &str, id: &str, code: &str) -> bool {
    use std::io::BufRead;
    let name = rapport_team::clean_name(name);
    eprint!(
        "\n{name} ({}) wants to join the team.\nIts screen shows the confirmation code {code}. Admit it? [y/N] ",
        id.chars().take(8).collect::<String>()
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// `--yes` admits at once; otherwise each join request is asked at this terminal.
fn admission(yes: bool) -> Result<rapport_sync::pair::Admit> {
    need_a_person(yes)?;
    if yes {
        return Ok(rapport_sync::pair::Admit::Auto);
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel::<rapport_sync::pair::JoinRequest>(4);
    tokio::spawn(async move {
        while let Some(r) = rx.recv().await {
            let (name, id, code) = (r.name.clone(), r.id.clone(), r.code.clone());
            let admit = tokio::task::spawn_blocking(move || ask_to_admit(&name, &id, &code))
                .await
                .unwrap_or(false);
            let _ = r.answer.send(admit);
        }
    });
    Ok(rapport_sync::pair::Admit::Ask(tx))
}

/// `rapport pair invite`.
pub fn invite(store: Arc<Store>, bind: SocketAddr, wait: u64, yes: bool) -> Result<()> {
    need_a_person(yes)?;

    runtime()?.block_on(async move {
        let node = spawn_node(&store, bind).await?;
        node.announce()?;
        let known: std::collections::HashSet<String> =
            store.team()?.into_iter().map(|m| m.id).collect();
        let open = match admission(yes)
            .and_then(|admit| crate::ops::pair::invite(&node, Duration::from_secs(wait), admit))
        {
            Ok(x) => x,
            Err(e) => {
                node.shutdown().await;
                return Err(e);
            }
        };
        if let Some(code) = &open.recovery {
            print_recovery_code(&code.to_text());
        }
        say!("{}", open.ticket);
        let _ = std::io::stdout().flush();
        say_err!("waiting up to {wait} s: on the new device run `rapport pair join <ticket>`");
        let mut feed = store.subscribe();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        let joined = loop {
            match tokio::time::timeout_at(deadline, feed.recv()).await {
                Err(_) => break None,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break None,
                Ok(_) => {}
            }
            if let Some(m) = store.team()?.into_iter().find(|m| !known.contains(&m.id)) {
                break Some(m);
            }
        };
        let Some(member) = joined else {
            node.shutdown().await;
            bail!("nobody joined within {wait} s; the ticket has expired");
        };
        // Stay up until the new device's first sync has been served (or a minute passed).
        let served = node.sessions_served();
        let _ = tokio::time::timeout(Duration::from_secs(60), async {
            while node.sessions_served() == served {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let name = store
            .team()?
            .into_iter()
            .find(|m| m.id == member.id)
            .map(|m| m.name)
            .unwrap_or(member.name);
        // stdout may be gone by now (a script read the ticket and left): never panic on it.
        say!("paired with {name} ({})", member.id);
        node.shutdown().await;
        Ok(())
    })
}

/// Tells the person who just became a team's owner its recovery code (on stderr: stdout's
/// first line is the ticket, which scripts read).
pub fn print_recovery_code(code: &str) {
    say_err!(
        "This device now owns a new team. Its recovery code (write it down and keep it away from this laptop; it is shown only now):\n\n    {code}\n\nIf this device is lost, `rapport team recover CODE` on another team device makes that one the owner."
    );
}

/// `rapport pair join TICKET`.
pub fn join(store: Arc<Store>, bind: SocketAddr, ticket: &str, merge_teams: bool) -> Result<()> {
    // A bad ticket is refused before a node starts.
    Invite::decode(ticket.trim())?;
    runtime()?.block_on(async move {
        let node = spawn_node(&store, bind).await?;
        // Shut the node down on failure too (a dropped endpoint logs an error of its own).
        let joined = match crate::ops::pair::Joining::new(&node, ticket) {
            Ok(joining) => {
                say_err!("{}", joining.prompt());
                joining.join(&node, merge_teams).await
            }
            Err(e) => Err(e),
        };
        node.shutdown().await;
        let joined = joined?;
        say!(
            "paired with {}; first sync brought {} documents",
            joined.inviter,
            joined.documents
        );
        Ok(())
    })
}

/// `rapport sync --once`: with this device's own node, or, when the command runs for a client
/// of the running app or `serve`, with that process's node.
pub fn sync_once(store: Arc<Store>, bind: SocketAddr) -> Result<()> {
    if let Some((node, runtime)) = crate::remote::attached_node() {
        return runtime.block_on(sync_all_and_say(&node));
    }
    runtime()?.block_on(async move {
        let node = spawn_node(&store, bind).await?;
        if node.config().lan_discovery {
            // Give mDNS up to 3 s to find the team's devices on the LAN (less when all are
            // found sooner).
            let me = node.endpoint().id().to_string();
            let others = store
                .team()?
                .into_iter()
                .filter(|m| !m.revoked && m.id != me)
                .count();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
            while node.lan_peers().len() < others && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let result = sync_all_and_say(&node).await;
        node.shutdown().await;
        result
    })
}

/// Syncs with every team device `node` knows an address for, and says how each went.
async fn sync_all_and_say(node: &Node) -> Result<()> {
    let results = node.sync_all(SESSION_TIMEOUT).await;
    if results.is_empty() {
        say_err!("no team device with a known address: pair one first (`rapport pair invite`)");
    }
    let mut ok = 0;
    for (m, r) in &results {
        match r {
            Ok(t) => {
                ok += 1;
                say!(
                    "synced with {}: received {} documents, sent {}",
                    m.name,
                    t.initiator.docs_changed,
                    t.initiator.docs_sent
                );
            }
            Err(e) => say_err!("warning: {} not reachable: {e}", m.name),
        }
    }
    if !results.is_empty() && ok == 0 {
        bail!("no team device was reachable");
    }
    Ok(())
}

#[derive(Serialize)]
struct PeerRow {
    id: String,
    name: String,
    addrs: Vec<String>,
    address_kind: &'static str,
    revoked: bool,
    online: Option<bool>,
    last_synced: Option<String>,
    last_error: Option<String>,
    /// Customer documents written here since the last session with this device.
    pending_changes: u64,
    /// `owner`, `admin` or `member` in a signed team.
    role: Option<&'static str>,
    /// Documents it sent that were refused and are in quarantine here.
    refused: u64,
    /// Why the latest of them was refused.
    refused_reason: Option<String>,
    /// Sync with it is paused because it sent data that was refused: since when and why.
    paused: Option<rapport_store::Paused>,
}

/// `rapport peers`.
pub fn peers(store: Arc<Store>, json: bool, probe: bool) -> Result<()> {
    let me = device_id(&store);
    let team: Vec<_> = store.team()?.into_iter().filter(|m| m.id != me).collect();
    let probe_all = |node: Arc<Node>| {
        let team = team.clone();
        async move {
            let mut out = Vec::new();
            for m in &team {
                out.push(match member_addr(m) {
                    Some(addr) if !m.revoked => {
                        Some(node.probe(addr, Duration::from_secs(2)).await)
                    }
                    _ => None,
                });
            }
            out
        }
    };
    let online: Vec<Option<bool>> = if !probe || team.is_empty() {
        vec![None; team.len()]
    } else if let Some((node, runtime)) = crate::remote::attached_node() {
        // For a client of the running app or `serve`: probe with its node.
        runtime.block_on(probe_all(node))
    } else {
        runtime()?.block_on(async {
            let node = Arc::new(Node::spawn(store.clone(), "0.0.0.0:0".parse()?).await?);
            let out = probe_all(node.clone()).await;
            if let Ok(node) = Arc::try_unwrap(node) {
                node.shutdown().await;
            }
            anyhow::Ok(out)
        })?
    };
    let quarantined = store.quarantined()?;
    let paused = store.paused_peers()?;
    // Devices the running node sees on the LAN (none when this process has no node).
    let lan: Vec<String> = crate::remote::attached_node()
        .map(|(node, _)| node.lan_peers().iter().map(|p| p.to_string()).collect())
        .unwrap_or_default();
    let now = chrono::Utc::now();
    let rows: Vec<PeerRow> = team
        .iter()
        .zip(online)
        .map(|(m, probed)| {
            let mut refused: Vec<_> = quarantined
                .iter()
                .filter(|q| q.peer.as_deref() == Some(m.id.as_str()))
                .collect();
            refused.sort_by_key(|q| q.at);
            let state = store.peer_state(&m.id).unwrap_or_default();
            // The app's definition, with this command's probe as more evidence.
            let online =
                rapport_sync::net::online(m.revoked, &state, lan.contains(&m.id), probed, now);
            let address_kind = match state.address_kind.as_deref() {
                Some("lan") => "lan",
                Some("relay") => "relay",
                _ => "direct",
            };
            PeerRow {
                pending_changes: store.pending_for(&m.id).unwrap_or(0),
                id: m.id.clone(),
                name: m.name.clone(),
                addrs: m.addrs.clone(),
                address_kind,
                revoked: m.revoked,
                online,
                last_synced: state.last_synced.map(|t| t.to_rfc3339()),
                last_error: state.last_error,
                role: m.role.map(|r| r.as_str()),
                refused: refused.len() as u64,
                refused_reason: refused.last().map(|q| q.reason.clone()),
                paused: paused.get(&m.id).cloned(),
            }
        })
        .collect();
    if json {
        return output::json(&rows);
    }
    if rows.is_empty() {
        say!("no other devices in the team yet (`rapport pair invite`)");
    }
    for r in &rows {
        let state = if r.revoked {
            "revoked"
        } else {
            match r.online {
                Some(true) => "online",
                Some(false) => "offline",
                None => "-",
            }
        };
        say!(
            "{}  {:<20} {:<8} {:<6} {:<24} last synced {}, {} pending",
            &r.id[..12.min(r.id.len())],
            r.name,
            state,
            r.address_kind,
            r.addrs.join(","),
            r.last_synced.as_deref().unwrap_or("never"),
            r.pending_changes
        );
        if let Some(p) = &r.paused {
            say!(
                "  {} sent data that was refused; sync with {} is paused (since {}: {}). Resume after looking: `rapport peers resume {}`; or revoke it: `rapport device revoke {}`",
                rapport_team::clean_name(&r.name),
                rapport_team::clean_name(&r.name),
                p.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M"),
                // The terminal writer drops control characters from it.
                p.reason.chars().take(400).collect::<String>(),
                &r.id[..12.min(r.id.len())],
                &r.id[..12.min(r.id.len())]
            );
        } else if r.refused > 0 {
            say!(
                "  {} sent data that was refused ({} documents kept aside; last: {}); ask its person, or revoke it: `rapport device revoke {}`",
                rapport_team::clean_name(&r.name),
                r.refused,
                r.refused_reason
                    .as_deref()
                    .map(rapport_team::clean_name)
                    .unwrap_or_default(),
                &r.id[..12.min(r.id.len())]
            );
        }
    }
    Ok(())
}

/// `rapport peers resume DEVICE`: sync again with a device whose sync was paused.
pub fn resume(store: &Store, query: &str) -> Result<()> {
    let m = crate::ops::team::find(store, query)?;
    if crate::ops::team::resume(store, &m.id)? {
        say!(
            "sync with {} resumes; what it sent before stays set aside, what it sends next is checked",
            m.name
        );
    } else {
        say!("sync with {} was not paused", m.name);
    }
    Ok(())
}

/// `rapport device revoke DEVICE`.
pub fn revoke(store: Arc<Store>, query: &str) -> Result<()> {
    let m = crate::ops::team::find(&store, query)?;
    crate::ops::team::revoke(&store, &m.id)?;
    say!(
        "revoked {} ({}); team devices refuse it once they have synced with this one",
        m.name,
        m.id
    );
    Ok(())
}
