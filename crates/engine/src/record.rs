//! What a run produces: per-request records, per-thread timeline segments, lanes.

use serde::{Deserialize, Serialize};

use crate::time::{to_ms, Nanos};

/// How a request ended, from the client's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    /// The client's timeout expired first.
    ClientTimeout,
    /// Every SYN was dropped by a full listen backlog.
    ConnectFailed,
    /// gunicorn killed the worker serving it (worker timeout).
    WorkerKilled,
    /// Still waiting when nothing else could happen: the server can never answer it (for
    /// example a deadlock between the threadpool and a connection pool).
    Unfinished,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::ClientTimeout => "client_timeout",
            Status::ConnectFailed => "connect_failed",
            Status::WorkerKilled => "worker_killed",
            Status::Unfinished => "unfinished",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::ClientTimeout => "client timed out",
            Status::ConnectFailed => "connection never accepted (SYNs dropped)",
            Status::WorkerKilled => "worker killed by gunicorn's timeout",
            Status::Unfinished => "never answered (the server is stuck)",
        }
    }
}

/// Where a request's time went, in ns (they sum to its latency).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSplit {
    /// Waiting for the TCP handshake (SYNs dropped by a full backlog, retransmitted), and for
    /// ab on the server's machine to write the request after connecting.
    pub connecting: Nanos,
    /// Waiting in a queue: listen backlog, event-loop ready queue, threadpool tokens, task
    /// queue, connection pool.
    pub queued: Nanos,
    /// Running on a core (Python, or the system calls of a server cost).
    pub cpu: Nanos,
    /// Runnable but waiting for the GIL.
    pub gil_wait: Nanos,
    /// Runnable (holding the GIL, if it needs it) but waiting for its turn on a busy core.
    #[serde(default)]
    pub core_wait: Nanos,
    /// In a blocking call.
    pub blocked: Nanos,
    /// Suspended in an `await` (the loop was free).
    pub awaiting: Nanos,
}

impl TimeSplit {
    /// Adds `other`'s times to these.
    pub fn add(&mut self, other: &TimeSplit) {
        self.connecting += other.connecting;
        self.queued += other.queued;
        self.cpu += other.cpu;
        self.gil_wait += other.gil_wait;
        self.core_wait += other.core_wait;
        self.blocked += other.blocked;
        self.awaiting += other.awaiting;
    }

    /// The parts with their names, in the order a request meets them.
    pub fn parts(&self) -> [(&'static str, Nanos); 7] {
        [
            ("connecting", self.connecting),
            ("queued", self.queued),
            ("CPU", self.cpu),
            ("waiting for a core", self.core_wait),
            ("waiting for the GIL", self.gil_wait),
            ("blocked", self.blocked),
            ("awaiting", self.awaiting),
        ]
    }

    pub fn total(&self) -> Nanos {
        self.parts().iter().map(|&(_, ns)| ns).sum()
    }
}

/// One request, as the client and the server saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: u32,
    pub client: u32,
    /// First SYN (or, on a kept-alive connection, the request write).
    pub sent: Nanos,
    /// Handshake completed: the connection entered the listen backlog.
    pub connected: Option<Nanos>,
    /// A worker accepted the connection.
    pub accepted: Option<Nanos>,
    /// The client finished writing the request, when that came after the connection (ab on
    /// the server's machine writes at its next poll); `None`: sent with the connection, or
    /// never written.
    #[serde(default)]
    pub written: Option<Nanos>,
    /// The handler (framework code) began.
    pub started: Option<Nanos>,
    /// Response received, or the time the request failed.
    pub finished: Nanos,
    pub status: Status,
    /// Worker process that accepted it.
    pub worker: Option<u32>,
    /// Lane (thread) that ran the handler's steps.
    pub lane: Option<u32>,
    pub syn_retries: u8,
    pub split: TimeSplit,
}

impl RequestRecord {
    pub fn latency(&self) -> Nanos {
        self.finished - self.sent
    }

    pub fn latency_ms(&self) -> f64 {
        to_ms(self.latency())
    }
}

/// What a thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadState {
    Idle,
    /// Running Python on a core, holding the GIL.
    Cpu,
    /// Runnable, waiting for the GIL.
    GilWait,
    /// Runnable (holding the GIL, if it needs it), waiting for its turn on a busy core.
    CoreWait,
    /// In a blocking call (GIL released).
    Blocked,
    /// Waiting for a pool connection or another process's result (GIL released).
    Wait,
}

impl ThreadState {
    pub const BUSY: [ThreadState; 5] = [
        ThreadState::Cpu,
        ThreadState::GilWait,
        ThreadState::CoreWait,
        ThreadState::Blocked,
        ThreadState::Wait,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ThreadState::Idle => "idle",
            ThreadState::Cpu => "cpu",
            ThreadState::GilWait => "gil_wait",
            ThreadState::CoreWait => "core_wait",
            ThreadState::Blocked => "blocked",
            ThreadState::Wait => "wait",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ThreadState::Idle => "idle",
            ThreadState::Cpu => "running on a core (CPU)",
            ThreadState::GilWait => "waiting for the GIL",
            ThreadState::CoreWait => "waiting for a core (its turn on a busy core)",
            ThreadState::Blocked => "blocked in a call",
            ThreadState::Wait => "waiting for a pool / process",
        }
    }
}

pub const NO_REQUEST: u32 = u32::MAX;

/// A stretch of one lane in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub lane: u32,
    pub start: Nanos,
    pub end: Nanos,
    pub state: ThreadState,
    /// Request id, or [`NO_REQUEST`].
    pub request: u32,
    /// Index into [`crate::RunResult::activities`].
    pub activity: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneKind {
    EventLoop,
    /// The I/O / accepting thread of a threaded server.
    Main,
    Threadpool,
    /// A thread started for one connection (werkzeug).
    Connection,
    /// A gunicorn sync worker's only thread.
    Sync,
    ProcessPool,
    /// The load generator (ab) when it runs on the server's machine.
    Client,
}

/// A row of the timeline: a thread (or, for per-connection threads, a reused slot).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    pub worker: u32,
    pub kind: LaneKind,
    pub index: u32,
    pub name: String,
}

/// Where an activity comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The server program (accept, parse, write, threads).
    Server,
    /// The web framework's own per-request work.
    Framework,
    /// A step of the route.
    Step,
    /// A step of a background task.
    Background,
}

/// Something a thread does: a handler step, or the server's own work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub label: String,
    pub origin: Origin,
    /// For steps: where in the scenario, e.g. `handler.steps[0]`.
    pub path: Option<String>,
}

pub const ACT_ACCEPT: u16 = 0;
pub const ACT_PARSE: u16 = 1;
pub const ACT_OVERHEAD: u16 = 2;
pub const ACT_RESPOND: u16 = 3;
pub const ACT_SPAWN: u16 = 4;
pub const ACT_IDLE: u16 = 5;
pub const ACT_HANDOFF: u16 = 6;
pub const ACT_CLOSE_WAIT: u16 = 7;
pub const ACT_CLIENT: u16 = 8;
pub const ACT_KERNEL: u16 = 9;
pub const ACT_GC: u16 = 10;
pub const ACT_POLL: u16 = 11;
pub const ACT_FD_GROW: u16 = 12;
/// Index of the first handler step in the activity list.
pub const ACT_FIRST_STEP: u16 = 13;

/// Per-lane time totals by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaneTotals {
    pub cpu: Nanos,
    pub gil_wait: Nanos,
    #[serde(default)]
    pub core_wait: Nanos,
    pub blocked: Nanos,
    pub wait: Nanos,
}

impl LaneTotals {
    pub fn add(&mut self, state: ThreadState, d: Nanos) {
        match state {
            ThreadState::Idle => {}
            ThreadState::Cpu => self.cpu += d,
            ThreadState::GilWait => self.gil_wait += d,
            ThreadState::CoreWait => self.core_wait += d,
            ThreadState::Blocked => self.blocked += d,
            ThreadState::Wait => self.wait += d,
        }
    }

    pub fn busy(&self) -> Nanos {
        self.cpu + self.gil_wait + self.core_wait + self.blocked + self.wait
    }
}

/// The most intervals `[start, end)` that overlap at one instant (e.g. threads wanting a
/// core, from their timeline segments).
pub fn most_at_once(intervals: impl Iterator<Item = (Nanos, Nanos)>) -> usize {
    let mut edges: Vec<(Nanos, i32)> = intervals.flat_map(|(a, b)| [(a, 1), (b, -1)]).collect();
    // At one instant, ends before starts.
    edges.sort_unstable();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most as usize
}

/// One worker process's counters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerStats {
    pub worker: u32,
    pub accepted: u64,
    pub responses: u64,
    pub killed: u32,
    /// Time the GIL was held / forced switches.
    pub gil_held: Nanos,
    pub gil_forced_switches: u64,
    /// Times a thread of this process waited for its GIL.
    pub gil_waits: u64,
    /// Threadpool tokens (event loop) or pool threads busy at most, and the longest wait queue.
    pub pool_peak_busy: u32,
    pub pool_peak_waiting: usize,
    pub pool_waits: u64,
    pub db_peak_waiting: usize,
    pub db_waits: u64,
    /// Process-pool jobs that had to queue for a free pool process, and the longest queue.
    pub process_pool_waits: u64,
    pub process_pool_peak_waiting: usize,
    /// Garbage collections per generation (0, 1, 2), their pauses in all and the longest.
    pub gc_collections: [u64; 3],
    pub gc_pause_total: Nanos,
    pub gc_pause_max: Nanos,
    /// gunicorn's sync worker: how many times it waited for the client to close after a
    /// response (`server.close_linger`), and for how long in all.
    #[serde(default)]
    pub close_lingers: u64,
    #[serde(default)]
    pub close_linger_total: Nanos,
    /// How many times its descriptor table grew, and how long its threads waited in the
    /// kernel for that in all (`fds.rs`).
    #[serde(default)]
    pub fd_table_grows: u64,
    #[serde(default)]
    pub fd_grow_wait: Nanos,
    pub loop_stats: Option<LoopStats>,
}

/// The garbage collections of every worker: per generation, the pauses in all, the longest.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GcTotals {
    pub collections: [u64; 3],
    pub pause_total: Nanos,
    pub pause_max: Nanos,
}

impl GcTotals {
    pub fn of(workers: &[WorkerStats]) -> GcTotals {
        let mut t = GcTotals::default();
        for w in workers {
            for (a, b) in t.collections.iter_mut().zip(w.gc_collections) {
                *a += b;
            }
            t.pause_total += w.gc_pause_total;
            t.pause_max = t.pause_max.max(w.gc_pause_max);
        }
        t
    }
}

/// How an event loop spent the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LoopStats {
    /// Ready callbacks run, and how long they waited for the loop after becoming ready.
    pub callbacks: u64,
    pub lag_total: Nanos,
    pub lag_max: Nanos,
    /// Time the loop thread spent blocked, per activity (index, ns), largest first.
    pub blocked_by: Vec<(u16, Nanos)>,
    /// Time the loop thread ran CPU or waited for a core to run it (the loop was held
    /// either way), per activity, largest first.
    pub cpu_by: Vec<(u16, Nanos)>,
    /// Its callbacks of the kinds that can run cold, and how many did.
    #[serde(default)]
    pub warmth: Warmth,
    /// Its iterations that found work (each pays `iteration_us`).
    #[serde(default)]
    pub iterations: u64,
}

/// An event loop's callbacks that can run cold, and of each kind how many ran right after a
/// callback of another kind (cold: they pay `cold_accept_us`, `cold_setup_us`, `cold_read_us`
/// or `cold_task_us`, counted whatever those are). A set-up counts each of its two stages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warmth {
    #[serde(default)]
    pub accepts: u64,
    #[serde(default)]
    pub accepts_cold: u64,
    #[serde(default)]
    pub setups: u64,
    #[serde(default)]
    pub setups_cold: u64,
    pub reads: u64,
    pub reads_cold: u64,
    pub task_steps: u64,
    pub task_steps_cold: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_that_touch_do_not_overlap() {
        assert_eq!(most_at_once([(0, 1), (1, 2)].into_iter()), 1);
        assert_eq!(most_at_once([(0, 3), (1, 2), (2, 4)].into_iter()), 2);
        assert_eq!(most_at_once([(0, 5), (1, 4), (2, 3)].into_iter()), 3);
        assert_eq!(most_at_once(std::iter::empty()), 0);
    }
}
