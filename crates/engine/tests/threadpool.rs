//! FastAPI runs a `def` route through `run_in_threadpool`, limited by AnyIO's CapacityLimiter:
//! 40 tokens per process by default (`server.threads`). With every server cost at 0, a burst
//! of N simultaneous requests that each `time.sleep(T)` finishes in waves of `tokens`: the
//! first `tokens` requests at T, the next at 2T, and so on (a token passes directly to the
//! oldest waiter when a request's thread call returns, and all of that takes no time).

mod common;

use common::*;
use serde_json::{json, Value};

const T_MS: f64 = 1_000.0;

fn def_sleep(clients: u32, threads: Option<u32>) -> Value {
    let mut server = json!({"kind": "uvicorn", "costs": zero_costs()});
    if let Some(t) = threads {
        server["threads"] = json!(t);
    }
    json!({
        "version": 1,
        "server": server,
        "handler": {
            "route": "def",
            "overhead": zero_overhead(),
            "steps": [step("blocking_io", T_MS)]
        },
        "load": burst(clients)
    })
}

#[test]
fn sixty_requests_on_forty_tokens_finish_in_two_waves() {
    // 60 requests, 40 tokens: 40 finish at T, the 20 that waited for a token at 2T.
    let r = run(def_sleep(60, None));
    assert!(all_ok(&r));
    let t = ms(T_MS);
    assert_eq!(histogram(&latencies(&r)), vec![(t, 40), (2 * t, 20)]);
    // The first 40 in send order got the tokens (FIFO), the last 20 waited.
    let q = by_id(&r);
    assert!(q[..40].iter().all(|q| q.latency() == t));
    assert!(q[40..].iter().all(|q| q.latency() == 2 * t));
    // The waiters' time is queueing (for a token), then their own sleep.
    for q in &q[40..] {
        assert_eq!(q.split.queued, t);
        assert_eq!(q.split.blocked, t);
    }
    // 40 worker threads, never more; 20 waits for a token, at most 20 waiting at once.
    let threads = r
        .lanes
        .iter()
        .filter(|l| l.name.starts_with("w0 thread "))
        .count();
    assert_eq!(threads, 40);
    let w = &r.workers[0];
    assert_eq!(w.pool_peak_busy, 40);
    assert_eq!(w.pool_waits, 20);
    assert_eq!(w.pool_peak_waiting, 20);
}

#[test]
fn ten_tokens_give_six_waves() {
    // server.threads = 10: 60 requests → 10 at T, 10 at 2T, ..., 10 at 6T.
    let r = run(def_sleep(60, Some(10)));
    assert!(all_ok(&r));
    let t = ms(T_MS);
    assert_eq!(
        histogram(&latencies(&r)),
        (1..=6).map(|k| (k * t, 10)).collect::<Vec<_>>()
    );
    let q = by_id(&r);
    for (i, q) in q.iter().enumerate() {
        assert_eq!(q.latency(), (i as u64 / 10 + 1) * t, "request {i}");
    }
    let threads = r
        .lanes
        .iter()
        .filter(|l| l.name.starts_with("w0 thread "))
        .count();
    assert_eq!(threads, 10);
    assert_eq!(r.workers[0].pool_peak_busy, 10);
    assert_eq!(r.workers[0].pool_waits, 50);
}

#[test]
fn forty_requests_fit_in_one_wave() {
    let r = run(def_sleep(40, None));
    assert_eq!(histogram(&latencies(&r)), vec![(ms(T_MS), 40)]);
    assert_eq!(r.workers[0].pool_waits, 0);
}

#[test]
fn tokens_are_per_process() {
    // Two workers, 10 tokens each, 20 requests: the burst lands on worker 0 (an asyncio loop
    // takes up to 100 connections per wake-up), so 10 finish at T and 10 at 2T — the idle
    // tokens of worker 1 do not help.
    let mut s = def_sleep(20, Some(10));
    s["server"]["workers"] = json!(2);
    let r = run(s);
    let t = ms(T_MS);
    assert_eq!(histogram(&latencies(&r)), vec![(t, 10), (2 * t, 10)]);
    assert!(r.requests.iter().all(|q| q.worker == Some(0)));
}

#[test]
fn run_in_threadpool_from_async_def_uses_the_same_tokens() {
    // `await run_in_threadpool(time.sleep, T)` in an async def: the same limiter, so 3 tokens
    // and 7 requests give waves of 3, 3, 1.
    let r = run(json!({
        "version": 1,
        "server": {"kind": "uvicorn", "threads": 3, "costs": zero_costs()},
        "handler": {
            "route": "async_def",
            "overhead": zero_overhead(),
            "steps": [{"kind": "blocking_io", "duration": constant(T_MS), "offload": "threadpool"}]
        },
        "load": burst(7)
    }));
    let t = ms(T_MS);
    assert_eq!(
        histogram(&latencies(&r)),
        vec![(t, 3), (2 * t, 3), (3 * t, 1)]
    );
    // The loop itself never blocked.
    assert_eq!(r.summary.loop_blocked_fraction, 0.0);
}
