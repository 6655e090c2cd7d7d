//! `server.costs.idle_wake_us`: a worker blocked in its poll runs that long after it is woken
//! (the idle core's wake-up and the return to its code), whatever woke it.

mod common;

use common::*;
use serde_json::{json, Value};

fn scenario(kind: &str, route: &str, step_kind: &str, idle_wake_us: f64) -> Value {
    json!({
        "version": 1,
        "server": {"kind": kind, "cores": 2,
                   "costs": {"accept_us": 40.0, "setup_us": 0.0, "parse_us": 0.0, "respond_us": 0.0,
                             "idle_wake_us": idle_wake_us}},
        "handler": {"route": route, "overhead": zero_overhead(), "steps": [step(step_kind, 10.0)]},
        "load": burst(1)
    })
}

#[test]
fn an_idle_loop_wakes_late_for_the_connection_and_for_the_awaited_io() {
    // The connection at 0 wakes the idle loop, which runs at 0.15 ms: accept 0.15–0.19, the
    // read and the task, `await` 10 ms (the loop idles again) until 10.19; that wakes the loop,
    // which runs at 10.34 and answers.
    let r = run(scenario("uvicorn", "async_def", "await_io", 150.0));
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.19)));
    assert_eq!(latencies(&r), vec![ms(10.34)]);
    // Without it: 0.04 and 10.04 ms.
    let r = run(scenario("uvicorn", "async_def", "await_io", 0.0));
    assert_eq!(by_id(&r)[0].accepted, Some(ms(0.04)));
    assert_eq!(latencies(&r), vec![ms(10.04)]);
}

#[test]
fn an_idle_sync_worker_wakes_late_for_the_connection_only() {
    // gunicorn sync: the worker waits in select, runs 0.15 ms after the connection, accepts
    // (40 µs), then blocks in the handler's own sleep, which is not a poll: 10.19 ms.
    let r = run(scenario("gunicorn_sync", "def", "blocking_io", 150.0));
    assert_eq!(latencies(&r), vec![ms(10.19)]);
}

#[test]
fn the_idle_wake_is_checked() {
    let e = refusal(&scenario("uvicorn", "async_def", "await_io", -1.0));
    assert!(
        e.contains("server.costs.idle_wake_us: must be between 0 and 1000000 (got -1)"),
        "{e}"
    );
}
