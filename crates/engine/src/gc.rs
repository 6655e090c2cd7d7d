//! CPython's cyclic garbage collector (3.11's generational one), per worker process.
//!
//! CPython counts container objects allocated minus those freed since the last collection
//! (`gc.get_count()[0]`). When an allocation takes that count over the first threshold
//! (700), it collects at once, on the allocating thread and with the GIL held: the oldest
//! generation whose counter exceeds its threshold, except that the oldest one (a full
//! collection) waits until the objects promoted into it since its last collection reach a
//! quarter of the long-lived heap (`long_lived_pending < long_lived_total / 4` skips it).
//! Collecting generation `k` zeroes the counters up to `k`, adds one to `k + 1`'s, frees the
//! garbage in generations `0..=k` and moves the survivors to `k + 1`.
//!
//! The model: a request's `objects_per_request` are allocated when its handler starts
//! (`Ins::Start`, on the thread that runs it) — on an event loop `objects_on_read` of them
//! earlier, when the loop reads the request — and freed when the server is done with it (an
//! event loop lets go of the connection's transport and protocol in its next iteration, where
//! `connection_lost` runs), all but `garbage_per_request`, which stay as cyclic garbage in
//! their generation until it is collected. So `objects_per_request` is what a request holds
//! at once: for a hello world, what it allocates before its task and what its task leaves
//! (the task's temporaries come and go within its step). A cohort of requests handled in one
//! loop iteration raises the count by that much each; their frees come in the next, in a
//! block that finds the count reset by a collection and, CPython never letting it fall
//! below 0, are partly not counted: under a closed loop of 100 the young generation is
//! collected several times as often as the garbage alone would make it. A collection pauses
//! the thread for `ns_per_object` (young and middle ones: `partial_ns_per_object`, if given)
//! per object in the generations it examines (the live requests' objects, the garbage, and
//! for a full one the long-lived heap). At most one collection per request start: CPython
//! would collect again within an allocation of more than 700 objects. With the GIL the pause stops every thread
//! of the process that needs it; free-threaded (`gil: false`) only the collecting thread
//! pauses here, where CPython 3.13t stops the world.

use crate::rng::Rng;
use crate::scenario::{GcSettings, GC_THRESHOLDS};
use crate::sim::{Simulation, NONE};
use crate::time::Nanos;

/// One process's collector.
#[derive(Clone, Debug, Default)]
pub(crate) struct GcState {
    /// `gc.get_count()`.
    count: [u64; 3],
    /// Objects of requests in flight, and garbage awaiting a collection, per generation.
    live: [u64; 3],
    garbage: [u64; 3],
    /// `long_lived_pending` and `long_lived_total`.
    pending: u64,
    total: u64,
    /// Collections so far, and the serial of the last one of a generation ≥ 1 (to find the
    /// generation a request's objects have reached).
    collections: usize,
    last_old: Option<usize>,
    /// Requests whose connection an event loop closes in its next iteration: their objects
    /// (collection serial and count, per part) are freed then (`gc_close_pending`).
    closing: Vec<[(u32, u32); 2]>,
}

impl GcState {
    /// A process's collector when the run starts: the scenario's counters, or drawn from
    /// `rng`.
    pub(crate) fn new(g: &GcSettings, rng: &mut Rng) -> GcState {
        let t = g.thresholds.unwrap_or(GC_THRESHOLDS);
        let count = match g.count {
            Some(c) => c.map(u64::from),
            None => t.map(|x| rng.next_u64() % (u64::from(x) + 1)),
        };
        let heap = u64::from(g.heap_objects);
        let pending = match g.pending {
            Some(p) => u64::from(p),
            None if heap >= 4 => rng.next_u64() % (heap / 4),
            None => 0,
        };
        GcState {
            count,
            // The young objects counted are there to be examined.
            garbage: [count[0], 0, 0],
            pending,
            total: heap,
            ..GcState::default()
        }
    }

    /// The generation a request's objects reached, allocated when `serial` collections had
    /// run: any collection since moved them to 1 at least, one of generation ≥ 1 to 2.
    fn generation_of(&self, serial: usize) -> usize {
        if self.last_old.is_some_and(|i| i >= serial) {
            2
        } else if self.collections > serial {
            1
        } else {
            0
        }
    }

    /// Runs the collection CPython would run now, if any: the pause (ns) and its generation.
    fn collect_if_due(&mut self, g: &GcSettings) -> Option<(Nanos, usize)> {
        let t = g.thresholds.unwrap_or(GC_THRESHOLDS).map(u64::from);
        if t[0] == 0 || self.count[0] <= t[0] {
            return None;
        }
        let k = (0..3)
            .rev()
            .find(|&i| self.count[i] > t[i] && !(i == 2 && self.pending < self.total / 4))?;
        let examined: u64 = (0..=k).map(|i| self.live[i] + self.garbage[i]).sum::<u64>()
            + if k == 2 { u64::from(g.heap_objects) } else { 0 };
        let survivors: u64 = (0..=k).map(|i| self.live[i]).sum();
        for i in 0..=k {
            self.count[i] = 0;
            self.live[i] = 0;
            self.garbage[i] = 0;
        }
        let next = (k + 1).min(2);
        self.live[next] += survivors;
        match k {
            0 => self.count[1] += 1,
            1 => {
                self.count[2] += 1;
                self.pending += survivors;
            }
            _ => {
                self.pending = 0;
                self.total = u64::from(g.heap_objects) + survivors;
            }
        }
        if k >= 1 {
            self.last_old = Some(self.collections);
        }
        self.collections += 1;
        let ns = match g.partial_ns_per_object {
            Some(partial) if k < 2 => partial,
            _ => g.ns_per_object,
        };
        Some(((examined as f64 * ns).round() as Nanos, k))
    }
}

impl Simulation {
    /// Request `slot`'s handler starts: its objects are allocated in its process (on an event
    /// loop, those not allocated when it was read). Returns the pause of the collection that
    /// allocation triggers (0: none).
    pub(crate) fn gc_alloc(&mut self, slot: u32) -> Nanos {
        let Some(g) = &self.cfg.gc else {
            return 0;
        };
        let mut n = g.objects_per_request;
        if self.reqs[slot as usize].gc_serial_read != NONE {
            n -= g.objects_on_read;
        }
        let serial = self.gc_allocate(slot, n);
        self.reqs[slot as usize].gc_serial = serial;
        self.gc_collect(slot)
    }

    /// The event loop reads request `slot`: `objects_on_read` of its objects are allocated.
    /// Returns the pause of the collection that allocation triggers (0: none).
    pub(crate) fn gc_alloc_read(&mut self, slot: u32) -> Nanos {
        let Some(g) = &self.cfg.gc else {
            return 0;
        };
        if g.objects_on_read == 0 {
            return 0;
        }
        let serial = self.gc_allocate(slot, g.objects_on_read);
        self.reqs[slot as usize].gc_serial_read = serial;
        self.gc_collect(slot)
    }

    /// `n` new young objects in request `slot`'s process; returns the collection serial.
    fn gc_allocate(&mut self, slot: u32, n: u32) -> u32 {
        let p = self.reqs[slot as usize].proc as usize;
        let gc = &mut self.procs[p].gc;
        gc.count[0] += u64::from(n);
        gc.live[0] += u64::from(n);
        gc.collections as u32
    }

    /// Runs the collection due in request `slot`'s process, if any: its pause (0: none).
    fn gc_collect(&mut self, slot: u32) -> Nanos {
        let Some(g) = &self.cfg.gc else {
            return 0;
        };
        let p = self.reqs[slot as usize].proc as usize;
        let Some((pause, k)) = self.procs[p].gc.collect_if_due(g) else {
            return 0;
        };
        let st = &mut self.pstats[p].stats;
        st.gc_collections[k] += 1;
        st.gc_pause_total += pause;
        st.gc_pause_max = st.gc_pause_max.max(pause);
        pause
    }

    /// The server is done with request `slot`: its objects are freed, but its garbage — on an
    /// event loop in its next iteration, when it runs the connection's `connection_lost`
    /// (the response written, the loop lets go of the transport and protocol there).
    pub(crate) fn gc_free(&mut self, slot: u32) {
        let Some(g) = &self.cfg.gc else {
            return;
        };
        let r = &mut self.reqs[slot as usize];
        let read = std::mem::replace(&mut r.gc_serial_read, NONE);
        let start = std::mem::replace(&mut r.gc_serial, NONE);
        if read == NONE && start == NONE {
            return;
        }
        let (p, gen, on_loop) = (r.proc as usize, r.proc_gen, r.on_loop);
        if self.procs[p].gen != gen {
            // Its process was killed and restarted since: the objects went with it.
            return;
        }
        let on_read = if read == NONE { 0 } else { g.objects_on_read };
        let parts = [(read, on_read), (start, g.objects_per_request - on_read)];
        if on_loop {
            self.procs[p].gc.closing.push(parts);
        } else {
            self.procs[p].gc.free(g, parts);
        }
    }

    /// Event loop `p` runs its iteration's `connection_lost` callbacks: the objects of the
    /// requests it closes are freed.
    pub(crate) fn gc_close_pending(&mut self, p: u32) {
        let Some(g) = &self.cfg.gc else {
            return;
        };
        let gc = &mut self.procs[p as usize].gc;
        for parts in std::mem::take(&mut gc.closing) {
            gc.free(g, parts);
        }
    }
}

impl GcState {
    /// A request's objects are freed, but its garbage: `parts` are (collection serial when
    /// allocated, objects), `NONE` for a part never allocated.
    fn free(&mut self, g: &GcSettings, parts: [(u32, u32); 2]) {
        let mut freed = 0;
        let mut last = NONE;
        for (serial, n) in parts {
            if serial == NONE {
                continue;
            }
            let gen = self.generation_of(serial as usize);
            self.live[gen] = self.live[gen].saturating_sub(u64::from(n));
            freed += u64::from(n);
            last = serial;
        }
        // The garbage stays where the last of its objects was allocated.
        let junk = u64::from(g.garbage_per_request).min(freed);
        let gen = self.generation_of(last as usize);
        self.garbage[gen] += junk;
        // CPython decrements the young count for every container freed, of any generation.
        self.count[0] = self.count[0].saturating_sub(freed - junk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(objects: u32, garbage: u32, heap: u32) -> GcSettings {
        GcSettings {
            objects_per_request: objects,
            garbage_per_request: garbage,
            objects_on_read: 0,
            heap_objects: heap,
            ns_per_object: 1_000.0,
            partial_ns_per_object: None,
            thresholds: None,
            count: Some([0, 0, 0]),
            pending: Some(0),
        }
    }

    fn alloc(gc: &mut GcState, g: &GcSettings) -> Option<(Nanos, usize)> {
        gc.count[0] += u64::from(g.objects_per_request);
        gc.live[0] += u64::from(g.objects_per_request);
        gc.collect_if_due(g)
    }

    #[test]
    fn the_young_generation_is_collected_past_700_net_allocations() {
        // 100 objects per request, none freed: the 8th request takes the count to 800 > 700.
        // The collection examines the 800 objects (1 µs each) and moves them to generation 1.
        let g = settings(100, 0, 10_000);
        let mut gc = GcState::new(&g, &mut Rng::new(1, 5));
        for _ in 0..7 {
            assert_eq!(alloc(&mut gc, &g), None);
        }
        assert_eq!(alloc(&mut gc, &g), Some((800_000, 0)));
        assert_eq!(gc.count, [0, 1, 0]);
        assert_eq!(gc.live, [0, 800, 0]);
        assert_eq!(gc.generation_of(0), 1);
        assert_eq!(gc.generation_of(1), 0);
    }

    #[test]
    fn every_twelfth_collection_is_of_generation_1_and_promotes_to_pending() {
        // Each request allocates 701 objects, and is done (none left as garbage) before the
        // next starts: every request start collects generation 0 (701 examined, moved to
        // generation 1 and freed there). After 11 of them count[1] = 11 > 10: the 12th
        // collects generation 1, and its live 701 move to generation 2 as pending.
        let g = settings(701, 0, 40_000);
        let mut gc = GcState::new(&g, &mut Rng::new(1, 5));
        for i in 0..11 {
            assert_eq!(alloc(&mut gc, &g), Some((701_000, 0)), "collection {i}");
            gc.live[1] -= 701;
        }
        assert_eq!(gc.count, [0, 11, 0]);
        assert_eq!(alloc(&mut gc, &g), Some((701_000, 1)));
        assert_eq!(
            (gc.count, gc.pending, gc.live),
            ([0, 0, 1], 701, [0, 0, 701])
        );
        // Allocated before the first collection: moved to 1 by it, to 2 by the 12th.
        assert_eq!(gc.generation_of(0), 2);
        assert_eq!(gc.generation_of(11), 2);
        assert_eq!(gc.generation_of(12), 0);
    }

    #[test]
    fn a_full_collection_waits_for_a_quarter_of_the_heap_to_be_pending() {
        // count[2] is over its threshold, but only 9 999 objects are pending against a heap of
        // 40 000: generation 1 is collected instead. At 10 000 pending the full collection
        // runs: it examines the heap and every live object, and resets the pending count.
        let mut g = settings(800, 0, 40_000);
        g.count = Some([0, 11, 11]);
        g.pending = Some(9_999);
        let mut gc = GcState::new(&g, &mut Rng::new(1, 5));
        assert_eq!(alloc(&mut gc, &g), Some((800_000, 1)));
        assert_eq!(gc.pending, 9_999 + 800);
        gc.count = [0, 11, 11];
        let (pause, k) = alloc(&mut gc, &g).unwrap();
        assert_eq!(k, 2);
        assert_eq!(pause, (40_000 + 800 + 800) * 1_000);
        assert_eq!((gc.pending, gc.total, gc.count), (0, 41_600, [0, 0, 0]));
    }

    #[test]
    fn a_threshold_of_zero_turns_automatic_collection_off() {
        let mut g = settings(100_000, 0, 10);
        g.thresholds = Some([0, 10, 10]);
        let mut gc = GcState::new(&g, &mut Rng::new(1, 5));
        assert_eq!(alloc(&mut gc, &g), None);
    }

    #[test]
    fn unknown_counters_are_drawn_within_their_thresholds() {
        let mut g = settings(1, 0, 40_000);
        g.count = None;
        g.pending = None;
        for seed in 0..50 {
            let gc = GcState::new(&g, &mut Rng::new(seed, 5));
            assert!(gc.count[0] <= 700 && gc.count[1] <= 10 && gc.count[2] <= 10);
            assert!(gc.pending < 10_000);
        }
    }
}
