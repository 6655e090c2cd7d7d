//! The event queue: a min-heap on (time, insertion order), so equal-time events run in the
//! order they were scheduled and a run is deterministic.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Nanos;

/// Something that happens at a point in simulated time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A client's SYN reaches the listen socket (first try or a retransmission).
    Syn { slot: u32, id: u32 },
    /// The client stops retransmitting its SYN and gives up connecting.
    ConnectGiveUp { slot: u32, id: u32 },
    /// The next open-loop arrival (or burst clients due now).
    Arrival,
    /// The earliest CPU job on the cores may have finished.
    CpuTick { gen: u64 },
    /// A thread's blocking call returns.
    BlockDone { thread: u32, epoch: u32 },
    /// An awaited I/O operation (timer, socket) completes.
    AwaitDone { slot: u32, id: u32 },
    /// An idle event loop wakes from `select`.
    LoopWake { proc: u32, gen: u32 },
    /// An idle accepting thread (main thread / sync worker) wakes.
    AcceptWake { proc: u32, gen: u32 },
    /// A thread waiting for a pool connection or a process result may continue.
    ThreadResume { thread: u32, epoch: u32 },
    /// A GIL waiter's switch interval has elapsed.
    GilTimeout { gil: u32, gen: u64 },
    /// The client gives up on a request.
    ClientTimeout { slot: u32, id: u32 },
    /// gunicorn's arbiter checks a worker's heartbeat.
    Watchdog { proc: u32, gen: u32 },
    /// A killed worker's replacement has booted.
    Restart { proc: u32 },
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    time: Nanos,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Default)]
pub(crate) struct EventQueue {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl EventQueue {
    pub fn push(&mut self, time: Nanos, ev: Ev) {
        self.seq += 1;
        self.heap.push(Entry {
            time,
            seq: self.seq,
            ev,
        });
    }

    pub fn pop(&mut self) -> Option<(Nanos, Ev)> {
        self.heap.pop().map(|e| (e.time, e.ev))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_fifo() {
        let mut q = EventQueue::default();
        q.push(5, Ev::Arrival);
        q.push(1, Ev::Restart { proc: 1 });
        q.push(5, Ev::Restart { proc: 2 });
        q.push(1, Ev::Restart { proc: 3 });
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (1, Ev::Restart { proc: 1 }),
                (1, Ev::Restart { proc: 3 }),
                (5, Ev::Arrival),
                (5, Ev::Restart { proc: 2 }),
            ]
        );
    }
}
