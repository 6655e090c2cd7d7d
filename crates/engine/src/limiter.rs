//! A FIFO counting semaphore: AnyIO's `CapacityLimiter` (the threadpool's tokens) and a database
//! connection pool are both this. On release, the token passes directly to the oldest waiter.

use std::collections::VecDeque;

/// A waiting request: slab slot and request id.
pub(crate) type Waiter = (u32, u32);

#[derive(Debug, Default)]
pub(crate) struct Limiter {
    pub capacity: u32,
    pub used: u32,
    pub waiters: VecDeque<Waiter>,
    /// Statistics: most tokens in use, longest queue, how many acquisitions had to wait.
    pub peak_used: u32,
    pub peak_waiting: usize,
    pub waits: u64,
}

impl Limiter {
    pub fn new(capacity: u32) -> Limiter {
        Limiter {
            capacity,
            ..Limiter::default()
        }
    }

    pub fn try_acquire(&mut self) -> bool {
        if self.used < self.capacity {
            self.used += 1;
            self.peak_used = self.peak_used.max(self.used);
            true
        } else {
            false
        }
    }

    pub fn wait(&mut self, w: Waiter) {
        self.waiters.push_back(w);
        self.waits += 1;
        self.peak_waiting = self.peak_waiting.max(self.waiters.len());
    }

    /// Returns a token; if someone waits, the token is theirs now.
    pub fn release(&mut self) -> Option<Waiter> {
        match self.waiters.pop_front() {
            Some(w) => Some(w),
            None => {
                debug_assert!(self.used > 0);
                self.used -= 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_handoff() {
        let mut l = Limiter::new(1);
        assert!(l.try_acquire());
        assert!(!l.try_acquire());
        l.wait((1, 1));
        l.wait((2, 2));
        assert_eq!(l.release(), Some((1, 1)));
        assert_eq!(l.used, 1);
        assert_eq!(l.release(), Some((2, 2)));
        assert_eq!(l.release(), None);
        assert_eq!(l.used, 0);
        assert_eq!((l.peak_used, l.peak_waiting, l.waits), (1, 2, 2));
    }
}
