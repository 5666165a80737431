//! # rapport: the binary
//!
//! Command-line front end over `rapport-store` and `rapport-sync`; with no subcommand it opens
//! the desktop app (`rapport::gui`). The CLI itself is in the library (`rapport::cli` parses and
//! dispatches, `rapport::output` formats), so the running app and `serve` can
//! run a command for a client (`rapport::remote`); this file sets up logging, runs the
//! command, and turns storage-engine panics into a damage report. Rules live in
//! `rapport-model`, `rapport-value` and `rapport-query`, storage in `rapport-store`,
//! networking in `rapport-sync`.
//!
//! Errors print one line on stderr (`error: ...`) and exit with status 1; usage errors exit
//! with status 2 (clap). A panic inside the storage engine (redb), which a damaged store file
//! can cause, is reported as damage to that file (status 1); any other panic is a bug and
//! stays one (status 101).

use std::io::Write;
use std::process::ExitCode;

use rapport::cli;

/// `eprintln!` through the library's terminal-safe writer.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        let _ = writeln!(rapport::output::stderr(), $($arg)*);
    }};
}

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
    let store_file = cli::data_dir(&cli)
        .map(|d| d.join(rapport_store::DB_FILE))
        .ok();
    let storage_panic = storage_panics_quietly();
    let code = match std::panic::catch_unwind(|| cli::main_code(cli)) {
        Ok(code) => code,
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
    ExitCode::from(u8::try_from(code).unwrap_or(1))
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
