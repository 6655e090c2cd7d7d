//! Threaded WSGI servers and gunicorn's sync worker.
//!
//! - werkzeug (Flask's dev server, `threaded=True`): the main thread accepts one connection at
//!   a time and starts a new thread for it; no cap on threads.
//! - waitress: the main thread does all socket I/O (accept, read and parse, write); parsed
//!   requests wait in an unbounded task queue for one of `threads` app threads; it stops
//!   accepting at `connection_limit` open connections.
//! - gunicorn gthread: the main thread accepts and hands each connection to a pool thread,
//!   which reads, runs the app and writes.
//! - gunicorn sync: one thread per process accepts, handles and closes, one request at a time.

use crate::queue::Ev;
use crate::record::{LaneKind, ACT_ACCEPT, ACT_FD_GROW, ACT_PARSE, ACT_RESPOND, ACT_SPAWN};
use crate::recv::Reader;
use crate::scenario::Runtime;
use crate::sim::{Cat, Job, MainJob, Role, Simulation, NONE};

impl Simulation {
    pub(crate) fn threaded_start(&mut self, p: u32) {
        let gil = self.procs[p as usize].gil;
        match self.cfg.runtime {
            Runtime::Sync => {
                let lane = self.lane(p, LaneKind::Sync, 0);
                let t = self.spawn_thread(p, Role::Sync, lane, gil);
                self.procs[p as usize].sync_thread = t;
            }
            Runtime::ThreadPerConnection | Runtime::ThreadPool { .. } => {
                let lane = self.lane(p, LaneKind::Main, 0);
                let t = self.spawn_thread(p, Role::Main, lane, gil);
                self.procs[p as usize].main = t;
                if let Runtime::ThreadPool { .. } = self.cfg.runtime {
                    for i in 0..self.cfg.threads {
                        let lane = self.lane(p, LaneKind::Threadpool, i);
                        let t = self.spawn_thread(p, Role::Pool, lane, gil);
                        self.procs[p as usize].pool_idle.push_back(t);
                    }
                }
            }
            Runtime::EventLoop => unreachable!(),
        }
        self.procs[p as usize].acceptor_idle = true;
    }

    /// Wakes the idle accepting (or I/O) thread: it runs `idle_wake` later (more the longer
    /// its process has been idle: `idle.rs`).
    pub(crate) fn schedule_acceptor_wake(&mut self, p: u32) {
        let delay = self.idle_wake_of(p);
        self.schedule_acceptor_wake_after(p, delay);
    }

    /// Wakes the idle accepting thread `delay` from now (unless a wake-up comes sooner).
    pub(crate) fn schedule_acceptor_wake_after(&mut self, p: u32, delay: crate::time::Nanos) {
        let at = self.now + delay;
        let proc = &mut self.procs[p as usize];
        if at < proc.wake_at {
            proc.wake_at = at;
            let gen = proc.gen;
            self.q.push(at, Ev::AcceptWake { proc: p, gen });
        }
    }

    pub(crate) fn acceptor_wake(&mut self, p: u32) {
        self.procs[p as usize].wake_at = crate::sim::NEVER;
        self.wake_cold(p);
        match self.cfg.runtime {
            Runtime::Sync => {
                let t = self.procs[p as usize].sync_thread;
                if self.threads[t as usize].job == Job::None {
                    self.sync_next(p);
                }
            }
            _ => {
                let t = self.procs[p as usize].main;
                if self.threads[t as usize].job == Job::None {
                    self.main_next(p);
                }
            }
        }
    }

    /// Work for the main (I/O) thread.
    pub(crate) fn main_push(&mut self, p: u32, job: MainJob) {
        let (MainJob::Read(s) | MainJob::Write(s)) = job;
        self.req_cat(s, Cat::Queued);
        self.procs[p as usize].main_jobs.push_back(job);
        let t = self.procs[p as usize].main;
        if self.threads[t as usize].job == Job::None {
            self.schedule_acceptor_wake(p);
        }
    }

    /// The main thread picks its next piece of work: pending socket I/O first, then accepting.
    pub(crate) fn main_next(&mut self, p: u32) {
        let t = self.procs[p as usize].main;
        loop {
            if let Some(job) = self.procs[p as usize].main_jobs.pop_front() {
                match job {
                    MainJob::Read(slot) => {
                        let cost = if self.cfg.runtime == (Runtime::ThreadPool { io_on_main: true })
                        {
                            self.cfg.parse
                        } else {
                            0
                        };
                        if cost == 0 {
                            self.enqueue_task(p, slot);
                            continue;
                        }
                        self.threads[t as usize].job = Job::Read(slot);
                        self.server_cpu(t, cost, ACT_PARSE, slot);
                    }
                    MainJob::Write(slot) => {
                        if self.cfg.respond == 0 {
                            self.main_wrote(slot);
                            continue;
                        }
                        self.threads[t as usize].job = Job::Write(slot);
                        self.server_cpu(t, self.cfg.respond, ACT_RESPOND, slot);
                    }
                }
                return;
            }
            if !self.listener.is_empty() && self.can_accept(p) {
                // With an accept cost, the connection is taken as it ends (`main_op_done`).
                let Some(slot) = self.thread_accept(p, t) else {
                    return;
                };
                if self.main_accepted(p, t, slot) {
                    return;
                }
                continue;
            }
            self.thread_idle(t);
            self.procs[p as usize].acceptor_idle = true;
            return;
        }
    }

    /// After accepting `slot`; `true` if the main thread started another op for it.
    fn main_accepted(&mut self, p: u32, t: u32, slot: u32) -> bool {
        match self.cfg.runtime {
            Runtime::ThreadPerConnection => {
                self.threads[t as usize].job = Job::Spawn(slot);
                if self.cfg.spawn == 0 {
                    self.spawn_conn_thread(p, slot);
                    return false;
                }
                self.server_cpu(t, self.cfg.spawn, ACT_SPAWN, slot);
                true
            }
            Runtime::ThreadPool { io_on_main: true } => {
                // The request bytes are readable at the main loop's next poll.
                self.read_when_sent(slot, Reader::Main(p));
                false
            }
            Runtime::ThreadPool { io_on_main: false } => {
                self.read_when_sent(slot, Reader::Pool(p));
                false
            }
            _ => unreachable!(),
        }
    }

    pub(crate) fn main_op_done(&mut self, p: u32, t: u32) {
        match self.threads[t as usize].job {
            Job::Accept => {
                if let Some(slot) = self.accept_ends(p, t) {
                    self.took(t);
                    if self.main_accepted(p, t, slot) {
                        return;
                    }
                }
            }
            // The table has grown: it looks for a connection again.
            Job::FdGrow => {}
            Job::Spawn(slot) => self.spawn_conn_thread(p, slot),
            Job::Read(slot) => self.enqueue_task(p, slot),
            Job::Write(slot) => self.main_wrote(slot),
            j => unreachable!("main thread finished {j:?}"),
        }
        self.threads[t as usize].job = Job::None;
        self.main_next(p);
    }

    fn main_wrote(&mut self, slot: u32) {
        self.deliver(slot);
        self.server_done(slot);
    }

    fn spawn_conn_thread(&mut self, p: u32, slot: u32) {
        let proc = &mut self.procs[p as usize];
        let idx = match proc.conn_free.pop() {
            Some(std::cmp::Reverse(i)) => i,
            None => {
                proc.conn_next += 1;
                proc.conn_next - 1
            }
        };
        let lane = self.lane(p, LaneKind::Connection, idx);
        let gil = self.procs[p as usize].gil;
        let t = self.spawn_thread(p, Role::Conn, lane, gil);
        self.read_when_sent(slot, Reader::Thread(t));
    }

    pub(crate) fn conn_thread_exit(&mut self, p: u32, t: u32) {
        self.thread_idle(t);
        self.threads[t as usize].alive = false;
        let idx = self.lanes[self.threads[t as usize].lane as usize].index;
        let proc = &mut self.procs[p as usize];
        proc.conn_free.push(std::cmp::Reverse(idx));
        proc.threads.retain(|&x| x != t);
    }

    /// A thread starts running request `slot`'s code.
    pub(crate) fn start_code(&mut self, t: u32, slot: u32) {
        let lane = self.threads[t as usize].lane;
        let r = &mut self.reqs[slot as usize];
        r.on_loop = false;
        r.thread = t;
        r.lane = lane;
        self.threads[t as usize].job = Job::Code(slot);
        self.run_code(t);
    }

    pub(crate) fn enqueue_task(&mut self, p: u32, slot: u32) {
        self.req_cat(slot, Cat::Queued);
        if self.procs[p as usize].pool_idle.is_empty() {
            self.pstats[p as usize].stats.pool_waits += 1;
        }
        self.procs[p as usize].task_queue.push_back(slot);
        self.dispatch_pool(p);
    }

    /// Idle pool threads take queued tasks (the longest-idle thread first, as a condition
    /// variable wakes waiters in order).
    fn dispatch_pool(&mut self, p: u32) {
        loop {
            let proc = &mut self.procs[p as usize];
            if proc.task_queue.is_empty() || proc.pool_idle.is_empty() {
                return;
            }
            let slot = proc.task_queue.pop_front().unwrap();
            let t = proc.pool_idle.pop_front().unwrap();
            proc.pool_busy += 1;
            let busy = proc.pool_busy;
            let waiting = proc.task_queue.len();
            let st = &mut self.pstats[p as usize].stats;
            st.pool_peak_busy = st.pool_peak_busy.max(busy);
            st.pool_peak_waiting = st.pool_peak_waiting.max(waiting);
            self.start_code(t, slot);
        }
    }

    pub(crate) fn pool_thread_free(&mut self, p: u32, t: u32) {
        self.thread_idle(t);
        let proc = &mut self.procs[p as usize];
        proc.pool_busy -= 1;
        proc.pool_idle.push_back(t);
        self.dispatch_pool(p);
    }

    // ---- gunicorn sync worker ----

    pub(crate) fn sync_next(&mut self, p: u32) {
        let t = self.procs[p as usize].sync_thread;
        // At its connection limit (or dead) it waits: a closed connection wakes it.
        if self.listener.is_empty() || !self.can_accept(p) {
            self.thread_idle(t);
            let proc = &mut self.procs[p as usize];
            proc.acceptor_idle = true;
            proc.busy = false;
            return;
        }
        let proc = &mut self.procs[p as usize];
        proc.busy = true;
        proc.heartbeat = self.now;
        self.watchdog_arm(p);
        // With an accept cost, the connection is taken as it ends (`sync_accepted`).
        if let Some(slot) = self.thread_accept(p, t) {
            self.read_when_sent(slot, Reader::Thread(t));
        }
    }

    /// A sync worker's accept ends: it serves the connection it took, or (EAGAIN: others took
    /// them all) goes back to waiting.
    pub(crate) fn sync_accepted(&mut self, p: u32, t: u32) {
        let Some(slot) = self.accept_ends(p, t) else {
            self.threads[t as usize].job = Job::None;
            self.sync_next(p);
            return;
        };
        self.took(t);
        self.read_when_sent(slot, Reader::Thread(t));
    }

    /// Thread `t` of worker `p` accepts a queued connection: with an accept cost it starts the
    /// accept's CPU (`None`: the connection is taken as it ends, `accept_ends`); without, it
    /// takes the oldest one at once. The descriptor comes first: if its table must grow
    /// (`fds.rs`) the thread waits in the kernel (`None`), then looks again for a connection.
    fn thread_accept(&mut self, p: u32, t: u32) -> Option<u32> {
        let wait = self.fd_alloc_wait(p);
        if wait > 0 {
            self.threads[t as usize].job = Job::FdGrow;
            self.thread_block(t, wait, ACT_FD_GROW, NONE);
            return None;
        }
        if self.cfg.accept > 0 {
            self.threads[t as usize].job = Job::Accept;
            self.server_cpu(t, self.cfg.accept, ACT_ACCEPT, NONE);
            return None;
        }
        let slot = self.accept_one(p).expect("listener is not empty");
        self.took(t);
        Some(slot)
    }

    /// Thread `t` took a connection: the idle workers are woken for the connections left.
    fn took(&mut self, t: u32) {
        if !self.listener.is_empty() {
            self.notify_acceptors();
        }
        self.threads[t as usize].job = Job::Accept;
    }
}
