//! The simulation: its state, the event dispatch, and the life of a request from the client's
//! side. The mechanisms live in their own modules (`thread`, `event_loop`, `threaded`,
//! `process`, `listen`, `load`, `program`), each adding methods to [`Simulation`].

use std::collections::{HashMap, VecDeque};

use crate::cpu::Cores;
use crate::gil::Gil;
use crate::limiter::Limiter;
use crate::listen::Listener;
use crate::load::LoadState;
use crate::program::{compile, Ins, Program};
use crate::queue::{Ev, EventQueue};
use crate::record::{
    Activity, Lane, LaneKind, LaneTotals, RequestRecord, Segment, Status, ThreadState, TimeSplit,
    WorkerStats,
};
use crate::rng::Rng;
use crate::scenario::{Scenario, ScenarioErrors, ServerConfig};
use crate::summary::{StatsCollector, Summary};
use crate::time::Nanos;

pub(crate) const NONE: u32 = u32::MAX;
pub(crate) const NEVER: Nanos = Nanos::MAX;
/// Sizes of the distribution views in a [`RunResult`].
pub const CDF_POINTS: usize = 400;
pub const HISTOGRAM_BINS: usize = 40;

/// What to keep in full detail (everything else is summarised in streaming statistics).
#[derive(Clone, Debug, PartialEq)]
pub struct RunOptions {
    /// Keep records of requests with id below this (all if `None`).
    pub keep_requests: Option<u32>,
    /// Keep timeline segments overlapping this time range (all if `None`).
    pub segment_window: Option<(Nanos, Nanos)>,
    /// At most this many segments (the rest are dropped and `segments_dropped` counts them).
    pub max_segments: usize,
    /// Keep the handler's printed lines.
    pub keep_logs: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            keep_requests: None,
            segment_window: None,
            max_segments: 2_000_000,
            keep_logs: true,
        }
    }
}

/// A line the handler printed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogLine {
    pub time: Nanos,
    pub request: u32,
    pub worker: u32,
    pub lane: u32,
    pub text: String,
}

/// Where a request's time is currently being counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cat {
    Connecting,
    Queued,
    Cpu,
    GilWait,
    CoreWait,
    Blocked,
    Awaiting,
}

/// A request in flight (a slot of the request slab).
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub id: u32,
    pub client: u32,
    pub sent: Nanos,
    pub connected: Nanos,
    pub accepted: Nanos,
    pub started: Nanos,
    pub proc: u32,
    pub proc_gen: u32,
    pub lane: u32,
    pub syn_retries: u8,
    pub pc: u16,
    /// On a thread: the instruction index where the thread call ends.
    pub thread_end: u16,
    pub has_token: bool,
    /// An AnyIO worker thread started for this request's thread call, not yet handed the job.
    pub new_thread: u32,
    pub has_conn: bool,
    pub on_loop: bool,
    pub thread: u32,
    /// The client has its answer (response or failure).
    pub client_done: bool,
    /// A server thread waits for the client to close the connection (gunicorn's sync worker
    /// after its response: `Ins::AwaitClose`), since `close_since` (`NEVER`: it did not).
    pub close_waiter: bool,
    pub close_since: Nanos,
    /// The server holds the request (backlog or later) and has not finished with it.
    pub server_held: bool,
    pub cat: Cat,
    pub cat_since: Nanos,
    pub split: TimeSplit,
    /// Its objects' allocation, as the number of collections its process had run then
    /// (`NONE`: not allocated, or freed): those allocated when the loop read it, and the rest
    /// when its handler started.
    pub gc_serial_read: u32,
    pub gc_serial: u32,
    /// Whether its bytes have reached the server (ab writes after connecting: `recv`).
    pub bytes: crate::recv::Bytes,
    /// When they did, if after the connection.
    pub written: Nanos,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Loop,
    Main,
    /// AnyIO worker thread of an event-loop process.
    Anyio,
    /// A thread of waitress's / gthread's pool.
    Pool,
    /// werkzeug's thread for one connection.
    Conn,
    Sync,
    ProcWorker,
    /// ab, on the server's machine.
    Client,
}

/// What a (non-loop) thread is doing for its current op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Job {
    None,
    Code(u32),
    /// An `accept()` (the connection is taken as its CPU ends).
    Accept,
    /// An `accept()` waiting in the kernel while its descriptor table grows (`fds.rs`).
    FdGrow,
    Spawn(u32),
    Read(u32),
    Write(u32),
    Proc(u32),
    /// Blocked in `recv()` for a request whose bytes have not arrived.
    Recv(u32),
}

pub(crate) struct Thread {
    pub proc: u32,
    pub gil: u32,
    pub lane: u32,
    pub role: Role,
    pub state: ThreadState,
    pub since: Nanos,
    pub req: u32,
    pub req_id: u32,
    pub activity: u16,
    pub epoch: u32,
    pub cpu_left: Nanos,
    /// The rest of the current server cost (`server_cpu`): its kernel part, run without the
    /// GIL after the Python part, or its Python part (`then_act`) after the kernel part.
    pub kernel_left: Nanos,
    pub then_python: Nanos,
    pub then_act: u16,
    /// The extra CPU its current (or last) CPU job pays towards its process's cold debt.
    pub cold_extra: Nanos,
    /// Its work left once its wake-up for the GIL is paid (`gil_handoff_us`; `NEVER`: not
    /// waking): a forced switch waits until then.
    pub awake_left: Nanos,
    pub has_gil: bool,
    pub alive: bool,
    pub job: Job,
    /// werkzeug with keep-alive: the next request on this thread's connection.
    pub next_on_conn: u32,
}

/// An event-loop callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cb {
    /// The listening socket is readable: accept up to 100 connections.
    Accept,
    /// An accepted connection's set-up task (`_accept_connection2`): it makes the transport,
    /// which schedules the next stage.
    Setup(u32),
    /// The transport's scheduled callbacks (`connection_made`, `_add_reader`): the socket is
    /// polled from the next iteration on.
    Register(u32),
    /// A connection's request is readable: read, parse, create the task.
    Read(u32),
    /// Run (or resume) a request's task until it suspends.
    Run(u32),
    /// A future the task awaits is done (timer, thread or process result, I/O): its wake-up
    /// is scheduled with `call_soon`, so the task runs one loop iteration later.
    Wake(u32),
}

impl Cb {
    /// The request the callback is for (none for the accept callback).
    pub(crate) fn slot(self) -> Option<u32> {
        match self {
            Cb::Accept => None,
            Cb::Setup(s) | Cb::Register(s) | Cb::Read(s) | Cb::Run(s) | Cb::Wake(s) => Some(s),
        }
    }
}

#[derive(Default)]
pub(crate) struct LoopState {
    pub thread: u32,
    pub ready: VecDeque<(Cb, Nanos)>,
    pub pending: VecDeque<(Cb, Nanos)>,
    pub batch_left: usize,
    pub idle: bool,
    /// When the scheduled wake-up of an idle loop comes (`NEVER`: none).
    pub wake_at: Nanos,
    pub cur: Option<Cb>,
    /// Connections accepted in the current accept callback.
    pub accepted_in_batch: u32,
    /// The current accept callback is in its last `accept()`, which finds none.
    pub accept_failing: bool,
    /// The current read callback runs a collection before it parses.
    pub read_gc: bool,
    /// The kind of the callback the loop ran last (its discriminant).
    pub last: Option<std::mem::Discriminant<Cb>>,
    /// How many callbacks of that kind it has run in a row (the current one included).
    pub run: u32,
    /// The current callback first pays for running cold (`cold_accept_us`, `cold_setup_us`,
    /// `cold_read_us`, `cold_task_us`).
    pub warming: bool,
    /// The accept callback's `accept()` waits while the descriptor table grows (`fds.rs`).
    pub fd_growing: bool,
    /// The loop runs its iteration's own CPU (`iteration_us`) before the batch.
    pub polling: bool,
    pub anyio_idle: Vec<u32>,
    pub anyio_count: u32,
}

/// Main-thread work of a threaded server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MainJob {
    Read(u32),
    Write(u32),
}

pub(crate) struct Proc {
    pub gen: u32,
    pub alive: bool,
    pub gil: u32,
    pub threads: Vec<u32>,
    pub lp: LoopState,
    pub main: u32,
    pub main_jobs: VecDeque<MainJob>,
    pub task_queue: VecDeque<u32>,
    pub pool_idle: VecDeque<u32>,
    pub pool_busy: u32,
    pub conn_free: std::collections::BinaryHeap<std::cmp::Reverse<u32>>,
    pub conn_next: u32,
    pub sync_thread: u32,
    /// The accepting thread (loop, main, sync worker) waits for the listener.
    pub acceptor_idle: bool,
    /// When the scheduled wake-up of the idle accepting thread comes (`NEVER`: none).
    pub wake_at: Nanos,
    pub open_conns: u32,
    pub limiter: Limiter,
    pub db: Limiter,
    pub ppool_idle: Vec<u32>,
    pub ppool_count: u32,
    pub ppool_queue: VecDeque<(u32, crate::scenario::StepKind, Nanos, u16)>,
    pub heartbeat: Nanos,
    pub busy: bool,
    pub watchdog_pending: bool,
    pub gc: crate::gc::GcState,
    /// Its threads with CPU work now, and when the last one stopped (`None`: none has run):
    /// how long it has been idle (`idle.rs`).
    pub on_cpu: u32,
    pub off_cpu_since: Option<Nanos>,
    /// The extra CPU it still owes after waking cold (`idle.rs`).
    pub cold_debt: Nanos,
    /// Its descriptor table's size (`fds.rs`).
    pub fd_table: u32,
}

pub(crate) struct ProcStats {
    pub stats: WorkerStats,
    pub loop_lag_total: Nanos,
    pub loop_lag_max: Nanos,
    pub loop_callbacks: u64,
    pub loop_warmth: crate::record::Warmth,
    pub loop_iterations: u64,
    pub loop_blocked: Vec<Nanos>,
    pub loop_cpu: Vec<Nanos>,
}

/// The result of a run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    pub scenario: Scenario,
    pub summary: Summary,
    pub requests: Vec<RequestRecord>,
    pub segments: Vec<Segment>,
    pub segments_dropped: u64,
    pub lanes: Vec<Lane>,
    pub lane_totals: Vec<LaneTotals>,
    pub activities: Vec<Activity>,
    pub workers: Vec<WorkerStats>,
    pub logs: Vec<LogLine>,
    /// Requests the load sent (records may be fewer: see `RunOptions::keep_requests`).
    pub requests_sent: u64,
    /// The latency distribution of answered requests: CDF points (ms, fraction ≤) and a
    /// histogram, both bounded in size whatever the number of requests.
    pub latency_cdf: Vec<(f64, f64)>,
    pub latency_histogram: Vec<crate::summary::HistBin>,
    pub concurrency: crate::series::ConcurrencySeries,
}

/// How far a run has got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub now: Nanos,
    pub finished: u64,
    /// Requests the load will send in all (open loop: the expected count).
    pub expected: u64,
    pub events: u64,
}

/// A simulation in progress. `run` does it all; `step` runs a bounded number of events, for
/// callers that report progress or can be cancelled.
pub struct Simulation {
    pub(crate) scenario: Scenario,
    pub(crate) cfg: ServerConfig,
    pub(crate) opts: RunOptions,
    pub(crate) now: Nanos,
    pub(crate) q: EventQueue,
    pub(crate) cores: Cores,
    pub(crate) cores_dirty: bool,
    pub(crate) gils: Vec<Gil>,
    pub(crate) gil_gen: u64,
    pub(crate) threads: Vec<Thread>,
    pub(crate) procs: Vec<Proc>,
    pub(crate) pstats: Vec<ProcStats>,
    pub(crate) listener: Listener,
    pub(crate) reqs: Vec<Req>,
    pub(crate) free: Vec<u32>,
    pub(crate) next_id: u32,
    pub(crate) prog: Program,
    pub(crate) rng_handler: Rng,
    pub(crate) rng_load: Rng,
    /// Which idle worker wins an accept race.
    pub(crate) rng_accept: Rng,
    /// The garbage collector's unknown starting state, per process.
    pub(crate) rng_gc: Rng,
    /// How long each idle worker's wake-up takes (`server.costs.wake_sigma`).
    pub(crate) rng_wake: Rng,
    /// How long each growth of a descriptor table waits (`server.costs.fd_grow_sigma`).
    pub(crate) rng_fd: Rng,
    /// ab's own process, when its CPU is modelled.
    pub(crate) client_proc: Option<crate::load::ClientProc>,
    pub(crate) load: LoadState,
    pub(crate) timeout: Option<Nanos>,
    pub(crate) lanes: Vec<Lane>,
    pub(crate) lane_index: HashMap<(u32, LaneKind, u32), u32>,
    pub(crate) lane_totals: Vec<LaneTotals>,
    pub(crate) records: Vec<RequestRecord>,
    pub(crate) segments: Vec<Segment>,
    pub(crate) segments_dropped: u64,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) stats: StatsCollector,
    pub(crate) finished: u64,
    pub(crate) events: u64,
    pub(crate) done_buf: Vec<u32>,
    /// Reused buffer for the cores' turn changes (`Cores::turns`).
    pub(crate) turn_buf: Vec<(u32, bool)>,
    /// CPU work asked of the cores (ns); matches the cores' busy time at the end.
    pub(crate) cpu_demand: u64,
    /// When a thread last changed state or a request last ended: the end of the activity
    /// (timers that find nothing to do, like expired client timeouts, do not count).
    pub(crate) last_change: Nanos,
}

/// Runs a scenario to the end, keeping every detail.
pub fn run(scenario: &Scenario) -> Result<RunResult, ScenarioErrors> {
    let mut sim = Simulation::new(scenario, RunOptions::default())?;
    while !sim.step(1 << 20) {}
    Ok(sim.finish())
}

impl Simulation {
    pub fn new(scenario: &Scenario, opts: RunOptions) -> Result<Simulation, ScenarioErrors> {
        scenario.validate()?;
        let cfg = scenario.server.resolve();
        let prog = compile(scenario, &cfg);
        let n_act = prog.activities.len();
        let mut sim = Simulation {
            scenario: scenario.clone(),
            opts,
            now: 0,
            q: EventQueue::default(),
            cores: Cores::new(
                cfg.cores,
                // Where the scheduler's ticks fall, relative to the run's start.
                cfg.tick_phase
                    .unwrap_or_else(|| Rng::new(scenario.seed, 6).next_u64() % crate::cpu::TICK),
                cfg.cpu_speed
                    .as_ref()
                    .map(|s| (s, Rng::new(scenario.seed, 5))),
            ),
            cores_dirty: false,
            gils: Vec::new(),
            gil_gen: 0,
            threads: Vec::new(),
            procs: Vec::new(),
            pstats: Vec::new(),
            listener: Listener::new(cfg.backlog),
            reqs: Vec::new(),
            free: Vec::new(),
            next_id: 0,
            prog,
            rng_handler: Rng::new(scenario.seed, 1),
            rng_load: Rng::new(scenario.seed, 2),
            rng_accept: Rng::new(scenario.seed, 3),
            rng_gc: Rng::new(scenario.seed, 4),
            rng_wake: Rng::new(scenario.seed, 7),
            rng_fd: Rng::new(scenario.seed, 8),
            client_proc: None,
            load: LoadState::new(&scenario.load),
            timeout: scenario.load.timeout(),
            lanes: Vec::new(),
            lane_index: HashMap::new(),
            lane_totals: Vec::new(),
            records: Vec::new(),
            segments: Vec::new(),
            segments_dropped: 0,
            logs: Vec::new(),
            stats: StatsCollector::default(),
            finished: 0,
            events: 0,
            done_buf: Vec::new(),
            turn_buf: Vec::new(),
            cpu_demand: 0,
            last_change: 0,
            cfg,
        };
        for p in 0..sim.cfg.workers {
            sim.pstats.push(ProcStats {
                stats: WorkerStats {
                    worker: p,
                    ..WorkerStats::default()
                },
                loop_lag_total: 0,
                loop_lag_max: 0,
                loop_callbacks: 0,
                loop_warmth: Default::default(),
                loop_iterations: 0,
                loop_blocked: vec![0; n_act],
                loop_cpu: vec![0; n_act],
            });
            let mut proc = sim.fresh_proc();
            // As the scenario found it (a restarted worker starts afresh).
            proc.fd_table = sim.cfg.fd_tables[p as usize];
            sim.procs.push(proc);
            sim.start_proc(p);
            for _ in 0..sim.cfg.warm_threads {
                sim.warm_anyio_thread(p);
            }
        }
        sim.start_client_proc();
        sim.start_load();
        if sim.cores_dirty {
            sim.reschedule_cores();
        }
        Ok(sim)
    }

    pub fn now(&self) -> Nanos {
        self.now
    }

    /// When the last thing happened: a thread changed state or a request ended.
    pub fn end(&self) -> Nanos {
        self.last_change.max(self.stats.last_finished)
    }

    pub fn progress(&self) -> Progress {
        Progress {
            now: self.now,
            finished: self.finished,
            expected: self.scenario.load.request_count(),
            events: self.events,
        }
    }

    /// Processes up to `max_events` events; returns `true` when the run is over.
    pub fn step(&mut self, max_events: u64) -> bool {
        for _ in 0..max_events {
            let Some((t, ev)) = self.q.pop() else {
                if self.close_stuck_requests() {
                    continue;
                }
                return true;
            };
            debug_assert!(t >= self.now, "time went back: {t} < {}", self.now);
            self.now = t;
            self.events += 1;
            self.handle(ev);
            if self.cores_dirty {
                self.reschedule_cores();
            }
        }
        if self.q.len() == 0 {
            // The budget ended with the last event: finish exactly as an unbounded run would.
            self.close_stuck_requests();
        }
        self.q.len() == 0
    }

    /// Nothing is left to happen: requests still waiting can never be answered. Returns
    /// whether there were any (their clients send nothing more).
    fn close_stuck_requests(&mut self) -> bool {
        let stuck: Vec<u32> = (0..self.reqs.len() as u32)
            .filter(|&s| self.reqs[s as usize].id != NONE && !self.reqs[s as usize].client_done)
            .collect();
        if stuck.is_empty() {
            return false;
        }
        self.load.stop();
        for slot in stuck {
            self.client_fail(slot, Status::Unfinished);
        }
        true
    }

    /// Records kept so far, handed over (for callers streaming them out).
    pub fn take_records(&mut self) -> Vec<RequestRecord> {
        std::mem::take(&mut self.records)
    }

    /// The statistics so far.
    pub fn summary(&mut self) -> Summary {
        let mut s = self.stats.summary();
        s.events = self.events;
        s.syn_drops = self.listener.dropped;
        s.cpu_demand_ms = self.cpu_demand as f64 / 1e6;
        s.cpu_delivered_ms = self.cores.delivered as f64 / 1e6;
        s.core_migrations = self.cores.migrations;
        // Utilisation is over the whole run: background work may outlast the last response.
        let span = self
            .end()
            .saturating_sub(self.stats.first_sent.unwrap_or(0))
            .max(self.stats.makespan())
            .max(1) as f64;
        s.cores_utilisation = self.cores.busy / (span * self.cfg.cores as f64);
        let nw = self.pstats.len() as f64;
        s.gil_utilisation = self
            .pstats
            .iter()
            .map(|p| p.stats.gil_held as f64 / span)
            .sum::<f64>()
            / nw;
        if self.cfg.runtime == crate::scenario::Runtime::EventLoop {
            let cbs: u64 = self.pstats.iter().map(|p| p.loop_callbacks).sum();
            let lag: Nanos = self.pstats.iter().map(|p| p.loop_lag_total).sum();
            s.loop_lag_mean_ms = if cbs > 0 {
                lag as f64 / cbs as f64 / 1e6
            } else {
                0.0
            };
            s.loop_lag_max_ms = self
                .pstats
                .iter()
                .map(|p| p.loop_lag_max)
                .max()
                .unwrap_or(0) as f64
                / 1e6;
            let blocked: Nanos = self
                .pstats
                .iter()
                .map(|p| p.loop_blocked.iter().sum::<Nanos>())
                .sum();
            s.loop_blocked_fraction = blocked as f64 / span / nw;
        }
        s
    }

    /// Ends the run and hands over everything kept.
    pub fn finish(mut self) -> RunResult {
        // Close the lanes' last segments.
        for t in 0..self.threads.len() as u32 {
            if self.threads[t as usize].state != ThreadState::Idle {
                let (req, act) = (
                    self.threads[t as usize].req,
                    self.threads[t as usize].activity,
                );
                self.set_state(t, ThreadState::Idle, req, act);
            }
        }
        let summary = self.summary();
        let latency_cdf = self.stats.latency.cdf_points(CDF_POINTS);
        let latency_histogram = self.stats.latency.histogram(HISTOGRAM_BINS, true);
        let concurrency = self.stats.occupancy.series(self.stats.last_finished);
        for p in 0..self.procs.len() as u32 {
            self.fold_proc_stats(p);
        }
        let event_loop = self.cfg.runtime == crate::scenario::Runtime::EventLoop;
        let workers = self
            .pstats
            .iter()
            .map(|ps| {
                let mut w = ps.stats.clone();
                if event_loop {
                    let by = |v: &Vec<Nanos>| {
                        let mut x: Vec<(u16, Nanos)> = v
                            .iter()
                            .enumerate()
                            .filter(|(_, &n)| n > 0)
                            .map(|(i, &n)| (i as u16, n))
                            .collect();
                        x.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                        x
                    };
                    w.loop_stats = Some(crate::record::LoopStats {
                        callbacks: ps.loop_callbacks,
                        lag_total: ps.loop_lag_total,
                        lag_max: ps.loop_lag_max,
                        blocked_by: by(&ps.loop_blocked),
                        cpu_by: by(&ps.loop_cpu),
                        warmth: ps.loop_warmth,
                        iterations: ps.loop_iterations,
                    });
                }
                w
            })
            .collect();
        RunResult {
            scenario: self.scenario,
            summary,
            requests: self.records,
            segments: self.segments,
            segments_dropped: self.segments_dropped,
            lanes: self.lanes,
            lane_totals: self.lane_totals,
            activities: self.prog.activities,
            workers,
            logs: self.logs,
            requests_sent: self.next_id as u64,
            latency_cdf,
            latency_histogram,
            concurrency,
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Syn { slot, id } => {
                if self.reqs[slot as usize].id == id {
                    self.syn(slot);
                }
            }
            Ev::ConnectGiveUp { slot, id } => {
                let r = &self.reqs[slot as usize];
                if r.id == id && !r.client_done {
                    self.client_fail(slot, Status::ConnectFailed);
                }
            }
            Ev::Arrival => self.arrival(),
            Ev::CpuTick { gen } => {
                if gen == self.cores.gen {
                    self.cores.scheduled = None;
                    self.cores_dirty = true;
                    let mut done = std::mem::take(&mut self.done_buf);
                    self.cores.finished(self.now, &mut done);
                    for &t in &done {
                        self.threads[t as usize].cpu_left = 0;
                        if !self.next_part(t) {
                            self.op_done(t);
                        }
                    }
                    done.clear();
                    self.done_buf = done;
                }
            }
            Ev::BlockDone { thread, epoch } => {
                let th = &self.threads[thread as usize];
                if th.alive && th.epoch == epoch {
                    self.op_done(thread);
                }
            }
            Ev::AwaitDone { slot, id } => {
                let r = &self.reqs[slot as usize];
                if r.id == id && r.server_held {
                    let p = r.proc;
                    self.loop_pending(p, Cb::Wake(slot));
                }
            }
            Ev::LoopWake { proc, gen } => {
                if self.procs[proc as usize].gen == gen {
                    self.loop_wake(proc);
                }
            }
            Ev::AcceptWake { proc, gen } => {
                if self.procs[proc as usize].gen == gen {
                    self.acceptor_wake(proc);
                }
            }
            Ev::ThreadResume { thread, epoch } => {
                let th = &self.threads[thread as usize];
                if th.alive && th.epoch == epoch {
                    self.run_code(thread);
                }
            }
            Ev::GilTimeout { gil, gen } => self.gil_timeout(gil, gen),
            Ev::ClientTimeout { slot, id } => {
                let r = &self.reqs[slot as usize];
                if r.id == id && !r.client_done {
                    self.client_fail(slot, Status::ClientTimeout);
                }
            }
            Ev::Watchdog { proc, gen } => self.watchdog(proc, gen),
            Ev::Restart { proc } => self.restart_proc(proc),
        }
    }

    // ---- the request slab and the client side of a request ----

    pub(crate) fn new_request(&mut self, client: u32, sent: Nanos) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let r = Req {
            id,
            client,
            sent,
            connected: NEVER,
            accepted: NEVER,
            started: NEVER,
            proc: NONE,
            proc_gen: 0,
            lane: NONE,
            syn_retries: 0,
            pc: 0,
            thread_end: u16::MAX,
            has_token: false,
            new_thread: NONE,
            has_conn: false,
            on_loop: false,
            thread: NONE,
            client_done: false,
            close_waiter: false,
            close_since: NEVER,
            server_held: false,
            cat: Cat::Connecting,
            cat_since: sent,
            split: TimeSplit::default(),
            gc_serial_read: NONE,
            gc_serial: NONE,
            bytes: crate::recv::Bytes::Sent,
            written: NEVER,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.reqs[s as usize] = r;
                s
            }
            None => {
                self.reqs.push(r);
                (self.reqs.len() - 1) as u32
            }
        };
        if let Some(t) = self.timeout {
            self.q.push(sent + t, Ev::ClientTimeout { slot, id });
        }
        self.stats.sent(sent);
        slot
    }

    /// Moves the request's time accounting to `cat` from now on.
    pub(crate) fn req_cat(&mut self, slot: u32, cat: Cat) {
        let now = self.now;
        let r = &mut self.reqs[slot as usize];
        if r.client_done {
            return;
        }
        // Waiting for the client to write its request is the client's time, not the server's.
        let cat = if cat == Cat::Queued && r.bytes != crate::recv::Bytes::Sent {
            Cat::Connecting
        } else {
            cat
        };
        let d = now.saturating_sub(r.cat_since);
        match r.cat {
            Cat::Connecting => r.split.connecting += d,
            Cat::Queued => r.split.queued += d,
            Cat::Cpu => r.split.cpu += d,
            Cat::GilWait => r.split.gil_wait += d,
            Cat::CoreWait => r.split.core_wait += d,
            Cat::Blocked => r.split.blocked += d,
            Cat::Awaiting => r.split.awaiting += d,
        }
        r.cat = cat;
        r.cat_since = now.max(r.cat_since);
    }

    /// The response reaches the client.
    pub(crate) fn deliver(&mut self, slot: u32) {
        let r = &self.reqs[slot as usize];
        let p = r.proc;
        self.pstats[p as usize].stats.responses += 1;
        if r.client_done {
            // The client gave up earlier: the server writes to a closed connection.
            self.close_conn(p);
            return;
        }
        if self.client_proc.is_some() {
            // ab reads the response when its process gets to it.
            let (id, gen) = (r.id, self.procs[p as usize].gen);
            self.client_proc_enqueue(crate::load::Send::Receive {
                slot,
                id,
                proc: p,
                gen,
            });
            return;
        }
        self.received(slot);
    }

    /// The client has read the response: the request is answered, and the client goes on.
    pub(crate) fn received(&mut self, slot: u32) {
        let r = &self.reqs[slot as usize];
        if r.client_done {
            return;
        }
        let (client, p) = (r.client, r.proc);
        self.client_finish(slot, Status::Ok);
        if self.cfg.keep_alive && self.load.keep_alive() && self.load.wants_more() {
            let gen = self.procs[p as usize].gen;
            let thread = self.reqs[slot as usize].thread;
            self.client_send(crate::load::Send::KeepAlive {
                client,
                proc: p,
                gen,
                thread,
            });
        } else {
            self.client_closes(slot);
            self.close_conn(p);
            self.client_next(client);
        }
    }

    /// The request fails for the client (the server may still hold it).
    pub(crate) fn client_fail(&mut self, slot: u32, status: Status) {
        let client = self.reqs[slot as usize].client;
        self.client_finish(slot, status);
        self.client_closes(slot);
        self.client_next(client);
        if self.reqs[slot as usize].bytes != crate::recv::Bytes::Sent {
            // It closes a connection on which it has not written the request.
            self.client_closed_unsent(slot);
        }
        let r = &self.reqs[slot as usize];
        if r.id != NONE && !r.server_held {
            self.free_slot(slot);
        }
    }

    /// The client is done with request `slot`'s connection and closes it: a server thread
    /// waiting for that goes on (gunicorn's sync worker, which keeps no connection alive).
    fn client_closes(&mut self, slot: u32) {
        if std::mem::take(&mut self.reqs[slot as usize].close_waiter) {
            // Its wait's deadline (a resume of the same epoch) no longer applies.
            let t = self.reqs[slot as usize].thread;
            let th = &mut self.threads[t as usize];
            th.epoch = th.epoch.wrapping_add(1);
            self.wake_request(slot, false);
        }
    }

    fn client_finish(&mut self, slot: u32, status: Status) {
        self.req_cat(slot, Cat::Queued);
        let now = self.now;
        self.last_change = now;
        let r = &mut self.reqs[slot as usize];
        r.client_done = true;
        let opt = |t: Nanos| if t == NEVER { None } else { Some(t) };
        let rec = RequestRecord {
            id: r.id,
            client: r.client,
            sent: r.sent,
            connected: opt(r.connected),
            accepted: opt(r.accepted),
            started: opt(r.started),
            finished: now,
            status,
            worker: if r.proc == NONE { None } else { Some(r.proc) },
            lane: if r.lane == NONE { None } else { Some(r.lane) },
            syn_retries: r.syn_retries,
            written: opt(r.written),
            split: r.split,
        };
        debug_assert_eq!(rec.split.total(), rec.latency(), "time split of {rec:?}");
        self.finished += 1;
        self.stats.add(&rec);
        if self.opts.keep_requests.is_none_or(|n| rec.id < n) {
            self.records.push(rec);
        }
    }

    /// The server is done with the request.
    pub(crate) fn server_done(&mut self, slot: u32) {
        self.gc_free(slot);
        let r = &mut self.reqs[slot as usize];
        r.server_held = false;
        if r.client_done {
            self.free_slot(slot);
        }
    }

    fn free_slot(&mut self, slot: u32) {
        self.reqs[slot as usize].id = NONE;
        self.free.push(slot);
    }

    pub(crate) fn log_line(&mut self, slot: u32, thread: u32, text: u16) {
        if !self.opts.keep_logs {
            return;
        }
        let r = &self.reqs[slot as usize];
        self.logs.push(LogLine {
            time: self.now,
            request: r.id,
            worker: r.proc,
            lane: self.threads[thread as usize].lane,
            text: self.prog.logs[text as usize].clone(),
        });
    }

    pub(crate) fn code_at(&self, pc: u16) -> Ins {
        self.prog.code[pc as usize]
    }
}
