//! The GIL ("new GIL", CPython ≥ 3.2): a thread that wants it waits up to the switch interval
//! (5 ms by default); if the holder has not released it by then, the holder is made to drop it
//! and the waiters are served in order. CPU-bound threads therefore take turns in 5 ms slices.
//! Blocking calls release it. Without a GIL (free-threaded build) threads share the cores.
//!
//! Setting: gunicorn gthread, one worker, N pool threads, every server cost 0 (the main thread
//! then never runs Python, so only the pool threads compete), a burst of N requests: each is
//! handed to its own pool thread at t = 0.

mod common;

use common::*;
use loopsim_engine::ThreadState;
use serde_json::{json, Value};

fn cpu_threads(n: u32, cpu_ms: f64, extra: Value) -> Value {
    let mut server = json!({
        "kind": "gunicorn_gthread",
        "threads": n,
        "cores": 4,
        "costs": zero_costs()
    });
    for (k, v) in extra.as_object().unwrap() {
        server[k] = v.clone();
    }
    json!({
        "version": 1,
        "server": server,
        "handler": {
            "route": "def",
            "overhead": zero_overhead(),
            "steps": [step("cpu", cpu_ms)]
        },
        "load": burst(n)
    })
}

#[test]
fn two_cpu_bound_threads_alternate_in_switch_interval_slices() {
    // C = 12 ms each, 5 ms slices: A [0,5) B [5,10) A [10,15) B [15,20) A [20,22) → A done at
    // 22 ms; B takes the GIL at once (no waiter left to time out) and finishes its last 2 ms
    // → 24 ms = N·C.
    let r = run(cpu_threads(2, 12.0, json!({})));
    assert_eq!(latencies(&r), vec![ms(22.0), ms(24.0)]);
    let q = by_id(&r);
    // A waited for the GIL during B's two slices, B during A's two full slices + its last 2 ms.
    assert_eq!(q[0].split.gil_wait, ms(10.0));
    assert_eq!(q[0].split.cpu, ms(12.0));
    assert_eq!(q[1].split.gil_wait, ms(12.0));
    assert_eq!(q[1].split.cpu, ms(12.0));
    assert_eq!(r.workers[0].gil_forced_switches, 4);
}

#[test]
fn a_thread_whose_work_ends_with_its_slice_is_done() {
    // C = 10 ms, exactly two slices: A [0,5) B [5,10) A [10,15): A's work is done at 15 ms,
    // when its slice also ends; it must not be sent back to the GIL queue with nothing left
    // to do. B then runs [15,20) → done at 20 ms.
    let r = run(cpu_threads(2, 10.0, json!({})));
    assert_eq!(latencies(&r), vec![ms(15.0), ms(20.0)]);
}

#[test]
fn a_thread_whose_work_is_one_slice_is_not_preempted_at_its_end() {
    // C = 5 ms = one interval: A runs [0,5) and is done at 5 ms, the moment B's wait times
    // out; B then runs [5,10). Latencies 5 and 10 ms (not both 10: A has no work left when
    // the switch is requested, so it has nothing to wait for).
    let r = run(cpu_threads(2, 5.0, json!({})));
    assert_eq!(latencies(&r), vec![ms(5.0), ms(10.0)]);
    // Three threads: 5, 10, 15 ms.
    let r = run(cpu_threads(3, 5.0, json!({})));
    assert_eq!(latencies(&r), vec![ms(5.0), ms(10.0), ms(15.0)]);
}

#[test]
fn n_cpu_bound_threads_all_finish_near_n_times_c() {
    // 4 threads × 52 ms, round-robin in 5 ms slices: 208 ms of CPU on one GIL. The last slice
    // of each thread is in the last round, so every thread finishes within (N−1) slices of
    // N·C = 208 ms, and the last one exactly at 208 ms.
    let (n, c) = (4u64, 52.0);
    let r = run(cpu_threads(n as u32, c, json!({})));
    let total = ms(c) * n;
    let lat = sorted_latencies(&r);
    assert_eq!(*lat.last().unwrap(), total);
    for l in &lat {
        assert!(*l >= total - (n - 1) * ms(5.0), "{l} vs {total}");
    }
    // Round 10 (50–52 ms of each thread's work): slices of 2 ms each, in order:
    // 200+2=202, 204, 206, 208.
    assert_eq!(lat, vec![ms(202.0), ms(204.0), ms(206.0), ms(208.0)]);
    // One core's worth of Python at a time: the GIL was held all along.
    assert!((r.summary.gil_utilisation - 1.0).abs() < 1e-9);
}

#[test]
fn switch_interval_sets_the_slice() {
    // 1 ms interval, 2 threads × 2.5 ms: A [0,1) B [1,2) A [2,3) B [3,4) A [4,4.5) → 4.5,
    // B → 5.
    let r = run(cpu_threads(2, 2.5, json!({"switch_interval_ms": 1.0})));
    assert_eq!(latencies(&r), vec![ms(4.5), ms(5.0)]);
}

#[test]
fn without_the_gil_threads_run_in_parallel() {
    // Free-threaded, 4 threads on 4 cores: each finishes at C.
    let r = run(cpu_threads(4, 50.0, json!({"gil": false})));
    assert_eq!(latencies(&r), vec![ms(50.0); 4]);
    assert_eq!(r.workers[0].gil_forced_switches, 0);
    for q in by_id(&r) {
        assert_eq!(q.split.gil_wait, 0);
    }
}

#[test]
fn without_the_gil_fewer_cores_are_shared() {
    // 4 threads × 50 ms on 2 cores, the scheduler's ticks at 0, 4, 8 … ms: the first two get
    // a core each; the others wake onto them and wait until the tick after the slice (4 ms),
    // then two take turns of 4 ms on each core: the first two have done 48 ms by 92 ms and
    // end at 96 + 2 = 98 ms, the others (48 ms by 96) at 100 ms.
    let r = run(cpu_threads(
        4,
        50.0,
        json!({"gil": false, "cores": 2, "tick_phase_us": 0}),
    ));
    assert_eq!(
        latencies(&r),
        vec![ms(98.0), ms(98.0), ms(100.0), ms(100.0)]
    );
    // 3 threads × 30 ms on 2 cores: the second has a core of its own (30 ms); the third
    // takes turns with the first on core 0 (the first 0–4, 8–12 …, the third 4–8, 12–16 …)
    // until 30 ms, when the first has done 16 ms and waits; core 1, idle, pulls it: it ends
    // at 44 ms, and the third, alone on core 0 with 16 ms left at 30 ms, at 46 ms.
    let r = run(cpu_threads(
        3,
        30.0,
        json!({"gil": false, "cores": 2, "tick_phase_us": 0}),
    ));
    assert_eq!(latencies(&r), vec![ms(44.0), ms(30.0), ms(46.0)]);
}

#[test]
fn with_the_gil_one_core_is_enough() {
    // With the GIL only one thread runs Python at a time, so 1 core gives the same result
    // as 4: 2 × 12 ms → 22 and 24 ms.
    let r = run(cpu_threads(2, 12.0, json!({"cores": 1})));
    assert_eq!(latencies(&r), vec![ms(22.0), ms(24.0)]);
}

fn convoy(interval_ms: f64) -> loopsim_engine::RunResult {
    // Each request: time.sleep(1 ms), then 100 ms of CPU. A is sent at 0, B at 50 ms.
    let mut server = json!({
        "kind": "gunicorn_gthread",
        "threads": 2,
        "cores": 4,
        "switch_interval_ms": interval_ms,
        "costs": zero_costs()
    });
    server["gil"] = json!(true);
    run(json!({
        "version": 1,
        "server": server,
        "handler": {
            "route": "def",
            "overhead": zero_overhead(),
            "steps": [step("blocking_io", 1.0), step("cpu", 100.0)]
        },
        "load": {"kind": "burst", "offsets_ms": [0.0, 50.0]}
    }))
}

#[test]
fn a_thread_back_from_io_waits_one_switch_interval_for_a_cpu_bound_holder() {
    // A: sleeps [0,1), then holds the GIL running Python from 1 ms. B: sleeps [50,51), then
    // wants the GIL: A is CPU-bound and never releases it voluntarily, so B waits the full
    // switch interval, [51, 56), before A is made to drop it (the convoy effect).
    for interval in [5.0, 2.0] {
        let r = convoy(interval);
        let b = by_id(&r)[1].clone();
        let segs = request_segments(&r, b.id);
        let first_wait = segs
            .iter()
            .find(|s| s.state == ThreadState::GilWait)
            .expect("B waited for the GIL");
        assert_eq!(
            (first_wait.start, first_wait.end),
            (ms(51.0), ms(51.0 + interval)),
            "interval {interval} ms"
        );
        // B ran its first slice right after.
        let first_cpu = segs
            .iter()
            .find(|s| s.state == ThreadState::Cpu)
            .expect("B ran");
        assert_eq!(first_cpu.start, ms(51.0 + interval));
    }
}

#[test]
fn blocking_calls_release_the_gil() {
    // Two threads that only sleep: no GIL wait at all, both done at the sleep's length.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "gunicorn_gthread", "threads": 2, "costs": zero_costs()},
        "handler": {
            "route": "def",
            "overhead": zero_overhead(),
            "steps": [step("blocking_io", 30.0)]
        },
        "load": burst(2)
    }));
    assert_eq!(latencies(&r), vec![ms(30.0); 2]);
    assert!(r.requests.iter().all(|q| q.split.gil_wait == 0));
}

#[test]
fn each_worker_process_has_its_own_gil() {
    // gunicorn sync, 2 workers, 2 requests of 40 ms CPU: one per process, in parallel.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "workers": 2, "cores": 2, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [step("cpu", 40.0)]},
        "load": burst(2)
    }));
    assert_eq!(latencies(&r), vec![ms(40.0); 2]);
    let mut workers: Vec<u32> = r.requests.iter().map(|q| q.worker.unwrap()).collect();
    workers.sort_unstable();
    assert_eq!(workers, vec![0, 1]);
}
