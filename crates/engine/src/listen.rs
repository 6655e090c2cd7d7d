//! The listen socket shared by every worker: the kernel's accept queue (backlog), SYN drops and
//! the client's retransmissions, and which idle worker takes a new connection.
//!
//! Linux completes the handshake in the kernel and queues the connection until a worker calls
//! `accept()`. When the queue is full (more than `backlog` waiting), the SYN is dropped and the
//! client retransmits it 1, 3, 7, 15, 31 and 63 s after the first try, then gives up at 127 s
//! (`tcp_syn_retries = 6`). Every idle worker polling the socket is woken; the first to run
//! takes what is queued (an asyncio loop up to its backlog at a time, a threaded or sync
//! worker one), so a burst lands on one worker. loopsim picks that worker at random among the
//! idle ones (seeded), one per batch of queued connections.

use std::collections::VecDeque;

use crate::queue::Ev;
use crate::scenario::Runtime;
use crate::sim::{Cat, Simulation};
use crate::time::NS_PER_S;

/// When the client retransmits a dropped SYN, measured from its first try (seconds).
pub const SYN_RETRY_S: [u64; 6] = [1, 3, 7, 15, 31, 63];
/// When the client gives up connecting (seconds after the first try).
pub const SYN_GIVE_UP_S: u64 = 127;

pub(crate) struct Listener {
    /// The accept queue holds up to backlog + 1 connections (Linux's `>` check).
    cap: usize,
    queue: VecDeque<u32>,
    pub dropped: u64,
    pub peak: usize,
}

impl Listener {
    pub fn new(backlog: u32) -> Listener {
        Listener {
            cap: backlog as usize + 1,
            queue: VecDeque::new(),
            dropped: 0,
            peak: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

impl Simulation {
    /// A SYN from request `slot` reaches the socket.
    pub(crate) fn syn(&mut self, slot: u32) {
        let r = &self.reqs[slot as usize];
        if r.client_done {
            return;
        }
        if self.listener.queue.len() < self.listener.cap {
            self.listener.queue.push_back(slot);
            self.listener.peak = self.listener.peak.max(self.listener.queue.len());
            let r = &mut self.reqs[slot as usize];
            r.connected = self.now;
            r.server_held = true;
            let unsent = r.bytes == crate::recv::Bytes::Unsent;
            self.req_cat(slot, Cat::Queued);
            self.notify_acceptors();
            if unsent {
                self.client_connected(slot);
            }
            return;
        }
        self.listener.dropped += 1;
        let r = &mut self.reqs[slot as usize];
        let (sent, id) = (r.sent, r.id);
        match SYN_RETRY_S.get(r.syn_retries as usize) {
            Some(&after) => {
                r.syn_retries += 1;
                self.q.push(sent + after * NS_PER_S, Ev::Syn { slot, id });
            }
            None => self.q.push(
                sent + SYN_GIVE_UP_S * NS_PER_S,
                Ev::ConnectGiveUp { slot, id },
            ),
        }
    }

    /// Whether worker `p` would accept now (alive, under its connection limit).
    pub(crate) fn can_accept(&self, p: u32) -> bool {
        self.accept_room(p) > 0
    }

    pub(crate) fn accept_room(&self, p: u32) -> u32 {
        let proc = &self.procs[p as usize];
        if !proc.alive {
            return 0;
        }
        match self.cfg.connection_limit {
            Some(limit) => limit.saturating_sub(proc.open_conns),
            None => u32::MAX,
        }
    }

    /// Worker `p` takes the oldest queued connection.
    pub(crate) fn accept_one(&mut self, p: u32) -> Option<u32> {
        let slot = self.listener.queue.pop_front()?;
        let gen = self.procs[p as usize].gen;
        let proc = &mut self.procs[p as usize];
        proc.open_conns += 1;
        self.pstats[p as usize].stats.accepted += 1;
        let r = &mut self.reqs[slot as usize];
        r.accepted = self.now;
        r.proc = p;
        r.proc_gen = gen;
        r.on_loop = self.cfg.runtime == Runtime::EventLoop;
        Some(slot)
    }

    /// Worker `p`'s `accept()` returns as its accept's CPU on thread `t` ends: the oldest
    /// queued connection, unless other workers took them all meanwhile (EAGAIN: `None`). A
    /// worker woken but waiting for a core takes none. The accept's CPU counts as the
    /// request's (it waited in the backlog meanwhile), and the op on the timeline as its.
    pub(crate) fn accept_ends(&mut self, p: u32, t: u32) -> Option<u32> {
        if self.accept_room(p) == 0 {
            return None;
        }
        let slot = self.accept_one(p)?;
        if self.cfg.accept > 0 {
            self.req_cat(slot, Cat::Queued);
            let r = &mut self.reqs[slot as usize];
            // Its CPU, with what a worker woken cold paid on it (`idle.rs`).
            let x = (self.cfg.accept + self.threads[t as usize].cold_extra).min(r.split.queued);
            r.split.queued -= x;
            r.split.cpu += x;
            self.threads[t as usize].req_id = r.id;
        }
        Some(slot)
    }

    /// A connection is queued: the kernel wakes every worker polling the socket (the
    /// "thundering herd"). They start in an order drawn from the seed, the first `idle_wake`
    /// later (an idle worker's wake-up, longer the longer it has been idle: `idle.rs`), each
    /// further one `wake` after the previous (the scheduler's latency in waking a sleeping
    /// process); each accepts while connections remain, so a small burst lands on the first
    /// one awake and a large one is shared.
    pub(crate) fn notify_acceptors(&mut self) {
        if self.listener.is_empty() {
            return;
        }
        let mut idle: Vec<u32> = (0..self.procs.len() as u32)
            .filter(|&p| self.procs[p as usize].acceptor_idle && self.can_accept(p))
            .collect();
        let mut k = 0;
        while !idle.is_empty() {
            let pick = if idle.len() == 1 {
                0
            } else {
                (self.rng_accept.next_u64() % idle.len() as u64) as usize
            };
            let p = idle.swap_remove(pick);
            self.procs[p as usize].acceptor_idle = false;
            let delay = self.idle_wake_of(p) + self.cfg.wake * k;
            match self.cfg.runtime {
                Runtime::EventLoop => self.loop_schedule_wake_after(p, delay),
                _ => self.schedule_acceptor_wake_after(p, delay),
            }
            k += 1;
        }
    }

    /// A connection is closed by the server: room under the connection limit again.
    pub(crate) fn close_conn(&mut self, p: u32) {
        let proc = &mut self.procs[p as usize];
        proc.open_conns = proc.open_conns.saturating_sub(1);
        if !self.listener.is_empty() {
            self.notify_acceptors();
        }
    }
}
