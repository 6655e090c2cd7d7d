//! Edits of a scenario, as the editor makes them. Pure: every control of the scenario panel
//! maps to one [`Edit`], applied by [`apply`]. Values are stored as typed; validation (the same
//! as the CLI's) reports what is out of range.

use loopsim_engine::dist::Dist;
use loopsim_engine::scenario::{
    Arrivals, Background, Costs, CpuSpeed, GcSettings, Load, Offload, Route, Scenario, Server,
    ServerKind, Step, StepKind, GC_THRESHOLDS,
};

/// Which step list: the route's, or a background task's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Steps {
    Main,
    Background(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostField {
    Accept,
    AcceptCall,
    ColdAccept,
    ColdSetup,
    /// A GIL waiter's wake-up, and system calls handing the GIL over (µs).
    GilHandoff,
    ColdRead,
    ColdTask,
    /// The share of the task step's cold extra each further step of a run still pays.
    ColdTaskDecay,
    Iteration,
    Setup,
    Parse,
    Respond,
    Spawn,
    Wake,
    IdleWake,
    /// The further wake-up after a long idle (µs), and how fast it is reached (ms).
    DeepWake,
    DeepIdle,
    /// How much each idle wake-up varies (a lognormal sigma).
    WakeSigma,
    /// A worker's extra CPU after a long idle (µs).
    ColdCpu,
    ToThread,
    CloseWait,
    KernelShare,
    /// The wait of an `accept()` that grows a multi-threaded worker's descriptor table (µs),
    /// and its spread (a lognormal sigma).
    FdGrow,
    FdGrowSigma,
}

/// An edit of the garbage collector's settings (`server.gc`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GcEdit {
    /// Model the collector (with [`default_gc`]) or not.
    On(bool),
    Objects(u32),
    Garbage(u32),
    Heap(u32),
    NsPerObject(f64),
    Threshold0(u32),
    /// Start with a full collection due at the first trigger (counters `[0, 0, t2 + 1]`, a
    /// quarter of the heap pending), or from a state drawn from the seed.
    FullDue(bool),
}

/// The collector's settings when the editor turns it on: the fidelity harness's measurement
/// of the FastAPI app on a 2-core VM (docs/fidelity.md), rounded. The objects are a hello
/// world's (nothing held across an `await`: what it allocates before its task and what the
/// task leaves); a request sleeping in an `await` holds ~125 (`def`: ~170).
pub fn default_gc() -> GcSettings {
    GcSettings {
        objects_per_request: 40,
        garbage_per_request: 7,
        objects_on_read: 30,
        heap_objects: 50_000,
        ns_per_object: 400.0,
        partial_ns_per_object: Some(80.0),
        thresholds: None,
        count: None,
        pending: None,
    }
}

/// Whether the settings start with a full collection due (see [`GcEdit::FullDue`]).
pub fn gc_full_due(g: &GcSettings) -> bool {
    let t = g.thresholds.unwrap_or(GC_THRESHOLDS);
    g.count == Some([0, 0, t[2] + 1]) && g.pending == Some(g.heap_objects / 4)
}

/// An edit of the cores' varying speed (`server.cpu_speed`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeedEdit {
    /// Vary the speed (with [`default_cpu_speed`]) or keep it constant.
    On(bool),
    Sigma(f64),
    HoldMs(f64),
}

/// The varying speed when the editor turns it on: the fidelity harness's measurement of its
/// 2-core VM (docs/fidelity.md), rounded.
pub fn default_cpu_speed() -> CpuSpeed {
    CpuSpeed {
        sigma: 0.15,
        hold_ms: 40.0,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadKind {
    Closed,
    Open,
    Burst,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepEdit {
    Kind(StepKind),
    Duration(Dist),
    Offload(Offload),
    Hold(bool),
    Label(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LoadEdit {
    Kind(LoadKind),
    Requests(u32),
    Concurrency(u32),
    KeepAlive(bool),
    Rate(f64),
    Duration(f64),
    Arrivals(Arrivals),
    Clients(u32),
    Interval(f64),
    Timeout(Option<f64>),
    /// The client's CPU per request on the server's machine (closed loops and bursts).
    ClientCpu(Option<f64>),
    /// The part of it sending each request (default half).
    ClientSend(Option<f64>),
    /// The client's extra CPU on its first job after an idle spell, and the part of it before
    /// that job's request goes out (default half).
    ClientCold(Option<f64>),
    ClientColdSend(Option<f64>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    ServerKind(ServerKind),
    Workers(Option<u32>),
    Threads(Option<u32>),
    Cores(Option<u32>),
    Gil(bool),
    SwitchInterval(Option<f64>),
    Backlog(Option<u32>),
    KeepAlive(Option<bool>),
    /// gunicorn's sync worker waits for the client to close each connection.
    CloseLinger(Option<bool>),
    WorkerTimeout(Option<f64>),
    ConnectionLimit(Option<u32>),
    ProcessPool(Option<u32>),
    /// Descriptors each worker holds besides its connections (`server.fds.open`).
    FdOpen(Option<u32>),
    /// Every worker's descriptor table size as the run starts (`server.fds.table`).
    FdTable(Option<u32>),
    /// AnyIO threads each worker has started before the run (`server.warm_threads`).
    WarmThreads(Option<u32>),
    Cost(CostField, Option<f64>),
    Gc(GcEdit),
    CpuSpeed(SpeedEdit),
    Route(Route),
    Overhead(Option<Dist>),
    DbPool(Option<u32>),
    Step(Steps, usize, StepEdit),
    AddStep(Steps),
    RemoveStep(Steps, usize),
    /// Moves a step up (`-1`) or down (`+1`).
    MoveStep(Steps, usize, i32),
    AddBackground,
    RemoveBackground(usize),
    BackgroundRoute(usize, Route),
    Load(LoadEdit),
    Seed(u64),
}

fn steps_mut(s: &mut Scenario, which: Steps) -> Option<&mut Vec<Step>> {
    match which {
        Steps::Main => Some(&mut s.handler.steps),
        Steps::Background(i) => s.handler.background.get_mut(i).map(|b| &mut b.steps),
    }
}

/// A new step: 100 ms of blocking I/O (what a DB query or an HTTP call looks like).
pub fn default_step() -> Step {
    Step::new(StepKind::BlockingIo, Dist::constant_ms(100.0))
}

pub fn load_kind(load: &Load) -> LoadKind {
    match load {
        Load::Closed { .. } => LoadKind::Closed,
        Load::Open { .. } => LoadKind::Open,
        Load::Burst { .. } => LoadKind::Burst,
    }
}

/// The client's CPU per request, for the loads that have one.
pub fn client_cpu_of(load: &Load) -> Option<f64> {
    match load {
        Load::Closed { client_cpu_us, .. } | Load::Burst { client_cpu_us, .. } => *client_cpu_us,
        Load::Open { .. } => None,
    }
}

/// The part of the client's CPU spent sending each request, when given.
pub fn client_send_of(load: &Load) -> Option<f64> {
    match load {
        Load::Closed { client_send_us, .. } | Load::Burst { client_send_us, .. } => *client_send_us,
        Load::Open { .. } => None,
    }
}

/// The client process's fields of a closed or burst load: its CPU per request, the part
/// sending, its extra CPU after idling and the part of that before the send.
fn client_fields(load: &mut Load) -> Option<[&mut Option<f64>; 4]> {
    match load {
        Load::Closed {
            client_cpu_us,
            client_send_us,
            client_cold_us,
            client_cold_send_us,
            ..
        }
        | Load::Burst {
            client_cpu_us,
            client_send_us,
            client_cold_us,
            client_cold_send_us,
            ..
        } => Some([
            client_cpu_us,
            client_send_us,
            client_cold_us,
            client_cold_send_us,
        ]),
        Load::Open { .. } => None,
    }
}

/// The client's extra CPU after an idle spell, and the part of it before the send, when given.
pub fn client_cold_of(load: &Load) -> (Option<f64>, Option<f64>) {
    match load {
        Load::Closed {
            client_cold_us,
            client_cold_send_us,
            ..
        }
        | Load::Burst {
            client_cold_us,
            client_cold_send_us,
            ..
        } => (*client_cold_us, *client_cold_send_us),
        Load::Open { .. } => (None, None),
    }
}

fn timeout_of(load: &Load) -> Option<f64> {
    match load {
        Load::Closed { timeout_ms, .. }
        | Load::Open { timeout_ms, .. }
        | Load::Burst { timeout_ms, .. } => *timeout_ms,
    }
}

/// `server.fds` with nothing set is left out.
fn tidy_fds(s: &mut Scenario) {
    if s.server.fds == Some(Default::default()) {
        s.server.fds = None;
    }
}

/// Applies one edit. Edits that do not fit the scenario (a step index out of range) do nothing.
pub fn apply(s: &mut Scenario, edit: Edit) {
    match edit {
        Edit::ServerKind(kind) => {
            // The kind's own defaults replace the previous kind's settings; the machine stays.
            let old = std::mem::replace(&mut s.server, Server::new(kind));
            s.server.cores = old.cores;
            s.server.gil = old.gil;
            s.server.switch_interval_ms = old.switch_interval_ms;
            s.server.process_pool = old.process_pool;
            // Every kind runs CPython: its collector stays.
            s.server.gc = old.gc;
            if kind.multi_process() {
                s.server.workers = old.workers;
            }
        }
        Edit::Workers(v) => s.server.workers = v,
        Edit::Threads(v) => s.server.threads = v,
        Edit::Cores(v) => s.server.cores = v,
        Edit::Gil(on) => s.server.gil = if on { None } else { Some(false) },
        Edit::SwitchInterval(v) => s.server.switch_interval_ms = v,
        Edit::Backlog(v) => s.server.backlog = v,
        Edit::KeepAlive(v) => s.server.keep_alive = v,
        Edit::CloseLinger(v) => s.server.close_linger = v,
        Edit::WorkerTimeout(v) => s.server.worker_timeout_s = v,
        Edit::ConnectionLimit(v) => s.server.connection_limit = v,
        Edit::ProcessPool(v) => s.server.process_pool = v,
        Edit::FdOpen(v) => {
            s.server.fds.get_or_insert_with(Default::default).open = v;
            tidy_fds(s);
        }
        Edit::FdTable(v) => {
            s.server.fds.get_or_insert_with(Default::default).table = v.map(|t| vec![t]);
            tidy_fds(s);
        }
        Edit::WarmThreads(v) => s.server.warm_threads = v,
        Edit::Cost(field, v) => {
            let c = s.server.costs.get_or_insert_with(Costs::default);
            match field {
                CostField::Accept => c.accept_us = v,
                CostField::AcceptCall => c.accept_call_us = v,
                CostField::ColdAccept => c.cold_accept_us = v,
                CostField::ColdSetup => c.cold_setup_us = v,
                CostField::GilHandoff => c.gil_handoff_us = v,
                CostField::ColdRead => c.cold_read_us = v,
                CostField::ColdTask => c.cold_task_us = v,
                CostField::ColdTaskDecay => c.cold_task_decay = v,
                CostField::Iteration => c.iteration_us = v,
                CostField::Setup => c.setup_us = v,
                CostField::Parse => c.parse_us = v,
                CostField::Respond => c.respond_us = v,
                CostField::Spawn => c.spawn_us = v,
                CostField::Wake => c.wake_us = v,
                CostField::IdleWake => c.idle_wake_us = v,
                CostField::DeepWake => c.deep_wake_us = v,
                CostField::DeepIdle => c.deep_idle_ms = v,
                CostField::WakeSigma => c.wake_sigma = v,
                CostField::ColdCpu => c.cold_cpu_us = v,
                CostField::ToThread => c.to_thread_us = v,
                CostField::CloseWait => c.close_wait_us = v,
                CostField::KernelShare => c.kernel_share = v,
                CostField::FdGrow => c.fd_grow_us = v,
                CostField::FdGrowSigma => c.fd_grow_sigma = v,
            }
            if *c == Costs::default() {
                s.server.costs = None;
            }
        }
        Edit::Gc(GcEdit::On(on)) => s.server.gc = on.then(default_gc),
        Edit::Gc(edit) => {
            if let Some(g) = &mut s.server.gc {
                // A full collection due stays due (its pending quarter follows the heap).
                let want_due = match edit {
                    GcEdit::FullDue(d) => d,
                    _ => gc_full_due(g),
                };
                match edit {
                    GcEdit::Objects(v) => {
                        g.objects_per_request = v;
                        // Those allocated on read are part of them (not edited here).
                        g.objects_on_read = g.objects_on_read.min(v);
                    }
                    GcEdit::Garbage(v) => g.garbage_per_request = v,
                    GcEdit::Heap(v) => g.heap_objects = v,
                    GcEdit::NsPerObject(v) => g.ns_per_object = v,
                    GcEdit::Threshold0(v) => {
                        let mut t = g.thresholds.unwrap_or(GC_THRESHOLDS);
                        t[0] = v;
                        g.thresholds = (t != GC_THRESHOLDS).then_some(t);
                    }
                    GcEdit::On(_) | GcEdit::FullDue(_) => {}
                }
                if want_due {
                    let t = g.thresholds.unwrap_or(GC_THRESHOLDS);
                    g.count = Some([0, 0, t[2] + 1]);
                    g.pending = Some(g.heap_objects / 4);
                } else if matches!(edit, GcEdit::FullDue(false)) {
                    g.count = None;
                    g.pending = None;
                }
            }
        }
        Edit::CpuSpeed(SpeedEdit::On(on)) => s.server.cpu_speed = on.then(default_cpu_speed),
        Edit::CpuSpeed(edit) => {
            if let Some(c) = &mut s.server.cpu_speed {
                match edit {
                    SpeedEdit::Sigma(v) => c.sigma = v,
                    SpeedEdit::HoldMs(v) => c.hold_ms = v,
                    SpeedEdit::On(_) => {}
                }
            }
        }
        Edit::Route(r) => s.handler.route = r,
        Edit::Overhead(d) => s.handler.overhead = d,
        Edit::DbPool(v) => {
            s.handler.db_pool = v;
            if v.is_none() {
                let all = s.handler.steps.iter_mut().chain(
                    s.handler
                        .background
                        .iter_mut()
                        .flat_map(|b| b.steps.iter_mut()),
                );
                all.for_each(|st| st.hold_connection = false);
            }
        }
        Edit::Step(which, i, e) => {
            let Some(step) = steps_mut(s, which).and_then(|v| v.get_mut(i)) else {
                return;
            };
            match e {
                StepEdit::Kind(k) => {
                    step.kind = k;
                    if k == StepKind::AwaitIo {
                        step.offload = Offload::None;
                    }
                }
                StepEdit::Duration(d) => step.duration = d,
                StepEdit::Offload(o) => step.offload = o,
                StepEdit::Hold(h) => step.hold_connection = h,
                StepEdit::Label(l) => step.label = if l.trim().is_empty() { None } else { Some(l) },
            }
        }
        Edit::AddStep(which) => {
            if let Some(v) = steps_mut(s, which) {
                v.push(default_step());
            }
        }
        Edit::RemoveStep(which, i) => {
            if let Some(v) = steps_mut(s, which).filter(|v| i < v.len()) {
                v.remove(i);
            }
        }
        Edit::MoveStep(which, i, by) => {
            if let Some(v) = steps_mut(s, which) {
                let j = i as i64 + by as i64;
                if i < v.len() && j >= 0 && (j as usize) < v.len() {
                    v.swap(i, j as usize);
                }
            }
        }
        Edit::AddBackground => s.handler.background.push(Background {
            route: Route::Def,
            steps: vec![default_step()],
        }),
        Edit::RemoveBackground(i) => {
            if i < s.handler.background.len() {
                s.handler.background.remove(i);
            }
        }
        Edit::BackgroundRoute(i, r) => {
            if let Some(b) = s.handler.background.get_mut(i) {
                b.route = r;
            }
        }
        Edit::Load(e) => apply_load(&mut s.load, e),
        Edit::Seed(seed) => s.seed = seed,
    }
}

fn apply_load(load: &mut Load, e: LoadEdit) {
    let timeout = timeout_of(load);
    let client_cpu = client_cpu_of(load);
    let client_send = client_send_of(load);
    let (client_cold, client_cold_send) = client_cold_of(load);
    match e {
        LoadEdit::Kind(k) if k != load_kind(load) => {
            *load = match k {
                LoadKind::Closed => Load::Closed {
                    requests: 1000,
                    concurrency: 100,
                    keep_alive: false,
                    timeout_ms: timeout,
                    client_cpu_us: client_cpu,
                    client_send_us: client_send,
                    client_cold_us: client_cold,
                    client_cold_send_us: client_cold_send,
                },
                LoadKind::Open => Load::Open {
                    rate_per_s: 100.0,
                    duration_s: 10.0,
                    arrivals: Arrivals::Poisson,
                    timeout_ms: timeout,
                },
                LoadKind::Burst => Load::Burst {
                    clients: Some(2),
                    interval_ms: 0.0,
                    offsets_ms: None,
                    client_cpu_us: client_cpu,
                    client_send_us: client_send,
                    client_cold_us: client_cold,
                    client_cold_send_us: client_cold_send,
                    timeout_ms: timeout,
                },
            }
        }
        LoadEdit::Kind(_) => {}
        LoadEdit::Timeout(t) => match load {
            Load::Closed { timeout_ms, .. }
            | Load::Open { timeout_ms, .. }
            | Load::Burst { timeout_ms, .. } => *timeout_ms = t,
        },
        LoadEdit::ClientCpu(v)
        | LoadEdit::ClientSend(v)
        | LoadEdit::ClientCold(v)
        | LoadEdit::ClientColdSend(v) => {
            // Open-loop arrivals have no client process.
            let Some([cpu, send, cold, cold_send]) = client_fields(load) else {
                return;
            };
            match e {
                LoadEdit::ClientCpu(_) => *cpu = v,
                LoadEdit::ClientSend(_) => *send = v,
                LoadEdit::ClientCold(_) => *cold = v,
                _ => *cold_send = v,
            }
            // A part means nothing without its whole, and the client's parts nothing without
            // the client on the server's cores.
            if cold.is_none() || cpu.is_none() {
                *cold_send = None;
            }
            if cpu.is_none() {
                *send = None;
                *cold = None;
            }
        }
        e => match (load, e) {
            (Load::Closed { requests, .. }, LoadEdit::Requests(n)) => *requests = n,
            (Load::Closed { concurrency, .. }, LoadEdit::Concurrency(n)) => *concurrency = n,
            (Load::Closed { keep_alive, .. }, LoadEdit::KeepAlive(k)) => *keep_alive = k,
            (Load::Open { rate_per_s, .. }, LoadEdit::Rate(r)) => *rate_per_s = r,
            (Load::Open { duration_s, .. }, LoadEdit::Duration(d)) => *duration_s = d,
            (Load::Open { arrivals, .. }, LoadEdit::Arrivals(a)) => *arrivals = a,
            (
                Load::Burst {
                    clients,
                    offsets_ms,
                    ..
                },
                LoadEdit::Clients(n),
            ) => {
                *clients = Some(n);
                *offsets_ms = None;
            }
            (
                Load::Burst {
                    interval_ms,
                    offsets_ms,
                    ..
                },
                LoadEdit::Interval(ms),
            ) => {
                *interval_ms = ms;
                *offsets_ms = None;
            }
            _ => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loopsim_engine::presets;

    fn preset(name: &str) -> Scenario {
        presets::find(name).unwrap().scenario()
    }

    #[test]
    fn the_sync_workers_close_linger_is_set_checked_and_reset_by_the_kind() {
        let mut s = preset("ab-waitress");
        apply(&mut s, Edit::ServerKind(ServerKind::GunicornSync));
        apply(&mut s, Edit::Route(loopsim_engine::scenario::Route::Def));
        s.validate().unwrap();
        assert!(
            s.server.resolve().close_linger,
            "gunicorn 27 lingers by default"
        );
        apply(&mut s, Edit::CloseLinger(Some(false)));
        assert!(!s.server.resolve().close_linger);
        // Another kind starts from its own defaults, and cannot linger.
        apply(&mut s, Edit::ServerKind(ServerKind::Waitress));
        assert_eq!(s.server.close_linger, None);
        apply(&mut s, Edit::CloseLinger(Some(true)));
        assert_eq!(s.validate().unwrap_err().0[0].path, "server.close_linger");
    }

    #[test]
    fn cost_edits_set_and_clear_the_costs() {
        let mut s = preset("flask-threaded-time-sleep");
        apply(&mut s, Edit::Cost(CostField::KernelShare, Some(1.5)));
        let e = s.validate().unwrap_err();
        assert_eq!(e.0[0].path, "server.costs.kernel_share");
        assert!(
            e.0[0].message.contains("between 0 and 0.9"),
            "{}",
            e.0[0].message
        );
        apply(&mut s, Edit::Cost(CostField::KernelShare, Some(0.3)));
        apply(&mut s, Edit::Cost(CostField::Spawn, Some(250.0)));
        s.validate().unwrap();
        let c = s.server.costs.clone().unwrap();
        assert_eq!((c.kernel_share, c.spawn_us), (Some(0.3), Some(250.0)));
        // Clearing every field leaves no `costs` object behind.
        apply(&mut s, Edit::Cost(CostField::KernelShare, None));
        apply(&mut s, Edit::Cost(CostField::Spawn, None));
        assert_eq!(s.server.costs, None);
        // An idle worker's wake-up: set, refused when negative, cleared.
        apply(&mut s, Edit::Cost(CostField::IdleWake, Some(-5.0)));
        assert_eq!(
            s.validate().unwrap_err().0[0].path,
            "server.costs.idle_wake_us"
        );
        apply(&mut s, Edit::Cost(CostField::IdleWake, Some(170.0)));
        s.validate().unwrap();
        assert_eq!(s.server.costs.clone().unwrap().idle_wake_us, Some(170.0));
        apply(&mut s, Edit::Cost(CostField::IdleWake, None));
        assert_eq!(s.server.costs, None);
        // The further wake-up after a long idle, and the idle time it takes to go cold: set,
        // refused out of range, cleared.
        apply(&mut s, Edit::Cost(CostField::DeepWake, Some(200.0)));
        apply(&mut s, Edit::Cost(CostField::DeepIdle, Some(0.0)));
        assert_eq!(
            s.validate().unwrap_err().0[0].path,
            "server.costs.deep_idle_ms"
        );
        apply(&mut s, Edit::Cost(CostField::DeepIdle, Some(40.0)));
        apply(&mut s, Edit::Cost(CostField::ColdCpu, Some(-1.0)));
        assert_eq!(
            s.validate().unwrap_err().0[0].path,
            "server.costs.cold_cpu_us"
        );
        apply(&mut s, Edit::Cost(CostField::ColdCpu, Some(500.0)));
        s.validate().unwrap();
        let cfg = s.server.resolve();
        assert_eq!(
            (cfg.deep_wake, cfg.deep_idle, cfg.cold_cpu),
            (200_000, 40_000_000, 500_000)
        );
        apply(&mut s, Edit::Cost(CostField::DeepWake, None));
        apply(&mut s, Edit::Cost(CostField::DeepIdle, None));
        apply(&mut s, Edit::Cost(CostField::ColdCpu, None));
        assert_eq!(s.server.costs, None);
        // The task step's cold extra falling along a run, and the wake-ups' spread (not µs):
        // each set, refused out of range, cleared.
        type GetF = fn(&loopsim_engine::scenario::ServerConfig) -> f64;
        let fields: [(CostField, &str, f64, f64, GetF); 2] = [
            (
                CostField::ColdTaskDecay,
                "server.costs.cold_task_decay",
                1.0,
                0.5,
                |c| c.cold_task_decay,
            ),
            (
                CostField::WakeSigma,
                "server.costs.wake_sigma",
                2.5,
                0.2,
                |c| c.wake_sigma,
            ),
        ];
        for (field, path, bad, good, get) in fields {
            apply(&mut s, Edit::Cost(field, Some(bad)));
            assert_eq!(s.validate().unwrap_err().0[0].path, path);
            apply(&mut s, Edit::Cost(field, Some(good)));
            s.validate().unwrap();
            assert_eq!(get(&s.server.resolve()), good);
            apply(&mut s, Edit::Cost(field, None));
            assert_eq!(s.server.costs, None);
        }
        // An asyncio server's connection set-up: set, refused when negative, cleared.
        let mut s = preset("fastapi-async-time-sleep");
        apply(&mut s, Edit::Cost(CostField::Setup, Some(-1.0)));
        assert_eq!(s.validate().unwrap_err().0[0].path, "server.costs.setup_us");
        apply(&mut s, Edit::Cost(CostField::Setup, Some(45.0)));
        s.validate().unwrap();
        assert_eq!(s.server.resolve().setup, 45_000);
        apply(&mut s, Edit::Cost(CostField::Setup, None));
        assert_eq!(s.server.costs, None);
        // Its accept callback's failing accept(), its callbacks run cold, its iterations and the
        // GIL's hand-off:
        // each set, refused when too large, cleared.
        type Get = fn(&loopsim_engine::scenario::ServerConfig) -> u64;
        let fields: [(CostField, &str, Get); 7] = [
            (CostField::AcceptCall, "server.costs.accept_call_us", |c| {
                c.accept_call
            }),
            (CostField::ColdAccept, "server.costs.cold_accept_us", |c| {
                c.cold_accept
            }),
            (CostField::ColdSetup, "server.costs.cold_setup_us", |c| {
                c.cold_setup
            }),
            (CostField::GilHandoff, "server.costs.gil_handoff_us", |c| {
                c.gil_handoff
            }),
            (CostField::ColdRead, "server.costs.cold_read_us", |c| {
                c.cold_read
            }),
            (CostField::ColdTask, "server.costs.cold_task_us", |c| {
                c.cold_task
            }),
            (CostField::Iteration, "server.costs.iteration_us", |c| {
                c.iteration
            }),
        ];
        for (field, path, get) in fields {
            apply(&mut s, Edit::Cost(field, Some(2e6)));
            assert_eq!(s.validate().unwrap_err().0[0].path, path);
            apply(&mut s, Edit::Cost(field, Some(25.0)));
            s.validate().unwrap();
            assert_eq!(get(&s.server.resolve()), 25_000);
            apply(&mut s, Edit::Cost(field, None));
            assert_eq!(s.server.costs, None);
        }
    }

    #[test]
    fn the_descriptor_tables_are_edited_checked_and_cleared() {
        let mut s = preset("fastapi-def-time-sleep");
        // A single uvicorn process started from a shell: bash's 256 slots.
        assert_eq!(s.server.resolve().fd_tables, vec![256]);
        apply(&mut s, Edit::FdTable(Some(100)));
        let e = s.validate().unwrap_err();
        assert_eq!(e.0[0].path, "server.fds.table[0]");
        assert!(e.0[0]
            .message
            .contains("power of two between 64 and 1048576"));
        apply(&mut s, Edit::FdTable(Some(64)));
        apply(&mut s, Edit::FdOpen(Some(12)));
        apply(&mut s, Edit::WarmThreads(Some(41)));
        assert_eq!(s.validate().unwrap_err().0[0].path, "server.warm_threads");
        apply(&mut s, Edit::WarmThreads(Some(2)));
        apply(&mut s, Edit::Cost(CostField::FdGrow, Some(2e6)));
        assert_eq!(
            s.validate().unwrap_err().0[0].path,
            "server.costs.fd_grow_us"
        );
        apply(&mut s, Edit::Cost(CostField::FdGrow, Some(8000.0)));
        apply(&mut s, Edit::Cost(CostField::FdGrowSigma, Some(2.5)));
        assert_eq!(
            s.validate().unwrap_err().0[0].path,
            "server.costs.fd_grow_sigma"
        );
        apply(&mut s, Edit::Cost(CostField::FdGrowSigma, Some(0.3)));
        s.validate().unwrap();
        let cfg = s.server.resolve();
        assert_eq!(
            (cfg.fd_tables, cfg.open_fds, cfg.warm_threads),
            (vec![64], 12, 2)
        );
        assert_eq!((cfg.fd_grow, cfg.fd_grow_sigma), (8_000_000, 0.3));
        apply(&mut s, Edit::FdTable(None));
        apply(&mut s, Edit::FdOpen(None));
        apply(&mut s, Edit::WarmThreads(None));
        apply(&mut s, Edit::Cost(CostField::FdGrow, None));
        apply(&mut s, Edit::Cost(CostField::FdGrowSigma, None));
        assert_eq!(
            (
                s.server.fds.clone(),
                s.server.warm_threads,
                s.server.costs.clone()
            ),
            (None, None, None)
        );
        // Another server kind starts from its own defaults: nothing carried over.
        apply(&mut s, Edit::FdTable(Some(128)));
        apply(&mut s, Edit::ServerKind(ServerKind::GunicornUvicorn));
        assert_eq!(s.server.fds, None);
        assert_eq!(s.server.resolve().fd_tables, vec![64]);
    }

    #[test]
    fn the_varying_speed_is_turned_on_edited_checked_and_off() {
        let mut s = preset("fastapi-async-time-sleep");
        // Edits of a speed that is not varied change nothing.
        apply(&mut s, Edit::CpuSpeed(SpeedEdit::Sigma(0.5)));
        assert_eq!(s.server.cpu_speed, None);
        apply(&mut s, Edit::CpuSpeed(SpeedEdit::On(true)));
        assert_eq!(s.server.cpu_speed, Some(default_cpu_speed()));
        apply(&mut s, Edit::CpuSpeed(SpeedEdit::HoldMs(0.0)));
        let e = s.validate().unwrap_err();
        assert_eq!(e.0[0].path, "server.cpu_speed.hold_ms");
        assert!(e.0[0].message.contains("between 0.1 and 60000"));
        apply(&mut s, Edit::CpuSpeed(SpeedEdit::HoldMs(25.0)));
        apply(&mut s, Edit::CpuSpeed(SpeedEdit::Sigma(0.3)));
        s.validate().unwrap();
        let c = s.server.cpu_speed.clone().unwrap();
        assert_eq!((c.sigma, c.hold_ms), (0.3, 25.0));
        apply(&mut s, Edit::CpuSpeed(SpeedEdit::On(false)));
        assert_eq!(s.server.cpu_speed, None);
    }

    #[test]
    fn the_collector_is_turned_on_edited_and_off() {
        let mut s = preset("fastapi-background-task");
        apply(&mut s, Edit::Gc(GcEdit::Objects(5)));
        assert_eq!(
            s.server.gc, None,
            "edits of a collector that is off do nothing"
        );
        apply(&mut s, Edit::Gc(GcEdit::On(true)));
        assert_eq!(s.server.gc, Some(default_gc()));
        s.validate().unwrap();
        apply(&mut s, Edit::Gc(GcEdit::FullDue(true)));
        let g = s.server.gc.clone().unwrap();
        assert_eq!((g.count, g.pending), (Some([0, 0, 11]), Some(12_500)));
        assert!(gc_full_due(&g));
        // The pending quarter follows the heap; a first threshold of 700 is the default again.
        apply(&mut s, Edit::Gc(GcEdit::Heap(80_000)));
        apply(&mut s, Edit::Gc(GcEdit::Threshold0(500)));
        apply(&mut s, Edit::Gc(GcEdit::Threshold0(700)));
        let g = s.server.gc.clone().unwrap();
        assert_eq!((g.pending, g.thresholds), (Some(20_000), None));
        // Fewer objects per request take those allocated on read down with them.
        apply(&mut s, Edit::Gc(GcEdit::Objects(20)));
        let g = s.server.gc.clone().unwrap();
        assert_eq!((g.objects_per_request, g.objects_on_read), (20, 20));
        s.validate().unwrap();
        apply(&mut s, Edit::Gc(GcEdit::Objects(150)));
        // Garbage above the objects is refused by validation, naming the field.
        apply(&mut s, Edit::Gc(GcEdit::Garbage(500)));
        let e = s.validate().unwrap_err();
        assert_eq!(e.0[0].path, "server.gc.garbage_per_request");
        apply(&mut s, Edit::Gc(GcEdit::FullDue(false)));
        let g = s.server.gc.clone().unwrap();
        assert_eq!((g.count, g.pending), (None, None));
        apply(&mut s, Edit::Gc(GcEdit::On(false)));
        assert_eq!(s.server.gc, None);
    }

    #[test]
    fn changing_kind_takes_its_defaults_and_keeps_the_machine() {
        let mut s = preset("ab-uvicorn-4-workers");
        s.server.threads = Some(10);
        apply(&mut s, Edit::ServerKind(ServerKind::FlaskDev));
        assert_eq!(s.server.kind, ServerKind::FlaskDev);
        assert_eq!(
            (s.server.workers, s.server.threads, s.server.cores),
            (None, None, Some(4))
        );
        apply(&mut s, Edit::Workers(Some(3)));
        assert!(s.validate().is_err(), "Flask's dev server runs one process");
        apply(&mut s, Edit::ServerKind(ServerKind::GunicornSync));
        assert_eq!(
            s.server.workers,
            Some(3),
            "gunicorn forks workers: the setting carries over"
        );
        // Only the route is left to fix: a sync worker runs Flask `def` views.
        let e = s.validate().unwrap_err();
        assert_eq!(
            e.0.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            vec!["handler.route"]
        );
        apply(&mut s, Edit::ServerKind(ServerKind::Waitress));
        assert_eq!(s.server.workers, None, "waitress runs one process");
    }

    #[test]
    fn steps_add_move_edit_remove() {
        let mut s = preset("fastapi-async-time-sleep");
        apply(&mut s, Edit::AddStep(Steps::Main));
        apply(
            &mut s,
            Edit::Step(Steps::Main, 1, StepEdit::Kind(StepKind::Cpu)),
        );
        apply(&mut s, Edit::MoveStep(Steps::Main, 1, -1));
        assert_eq!(s.handler.steps[0].kind, StepKind::Cpu);
        apply(&mut s, Edit::MoveStep(Steps::Main, 0, -1)); // no-op at the top
        assert_eq!(s.handler.steps[0].kind, StepKind::Cpu);
        apply(&mut s, Edit::RemoveStep(Steps::Main, 0));
        assert_eq!(s.handler.steps.len(), 1);
        assert_eq!(s.handler.steps[0].label.as_deref(), Some("time.sleep(10)"));
        apply(&mut s, Edit::RemoveStep(Steps::Main, 9)); // out of range: nothing
        assert_eq!(s.handler.steps.len(), 1);
    }

    #[test]
    fn await_in_def_is_kept_and_reported_by_validation() {
        let mut s = preset("fastapi-def-time-sleep");
        apply(
            &mut s,
            Edit::Step(Steps::Main, 0, StepEdit::Kind(StepKind::AwaitIo)),
        );
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("handler.steps[0].kind: `await` is only valid inside `async def`"),
            "{e}"
        );
    }

    #[test]
    fn the_client_cpu_is_kept_across_closed_and_burst() {
        let mut s = preset("ab-uvicorn");
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(Some(90.0))));
        assert_eq!(client_cpu_of(&s.load), Some(90.0));
        apply(&mut s, Edit::Load(LoadEdit::Kind(LoadKind::Burst)));
        assert_eq!(client_cpu_of(&s.load), Some(90.0));
        apply(&mut s, Edit::Load(LoadEdit::Kind(LoadKind::Open)));
        assert_eq!(
            client_cpu_of(&s.load),
            None,
            "open-loop arrivals have no client process"
        );
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(Some(5.0))));
        assert_eq!(client_cpu_of(&s.load), None);
        apply(&mut s, Edit::Load(LoadEdit::Kind(LoadKind::Closed)));
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(Some(-1.0))));
        let e = s.validate().unwrap_err();
        assert_eq!(e.0[0].path, "load.client_cpu_us");
    }

    #[test]
    fn the_part_before_the_send_follows_the_client_cpu() {
        let mut s = preset("ab-uvicorn");
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(Some(150.0))));
        apply(&mut s, Edit::Load(LoadEdit::ClientSend(Some(50.0))));
        assert_eq!(client_send_of(&s.load), Some(50.0));
        assert!(s.validate().is_ok());
        // Kept across closed and burst.
        apply(&mut s, Edit::Load(LoadEdit::Kind(LoadKind::Burst)));
        assert_eq!(client_send_of(&s.load), Some(50.0));
        // More than the whole is refused with its path.
        apply(&mut s, Edit::Load(LoadEdit::ClientSend(Some(200.0))));
        let e = s.validate().unwrap_err();
        assert_eq!(e.0[0].path, "load.client_send_us");
        // Clearing the client's CPU clears its part.
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(None)));
        assert_eq!(client_send_of(&s.load), None);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn the_clients_cold_first_pass_follows_the_client_cpu() {
        let mut s = preset("ab-uvicorn");
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(Some(150.0))));
        apply(&mut s, Edit::Load(LoadEdit::ClientCold(Some(220.0))));
        apply(&mut s, Edit::Load(LoadEdit::ClientColdSend(Some(130.0))));
        assert_eq!(client_cold_of(&s.load), (Some(220.0), Some(130.0)));
        assert!(s.validate().is_ok());
        // Kept across closed and burst.
        apply(&mut s, Edit::Load(LoadEdit::Kind(LoadKind::Burst)));
        assert_eq!(client_cold_of(&s.load), (Some(220.0), Some(130.0)));
        // The part before the send cannot exceed the whole.
        apply(&mut s, Edit::Load(LoadEdit::ClientColdSend(Some(300.0))));
        assert_eq!(
            s.validate().unwrap_err().0[0].path,
            "load.client_cold_send_us"
        );
        // Clearing the whole clears its part; clearing the client's CPU clears both.
        apply(&mut s, Edit::Load(LoadEdit::ClientCold(None)));
        assert_eq!(client_cold_of(&s.load), (None, None));
        apply(&mut s, Edit::Load(LoadEdit::ClientCold(Some(220.0))));
        apply(&mut s, Edit::Load(LoadEdit::ClientCpu(None)));
        assert_eq!(client_cold_of(&s.load), (None, None));
        assert!(s.validate().is_ok());
    }

    #[test]
    fn load_kind_switch_keeps_the_timeout() {
        let mut s = preset("ab-uvicorn");
        apply(&mut s, Edit::Load(LoadEdit::Kind(LoadKind::Burst)));
        assert_eq!(
            s.load,
            Load::Burst {
                clients: Some(2),
                interval_ms: 0.0,
                offsets_ms: None,
                client_cpu_us: None,
                client_send_us: None,
                client_cold_us: None,
                client_cold_send_us: None,
                timeout_ms: Some(30_000.0)
            }
        );
        apply(&mut s, Edit::Load(LoadEdit::Clients(60)));
        apply(&mut s, Edit::Load(LoadEdit::Timeout(None)));
        assert_eq!(s.load.request_count(), 60);
        assert_eq!(s.load.timeout(), None);
    }

    #[test]
    fn removing_the_pool_releases_held_steps() {
        let mut s = preset("fastapi-def-time-sleep");
        apply(&mut s, Edit::DbPool(Some(5)));
        apply(&mut s, Edit::Step(Steps::Main, 0, StepEdit::Hold(true)));
        assert!(s.validate().is_ok());
        apply(&mut s, Edit::DbPool(None));
        assert!(!s.handler.steps[0].hold_connection);
        assert!(s.validate().is_ok());
    }
}
