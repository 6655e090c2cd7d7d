//! `server.costs.accept_call_us`: asyncio's accept callback ends with an `accept()` that finds no
//! connection (EAGAIN, raised and caught as `BlockingIOError`). That call costs CPU once per
//! callback, however many connections the callback took, so a loop that accepts a burst in one
//! callback pays it once, and one that accepts connections one at a time pays it per request.

mod common;

use common::*;
use serde_json::{json, Value};

/// uvicorn, every cost 0 but the accept's 10 µs per connection and `accept_call_us`.
fn uvicorn(workers: u32, accept_call_us: f64, wake_us: f64, load: Value) -> Value {
    let mut costs = zero_costs();
    costs["accept_us"] = json!(10.0);
    costs["accept_call_us"] = json!(accept_call_us);
    costs["wake_us"] = json!(wake_us);
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "workers": workers, "cores": 4, "costs": costs},
        "handler": {"route": "async_def", "overhead": zero_overhead(), "steps": []},
        "load": load
    })
}

#[test]
fn a_lone_request_waits_for_the_failing_accept() {
    // Accepted at 10 µs; the callback's last accept() finds none (10–40 µs); the connection's
    // set-up runs in the next iteration, so the request is done at 40 µs.
    let r = run(uvicorn(1, 30.0, 0.0, burst(1)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![40_000]);
    assert_eq!(loop_cpu_us(&r), vec![40]);
    // Without it, 10 µs.
    let r = run(uvicorn(1, 0.0, 0.0, burst(1)));
    assert_eq!(latencies(&r), vec![10_000]);
}

#[test]
fn a_batch_pays_one_failing_accept_and_requests_one_at_a_time_pay_one_each() {
    // Four at once: accepted at 10, 20, 30, 40 µs, one failing accept to 70 µs: all done at
    // 70 µs, 70 µs of loop CPU in all (17.5 per request).
    let r = run(uvicorn(1, 30.0, 0.0, burst(4)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![70_000; 4]);
    assert_eq!(loop_cpu_us(&r), vec![70]);
    // The same four 1 ms apart: each its own callback, 40 µs each, 160 µs of CPU (40 each).
    let r = run(uvicorn(
        1,
        30.0,
        0.0,
        json!({"kind": "burst", "offsets_ms": [0.0, 1.0, 2.0, 3.0]}),
    ));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![40_000; 4]);
    assert_eq!(loop_cpu_us(&r), vec![160]);
}

#[test]
fn a_worker_that_loses_the_race_pays_a_whole_failing_call() {
    // Two workers for one connection, the second awake 5 µs after the first: both see it
    // queued and call accept() (10 µs each); the first takes it at 10 µs and its next
    // accept() fails (10–40 µs); the second's, ending at 15 µs, found none: it pays the rest
    // of a failing call (20 µs). 40 and 30 µs of loop CPU, whichever worker wakes first.
    for seed in 1..6u64 {
        let mut v = uvicorn(2, 30.0, 5.0, burst(1));
        v["seed"] = json!(seed);
        let r = run(v);
        assert!(all_ok(&r));
        assert_eq!(latencies(&r), vec![40_000], "seed {seed}");
        let mut cpu = loop_cpu_us(&r);
        cpu.sort_unstable();
        assert_eq!(cpu, vec![30, 40], "seed {seed}");
    }
    // A worker woken after the connection was taken polls, finds nothing, and pays nothing.
    let r = run(uvicorn(2, 30.0, 50.0, burst(1)));
    let mut cpu = loop_cpu_us(&r);
    cpu.sort_unstable();
    assert_eq!(cpu, vec![0, 40]);
}

#[test]
fn a_full_batch_ends_without_a_failing_accept() {
    // A backlog of 2 is also asyncio's accept batch: a callback takes at most 2 and ends
    // without calling accept() again. Three at once: the first callback takes #0 and #1
    // (10, 20 µs) and ends; the next iteration runs their set-up, then an accept callback
    // that takes #2 (30 µs) and fails (30–60 µs); the reads come after it: all done at 60 µs,
    // with one failing call for three connections.
    let mut v = uvicorn(1, 30.0, 0.0, burst(3));
    v["server"]["backlog"] = json!(2);
    let r = run(v);
    assert!(all_ok(&r));
    assert_eq!(loop_cpu_us(&r), vec![60]);
    assert_eq!(latencies(&r), vec![60_000; 3]);
}

#[test]
fn the_accept_call_cost_is_checked() {
    let mut v = uvicorn(1, -1.0, 0.0, burst(1));
    let e = refusal(&v);
    assert!(
        e.contains("server.costs.accept_call_us: must be between 0 and 1000000 (got -1)"),
        "{e}"
    );
    v["server"]["costs"]["accept_call_us"] = json!("30");
    assert!(refusal(&v).contains("accept_call_us"));
}
