//! The machine's cores, as Linux's scheduler runs them: one run queue per core.
//!
//! Every runnable CPU job (a GIL holder running Python, a free-threaded thread, a process-pool
//! worker, a share of a server cost made in the kernel) sits on one core's run queue. A core
//! runs one job at a time: the job that got it keeps it for its slice (`base_slice`, EEVDF with
//! RUN_TO_PARITY) and, while others wait, until the scheduler tick after that (`TICK`: Linux
//! notices an expired slice at its tick); then it goes to the back of the queue and the next
//! one runs. So two CPU-bound jobs on one core take turns of about a tick (4 ms, as measured
//! on this machine kind), not a half-speed share each, and a job that wakes onto a busy core:
//! - waits while the running job is within its slice, then until that tick;
//! - runs at once (the running job goes to the back) if the running job's slice has already
//!   run.
//!
//! A thread whose job ends and which starts its next one at the same instant never left its
//! core and keeps its turn. A thread that sleeps and wakes gets a new slice.
//!
//! Where a job runs (`select_task_rq_fair` and the load balancer, reduced to their rules):
//! - a thread that becomes runnable goes to its previous core if that core is idle, else to an
//!   idle core, else back to its previous core (a new thread: the least loaded core); a core
//!   whose job ended at this instant is not idle to another thread (the thread that ran there
//!   is still on it: it goes on at once, or sleeps after waking others), so a client woken by
//!   a server's response stays on its core;
//! - an idle core pulls work at once: from a core with two or more jobs, the waiting job that
//!   arrived last, but not a job whose thread had a core within the last `MIGRATION_COST`
//!   (0.5 ms: Linux's `task_hot`, its caches are still warm there); while only such jobs
//!   could move it tries again at each scheduler tick, and the third tick moves one anyway
//!   (`nr_balance_failed > cache_nice_tries`);
//! - while no core is idle the cores balance only every 32–64 ms (`busy_factor` 16 × the
//!   domain's 2–4 ms interval on two cores), by load averages (PELT: the time a thread was
//!   runnable, halving over 32 ms; a sleeping thread's load stays on its core, decaying). The
//!   least loaded core pulls from the most loaded if that one is overloaded (two or more jobs,
//!   and a load or utilisation average over its capacity by 17 %), unless it has spare
//!   capacity itself, its load is above the average, or, overloaded itself, the other's load
//!   is within 17 % of its own. It takes waiting jobs, the one that ran longest ago first,
//!   whose load fits the imbalance, that bound doubling with each failed attempt; a cache-hot
//!   one only after more than `cache_nice_tries` failures.
//!   So a busy machine moves few tasks and a placement holds for a while: under `ab -c 100`
//!   on four gunicorn sync workers and two cores, one worker has ab's core to itself from
//!   the first milliseconds until the loads have built up (~100–130 ms; 110–180 ms in runs
//!   traced with `perf sched`), and the tasks changed cores ~5 times in 2 000 requests (real
//!   ~20–30, most of them ab's).
//!
//! So `n` jobs on `K` cores get a whole core each when `n ≤ K`, and otherwise uneven shares
//! when `n` is not a multiple of `K`: four busy gunicorn sync workers and ab on two cores
//! cannot share them evenly.
//!
//! One job may run with priority (the load generator, ab): on its core it runs whenever it is
//! runnable and the core's running job pauses, as Linux runs a process waking from
//! `epoll_wait` ahead of CPU-bound ones, unless it owes its core time. EEVDF picks only an
//! eligible task, one whose lag (the average virtual time of its core's queue less its own)
//! is 0 or more; a task that ran while others waited has a negative lag, and pays it back
//! while they run, asleep too (`DELAY_DEQUEUE`). The client's lag is kept (`age_lag`); waking
//! with a negative lag onto a busy core it waits next in line until the running job sleeps or
//! its turn ends. So under `ab -c 100` on gunicorn's sync workers ab waits at 16–21 % of its
//! wake-ups onto a worker's core, ~330 µs (traced: 16–29 %, a median 341 µs). That is the
//! client in the server's task group (started from one session); from a session of its own
//! (Linux's autogroups) it weighs a whole share on its core and seldom waits (2 % traced):
//! not modelled.
//!
//! A core's speed may vary over time (`server.cpu_speed`: a VM whose host is shared, frequency
//! scaling): each core holds a speed factor for an exponentially distributed time, then draws a
//! new one, lognormal with mean 1, so the calibrated costs stay the average. Its running job
//! progresses at `speed`. Holds are memoryless, so an idle core draws afresh when work arrives.

use std::collections::VecDeque;

use crate::rng::Rng;
use crate::scenario::CpuSpeed;
use crate::time::{from_ms, Nanos};

/// Never (a core without speed changes).
const NEVER: Nanos = Nanos::MAX;

/// The scheduler tick: Linux checks at each tick whether the running task's slice has run out
/// (CONFIG_HZ = 250, as Debian's kernels; two CPU-bound processes on one core of this machine
/// kind take turns of 3.95 ms).
pub(crate) const TICK: Nanos = 4_000_000;

/// Linux's `sysctl_sched_migration_cost` (0.5 ms): the balancer leaves a task that ran more
/// recently than this where it is (`task_hot`: moving it would lose its warm caches).
pub(crate) const MIGRATION_COST: Nanos = 500_000;

/// PELT's time constant: a load or utilisation average halves over 32 periods of 1024 µs.
const PELT_TAU: f64 = 32.0 * 1_024_000.0 / std::f64::consts::LN_2;

/// Linux's `imbalance_pct` for cores sharing a cache (117 %): the margin by which a core's
/// load or utilisation must exceed its capacity, or another core's load, to count.
const IMBALANCE_PCT: f64 = 1.17;

/// The balancing interval of busy cores in a domain of `k` cores: `busy_factor` (16) times
/// `sd_weight` ms; it doubles, up to twice that, while the cores are found balanced.
fn busy_interval(k: u32) -> Nanos {
    16 * from_ms(f64::from(k))
}

/// Failed balancing attempts after which Linux moves a cache-hot task anyway
/// (`nr_balance_failed > cache_nice_tries`, 1 in a domain of cores sharing a cache).
const CACHE_NICE_TRIES: u32 = 1;

/// How busy a core counts for the balancer (`group_classify`), least busy first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Busy {
    Spare,
    Full,
    Overloaded,
}

/// One core's run queue.
struct Core {
    /// Its jobs in the order they get it: the first runs (unless the priority job is on it).
    queue: VecDeque<u32>,
    /// When the first job got the core, and when its turn ends if others wait (the first
    /// tick after its slice).
    picked: Nanos,
    turn_end: Nanos,
    /// The last job that ended at the front: its thread, when, and its turn (picked, end). A
    /// thread that goes on at that instant takes its turn back (`Cores::add`).
    ended: Option<(u32, Nanos, Nanos, Nanos)>,
    /// Work done per ns of time (1 unless the speed varies), and when it changes next.
    speed: f64,
    change_at: Nanos,
    /// The core's utilisation average (its busy time, decaying as PELT's), for the balancer.
    util: f64,
}

impl Default for Core {
    fn default() -> Core {
        Core {
            queue: VecDeque::new(),
            picked: 0,
            turn_end: 0,
            ended: None,
            speed: 1.0,
            change_at: NEVER,
            util: 0.0,
        }
    }
}

/// The varying speed of the cores: its settings and its own random stream.
struct SpeedNoise {
    rng: Rng,
    sigma: f64,
    hold_ns: f64,
}

impl SpeedNoise {
    /// A speed factor (lognormal, mean 1) and how long it holds (exponential, at least 1 ns).
    fn draw(&mut self) -> (f64, Nanos) {
        let speed = self.rng.next_lognormal_mean1(self.sigma);
        let hold = (-self.rng.next_open01().ln() * self.hold_ns).max(1.0);
        (speed, hold as Nanos)
    }
}

const NO_CORE: u32 = u32::MAX;

pub(crate) struct Cores {
    cores: Vec<Core>,
    last: Nanos,
    /// Per thread: the work its job has left (the running one's as of `last`), whether it
    /// runs, its work, its core (the last one it ran on when it does not run), and when its
    /// last job ended (a job it starts at that instant continues on its core).
    left: Vec<f64>,
    running: Vec<bool>,
    work: Vec<Nanos>,
    core: Vec<u32>,
    ended_at: Vec<Nanos>,
    /// Per thread: the last instant it had a core (`NEVER` before its first turn), for the
    /// balancer's cache-hot rule.
    ran_at: Vec<Nanos>,
    /// Per thread: its load average (the fraction of time it was runnable, decaying as
    /// Linux's PELT: halved over 32 ms) as of an instant.
    avg: Vec<(f64, Nanos)>,
    /// When the balancer tries again after finding only cache-hot jobs to move (the next
    /// tick), and how many ticks in a row it has failed so.
    retry: Option<Nanos>,
    failed: u32,
    /// Balancing while no core is idle: when it is due next, when it last ran, and its
    /// interval (from `busy_interval(k)` to twice that).
    busy_due: Option<Nanos>,
    busy_last: Nanos,
    busy_interval: Nanos,
    /// The scheduler's slice (`base_slice`), and where the ticks fall: at `phase + k · TICK`.
    slice: Nanos,
    phase: Nanos,
    /// The priority job, if one runs: its thread, when it finishes (real time) and its core;
    /// and since when its thread has run without a pause (its jobs following each other).
    prio: Option<(u32, Nanos, usize)>,
    prio_since: Nanos,
    /// The thread that runs priority jobs (once one has run), and its EEVDF lag in ns (the
    /// CPU time it is owed on its core, negative when it has had more than its share):
    /// waking with a negative lag onto a busy core it waits (`add_priority`).
    client: Option<u32>,
    lag: f64,
    /// Jobs on the cores (the priority one included), and whether any came or went since
    /// the last balancing.
    jobs: usize,
    moved: bool,
    /// Core-nanoseconds of capacity used (time integral of the cores running a job), for
    /// utilisation.
    pub busy: f64,
    /// Work delivered, job by job: a job's work when it finishes, the part done when it is
    /// taken off. Equals the work asked for once every job has ended.
    pub delivered: Nanos,
    /// Jobs that ran on another core than their thread's previous one (placed there on
    /// waking, or moved by the balancer): Linux's migrations (`se.nr_migrations`).
    pub migrations: u64,
    /// Generation of the scheduled tick; older ticks are ignored.
    pub gen: u64,
    /// Time of the currently scheduled tick, if any.
    pub scheduled: Option<Nanos>,
    noise: Option<SpeedNoise>,
    /// Whether any core's speed may differ from 1 (otherwise the hot paths skip speeds).
    varies: bool,
    /// What the simulation was last told (`turns`): per thread whether it runs (a job starts
    /// as running); and the threads that may have got or lost a core since.
    shown_on: Vec<bool>,
    touched: Vec<u32>,
}

impl Cores {
    /// `k` cores whose scheduler ticks fall at `phase` (below `TICK`) and every `TICK` after;
    /// with `speed` (and its random stream) their speed varies (the scenario passes it only
    /// for a sigma above 0: `Server::resolve`).
    pub fn new(k: u32, phase: Nanos, speed: Option<(&CpuSpeed, Rng)>) -> Cores {
        let mut noise = speed.map(|(s, rng)| SpeedNoise {
            rng,
            sigma: s.sigma,
            hold_ns: from_ms(s.hold_ms) as f64,
        });
        let cores = (0..k.max(1))
            .map(|_| {
                let mut core = Core::default();
                if let Some(n) = &mut noise {
                    (core.speed, core.change_at) = n.draw();
                }
                core
            })
            .collect();
        Cores {
            cores,
            last: 0,
            left: Vec::new(),
            running: Vec::new(),
            work: Vec::new(),
            core: Vec::new(),
            ended_at: Vec::new(),
            ran_at: Vec::new(),
            avg: Vec::new(),
            retry: None,
            failed: 0,
            busy_due: None,
            busy_last: 0,
            busy_interval: busy_interval(k.max(1)),
            slice: base_slice(k),
            phase: phase % TICK,
            prio: None,
            prio_since: 0,
            client: None,
            lag: 0.0,
            jobs: 0,
            moved: false,
            busy: 0.0,
            delivered: 0,
            migrations: 0,
            gen: 0,
            scheduled: None,
            varies: noise.is_some(),
            noise,
            shown_on: Vec::new(),
            touched: Vec::new(),
        }
    }

    /// Core `c` changes speed at `at`: a new factor and hold. The priority job's end moves
    /// with it (its work left is kept).
    fn redraw(&mut self, c: usize, at: Nanos) {
        let (speed, hold) = match &mut self.noise {
            Some(noise) => noise.draw(),
            None => (1.0, NEVER),
        };
        let core = &mut self.cores[c];
        let old = std::mem::replace(&mut core.speed, speed);
        core.change_at = at.saturating_add(hold);
        if let Some((t, end, pc)) = self.prio {
            if pc == c {
                let left = end.saturating_sub(at) as f64 * old;
                self.prio = Some((t, at + round_ns(left / speed), pc));
            }
        }
    }

    /// Core `c` gets work after being idle: a speed whose hold ended meanwhile is drawn anew
    /// (the holds are memoryless, so this is the speed it would have now).
    #[inline]
    fn freshen(&mut self, c: usize) {
        if self.varies && self.cores[c].change_at <= self.last && self.load(c) == 0 {
            self.redraw(c, self.last);
        }
    }

    fn prio_on(&self, c: usize) -> bool {
        matches!(self.prio, Some((_, _, pc)) if pc == c)
    }

    /// Jobs on core `c`, the priority job included.
    fn load(&self, c: usize) -> usize {
        self.cores[c].queue.len() + usize::from(self.prio_on(c))
    }

    /// The job core `c` runs (not the priority job), if any.
    #[inline]
    fn front(&self, c: usize) -> Option<u32> {
        if self.prio_on(c) {
            return None;
        }
        self.cores[c].queue.front().copied()
    }

    /// Runs core `c`'s front job for `dt` ns at the core's current speed.
    fn run_core(&mut self, c: usize, dt: Nanos) {
        if let Some(t) = self.front(c) {
            self.left[t as usize] -= dt as f64 * self.cores[c].speed;
        }
    }

    /// Brings the running jobs up to `now`, through any speed changes of the busy cores.
    #[inline]
    pub fn advance(&mut self, now: Nanos) {
        if now < self.last {
            return;
        }
        if !self.varies {
            // Every core at speed 1 (the hot path).
            if now == self.last {
                return;
            }
            self.decay_util(now - self.last);
            self.age_lag(now - self.last);
            if self.jobs > 0 {
                let dt = now - self.last;
                let mut used = 0usize;
                for c in 0..self.cores.len() {
                    if self.prio_on(c) {
                        used += 1;
                    } else if let Some(&t) = self.cores[c].queue.front() {
                        used += 1;
                        self.left[t as usize] -= dt as f64;
                    }
                }
                self.busy += dt as f64 * used as f64;
            }
            self.last = now;
            return;
        }
        self.advance_varying(now);
    }

    /// `advance` when speeds vary: each busy core runs through its speed changes up to `now`
    /// (at `now == last` only a change due now remains to be made). Kept out of line so that
    /// the constant-speed path stays small.
    #[inline(never)]
    fn advance_varying(&mut self, now: Nanos) {
        self.decay_util(now - self.last);
        self.age_lag(now - self.last);
        if self.jobs > 0 {
            let dt = (now - self.last) as f64;
            let mut used = 0usize;
            for c in 0..self.cores.len() {
                if self.load(c) == 0 {
                    continue;
                }
                used += 1;
                let mut t = self.last;
                while self.cores[c].change_at <= now {
                    let at = self.cores[c].change_at.max(t);
                    self.run_core(c, at - t);
                    self.redraw(c, at);
                    t = at;
                }
                self.run_core(c, now - t);
            }
            self.busy += dt * used as f64;
        }
        self.last = now;
    }

    /// The cores' utilisation averages over `dt` more of their current state (busy or idle).
    fn decay_util(&mut self, dt: Nanos) {
        if self.cores.len() < 2 || dt == 0 {
            return;
        }
        let keep = (-(dt as f64) / PELT_TAU).exp();
        for c in 0..self.cores.len() {
            let busy = self.load(c) > 0;
            let u = &mut self.cores[c].util;
            *u = if busy {
                1.0 - (1.0 - *u) * keep
            } else {
                *u * keep
            };
        }
    }

    /// The priority thread's lag over `dt` more of the current state (EEVDF: a task's lag is
    /// the average virtual time of its core's queue less its own; with equal weights, while
    /// `n` tasks are queued, the running one gains `dt` of virtual time and the average
    /// `dt / n`):
    /// - runnable, it loses `dt · (n − 1) / n` while it runs and gains `dt / n` while another
    ///   does;
    /// - asleep with a negative lag it stays queued (`DELAY_DEQUEUE`) and gains `dt / n` while
    ///   its core runs another job, until its lag is 0 (`DELAY_ZERO`); asleep with a lag of 0
    ///   or more it keeps it;
    /// - it stays within Linux's bound, `±max(2 · slice, TICK)`.
    ///
    /// The other tasks' lags, which move the average as they come and go, are not tracked.
    #[inline]
    fn age_lag(&mut self, dt: Nanos) {
        let Some(t) = self.client else {
            return;
        };
        let runnable = self.running[t as usize];
        if !runnable && self.lag >= 0.0 {
            // Asleep and dequeued: its lag is kept.
            return;
        }
        let c = self.core[t as usize] as usize;
        let n = self.load(c) as f64;
        let dt = dt as f64;
        let limit = self.slice.saturating_mul(2).max(TICK) as f64;
        if runnable {
            let lag = if self.runs_now(t) {
                self.lag - dt * (n - 1.0) / n
            } else {
                self.lag + dt / n
            };
            self.lag = lag.clamp(-limit, limit);
        } else if self.lag < 0.0 && n > 0.0 {
            self.lag = (self.lag + dt / (n + 1.0)).min(0.0);
        }
    }

    fn ensure(&mut self, thread: u32) {
        let t = thread as usize;
        if t >= self.left.len() {
            self.left.resize(t + 1, 0.0);
            self.running.resize(t + 1, false);
            self.work.resize(t + 1, 0);
            self.core.resize(t + 1, NO_CORE);
            self.ended_at.resize(t + 1, NEVER);
            self.ran_at.resize(t + 1, NEVER);
            self.avg.resize(t + 1, (0.0, 0));
            self.shown_on.resize(t + 1, false);
        }
    }

    /// A job starts for `thread`: the simulation shows it running until `turns` says otherwise
    /// (where it has to wait, its placing touches it).
    fn started(&mut self, thread: u32) {
        self.shown_on[thread as usize] = true;
    }

    /// The job at the front of core `c`'s queue may have got or lost the core.
    fn touch_front(&mut self, c: usize) {
        if let Some(&t) = self.cores[c].queue.front() {
            self.touched.push(t);
        }
    }

    /// Whether `thread` (which has a job) runs on its core now.
    fn runs_now(&self, thread: u32) -> bool {
        match self.prio {
            Some((t, _, _)) if t == thread => true,
            _ => self.front(self.core[thread as usize] as usize) == Some(thread),
        }
    }

    /// The threads with a job whose turn began or ended since the last call (or whose job
    /// started waiting), each with whether it now runs: `(thread, runs)`. The simulation calls
    /// this after every change at an instant (after `next_finish`, which balances), so it can
    /// show a thread waiting for a core apart from one running. Only the threads touched since
    /// are looked at: a job starts behind others or beside the priority job; a turn starts
    /// (`start_turn`: the front job) or ends (`rotate`: the job sent back); a thread going on
    /// in its turn sends back the job that had got the core; the priority job comes or goes
    /// (the front job of its core).
    pub fn turns(&mut self, out: &mut Vec<(u32, bool)>) {
        for i in 0..self.touched.len() {
            let t = self.touched[i];
            if !self.running[t as usize] {
                continue;
            }
            let on = self.runs_now(t);
            if on != self.shown_on[t as usize] {
                self.shown_on[t as usize] = on;
                out.push((t, on));
            }
        }
        self.touched.clear();
    }

    /// Whether core `c` is idle for `thread` waking now: no job on it, and none of another
    /// thread's ended there at this instant (that thread is still on it: it goes on at once,
    /// or sleeps after waking others, as a server writing a response wakes its client).
    fn idle_for(&self, c: usize, thread: u32) -> bool {
        self.load(c) == 0
            && !matches!(self.cores[c].ended, Some((t, at, _, _)) if at == self.last && t != thread)
    }

    /// The core a thread becoming runnable goes to.
    fn place(&self, thread: u32) -> usize {
        let prev = self.core[thread as usize];
        if prev != NO_CORE && self.idle_for(prev as usize, thread) {
            return prev as usize;
        }
        if let Some(c) = (0..self.cores.len()).find(|&c| self.idle_for(c, thread)) {
            return c;
        }
        if prev != NO_CORE {
            return prev as usize;
        }
        (0..self.cores.len())
            .min_by_key(|&c| self.load(c))
            .unwrap_or(0)
    }

    /// The first scheduler tick at or after `t`.
    fn tick_at_or_after(&self, t: Nanos) -> Nanos {
        if t <= self.phase {
            return self.phase;
        }
        self.phase + (t - self.phase).div_ceil(TICK) * TICK
    }

    /// The job at the front of core `c` gets it at `at`: its turn runs its slice and, while
    /// others wait, until the next tick.
    fn start_turn(&mut self, c: usize, at: Nanos) {
        self.touch_front(c);
        let end = self.tick_at_or_after(at + self.slice);
        let core = &mut self.cores[c];
        core.picked = at;
        core.turn_end = end;
    }

    /// Core `c`'s front job goes to the back of its queue and the next one gets the core.
    fn rotate(&mut self, c: usize, at: Nanos) {
        let q = &mut self.cores[c].queue;
        if let Some(t) = q.pop_front() {
            q.push_back(t);
            self.touched.push(t);
            self.ran_at[t as usize] = at;
        }
        self.start_turn(c, at);
    }

    /// `thread` goes to core `c` (a migration if it last ran on another).
    fn set_core(&mut self, thread: u32, c: usize) {
        let prev = std::mem::replace(&mut self.core[thread as usize], c as u32);
        if prev != NO_CORE && prev != c as u32 {
            self.migrations += 1;
        }
    }

    /// Puts `thread`'s job on core `c`'s queue: at the back, or alone at the front.
    fn enqueue(&mut self, now: Nanos, c: usize, thread: u32) {
        self.enqueue_at(now, c, thread, usize::MAX);
    }

    /// Puts `thread`'s job on core `c`'s queue at position `at` (at most the back).
    fn enqueue_at(&mut self, now: Nanos, c: usize, thread: u32, at: usize) {
        self.freshen(c);
        self.set_core(thread, c);
        let q = &mut self.cores[c].queue;
        q.insert(at.min(q.len()), thread);
        if q.len() == 1 {
            self.start_turn(c, now);
        } else {
            // It waits behind the running job.
            self.touched.push(thread);
        }
        self.jobs += 1;
        self.moved = true;
    }

    /// Starts `work` ns of CPU for `thread`.
    pub fn add(&mut self, now: Nanos, thread: u32, work: Nanos) {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        debug_assert!(!self.running[t], "thread {thread} already on a core");
        self.work[t] = work;
        self.left[t] = work as f64;
        self.set_running(thread, true);
        self.started(thread);
        if self.ended_at[t] == now && self.core[t] != NO_CORE {
            // Its last job ended at this instant: the thread never left its core and keeps its
            // turn (a job that got the core meanwhile goes back behind it).
            let c = self.core[t] as usize;
            self.jobs += 1;
            self.moved = true;
            self.touch_front(c);
            if self.prio_on(c) {
                // The priority job runs: it waits.
                self.touched.push(thread);
            }
            let core = &mut self.cores[c];
            core.queue.push_front(thread);
            match core.ended {
                Some((x, at, picked, turn_end)) if x == thread && at == now => {
                    core.picked = picked;
                    core.turn_end = turn_end;
                }
                // It ran with priority: its turn began when that run did.
                _ => self.start_turn(c, self.prio_since.min(now)),
            }
            return;
        }
        let c = self.place(thread);
        self.admit(now, c, thread);
    }

    /// A job waking on core `c`: it runs at once on an idle core; on a busy one it waits at the
    /// back of the queue, and the running job's turn ends at once if its slice has run (EEVDF:
    /// a task whose slice has run is preempted when another wakes; RUN_TO_PARITY protects it
    /// until then).
    fn admit(&mut self, now: Nanos, c: usize, thread: u32) {
        let preempt = self.front(c).is_some() && now >= self.cores[c].picked + self.slice;
        self.enqueue(now, c, thread);
        if preempt {
            self.rotate(c, now);
        }
    }

    /// Starts `work` ns of CPU for `thread` with priority (one such job at a time): it runs at
    /// once, pausing its core's job, unless it wakes (its last job did not end at this
    /// instant) onto a busy core with a negative lag (`age_lag`). Then it is not eligible
    /// (EEVDF picks only a task whose lag is 0 or more): it waits next in line until the
    /// running job sleeps or its turn ends, that job's slice starting afresh if it had run
    /// (its deadline is renewed, and it is still the eligible one), and then runs as a job
    /// of the queue.
    pub fn add_priority(&mut self, now: Nanos, thread: u32, work: Nanos) {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        debug_assert!(self.prio.is_none(), "one priority job at a time");
        if self.client != Some(thread) {
            self.client = Some(thread);
            self.lag = 0.0;
        }
        let c = self.place(thread);
        self.work[t] = work;
        self.left[t] = work as f64;
        self.set_running(thread, true);
        self.started(thread);
        if self.ended_at[t] != now && self.lag < 0.0 && self.load(c) > 0 {
            // Not eligible: next in line behind the running job.
            self.enqueue_at(now, c, thread, 1);
            if now >= self.cores[c].picked + self.slice {
                self.start_turn(c, now);
            }
            return;
        }
        self.freshen(c);
        if self.ended_at[t] != now {
            self.prio_since = now;
        }
        self.set_core(thread, c);
        let end = if self.cores[c].speed == 1.0 {
            now + work
        } else {
            now + round_ns(work as f64 / self.cores[c].speed)
        };
        self.prio = Some((thread, end, c));
        self.touch_front(c);
        // The job it pauses stops running.
        if let Some(&f) = self.cores[c].queue.front() {
            self.ran_at[f as usize] = now;
        }
        self.jobs += 1;
        self.moved = true;
    }

    /// The priority job is off the cores (done, or `left` of it undone); returns its thread.
    fn end_prio(&mut self, left: Nanos) -> u32 {
        let (t, _, c) = self.prio.take().expect("a priority job runs");
        self.ran_at[t as usize] = self.last;
        self.touch_front(c);
        self.jobs -= 1;
        self.moved = true;
        let i = t as usize;
        self.set_running(t, false);
        self.delivered += self.work[i] - left;
        t
    }

    /// Work `thread` has left (0 if it is not running).
    pub fn remaining(&mut self, now: Nanos, thread: u32) -> Nanos {
        self.advance(now);
        if !self.is_running(thread) {
            return 0;
        }
        if let Some((p, _, _)) = self.prio {
            if p == thread {
                return self.prio_left(now);
            }
        }
        self.left[thread as usize].max(0.0).round() as Nanos
    }

    /// Work the priority job has left at `now` (its time left at its core's speed).
    fn prio_left(&self, now: Nanos) -> Nanos {
        let (_, end, c) = self.prio.expect("a priority job runs");
        let left = end.saturating_sub(now);
        let speed = self.cores[c].speed;
        if speed == 1.0 {
            left
        } else {
            round_ns(left as f64 * speed)
        }
    }

    /// Takes `thread` off the cores (preempted or killed); returns its remaining work.
    pub fn remove(&mut self, now: Nanos, thread: u32) -> Nanos {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        if !self.running[t] {
            return 0;
        }
        if let Some((p, _, _)) = self.prio {
            if p == thread {
                let left = self.prio_left(now).min(self.work[t]);
                self.end_prio(left);
                return left;
            }
        }
        self.set_running(thread, false);
        let c = self.core[t] as usize;
        let q = &mut self.cores[c].queue;
        let i = q.iter().position(|&x| x == thread).expect("a queued job");
        q.remove(i);
        if i == 0 {
            self.ran_at[t] = now;
            if !q.is_empty() {
                self.start_turn(c, now);
            }
        }
        self.jobs -= 1;
        self.moved = true;
        let left = (self.left[t].max(0.0).round() as Nanos).min(self.work[t]);
        self.delivered += self.work[t] - left;
        left
    }

    /// `thread`'s load average at the current instant.
    fn load_avg(&self, thread: u32) -> f64 {
        let t = thread as usize;
        let (avg, at) = self.avg[t];
        let keep = (-((self.last - at) as f64) / PELT_TAU).exp();
        if self.running[t] {
            1.0 - (1.0 - avg) * keep
        } else {
            avg * keep
        }
    }

    /// `thread` becomes runnable (it has a job) or not; its load average is brought up to now.
    fn set_running(&mut self, thread: u32, on: bool) {
        let t = thread as usize;
        self.avg[t] = (self.load_avg(thread), self.last);
        self.running[t] = on;
    }

    pub fn is_running(&self, thread: u32) -> bool {
        self.running.get(thread as usize).copied().unwrap_or(false)
    }

    /// Pops every job finished by `now`, and ends the turns due by then.
    pub fn finished(&mut self, now: Nanos, out: &mut Vec<u32>) {
        self.advance(now);
        let first = out.len();
        if self.prio.is_some_and(|(_, end, _)| end <= now) {
            let t = self.end_prio(0);
            out.push(t);
        }
        for c in 0..self.cores.len() {
            // A finish rounded to the nanosecond leaves at most half a nanosecond of time
            // undone: at a speed above 1, more than half a unit of work.
            let tolerance = ROUNDING * self.cores[c].speed.max(1.0);
            if let Some(t) = self.front(c) {
                if self.left[t as usize] <= tolerance {
                    let core = &mut self.cores[c];
                    core.queue.pop_front();
                    core.ended = Some((t, now, core.picked, core.turn_end));
                    self.set_running(t, false);
                    self.ran_at[t as usize] = now;
                    self.delivered += self.work[t as usize];
                    self.jobs -= 1;
                    self.moved = true;
                    out.push(t);
                    if !self.cores[c].queue.is_empty() {
                        self.start_turn(c, now);
                    }
                }
            }
            if self.cores[c].queue.len() > 1 && now >= self.cores[c].turn_end {
                self.rotate(c, now);
            }
        }
        for &t in &out[first..] {
            self.ended_at[t as usize] = now;
        }
    }

    /// Whether `thread`'s caches are still warm on its core: it had the core within the last
    /// `MIGRATION_COST` (Linux's `task_hot`); a job that never ran is not.
    fn hot(&self, thread: u32) -> bool {
        let at = self.ran_at[thread as usize];
        at != NEVER && self.last < at + MIGRATION_COST
    }

    /// The load balancer, run when the jobs of an instant are settled (before the next finish
    /// is computed), so a thread that ends one op and starts the next at the same instant
    /// keeps its core. An idle core pulls work at once (`idle_balance`); while no core is idle
    /// the cores balance every `busy_interval` (`busy_balance`).
    fn balance(&mut self) {
        let at_tick = self.retry.is_some_and(|at| at <= self.last);
        if at_tick {
            self.retry = None;
            self.moved = true;
        }
        let at_busy = self.busy_due.is_some_and(|at| at <= self.last);
        if at_busy {
            self.busy_due = None;
            self.moved = true;
        }
        // Nothing changed since last time, or one core: nothing to even out.
        if self.cores.len() < 2 || !self.moved {
            return;
        }
        let none_idle =
            self.jobs >= self.cores.len() && (0..self.cores.len()).all(|c| self.load(c) > 0);
        if !none_idle {
            // An idle core balances at once (below): no periodic balancing is due.
            self.busy_due = None;
        }
        if self.jobs < 2 {
            return;
        }
        self.moved = false;
        self.retry = None;
        if !none_idle {
            self.idle_balance(at_tick);
        } else if at_busy {
            self.busy_last = self.last;
            self.busy_balance();
        }
        if none_idle && self.busy_due.is_none() {
            let due = self.busy_last + self.busy_interval;
            self.busy_due = Some(self.tick_at_or_after(due.max(self.last)));
        }
    }

    /// An idle core pulls work at once: while the least busy core has no job and another has
    /// two or more, that core's latest waiting job that is not cache-hot (`hot`) moves to it,
    /// keeping the work it has left. If every waiting job there is hot, it tries again at each
    /// scheduler tick (`retry`: Linux balances an idle core at the busy core's tick), and once
    /// more than `CACHE_NICE_TRIES` ticks have failed it moves a hot one anyway.
    fn idle_balance(&mut self, at_tick: bool) {
        loop {
            let (hi, lo) = self.extremes(|c| self.load(c));
            if self.load(lo) > 0 || self.load(hi) < 2 {
                self.failed = 0;
                return;
            }
            // The latest to arrive of the jobs not running (a job paused by the priority job
            // on its core waits too) that is not cache-hot.
            let q = &self.cores[hi].queue;
            let waiting = self.first_waiting(hi)..q.len();
            if waiting.is_empty() {
                return;
            }
            let cold = waiting.clone().rev().find(|&i| !self.hot(q[i]));
            let i = match cold {
                Some(i) => i,
                // All hot, at a tick that failed often enough: the latest goes anyway.
                None if at_tick && self.failed > CACHE_NICE_TRIES => waiting.end - 1,
                None => {
                    // All hot: try again at the next tick.
                    self.failed += u32::from(at_tick);
                    self.retry = Some(self.tick_at_or_after(self.last + 1));
                    return;
                }
            };
            self.failed = 0;
            self.migrate(hi, self.cores[hi].queue[i], lo);
        }
    }

    /// Where core `c`'s waiting jobs start in its queue: the front one runs unless the
    /// priority job is on the core (then it waits too).
    fn first_waiting(&self, c: usize) -> usize {
        usize::from(!self.prio_on(c))
    }

    /// The cores with the most and the least of `key` (the first of equals).
    fn extremes<T: PartialOrd>(&self, key: impl Fn(usize) -> T) -> (usize, usize) {
        let (mut hi, mut lo) = (0, 0);
        for c in 1..self.cores.len() {
            if key(c) > key(hi) {
                hi = c;
            }
            if key(c) < key(lo) {
                lo = c;
            }
        }
        (hi, lo)
    }

    /// Moves `thread`'s job, waiting in core `from`'s queue, to core `to`.
    fn migrate(&mut self, from: usize, thread: u32, to: usize) {
        let q = &mut self.cores[from].queue;
        let i = q.iter().position(|&x| x == thread).expect("a waiting job");
        let t = q.remove(i).expect("a waiting job");
        self.jobs -= 1;
        self.enqueue(self.last, to, t);
    }

    /// Core `c`'s load: its threads' load averages, the sleeping ones' included (Linux keeps a
    /// blocked task's decaying load on its last core).
    fn core_load(&self, c: usize) -> f64 {
        (0..self.core.len())
            .filter(|&t| self.core[t] == c as u32)
            .map(|t| self.load_avg(t as u32))
            .sum()
    }

    /// How busy core `c` counts for the balancer (Linux's `group_classify` for a core):
    /// overloaded with more than one job and a load or utilisation above its capacity by the
    /// margin, fully busy with one such or one job and no spare capacity, else with spare.
    fn classify(&self, c: usize, load: f64) -> Busy {
        let util = self.cores[c].util;
        let full = load > IMBALANCE_PCT || util * IMBALANCE_PCT >= 1.0;
        match self.load(c) {
            0 => Busy::Spare,
            1 if full => Busy::Full,
            1 => Busy::Spare,
            _ if full => Busy::Overloaded,
            _ => Busy::Full,
        }
    }

    /// Balancing while no core is idle (Linux's periodic `sched_balance_rq` on a busy core,
    /// reduced to a domain of single cores sharing a cache): the least loaded core pulls from
    /// the most loaded, but only if that one is overloaded, it is not overloaded itself or
    /// the other's load exceeds its own by the margin, and its load is below the average.
    /// Then it moves waiting jobs, the one whose thread ran longest ago first, while the load
    /// it has taken is short of the imbalance (the smaller of the two cores' distances to the
    /// average): a job whose load exceeds what is left of it stays, the bound doubling at
    /// each failed attempt (`nr_balance_failed`); a cache-hot one (`hot`) stays until more
    /// than `CACHE_NICE_TRIES` attempts have failed; after two more failures one waiting job
    /// moves whatever its load (active balancing). A balanced check doubles the interval, up
    /// to twice `busy_interval`; an imbalance resets it.
    fn busy_balance(&mut self) {
        let k = self.cores.len();
        let loads: Vec<f64> = (0..k).map(|c| self.core_load(c)).collect();
        let (hi, lo) = self.extremes(|c| loads[c]);
        let avg = loads.iter().sum::<f64>() / k as f64;
        let (local, busiest) = (self.classify(lo, loads[lo]), self.classify(hi, loads[hi]));
        let balanced = hi == lo
            || busiest != Busy::Overloaded
            || local == Busy::Spare
            || loads[lo] >= avg
            || (local == Busy::Overloaded && loads[hi] <= IMBALANCE_PCT * loads[lo]);
        if balanced {
            self.failed = 0;
            self.busy_interval = (self.busy_interval * 2).min(2 * busy_interval(k as u32));
            return;
        }
        self.busy_interval = busy_interval(k as u32);
        let mut imbalance = (loads[hi] - avg).min(avg - loads[lo]);
        let mut waiting: Vec<u32> = self.cores[hi]
            .queue
            .range(self.first_waiting(hi)..)
            .copied()
            .collect();
        waiting.sort_by_key(|&t| self.ran_at[t as usize].wrapping_add(1));
        let bound = f64::from(1u32 << self.failed.min(16));
        let mut moved = false;
        for &t in &waiting {
            let load = self.load_avg(t);
            if load / bound > imbalance || (self.hot(t) && self.failed <= CACHE_NICE_TRIES) {
                continue;
            }
            self.migrate(hi, t, lo);
            moved = true;
            imbalance -= load;
            if imbalance <= 0.0 {
                break;
            }
        }
        if moved {
            self.failed = 0;
            return;
        }
        self.failed += 1;
        if let Some(&t) = waiting
            .first()
            .filter(|_| self.failed > CACHE_NICE_TRIES + 2)
        {
            // Active balancing: the waiting job that ran longest ago moves.
            self.migrate(hi, t, lo);
            self.failed = 0;
        }
    }

    /// When the next job finishes or turn ends at the current rates (after balancing).
    pub fn next_finish(&mut self) -> Option<Nanos> {
        self.balance();
        let mut next = self
            .prio
            .map(|(_, end, c)| end.min(self.cores[c].change_at));
        for at in [self.retry, self.busy_due].into_iter().flatten() {
            next = Some(next.map_or(at, |x: Nanos| x.min(at)));
        }
        if self.jobs == usize::from(self.prio.is_some()) {
            return next;
        }
        for c in 0..self.cores.len() {
            let core = &self.cores[c];
            if core.queue.len() > 1 {
                let at = core.turn_end.max(self.last);
                next = Some(next.map_or(at, |x: Nanos| x.min(at)));
            }
            let Some(t) = self.front(c) else {
                continue;
            };
            let left = self.left[t as usize].max(0.0);
            let at = if self.varies {
                (self.last + round_ns(left / core.speed)).min(core.change_at)
            } else {
                self.last + round_ns(left)
            };
            next = Some(next.map_or(at, |x: Nanos| x.min(at)));
        }
        next
    }
}

/// Linux's scheduler slice (EEVDF's `sched_base_slice`, 0.75 ms scaled by 1 + log2 of the
/// cores, at most 8): a task that got a core keeps it this long before a task waking on its
/// core can preempt it.
pub(crate) fn base_slice(cores: u32) -> Nanos {
    750_000 * (1 + Nanos::from(cores.clamp(1, 8).ilog2()))
}

/// Completion times are rounded to the nearest nanosecond, so a job may finish up to half a
/// nanosecond of time early or late: unbiased, so CPU time is conserved without drift.
const ROUNDING: f64 = 0.5 + 1e-6;

/// `x` rounded to whole nanoseconds, without a libm call on the hot path.
fn round_ns(x: f64) -> Nanos {
    (x + 0.5) as Nanos
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    fn drain(c: &mut Cores) -> Vec<(Nanos, u32)> {
        let mut out = Vec::new();
        while let Some(t) = c.next_finish() {
            let mut done = Vec::new();
            c.finished(t, &mut done);
            out.extend(done.into_iter().map(|th| (t, th)));
        }
        out
    }

    #[test]
    fn under_capacity_runs_at_full_speed() {
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 100);
        c.add(0, 1, 300);
        assert_eq!(drain(&mut c), vec![(100, 0), (300, 1)]);
        assert_eq!(c.busy, 400.0);
    }

    #[test]
    fn over_capacity_the_jobs_run_one_after_the_other() {
        // 3 jobs of 100, 100, 200 at once on 1 core: the first gets the core, the others
        // wait behind it; none runs long enough for a tick to matter.
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 100);
        c.add(0, 1, 100);
        c.add(0, 2, 200);
        assert_eq!(drain(&mut c), vec![(100, 0), (200, 1), (400, 2)]);
        assert_eq!(c.busy, 400.0);
    }

    /// The turn changes the simulation is told of after the changes at `at`.
    fn turns_at(c: &mut Cores, at: Nanos) -> Vec<(u32, bool)> {
        let mut done = Vec::new();
        c.finished(at, &mut done);
        c.next_finish();
        let mut out = Vec::new();
        c.turns(&mut out);
        out
    }

    #[test]
    fn the_simulation_is_told_who_waits_for_a_core() {
        // 1 core, ticks at 0, 4, 8 ms. Job 0 (10 ms) from 0 runs; job 1 (1 ms) wakes at
        // 0.5 ms, within job 0's slice, and waits; at the 4 ms tick they swap; job 1 ends at
        // 5 ms and job 0 runs again. A priority job at 6 ms pauses job 0 until it ends at
        // 6.5 ms.
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 10 * MS);
        assert_eq!(turns_at(&mut c, 0), vec![], "a job starts shown as running");
        c.add(MS / 2, 1, MS);
        assert_eq!(turns_at(&mut c, MS / 2), vec![(1, false)]);
        assert_eq!(c.next_finish(), Some(4 * MS));
        assert_eq!(turns_at(&mut c, 4 * MS), vec![(0, false), (1, true)]);
        assert_eq!(c.next_finish(), Some(5 * MS));
        assert_eq!(turns_at(&mut c, 5 * MS), vec![(0, true)], "job 1 ended");
        c.add_priority(6 * MS, 2, MS / 2);
        assert_eq!(turns_at(&mut c, 6 * MS), vec![(0, false)]);
        assert_eq!(c.next_finish(), Some(6 * MS + MS / 2));
        assert_eq!(turns_at(&mut c, 6 * MS + MS / 2), vec![(0, true)]);
        // Two cores: a third job waits; the balancer gives it the core a job leaves.
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, MS);
        c.add(0, 1, 2 * MS);
        c.add(0, 2, MS);
        assert_eq!(turns_at(&mut c, 0), vec![(2, false)]);
        assert_eq!(c.next_finish(), Some(MS));
        assert_eq!(turns_at(&mut c, MS), vec![(2, true)]);
    }

    #[test]
    fn two_cpu_bound_jobs_take_turns_of_a_tick() {
        // 1 core (slice 0.75 ms), ticks at 0, 4, 8 ms. Two jobs of 10 ms: job 0 from 0 keeps
        // the core until the tick after its slice (4 ms); job 1 (woken at 0.1 ms) runs 4–8,
        // job 0 8–12, job 1 12–16, job 0 16–18 (its last 2 ms), job 1 18–20.
        let mut c = Cores::new(1, 0, None);
        assert_eq!(base_slice(1), 750_000);
        c.add(0, 0, 10 * MS);
        c.add(MS / 10, 1, 10 * MS);
        assert_eq!(c.remaining(3 * MS, 1), 10 * MS, "it has not run yet");
        assert_eq!(c.next_finish(), Some(4 * MS), "job 0's turn ends");
        let mut done = Vec::new();
        c.finished(4 * MS, &mut done);
        assert!(done.is_empty());
        assert_eq!(c.remaining(5 * MS, 0), 6 * MS);
        assert_eq!(c.remaining(5 * MS, 1), 9 * MS);
        assert_eq!(drain(&mut c), vec![(18 * MS, 0), (20 * MS, 1)]);
        assert_eq!(c.delivered, 20 * MS);
        // With the ticks at 1, 5, 9 ms: job 0 runs 0–1, job 1 1–5, job 0 5–9, job 1 9–13
        // (2 ms left), job 0 13–17 (1 ms left), job 1 17–19, job 0 19–20.
        let mut c = Cores::new(1, MS, None);
        c.add(0, 0, 10 * MS);
        c.add(0, 1, 10 * MS);
        assert_eq!(drain(&mut c), vec![(19 * MS, 1), (20 * MS, 0)]);
    }

    #[test]
    fn a_job_waking_on_a_busy_core_waits_unless_the_slice_has_run() {
        // Job 0 (5 ms) from 0; job 1 (0.1 ms) wakes at 1 ms, after job 0's slice: it runs at
        // once, and job 0 goes on at 1.1 ms with a new turn: it ends at 5.1 ms.
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 5 * MS);
        c.add(MS, 1, MS / 10);
        assert_eq!(drain(&mut c), vec![(1_100_000, 1), (5_100_000, 0)]);
        // Job 3 (3 ms) from 5.2 ms; job 2 (0.1 ms) wakes at 5.3 ms, within job 3's slice: it
        // waits for the tick after the slice (8 ms), when job 3 has 0.2 ms left.
        c.add(5_200_000, 3, 3 * MS);
        c.add(5_300_000, 2, MS / 10);
        assert_eq!(drain(&mut c), vec![(8_100_000, 2), (8_300_000, 3)]);
        assert_eq!(c.delivered, 8_200_000);
    }

    #[test]
    fn a_thread_that_goes_on_at_once_keeps_its_turn() {
        // Job 0 (2 ms) from 0; job 1 (1 ms) wakes at 0.5 ms and waits for the tick at 4 ms.
        // Thread 0 ends at 2 ms and starts 3 ms more at that instant: it keeps the core and
        // its turn until 4 ms (1 ms left), job 1 runs 4–5, thread 0 5–6.
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 2 * MS);
        c.add(MS / 2, 1, MS);
        assert_eq!(c.next_finish(), Some(2 * MS));
        let mut done = Vec::new();
        c.finished(2 * MS, &mut done);
        assert_eq!(done, vec![0]);
        c.add(2 * MS, 0, 3 * MS);
        assert_eq!(drain(&mut c), vec![(5 * MS, 1), (6 * MS, 0)]);
    }

    #[test]
    fn rounds_to_nearest() {
        assert_eq!(round_ns(100.0), 100);
        assert_eq!(round_ns(99.999_999_9), 100);
        assert_eq!(round_ns(100.3), 100);
        assert_eq!(round_ns(100.5), 101);
        assert_eq!(round_ns(0.0), 0);
    }

    #[test]
    fn a_priority_job_takes_its_core() {
        // 2 cores, 4 jobs of 100: jobs 0 and 1 run on a core each, jobs 2 and 3 wait behind
        // them. A priority job of 50 at t = 20 (no core idle: the least loaded, core 0) stops
        // job 0 until t = 70, with 80 left: it ends at 150, and job 2 runs then: 250. On core
        // 1, job 1 ends at 100 and job 3 runs: 200.
        let mut c = Cores::new(2, 0, None);
        for t in 0..4 {
            c.add(0, t, 100);
        }
        c.advance(20);
        c.add_priority(20, 9, 50);
        assert_eq!(
            drain(&mut c),
            vec![(70, 9), (100, 1), (150, 0), (200, 3), (250, 2)]
        );
        assert_eq!(c.busy, 450.0);
        assert_eq!(c.delivered, 450);
    }

    #[test]
    fn a_thread_going_on_after_its_priority_run_keeps_the_turn_it_began() {
        // 1 core: job 0 (10 ms) from 0. The client's priority job (0.5 ms) at 1 ms stops it;
        // the client goes on without priority at 1.5 ms (3 ms): its turn began at 1 ms, so it
        // keeps the core until the tick at 4 ms (0.5 ms left); job 0 runs 4–8, the client
        // 8–8.5, job 0 the 5 ms it has left: 13.5 ms.
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 10 * MS);
        c.add_priority(MS, 5, MS / 2);
        assert_eq!(c.next_finish(), Some(1_500_000));
        let mut done = Vec::new();
        c.finished(1_500_000, &mut done);
        assert_eq!(done, vec![5]);
        c.add(1_500_000, 5, 3 * MS);
        assert_eq!(drain(&mut c), vec![(8_500_000, 5), (13_500_000, 0)]);
    }

    #[test]
    fn three_jobs_on_two_cores_share_unevenly() {
        // Jobs of 6 ms, slice 1.5 ms, ticks every 4 ms. Jobs 0 and 1 get a core each; job 2
        // waits behind job 0 (the least loaded core, 0) until the tick at 4 ms, and runs 4–8
        // while job 0 waits with 2 ms left. Job 1 ends at 6 ms; its idle core pulls job 0,
        // which ends at 8 ms; job 2 (2 ms left then) ends at 10 ms.
        let mut c = Cores::new(2, 0, None);
        assert_eq!(base_slice(2), 1_500_000);
        for t in 0..3 {
            c.add(0, t, 6 * MS);
        }
        assert_eq!(drain(&mut c), vec![(6 * MS, 1), (8 * MS, 0), (10 * MS, 2)]);
        assert_eq!(c.busy, 18e6);
    }

    /// Two cores (ticks at 0, 4, 8 … ms): jobs 0 and 2 of 20 ms go to core 0, job 1 of `work`
    /// to core 1, all at 0.
    fn two_long_jobs_and_one_of(work: Nanos) -> Cores {
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 20 * MS);
        c.add(0, 1, work);
        c.add(0, 2, 20 * MS);
        c
    }

    #[test]
    fn the_balancer_leaves_a_job_that_just_ran_until_the_third_tick() {
        // Jobs 0 and 2 of 20 ms share core 0, job 1 (4.2 ms) has core 1. At the tick at 4 ms
        // job 2 takes core 0 and job 0 waits; job 1 ends at 4.2 ms, 0.2 ms after job 0 ran:
        // cache-hot, it stays. At the ticks at 8 and 12 ms the job that waits has just been
        // sent back (hot again): two failures; at 16 ms the third tick moves the waiting job
        // (2, 8 ms done) anyway. Both then have 12 ms left and a core each: they end at 28 ms.
        let mut c = two_long_jobs_and_one_of(4_200_000);
        assert_eq!(
            drain(&mut c),
            vec![(4_200_000, 1), (28 * MS, 0), (28 * MS, 2)]
        );
        assert_eq!(c.migrations, 1);
        assert_eq!(c.busy, 44.2e6);
    }

    /// Runs `c` through every finish and turn up to `until`.
    fn run_until(c: &mut Cores, until: Nanos) {
        while let Some(t) = c.next_finish().filter(|&t| t <= until) {
            c.finished(t, &mut Vec::new());
        }
    }

    #[test]
    fn busy_cores_balance_by_load_averages_at_their_interval() {
        // Core 0 runs one long job; core 1 four, whose threads last ran there (each ran a
        // 10 ns job on it first). No core is idle, so nothing moves at once, nor at the
        // ticks. At 32 ms the load averages are building up: core 0's utilisation (49 %)
        // leaves it spare capacity, and a busy core with spare capacity pulls nothing; the
        // interval doubles to 64 ms. At 96 ms core 0 is fully busy (utilisation 87 %), its
        // load (0.87) below the average (2.17): it pulls one job, whose load (0.87) fits the
        // imbalance (1.30), but not a second (0.43 left).
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 1_000_000_000);
        for t in 1..=4u32 {
            let at = Nanos::from(t) * 10;
            c.add(at, t, 10);
            run_until(&mut c, at + 10);
        }
        for t in 1..=4 {
            c.add(100, t, 1_000_000_000);
        }
        assert_eq!((c.load(0), c.load(1)), (1, 4));
        run_until(&mut c, 96_000_000 - 1);
        assert_eq!((c.load(0), c.load(1), c.migrations), (1, 4, 0));
        run_until(&mut c, 96_000_000);
        assert_eq!((c.load(0), c.load(1), c.migrations), (2, 3, 1));
    }

    #[test]
    fn a_job_that_waited_longer_than_the_migration_cost_moves_at_once() {
        // As above, but job 1 ends at 4.6 ms, when job 0 has waited 0.6 ms: no longer hot, it
        // moves to core 1 then (16 ms left: it ends at 20.6 ms); job 2 keeps core 0 from 4 ms
        // (all of its 20 ms: 24 ms).
        let mut c = two_long_jobs_and_one_of(4_600_000);
        assert_eq!(
            drain(&mut c),
            vec![(4_600_000, 1), (20_600_000, 0), (24 * MS, 2)]
        );
        assert_eq!(c.migrations, 1);
    }

    #[test]
    fn a_busy_core_is_left_to_its_job_and_the_client_takes_the_other() {
        // Two workers with a core each; the client (priority) finds no idle core and goes to
        // the least loaded, core 0, whose worker waits while it runs: worker 0 ends 30 later.
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 100);
        c.add(0, 1, 100);
        c.add_priority(10, 5, 30);
        assert_eq!(drain(&mut c), vec![(40, 5), (100, 1), (130, 0)]);
    }

    #[test]
    fn a_core_whose_job_ends_is_not_idle_to_the_thread_that_job_wakes() {
        // Worker 0 on core 0, worker 1 on core 1; the client (priority) runs 10–20 on core 0.
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 200);
        c.add(0, 1, 100);
        c.add_priority(10, 5, 10);
        assert_eq!(c.core[5], 0);
        let mut done = Vec::new();
        assert_eq!(c.next_finish(), Some(20));
        c.finished(20, &mut done);
        assert_eq!(c.next_finish(), Some(100));
        c.finished(100, &mut done);
        assert_eq!(done, vec![5, 1]);
        // Worker 1's op ends at 100 and wakes the client (a response written): worker 1 is
        // still on core 1 at that instant (it goes on at once), so the client goes back to
        // its own core and worker 0 waits while it runs, as Linux leaves ab on its core.
        c.add_priority(100, 5, 10);
        assert_eq!(c.core[5], 0);
        c.add(100, 1, 50);
        assert_eq!(c.core[1], 1);
        assert_eq!(drain(&mut c), vec![(110, 5), (150, 1), (220, 0)]);
    }

    #[test]
    fn a_thread_goes_back_to_its_idle_core_or_to_an_idle_one() {
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 100);
        c.add(0, 1, 100);
        assert_eq!(drain(&mut c), vec![(100, 0), (100, 1)]);
        // Thread 1 ran on core 1: it goes back there, and thread 0 to its core 0.
        c.add(100, 1, 10);
        c.add(100, 0, 10);
        assert_eq!((c.core[0], c.core[1]), (0, 1));
        // Later, core 0 busy, core 1 idle: thread 0 wakes on core 1.
        assert_eq!(drain(&mut c), vec![(110, 0), (110, 1)]);
        c.add(120, 2, 100);
        c.add(120, 0, 10);
        assert_eq!((c.core[2], c.core[0]), (0, 1));
    }

    #[test]
    fn a_job_that_ends_and_starts_again_at_once_keeps_its_core() {
        // Core 0: jobs 0 and 2; core 1: job 1. Job 1 ends at 100 and starts its next op at
        // the same instant: the balancer runs only once the instant is settled, so core 1
        // pulls nothing and job 1 goes on there alone.
        let mut c = Cores::new(2, 0, None);
        c.add(0, 0, 400);
        c.add(0, 1, 100);
        c.add(0, 2, 400);
        assert_eq!(c.next_finish(), Some(100));
        let mut done = Vec::new();
        c.finished(100, &mut done);
        assert_eq!(done, vec![1]);
        c.add(100, 1, 100);
        assert_eq!(c.core[1], 1);
        assert_eq!(c.next_finish(), Some(200));
    }

    #[test]
    fn on_one_core_a_priority_job_stops_the_others() {
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 100);
        c.add_priority(10, 1, 30);
        assert_eq!(c.remaining(25, 1), 15);
        assert_eq!(drain(&mut c), vec![(40, 1), (130, 0)]);
        // Taken off early, it gives back what it had not done.
        c.add_priority(200, 1, 30);
        assert_eq!(c.remove(210, 1), 20);
        assert_eq!(c.delivered, 140);
    }

    #[test]
    fn a_client_waking_with_a_negative_lag_waits_for_the_running_job() {
        const US: Nanos = 1_000;
        // One core (slice 0.75 ms, ticks every 4 ms from 0); job 0 of 10 ms from 0.
        let start = || {
            let mut c = Cores::new(1, 0, None);
            c.add(0, 0, 10 * MS);
            // The client runs 100 µs at 1 ms, ahead of job 0: with two tasks queued it
            // gains 100 µs of virtual time and the average 50, so it leaves owing 50 µs.
            c.add_priority(MS, 9, 100 * US);
            run_until(&mut c, 1_100 * US);
            assert_eq!(c.lag, -50_000.0);
            c
        };
        // Asleep, it stays queued and gains half of job 0's time: back to 0 after 100 µs.
        // Woken at 1.3 ms, it is eligible and runs at once.
        let mut c = start();
        c.add_priority(1_300 * US, 9, 100 * US);
        assert!(c.runs_now(9));
        assert_eq!(drain(&mut c), vec![(1_400 * US, 9), (10_200 * US, 0)]);
        // Woken at 1.15 ms it still owes 25 µs: it waits. Job 0 has run its slice, so its
        // turn starts afresh and ends at the tick after 1.9 ms (4 ms); the client runs then
        // and, having waited 2.85 ms with one other task, is owed 1.4 ms less its 50 µs.
        let mut c = start();
        c.add_priority(1_150 * US, 9, 100 * US);
        assert!(!c.runs_now(9) && c.runs_now(0));
        run_until(&mut c, 4_100 * US);
        assert!(!c.is_running(9));
        assert_eq!(c.lag, 1_350_000.0);
        // Owed time, it runs at once when it wakes again.
        c.add_priority(4_200 * US, 9, 100 * US);
        assert!(c.runs_now(9));
        assert_eq!(drain(&mut c), vec![(4_300 * US, 9), (10_300 * US, 0)]);
    }

    /// Core `c` runs at `speed` until `until`, then at its nominal speed (no variation set).
    fn set_speed(c: &mut Cores, core: usize, speed: f64, until: Nanos) {
        c.varies = true;
        c.cores[core].speed = speed;
        c.cores[core].change_at = until;
    }

    #[test]
    fn a_slow_core_stretches_its_jobs_until_its_speed_changes() {
        // Core 0 at half speed until t = 4 000, then at 1. A job of 10 000 does 2 000 by then
        // and the remaining 8 000 at full speed: it ends at 12 000.
        let mut c = Cores::new(1, 0, None);
        set_speed(&mut c, 0, 0.5, 4_000);
        c.add(0, 0, 10_000);
        assert_eq!(c.next_finish(), Some(4_000), "the speed change comes first");
        assert_eq!(drain(&mut c), vec![(12_000, 0)]);
        // Half speed until 4 ms. Two jobs of 3 ms at 0: job 0 runs until the tick at 4 ms
        // (2 ms of work at half speed); job 1 then runs at speed 1 and ends at 7 ms; job 0
        // does its last 1 ms: 8 ms.
        let mut c = Cores::new(1, 0, None);
        set_speed(&mut c, 0, 0.5, 4 * MS);
        c.add(0, 0, 3 * MS);
        c.add(0, 1, 3 * MS);
        assert_eq!(c.remaining(MS / 2, 1), 3 * MS);
        assert_eq!(c.remaining(2 * MS, 0), 2 * MS);
        assert_eq!(
            c.next_finish(),
            Some(4 * MS),
            "the turn ends, the speed changes"
        );
        assert_eq!(drain(&mut c), vec![(7 * MS, 1), (8 * MS, 0)]);
        assert_eq!(c.delivered, 6 * MS);
        assert_eq!(c.busy, 8e6);
    }

    #[test]
    fn the_priority_job_keeps_its_work_across_a_speed_change() {
        // At a quarter speed until 2 000, a priority job of 1 000 from t = 0 does 500 by
        // then and the other 500 at speed 1: it ends at 2 500. Its remaining work at 1 000 is
        // 750, and taken off then it gives back 750.
        let mut c = Cores::new(1, 0, None);
        set_speed(&mut c, 0, 0.25, 2_000);
        c.add_priority(0, 1, 1_000);
        assert_eq!(c.remaining(1_000, 1), 750);
        assert_eq!(drain(&mut c), vec![(2_500, 1)]);
        let mut c = Cores::new(1, 0, None);
        set_speed(&mut c, 0, 0.25, 2_000);
        c.add_priority(0, 1, 1_000);
        assert_eq!(c.remove(1_000, 1), 750);
        assert_eq!(c.delivered, 250);
    }

    #[test]
    fn a_fast_core_ends_a_job_at_the_nearest_nanosecond() {
        // 10 units at speed 3 take 3.33 ns: the job ends at 3, with 1 unit (a third of a
        // nanosecond) undone, instead of waiting at t = 3 for an event that never comes.
        let mut c = Cores::new(1, 0, None);
        set_speed(&mut c, 0, 3.0, NEVER);
        c.add(0, 0, 10);
        assert_eq!(drain(&mut c), vec![(3, 0)]);
        assert_eq!(c.delivered, 10);
    }

    #[test]
    fn an_idle_core_draws_its_speed_afresh_when_work_arrives() {
        // The hold ended while the core was idle: the job that arrives later runs at the
        // core's speed from then (here the nominal one), not at the stale slow one.
        let mut c = Cores::new(1, 0, None);
        set_speed(&mut c, 0, 0.5, 1_000);
        c.add(5_000, 0, 1_000);
        assert_eq!(drain(&mut c), vec![(6_000, 0)]);
    }

    #[test]
    fn varying_speed_keeps_the_average_and_conserves_work() {
        // Speeds of mean 1 held ~10 ms: a job of 60 s ends within a few % of 60 s, and
        // many short jobs on 2 cores deliver exactly the work they asked for.
        let speed = CpuSpeed {
            sigma: 0.3,
            hold_ms: 10.0,
        };
        let mut c = Cores::new(1, 0, Some((&speed, Rng::new(1, 5))));
        c.add(0, 0, 60_000_000_000);
        let (end, _) = drain(&mut c)[0];
        let ratio = end as f64 / 60e9;
        assert!((0.95..1.05).contains(&ratio), "took {ratio} × the work");
        let mut c = Cores::new(2, 0, Some((&speed, Rng::new(2, 5))));
        let mut asked = 0;
        for t in 0..50u32 {
            let w = 1_000_000 + Nanos::from(t) * 77_777;
            c.add(Nanos::from(t) * 300_000, t, w);
            asked += w;
        }
        let done = drain(&mut c);
        assert_eq!(done.len(), 50);
        assert_eq!(c.delivered, asked);
    }

    #[test]
    fn preemption_keeps_remaining_work() {
        let mut c = Cores::new(1, 0, None);
        c.add(0, 0, 100);
        assert_eq!(c.remove(40, 0), 60);
        c.add(50, 0, 60);
        assert_eq!(drain(&mut c), vec![(110, 0)]);
    }
}
