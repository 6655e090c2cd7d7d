//! Threads: what each is doing, how it gets the GIL and a core, the timeline it leaves.
//!
//! A thread runs one op at a time: CPU work (needs its process's GIL, then a share of the
//! cores), a blocking call (releases the GIL, takes no core), a wait, or nothing. When an op
//! finishes, the thread's role decides what comes next (`op_done`).

use crate::gil::Gil;
use crate::queue::Ev;
use crate::record::{
    Lane, LaneKind, LaneTotals, Segment, ThreadState, ACT_ACCEPT, ACT_KERNEL, ACT_PARSE, NO_REQUEST,
};
use crate::sim::{Cat, Job, Role, Simulation, Thread, NONE};
use crate::time::Nanos;

impl Simulation {
    /// The lane for (worker, kind, index), created on first use.
    pub(crate) fn lane(&mut self, proc: u32, kind: LaneKind, index: u32) -> u32 {
        if let Some(&l) = self.lane_index.get(&(proc, kind, index)) {
            return l;
        }
        let name = match kind {
            LaneKind::EventLoop => format!("w{proc} event loop"),
            LaneKind::Main => format!("w{proc} main thread"),
            LaneKind::Threadpool => format!("w{proc} thread {index}"),
            LaneKind::Connection => format!("w{proc} conn thread {index}"),
            LaneKind::Sync => format!("w{proc} worker"),
            LaneKind::ProcessPool => format!("w{proc} pool process {index}"),
            LaneKind::Client => match self.scenario.load {
                crate::scenario::Load::Closed { .. } => "ab (the client)".to_string(),
                _ => "the client (a script)".to_string(),
            },
        };
        let id = self.lanes.len() as u32;
        self.lanes.push(Lane {
            worker: proc,
            kind,
            index,
            name,
        });
        self.lane_totals.push(LaneTotals::default());
        self.lane_index.insert((proc, kind, index), id);
        id
    }

    pub(crate) fn new_gil(&mut self) -> u32 {
        self.gils
            .push(Gil::new(self.cfg.gil, self.cfg.switch_interval));
        (self.gils.len() - 1) as u32
    }

    /// ab's thread: not part of any worker (a worker's kill leaves it alone).
    pub(crate) fn client_thread(&mut self, lane: u32, gil: u32) -> u32 {
        let id = self.spawn_thread(0, Role::Client, lane, gil);
        self.procs[0].threads.retain(|&t| t != id);
        id
    }

    pub(crate) fn spawn_thread(&mut self, proc: u32, role: Role, lane: u32, gil: u32) -> u32 {
        let id = self.threads.len() as u32;
        self.threads.push(Thread {
            proc,
            gil,
            lane,
            role,
            state: ThreadState::Idle,
            since: self.now,
            req: NONE,
            req_id: NONE,
            activity: crate::record::ACT_IDLE,
            epoch: 0,
            cpu_left: 0,
            kernel_left: 0,
            then_python: 0,
            then_act: 0,
            cold_extra: 0,
            awake_left: crate::sim::NEVER,
            has_gil: false,
            alive: true,
            job: Job::None,
            next_on_conn: NONE,
        });
        self.procs[proc as usize].threads.push(id);
        id
    }

    /// Changes a thread's state: closes its current timeline segment and moves the time
    /// accounting of the request it works for.
    pub(crate) fn set_state(&mut self, t: u32, state: ThreadState, slot: u32, act: u16) {
        let now = self.now;
        let th = &self.threads[t as usize];
        let req_id = if slot == NONE {
            NONE
        } else {
            self.reqs[slot as usize].id
        };
        if th.state == state && th.req_id == req_id && th.activity == act {
            return;
        }
        let (old, since, lane, old_req, old_act, proc, gil) = (
            th.state,
            th.since,
            th.lane,
            th.req_id,
            th.activity,
            th.proc,
            th.gil,
        );
        self.last_change = now;
        if now > since && old != ThreadState::Idle {
            let d = now - since;
            self.lane_totals[lane as usize].add(old, d);
            let ps = &mut self.pstats[proc as usize];
            if th.role == Role::Loop {
                match old {
                    ThreadState::Blocked => ps.loop_blocked[old_act as usize] += d,
                    ThreadState::Cpu | ThreadState::CoreWait => ps.loop_cpu[old_act as usize] += d,
                    _ => {}
                }
            }
            if matches!(old, ThreadState::Cpu | ThreadState::CoreWait)
                && old_act != ACT_KERNEL
                && self.cfg.gil
                && gil == self.procs[proc as usize].gil
            {
                ps.stats.gil_held += d;
            }
            self.emit_segment(Segment {
                lane,
                start: since,
                end: now,
                state: old,
                request: if old_req == NONE { NO_REQUEST } else { old_req },
                activity: old_act,
            });
        }
        let on_cpu = |s: ThreadState| matches!(s, ThreadState::Cpu | ThreadState::CoreWait);
        if on_cpu(old) != on_cpu(state) && self.threads[t as usize].role != Role::Client {
            self.note_cpu(proc, on_cpu(state));
        }
        let th = &mut self.threads[t as usize];
        th.state = state;
        th.since = now;
        th.req = slot;
        th.req_id = req_id;
        th.activity = act;
        if slot != NONE {
            let cat = match state {
                ThreadState::Cpu => Some(Cat::Cpu),
                ThreadState::GilWait => Some(Cat::GilWait),
                ThreadState::CoreWait => Some(Cat::CoreWait),
                ThreadState::Blocked => Some(Cat::Blocked),
                _ => None,
            };
            if let Some(c) = cat {
                self.req_cat(slot, c);
            }
        }
    }

    fn emit_segment(&mut self, s: Segment) {
        if let Some((from, to)) = self.opts.segment_window {
            if s.end < from || s.start > to {
                return;
            }
        }
        if self.segments.len() < self.opts.max_segments {
            self.segments.push(s);
        } else {
            self.segments_dropped += 1;
        }
    }

    /// Starts `ns` of CPU work on thread `t` (for request `slot`, doing activity `act`).
    pub(crate) fn thread_cpu(&mut self, t: u32, ns: Nanos, act: u16, slot: u32) {
        // A process woken cold runs slower until it has paid its debt (`idle.rs`).
        let extra = self.cold_extra(t, ns);
        self.threads[t as usize].cold_extra = extra;
        let ns = ns + extra;
        self.cpu_demand += ns;
        let th = &mut self.threads[t as usize];
        th.cpu_left = ns;
        th.awake_left = crate::sim::NEVER;
        let g = th.gil;
        if th.has_gil && self.gils[g as usize].drop_request {
            // Asked to drop the GIL: hand it over and queue for it again.
            self.threads[t as usize].has_gil = false;
            self.threads[t as usize].req = slot;
            self.threads[t as usize].activity = act;
            self.force_switch(g, t);
        } else if !self.gils[g as usize].enabled || th.has_gil {
            self.on_core(t, slot, act);
        } else if self.gils[g as usize].try_take(t) {
            self.threads[t as usize].has_gil = true;
            self.on_core(t, slot, act);
        } else {
            self.gils[g as usize].waiters.push_back(t);
            self.gils[g as usize].waits += 1;
            self.set_state(t, ThreadState::GilWait, slot, act);
            self.arm_gil_timer(g, false);
        }
    }

    /// Starts `ns` of a server cost: its system calls (`kernel_share` of it) run on a core with
    /// the GIL released, as CPython releases it around every socket call; the rest is Python
    /// and holds the GIL. Reading (accept, recv + parse) makes the system call first, writing
    /// (format + send, start a thread) last.
    pub(crate) fn server_cpu(&mut self, t: u32, ns: Nanos, act: u16, slot: u32) {
        if self.cfg.gil_handoff > 0 {
            self.hand_gil_over(t);
        }
        let kernel = (ns as f64 * self.cfg.kernel_share) as Nanos;
        if kernel == 0 || kernel >= ns {
            self.thread_cpu(t, ns, act, slot);
            return;
        }
        self.cpu_demand += kernel;
        if act == ACT_ACCEPT || act == ACT_PARSE {
            let th = &mut self.threads[t as usize];
            th.then_python = ns - kernel;
            th.then_act = act;
            self.run_kernel(t, kernel, slot);
        } else {
            self.threads[t as usize].kernel_left = kernel;
            self.thread_cpu(t, ns - kernel, act, slot);
        }
    }

    /// A thread's CPU op ended: the other part of its server cost, if any, comes next.
    /// `false`: the op is over.
    pub(crate) fn next_part(&mut self, t: u32) -> bool {
        let th = &mut self.threads[t as usize];
        if th.kernel_left > 0 {
            let (ns, slot) = (std::mem::take(&mut th.kernel_left), th.req);
            self.run_kernel(t, ns, slot);
            true
        } else if th.then_python > 0 {
            let (ns, act, slot) = (std::mem::take(&mut th.then_python), th.then_act, th.req);
            self.thread_cpu(t, ns, act, slot);
            true
        } else {
            false
        }
    }

    fn run_kernel(&mut self, t: u32, ns: Nanos, slot: u32) {
        self.drop_gil(t);
        self.threads[t as usize].cpu_left = ns;
        self.set_state(t, ThreadState::Cpu, slot, ACT_KERNEL);
        self.cores.add(self.now, t, ns);
        self.cores_dirty = true;
    }

    fn on_core(&mut self, t: u32, slot: u32, act: u16) {
        self.set_state(t, ThreadState::Cpu, slot, act);
        let work = self.threads[t as usize].cpu_left;
        let client_first = self.threads[t as usize].role == Role::Client
            && self
                .client_proc
                .as_ref()
                .is_some_and(|c| c.runs_first(self.now, self.cfg.cores));
        if client_first {
            // The client woke from epoll_wait within the last slice: it runs first
            // (`load::ClientProc`).
            self.cores.add_priority(self.now, t, work);
        } else {
            self.cores.add(self.now, t, work);
        }
        self.cores_dirty = true;
    }

    /// Starts a blocking call of `ns` on thread `t`: the GIL is released.
    pub(crate) fn thread_block(&mut self, t: u32, ns: Nanos, act: u16, slot: u32) {
        self.drop_gil(t);
        self.set_state(t, ThreadState::Blocked, slot, act);
        let th = &mut self.threads[t as usize];
        th.epoch = th.epoch.wrapping_add(1);
        let epoch = th.epoch;
        self.q
            .push(self.now + ns, Ev::BlockDone { thread: t, epoch });
    }

    /// Thread `t` waits (for a pool connection or a process-pool result) without the GIL.
    pub(crate) fn thread_wait(&mut self, t: u32, slot: u32) {
        let act = self.threads[t as usize].activity;
        self.thread_wait_for(t, slot, act);
    }

    /// Thread `t` waits without the GIL, doing activity `act` meanwhile.
    pub(crate) fn thread_wait_for(&mut self, t: u32, slot: u32, act: u16) {
        self.drop_gil(t);
        self.set_state(t, ThreadState::Wait, slot, act);
        let th = &mut self.threads[t as usize];
        th.epoch = th.epoch.wrapping_add(1);
    }

    /// Wakes a waiting thread (it continues its request's code).
    pub(crate) fn thread_resume(&mut self, t: u32) {
        let epoch = self.threads[t as usize].epoch;
        self.q.push(self.now, Ev::ThreadResume { thread: t, epoch });
    }

    pub(crate) fn thread_idle(&mut self, t: u32) {
        self.drop_gil(t);
        self.set_state(t, ThreadState::Idle, NONE, crate::record::ACT_IDLE);
        self.threads[t as usize].job = Job::None;
    }

    /// Releases the GIL if `t` holds it; the oldest waiter takes it.
    pub(crate) fn drop_gil(&mut self, t: u32) {
        if !self.threads[t as usize].has_gil {
            return;
        }
        self.threads[t as usize].has_gil = false;
        let g = self.threads[t as usize].gil;
        if let Some(next) = self.gils[g as usize].release(t) {
            self.give_gil(next);
            self.arm_gil_timer(g, true);
        } else {
            self.gils[g as usize].timer_gen = 0;
        }
    }

    /// `t` makes a system call holding the GIL, which releases it: a thread waiting for the
    /// GIL (the oldest) takes it, woken by the release, before the call returns; `t` then
    /// waits for it (`gil_handoff_us`).
    fn hand_gil_over(&mut self, t: u32) {
        let th = &self.threads[t as usize];
        let g = th.gil;
        if !th.has_gil || self.gils[g as usize].waiters.is_empty() {
            return;
        }
        self.threads[t as usize].has_gil = false;
        let next = self.gils[g as usize].release(t).expect("a waiter exists");
        self.give_gil(next);
        self.arm_gil_timer(g, true);
    }

    /// `next` was waiting for the GIL and now holds it: it wakes (`gil_handoff_us` of CPU,
    /// holding it) and runs its op.
    fn give_gil(&mut self, next: u32) {
        self.threads[next as usize].has_gil = true;
        let wake = self.cfg.gil_handoff;
        let th = &mut self.threads[next as usize];
        th.awake_left = th.cpu_left;
        th.cpu_left += wake;
        self.cpu_demand += wake;
        let (slot, act) = (
            self.threads[next as usize].req,
            self.threads[next as usize].activity,
        );
        self.on_core(next, slot, act);
    }

    /// Arms the switch-interval timer of GIL `g` if there are waiters. `restart`: the GIL just
    /// went to a waiter, so the waiters' intervals start again once it has woken and taken it
    /// (CPython re-waits when `switch_number` changed, which the taking does).
    fn arm_gil_timer(&mut self, g: u32, restart: bool) {
        let gil = &mut self.gils[g as usize];
        if gil.waiters.is_empty() {
            gil.timer_gen = 0;
            return;
        }
        if gil.timer_gen != 0 && !restart {
            return;
        }
        let wake = if restart { self.cfg.gil_handoff } else { 0 };
        self.gil_timer_at(g, self.now + wake);
    }

    /// The waiters' switch interval, begun at `from`, ends at `from + interval` (replacing any
    /// timer armed before).
    fn gil_timer_at(&mut self, g: u32, from: Nanos) {
        self.gil_gen += 1;
        let gil = &mut self.gils[g as usize];
        gil.timer_gen = self.gil_gen;
        let at = from + gil.interval;
        self.q.push(
            at,
            Ev::GilTimeout {
                gil: g,
                gen: self.gil_gen,
            },
        );
    }

    /// A waiter's interval expired with no switch: the holder drops the GIL (forced switch).
    pub(crate) fn gil_timeout(&mut self, g: u32, gen: u64) {
        let gil = &self.gils[g as usize];
        if gil.timer_gen != gen {
            return;
        }
        let Some(holder) = gil.holder else {
            self.gils[g as usize].timer_gen = 0;
            return;
        };
        if gil.waiters.is_empty() {
            self.gils[g as usize].timer_gen = 0;
            return;
        }
        debug_assert!(
            self.cores.is_running(holder),
            "GIL holder {holder} is not running"
        );
        if self.cores.remaining(self.now, holder) == 0 {
            // Its op ends at this instant: it drops the GIL before running any more Python.
            self.gils[g as usize].drop_request = true;
            return;
        }
        let waking = self
            .cores
            .remaining(self.now, holder)
            .saturating_sub(self.threads[holder as usize].awake_left);
        if waking > 0 {
            // It is still waking up for the GIL: it has not taken it yet, so the waiters'
            // intervals start again once it has.
            self.gil_timer_at(g, self.now + waking);
            return;
        }
        let left = self.cores.remove(self.now, holder);
        self.cores_dirty = true;
        let th = &mut self.threads[holder as usize];
        th.cpu_left = left;
        th.has_gil = false;
        self.force_switch(g, holder);
    }

    /// `holder` (which no longer runs) gives the GIL to the oldest waiter and queues behind.
    fn force_switch(&mut self, g: u32, holder: u32) {
        let (slot, act) = (
            self.threads[holder as usize].req,
            self.threads[holder as usize].activity,
        );
        let gil = &mut self.gils[g as usize];
        gil.forced += 1;
        gil.waits += 1;
        gil.waiters.push_back(holder);
        let next = gil.release(holder).expect("a waiter exists");
        self.set_state(holder, ThreadState::GilWait, slot, act);
        self.give_gil(next);
        self.arm_gil_timer(g, true);
    }

    pub(crate) fn reschedule_cores(&mut self) {
        self.cores_dirty = false;
        let next = self.cores.next_finish();
        // Threads that got or lost their turn on a core this instant.
        let mut turns = std::mem::take(&mut self.turn_buf);
        self.cores.turns(&mut turns);
        for &(t, on) in &turns {
            let th = &self.threads[t as usize];
            debug_assert!(
                matches!(th.state, ThreadState::Cpu | ThreadState::CoreWait),
                "thread {t} on the cores is {:?}",
                th.state
            );
            let state = if on {
                ThreadState::Cpu
            } else {
                ThreadState::CoreWait
            };
            let (slot, act) = (th.req, th.activity);
            self.set_state(t, state, slot, act);
        }
        turns.clear();
        self.turn_buf = turns;
        if next != self.cores.scheduled {
            self.cores.gen += 1;
            self.cores.scheduled = next;
            if let Some(t) = next {
                self.q.push(
                    t.max(self.now),
                    Ev::CpuTick {
                        gen: self.cores.gen,
                    },
                );
            }
        }
    }

    /// Takes a thread out of the simulation (its process was killed).
    pub(crate) fn kill_thread(&mut self, t: u32) {
        if !self.threads[t as usize].alive {
            return;
        }
        if self.cores.is_running(t) {
            let left = self.cores.remove(self.now, t);
            self.cpu_demand -= left;
            self.cores_dirty = true;
        } else if self.threads[t as usize].state == ThreadState::GilWait {
            self.cpu_demand -= self.threads[t as usize].cpu_left;
        }
        self.cpu_demand -= std::mem::take(&mut self.threads[t as usize].kernel_left);
        self.threads[t as usize].then_python = 0;
        let g = self.threads[t as usize].gil;
        self.gils[g as usize].remove_waiter(t);
        if self.gils[g as usize].holder == Some(t) {
            self.gils[g as usize].holder = None;
            self.threads[t as usize].has_gil = false;
        }
        self.set_state(t, ThreadState::Idle, NONE, crate::record::ACT_IDLE);
        let th = &mut self.threads[t as usize];
        th.alive = false;
        th.epoch = th.epoch.wrapping_add(1);
    }

    /// A thread's op (CPU or blocking call) finished: its role decides what comes next.
    pub(crate) fn op_done(&mut self, t: u32) {
        let th = &self.threads[t as usize];
        let p = th.proc;
        match th.role {
            Role::Loop => self.loop_op_done(p),
            Role::Main => self.main_op_done(p, t),
            Role::Sync => match th.job {
                Job::Accept => self.sync_accepted(p, t),
                Job::FdGrow => {
                    self.threads[t as usize].job = Job::None;
                    self.sync_next(p);
                }
                _ => self.run_code(t),
            },
            Role::Anyio | Role::Pool | Role::Conn => self.run_code(t),
            Role::ProcWorker => self.ppool_done(p, t),
            Role::Client => self.client_proc_done(),
        }
    }
}
