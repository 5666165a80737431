//! The app's background worker: owns the store and the sync node, answers the UI's requests
//! and follows the change feed. The UI thread never touches the store: it sends [`Request`]s
//! and draws the latest [`Update`]s, and the worker wakes it with `request_repaint`.
//!
//! The worker keeps every customer's summary in memory (read once at start, then updated row
//! by row from the change feed), recomputes the value analysis and agenda after changes
//! (debounced), and runs list queries over the in-memory rows with `rapport-query`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Local, NaiveDateTime};
use rapport_model::{
    Customer, CustomerId, CustomerKind, CustomerSummary, Edit, NewCustomer, Timestamp,
};
use rapport_query::{Agenda, AgendaEntry, Filter, Sort};
use rapport_store::{DocRef, HistoryEntry, Origin, Store};
use rapport_sync::net::Node;
use rapport_value::{Analysis, CustomerValue, ValueSettings};
use tokio::sync::mpsc;

/// What the UI asks of the worker.
#[derive(Debug)]
pub enum Request {
    /// Run the customer list query; the answer carries `generation` back.
    Query {
        filter: Filter,
        sort: Sort,
        generation: u64,
    },
    /// Load a customer for the detail panel (and follow its changes).
    Open(CustomerId),
    /// Close the detail panel.
    Close,
    Create {
        name: String,
        kind: CustomerKind,
    },
    Edit {
        id: CustomerId,
        edits: Vec<Edit>,
    },
    /// A team setting (synced); `None` removes it.
    SetSetting {
        key: String,
        value: Option<String>,
    },
    SetDeviceName(String),
    /// A network setting of this device (takes effect at the next start).
    SetDeviceSetting {
        key: String,
        on: bool,
    },
    /// Read and plan an import file (contacts CSV, vCard, orders or any spreadsheet, with
    /// `maps` as `COLUMN=FIELD` pairs over the suggested or remembered mapping); answers with
    /// a preview.
    PreviewImport {
        path: std::path::PathBuf,
        maps: Vec<String>,
        encoding: Option<String>,
    },
    /// Write the customers `filter` lists to `path` as XLSX.
    ExportXlsx {
        path: std::path::PathBuf,
        filter: Filter,
    },
    /// Write the previewed import (with `skip_bad`, the rows that could not be read are left
    /// out; without it, any bad row refuses the whole import).
    ConfirmImport {
        skip_bad: bool,
    },
    /// The command palette's customer search (the first 8 matches by name).
    PaletteSearch(String),
    Invite,
    /// The person's answer to the pending [`Update::JoinRequest`].
    Admit(bool),
    /// Cancel the open invite: its ticket is refused from now on.
    CancelInvite,
    Join(String),
    Revoke(String),
    /// Sync again with the device of this id, paused because it sent data that was refused.
    ResumePeer(String),
    /// Undo every change the device of this name made (a device that went bad).
    UndoDevice(String),
    SyncNow,
}

/// Everything the lists, agenda and value screens draw, as of one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every customer's summary (including archived and deleted ones).
    pub summaries: Vec<Arc<CustomerSummary>>,
    pub by_id: HashMap<CustomerId, usize>,
    pub analysis: Option<Arc<Analysis>>,
    pub agenda: Agenda,
    /// Customers due for a revisit, most valuable first.
    pub revisits: Vec<CustomerId>,
    pub tags: Vec<String>,
    pub owners: Vec<String>,
    /// The team settings as stored (key → value).
    pub settings: BTreeMap<String, String>,
    /// Why the settings could not be used, if they could not.
    pub settings_error: Option<String>,
    /// Revenue per month (base currency, minor units) over the last 24 months.
    pub revenue_by_month: Vec<(String, i64)>,
    /// Open pipeline (probability-weighted, base currency) per lifecycle stage.
    pub pipeline_by_stage: Vec<(String, i64)>,
}

impl Snapshot {
    pub fn summary(&self, id: CustomerId) -> Option<&CustomerSummary> {
        self.by_id.get(&id).map(|&i| self.summaries[i].as_ref())
    }

    pub fn value(&self, id: CustomerId) -> Option<&CustomerValue> {
        self.analysis.as_ref().and_then(|a| a.get(id))
    }
}

/// A customer opened in the detail panel.
#[derive(Clone, Debug)]
pub struct Detail {
    pub customer: Customer,
    pub history: Vec<HistoryEntry>,
    /// Fields two devices set concurrently: field → the values (winner first).
    pub conflicts: BTreeMap<String, Vec<String>>,
    pub referrer: Option<String>,
    /// The team's custom fields in use, each with this customer's value.
    pub fields: Vec<(rapport_model::FieldDef, Option<String>)>,
    /// The team's phone region (phones are shown in its style).
    pub region: Option<rapport_model::phone::Region>,
    /// The team's base currency (money fields typed without one are in it).
    pub currency: rapport_model::Currency,
}

/// A team device as the sync screen shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerView {
    pub id: String,
    pub name: String,
    /// `owner`, `admin` or `member` in a signed team.
    pub role: Option<rapport_team::Role>,
    /// Documents it sent that were refused here, and why the latest was.
    pub refused: Option<(usize, String)>,
    /// Sync with it is paused because it sent data that was refused (why).
    pub paused: Option<String>,
    pub revoked: bool,
    pub online: bool,
    pub address_kind: String,
    pub addrs: Vec<String>,
    pub last_synced: Option<Timestamp>,
    pub last_error: Option<String>,
    pub pending: u64,
}

/// Something that arrived from a peer.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    pub at: NaiveDateTime,
    pub customer: CustomerId,
    pub name: String,
}

/// The sync screen.
#[derive(Clone, Debug, Default)]
pub struct SyncView {
    pub device_id: String,
    pub device_name: String,
    /// This device's role in its signed team (`None`: a team without an owner yet).
    pub role: Option<rapport_team::Role>,
    /// How this device listens, or why it does not.
    pub status: String,
    pub listening: Vec<String>,
    pub peers: Vec<PeerView>,
    pub arrivals: Vec<Arrival>,
    pub device_settings: BTreeMap<String, bool>,
}

/// What an import would do, shown before anything is written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportPreview {
    pub file: String,
    /// `google`, `outlook`, `vcard` or `orders`.
    pub kind: String,
    /// One line per customer touched (or deal added), in file order.
    pub lines: Vec<String>,
    pub created: usize,
    pub merged: usize,
    pub unchanged: usize,
    /// Rows that cannot be imported, each naming its line and field.
    pub bad: Vec<String>,
    /// How the bytes were decoded (`windows-1252 (guessed)`, `xlsx`).
    pub encoding: String,
    /// Values kept elsewhere than their column said (in the notes), each naming line and field.
    pub warnings: Vec<String>,
    /// What the import does with what (a sales column, the date order).
    pub notes: Vec<String>,
    /// A spreadsheet's column mapping, to check and change before importing.
    pub mapping: Option<MappingStep>,
}

/// A spreadsheet's columns, where each goes, and its first rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MappingStep {
    /// `suggested from the headers`, `remembered for this layout`.
    pub from: String,
    pub headers: Vec<String>,
    /// Each column's field word (`--map`'s), empty when no field takes it.
    pub targets: Vec<String>,
    /// The first rows' cells, as text.
    pub sample: Vec<Vec<String>>,
    /// Columns with values that no field takes: the import waits for them.
    pub unplaced: Vec<String>,
    /// The field words a column can be given (built-in ones and `custom:NAME`).
    pub choices: Vec<String>,
}

/// What the worker tells the UI.
#[derive(Debug)]
pub enum Update {
    /// Progress of a long task (opening, demo data).
    Progress(String),
    /// New data and the current query's rows (indices into `snapshot.summaries`).
    View {
        snapshot: Arc<Snapshot>,
        rows: Arc<Vec<usize>>,
        generation: u64,
    },
    Detail(Box<Detail>),
    Created(CustomerId),
    Sync(Box<SyncView>),
    Ticket(String),
    /// A device presented the invite's secret: admit it? (id, name, confirmation code)
    JoinRequest {
        id: String,
        name: String,
        code: String,
    },
    ImportPreview(Box<ImportPreview>),
    /// The command palette's matches for a text: (id, name), at most 8.
    PaletteResults(String, Vec<(CustomerId, String)>),
    /// Follow-ups that just fell due.
    Due(Vec<AgendaEntry>),
    Notice(String),
    /// The export was written (the message says where).
    Exported(String),
    Error(String),
}

/// How the worker starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// Start a sync node (off in tests).
    pub network: bool,
    pub bind: SocketAddr,
    /// Fill an empty store with this many demo customers first.
    pub demo: Option<usize>,
    /// A fixed "now" instead of the system clock (tests, screenshots).
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            network: true,
            bind: SocketAddr::from(([0, 0, 0, 0], 47810)),
            demo: None,
            clock: Clock::default(),
        }
    }
}

/// Where the store comes from.
pub enum Source {
    /// Open the store in this directory (in the worker, not on the UI thread).
    Dir(std::path::PathBuf),
    /// An open store (tests share it with the worker).
    Open(Arc<Store>),
}

/// The UI's handle on the worker.
pub struct Backend {
    tx: mpsc::UnboundedSender<Request>,
    rx: std::sync::mpsc::Receiver<Update>,
    /// The worker thread, joined on drop so the store is closed when the app is.
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How long closing the app waits for the worker to stop its node and close the store.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

impl Drop for Backend {
    /// Closes the request channel (the worker's loop ends, it stops the node and the control
    /// socket) and waits for the thread, so the store's lock is released when the app is gone:
    /// a CLI command right after the window closes opens the store itself.
    fn drop(&mut self) {
        let (closed, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.tx, closed));
        let Some(thread) = self.thread.take() else {
            return;
        };
        let start = std::time::Instant::now();
        while !thread.is_finished() {
            if start.elapsed() > SHUTDOWN_WAIT {
                tracing::warn!("the worker did not stop in time; leaving it");
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = thread.join();
    }
}

impl Backend {
    /// Starts the worker on its own thread; `repaint` wakes the UI after each update.
    pub fn start(
        source: Source,
        options: Options,
        repaint: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let (tx, req_rx) = mpsc::unbounded_channel();
        let (up_tx, rx) = std::sync::mpsc::channel();
        let out = Outbox {
            tx: up_tx,
            repaint: Arc::new(repaint),
        };
        let spawned = std::thread::Builder::new()
            .name("rapport-worker".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        out.send(Update::Error(format!("could not start the worker: {e}")));
                        return;
                    }
                };
                rt.block_on(run(source, options, req_rx, out));
                // Tasks still running (a sync session, a backup) are cancelled; blocking work
                // gets a moment to finish its transaction.
                rt.shutdown_timeout(Duration::from_secs(5));
            });
        let thread = match spawned {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, "could not start the worker thread");
                None
            }
        };
        Backend { tx, rx, thread }
    }

    pub fn send(&self, r: Request) {
        let _ = self.tx.send(r);
    }

    /// Updates that arrived since the last call (never blocks).
    pub fn poll(&self) -> Vec<Update> {
        self.rx.try_iter().collect()
    }
}

#[derive(Clone)]
struct Outbox {
    tx: std::sync::mpsc::Sender<Update>,
    repaint: Arc<dyn Fn() + Send + Sync>,
}

impl Outbox {
    fn send(&self, u: Update) {
        let _ = self.tx.send(u);
        (self.repaint)();
    }
}

/// Store calls do disk IO: run them without stalling the runtime's other tasks.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

/// The app's idea of now: the system clock, or a fixed local time (tests, screenshots).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock(pub Option<NaiveDateTime>);

impl Clock {
    /// Local wall-clock time.
    pub fn local(self) -> NaiveDateTime {
        self.0.unwrap_or_else(|| Local::now().naive_local())
    }

    pub fn today(self) -> chrono::NaiveDate {
        self.local().date()
    }

    /// Now as a UTC timestamp (for edits).
    pub fn utc(self) -> Timestamp {
        use chrono::TimeZone;
        match self.0 {
            None => chrono::Utc::now(),
            Some(t) => Local
                .from_local_datetime(&t)
                .earliest()
                .map(|l| l.with_timezone(&chrono::Utc))
                .unwrap_or_else(|| t.and_utc()),
        }
    }
}

/// A previewed import waiting for the person's go: the plan, its number of bad rows, and a
/// spreadsheet's mapping to remember once it is written.
struct PendingImport {
    planned: crate::ops::import::Planned,
    bad: usize,
    mapping: Option<rapport_interchange::Mapping>,
}

struct Worker {
    store: Arc<Store>,
    out: Outbox,
    summaries: Vec<Arc<CustomerSummary>>,
    by_id: HashMap<CustomerId, usize>,
    snapshot: Arc<Snapshot>,
    filter: Filter,
    sort: Sort,
    generation: u64,
    open: Option<CustomerId>,
    /// The node, the control socket and backups ([`crate::ops::node`]).
    net: crate::ops::node::Services,
    node_status: String,
    /// The answer channel of the join request the person is looking at.
    pending_join: Arc<std::sync::Mutex<Option<tokio::sync::oneshot::Sender<bool>>>>,
    arrivals: Vec<Arrival>,
    last_due_check: NaiveDateTime,
    clock: Clock,
    /// A planned import waiting for the user's go, and its number of bad rows.
    pending_import: Option<PendingImport>,
}

async fn run(
    source: Source,
    options: Options,
    mut requests: mpsc::UnboundedReceiver<Request>,
    out: Outbox,
) {
    out.send(Update::Progress("Opening the store…".into()));
    let store = match source {
        Source::Open(s) => s,
        Source::Dir(dir) => {
            match blocking(|| {
                Store::open(
                    &dir,
                    rapport_store::OpenOptions {
                        holder: "rapport (app)".into(),
                        vault: crate::vault::os_keyring(),
                        ..Default::default()
                    },
                )
            }) {
                Ok(s) => Arc::new(s),
                Err(e) => {
                    out.send(Update::Error(format!("could not open the store: {e}")));
                    return;
                }
            }
        }
    };
    if let Some(n) = options.demo {
        let empty = blocking(|| store.count()).unwrap_or(0) == 0;
        if empty && let Err(e) = make_demo(&store, n, options.clock.today(), &out) {
            out.send(Update::Error(format!("demo data: {e}")));
        }
    }
    let mut net = crate::ops::node::Services::new(store.clone());
    // Demo stores are temporary: no backups of them.
    if options.demo.is_none() {
        net.start_backups();
    }
    // The value cache follows changes, so a CLI command run beside the app reads it.
    net.start_values();
    let mut feed = store.subscribe();
    let mut w = Worker {
        store,
        out,
        summaries: Vec::new(),
        by_id: HashMap::new(),
        snapshot: Arc::new(Snapshot::default()),
        filter: Filter::default(),
        sort: Sort::default(),
        generation: 0,
        open: None,
        net,
        node_status: "sync is off".into(),
        pending_join: Default::default(),
        arrivals: Vec::new(),
        last_due_check: options.clock.local(),
        clock: options.clock,
        pending_import: None,
    };
    w.out.send(Update::Progress("Reading customers…".into()));
    w.reload_all();
    w.recompute();
    if options.network {
        w.start_node(options.bind).await;
    }
    // Every CLI command goes through the app while it holds the store; with sync off (or a
    // demo store) too, only `pair invite` then has nothing to answer with.
    if w.net.node().is_some() || options.demo.is_none() {
        // CLI commands from a terminal (`pair invite` among them) go through the app while
        // it runs.
        if let Err(e) = w.net.start_control() {
            tracing::warn!(error = %e, "no control socket");
        }
    }
    w.send_sync();
    let mut dirty = false;
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        let debounce =
            tokio::time::sleep(Duration::from_millis(if dirty { 150 } else { 3_600_000 }));
        tokio::select! {
            r = requests.recv() => {
                let Some(r) = r else { break };
                // Only the latest query matters when typing outruns the worker.
                let mut batch = vec![r];
                while let Ok(more) = requests.try_recv() {
                    batch.push(more);
                }
                let last_query = batch.iter().rposition(|r| matches!(r, Request::Query { .. }));
                for (i, r) in batch.into_iter().enumerate() {
                    if matches!(r, Request::Query { .. }) && Some(i) != last_query {
                        continue;
                    }
                    w.handle(r).await;
                }
            }
            ev = feed.recv() => {
                use tokio::sync::broadcast::error::RecvError;
                match ev {
                    Ok(ev) => {
                        w.on_change(ev.doc, ev.origin);
                        dirty = true;
                    }
                    Err(RecvError::Lagged(_)) => {
                        w.reload_all();
                        dirty = true;
                    }
                    Err(RecvError::Closed) => break,
                }
            }
            _ = debounce, if dirty => {
                dirty = false;
                w.recompute();
                w.send_sync();
            }
            _ = tick.tick() => {
                w.check_due();
                w.send_sync();
            }
        }
    }
    w.net.stop().await;
}

fn make_demo(
    store: &Store,
    n: usize,
    today: chrono::NaiveDate,
    out: &Outbox,
) -> Result<(), rapport_store::StoreError> {
    let customers = rapport_demo::generate(n, 42, today);
    let mut done = 0;
    let mut it = customers.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<NewCustomer> = it.by_ref().take(250).collect();
        done += chunk.len();
        blocking(|| store.create_many(chunk))?;
        out.send(Update::Progress(format!(
            "Generating demo customers… {done} of {n}"
        )));
    }
    Ok(())
}

impl Worker {
    fn reload_all(&mut self) {
        match blocking(|| self.store.summaries()) {
            Ok(all) => {
                self.summaries = all.into_iter().map(Arc::new).collect();
                self.by_id = self
                    .summaries
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s.id, i))
                    .collect();
            }
            Err(e) => self
                .out
                .send(Update::Error(format!("could not read customers: {e}"))),
        }
    }

    fn on_change(&mut self, doc: DocRef, origin: Origin) {
        let DocRef::Customer(id) = doc else {
            return;
        };
        let Ok(Some(s)) = blocking(|| self.store.summary(id)) else {
            return;
        };
        if origin == Origin::Remote {
            self.arrivals.insert(
                0,
                Arrival {
                    at: self.clock.local(),
                    customer: id,
                    name: s.name.clone(),
                },
            );
            self.arrivals.truncate(50);
        }
        match self.by_id.get(&id) {
            Some(&i) => self.summaries[i] = Arc::new(s),
            None => {
                self.by_id.insert(id, self.summaries.len());
                self.summaries.push(Arc::new(s));
            }
        }
        if self.open == Some(id) {
            self.send_detail(id);
        }
    }

    /// Recomputes the derived data and re-runs the current query.
    fn recompute(&mut self) {
        let settings_map = blocking(|| self.store.settings()).unwrap_or_default();
        // A bad value merged from a peer is left at its default, not the whole set.
        let (settings, problems) = ValueSettings::from_map_tolerant(&settings_map);
        for p in &problems {
            tracing::warn!(key = ValueSettings::problem_key(p), problem = %p, "ignored a team setting");
        }
        let settings_error = (!problems.is_empty()).then(|| {
            let p: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            format!("ignored (using defaults): {}", p.join("; "))
        });
        let today = self.clock.today();
        let analysis = rapport_value::analyse(&self.summaries, &settings, today);
        let agenda = rapport_query::agenda(&self.summaries, self.clock.local());
        let revisits = analysis.due_for_revisit().iter().map(|v| v.id).collect();
        let mut tags = BTreeSet::new();
        let mut owners = BTreeSet::new();
        for s in self.summaries.iter().filter(|s| !s.deleted) {
            tags.extend(s.tags.iter().cloned());
            if !s.owner.is_empty() {
                owners.insert(s.owner.clone());
            }
        }
        let revenue_by_month =
            rapport_value::revenue_by_month(&self.summaries, &settings, today, 24)
                .into_iter()
                .map(|((y, m), v)| (format!("{y}-{m:02}"), v))
                .collect();
        let pipeline_by_stage = rapport_value::pipeline_by_stage(&self.summaries, &analysis)
            .into_iter()
            .map(|(st, v)| (st.as_str().to_string(), v))
            .collect();
        self.snapshot = Arc::new(Snapshot {
            summaries: self.summaries.clone(),
            by_id: self.by_id.clone(),
            analysis: Some(Arc::new(analysis)),
            agenda,
            revisits,
            tags: tags.into_iter().collect(),
            owners: owners.into_iter().collect(),
            settings: settings_map,
            settings_error,
            revenue_by_month,
            pipeline_by_stage,
        });
        self.send_rows();
    }

    fn send_rows(&mut self) {
        let snap = self.snapshot.clone();
        // A sort by a custom field uses the field as the team defines it now.
        let sort = self
            .sort
            .refreshed(&rapport_model::Fields::from_settings(&snap.settings));
        let rows = rapport_query::select(
            &snap.summaries,
            snap.analysis.as_deref(),
            &self.filter,
            sort,
        );
        self.out.send(Update::View {
            snapshot: snap,
            rows: Arc::new(rows),
            generation: self.generation,
        });
    }

    fn send_detail(&self, id: CustomerId) {
        let store = &self.store;
        let loaded = blocking(|| -> Result<Detail, rapport_store::StoreError> {
            let customer = store.customer(id)?;
            let referrer = match customer.referred_by {
                Some(r) => store.summary(r)?.map(|s| s.name),
                None => None,
            };
            let mut history = store.history(id)?;
            history.reverse();
            let settings = store.settings()?;
            let defs = rapport_model::Fields::from_settings(&settings);
            let fields = defs
                .active()
                .map(|f| (f.clone(), customer.fields.get(&f.id).cloned()))
                .collect();
            let region = crate::ops::fields::region_in(&settings);
            let currency = rapport_value::ValueSettings::from_map_tolerant(&settings)
                .0
                .base_currency;
            Ok(Detail {
                history,
                fields,
                region,
                currency,
                conflicts: store.conflicts(id)?,
                referrer,
                customer,
            })
        });
        match loaded {
            Ok(d) => self.out.send(Update::Detail(Box::new(d))),
            Err(e) => self
                .out
                .send(Update::Error(format!("could not load the customer: {e}"))),
        }
    }

    fn check_due(&mut self) {
        let now = self.clock.local();
        let due = rapport_query::fell_due(&self.summaries, self.last_due_check, now);
        self.last_due_check = now;
        if !due.is_empty() {
            self.out.send(Update::Due(due));
        }
    }

    async fn handle(&mut self, r: Request) {
        match r {
            Request::Query {
                filter,
                sort,
                generation,
            } => {
                self.filter = filter;
                self.sort = sort;
                self.generation = generation;
                self.send_rows();
            }
            Request::Open(id) => {
                self.open = Some(id);
                self.send_detail(id);
            }
            Request::Close => self.open = None,
            Request::Create { name, kind } => {
                let new = NewCustomer::new(name, kind);
                match blocking(|| self.store.create(new)) {
                    Ok(id) => {
                        self.open = Some(id);
                        self.out.send(Update::Created(id));
                        self.send_detail(id);
                    }
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
            }
            Request::Edit { id, edits } => {
                let edited = blocking(|| -> anyhow::Result<()> {
                    let edits = crate::ops::fields::stored_edits(&self.store, edits)?;
                    self.store.edit(id, &edits)?;
                    Ok(())
                });
                if let Err(e) = edited {
                    self.out.send(Update::Error(e.to_string()));
                    // The UI applied the edit optimistically: give it the real state back.
                    if self.open == Some(id) {
                        self.send_detail(id);
                    }
                }
            }
            Request::SetSetting { key, value } => {
                match blocking(|| crate::ops::change_setting(&self.store, &key, value.as_deref())) {
                    Ok(()) => self.recompute(),
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
            }
            Request::SetDeviceName(name) => {
                let name = name.trim().to_string();
                if name.is_empty() {
                    self.out
                        .send(Update::Error("the device name cannot be empty".into()));
                    return;
                }
                let r = blocking(|| self.store.rename_device(&name));
                match r {
                    Ok(()) => self.out.send(Update::Notice(format!(
                        "This device is now “{name}”; team devices see it after the next sync."
                    ))),
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
                self.send_sync();
            }
            Request::SetDeviceSetting { key, on } => {
                let v = if on { "on" } else { "off" };
                match blocking(|| crate::ops::device::set_flag(&self.store, &key, on)) {
                    Ok(()) => self.out.send(Update::Notice(format!(
                        "{key} is {v}; it takes effect at the next start"
                    ))),
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
                self.send_sync();
            }
            Request::PreviewImport {
                path,
                maps,
                encoding,
            } => self.preview_import(&path, maps, encoding),
            Request::PaletteSearch(text) => {
                let filter = Filter {
                    text: text.clone(),
                    ..Filter::default()
                };
                let snap = self.snapshot.clone();
                let hits = rapport_query::select(
                    &snap.summaries,
                    snap.analysis.as_deref(),
                    &filter,
                    Sort::default(),
                )
                .into_iter()
                .take(8)
                .filter_map(|i| snap.summaries.get(i).map(|s| (s.id, s.name.clone())))
                .collect();
                self.out.send(Update::PaletteResults(text, hits));
            }
            Request::ExportXlsx { path, filter } => {
                let today = self.clock.today();
                let written = blocking(|| -> anyhow::Result<usize> {
                    let (bytes, n) = crate::ops::export::xlsx(&self.store, &filter, false, today)?;
                    crate::ops::export::write_file(&path, &bytes)?;
                    Ok(n)
                });
                match written {
                    Ok(n) => self.out.send(Update::Exported(format!(
                        "Exported {n} customers to {}.",
                        path.display()
                    ))),
                    Err(e) => self
                        .out
                        .send(Update::Error(format!("nothing exported: {e}"))),
                }
            }
            Request::ConfirmImport { skip_bad } => {
                let Some(p) = self.pending_import.take() else {
                    self.out.send(Update::Error(
                        "nothing to import: preview a file first".into(),
                    ));
                    return;
                };
                if p.bad > 0 && !skip_bad {
                    self.out.send(Update::Error(format!(
                        "{} row(s) cannot be imported; tick “skip bad rows” or fix the file",
                        p.bad
                    )));
                    self.pending_import = Some(p);
                    return;
                }
                let pending = p.planned;
                self.out.send(Update::Progress("Importing…".into()));
                use crate::ops::import::Planned;
                let written =
                    blocking(|| crate::ops::import::apply(&self.store, &pending)).map(|w| {
                        match pending {
                            Planned::Contacts(_) => {
                                format!("Imported: {} created, {} merged.", w.created, w.changed)
                            }
                            Planned::Orders(_) => {
                                format!("Imported deals for {} customers.", w.changed)
                            }
                        }
                    });
                if written.is_ok()
                    && let Some(m) = &p.mapping
                    && let Err(e) =
                        blocking(|| crate::ops::import::remember_mapping(&self.store, m, None))
                {
                    tracing::warn!(error = %e, "the import's mapping was not remembered");
                }
                match written {
                    Ok(msg) => self.out.send(Update::Notice(msg)),
                    Err(e) => self
                        .out
                        .send(Update::Error(format!("nothing imported: {e}"))),
                }
            }
            Request::CancelInvite => {
                if let Some(node) = self.node() {
                    node.cancel_invite();
                }
                if let Some(answer) = self.pending_join.lock().ok().and_then(|mut s| s.take()) {
                    let _ = answer.send(false);
                }
            }
            Request::Admit(yes) => {
                if let Some(answer) = self.pending_join.lock().ok().and_then(|mut s| s.take()) {
                    let _ = answer.send(yes);
                }
            }
            Request::Invite => match self.node() {
                Some(node) => match crate::ops::pair::invite(
                    &node,
                    rapport_sync::pair::INVITE_TTL,
                    self.ask_person(),
                ) {
                    Ok(crate::ops::pair::OpenInvite {
                        ticket: t,
                        recovery,
                    }) => {
                        if let Some(code) = recovery {
                            self.out.send(Update::Notice(format!(
                                "This device now owns a new team. Write down its recovery code and keep it away from this laptop (shown only now): {}",
                                code.to_text()
                            )));
                        }
                        self.out.send(Update::Ticket(t))
                    }
                    Err(e) => self.out.send(Update::Error(format!("cannot invite: {e}"))),
                },
                None => self.out.send(Update::Error(format!(
                    "cannot invite: {}",
                    self.node_status
                ))),
            },
            Request::Join(ticket) => {
                let Some(node) = self.node() else {
                    self.out
                        .send(Update::Error(format!("cannot join: {}", self.node_status)));
                    return;
                };
                let joining = match crate::ops::pair::Joining::new(&node, &ticket) {
                    Ok(j) => j,
                    Err(e) => {
                        self.out
                            .send(Update::Error(format!("that ticket is not valid: {e}")));
                        return;
                    }
                };
                // The person at the inviting device compares this code with theirs.
                self.out
                    .send(Update::Notice(format!("Joining: {}.", joining.prompt())));
                let out = self.out.clone();
                tokio::spawn(async move {
                    match joining.join(&node, false).await {
                        Ok(j) => out.send(Update::Notice(format!(
                            "Paired with {}; the first sync brought {} customers.",
                            j.inviter, j.documents
                        ))),
                        Err(e) => out.send(Update::Error(format!("pairing failed: {e}"))),
                    }
                });
            }
            Request::Revoke(id) => {
                match blocking(|| crate::ops::team::revoke(&self.store, &id)) {
                    Ok(()) => self.out.send(Update::Notice(
                        "Revoked. Every team device refuses it once it has synced with this one."
                            .into(),
                    )),
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
                self.send_sync();
            }
            Request::ResumePeer(id) => {
                match blocking(|| crate::ops::team::resume(&self.store, &id)) {
                    Ok(_) => self.out.send(Update::Notice(
                        "Sync resumes. What it sent before stays set aside; what it sends next is checked."
                            .into(),
                    )),
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
                self.send_sync();
            }
            Request::UndoDevice(name) => {
                match blocking(|| crate::ops::backup::undo_device(&self.store, &name, None, false)) {
                    Ok(r) if r.changes == 0 => self.out.send(Update::Notice(format!(
                        "No change by {name} found on this device."
                    ))),
                    Ok(r) => self.out.send(Update::Notice(format!(
                        "Undid {} changes by {name}: {} customers restored ({} it created now deleted); {} fields kept because others changed them later. The undo syncs to the team.",
                        r.changes, r.customers, r.deleted, r.kept
                    ))),
                    Err(e) => self.out.send(Update::Error(e.to_string())),
                }
            }
            Request::SyncNow => {
                let Some(node) = self.node() else {
                    self.out
                        .send(Update::Error(format!("cannot sync: {}", self.node_status)));
                    return;
                };
                let out = self.out.clone();
                tokio::spawn(async move {
                    let results = node.sync_all(Duration::from_secs(60)).await;
                    let ok = results.iter().filter(|(_, r)| r.is_ok()).count();
                    out.send(Update::Notice(if results.is_empty() {
                        "No team device to sync with yet: invite one.".to_string()
                    } else {
                        format!("Synced with {ok} of {} devices.", results.len())
                    }));
                });
            }
        }
    }

    fn preview_import(
        &mut self,
        path: &std::path::Path,
        maps: Vec<String>,
        encoding: Option<String>,
    ) {
        use rapport_interchange::Action;
        self.pending_import = None;
        let shown = path.display().to_string();
        let fail = |w: &Worker, e: String| w.out.send(Update::Error(format!("{shown}: {e}")));
        let bytes = match blocking(|| std::fs::read(path)) {
            Ok(b) => b,
            Err(e) => return fail(self, e.to_string()),
        };
        let summaries = self.summaries.clone();
        let mut preview = ImportPreview {
            file: shown.clone(),
            ..Default::default()
        };
        // The CLI's reading and planning (`crate::ops`), shown instead of printed.
        let mut ask = crate::ops::import::ImportAsk::auto(&shown);
        ask.maps = maps;
        ask.encoding = encoding;
        ask.file_date = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .map(|t| chrono::DateTime::<Local>::from(t).date_naive());
        let settings = match blocking(|| self.store.settings()) {
            Ok(s) => s,
            Err(e) => return fail(self, e.to_string()),
        };
        let read = match crate::ops::read_import(&bytes, &ask, &settings) {
            Ok(r) => r,
            Err(e) => return fail(self, e),
        };
        preview.encoding = read.decoded_as().to_string();
        let mut mapping = None;
        let read = match read {
            crate::ops::ImportRead::Sheet(sr) => {
                let sr = *sr;
                let fields = rapport_model::Fields::from_settings(&settings);
                let mut choices: Vec<String> = rapport_interchange::mapping::FIELDS
                    .iter()
                    .map(|(w, _)| (*w).to_string())
                    .filter(|w| !w.starts_with("custom:"))
                    .collect();
                choices.extend(fields.active().map(|f| format!("custom:{}", f.name)));
                preview.mapping = Some(MappingStep {
                    from: sr.mapping_from.clone(),
                    headers: sr.sheet.headers.clone(),
                    targets: sr
                        .mapping
                        .columns
                        .iter()
                        .map(|c| c.target.as_ref().map(|t| t.to_string()).unwrap_or_default())
                        .collect(),
                    sample: sr
                        .sheet
                        .rows
                        .iter()
                        .take(3)
                        .map(|r| r.cells.iter().map(|c| c.text()).collect())
                        .collect(),
                    unplaced: sr.unplaced.clone(),
                    choices,
                });
                preview.notes = sr.notes.clone();
                preview.warnings = sr.sheet.warnings.iter().map(|w| w.to_string()).collect();
                mapping = Some(sr.mapping.clone());
                crate::ops::ImportRead::Contacts {
                    layout: rapport_interchange::Layout::VCard,
                    people: sr.people,
                    bad: sr.bad,
                    decoded_as: sr.decoded_as,
                }
            }
            other => other,
        };
        if let crate::ops::ImportRead::Orders { orders, bad, .. } = read {
            let (edits, bad) = crate::ops::plan_orders(&orders, bad, &summaries);
            preview.kind = "orders".into();
            for o in &orders {
                preview.lines.push(format!(
                    "deal for {}: {} {} ({}, {})",
                    o.customer,
                    o.deal.amount.decimal(),
                    o.deal.amount.currency.code(),
                    o.deal.date,
                    o.deal.status
                ));
            }
            preview.merged = edits.len();
            preview.bad = bad.iter().map(|e| e.to_string()).collect();
            self.pending_import = Some(PendingImport {
                planned: crate::ops::import::Planned::Orders(edits),
                bad: bad.len(),
                mapping: None,
            });
        } else if let crate::ops::ImportRead::Contacts {
            layout,
            people,
            bad,
            ..
        } = read
        {
            let k = if mapping.is_some() {
                "spreadsheet"
            } else {
                crate::ops::layout_name(layout)
            };
            preview.warnings.extend(
                people
                    .iter()
                    .flat_map(|p| p.warnings.iter().map(|w| w.to_string())),
            );
            let plan = match blocking(|| {
                crate::ops::plan_contacts(
                    &self.store,
                    &summaries,
                    &people,
                    self.clock.utc(),
                    ask.file_date,
                )
            }) {
                Ok(p) => p,
                Err(e) => return fail(self, e.to_string()),
            };
            preview
                .warnings
                .extend(plan.warnings.iter().map(|w| w.to_string()));
            preview.kind = k.into();
            for a in &plan.actions {
                preview.lines.push(match a {
                    Action::Create {
                        name,
                        kind,
                        contacts,
                        ..
                    } => {
                        format!(
                            "create {kind} {name}{}",
                            if *contacts > 0 {
                                format!(" with {contacts} contact(s)")
                            } else {
                                String::new()
                            }
                        )
                    }
                    Action::Merge { name, adds, .. } => {
                        format!("merge into {name}: {}", adds.join(", "))
                    }
                    Action::Unchanged { name, .. } => format!("{name}: already here"),
                });
                match a {
                    Action::Create { .. } => preview.created += 1,
                    Action::Merge { .. } => preview.merged += 1,
                    Action::Unchanged { .. } => preview.unchanged += 1,
                }
            }
            preview.bad = bad.iter().map(|e| e.to_string()).collect();
            // A spreadsheet with columns no field takes waits for the mapping to be finished.
            let waiting = preview
                .mapping
                .as_ref()
                .is_some_and(|m| !m.unplaced.is_empty());
            self.pending_import = (!waiting).then_some(PendingImport {
                planned: crate::ops::import::Planned::Contacts(plan),
                bad: bad.len(),
                mapping,
            });
        }
        self.out.send(Update::ImportPreview(Box::new(preview)));
    }

    async fn start_node(&mut self, bind: SocketAddr) {
        use crate::ops::node::Mode;
        match self
            .net
            .start_node(Mode::App, bind, Duration::from_secs(30))
            .await
        {
            Ok(node) => {
                self.node_status = format!(
                    "listening on {}{}",
                    self.net.listening().join(", "),
                    if node.config().lan_discovery {
                        "; looking for team devices on the LAN"
                    } else {
                        ""
                    }
                );
            }
            Err(e) => self.node_status = format!("sync is off: {e}"),
        }
    }

    /// The running sync node, if any.
    fn node(&self) -> Option<Arc<Node>> {
        self.net.node().cloned()
    }

    /// Join requests go to the window, whose person admits or refuses ([`Request::Admit`]).
    fn ask_person(&self) -> rapport_sync::pair::Admit {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<rapport_sync::pair::JoinRequest>(4);
        let out = self.out.clone();
        let slot = self.pending_join.clone();
        tokio::spawn(async move {
            while let Some(r) = rx.recv().await {
                if let Ok(mut s) = slot.lock() {
                    *s = Some(r.answer);
                }
                out.send(Update::JoinRequest {
                    id: r.id,
                    name: r.name,
                    code: r.code,
                });
            }
        });
        rapport_sync::pair::Admit::Ask(tx)
    }

    fn send_sync(&self) {
        let store = &self.store;
        let me = rapport_sync::net::device_id(store).to_string();
        let lan: Vec<String> = self
            .net
            .node()
            .map(|n| n.lan_peers().iter().map(|p| p.to_string()).collect())
            .unwrap_or_default();
        let now = self.clock.utc();
        let quarantined = blocking(|| store.quarantined()).unwrap_or_default();
        let paused = blocking(|| store.paused_peers()).unwrap_or_default();
        let peers = blocking(|| {
            store
                .team()
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m.id != me)
                .map(|m| {
                    let st = store.peer_state(&m.id).unwrap_or_default();
                    let refused = {
                        let mut q: Vec<_> = quarantined
                            .iter()
                            .filter(|q| q.peer.as_deref() == Some(m.id.as_str()))
                            .collect();
                        q.sort_by_key(|q| q.at);
                        q.last().map(|last| (q.len(), last.reason.clone()))
                    };
                    let online =
                        rapport_sync::net::online(m.revoked, &st, lan.contains(&m.id), None, now)
                            .unwrap_or(false);
                    PeerView {
                        paused: paused.get(&m.id).map(|p| p.reason.clone()),
                        pending: store.pending_for(&m.id).unwrap_or(0),
                        online,
                        address_kind: st.address_kind.clone().unwrap_or_else(|| "direct".into()),
                        id: m.id,
                        name: m.name,
                        role: m.role,
                        refused,
                        revoked: m.revoked,
                        addrs: m.addrs,
                        last_synced: st.last_synced,
                        last_error: st.last_error,
                    }
                })
                .collect()
        });
        let device_settings = blocking(|| crate::ops::device::flags(store));
        let name = blocking(|| store.team())
            .ok()
            .and_then(|t| t.into_iter().find(|m| m.id == me).map(|m| m.name))
            .unwrap_or_else(|| store.device().name.clone());
        let listening = self.net.listening();
        let role = blocking(|| store.my_role()).ok().flatten();
        self.out.send(Update::Sync(Box::new(SyncView {
            device_id: me,
            device_name: name,
            role,
            status: self.node_status.clone(),
            listening,
            peers,
            arrivals: self.arrivals.clone(),
            device_settings,
        })));
    }
}
