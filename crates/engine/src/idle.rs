//! Going cold while idle: a process that has not run for a while wakes slower and runs its
//! first work slower. Its core has gone into a deeper idle state (on a VM, the host has
//! descheduled the virtual CPU) and other work has taken the caches its code and data were
//! in. Both grow with the idle time `d` and level off: by `1 − e^(−d / deep_idle_ms)` of
//! their full value, measured on the harness's VM by lone requests after idle gaps from
//! milliseconds to a second (docs/fidelity.md).
//!
//! - A worker woken from its poll (an idle event loop, an idle accepting or I/O thread, a
//!   gunicorn sync worker) runs `idle_wake_us + deep_wake_us × coldness` later; `d` runs from
//!   the last moment any thread of its process was on a core (or waiting for one).
//! - Its first work then runs slower: it owes `cold_cpu_us × coldness` of extra CPU, which
//!   its threads' next CPU work pays, running at half speed until the debt is paid (the
//!   harness traced an asyncio worker's first connection set-ups after a long idle at ~25 µs
//!   each, against ~13 under load).
//! - The load's client process pays `client_cold_us × coldness` of extra CPU on its first job
//!   after an idle spell; `d` runs from the end of its previous job.
//!
//! Both start the run idle since long before (coldness 1): a burst that finds a server idle
//! for a second pays the whole of it, the requests of a busy closed loop almost none.

use crate::sim::Simulation;
use crate::time::Nanos;

/// How cold a process idle for `idle` has gone, 0 … 1 (`None`: idle since before the run).
pub(crate) fn coldness(idle: Option<Nanos>, hold: Nanos) -> f64 {
    match idle {
        None => 1.0,
        Some(0) => 0.0,
        Some(_) if hold == 0 => 1.0,
        Some(d) => 1.0 - (-(d as f64) / hold as f64).exp(),
    }
}

/// `full × coldness`, in whole ns.
pub(crate) fn cold_part(full: Nanos, idle: Option<Nanos>, hold: Nanos) -> Nanos {
    if full == 0 {
        return 0;
    }
    (full as f64 * coldness(idle, hold)).round() as Nanos
}

impl Simulation {
    /// A thread of worker `p` starts (`true`) or stops having CPU work (on a core or waiting
    /// for one).
    pub(crate) fn note_cpu(&mut self, p: u32, on: bool) {
        let now = self.now;
        let proc = &mut self.procs[p as usize];
        if on {
            proc.on_cpu += 1;
        } else {
            proc.on_cpu = proc.on_cpu.saturating_sub(1);
            proc.off_cpu_since = Some(now);
        }
    }

    /// How long worker `p` has been idle: 0 while a thread of it has CPU work, `None` if none
    /// ever had.
    pub(crate) fn proc_idle_for(&self, p: u32) -> Option<Nanos> {
        let proc = &self.procs[p as usize];
        if proc.on_cpu > 0 {
            return Some(0);
        }
        proc.off_cpu_since.map(|t| self.now - t)
    }

    /// Idle worker `p` runs again: it owes the part of `cold_cpu` its idle time has reached
    /// (called before it starts any work).
    pub(crate) fn wake_cold(&mut self, p: u32) {
        let owed = self.cold_share(p, self.cfg.cold_cpu);
        let proc = &mut self.procs[p as usize];
        proc.cold_debt = proc.cold_debt.max(owed);
    }

    /// The extra CPU a job of `ns` on thread `t` pays towards its process's debt: as much
    /// again as the job, until the debt is paid (half speed). The client has its own model.
    pub(crate) fn cold_extra(&mut self, t: u32, ns: Nanos) -> Nanos {
        let th = &self.threads[t as usize];
        if th.role == crate::sim::Role::Client {
            return 0;
        }
        let proc = &mut self.procs[th.proc as usize];
        let extra = proc.cold_debt.min(ns);
        proc.cold_debt -= extra;
        extra
    }

    /// How long idle worker `p`, woken now, takes to run: `idle_wake` and the part of
    /// `deep_wake` its idle time has reached, times a factor drawn for this wake-up when
    /// `wake_sigma` is set.
    pub(crate) fn idle_wake_of(&mut self, p: u32) -> Nanos {
        let base = self.cfg.idle_wake + self.cold_share(p, self.cfg.deep_wake);
        let sigma = self.cfg.wake_sigma;
        if sigma == 0.0 || base == 0 {
            return base;
        }
        // No two wake-ups take the same (`wake_sigma`): a lognormal factor of mean 1.
        let f = self.rng_wake.next_lognormal_mean1(sigma);
        (base as f64 * f).round() as Nanos
    }

    /// `full` × how cold worker `p` has gone by now.
    fn cold_share(&self, p: u32, full: Nanos) -> Nanos {
        cold_part(full, self.proc_idle_for(p), self.cfg.deep_idle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    #[test]
    fn coldness_grows_with_the_idle_time_and_levels_off() {
        assert_eq!(coldness(Some(0), 50 * MS), 0.0);
        assert!((coldness(Some(50 * MS), 50 * MS) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!(coldness(Some(MS), 50 * MS) < coldness(Some(30 * MS), 50 * MS));
        assert!(coldness(Some(60_000 * MS), 50 * MS) > 0.999_999);
        assert_eq!(coldness(None, 50 * MS), 1.0);
        assert_eq!(cold_part(200_000, Some(50 * MS), 50 * MS), 126_424);
        assert_eq!(cold_part(200_000, None, 50 * MS), 200_000);
        assert_eq!(cold_part(0, None, 50 * MS), 0);
    }
}
