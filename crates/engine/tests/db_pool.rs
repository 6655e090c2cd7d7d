//! A connection pool of `db_pool` connections per worker process (a FIFO semaphore): a step
//! with `hold_connection` takes one before the first such step and returns it after the last;
//! the oldest waiter gets a returned connection directly.

mod common;

use common::*;
use loopsim_engine::ThreadState;
use serde_json::{json, Value};

fn held(kind: &str, d_ms: f64) -> Value {
    json!({"kind": kind, "duration": constant(d_ms), "hold_connection": true})
}

fn uvicorn(route: &str, pool: u32, steps: Value, clients: u32) -> Value {
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "costs": zero_costs()},
        "handler": {"route": route, "overhead": zero_overhead(), "db_pool": pool,
                    "steps": steps},
        "load": burst(clients)
    })
}

#[test]
fn async_def_queries_wait_for_one_of_p_connections() {
    // Pool of 2, 6 requests each awaiting a 100 ms query on a held connection: 2 at 100 ms,
    // 2 at 200, 2 at 300 (a released connection goes to the next waiter on the same loop
    // iteration, and its query starts right away).
    let r = run(uvicorn("async_def", 2, json!([held("await_io", 100.0)]), 6));
    assert!(all_ok(&r));
    for (k, l) in latencies(&r).iter().enumerate() {
        assert_eq!(*l, (k as u64 / 2 + 1) * ms(100.0), "request {k}");
    }
    let w = &r.workers[0];
    assert_eq!(w.db_waits, 4);
    assert_eq!(w.db_peak_waiting, 4);
    // Waiting for a connection counts as queueing.
    let q = by_id(&r);
    assert_eq!(q[5].split.queued, ms(200.0));
    assert_eq!(q[5].split.awaiting, ms(100.0));
}

#[test]
fn def_route_threads_wait_for_a_connection_without_the_gil() {
    // The same with a def route and a blocking driver: every request has its own threadpool
    // thread (40 tokens), 4 of them wait for a connection in the `wait` state.
    let r = run(uvicorn("def", 2, json!([held("blocking_io", 100.0)]), 6));
    assert!(all_ok(&r));
    for (k, l) in latencies(&r).iter().enumerate() {
        assert_eq!(*l, (k as u64 / 2 + 1) * ms(100.0), "request {k}");
    }
    let waits = r
        .segments
        .iter()
        .filter(|s| s.state == ThreadState::Wait)
        .count();
    assert!(waits >= 4, "{waits} wait segments");
    assert_eq!(r.workers[0].db_waits, 4);
}

#[test]
fn the_connection_is_held_from_the_first_to_the_last_holding_step() {
    // Pool of 1; steps: 1 ms CPU (holding), await 100 ms (not marked, but between the two
    // holding steps, so still holding), 1 ms CPU (holding).
    // A: CPU [0,1], await [1,101], CPU [101,102], release → answered at 102 ms.
    // B: waited for the connection since ≈ 1 ms; gets it at 102 ms: CPU → 103, await → 203,
    // CPU → 204 ms.
    let steps = json!([held("cpu", 1.0), step("await_io", 100.0), held("cpu", 1.0)]);
    let r = run(uvicorn("async_def", 1, steps, 2));
    assert_eq!(latencies(&r), vec![ms(102.0), ms(204.0)]);
}

#[test]
fn steps_outside_the_holding_range_do_not_hold() {
    // Pool of 1; steps: await 100 ms (not holding), then a 10 ms held query. A and B both
    // await in parallel (both back at 100 ms); A takes the connection [100,110], B waits and
    // gets it at 110 → 120.
    let steps = json!([step("await_io", 100.0), held("await_io", 10.0)]);
    let r = run(uvicorn("async_def", 1, steps, 2));
    assert_eq!(latencies(&r), vec![ms(110.0), ms(120.0)]);
}

#[test]
fn pools_are_per_worker_process() {
    // gunicorn sync, 2 workers, pool of 1 each, 2 requests: one per worker, no waiting.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "gunicorn_sync", "workers": 2, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(), "db_pool": 1,
                    "steps": [held("blocking_io", 50.0)]},
        "load": burst(2)
    }));
    assert_eq!(latencies(&r), vec![ms(50.0), ms(50.0)]);
    assert!(r.workers.iter().all(|w| w.db_waits == 0));
}

#[test]
fn a_pool_smaller_than_the_thread_pool_is_the_bottleneck() {
    // waitress, 8 threads, pool of 3, 9 requests of a 30 ms held query: waves of 3.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "waitress", "threads": 8, "costs": zero_costs()},
        "handler": {"route": "def", "overhead": zero_overhead(), "db_pool": 3,
                    "steps": [held("blocking_io", 30.0)]},
        "load": burst(9)
    }));
    assert_eq!(
        histogram(&latencies(&r)),
        vec![(ms(30.0), 3), (ms(60.0), 3), (ms(90.0), 3)]
    );
}

fn token_pool_deadlock(timeout_ms: Option<f64>) -> Value {
    // One AnyIO token, one pool connection. The route takes the connection on the loop, then
    // runs its step in the threadpool (token); the sync background task takes the token, then
    // the connection on its thread.
    //   A: connection, token, step [0,1 ms], token back, connection back → B gets the
    //      connection; A answers at 1 ms, its background task takes the free token.
    //   B: holds the connection, waits for the token (held by A's background thread).
    //   A's background thread: holds the token, waits for the connection (held by B).
    // A genuine deadlock (the same code would hang under uvicorn): B never gets an answer.
    let mut load = burst(2);
    if let Some(t) = timeout_ms {
        load["timeout_ms"] = json!(t);
    }
    json!({
        "version": 1,
        "server": {"kind": "uvicorn", "threads": 1, "costs": zero_costs()},
        "handler": {
            "route": "async_def", "overhead": zero_overhead(), "db_pool": 1,
            "steps": [{"kind": "cpu", "duration": constant(1.0), "offload": "threadpool",
                       "hold_connection": true}],
            "background": [{"route": "def", "steps": [held("cpu", 1.0)]}]
        },
        "load": load
    })
}

#[test]
fn a_deadlocked_request_fails_at_the_client_timeout() {
    let r = run(token_pool_deadlock(Some(2_000.0)));
    let q = by_id(&r);
    assert_eq!(q[0].status, loopsim_engine::Status::Ok);
    assert_eq!(q[0].latency(), ms(1.0));
    assert_eq!(q[1].status, loopsim_engine::Status::ClientTimeout);
    assert_eq!(q[1].finished, ms(2_000.0));
}

#[test]
fn a_deadlocked_request_is_not_lost() {
    // Without a client timeout the run ends with B still waiting. It must still be accounted
    // for: every request sent has a record, and completed + failed = sent.
    let r = run(token_pool_deadlock(None));
    assert_eq!(r.summary.completed, 1);
    assert_eq!(
        r.requests.len() as u64,
        r.requests_sent,
        "a request the run never finished has no record"
    );
    assert_eq!(r.summary.completed + r.summary.failed, r.requests_sent);
    let b = &by_id(&r)[1];
    assert_eq!(b.status, loopsim_engine::Status::Unfinished);
    assert_eq!(b.split.total(), b.latency());
    assert_eq!(r.summary.failed_unfinished, 1);
}
