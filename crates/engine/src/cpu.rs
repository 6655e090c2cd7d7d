//! The machine's cores, as Linux's scheduler runs them: one run queue per core.
//!
//! Every runnable CPU job (a GIL holder running Python, a free-threaded thread, a process-pool
//! worker, a share of a server cost made in the kernel) sits on one core's run queue, and the
//! jobs of a core share it equally (processor sharing within the core, as CFS/EEVDF does over
//! its slices). Progress is tracked per core in "virtual time" `V` (dV/dt = 1/n for `n` jobs),
//! so a job of `w` ns started at `V0` ends when `V = V0 + w`; a change of `n` changes only the
//! rate, not the jobs.
//!
//! Below a slice the sharing is not instant: a job that wakes onto a busy core waits until the
//! job that last got the core has run its slice (`base_slice`, EEVDF with RUN_TO_PARITY), then
//! shares it; one that wakes after that slice joins at once and gets a slice of its own. So a
//! worker woken by a connection while both cores are busy (a burst's client on one, another
//! worker on the other) runs 1.5–4 ms later on this machine kind, not at once, and takes no
//! connection meanwhile. A thread whose job ends and which starts its next one at the same
//! instant never left its core and keeps its slice.
//!
//! Where a job runs (`select_task_rq_fair` and the load balancer, reduced to their rules):
//! - a thread that becomes runnable goes to its previous core if that core is idle, else to an
//!   idle core, else back to its previous core (a new thread: the least loaded core);
//! - the balancer moves jobs, the one that arrived last first, from the busiest core to the
//!   least busy while their counts differ by two or more (an idle core pulls work at once).
//!
//! So `n` jobs on `K` cores get a whole core each when `n ≤ K`, and otherwise uneven shares
//! when `n` is not a multiple of `K`: four busy gunicorn sync workers and ab on two cores
//! cannot share them evenly, and in the real runs one worker serves ~1.8 × each of the others.
//!
//! One job may run with priority (the load generator, ab): on its core it runs whenever it is
//! runnable and the core's other jobs wait, as Linux runs a process waking from `epoll_wait`
//! ahead of CPU-bound ones.
//!
//! A core's speed may vary over time (`server.cpu_speed`: a VM whose host is shared, frequency
//! scaling): each core holds a speed factor for an exponentially distributed time, then draws a
//! new one, lognormal with mean 1, so the calibrated costs stay the average. Its jobs progress
//! at `speed / n`. Holds are memoryless, so an idle core draws afresh when work arrives.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::rng::Rng;
use crate::scenario::CpuSpeed;
use crate::time::{from_ms, Nanos};

/// Never (a core without speed changes).
const NEVER: Nanos = Nanos::MAX;

#[derive(Clone, Copy, Debug)]
struct Job {
    finish_v: f64,
    thread: u32,
    epoch: u32,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Job {}
impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Job {
    fn cmp(&self, other: &Self) -> Ordering {
        // Min-heap on finish, ties by thread id.
        other
            .finish_v
            .total_cmp(&self.finish_v)
            .then(other.thread.cmp(&self.thread))
    }
}

/// One core's run queue.
struct Core {
    /// Virtual time: the work each of its shared jobs has had.
    v: f64,
    heap: BinaryHeap<Job>,
    /// Its shared jobs, in order of arrival on this core.
    members: Vec<u32>,
    /// Work done per ns of time (1 unless the speed varies), and when it changes next.
    speed: f64,
    change_at: Nanos,
    /// Jobs that woke while the core's running jobs had their slice: they wait for its end
    /// (thread, work left), in order of arrival.
    waiting: Vec<(u32, f64)>,
    /// When the slice of the job that last got the core ends.
    turn_end: Nanos,
}

impl Default for Core {
    fn default() -> Core {
        Core {
            v: 0.0,
            heap: BinaryHeap::new(),
            members: Vec::new(),
            speed: 1.0,
            change_at: NEVER,
            waiting: Vec::new(),
            turn_end: 0,
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
        let speed = (self.sigma * self.rng.next_normal() - self.sigma * self.sigma / 2.0).exp();
        let hold = (-self.rng.next_open01().ln() * self.hold_ns).max(1.0);
        (speed, hold as Nanos)
    }
}

const NO_CORE: u32 = u32::MAX;

pub(crate) struct Cores {
    cores: Vec<Core>,
    last: Nanos,
    /// Per thread: the epoch of its current job (stale heap entries are skipped), its finish
    /// in its core's virtual time, whether it runs, its work, and its core (the last one it
    /// ran on when it does not run).
    epoch: Vec<u32>,
    finish: Vec<f64>,
    running: Vec<bool>,
    work: Vec<Nanos>,
    core: Vec<u32>,
    /// Per thread: whether its job waits on its core for the running job's slice to end, and
    /// when its last job finished (a job it starts at that instant continues on its core).
    waits: Vec<bool>,
    ended_at: Vec<Nanos>,
    /// The scheduler's slice (`base_slice`), and the jobs waiting for one to end on any core
    /// (the hot paths skip the cores' waiting lists while there are none).
    slice: Nanos,
    waiting: usize,
    /// The priority job, if one runs: its thread, when it finishes (real time) and its core.
    prio: Option<(u32, Nanos, usize)>,
    /// Jobs on the cores (the priority one included), and whether any came or went since
    /// the last balancing.
    jobs: usize,
    moved: bool,
    /// Core-nanoseconds of capacity used (time integral of the cores with a job), for
    /// utilisation.
    pub busy: f64,
    /// Work delivered, job by job: a job's work when it finishes, the part done when it is
    /// taken off. Equals the work asked for once every job has ended.
    pub delivered: Nanos,
    /// Generation of the scheduled tick; older ticks are ignored.
    pub gen: u64,
    /// Time of the currently scheduled tick, if any.
    pub scheduled: Option<Nanos>,
    noise: Option<SpeedNoise>,
    /// Whether any core's speed may differ from 1 (otherwise the hot paths skip speeds).
    varies: bool,
}

impl Cores {
    /// `k` cores; with `speed` (and its random stream) their speed varies (the scenario passes
    /// it only for a sigma above 0: `Server::resolve`).
    pub fn new(k: u32, speed: Option<(&CpuSpeed, Rng)>) -> Cores {
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
            epoch: Vec::new(),
            finish: Vec::new(),
            running: Vec::new(),
            work: Vec::new(),
            core: Vec::new(),
            waits: Vec::new(),
            ended_at: Vec::new(),
            slice: base_slice(k),
            waiting: 0,
            prio: None,
            jobs: 0,
            moved: false,
            busy: 0.0,
            delivered: 0,
            gen: 0,
            scheduled: None,
            varies: noise.is_some(),
            noise,
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
        if self.varies && self.cores[c].change_at <= self.last && self.running_load(c) == 0 {
            self.redraw(c, self.last);
        }
    }

    /// Runs core `c`'s shared jobs for `dt` ns at its current speed.
    fn run_core(&mut self, c: usize, dt: Nanos) {
        let n = self.cores[c].members.len();
        if n > 0 && !self.prio_on(c) {
            let core = &mut self.cores[c];
            core.v += dt as f64 * core.speed / n as f64;
        }
    }

    fn prio_on(&self, c: usize) -> bool {
        matches!(self.prio, Some((_, _, pc)) if pc == c)
    }

    /// Jobs running on core `c`, the priority job included.
    fn running_load(&self, c: usize) -> usize {
        self.cores[c].members.len() + usize::from(self.prio_on(c))
    }

    /// Jobs on core `c`: running, and waiting for a slice to end.
    fn load(&self, c: usize) -> usize {
        self.running_load(c) + self.cores[c].waiting.len()
    }

    /// Brings virtual time up to `now`, through any speed changes of the busy cores.
    #[inline]
    pub fn advance(&mut self, now: Nanos) {
        if now < self.last {
            return;
        }
        if !self.varies {
            // Every core at speed 1 (the hot path): shared jobs progress at 1/n.
            if now == self.last {
                return;
            }
            if self.jobs > 0 {
                let dt = (now - self.last) as f64;
                let prio_core = self.prio.map(|(_, _, c)| c);
                let mut used = 0usize;
                for (c, core) in self.cores.iter_mut().enumerate() {
                    let n = core.members.len();
                    if prio_core == Some(c) {
                        used += 1;
                    } else if n > 0 {
                        used += 1;
                        core.v += dt / n as f64;
                    }
                }
                self.busy += dt * used as f64;
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
        if self.jobs > 0 {
            let dt = (now - self.last) as f64;
            let mut used = 0usize;
            for c in 0..self.cores.len() {
                if self.running_load(c) == 0 {
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

    fn ensure(&mut self, thread: u32) {
        let t = thread as usize;
        if t >= self.epoch.len() {
            self.epoch.resize(t + 1, 0);
            self.finish.resize(t + 1, 0.0);
            self.running.resize(t + 1, false);
            self.work.resize(t + 1, 0);
            self.core.resize(t + 1, NO_CORE);
            self.waits.resize(t + 1, false);
            self.ended_at.resize(t + 1, NEVER);
        }
    }

    /// The core a thread becoming runnable goes to.
    fn place(&self, thread: u32) -> usize {
        let prev = self.core[thread as usize];
        if prev != NO_CORE && self.load(prev as usize) == 0 {
            return prev as usize;
        }
        if let Some(c) = (0..self.cores.len()).find(|&c| self.load(c) == 0) {
            return c;
        }
        if prev != NO_CORE {
            return prev as usize;
        }
        (0..self.cores.len())
            .min_by_key(|&c| self.load(c))
            .unwrap_or(0)
    }

    /// Puts `thread`'s job with `left` ns to do on core `c`'s shared queue.
    fn enqueue(&mut self, c: usize, thread: u32, left: f64) {
        self.freshen(c);
        let t = thread as usize;
        self.epoch[t] = self.epoch[t].wrapping_add(1);
        let core = &mut self.cores[c];
        let finish_v = core.v + left;
        core.heap.push(Job {
            finish_v,
            thread,
            epoch: self.epoch[t],
        });
        core.members.push(thread);
        self.finish[t] = finish_v;
        self.core[t] = c as u32;
        self.jobs += 1;
        self.moved = true;
    }

    /// Takes `thread` off core `c`'s shared queue (its heap entry goes stale).
    fn dequeue(&mut self, c: usize, thread: u32) {
        let t = thread as usize;
        self.epoch[t] = self.epoch[t].wrapping_add(1);
        let m = &mut self.cores[c].members;
        if let Some(i) = m.iter().rposition(|&x| x == thread) {
            m.remove(i);
            self.jobs -= 1;
            self.moved = true;
        }
    }

    /// Starts `work` ns of CPU for `thread`.
    pub fn add(&mut self, now: Nanos, thread: u32, work: Nanos) {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        debug_assert!(!self.running[t], "thread {thread} already on a core");
        self.work[t] = work;
        self.running[t] = true;
        if self.ended_at[t] == now && self.core[t] != NO_CORE {
            // Its last job ended at this instant: the thread never left its core (its slice
            // goes on; if another job took the core meanwhile, the balancer may move one).
            self.enqueue(self.core[t] as usize, thread, work as f64);
            return;
        }
        let c = self.place(thread);
        self.admit(now, c, thread, work as f64);
    }

    /// A job waking on core `c`: it runs at once on an idle core, or when the job that last
    /// got the core has had its slice (it then gets its own); otherwise it waits for that
    /// slice to end. (EEVDF with RUN_TO_PARITY: the task picked runs its slice before a task
    /// that wakes on its core can preempt it.)
    fn admit(&mut self, now: Nanos, c: usize, thread: u32, left: f64) {
        if self.load(c) == 0 || now >= self.cores[c].turn_end {
            self.start_turn(c, now);
            self.enqueue(c, thread, left);
        } else {
            let t = thread as usize;
            self.epoch[t] = self.epoch[t].wrapping_add(1);
            self.cores[c].waiting.push((thread, left));
            self.waits[t] = true;
            self.core[t] = c as u32;
            self.waiting += 1;
            self.jobs += 1;
            self.moved = true;
        }
    }

    /// A job gets core `c` at `at`: jobs waking onto it wait until its slice has run.
    fn start_turn(&mut self, c: usize, at: Nanos) {
        self.cores[c].turn_end = at + self.slice;
    }

    /// Core `c`'s waiting jobs start sharing it (its slice ended, or it ran out of jobs).
    fn promote(&mut self, c: usize) {
        let waiting = std::mem::take(&mut self.cores[c].waiting);
        self.start_turn(c, self.last);
        for (thread, left) in waiting {
            self.waits[thread as usize] = false;
            self.waiting -= 1;
            self.jobs -= 1;
            self.enqueue(c, thread, left);
        }
    }

    /// Takes waiting `thread` off its core; returns its work left.
    fn unwait(&mut self, thread: u32) -> f64 {
        let t = thread as usize;
        let c = self.core[t] as usize;
        let w = &mut self.cores[c].waiting;
        let i = w
            .iter()
            .position(|&(x, _)| x == thread)
            .expect("a waiting job");
        let (_, left) = w.remove(i);
        self.waits[t] = false;
        self.waiting -= 1;
        self.jobs -= 1;
        self.moved = true;
        left
    }

    /// Starts `work` ns of CPU for `thread` with priority (one such job at a time).
    pub fn add_priority(&mut self, now: Nanos, thread: u32, work: Nanos) {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        debug_assert!(self.prio.is_none(), "one priority job at a time");
        let c = self.place(thread);
        if self.load(c) == 0 && self.ended_at[t] != now {
            // A new turn on an idle core (not the same thread going on at this instant).
            self.start_turn(c, now);
        }
        self.freshen(c);
        self.epoch[t] = self.epoch[t].wrapping_add(1);
        self.work[t] = work;
        self.running[t] = true;
        self.core[t] = c as u32;
        let end = if self.cores[c].speed == 1.0 {
            now + work
        } else {
            now + round_ns(work as f64 / self.cores[c].speed)
        };
        self.prio = Some((thread, end, c));
        self.jobs += 1;
        self.moved = true;
    }

    /// Virtual time `thread`'s shared job has left on its core.
    fn left_v(&self, thread: u32) -> f64 {
        let t = thread as usize;
        (self.finish[t] - self.cores[self.core[t] as usize].v).max(0.0)
    }

    /// The priority job is off the cores (done, or `left` of it undone); returns its thread.
    fn end_prio(&mut self, left: Nanos) -> u32 {
        let (t, _, _) = self.prio.take().expect("a priority job runs");
        self.jobs -= 1;
        self.moved = true;
        let i = t as usize;
        self.running[i] = false;
        self.epoch[i] = self.epoch[i].wrapping_add(1);
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
        if self.waits[thread as usize] {
            let c = self.core[thread as usize] as usize;
            let w = &self.cores[c].waiting;
            return w
                .iter()
                .find(|x| x.0 == thread)
                .map_or(0, |x| x.1.round() as Nanos);
        }
        self.left_v(thread).round() as Nanos
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
        self.running[t] = false;
        if self.waits[t] {
            let left = (self.unwait(thread).round() as Nanos).min(self.work[t]);
            self.delivered += self.work[t] - left;
            return left;
        }
        let left = (self.left_v(thread).round() as Nanos).min(self.work[t]);
        self.dequeue(self.core[t] as usize, thread);
        self.delivered += self.work[t] - left;
        left
    }

    pub fn is_running(&self, thread: u32) -> bool {
        self.running.get(thread as usize).copied().unwrap_or(false)
    }

    #[inline]
    fn clean_top(&mut self, c: usize) {
        while let Some(top) = self.cores[c].heap.peek() {
            let t = top.thread as usize;
            if self.running[t] && self.epoch[t] == top.epoch && self.core[t] as usize == c {
                break;
            }
            self.cores[c].heap.pop();
        }
    }

    /// Pops every job finished by `now`, earliest first on each core.
    pub fn finished(&mut self, now: Nanos, out: &mut Vec<u32>) {
        self.advance(now);
        // Waiting jobs start when the slice ends, or on a core left without running jobs
        // (checked at a later event of the instant than the one that emptied it, so that a
        // thread going on with its next op at that instant keeps its core).
        let cores = if self.waiting > 0 {
            self.cores.len()
        } else {
            0
        };
        for c in 0..cores {
            if !self.cores[c].waiting.is_empty()
                && (self.running_load(c) == 0 || now >= self.cores[c].turn_end)
            {
                self.promote(c);
            }
        }
        let first = out.len();
        if self.prio.is_some_and(|(_, end, _)| end <= now) {
            let t = self.end_prio(0);
            out.push(t);
        }
        for c in 0..self.cores.len() {
            if self.cores[c].members.is_empty() {
                continue;
            }
            loop {
                self.clean_top(c);
                // A finish rounded to the nanosecond leaves at most half a nanosecond of
                // time undone: at a speed above 1, more than half a unit of work.
                let core = &self.cores[c];
                let tolerance = core.v + ROUNDING * core.speed.max(1.0);
                match core.heap.peek() {
                    Some(top) if top.finish_v <= tolerance => {
                        let t = top.thread;
                        self.cores[c].heap.pop();
                        self.running[t as usize] = false;
                        self.dequeue(c, t);
                        self.delivered += self.work[t as usize];
                        out.push(t);
                    }
                    _ => break,
                }
            }
        }
        for &t in &out[first..] {
            self.ended_at[t as usize] = now;
        }
    }

    /// The load balancer: while two cores' job counts differ by two or more, the busiest
    /// core's latest shared job moves to the least busy core, keeping the work it has left.
    /// Runs when the jobs of an instant are settled (before the next finish is computed), so
    /// a thread that ends one op and starts the next at the same instant keeps its core.
    fn balance(&mut self) {
        // Nothing to even out: one core, fewer than two jobs, or no change since last time.
        if self.cores.len() < 2 || self.jobs < 2 || !std::mem::take(&mut self.moved) {
            return;
        }
        loop {
            let (mut hi, mut lo) = (0, 0);
            for c in 1..self.cores.len() {
                if self.load(c) > self.load(hi) {
                    hi = c;
                }
                if self.load(c) < self.load(lo) {
                    lo = c;
                }
            }
            if self.load(hi) < self.load(lo) + 2 {
                return;
            }
            // The latest job to arrive: a waiting one, else the latest running one.
            if let Some(&(t, _)) = self.cores[hi].waiting.last() {
                let left = self.unwait(t);
                self.admit(self.last, lo, t, left);
                continue;
            }
            let Some(&t) = self.cores[hi].members.last() else {
                return;
            };
            let left = self.left_v(t);
            self.dequeue(hi, t);
            if self.load(lo) == 0 {
                self.start_turn(lo, self.last);
            }
            self.enqueue(lo, t, left);
        }
    }

    /// When the earliest running job will finish at the current rates (after balancing).
    pub fn next_finish(&mut self) -> Option<Nanos> {
        self.balance();
        let mut next = self
            .prio
            .map(|(_, end, c)| end.min(self.cores[c].change_at));
        let cores = if self.waiting > 0 {
            self.cores.len()
        } else {
            0
        };
        for c in 0..cores {
            if !self.cores[c].waiting.is_empty() {
                // Its waiting jobs start when the slice ends, or at once on a core without
                // running jobs.
                let at = if self.running_load(c) == 0 {
                    self.last
                } else {
                    self.cores[c].turn_end.max(self.last)
                };
                next = Some(next.map_or(at, |x: Nanos| x.min(at)));
            }
        }
        if self.jobs == usize::from(self.prio.is_some()) {
            return next;
        }
        let prio_core = self.prio.map(|(_, _, c)| c);
        for c in 0..self.cores.len() {
            let n = self.cores[c].members.len();
            if n == 0 || prio_core == Some(c) {
                continue;
            }
            self.clean_top(c);
            if let Some(top) = self.cores[c].heap.peek() {
                // At rate speed/n: the remaining virtual time takes n/speed times as long
                // (or until the core's speed changes).
                let core = &self.cores[c];
                let dv = (top.finish_v - core.v).max(0.0);
                let at = if self.varies {
                    (self.last + round_ns(dv * n as f64 / core.speed)).min(core.change_at)
                } else {
                    self.last + round_ns(dv * n as f64)
                };
                next = Some(next.map_or(at, |x: Nanos| x.min(at)));
            }
        }
        next
    }
}

/// Linux's scheduler slice (EEVDF's `sched_base_slice`, 0.75 ms scaled by 1 + log2 of the
/// cores, at most 8): a task that has run this long without sleeping no longer preempts
/// others on waking.
pub(crate) fn base_slice(cores: u32) -> Nanos {
    750_000 * (1 + Nanos::from(cores.clamp(1, 8).ilog2()))
}

/// Completion times are rounded to the nearest nanosecond, so a job may finish up to half a
/// nanosecond of virtual time early or late: unbiased, so CPU time is conserved without drift.
const ROUNDING: f64 = 0.5 + 1e-6;

/// `x` rounded to whole nanoseconds, without a libm call on the hot path.
fn round_ns(x: f64) -> Nanos {
    (x + 0.5) as Nanos
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut c = Cores::new(2, None);
        c.add(0, 0, 100);
        c.add(0, 1, 300);
        assert_eq!(drain(&mut c), vec![(100, 0), (300, 1)]);
        assert_eq!(c.busy, 400.0);
    }

    #[test]
    fn over_capacity_the_first_runs_and_the_others_share_after() {
        // 3 jobs of 100, 100, 200 at once on 1 core: the first gets the core, the others wake
        // onto it and wait for its slice (0.75 ms), but it ends at 100: they start then and
        // share it at rate 1/2 (the second ends at 300, the third has 100 left: 400).
        let mut c = Cores::new(1, None);
        c.add(0, 0, 100);
        c.add(0, 1, 100);
        c.add(0, 2, 200);
        assert_eq!(drain(&mut c), vec![(100, 0), (300, 1), (400, 2)]);
        assert_eq!(c.busy, 400.0);
    }

    #[test]
    fn a_job_waking_on_a_busy_core_waits_for_the_slice_to_end() {
        // 1 core, slice 0.75 ms. Job 0 (2 ms) from 0; job 1 (0.1 ms) wakes at 0.1 ms and
        // waits for job 0's slice to end at 0.75 ms; then they share: job 1 ends at 0.95 ms,
        // job 0 has done 0.85 ms and ends at 0.95 + 1.15 = 2.1 ms.
        let mut c = Cores::new(1, None);
        assert_eq!(base_slice(1), 750_000);
        c.add(0, 0, 2_000_000);
        c.add(100_000, 1, 100_000);
        assert_eq!(c.remaining(700_000, 1), 100_000, "it has not run yet");
        assert_eq!(drain(&mut c), vec![(950_000, 1), (2_100_000, 0)]);
        // A job waking after the running one's slice has ended joins it at once, and gets its
        // own slice: job 0 (5 ms) from 2.2 ms, job 2 (1 ms) at 3 ms, job 3 (0.1 ms) waking at
        // 3.1 ms waits until 3.75 ms. By then job 0 did 0.8 + 0.375 ms, job 2 0.375 ms; the
        // three share at 1/3 and job 3 ends at 4.05 ms; jobs 0 and 2 share at 1/2: job 2
        // (0.525 ms left) ends at 5.1 ms, job 0 (3.2 ms left) at 8.3 ms.
        c.add(2_200_000, 0, 5_000_000);
        c.add(3_000_000, 2, 1_000_000);
        c.add(3_100_000, 3, 100_000);
        assert_eq!(
            drain(&mut c),
            vec![(4_050_000, 3), (5_100_000, 2), (8_300_000, 0)]
        );
        assert_eq!(c.delivered, 2_100_000 + 6_100_000);
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
    fn sharing_never_stalls_on_sub_nanosecond_remainders() {
        // 3 jobs on 2 cores: two share a core at rate 1/2, and the one moved when the lone one
        // ends keeps a fractional virtual time.
        let mut c = Cores::new(2, None);
        for t in 0..3 {
            c.add(0, t, 1 + t as Nanos);
        }
        let done = drain(&mut c);
        assert_eq!(done.len(), 3);
        assert!(done.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn a_priority_job_takes_its_core() {
        // 2 cores, 4 jobs of 100: jobs 0 and 1 run on a core each, jobs 2 and 3 wait on
        // cores 0 and 1 for their slices. A priority job of 50 at t = 20 (no core idle: the
        // least loaded, core 0) stops job 0 until t = 70, with 80 left: it ends at 150, and
        // job 2 runs then: 250. On core 1, job 1 ends at 100 and job 3 runs: 200.
        let mut c = Cores::new(2, None);
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
    fn three_jobs_on_two_cores_share_unevenly() {
        // Jobs of 3 ms. Jobs 0 and 1 get a core each; job 2 finds none idle, goes to the
        // least loaded, core 0, and waits for job 0's slice (1.5 ms on 2 cores); then jobs 0
        // and 2 share core 0. Job 1 ends at 3 ms; its idle core pulls job 2 (the later on
        // core 0): job 0 (0.75 ms left) ends at 3.75 ms, job 2 (2.25 ms left) at 5.25 ms.
        let mut c = Cores::new(2, None);
        assert_eq!(base_slice(2), 1_500_000);
        c.add(0, 0, 3_000_000);
        c.add(0, 1, 3_000_000);
        c.add(0, 2, 3_000_000);
        assert_eq!(
            drain(&mut c),
            vec![(3_000_000, 1), (3_750_000, 0), (5_250_000, 2)]
        );
        assert_eq!(c.busy, 9_000_000.0);
    }

    #[test]
    fn a_busy_core_is_left_to_its_job_and_the_client_shares_the_other() {
        // Two workers with a core each; the client (priority) finds no idle core and goes to
        // the least loaded, core 0, whose worker waits while it runs: worker 0 ends 30 later.
        let mut c = Cores::new(2, None);
        c.add(0, 0, 100);
        c.add(0, 1, 100);
        c.add_priority(10, 5, 30);
        assert_eq!(drain(&mut c), vec![(40, 5), (100, 1), (130, 0)]);
    }

    #[test]
    fn a_thread_goes_back_to_its_idle_core_or_to_an_idle_one() {
        let mut c = Cores::new(2, None);
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
        let mut c = Cores::new(2, None);
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
        let mut c = Cores::new(1, None);
        c.add(0, 0, 100);
        c.add_priority(10, 1, 30);
        assert_eq!(c.remaining(25, 1), 15);
        assert_eq!(drain(&mut c), vec![(40, 1), (130, 0)]);
        // Taken off early, it gives back what it had not done.
        c.add_priority(200, 1, 30);
        assert_eq!(c.remove(210, 1), 20);
        assert_eq!(c.delivered, 140);
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
        let mut c = Cores::new(1, None);
        set_speed(&mut c, 0, 0.5, 4_000);
        c.add(0, 0, 10_000);
        assert_eq!(c.next_finish(), Some(4_000), "the speed change comes first");
        assert_eq!(drain(&mut c), vec![(12_000, 0)]);
        // Half speed until 4 ms. Two jobs of 3 ms at 0: job 1 waits for job 0's slice
        // (0.75 ms; job 0 does 0.375 ms), then they share at 0.5 / 2 until 4 ms (0.8125 ms
        // each), then at 1/2: job 0 (1.8125 ms left) ends at 7.625 ms, job 1 (0.375 ms left
        // then) at 8 ms.
        let mut c = Cores::new(1, None);
        set_speed(&mut c, 0, 0.5, 4_000_000);
        c.add(0, 0, 3_000_000);
        c.add(0, 1, 3_000_000);
        assert_eq!(c.remaining(500_000, 1), 3_000_000);
        assert_eq!(c.next_finish(), Some(750_000), "the slice ends");
        let mut done = Vec::new();
        c.finished(750_000, &mut done);
        assert!(done.is_empty());
        assert_eq!(c.remaining(2_000_000, 0), 2_312_500);
        assert_eq!(drain(&mut c), vec![(7_625_000, 0), (8_000_000, 1)]);
        assert_eq!(c.delivered, 6_000_000);
        assert_eq!(c.busy, 8_000_000.0);
    }

    #[test]
    fn the_priority_job_keeps_its_work_across_a_speed_change() {
        // At a quarter speed until 2 000, a priority job of 1 000 from t = 0 does 500 by
        // then and the other 500 at speed 1: it ends at 2 500. Its remaining work at 1 000 is
        // 750, and taken off then it gives back 750.
        let mut c = Cores::new(1, None);
        set_speed(&mut c, 0, 0.25, 2_000);
        c.add_priority(0, 1, 1_000);
        assert_eq!(c.remaining(1_000, 1), 750);
        assert_eq!(drain(&mut c), vec![(2_500, 1)]);
        let mut c = Cores::new(1, None);
        set_speed(&mut c, 0, 0.25, 2_000);
        c.add_priority(0, 1, 1_000);
        assert_eq!(c.remove(1_000, 1), 750);
        assert_eq!(c.delivered, 250);
    }

    #[test]
    fn a_fast_core_ends_a_job_at_the_nearest_nanosecond() {
        // 10 units at speed 3 take 3.33 ns: the job ends at 3, with 1 unit (a third of a
        // nanosecond) undone, instead of waiting at t = 3 for a tick that never comes.
        let mut c = Cores::new(1, None);
        set_speed(&mut c, 0, 3.0, NEVER);
        c.add(0, 0, 10);
        assert_eq!(drain(&mut c), vec![(3, 0)]);
        assert_eq!(c.delivered, 10);
    }

    #[test]
    fn an_idle_core_draws_its_speed_afresh_when_work_arrives() {
        // The hold ended while the core was idle: the job that arrives later runs at the
        // core's speed from then (here the nominal one), not at the stale slow one.
        let mut c = Cores::new(1, None);
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
        let mut c = Cores::new(1, Some((&speed, Rng::new(1, 5))));
        c.add(0, 0, 60_000_000_000);
        let (end, _) = drain(&mut c)[0];
        let ratio = end as f64 / 60e9;
        assert!((0.95..1.05).contains(&ratio), "took {ratio} × the work");
        let mut c = Cores::new(2, Some((&speed, Rng::new(2, 5))));
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
        let mut c = Cores::new(1, None);
        c.add(0, 0, 100);
        assert_eq!(c.remove(40, 0), 60);
        c.add(50, 0, 60);
        assert_eq!(drain(&mut c), vec![(110, 0)]);
    }
}
