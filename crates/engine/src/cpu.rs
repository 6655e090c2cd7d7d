//! The machine's cores: processor sharing, as the OS scheduler approximates it.
//!
//! Every runnable CPU job (a GIL holder running Python, a free-threaded thread, a process-pool
//! worker) progresses at rate `min(1, K / n)` for `n` runnable jobs on `K` cores. Progress is
//! tracked in "virtual time" `V` (dV/dt = rate), so a job of `w` ns started at `V0` ends when
//! `V = V0 + w`; changing `n` changes only the rate, not the jobs.
//!
//! One job may run with priority (the load generator, ab): it takes a whole core whenever it
//! is runnable and the others share the rest, as Linux runs a process waking from
//! `epoll_wait` ahead of CPU-bound ones.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Nanos;

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

pub(crate) struct Cores {
    k: usize,
    n: usize,
    v: f64,
    last: Nanos,
    heap: BinaryHeap<Job>,
    /// Per thread: the epoch of its current job (stale heap entries are skipped) and its finish.
    epoch: Vec<u32>,
    finish: Vec<f64>,
    running: Vec<bool>,
    /// The priority job, if one runs: its thread and when it finishes (real time).
    prio: Option<(u32, Nanos)>,
    /// Core-nanoseconds of capacity used (integral of min(n, K) dt), for utilisation.
    pub busy: f64,
    /// Work delivered, job by job: a job's work when it finishes, the part done when it is
    /// taken off. Equals the work asked for once every job has ended.
    pub delivered: Nanos,
    work: Vec<Nanos>,
    /// Generation of the scheduled tick; older ticks are ignored.
    pub gen: u64,
    /// Time of the currently scheduled tick, if any.
    pub scheduled: Option<Nanos>,
}

impl Cores {
    pub fn new(k: u32) -> Cores {
        Cores {
            k: k as usize,
            n: 0,
            v: 0.0,
            last: 0,
            heap: BinaryHeap::new(),
            epoch: Vec::new(),
            finish: Vec::new(),
            running: Vec::new(),
            prio: None,
            busy: 0.0,
            delivered: 0,
            work: Vec::new(),
            gen: 0,
            scheduled: None,
        }
    }

    /// Cores left to the shared jobs.
    fn shared_cores(&self) -> usize {
        self.k - usize::from(self.prio.is_some()).min(self.k)
    }

    fn rate(&self) -> f64 {
        let k = self.shared_cores();
        if self.n <= k {
            1.0
        } else {
            k as f64 / self.n as f64
        }
    }

    /// Brings virtual time up to `now`.
    pub fn advance(&mut self, now: Nanos) {
        if now > self.last {
            let dt = (now - self.last) as f64;
            self.v += dt * self.rate();
            let prio = usize::from(self.prio.is_some()).min(self.k);
            self.busy += dt * (self.n.min(self.shared_cores()) + prio) as f64;
            self.last = now;
        }
    }

    fn ensure(&mut self, thread: u32) {
        let t = thread as usize;
        if t >= self.epoch.len() {
            self.epoch.resize(t + 1, 0);
            self.finish.resize(t + 1, 0.0);
            self.running.resize(t + 1, false);
            self.work.resize(t + 1, 0);
        }
    }

    /// Starts `work` ns of CPU for `thread`.
    pub fn add(&mut self, now: Nanos, thread: u32, work: Nanos) {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        debug_assert!(!self.running[t], "thread {thread} already on a core");
        self.epoch[t] = self.epoch[t].wrapping_add(1);
        let finish_v = self.v + work as f64;
        self.finish[t] = finish_v;
        self.work[t] = work;
        self.running[t] = true;
        self.heap.push(Job {
            finish_v,
            thread,
            epoch: self.epoch[t],
        });
        self.n += 1;
    }

    /// Starts `work` ns of CPU for `thread` with priority (one such job at a time).
    pub fn add_priority(&mut self, now: Nanos, thread: u32, work: Nanos) {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        debug_assert!(self.prio.is_none(), "one priority job at a time");
        self.epoch[t] = self.epoch[t].wrapping_add(1);
        self.work[t] = work;
        self.running[t] = true;
        self.prio = Some((thread, now + work));
    }

    /// Work `thread` has left (0 if it is not running).
    pub fn remaining(&mut self, now: Nanos, thread: u32) -> Nanos {
        self.advance(now);
        if !self.is_running(thread) {
            return 0;
        }
        if let Some((p, end)) = self.prio {
            if p == thread {
                return end.saturating_sub(now);
            }
        }
        (self.finish[thread as usize] - self.v).max(0.0).round() as Nanos
    }

    /// Takes `thread` off the cores (preempted or killed); returns its remaining work.
    pub fn remove(&mut self, now: Nanos, thread: u32) -> Nanos {
        self.advance(now);
        self.ensure(thread);
        let t = thread as usize;
        if !self.running[t] {
            return 0;
        }
        self.running[t] = false;
        self.epoch[t] = self.epoch[t].wrapping_add(1);
        if let Some((p, end)) = self.prio {
            if p == thread {
                self.prio = None;
                let left = end.saturating_sub(now).min(self.work[t]);
                self.delivered += self.work[t] - left;
                return left;
            }
        }
        self.n -= 1;
        let left = ((self.finish[t] - self.v).max(0.0).round() as Nanos).min(self.work[t]);
        self.delivered += self.work[t] - left;
        left
    }

    pub fn is_running(&self, thread: u32) -> bool {
        self.running.get(thread as usize).copied().unwrap_or(false)
    }

    fn clean_top(&mut self) {
        while let Some(top) = self.heap.peek() {
            let t = top.thread as usize;
            if self.running[t] && self.epoch[t] == top.epoch {
                break;
            }
            self.heap.pop();
        }
    }

    /// Pops every job finished by `now` (call after `advance(now)`), earliest first.
    pub fn finished(&mut self, now: Nanos, out: &mut Vec<u32>) {
        self.advance(now);
        if let Some((t, end)) = self.prio {
            if end <= now {
                self.prio = None;
                self.running[t as usize] = false;
                self.epoch[t as usize] = self.epoch[t as usize].wrapping_add(1);
                self.delivered += self.work[t as usize];
                out.push(t);
            }
        }
        loop {
            self.clean_top();
            match self.heap.peek() {
                Some(top) if top.finish_v <= self.v + ROUNDING => {
                    let t = top.thread;
                    self.heap.pop();
                    self.running[t as usize] = false;
                    self.epoch[t as usize] = self.epoch[t as usize].wrapping_add(1);
                    self.n -= 1;
                    self.delivered += self.work[t as usize];
                    out.push(t);
                }
                _ => break,
            }
        }
    }

    /// When the earliest running job will finish at the current rate.
    pub fn next_finish(&mut self) -> Option<Nanos> {
        self.clean_top();
        let prio = self.prio.map(|(_, end)| end);
        let rate = self.rate();
        let shared = match self.heap.peek() {
            Some(top) if rate > 0.0 => {
                let dv = (top.finish_v - self.v).max(0.0);
                Some(self.last + round_ns(dv / rate))
            }
            _ => None,
        };
        match (prio, shared) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
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
        let mut c = Cores::new(2);
        c.add(0, 0, 100);
        c.add(0, 1, 300);
        assert_eq!(drain(&mut c), vec![(100, 0), (300, 1)]);
        assert_eq!(c.busy, 400.0);
    }

    #[test]
    fn over_capacity_shares() {
        // 3 jobs of 100 on 1 core: all progress at 1/3; the first ends at 300.
        let mut c = Cores::new(1);
        c.add(0, 0, 100);
        c.add(0, 1, 100);
        c.add(0, 2, 200);
        assert_eq!(drain(&mut c), vec![(300, 0), (300, 1), (400, 2)]);
        assert_eq!(c.busy, 400.0);
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
        // 3 jobs on 2 cores: rate 2/3 produces fractional virtual times.
        let mut c = Cores::new(2);
        for t in 0..3 {
            c.add(0, t, 1 + t as Nanos);
        }
        let done = drain(&mut c);
        assert_eq!(done.len(), 3);
        assert!(done.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn a_priority_job_takes_a_whole_core() {
        // 2 cores, 4 shared jobs of 100: rate 1/2. A priority job of 50 at t = 20 leaves them
        // one core (rate 1/4) until t = 70; then rate 1/2 again. By t = 20 they did 10 each, by
        // 70 another 12.5, and the remaining 77.5 take 155 more: they end at 225.
        let mut c = Cores::new(2);
        for t in 0..4 {
            c.add(0, t, 100);
        }
        c.advance(20);
        c.add_priority(20, 9, 50);
        assert_eq!(
            drain(&mut c),
            vec![(70, 9), (225, 0), (225, 1), (225, 2), (225, 3)]
        );
        assert_eq!(c.busy, 450.0);
        assert_eq!(c.delivered, 450);
    }

    #[test]
    fn on_one_core_a_priority_job_stops_the_others() {
        let mut c = Cores::new(1);
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
    fn preemption_keeps_remaining_work() {
        let mut c = Cores::new(1);
        c.add(0, 0, 100);
        assert_eq!(c.remove(40, 0), 60);
        c.add(50, 0, 60);
        assert_eq!(drain(&mut c), vec![(110, 0)]);
    }
}
