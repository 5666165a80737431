//! # rapport: the binary
//!
//! Command-line front end over `rapport-store` and `rapport-sync`; with no subcommand it opens
//! the desktop app (`rapport::gui`). This crate parses, dispatches and formats; rules live in
//! `rapport-model`, `rapport-value` and `rapport-query`, storage in `rapport-store`,
//! networking in `rapport-sync`.
//!
//! Errors print one line on stderr (`error: ...`) and exit with status 1; usage errors exit
//! with status 2 (clap). A panic inside the storage engine (redb), which a damaged store file
//! can cause, is reported as damage to that file (status 1); any other panic is a bug and
//! stays one (status 101).

mod cli;
mod net;
mod output;
mod run;
mod team;

use output::say_err;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = cli::Cli::parse();
    let store_file = run::data_dir(&cli)
        .map(|d| d.join(rapport_store::DB_FILE))
        .ok();
    let storage_panic = storage_panics_quietly();
    let outcome = match std::panic::catch_unwind(|| run::run(cli)) {
        Ok(r) => r,
        Err(payload) => match storage_panic.lock().ok().and_then(|mut p| p.take()) {
            Some(what) => {
                let file = store_file
                    .as_ref()
                    .map_or("the store file".to_string(), |f| f.display().to_string());
                let dir = store_file.as_ref().and_then(|f| f.parent());
                say_err!(
                    "error: the store file {file} is damaged (the storage engine failed reading it: {what}); {}",
                    rapport_store::restore_hint(
                        dir.and_then(rapport_store::backups::latest).as_deref()
                    )
                );
                return ExitCode::FAILURE;
            }
            None => std::panic::resume_unwind(payload),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed pipe (`rapport customer list | head`) is not an error.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            say_err!("error: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// Installs a panic hook that records panics raised inside redb (a damaged file) instead of
/// printing them, and leaves every other panic to the default hook.
fn storage_panics_quietly() -> std::sync::Arc<std::sync::Mutex<Option<String>>> {
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen = slot.clone();
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Only on the main thread, whose panic `main` catches and reports.
        let in_redb = std::thread::current().name() == Some("main")
            && info
                .location()
                .is_some_and(|l| l.file().replace('\\', "/").contains("/redb-"));
        if in_redb {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            if let Ok(mut s) = seen.lock() {
                *s = Some(msg);
            }
        } else {
            default(info);
        }
    }));
    slot
}

/// The error and its causes on one line, skipping causes the message already contains.
fn one_line(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
    }
    msg.replace('\n', " ")
}
