//! The handler as code: the scenario's steps compiled into instructions, and the interpreter
//! that runs a request's instructions on whatever executes them (the event loop or a thread).
//!
//! Where each instruction runs follows the framework: FastAPI runs an `async def` route on the
//! loop and a `def` route through `run_in_threadpool`; background tasks run after the response,
//! in order; WSGI servers run everything on the request's thread.

use crate::dist::Dist;
use crate::record::{
    Activity, Origin, ACT_ACCEPT, ACT_CLIENT, ACT_CLOSE_WAIT, ACT_FD_GROW, ACT_FIRST_STEP, ACT_GC,
    ACT_HANDOFF, ACT_IDLE, ACT_KERNEL, ACT_OVERHEAD, ACT_PARSE, ACT_POLL, ACT_RESPOND, ACT_SPAWN,
};
use crate::rng::Rng;
use crate::scenario::{Offload, Route, Runtime, Scenario, ServerConfig, Step, StepKind};
use crate::time::{from_ms, Nanos};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Dur {
    Fixed(Nanos),
    Dist(Dist),
}

impl Dur {
    pub fn sample(&self, rng: &mut Rng) -> Nanos {
        match self {
            Dur::Fixed(n) => *n,
            Dur::Dist(d) => d.sample(rng),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Ins {
    /// The framework starts handling the request (recorded as `started`).
    Start,
    Cpu(Dur, u16),
    /// A server cost: its Python holds the GIL, its system calls (`kernel_share`) do not
    /// (`server_cpu`).
    ServerCpu(Nanos, u16),
    Block(Dur, u16),
    /// `await` I/O: the task suspends; the loop is free.
    Await(Dur, u16),
    /// `run_in_threadpool`: the next `len` instructions run on a threadpool thread, after taking
    /// a limiter token. `route`: this is a `def` route's body (its thread serves the request).
    ThreadCall {
        len: u16,
        route: bool,
    },
    /// Back on the loop after a thread call: the limiter token is returned.
    ReleaseToken,
    /// A step run in the process pool; the caller waits (loop: suspended; thread: blocked).
    ToProcess(StepKind, Dur, u16),
    /// Take / return a connection of the handler's pool.
    Acquire,
    Release,
    /// The response reaches the client.
    Deliver,
    /// gunicorn's sync worker after its response (`util.close_graceful`): it shuts its side
    /// (the client reads end-of-file) and reads until the client closes the connection, for
    /// `CLOSE_LINGER_MAX` at most (`Server::close_linger`).
    AwaitClose,
    /// waitress: hand the response to the main (I/O) thread, which writes it.
    MainWrite,
    /// A line printed by the handler (index into `Program::logs`).
    Log(u16),
    End,
}

pub(crate) struct Program {
    pub code: Vec<Ins>,
    pub activities: Vec<Activity>,
    pub logs: Vec<String>,
}

fn server_activities() -> Vec<Activity> {
    let a = |label: &str, origin: Origin| Activity {
        label: label.to_string(),
        origin,
        path: None,
    };
    let v = vec![
        a("accept connection", Origin::Server),
        a("read & parse request", Origin::Server),
        a(
            "framework (routing, validation, serialisation)",
            Origin::Framework,
        ),
        a("write response", Origin::Server),
        a("start a thread", Origin::Server),
        a("idle", Origin::Server),
        a("run_in_threadpool hand-off", Origin::Framework),
        a("waiting for the client to close", Origin::Server),
        a(
            "the client sending a request or reading a response",
            Origin::Server,
        ),
        a("kernel (system calls, GIL released)", Origin::Server),
        a("garbage collector (GIL held)", Origin::Server),
        a("event loop iteration (poll)", Origin::Server),
        a(
            "kernel: growing the descriptor table (RCU grace period)",
            Origin::Server,
        ),
    ];
    debug_assert_eq!(v.len(), ACT_FIRST_STEP as usize);
    debug_assert_eq!(
        [
            ACT_ACCEPT,
            ACT_PARSE,
            ACT_OVERHEAD,
            ACT_RESPOND,
            ACT_SPAWN,
            ACT_IDLE,
            ACT_HANDOFF,
            ACT_CLOSE_WAIT,
            ACT_CLIENT,
            ACT_KERNEL,
            ACT_GC,
            ACT_POLL,
            ACT_FD_GROW
        ],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    );
    v
}

struct Compiler<'a> {
    p: Program,
    cfg: &'a ServerConfig,
}

impl Compiler<'_> {
    fn log(&mut self, text: &Option<String>) {
        if let Some(t) = text {
            self.p.logs.push(t.clone());
            self.p.code.push(Ins::Log((self.p.logs.len() - 1) as u16));
        }
    }

    /// Compiles a list of steps as it runs on the loop (`on_loop`) or on a thread.
    fn steps(&mut self, steps: &[Step], path: &str, origin: Origin, on_loop: bool) {
        let first_hold = steps.iter().position(|s| s.hold_connection);
        let last_hold = steps.iter().rposition(|s| s.hold_connection);
        for (i, s) in steps.iter().enumerate() {
            let act = self.p.activities.len() as u16;
            self.p.activities.push(Activity {
                label: s.display_label(),
                origin,
                path: Some(format!("{path}[{i}]")),
            });
            if first_hold == Some(i) {
                self.p.code.push(Ins::Acquire);
            }
            self.log(&s.log_before);
            let d = Dur::Dist(s.duration);
            let direct = |k: StepKind| match k {
                StepKind::Cpu => Ins::Cpu(d, act),
                StepKind::BlockingIo => Ins::Block(d, act),
                StepKind::AwaitIo => Ins::Await(d, act),
            };
            match s.offload {
                Offload::None => self.p.code.push(direct(s.kind)),
                Offload::Threadpool => {
                    debug_assert!(on_loop);
                    let (on_loop_part, on_thread_part) = self.handoff();
                    self.p.code.push(on_loop_part);
                    self.p.code.push(Ins::ThreadCall {
                        len: 2,
                        route: false,
                    });
                    self.p.code.push(on_thread_part);
                    self.p.code.push(direct(s.kind));
                    self.p.code.push(Ins::ReleaseToken);
                }
                Offload::ProcessPool => self.p.code.push(Ins::ToProcess(s.kind, d, act)),
            }
            self.log(&s.log_after);
            if last_hold == Some(i) {
                self.p.code.push(Ins::Release);
            }
        }
    }

    /// The CPU of AnyIO's `run_sync` round trip: half on the loop (limiter, queue, future),
    /// half on the worker thread (taking the job, running it, reporting the result).
    fn handoff(&self) -> (Ins, Ins) {
        let h = self.cfg.to_thread;
        (
            Ins::Cpu(Dur::Fixed(h / 2), ACT_HANDOFF),
            Ins::Cpu(Dur::Fixed(h - h / 2), ACT_HANDOFF),
        )
    }

    /// A `def` body called through the threadpool from the loop.
    fn thread_call(&mut self, steps: &[Step], path: &str, origin: Origin, route: bool) {
        let (on_loop_part, on_thread_part) = self.handoff();
        self.p.code.push(on_loop_part);
        let at = self.p.code.len();
        self.p.code.push(Ins::ThreadCall { len: 0, route });
        self.p.code.push(on_thread_part);
        self.steps(steps, path, origin, false);
        let len = (self.p.code.len() - at - 1) as u16;
        self.p.code[at] = Ins::ThreadCall { len, route };
        self.p.code.push(Ins::ReleaseToken);
    }
}

pub(crate) fn compile(s: &Scenario, cfg: &ServerConfig) -> Program {
    let mut c = Compiler {
        p: Program {
            code: Vec::new(),
            activities: server_activities(),
            logs: Vec::new(),
        },
        cfg,
    };
    let h = &s.handler;
    let overhead = match h.overhead {
        Some(d) => Dur::Dist(d),
        None => Dur::Fixed(from_ms(s.server.kind.defaults().framework_overhead_ms)),
    };
    let fixed = Dur::Fixed;
    match c.cfg.runtime {
        Runtime::EventLoop => {
            // The loop has parsed the request (a loop callback) before the task starts.
            c.p.code.push(Ins::Start);
            c.p.code.push(Ins::Cpu(overhead, ACT_OVERHEAD));
            match h.route {
                Route::AsyncDef => c.steps(&h.steps, "handler.steps", Origin::Step, true),
                Route::Def => c.thread_call(&h.steps, "handler.steps", Origin::Step, true),
            }
            c.p.code.push(Ins::ServerCpu(cfg.respond, ACT_RESPOND));
            c.p.code.push(Ins::Deliver);
            for (i, b) in h.background.iter().enumerate() {
                let path = format!("handler.background[{i}].steps");
                match b.route {
                    Route::AsyncDef => c.steps(&b.steps, &path, Origin::Background, true),
                    Route::Def => c.thread_call(&b.steps, &path, Origin::Background, false),
                }
            }
        }
        Runtime::ThreadPool { io_on_main: true } => {
            // waitress: the main thread parsed the request and will write the response.
            c.p.code.push(Ins::Start);
            c.p.code.push(Ins::Cpu(overhead, ACT_OVERHEAD));
            c.steps(&h.steps, "handler.steps", Origin::Step, false);
            c.p.code.push(Ins::MainWrite);
        }
        Runtime::ThreadPool { io_on_main: false }
        | Runtime::ThreadPerConnection
        | Runtime::Sync => {
            c.p.code.push(Ins::ServerCpu(cfg.parse, ACT_PARSE));
            c.p.code.push(Ins::Start);
            c.p.code.push(Ins::Cpu(overhead, ACT_OVERHEAD));
            c.steps(&h.steps, "handler.steps", Origin::Step, false);
            c.p.code.push(Ins::ServerCpu(cfg.respond, ACT_RESPOND));
            // werkzeug (HTTP/1.0) waits up to `close_wait` for the client to close: a browser
            // reads the Content-Length and closes at once; ab waits for the server's close.
            let waits_for_close = cfg.runtime == Runtime::ThreadPerConnection
                && !cfg.keep_alive
                && matches!(s.load, crate::scenario::Load::Closed { .. });
            if waits_for_close {
                c.p.code
                    .push(Ins::Block(fixed(cfg.close_wait), ACT_CLOSE_WAIT));
            }
            c.p.code.push(Ins::Deliver);
            if cfg.close_linger {
                c.p.code.push(Ins::AwaitClose);
            }
        }
    }
    c.p.code.push(Ins::End);
    c.p
}

// ---- the interpreter ----

use crate::queue::Ev;
use crate::sim::{Cat, Cb, Job, MainJob, Role, Simulation, NEVER, NONE};

/// What happened when a request's code ran as far as it could.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// An op (CPU or blocking call) started on the executing thread.
    Op,
    /// The task is parked (loop) or the thread waits; something else will resume it.
    Suspend,
    /// A thread reached the end of its thread call: control goes back to the loop.
    ThreadExit,
    /// The code is finished.
    End,
}

impl Simulation {
    fn exec_thread(&self, slot: u32) -> u32 {
        let r = &self.reqs[slot as usize];
        if r.on_loop {
            self.procs[r.proc as usize].lp.thread
        } else {
            r.thread
        }
    }

    /// Runs request `slot`'s code on its current executor until an op starts or it suspends.
    pub(crate) fn advance(&mut self, slot: u32) -> Flow {
        loop {
            let r = &self.reqs[slot as usize];
            if !r.on_loop && r.pc == r.thread_end {
                return Flow::ThreadExit;
            }
            let (pc, p, on_loop, id) = (r.pc, r.proc, r.on_loop, r.id);
            let t = self.exec_thread(slot);
            self.reqs[slot as usize].pc = pc + 1;
            match self.code_at(pc) {
                Ins::Start => {
                    let lane = self.threads[t as usize].lane;
                    let r = &mut self.reqs[slot as usize];
                    if r.started == NEVER {
                        r.started = self.now;
                        r.lane = lane;
                        let pause = self.gc_alloc(slot);
                        if pause > 0 {
                            self.thread_cpu(t, pause, ACT_GC, slot);
                            return Flow::Op;
                        }
                    }
                }
                Ins::Cpu(d, act) => {
                    let ns = d.sample(&mut self.rng_handler);
                    if ns > 0 {
                        self.thread_cpu(t, ns, act, slot);
                        return Flow::Op;
                    }
                }
                Ins::ServerCpu(ns, act) => {
                    if ns > 0 {
                        self.server_cpu(t, ns, act, slot);
                        return Flow::Op;
                    }
                }
                Ins::Block(d, act) => {
                    let ns = d.sample(&mut self.rng_handler);
                    if ns > 0 {
                        self.thread_block(t, ns, act, slot);
                        return Flow::Op;
                    }
                }
                Ins::Await(d, _) => {
                    let ns = d.sample(&mut self.rng_handler);
                    self.req_cat(slot, Cat::Awaiting);
                    self.q.push(self.now + ns, Ev::AwaitDone { slot, id });
                    return Flow::Suspend;
                }
                Ins::ThreadCall { len, route } => {
                    if !self.reqs[slot as usize].has_token {
                        // Come back to this instruction once the token is ours.
                        self.reqs[slot as usize].pc = pc;
                        if self.procs[p as usize].limiter.try_acquire() {
                            // AnyIO yields once (a checkpoint) after taking a free token.
                            self.reqs[slot as usize].has_token = true;
                            self.loop_ready(p, Cb::Run(slot));
                        } else {
                            self.procs[p as usize].limiter.wait((slot, id));
                            self.req_cat(slot, Cat::Queued);
                        }
                        return Flow::Suspend;
                    }
                    if self.cfg.spawn > 0
                        && self.reqs[slot as usize].new_thread == NONE
                        && self.procs[p as usize].lp.anyio_idle.is_empty()
                    {
                        // No idle worker: AnyIO starts one, and `Thread.start()` holds the
                        // loop until the new thread runs. Then back to this instruction.
                        let nt = self.new_anyio_thread(p);
                        self.reqs[slot as usize].new_thread = nt;
                        self.reqs[slot as usize].pc = pc;
                        self.server_cpu(t, self.cfg.spawn, ACT_SPAWN, slot);
                        return Flow::Op;
                    }
                    self.reqs[slot as usize].thread_end = pc + 1 + len;
                    self.dispatch_anyio(p, slot, route);
                    return Flow::Suspend;
                }
                Ins::ReleaseToken => {
                    let r = &mut self.reqs[slot as usize];
                    r.has_token = false;
                    r.thread_end = u16::MAX;
                    if let Some((s2, _)) = self.procs[p as usize].limiter.release() {
                        self.reqs[s2 as usize].has_token = true;
                        self.loop_ready(p, Cb::Run(s2));
                    }
                }
                Ins::ToProcess(kind, d, act) => {
                    let ns = d.sample(&mut self.rng_handler);
                    if !on_loop {
                        self.thread_wait(t, slot);
                    }
                    self.ppool_submit(p, slot, kind, ns, act);
                    return Flow::Suspend;
                }
                Ins::Acquire => {
                    if self.procs[p as usize].db.try_acquire() {
                        self.reqs[slot as usize].has_conn = true;
                    } else {
                        self.procs[p as usize].db.wait((slot, id));
                        if !on_loop {
                            self.thread_wait(t, slot);
                        }
                        self.req_cat(slot, Cat::Queued);
                        return Flow::Suspend;
                    }
                }
                Ins::Release => {
                    self.reqs[slot as usize].has_conn = false;
                    if let Some((s2, _)) = self.procs[p as usize].db.release() {
                        self.reqs[s2 as usize].has_conn = true;
                        self.wake_request(s2, on_loop);
                    }
                }
                Ins::Deliver => self.deliver(slot),
                Ins::AwaitClose => {
                    let now = self.now;
                    let r = &mut self.reqs[slot as usize];
                    if !r.client_done {
                        if !r.close_waiter {
                            r.close_waiter = true;
                            r.close_since = now;
                        }
                        let deadline = r.close_since + crate::scenario::CLOSE_LINGER_MAX;
                        if now < deadline {
                            // Woken by the client's close or the deadline, it looks again.
                            r.pc = pc;
                            self.thread_wait_for(t, slot, ACT_CLOSE_WAIT);
                            let epoch = self.threads[t as usize].epoch;
                            self.q.push(deadline, Ev::ThreadResume { thread: t, epoch });
                            return Flow::Suspend;
                        }
                    }
                    let r = &mut self.reqs[slot as usize];
                    r.close_waiter = false;
                    let waited = if r.close_since == NEVER {
                        0
                    } else {
                        now - r.close_since
                    };
                    let ps = &mut self.pstats[p as usize].stats;
                    ps.close_lingers += 1;
                    ps.close_linger_total += waited;
                }
                Ins::MainWrite => self.main_push(p, MainJob::Write(slot)),
                Ins::Log(i) => self.log_line(slot, t, i),
                Ins::End => return Flow::End,
            }
        }
    }

    /// A suspended request may continue (its connection, token or result arrived).
    /// `from_loop`: the waker runs on that request's event loop (so it is a `call_soon`).
    pub(crate) fn wake_request(&mut self, slot: u32, from_loop: bool) {
        let r = &self.reqs[slot as usize];
        if r.on_loop {
            let p = r.proc;
            if from_loop {
                self.loop_ready(p, Cb::Run(slot));
            } else {
                self.loop_pending(p, Cb::Wake(slot));
            }
        } else {
            self.thread_resume(r.thread);
        }
    }

    /// Runs the code of the request thread `t` works for, and handles where it ends.
    pub(crate) fn run_code(&mut self, t: u32) {
        let Job::Code(slot) = self.threads[t as usize].job else {
            unreachable!("thread {t} has no code to run")
        };
        match self.advance(slot) {
            Flow::Op | Flow::Suspend => {}
            Flow::ThreadExit => {
                // AnyIO's worker reports the result with call_soon_threadsafe.
                let p = self.threads[t as usize].proc;
                self.thread_idle(t);
                self.procs[p as usize].lp.anyio_idle.push(t);
                let r = &mut self.reqs[slot as usize];
                r.on_loop = true;
                r.thread = NONE;
                self.req_cat(slot, Cat::Queued);
                self.loop_pending(p, Cb::Wake(slot));
            }
            Flow::End => self.code_end(t, slot),
        }
    }

    fn code_end(&mut self, t: u32, slot: u32) {
        let p = self.threads[t as usize].proc;
        match self.threads[t as usize].role {
            Role::Conn => {
                self.server_done(slot);
                let next = std::mem::replace(&mut self.threads[t as usize].next_on_conn, NONE);
                if next != NONE {
                    self.start_code(t, next);
                } else {
                    self.conn_thread_exit(p, t);
                }
            }
            Role::Pool => {
                if !matches!(
                    self.cfg.runtime,
                    crate::scenario::Runtime::ThreadPool { io_on_main: true }
                ) {
                    self.server_done(slot);
                }
                self.pool_thread_free(p, t);
            }
            Role::Sync => {
                self.server_done(slot);
                self.sync_next(p);
            }
            role => unreachable!("{role:?} thread ran to the end of a request"),
        }
    }

    /// Hands a `run_in_threadpool` call to an AnyIO worker thread (idle ones are reused,
    /// most recently idle first, as AnyIO does).
    fn new_anyio_thread(&mut self, p: u32) -> u32 {
        let idx = self.procs[p as usize].lp.anyio_count;
        self.procs[p as usize].lp.anyio_count += 1;
        let lane = self.lane(p, crate::record::LaneKind::Threadpool, idx);
        let gil = self.procs[p as usize].gil;
        self.spawn_thread(p, Role::Anyio, lane, gil)
    }

    /// An AnyIO worker thread worker `p` started before the run: idle, reused first.
    pub(crate) fn warm_anyio_thread(&mut self, p: u32) {
        let t = self.new_anyio_thread(p);
        self.procs[p as usize].lp.anyio_idle.push(t);
    }

    fn dispatch_anyio(&mut self, p: u32, slot: u32, route: bool) {
        let started = std::mem::replace(&mut self.reqs[slot as usize].new_thread, NONE);
        let t = if started != NONE {
            started
        } else {
            match self.procs[p as usize].lp.anyio_idle.pop() {
                Some(t) => t,
                None => self.new_anyio_thread(p),
            }
        };
        let lane = self.threads[t as usize].lane;
        let r = &mut self.reqs[slot as usize];
        r.on_loop = false;
        r.thread = t;
        if route {
            r.lane = lane;
        }
        self.threads[t as usize].job = Job::Code(slot);
        self.run_code(t);
    }
}
