//! CPython's global interpreter lock, one per process (free-threaded builds have none).
//!
//! Modelled on CPython's "new GIL" (3.2+): a thread that wants the GIL waits up to the switch
//! interval (5 ms); if the holder has not released it by then (no switch happened), the holder
//! is asked to drop it, and it hands it to a waiter (FORCE_SWITCHING) before it may ask again.
//! Blocking calls release the GIL; so does a thread going idle. Waiters are served in order.
//! A waiter pays its wake-up as it takes the GIL (`gil_handoff_us`), and with that cost set a
//! server cost's system call hands the GIL to a waiter (`thread.rs::hand_gil_over`).
//! The timer logic lives with the threads (`thread.rs`); this is the lock's state.

use std::collections::VecDeque;

use crate::time::Nanos;

pub(crate) struct Gil {
    pub enabled: bool,
    pub interval: Nanos,
    pub holder: Option<u32>,
    pub waiters: VecDeque<u32>,
    /// Bumped at every change of holder (CPython's `switch_number`).
    pub switches: u64,
    /// Generation of the armed switch-interval timer (0 = none armed).
    pub timer_gen: u64,
    /// Times a holder was made to drop the GIL after a waiter's interval expired.
    pub forced: u64,
    /// Times a thread found the GIL held and waited for it (asleep on its condition variable).
    pub waits: u64,
    /// A waiter's interval expired while the holder was finishing an op: it drops the GIL
    /// before running more Python (CPython's `gil_drop_request`).
    pub drop_request: bool,
}

impl Gil {
    pub fn new(enabled: bool, interval: Nanos) -> Gil {
        Gil {
            enabled,
            interval,
            holder: None,
            waiters: VecDeque::new(),
            switches: 0,
            timer_gen: 0,
            forced: 0,
            waits: 0,
            drop_request: false,
        }
    }

    /// Takes the GIL if free.
    pub fn try_take(&mut self, thread: u32) -> bool {
        if self.holder.is_none() {
            self.holder = Some(thread);
            self.switches += 1;
            true
        } else {
            false
        }
    }

    /// Releases the GIL held by `thread`; returns the waiter that now holds it, if any.
    pub fn release(&mut self, thread: u32) -> Option<u32> {
        debug_assert_eq!(self.holder, Some(thread));
        self.holder = None;
        self.drop_request = false;
        let next = self.waiters.pop_front()?;
        self.holder = Some(next);
        self.switches += 1;
        Some(next)
    }

    pub fn remove_waiter(&mut self, thread: u32) {
        self.waiters.retain(|&w| w != thread);
    }
}
