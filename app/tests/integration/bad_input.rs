//! A corpus of bad input tried on every command and every importer of the real `rapport`
//! binary: empty, huge (10 MB fields, 100k rows), binary, wrongly encoded (Latin-1, CP1252 and
//! UTF-16 files, invalid UTF-8 arguments), out of range (impossible dates, years 0 and 99999,
//! negative and absurd amounts, unknown currencies, settings outside their ranges, counts of 0
//! or 10^19), invalid ids, over-long names, control characters, bad paths, bad backups, bad
//! pairing tickets and bad bind addresses.
//!
//! Every case must fail with a non-zero exit that is neither a panic (101) nor a signal, say on
//! stderr what is wrong (for files, the file and the line or field: each case names a
//! substring it expects), keep stderr short (a 10 MB value is not echoed back), and leave the
//! store exactly as it was: a snapshot of everything scripts can read (every customer in full,
//! histories, settings, device, peers, the value report and a JSON export without its
//! timestamp) is compared before and after.
//!
//! The small corpus files are committed in `tests/data/bad/` (its README lists them); the large
//! ones (10 MB fields, 100k rows, random bytes) and the damaged backups are generated here, from
//! fixed seeds. Cases run in three worker threads that take them from one queue (slowest
//! first), each on its own copies of the stores (a store admits one process at a time); a
//! fourth runs the pairing cases, which need an inviter process and wait out one 10 s connect
//! timeout. Network cases bind loopback only, with LAN discovery off.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{json, ok};
use serde_json::Value;

/// How long one command may take before the case fails as hanging.
const LIMIT: Duration = Duration::from_secs(60);
/// stderr longer than this is not a clear message (a huge value echoed back).
const MAX_STDERR: usize = 16 * 1024;

/// The committed corpus of small bad files.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad")
}

/// What one run of the binary did.
struct Outcome {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
    timed_out: bool,
}

/// Runs `rapport --data-dir DIR ARGS...` in `cwd` with no stdin, killing it after `limit`.
fn run(dir: &Path, cwd: &Path, args: &[OsString], limit: Duration) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .current_dir(cwd)
        .env_remove("RAPPORT_DATA_DIR")
        .env_remove("RAPPORT_LOG")
        // Unset, a panic says "run with `RUST_BACKTRACE=1`", which the check looks for.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        // Tests touch only loopback: no mDNS on the real network.
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rapport");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("reap");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Outcome {
        code: status.code(),
        signal,
        stdout,
        stderr,
        timed_out,
    }
}

/// Which store a case runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    /// The store with customers, follow-ups, deals and settings.
    Seeded,
    /// A store with no customer (what `restore` needs).
    Empty,
    /// `--data-dir` names a regular file.
    AFile,
}

/// One malformed input: the arguments, what stderr must say, and where it runs.
#[derive(Clone, Debug)]
struct Case {
    args: Vec<OsString>,
    expect: Vec<String>,
    on: On,
    /// An import that keeps what it cannot place: it must succeed (with `--dry-run`, so
    /// nothing is written) and say `expect` on stdout or stderr.
    kept: bool,
}

impl Case {
    fn new(args: &[&str], expect: &str) -> Case {
        Case::os(args.iter().map(OsString::from).collect(), &[expect])
    }

    fn os(args: Vec<OsString>, expect: &[&str]) -> Case {
        Case {
            args,
            expect: expect.iter().map(|s| s.to_string()).collect(),
            on: On::Seeded,
            kept: false,
        }
    }

    /// A lenient import of `file`: `import FILE --format FORMAT --dry-run` succeeds and says
    /// `expect`.
    fn kept(file: &str, format: &str, expect: &[&str]) -> Case {
        let mut c = Case::os(
            ["import", file, "--format", format, "--dry-run"]
                .iter()
                .map(|s| os(s))
                .collect(),
            expect,
        );
        c.kept = true;
        c
    }

    fn on(mut self, on: On) -> Case {
        self.on = on;
        self
    }

    /// The command this case exercises, e.g. `customer add`, `import --format vcard`.
    fn command(&self) -> String {
        const GROUPS: &[(&str, &[&str])] = &[
            (
                "customer",
                &[
                    "add", "list", "show", "edit", "archive", "delete", "restore",
                ],
            ),
            ("contact", &["add"]),
            ("followup", &["add", "list", "done"]),
            ("interaction", &["log"]),
            ("deal", &["add", "edit"]),
            ("settings", &["set", "unset"]),
            ("device", &["rename", "revoke", "set", "undo"]),
            ("pair", &["invite", "join"]),
        ];
        let words: Vec<String> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let Some(first) = words.first() else {
            return "rapport".into();
        };
        const COMMANDS: &[&str] = &[
            "customer",
            "contact",
            "followup",
            "interaction",
            "deal",
            "history",
            "demo",
            "value",
            "settings",
            "import",
            "export",
            "restore",
            "backup",
            "check",
            "device",
            "serve",
            "pair",
            "sync",
            "peers",
        ];
        if !COMMANDS.contains(&first.as_str()) {
            // Top-level flags and unknown subcommands.
            return "rapport".into();
        }
        if let Some((_, subs)) = GROUPS.iter().find(|(g, _)| g == first)
            && let Some(sub) = words.get(1).filter(|s| subs.contains(&s.as_str()))
        {
            return format!("{first} {sub}");
        }
        if first == "import" {
            let format = words
                .iter()
                .position(|w| w == "--format")
                .and_then(|i| words.get(i + 1))
                .map_or("auto", String::as_str);
            return format!("import --format {format}");
        }
        first.clone()
    }

    /// The arguments as a readable label (long ones shortened).
    fn label(&self) -> String {
        let parts: Vec<String> = self
            .args
            .iter()
            .map(|a| {
                let s = a.to_string_lossy();
                if s.chars().count() > 60 {
                    format!("<{} bytes>", a.len())
                } else {
                    format!("{s:?}")
                }
            })
            .collect();
        format!("{:?} {}", self.on, parts.join(" "))
    }

    /// Checks what the run did: refused clearly, no panic, no signal, no hang.
    fn check(&self, o: &Outcome) -> Result<(), String> {
        let err = &o.stderr;
        if o.timed_out {
            return Err(format!("did not finish within {LIMIT:?}"));
        }
        if let Some(s) = o.signal {
            return Err(format!("killed by signal {s}: {err}"));
        }
        if self.kept {
            if o.code != Some(0) {
                return Err(format!("refused ({:?}), expected it kept: {err}", o.code));
            }
            if err.contains("panicked at") {
                return Err(format!("a panic: {err}"));
            }
            let said = format!("{}\n{err}", o.stdout);
            for want in &self.expect {
                if !said.contains(want.as_str()) {
                    return Err(format!("expected `{want}` in: {said}"));
                }
            }
            return Ok(());
        }
        match o.code {
            Some(0) => return Err(format!("accepted (exit 0): {err}")),
            Some(101) => return Err(format!("panicked (exit 101): {err}")),
            Some(1 | 2) => {}
            other => return Err(format!("unexpected exit {other:?}: {err}")),
        }
        if err.trim().is_empty() {
            return Err("nothing on stderr".into());
        }
        if err.contains("panicked at") || err.contains("RUST_BACKTRACE") {
            return Err(format!("a panic: {err}"));
        }
        if err.len() > MAX_STDERR {
            return Err(format!(
                "{} bytes on stderr: {}...",
                err.len(),
                err.chars().take(300).collect::<String>()
            ));
        }
        if !err.lines().any(|l| l.starts_with("error: ")) {
            return Err(format!("no `error: ` line: {err}"));
        }
        for want in &self.expect {
            if !err.contains(want.as_str()) {
                return Err(format!("expected `{want}` in: {err}"));
            }
        }
        Ok(())
    }
}

fn os(s: &str) -> OsString {
    OsString::from(s)
}

/// An argument that is not UTF-8.
#[cfg(unix)]
fn bytes_arg(b: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(b.to_vec())
}

/// Copies a store directory (regular files only; sockets and the like stay behind).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else if t.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Everything a script can read from the store, with the export's timestamp taken out.
fn snapshot(dir: &Path, scratch: &Path) -> BTreeMap<String, Value> {
    let mut s = BTreeMap::new();
    let list = json(dir, &["customer", "list", "--archived", "--json"]);
    let deleted = json(dir, &["customer", "list", "--deleted", "--json"]);
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .chain(deleted.as_array().unwrap())
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    for id in &ids {
        s.insert(
            format!("show {id}"),
            json(dir, &["customer", "show", id, "--json"]),
        );
        s.insert(
            format!("history {id}"),
            json(dir, &["history", id, "--json"]),
        );
    }
    s.insert("list".into(), list);
    s.insert("deleted".into(), deleted);
    for (key, args) in [
        ("followups", &["followup", "list", "--json"][..]),
        ("settings", &["settings", "--json"]),
        ("device", &["device", "--json"]),
        ("peers", &["peers", "--no-probe", "--json"]),
        ("value", &["value", "--json"]),
        ("check", &["check", "--json"]),
    ] {
        s.insert(key.into(), json(dir, args));
    }
    let file = scratch.join(format!(
        "snapshot-of-{}.json",
        dir.file_name().unwrap().to_string_lossy()
    ));
    ok(dir, &["export", "--format", "json", file.to_str().unwrap()]);
    let mut export: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let _ = std::fs::remove_file(&file);
    export.as_object_mut().unwrap().remove("created_at");
    s.insert("export".into(), export);
    s
}

/// Says which entries of two snapshots differ.
fn differences(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let short = |v: Option<&Value>| {
                v.map(|v| v.to_string().chars().take(400).collect::<String>())
                    .unwrap_or_else(|| "(missing)".into())
            };
            format!(
                "{k}: before {} / after {}",
                short(a.get(k)),
                short(b.get(k))
            )
        })
        .collect()
}

/// A deterministic pseudo-random byte stream (xorshift64*), so generated files are the same
/// on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 56) as u8).collect()
    }
}

/// What the seeded store holds that cases refer to.
struct Seeded {
    acme: String,
    followup: String,
    deal: String,
    device_id: String,
    /// A 4-digit hex prefix that matches no customer, follow-up or deal.
    unused_prefix: String,
}

/// Builds the seeded store: customers (company, person, archived, deleted, two of the same
/// name), contacts, follow-ups, interactions, deals and team settings.
fn seed(d: &Path) -> Seeded {
    let add = |args: &[&str]| ok(d, args).trim().to_string();
    let acme = add(&[
        "customer",
        "add",
        "--name",
        "Acme Trading",
        "--email",
        "buyer@acme.example",
        "--phone",
        "+86 21 5555 0101",
        "--tag",
        "VIP",
        "--notes",
        "Key account.\nPrefers email.",
    ]);
    let zhang = add(&[
        "customer",
        "add",
        "--name",
        "张伟",
        "--kind",
        "person",
        "--company",
        "華創商務",
        "--email",
        "zhang.wei@huachuang.example",
    ]);
    let muller = add(&["customer", "add", "--name", "Müller GmbH"]);
    let gone = add(&["customer", "add", "--name", "Gone Ltd"]);
    add(&["customer", "add", "--name", "Twin"]);
    add(&["customer", "add", "--name", "Twin"]);
    add(&[
        "contact",
        "add",
        &acme,
        "--name",
        "王芳",
        "--email",
        "wang@acme.example",
        "--birthday",
        "1985-03-12",
    ]);
    let followup = add(&[
        "followup",
        "add",
        &acme,
        "--due",
        "2026-12-01",
        "--subject",
        "Call about the spring order",
    ]);
    let followup2 = add(&[
        "followup",
        "add",
        &zhang,
        "--due",
        "2020-01-01 09:30",
        "--kind",
        "visit",
        "--subject",
        "回访",
    ]);
    add(&[
        "interaction",
        "log",
        &acme,
        "--summary",
        "Visited the plant",
        "--at",
        "2026-01-15 10:00",
    ]);
    let deal = add(&[
        "deal",
        "add",
        &acme,
        "--amount",
        "120000.00",
        "--currency",
        "CNY",
        "--status",
        "won",
        "--date",
        "2026-01-31",
        "--title",
        "Spring order",
    ]);
    let deal2 = add(&[
        "deal",
        "add",
        &muller,
        "--amount",
        "5000",
        "--currency",
        "EUR",
        "--status",
        "open",
        "--date",
        "2026-12-31",
        "--probability",
        "40",
    ]);
    ok(d, &["settings", "set", "rate.EUR", "7.85"]);
    ok(d, &["settings", "set", "tier.vip_percent", "2"]);
    ok(d, &["customer", "archive", &muller]);
    ok(d, &["customer", "delete", &gone]);
    ok(d, &["device", "rename", "bad-input fixture"]);
    let device_id = json(d, &["device", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut taken: Vec<String> = json(d, &["customer", "list", "--archived", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .chain(
            json(d, &["customer", "list", "--deleted", "--json"])
                .as_array()
                .unwrap(),
        )
        .map(|c| c["id"].as_str().unwrap()[..4].to_string())
        .collect();
    for item in [&followup, &followup2, &deal, &deal2] {
        taken.push(item[..4].to_string());
    }
    let unused_prefix = (0u32..)
        .map(|n| format!("{:04x}", n * 7919 % 65536))
        .find(|p| !taken.contains(p))
        .unwrap();
    Seeded {
        acme,
        followup,
        deal,
        device_id,
        unused_prefix,
    }
}

/// The cases on arguments: every subcommand with malformed, out-of-range, over-long,
/// control-character and wrongly encoded values.
fn argument_cases(s: &Seeded, files: &Path) -> Vec<Case> {
    let acme = s.acme.as_str();
    let deal = &s.deal[..8];
    let fu = &s.followup[..8];
    let unused = s.unused_prefix.as_str();
    let huge = "x".repeat(120_000); // under the 128 KiB a single argument may have
    let huge_digits = "9".repeat(120_000);
    let deal_add = |amount: &str, currency: &str, status: &str, date: &str| -> Vec<String> {
        [
            "deal",
            "add",
            acme,
            "--amount",
            amount,
            "--currency",
            currency,
            "--status",
            status,
            "--date",
            date,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let strs = |v: Vec<String>, extra: &[&str], expect: &str| {
        let mut args: Vec<OsString> = v.into_iter().map(OsString::from).collect();
        args.extend(extra.iter().map(OsString::from));
        Case::os(args, &[expect])
    };
    let fu_add = |due: &str, extra: &[&str], expect: &str| {
        let mut a = vec!["followup", "add", acme, "--due", due, "--subject", "Call"];
        a.extend_from_slice(extra);
        Case::new(&a, expect)
    };
    let log = |extra: &[&str], expect: &str| {
        let mut a = vec!["interaction", "log", acme, "--summary", "Called"];
        a.extend_from_slice(extra);
        Case::new(&a, expect)
    };
    let contact = |extra: &[&str], expect: &str| {
        let mut a = vec!["contact", "add", acme, "--name", "Kim"];
        a.extend_from_slice(extra);
        Case::new(&a, expect)
    };
    let edit = |extra: &[&str], expect: &str| {
        let mut a = vec!["customer", "edit", acme];
        a.extend_from_slice(extra);
        Case::new(&a, expect)
    };
    let set = |k: &str, v: &str, expect: &str| Case::new(&["settings", "set", k, v], expect);
    let fifo = files.join("a-fifo");
    let not_a_dir = files.join("plain-file");
    let long_name = files.join(format!("{}.vcf", "n".repeat(300)));
    let p = |x: &Path| x.to_str().unwrap().to_string();
    let mut v = vec![
        // customer add
        Case::new(
            &["customer", "add", "--name", ""],
            "name: must not be empty",
        ),
        Case::new(&["customer", "add", "--name", " \t "], "name: "),
        Case::new(
            &["customer", "add", "--name", "A\u{1}B"],
            "control character",
        ),
        Case::new(
            &["customer", "add", "--name", "A\u{7f}B"],
            "control character",
        ),
        Case::new(
            &["customer", "add", "--name", "Line\nBreak"],
            "control character",
        ),
        Case::new(
            &["customer", "add", "--name", "Ansi\u{1b}[31m"],
            "control character",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--kind", "robot"],
            "kind",
        ),
        Case::new(&["customer", "add", "--name", "B", "--kind", ""], "kind"),
        Case::new(
            &["customer", "add", "--name", "B", "--email", "nope@"],
            "email",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--email", "a b@c.example"],
            "email",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--email", &huge],
            "email",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--phone", "call me"],
            "phone",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--phone", "12"],
            "phone",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--phone", &huge],
            "phone",
        ),
        Case::new(&["customer", "add", "--name", "B", "--tag", ""], "tag"),
        Case::new(
            &["customer", "add", "--name", "B", "--tag", "a\u{1}"],
            "tag",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--company", "C\u{1b}"],
            "company",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--industry", "a\tb"],
            "industry",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--owner", "a\u{1}"],
            "owner",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--source", "a\u{85}b"],
            "source",
        ),
        Case::new(
            &[
                "customer",
                "add",
                "--name",
                "B",
                "--address",
                "Street\u{7}1",
            ],
            "address",
        ),
        Case::new(
            &["customer", "add", "--name", "B", "--notes", "bell\u{7}"],
            "notes",
        ),
        Case::new(&["customer", "add"], "--name"),
        Case::new(&["customer", "add", "--name"], "--name"),
        Case::new(&["customer", "add", "--name", "B", "--bogus"], "--bogus"),
        // customer list
        Case::new(&["customer", "list", "--tier", "gold"], "tier"),
        Case::new(&["customer", "list", "--tier", ""], "tier"),
        Case::new(&["customer", "list", "--limit", "-1"], "-1"),
        Case::new(&["customer", "list", "--limit", "ten"], "--limit"),
        Case::new(
            &["customer", "list", "--offset", "99999999999999999999999"],
            "--offset",
        ),
        Case::new(
            &["customer", "list", "--archived", "--deleted"],
            "cannot be used with",
        ),
        // customer show / edit / archive / delete / restore: invalid ids and names
        Case::new(
            &["customer", "show", "no-such-customer"],
            "no customer matches",
        ),
        Case::new(&["customer", "show", ""], "no customer matches"),
        Case::new(&["customer", "show", unused], "no customer matches"),
        Case::new(
            &["customer", "show", &"f".repeat(40)],
            "no customer matches",
        ),
        Case::new(
            &["customer", "show", "00000000-0000-0000-0000-000000000000"],
            "no customer matches",
        ),
        Case::new(&["customer", "show", "\u{1}\u{2}"], "no customer matches"),
        Case::new(&["customer", "show", &huge], "no customer matches"),
        Case::new(&["customer", "show", "Twin"], "matches several customers"),
        Case::new(&["customer", "show", "-1"], "-1"),
        Case::new(&["customer", "show"], "<CUSTOMER>"),
        edit(&["--name", ""], "name: must not be empty"),
        edit(&["--name", "a\u{1}"], "control character"),
        edit(&[], "nothing to change"),
        edit(&["--kind", "robot"], "kind"),
        edit(&["--stage", "bogus"], "stage"),
        edit(&["--importance", "5"], "importance"),
        edit(&["--urgency", "now"], "urgency"),
        edit(&["--tier", "gold"], "tier"),
        edit(&["--tier-reason", "x"], "--tier"),
        edit(&["--tier", "vip", "--tier-reason", "a\u{1}"], "tier_reason"),
        edit(&["--referred-by", acme], "cannot refer itself"),
        edit(&["--referred-by", "nobody"], "no customer matches"),
        edit(&["--referred-by", "Twin"], "matches several customers"),
        edit(&["--add-email", "bad"], "email"),
        edit(&["--add-phone", "x"], "phone"),
        edit(&["--add-tag", ""], "tag"),
        edit(&["--remove-tag", " "], "tag"),
        edit(&["--remove-email", "a\nb"], "control character"),
        edit(&["--notes", "a\u{0b}b"], "notes"),
        Case::new(
            &["customer", "edit", "no-such-customer", "--name", "x"],
            "no customer matches",
        ),
        Case::new(&["customer", "edit", "Twin", "--name", "x"], "several"),
        Case::new(&["customer", "archive", "nobody"], "no customer matches"),
        Case::new(&["customer", "archive", unused], "no customer matches"),
        Case::new(&["customer", "archive"], "<CUSTOMER>"),
        Case::new(&["customer", "delete", "nobody"], "no customer matches"),
        Case::new(&["customer", "delete", "Twin"], "several"),
        Case::new(&["customer", "restore", "nobody"], "no customer matches"),
        Case::new(&["customer", "restore", ""], "no customer matches"),
        // contact add
        Case::new(&["contact", "add", acme, "--name", ""], "contact.name"),
        Case::new(
            &["contact", "add", "nobody", "--name", "K"],
            "no customer matches",
        ),
        Case::new(&["contact", "add", acme], "--name"),
        contact(&["--email", "bad"], "email"),
        contact(&["--phone", "x"], "phone"),
        contact(&["--handle", ""], "contact.handle"),
        contact(&["--title", "a\u{1}"], "contact.title"),
        contact(&["--notes", "a\u{1}"], "contact.notes"),
        contact(&["--birthday", "2026-02-30"], "not a date"),
        contact(&["--birthday", "2026-13-40"], "not a date"),
        contact(&["--birthday", "99999-01-01"], "not a date"),
        contact(&["--birthday", "+99999-01-01"], "out of range"),
        contact(&["--birthday", "0000-01-01"], "out of range"),
        contact(&["--birthday", "yesterday"], "birthday"),
        // followup add / list / done
        fu_add("tomorrow", &[], "not a date"),
        fu_add("2026-13-40", &[], "not a date"),
        fu_add("99999-12-01", &[], "not a date"),
        fu_add("+99999-12-01", &[], "out of range"),
        fu_add("0000-01-01", &[], "out of range"),
        fu_add("2026-12-01 25:00", &[], "not a time"),
        fu_add("2026-12-01T09:60", &[], "not a time"),
        fu_add("", &[], "not a date"),
        fu_add(&huge, &[], "not a date"),
        fu_add("2026-12-01", &["--kind", "fax"], "kind"),
        fu_add("2026-12-01", &["--assignee", "a\u{1}"], "followup.assignee"),
        Case::new(
            &[
                "followup",
                "add",
                acme,
                "--due",
                "2026-12-01",
                "--subject",
                "",
            ],
            "followup.subject",
        ),
        Case::new(
            &[
                "followup",
                "add",
                "nobody",
                "--due",
                "2026-12-01",
                "--subject",
                "x",
            ],
            "no customer matches",
        ),
        Case::new(&["followup", "add", acme, "--subject", "x"], "--due"),
        Case::new(
            &["followup", "list", "--overdue", "--today"],
            "cannot be used with",
        ),
        Case::new(
            &["followup", "list", "--week", "--due-revisit"],
            "cannot be used with",
        ),
        Case::new(&["followup", "done", "abc"], "no open follow-up matches"),
        Case::new(&["followup", "done", ""], "no open follow-up matches"),
        Case::new(&["followup", "done", unused], "no open follow-up matches"),
        Case::new(&["followup", "done", &huge], "no open follow-up matches"),
        Case::new(
            &["followup", "done", fu, "--outcome", "a\u{1}"],
            "followup.outcome",
        ),
        // interaction log
        Case::new(
            &["interaction", "log", acme, "--summary", ""],
            "interaction.summary",
        ),
        Case::new(
            &["interaction", "log", "nobody", "--summary", "x"],
            "no customer matches",
        ),
        log(&["--kind", "fax"], "kind"),
        log(&["--at", "yesterday"], "at:"),
        log(&["--at", "2026-13-40T00:00"], "at:"),
        log(&["--at", "+99999-01-01T00:00:00Z"], "at:"),
        log(&["--at", "0001-01-01T00:00:00Z"], "out of range"),
        log(&["--at", &huge], "at:"),
        log(&["--by", "a\u{1}"], "interaction.by"),
        log(&["--outcome", "a\u{1}"], "interaction.outcome"),
        // deal add
        strs(
            deal_add("-5", "CNY", "won", "2026-01-31"),
            &[],
            "must not be negative",
        ),
        strs(
            deal_add("-0.01", "CNY", "won", "2026-01-31"),
            &[],
            "negative",
        ),
        strs(
            deal_add("1e9", "CNY", "won", "2026-01-31"),
            &[],
            "not an amount",
        ),
        strs(
            deal_add("", "CNY", "won", "2026-01-31"),
            &[],
            "not an amount",
        ),
        strs(
            deal_add("NaN", "CNY", "won", "2026-01-31"),
            &[],
            "not an amount",
        ),
        strs(
            deal_add("inf", "CNY", "won", "2026-01-31"),
            &[],
            "not an amount",
        ),
        strs(
            deal_add("1.2.3", "CNY", "won", "2026-01-31"),
            &[],
            "not an amount",
        ),
        strs(
            deal_add("５", "CNY", "won", "2026-01-31"),
            &[],
            "not an amount",
        ),
        strs(
            deal_add("5.123", "CNY", "won", "2026-01-31"),
            &[],
            "decimal places",
        ),
        strs(
            deal_add("5.5", "JPY", "won", "2026-01-31"),
            &[],
            "decimal places",
        ),
        strs(
            deal_add("92233720368547758.07", "CNY", "won", "2026-01-31"),
            &[],
            "too large",
        ),
        strs(
            deal_add("10000000000000.01", "CNY", "won", "2026-01-31"),
            &[],
            "too large",
        ),
        strs(
            deal_add("99999999999999999999999", "CNY", "won", "2026-01-31"),
            &[],
            "too large",
        ),
        strs(
            deal_add(&huge_digits, "CNY", "won", "2026-01-31"),
            &[],
            "too large",
        ),
        strs(deal_add("5", "XYZ", "won", "2026-01-31"), &[], "ISO 4217"),
        strs(deal_add("5", "", "won", "2026-01-31"), &[], "ISO 4217"),
        strs(deal_add("5", "€", "won", "2026-01-31"), &[], "ISO 4217"),
        strs(deal_add("5", "CNYY", "won", "2026-01-31"), &[], "ISO 4217"),
        strs(deal_add("5", &huge, "won", "2026-01-31"), &[], "ISO 4217"),
        strs(deal_add("5", "CNY", "maybe", "2026-01-31"), &[], "status"),
        strs(deal_add("5", "CNY", "won", "2026-02-30"), &[], "not a date"),
        strs(deal_add("5", "CNY", "won", "2026-13-40"), &[], "not a date"),
        strs(
            deal_add("5", "CNY", "won", "99999-01-01"),
            &[],
            "not a date",
        ),
        strs(
            deal_add("5", "CNY", "won", "+99999-01-01"),
            &[],
            "out of range",
        ),
        strs(
            deal_add("5", "CNY", "won", "0000-01-01"),
            &[],
            "out of range",
        ),
        strs(
            deal_add("5", "CNY", "won", "0999-12-31"),
            &[],
            "out of range",
        ),
        strs(
            deal_add("5", "CNY", "won", "2026-01-31"),
            &["--probability", "101"],
            "probability must be between 0 and 100",
        ),
        strs(
            deal_add("5", "CNY", "won", "2026-01-31"),
            &["--probability", "300"],
            "--probability",
        ),
        strs(
            deal_add("5", "CNY", "won", "2026-01-31"),
            &["--probability", "-1"],
            "-1",
        ),
        strs(
            deal_add("5", "CNY", "won", "2026-01-31"),
            &["--title", "a\u{1}"],
            "deal.title",
        ),
        Case::new(
            &[
                "deal",
                "add",
                "nobody",
                "--amount",
                "5",
                "--currency",
                "CNY",
                "--status",
                "won",
                "--date",
                "2026-01-31",
            ],
            "no customer matches",
        ),
        Case::new(&["deal", "add", acme, "--amount", "5"], "required"),
        // deal edit
        Case::new(&["deal", "edit", "abc", "--amount", "5"], "no deal matches"),
        Case::new(
            &["deal", "edit", unused, "--amount", "5"],
            "no deal matches",
        ),
        Case::new(&["deal", "edit", &huge, "--amount", "5"], "no deal matches"),
        Case::new(
            &["deal", "edit", deal, "--probability", "101"],
            "probability",
        ),
        Case::new(&["deal", "edit", deal, "--amount", "-5"], "negative"),
        Case::new(
            &["deal", "edit", deal, "--amount", "5.123"],
            "decimal places",
        ),
        Case::new(&["deal", "edit", deal, "--amount", "1e15"], "not an amount"),
        Case::new(
            &["deal", "edit", deal, "--amount", "99999999999999999"],
            "too large",
        ),
        Case::new(&["deal", "edit", deal, "--currency", "XYZ"], "ISO 4217"),
        Case::new(&["deal", "edit", deal, "--status", "maybe"], "status"),
        Case::new(
            &["deal", "edit", deal, "--date", "2026-13-40"],
            "not a date",
        ),
        Case::new(
            &["deal", "edit", deal, "--date", "+99999-01-01"],
            "out of range",
        ),
        Case::new(&["deal", "edit", deal, "--title", "a\u{1}"], "deal.title"),
        // history, value, check, peers
        Case::new(&["history", "nobody"], "no customer matches"),
        Case::new(&["history", ""], "no customer matches"),
        Case::new(&["history", "Twin"], "several"),
        Case::new(&["history", &huge], "no customer matches"),
        Case::new(&["history"], "<CUSTOMER>"),
        Case::new(&["value", "--bogus"], "--bogus"),
        Case::new(&["value", "extra"], "extra"),
        Case::new(&["check", "--bogus"], "--bogus"),
        Case::new(&["check", "extra"], "extra"),
        Case::new(&["peers", "--bogus"], "--bogus"),
        Case::new(&["peers", "extra"], "extra"),
        // settings
        set("tier.vip_percent", "101", "from 0 to 100"),
        set("tier.vip_percent", "-1", "-1"),
        set("tier.vip_percent", "1.5", "tier.vip_percent"),
        set("tier.vip_percent", "", "tier.vip_percent"),
        set("tier.vip_percent", "30", "tier percentages must increase"),
        set("tier.major_percent", "1", "tier percentages must increase"),
        set("tier.common_percent", "200", "from 0 to 100"),
        set("tier.common_percent", "4294967296", "tier.common_percent"),
        set("tier.vip_percent", &huge_digits, "tier.vip_percent"),
        set("value.window_months", "0", "from 1 to 120"),
        set("value.window_months", "1000000000", "from 1 to 120"),
        set("cadence.vip_days", "0", "from 1 to 3650"),
        set("cadence.minor_days", "99999", "from 1 to 3650"),
        set("cadence.vip_days", "often", "cadence.vip_days"),
        set("clv.margin_percent", "101", "from 0 to 100"),
        set("clv.lifetime_years", "51", "from 0 to 50"),
        set("clv.discount_percent", "1000", "from 0 to 100"),
        set("currency.base", "XYZ", "ISO 4217"),
        set("currency.base", "", "ISO 4217"),
        set("rate.EUR", "0", "positive decimal rate"),
        set("rate.EUR", "-1", "-1"),
        set("rate.EUR", "abc", "positive decimal rate"),
        set("rate.EUR", "1.0000001", "at most 6 decimals"),
        set("rate.EUR", "99999999999", "up to 1000000000"),
        set("rate.EUR", "7\t85", "rate.EUR"),
        set("rate.XYZ", "1", "ISO 4217"),
        set("rate.", "1", "ISO 4217"),
        set("colour", "blue", "not a known setting"),
        set("", "1", "not a known setting"),
        set("tier.vip_percent\u{1}", "1", "not a known setting"),
        set(&huge, "1", "not a known setting"),
        Case::new(&["settings", "unset", "colour"], "not a known setting"),
        Case::new(&["settings", "unset", "rate.XYZ"], "not a known setting"),
        Case::new(&["settings", "unset", ""], "not a known setting"),
        Case::new(&["settings", "set", "rate.EUR"], "<VALUE>"),
        Case::new(&["settings", "frobnicate"], "frobnicate"),
        // export: bad paths
        Case::new(&["export", &p(files)], "is a directory"),
        Case::new(&["export", "--format", "json", &p(files)], "is a directory"),
        Case::new(
            &["export", &p(&files.join("no/such/dir/out.vcf"))],
            "could not write in",
        ),
        Case::new(
            &["export", &p(&not_a_dir.join("out.vcf"))],
            "could not write in",
        ),
        Case::new(&["export", &p(&long_name)], "could not write"),
        Case::new(&["export", "--format", "pdf", "out.pdf"], "pdf"),
        Case::new(&["export"], "<FILE>"),
        Case::new(&["export", ""], "<FILE>"),
        // device
        Case::new(&["device", "rename", ""], "name: must not be empty"),
        Case::new(&["device", "rename", "a\tb"], "control character"),
        Case::new(
            &["device", "rename", &"d".repeat(300)],
            "device name: too long",
        ),
        Case::new(&["device", "rename", &huge], "too long"),
        Case::new(&["device", "revoke", ""], "no team device matches"),
        Case::new(&["device", "revoke", "zzzz"], "no team device matches"),
        Case::new(&["device", "revoke", &huge], "no team device matches"),
        Case::new(&["device", "revoke", &s.device_id], "device"),
        Case::new(
            &["device", "set", "lan.discovery", "maybe"],
            "is not on or off",
        ),
        Case::new(&["device", "set", "colour", "on"], "unknown device setting"),
        Case::new(&["device", "set", "", ""], "unknown device setting"),
        Case::new(&["device", "set", &huge, "on"], "unknown device setting"),
        Case::new(&["device", "set", "net.relays"], "<VALUE>"),
        Case::new(&["device", "frobnicate"], "frobnicate"),
        // device undo: devices that made no change, this device itself, and bad --since times
        // (another device that did make changes would be undone for real: none here)
        Case::new(&["device", "undo", "nobody"], "no change by `nobody` found"),
        Case::new(&["device", "undo", ""], "device: must not be empty"),
        Case::new(&["device", "undo", &huge], "no change by"),
        Case::new(&["device", "undo", &"0".repeat(64)], "no change by"),
        Case::new(
            &["device", "undo", "nobody", "--dry-run"],
            "no change by `nobody` found",
        ),
        Case::new(
            &[
                "device",
                "undo",
                "bad-input fixture",
                "--since",
                "yesterday",
            ],
            "since: `yesterday` is not a time",
        ),
        Case::new(
            &[
                "device",
                "undo",
                "bad-input fixture",
                "--since",
                "2026-13-40 10:00",
            ],
            "since:",
        ),
        Case::new(
            &[
                "device",
                "undo",
                "bad-input fixture",
                "--since",
                "+99999-01-01T00:00:00Z",
            ],
            "since:",
        ),
        Case::new(
            &["device", "undo", "bad-input fixture", "--since", &huge],
            "since:",
        ),
        Case::new(
            &[
                "device",
                "undo",
                "bad-input fixture",
                "--since",
                "9999-12-31T00:00:00Z",
            ],
            "is this device",
        ),
        Case::new(&["device", "undo"], "<DEVICE>"),
        // pair: tickets that cannot be decoded, and bad bind addresses
        Case::new(&["pair", "join", ""], "does not start with `rapport1`"),
        Case::new(
            &["pair", "join", "garbage"],
            "does not start with `rapport1`",
        ),
        Case::new(&["pair", "join", "rapport1"], "invite"),
        Case::new(&["pair", "join", "rapport1abc"], "not valid base32"),
        Case::new(&["pair", "join", "rapport1!!!!"], "not valid base32"),
        Case::new(&["pair", "join", "rapport1aaaaaaaa"], "invite"),
        Case::new(&["pair", "join", "\u{1}\u{2}\u{3}"], "rapport1"),
        Case::new(&["pair", "join", &huge], "rapport1"),
        Case::new(
            &["pair", "join", &format!("rapport1{}", "a".repeat(100_000))],
            "invite",
        ),
        Case::new(&["pair", "join"], "<TICKET>"),
        Case::new(&["pair", "invite", "--yes", "--wait", "0"], "--wait"),
        Case::new(&["pair", "invite", "--yes", "--wait", "-1"], "-1"),
        Case::new(
            &["pair", "invite", "--yes", "--wait", "99999999999"],
            "--wait",
        ),
        Case::new(
            &["pair", "invite", "--yes", "--wait", "18446744073709551615"],
            "--wait",
        ),
        Case::new(&["pair", "invite", "--bind", "999.1.1.1:1"], "--bind"),
        Case::new(&["pair", "invite", "--bind", "localhost:0"], "--bind"),
        Case::new(
            &[
                "pair",
                "invite",
                "--yes",
                "--bind",
                "192.0.2.1:0",
                "--wait",
                "5",
            ],
            "could not listen on 192.0.2.1:0",
        ),
        // sync and serve: bad --bind values (clap, or a local bind failure; no traffic)
        Case::new(&["sync"], "--once"),
        Case::new(&["sync", "--once", "--bind", "localhost:0"], "--bind"),
        Case::new(&["sync", "--once", "--bind", "127.0.0.1:99999"], "--bind"),
        Case::new(&["sync", "--once", "--bind", ""], "--bind"),
        Case::new(&["sync", "--once", "--bind", "[::1]:99999"], "--bind"),
        Case::new(&["sync", "--once", "--bind", "127.0.0.1"], "--bind"),
        Case::new(&["sync", "--once", "--bind", "-1"], "-1"),
        Case::new(
            &["sync", "--once", "--bind", "192.0.2.1:0"],
            "could not listen on 192.0.2.1:0",
        ),
        Case::new(&["serve", "--bind", "localhost:47810"], "--bind"),
        Case::new(&["serve", "--bind", "127.0.0.1:65536"], "--bind"),
        Case::new(&["serve", "--bind", "0.0.0.0"], "--bind"),
        Case::new(
            &["serve", "--bind", "192.0.2.1:47810"],
            "could not listen on 192.0.2.1:47810",
        ),
        Case::new(&["serve", "--interval", "0"], "--interval"),
        Case::new(&["serve", "--interval", "-5"], "-5"),
        Case::new(&["serve", "--interval", "99999999999"], "--interval"),
        Case::new(&["serve", "--interval", "soon"], "--interval"),
        // demo: out-of-range counts
        Case::new(&["demo", "--customers", "0"], "out of range"),
        Case::new(&["demo", "--customers", "-1"], "-1"),
        Case::new(&["demo", "--customers", "1000001"], "out of range"),
        Case::new(&["demo", "--customers", "1000000000"], "out of range"),
        Case::new(
            &["demo", "--customers", "18446744073709551615"],
            "out of range",
        ),
        Case::new(
            &[
                "demo",
                "--customers",
                "99999999999999999999999999999999999999999",
            ],
            "--customers",
        ),
        Case::new(&["demo", "--customers", "1e3"], "--customers"),
        Case::new(&["demo", "--seed", "-1"], "-1"),
        Case::new(&["demo", "--seed", "x"], "--seed"),
        // the top level, and a data directory that is a file
        Case::new(&["customer", "list"], "is a file, not a directory").on(On::AFile),
        Case::new(&["settings", "--json"], "is a file, not a directory").on(On::AFile),
        Case::new(&["device", "rename", "x"], "is a file, not a directory").on(On::AFile),
        Case::new(&["frobnicate"], "frobnicate"),
        Case::new(&["--demo-customers", "5"], "--demo"),
        Case::new(&["--demo", "--demo-customers", "0"], "out of range"),
        Case::new(
            &["--demo", "--demo-customers", "18446744073709551615"],
            "out of range",
        ),
        // restore into a store that holds customers
        Case::new(
            &["restore", &p(&files.join("good-backup.json"))],
            "already holds",
        ),
        Case::new(&["restore"], "<FILE>"),
        Case::new(
            &[
                "restore",
                "--replace-damaged",
                &p(&files.join("good-backup.json")),
            ],
            "is not damaged",
        ),
        Case::new(
            &[
                "restore",
                "--replace-damaged",
                &p(&files.join("good-backup.json")),
            ],
            "is not damaged",
        )
        .on(On::Empty),
        Case::new(
            &[
                "restore",
                "--replace-damaged",
                &p(&files.join("no-such-backup.json")),
            ],
            "could not open",
        ),
        // backup takes no value
        Case::new(&["backup", "--list", "extra"], "extra"),
        Case::new(&["backup", "--bogus"], "--bogus"),
        Case::new(
            &["restore", &p(&files.join("no-such-backup.json"))],
            "could not open",
        ),
    ];
    #[cfg(unix)]
    {
        // Not UTF-8: Latin-1 and UTF-16 bytes, and a lone continuation byte, where clap wants
        // a string; and a path that is not UTF-8 where a path is fine but the file is missing.
        let latin1 = bytes_arg(b"M\xfcller");
        let utf16 = bytes_arg(&[0xff, 0xfe, 0x20, 0x5f, 0x1f, 0x4f]);
        let lone = bytes_arg(b"\x80abc");
        let inv = ["invalid UTF-8"];
        let with = |pre: &[&str], arg: &OsString, post: &[&str]| {
            let mut a: Vec<OsString> = pre.iter().map(|s| os(s)).collect();
            a.push(arg.clone());
            a.extend(post.iter().map(|s| os(s)));
            Case::os(a, &inv)
        };
        v.push(with(&["customer", "add", "--name"], &latin1, &[]));
        v.push(with(&["customer", "add", "--name"], &utf16, &[]));
        v.push(with(
            &["customer", "add", "--name", "B", "--email"],
            &lone,
            &[],
        ));
        v.push(with(&["customer", "show"], &latin1, &[]));
        v.push(with(&["customer", "edit", acme, "--notes"], &utf16, &[]));
        v.push(with(&["customer", "list", "--search"], &lone, &[]));
        v.push(with(&["customer", "archive"], &lone, &[]));
        v.push(with(&["customer", "delete"], &latin1, &[]));
        v.push(with(&["customer", "restore"], &utf16, &[]));
        v.push(with(&["contact", "add", acme, "--name"], &latin1, &[]));
        v.push(with(
            &["followup", "add", acme, "--subject", "x", "--due"],
            &utf16,
            &[],
        ));
        v.push(with(&["followup", "done"], &lone, &[]));
        v.push(with(
            &["interaction", "log", acme, "--summary"],
            &latin1,
            &[],
        ));
        v.push(with(
            &["deal", "add", acme, "--amount"],
            &utf16,
            &[
                "--currency",
                "CNY",
                "--status",
                "won",
                "--date",
                "2026-01-31",
            ],
        ));
        v.push(with(&["deal", "edit", deal, "--title"], &latin1, &[]));
        v.push(with(&["history"], &utf16, &[]));
        v.push(with(&["settings", "set", "rate.EUR"], &latin1, &[]));
        v.push(with(&["settings", "unset"], &lone, &[]));
        v.push(with(&["device", "rename"], &latin1, &[]));
        v.push(with(&["device", "revoke"], &utf16, &[]));
        v.push(with(&["device", "set", "lan.discovery"], &lone, &[]));
        v.push(with(&["pair", "join"], &utf16, &[]));
        v.push(with(&["sync", "--once", "--bind"], &latin1, &[]));
        v.push(with(&["serve", "--bind"], &lone, &[]));
        v.push(with(&["demo", "--customers"], &utf16, &[]));
        let missing = files.join(bytes_arg(b"missing-\xfc.csv"));
        v.push(Case::os(
            vec![os("import"), missing.clone().into_os_string()],
            &["could not read", "missing-"],
        ));
        v.push(Case::os(
            vec![os("restore"), missing.into_os_string()],
            &["could not open", "missing-"],
        ));
        let nodir = files.join(bytes_arg(b"no-\xfc-dir")).join("out.vcf");
        v.push(Case::os(
            vec![os("export"), nodir.into_os_string()],
            &["could not write in"],
        ));
        // A pipe where a file should be written (the export renames onto its target).
        v.push(Case::new(&["export", &p(&fifo)], "not a regular file"));
    }
    v
}

/// A corpus file, the format it is in, what the refusal says when it is read as that format,
/// and whether the whole file is unreadable (so `--skip-bad` must fail too).
struct BadFile {
    name: &'static str,
    format: &'static str,
    expect: &'static str,
    whole: bool,
}

const fn bad(
    name: &'static str,
    format: &'static str,
    expect: &'static str,
    whole: bool,
) -> BadFile {
    BadFile {
        name,
        format,
        expect,
        whole,
    }
}

/// The committed import corpus (see `tests/data/bad/README.md`).
const IMPORT_FILES: &[BadFile] = &[
    bad("empty.csv", "google", "the file is empty", true),
    bad("blank-lines.csv", "google", "the file is empty", true),
    bad(
        "google-unclosed-quote.csv",
        "google",
        "line 3: a quoted field starts here and is never closed",
        true,
    ),
    bad(
        "google-row-without-name.csv",
        "google",
        "line 3, column `First Name`: no name, organisation, email or phone",
        false,
    ),
    bad(
        "vcard-cut-short.vcf",
        "vcard",
        "line 1, column `END:VCARD`: the card that starts here has no END:VCARD",
        false,
    ),
    bad(
        "vcard-second-card-never-ends.vcf",
        "vcard",
        "line 5, column `END:VCARD`",
        false,
    ),
    bad("vcard-no-name.vcf", "vcard", "line 1, column `FN`", false),
    bad(
        "vcard-end-without-begin.vcf",
        "vcard",
        "no BEGIN:VCARD: this is not a vCard file",
        true,
    ),
    bad(
        "orders-bad-date.csv",
        "orders",
        "line 2, column `date`: `2026-13-40` is not a date",
        false,
    ),
    bad(
        "orders-year-99999.csv",
        "orders",
        "line 2, column `date`: date: `+99999-01-01` is out of range",
        false,
    ),
    bad(
        "orders-negative-amount.csv",
        "orders",
        "line 2, column `amount`: amount: amount must not be negative",
        false,
    ),
    bad(
        "orders-huge-amount.csv",
        "orders",
        "line 2, column `amount`: amount: amount `92233720368547758.07` is too large",
        false,
    ),
    bad(
        "orders-too-precise.csv",
        "orders",
        "line 2, column `amount`: amount: `5.123` has more decimal places than CNY allows",
        false,
    ),
    bad(
        "orders-unknown-currency.csv",
        "orders",
        "line 2, column `currency`: currency: `XYZ` is not an ISO 4217 currency code",
        false,
    ),
    bad(
        "orders-bad-status.csv",
        "orders",
        "line 2, column `status`",
        false,
    ),
    bad(
        "orders-probability-101.csv",
        "orders",
        "line 2, column `probability`: `101` is not 0-100",
        false,
    ),
    bad(
        "orders-control-char-title.csv",
        "orders",
        "line 2, column `title`: title: contains a control character",
        false,
    ),
    bad(
        "orders-unknown-customer.csv",
        "orders",
        "line 3, column `customer`: no customer matches `Nobody Known`",
        false,
    ),
    bad(
        "orders-ambiguous-customer.csv",
        "orders",
        "line 2, column `customer`: `Twin` matches 2 customers",
        false,
    ),
    bad(
        "orders-empty-customer.csv",
        "orders",
        "line 2, column `customer`: empty",
        false,
    ),
    bad(
        "orders-no-customer-column.csv",
        "orders",
        "line 1: an orders file needs a `customer` column",
        true,
    ),
];

/// Files that were refused before issue 15 and are now imported, each value that does not
/// fit kept in the notes with a warning naming line and column (or, for an encoding, read
/// in it): (file, format, what the report says). Run with `--dry-run`, so nothing is written.
const KEPT_FILES: &[(&str, &str, &str)] = &[
    ("unknown-header.csv", "auto", "1 created"),
    ("latin1-google.csv", "google", "windows-1252"),
    ("utf16-google.csv", "google", "UTF-16"),
    (
        "google-bad-email.csv",
        "google",
        "line 3, column `E-mail 1 - Value`",
    ),
    (
        "google-bad-phone.csv",
        "google",
        "line 2, column `Phone 1 - Value`",
    ),
    (
        "google-bad-birthday.csv",
        "google",
        "line 2, column `Birthday`: `2026-13-40` is not a date",
    ),
    (
        "google-birthday-year-0.csv",
        "google",
        "line 2, column `Birthday`: birthday: `0000-01-01` is out of range",
    ),
    (
        "google-birthday-two-digit-year.csv",
        "google",
        "line 2, column `Birthday`: birthday: `0085-03-12` is out of range",
    ),
    (
        "google-control-char-name.csv",
        "google",
        "line 2, column `name`: contains control characters",
    ),
    ("google-nul-in-name.csv", "google", "line 2, column `name`"),
    (
        "google-control-char-label.csv",
        "google",
        "line 2, column `labels`",
    ),
    (
        "google-control-char-address.csv",
        "google",
        "line 2, column `address`",
    ),
    (
        "google-crlf-bad-row.csv",
        "google",
        "line 4, column `E-mail 1 - Value`",
    ),
    (
        "outlook-bad-email.csv",
        "outlook",
        "line 2, column `E-mail Address`",
    ),
    ("outlook-cp1252.csv", "outlook", "windows-1252"),
    ("vcard-bad-email.vcf", "vcard", "column `EMAIL`"),
    ("vcard-bad-tel.vcf", "vcard", "column `TEL`"),
    (
        "vcard-bad-bday.vcf",
        "vcard",
        "column `BDAY`: `2026-13-40` is not a date",
    ),
    (
        "vcard-bday-year-0.vcf",
        "vcard",
        "column `BDAY`: birthday: `0000-01-01` is out of range",
    ),
    (
        "vcard-control-char-fn.vcf",
        "vcard",
        "line 1, column `name`",
    ),
    ("vcard-latin1.vcf", "vcard", "windows-1252"),
    ("vcard-utf16.vcf", "vcard", "UTF-16"),
    ("orders-latin1.csv", "orders", "1 deals added"),
];

/// Files that `--format auto` reads as another format than their own.
const AUTO_DIFFERS: &[(&str, &str)] = &[("vcard-end-without-begin.vcf", "line 1 (the header row)")];

/// The committed backups that `restore` must refuse.
const BACKUP_FILES: &[(&str, &str)] = &[
    ("backup-empty.json", "not a Rapport backup"),
    ("backup-not-json.json", "not a Rapport backup"),
    ("backup-array.json", "not a Rapport backup"),
    ("backup-wrong-format.json", "format is `something-else`"),
    (
        "backup-newer-version.json",
        "version 99 was written by a newer Rapport",
    ),
    ("backup-customer-not-an-object.json", "not a Rapport backup"),
    ("backup-deeply-nested.json", "not a Rapport backup"),
    ("backup-latin1.json", "not a Rapport backup"),
    ("backup-utf16.json", "not a Rapport backup"),
];

/// `import` cases for one file: its own format, `auto`, every other format (each refused
/// naming the file), `--dry-run`, `--json`, and `--skip-bad` when the whole file is bad.
fn import_cases(file: &Path, f: &BadFile) -> Vec<Case> {
    let path = file.to_str().unwrap();
    let name = file.file_name().unwrap().to_str().unwrap();
    let mut v = Vec::new();
    for format in ["auto", "google", "outlook", "vcard", "orders"] {
        let auto = AUTO_DIFFERS
            .iter()
            .find(|(n, _)| *n == f.name)
            .map_or(f.expect, |(_, e)| *e);
        let expect: Vec<&str> = if format == f.format {
            vec![name, f.expect]
        } else if format == "auto" {
            vec![name, auto]
        } else {
            vec![name]
        };
        v.push(Case::os(
            ["import", path, "--format", format]
                .iter()
                .map(|s| os(s))
                .collect(),
            &expect,
        ));
    }
    let own = ["import", path, "--format", f.format];
    let mut dry: Vec<&str> = own.to_vec();
    dry.push("--dry-run");
    v.push(Case::os(
        dry.iter().map(|s| os(s)).collect(),
        &[name, f.expect],
    ));
    let mut js: Vec<&str> = own.to_vec();
    js.push("--json");
    v.push(Case::os(
        js.iter().map(|s| os(s)).collect(),
        &[name, f.expect],
    ));
    if f.whole {
        for extra in [&["--skip-bad"][..], &["--skip-bad", "--dry-run"]] {
            let mut a: Vec<&str> = own.to_vec();
            a.extend_from_slice(extra);
            v.push(Case::os(
                a.iter().map(|s| os(s)).collect(),
                &[name, f.expect],
            ));
        }
    }
    v
}

/// Writes the generated files: 10 MB fields, 100k-row files with one bad row at the end,
/// random bytes, and backups damaged in every way `restore` checks. Returns the cases on them.
fn generated_cases(files: &Path, good_backup: &Path) -> Vec<Case> {
    let mut rng = Rng(0x5eed_0bad_1234_5678);
    let ten_mb = "a".repeat(10 * 1024 * 1024);
    let write = |name: &str, bytes: &[u8]| {
        let p = files.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let g = "First Name,Last Name,E-mail 1 - Value,Notes\n";
    let orders = "customer,date,amount,currency,status,title\n";
    let imp = |path: &str, format: &str, expect: &[&str]| {
        Case::os(
            ["import", path, "--format", format]
                .iter()
                .map(|s| os(s))
                .collect(),
            expect,
        )
    };
    let mut v = Vec::new();

    // 100k rows, one bad row at the very end (the slowest cases: first in the queue): nothing of the other 100k is written.
    let mut rows = String::from(g);
    for i in 0..100_000u32 {
        let n = rng.next() % 1_000_000;
        rows.push_str(&format!("Person{i},N{n},p{i}.{n}@example.com,\n"));
    }
    // Only notes: nothing identifies it (an odd value alone is kept, not refused).
    rows.push_str(",,,only a note\n");
    let f = write("rows-100k-last-bad.csv", rows.as_bytes());
    v.push(imp(
        &f,
        "auto",
        &[
            "rows-100k-last-bad.csv",
            "line 100002",
            "no name, organisation, email or phone",
        ],
    ));
    let mut rows = String::from(orders);
    for i in 0..100_000u32 {
        let cents = rng.next() % 10_000_000;
        let day = 1 + rng.next() % 28;
        rows.push_str(&format!(
            "Acme Trading,2025-{:02}-{day:02},{}.{:02},CNY,won,order {i}\n",
            1 + i % 12,
            cents / 100,
            cents % 100
        ));
    }
    rows.push_str("Acme Trading,2026-01-31,5,XYZ,won,last\n");
    let f = write("orders-100k-last-bad.csv", rows.as_bytes());
    v.push(imp(
        &f,
        "auto",
        &["orders-100k-last-bad.csv", "line 100002, column `currency`"],
    ));

    // 10 MB fields.
    let f = write(
        "big-name-10mb.csv",
        format!("{g}{ten_mb},Doe,big@example.com,\n").as_bytes(),
    );
    for fmt in ["auto", "google"] {
        v.push(Case::kept(
            &f,
            fmt,
            &["big-name-10mb.csv", "line 2, column `name`"],
        ));
    }
    let f = write(
        "big-email-10mb.csv",
        format!("{g}Big,Email,{ten_mb}@example.com,\n").as_bytes(),
    );
    v.push(Case::kept(
        &f,
        "auto",
        &[
            "big-email-10mb.csv",
            "line 2, column `E-mail 1 - Value`",
            "too long",
        ],
    ));
    let f = write(
        "big-notes-10mb.vcf",
        format!("BEGIN:VCARD\nVERSION:3.0\nFN:Big Notes\nNOTE:{ten_mb}\nEND:VCARD\n").as_bytes(),
    );
    for fmt in ["auto", "vcard"] {
        v.push(Case::kept(
            &f,
            fmt,
            &["big-notes-10mb.vcf", "line 1, column `notes`"],
        ));
    }
    let f = write(
        "big-label-10mb.csv",
        format!("First Name,E-mail 1 - Value,Labels\nBig,bl@example.com,{ten_mb}\n").as_bytes(),
    );
    v.push(Case::kept(
        &f,
        "auto",
        &["big-label-10mb.csv", "line 2, column `labels`"],
    ));
    let f = write("big-header-10mb.csv", ten_mb.as_bytes());
    for fmt in ["auto", "google", "outlook", "vcard", "orders"] {
        v.push(imp(&f, fmt, &["big-header-10mb.csv", "line 1"]));
    }
    let f = write(
        "big-title-10mb-orders.csv",
        format!("{orders}Acme Trading,2026-01-31,5,CNY,won,{ten_mb}\n").as_bytes(),
    );
    v.push(imp(
        &f,
        "auto",
        &[
            "big-title-10mb-orders.csv",
            "line 2, column `title`",
            "too long",
        ],
    ));
    let f = write(
        "big-customer-10mb-orders.csv",
        format!("{orders}{ten_mb},2026-01-31,5,CNY,won,\n").as_bytes(),
    );
    v.push(imp(
        &f,
        "orders",
        &["big-customer-10mb-orders.csv", "line 2, column `customer`"],
    ));
    let f = write(
        "big-amount-10mb-orders.csv",
        format!(
            "{orders}Acme Trading,2026-01-31,{},CNY,won,\n",
            "9".repeat(10 << 20)
        )
        .as_bytes(),
    );
    v.push(imp(
        &f,
        "orders",
        &[
            "big-amount-10mb-orders.csv",
            "line 2, column `amount`",
            "too large",
        ],
    ));

    // Random bytes, and random text that is UTF-8 but not a contacts file.
    let f = write("random-1mb.bin", &rng.bytes(1 << 20));
    for fmt in ["auto", "google", "outlook", "vcard", "orders"] {
        v.push(imp(&f, fmt, &["random-1mb.bin", "line"]));
    }
    v.push(Case::new(&["restore", &f], "not a Rapport backup").on(On::Empty));
    let alphabet = b"abc ,\"\n;:=";
    let text: Vec<u8> = (0..200_000)
        .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
        .collect();
    let f = write("random-text.csv", &text);
    for fmt in ["auto", "google", "orders"] {
        v.push(imp(&f, fmt, &["random-text.csv", "line"]));
    }
    v.push(Case::new(&["restore", &f], "not a Rapport backup").on(On::Empty));

    // Backups damaged in each way a restore checks, made from a real export.
    let good: Value = serde_json::from_slice(&std::fs::read(good_backup).unwrap()).unwrap();
    let text = serde_json::to_string(&good).unwrap();
    let restore = |name: &str, bytes: &[u8], expect: &[&str]| {
        let f = write(name, bytes);
        let mut e = vec![name];
        e.extend_from_slice(expect);
        Case::os(vec![os("restore"), os(&f)], &e).on(On::Empty)
    };
    v.push(restore(
        "backup-truncated.json",
        &text.as_bytes()[..text.len() / 2],
        &["not a Rapport backup"],
    ));
    let damaged = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        serde_json::to_vec(&b).unwrap()
    };
    v.push(restore(
        "backup-bad-base64.json",
        &damaged(&|b| b["customers"][0]["automerge"] = "%%% not base64".into()),
        &["customers[0]", "`automerge` is not base64"],
    ));
    v.push(restore(
        "backup-not-a-document.json",
        &damaged(&|b| b["customers"][1]["automerge"] = "AAAAAAAA".into()),
        &["customers[1]", "the document does not load"],
    ));
    v.push(restore(
        "backup-edited-name.json",
        &damaged(&|b| b["customers"][0]["customer"]["name"] = "Edited By Hand".into()),
        &["customers[0]", "the document and the readable copy differ"],
    ));
    v.push(restore(
        "backup-name-10mb.json",
        &damaged(&|b| b["customers"][0]["customer"]["name"] = ten_mb.clone().into()),
        &["customers[0]", "differ"],
    ));
    v.push(restore(
        "backup-swapped-documents.json",
        &damaged(&|b| {
            let a = b["customers"][0]["automerge"].clone();
            b["customers"][0]["automerge"] = b["customers"][1]["automerge"].clone();
            b["customers"][1]["automerge"] = a;
        }),
        &["customers[0]"],
    ));
    v.push(restore(
        "backup-duplicate-customer.json",
        &damaged(&|b| {
            let first = b["customers"][0].clone();
            b["customers"].as_array_mut().unwrap().push(first);
        }),
        &["appears twice"],
    ));
    v.push(restore(
        "backup-customer-missing-field.json",
        &damaged(&|b| {
            b["customers"][0]["customer"]
                .as_object_mut()
                .unwrap()
                .remove("kind");
        }),
        &["not a Rapport backup", "kind"],
    ));
    v.push(restore(
        "backup-bad-currency.json",
        &damaged(&|b| {
            let with_deals = b["customers"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|c| !c["customer"]["deals"].as_object().unwrap().is_empty())
                .unwrap();
            for d in with_deals["customer"]["deals"]
                .as_object_mut()
                .unwrap()
                .values_mut()
            {
                d["amount"]["currency"] = "XYZ".into();
            }
        }),
        &["not a Rapport backup", "ISO 4217"],
    ));
    v.push(restore(
        "backup-shared-settings-not-base64.json",
        &damaged(&|b| b["shared"]["settings"] = "!!".into()),
        &["shared.settings is not base64"],
    ));
    v.push(restore(
        "backup-shared-settings-junk.json",
        &damaged(&|b| b["shared"]["settings"] = "AAAA".into()),
        &["shared.settings", "does not load"],
    ));
    v.push(restore(
        "backup-shared-team-junk.json",
        &damaged(&|b| b["shared"]["team"] = "q83vAAAA".into()),
        &["shared.team"],
    ));
    v.push(restore(
        "backup-bad-identity-secret.json",
        &damaged(&|b| {
            b["identity"] = serde_json::json!({"secret": "c2hvcnQ=", "name": "laptop"});
        }),
        &["identity.secret is malformed"],
    ));
    v.push(restore(
        "backup-bad-identity-name.json",
        &damaged(&|b| {
            let secret = "A".repeat(43) + "=";
            b["identity"] = serde_json::json!({"secret": secret, "name": "lap\u{7}top"});
        }),
        &["identity.name", "control character"],
    ));
    v.push(restore(
        "backup-wrong-version-type.json",
        &damaged(&|b| b["version"] = "one".into()),
        &["not a Rapport backup"],
    ));
    v
}

/// The pairing cases that need real tickets: one that has expired, and one forged (its secret
/// changed) while the inviter waits. Returns them, the live inviter, and the case to run once
/// it is gone: its still-valid ticket, which must give up (connect timeout), not hang. The
/// inviter is another store, bound to loopback.
fn pairing_cases(files: &Path) -> (Vec<Case>, std::process::Child, Case) {
    let inviter = files.join("inviter-store");
    let spawn_invite = |wait: &str| {
        Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("--data-dir")
            .arg(&inviter)
            .args([
                "pair",
                "invite",
                "--yes",
                "--wait",
                wait,
                "--bind",
                "127.0.0.1:0",
            ])
            .env_remove("RAPPORT_DATA_DIR")
            .env("RAPPORT_LAN_DISCOVERY", "off")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn inviter")
    };
    let first_line = |child: &mut std::process::Child| {
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().to_string()
    };
    // An expired ticket: the inviter waited 1 s and gave up.
    let mut c = spawn_invite("1");
    let expired = first_line(&mut c);
    let _ = c.wait();
    assert!(expired.starts_with("rapport1"), "ticket: {expired}");
    let half = &expired[..expired.len() / 2];
    let mut v = vec![
        Case::new(&["pair", "join", &expired], "expired"),
        Case::new(&["pair", "join", half], "invite"),
        // Upper case (as a QR code's alphanumeric mode gives it) reads as the same ticket:
        // still expired.
        Case::new(&["pair", "join", &expired.to_uppercase()], "expired"),
        Case::new(&["pair", "join", &format!("{expired}zz")], "invite"),
        Case::new(
            &["pair", "join", &expired, "--bind", "192.0.2.1:0"],
            "192.0.2.1:0",
        ),
        Case::new(&["pair", "join", &expired, "--bind", "nowhere"], "--bind"),
    ];
    // A live inviter refuses a forged secret.
    let mut live = spawn_invite("120");
    let ticket = first_line(&mut live);
    let forged = forge_secret(&ticket);
    v.push(Case::new(&["pair", "join", &forged], "the inviter refused"));
    v.push(Case::new(
        &["pair", "join", &format!("  {forged}\n")],
        "the inviter refused",
    ));
    let gone = Case::new(&["pair", "join", &ticket], "no connection within");
    (v, live, gone)
}

/// The ticket with one byte of its invite secret changed (the secret is the 16 bytes before
/// the 5-byte expiry varint and the team id, `Some` and 32 bytes, at the end of the postcard
/// encoding: the inviting store made a team at its first invite).
fn forge_secret(ticket: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let body = ticket.strip_prefix("rapport1").unwrap().as_bytes();
    let mut bits = 0u64;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in body {
        let v = ALPHABET.iter().position(|a| a == c).unwrap() as u64;
        bits = (bits << 5) | v;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    let at = bytes.len() - 33 - 5 - 8;
    bytes[at] ^= 0x5a;
    let mut out = String::from("rapport1");
    let (mut bits, mut nbits) = (0u64, 0);
    for b in bytes {
        bits = (bits << 8) | u64::from(b);
        nbits += 8;
        while nbits >= 5 {
            nbits -= 5;
            out.push(ALPHABET[((bits >> nbits) & 31) as usize] as char);
        }
        bits &= (1 << nbits) - 1;
    }
    if nbits > 0 {
        out.push(ALPHABET[((bits << (5 - nbits)) & 31) as usize] as char);
    }
    out
}

/// Runs one case on this worker's `seeded` or `empty` store; returns its failure, if any.
fn run_one(c: &Case, seeded: &Path, empty: &Path, cwd: &Path) -> Option<String> {
    let a_file = cwd.join("a-file-not-a-store");
    let dir = match c.on {
        On::Seeded => seeded,
        On::Empty => empty,
        On::AFile => &a_file,
    };
    let o = run(dir, cwd, &c.args, LIMIT);
    c.check(&o).err().map(|e| format!("{}: {e}", c.label()))
}

/// When a store changed: which of the cases that ran on it changed it, each tried alone on a
/// copy of `pristine` and followed by a quick look (lists, settings, device, team).
fn culprits(ran: &[Case], pristine: &Path, root: &Path) -> Vec<String> {
    let cwd = root.join("culprits-cwd");
    std::fs::create_dir_all(&cwd).unwrap();
    let copy = root.join("culprits-store");
    let _ = std::fs::remove_dir_all(&copy);
    copy_dir(pristine, &copy);
    let look = |dir: &Path| -> Vec<Value> {
        [
            &["customer", "list", "--archived", "--json"][..],
            &["customer", "list", "--deleted", "--json"],
            &["settings", "--json"],
            &["device", "--json"],
            &["peers", "--no-probe", "--json"],
        ]
        .iter()
        .map(|args| json(dir, args))
        .collect()
    };
    let mut before = look(&copy);
    let mut found = Vec::new();
    for c in ran {
        run(&copy, &cwd, &c.args, LIMIT);
        let after = look(&copy);
        if after != before {
            found.push(c.label());
            before = after;
        }
    }
    if found.is_empty() {
        found.push("(no single case; compare the snapshots)".into());
    }
    found
}

#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let files = root.join("gen");
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::write(files.join("plain-file"), b"not a directory").unwrap();
    std::fs::write(cwd.join("a-file-not-a-store"), b"not a store").unwrap();
    #[cfg(unix)]
    {
        let made = Command::new("mkfifo")
            .arg(files.join("a-fifo"))
            .status()
            .expect("mkfifo");
        assert!(made.success());
    }

    // The stores: one seeded, one empty (restore wants an empty store).
    let seeded = root.join("seeded");
    let fixture = seed(&seeded);
    let empty = root.join("empty");
    ok(&empty, &["device", "rename", "empty fixture"]);
    ok(
        &seeded,
        &[
            "export",
            "--format",
            "json",
            files.join("good-backup.json").to_str().unwrap(),
        ],
    );
    let before = snapshot(&seeded, root);
    let before_empty = snapshot(&empty, root);
    assert!(before.len() > 15, "the seeded store holds data");

    // Every case.
    let mut cases = argument_cases(&fixture, &files);
    for f in IMPORT_FILES {
        cases.extend(import_cases(&corpus().join(f.name), f));
    }
    for (name, format, says) in KEPT_FILES {
        let path = corpus().join(name);
        let path = path.to_str().unwrap();
        cases.push(Case::kept(path, format, &[name, says]));
        cases.push(Case::kept(path, "auto", &[name]));
    }
    let mut listed: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "README.md")
        .collect();
    listed.sort();
    let readme = std::fs::read_to_string(corpus().join("README.md")).unwrap();
    for name in &listed {
        assert!(readme.contains(name.as_str()), "README.md lists {name}");
        let path = corpus().join(name);
        let path = path.to_str().unwrap();
        // Every corpus file is a bad backup too.
        let expect = BACKUP_FILES
            .iter()
            .find(|(n, _)| n == name)
            .map_or("not a Rapport backup", |(_, e)| *e);
        cases.push(Case::os(vec![os("restore"), os(path)], &[name, expect]).on(On::Empty));
        if name.ends_with(".json") {
            cases.push(Case::os(vec![os("import"), os(path)], &[name]));
        }
    }
    for (name, _) in BACKUP_FILES {
        assert!(listed.iter().any(|l| l == name), "{name} is in the corpus");
    }
    for (name, ..) in KEPT_FILES {
        assert!(listed.iter().any(|l| l == name), "{name} is in the corpus");
    }
    for f in IMPORT_FILES {
        assert!(
            listed.iter().any(|l| l == f.name),
            "{} is in the corpus",
            f.name
        );
    }

    // Two workers on copies of the stores, and the pairing cases on a third.
    // Workers take cases from one queue (the slow, generated ones first), each on its own
    // copies of the stores; a third thread runs the pairing cases. Each then snapshots its
    // stores: nothing may have changed.
    let workers = 3;
    let mut queue = generated_cases(&files, &files.join("good-backup.json"));
    queue.append(&mut cases);
    let next = AtomicUsize::new(0);
    let copies: Vec<(PathBuf, PathBuf)> = (0..=workers)
        .map(|w| {
            let s = root.join(format!("seeded-{w}"));
            let e = root.join(format!("empty-{w}"));
            copy_dir(&seeded, &s);
            copy_dir(&empty, &e);
            (s, e)
        })
        .collect();
    // One thread at a time reads the untouched originals (a store admits one process).
    let pristine_lock = std::sync::Mutex::new(());
    let unchanged = |s: &Path, e: &Path, ran: &[Case]| {
        let mut failures = Vec::new();
        for (dir, before, on) in [(s, &before, On::Seeded), (e, &before_empty, On::Empty)] {
            let after = snapshot(dir, root);
            let mut diff = differences(before, &after);
            let pristine = if on == On::Seeded { &seeded } else { &empty };
            if !diff.is_empty() {
                // Past midnight the value report and overdue flags read differently: compare
                // with the untouched original as it reads now.
                let _one = pristine_lock.lock().unwrap_or_else(|e| e.into_inner());
                diff = differences(&snapshot(pristine, root), &after);
            }
            if !diff.is_empty() {
                let ran: Vec<Case> = ran.iter().filter(|c| c.on == on).cloned().collect();
                let _one = pristine_lock.lock().unwrap_or_else(|e| e.into_inner());
                failures.push(format!(
                    "{} changed: {}\n  by: {}",
                    dir.display(),
                    diff.join("; "),
                    culprits(&ran, pristine, root).join("; ")
                ));
            }
        }
        failures
    };
    let (ran, mut failures) = std::thread::scope(|scope| {
        let unchanged = &unchanged;
        let handles: Vec<_> = copies[..workers]
            .iter()
            .map(|(s, e)| {
                let (queue, next, cwd) = (&queue, &next, &cwd);
                scope.spawn(move || {
                    let mut ran = Vec::new();
                    let mut failures = Vec::new();
                    while let Some(c) = queue.get(next.fetch_add(1, Ordering::Relaxed)) {
                        failures.extend(run_one(c, s, e, cwd));
                        ran.push(c.clone());
                    }
                    failures.extend(unchanged(s, e, &ran));
                    (ran, failures)
                })
            })
            .collect();
        let (s, e) = &copies[workers];
        let (files, cwd) = (&files, &cwd);
        let pairing = scope.spawn(move || {
            let (mut ran, mut inviter, gone) = pairing_cases(files);
            let mut failures: Vec<String> =
                ran.iter().flat_map(|c| run_one(c, s, e, cwd)).collect();
            // The inviter goes away (our own child, by its handle): its still-valid ticket
            // must give up, not hang.
            let _ = inviter.kill();
            let _ = inviter.wait();
            failures.extend(run_one(&gone, s, e, cwd));
            ran.push(gone);
            failures.extend(unchanged(s, e, &ran));
            (ran, failures)
        });
        let mut ran = Vec::new();
        let mut failures = Vec::new();
        for h in handles.into_iter().chain([pairing]) {
            let (r, f) = h.join().expect("worker");
            ran.extend(r);
            failures.extend(f);
        }
        (ran, failures)
    });
    let cases = ran;
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not refused cleanly:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    let commands: BTreeSet<String> = cases.iter().map(Case::command).collect();
    eprintln!(
        "bad input: {} malformed inputs over {} commands, 0 accepted, store unchanged ({:.1} s)",
        cases.len(),
        commands.len(),
        started.elapsed().as_secs_f64()
    );
    let names: Vec<&str> = commands.iter().map(String::as_str).collect();
    eprintln!("commands: {}", names.join(", "));
}
