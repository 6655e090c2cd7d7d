//! The clients: ApacheBench's closed loop, open-loop arrivals, and scripted bursts.

use crate::queue::Ev;
use crate::recv::Bytes;
use crate::scenario::{Arrivals, Load, Runtime};
use crate::sim::{Cb, MainJob, Simulation};
use std::collections::VecDeque;

use crate::record::{LaneKind, ACT_CLIENT};
use crate::sim::{NEVER, NONE};
use crate::time::{from_s, from_us, Nanos};

/// Work of a closed-loop client: its next send, or (for ab) reading a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Send {
    /// On a new connection.
    New { client: u32 },
    /// On the kept-alive connection to worker `proc`, served before by `thread`.
    KeepAlive {
        client: u32,
        proc: u32,
        gen: u32,
        thread: u32,
    },
    /// ab writes request `slot` (`id`) on the connection it opened (`recv`).
    Write { slot: u32, id: u32 },
    /// Not a send: the client process reads the response to request `slot` (`id`).
    Receive {
        slot: u32,
        id: u32,
        proc: u32,
        gen: u32,
    },
    /// Not a send: the rest of the client process's first pass through its code after an
    /// idle spell, run cold (`load.client_cold_us`, `idle.rs`); its first request went out
    /// before it.
    Cold { ns: Nanos },
}

/// The client's process on the server's machine (ab, or a script sending a burst): a
/// single-threaded process that spends `cost` of a core on each request, `send` of it to
/// prepare and send it (`load.client_send_us`, default half), the rest to read the response;
/// a response that arrives while it is busy waits for it (and counts in the latency, as ab
/// measures it). Its jobs run in order, as the events of its `epoll_wait` batches do.
///
/// ab (a closed load) connects as it finishes reading the previous response (or at the
/// start), and writes the request in a later job (`Send::Write`), once its poll reports the
/// connection made; ab's clock for the request starts at the connect. A burst script
/// prepares a request, then connects and sends it.
///
/// On the cores it runs ahead of the server's threads while it has slept within the last
/// scheduler slice (`cpu::base_slice`): a task waking from `epoll_wait` preempts CPU-bound
/// ones, as ab's short bursts do, unless it still owes its core the time it ran ahead (its
/// EEVDF lag, `cpu.rs`). Once it has run a whole slice without sleeping (a Python client
/// sending a burst) it takes turns on its core like any other task (`cpu.rs`).
pub(crate) struct ClientProc {
    pub thread: u32,
    pub cost: Nanos,
    pub send: Nanos,
    /// Its extra CPU on a job after a long idle spell (`load.client_cold_us`, `idle.rs`),
    /// and the part of it before the job's request goes out (`client_cold_send_us`).
    pub cold: Nanos,
    pub cold_send: Nanos,
    pub queue: VecDeque<Send>,
    pub busy: Option<Send>,
    /// Since when it has been running without a pause, and when its last job ended.
    pub running_since: Nanos,
    pub last_end: Nanos,
}

impl ClientProc {
    /// Whether a job it starts at `now` runs ahead of the server's threads: it has not run a
    /// whole scheduler slice without sleeping.
    pub fn runs_first(&self, now: Nanos, cores: u32) -> bool {
        now - self.running_since < crate::cpu::base_slice(cores)
    }
}

pub(crate) enum LoadState {
    /// `requests` in all over `concurrency` connections; a connection sends its next request
    /// when the previous one is answered (or fails).
    Closed {
        total: u32,
        issued: u32,
        concurrency: u32,
        keep_alive: bool,
    },
    /// Arrivals every `gap` (fixed) or with exponential gaps of mean `gap` (Poisson), until `end`.
    Open {
        gap: f64,
        poisson: bool,
        end: Nanos,
        next_client: u32,
    },
    /// Client `i` sends at its offset; `order` is sorted by time, `next` indexes it.
    Burst {
        order: Vec<(Nanos, u32)>,
        next: usize,
    },
}

impl LoadState {
    pub fn new(load: &Load) -> LoadState {
        match load {
            Load::Closed {
                requests,
                concurrency,
                keep_alive,
                ..
            } => LoadState::Closed {
                total: *requests,
                issued: 0,
                concurrency: *concurrency,
                keep_alive: *keep_alive,
            },
            Load::Open {
                rate_per_s,
                duration_s,
                arrivals,
                ..
            } => LoadState::Open {
                gap: 1e9 / rate_per_s,
                poisson: *arrivals == Arrivals::Poisson,
                end: from_s(*duration_s),
                next_client: 0,
            },
            Load::Burst { .. } => {
                let mut order: Vec<(Nanos, u32)> =
                    load.burst_offsets().into_iter().zip(0..).collect();
                order.sort_unstable();
                LoadState::Burst { order, next: 0 }
            }
        }
    }

    /// No client sends anything more.
    pub fn stop(&mut self) {
        if let LoadState::Closed { total, issued, .. } = self {
            *total = *issued;
        }
    }

    pub fn keep_alive(&self) -> bool {
        matches!(
            self,
            LoadState::Closed {
                keep_alive: true,
                ..
            }
        )
    }

    /// Whether a closed-loop client still has requests to send.
    pub fn wants_more(&self) -> bool {
        matches!(self, LoadState::Closed { total, issued, .. } if issued < total)
    }
}

impl Simulation {
    pub(crate) fn start_load(&mut self) {
        match &mut self.load {
            LoadState::Closed { concurrency, .. } => {
                for c in 0..*concurrency {
                    self.client_next(c);
                }
            }
            LoadState::Open { .. } => self.q.push(0, Ev::Arrival),
            LoadState::Burst { order, .. } => {
                if let Some(&(at, _)) = order.first() {
                    self.q.push(at, Ev::Arrival);
                }
            }
        }
    }

    /// A closed-loop client whose request ended sends its next one on a new connection.
    pub(crate) fn client_next(&mut self, client: u32) {
        if self.load.wants_more() {
            self.client_send(Send::New { client });
        }
    }

    /// A client sends its next request: at once, or after the client process's CPU for it.
    pub(crate) fn client_send(&mut self, send: Send) {
        if let LoadState::Closed { issued, .. } = &mut self.load {
            *issued += 1;
        }
        match send {
            Send::New { client }
                if self.client_proc.is_some() && matches!(self.load, LoadState::Closed { .. }) =>
            {
                // ab connects at once; it writes the request when the connection is made.
                let slot = self.new_request(client, self.now);
                self.reqs[slot as usize].bytes = Bytes::Unsent;
                self.syn(slot);
            }
            _ if self.client_proc.is_some() => self.client_proc_enqueue(send),
            _ => self.send_now(send),
        }
    }

    /// ab's connection for request `slot` is made (queued on the listen socket): its next
    /// poll reports it writable, and it writes the request.
    pub(crate) fn client_connected(&mut self, slot: u32) {
        let id = self.reqs[slot as usize].id;
        self.client_proc_enqueue(Send::Write { slot, id });
    }

    pub(crate) fn client_proc_enqueue(&mut self, job: Send) {
        if let Some(cp) = &mut self.client_proc {
            cp.queue.push_back(job);
            self.client_proc_next();
        }
    }

    fn send_now(&mut self, send: Send) {
        match send {
            Send::New { client } => {
                let slot = self.new_request(client, self.now);
                self.syn(slot);
            }
            Send::KeepAlive {
                client,
                proc,
                gen,
                thread,
            } => {
                let slot = self.new_request(client, self.now);
                self.send_on_connection(slot, proc, gen, thread);
            }
            Send::Write { slot, id } => {
                let r = &self.reqs[slot as usize];
                if r.id == id && !r.client_done {
                    self.request_written(slot);
                }
            }
            Send::Receive {
                slot,
                id,
                proc,
                gen,
            } => {
                let r = &self.reqs[slot as usize];
                if r.id == id && !r.client_done {
                    self.received(slot);
                } else if self.procs[proc as usize].gen == gen {
                    // The client gave up after the response arrived, before reading it: its
                    // socket closes all the same.
                    self.close_conn(proc);
                }
            }
            Send::Cold { .. } => {}
        }
    }

    /// The client's process on the server's machine (ab, or a script sending a burst): one
    /// thread on the cores (first while it keeps sleeping: `ClientProc`), no GIL of the
    /// server's.
    pub(crate) fn start_client_proc(&mut self) {
        let (Load::Closed {
            client_cpu_us: Some(us),
            client_send_us,
            client_cold_us,
            client_cold_send_us,
            ..
        }
        | Load::Burst {
            client_cpu_us: Some(us),
            client_send_us,
            client_cold_us,
            client_cold_send_us,
            ..
        }) = self.scenario.load
        else {
            return;
        };
        let cost = from_us(us);
        if cost == 0 {
            return;
        }
        // A part given in µs (at most its whole), or half the whole.
        let part = |p: Option<f64>, whole: Nanos| p.map_or(whole / 2, |us| from_us(us).min(whole));
        let send = part(client_send_us, cost);
        let cold = from_us(client_cold_us.unwrap_or(0.0));
        let gil = self.gils.len() as u32;
        self.gils
            .push(crate::gil::Gil::new(false, self.cfg.switch_interval));
        let lane = self.lane(0, LaneKind::Client, 0);
        let thread = self.client_thread(lane, gil);
        self.client_proc = Some(ClientProc {
            thread,
            cost,
            send,
            cold,
            cold_send: part(client_cold_send_us, cold),
            queue: VecDeque::new(),
            busy: None,
            running_since: 0,
            last_end: NEVER,
        });
    }

    fn client_proc_next(&mut self) {
        let Some(cp) = &mut self.client_proc else {
            return;
        };
        if cp.busy.is_some() {
            return;
        }
        let Some(send) = cp.queue.pop_front() else {
            return;
        };
        cp.busy = Some(send);
        if cp.last_end != self.now {
            cp.running_since = self.now;
        }
        let (t, cost) = match send {
            Send::Receive { .. } => (cp.thread, cp.cost - cp.send),
            Send::Cold { ns } => (cp.thread, ns),
            _ => (cp.thread, cp.send),
        };
        let mut cost = cost;
        if !matches!(send, Send::Cold { .. }) && cp.cold > 0 {
            // After an idle spell its code and data have gone cold (`idle.rs`): its first pass
            // runs slower, before the request goes out and after.
            let idle = (cp.last_end != NEVER).then(|| self.now - cp.last_end);
            let before = crate::idle::cold_part(cp.cold_send, idle, self.cfg.deep_idle);
            let after = crate::idle::cold_part(cp.cold - cp.cold_send, idle, self.cfg.deep_idle);
            cost += before;
            if after > 0 {
                cp.queue.push_front(Send::Cold { ns: after });
            }
        }
        if cost == 0 {
            self.client_proc_done();
            return;
        }
        self.thread_cpu(t, cost, ACT_CLIENT, NONE);
    }

    /// The client process finished a job: a prepared request goes out, a read response is
    /// answered.
    pub(crate) fn client_proc_done(&mut self) {
        let cp = self
            .client_proc
            .as_mut()
            .expect("only the client process has the client role");
        let send = cp.busy.take().expect("the client process was busy");
        cp.last_end = self.now;
        let t = cp.thread;
        self.thread_idle(t);
        self.send_now(send);
        self.client_proc_next();
    }

    /// A kept-alive connection to worker `p` carries the client's next request (`thread`: the
    /// thread that served the previous one, for thread-per-connection servers).
    pub(crate) fn send_on_connection(&mut self, slot: u32, p: u32, gen: u32, thread: u32) {
        let proc = &self.procs[p as usize];
        if !proc.alive || proc.gen != gen {
            self.syn(slot);
            return;
        }
        let now = self.now;
        let r = &mut self.reqs[slot as usize];
        r.connected = now;
        r.accepted = now;
        r.proc = p;
        r.proc_gen = gen;
        r.server_held = true;
        r.on_loop = self.cfg.runtime == Runtime::EventLoop;
        match self.cfg.runtime {
            Runtime::EventLoop => self.loop_pending(p, Cb::Read(slot)),
            Runtime::ThreadPool { .. } => self.main_push(p, MainJob::Read(slot)),
            Runtime::ThreadPerConnection => {
                // The connection's thread reads it once it has finished the previous request.
                self.req_cat(slot, crate::sim::Cat::Queued);
                self.threads[thread as usize].next_on_conn = slot;
            }
            Runtime::Sync => unreachable!("gunicorn's sync worker closes every connection"),
        }
    }

    pub(crate) fn arrival(&mut self) {
        if let LoadState::Burst { order, next } = &mut self.load {
            // Every client due now sends; then wait for the next offset.
            let now = self.now;
            let mut due = Vec::new();
            while let Some(&(at, client)) = order.get(*next) {
                if at > now {
                    self.q.push(at, Ev::Arrival);
                    break;
                }
                due.push(client);
                *next += 1;
            }
            for client in due {
                if self.client_proc.is_some() {
                    // The client's process prepares it first.
                    self.client_send(Send::New { client });
                } else {
                    let slot = self.new_request(client, now);
                    self.syn(slot);
                }
            }
            return;
        }
        let LoadState::Open {
            gap,
            poisson,
            end,
            next_client,
        } = &mut self.load
        else {
            return;
        };
        if self.now >= *end {
            return;
        }
        let client = *next_client;
        *next_client += 1;
        let (gap, poisson, end) = (*gap, *poisson, *end);
        let dt = if poisson {
            self.rng_load.next_exp(gap)
        } else {
            gap
        };
        let next = self.now + (dt.round() as Nanos).max(1);
        if next < end {
            self.q.push(next, Ev::Arrival);
        }
        let slot = self.new_request(client, self.now);
        self.syn(slot);
    }
}
