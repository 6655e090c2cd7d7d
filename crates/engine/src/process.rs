//! Worker processes: start, gunicorn's heartbeat watchdog, kill and restart; and the
//! `ProcessPoolExecutor` a worker uses for process offloads (each pool process has its own GIL).

use std::collections::VecDeque;

use crate::limiter::Limiter;
use crate::queue::Ev;
use crate::record::{LaneKind, Status};
use crate::scenario::{Runtime, StepKind};
use crate::sim::{Cat, Job, LoopState, Proc, Role, Simulation, NONE};
use crate::time::{Nanos, NS_PER_S};

/// gunicorn's arbiter wakes about once a second to check heartbeats: a worker whose heartbeat
/// is older than the timeout dies at the first whole second after that.
fn arbiter_tick(t: Nanos) -> Nanos {
    t.div_ceil(NS_PER_S) * NS_PER_S
}

impl Simulation {
    pub(crate) fn fresh_proc(&self) -> Proc {
        Proc {
            gen: 0,
            alive: false,
            gil: NONE,
            threads: Vec::new(),
            lp: LoopState {
                wake_at: crate::sim::NEVER,
                ..LoopState::default()
            },
            main: NONE,
            main_jobs: VecDeque::new(),
            task_queue: VecDeque::new(),
            pool_idle: VecDeque::new(),
            pool_busy: 0,
            conn_free: Default::default(),
            conn_next: 0,
            sync_thread: NONE,
            acceptor_idle: false,
            wake_at: crate::sim::NEVER,
            open_conns: 0,
            limiter: Limiter::new(if self.cfg.runtime == Runtime::EventLoop {
                self.cfg.threads
            } else {
                0
            }),
            db: Limiter::new(self.scenario.handler.db_pool.unwrap_or(0)),
            ppool_idle: Vec::new(),
            ppool_count: 0,
            ppool_queue: VecDeque::new(),
            heartbeat: 0,
            busy: false,
            watchdog_pending: false,
            gc: Default::default(),
            on_cpu: 0,
            off_cpu_since: None,
            cold_debt: 0,
            // Forked by the master (gunicorn restarts its workers so).
            fd_table: crate::fds::FORKED_TABLE,
        }
    }

    /// Boots worker `p`: a fresh GIL and threads, then it waits on the listen socket.
    pub(crate) fn start_proc(&mut self, p: u32) {
        if let Some(g) = &self.cfg.gc {
            self.procs[p as usize].gc = crate::gc::GcState::new(g, &mut self.rng_gc);
        }
        let gil = self.new_gil();
        let proc = &mut self.procs[p as usize];
        proc.alive = true;
        proc.gil = gil;
        proc.heartbeat = self.now;
        match self.cfg.runtime {
            Runtime::EventLoop => self.loop_start(p),
            _ => self.threaded_start(p),
        }
        if !self.listener.is_empty() {
            self.notify_acceptors();
        }
    }

    /// Adds worker `p`'s live counters (limiters, GIL) to its statistics; called before the
    /// process state is replaced, and at the end of the run.
    pub(crate) fn fold_proc_stats(&mut self, p: u32) {
        let proc = &self.procs[p as usize];
        let w = &mut self.pstats[p as usize].stats;
        w.pool_peak_busy = w.pool_peak_busy.max(proc.limiter.peak_used);
        w.pool_peak_waiting = w.pool_peak_waiting.max(proc.limiter.peak_waiting);
        w.pool_waits += proc.limiter.waits;
        w.db_peak_waiting = w.db_peak_waiting.max(proc.db.peak_waiting);
        w.db_waits += proc.db.waits;
        if proc.gil != NONE {
            w.gil_forced_switches += self.gils[proc.gil as usize].forced;
            w.gil_waits += self.gils[proc.gil as usize].waits;
        }
    }

    pub(crate) fn restart_proc(&mut self, p: u32) {
        self.fold_proc_stats(p);
        let gen = self.procs[p as usize].gen;
        let mut fresh = self.fresh_proc();
        fresh.gen = gen;
        self.procs[p as usize] = fresh;
        self.start_proc(p);
    }

    /// gunicorn's arbiter: a worker that has not sent a heartbeat for `timeout` is killed. A
    /// sync worker beats between requests; a uvicorn worker's event loop beats as it runs.
    pub(crate) fn watchdog_arm(&mut self, p: u32) {
        let Some(timeout) = self.cfg.worker_timeout else {
            return;
        };
        if matches!(self.cfg.runtime, Runtime::ThreadPool { .. }) {
            // gthread's main thread keeps beating whatever the pool threads do.
            return;
        }
        let proc = &mut self.procs[p as usize];
        if !proc.watchdog_pending {
            proc.watchdog_pending = true;
            let (at, gen) = (arbiter_tick(proc.heartbeat + timeout), proc.gen);
            self.q.push(at, Ev::Watchdog { proc: p, gen });
        }
    }

    pub(crate) fn watchdog(&mut self, p: u32, gen: u32) {
        let timeout = self.cfg.worker_timeout.expect("a watchdog needs a timeout");
        let proc = &mut self.procs[p as usize];
        if proc.gen != gen || !proc.alive {
            return;
        }
        proc.watchdog_pending = false;
        if !proc.busy {
            return;
        }
        let deadline = proc.heartbeat + timeout;
        if self.now >= deadline {
            self.kill_proc(p);
        } else {
            proc.watchdog_pending = true;
            self.q
                .push(arbiter_tick(deadline), Ev::Watchdog { proc: p, gen });
        }
    }

    /// Kills worker `p`: its requests fail, its threads vanish, a replacement boots later.
    pub(crate) fn kill_proc(&mut self, p: u32) {
        self.pstats[p as usize].stats.killed += 1;
        let threads = std::mem::take(&mut self.procs[p as usize].threads);
        for &t in &threads {
            self.kill_thread(t);
        }
        let proc = &mut self.procs[p as usize];
        proc.alive = false;
        proc.gen += 1;
        for slot in 0..self.reqs.len() as u32 {
            let r = &self.reqs[slot as usize];
            if r.id != NONE && r.server_held && r.proc == p && r.accepted != crate::sim::NEVER {
                self.reqs[slot as usize].server_held = false;
                if self.reqs[slot as usize].client_done {
                    self.server_done(slot);
                } else {
                    self.client_fail(slot, Status::WorkerKilled);
                }
            }
        }
        self.q
            .push(self.now + self.cfg.restart, Ev::Restart { proc: p });
    }

    // ---- process pool ----

    pub(crate) fn ppool_submit(&mut self, p: u32, slot: u32, kind: StepKind, ns: Nanos, act: u16) {
        let t = match self.procs[p as usize].ppool_idle.pop() {
            Some(t) => t,
            None if self.procs[p as usize].ppool_count < self.cfg.process_pool => {
                let idx = self.procs[p as usize].ppool_count;
                self.procs[p as usize].ppool_count += 1;
                let lane = self.lane(p, LaneKind::ProcessPool, idx);
                let gil = self.new_gil();
                self.spawn_thread(p, Role::ProcWorker, lane, gil)
            }
            None => {
                self.req_cat(slot, Cat::Queued);
                let q = &mut self.procs[p as usize].ppool_queue;
                q.push_back((slot, kind, ns, act));
                let st = &mut self.pstats[p as usize].stats;
                st.process_pool_waits += 1;
                st.process_pool_peak_waiting = st.process_pool_peak_waiting.max(q.len());
                return;
            }
        };
        self.ppool_run(t, slot, kind, ns, act);
    }

    fn ppool_run(&mut self, t: u32, slot: u32, kind: StepKind, ns: Nanos, act: u16) {
        self.threads[t as usize].job = Job::Proc(slot);
        match kind {
            StepKind::Cpu => self.thread_cpu(t, ns, act, slot),
            _ => self.thread_block(t, ns, act, slot),
        }
    }

    pub(crate) fn ppool_done(&mut self, p: u32, t: u32) {
        let Job::Proc(slot) = self.threads[t as usize].job else {
            unreachable!("process-pool worker without a job")
        };
        self.thread_idle(t);
        self.req_cat(slot, Cat::Queued);
        self.wake_request(slot, false);
        match self.procs[p as usize].ppool_queue.pop_front() {
            Some((s, kind, ns, act)) => self.ppool_run(t, s, kind, ns, act),
            None => self.procs[p as usize].ppool_idle.push(t),
        }
    }
}
