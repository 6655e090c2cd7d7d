//! `server.costs.iteration_us`: each iteration of an asyncio loop that finds work (`_run_once`:
//! its poll and bookkeeping) costs CPU before its batch of callbacks runs, however many
//! callbacks the batch holds. Requests one at a time pay it in every iteration they need; a
//! burst shares the iterations.

mod common;

use common::*;
use serde_json::{json, Value};

/// uvicorn, every cost 0 but the iteration's, a 1 ms CPU step.
fn uvicorn(iteration_us: f64, load: Value) -> Value {
    let mut costs = zero_costs();
    costs["iteration_us"] = json!(iteration_us);
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": 4, "costs": costs},
        "handler": {"route": "async_def", "overhead": zero_overhead(),
                    "steps": [step("cpu", 1.0)]},
        "load": load
    })
}

fn iterations(r: &loopsim_engine::RunResult) -> u64 {
    r.workers[0]
        .loop_stats
        .as_ref()
        .expect("an event loop's stats")
        .iterations
}

#[test]
fn a_lone_request_pays_every_iteration_before_its_task() {
    // Five iterations: the accept, the set-up, its registration, the read, the task step:
    // 5 × 10 µs before the 1 ms step.
    let r = run(uvicorn(10.0, burst(1)));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![ms(1.05)]);
    assert_eq!(iterations(&r), 5);
    assert_eq!(loop_cpu_us(&r), vec![1050]);
    // Without the cost the iterations are counted all the same.
    let r = run(uvicorn(0.0, burst(1)));
    assert_eq!((latencies(&r), iterations(&r)), (vec![ms(1.0)], 5));
}

#[test]
fn a_burst_shares_the_iterations() {
    // Two at once go through the same five iterations: the tasks run in the fifth, one after
    // the other: 1.05 and 2.05 ms.
    let r = run(uvicorn(10.0, burst(2)));
    assert_eq!(latencies(&r), vec![ms(1.05), ms(2.05)]);
    assert_eq!(iterations(&r), 5);
    // 2 ms apart, each has its own five: 1.05 ms each.
    let r = run(uvicorn(
        10.0,
        json!({"kind": "burst", "clients": 2, "interval_ms": 2.0}),
    ));
    assert_eq!(latencies(&r), vec![ms(1.05); 2]);
    assert_eq!(iterations(&r), 10);
}

#[test]
fn an_awaited_result_costs_two_more_iterations() {
    // An awaited 1 ms sleep between two CPU steps: its result wakes the task through a
    // callback (one iteration), which schedules the task's step (another): 7 iterations, the
    // request done at 5 × 10 µs + 1 ms + 1 ms + 2 × 10 µs + 1 ms = 3.07 ms.
    let mut v = uvicorn(10.0, burst(1));
    v["handler"]["steps"] = json!([step("cpu", 1.0), step("await_io", 1.0), step("cpu", 1.0)]);
    let r = run(v);
    assert_eq!(latencies(&r), vec![ms(3.07)]);
    assert_eq!(iterations(&r), 7);
}

#[test]
fn threaded_servers_have_no_loop_iterations() {
    let mut v = uvicorn(10.0, burst(1));
    v["server"]["kind"] = json!("waitress");
    v["handler"]["route"] = json!("def");
    let r = run(v);
    assert_eq!(latencies(&r), vec![ms(1.0)]);
    assert!(r.workers[0].loop_stats.is_none());
}

#[test]
fn the_cost_is_checked() {
    let mut v = uvicorn(10.0, burst(1));
    v["server"]["costs"]["iteration_us"] = json!(-1.0);
    let e = refusal(&v);
    assert!(
        e.contains("server.costs.iteration_us: must be between 0 and 1000000 (got -1)"),
        "{e}"
    );
}
