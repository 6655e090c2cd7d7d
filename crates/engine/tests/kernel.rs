//! Server costs are part Python (GIL held) and part system calls (`kernel_share`, GIL
//! released); and AnyIO starts a worker thread (`spawn_us`) for each new concurrent thread call.

mod common;

use common::*;
use serde_json::{json, Value};

/// Flask's dev server, two simultaneous requests, each with 1 ms of CPU; every cost 0 but a
/// 100 µs read + parse with the given kernel share.
fn flask(kernel_share: f64) -> Value {
    let mut costs = zero_costs();
    costs["parse_us"] = json!(100.0);
    costs["kernel_share"] = json!(kernel_share);
    flask_two_cpu_requests(costs, 1.0)
}

#[test]
fn the_kernel_part_of_a_read_overlaps_another_threads_python() {
    // All Python: A parses 0–100 µs and computes → 1.1 ms; B waits for the GIL until then:
    // parse → 1.2, compute → 2.2 ms.
    let all_python = run(flask(0.0));
    assert_eq!(latencies(&all_python), vec![ms(1.1), ms(2.2)]);
    // Half kernel: both threads recv at once (0–50 µs, no GIL, 4 cores); A takes the GIL for
    // its parse (50–100) and CPU (→ 1.1 ms); B only waits for its Python: 1.1–1.15 parse,
    // compute → 2.15 ms.
    let half = run(flask(0.5));
    assert_eq!(latencies(&half), vec![ms(1.1), ms(2.15)]);
    let q = by_id(&half);
    assert_eq!(q[1].split.gil_wait, ms(1.05));
    // The GIL was held for the Python only: 2 × (50 µs + 1 ms).
    assert_eq!(half.workers[0].gil_held, ms(2.1));
    assert_eq!(all_python.workers[0].gil_held, ms(2.2));
    // The kernel time shows on the timeline as its own activity, on a core.
    let kernel = half
        .activities
        .iter()
        .position(|a| a.label.starts_with("kernel"))
        .expect("a kernel activity") as u16;
    let segs: Vec<_> = half
        .segments
        .iter()
        .filter(|s| s.activity == kernel)
        .collect();
    assert_eq!(segs.len(), 2);
    assert!(segs.iter().all(|s| s.start == 0 && s.end == ms(0.05)));
}

#[test]
fn a_write_sends_after_its_python() {
    // uvicorn, one request, respond 100 µs with kernel share 0.4: the Python (60 µs) runs
    // first, then the send (40 µs); the answer arrives when both are done.
    let mut costs = zero_costs();
    costs["respond_us"] = json!(100.0);
    costs["kernel_share"] = json!(0.4);
    let r = run(json!({
        "version": 1,
        "server": {"kind": "uvicorn", "costs": costs},
        "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": []},
        "load": burst(1)
    }));
    assert_eq!(latencies(&r), vec![ms(0.1)]);
    let kernel = r
        .activities
        .iter()
        .position(|a| a.label.starts_with("kernel"))
        .unwrap() as u16;
    let s = r.segments.iter().find(|s| s.activity == kernel).unwrap();
    assert_eq!((s.start, s.end), (ms(0.06), ms(0.1)));
    assert_eq!(r.workers[0].gil_held, ms(0.06));
}

#[test]
fn anyio_starts_a_thread_for_each_new_concurrent_call() {
    // uvicorn, `def` + 10 ms sleep, thread start 100 µs (all Python), every other cost 0.
    // Three at once: no thread is idle for any of them, so the loop starts three, one after
    // the other (0–100, 100–200, 200–300 µs), and each sleeps from its thread's start.
    let mut costs = zero_costs();
    costs["spawn_us"] = json!(100.0);
    let sc = |load: Value| {
        json!({
            "version": 1,
            "server": {"kind": "uvicorn", "costs": costs.clone()},
            "handler": {"route": "def", "overhead": zero_overhead(),
                        "steps": [step("blocking_io", 10.0)]},
            "load": load
        })
    };
    let r = run(sc(burst(3)));
    assert_eq!(latencies(&r), vec![ms(10.1), ms(10.2), ms(10.3)]);
    assert_eq!(
        r.lanes
            .iter()
            .filter(|l| l.name.starts_with("w0 thread "))
            .count(),
        3
    );
    // One after the other on one connection: the first call starts the thread, the next
    // ones reuse it.
    let r = run(sc(
        json!({"kind": "closed", "requests": 3, "concurrency": 1}),
    ));
    assert_eq!(latencies(&r), vec![ms(10.1), ms(10.0), ms(10.0)]);
}

#[test]
fn an_out_of_range_kernel_share_is_refused() {
    let mut v = flask(0.5);
    v["server"]["costs"]["kernel_share"] = json!(1.5);
    let e = refusal(&v);
    assert!(
        e.contains("server.costs.kernel_share: must be between 0 and 0.9 (got 1.5)"),
        "{e}"
    );
}
