//! Plain-language findings computed from a run: what held requests up, with the run's own
//! numbers, and what to change.
//!
//! Every finding is computed from the run's measurements (the event loops' blocked and CPU time
//! per activity, the threadpool and DB pool counters, the lanes' GIL waits, SYN drops, failures,
//! the timeline), never from the scenario's name; the scenario is only read to name the code
//! (a step's label) and the server's flags. [`advise`] returns the findings most severe first
//! (causes before symptoms within a severity); when none is a problem or a warning, the list
//! includes [`ids::ALL_GOOD`].
//!
//! | id | when | severity |
//! |---|---|---|
//! | `loop_blocked` | a loop's `blocked_by` has time | problem if ≥ 10 % of the time or a call's mean ≥ 50 ms, else warning |
//! | `loop_cpu` | handler steps in a loop's `cpu_by` | problem if ≥ 25 % (or calls ≥ 100 ms and ≥ 5 %), warning if ≥ 10 % or calls ≥ 20 ms |
//! | `gil_contention` | GIL wait ≥ 50 ms and ≥ ¼ of the CPU time | problem when handler steps waited most, warning for the server's own code |
//! | `syn_drops` | `summary.syn_drops > 0` | problem |
//! | `worker_killed` | workers killed by gunicorn's timeout | problem |
//! | `threadpool_saturated` | AnyIO token waits | problem if ≥ 10 % of requests, else warning |
//! | `db_pool_waits` | DB pool waits | problem if ≥ 10 % of requests, else warning |
//! | `pool_threads_busy` | waitress / gthread: all threads busy and a task queue | warning |
//! | `sync_workers_busy` | gunicorn sync: requests ≥ 30 % of their time queued | warning |
//! | `sync_close_linger` | gunicorn sync: ≥ 10 % of the workers' busy time (and ≥ 50 ms) waiting for clients to close after responding | warning |
//! | `idle_cores` | fewer workers than cores, each worker's GIL (or loop) ≥ 60 % busy, cores ≤ 75 % | warning |
//! | `cores_busy` | completed requests waited ≥ 50 ms in all and ≥ 10 % of their time for a core (`summary.time_split_ns`) | problem if ≥ 25 %, else warning |
//! | `client_timeouts`, `connect_failures` | failed requests by reason | problem |
//! | `gc_pauses` | the collector is modelled and collected | warning if a full collection ran, else info |
//! | `background_tasks` | background tasks ran (from the timeline) | info |
//! | `all_good` | none of the above is a problem or warning | info |
//!
//! Fractions "of the time" are of the run's span: from the first request sent to the end of the
//! last thing any thread did (which, with background tasks, can be after the last response).
//! Some findings read the timeline (`segments`) and the request records; when a run kept only
//! part of them (`RunOptions`), those findings fall back to the counters or are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::record::{
    most_at_once, LaneKind, LaneTotals, LoopStats, Origin, ThreadState, TimeSplit, ACT_FIRST_STEP,
};
use crate::scenario::{
    Offload, Route, Runtime, Scenario, ServerConfig, ServerKind, Step, StepKind,
};
use crate::sim::RunResult;
use crate::time::{from_ms, Nanos};

/// How much a finding matters. Ordered: `Problem < Warning < Info`, so sorting puts problems
/// first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Requests were held up or failed because of it.
    Problem,
    /// A limit was reached or a resource wasted; worth changing.
    Warning,
    /// Context, or confirmation that all went well.
    Info,
}

/// One finding: a stable `id`, a one-line `title`, a `detail` paragraph, and a `fix`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub fix: Option<String>,
}

/// The finding ids.
pub mod ids {
    /// A blocking call ran on an event loop (inside `async def`).
    pub const LOOP_BLOCKED: &str = "loop_blocked";
    /// CPU-bound handler code ran on an event loop.
    pub const LOOP_CPU: &str = "loop_cpu";
    /// Calls waited for an AnyIO threadpool token.
    pub const THREADPOOL_SATURATED: &str = "threadpool_saturated";
    /// Threads waited for the GIL.
    pub const GIL_CONTENTION: &str = "gil_contention";
    /// The listen backlog overflowed: SYNs dropped, clients retried after 1 s, 3 s, …
    pub const SYN_DROPS: &str = "syn_drops";
    /// Fewer worker processes than cores, and the workers were busy.
    pub const IDLE_CORES: &str = "idle_cores";
    /// Runnable threads waited for their turn on busy cores.
    pub const CORES_BUSY: &str = "cores_busy";
    /// Requests failed: the client's timeout expired.
    pub const CLIENT_TIMEOUTS: &str = "client_timeouts";
    /// Requests failed: the connection was never accepted.
    pub const CONNECT_FAILURES: &str = "connect_failures";
    /// gunicorn killed workers (worker timeout).
    pub const WORKER_KILLED: &str = "worker_killed";
    /// Requests waited for a DB pool connection.
    pub const DB_POOL_WAITS: &str = "db_pool_waits";
    /// Every thread of a waitress / gthread pool was busy and requests queued for one.
    pub const POOL_THREADS_BUSY: &str = "pool_threads_busy";
    /// gunicorn sync workers (one request at a time each) made requests queue.
    pub const SYNC_WORKERS_BUSY: &str = "sync_workers_busy";
    /// gunicorn sync workers held after their responses until the clients closed.
    pub const SYNC_CLOSE_LINGER: &str = "sync_close_linger";
    /// What background tasks occupied after the responses.
    pub const BACKGROUND_TASKS: &str = "background_tasks";
    /// The garbage collector paused worker processes.
    pub const GC_PAUSES: &str = "gc_pauses";
    /// An `accept()` waited for a worker's descriptor table to grow.
    pub const FD_TABLE_GROWN: &str = "fd_table_grown";
    /// Nothing held requests up.
    pub const ALL_GOOD: &str = "all_good";
}

/// The findings for a run, most severe first.
pub fn advise(r: &RunResult) -> Vec<Finding> {
    let a = Run::new(r);
    let mut out = Vec::new();
    // Causes first, then their symptoms; the sort below keeps this order within a severity.
    a.loop_blocked(&mut out);
    a.loop_cpu(&mut out);
    a.gil_contention(&mut out);
    a.syn_drops(&mut out);
    a.worker_killed(&mut out);
    a.threadpool_saturated(&mut out);
    a.db_pool_waits(&mut out);
    a.pool_threads_busy(&mut out);
    a.sync_workers_busy(&mut out);
    a.sync_close_linger(&mut out);
    a.idle_cores(&mut out);
    a.cores_busy(&mut out);
    a.client_timeouts(&mut out);
    a.connect_failures(&mut out);
    a.gc_pauses(&mut out);
    a.fd_table_grown(&mut out);
    a.background_tasks(&mut out);
    if out.iter().all(|f| f.severity == Severity::Info) {
        out.push(a.all_good());
    }
    out.sort_by_key(|f| f.severity);
    out
}

// ---- formatting ----

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A duration with about three significant digits: `20 s`, `1.5 s`, `340 ms`, `12.5 µs`.
pub fn fmt_duration(ns: Nanos) -> String {
    let ms = ns as f64 / 1e6;
    if ms == 0.0 {
        return "0 ms".to_string();
    }
    let (v, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms >= 1.0 {
        (ms, "ms")
    } else {
        (ms * 1000.0, "µs")
    };
    let s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        trim(format!("{v:.1}"))
    } else {
        trim(format!("{v:.2}"))
    };
    format!("{s} {unit}")
}

/// A fraction as a percentage: `94 %`, `2.5 %`, `< 0.1 %`.
pub fn fmt_percent(f: f64) -> String {
    let p = (f * 100.0).max(0.0);
    if p == 0.0 {
        "0 %".to_string()
    } else if p < 0.1 {
        "< 0.1 %".to_string()
    } else if p < 10.0 {
        format!("{} %", trim(format!("{p:.1}")))
    } else {
        format!("{p:.0} %")
    }
}

/// `1 request`, `20 requests`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A ratio of waiting to running: `as much waiting as running`, `3.9× more waiting than running`.
fn times(ratio: f64) -> String {
    if (0.95..1.05).contains(&ratio) {
        "as much waiting as running".to_string()
    } else {
        let r = trim(format!("{ratio:.1}"));
        if ratio > 1.0 {
            format!("{r}× more waiting than running")
        } else {
            format!("{r}× as much waiting as running")
        }
    }
}

fn ms(x: f64) -> String {
    fmt_duration(from_ms(x))
}

// ---- the run, measured ----

/// A run and the quantities several findings share.
struct Run<'a> {
    r: &'a RunResult,
    s: &'a Scenario,
    cfg: ServerConfig,
    /// First send to the end of the last activity (ns).
    span: f64,
    /// Time the timeline went on after the last response or failure (ns).
    after_last_response: Nanos,
    /// Event-loop workers.
    loops: usize,
}

impl<'a> Run<'a> {
    fn new(r: &'a RunResult) -> Run<'a> {
        let s = &r.scenario;
        let cfg = s.server.resolve();
        let first_sent = r.requests.iter().map(|q| q.sent).min().unwrap_or(0);
        let makespan = from_ms(r.summary.makespan_ms);
        let last_answer = first_sent + makespan;
        let timeline_end = r.segments.iter().map(|g| g.end).max().unwrap_or(0);
        let end = timeline_end.max(last_answer);
        let loops = r.workers.iter().filter(|w| w.loop_stats.is_some()).count();
        Run {
            r,
            s,
            cfg,
            span: (end - first_sent.min(end)).max(1) as f64,
            after_last_response: timeline_end.saturating_sub(last_answer),
            loops,
        }
    }

    fn kind(&self) -> ServerKind {
        self.cfg.kind
    }

    /// The step an activity stands for.
    fn step_of(&self, act: u16) -> Option<&'a Step> {
        let a = self.r.activities.get(act as usize)?;
        step_at(self.s, a.path.as_deref()?)
    }

    fn in_background(&self, act: u16) -> bool {
        self.r
            .activities
            .get(act as usize)
            .is_some_and(|a| a.origin == Origin::Background)
    }

    /// How to name an activity in text: its label as code, or what it is.
    fn name(&self, act: u16) -> String {
        match self.step_of(act) {
            Some(st) => step_name(st),
            None => self
                .r
                .activities
                .get(act as usize)
                .map_or_else(|| "server work".to_string(), |a| a.label.clone()),
        }
    }

    /// Per-activity totals of an event-loop measure, summed over workers, largest first.
    fn loop_totals(&self, pick: impl Fn(&LoopStats) -> &Vec<(u16, Nanos)>) -> Vec<(u16, Nanos)> {
        let mut m: BTreeMap<u16, Nanos> = BTreeMap::new();
        for w in &self.r.workers {
            if let Some(ls) = &w.loop_stats {
                for &(act, ns) in pick(ls) {
                    *m.entry(act).or_default() += ns;
                }
            }
        }
        let mut v: Vec<(u16, Nanos)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    fn loop_lag_max(&self) -> Nanos {
        self.r
            .workers
            .iter()
            .filter_map(|w| w.loop_stats.as_ref().map(|l| l.lag_max))
            .max()
            .unwrap_or(0)
    }

    /// "The event loop" or "The 4 event loops".
    fn the_loops(&self) -> String {
        if self.loops <= 1 {
            "The event loop".to_string()
        } else {
            format!("The {} event loops", self.loops)
        }
    }

    /// Time segments spent per (lane kind, state, activity), when the timeline is complete.
    fn segment_totals(&self) -> Option<HashMap<(LaneKind, ThreadState, u16), Nanos>> {
        if self.r.segments_dropped > 0 || self.r.segments.is_empty() {
            return None;
        }
        let mut m = HashMap::new();
        for g in &self.r.segments {
            let kind = self.r.lanes.get(g.lane as usize).map(|l| l.kind)?;
            *m.entry((kind, g.state, g.activity)).or_default() += g.end - g.start;
        }
        Some(m)
    }

    fn workers_flag(&self, n: u32) -> String {
        match self.kind() {
            ServerKind::Uvicorn => format!("`uvicorn main:app --workers {n}`"),
            ServerKind::GunicornUvicorn => {
                format!("`gunicorn -w {n} -k uvicorn.workers.UvicornWorker main:app`")
            }
            ServerKind::GunicornSync => format!("`gunicorn -w {n} app:app`"),
            ServerKind::GunicornGthread => format!(
                "`gunicorn -w {n} -k gthread --threads {} app:app`",
                self.cfg.threads
            ),
            ServerKind::FlaskDev | ServerKind::Waitress => {
                format!("a multi-process server such as `gunicorn -w {n} app:app`")
            }
        }
    }

    fn requests_sent(&self) -> u64 {
        self.r.requests_sent.max(1)
    }

    // ---- (a) a blocking call on the event loop ----

    fn loop_blocked(&self, out: &mut Vec<Finding>) {
        if self.loops == 0 {
            return;
        }
        let by = self.loop_totals(|l| &l.blocked_by);
        let total: Nanos = by.iter().map(|x| x.1).sum();
        let Some(&(top, top_ns)) = by.first() else {
            return;
        };
        if total == 0 {
            return;
        }
        let cap = self.span * self.loops as f64;
        let frac = (total as f64 / cap).min(1.0);
        let top_frac = (top_ns as f64 / cap).min(1.0);
        let long_call = by.iter().any(|&(a, _)| {
            self.step_of(a)
                .is_some_and(|st| st.duration.mean_ms() >= 50.0)
        });
        let severity = if frac >= 0.1 || long_call {
            Severity::Problem
        } else {
            Severity::Warning
        };
        let bg = self.in_background(top);
        let inside = if bg {
            "an `async def` background task"
        } else {
            "`async def`"
        };
        let how_much = if self.loops > 1 {
            // The most blocked loop, and the average over all of them.
            let worst = self
                .r
                .workers
                .iter()
                .filter_map(|w| w.loop_stats.as_ref())
                .map(|l| l.blocked_by.iter().map(|x| x.1).sum::<Nanos>())
                .max()
                .unwrap_or(0);
            format!(
                "were blocked up to {} of the time ({} on average)",
                fmt_percent((worst as f64 / self.span).min(1.0)),
                fmt_percent(frac)
            )
        } else {
            format!("was blocked {} of the time", fmt_percent(frac))
        };
        let title = format!(
            "{} {how_much} by {} inside {inside}",
            self.the_loops(),
            self.name(top),
        );
        let mut detail = format!(
            "{} is a blocking call: it holds the event loop's only thread for as long as it runs ({} in all, over a {} run), so meanwhile no other request can be accepted, parsed or resumed.",
            capital(&self.name(top)),
            fmt_duration(top_ns),
            fmt_duration(self.span as Nanos),
        );
        if top_frac < frac {
            let others: Vec<String> = by
                .iter()
                .skip(1)
                .take(3)
                .map(|&(a, ns)| format!("{} ({})", self.name(a), fmt_duration(ns)))
                .collect();
            detail.push_str(&format!(" Other blocking calls: {}.", others.join(", ")));
        }
        let lag = self.loop_lag_max();
        if lag >= from_ms(1.0) {
            detail.push_str(&format!(
                " Work that was ready waited up to {} for the loop.",
                fmt_duration(lag)
            ));
        }
        let fix = if bg {
            "Declare the background task with plain `def`: Starlette then runs it in the threadpool, off the loop. Or use an awaitable equivalent (`await asyncio.sleep(…)`, an async driver such as asyncpg or httpx.AsyncClient).".to_string()
        } else {
            "Use an awaitable equivalent (`await asyncio.sleep(…)`, an async driver such as asyncpg or httpx.AsyncClient), or wrap the call in `await run_in_threadpool(…)`; or make the route a plain `def` so FastAPI runs it in its threadpool.".to_string()
        };
        out.push(Finding {
            id: ids::LOOP_BLOCKED.to_string(),
            severity,
            title,
            detail,
            fix: Some(fix),
        });
    }

    // ---- (b) CPU-bound handler code on the event loop ----

    fn loop_cpu(&self, out: &mut Vec<Finding>) {
        if self.loops == 0 {
            return;
        }
        let by: Vec<(u16, Nanos)> = self
            .loop_totals(|l| &l.cpu_by)
            .into_iter()
            .filter(|&(a, _)| a >= ACT_FIRST_STEP)
            .collect();
        let total: Nanos = by.iter().map(|x| x.1).sum();
        let Some(&(top, _)) = by.first() else {
            return;
        };
        let frac = (total as f64 / (self.span * self.loops as f64)).min(1.0);
        let longest_ms = by
            .iter()
            .filter_map(|&(a, _)| self.step_of(a))
            .map(|st| st.duration.mean_ms())
            .fold(0.0, f64::max);
        let severity = if (longest_ms >= 100.0 && frac >= 0.05) || frac >= 0.25 {
            Severity::Problem
        } else if frac >= 0.1 || longest_ms >= 20.0 {
            Severity::Warning
        } else {
            return;
        };
        let title = format!(
            "CPU-bound work in `async def` blocks the loop: {} ran on it {} of the time",
            self.name(top),
            fmt_percent(frac)
        );
        let mut detail = format!(
            "Python code that does not `await` keeps the event loop's thread until it is done: {} of handler CPU ran on the loop{}, and no other request made progress meanwhile.",
            fmt_duration(total),
            if longest_ms >= 1.0 {
                format!(", up to {} at a time per call", ms(longest_ms))
            } else {
                String::new()
            }
        );
        let lag = self.loop_lag_max();
        if lag >= from_ms(1.0) {
            detail.push_str(&format!(
                " Work that was ready waited up to {} for the loop.",
                fmt_duration(lag)
            ));
        }
        let fix = format!(
            "Run it in a process pool: `await loop.run_in_executor(process_pool, fn, …)` with a module-level `ProcessPoolExecutor` (each process has its own GIL and core), or run more workers ({}). Moving it to the threadpool (`def`, `run_in_threadpool`) frees the loop but, under the GIL, not the CPU.",
            self.workers_flag(self.cfg.cores.max(2))
        );
        out.push(Finding {
            id: ids::LOOP_CPU.to_string(),
            severity,
            title,
            detail,
            fix: Some(fix),
        });
    }

    // ---- (c) AnyIO's threadpool ----

    fn threadpool_saturated(&self, out: &mut Vec<Finding>) {
        if self.cfg.runtime != Runtime::EventLoop {
            return;
        }
        let waits: u64 = self.r.workers.iter().map(|w| w.pool_waits).sum();
        if waits == 0 {
            return;
        }
        let peak_q = self
            .r
            .workers
            .iter()
            .map(|w| w.pool_peak_waiting)
            .max()
            .unwrap_or(0);
        let peak_busy = self
            .r
            .workers
            .iter()
            .map(|w| w.pool_peak_busy)
            .max()
            .unwrap_or(0);
        let t = self.cfg.threads;
        // Who takes tokens: only the `def` route, or other calls too?
        let h = &self.s.handler;
        let offloads = h.steps.iter().any(|x| x.offload == Offload::Threadpool)
            || h.background.iter().any(|b| {
                b.route == Route::Def || b.steps.iter().any(|x| x.offload == Offload::Threadpool)
            });
        let what = if h.route == Route::Def && !offloads {
            count(waits, "request", "requests")
        } else {
            count(
                waits,
                "threadpool call (def route, run_in_threadpool or sync background task)",
                "threadpool calls (def routes, run_in_threadpool, sync background tasks)",
            )
        };
        let per = if self.cfg.workers > 1 {
            " per worker"
        } else {
            ""
        };
        let title = format!(
            "The {t}-token threadpool was saturated: {what} waited for a token (peak queue {peak_q})"
        );
        let mut detail = format!(
            "FastAPI runs `def` routes, `run_in_threadpool` calls and sync background tasks on AnyIO's threadpool, at most {t} at a time{per}; {} were busy at the peak. The others queued for a token, and their latency includes the wait.",
            if peak_busy >= t { format!("all {t}") } else { peak_busy.to_string() }
        );
        let (blocked, python) = self.lane_split(LaneKind::Threadpool);
        let fix = if python > blocked {
            detail.push_str(&format!(
                " The pool's threads mostly ran Python or waited for the GIL ({} of {} busy time), so more tokens would not add throughput.",
                fmt_duration(python),
                fmt_duration(python + blocked)
            ));
            format!(
                "Move the CPU-bound work to processes: a `ProcessPoolExecutor`, or more workers ({}).",
                self.workers_flag(self.cfg.cores.max(2))
            )
        } else {
            detail.push_str(&format!(
                " The threads spent {} of their busy time blocked in calls (GIL released): they were waiting, not computing.",
                fmt_percent(blocked as f64 / (blocked + python).max(1) as f64)
            ));
            format!(
                "Raise the limit at startup (`anyio.to_thread.current_default_thread_limiter().total_tokens = {}` in a lifespan hook), or use awaitable I/O (`await` an async driver) so the waits need no thread at all.",
                t as u64 + peak_q as u64
            )
        };
        let severity = if waits * 10 >= self.requests_sent() {
            Severity::Problem
        } else {
            Severity::Warning
        };
        out.push(Finding {
            id: ids::THREADPOOL_SATURATED.to_string(),
            severity,
            title,
            detail,
            fix: Some(fix),
        });
    }

    /// Busy time of the lanes of one kind: (blocked + waiting, CPU + GIL and core waits).
    fn lane_split(&self, kind: LaneKind) -> (Nanos, Nanos) {
        let mut blocked = 0;
        let mut python = 0;
        for (l, t) in self.r.lanes.iter().zip(&self.r.lane_totals) {
            if l.kind == kind {
                blocked += t.blocked + t.wait;
                python += t.cpu + t.gil_wait + t.core_wait;
            }
        }
        (blocked, python)
    }

    // ---- (d) the GIL ----

    fn gil_contention(&self, out: &mut Vec<Finding>) {
        if !self.cfg.gil {
            return;
        }
        let mut wait: Nanos = 0;
        let mut cpu: Nanos = 0;
        for (l, t) in self.r.lanes.iter().zip(&self.r.lane_totals) {
            if l.kind != LaneKind::ProcessPool {
                wait += t.gil_wait;
                cpu += t.cpu;
            }
        }
        if wait < from_ms(50.0) || (wait as f64) < 0.25 * cpu as f64 {
            return;
        }
        // What the waiting threads were about to run.
        let top = match self.segment_totals() {
            Some(m) => {
                let mut by: BTreeMap<u16, Nanos> = BTreeMap::new();
                for ((_, state, act), ns) in m {
                    if state == ThreadState::GilWait {
                        *by.entry(act).or_default() += ns;
                    }
                }
                by.into_iter()
                    .max_by_key(|&(a, ns)| (ns, std::cmp::Reverse(a)))
                    .map(|x| x.0)
            }
            None => None,
        };
        let step_top = match top {
            Some(a) if a >= ACT_FIRST_STEP => Some(a),
            Some(_) => None,
            // No timeline: a CPU step that runs on a thread.
            None => self.threaded_cpu_step(),
        };
        let ratio = wait as f64 / cpu.max(1) as f64;
        let (severity, title, detail) = match step_top {
            Some(a) => (
                Severity::Problem,
                format!(
                    "CPU-bound work in threads is serialised by the GIL: {} waited for it",
                    fmt_duration(wait)
                ),
                format!(
                    "Only one thread per process runs Python at a time. Threads running {} spent {} waiting for the GIL while {} of Python ran: {}. Requests running it at the same time share one core's worth of time and each takes longer.",
                    self.name(a),
                    fmt_duration(wait),
                    fmt_duration(cpu),
                    times(ratio)
                ),
            ),
            None => (
                Severity::Warning,
                format!(
                    "The GIL serialises the server's threads: they waited {} for it",
                    fmt_duration(wait)
                ),
                format!(
                    "The server's own per-request Python (accepting, parsing, routing, writing) runs one thread at a time per process: threads spent {} waiting for the GIL{} while {} of Python ran: {}. The GIL, not the machine's {} cores, limits throughput.",
                    fmt_duration(wait),
                    top.map_or_else(String::new, |a| format!(" (mostly to run \"{}\")", self.name(a))),
                    fmt_duration(cpu),
                    times(ratio),
                    self.cfg.cores
                ),
            ),
        };
        let fix = format!(
            "Use processes: more workers ({}){}; or a free-threaded Python (3.13t / 3.14t), where threads run Python in parallel.",
            self.workers_flag(self.cfg.cores.max(2)),
            if step_top.is_some() && self.kind().is_asgi() {
                " or a `ProcessPoolExecutor` for the CPU-bound step"
            } else {
                ""
            }
        );
        out.push(Finding {
            id: ids::GIL_CONTENTION.to_string(),
            severity,
            title,
            detail,
            fix: Some(fix),
        });
    }

    /// A CPU step that runs on a thread (not the loop, not a process pool).
    fn threaded_cpu_step(&self) -> Option<u16> {
        (ACT_FIRST_STEP..self.r.activities.len() as u16).find(|&a| {
            let Some(st) = self.step_of(a) else {
                return false;
            };
            if st.kind != StepKind::Cpu || st.offload == Offload::ProcessPool {
                return false;
            }
            let path = self.r.activities[a as usize].path.as_deref().unwrap_or("");
            let route = if let Some(b) = background_index(path) {
                self.s.handler.background.get(b).map(|b| b.route)
            } else {
                Some(self.s.handler.route)
            };
            !self.kind().is_asgi() || route == Some(Route::Def) || st.offload == Offload::Threadpool
        })
    }

    // ---- (e) the listen backlog ----

    fn syn_drops(&self, out: &mut Vec<Finding>) {
        let drops = self.r.summary.syn_drops;
        if drops == 0 {
            return;
        }
        let b = self.cfg.backlog;
        let retried: Vec<u8> = self
            .r
            .requests
            .iter()
            .map(|q| q.syn_retries)
            .filter(|&n| n > 0)
            .collect();
        let complete = self.r.requests.len() as u64 == self.r.requests_sent;
        let title = if complete && !retried.is_empty() {
            format!(
                "{} found the listen backlog ({b}) full; clients retried after 1 s, 3 s…",
                count(retried.len() as u64, "connection", "connections")
            )
        } else {
            format!(
                "{} dropped: the listen backlog ({b}) was full; clients retried after 1 s, 3 s…",
                count(drops, "SYN was", "SYNs were")
            )
        };
        let mut detail = format!(
            "The kernel queues at most {} handshaken connections until the server accepts them; it dropped {} beyond that. A client whose SYN is dropped retransmits it {} after its first try (TCP's exponential backoff), so each of those requests took at least 1 s longer.",
            b + 1,
            count(drops, "SYN", "SYNs"),
            crate::listen::SYN_RETRY_S
                .iter()
                .take(3)
                .map(|s| format!("{s} s"))
                .collect::<Vec<_>>()
                .join(", ")
                + ", …"
        );
        if !retried.is_empty() {
            let max = retried.iter().copied().max().unwrap_or(1);
            let mut parts = Vec::new();
            for k in 1..=max {
                let n = retried.iter().filter(|&&x| x == k).count() as u64;
                if n > 0 {
                    parts.push(format!(
                        "{} retried {}",
                        n,
                        if k == 1 {
                            "once".to_string()
                        } else {
                            format!("{k} times")
                        }
                    ));
                }
            }
            detail.push_str(&format!(" {}.", capital(&parts.join(", "))));
        }
        let s = &self.r.summary;
        if s.completed > 0 {
            detail.push_str(&format!(
                " Latency: median {}, p99 {}, longest {}.",
                ms(s.p50_ms),
                ms(s.p99_ms),
                ms(s.max_ms)
            ));
        }
        let fix = match self.kind() {
            ServerKind::FlaskDev => "Flask's development server is not made for this load (werkzeug listens with a backlog of 128 and starts a thread per connection): serve the app with gunicorn or waitress. Or send fewer connections at once.".to_string(),
            k => format!(
                "Raise the backlog ({}; Linux caps it at net.core.somaxconn), add workers so connections are accepted sooner, or send fewer connections at once.",
                match k {
                    ServerKind::Waitress => format!("`--backlog={}`", (b * 4).max(2048)),
                    _ => format!("`--backlog {}`", (b * 4).max(2048)),
                }
            ),
        };
        out.push(Finding {
            id: ids::SYN_DROPS.to_string(),
            severity: Severity::Problem,
            title,
            detail,
            fix: Some(fix),
        });
    }

    // ---- (f) cores left idle ----

    fn idle_cores(&self, out: &mut Vec<Finding>) {
        let (w, k) = (self.cfg.workers, self.cfg.cores);
        if w >= k {
            return;
        }
        // How busy each worker's one-core resource was: its GIL, or (free-threaded) its loop.
        let util = if self.cfg.gil {
            let held: Nanos = self.r.workers.iter().map(|x| x.gil_held).sum();
            if held < from_ms(50.0) {
                return;
            }
            held as f64 / (self.span * w as f64)
        } else if self.cfg.runtime == Runtime::EventLoop {
            let cpu = self.lanes_total(LaneKind::EventLoop, |t| t.cpu);
            if cpu < from_ms(50.0) {
                return;
            }
            cpu as f64 / (self.span * w as f64)
        } else {
            return;
        };
        if util < 0.6 || self.r.summary.cores_utilisation > 0.75 {
            return;
        }
        let idle = k - w;
        let what = if self.cfg.gil { "GIL" } else { "event loop" };
        let title = if w == 1 {
            format!("1 worker uses at most one core: {idle} of {k} cores sat idle")
        } else {
            format!("{w} workers use at most {w} cores: {idle} of {k} cores sat idle")
        };
        let detail = format!(
            "Each worker process runs Python on one core at a time (one {what} per process); {} {what} was busy {} of the run, so it is the bottleneck, while the machine's cores were {} used in all.",
            if w == 1 { "its" } else { "each" },
            fmt_percent(util.min(1.0)),
            fmt_percent(self.r.summary.cores_utilisation),
        );
        let fix = format!("Run one worker per core: {}.", self.workers_flag(k));
        out.push(Finding {
            id: ids::IDLE_CORES.to_string(),
            severity: Severity::Warning,
            title,
            detail,
            fix: Some(fix),
        });
    }

    fn cores_busy(&self, out: &mut Vec<Finding>) {
        // Over every completed request, kept or not (the summary's streamed split).
        let split = &self.r.summary.time_split_ns;
        let wait = split.core_wait;
        let share = wait as f64 / split.total().max(1) as f64;
        if wait < from_ms(50.0) || share < 0.1 {
            return;
        }
        let k = self.cfg.cores;
        let cores = if k == 1 {
            "1 core".to_string()
        } else {
            format!("{k} cores")
        };
        let title = match self.most_wanting_a_core() {
            Some(n) => format!(
                "Requests spent {} of their time waiting for a core: up to {n} threads wanted {cores}",
                fmt_percent(share)
            ),
            None => format!(
                "Requests spent {} of their time waiting for a core ({cores})",
                fmt_percent(share)
            ),
        };
        // The load generator's own CPU, when it runs on these cores.
        let client = self.lanes_total(LaneKind::Client, |t| t.cpu);
        let client_share = client as f64 / (self.span * k as f64);
        let mut detail = format!(
            "Linux runs one thread at a time on a core. A runnable thread (holding its GIL, if it has one) waits for its turn, and a turn lasts until the scheduler tick after the running thread's slice (ticks every 4 ms). The cores were {} busy. Taking turns adds no capacity: it only moves time from one request to another.",
            fmt_percent(self.r.summary.cores_utilisation),
        );
        if client > 0 {
            detail.push_str(&format!(
                " The load generator ran on these cores too: {} of their time.",
                fmt_percent(client_share)
            ));
        }
        let fix = if client_share >= 0.1 {
            "Run the load generator on another machine, or give this one more cores.".to_string()
        } else if self.cfg.workers > k {
            format!(
                "Run at most one CPU-busy worker per core ({}), or give the machine more cores.",
                self.workers_flag(k)
            )
        } else {
            format!("More CPU-bound threads or processes than cores only take turns: keep them to {k}, or give the machine more cores.")
        };
        out.push(Finding {
            id: ids::CORES_BUSY.to_string(),
            severity: if share >= 0.25 {
                Severity::Problem
            } else {
                Severity::Warning
            },
            title,
            detail,
            fix: Some(fix),
        });
    }

    /// The most threads running or waiting for a core at one instant (from the timeline).
    fn most_wanting_a_core(&self) -> Option<usize> {
        if self.r.segments_dropped > 0 || self.r.segments.is_empty() {
            return None;
        }
        Some(most_at_once(
            self.r
                .segments
                .iter()
                .filter(|g| matches!(g.state, ThreadState::Cpu | ThreadState::CoreWait))
                .map(|g| (g.start, g.end)),
        ))
    }

    /// A time total (`f` of their totals) over the lanes of one kind.
    fn lanes_total(&self, kind: LaneKind, f: impl Fn(&LaneTotals) -> Nanos) -> Nanos {
        self.r
            .lanes
            .iter()
            .zip(&self.r.lane_totals)
            .filter(|(l, _)| l.kind == kind)
            .map(|(_, t)| f(t))
            .sum()
    }

    // ---- (g) failures ----

    fn worker_killed(&self, out: &mut Vec<Finding>) {
        let kills: u64 = self.r.workers.iter().map(|w| w.killed as u64).sum();
        let failed = self.r.summary.failed_worker_killed;
        if kills == 0 && failed == 0 {
            return;
        }
        let timeout = self
            .cfg
            .worker_timeout
            .map_or_else(|| "worker".to_string(), fmt_duration);
        let title = format!(
            "gunicorn killed a worker{} after its {timeout} timeout: {} failed",
            if kills == 1 {
                String::new()
            } else {
                format!(" {kills} times")
            },
            count(failed, "request", "requests"),
        );
        let culprit = self.longest_blocking_step();
        let mut detail = match self.cfg.runtime {
            Runtime::EventLoop => format!(
                "A uvicorn worker's heartbeat comes from its event loop; a loop blocked for {timeout}{} looks hung to gunicorn's arbiter, which kills the worker.",
                culprit.map_or(String::new(), |st| format!(" (by {})", step_name(st)))
            ),
            _ => format!(
                "A sync worker sends its heartbeat between requests, so a request running longer than `--timeout` ({timeout}) gets its worker killed{}.",
                culprit.map_or(String::new(), |st| format!("; here {} takes {}", step_name(st), ms(st.duration.mean_ms())))
            ),
        };
        detail.push_str(&format!(
            " Every request the worker held fails with it, and its replacement needs {} to boot.",
            fmt_duration(self.cfg.restart)
        ));
        let fix = match self.cfg.runtime {
            Runtime::EventLoop => "Do not block the event loop (await, or run the call in the threadpool); raise `--timeout` only if long blocking is expected.".to_string(),
            _ => "Raise `--timeout` above the longest request, or move long work out of the request (a task queue); `-k gthread` workers keep beating while their threads work.".to_string(),
        };
        out.push(Finding {
            id: ids::WORKER_KILLED.to_string(),
            severity: Severity::Problem,
            title,
            detail,
            fix: Some(fix),
        });
    }

    /// The step with the longest mean duration that runs where the heartbeat comes from.
    fn longest_blocking_step(&self) -> Option<&'a Step> {
        let h = &self.s.handler;
        let on_loop = self.cfg.runtime == Runtime::EventLoop;
        let mut cands: Vec<&Step> = Vec::new();
        let blocks = |st: &Step| st.kind != StepKind::AwaitIo && st.offload == Offload::None;
        if !on_loop || h.route == Route::AsyncDef {
            cands.extend(h.steps.iter().filter(|s| blocks(s)));
        }
        if on_loop {
            for b in h.background.iter().filter(|b| b.route == Route::AsyncDef) {
                cands.extend(b.steps.iter().filter(|s| blocks(s)));
            }
        }
        cands
            .into_iter()
            .max_by(|a, b| a.duration.mean_ms().total_cmp(&b.duration.mean_ms()))
    }

    fn client_timeouts(&self, out: &mut Vec<Finding>) {
        let n = self.r.summary.failed_client_timeout;
        if n == 0 {
            return;
        }
        let t = self
            .s
            .load
            .timeout()
            .map_or_else(|| "its timeout".to_string(), fmt_duration);
        out.push(Finding {
            id: ids::CLIENT_TIMEOUTS.to_string(),
            severity: Severity::Problem,
            title: format!(
                "{} ({}) timed out: the client gave up after {t}",
                count(n, "request", "requests"),
                fmt_percent(n as f64 / self.requests_sent() as f64)
            ),
            detail: "The server does not know the client left: it still finished those requests, and its answers were thrown away, so they cost as much as answered ones.".to_string(),
            fix: Some("Remove what delays them (see the other findings); raise the client timeout only if such latencies are expected.".to_string()),
        });
    }

    fn connect_failures(&self, out: &mut Vec<Finding>) {
        let n = self.r.summary.failed_connect;
        if n == 0 {
            return;
        }
        out.push(Finding {
            id: ids::CONNECT_FAILURES.to_string(),
            severity: Severity::Problem,
            title: format!(
                "{} never connected: every SYN was dropped for {} s",
                count(n, "request", "requests"),
                crate::listen::SYN_GIVE_UP_S
            ),
            detail: format!(
                "The listen backlog ({}) stayed full for as long as the client kept retrying, so it gave up connecting.",
                self.cfg.backlog
            ),
            fix: Some("Accept connections faster (more workers, a faster handler) or raise the backlog; send fewer connections at once.".to_string()),
        });
    }

    fn gc_pauses(&self, out: &mut Vec<Finding>) {
        if self.cfg.gc.is_none() {
            return;
        }
        let g = crate::record::GcTotals::of(&self.r.workers);
        let (n, total, longest) = (g.collections, g.pause_total, g.pause_max);
        if n.iter().sum::<u64>() == 0 {
            return;
        }
        let young = count(n[0] + n[1], "young collection", "young collections");
        let (severity, title, detail) = if n[2] > 0 {
            (
                Severity::Warning,
                format!(
                    "{} of the whole heap stopped a worker for up to {}",
                    count(n[2], "full garbage collection", "full garbage collections"),
                    fmt_duration(longest)
                ),
                format!(
                    "CPython collects its oldest generation once a quarter of the heap has been promoted since the last full collection: it examines every object of the process with the GIL held, so no thread of that worker runs meanwhile and the requests in flight are answered that much later. Besides: {young}, {} of pauses in all.",
                    fmt_duration(total)
                ),
            )
        } else {
            (
                Severity::Info,
                format!(
                    "The garbage collector paused the workers {} in all ({young})",
                    fmt_duration(total)
                ),
                format!(
                    "Young collections examine only the objects allocated since the last one: the longest took {}.",
                    fmt_duration(longest)
                ),
            )
        };
        out.push(Finding {
            id: ids::GC_PAUSES.to_string(),
            severity,
            title,
            detail,
            fix: (n[2] > 0).then(|| "Call `gc.freeze()` once the app has started (its long-lived heap then leaves the collector's generations), allocate fewer objects per request, or raise `gc.set_threshold(...)` to collect less often.".to_string()),
        });
    }

    fn fd_table_grown(&self, out: &mut Vec<Finding>) {
        let waited: Vec<&crate::record::WorkerStats> = self
            .r
            .workers
            .iter()
            .filter(|w| w.fd_grow_wait > 0)
            .collect();
        if waited.is_empty() {
            return;
        }
        let total: Nanos = waited.iter().map(|w| w.fd_grow_wait).sum();
        let longest = waited.iter().map(|w| w.fd_grow_wait).max().unwrap_or(0);
        let workers = count(waited.len() as u64, "worker", "workers");
        out.push(Finding {
            id: ids::FD_TABLE_GROWN.to_string(),
            severity: Severity::Info,
            title: format!(
                "A full descriptor table held up the accept() of {workers} for {} in all",
                fmt_duration(total)
            ),
            detail: format!(
                "Each connection holds a descriptor of its worker, and every accept() takes one first. When a worker's table was full, Linux grew it, and as other threads of the process share the table it first waited for an RCU grace period: the accepting thread slept {} at most, and an event loop ran nothing meanwhile (while other workers took the connections that came). The table keeps its new size, so this happens once per size.",
                fmt_duration(longest)
            ),
            fix: Some("Grow the table while the worker still has one thread: at its start (gunicorn: a `post_fork` hook) `os.dup2(0, 1023); os.close(1023)` gives it 1024 slots at no wait.".to_string()),
        });
    }

    // ---- (h) the DB pool ----

    fn db_pool_waits(&self, out: &mut Vec<Finding>) {
        let waits: u64 = self.r.workers.iter().map(|w| w.db_waits).sum();
        if waits == 0 {
            return;
        }
        let size = self.s.handler.db_pool.unwrap_or(0);
        let peak = self
            .r
            .workers
            .iter()
            .map(|w| w.db_peak_waiting)
            .max()
            .unwrap_or(0);
        let w = self.cfg.workers;
        let held: Vec<String> = self
            .s
            .handler
            .steps
            .iter()
            .chain(
                self.s
                    .handler
                    .background
                    .iter()
                    .flat_map(|b| b.steps.iter()),
            )
            .filter(|s| s.hold_connection)
            .take(3)
            .map(step_name)
            .collect();
        let title = format!(
            "{} waited for one of the {size} database connections (peak queue {peak})",
            count(waits, "request", "requests")
        );
        let detail = format!(
            "A request holds a pool connection from its first `hold_connection` step to its last ({}); with {} per worker{}, at most {} requests hold one at once and the others queue.",
            held.join(", "),
            count(size as u64, "connection", "connections"),
            if w > 1 {
                format!(" and {w} workers")
            } else {
                String::new()
            },
            size as u64 * w as u64
        );
        let severity = if waits * 10 >= self.requests_sent() {
            Severity::Problem
        } else {
            Severity::Warning
        };
        out.push(Finding {
            id: ids::DB_POOL_WAITS.to_string(),
            severity,
            title,
            detail,
            fix: Some(format!(
                "Enlarge the pool (the database must accept workers × pool = {} connections), hold a connection only around the queries, or make the queries faster.",
                (size as u64 * 2).max(size as u64 + peak as u64) * w as u64
            )),
        });
    }

    // ---- (i) waitress / gthread pools ----

    fn pool_threads_busy(&self, out: &mut Vec<Finding>) {
        if !matches!(self.cfg.runtime, Runtime::ThreadPool { .. }) {
            return;
        }
        let t = self.cfg.threads;
        let Some(peak_q) = self
            .r
            .workers
            .iter()
            .filter(|w| w.pool_peak_busy >= t)
            .map(|w| w.pool_peak_waiting)
            .max()
        else {
            return;
        };
        if peak_q == 0 {
            return;
        }
        let server = match self.kind() {
            ServerKind::Waitress => "waitress",
            _ => "gthread",
        };
        let (blocked, python) = self.lane_split(LaneKind::Threadpool);
        let title = format!(
            "All {t} {server} threads were busy: up to {} queued for one",
            count(peak_q as u64, "request", "requests")
        );
        let mut detail = format!(
            "{} hands each request to one of {} per worker; when all are busy, requests wait in its task queue.",
            if server == "waitress" { "waitress" } else { "gunicorn's gthread worker" },
            count(t as u64, "thread", "threads"),
        );
        let fix = if blocked >= python {
            detail.push_str(&format!(
                " The threads spent {} of their busy time blocked in calls (GIL released), so more threads would serve more requests at once.",
                fmt_percent(blocked as f64 / (blocked + python).max(1) as f64)
            ));
            match self.kind() {
                ServerKind::Waitress => format!("Raise `--threads` (e.g. `--threads={}`).", t * 2),
                _ => format!(
                    "Raise `--threads` (e.g. `--threads {}`) or add workers.",
                    t * 2
                ),
            }
        } else {
            detail.push_str(&format!(
                " The threads mostly ran Python or waited for the GIL ({} of their busy time), so more threads would not help.",
                fmt_percent(python as f64 / (blocked + python).max(1) as f64)
            ));
            format!(
                "Add processes rather than threads: {}.",
                self.workers_flag(self.cfg.cores.max(2))
            )
        };
        out.push(Finding {
            id: ids::POOL_THREADS_BUSY.to_string(),
            severity: Severity::Warning,
            title,
            detail,
            fix: Some(fix),
        });
    }

    fn sync_workers_busy(&self, out: &mut Vec<Finding>) {
        if self.cfg.runtime != Runtime::Sync || self.r.requests.is_empty() {
            return;
        }
        let queued: Nanos = self.r.requests.iter().map(|q| q.split.queued).sum();
        let total: Nanos = self.r.requests.iter().map(|q| q.latency()).sum();
        if queued < from_ms(100.0) || (queued as f64) < 0.3 * total as f64 {
            return;
        }
        let w = self.cfg.workers;
        let (blocked, python) = self.lane_split(LaneKind::Sync);
        let fix = if blocked >= python {
            format!(
                "The workers mostly waited in blocking calls: use threads (`gunicorn -w {w} -k gthread --threads 8 app:app`) or more workers (`-w {}`).",
                w * 2
            )
        } else if w < self.cfg.cores {
            format!(
                "The workers were busy running Python: add workers up to the number of cores ({}).",
                self.workers_flag(self.cfg.cores)
            )
        } else {
            format!(
                "The workers were busy running Python, already at least one per core ({}): more would only take turns on the cores. Only less CPU per request, or more cores, would go faster.",
                self.cfg.cores
            )
        };
        out.push(Finding {
            id: ids::SYNC_WORKERS_BUSY.to_string(),
            severity: Severity::Warning,
            title: format!(
                "Requests spent {} of their time queued: {} one request at a time",
                fmt_percent(queued as f64 / total.max(1) as f64),
                if w == 1 {
                    "the only sync worker serves".to_string()
                } else {
                    format!("each of the {w} sync workers serves")
                }
            ),
            detail: format!(
                "A gunicorn sync worker handles one request from start to finish before accepting the next; the rest wait in the listen backlog ({} of queueing in all).",
                fmt_duration(queued)
            ),
            fix: Some(fix),
        });
    }

    /// gunicorn's sync workers wait after each response until the client closes
    /// (`server.close_linger`): a notable share of their time held that way.
    fn sync_close_linger(&self, out: &mut Vec<Finding>) {
        let n: u64 = self.r.workers.iter().map(|w| w.close_lingers).sum();
        let held: Nanos = self.r.workers.iter().map(|w| w.close_linger_total).sum();
        let (blocked, python) = self.lane_split(LaneKind::Sync);
        let busy = blocked + python;
        if n == 0 || held < from_ms(50.0) || (held as f64) < 0.1 * busy as f64 {
            return;
        }
        out.push(Finding {
            id: ids::SYNC_CLOSE_LINGER.to_string(),
            severity: Severity::Warning,
            title: format!(
                "The sync workers spent {} of their busy time waiting for clients to close",
                fmt_percent(held as f64 / busy.max(1) as f64)
            ),
            detail: format!(
                "gunicorn closes each connection gracefully: after the response it reads until the client closes, {} on average here, and only then takes the next connection. A client that is slow to read holds the worker.",
                fmt_duration(held / n)
            ),
            fix: Some(
                "Put a buffering proxy (nginx) in front of the sync workers, as gunicorn's docs advise: it reads each response at once and closes. Or use more workers.".to_string(),
            ),
        });
    }

    // ---- (j) background tasks ----

    fn background_tasks(&self, out: &mut Vec<Finding>) {
        if self.s.handler.background.is_empty() || !self.kind().is_asgi() {
            return;
        }
        let Some(m) = self.segment_totals() else {
            return;
        };
        let mut threads: Nanos = 0;
        let mut on_loop: Nanos = 0;
        let mut lanes = BTreeSet::new();
        for ((kind, state, act), ns) in &m {
            if !self.in_background(*act) || *state == ThreadState::Idle {
                continue;
            }
            match kind {
                LaneKind::EventLoop => on_loop += ns,
                _ => threads += ns,
            }
        }
        for g in &self.r.segments {
            if self.in_background(g.activity)
                && g.state != ThreadState::Idle
                && self.r.lanes[g.lane as usize].kind == LaneKind::Threadpool
            {
                lanes.insert(g.lane);
            }
        }
        if threads == 0 && on_loop == 0 {
            return;
        }
        let mut parts = Vec::new();
        if threads > 0 {
            parts.push(format!(
                "kept {} busy for {} in all",
                count(
                    lanes.len() as u64,
                    "threadpool thread",
                    "threadpool threads"
                ),
                fmt_duration(threads)
            ));
        }
        if on_loop > 0 {
            parts.push(format!("held the event loop for {}", fmt_duration(on_loop)));
        }
        let mut detail = "Starlette runs a response's background tasks after the response is sent, so the client does not wait for them; the server still does the work: a sync (`def`) task takes a threadpool thread and token, an `async def` one runs on the loop.".to_string();
        if self.after_last_response > 0 {
            detail.push_str(&format!(
                " They ran on for {} after the last response (the latency figures end at the responses).",
                fmt_duration(self.after_last_response)
            ));
        }
        out.push(Finding {
            id: ids::BACKGROUND_TASKS.to_string(),
            severity: Severity::Info,
            title: format!("Background tasks {}", parts.join(" and ")),
            detail,
            fix: None,
        });
    }

    // ---- (k) nothing wrong ----

    fn all_good(&self) -> Finding {
        let s = &self.r.summary;
        let peak = peak_overlap(self.r);
        let overlap = match peak {
            Some(p) if p > 1 => format!("; requests overlapped (up to {p} in flight at once)"),
            Some(_) => String::new(),
            None => String::new(),
        };
        let rps = if s.makespan_ms > 0.0 {
            s.completed as f64 / (s.makespan_ms / 1000.0)
        } else {
            0.0
        };
        let title = if s.cores_utilisation >= 0.7 && s.completed > 0 {
            format!(
                "No configuration problem: the {} cores were {} busy ({:.0} requests/s){overlap}",
                self.cfg.cores,
                fmt_percent(s.cores_utilisation),
                rps
            )
        } else if self.loops > 0 {
            let busy = self.lanes_total(LaneKind::EventLoop, LaneTotals::busy);
            let free = 1.0 - (busy as f64 / (self.span * self.loops as f64)).min(1.0);
            format!(
                "No bottleneck: {} free {} of the time{overlap}",
                if self.loops > 1 {
                    "the event loops were"
                } else {
                    "the event loop was"
                },
                fmt_percent(free)
            )
        } else {
            format!("No bottleneck found{overlap}")
        };
        let mut detail = if s.completed > 0 {
            format!(
                "{} answered, median {}, longest {}.",
                count(s.completed, "request", "requests"),
                ms(s.p50_ms),
                ms(s.max_ms)
            )
        } else {
            "No request was answered.".to_string()
        };
        let split = self
            .r
            .requests
            .iter()
            .fold(TimeSplit::default(), |mut a, q| {
                a.awaiting += q.split.awaiting;
                a.blocked += q.split.blocked;
                a.queued += q.split.queued;
                a.cpu += q.split.cpu + q.split.core_wait;
                a
            });
        let total = (split.awaiting + split.blocked + split.queued + split.cpu).max(1) as f64;
        if s.cores_utilisation >= 0.7 {
            detail.push_str(" The work is CPU-bound and every core did its share: only less CPU per request, or more cores, would go faster.");
        } else if split.awaiting as f64 > 0.5 * total {
            detail.push_str(
                " Requests spent their time awaiting I/O, which leaves the loop free for others.",
            );
        } else if split.blocked as f64 > 0.5 * total {
            detail.push_str(" Requests spent their time in blocking calls on their own threads (the GIL is released meanwhile), so they did not hold each other up.");
        }
        Finding {
            id: ids::ALL_GOOD.to_string(),
            severity: Severity::Info,
            title,
            detail,
            fix: None,
        }
    }
}

/// The most requests in flight at once, from the kept records (if all were kept).
fn peak_overlap(r: &RunResult) -> Option<u64> {
    if r.requests.is_empty() || r.requests.len() as u64 != r.requests_sent {
        return None;
    }
    let mut ev: Vec<(Nanos, i8)> = Vec::with_capacity(r.requests.len() * 2);
    for q in &r.requests {
        ev.push((q.sent, 1));
        ev.push((q.finished, -1));
    }
    // Ends before starts at the same instant.
    ev.sort_unstable();
    let (mut cur, mut peak) = (0i64, 0i64);
    for (_, d) in ev {
        cur += d as i64;
        peak = peak.max(cur);
    }
    Some(peak as u64)
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f != '`' => f.to_uppercase().collect::<String>() + c.as_str(),
        _ => s.to_string(),
    }
}

/// How to name a step: its label as code, or what it is.
fn step_name(st: &Step) -> String {
    match &st.label {
        Some(l) => format!("`{}`", l.replace('`', "'")),
        None => {
            let what = match (st.kind, st.offload) {
                (StepKind::Cpu, _) => "CPU work",
                (StepKind::BlockingIo, _) => "a blocking call",
                (StepKind::AwaitIo, _) => "awaited I/O",
            };
            format!("{what} ({})", st.duration.describe())
        }
    }
}

/// Index of the background task in a path like `handler.background[1].steps[0]`.
fn background_index(path: &str) -> Option<usize> {
    let rest = path.strip_prefix("handler.background[")?;
    rest[..rest.find(']')?].parse().ok()
}

/// The step at a path like `handler.steps[2]` or `handler.background[1].steps[0]`.
fn step_at<'s>(s: &'s Scenario, path: &str) -> Option<&'s Step> {
    let index = |p: &str| -> Option<usize> {
        let open = p.rfind('[')?;
        p[open + 1..p.len().checked_sub(1)?].parse().ok()
    };
    if let Some(b) = background_index(path) {
        return s.handler.background.get(b)?.steps.get(index(path)?);
    }
    if path.starts_with("handler.steps[") {
        return s.handler.steps.get(index(path)?);
    }
    None
}
