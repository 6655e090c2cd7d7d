//! The scenario file: what is simulated (server, handler, load), versioned JSON.
//!
//! Parsing is strict: unknown fields are rejected, and [`Scenario::validate`] checks every number
//! against a documented range, so that any accepted scenario is finite. Every error names the
//! JSON path of the offending field. `docs/scenario.md` documents the format.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::dist::{Dist, MAX_SAMPLE_MS};
use crate::time::{from_ms, from_s, from_us, Nanos};

pub const SCENARIO_VERSION: u32 = 1;
/// Largest scenario text accepted (bytes).
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

/// Limits that keep every accepted scenario finite and every run bounded.
pub mod limits {
    pub const WORKERS: (u32, u32) = (1, 64);
    pub const THREADS: (u32, u32) = (1, 10_000);
    pub const CORES: (u32, u32) = (1, 256);
    pub const BACKLOG: (u32, u32) = (1, 65_535);
    pub const SWITCH_INTERVAL_MS: (f64, f64) = (0.01, 1_000.0);
    pub const CONNECTION_LIMIT: (u32, u32) = (1, 100_000);
    pub const WORKER_TIMEOUT_S: (f64, f64) = (0.1, 3_600.0);
    pub const PROCESS_POOL: (u32, u32) = (1, 256);
    pub const RESTART_MS: (f64, f64) = (0.0, 600_000.0);
    pub const COST_US: (f64, f64) = (0.0, 1_000_000.0);
    pub const KERNEL_SHARE: (f64, f64) = (0.0, 0.9);
    pub const GC_OBJECTS: (u32, u32) = (0, 1_000_000);
    pub const GC_HEAP: (u32, u32) = (0, 100_000_000);
    pub const GC_NS_PER_OBJECT: (f64, f64) = (0.0, 1_000.0);
    pub const GC_THRESHOLD0: (u32, u32) = (0, 1_000_000);
    pub const GC_THRESHOLD: (u32, u32) = (1, 1_000);
    pub const SPEED_SIGMA: (f64, f64) = (0.0, 1.0);
    pub const SPEED_HOLD_MS: (f64, f64) = (0.1, 60_000.0);
    pub const DEEP_IDLE_MS: (f64, f64) = (0.01, 60_000.0);
    pub const WAKE_SIGMA: (f64, f64) = (0.0, 2.0);
    pub const COLD_TASK_DECAY: (f64, f64) = (0.0, 0.99);
    /// Descriptors a worker holds besides its connections.
    pub const OPEN_FDS: (u32, u32) = (0, 100_000);
    /// A descriptor table's size: a power of two from Linux's first (64) to its default
    /// `fs.nr_open`.
    pub const FD_TABLE: (u32, u32) = (64, 1_048_576);
    pub const FD_GROW_SIGMA: (f64, f64) = (0.0, 2.0);
    /// Below the scheduler's tick (`cpu::TICK`).
    pub const TICK_PHASE_US: (f64, f64) = (0.0, 3_999.0);
    pub const STEPS: usize = 32;
    pub const BACKGROUND_TASKS: usize = 8;
    pub const DB_POOL: (u32, u32) = (1, 10_000);
    pub const DURATION_MS: (f64, f64) = (0.0, super::MAX_SAMPLE_MS);
    pub const SIGMA: (f64, f64) = (0.0, 3.0);
    pub const REQUESTS: (u32, u32) = (1, 10_000_000);
    pub const CONCURRENCY: (u32, u32) = (1, 100_000);
    pub const RATE_PER_S: (f64, f64) = (0.001, 1_000_000.0);
    pub const DURATION_S: (f64, f64) = (0.001, 86_400.0);
    pub const CLIENTS: (u32, u32) = (1, 100_000);
    pub const OFFSET_MS: (f64, f64) = (0.0, 86_400_000.0);
    pub const TIMEOUT_MS: (f64, f64) = (1.0, 3_600_000.0);
    pub const TEXT: usize = 200;
    pub const DESCRIPTION: usize = 2_000;
    /// Upper bound on requests × (steps + 8): keeps the worst accepted run to minutes natively.
    pub const WORK: u64 = 400_000_000;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default = "default_seed", deserialize_with = "crate::field::seed")]
    pub seed: u64,
    pub server: Server,
    pub handler: Handler,
    pub load: Load,
}

fn default_seed() -> u64 {
    1
}

/// The server program, which fixes the concurrency model of each worker process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// `uvicorn app:app [--workers N]`: an asyncio event loop per process, AnyIO threadpool.
    Uvicorn,
    /// `gunicorn -k uvicorn.workers.UvicornWorker -w N`: the same runtime plus gunicorn's
    /// worker timeout (the event loop sends the heartbeat).
    GunicornUvicorn,
    /// `gunicorn -w N` (sync class): one request at a time per process.
    GunicornSync,
    /// `gunicorn --threads T -w N` (gthread class): a thread pool per process.
    GunicornGthread,
    /// `flask run` / `app.run()`: werkzeug, one new thread per connection.
    FlaskDev,
    /// `waitress-serve`: one I/O thread doing all socket work, a pool of app threads.
    Waitress,
}

/// The concurrency model a server kind runs in each worker process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    EventLoop,
    ThreadPerConnection,
    /// `io_on_main`: the main thread reads requests and writes responses (waitress); otherwise
    /// the main thread only accepts and the pool thread does the connection's I/O (gthread).
    ThreadPool {
        io_on_main: bool,
    },
    Sync,
}

impl ServerKind {
    pub const ALL: [ServerKind; 6] = [
        ServerKind::Uvicorn,
        ServerKind::GunicornUvicorn,
        ServerKind::GunicornSync,
        ServerKind::GunicornGthread,
        ServerKind::FlaskDev,
        ServerKind::Waitress,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ServerKind::Uvicorn => "uvicorn",
            ServerKind::GunicornUvicorn => "gunicorn_uvicorn",
            ServerKind::GunicornSync => "gunicorn_sync",
            ServerKind::GunicornGthread => "gunicorn_gthread",
            ServerKind::FlaskDev => "flask_dev",
            ServerKind::Waitress => "waitress",
        }
    }

    pub fn from_id(id: &str) -> Option<ServerKind> {
        ServerKind::ALL.into_iter().find(|k| k.id() == id)
    }

    pub fn title(self) -> &'static str {
        match self {
            ServerKind::Uvicorn => "uvicorn (asyncio event loop)",
            ServerKind::GunicornUvicorn => "gunicorn + uvicorn workers",
            ServerKind::GunicornSync => "gunicorn sync workers",
            ServerKind::GunicornGthread => "gunicorn gthread workers",
            ServerKind::FlaskDev => "Flask dev server (threaded)",
            ServerKind::Waitress => "waitress",
        }
    }

    pub fn runtime(self) -> Runtime {
        match self {
            ServerKind::Uvicorn | ServerKind::GunicornUvicorn => Runtime::EventLoop,
            ServerKind::GunicornSync => Runtime::Sync,
            ServerKind::GunicornGthread => Runtime::ThreadPool { io_on_main: false },
            ServerKind::FlaskDev => Runtime::ThreadPerConnection,
            ServerKind::Waitress => Runtime::ThreadPool { io_on_main: true },
        }
    }

    /// ASGI servers run FastAPI; the WSGI ones run Flask.
    pub fn is_asgi(self) -> bool {
        self.runtime() == Runtime::EventLoop
    }

    pub fn is_gunicorn(self) -> bool {
        matches!(
            self,
            ServerKind::GunicornUvicorn | ServerKind::GunicornSync | ServerKind::GunicornGthread
        )
    }

    /// gunicorn's sync worker always closes; werkzeug keeps connections open only when told to
    /// speak HTTP/1.1 (`WSGIRequestHandler.protocol_version`), so its default is off.
    pub fn supports_keep_alive(self) -> bool {
        self != ServerKind::GunicornSync
    }

    /// Only gunicorn and uvicorn fork worker processes.
    pub fn multi_process(self) -> bool {
        !matches!(self, ServerKind::FlaskDev | ServerKind::Waitress)
    }

    /// Whether the `threads` setting means something for this kind, and what.
    pub fn threads_meaning(self) -> Option<&'static str> {
        match self {
            ServerKind::Uvicorn | ServerKind::GunicornUvicorn => {
                Some("threadpool tokens (AnyIO CapacityLimiter)")
            }
            ServerKind::GunicornGthread => Some("threads per worker (--threads)"),
            ServerKind::Waitress => Some("threads (--threads)"),
            ServerKind::GunicornSync | ServerKind::FlaskDev => None,
        }
    }

    pub fn defaults(self) -> KindDefaults {
        // Measured by validation/run.sh on a 2-core shared VM (docs/fidelity.md: a hello world's
        // CPU split in these proportions). `spawn_us`: werkzeug's thread per connection; on ASGI
        // servers AnyIO's start of a worker thread (measured directly: `Thread.start()`). On
        // ASGI servers `accept_us` is asyncio's accept loop per connection and `setup_us` the
        // connection's set-up in the loop's next two iterations (both measured from the loop's
        // traced callbacks).
        let (accept_us, parse_us, respond_us, spawn_us) = match self {
            ServerKind::Uvicorn | ServerKind::GunicornUvicorn => (10.0, 90.0, 90.0, 120.0),
            ServerKind::GunicornSync => (40.0, 110.0, 80.0, 0.0),
            ServerKind::GunicornGthread => (55.0, 110.0, 80.0, 0.0),
            ServerKind::FlaskDev => (70.0, 440.0, 260.0, 100.0),
            ServerKind::Waitress => (55.0, 160.0, 105.0, 0.0),
        };
        KindDefaults {
            threads: match self {
                ServerKind::Uvicorn | ServerKind::GunicornUvicorn => 40,
                ServerKind::GunicornGthread | ServerKind::Waitress => 4,
                ServerKind::GunicornSync | ServerKind::FlaskDev => 1,
            },
            backlog: match self {
                ServerKind::FlaskDev => 128,
                ServerKind::Waitress => 1024,
                _ => 2048,
            },
            keep_alive: !matches!(self, ServerKind::FlaskDev | ServerKind::GunicornSync),
            worker_timeout_s: if self.is_gunicorn() { Some(30.0) } else { None },
            connection_limit: match self {
                ServerKind::Waitress => Some(100),
                ServerKind::GunicornGthread => Some(1000),
                _ => None,
            },
            costs: Costs {
                accept_us: Some(accept_us),
                // Not modelled by default (~5 µs on the harness's VM: docs/fidelity.md).
                accept_call_us: Some(0.0),
                // Not modelled by default (~26 and ~20 µs on the harness's VM: docs/fidelity.md).
                cold_read_us: Some(0.0),
                cold_task_us: Some(0.0),
                cold_task_decay: Some(0.0),
                // Not modelled by default (~20 and ~6 µs on the harness's VM: docs/fidelity.md).
                cold_accept_us: Some(0.0),
                cold_setup_us: Some(0.0),
                // Not modelled by default (~30–40 µs on the harness's VM: docs/fidelity.md).
                gil_handoff_us: Some(0.0),
                // Not modelled by default (~5 µs on the harness's VM: docs/fidelity.md).
                iteration_us: Some(0.0),
                setup_us: Some(if self.is_asgi() { 30.0 } else { 0.0 }),
                parse_us: Some(parse_us),
                respond_us: Some(respond_us),
                spawn_us: Some(spawn_us),
                // The scheduler's latency in waking one more sleeping worker.
                wake_us: Some(50.0),
                // Not modelled by default (~0.17 ms on the harness's VM: docs/fidelity.md).
                idle_wake_us: Some(0.0),
                // Not modelled by default (~200 µs after a second idle, reached in ~50 ms, on
                // the harness's VM: docs/fidelity.md).
                deep_wake_us: Some(0.0),
                cold_cpu_us: Some(0.0),
                deep_idle_ms: Some(50.0),
                // Not modelled by default (0.04–0.24 on the harness's VM: docs/fidelity.md).
                wake_sigma: Some(0.0),
                // AnyIO's run_sync round trip (measured by validation/run.sh: a `def` hello
                // world costs this much more CPU than an `async def` one).
                to_thread_us: Some(if self.is_asgi() { 180.0 } else { 0.0 }),
                // werkzeug waits up to 10 ms for the client to close after a response.
                close_wait_us: Some(if self == ServerKind::FlaskDev {
                    10_000.0
                } else {
                    0.0
                }),
                // 0: the system calls of a request are short (a send, a recv: microseconds), and
                // a thread waiting for the GIL needs longer than that to wake, so the caller
                // takes the GIL back first; the harness's ab runs confirm it (docs/fidelity.md).
                kernel_share: Some(0.0),
                // Not modelled by default (an RCU grace period: 4–22 ms on the harness's VM,
                // docs/fidelity.md).
                fd_grow_us: Some(0.0),
                fd_grow_sigma: Some(0.0),
            },
            framework_overhead_ms: if self.is_asgi() { 0.22 } else { 0.11 },
            // Counted by the harness in idle workers (`/proc/PID/fd`): the standard streams,
            // the listen socket, and uvicorn's epoll instance and self-pipe (a socket pair),
            // gunicorn's heartbeat file and signal pipe, waitress's trigger pipe. gthread's
            // is not counted: the sync worker's and its poller's epoll instance.
            open_fds: match self {
                ServerKind::Uvicorn => 7,
                ServerKind::GunicornUvicorn => 10,
                ServerKind::GunicornSync => 7,
                ServerKind::GunicornGthread => 8,
                ServerKind::FlaskDev => 4,
                ServerKind::Waitress => 7,
            },
        }
    }
}

/// Defaults that depend on the server kind (what the real program does out of the box).
#[derive(Clone, Debug, PartialEq)]
pub struct KindDefaults {
    pub threads: u32,
    pub backlog: u32,
    pub keep_alive: bool,
    pub worker_timeout_s: Option<f64>,
    pub connection_limit: Option<u32>,
    pub costs: Costs,
    pub framework_overhead_ms: f64,
    /// Descriptors a worker holds besides its connections (`server.fds.open`).
    pub open_fds: u32,
}

/// The server deployment. Absent fields take the server kind's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub kind: ServerKind,
    /// Worker processes sharing one listen socket (uvicorn `--workers`, gunicorn `-w`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::workers"
    )]
    pub workers: Option<u32>,
    /// Threadpool tokens (event loop), pool threads (gthread, waitress).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::threads"
    )]
    pub threads: Option<u32>,
    /// CPU cores of the machine, shared by every process.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cores"
    )]
    pub cores: Option<u32>,
    /// `false` simulates a free-threaded CPython build (no GIL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gil: Option<bool>,
    /// `sys.setswitchinterval`, in ms (CPython default 5 ms).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::switch_interval_ms"
    )]
    pub switch_interval_ms: Option<f64>,
    /// Listen backlog (accept queue length).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::backlog"
    )]
    pub backlog: Option<u32>,
    /// Whether the server keeps connections open between requests (when the client asks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<bool>,
    /// gunicorn's sync worker closes each connection gracefully (RFC 9112 §9.6, gunicorn 27):
    /// it shuts its side after the response, then reads until the client closes (at most
    /// `CLOSE_LINGER_MAX`), and only then takes the next connection. Absent: true for the sync
    /// worker (older gunicorn: false); other servers do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close_linger: Option<bool>,
    /// gunicorn `--timeout`, seconds; `0` disables it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::worker_timeout_s"
    )]
    pub worker_timeout_s: Option<f64>,
    /// Open connections a worker serves before it stops accepting (waitress `connection_limit`,
    /// gthread `worker_connections`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::connection_limit"
    )]
    pub connection_limit: Option<u32>,
    /// Processes of the `ProcessPoolExecutor` used by process offloads, per worker.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::process_pool"
    )]
    pub process_pool: Option<u32>,
    /// Time for gunicorn to boot a replacement after killing a worker, ms.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::restart_ms"
    )]
    pub restart_ms: Option<f64>,
    /// Server CPU costs per connection and request, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<Costs>,
    /// CPython's cyclic garbage collector, per worker process (absent: not modelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gc: Option<GcSettings>,
    /// The cores' speed varies over time (absent: constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_speed: Option<CpuSpeed>,
    /// Where the scheduler's ticks fall after the run's start, µs (absent: drawn from the
    /// seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_phase_us: Option<f64>,
    /// Each worker's file descriptors as the run starts (absent: the kind's, `fds.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fds: Option<Fds>,
    /// AnyIO worker threads each worker has already started, idle, as the run starts (a
    /// server that has served `def` routes before): they are reused without a thread start.
    /// ASGI servers only; at most `threads`. Absent: 0 (a fresh worker).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::warm_threads"
    )]
    pub warm_threads: Option<u32>,
}

/// Each worker's file descriptors (Linux) as the run starts: how many it holds besides its
/// clients' connections, and how large its descriptor table is. A table grows when a new
/// descriptor finds every slot taken, and in a process with more than one thread that waits
/// for `costs.fd_grow_us` (`fds.rs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fds {
    /// Descriptors each worker holds besides its clients' connections (standard streams, the
    /// listen socket, the epoll instance, pipes). Absent: the kind's, as the harness counted
    /// them in idle workers.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::open_fds"
    )]
    pub open: Option<u32>,
    /// Each worker's table size as the run starts, in worker order (the last entry stands for
    /// the workers after it): a power of two from 64. Absent: 64 for workers a master process
    /// forked (gunicorn, `uvicorn --workers`), 256 for a single process started from a shell
    /// (bash holds descriptor 255, and a child inherits its parent's table size).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::fd_table"
    )]
    pub table: Option<Vec<u32>>,
}

/// The host's CPU speed varying over time, as on a VM whose host runs other VMs (or with
/// frequency scaling): each core holds a speed for an exponentially distributed time of mean
/// `hold_ms`, then draws a new one, lognormal with mean 1 and log-standard deviation `sigma`.
/// The costs stay the average; what varies is when the work is slow. A closed loop's requests
/// queued at a slow moment wait longer: tails that no cost of the server explains.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuSpeed {
    /// Spread of the speed factor (log-standard deviation); 0 turns the variation off.
    #[serde(deserialize_with = "crate::field::speed_sigma")]
    pub sigma: f64,
    /// Mean time a core keeps one speed, ms.
    #[serde(deserialize_with = "crate::field::hold_ms")]
    pub hold_ms: f64,
}

/// CPython's generational garbage collector (3.11: thresholds 700, 10, 10 and the 25 % rule
/// for the oldest generation), in each worker process. A request's container objects are
/// allocated when its handler starts and freed when the server is done with it; a collection
/// runs on the thread whose allocation crosses the threshold, with the GIL held, and costs
/// `ns_per_object` for every object in the generations it examines.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcSettings {
    /// Container objects a request holds while in flight (the net growth of
    /// `gc.get_objects()` per request in flight).
    #[serde(deserialize_with = "crate::field::objects_per_request")]
    pub objects_per_request: u32,
    /// Of those, how many are left as cyclic garbage when it ends (freed only by a
    /// collection; the net allocations per request of a steady closed loop).
    #[serde(
        default,
        skip_serializing_if = "is_zero_count",
        deserialize_with = "crate::field::garbage_per_request"
    )]
    pub garbage_per_request: u32,
    /// Of those, how many an event loop allocates when it reads the request (the connection,
    /// its transport and protocol, the parsed request, the task), before the handler starts;
    /// the rest when the handler starts. They are freed together when the server is done, so
    /// a cohort's frees can outrun the young count, which CPython never lets fall below 0.
    /// Threaded servers allocate them all when the handler starts.
    #[serde(
        default,
        skip_serializing_if = "is_zero_count",
        deserialize_with = "crate::field::objects_on_read"
    )]
    pub objects_on_read: u32,
    /// The long-lived heap: objects that survive every collection (the app's modules,
    /// classes, caches: `len(gc.get_objects(2))` after a full collection).
    #[serde(deserialize_with = "crate::field::heap_objects")]
    pub heap_objects: u32,
    /// A collection's cost per object it examines, ns (a full collection's pause over the
    /// objects it examined).
    #[serde(deserialize_with = "crate::field::ns_per_object")]
    pub ns_per_object: f64,
    /// A young or middle collection's cost per object it examines, ns (absent:
    /// `ns_per_object`): the requests' recent objects are cheaper to traverse than the
    /// long-lived heap of a full collection.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::partial_ns_per_object"
    )]
    pub partial_ns_per_object: Option<f64>,
    /// `gc.set_threshold(...)`; default `[700, 10, 10]`. A first threshold of 0 turns
    /// automatic collection off (`gc.disable()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<[u32; 3]>,
    /// The counters when the run starts (`gc.get_count()`); absent: drawn from the seed, each
    /// up to its threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<[u32; 3]>,
    /// Objects promoted to the oldest generation since its last collection (CPython's
    /// `long_lived_pending`, not visible from Python) when the run starts; absent: drawn from
    /// the seed below a quarter of the heap (the 25 % rule's bound).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::pending"
    )]
    pub pending: Option<u32>,
}

fn is_zero_count(x: &u32) -> bool {
    *x == 0
}

/// CPython's default `gc.get_threshold()`.
pub const GC_THRESHOLDS: [u32; 3] = [700, 10, 10];

/// How long gunicorn's sync worker reads at most for the client to close after its response
/// (`util.close_graceful`'s timeout): `Server::close_linger`.
pub const CLOSE_LINGER_MAX: Nanos = 2_000_000_000;

/// CPU the server program spends per connection / request, in µs (GIL held).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// `accept()` and registering the connection.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::accept_us"
    )]
    pub accept_us: Option<f64>,
    /// The last `accept()` of an asyncio server's accept callback, which finds no connection
    /// (EAGAIN, raised and caught as `BlockingIOError`). Paid once per callback that ends that
    /// way, however many connections it took. Event-loop servers only; default 0 (~5 µs timed
    /// by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::accept_call_us"
    )]
    pub accept_call_us: Option<f64>,
    /// An asyncio server's read callback (`_read_ready`) when the loop's previous callback was
    /// of another kind: the extra CPU of running its code with the processor's caches and
    /// predictors cold. A loop that reads a batch of requests one after another pays it once
    /// per batch. Event-loop servers only; default 0 (~26 µs traced by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cold_read_us"
    )]
    pub cold_read_us: Option<f64>,
    /// The same for a step of a request's task (`run_asgi`): extra CPU when the loop's
    /// previous callback was not a task step. Event-loop servers only; default 0 (~20 µs
    /// traced by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cold_task_us"
    )]
    pub cold_task_us: Option<f64>,
    /// How much of `cold_task_us` each further task step of the same run still pays: the
    /// k-th task step in a row pays `cold_task_us × cold_task_decay^(k − 1)` (a task step
    /// keeps growing warmer along a long batch of them). 0 (the default): only the first
    /// pays. Event-loop servers only (~0.4–0.6 traced by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cold_task_decay"
    )]
    pub cold_task_decay: Option<f64>,
    /// The same for an asyncio server's accept callback (`_accept_connection`): the extra CPU
    /// of its first `accept()` when the loop's previous callback was of another kind (almost
    /// always: a loop runs one accept callback per poll of the listening socket). It comes
    /// before the first connection is taken. Event-loop servers only; default 0 (~20 µs
    /// traced by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cold_accept_us"
    )]
    pub cold_accept_us: Option<f64>,
    /// The same for a stage of an accepted connection's set-up (`_accept_connection2`, each of
    /// its two iterations): extra CPU when the loop's previous callback was not the same
    /// stage. A loop that sets up a batch of connections pays it once per stage of the batch.
    /// Event-loop servers only; default 0 (~6 µs traced by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cold_setup_us"
    )]
    pub cold_setup_us: Option<f64>,
    /// CPU a thread pays to take the GIL after sleeping for it: its wake-up (the futex, the
    /// context switch, caches gone cold), paid holding the GIL before its own work. With it
    /// (> 0), a thread that makes a server cost's system call (accept, recv, send, starting a
    /// thread) while others wait for the GIL hands it to the oldest of them and waits for it
    /// again: the waiter, woken by the release, takes it during the call. 0 (the default)
    /// keeps the simpler model: hand-offs cost nothing and a thread keeps the GIL through its
    /// system calls. ~30–40 µs on the harness's VM.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::gil_handoff_us"
    )]
    pub gil_handoff_us: Option<f64>,
    /// An asyncio loop's iteration (`_run_once`): the CPU of its poll (`epoll_wait`) and
    /// bookkeeping, paid by every iteration that finds work, however many callbacks it then
    /// runs. A loop that runs batches pays it less often per request. Event-loop servers only;
    /// default 0 (~5 µs traced by the harness).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::iteration_us"
    )]
    pub iteration_us: Option<f64>,
    /// An asyncio server's set-up of an accepted connection (`_accept_connection2` making the
    /// transport, then `connection_made` and `_add_reader`), in the loop's two iterations after
    /// the accept; the request is read at the poll after them. Event-loop servers only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::setup_us"
    )]
    pub setup_us: Option<f64>,
    /// Reading and parsing the HTTP request.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::parse_us"
    )]
    pub parse_us: Option<f64>,
    /// Writing the response (and closing the connection).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::respond_us"
    )]
    pub respond_us: Option<f64>,
    /// Starting a thread (thread-per-connection servers).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::spawn_us"
    )]
    pub spawn_us: Option<f64>,
    /// Wake-up latency of each further worker woken for a new connection (the kernel wakes
    /// every idle worker; the scheduler runs them one after another).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::wake_us"
    )]
    pub wake_us: Option<f64>,
    /// How long a worker blocked in its poll (an idle event loop, an idle accepting or I/O
    /// thread) takes to run once woken: the idle core's wake-up and the return to its code
    /// (a delay, not CPU). Default 0; the harness measures it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::idle_wake_us"
    )]
    pub idle_wake_us: Option<f64>,
    /// The further wake-up latency of a worker that has been idle long: its core gone into a
    /// deeper idle state, its code and data out of the caches. A worker idle for `d` takes
    /// `idle_wake_us + deep_wake_us × (1 − e^(−d / deep_idle_ms))` to run once woken; `d`
    /// runs from the last moment any of its threads was on a core (from before the run: the
    /// whole of it). Default 0 (~200 µs after a second on the harness's VM).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::deep_wake_us"
    )]
    pub deep_wake_us: Option<f64>,
    /// The extra CPU of a worker's first work after it has been idle long (its code and data
    /// out of the caches): woken after idling for `d`, it owes `cold_cpu_us × (1 − e^(−d /
    /// deep_idle_ms))`, paid by its threads' next CPU work, which runs at half speed until
    /// the debt is paid. Default 0 (~0.3–0.6 ms on the harness's VM).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::cold_cpu_us"
    )]
    pub cold_cpu_us: Option<f64>,
    /// How fast an idle worker (and the load's client process, `client_cold_us`) goes cold:
    /// the time constant of `deep_wake_us`, in ms. Default 50 (~50 ms on the harness's VM).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::deep_idle_ms"
    )]
    pub deep_idle_ms: Option<f64>,
    /// How much an idle worker's wake-up (`idle_wake_us` + its `deep_wake_us` part) varies
    /// from one wake-up to the next: the log-standard deviation of a lognormal factor of
    /// mean 1, drawn per wake-up from the seed. 0 (the default): every wake-up takes the same.
    /// A race between workers for a burst turns on which wakes first, so with it the seeds
    /// draw different outcomes, as real runs do (0.04–0.24 on the harness's VM).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::wake_sigma"
    )]
    pub wake_sigma: Option<f64>,
    /// CPU of one `run_in_threadpool` call (half on the loop, half on the worker thread).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::to_thread_us"
    )]
    pub to_thread_us: Option<f64>,
    /// werkzeug: how long a connection's thread waits for the client to close after the
    /// response (up to 10 ms by default). ab waits for the close; browsers do not.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::close_wait_us"
    )]
    pub close_wait_us: Option<f64>,
    /// The share of `accept_us`, `parse_us`, `respond_us` and `spawn_us` spent in the kernel
    /// (system calls: accept, recv, send, close, clone), which runs on a core without the GIL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::kernel_share"
    )]
    pub kernel_share: Option<f64>,
    /// How long a new descriptor (an `accept()`) waits in the kernel when it grows the
    /// descriptor table of a process with more than one thread: an RCU grace period
    /// (`expand_fdtable` → `synchronize_rcu`), off the CPU (`fds.rs`). Default 0 (4–22 ms on
    /// the harness's VM: docs/fidelity.md).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::fd_grow_us"
    )]
    pub fd_grow_us: Option<f64>,
    /// How much that wait varies: the log-standard deviation of a lognormal factor of mean 1,
    /// drawn per wait from the seed. Default 0 (every wait takes `fd_grow_us`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::fd_grow_sigma"
    )]
    pub fd_grow_sigma: Option<f64>,
}

impl Server {
    pub fn new(kind: ServerKind) -> Server {
        Server {
            kind,
            workers: None,
            threads: None,
            cores: None,
            gil: None,
            switch_interval_ms: None,
            backlog: None,
            keep_alive: None,
            close_linger: None,
            worker_timeout_s: None,
            connection_limit: None,
            process_pool: None,
            restart_ms: None,
            costs: None,
            gc: None,
            cpu_speed: None,
            tick_phase_us: None,
            fds: None,
            warm_threads: None,
        }
    }

    /// Each worker's descriptor table size as the run starts (`fds.table`; its last entry
    /// for the workers after it), else the default: 64 for workers a master forked (its
    /// children get a table sized to its few open descriptors), 256 for a single process
    /// started from a shell, which inherits bash's (bash holds descriptor 255).
    pub fn fd_tables(&self) -> Vec<u32> {
        let given = self.fds.as_ref().and_then(|f| f.table.as_deref());
        (0..self.valid_workers() as usize)
            .map(|p| match given {
                Some(t) if !t.is_empty() => t[p.min(t.len() - 1)],
                _ => self.default_fd_table(),
            })
            .collect()
    }

    /// A worker's descriptor table when `fds.table` does not say: 64 forked by a master, 256
    /// for a single process started from a shell.
    pub fn default_fd_table(&self) -> u32 {
        if self.kind.is_gunicorn() || self.valid_workers() > 1 {
            crate::fds::FORKED_TABLE
        } else {
            crate::fds::SHELL_TABLE
        }
    }

    /// The workers, within their range even for a scenario not validated yet (the editor
    /// shows defaults while a field is out of range).
    fn valid_workers(&self) -> u32 {
        self.workers
            .unwrap_or(1)
            .clamp(limits::WORKERS.0, limits::WORKERS.1)
    }

    /// Every setting made concrete: the scenario's value or the kind's default.
    pub fn resolve(&self) -> ServerConfig {
        let d = self.kind.defaults();
        let costs = self.costs.clone().unwrap_or_default();
        // A cost in µs: the scenario's, else the kind's default, else 0.
        let us =
            |get: fn(&Costs) -> Option<f64>| from_us(get(&costs).or(get(&d.costs)).unwrap_or(0.0));
        // A cost that is not a time (a share, a sigma): the same, kept within its limits.
        let num = |get: fn(&Costs) -> Option<f64>, (lo, hi): (f64, f64)| {
            get(&costs).or(get(&d.costs)).unwrap_or(0.0).clamp(lo, hi)
        };
        let cores = self.cores.unwrap_or(DEFAULT_CORES);
        let timeout = match self.worker_timeout_s.or(d.worker_timeout_s) {
            Some(s) if s > 0.0 && self.kind.is_gunicorn() => Some(from_s(s)),
            _ => None,
        };
        ServerConfig {
            kind: self.kind,
            runtime: self.kind.runtime(),
            workers: self.workers.unwrap_or(1),
            threads: self.threads.unwrap_or(d.threads),
            cores,
            gil: self.gil.unwrap_or(true),
            switch_interval: from_ms(self.switch_interval_ms.unwrap_or(5.0)),
            backlog: self.backlog.unwrap_or(d.backlog),
            keep_alive: self.keep_alive.unwrap_or(d.keep_alive) && self.kind.supports_keep_alive(),
            close_linger: self.kind == ServerKind::GunicornSync
                && self.close_linger.unwrap_or(true),
            worker_timeout: timeout,
            connection_limit: self.connection_limit.or(d.connection_limit),
            process_pool: self.process_pool.unwrap_or(cores),
            restart: from_ms(self.restart_ms.unwrap_or(1_000.0)),
            accept: us(|c| c.accept_us),
            accept_call: us(|c| c.accept_call_us),
            cold_read: us(|c| c.cold_read_us),
            cold_task: us(|c| c.cold_task_us),
            cold_task_decay: num(|c| c.cold_task_decay, limits::COLD_TASK_DECAY),
            cold_accept: us(|c| c.cold_accept_us),
            cold_setup: us(|c| c.cold_setup_us),
            gil_handoff: us(|c| c.gil_handoff_us),
            iteration: us(|c| c.iteration_us),
            setup: us(|c| c.setup_us),
            parse: us(|c| c.parse_us),
            respond: us(|c| c.respond_us),
            spawn: us(|c| c.spawn_us),
            wake: us(|c| c.wake_us),
            idle_wake: us(|c| c.idle_wake_us),
            deep_wake: us(|c| c.deep_wake_us),
            cold_cpu: us(|c| c.cold_cpu_us),
            deep_idle: from_ms(
                costs
                    .deep_idle_ms
                    .or(d.costs.deep_idle_ms)
                    .unwrap_or(50.0)
                    .clamp(limits::DEEP_IDLE_MS.0, limits::DEEP_IDLE_MS.1),
            ),
            wake_sigma: num(|c| c.wake_sigma, limits::WAKE_SIGMA),
            to_thread: us(|c| c.to_thread_us),
            close_wait: us(|c| c.close_wait_us),
            kernel_share: num(|c| c.kernel_share, limits::KERNEL_SHARE),
            fd_grow: us(|c| c.fd_grow_us),
            fd_grow_sigma: num(|c| c.fd_grow_sigma, limits::FD_GROW_SIGMA),
            open_fds: self.fds.as_ref().and_then(|f| f.open).unwrap_or(d.open_fds),
            fd_tables: self.fd_tables(),
            warm_threads: if self.kind.is_asgi() {
                self.warm_threads.unwrap_or(0)
            } else {
                0
            },
            // asyncio's accept loop takes up to the server's `backlog` per wake-up
            // (`_accept_connection(..., backlog)`; 100 only when none is given); uvicorn passes
            // its --backlog.
            accept_batch: self.backlog.unwrap_or(d.backlog),
            gc: self.gc.clone(),
            cpu_speed: self.cpu_speed.clone().filter(|s| s.sigma > 0.0),
            tick_phase: self
                .tick_phase_us
                .map(|us| from_us(us.clamp(limits::TICK_PHASE_US.0, limits::TICK_PHASE_US.1))),
        }
    }
}

pub const DEFAULT_CORES: u32 = 4;

/// A server with every default applied; what the engine runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    pub kind: ServerKind,
    pub runtime: Runtime,
    pub workers: u32,
    pub threads: u32,
    pub cores: u32,
    pub gil: bool,
    pub switch_interval: Nanos,
    pub backlog: u32,
    pub keep_alive: bool,
    /// A sync worker waits for the client to close each connection (`close_linger`).
    pub close_linger: bool,
    pub worker_timeout: Option<Nanos>,
    pub connection_limit: Option<u32>,
    pub process_pool: u32,
    pub restart: Nanos,
    pub accept: Nanos,
    /// The failing `accept()` that ends an asyncio accept callback (`accept_call_us`).
    pub accept_call: Nanos,
    /// An asyncio read callback's extra CPU after a callback of another kind (`cold_read_us`).
    pub cold_read: Nanos,
    /// A task step's extra CPU after a callback that was not a task step (`cold_task_us`).
    pub cold_task: Nanos,
    /// The share of `cold_task` each further task step of a run still pays, per step
    /// (`cold_task_decay`).
    pub cold_task_decay: f64,
    /// An asyncio accept callback's extra CPU after a callback of another kind
    /// (`cold_accept_us`).
    pub cold_accept: Nanos,
    /// A set-up stage's extra CPU after a callback that was not the same stage
    /// (`cold_setup_us`).
    pub cold_setup: Nanos,
    /// A GIL waiter's wake-up CPU, and whether system calls hand the GIL over
    /// (`gil_handoff_us`).
    pub gil_handoff: Nanos,
    /// An asyncio loop iteration's own CPU (`iteration_us`).
    pub iteration: Nanos,
    /// An asyncio server's set-up of an accepted connection (two loop iterations).
    pub setup: Nanos,
    pub parse: Nanos,
    pub respond: Nanos,
    pub spawn: Nanos,
    pub wake: Nanos,
    /// How long a worker blocked in its poll takes to run once woken (`idle_wake_us`).
    pub idle_wake: Nanos,
    /// The further wake-up latency of a worker idle long (`deep_wake_us`), and the time
    /// constant of idle workers and client processes going cold (`deep_idle_ms`).
    pub deep_wake: Nanos,
    pub deep_idle: Nanos,
    /// The idle wake-up's spread (`wake_sigma`): a lognormal factor's sigma, 0 … 2.
    pub wake_sigma: f64,
    /// A worker's extra CPU after a long idle (`cold_cpu_us`).
    pub cold_cpu: Nanos,
    pub to_thread: Nanos,
    pub close_wait: Nanos,
    /// The kernel's share of the server costs (run without the GIL), 0 … 0.9.
    pub kernel_share: f64,
    /// The wait of a descriptor that grows a multi-threaded process's table (`fd_grow_us`),
    /// and its spread (`fd_grow_sigma`).
    pub fd_grow: Nanos,
    pub fd_grow_sigma: f64,
    /// Descriptors each worker holds besides its connections (`fds.open`).
    pub open_fds: u32,
    /// Each worker's descriptor table size as the run starts (`fds.table`).
    pub fd_tables: Vec<u32>,
    /// AnyIO threads each worker has started before the run (`warm_threads`).
    pub warm_threads: u32,
    /// Connections an asyncio loop accepts per wake-up of the listening socket (its backlog).
    pub accept_batch: u32,
    /// The garbage collector, if modelled.
    pub gc: Option<GcSettings>,
    /// The cores' varying speed, if modelled (a sigma above 0).
    pub cpu_speed: Option<CpuSpeed>,
    /// Where the scheduler's ticks fall after the run's start, if given.
    pub tick_phase: Option<Nanos>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// `async def`: runs on the event loop.
    AsyncDef,
    /// `def`: FastAPI runs it in the threadpool; WSGI servers run it on the request's thread.
    Def,
}

impl Route {
    pub fn python(self) -> &'static str {
        match self {
            Route::AsyncDef => "async def",
            Route::Def => "def",
        }
    }
}

/// The route's code, as a sequence of steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handler {
    pub route: Route,
    /// Framework CPU per request (routing, validation, serialisation). Default: FastAPI 0.15 ms,
    /// Flask 0.08 ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<Dist>,
    pub steps: Vec<Step>,
    /// Starlette `BackgroundTasks`, run in order after the response is sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub background: Vec<Background>,
    /// Size of a connection pool (per worker process) that steps with `hold_connection` use.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::field::db_pool"
    )]
    pub db_pool: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Pure-Python CPU work: needs the GIL and a core.
    Cpu,
    /// A blocking call (`time.sleep`, a sync DB driver, `requests`): blocks the thread, releases
    /// the GIL.
    BlockingIo,
    /// Awaited I/O (`await asyncio.sleep`, an async driver): suspends the task, frees the loop.
    AwaitIo,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Offload {
    /// Runs where the code runs.
    #[default]
    None,
    /// `await run_in_threadpool(...)` / `asyncio.to_thread(...)`: a threadpool thread, limited
    /// by the threadpool tokens.
    Threadpool,
    /// `await loop.run_in_executor(ProcessPoolExecutor(), ...)`: another process, its own GIL.
    ProcessPool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub kind: StepKind,
    pub duration: Dist,
    #[serde(default, skip_serializing_if = "is_default")]
    pub offload: Offload,
    /// Holds a connection of the handler's `db_pool` during this step (acquired before the first
    /// such step, released after the last one).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hold_connection: bool,
    /// How the code reads, e.g. `time.sleep(10)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A line the handler prints before / after this step (shown in the replay console).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_after: Option<String>,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Step {
    pub fn new(kind: StepKind, duration: Dist) -> Step {
        Step {
            kind,
            duration,
            offload: Offload::None,
            hold_connection: false,
            label: None,
            log_before: None,
            log_after: None,
        }
    }

    pub fn labelled(mut self, label: &str) -> Step {
        self.label = Some(label.to_string());
        self
    }

    pub fn offloaded(mut self, to: Offload) -> Step {
        self.offload = to;
        self
    }

    pub fn logging(mut self, before: &str, after: &str) -> Step {
        self.log_before = Some(before.to_string());
        self.log_after = Some(after.to_string());
        self
    }

    /// The step's label, or a generic name for its kind.
    pub fn display_label(&self) -> String {
        if let Some(l) = &self.label {
            return l.clone();
        }
        let what = match self.kind {
            StepKind::Cpu => "CPU work",
            StepKind::BlockingIo => "blocking I/O",
            StepKind::AwaitIo => "awaited I/O",
        };
        format!("{what} ({})", self.duration.describe())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Background {
    pub route: Route,
    pub steps: Vec<Step>,
}

/// The clients.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Load {
    /// ApacheBench: `requests` in all over `concurrency` connections, each sending its next
    /// request when the previous one completes.
    Closed {
        #[serde(deserialize_with = "crate::field::requests")]
        requests: u32,
        #[serde(deserialize_with = "crate::field::concurrency")]
        concurrency: u32,
        /// `ab -k`: reuse the connection (if the server keeps it open).
        #[serde(default, skip_serializing_if = "is_false")]
        keep_alive: bool,
        /// CPU ab spends per request when it runs on the server's machine, in µs: one
        /// single-threaded client process, on a core (not the GIL), `client_send_us` of it
        /// writing each request (default half) and the rest reading each response. It connects
        /// first and writes at its next poll (`recv`).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_cpu_us"
        )]
        client_cpu_us: Option<f64>,
        /// The part of `client_cpu_us` spent writing each request, in µs.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_send_us"
        )]
        client_send_us: Option<f64>,
        /// The client process's extra CPU for its first job after it has been idle long (its
        /// code and data out of the caches), in µs: a process idle for `d` pays
        /// `client_cold_us × (1 − e^(−d / server.costs.deep_idle_ms))`, `client_cold_send_us`
        /// of it before that job's request goes out and the rest after; at the start it has
        /// been idle long. Default 0 (~220 µs for a Python script here).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_cold_us"
        )]
        client_cold_us: Option<f64>,
        /// The part of `client_cold_us` before the request goes out, in µs (default half).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_cold_send_us"
        )]
        client_cold_send_us: Option<f64>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::timeout_ms"
        )]
        timeout_ms: Option<f64>,
    },
    /// New clients arrive at `rate_per_s` for `duration_s`, whether or not earlier ones are done.
    Open {
        #[serde(deserialize_with = "crate::field::rate_per_s")]
        rate_per_s: f64,
        #[serde(deserialize_with = "crate::field::duration_s")]
        duration_s: f64,
        #[serde(default)]
        arrivals: Arrivals,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::timeout_ms"
        )]
        timeout_ms: Option<f64>,
    },
    /// `clients` each send one request, `interval_ms` apart (0 = all at once), or at the given
    /// `offsets_ms`.
    Burst {
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::clients"
        )]
        clients: Option<u32>,
        #[serde(
            default,
            skip_serializing_if = "is_zero",
            deserialize_with = "crate::field::interval_ms"
        )]
        interval_ms: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offsets_ms: Option<Vec<f64>>,
        /// CPU the client spends per request when it runs on the server's machine, in µs, as
        /// for `closed` (one process of serial sends, e.g. a Python script).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_cpu_us"
        )]
        client_cpu_us: Option<f64>,
        /// The part of `client_cpu_us` spent preparing and sending each request, in µs.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_send_us"
        )]
        client_send_us: Option<f64>,
        /// As for `closed`: the client process's extra CPU for its first job after it has
        /// been idle long, in µs, and the part of it before the request goes out.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_cold_us"
        )]
        client_cold_us: Option<f64>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::client_cold_send_us"
        )]
        client_cold_send_us: Option<f64>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::field::timeout_ms"
        )]
        timeout_ms: Option<f64>,
    },
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Exactly every 1/rate seconds.
    Fixed,
    /// A Poisson process (exponential gaps).
    #[default]
    Poisson,
}

impl Load {
    pub fn timeout(&self) -> Option<Nanos> {
        let t = match self {
            Load::Closed { timeout_ms, .. }
            | Load::Open { timeout_ms, .. }
            | Load::Burst { timeout_ms, .. } => *timeout_ms,
        };
        t.map(from_ms)
    }

    /// How many requests the load sends at most (open loop: the expected count).
    pub fn request_count(&self) -> u64 {
        match self {
            Load::Closed { requests, .. } => *requests as u64,
            Load::Open {
                rate_per_s,
                duration_s,
                ..
            } => (rate_per_s * duration_s).ceil() as u64,
            Load::Burst {
                clients,
                offsets_ms,
                ..
            } => match offsets_ms {
                Some(o) => o.len() as u64,
                None => clients.unwrap_or(1) as u64,
            },
        }
    }

    /// The send offsets of a burst.
    pub fn burst_offsets(&self) -> Vec<Nanos> {
        match self {
            Load::Burst {
                clients,
                interval_ms,
                offsets_ms,
                ..
            } => match offsets_ms {
                Some(o) => o.iter().map(|&ms| from_ms(ms)).collect(),
                None => (0..clients.unwrap_or(1))
                    .map(|i| from_ms(i as f64 * interval_ms))
                    .collect(),
            },
            _ => Vec::new(),
        }
    }
}

/// A rejected scenario field: where, and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// JSON path, e.g. `server.workers` or `handler.steps[2].duration.ms`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() || self.path == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// All the errors of a scenario, one per offending field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioErrors(pub Vec<ScenarioError>);

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioErrors {}

impl Scenario {
    /// Parses and validates a scenario file.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioErrors> {
        let one = |path: &str, message: String| {
            ScenarioErrors(vec![ScenarioError {
                path: path.to_string(),
                message,
            }])
        };
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(one(
                "",
                format!(
                    "scenario is {} bytes; at most {MAX_SCENARIO_BYTES} bytes are accepted",
                    text.len()
                ),
            ));
        }
        // Check the version first, so that a file from a newer loopsim says so plainly.
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| one("", format!("not valid JSON: {e}")))?;
        match value.get("version") {
            None => {
                return Err(one(
                    "version",
                    format!("missing; expected {SCENARIO_VERSION}"),
                ))
            }
            Some(v) if v.as_u64() != Some(SCENARIO_VERSION as u64) => {
                return Err(one(
                    "version",
                    format!(
                        "unsupported version {v}; this loopsim reads version {SCENARIO_VERSION}"
                    ),
                ))
            }
            _ => {}
        }
        let scenario: Scenario = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            // Field deserializers put their field's name first (see `field.rs`): inside
            // internally tagged objects the path stops at the object.
            match message.split_once(crate::field::SEP) {
                Some((field, text)) if path == field || path.ends_with(&format!(".{field}")) => {
                    one(&path, text.to_string())
                }
                Some((field, text)) => one(&format!("{path}.{field}"), text.to_string()),
                None => one(&path, message),
            }
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Checks every value against its allowed range and every combination for meaning.
    pub fn validate(&self) -> Result<(), ScenarioErrors> {
        let mut v = Validator::default();
        if self.version != SCENARIO_VERSION {
            v.fail("version", format!("must be {SCENARIO_VERSION}"));
        }
        v.text("name", self.name.as_deref(), limits::TEXT);
        v.text(
            "description",
            self.description.as_deref(),
            limits::DESCRIPTION,
        );
        self.validate_server(&mut v);
        self.validate_handler(&mut v);
        self.validate_load(&mut v);
        if v.errors.is_empty() {
            Ok(())
        } else {
            Err(ScenarioErrors(v.errors))
        }
    }

    fn validate_server(&self, v: &mut Validator) {
        let s = &self.server;
        let kind = s.kind;
        v.opt_u32("server.workers", s.workers, limits::WORKERS);
        if !kind.multi_process() && s.workers.unwrap_or(1) > 1 {
            v.fail(
                "server.workers",
                format!("{} runs a single process: must be 1", kind.title()),
            );
        }
        v.opt_u32("server.threads", s.threads, limits::THREADS);
        if s.threads.is_some() && kind.threads_meaning().is_none() {
            v.fail(
                "server.threads",
                format!(
                    "{} has no thread setting ({}); remove it",
                    kind.title(),
                    if kind == ServerKind::FlaskDev {
                        "it starts one thread per connection"
                    } else {
                        "each worker serves one request at a time"
                    }
                ),
            );
        }
        v.opt_u32("server.cores", s.cores, limits::CORES);
        v.opt_f64(
            "server.switch_interval_ms",
            s.switch_interval_ms,
            limits::SWITCH_INTERVAL_MS,
        );
        v.opt_u32("server.backlog", s.backlog, limits::BACKLOG);
        if s.keep_alive == Some(true) && !kind.supports_keep_alive() {
            v.fail(
                "server.keep_alive",
                format!(
                    "{} closes the connection after every response; it cannot keep connections alive",
                    kind.title()
                ),
            );
        }
        if s.close_linger == Some(true) && kind != ServerKind::GunicornSync {
            v.fail(
                "server.close_linger",
                format!(
                    "only gunicorn's sync worker waits for the client to close; {} does not",
                    kind.title()
                ),
            );
        }
        if let Some(t) = s.worker_timeout_s {
            if !kind.is_gunicorn() {
                v.fail(
                    "server.worker_timeout_s",
                    format!("only gunicorn has a worker timeout, not {}", kind.title()),
                );
            } else if t != 0.0 {
                v.f64_range(
                    "server.worker_timeout_s",
                    t,
                    limits::WORKER_TIMEOUT_S,
                    " (or 0 to disable)",
                );
            }
        }
        v.opt_u32(
            "server.connection_limit",
            s.connection_limit,
            limits::CONNECTION_LIMIT,
        );
        v.opt_u32("server.process_pool", s.process_pool, limits::PROCESS_POOL);
        v.opt_f64("server.restart_ms", s.restart_ms, limits::RESTART_MS);
        if let Some(c) = &s.costs {
            for (path, x) in [
                ("server.costs.accept_us", c.accept_us),
                ("server.costs.accept_call_us", c.accept_call_us),
                ("server.costs.cold_read_us", c.cold_read_us),
                ("server.costs.cold_task_us", c.cold_task_us),
                ("server.costs.cold_accept_us", c.cold_accept_us),
                ("server.costs.cold_setup_us", c.cold_setup_us),
                ("server.costs.gil_handoff_us", c.gil_handoff_us),
                ("server.costs.iteration_us", c.iteration_us),
                ("server.costs.setup_us", c.setup_us),
                ("server.costs.parse_us", c.parse_us),
                ("server.costs.respond_us", c.respond_us),
                ("server.costs.spawn_us", c.spawn_us),
                ("server.costs.wake_us", c.wake_us),
                ("server.costs.idle_wake_us", c.idle_wake_us),
                ("server.costs.deep_wake_us", c.deep_wake_us),
                ("server.costs.cold_cpu_us", c.cold_cpu_us),
                ("server.costs.to_thread_us", c.to_thread_us),
                ("server.costs.close_wait_us", c.close_wait_us),
                ("server.costs.fd_grow_us", c.fd_grow_us),
            ] {
                v.opt_f64(path, x, limits::COST_US);
            }
            v.opt_f64(
                "server.costs.deep_idle_ms",
                c.deep_idle_ms,
                limits::DEEP_IDLE_MS,
            );
            v.opt_f64("server.costs.wake_sigma", c.wake_sigma, limits::WAKE_SIGMA);
            v.opt_f64(
                "server.costs.fd_grow_sigma",
                c.fd_grow_sigma,
                limits::FD_GROW_SIGMA,
            );
            v.opt_f64(
                "server.costs.cold_task_decay",
                c.cold_task_decay,
                limits::COLD_TASK_DECAY,
            );
            v.opt_f64(
                "server.costs.kernel_share",
                c.kernel_share,
                limits::KERNEL_SHARE,
            );
        }
        if let Some(g) = &s.gc {
            v.validate_gc(g);
        }
        if let Some(f) = &s.fds {
            v.opt_u32("server.fds.open", f.open, limits::OPEN_FDS);
            if let Some(t) = &f.table {
                let workers =
                    s.workers
                        .unwrap_or(1)
                        .clamp(limits::WORKERS.0, limits::WORKERS.1) as usize;
                if t.is_empty() || t.len() > workers {
                    v.fail(
                        "server.fds.table",
                        format!(
                            "must list 1 to {workers} table sizes, one per worker (got {})",
                            t.len()
                        ),
                    );
                }
                let (lo, hi) = limits::FD_TABLE;
                // Each entry, of a list no longer than the workers (at most 64 messages).
                for (i, &x) in t.iter().enumerate().take(workers) {
                    if !x.is_power_of_two() || x < lo || x > hi {
                        v.fail(
                            &format!("server.fds.table[{i}]"),
                            format!("must be a power of two between {lo} and {hi} (got {x})"),
                        );
                    }
                }
            }
        }
        if let Some(w) = s.warm_threads {
            let tokens = s.threads.unwrap_or(kind.defaults().threads);
            if !kind.is_asgi() {
                v.fail(
                    "server.warm_threads",
                    format!(
                        "only an ASGI server's AnyIO threadpool starts its threads on demand; {} does not",
                        kind.title()
                    ),
                );
            } else if w > tokens {
                v.fail(
                    "server.warm_threads",
                    format!("must be between 0 and the {tokens} threadpool tokens (got {w})"),
                );
            }
        }
        v.opt_f64(
            "server.tick_phase_us",
            s.tick_phase_us,
            limits::TICK_PHASE_US,
        );
        if let Some(sp) = &s.cpu_speed {
            v.f64_range("server.cpu_speed.sigma", sp.sigma, limits::SPEED_SIGMA, "");
            v.f64_range(
                "server.cpu_speed.hold_ms",
                sp.hold_ms,
                limits::SPEED_HOLD_MS,
                "",
            );
        }
    }

    fn validate_handler(&self, v: &mut Validator) {
        let h = &self.handler;
        let asgi = self.server.kind.is_asgi();
        if !asgi && h.route == Route::AsyncDef {
            v.fail(
                "handler.route",
                format!(
                    "`async def` routes need an ASGI server (uvicorn, gunicorn + uvicorn workers); {} runs Flask `def` views",
                    self.server.kind.title()
                ),
            );
        }
        if let Some(d) = &h.overhead {
            v.dist("handler.overhead", d);
        }
        v.opt_u32("handler.db_pool", h.db_pool, limits::DB_POOL);
        self.validate_steps(v, "handler.steps", &h.steps, h.route, false);
        if h.background.len() > limits::BACKGROUND_TASKS {
            v.fail(
                "handler.background",
                format!(
                    "at most {} background tasks (got {})",
                    limits::BACKGROUND_TASKS,
                    h.background.len()
                ),
            );
        }
        if !h.background.is_empty() && !asgi {
            v.fail(
                "handler.background",
                "background tasks are Starlette's BackgroundTasks: they need an ASGI server (uvicorn, gunicorn + uvicorn workers)".to_string(),
            );
        }
        for (i, b) in h.background.iter().enumerate() {
            self.validate_steps(
                v,
                &format!("handler.background[{i}].steps"),
                &b.steps,
                b.route,
                true,
            );
        }
    }

    fn validate_steps(
        &self,
        v: &mut Validator,
        path: &str,
        steps: &[Step],
        route: Route,
        background: bool,
    ) {
        if steps.len() > limits::STEPS {
            v.fail(
                path,
                format!("at most {} steps (got {})", limits::STEPS, steps.len()),
            );
        }
        let asgi = self.server.kind.is_asgi();
        for (i, s) in steps.iter().enumerate() {
            let p = format!("{path}[{i}]");
            v.dist(&format!("{p}.duration"), &s.duration);
            v.text(&format!("{p}.label"), s.label.as_deref(), limits::TEXT);
            v.text(
                &format!("{p}.log_before"),
                s.log_before.as_deref(),
                limits::TEXT,
            );
            v.text(
                &format!("{p}.log_after"),
                s.log_after.as_deref(),
                limits::TEXT,
            );
            if s.kind == StepKind::AwaitIo {
                if route == Route::Def {
                    v.fail(
                        &format!("{p}.kind"),
                        format!(
                            "`await` is only valid inside `async def`; this {} is a `def`",
                            if background {
                                "background task"
                            } else {
                                "route"
                            }
                        ),
                    );
                }
                if s.offload != Offload::None {
                    v.fail(
                        &format!("{p}.offload"),
                        "awaited I/O is not offloaded: use `none`".to_string(),
                    );
                }
            }
            if s.offload == Offload::Threadpool && (route == Route::Def || !asgi) {
                v.fail(
                    &format!("{p}.offload"),
                    "`run_in_threadpool` must be awaited: it needs an `async def` on an ASGI server (a `def` already runs on a thread)".to_string(),
                );
            }
            if s.hold_connection && self.handler.db_pool.is_none() {
                v.fail(
                    &format!("{p}.hold_connection"),
                    "needs `handler.db_pool` (the pool size)".to_string(),
                );
            }
        }
    }

    fn validate_load(&self, v: &mut Validator) {
        match &self.load {
            Load::Closed {
                requests,
                concurrency,
                timeout_ms,
                client_cpu_us,
                client_send_us,
                client_cold_us,
                client_cold_send_us,
                ..
            } => {
                v.client_cpu(
                    *client_cpu_us,
                    *client_send_us,
                    *client_cold_us,
                    *client_cold_send_us,
                );
                v.u32_range("load.requests", *requests, limits::REQUESTS);
                v.u32_range("load.concurrency", *concurrency, limits::CONCURRENCY);
                if concurrency > requests {
                    v.fail(
                        "load.concurrency",
                        format!("cannot exceed load.requests ({requests}), as with ab -c ≤ -n (got {concurrency})"),
                    );
                }
                v.opt_f64("load.timeout_ms", *timeout_ms, limits::TIMEOUT_MS);
            }
            Load::Open {
                rate_per_s,
                duration_s,
                timeout_ms,
                ..
            } => {
                v.f64_range("load.rate_per_s", *rate_per_s, limits::RATE_PER_S, "");
                v.f64_range("load.duration_s", *duration_s, limits::DURATION_S, "");
                let n = rate_per_s * duration_s;
                if n > limits::REQUESTS.1 as f64 {
                    v.fail(
                        "load.rate_per_s",
                        format!(
                            "rate_per_s × duration_s must be at most {} requests (got {n:.0})",
                            limits::REQUESTS.1
                        ),
                    );
                }
                v.opt_f64("load.timeout_ms", *timeout_ms, limits::TIMEOUT_MS);
            }
            Load::Burst {
                clients,
                interval_ms,
                offsets_ms,
                client_cpu_us,
                client_send_us,
                client_cold_us,
                client_cold_send_us,
                timeout_ms,
            } => {
                v.client_cpu(
                    *client_cpu_us,
                    *client_send_us,
                    *client_cold_us,
                    *client_cold_send_us,
                );
                v.opt_u32("load.clients", *clients, limits::CLIENTS);
                v.f64_range("load.interval_ms", *interval_ms, limits::OFFSET_MS, "");
                if let Some(c) = clients {
                    if (*c as f64 - 1.0) * interval_ms > limits::OFFSET_MS.1 {
                        v.fail(
                            "load.interval_ms",
                            format!(
                                "the last client would start after {} ms",
                                limits::OFFSET_MS.1
                            ),
                        );
                    }
                }
                match offsets_ms {
                    Some(o) => {
                        if o.is_empty() || o.len() > limits::CLIENTS.1 as usize {
                            v.fail(
                                "load.offsets_ms",
                                format!(
                                    "must list 1 to {} offsets (got {})",
                                    limits::CLIENTS.1,
                                    o.len()
                                ),
                            );
                        }
                        for (i, x) in o.iter().enumerate().take(limits::CLIENTS.1 as usize) {
                            v.f64_range(
                                &format!("load.offsets_ms[{i}]"),
                                *x,
                                limits::OFFSET_MS,
                                "",
                            );
                        }
                        if let Some(c) = clients {
                            if *c as usize != o.len() {
                                v.fail(
                                    "load.clients",
                                    format!(
                                        "{c} clients but {} offsets: give one or make them agree",
                                        o.len()
                                    ),
                                );
                            }
                        }
                        if *interval_ms != 0.0 {
                            v.fail(
                                "load.interval_ms",
                                "give either interval_ms or offsets_ms, not both".to_string(),
                            );
                        }
                    }
                    None => {
                        if clients.is_none() {
                            v.fail(
                                "load.clients",
                                format!(
                                    "missing; a burst needs clients ({}..={}) or offsets_ms",
                                    limits::CLIENTS.0,
                                    limits::CLIENTS.1
                                ),
                            );
                        }
                    }
                }
                v.opt_f64("load.timeout_ms", *timeout_ms, limits::TIMEOUT_MS);
            }
        }
        if v.errors.is_empty() {
            let per_request = 8
                + self.handler.steps.len() as u64
                + self
                    .handler
                    .background
                    .iter()
                    .map(|b| b.steps.len() as u64 + 1)
                    .sum::<u64>();
            let work = self.load.request_count().saturating_mul(per_request);
            if work > limits::WORK {
                v.fail(
                    "load",
                    format!(
                        "too large to simulate: requests × (steps + 8) is {work}, at most {} (fewer requests or steps)",
                        limits::WORK
                    ),
                );
            }
        }
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<ScenarioError>,
}

impl Validator {
    fn fail(&mut self, path: &str, message: String) {
        self.errors.push(ScenarioError {
            path: path.to_string(),
            message,
        });
    }

    fn u32_range(&mut self, path: &str, x: u32, (lo, hi): (u32, u32)) {
        if x < lo || x > hi {
            self.fail(path, format!("must be between {lo} and {hi} (got {x})"));
        }
    }

    fn opt_u32(&mut self, path: &str, x: Option<u32>, range: (u32, u32)) {
        if let Some(x) = x {
            self.u32_range(path, x, range);
        }
    }

    fn f64_range(&mut self, path: &str, x: f64, (lo, hi): (f64, f64), extra: &str) {
        if !x.is_finite() || x < lo || x > hi {
            // Absurd numbers in scientific notation, not 300 digits.
            let got = if x.abs() >= 1e12 {
                format!("{x:e}")
            } else {
                format!("{x}")
            };
            self.fail(
                path,
                format!("must be between {lo} and {hi}{extra} (got {got})"),
            );
        }
    }

    fn opt_f64(&mut self, path: &str, x: Option<f64>, range: (f64, f64)) {
        if let Some(x) = x {
            self.f64_range(path, x, range, "");
        }
    }

    /// `load.client_cpu_us`, and its part sending each request (at most all of it).
    fn client_cpu(
        &mut self,
        cpu: Option<f64>,
        send: Option<f64>,
        cold: Option<f64>,
        cold_send: Option<f64>,
    ) {
        self.opt_f64("load.client_cpu_us", cpu, limits::COST_US);
        self.opt_f64("load.client_cold_us", cold, limits::COST_US);
        if cold.is_some() && cpu.is_none() {
            self.fail(
                "load.client_cold_us",
                "needs load.client_cpu_us (the client runs on the server's machine)".to_string(),
            );
        }
        self.part_of(
            "load.client_cold_send_us",
            cold_send,
            ("load.client_cold_us", cold),
            "the client's extra CPU after idling",
        );
        self.part_of(
            "load.client_send_us",
            send,
            ("load.client_cpu_us", cpu),
            "the client's CPU per request",
        );
    }

    /// A part of a whole (`path`, at most the whole at `whole.0`), refused without the whole.
    fn part_of(&mut self, path: &str, part: Option<f64>, whole: (&str, Option<f64>), what: &str) {
        let Some(part) = part else { return };
        match whole.1 {
            None => self.fail(path, format!("needs {} ({what})", whole.0)),
            Some(w) => self.f64_range(path, part, (0.0, w), &format!(" (at most {})", whole.0)),
        }
    }

    fn validate_gc(&mut self, g: &GcSettings) {
        self.u32_range(
            "server.gc.objects_per_request",
            g.objects_per_request,
            limits::GC_OBJECTS,
        );
        if g.garbage_per_request > g.objects_per_request {
            self.fail(
                "server.gc.garbage_per_request",
                format!(
                    "must be between 0 and objects_per_request ({}) (got {})",
                    g.objects_per_request, g.garbage_per_request
                ),
            );
        }
        if g.objects_on_read > g.objects_per_request {
            self.fail(
                "server.gc.objects_on_read",
                format!(
                    "must be between 0 and objects_per_request ({}) (got {})",
                    g.objects_per_request, g.objects_on_read
                ),
            );
        }
        self.u32_range("server.gc.heap_objects", g.heap_objects, limits::GC_HEAP);
        self.f64_range(
            "server.gc.ns_per_object",
            g.ns_per_object,
            limits::GC_NS_PER_OBJECT,
            "",
        );
        self.opt_f64(
            "server.gc.partial_ns_per_object",
            g.partial_ns_per_object,
            limits::GC_NS_PER_OBJECT,
        );
        let t = g.thresholds.unwrap_or(GC_THRESHOLDS);
        if let Some(th) = g.thresholds {
            self.u32_range("server.gc.thresholds[0]", th[0], limits::GC_THRESHOLD0);
            self.u32_range("server.gc.thresholds[1]", th[1], limits::GC_THRESHOLD);
            self.u32_range("server.gc.thresholds[2]", th[2], limits::GC_THRESHOLD);
        }
        if let Some(c) = g.count {
            // A counter above its threshold triggers at the next allocation; one far above
            // it is a hand-edited file.
            for i in 0..3 {
                self.u32_range(
                    &format!("server.gc.count[{i}]"),
                    c[i],
                    (0, t[i].max(1).saturating_mul(10)),
                );
            }
        }
        if let Some(p) = g.pending {
            self.u32_range("server.gc.pending", p, limits::GC_HEAP);
        }
    }

    fn text(&mut self, path: &str, s: Option<&str>, max: usize) {
        if let Some(s) = s {
            let n = s.chars().count();
            if n > max {
                self.fail(path, format!("at most {max} characters (got {n})"));
            }
        }
    }

    fn dist(&mut self, path: &str, d: &Dist) {
        let r = limits::DURATION_MS;
        match *d {
            Dist::Constant { ms } => self.f64_range(&format!("{path}.ms"), ms, r, ""),
            Dist::Uniform { min_ms, max_ms } => {
                self.f64_range(&format!("{path}.min_ms"), min_ms, r, "");
                self.f64_range(&format!("{path}.max_ms"), max_ms, r, "");
                if min_ms > max_ms {
                    self.fail(
                        &format!("{path}.max_ms"),
                        format!("must be at least min_ms ({min_ms}) (got {max_ms})"),
                    );
                }
            }
            Dist::Exponential { mean_ms } => {
                self.f64_range(&format!("{path}.mean_ms"), mean_ms, r, "")
            }
            Dist::Lognormal { median_ms, sigma } => {
                self.f64_range(&format!("{path}.median_ms"), median_ms, r, "");
                self.f64_range(&format!("{path}.sigma"), sigma, limits::SIGMA, "");
            }
        }
    }
}
