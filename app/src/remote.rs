//! Every CLI command works while the app or `rapport serve` holds the store.
//!
//! redb lets one process open a store. When a command finds the store held by a running app or
//! `serve` ([`rapport_store::StoreError::InUse`]), the CLI sends the command's arguments and
//! its working directory to that process over the control socket ([`crate::control`]) and
//! prints what comes back: stdout, stderr and the exit code ([`forward`]).
//!
//! The running process runs the very same code the CLI would ([`execute`]): it parses the
//! arguments with the same [`Cli`], reads and writes the files a command names relative to the
//! client's directory ([`client_path`]), and calls [`crate::cli::run`] with this thread's output captured
//! ([`crate::output::capture`]) and the process's own open store and node attached, so
//! `open()` hands out that store instead of opening the file ([`attached_store`]), and network
//! commands use the running node ([`attached_node`]). Output, JSON and exit codes are
//! therefore those of a CLI that opened the store itself; the differences are listed at
//! [`remotable`] and in README (no progress bars; `check` skips redb's own file check, which
//! needs the store to itself).

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use rapport_store::Store;
use rapport_sync::net::Node;

use crate::cli::{Cli, Command, PairCmd};
use crate::control::{CONTROL_SOCKET, Control};

/// The process's open store and node, lent to a command run for a client.
#[derive(Clone)]
pub struct Attached {
    pub store: Arc<Store>,
    /// The running node (`None` when sync is off).
    pub node: Option<Arc<Node>>,
    /// The runtime the node runs on, for network commands (a command runs on a blocking
    /// thread of it).
    pub runtime: tokio::runtime::Handle,
}

thread_local! {
    /// What this thread's command for a client runs on, and the client's working directory
    /// (which relative paths in its command are relative to).
    static ATTACHED: RefCell<Option<(Attached, PathBuf)>> = const { RefCell::new(None) };
}

/// The store of the running process, while this thread runs a command for a client.
pub fn attached_store() -> Option<Arc<Store>> {
    ATTACHED.with(|a| a.borrow().as_ref().map(|(a, _)| a.store.clone()))
}

/// The running node and its runtime, while this thread runs a command for a client of a
/// process whose sync is on.
pub fn attached_node() -> Option<(Arc<Node>, tokio::runtime::Handle)> {
    ATTACHED.with(|a| {
        a.borrow()
            .as_ref()
            .and_then(|(a, _)| a.node.clone().map(|n| (n, a.runtime.clone())))
    })
}

/// Whether this thread runs a command for a client.
pub fn is_attached() -> bool {
    ATTACHED.with(|a| a.borrow().is_some())
}

/// What a command run for a client printed, and its exit code.
pub struct CommandOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub code: i32,
}

/// Whether `cli` may run in the process that holds the store; if not, why (a message for the
/// person).
pub fn remotable(cli: &Cli) -> Result<(), &'static str> {
    match &cli.command {
        None => Err("the app is already open on this store"),
        Some(Command::Serve { .. }) => Err("`rapport serve` or the app already runs on this store"),
        Some(Command::Restore { .. }) => Err(
            "`restore` replaces the store, so it needs the store closed: quit the app or stop `rapport serve` first",
        ),
        Some(Command::Pair(PairCmd::Join { .. })) => Err(
            "`pair join` makes this store another team's device, so it needs the store closed: quit the app or stop `rapport serve` first (or paste the ticket into the app's Team screen)",
        ),
        // Asked for through the socket's own conversation (see `net::invite_via_running_node`).
        Some(Command::Pair(PairCmd::Invite { .. })) => Err("pair invite has its own route"),
        Some(_) => Ok(()),
    }
}

/// Runs the CLI command `args` (without the program name) for a client whose working
/// directory is `cwd`, on the attached store and node, and returns what it printed and its
/// exit code. Never panics: a panic in the command is reported as one (exit code 101).
pub fn execute(attached: &Attached, args: Vec<String>, cwd: PathBuf) -> CommandOutput {
    let (code, stdout, stderr) = crate::output::capture(|| {
        let argv = std::iter::once("rapport".to_string()).chain(args);
        let cli = match Cli::try_parse_from(argv) {
            Ok(cli) => cli,
            Err(e) => {
                let text = e.render().to_string();
                let mut sink = if e.use_stderr() {
                    crate::output::raw_stderr()
                } else {
                    crate::output::raw_stdout()
                };
                let _ = sink.write_all(text.as_bytes());
                return e.exit_code();
            }
        };
        if let Err(why) = remotable(&cli) {
            let _ = writeln!(crate::output::stderr(), "error: {why}");
            return 1;
        }
        ATTACHED.with(|a| *a.borrow_mut() = Some((attached.clone(), cwd)));
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::cli::run(cli)));
        ATTACHED.with(|a| *a.borrow_mut() = None);
        match outcome {
            Ok(result) => crate::cli::report(result),
            Err(_) => {
                let _ = writeln!(
                    crate::output::stderr(),
                    "error: the command panicked in the running process (a bug; the process keeps running)"
                );
                101
            }
        }
    });
    CommandOutput {
        stdout,
        stderr,
        code,
    }
}

/// Where a file a command names is: relative to the client's working directory when the
/// command runs for a client, else as given (relative to this process's own).
pub fn client_path(p: &Path) -> PathBuf {
    if p.is_relative()
        && let Some(cwd) = ATTACHED.with(|a| a.borrow().as_ref().map(|(_, cwd)| cwd.clone()))
    {
        return cwd.join(p);
    }
    p.to_path_buf()
}

/// Sends this process's command (its arguments and working directory) to the process that
/// holds the store in `dir`, prints what it printed, and returns its exit code. Fails (so the
/// caller can report the original "in use" error) if there is no socket or it does not
/// answer.
#[cfg(unix)]
pub fn forward(dir: &Path) -> Result<i32> {
    use std::io::{BufRead, BufReader};
    use std::os::unix::net::UnixStream;
    let path = dir.join(CONTROL_SOCKET);
    let mut stream = UnixStream::connect(&path)
        .with_context(|| format!("could not reach the running process at {}", path.display()))?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().context("no working directory")?;
    let request = Control::Run {
        args,
        cwd: cwd.to_string_lossy().into_owned(),
    };
    let mut line = serde_json::to_string(&request)?;
    line.push('\n');
    stream
        .write_all(line.as_bytes())
        .context("could not send the command to the running process")?;
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .context("the running process did not answer")?;
    match serde_json::from_str(reply.trim()) {
        Ok(Control::Output {
            stdout,
            stderr,
            code,
        }) => {
            // The running process already filtered what a terminal would act on.
            let mut out = std::io::stdout().lock();
            out.write_all(stdout.as_bytes())?;
            out.flush()?;
            let mut err = std::io::stderr().lock();
            err.write_all(stderr.as_bytes())?;
            err.flush()?;
            Ok(code)
        }
        Ok(_) => bail!("the running process sent an unexpected answer"),
        Err(_) if reply.is_empty() => Err(anyhow!(
            "the running process closed the connection without answering (an older Rapport?)"
        )),
        Err(e) => Err(anyhow!(
            "the running process sent an unreadable answer: {e}"
        )),
    }
}

#[cfg(not(unix))]
pub fn forward(_: &Path) -> Result<i32> {
    bail!("commands cannot be sent to a running process on this platform")
}
