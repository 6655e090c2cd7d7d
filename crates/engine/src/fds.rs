//! A worker's file descriptors (Linux), and the wait when its descriptor table grows.
//!
//! - Every accepted connection takes a descriptor of its worker's process until the server
//!   closes it. The kernel allocates it before it takes a connection off the listen queue
//!   (`__sys_accept4_file`: `get_unused_fd_flags`, then `do_accept`), so an `accept()` that
//!   finds none (EAGAIN) allocates one too, and gives it back.
//! - The descriptors live in a table per process. A process forked by a master (gunicorn's
//!   workers, `uvicorn --workers`) starts with a table sized to the master's few open
//!   descriptors: 64 slots, the smallest. A process started from a shell inherits the shell's
//!   size: 256, as bash holds descriptor 255. When a new descriptor finds every slot taken the
//!   kernel grows the table to the next power of two (`expand_files`); it never shrinks.
//! - Growing it in a process with more than one thread waits for an RCU grace period
//!   (`expand_fdtable`: `synchronize_rcu()` when `files->count > 1`): the calling thread
//!   sleeps in the kernel, off the CPU, for `costs.fd_grow_us` (4–22 ms on the harness's VM),
//!   and an event loop runs nothing meanwhile. A single-threaded process grows it at once.
//!
//! The harness traced this deciding a race (docs/fidelity.md): two uvicorn workers sharing a
//! burst of 100, the worker awake first took exactly 54 in most runs. Its 10 descriptors and
//! 54 connections filled its 64 slots, its 55th `accept()` slept ~5 ms in the kernel (its
//! AnyIO threads, started by earlier requests, share the table), and the other worker took
//! the rest meanwhile. In the runs where that worker's table had grown to 128 before, it took
//! 63–82.

use crate::sim::{Role, Simulation};
use crate::time::Nanos;

/// The table of a process a master forked: Linux's embedded table (`NR_OPEN_DEFAULT`, one
/// bit per descriptor in a `long`).
pub const FORKED_TABLE: u32 = 64;
/// The table of a process started from bash, which holds descriptor 255.
pub const SHELL_TABLE: u32 = 256;

impl Simulation {
    /// Worker `p` allocates a descriptor for an `accept()`: if its table is full it grows,
    /// and the calling thread first waits this long in the kernel (0: no wait).
    pub(crate) fn fd_alloc_wait(&mut self, p: u32) -> Nanos {
        let used = self.cfg.open_fds + self.procs[p as usize].open_conns;
        let proc = &mut self.procs[p as usize];
        if used < proc.fd_table {
            return 0;
        }
        proc.fd_table = used
            .saturating_add(1)
            .checked_next_power_of_two()
            .unwrap_or(u32::MAX);
        self.pstats[p as usize].stats.fd_table_grows += 1;
        if self.cfg.fd_grow == 0 || !self.multi_threaded(p) {
            return 0;
        }
        let sigma = self.cfg.fd_grow_sigma;
        let wait = if sigma > 0.0 {
            let f = self.rng_fd.next_lognormal_mean1(sigma);
            (self.cfg.fd_grow as f64 * f).round() as Nanos
        } else {
            self.cfg.fd_grow
        };
        self.pstats[p as usize].stats.fd_grow_wait += wait;
        wait
    }

    /// Whether worker `p` has more than one thread (they share its descriptor table; the
    /// process pool's processes have their own).
    fn multi_threaded(&self, p: u32) -> bool {
        self.procs[p as usize]
            .threads
            .iter()
            .filter(|&&t| self.threads[t as usize].role != Role::ProcWorker)
            .nth(1)
            .is_some()
    }
}
