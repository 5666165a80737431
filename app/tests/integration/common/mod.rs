//! Helpers shared by the process tests: run the real `rapport` binary against a data directory.

#![allow(dead_code)] // each test file uses its own subset

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Runs `rapport --data-dir DIR ARGS...` and returns what it did.
pub fn rapport(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("RAPPORT_DATA_DIR")
        // Tests touch only loopback: no mDNS on the real network.
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .output()
        .expect("run rapport")
}

/// Runs it and insists on success; returns stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = rapport(dir, args);
    assert!(
        out.status.success(),
        "rapport {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs it and parses stdout as JSON.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, args)).expect("valid JSON")
}

/// Starts `rapport --data-dir DIR ARGS...` with stdout piped (for [`first_line`]).
pub fn spawn(dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("RAPPORT_DATA_DIR")
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn rapport")
}

/// The child's first stdout line; the rest is drained in the background so it never
/// writes into a closed pipe.
pub fn first_line(child: &mut std::process::Child) -> String {
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("read stdout");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    line.trim().to_string()
}

/// The app, as this test process, holding the store in `dir` (sync off; its worker serves
/// the control socket), drawn headless with the system's fonts.
pub fn app_holding(dir: &Path) -> egui_kittest::Harness<'static, rapport::gui::RapportApp> {
    let store = std::sync::Arc::new(
        rapport_store::Store::open(
            dir,
            rapport_store::OpenOptions {
                holder: "the app (test)".into(),
                ..rapport_store::OpenOptions::default()
            },
        )
        .expect("open the store as the app"),
    );
    egui_kittest::Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(50)
        .with_context_setup(|ctx| {
            ctx.add_font_provider(std::sync::Arc::new(
                egui_system_font_provider::SystemFontProvider::new(),
            ));
        })
        .build_eframe(move |cc| {
            rapport::gui::RapportApp::new(
                &cc.egui_ctx,
                None,
                rapport::gui::Source::Open(store),
                rapport::gui::Options {
                    network: false,
                    ..rapport::gui::Options::default()
                },
            )
        })
}
