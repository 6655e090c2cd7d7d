//! The asyncio event loop of a uvicorn worker, iteration by iteration as `_run_once` does it:
//! poll (select) for I/O and due timers, append their callbacks to the ready queue, then run
//! exactly the callbacks that were ready at that moment; callbacks they schedule run in the
//! next iteration. One thread runs all of it, so a callback that blocks (`time.sleep` in an
//! `async def`) stops every other request of the process, and nothing is accepted meanwhile.

use crate::queue::Ev;
use crate::record::{LaneKind, ACT_ACCEPT, ACT_FD_GROW, ACT_GC, ACT_OVERHEAD, ACT_PARSE, ACT_POLL};
use crate::recv::Reader;
use crate::sim::{Cat, Cb, Role, Simulation, NONE};
use crate::time::Nanos;

impl Simulation {
    pub(crate) fn loop_start(&mut self, p: u32) {
        let lane = self.lane(p, LaneKind::EventLoop, 0);
        let gil = self.procs[p as usize].gil;
        let t = self.spawn_thread(p, Role::Loop, lane, gil);
        let lp = &mut self.procs[p as usize].lp;
        lp.thread = t;
        lp.idle = true;
        self.procs[p as usize].acceptor_idle = true;
    }

    /// Schedules a callback from the loop itself (`call_soon`).
    pub(crate) fn loop_ready(&mut self, p: u32, cb: Cb) {
        if let Some(s) = cb.slot() {
            self.req_cat(s, Cat::Queued);
        }
        let now = self.now;
        self.procs[p as usize].lp.ready.push_back((cb, now));
        if self.procs[p as usize].lp.idle {
            self.loop_schedule_wake(p);
        }
    }

    /// An I/O event, due timer or thread-safe callback for the loop: seen at its next poll.
    pub(crate) fn loop_pending(&mut self, p: u32, cb: Cb) {
        if let Some(s) = cb.slot() {
            self.req_cat(s, Cat::Queued);
        }
        let now = self.now;
        self.procs[p as usize].lp.pending.push_back((cb, now));
        if self.procs[p as usize].lp.idle {
            self.loop_schedule_wake(p);
        }
    }

    /// Wakes the idle loop: its `select` returns, and it runs `idle_wake` later (more the
    /// longer it has been idle: `idle.rs`).
    pub(crate) fn loop_schedule_wake(&mut self, p: u32) {
        let delay = self.idle_wake_of(p);
        self.loop_schedule_wake_after(p, delay);
    }

    /// Wakes the idle loop `delay` from now (unless a wake-up comes sooner).
    pub(crate) fn loop_schedule_wake_after(&mut self, p: u32, delay: Nanos) {
        let at = self.now + delay;
        let proc = &mut self.procs[p as usize];
        if at < proc.lp.wake_at {
            proc.lp.wake_at = at;
            let gen = proc.gen;
            self.q.push(at, Ev::LoopWake { proc: p, gen });
        }
    }

    /// `select` returns in an idle loop.
    pub(crate) fn loop_wake(&mut self, p: u32) {
        let proc = &mut self.procs[p as usize];
        proc.lp.wake_at = crate::sim::NEVER;
        if !proc.lp.idle || !proc.alive {
            return;
        }
        proc.lp.idle = false;
        proc.acceptor_idle = false;
        proc.busy = true;
        self.wake_cold(p);
        self.loop_heartbeat(p);
        self.watchdog_arm(p);
        self.loop_next(p);
    }

    /// uvicorn's worker notifies gunicorn from its loop's tick, at most every `timeout / 2`
    /// (the interval gunicorn gives its workers): a loop that runs keeps beating.
    fn loop_heartbeat(&mut self, p: u32) {
        let half = self.cfg.worker_timeout.map_or(0, |t| t / 2);
        let proc = &mut self.procs[p as usize];
        if self.now >= proc.heartbeat + half {
            proc.heartbeat = self.now;
        }
    }

    /// Runs ready callbacks until one starts an op, polling between iterations.
    pub(crate) fn loop_next(&mut self, p: u32) {
        loop {
            if self.procs[p as usize].lp.batch_left == 0 {
                // The connections closed in the last iteration are let go of (their
                // `connection_lost` callbacks run in this one).
                self.gc_close_pending(p);
                // Poll: I/O events and due timers become ready, then the listening socket.
                let now = self.now;
                let can_accept = !self.listener.is_empty() && self.can_accept(p);
                self.loop_heartbeat(p);
                let proc = &mut self.procs[p as usize];
                let lp = &mut proc.lp;
                lp.ready.extend(lp.pending.drain(..));
                if can_accept {
                    lp.ready.push_back((Cb::Accept, now));
                }
                lp.batch_left = lp.ready.len();
                if lp.batch_left == 0 {
                    lp.idle = true;
                    lp.cur = None;
                    proc.acceptor_idle = true;
                    proc.busy = false;
                    let t = lp.thread;
                    self.thread_idle(t);
                    return;
                }
                // The iteration's own CPU (the poll, its bookkeeping) comes before its batch.
                lp.cur = None;
                let t = lp.thread;
                self.pstats[p as usize].loop_iterations += 1;
                if self.cfg.iteration > 0 {
                    self.procs[p as usize].lp.polling = true;
                    self.thread_cpu(t, self.cfg.iteration, ACT_POLL, NONE);
                    return;
                }
            }
            let lp = &mut self.procs[p as usize].lp;
            let (cb, since) = lp
                .ready
                .pop_front()
                .expect("batch_left counts ready callbacks");
            lp.batch_left -= 1;
            lp.cur = Some(cb);
            if cb != Cb::Accept {
                let lag = self.now - since;
                let ps = &mut self.pstats[p as usize];
                ps.loop_callbacks += 1;
                ps.loop_lag_total += lag;
                ps.loop_lag_max = ps.loop_lag_max.max(lag);
            }
            if self.loop_warm_up(p, cb) || self.loop_run(p, cb) {
                return;
            }
        }
    }

    /// A callback that runs right after a callback of another kind runs cold: the processor's
    /// caches and predictors hold other code and data, so it first pays its kind's extra
    /// (traced per call by the harness): `cold_accept` for the accept callback (before its
    /// first `accept()`), `cold_setup` for either stage of a connection's set-up, `cold_read` /
    /// `cold_task` for a read callback / task step. A loop that reads a batch of requests one
    /// after another, then runs their tasks, pays it once per batch; with `cold_task_decay`
    /// the later task steps of a batch pay a share of it that falls step by step. `true` if
    /// that is an op (the callback itself runs when it ends).
    fn loop_warm_up(&mut self, p: u32, cb: Cb) -> bool {
        let kind = std::mem::discriminant(&cb);
        let lp = &mut self.procs[p as usize].lp;
        let cold = lp.last.replace(kind) != Some(kind);
        lp.run = if cold { 1 } else { lp.run.saturating_add(1) };
        let run = lp.run;
        let w = &mut self.pstats[p as usize].loop_warmth;
        let (extra, act, slot) = match cb {
            Cb::Accept => {
                w.accepts += 1;
                w.accepts_cold += u64::from(cold);
                (self.cfg.cold_accept, ACT_ACCEPT, NONE)
            }
            Cb::Setup(slot) | Cb::Register(slot) => {
                w.setups += 1;
                w.setups_cold += u64::from(cold);
                (self.cfg.cold_setup, ACT_ACCEPT, slot)
            }
            Cb::Read(slot) => {
                w.reads += 1;
                w.reads_cold += u64::from(cold);
                (self.cfg.cold_read, ACT_PARSE, slot)
            }
            Cb::Run(slot) => {
                w.task_steps += 1;
                w.task_steps_cold += u64::from(cold);
                (self.cfg.cold_task, ACT_OVERHEAD, slot)
            }
            Cb::Wake(_) => return false,
        };
        // The first of a run pays its kind's extra; the k-th task step in a row still pays
        // `cold_task_decay^(k − 1)` of it, the later ones of other kinds nothing.
        let d = self.cfg.cold_task_decay;
        let extra = if cold {
            extra
        } else if matches!(cb, Cb::Run(_)) && d > 0.0 {
            (extra as f64 * d.powi((run - 1).min(1_000) as i32)).round() as Nanos
        } else {
            0
        };
        if extra == 0 {
            return false;
        }
        self.procs[p as usize].lp.warming = true;
        let t = self.procs[p as usize].lp.thread;
        self.thread_cpu(t, extra, act, slot);
        true
    }

    /// Starts a callback; `true` if it started an op (the loop thread is busy with it).
    fn loop_run(&mut self, p: u32, cb: Cb) -> bool {
        let t = self.procs[p as usize].lp.thread;
        match cb {
            Cb::Accept => {
                self.procs[p as usize].lp.accepted_in_batch = 0;
                self.loop_accept_next(p)
            }
            Cb::Read(slot) => {
                // The request's first objects: a collection they trigger runs before the parse.
                let pause = self.gc_alloc_read(slot);
                if pause > 0 {
                    self.procs[p as usize].lp.read_gc = true;
                    self.thread_cpu(t, pause, ACT_GC, slot);
                    return true;
                }
                self.loop_parse(p, slot)
            }
            Cb::Setup(slot) | Cb::Register(slot) => {
                // Half of the connection's set-up in each of the two iterations.
                let half = self.cfg.setup / 2;
                let ns = if matches!(cb, Cb::Setup(_)) {
                    half
                } else {
                    self.cfg.setup - half
                };
                if ns == 0 {
                    self.loop_setup_next(p, cb);
                    return false;
                }
                self.server_cpu(t, ns, ACT_ACCEPT, slot);
                true
            }
            Cb::Wake(slot) => {
                self.loop_ready(p, Cb::Run(slot));
                false
            }
            Cb::Run(slot) => self.loop_task(slot),
        }
    }

    /// A stage of an accepted connection's set-up ended: the next stage runs in the next
    /// iteration, and after the last the request is read at the next poll (once its bytes
    /// have arrived: `recv`).
    fn loop_setup_next(&mut self, p: u32, cb: Cb) {
        match cb {
            Cb::Setup(slot) => self.loop_ready(p, Cb::Register(slot)),
            Cb::Register(slot) => self.read_when_sent(slot, Reader::Loop(p)),
            _ => unreachable!("not a set-up stage"),
        }
    }

    /// The read callback parses request `slot`; `true` if that is an op.
    fn loop_parse(&mut self, p: u32, slot: u32) -> bool {
        if self.cfg.parse == 0 {
            self.loop_ready(p, Cb::Run(slot));
            return false;
        }
        let t = self.procs[p as usize].lp.thread;
        self.server_cpu(t, self.cfg.parse, ACT_PARSE, slot);
        true
    }

    /// asyncio's accept loop: `sock.accept()` once per connection, up to the batch, while
    /// connections are queued; the `accept()` that finds none ends it (`loop_accept_fails`).
    /// Each `accept()` first takes a descriptor, which may wait for its table to grow
    /// (`fds.rs`: nothing else runs on the loop meanwhile, and other workers accept). The
    /// accept's CPU runs next and the connection is taken as it ends (`loop_accepted`): a
    /// worker that was woken but waits for a core takes nothing meanwhile, and other woken
    /// workers accept in parallel.
    fn loop_accept_next(&mut self, p: u32) -> bool {
        let t = self.procs[p as usize].lp.thread;
        loop {
            if self.procs[p as usize].lp.accepted_in_batch >= self.cfg.accept_batch
                || self.accept_room(p) == 0
            {
                return false;
            }
            let wait = self.fd_alloc_wait(p);
            if wait > 0 {
                self.procs[p as usize].lp.fd_growing = true;
                self.thread_block(t, wait, ACT_FD_GROW, NONE);
                return true;
            }
            if self.listener.is_empty() {
                return self.loop_accept_fails(p, self.cfg.accept_call);
            }
            if self.cfg.accept > 0 {
                self.server_cpu(t, self.cfg.accept, ACT_ACCEPT, NONE);
                return true;
            }
            self.loop_accepted(p);
        }
    }

    /// The accept callback's last `accept()` finds no connection (EAGAIN, raised and caught as
    /// `BlockingIOError`): `cpu` of it, then the callback ends. `true` if that is an op.
    fn loop_accept_fails(&mut self, p: u32, cpu: Nanos) -> bool {
        if cpu == 0 {
            return false;
        }
        let t = self.procs[p as usize].lp.thread;
        self.procs[p as usize].lp.accept_failing = true;
        self.server_cpu(t, cpu, ACT_ACCEPT, NONE);
        true
    }

    /// The `accept()` call (`accept_ends`): the connection's set-up task is created (it runs
    /// next iteration); its request is read once the set-up has registered the socket.
    /// `false` if there was none (EAGAIN: the accept callback ends).
    fn loop_accepted(&mut self, p: u32) -> bool {
        let t = self.procs[p as usize].lp.thread;
        let Some(slot) = self.accept_ends(p, t) else {
            return false;
        };
        self.procs[p as usize].lp.accepted_in_batch += 1;
        self.loop_ready(p, Cb::Setup(slot));
        true
    }

    fn loop_task(&mut self, slot: u32) -> bool {
        match self.advance(slot) {
            crate::program::Flow::Op => true,
            crate::program::Flow::End => {
                self.server_done(slot);
                false
            }
            _ => false,
        }
    }

    /// The loop thread's op finished: the current callback goes on or ends.
    pub(crate) fn loop_op_done(&mut self, p: u32) {
        if std::mem::take(&mut self.procs[p as usize].lp.polling) {
            self.loop_next(p);
            return;
        }
        if std::mem::take(&mut self.procs[p as usize].lp.fd_growing) {
            // The table has grown: the `accept()` goes on.
            if !self.loop_accept_next(p) {
                self.loop_next(p);
            }
            return;
        }
        let cur = self.procs[p as usize].lp.cur;
        if std::mem::take(&mut self.procs[p as usize].lp.warming) {
            let cb = cur.expect("a warm-up is for the current callback");
            if !self.loop_run(p, cb) {
                self.loop_next(p);
            }
            return;
        }
        let busy = match cur {
            Some(Cb::Accept) => {
                if std::mem::take(&mut self.procs[p as usize].lp.accept_failing) {
                    false
                } else if self.loop_accepted(p) {
                    self.loop_accept_next(p)
                } else {
                    // Another worker took the connection while this `accept()` ran: it found
                    // none, and pays the rest of a failing call.
                    let rest = self.cfg.accept_call.saturating_sub(self.cfg.accept);
                    self.loop_accept_fails(p, rest)
                }
            }
            Some(Cb::Read(slot)) => {
                if std::mem::take(&mut self.procs[p as usize].lp.read_gc) {
                    self.loop_parse(p, slot)
                } else {
                    // uvicorn creates the request task: its first step runs next iteration.
                    self.loop_ready(p, Cb::Run(slot));
                    false
                }
            }
            Some(Cb::Run(slot)) => self.loop_task(slot),
            Some(cb @ (Cb::Setup(_) | Cb::Register(_))) => {
                self.loop_setup_next(p, cb);
                false
            }
            Some(Cb::Wake(_)) | None => unreachable!("loop op without a callback"),
        };
        if !busy {
            self.loop_next(p);
        }
    }
}
