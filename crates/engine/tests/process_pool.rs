//! `loop.run_in_executor(ProcessPoolExecutor(), f)`: the step runs in another process, with its
//! own GIL, on any free core; the caller waits (a task suspends, a thread waits) and the result
//! comes back to the loop with call_soon_threadsafe.

mod common;

use common::*;
use serde_json::{json, Value};

const C_MS: f64 = 200.0;

fn offloaded(route: &str, kind: &str, extra: Value, clients: u32) -> Value {
    let mut server = json!({"kind": kind, "cores": 4, "costs": zero_costs()});
    for (k, v) in extra.as_object().unwrap() {
        server[k] = v.clone();
    }
    json!({
        "version": 1,
        "server": server,
        "handler": {
            "route": route,
            "overhead": zero_overhead(),
            "steps": [{"kind": "cpu", "duration": constant(C_MS), "offload": "process_pool"}]
        },
        "load": burst(clients)
    })
}

#[test]
fn two_offloaded_cpu_steps_escape_the_gil() {
    // async def, 2 requests of C = 200 ms of CPU in the process pool, 4 cores: each pool
    // process has its own GIL and core, both done at C (the loop's hand-off and the result
    // callback take no time with every cost at 0).
    let r = run(offloaded("async_def", "uvicorn", json!({}), 2));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![ms(C_MS), ms(C_MS)]);
    // No GIL contention, two pool-process lanes, and the loop never blocked.
    assert!(r.requests.iter().all(|q| q.split.gil_wait == 0));
    let pool_lanes = r
        .lanes
        .iter()
        .filter(|l| l.name.starts_with("w0 pool process "))
        .count();
    assert_eq!(pool_lanes, 2);
    assert_eq!(r.summary.loop_blocked_fraction, 0.0);
}

#[test]
fn the_same_work_in_threads_shares_one_gil() {
    // Contrast: the def route running the CPU itself in the threadpool takes ≈ 2C for both.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "uvicorn", "cores": 4, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(), "steps": [step("cpu", C_MS)]},
        "load": burst(2)
    }));
    for l in latencies(&r) {
        assert!(l >= ms(2.0 * C_MS - 5.0) && l <= ms(2.0 * C_MS), "{l}");
    }
}

#[test]
fn a_pool_of_one_process_runs_them_one_after_the_other() {
    let r = run(offloaded(
        "async_def",
        "uvicorn",
        json!({"process_pool": 1}),
        2,
    ));
    assert_eq!(latencies(&r), vec![ms(C_MS), ms(2.0 * C_MS)]);
    let q = by_id(&r);
    // The second waited C for the pool process.
    assert_eq!(q[1].split.queued, ms(C_MS));
}

#[test]
fn offloaded_processes_share_the_cores() {
    // 4 pool processes, 4 offloaded requests on 2 cores, the scheduler's ticks every 4 ms
    // from 0: two get a core each, the other two wait until the tick after the slice, then
    // two take turns of 4 ms on each core → the first two end at 2C - 4 ms (their last turn),
    // the others at 2C.
    let r = run(offloaded(
        "async_def",
        "uvicorn",
        json!({"cores": 2, "process_pool": 4, "tick_phase_us": 0}),
        4,
    ));
    let (early, late) = (ms(2.0 * C_MS - 4.0), ms(2.0 * C_MS));
    assert_eq!(latencies(&r), vec![early, early, late, late]);
    // With the default pool (one process per core, 2 here): 2 at C, then 2 at 2C.
    let r = run(offloaded("async_def", "uvicorn", json!({"cores": 2}), 4));
    assert_eq!(
        histogram(&latencies(&r)),
        vec![(ms(C_MS), 2), (ms(2.0 * C_MS), 2)]
    );
}

#[test]
fn the_pool_defaults_to_one_process_per_core() {
    // 4 cores → 4 pool processes: 6 requests → 4 at C, then 2 at 2C.
    let r = run(offloaded("async_def", "uvicorn", json!({}), 6));
    assert_eq!(
        histogram(&latencies(&r)),
        vec![(ms(C_MS), 4), (ms(2.0 * C_MS), 2)]
    );
}

#[test]
fn a_def_route_on_a_threaded_server_can_offload_too() {
    // gunicorn gthread, 2 threads: each thread waits (GIL released) while its pool process
    // computes, so both finish at C.
    let r = run(offloaded(
        "def",
        "gunicorn_gthread",
        json!({"threads": 2}),
        2,
    ));
    assert!(all_ok(&r));
    assert_eq!(latencies(&r), vec![ms(C_MS), ms(C_MS)]);
}

#[test]
fn offloaded_blocking_io_also_runs_in_parallel() {
    let r = run(json!({
        "version": 1,
        "server": {"kind": "uvicorn", "costs": zero_costs(), "process_pool": 2},
        "handler": {
            "route": "async_def",
            "overhead": zero_overhead(),
            "steps": [{"kind": "blocking_io", "duration": constant(C_MS),
                       "offload": "process_pool"}]
        },
        "load": burst(3)
    }));
    assert_eq!(latencies(&r), vec![ms(C_MS), ms(C_MS), ms(2.0 * C_MS)]);
}
